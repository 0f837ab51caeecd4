"""BERT-family encoder in Flax NNX: learned absolute positions, token types, post-LN blocks, exact GELU.

The layout follows :mod:`gajax.models.llama` and shares its layers (:mod:`gajax.models.layers`): every parameter
carries ``logical_axes`` metadata, activations are constrained by logical name, and the layers are stacked on a
leading ``layers`` axis and run with ``jax.lax.scan``. The same module holds bert-base-uncased and MiniLM
(all-MiniLM-L6-v2) checkpoints.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from gajax.config import load_config
from gajax.models import layers
from gajax.models.layers import LayerNorm, param, project, stack_layers, zeros_param
from gajax.sharding import constrain


@dataclasses.dataclass(frozen=True)
class BertConfig:
    """Architecture only: the numbers that decide the shapes and the maths of a BERT checkpoint."""

    vocab_size: int
    embed_dim: int
    num_layers: int
    num_heads: int
    mlp_dim: int
    max_positions: int = 512
    type_vocab_size: int = 2
    norm_eps: float = 1e-12
    pad_token_id: int = 0

    def __post_init__(self) -> None:
        if self.embed_dim % self.num_heads:
            raise ValueError(f"embed_dim {self.embed_dim} is not a multiple of num_heads {self.num_heads}")

    @property
    def head_dim(self) -> int:
        """Width of one attention head."""
        return self.embed_dim // self.num_heads


def load_bert_arch(name_or_path: str) -> BertConfig:
    """Load a BERT architecture file: a shipped name (``minilm_l6``, ``bert_base_uncased``, ``bert_tiny``) or a path."""
    return load_config(BertConfig, name_or_path, group="model")


class EncoderLayer(nnx.Module):
    """Post-LN block: ``x = LN(x + attention(x))``, ``x = LN(x + mlp(x))``."""

    def __init__(self, cfg: BertConfig, *, param_dtype: Any, dtype: Any, rngs: nnx.Rngs):
        d, h, hd, m = cfg.embed_dim, cfg.num_heads, cfg.head_dim, cfg.mlp_dim
        self.dtype = dtype
        self.q_proj = param(rngs, (d, h, hd), ("embed", "heads", "head_dim"), param_dtype)
        self.q_bias = zeros_param((h, hd), ("heads", "head_dim"), param_dtype)
        self.k_proj = param(rngs, (d, h, hd), ("embed", "heads", "head_dim"), param_dtype)
        self.k_bias = zeros_param((h, hd), ("heads", "head_dim"), param_dtype)
        self.v_proj = param(rngs, (d, h, hd), ("embed", "heads", "head_dim"), param_dtype)
        self.v_bias = zeros_param((h, hd), ("heads", "head_dim"), param_dtype)
        self.o_proj = param(rngs, (h, hd, d), ("heads", "head_dim", "embed"), param_dtype)
        self.o_bias = zeros_param((d,), ("norm",), param_dtype)
        self.attn_norm = LayerNorm(d, cfg.norm_eps, param_dtype)
        self.up_proj = param(rngs, (d, m), ("embed", "mlp"), param_dtype)
        self.up_bias = zeros_param((m,), ("mlp",), param_dtype)
        self.down_proj = param(rngs, (m, d), ("mlp", "embed"), param_dtype)
        self.down_bias = zeros_param((d,), ("norm",), param_dtype)
        self.mlp_norm = LayerNorm(d, cfg.norm_eps, param_dtype)

    def __call__(self, x: jax.Array, key_mask: jax.Array) -> jax.Array:
        dtype = self.dtype
        q = project(x, self.q_proj, "btd,dnh->btnh", dtype, bias=self.q_bias)
        k = project(x, self.k_proj, "btd,dnh->btnh", dtype, bias=self.k_bias)
        v = project(x, self.v_proj, "btd,dnh->btnh", dtype, bias=self.v_bias)
        q = constrain(q, ("batch", "length", "heads", "head_dim"))
        k = constrain(k, ("batch", "length", "heads", "head_dim"))
        v = constrain(v, ("batch", "length", "heads", "head_dim"))
        attn = jax.nn.dot_product_attention(q, k, v, mask=key_mask[:, None, None, :])
        attn = constrain(attn, ("batch", "length", "heads", "head_dim"))
        out = project(attn, self.o_proj, "btnh,nhd->btd", dtype, bias=self.o_bias)
        x = self.attn_norm(constrain(x + out, ("batch", "length", "embed")))

        hidden = project(x, self.up_proj, "btd,dm->btm", dtype, bias=self.up_bias)
        hidden = constrain(jax.nn.gelu(hidden, approximate=False), ("batch", "length", "mlp"))
        out = project(hidden, self.down_proj, "btm,md->btd", dtype, bias=self.down_bias)
        return self.mlp_norm(constrain(x + out, ("batch", "length", "embed")))


class Bert(nnx.Module):
    """The encoder: word + position + token-type embeddings, embedding norm, ``num_layers`` scanned layers."""

    def __init__(self, cfg: BertConfig, *, dtype: Any = jnp.float32, param_dtype: Any = jnp.float32, rngs: nnx.Rngs):
        self.cfg, self.dtype = cfg, dtype
        self.embed = param(rngs, (cfg.vocab_size, cfg.embed_dim), ("vocab", "embed"), param_dtype)
        self.position_embed = param(rngs, (cfg.max_positions, cfg.embed_dim), ("length", "embed"), param_dtype)
        self.type_embed = param(rngs, (cfg.type_vocab_size, cfg.embed_dim), (None, "embed"), param_dtype)
        self.embed_norm = LayerNorm(cfg.embed_dim, cfg.norm_eps, param_dtype)
        self.layers = stack_layers(
            lambda r: EncoderLayer(cfg, param_dtype=param_dtype, dtype=dtype, rngs=r), cfg.num_layers, rngs
        )

    def __call__(
        self, tokens: jax.Array, attention_mask: jax.Array | None = None, token_types: jax.Array | None = None
    ) -> jax.Array:
        """Hidden states ``(batch, length, embed)`` for right-padded ``tokens``; ``attention_mask`` 1 = real token."""
        if attention_mask is None:
            attention_mask = jnp.ones(tokens.shape, jnp.int32)
        return self.run_layers(self.embed_inputs(tokens, token_types), attention_mask)

    def embed_inputs(self, tokens: jax.Array, token_types: jax.Array | None = None) -> jax.Array:
        """Normalised word + position + token-type embeddings ``(batch, length, embed)``: the first layer's input."""
        batch, length = tokens.shape
        if length > self.cfg.max_positions:
            raise ValueError(f"{length} tokens exceed the {self.cfg.max_positions} learned positions")
        if token_types is None:
            token_types = jnp.zeros((batch, length), jnp.int32)
        tokens = constrain(tokens, ("batch", "length"))
        x = jnp.take(self.embed[...], tokens, axis=0)
        x = x + self.position_embed[...][:length][None] + jnp.take(self.type_embed[...], token_types, axis=0)
        return self.embed_norm(constrain(x.astype(self.dtype), ("batch", "length", "embed")))

    def run_layers(self, x: jax.Array, attention_mask: jax.Array, start: int = 0, stop: int | None = None) -> jax.Array:
        """Layers ``start:stop`` (Python slice semantics) applied to hidden states ``x``."""
        graphdef, layer_state = nnx.split(self.layers)
        return scan_layers(graphdef, jax.tree.map(lambda a: a[start:stop], layer_state), x, attention_mask)


