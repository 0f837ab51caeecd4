"""Retrieval metrics over a guideline library: recall@k, MRR@10 and nDCG@10 with binary relevance.

recall@k is the fraction of a query's relevant guidelines found in its top k (averaged over queries); MRR@10 is the
reciprocal rank of the first relevant guideline within the top 10 (0 if none); nDCG@10 uses gains 1/log2(rank+1)
normalised by the ideal ordering.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def retrieval_metrics(
    scores: np.ndarray, relevant: Sequence[set[int]], ks: Sequence[int] = (1, 5, 10, 20)
) -> dict[str, float]:
    """Metrics for ``scores`` ``(queries, library)`` and each query's set of relevant library indices."""
    if scores.shape[0] != len(relevant):
        raise ValueError(f"{scores.shape[0]} score rows but {len(relevant)} relevance sets")
    if any(not rel for rel in relevant):
        raise ValueError("every query needs at least one relevant guideline")
    depth = min(max(*ks, 10), scores.shape[1])
    top = np.argsort(-scores, axis=1, kind="stable")[:, :depth]
    hits = np.array([[idx in rel for idx in row] for row, rel in zip(top, relevant, strict=True)], dtype=bool)
    counts = np.array([len(rel) for rel in relevant], dtype=np.float64)
    out = {f"recall@{k}": float(np.mean(hits[:, :k].sum(axis=1) / counts)) for k in ks}
    first = np.where(hits[:, :10].any(axis=1), hits[:, :10].argmax(axis=1) + 1, 0)
    out["mrr@10"] = float(np.mean(np.where(first > 0, 1.0 / np.maximum(first, 1), 0.0)))
    discounts = 1.0 / np.log2(np.arange(2, 12))[: hits[:, :10].shape[1]]
    dcg = (hits[:, :10] * discounts).sum(axis=1)
    ideal = np.array([discounts[: int(min(c, len(discounts)))].sum() for c in counts])
    out["ndcg@10"] = float(np.mean(dcg / ideal))
    out["queries"] = float(len(relevant))
    return out
