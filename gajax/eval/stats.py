"""Rates with confidence intervals, paired differences and win/tie/loss arithmetic.

Small differences between models are easy to over-read: every rate carries a Wilson score interval, a difference
between two conditions on the same prompts a paired bootstrap interval, and a net win rate a bootstrap interval
over questions.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from statistics import NormalDist
from typing import Any

import numpy as np

OUTCOMES = ("win", "tie", "loss")


def wilson_interval(successes: int, total: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion; ``(0, 1)`` when ``total`` is 0."""
    if total == 0:
        return 0.0, 1.0
    if not 0 <= successes <= total:
        raise ValueError(f"successes must be in [0, total], got {successes} of {total}")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = successes / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclasses.dataclass(frozen=True)
class Rate:
    """``count`` of ``total`` with its Wilson interval."""

    count: int
    total: int
    low: float
    high: float

    @property
    def value(self) -> float:
        return self.count / self.total if self.total else float("nan")

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "total": self.total, "rate": self.value, "ci95": [self.low, self.high]}


def rate(flags: Sequence[bool], confidence: float = 0.95) -> Rate:
    """The share of True in ``flags`` with its Wilson interval."""
    count = int(sum(bool(f) for f in flags))
    low, high = wilson_interval(count, len(flags), confidence)
    return Rate(count, len(flags), low, high)


def paired_bootstrap_difference(
    a: Sequence[bool], b: Sequence[bool], *, samples: int = 2000, seed: int = 0, confidence: float = 0.95
) -> dict[str, float]:
    """Rate of ``a`` minus rate of ``b`` on the same items, with a bootstrap interval that resamples items
    (keeping each item's pair together)."""
    if len(a) != len(b):
        raise ValueError(f"paired samples must have the same length, got {len(a)} and {len(b)}")
    if not a:
        return {"difference": float("nan"), "ci95": [float("nan"), float("nan")], "n": 0}
    diff = np.asarray(a, np.float64) - np.asarray(b, np.float64)
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, len(diff), size=(samples, len(diff)))].mean(axis=1)
    tail = (1 - confidence) / 2
    return {
        "difference": float(diff.mean()),
        "ci95": [float(np.quantile(means, tail)), float(np.quantile(means, 1 - tail))],
        "n": len(diff),
    }


def net_win_rate(wins: int, ties: int, losses: int) -> float:
    """(wins - losses) / (wins + ties + losses), the paper's net win rate; NaN with no judgements."""
    total = wins + ties + losses
    return (wins - losses) / total if total else float("nan")


def win_tie_loss(
    outcomes_by_question: Sequence[Sequence[str]], *, samples: int = 2000, seed: int = 0, confidence: float = 0.95
) -> dict[str, Any]:
    """Counts and net win rate over every judgement (both orders of every question count, as in the paper).

    ``outcomes_by_question[i]`` holds question i's outcomes (``win``/``tie``/``loss``; anything else, such as
    ``unparsed``, is counted apart and left out of the rates). The interval resamples questions. Also reported:
    per-question verdicts where the two orders agree (``consistent``), a disagreement counting as a tie.
    """
    counts = {k: 0 for k in (*OUTCOMES, "other")}
    per_question = []
    for outcomes in outcomes_by_question:
        row = np.zeros(3)
        for outcome in outcomes:
            if outcome in OUTCOMES:
                counts[outcome] += 1
                row[OUTCOMES.index(outcome)] += 1
            else:
                counts["other"] += 1
        per_question.append(row)
    result: dict[str, Any] = {
        "win": counts["win"],
        "tie": counts["tie"],
        "loss": counts["loss"],
        "not_judged": counts["other"],
        "net_win_rate": net_win_rate(counts["win"], counts["tie"], counts["loss"]),
    }
    rows = np.asarray(per_question).reshape(-1, 3)
    if rows.sum() > 0:
        rng = np.random.default_rng(seed)
        picks = rows[rng.integers(0, len(rows), size=(samples, len(rows)))].sum(axis=1)
        totals = picks.sum(axis=1)
        nets = np.where(totals > 0, (picks[:, 0] - picks[:, 2]) / np.maximum(totals, 1), np.nan)
        tail = (1 - confidence) / 2
        result["ci95"] = [float(np.nanquantile(nets, tail)), float(np.nanquantile(nets, 1 - tail))]
    else:
        result["ci95"] = [float("nan"), float("nan")]
    consistent = {k: 0 for k in OUTCOMES}
    agree = judged_twice = 0
    for outcomes in outcomes_by_question:
        if len(outcomes) == 2 and all(o in OUTCOMES for o in outcomes):
            judged_twice += 1
            agree += outcomes[0] == outcomes[1]
            consistent[outcomes[0] if outcomes[0] == outcomes[1] else "tie"] += 1
    result["consistent"] = {
        **consistent,
        "net_win_rate": net_win_rate(consistent["win"], consistent["tie"], consistent["loss"]),
        "order_agreement": agree / judged_twice if judged_twice else float("nan"),
    }
    return result
