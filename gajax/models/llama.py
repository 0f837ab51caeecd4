"""LLaMA-family decoder in Flax NNX: RMSNorm, rotate-half RoPE (plain or Llama 3 scaled), grouped-query attention,
SwiGLU, scanned layers.

Parameters carry ``logical_axes`` metadata and activations are constrained by logical name (see
:mod:`gajax.sharding`), so the same module runs on one CPU and on a TPU pod. Layers are stacked on a leading
``layers`` axis and run with ``jax.lax.scan``; an optional static KV cache serves prefill and decode.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, ClassVar, Literal

import jax
import jax.numpy as jnp
from flax import nnx

from gajax.config import load_config
from gajax.models.layers import REMAT_POLICIES, RMSNorm, param, project, scan_layers, stack_layers
from gajax.models.lora import TARGETS, adapter_name
from gajax.sharding import constrain


@dataclasses.dataclass(frozen=True)
class RopeScaling:
    """Llama 3's RoPE frequency scaling (HF ``rope_scaling`` with ``rope_type: llama3``).

    Wavelengths shorter than ``original_max_position_embeddings / high_freq_factor`` keep their frequency, those
    longer than ``original_max_position_embeddings / low_freq_factor`` are divided by ``factor``, and the band
    between is interpolated smoothly.
    """

    rope_type: Literal["llama3"]
    factor: float
    low_freq_factor: float
    high_freq_factor: float
    original_max_position_embeddings: int

    def __post_init__(self) -> None:
        if self.factor <= 0:
            raise ValueError(f"rope_scaling.factor must be positive, not {self.factor}")
        if not 0 < self.low_freq_factor < self.high_freq_factor:
            raise ValueError(
                f"rope_scaling needs 0 < low_freq_factor < high_freq_factor, got {self.low_freq_factor} and "
                f"{self.high_freq_factor}"
            )
        if self.original_max_position_embeddings <= 0:
            raise ValueError(
                "rope_scaling.original_max_position_embeddings must be positive, not "
                f"{self.original_max_position_embeddings}"
            )


@dataclasses.dataclass(frozen=True)
class LlamaConfig:
    """Architecture only: the numbers that decide the shapes and the maths of a checkpoint."""

    vocab_size: int
    embed_dim: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    head_dim: int
    mlp_dim: int
    rope_theta: float = 10000.0
    rope_scaling: RopeScaling | None = None
    norm_eps: float = 1e-5
    tie_embeddings: bool = False
    max_seq_len: int = 4096

    def __post_init__(self) -> None:
        if self.num_heads % self.num_kv_heads:
            raise ValueError(f"num_heads {self.num_heads} is not a multiple of num_kv_heads {self.num_kv_heads}")
        if self.head_dim % 2:
            raise ValueError(f"head_dim {self.head_dim} must be even for rotary embeddings")

    @property
    def num_params(self) -> int:
        """Parameter count (embeddings included)."""
        attn = self.embed_dim * self.head_dim * (2 * self.num_heads + 2 * self.num_kv_heads)
        mlp = 3 * self.embed_dim * self.mlp_dim
        per_layer = attn + mlp + 2 * self.embed_dim
        head = 0 if self.tie_embeddings else self.vocab_size * self.embed_dim
        return self.vocab_size * self.embed_dim + self.num_layers * per_layer + self.embed_dim + head


def load_arch(name_or_path: str) -> LlamaConfig:
    """Load an architecture file: a shipped name (``smollm2_135m``, ``llama2_13b``, ``tiny``) or a YAML path."""
    return load_config(LlamaConfig, name_or_path, group="model")


# Attention kernels: ``xla`` (any backend, any dtype) or ``cudnn`` (cuDNN flash attention on NVIDIA GPUs, bf16 or
# fp16; used for full-sequence passes, i.e. training and scoring, while cached decoding stays on ``xla``).
ATTENTION_IMPLEMENTATIONS = ("xla", "cudnn")


@jax.tree_util.register_dataclass
@dataclasses.dataclass
class KVCache:
    """Static KV cache: keys/values ``(layers, batch, cache_len, kv_heads, head_dim)``, a validity mask per slot and
    the next slot to write. Slots are in time order for every row (prompts are left-padded)."""

    keys: jax.Array
    values: jax.Array
    mask: jax.Array  # (batch, cache_len) bool: slot holds a real token
    index: jax.Array  # () int32: next slot to write

    # Logical axis names of ``keys`` and ``values`` (see :mod:`gajax.sharding`).
    AXES: ClassVar[tuple[str, ...]] = ("layers", "batch", "cache_length", "kv_heads", "head_dim")

    @classmethod
    def init(cls, cfg: LlamaConfig, batch: int, length: int, dtype: Any = jnp.float32) -> KVCache:
        """An empty cache for ``batch`` sequences of up to ``length`` tokens."""
        shape = (cfg.num_layers, batch, length, cfg.num_kv_heads, cfg.head_dim)
        return cls(
            keys=constrain(jnp.zeros(shape, dtype), cls.AXES),
            values=constrain(jnp.zeros(shape, dtype), cls.AXES),
            mask=constrain(jnp.zeros((batch, length), bool), ("batch", "cache_length")),
            index=jnp.zeros((), jnp.int32),
        )

    @property
    def length(self) -> int:
        return self.keys.shape[2]


def rope_inv_freq(dim: int, theta: float, scaling: RopeScaling | None = None) -> jax.Array:
    """The ``dim // 2`` rotary frequencies, Llama 3 scaled when ``scaling`` is given (as HF computes them)."""
    inv_freq = 1.0 / (theta ** (jnp.arange(0, dim, 2, dtype=jnp.float32) / dim))
    if scaling is None:
        return inv_freq
    s = scaling
    wavelen = 2 * math.pi / inv_freq
    scaled = jnp.where(wavelen > s.original_max_position_embeddings / s.low_freq_factor, inv_freq / s.factor, inv_freq)
    smooth = (s.original_max_position_embeddings / wavelen - s.low_freq_factor) / (
        s.high_freq_factor - s.low_freq_factor
    )
    smoothed = (1 - smooth) * scaled / s.factor + smooth * scaled
    medium = (wavelen >= s.original_max_position_embeddings / s.high_freq_factor) & (
        wavelen <= s.original_max_position_embeddings / s.low_freq_factor
    )
    return jnp.where(medium, smoothed, scaled)