def scan_layers(graphdef: Any, layer_state: Any, x: jax.Array, attention_mask: jax.Array) -> jax.Array:
    """Run the stacked encoder layers ``nnx.merge(graphdef, layer_state)`` (leading ``layers`` axis) over ``x``; a
    pure function of ``layer_state``, so callers can differentiate or slice it."""
    key_mask = attention_mask > 0
    return layers.scan_layers(graphdef, layer_state, x, lambda layer, h, _: layer(h, key_mask))


def random_bert(cfg: BertConfig, seed: int = 0, *, dtype: Any = jnp.float32, param_dtype: Any = jnp.float32) -> Bert:
    """A randomly initialised :class:`Bert` drawn on the host with NumPy (no compilation; same init scheme)."""
    factory = lambda: Bert(cfg, dtype=dtype, param_dtype=param_dtype, rngs=nnx.Rngs(0))
    graphdef, state = nnx.split(nnx.eval_shape(factory))
    rng = np.random.default_rng(seed)

    def draw(path: tuple[Any, ...], leaf: Any) -> jax.Array:
        name = str(getattr(path[-1], "key", path[-1]))
        if name == "scale":
            value = np.ones(leaf.shape, np.float32)
        elif name == "bias" or name.endswith("_bias"):
            value = np.zeros(leaf.shape, np.float32)
        else:
            value = 0.02 * rng.standard_normal(leaf.shape, np.float32)
        return jnp.asarray(value, param_dtype)

    pure = jax.tree_util.tree_map_with_path(draw, nnx.to_pure_dict(state))
    nnx.replace_by_pure_dict(state, pure)
    return nnx.merge(graphdef, state)
