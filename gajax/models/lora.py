"""LoRA adapters on the decoder's projections: ``y = x W + (dropout(x) A) B * alpha / rank``.

:func:`add_lora` gives each targeted projection of a :class:`~gajax.models.llama.Llama` an :class:`Adapter` (``a``,
``b``: :class:`LoRAParam`, stacked on the ``layers`` axis like the base weights, ``b`` zero so the model starts equal
to its base); :func:`gajax.models.layers.project` adds its term, so merged weights are never materialised in
training. Training splits the model by :class:`LoRAParam`: only the adapter is trained and checkpointed, the base
stays frozen and is shared by DPO's reference (the adapter off: :func:`adapter_off`). :func:`merge_lora` folds the
adapter into the base weights for HF export; :func:`base_fingerprint` names the base an adapter belongs to.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

# Target name -> the decoder layer's weight attribute.
TARGETS: dict[str, str] = {
    "q": "q_proj", "k": "k_proj", "v": "v_proj", "o": "o_proj", "gate": "gate_proj", "up": "up_proj",
    "down": "down_proj",
}
# How many leading dimensions of each weight are the input side (the rest is the output side).
_INPUT_DIMS = {"q_proj": 1, "k_proj": 1, "v_proj": 1, "o_proj": 2, "gate_proj": 1, "up_proj": 1, "down_proj": 1}
_RANK_LETTER = "r"


@dataclasses.dataclass(frozen=True)
class LoRAConfig:
    """The ``lora`` section of ``sft``/``dpo``: ``rank`` (0: off, the whole model is trained), ``alpha`` (the
    adapter's output is scaled by ``alpha / rank``), ``dropout`` on the adapter's input while training, and the
    projections it targets (``q k v o gate up down``)."""

    rank: int = 0
    alpha: float = 16.0
    dropout: float = 0.05
    targets: tuple[str, ...] = tuple(TARGETS)

    def __post_init__(self) -> None:
        if self.rank < 0 or self.alpha <= 0 or not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"lora needs rank >= 0, alpha > 0 and 0 <= dropout < 1, got rank {self.rank}, "
                             f"alpha {self.alpha}, dropout {self.dropout}")
        unknown = sorted(set(self.targets) - set(TARGETS))
        if unknown or (self.rank and not self.targets):
            raise ValueError(f"lora.targets {list(self.targets)}: choose some of {' '.join(TARGETS)}")

    @property
    def scale(self) -> float:
        return self.alpha / self.rank


class LoRAParam(nnx.Param):
    """An adapter parameter: the only kind a LoRA run trains and checkpoints."""


class Adapter(nnx.Module):
    """The low-rank pair of one projection: ``a`` (input dims..., rank), ``b`` (rank, output dims...)."""

    def __init__(self, a: LoRAParam, b: LoRAParam, scale: float, dropout: float):
        self.a, self.b, self.scale, self.dropout = a, b, scale, dropout

    def __call__(self, x: jax.Array, spec: str, dtype: Any, key: jax.Array | None) -> jax.Array:
        """The adapter's term for the projection ``einsum(spec, x, weight)``; ``key`` (training) drops inputs."""
        inputs, out = spec.split("->")
        x_sub, w_sub = inputs.split(",")
        if _RANK_LETTER in spec:
            raise ValueError(f"LoRA cannot adapt projection {spec!r}")
        contracted = w_sub[: self.a.ndim - 1]
        middle = "".join(c for c in x_sub if c not in contracted) + _RANK_LETTER
        if key is not None and self.dropout > 0:
            keep = jax.random.bernoulli(key, 1.0 - self.dropout, x.shape)
            x = jnp.where(keep, x / (1.0 - self.dropout), 0).astype(x.dtype)
        low = jnp.einsum(f"{x_sub},{contracted}{_RANK_LETTER}->{middle}", x, self.a[...].astype(dtype))
        term = jnp.einsum(f"{middle},{_RANK_LETTER}{w_sub[len(contracted):]}->{out}", low, self.b[...].astype(dtype))
        return term * jnp.asarray(self.scale, dtype)


def adapter_name(weight: str) -> str:
    """The decoder layer's attribute that holds ``weight``'s adapter."""
    return f"{weight}_lora"


def add_lora(model: Any, cfg: LoRAConfig, seed: int = 0) -> Any:
    """Give ``model`` (a Llama) the adapters ``cfg`` asks for, in place, and return it: ``a`` uniform in
    +-1/sqrt(fan_in) (as PEFT), ``b`` zero; logical axes like the base weight's, with ``lora_rank`` between. The
    new arrays are not placed on a mesh (the caller lays out the adapter state it trains or restores)."""
    layers = model.layers
    key = jax.random.key(seed)
    for i, target in enumerate(cfg.targets):
        weight = getattr(layers, TARGETS[target])
        axes = weight.get_metadata()["logical_axes"]  # ("layers", in..., out...)
        split = 1 + _INPUT_DIMS[TARGETS[target]]
        shape_in, shape_out = weight.shape[1:split], weight.shape[split:]
        num_layers, fan_in = weight.shape[0], math.prod(shape_in)
        bound = 1.0 / math.sqrt(fan_in)
        a = jax.random.uniform(jax.random.fold_in(key, i), (num_layers, *shape_in, cfg.rank), weight.dtype,
                               -bound, bound)
        b = jnp.zeros((num_layers, cfg.rank, *shape_out), weight.dtype)
        pair = Adapter(
            LoRAParam(a, logical_axes=(*axes[:split], "lora_rank")),
            LoRAParam(b, logical_axes=("layers", "lora_rank", *axes[split:])),
            cfg.scale, cfg.dropout,
        )
        setattr(layers, adapter_name(TARGETS[target]), pair)
    return model


def adapter_off(adapter: Any) -> Any:
    """The adapter state with every ``b`` zero: the model computes exactly its base (DPO's reference)."""
    return jax.tree_util.tree_map_with_path(
        lambda path, v: jnp.zeros_like(v) if getattr(path[-1], "key", None) == "b" else v, adapter
    )


def merge_lora(model: Any) -> None:
    """Fold every adapter into its base weight (``W + A B alpha / rank``), in place, and switch it off."""
    layers = model.layers
    for weight_name in TARGETS.values():
        pair = getattr(layers, adapter_name(weight_name), None)
        if pair is None:
            continue
        weight = getattr(layers, weight_name)
        a, b = pair.a[...].astype(jnp.float32), pair.b[...].astype(jnp.float32)
        delta = jnp.einsum("lir,lro->lio", a.reshape(a.shape[0], -1, a.shape[-1]),
                           b.reshape(b.shape[0], b.shape[1], -1))
        weight[...] = (weight[...].astype(jnp.float32) + pair.scale * delta.reshape(weight.shape)).astype(weight.dtype)
        pair.b[...] = jnp.zeros_like(pair.b[...])


def base_fingerprint(base: Any) -> str:
    """A short hash of the base weights: per tensor its path, shape, sum of squares, sum of magnitudes and a
    normalised cosine-weighted sum, rounded so the device count does not change it; computed where the weights
    live (nothing is gathered on a pod)."""
    leaves = jax.tree_util.tree_leaves_with_path(base)

    def sums(x: jax.Array) -> jax.Array:
        x = x.astype(jnp.float32).ravel()
        squares = jnp.sum(x * x)
        wave = jnp.sum(x * jnp.cos(jnp.arange(x.size, dtype=jnp.float32)))
        return jnp.stack([squares, jnp.sum(jnp.abs(x)), wave / jnp.sqrt(jnp.maximum(squares * x.size, 1e-30))])

    values = jax.jit(lambda xs: [sums(x) for x in xs])([leaf for _, leaf in leaves])
    digest = hashlib.sha256()
    for (path, leaf), (squares, magnitudes, wave) in zip(leaves, np.asarray(values, np.float64), strict=True):
        digest.update(f"{jax.tree_util.keystr(path)}{tuple(leaf.shape)}{squares:.4e}{magnitudes:.4e}{wave:.4f}".encode())
    return digest.hexdigest()[:16]


def lora_params(model: Any) -> int:
    """How many adapter parameters ``model`` holds."""
    return sum(int(np.prod(v.shape)) for v in jax.tree.leaves(nnx.state(model, LoRAParam)))


def describe_base(info: dict[str, Any]) -> str:
    """``weights (arch A, fingerprint F)`` of a base as :func:`base_info` records it."""
    arch = info.get("arch") or "of the weights"
    return f"{info.get('weights')!r} (arch {arch}, fingerprint {info.get('fingerprint')})"


def base_info(weights: str, arch: str, base: Any) -> dict[str, Any]:
    """What an adapter's checkpoint records about its base: the weights setting, the arch setting and
    :func:`base_fingerprint` of the base parameters."""
    return {"weights": weights, "arch": arch, "fingerprint": base_fingerprint(base)}


def check_adapter_base(metadata: dict[str, Any], base: dict[str, Any], where: str) -> None:
    """Refuse, naming both bases, a LoRA checkpoint (``metadata``) made on another base than ``base``."""
    saved = metadata.get("lora_base")
    if not isinstance(saved, dict):
        raise ValueError(f"{where} holds no LoRA adapter (a full fine-tuning checkpoint); use another directory")
    if saved.get("fingerprint") != base.get("fingerprint"):
        raise ValueError(f"{where} holds a LoRA adapter for base {describe_base(saved)}, not for this base "
                         f"{describe_base(base)}")
