"""Losses for Labrador fine-tuning: token and sequence log-probs (SFT) and the DPO family in TRL's names."""

from __future__ import annotations

from typing import Literal

import jax
import jax.numpy as jnp


def token_log_probs(logits: jax.Array, targets: jax.Array) -> jax.Array:
    """log p(target) per position, computed in float32; ``logits`` is ``(batch, length, vocab)``."""
    logits = logits.astype(jnp.float32)
    target_logits = jnp.take_along_axis(logits, targets[..., None], axis=-1)[..., 0]
    return target_logits - jax.nn.logsumexp(logits, axis=-1)


def sequence_log_probs(logits: jax.Array, targets: jax.Array, loss_mask: jax.Array) -> jax.Array:
    """Sum of completion-token log-probs per sequence, ``(batch,)``."""
    return jnp.sum(token_log_probs(logits, targets) * loss_mask.astype(jnp.float32), axis=-1)


PreferenceLoss = Literal["sigmoid", "hinge", "ipo", "robust", "nca_pair"]
PREFERENCE_LOSSES: tuple[str, ...] = PreferenceLoss.__args__


def dpo_loss(
    policy_chosen: jax.Array,
    policy_rejected: jax.Array,
    reference_chosen: jax.Array,
    reference_rejected: jax.Array,
    beta: float = 0.1,
    label_smoothing: float = 0.0,
    loss_type: PreferenceLoss = "sigmoid",
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """A DPO-family loss over per-sequence log-probs, with TRL's names and metrics.

    With ``h = beta * ((pc - rc) - (pr - rr))``: ``sigmoid`` (DPO) ``-[(1-e) log s(h) + e log s(-h)]``; ``hinge``
    (SLiC) ``relu(1 - h)``; ``ipo`` ``(h / beta - 1 / (2 beta))^2`` (IPO expects length-averaged log-probs, see
    :func:`gajax.finetune.step.make_dpo_step`); ``robust`` (cDPO) ``[-(1-e) log s(h) + e log s(-h)] / (1 - 2e)``;
    ``nca_pair`` (NCA) ``-log s(rc') - log s(-rc') / 2 - log s(-rr') / 2`` on the rewards ``rc' = beta (pc - rc)``,
    ``rr' = beta (pr - rr)``, which pushes the chosen reward up in absolute terms, not only relative to the rejected.
    """
    chosen_ratio = policy_chosen - reference_chosen
    rejected_ratio = policy_rejected - reference_rejected
    chosen_reward = beta * chosen_ratio
    rejected_reward = beta * rejected_ratio
    margin = chosen_reward - rejected_reward
    log_sig = jax.nn.log_sigmoid
    if loss_type == "sigmoid":
        losses = -(1.0 - label_smoothing) * log_sig(margin) - label_smoothing * log_sig(-margin)
    elif loss_type == "hinge":
        losses = jax.nn.relu(1.0 - margin)
    elif loss_type == "ipo":
        losses = (chosen_ratio - rejected_ratio - 1.0 / (2.0 * beta)) ** 2
    elif loss_type == "robust":
        losses = (-(1.0 - label_smoothing) * log_sig(margin) + label_smoothing * log_sig(-margin)) / (
            1.0 - 2.0 * label_smoothing
        )
    elif loss_type == "nca_pair":
        losses = -log_sig(chosen_reward) - 0.5 * log_sig(-chosen_reward) - 0.5 * log_sig(-rejected_reward)
    else:
        raise ValueError(f"dpo.loss_type must be one of {', '.join(PREFERENCE_LOSSES)}, got {loss_type!r}")
    loss = losses.mean()
    metrics = {
        "loss": loss,
        "rewards/chosen": chosen_reward.mean(),
        "rewards/rejected": rejected_reward.mean(),
        "rewards/margin": margin.mean(),
        "rewards/accuracy": (chosen_reward > rejected_reward).astype(jnp.float32).mean(),
    }
    return loss, metrics
