"""A calibrated risk score next to the retrieved guidelines: how sure the retriever is that a prompt is risky.

The raw signal is the **safety margin** of a query: its best cosine similarity to a ``safety`` guideline minus its
``k``-th best similarity to any other guideline, so the margin is positive exactly when a safety guideline is among
the top ``k`` (the risk-identification rule). A one-feature logistic (Platt) fit of the margin against the risky
labels of a validation set turns it into a probability; the decision threshold is the one that maximises balanced
accuracy (true-positive rate plus true-negative rate) on the same validation set.

Defined answers for inputs the score cannot judge (:meth:`RiskScorer.score` returns ``None``, "unknown"):

- empty or whitespace-only prompts;
- prompts in a non-Latin script (fewer than half of the letters are ASCII; the encoder reads English, so a
  confident number would be a guess). Latin-script prompts in other languages are scored as given;
- over-long prompts are not truncated silently: a prompt longer than ``window_words`` words is scored on windows
  of ``window_words`` words (each overlapping the next by a third) and gets the highest window's score, so a risky
  request at the end of a long text still counts. Retrieval itself reads the encoder's first 256 word pieces.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from gajax.searcher import EmbedFn


def safety_margins(queries: np.ndarray, library: np.ndarray, safety: np.ndarray, k: int) -> np.ndarray:
    """Per query: best safety-guideline similarity minus the ``k``-th best other similarity (unit rows)."""
    scores = queries @ library.T
    is_safety = np.asarray(safety, bool)
    best_safety = scores[:, is_safety].max(axis=1)
    kth_other = -np.partition(-scores[:, ~is_safety], k - 1, axis=1)[:, k - 1]
    return best_safety - kth_other


@dataclasses.dataclass(frozen=True)
class RiskCalibration:
    """``P(risky | margin) = sigmoid(slope * margin + intercept)``; ``threshold`` on that probability was chosen on
    validation; ``top_k`` is the ``k`` of the margin."""

    slope: float
    intercept: float
    threshold: float
    top_k: int

    def probability(self, margins: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(self.slope * np.asarray(margins, np.float64) + self.intercept)))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RiskCalibration:
        return cls(float(data["slope"]), float(data["intercept"]), float(data["threshold"]), int(data["top_k"]))


def platt_fit(x: np.ndarray, y: np.ndarray, l2: float = 1e-4) -> tuple[float, float]:
    """``(slope, intercept)`` of the logistic regression of 0/1 ``y`` on one feature ``x`` (Newton's method on
    the mean log loss plus ``l2 / 2 * slope**2``, which keeps separable data finite)."""
    features = np.stack([np.asarray(x, np.float64), np.ones(len(x))], axis=1)
    y = np.asarray(y, np.float64)
    weights = np.zeros(2)
    penalty = np.diag([l2, 0.0])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(features @ weights)))
        gradient = features.T @ (p - y) / len(y) + penalty @ weights
        hessian = (features * (p * (1 - p))[:, None]).T @ features / len(y) + penalty + 1e-12 * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        weights -= step
        if np.max(np.abs(step)) < 1e-10:
            break
    return float(weights[0]), float(weights[1])


def fit_risk_calibration(margins: np.ndarray, risky: np.ndarray, top_k: int) -> RiskCalibration:
    """Platt fit of ``risky`` (0/1) on ``margins`` and the probability threshold of best balanced accuracy."""
    risky = np.asarray(risky, bool)
    if risky.all() or not risky.any():
        raise ValueError("calibrating the risk score needs risky and benign validation prompts")
    partial = RiskCalibration(*platt_fit(margins, risky), 0.5, top_k)
    probability = partial.probability(margins)
    candidates = np.unique(probability)
    balanced = [np.mean(probability[risky] >= t) + np.mean(probability[~risky] < t) for t in candidates]
    return dataclasses.replace(partial, threshold=float(candidates[int(np.argmax(balanced))]))


def reliability(probability: np.ndarray, risky: np.ndarray, bins: int = 5) -> list[dict[str, float]]:
    """Equal-count bins of ``probability`` (low to high): each bin's mean score, observed risky rate and size."""
    order = np.argsort(probability, kind="stable")
    out = []
    for rows in np.array_split(order, bins):
        if len(rows):
            out.append({"score": float(np.mean(probability[rows])), "risky_rate": float(np.mean(risky[rows])),
                        "count": len(rows)})
    return out


def scorable(prompt: str) -> bool:
    """Whether a prompt gets a score: not empty or blank, and at least half of its letters ASCII."""
    letters = [c for c in prompt if c.isalpha()]
    if not prompt.strip() or not letters:
        return False
    return sum(c.isascii() for c in letters) >= 0.5 * len(letters)


def windows(prompt: str, size: int) -> list[str]:
    """The prompt itself, or for more than ``size`` words, windows of ``size`` words each overlapping the next by
    a third."""
    words = prompt.split()
    if len(words) <= size:
        return [prompt]
    stride = max(1, size - size // 3)
    return [" ".join(words[i : i + size]) for i in range(0, len(words) - size + stride, stride)]


class RiskScorer:
    """``score(prompts)``: the calibrated probability that each prompt is risky, or ``None`` (unknown) where the
    module's rules say the retriever cannot judge it."""

    def __init__(self, embed_fn: EmbedFn, library: np.ndarray, safety: np.ndarray, calibration: RiskCalibration,
                 window_words: int = 150):
        self.embed_fn = embed_fn
        self.library = np.asarray(library, np.float32)
        self.safety = np.asarray(safety, bool)
        self.calibration = calibration
        self.window_words = window_words

    def score(self, prompts: Sequence[str]) -> list[float | None]:
        pieces: list[str] = []
        owner: list[int] = []
        for i, prompt in enumerate(prompts):
            if scorable(prompt):
                parts = windows(prompt, self.window_words)
                pieces += parts
                owner += [i] * len(parts)
        out: list[float | None] = [None] * len(prompts)
        if not pieces:
            return out
        queries = np.asarray(self.embed_fn(pieces), np.float32)
        margins = safety_margins(queries, self.library, self.safety, self.calibration.top_k)
        for i, p in zip(owner, self.calibration.probability(margins), strict=True):
            current = out[i]
            out[i] = float(p) if current is None else max(current, float(p))
        return out

    def is_risky(self, prompts: Sequence[str]) -> list[bool | None]:
        """Each score against the calibration's threshold (``None`` stays unknown)."""
        return [None if s is None else s >= self.calibration.threshold for s in self.score(prompts)]
