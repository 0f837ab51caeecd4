"""The seed retriever's loss (InfoNCE + risk term + top-k ranking margin) against a NumPy reference."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from gajax.retriever.loss import safety_retrieval_loss


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)


def _reference(queries, library, positives, risky, safety, scale, kind_weight, rank_weight, margin, k):
    logits = scale * queries @ library.T
    losses = []
    for row, pos, r in zip(logits, positives, risky, strict=True):
        probs = np.exp(row - row.max()) / np.exp(row - row.max()).sum()
        nce = -np.log(probs[pos > 0].sum())
        mass = probs[safety > 0].sum()
        kind = -(r * np.log(mass) + (1 - r) * np.log(1 - mass))
        kth_other = np.sort(row[safety == 0])[::-1][k - 1]
        gap = row[safety > 0].max() - kth_other
        rank = _softplus(scale * margin - (1 if r else -1) * gap)
        losses.append(nce + kind_weight * kind + rank_weight * rank)
    return float(np.mean(losses))


@pytest.mark.parametrize(("rank_weight", "k"), [(0.0, 3), (1.0, 3), (2.5, 1)])
def test_safety_retrieval_loss_matches_numpy(rank_weight, k):
    rng = np.random.default_rng(0)
    dim, n_lib, n_q = 8, 12, 5
    library = rng.standard_normal((n_lib, dim)).astype(np.float32)
    library /= np.linalg.norm(library, axis=1, keepdims=True)
    queries = rng.standard_normal((n_q, dim)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    positives = (rng.random((n_q, n_lib)) < 0.25).astype(np.float32)
    positives[:, 0] = 1.0  # every query has a positive
    risky = np.array([1, 0, 1, 0, 1], np.float32)
    safety = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0], np.float32)
    got = safety_retrieval_loss(jnp.asarray(queries), jnp.asarray(library), jnp.asarray(positives),
                                jnp.asarray(risky), jnp.asarray(safety), scale=1 / 0.06, kind_weight=10.0,
                                rank_weight=rank_weight, rank_margin=0.05, top_k=k)
    want = _reference(queries.astype(np.float64), library.astype(np.float64), positives, risky, safety,
                      1 / 0.06, 10.0, rank_weight, 0.05, k)
    assert float(got) == pytest.approx(want, rel=1e-4)
