"""Losses for Labrador fine-tuning: masked next-token cross-entropy (SFT) and DPO (TRL's sigmoid loss)."""

from __future__ import annotations

import jax
import jax.numpy as jnp


def token_log_probs(logits: jax.Array, targets: jax.Array) -> jax.Array:
    """log p(target) per position, computed in float32; ``logits`` is ``(batch, length, vocab)``."""
    logits = logits.astype(jnp.float32)
    target_logits = jnp.take_along_axis(logits, targets[..., None], axis=-1)[..., 0]
    return target_logits - jax.nn.logsumexp(logits, axis=-1)


def sft_loss(logits: jax.Array, targets: jax.Array, loss_mask: jax.Array) -> tuple[jax.Array, dict[str, jax.Array]]:
    """Mean cross-entropy over the tokens where ``loss_mask`` is 1 (response tokens only)."""
    mask = loss_mask.astype(jnp.float32)
    nll = -token_log_probs(logits, targets) * mask
    count = jnp.maximum(mask.sum(), 1.0)
    loss = nll.sum() / count
    return loss, {"loss": loss, "loss_tokens": mask.sum()}


def sequence_log_probs(logits: jax.Array, targets: jax.Array, loss_mask: jax.Array) -> jax.Array:
    """Sum of completion-token log-probs per sequence, ``(batch,)``."""
    return jnp.sum(token_log_probs(logits, targets) * loss_mask.astype(jnp.float32), axis=-1)


def dpo_loss(
    policy_chosen: jax.Array,
    policy_rejected: jax.Array,
    reference_chosen: jax.Array,
    reference_rejected: jax.Array,
    beta: float = 0.1,
    label_smoothing: float = 0.0,
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """DPO sigmoid loss ``-[(1-e) log s(b D) + e log s(-b D)]`` with D the log-ratio margin, and TRL's metrics."""
    chosen_ratio = policy_chosen - reference_chosen
    rejected_ratio = policy_rejected - reference_rejected
    margin = beta * (chosen_ratio - rejected_ratio)
    losses = -(1.0 - label_smoothing) * jax.nn.log_sigmoid(margin) - label_smoothing * jax.nn.log_sigmoid(-margin)
    loss = losses.mean()
    chosen_reward = beta * chosen_ratio
    rejected_reward = beta * rejected_ratio
    metrics = {
        "loss": loss,
        "rewards/chosen": chosen_reward.mean(),
        "rewards/rejected": rejected_reward.mean(),
        "rewards/margin": (chosen_reward - rejected_reward).mean(),
        "rewards/accuracy": (chosen_reward > rejected_reward).astype(jnp.float32).mean(),
    }
    return loss, metrics
