"""The SFT and DPO train steps: gradient functions on :mod:`gajax.trainer`'s state, and the batch layout.

The train state is :func:`gajax.trainer.init_train_state`'s ``{"params", "opt_state", "step"}``; the model's graph
definition is static. Batches carry a leading gradient-accumulation axis ``(accum, micro_batch, length)``: the step
scans over it and sums token losses, so the update equals that of one big batch. ``gajax aot`` lowers the same step
(:func:`finetune_step`) for TPU topologies.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import optax
from flax import nnx

from gajax.finetune.losses import PreferenceLoss, dpo_loss, sequence_log_probs, token_log_probs
from gajax.trainer import Batch, Metrics, StepFn, TrainState, apply_gradients

ROW_KEYS = ("inputs", "targets", "loss_mask", "segment_ids", "positions")


def batch_axes(mode: str) -> dict[str, tuple[str | None, ...]]:
    """Logical axes of a finetune batch: rows ``(accum, batch, length)``; DPO's reference log-probs
    ``(accum, batch)``."""
    axes: dict[str, tuple[str | None, ...]] = dict.fromkeys(ROW_KEYS, (None, "batch", "length"))
    if mode == "dpo":
        axes["reference_logps"] = (None, "batch")
    return axes


def _forward(graphdef: nnx.GraphDef, params: nnx.State, mb: Batch, frozen: nnx.State | None = None,
             dropout_key: jax.Array | None = None) -> jax.Array:
    """Logits of a micro-batch; ``frozen`` completes ``params`` (a LoRA run's base), ``dropout_key`` drops the
    adapters' inputs."""
    model = nnx.merge(graphdef, params, *(() if frozen is None else (frozen,)))
    logits, _ = model(mb["inputs"], positions=mb["positions"], segment_ids=mb.get("segment_ids"),
                      dropout_key=dropout_key)
    return logits


def _dropout_keys(seed: int | None, step: jax.Array, accum: int) -> jax.Array | None:
    """One dropout key per micro-batch, a function of (seed, step) so a resumed run drops the same inputs."""
    if seed is None:
        return None
    return jax.random.split(jax.random.fold_in(jax.random.key(seed), step), accum)


def make_sft_step(graphdef: nnx.GraphDef, tx: optax.GradientTransformation, dropout_seed: int | None = None) -> StepFn:
    """``step(state, batch, frozen=None) -> (state, metrics)`` for masked next-token cross-entropy; ``frozen``
    holds untrained parameters (a LoRA run's base), ``dropout_seed`` turns on LoRA dropout."""

    def step(state: TrainState, batch: Batch, frozen: nnx.State | None = None) -> tuple[TrainState, Metrics]:
        def micro_grads(mb: Batch, key: jax.Array | None) -> tuple[Any, jax.Array, jax.Array]:
            def nll(params: nnx.State) -> jax.Array:
                logp = token_log_probs(_forward(graphdef, params, mb, frozen, key), mb["targets"])
                return -jnp.sum(logp * mb["loss_mask"])

            value, grads = jax.value_and_grad(nll)(state["params"])
            return grads, value, jnp.sum(mb["loss_mask"])

        def accumulate(carry: Any, xs: Any) -> tuple[Any, None]:
            grads, nll_sum, count = micro_grads(*xs)
            return jax.tree.map(jnp.add, carry, (grads, nll_sum, count)), None

        keys = _dropout_keys(dropout_seed, state["step"], batch["inputs"].shape[0])
        if batch["inputs"].shape[0] == 1:  # no accumulation: no zero buffer, no adds
            grads, nll_sum, count = micro_grads(jax.tree.map(lambda a: a[0], batch), None if keys is None else keys[0])
        else:
            zeros = (jax.tree.map(jnp.zeros_like, state["params"]), jnp.zeros(()), jnp.zeros(()))
            (grads, nll_sum, count), _ = jax.lax.scan(accumulate, zeros, (batch, keys))
        denom = jnp.maximum(count, 1).astype(jnp.float32)
        grads = jax.tree.map(lambda g: g / denom, grads)
        new_state, grad_norm = apply_gradients(tx, state, grads)
        return new_state, {"loss": nll_sum / denom, "loss_tokens": count, "grad_norm": grad_norm}

    return step


def make_sequence_logp(graphdef: nnx.GraphDef) -> Callable[..., jax.Array]:
    """``logp(params, batch, frozen=None) -> (batch,)`` summed completion log-probs (reference pass for DPO)."""

    def logp(params: nnx.State, batch: Batch, frozen: nnx.State | None = None) -> jax.Array:
        return sequence_log_probs(_forward(graphdef, params, batch, frozen), batch["targets"], batch["loss_mask"])

    return logp


def make_dpo_step(
    graphdef: nnx.GraphDef,
    tx: optax.GradientTransformation,
    beta: float,
    label_smoothing: float,
    loss_type: PreferenceLoss = "sigmoid",
    dropout_seed: int | None = None,
) -> StepFn:
    """``step(state, batch, frozen=None) -> (state, metrics)`` (``frozen`` and ``dropout_seed`` as for
    :func:`make_sft_step`); each micro-batch holds chosen rows then rejected rows (one
    forward pass) and their precomputed reference log-probs (sums) in ``batch["reference_logps"]``. For ``ipo``
    the policy and reference log-probs are averaged over each completion's tokens, as TRL does."""

    def step(state: TrainState, batch: Batch, frozen: nnx.State | None = None) -> tuple[TrainState, Metrics]:
        accum = batch["inputs"].shape[0]

        def micro(grads_sum: Any, xs: Any) -> tuple[Any, dict[str, jax.Array]]:
            mb, key = xs

            def loss_fn(params: nnx.State) -> tuple[jax.Array, dict[str, jax.Array]]:
                logps = sequence_log_probs(_forward(graphdef, params, mb, frozen, key), mb["targets"], mb["loss_mask"])
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
        keys = _dropout_keys(dropout_seed, state["step"], accum)
        grads, metrics = jax.lax.scan(micro, zeros, (batch, keys))
        grads = jax.tree.map(lambda g: g / accum, grads)
        new_state, grad_norm = apply_gradients(tx, state, grads)
        metrics = jax.tree.map(jnp.mean, metrics)
        return new_state, {**metrics, "grad_norm": grad_norm}

    return step


def finetune_step(
    graphdef: nnx.GraphDef, tx: optax.GradientTransformation, mode: str, beta: float = 0.1,
    label_smoothing: float = 0.0, loss_type: PreferenceLoss = "sigmoid", dropout_seed: int | None = None,
) -> StepFn:
    """The train step of ``gajax sft`` (``mode="sft"``) or ``gajax dpo`` (with its DPO settings)."""
    if mode == "sft":
        return make_sft_step(graphdef, tx, dropout_seed)
    return make_dpo_step(graphdef, tx, beta, label_smoothing, loss_type, dropout_seed)
