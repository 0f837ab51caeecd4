"""Sharded SFT and DPO train steps: optimizer, state shardings and the jitted step functions.

The train state is ``{"params": nnx.State, "opt_state": optax state, "step": int32}``; the model's graph definition
is static. Batches carry a leading gradient-accumulation axis ``(accum, micro_batch, length)``: the step scans over
it and sums token losses, so the update equals that of one big batch. The same functions are lowered ahead of time
for TPU topologies by :mod:`gajax.finetune.aot`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Literal

import jax
import jax.numpy as jnp
import optax
from flax import nnx
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from gajax.finetune.losses import PreferenceLoss, dpo_loss, sequence_log_probs, token_log_probs
from gajax.sharding import logical_to_spec, state_shardings

Batch = dict[str, jax.Array]
TrainState = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class OptimizerConfig:
    """AdamW with linear warm-up and a decay schedule; global-norm clipping."""

    learning_rate: float = 5e-6
    warmup_steps: int = 0
    decay: Literal["cosine", "linear", "constant"] = "cosine"
    end_learning_rate_ratio: float = 0.0
    weight_decay: float = 0.0
    b1: float = 0.9
    b2: float = 0.95
    eps: float = 1e-8
    max_grad_norm: float = 1.0


def build_optimizer(cfg: OptimizerConfig, total_steps: int) -> optax.GradientTransformation:
    """The optax chain for ``cfg`` over ``total_steps`` updates."""
    warmup = min(cfg.warmup_steps, max(total_steps - 1, 0))
    decay_steps = max(total_steps - warmup, 1)
    end = cfg.learning_rate * cfg.end_learning_rate_ratio
    if cfg.decay == "cosine":
        decay = optax.cosine_decay_schedule(cfg.learning_rate, decay_steps, alpha=cfg.end_learning_rate_ratio)
    elif cfg.decay == "linear":
        decay = optax.linear_schedule(cfg.learning_rate, end, decay_steps)
    else:
        decay = optax.constant_schedule(cfg.learning_rate)
    schedule = optax.join_schedules([optax.linear_schedule(0.0, cfg.learning_rate, warmup), decay], [warmup])
    parts = [] if cfg.max_grad_norm <= 0 else [optax.clip_by_global_norm(cfg.max_grad_norm)]
    parts.append(optax.adamw(schedule, b1=cfg.b1, b2=cfg.b2, eps=cfg.eps, weight_decay=cfg.weight_decay))
    return optax.chain(*parts)


def _is_var(x: Any) -> bool:
    return isinstance(x, nnx.Variable)


def train_state_shardings(
    tx: optax.GradientTransformation, abstract_params: nnx.State, mesh: Mesh
) -> dict[str, Any]:
    """NamedShardings for the whole train state: optimizer moments follow their parameters."""
    param_shardings = state_shardings(abstract_params, mesh)
    abstract_opt = jax.eval_shape(tx.init, abstract_params)
    replicated = NamedSharding(mesh, PartitionSpec())
    opt_shardings = optax.tree_map_params(
        tx,
        lambda _, sharding: sharding,
        abstract_opt,
        param_shardings,
        transform_non_params=lambda _: replicated,
        is_leaf=_is_var,
    )
    return {"params": param_shardings, "opt_state": opt_shardings, "step": replicated}


def batch_shardings(mesh: Mesh, ranks: dict[str, int], accumulation: bool = True) -> dict[str, NamedSharding]:
    """Shardings of batch arrays ``(accum, batch, ...)`` by key: the batch axis over data and fsdp."""
    out = {}
    for key, rank in ranks.items():
        axes = ("batch", "length")[: rank - int(accumulation)]
        spec = logical_to_spec(axes, mesh_axes=mesh.axis_names)
        out[key] = NamedSharding(mesh, PartitionSpec(None, *spec) if accumulation else spec)
    return out


def init_train_state(params: nnx.State, tx: optax.GradientTransformation) -> TrainState:
    """A fresh train state (step 0) around existing parameters."""
    return {"params": params, "opt_state": tx.init(params), "step": jnp.zeros((), jnp.int32)}


def _forward(graphdef: nnx.GraphDef, params: nnx.State, mb: Batch) -> jax.Array:
    model = nnx.merge(graphdef, params)
    logits, _ = model(mb["inputs"], positions=mb["positions"], segment_ids=mb.get("segment_ids"))
    return logits


def _apply(tx: optax.GradientTransformation, state: TrainState, grads: Any) -> tuple[TrainState, jax.Array]:
    updates, opt_state = tx.update(grads, state["opt_state"], state["params"])
    params = optax.apply_updates(state["params"], updates)
    return {"params": params, "opt_state": opt_state, "step": state["step"] + 1}, optax.global_norm(grads)


def make_sft_step(graphdef: nnx.GraphDef, tx: optax.GradientTransformation) -> Callable[..., Any]:
    """``step(state, batch) -> (state, metrics)`` for masked next-token cross-entropy."""

    def step(state: TrainState, batch: Batch) -> tuple[TrainState, dict[str, jax.Array]]:
        def micro_grads(mb: Batch) -> tuple[Any, jax.Array, jax.Array]:
            def nll(params: nnx.State) -> jax.Array:
                logp = token_log_probs(_forward(graphdef, params, mb), mb["targets"])
                return -jnp.sum(logp * mb["loss_mask"])

            value, grads = jax.value_and_grad(nll)(state["params"])
            return grads, value, jnp.sum(mb["loss_mask"])

        def accumulate(carry: Any, mb: Batch) -> tuple[Any, None]:
            grads, nll_sum, count = micro_grads(mb)
            return jax.tree.map(jnp.add, carry, (grads, nll_sum, count)), None

        if batch["inputs"].shape[0] == 1:  # no accumulation: no zero buffer, no adds
            grads, nll_sum, count = micro_grads(jax.tree.map(lambda a: a[0], batch))
        else:
            zeros = (jax.tree.map(jnp.zeros_like, state["params"]), jnp.zeros(()), jnp.zeros(()))
            (grads, nll_sum, count), _ = jax.lax.scan(accumulate, zeros, batch)
        denom = jnp.maximum(count, 1).astype(jnp.float32)
        grads = jax.tree.map(lambda g: g / denom, grads)
        new_state, grad_norm = _apply(tx, state, grads)
        return new_state, {"loss": nll_sum / denom, "loss_tokens": count, "grad_norm": grad_norm}

    return step


def make_sequence_logp(graphdef: nnx.GraphDef) -> Callable[[nnx.State, Batch], jax.Array]:
    """``logp(params, batch) -> (batch,)`` summed completion log-probs (reference pass for DPO)."""

    def logp(params: nnx.State, batch: Batch) -> jax.Array:
        return sequence_log_probs(_forward(graphdef, params, batch), batch["targets"], batch["loss_mask"])

    return logp


def make_dpo_step(
    graphdef: nnx.GraphDef,
    tx: optax.GradientTransformation,
    beta: float,
    label_smoothing: float,
    loss_type: PreferenceLoss = "sigmoid",
) -> Callable[..., Any]:
    """``step(state, batch) -> (state, metrics)``; each micro-batch holds chosen rows then rejected rows (one
    forward pass) and their precomputed reference log-probs (sums) in ``batch["reference_logps"]``. For ``ipo``
    the policy and reference log-probs are averaged over each completion's tokens, as TRL does."""

    def step(state: TrainState, batch: Batch) -> tuple[TrainState, dict[str, jax.Array]]:
        accum = batch["inputs"].shape[0]

        def micro(grads_sum: Any, mb: Batch) -> tuple[Any, dict[str, jax.Array]]:
            def loss_fn(params: nnx.State) -> tuple[jax.Array, dict[str, jax.Array]]:
                logps = sequence_log_probs(_forward(graphdef, params, mb), mb["targets"], mb["loss_mask"])
                ref = mb["reference_logps"]
                if loss_type == "ipo":
                    tokens = jnp.maximum(mb["loss_mask"].sum(axis=-1), 1).astype(jnp.float32)
                    logps, ref = logps / tokens, ref / tokens
                half = logps.shape[0] // 2
                return dpo_loss(
                    logps[:half], logps[half:], ref[:half], ref[half:], beta, label_smoothing, loss_type
                )

            (_, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(state["params"])
            return jax.tree.map(jnp.add, grads_sum, grads), metrics

        zeros = jax.tree.map(jnp.zeros_like, state["params"])
        grads, metrics = jax.lax.scan(micro, zeros, batch)
        grads = jax.tree.map(lambda g: g / accum, grads)
        new_state, grad_norm = _apply(tx, state, grads)
        metrics = jax.tree.map(jnp.mean, metrics)
        return new_state, {**metrics, "grad_norm": grad_norm}

    return step


def jit_step(
    step: Callable[..., Any], state_shardings: dict[str, Any], batch_shardings: dict[str, Any], mesh: Mesh
) -> Callable[..., Any]:
    """``jax.jit`` a train step with explicit shardings, donating the old state."""
    replicated = NamedSharding(mesh, PartitionSpec())
    return jax.jit(
        step,
        in_shardings=(state_shardings, batch_shardings),
        out_shardings=(state_shardings, replicated),
        donate_argnames=("state",),
    )
