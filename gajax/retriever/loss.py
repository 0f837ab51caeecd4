"""InfoNCE over a global batch with multi-positive masking.

Rows are queries, columns are candidate guidelines (in-batch positives, extra negatives, or the whole library).
Every candidate carries a guideline id and every query the ids of all of its guidelines. Column ``j`` is *relevant*
to query ``i`` when its id is one of the query's guidelines; a relevant column other than the query's target is
removed from that row's softmax, so an input's other guidelines and a guideline repeated in the batch are never
treated as negatives.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def relevance_mask(query_guideline_ids: jax.Array, candidate_ids: jax.Array) -> jax.Array:
    """``(queries, candidates)`` bool: candidate ``j``'s id is one of query ``i``'s ids (``-1`` pads the lists)."""
    hits = candidate_ids[None, :, None] == query_guideline_ids[:, None, :]
    return jnp.any(hits & (query_guideline_ids[:, None, :] >= 0), axis=-1)


def _masked_nce(logits: jax.Array, targets: jax.Array, relevant: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Mean cross-entropy of ``targets`` with relevant non-target columns removed, and top-1 accuracy."""
    cols = jnp.arange(logits.shape[1])
    is_target = cols[None, :] == targets[:, None]
    masked = jnp.where(relevant & ~is_target, -jnp.inf, logits)
    target_logit = jnp.take_along_axis(logits, targets[:, None], axis=1)[:, 0]
    loss = jax.nn.logsumexp(masked, axis=1) - target_logit
    accuracy = jnp.argmax(masked, axis=1) == targets
    return jnp.mean(loss), jnp.mean(accuracy.astype(jnp.float32))


def info_nce(
    queries: jax.Array,
    candidates: jax.Array,
    targets: jax.Array,
    query_guideline_ids: jax.Array,
    candidate_ids: jax.Array,
    scale: jax.Array | float,
    symmetric: bool = False,
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """The InfoNCE loss and metrics.

    ``queries`` ``(B, dim)``, ``candidates`` ``(M, dim)``; ``targets`` ``(B,)`` the column of each query's positive;
    ``query_guideline_ids`` ``(B, P)`` all of each query's guideline ids (``-1`` padding); ``candidate_ids`` ``(M,)``;
    ``scale`` = 1/temperature. ``symmetric`` adds the guideline-to-query direction over the first ``B`` columns,
    which must then be the queries' own positives (``targets == arange(B)``); it averages the two directions.
    """
    logits = scale * jnp.einsum("qd,cd->qc", queries.astype(jnp.float32), candidates.astype(jnp.float32))
    relevant = relevance_mask(query_guideline_ids, candidate_ids)
    loss, accuracy = _masked_nce(logits, targets, relevant)
    metrics = {"loss_query": loss, "accuracy": accuracy}
    if symmetric:
        batch = queries.shape[0]
        backward, _ = _masked_nce(logits[:, :batch].T, jnp.arange(batch), relevant[:, :batch].T)
        metrics["loss_guideline"] = backward
        loss = 0.5 * (loss + backward)
    metrics["loss"] = loss
    return loss, metrics


def safety_retrieval_loss(
    queries: jax.Array,
    library: jax.Array,
    positives: jax.Array,
    risky: jax.Array,
    safety: jax.Array,
    scale: float,
    kind_weight: float,
    rank_weight: float = 0.0,
    rank_margin: float = 0.0,
    top_k: int = 3,
) -> jax.Array:
    """Multi-positive InfoNCE against the whole library plus ``kind_weight`` times a risk term plus
    ``rank_weight`` times a top-``k`` ranking term, for unit-length ``queries`` and ``library`` rows (logits are
    ``scale`` times cosine similarities).

    InfoNCE: mean over queries of ``-log(softmax mass on the query's positives)``; ``positives`` is a
    ``(queries, library)`` 0/1 matrix. Risk term: binary cross-entropy between the softmax mass on ``safety``
    guidelines (a 0/1 row mask) and whether the input is ``risky``, so benign inputs learn to stay away from
    safety guidelines and risky ones to reach them.

    Ranking term: a safety guideline is among the top ``k`` exactly when the best safety score beats the
    ``k``-th best non-safety score, so with ``gap = max safety logit - k-th best other logit`` and ``y = +1``
    for risky, ``-1`` for benign inputs it is ``softplus(scale * rank_margin - y * gap)``: a logistic margin
    loss on the one comparison that decides the retrieval, which the softmax-mass terms above only approximate
    (a single loosely related guideline can sit in the top ``k`` while carrying little mass).
    """
    logits = scale * queries @ library.T
    total = jax.nn.logsumexp(logits, axis=-1)
    nce = total - jax.nn.logsumexp(jnp.where(positives > 0, logits, -jnp.inf), axis=-1)
    safe_logits = jnp.where(safety > 0, logits, -jnp.inf)
    other_logits = jnp.where(safety > 0, -jnp.inf, logits)
    log_safe = jax.nn.logsumexp(safe_logits, axis=-1) - total
    log_unsafe = jax.nn.logsumexp(other_logits, axis=-1) - total
    kind = -(risky * log_safe + (1.0 - risky) * log_unsafe)
    gap = jnp.max(safe_logits, axis=-1) - jax.lax.top_k(other_logits, top_k)[0][:, -1]
    rank = jax.nn.softplus(scale * rank_margin - (2.0 * risky - 1.0) * gap)
    return jnp.mean(nce + kind_weight * kind + rank_weight * rank)
