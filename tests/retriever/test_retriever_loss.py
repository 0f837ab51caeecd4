"""Masked InfoNCE against a NumPy reference, and the data-parallel loss and gradients on 8 devices vs 1."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from gajax.retriever.encoder import RetrieverModelConfig, build_dual_encoder
from gajax.retriever.loss import info_nce
from gajax.retriever.train import RetrieverTrainSettings, batch_axes, loss_and_grads
from gajax.sharding import MeshConfig, batch_shardings, make_mesh, put_batch, state_shardings


def _reference(q, c, targets, query_ids, cand_ids, scale, symmetric):
    """Plain loops: drop every column whose id is one of the row's ids, except the target."""
    logits = scale * q.astype(np.float64) @ c.astype(np.float64).T

    def direction(rows, cols_of_row):
        losses = []
        for row_logits, target, allowed in rows:
            kept = [row_logits[j] for j in range(len(row_logits)) if allowed(j) or j == target]
            m = max(kept)
            losses.append(m + np.log(sum(np.exp(v - m) for v in kept)) - row_logits[target])
        return float(np.mean(losses))

    forward = direction(
        [(logits[i], targets[i], lambda j, i=i: cand_ids[j] not in set(query_ids[i]) - {-1}) for i in range(len(q))],
        None,
    )
    if not symmetric:
        return forward
    b = len(q)
    backward = direction(
        [(logits[:, j][:b], j, lambda k, j=j: cand_ids[j] not in set(query_ids[k]) - {-1}) for j in range(b)], None
    )
    return 0.5 * (forward + backward)


def _case(seed: int):
    rng = np.random.default_rng(seed)
    batch, negatives, dim = 6, 4, 8
    q = rng.standard_normal((batch, dim)).astype(np.float32)
    c = rng.standard_normal((batch + negatives, dim)).astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    c /= np.linalg.norm(c, axis=1, keepdims=True)
    # Queries 0 and 1 are one input with guidelines 10 and 11; guideline 12 appears twice among the positives;
    # a negative (column 6) is query 3's other guideline; another (column 8) repeats guideline 10.
    cand_ids = np.array([10, 11, 12, 13, 12, 14, 15, 16, 10, 17], np.int32)
    query_ids = np.array([[10, 11], [10, 11], [12, -1], [13, 15], [12, -1], [14, -1]], np.int32)
    return q, c, np.arange(batch, dtype=np.int32), query_ids, cand_ids


@pytest.mark.parametrize("symmetric", [False, True])
def test_info_nce_matches_numpy_reference(symmetric: bool) -> None:
    q, c, targets, query_ids, cand_ids = _case(0)
    loss, metrics = info_nce(q, c, targets, query_ids, cand_ids, 5.0, symmetric)
    expected = _reference(q, c, targets, query_ids, cand_ids, 5.0, symmetric)
    assert abs(float(loss) - expected) < 1e-5
    # The masks matter: without them (every id distinct) the loss differs.
    unmasked, _ = info_nce(q, c, targets, np.arange(6)[:, None] + 100, np.arange(10) + 100, 5.0, symmetric)
    assert abs(float(unmasked) - expected) > 1e-3
    assert 0.0 <= float(metrics["accuracy"]) <= 1.0


def test_whole_library_softmax_matches_reference() -> None:
    rng = np.random.default_rng(1)
    q = rng.standard_normal((4, 5)).astype(np.float32)
    library = rng.standard_normal((9, 5)).astype(np.float32)
    targets = np.array([2, 2, 7, 0], np.int32)
    query_ids = np.array([[2, 3], [2, -1], [7, 8], [0, 1]], np.int32)
    loss, _ = info_nce(q, library, targets, query_ids, np.arange(9, dtype=np.int32), 3.0)
    expected = _reference(q, library, targets, query_ids, np.arange(9), 3.0, False)
    assert abs(float(loss) - expected) < 1e-5


def _batch(seed: int, batch: int = 8, length: int = 12):
    rng = np.random.default_rng(seed)
    tokens = rng.integers(1000, 30000, (batch, length)).astype(np.int32)
    mask = (np.arange(length)[None] < rng.integers(3, length + 1, (batch, 1))).astype(np.int32)
    cand = rng.integers(1000, 30000, (2 * batch, length)).astype(np.int32)
    cand_mask = (np.arange(length)[None] < rng.integers(3, length + 1, (2 * batch, 1))).astype(np.int32)
    cand_ids = rng.integers(0, 12, 2 * batch).astype(np.int32)
    query_ids = np.stack([cand_ids[:batch], rng.integers(0, 12, batch)], axis=1).astype(np.int32)
    return {
        "query_tokens": tokens,
        "query_mask": mask,
        "candidate_tokens": cand,
        "candidate_mask": cand_mask,
        "targets": np.arange(batch, dtype=np.int32),
        "query_guideline_ids": query_ids,
        "candidate_ids": cand_ids,
    }


def test_loss_and_grads_on_eight_devices_equal_one() -> None:
    if len(jax.devices()) < 8:
        pytest.skip("needs XLA_FLAGS=--xla_force_host_platform_device_count=8")
    model_cfg = RetrieverModelConfig(weights="random", arch="bert_tiny", shared_towers=False, projection_dim=16)
    model, _ = build_dual_encoder(model_cfg, temperature=0.1)
    settings = RetrieverTrainSettings(symmetric=True, learn_temperature=True)
    graphdef, params = nnx.split(model)
    batch = _batch(0)
    fn = jax.jit(lambda p, b: loss_and_grads(graphdef, p, b, settings))

    single = jax.device_put(params, jax.devices()[0])
    loss1, grads1 = fn(single, jax.device_put(batch, jax.devices()[0]))

    mesh = make_mesh(MeshConfig(data=2, fsdp=4))
    sharded = jax.device_put(params, state_shardings(params, mesh))
    sharded_batch = put_batch(batch, batch_shardings(mesh, batch_axes(whole_library=False)))
    assert len(sharded_batch["query_tokens"].sharding.device_set) == 8
    with jax.set_mesh(mesh):
        loss8, grads8 = fn(sharded, sharded_batch)
    assert abs(float(loss1) - float(loss8)) < 1e-5
    flat1, flat8 = jax.tree.leaves(grads1), jax.tree.leaves(grads8)
    assert len(flat1) == len(flat8)
    for g1, g8 in zip(flat1, flat8, strict=True):
        np.testing.assert_allclose(np.asarray(g8), np.asarray(g1), atol=2e-6, rtol=1e-4)
    assert any(float(jnp.abs(g).max()) > 0 for g in flat1)
