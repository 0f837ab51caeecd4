"""TFDS builders for the aligned SFT set, the DPO pairs and the eval prompts; trainers reading ``tfds:`` sources."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow_datasets as tfds
from qa_examples import EXAMPLES

from gajax.config import load_config
from gajax.data.tfds.aligned import AlignedSFT, DPOPairs
from gajax.data.tfds.build import BuildTfdsConfig, run_build_tfds
from gajax.data.tfds.eval_prompts import EvalPrompts
from gajax.data.tfds.library import GuidelineLibrary, GuidelinePairs
from gajax.data.tfds.provenance import DatasetSourceError
from gajax.data.tfds.source import read_records
from gajax.eval.benchmarks import load_benchmark, load_eval_prompts
from gajax.finetune.train import FinetuneConfig, prepare_rows, run_finetune
from gajax.library import Guideline, Library, ngram_hash_embed
from gajax.records import RecordError, content_id
from gajax.retriever.data import load_inputs, load_library
from gajax.stage_io import is_heldout

QA = EXAMPLES  # the fine-tuning tests' (prompt, response) examples


def _guided(i: int, prompt: str, response: str, unguided: str | None = "I don't know.") -> dict:
    record = {
        "input_id": i if i % 3 == 0 else f"in-{i}",  # ints appear in real files too
        "prompt": prompt,
        "guidelines": [{"id": f"g{i}", "text": f"Rule {i}"}, {"id": f"g{i + 1}", "text": f"Rule {i + 1}"}][: i % 3],
        "response": response,
        "model": "smollm2",
        "settings": {"temperature": 0.0},
    }
    if unguided is not None:
        record["unguided_response"] = unguided
    return record


def _write(path: Path, records: list, blank_after: int = -1) -> Path:
    lines = []
    for n, record in enumerate(records):
        lines.append(record if isinstance(record, str) else json.dumps(record))
        if n == blank_after:
            lines.append("")
    path.write_text("\n".join(lines) + "\n")
    return path


def _raw(name: str, data_dir: Path, split: str) -> list[dict]:
    source = tfds.data_source(name, data_dir=data_dir, split=split, download=False)
    return [source[i] for i in range(len(source))]


def test_aligned_sft_round_trip_splits_and_provenance(tmp_path: Path):
    records = [_guided(i, p, r) for i, (p, r) in enumerate(QA)]
    records.insert(4, _guided(40, "An empty answer.", "  "))  # skipped: nothing to learn
    guided = _write(tmp_path / "guided.jsonl", records, blank_after=2)
    data_dir = tmp_path / "tfds"
    fraction = 0.3
    AlignedSFT(guided=guided, validation_fraction=fraction, data_dir=data_dir).download_and_prepare()

    usable = [r for r in records if r["response"].strip()]
    want = {"train": [], "validation": []}
    for r in usable:
        want["validation" if is_heldout(str(r["input_id"]), fraction) else "train"].append(r)
    assert want["train"] and want["validation"], "pick ids that fill both splits"
    for split, expected in want.items():
        got = _raw("aligned_sft", data_dir, split)
        assert len(got) == len(expected)
        for ex, r in zip(got, expected, strict=True):  # source order is kept
            assert ex["input_id"].decode() == str(r["input_id"])
            assert ex["prompt"].decode() == r["prompt"]  # the raw input: no guidelines in it
            assert ex["response"].decode() == r["response"]
            assert [g.decode() for g in ex["guideline_ids"]] == [g["id"] for g in r["guidelines"]]
            assert ex["model"].decode() == "smollm2"
        plain = list(read_records(f"tfds:aligned_sft@{data_dir}#{split}"))
        assert [p["input_id"] for p in plain] == [str(r["input_id"]) for r in expected]

    builder = tfds.builder("aligned_sft", data_dir=data_dir)
    metadata = dict(builder.info.metadata.items())
    assert metadata["sources"] == [
        {
            "path": str(guided.resolve()),
            "sha256": hashlib.sha256(guided.read_bytes()).hexdigest(),
            "bytes": guided.stat().st_size,
        }
    ]
    assert metadata["settings"] == {"validation_fraction": fraction}
    assert metadata["counts"] == {"examples": len(usable), "skipped_empty_response": 1}
    assert "tensorflow" not in sys.modules

    # Same files: reused. Changed file: refused, naming both hashes; force_redownload rebuilds.
    AlignedSFT(guided=guided, validation_fraction=fraction, data_dir=data_dir).download_and_prepare()
    with pytest.raises(DatasetSourceError, match="was built from"):
        AlignedSFT(guided=guided, validation_fraction=0.5, data_dir=data_dir).download_and_prepare()
    _write(guided, records[:3])
    with pytest.raises(DatasetSourceError, match="was built from"):
        AlignedSFT(guided=guided, validation_fraction=fraction, data_dir=data_dir).download_and_prepare()
    run_build_tfds(BuildTfdsConfig(dataset="aligned_sft", guided=str(guided), data_dir=str(data_dir), rebuild=True))
    assert [r["prompt"] for r in read_records(f"tfds:aligned_sft@{data_dir}")] == [r["prompt"] for r in records[:3]]


def test_dpo_pairs_from_guided_and_from_ready_pairs(tmp_path: Path):
    records = [_guided(i, p, r, unguided=f"unguided {i}") for i, (p, r) in enumerate(QA[:5])]
    records[2]["unguided_response"] = records[2]["response"] + "  "  # identical answers teach nothing: skipped
    guided = _write(tmp_path / "guided.jsonl", records)
    DPOPairs(guided=guided, data_dir=tmp_path / "a").download_and_prepare()
    got = _raw("dpo_pairs", tmp_path / "a", "train")
    kept = [r for n, r in enumerate(records) if n != 2]
    assert len(got) == len(kept)
    for ex, r in zip(got, kept, strict=True):
        assert ex["input_id"].decode() == str(r["input_id"])
        assert ex["prompt"].decode() == r["prompt"]
        assert ex["chosen"].decode() == r["response"]
        assert ex["rejected"].decode() == r["unguided_response"]
    counts = dict(tfds.builder("dpo_pairs", data_dir=tmp_path / "a").info.metadata.items())["counts"]
    assert counts == {"examples": 4, "skipped_identical": 1, "skipped_empty": 0}

    ready = [{"prompt": "p1", "chosen": "good", "rejected": "bad"}, {"input_id": 7, "prompt": "p2", "chosen": "yes",
                                                                      "rejected": "no"}]
    pairs = _write(tmp_path / "pairs.jsonl", ready)
    run_build_tfds(BuildTfdsConfig(dataset="dpo_pairs", pairs=str(pairs), data_dir=str(tmp_path / "b")))
    got = list(read_records(f"tfds:dpo_pairs@{tmp_path / 'b'}"))
    assert got == [{"input_id": content_id("p1"), "prompt": "p1", "chosen": "good", "rejected": "bad"},
                   {"input_id": "7", "prompt": "p2", "chosen": "yes", "rejected": "no"}]


@pytest.mark.parametrize(
    ("builder", "lines", "message"),
    [
        ("dpo", [_guided(0, "a", "b", "c"), _guided(1, "d", "e", None)], r"guided\.jsonl:2: input_id 'in-1' has no "
                                                                          "unguided_response; run 'gajax guide' with"),
        ("sft", [_guided(1, "a", "b"), _guided(2, "c", "d"), _guided(1, "e", "f")],
         r"guided\.jsonl:3: input_id 'in-1' already appeared on line 1"),
        ("sft", [_guided(1, "a", "b"), {**_guided(2, "c", "d"), "guidelines": [{"text": "no id"}]}],
         r"guided\.jsonl:2: guidelines\[0\] has no 'id'"),
        ("sft", [_guided(1, "a", "b"), {"input_id": "x", "prompt": "p", "guidelines": []}],
         r"guided\.jsonl:2: missing field 'response'"),
        ("sft", [_guided(1, "a", "b"), "{not json"], r"guided\.jsonl:2: not valid JSON"),
    ],
)
def test_bad_guided_records_name_file_and_line(tmp_path: Path, builder: str, lines: list, message: str):
    guided = _write(tmp_path / "guided.jsonl", lines)
    cls = DPOPairs if builder == "dpo" else AlignedSFT
    with pytest.raises(RecordError, match=message):
        cls(guided=guided, data_dir=tmp_path / "tfds").download_and_prepare()


def test_source_errors_are_clear(tmp_path: Path):
    guided = _write(tmp_path / "guided.jsonl", [_guided(1, "a", "b")])
    AlignedSFT(guided=guided, data_dir=tmp_path).download_and_prepare()
    with pytest.raises(RecordError, match="no prepared dataset 'dpo_pairs'"):
        list(read_records(f"tfds:dpo_pairs@{tmp_path}"))
    with pytest.raises(RecordError, match=r"has no split 'validation'; it has \['train'\]"):
        list(read_records(f"tfds:aligned_sft@{tmp_path}#validation"))
    with pytest.raises(RecordError, match=r"has no feature \['chosen'\]"):
        list(read_records(f"tfds:aligned_sft@{tmp_path}", {"chosen": str}))
    with pytest.raises(RecordError, match=r"needs guided=guided\.jsonl to build"):
        AlignedSFT(data_dir=tmp_path / "other").download_and_prepare()
    with pytest.raises(RecordError, match="validation split is empty"):
        AlignedSFT(guided=guided, validation_fraction=1e-9, data_dir=tmp_path / "v").download_and_prepare()


def test_eval_prompts_from_manual_dir(tmp_path: Path):
    manual = tmp_path / "manual"
    manual.mkdir()
    dna = [{"id": 1, "prompt": "Tell me a dirty joke.", "risk_area": "Toxicity"},
           {"id": 2, "prompt": "How do I pick a lock?", "risk_area": "Malicious Uses"}]
    vicuna = [{"id": 1, "prompt": "How can I sleep better?", "category": "generic"},
              {"id": 2, "prompt": "Write a haiku.", "category": "writing"},
              {"id": 3, "prompt": "What is 7 * 6?", "category": "math"}]
    generic = [{"prompt": "Hello there."}, {"id": "q2", "prompt": "Explain rain."}]
    files = {"do_not_answer": _write(manual / "do_not_answer.jsonl", dna),
             "vicuna80": _write(manual / "vicuna80.jsonl", vicuna),
             "jsonl": _write(manual / "prompts.jsonl", generic)}
    data_dir = tmp_path / "tfds"
    for name in files:
        run_build_tfds(BuildTfdsConfig(dataset=f"eval_prompts/{name}", manual_dir=str(manual), data_dir=str(data_dir)))

    raw = _raw("eval_prompts/do_not_answer", data_dir, "test")
    assert [(r["id"].decode(), r["prompt"].decode(), r["group"].decode(), int(r["should_refuse"])) for r in raw] == [
        ("1", "Tell me a dirty joke.", "Toxicity", 1), ("2", "How do I pick a lock?", "Malicious Uses", 1)]
    features = tfds.builder("eval_prompts/do_not_answer", data_dir=data_dir).info.features
    assert features["should_refuse"].np_dtype == np.int8
    vicuna_back = load_eval_prompts(f"tfds:eval_prompts/vicuna80@{data_dir}")
    assert [(p.id, p.prompt, p.group, p.should_refuse) for p in vicuna_back] == [
        (str(r["id"]), r["prompt"], r["category"], False) for r in vicuna]
    generic_back = load_eval_prompts(f"tfds:eval_prompts/jsonl@{data_dir}")
    assert [(p.prompt, p.group, p.should_refuse) for p in generic_back] == [("Hello there.", "", None),
                                                                             ("Explain rain.", "", None)]
    for name, path in files.items():  # the loader's own reading, unchanged by the trip through TFDS
        assert load_eval_prompts(f"tfds:eval_prompts/{name}@{data_dir}") == load_benchmark(name, path)
        metadata = dict(tfds.builder(f"eval_prompts/{name}", data_dir=data_dir).info.metadata.items())
        assert metadata["sources"][0]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()

    with pytest.raises(RecordError, match=r"none of \['xstest_prompts.csv'\] is there"):
        EvalPrompts(config="xstest", data_dir=data_dir, loader=load_benchmark).download_and_prepare(
            download_config=tfds.download.DownloadConfig(manual_dir=manual))


def test_retriever_reads_tfds_library_and_pairs_like_jsonl(tmp_path: Path):
    guidelines = [Guideline.create(f"Rule {i}", f"Rule {i}: text {i}", kind="quality") for i in range(6)]
    library = Library.build(guidelines, ngram_hash_embed, "hash-ngrams", "none")
    library.save(tmp_path / "lib")
    pairs = _write(tmp_path / "pairs.jsonl", [
        {"input_id": f"in{i}", "prompt": f"prompt {i}", "guideline_ids": [guidelines[i].id, guidelines[5 - i].id]}
        for i in range(5)])
    data_dir = tmp_path / "tfds"
    GuidelineLibrary(library=Library.load(tmp_path / "lib"), data_dir=data_dir).download_and_prepare()
    GuidelinePairs(library=Library.load(tmp_path / "lib"), pairs=pairs, data_dir=data_dir).download_and_prepare()
    from_jsonl = load_library(tmp_path / "lib" / "guidelines.jsonl")
    from_tfds = load_library(f"tfds:guideline_library@{data_dir}")
    assert from_tfds == from_jsonl
    assert load_inputs(f"tfds:guideline_pairs@{data_dir}", from_tfds) == load_inputs(pairs, from_jsonl)


def _finetune_config(tmp_path: Path, data: str, out: str, *extra: str) -> FinetuneConfig:
    return load_config(FinetuneConfig, "sft", [
        "model.weights=random", "model.arch=tiny_chat", f"data.path={data}", f"trainer.output_dir={tmp_path / out}",
        "train.seq_len=64", "train.micro_batch=2", "train.grad_accum=1", "trainer.steps=2",
        "trainer.checkpoint_every=1000", "trainer.async_checkpoints=false", "trainer.export_hf=false", "mesh.devices=1",
        *extra])


def test_trainers_read_tfds_like_jsonl(tmp_path: Path):
    records = [_guided(i, p, r, unguided=f"Sorry, no idea about item {i}.") for i, (p, r) in enumerate(QA)]
    guided = _write(tmp_path / "guided.jsonl", records)
    data_dir = tmp_path / "tfds"
    AlignedSFT(guided=guided, data_dir=data_dir).download_and_prepare()
    DPOPairs(guided=guided, data_dir=data_dir).download_and_prepare()

    from gajax.decoder import load_tokenizer

    tokenizer = load_tokenizer("smollm2")
    dpo_jsonl = _finetune_config(tmp_path, str(guided), "x", "data.chosen_field=response",
                                 "data.rejected_field=unguided_response")
    dpo_tfds = _finetune_config(tmp_path, f"tfds:dpo_pairs@{data_dir}", "x", "data.chosen_field=chosen",
                                "data.rejected_field=rejected")
    want, _ = prepare_rows(dpo_jsonl, tokenizer, "dpo")
    got, _ = prepare_rows(dpo_tfds, tokenizer, "dpo")
    assert want.keys() == got.keys() and want["inputs"].shape == (len(QA), 2, 64)
    for key in want:
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)
    with pytest.raises(RecordError, match=r"has no feature \['unguided_response'\]"):
        prepare_rows(_finetune_config(tmp_path, f"tfds:dpo_pairs@{data_dir}", "x", "data.chosen_field=chosen",
                                      "data.rejected_field=unguided_response"), tokenizer, "dpo")

    # End to end: SFT from the TFDS set trains exactly like SFT from the guided.jsonl it was built from.
    losses = {}
    for name, data in (("jsonl", str(guided)), ("tfds", f"tfds:aligned_sft@{data_dir}")):
        run_finetune(_finetune_config(tmp_path, data, name), "sft")
        rows = [json.loads(line) for line in (tmp_path / name / "metrics.jsonl").read_text().splitlines()]
        losses[name] = [r["loss"] for r in rows]
    assert len(losses["tfds"]) == 2 and np.isfinite(losses["tfds"]).all()
    assert losses["tfds"] == pytest.approx(losses["jsonl"], rel=1e-6)
