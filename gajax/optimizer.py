"""The one optimizer builder of every gajax trainer: AdamW after global-norm clipping, with a warm-up and decay.

SFT, DPO, ``train-retriever``, the seed query adapter and the tuned top layers all take their optax chain from
:func:`build_optimizer`; a trainer that needs another schedule adds a ``decay`` here rather than its own chain.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import jax
import optax


@dataclasses.dataclass(frozen=True)
class OptimizerConfig:
    """AdamW with a linear warm-up over ``warmup_steps`` (at most the schedule less one step), then a cosine,
    linear or constant decay to ``end_learning_rate_ratio`` of the peak; gradients clipped to ``max_grad_norm``
    (0: no clipping). ``decay_matrices_only`` applies weight decay only to parameters of rank >= 2."""

    learning_rate: float = 5e-6
    warmup_steps: int = 0
    decay: Literal["cosine", "linear", "constant"] = "cosine"
    end_learning_rate_ratio: float = 0.0
    weight_decay: float = 0.0
    b1: float = 0.9
    b2: float = 0.95
    eps: float = 1e-8
    max_grad_norm: float = 1.0
    decay_matrices_only: bool = False


def learning_rate_schedule(cfg: OptimizerConfig, total_steps: int) -> optax.Schedule:
    """Warm-up then decay over ``total_steps`` updates."""
    warmup = min(cfg.warmup_steps, max(total_steps - 1, 0))
    decay_steps = max(total_steps - warmup, 1)
    end = cfg.learning_rate * cfg.end_learning_rate_ratio
    if cfg.decay == "cosine":
        decay = optax.cosine_decay_schedule(cfg.learning_rate, decay_steps, alpha=cfg.end_learning_rate_ratio)
    elif cfg.decay == "linear":
        decay = optax.linear_schedule(cfg.learning_rate, end, decay_steps)
    else:
        decay = optax.constant_schedule(cfg.learning_rate)
    return optax.join_schedules([optax.linear_schedule(0.0, cfg.learning_rate, warmup), decay], [warmup])


def _matrices(params: object) -> object:
    return jax.tree.map(lambda x: x.ndim >= 2, params)


def build_optimizer(cfg: OptimizerConfig, total_steps: int) -> optax.GradientTransformation:
    """The optax chain for ``cfg`` over ``total_steps`` updates."""
    parts = [] if cfg.max_grad_norm <= 0 else [optax.clip_by_global_norm(cfg.max_grad_norm)]
    parts.append(optax.adamw(learning_rate_schedule(cfg, total_steps), b1=cfg.b1, b2=cfg.b2, eps=cfg.eps,
                             weight_decay=cfg.weight_decay, mask=_matrices if cfg.decay_matrices_only else None))
    return optax.chain(*parts)