def rotary(x: jax.Array, positions: jax.Array, theta: float, scaling: RopeScaling | None = None) -> jax.Array:
    """Rotary embedding in HF's rotate-half convention; ``x`` is ``(batch, length, heads, head_dim)``."""
    dim = x.shape[-1]
    inv_freq = rope_inv_freq(dim, theta, scaling)
    angles = positions.astype(jnp.float32)[..., None] * inv_freq  # (b, t, d/2)
    angles = jnp.concatenate([angles, angles], axis=-1)[:, :, None, :]
    x32 = x.astype(jnp.float32)
    half = dim // 2
    rotated = jnp.concatenate([-x32[..., half:], x32[..., :half]], axis=-1)
    return (x32 * jnp.cos(angles) + rotated * jnp.sin(angles)).astype(x.dtype)


class DecoderLayer(nnx.Module):
    """Pre-norm attention + SwiGLU block."""

    def __init__(self, cfg: LlamaConfig, *, param_dtype: Any, dtype: Any, attention: str, rngs: nnx.Rngs):
        d, h, kv, hd, m = cfg.embed_dim, cfg.num_heads, cfg.num_kv_heads, cfg.head_dim, cfg.mlp_dim
        self.cfg, self.dtype, self.attention = cfg, dtype, attention
        self.attn_norm = RMSNorm(d, cfg.norm_eps, param_dtype)
        self.q_proj = param(rngs, (d, h, hd), ("embed", "heads", "head_dim"), param_dtype)
        self.k_proj = param(rngs, (d, kv, hd), ("embed", "kv_heads", "head_dim"), param_dtype)
        self.v_proj = param(rngs, (d, kv, hd), ("embed", "kv_heads", "head_dim"), param_dtype)
        self.o_proj = param(rngs, (h, hd, d), ("heads", "head_dim", "embed"), param_dtype)
        self.mlp_norm = RMSNorm(d, cfg.norm_eps, param_dtype)
        self.gate_proj = param(rngs, (d, m), ("embed", "mlp"), param_dtype)
        self.up_proj = param(rngs, (d, m), ("embed", "mlp"), param_dtype)
        self.down_proj = param(rngs, (m, d), ("mlp", "embed"), param_dtype)

    def _project(self, x: jax.Array, weight: str, spec: str, name: str, key: jax.Array | None) -> jax.Array:
        """``project`` with this weight's LoRA adapter, if it has one (see :func:`gajax.models.lora.add_lora`)."""
        adapter = getattr(self, adapter_name(weight), None)
        if key is not None:
            key = jax.random.fold_in(key, list(TARGETS.values()).index(weight))
        return project(x, getattr(self, weight), spec, self.dtype, name=name, adapter=adapter, dropout_key=key)

    def __call__(
        self,
        x: jax.Array,
        positions: jax.Array,
        attn_mask: jax.Array,
        cache: KVCache | None,
        layer: jax.Array | None,
        segment_mask: jax.Array | None = None,
        key: jax.Array | None = None,
    ) -> tuple[jax.Array, KVCache | None]:
        """One block. ``cache`` holds the keys and values of *all* layers and ``layer`` is this layer's index: only
        the new tokens are written, at ``cache.index`` (in place inside the layer scan), and the cache is returned
        with them. ``segment_mask`` (batch, length, length) is the same-segment mask the ``cudnn`` kernel combines
        with its own causal masking (None: one sequence per row). ``key`` drops LoRA adapter inputs (training)."""
        cfg, dtype = self.cfg, self.dtype
        h = self.attn_norm(x)
        q = self._project(h, "q_proj", "btd,dnh->btnh", "query_proj", key)
        k = self._project(h, "k_proj", "btd,dkh->btkh", "key_proj", key)
        v = self._project(h, "v_proj", "btd,dkh->btkh", "value_proj", key)
        q = rotary(q, positions, cfg.rope_theta, cfg.rope_scaling)
        k = rotary(k, positions, cfg.rope_theta, cfg.rope_scaling)
        q = constrain(q, ("batch", "length", "heads", "head_dim"))
        k = constrain(k, ("batch", "length", "kv_heads", "head_dim"))
        v = constrain(v, ("batch", "length", "kv_heads", "head_dim"))
        if cache is not None:
            zero = jnp.zeros((), jnp.int32)
            start = (layer, zero, cache.index, zero, zero)
            keys = jax.lax.dynamic_update_slice(cache.keys, k.astype(cache.keys.dtype)[None], start)
            values = jax.lax.dynamic_update_slice(cache.values, v.astype(cache.values.dtype)[None], start)
            cache = dataclasses.replace(cache, keys=keys, values=values)
            axes = KVCache.AXES[1:]
            k = constrain(jax.lax.dynamic_index_in_dim(keys, layer, 0, keepdims=False), axes).astype(dtype)
            v = constrain(jax.lax.dynamic_index_in_dim(values, layer, 0, keepdims=False), axes).astype(dtype)
        if self.attention == "cudnn" and cache is None:
            mask = None if segment_mask is None else segment_mask[:, None, :, :]
            attn = jax.nn.dot_product_attention(q, k, v, mask=mask, is_causal=True, implementation="cudnn")
        else:
            attn = jax.nn.dot_product_attention(q, k, v, mask=attn_mask[:, None, :, :])
        attn = constrain(attn, ("batch", "length", "heads", "head_dim"))
        out = self._project(attn, "o_proj", "btnh,nhd->btd", "attn_out", key)
        x = constrain(x + out, ("batch", "length", "embed"))

        h = self.mlp_norm(x)
        gate = self._project(h, "gate_proj", "btd,dm->btm", "mlp_gate", key)
        up = self._project(h, "up_proj", "btd,dm->btm", "mlp_up", key)
        hidden = constrain(jax.nn.silu(gate) * up, ("batch", "length", "mlp"))
        out = self._project(hidden, "down_proj", "btm,md->btd", "mlp_out", key)
        return constrain(x + out, ("batch", "length", "embed")), cache


