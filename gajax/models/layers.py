"""The layers that :mod:`gajax.models.llama` and :mod:`gajax.models.bert` share.

- :func:`param` / :func:`zeros_param`: parameters with ``logical_axes`` metadata (see :mod:`gajax.sharding`);
- :class:`RMSNorm` and :class:`LayerNorm`, both computed in float32;
- :func:`project`: the one place where a projection weight meets an activation;
- :func:`stack_layers` and :func:`scan_layers`: blocks stacked on a leading ``layers`` axis and run with
  ``jax.lax.scan``, optionally rematerialised by a named policy of :data:`REMAT_POLICIES`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import jax
import jax.numpy as jnp
from flax import nnx
from jax.ad_checkpoint import checkpoint_name

from gajax.models.lora import Adapter
from gajax.sharding import prepend_axis

# The checkpoint_name tags that :func:`project` places on the decoder's projections; the remat policies save them.
PROJECTIONS = ("query_proj", "key_proj", "value_proj", "attn_out", "mlp_gate", "mlp_up", "mlp_out")

# Remat policies by name, built on the projection tags above.
REMAT_POLICIES: dict[str, Any] = {
    "none": None,
    "full": jax.checkpoint_policies.nothing_saveable,
    "minimal": jax.checkpoint_policies.save_only_these_names(*PROJECTIONS),
    "save_qkv_proj": jax.checkpoint_policies.save_only_these_names("query_proj", "key_proj", "value_proj"),
    "save_attn_out": jax.checkpoint_policies.save_only_these_names(
        "query_proj", "key_proj", "value_proj", "attn_out"
    ),
    "dots": jax.checkpoint_policies.checkpoint_dots_with_no_batch_dims,
}

Layer = TypeVar("Layer", bound=nnx.Module)


def param(rngs: nnx.Rngs, shape: tuple[int, ...], axes: tuple[str | None, ...], dtype: Any) -> nnx.Param:
    """A weight drawn from N(0, 0.02^2) with its logical axis names."""
    return nnx.Param(0.02 * jax.random.normal(rngs.params(), shape, dtype), logical_axes=axes)


def zeros_param(shape: tuple[int, ...], axes: tuple[str | None, ...], dtype: Any) -> nnx.Param:
    """A zero-initialised parameter (a bias) with its logical axis names."""
    return nnx.Param(jnp.zeros(shape, dtype), logical_axes=axes)


class RMSNorm(nnx.Module):
    """Root-mean-square layer norm, computed in float32."""

    def __init__(self, dim: int, eps: float, param_dtype: Any):
        self.scale = nnx.Param(jnp.ones((dim,), param_dtype), logical_axes=("norm",))
        self.eps = eps

    def __call__(self, x: jax.Array) -> jax.Array:
        x32 = x.astype(jnp.float32)
        normed = x32 * jax.lax.rsqrt(jnp.mean(x32 * x32, axis=-1, keepdims=True) + self.eps)
        return (normed * self.scale[...].astype(jnp.float32)).astype(x.dtype)


class LayerNorm(nnx.Module):
    """Layer norm with scale and bias, computed in float32."""

    def __init__(self, dim: int, eps: float, param_dtype: Any):
        self.scale = nnx.Param(jnp.ones((dim,), param_dtype), logical_axes=("norm",))
        self.bias = nnx.Param(jnp.zeros((dim,), param_dtype), logical_axes=("norm",))
        self.eps = eps

    def __call__(self, x: jax.Array) -> jax.Array:
        x32 = x.astype(jnp.float32)
        mean = jnp.mean(x32, axis=-1, keepdims=True)
        centred = x32 - mean
        var = jnp.mean(centred * centred, axis=-1, keepdims=True)
        normed = centred * jax.lax.rsqrt(var + self.eps)
        out = normed * self.scale[...].astype(jnp.float32) + self.bias[...].astype(jnp.float32)
        return out.astype(x.dtype)


def project(
    x: jax.Array,
    weight: nnx.Param,
    spec: str,
    dtype: Any,
    *,
    bias: nnx.Param | None = None,
    name: str | None = None,
    adapter: Adapter | None = None,
    dropout_key: jax.Array | None = None,
) -> jax.Array:
    """``einsum(spec, x, weight) + bias`` in ``dtype``, tagged ``name`` for the remat policies.

    Every projection of both models (attention, MLP, the LM head) goes through here, so this is the seam for
    weights that are not a plain dense array: a LoRA ``adapter`` (:mod:`gajax.models.lora`) adds its low-rank
    ``dropout(x) @ a @ b * alpha / rank`` term (dropout only with a ``dropout_key``, i.e. in training), and an
    int8/int4 weight would be dequantised in place of the plain einsum. The parameter paths stay those of the
    dense weight, so checkpoints keep loading.
    """
    out = jnp.einsum(spec, x, weight[...].astype(dtype))
    if adapter is not None:
        out = out + adapter(x, spec, dtype, dropout_key)
    if bias is not None:
        out = out + bias[...].astype(dtype)
    return out if name is None else checkpoint_name(out, name)


def stack_layers(make: Callable[[nnx.Rngs], Layer], num_layers: int, rngs: nnx.Rngs) -> Layer:
    """``num_layers`` blocks ``make(rngs)`` stacked on a leading ``layers`` axis (one parameter array per name)."""

    @nnx.vmap(in_axes=0, out_axes=0)
    def stack(key: jax.Array) -> Layer:
        return make(nnx.Rngs(params=key))

    layers = stack(jax.random.split(rngs.params(), num_layers))
    prepend_axis(layers, "layers")
    return layers


def scan_layers(
    graphdef: nnx.GraphDef,
    layer_state: Any,
    carry: Any,
    body: Callable[[Any, Any, Any], Any],
    xs: Any = None,
    *,
    remat: str = "none",
    unroll: int = 1,
) -> Any:
    """Run stacked layers (``nnx.merge(graphdef, layer_state)``, leading ``layers`` axis) with ``jax.lax.scan``.

    ``body(layer, carry, x)`` applies one layer and returns the new carry; ``xs`` holds per-layer inputs (leading
    ``layers`` axis, or None). A pure function of ``layer_state``, so callers can differentiate or slice it.
    """

    def step(c: Any, inputs: Any) -> tuple[Any, None]:
        state, x = inputs
        return body(nnx.merge(graphdef, state), c, x), None

    if remat != "none":
        step = jax.checkpoint(step, policy=REMAT_POLICIES[remat], prevent_cse=False)
    carry, _ = jax.lax.scan(step, carry, (layer_state, xs), unroll=unroll)
    return carry
