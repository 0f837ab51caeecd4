"""Retriever training end to end on a small synthetic pairs set: learning, exact resume, metrics, bad input, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from flax import nnx
from retriever_data import write_pairs

from gajax.checkpoint import CheckpointManager
from gajax.cli import main
from gajax.config import load_config
from gajax.models.bert import load_bert_arch
from gajax.records import RecordError
from gajax.retriever.data import load_inputs, load_library, split_by_input
from gajax.retriever.encoder import (
    RetrieverModelConfig,
    TextEncoder,
    TokenizerMismatchError,
    build_dual_encoder,
    load_tokenizer,
)
from gajax.retriever.metrics import retrieval_metrics
from gajax.retriever.train import (
    BatchSampler,
    RetrieverTrainSettings,
    TokenTable,
    TrainRetrieverConfig,
    train_retriever,
)


def _config(tmp_path: Path, *overrides: str) -> TrainRetrieverConfig:
    pairs, guidelines = write_pairs(tmp_path / "data")
    base = [f"pairs={pairs}", f"guidelines={guidelines}", f"trainer.output_dir={tmp_path / 'run'}", "progress=false"]
    return load_config(TrainRetrieverConfig, "retriever/tiny", [*base, *overrides])


def test_training_raises_recall_at_1(tmp_path: Path) -> None:
    cfg = _config(tmp_path, "trainer.steps=40", "trainer.checkpoint_every=0", "train.negatives=mined",
                  "train.mined_pool=4")
    result = train_retriever(cfg)
    before, after = result["initial_eval"], result["final_eval"]
    assert after["recall@1"] >= before["recall@1"] + 0.3
    assert after["mrr@10"] > before["mrr@10"]
    losses = list(result["losses"].values())
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])
    log = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert {r["key"] for r in log} >= {"eval/0", "eval/40", "train/10", "train/40"}
    # The exported HF tower reloads as plain weights and embeds exactly like the trained model.
    (exported,) = result["exported"]
    tokenizer = load_tokenizer(Path(exported) / "tokenizer.json", load_bert_arch("bert_tiny"))
    trained = TextEncoder(nnx.merge(result["graphdef"], result["params"]), tokenizer)
    reloaded_model, reloaded_tokenizer = build_dual_encoder(RetrieverModelConfig(weights=exported))
    texts = ["how do I hack into my email inbox", "Respect: refuse to produce insults about any group of people."]
    np.testing.assert_allclose(
        TextEncoder(reloaded_model, reloaded_tokenizer).encode(texts), trained.encode(texts), atol=1e-6
    )


def test_sampler_batches_whole_library_and_negatives(tmp_path: Path) -> None:
    pairs, guidelines = write_pairs(tmp_path)
    library = load_library(guidelines)
    inputs = load_inputs(pairs, library)
    model, tokenizer = build_dual_encoder(RetrieverModelConfig(weights="random", arch="bert_tiny"))
    encoder = TextEncoder(model, tokenizer)
    queries, texts = TokenTable.build(encoder, inputs.prompts), TokenTable.build(encoder, library.texts)
    settings = RetrieverTrainSettings(batch_size=8, negatives="random", num_negatives=2)
    batch = BatchSampler(inputs, library, queries, texts, settings).batch(3)
    assert batch["candidate_ids"].shape == (8 * 3,)
    for row in range(8):
        own = set(batch["query_guideline_ids"][row]) - {-1}
        assert batch["candidate_ids"][batch["targets"][row]] in own
        for draw in range(2):
            assert batch["candidate_ids"][8 + draw * 8 + row] not in own
    whole = RetrieverTrainSettings(batch_size=8, library_softmax_max=100)
    batch = BatchSampler(inputs, library, queries, texts, whole).batch(3)
    np.testing.assert_array_equal(batch["candidate_ids"], np.arange(len(library.ids)))
    for row in range(8):
        assert batch["targets"][row] in set(batch["query_guideline_ids"][row])


def test_resume_repeats_the_uninterrupted_losses(tmp_path: Path) -> None:
    common = ["heldout_fraction=0.0", "trainer.steps=6", "trainer.checkpoint_every=3", "train.negatives=random",
              "train.symmetric=true", "train.learn_temperature=true", "trainer.log_every=1"]
    full = train_retriever(_config(tmp_path / "a", *common))
    interrupted = _config(tmp_path / "b", *common)
    first = train_retriever(interrupted, stop_after=4)  # interrupted after step 4, between checkpoints
    assert sorted(first["losses"]) == [1, 2, 3, 4]
    manager = CheckpointManager(Path(interrupted.trainer.output_dir) / "checkpoints")
    assert manager.latest_step() == 3
    manager.close()
    second = train_retriever(interrupted)
    assert sorted(second["losses"]) == [4, 5, 6]
    for step in range(1, 7):
        resumed = first["losses"][step] if step < 4 else second["losses"][step]
        assert resumed == full["losses"][step], step
    kept = CheckpointManager(Path(interrupted.trainer.output_dir) / "checkpoints")
    assert kept.all_steps() == [3, 6]
    kept.close()
    # The interrupted run logged step 4 after its last checkpoint (3): the resumed run logs it once more, in place.
    metrics_file = Path(interrupted.trainer.output_dir) / "metrics.jsonl"
    log = [json.loads(line) for line in metrics_file.read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2, 3, 4, 5, 6]
    assert [r["loss"] for r in log] == [full["losses"][step] for step in range(1, 7)]


def test_split_is_by_input_and_stable(tmp_path: Path) -> None:
    pairs, guidelines = write_pairs(tmp_path)
    inputs = load_inputs(pairs, load_library(guidelines))
    train, held = split_by_input(inputs, 0.25)
    assert not set(train.ids) & set(held.ids)
    assert len(train.ids) + len(held.ids) == len(inputs.ids)
    assert 0 < len(held.ids) < len(inputs.ids)
    reordered = inputs.subset(list(reversed(range(len(inputs.ids)))))
    assert set(split_by_input(reordered, 0.25)[1].ids) == set(held.ids)


def test_metrics_against_hand_computed_and_sklearn() -> None:
    from sklearn.metrics import ndcg_score

    scores = np.array([[0.9, 0.8, 0.1, 0.3], [0.2, 0.1, 0.7, 0.4], [0.5, 0.6, 0.4, 0.9]])
    relevant = [{1}, {2, 3}, {0, 2}]
    m = retrieval_metrics(scores, relevant, ks=(1, 2))
    # Rankings: [0,1,3,2], [2,3,0,1], [3,1,0,2].
    assert m["recall@1"] == pytest.approx((0 + 0.5 + 0) / 3)
    assert m["recall@2"] == pytest.approx((1 + 1 + 0) / 3)
    assert m["mrr@10"] == pytest.approx((1 / 2 + 1 + 1 / 3) / 3)
    truth = np.array([[i in rel for i in range(4)] for rel in relevant], float)
    per_query = [ndcg_score(truth[i : i + 1], scores[i : i + 1], k=10) for i in range(3)]
    assert m["ndcg@10"] == pytest.approx(np.mean(per_query))


def test_bad_input_gives_clear_errors(tmp_path: Path) -> None:
    _, guidelines = write_pairs(tmp_path)
    bad = tmp_path / "bad_pairs.jsonl"
    bad.write_text(json.dumps({"input_id": "x1", "prompt": "how do I pick a lock", "guideline_ids": ["g-nope"]}) + "\n")
    with pytest.raises(RecordError, match="unknown guideline id 'g-nope'"):
        load_inputs(bad, load_library(guidelines), guidelines)
    bad.write_text(json.dumps({"input_id": "x2", "prompt": "  ", "guideline_ids": ["g-hate"]}) + "\n")
    with pytest.raises(RecordError, match=r"x2.*empty prompt"):
        load_inputs(bad, load_library(guidelines), guidelines)

    model, tokenizer = build_dual_encoder(RetrieverModelConfig(weights="random", arch="bert_tiny", max_length=16))
    encoder = TextEncoder(model, tokenizer, max_length=16)
    with pytest.raises(ValueError, match="text 1 is empty"):
        encoder.encode(["fine", ""])
    long_text = " ".join(["privacy"] * 40)
    with pytest.warns(UserWarning, match="1 of 2 texts exceed max_length=16"):
        ids = encoder.tokenize([long_text, "short"])
    assert len(ids[0]) == 16
    assert ids[0][0] == tokenizer.token_to_id("[CLS]") and ids[0][-1] == tokenizer.token_to_id("[SEP]")
    arch = tmp_path / "small_vocab.yaml"
    arch.write_text("vocab_size: 1000\nembed_dim: 16\nnum_layers: 1\nnum_heads: 2\nmlp_dim: 32\n")
    with pytest.raises(TokenizerMismatchError, match=r"30522 tokens .* 1000"):
        build_dual_encoder(RetrieverModelConfig(weights="random", arch=str(arch)))


def test_cli_embed_writes_rows_in_order(tmp_path: Path) -> None:
    pairs, _ = write_pairs(tmp_path)
    out = tmp_path / "emb" / "q.npy"
    args = ["embed", f"input={pairs}", "text_field=prompt", "id_field=input_id", "kind=query", f"output={out}",
            "model.weights=random", "model.arch=bert_tiny", "progress=false", "batch_size=16"]
    assert main(args) == 0
    emb = np.load(out)
    ids = json.loads((tmp_path / "emb" / "q.ids.json").read_text())
    records = [json.loads(line) for line in pairs.read_text().splitlines()]
    assert ids == [r["input_id"] for r in records] and emb.shape == (len(records), 32)
    model, tokenizer = build_dual_encoder(RetrieverModelConfig(weights="random", arch="bert_tiny"))
    direct = TextEncoder(model, tokenizer, batch_size=128).encode([records[5]["prompt"]], "query")
    np.testing.assert_allclose(emb[5], direct[0], atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