class Llama(nnx.Module):
    """The decoder: embeddings, ``num_layers`` scanned :class:`DecoderLayer` s, final norm and LM head."""

    def __init__(
        self,
        cfg: LlamaConfig,
        *,
        dtype: Any = jnp.float32,
        param_dtype: Any = jnp.float32,
        remat: str = "none",
        attention: str = "xla",
        scan_unroll: int = 1,
        rngs: nnx.Rngs,
    ):
        if remat not in REMAT_POLICIES:
            raise ValueError(f"unknown remat policy {remat!r}; choose from {sorted(REMAT_POLICIES)}")
        if attention not in ATTENTION_IMPLEMENTATIONS:
            raise ValueError(f"unknown attention {attention!r}; choose from {list(ATTENTION_IMPLEMENTATIONS)}")
        if scan_unroll < 1:
            raise ValueError(f"scan_unroll must be at least 1 (layers per loop iteration), not {scan_unroll}")
        if attention == "cudnn" and jnp.dtype(dtype) not in (jnp.bfloat16, jnp.float16):
            raise ValueError(f"attention='cudnn' needs dtype bfloat16 or float16, not {jnp.dtype(dtype).name}")
        self.cfg, self.dtype, self.remat, self.attention = cfg, dtype, remat, attention
        self.scan_unroll = scan_unroll
        self.embed = param(rngs, (cfg.vocab_size, cfg.embed_dim), ("vocab", "embed"), param_dtype)
        self.layers = stack_layers(
            lambda r: DecoderLayer(cfg, param_dtype=param_dtype, dtype=dtype, attention=attention, rngs=r),
            cfg.num_layers,
            rngs,
        )
        self.final_norm = RMSNorm(cfg.embed_dim, cfg.norm_eps, param_dtype)
        if not cfg.tie_embeddings:
            self.lm_head = param(rngs, (cfg.embed_dim, cfg.vocab_size), ("embed", "vocab"), param_dtype)

    def logits(self, hidden: jax.Array) -> jax.Array:
        """Float32 logits ``(..., vocab)`` of final hidden states ``(..., embed)``: the tied or untied LM head."""
        if self.cfg.tie_embeddings:
            logits = project(hidden, self.embed, "...d,vd->...v", self.dtype)
        else:
            logits = project(hidden, self.lm_head, "...d,dv->...v", self.dtype)
        return logits.astype(jnp.float32)

    def __call__(
        self,
        tokens: jax.Array,
        positions: jax.Array | None = None,
        segment_ids: jax.Array | None = None,
        cache: KVCache | None = None,
        return_hidden: bool = False,
        dropout_key: jax.Array | None = None,
    ) -> tuple[jax.Array, KVCache | None]:
        """Logits ``(batch, length, vocab)`` in float32, and the updated cache when one is given.

        ``segment_ids`` (0 = padding) restricts attention to tokens of the same segment, for padding and packing.
        With a cache, the new tokens are written at ``cache.index`` and attend to every valid earlier slot.
        ``return_hidden`` gives the final-norm hidden states instead of logits (:meth:`logits` maps them).
        ``dropout_key`` (training) turns on the LoRA adapters' dropout.
        """
        batch, length = tokens.shape
        one_segment = segment_ids is None
        if segment_ids is None:
            segment_ids = jnp.ones((batch, length), jnp.int32)
        valid = segment_ids > 0
        if positions is None:
            # Positions count real tokens only, so left padding does not shift them; a cache adds its history.
            earlier = 0 if cache is None else jnp.sum(cache.mask, axis=1, keepdims=True)
            positions = earlier + jnp.maximum(jnp.cumsum(valid, axis=1) - 1, 0)
        tokens = constrain(tokens, ("batch", "length"))
        x = jnp.take(self.embed[...], tokens, axis=0).astype(self.dtype)
        x = constrain(x, ("batch", "length", "embed"))

        segment_mask = None
        if cache is None:
            causal = jnp.tril(jnp.ones((length, length), bool))
            same_segment = segment_ids[:, :, None] == segment_ids[:, None, :]
            attn_mask = causal[None] & same_segment & valid[:, None, :]
            # Without segments every row is one full sequence: the cudnn kernel needs no mask beyond causality.
            segment_mask = None if one_segment else same_segment
        else:
            if length > cache.length:
                raise ValueError(f"{length} new tokens do not fit a cache of {cache.length}")
            key_mask = jax.lax.dynamic_update_slice_in_dim(cache.mask, valid, cache.index, axis=1)
            slots = jnp.arange(cache.length)
            causal = slots[None, :] <= (cache.index + jnp.arange(length))[:, None]
            attn_mask = causal[None] & key_mask[:, None, :]

        # The cache rides in the scan carry so each layer writes only its new tokens in place (as scan outputs,
        # every layer's whole cache would be copied on every decode step).
        def body(layer: DecoderLayer, carry: Any, xs: Any) -> Any:
            h, kv = carry
            i, key = xs
            return layer(h, positions, attn_mask, kv, i, segment_mask, key)

        graphdef, layer_state = nnx.split(self.layers)
        layer_ids = jnp.arange(self.cfg.num_layers, dtype=jnp.int32)
        keys = None if dropout_key is None else jax.random.split(dropout_key, self.cfg.num_layers)
        x, cache = scan_layers(
            graphdef, layer_state, (x, cache), body, (layer_ids, keys), remat=self.remat, unroll=self.scan_unroll
        )

        x = self.final_norm(x)
        out = x if return_hidden else constrain(self.logits(x), ("batch", "length", "vocab"))
        if cache is not None:
            cache = dataclasses.replace(cache, mask=key_mask, index=cache.index + length)
        return out, cache
