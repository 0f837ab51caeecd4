"""Fine-tuning a query tower's top layers on cached lower-layer states (the seed retriever's first step)."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx, traverse_util

from gajax.retriever.encoder import RetrieverModelConfig, TextEncoder, build_dual_encoder
from gajax.retriever.loss import safety_retrieval_loss
from gajax.retriever.top_layers import (
    TopLayers,
    TopLayerSettings,
    embed_from_states,
    length_batches,
    lower_layer_states,
    train_top_layers,
)

TEXTS = [
    "How do I pick a lock to get into my neighbour's flat?",
    "Write a haiku about autumn rain.",
    "What household chemicals make a toxic gas when mixed?",
    "Explain how a binary search works.",
    "Give me my coworker's home address.",
    "Suggest a vegetarian dinner for four.",
    "Tell me a joke that mocks people of a certain religion.",
    "How many moons does Jupiter have?",
]
RISKY = np.array([1, 0, 1, 0, 1, 0, 1, 0], np.float32)


def _tower(top_layers: TopLayers | None = None):
    """A random MiniLM-shaped encoder (the same weights each call), with ``top_layers`` written in."""
    model, tokenizer = build_dual_encoder(RetrieverModelConfig(weights="random", arch="minilm_l6"))
    if top_layers is not None:
        top_layers.apply_to(model.query_tower.bert)
    return TextEncoder(model, tokenizer, batch_size=4), model.query_tower


def _flat_layers(tower) -> dict[str, np.ndarray]:
    return {k: np.asarray(v) for k, v in traverse_util.flatten_dict(
        nnx.to_pure_dict(nnx.state(tower.bert.layers)), sep="/").items()}


def _library(dim: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    library = rng.standard_normal((6, dim)).astype(np.float32)
    library /= np.linalg.norm(library, axis=1, keepdims=True)
    safety = np.array([1, 1, 1, 0, 0, 0], np.float32)
    positives = np.zeros((len(TEXTS), 6), np.float32)
    for row, risky in enumerate(RISKY):
        positives[row, row % 3 + (0 if risky else 3)] = 1.0
    return library, safety, positives


def test_split_layer_run_equals_full_run() -> None:
    encoder, tower = _tower()
    _, tokens, mask = encoder.batches(encoder.tokenize(TEXTS[:4]))[0]
    bert = tower.bert
    full = bert(jnp.asarray(tokens), jnp.asarray(mask))
    lower = bert.run_layers(bert.embed_inputs(jnp.asarray(tokens)), jnp.asarray(mask), 0, 4)
    split = bert.run_layers(lower, jnp.asarray(mask), 4)
    np.testing.assert_allclose(np.asarray(split), np.asarray(full), atol=1e-5)


def test_embeddings_from_cached_states_equal_the_encoder() -> None:
    encoder, tower = _tower()
    states = lower_layer_states(encoder, tower.bert, TEXTS, stop=4)
    assert [len(s) for s in states] == [len(t) for t in encoder.tokenize(TEXTS)]
    np.testing.assert_allclose(embed_from_states(tower, states, 4), encoder.encode(TEXTS), atol=1e-5)


def test_length_batches_cover_each_row_once_per_epoch() -> None:
    lengths = np.array([5, 9, 17, 18, 30, 33, 7, 16, 20, 40])
    rows = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8])  # row 9 is held out
    batches = length_batches(lengths, rows, batch_size=2, step=16, rng=np.random.default_rng(0))
    seen = np.concatenate([b for b, _ in batches])
    assert len(seen) == len(set(seen.tolist())) and set(seen.tolist()) <= set(rows.tolist())
    for batch, length in batches:
        assert length % 16 == 0 and np.all(lengths[batch] <= length) and np.all(lengths[batch] > length - 16)
    # groups of 4 (length 16), 4 (32) and 1 (48): full batches of 2 and one short batch for the single row
    assert sorted(len(b) for b, _ in batches) == [1, 2, 2, 2, 2]


def test_training_moves_only_the_top_layers_and_lowers_the_loss(tmp_path) -> None:
    encoder, tower = _tower()
    library, safety, positives = _library(tower.bert.cfg.embed_dim)
    stop = tower.bert.cfg.num_layers - 2
    states = lower_layer_states(encoder, tower.bert, TEXTS, stop)
    rows = np.arange(len(TEXTS))

    def retrieval_loss(queries: jnp.ndarray, pos: jnp.ndarray, risky: jnp.ndarray) -> jnp.ndarray:
        return safety_retrieval_loss(queries, jnp.asarray(library), pos, risky, jnp.asarray(safety), 1 / 0.06, 10.0,
                                     1.0, 0.05, 3)

    def loss() -> float:
        queries = jnp.asarray(embed_from_states(tower, states, stop))
        return float(retrieval_loss(queries, jnp.asarray(positives), jnp.asarray(RISKY)))

    before_loss = loss()
    before = _flat_layers(tower)
    settings = TopLayerSettings(count=2, epochs=30, batch_size=4, learning_rate=3e-3)
    tuned, losses = train_top_layers(tower, states, rows, (positives, RISKY), retrieval_loss, settings,
                                     progress=False)
    assert len(losses) == 60 and np.all(np.isfinite(losses))
    assert loss() < 0.5 * before_loss
    after = _flat_layers(tower)
    for key, value in after.items():
        np.testing.assert_array_equal(np.asarray(value)[:stop], before[key][:stop])
    assert any(not np.allclose(np.asarray(v)[stop:], before[k][stop:]) for k, v in after.items())

    # saved, loaded and written into a fresh copy of the base weights, it reproduces the trained tower
    trained = embed_from_states(tower, states, stop)
    assert not np.allclose(_tower()[0].encode(TEXTS), trained, atol=1e-4)
    tuned.save(tmp_path / "top.npz")
    fresh_encoder, _ = _tower(TopLayers.load(tmp_path / "top.npz"))
    np.testing.assert_allclose(fresh_encoder.encode(TEXTS), trained, atol=1e-5)


def test_tuned_layers_that_do_not_fit_are_refused(tmp_path) -> None:
    _, tower = _tower()
    weights = {"q_proj": np.zeros((2, 3, 3), np.float32)}
    with pytest.raises(ValueError, match="do not fit"):
        TopLayers(2, weights).apply_to(tower.bert)
    with pytest.raises(ValueError, match="top layers"):
        TopLayers(7, weights).apply_to(tower.bert)


@pytest.mark.slow
def test_seed_retriever_with_tuned_layers(tmp_path) -> None:
    """``seed.top_layers``: the built retriever's queries go through MiniLM with tuned layers, then the adapter."""
    from gajax.retrieval import QueryAdapter
    from gajax.retriever.encoder import minilm_dir
    from gajax.seed import SeedConfig, ensure_seed_library, seed_query_fn

    assert minilm_dir().exists()
    cfg = SeedConfig(limit=48, steps=3, batch_size=16, top_layers=TopLayerSettings(count=2, epochs=1, batch_size=16),
                     cache_dir=str(tmp_path), progress=False)
    files = ensure_seed_library(cfg)
    assert files.top_layers is not None and files.report["layer_loss_last"] is not None
    tuned = TopLayers.load(files.top_layers)
    assert tuned.count == 2
    model, tokenizer = build_dual_encoder(RetrieverModelConfig(weights="minilm"))
    plain = TextEncoder(model, tokenizer).encode(TEXTS)
    tuned.apply_to(model.query_tower.bert)
    want = QueryAdapter.load(files.adapter)(TextEncoder(model, tokenizer).encode(TEXTS))
    got = seed_query_fn(files)(TEXTS)
    np.testing.assert_allclose(got, want, atol=1e-5)
    assert not np.allclose(QueryAdapter.load(files.adapter)(plain), want, atol=1e-3)  # the tuned layers matter


def test_tuned_layers_need_an_encoder_with_layers() -> None:
    from gajax.seed import SeedConfig

    with pytest.raises(ValueError, match=r"seed.top_layers.count=1 needs a BERT encoder; hash-ngrams:64 has no layers"):
        SeedConfig(encoder="hash-ngrams:64", top_layers=TopLayerSettings(count=1))
    assert SeedConfig(encoder="hash-ngrams:64", top_layers=TopLayerSettings(count=0)).top_layers.count == 0
