"""Best-of-n sampling (gajax.sample) and ranking by a judge (gajax.rank): per-sample seeds and log-probs, batched
rows equal to single-row generation, kill/resume, the ranking rule table, refusal of mixed ranked sets, and the
SFT/DPO files read by the fine-tuning stage."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from tiny_guide import make_tiny_guide

import gajax.sample as sample_module
from gajax.cli import main
from gajax.eval.refusal import RefusalDetector
from gajax.eval.types import Judgement
from gajax.rank import (
    RankConfig,
    RankedSetMismatch,
    best_and_worst,
    is_risky,
    response_class,
    run_rank,
    tier,
)
from gajax.resume import ResumeMismatch
from gajax.sample import SampleConfig, run_sample, sample_batch, sample_seed

PROMPTS = ["What is my neighbour's home address?", "Add 2 and 3.", "How do I hurt someone?", "Keep it short."]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return make_tiny_guide(
        tmp_path_factory.mktemp("library"), SampleConfig, unguided=False, n=4, temperature=1.0, top_p=0.9,
        max_new_tokens=6,
    )


def _assert_same_samples(got: list[dict], want: list[dict]) -> None:
    """Equal samples: every field exact but the log-probs (float32 sums differ in the last bits across batch shapes)."""
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        exact = {k: v for k, v in a.items() if not k.endswith("logprob")}
        assert exact == {k: v for k, v in b.items() if not k.endswith("logprob")}
        assert a["sum_logprob"] == pytest.approx(b["sum_logprob"], abs=1e-4)


def _inputs(path: Path, count: int) -> list[str]:
    ids = [f"q{i}" for i in range(count)]
    rows = [{"id": i, "prompt": PROMPTS[n % 4], **({"risky": n % 2 == 0} if n % 3 else {})} for n, i in enumerate(ids)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return ids


# ------------------------------------------------------------------------------------------------ sampling


def test_sample_records_keys_seeds_and_guidelines(tiny):
    inputs = [{"id": "a", "prompt": PROMPTS[0], "risky": True}, {"id": "b", "prompt": PROMPTS[1]}]
    records = sample_batch(tiny, inputs, tiny.cfg)
    retrieved = tiny.retrieve([PROMPTS[0], PROMPTS[1]])
    for record, kept, given in zip(records, retrieved, inputs, strict=True):
        assert set(record) >= {"input_id", "prompt", "risky", "guidelines", "samples", "model", "settings"}
        assert record["risky"] == given.get("risky")  # the label, or None
        assert record["settings"]["n"] == 4 and record["settings"]["variant"] == "both"
        assert [s["variant"] for s in record["samples"]] == ["guided"] * 4 + ["unguided"] * 4
        assert [s["index"] for s in record["samples"]] == [0, 1, 2, 3] * 2
        for s in record["samples"]:
            assert s["seed"] == sample_seed(record["input_id"], s["index"], s["variant"])
            assert 1 <= s["tokens"] <= 6
            assert s["sum_logprob"] < 0 and s["mean_logprob"] == pytest.approx(s["sum_logprob"] / s["tokens"])
            if s["variant"] == "guided":  # the retrieval of gajax guide, ids and kinds recorded
                assert s["guideline_ids"] == [g["id"] for g in kept]
                assert s["guideline_kinds"] == [g["kind"] for g in kept]
            else:
                assert s["guideline_ids"] == [] and s["guideline_kinds"] == []
        assert len({s["seed"] for s in record["samples"]}) == 8
    assert records[0]["samples"][0]["guideline_kinds"][0] == "safety"
    texts = [s["text"] for s in records[0]["samples"][:4]]
    assert len(set(texts)) > 1  # sampled, not greedy: the n rows differ


def test_batched_rows_equal_single_row_generation_with_their_seed(tiny):
    inputs = [{"id": "a", "prompt": PROMPTS[0]}, {"id": "b", "prompt": PROMPTS[2]}, {"id": "c", "prompt": PROMPTS[3]}]
    batched = sample_batch(tiny, inputs, tiny.cfg)
    alone = sample_batch(tiny, inputs[1:2], tiny.cfg)[0]
    _assert_same_samples(alone["samples"], batched[1]["samples"])  # the batch around an input changes nothing
    guidelines = [g["text"] for g in tiny.retrieve([PROMPTS[2]])[0]]
    ids = tiny.encode(tiny.prompt_text(PROMPTS[2], guidelines))
    for s in batched[1]["samples"][:4]:
        single = tiny.engine.generate([ids], tiny.sampling, row_ids=[s["seed"]])[0]
        assert single.text == s["text"] and len(single.tokens) == s["tokens"]
        assert sum(single.logprobs) == pytest.approx(s["sum_logprob"], abs=1e-4)


def test_logprobs_are_the_models_log_softmax_of_the_sampled_tokens(tiny):
    ids = tiny.encode(tiny.prompt_text(PROMPTS[1], []))
    result = tiny.engine.generate([ids], tiny.sampling, row_ids=[7], return_logits=True)[0]
    logits = result.logits.astype(np.float64)
    log_softmax = logits - np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1, keepdims=True)) - logits.max(
        -1, keepdims=True
    )
    expected = log_softmax[np.arange(len(result.tokens)), result.tokens]
    np.testing.assert_allclose(result.logprobs, expected, rtol=1e-4, atol=1e-4)


def test_sample_config_rejects_greedy_n_and_guides_switch():
    with pytest.raises(ValueError, match="temperature > 0"):
        SampleConfig(temperature=0.0, n=4)
    with pytest.raises(ValueError, match="variant=unguided"):
        SampleConfig(unguided=True)
    with pytest.raises(ValueError, match="variant"):
        SampleConfig(variant="sideways")  # type: ignore[arg-type]


def test_sample_run_resumes_without_duplicates_or_gaps(tiny, tmp_path, monkeypatch):
    src, out = tmp_path / "inputs.jsonl", tmp_path / "samples.jsonl"
    ids = _inputs(src, 5)
    cfg = dataclasses.replace(tiny.cfg, input=str(src), output=str(out), batch_size=2)
    run_sample(cfg, guide=tiny)
    complete = out.read_text().splitlines()
    assert [json.loads(line)["input_id"] for line in complete] == ids
    # Killed mid-write: two finished lines and part of the third. The rerun samples only what is missing.
    out.write_text("\n".join(complete[:2]) + "\n" + complete[2][:40])
    sampled: list[str] = []
    original = sample_module.sample_batch

    def counting(guide, inputs, config):
        sampled.extend(r["id"] for r in inputs)
        return original(guide, inputs, config)

    monkeypatch.setattr(sample_module, "sample_batch", counting)
    run_sample(dataclasses.replace(cfg, batch_size=3), guide=tiny)  # another batching, the same samples
    assert sampled == ids[2:]
    resumed = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["input_id"] for r in resumed] == ids
    for got, want in zip(resumed, map(json.loads, complete), strict=True):
        _assert_same_samples(got.pop("samples"), want.pop("samples"))
        assert got == want
    with pytest.raises(ResumeMismatch, match="n: 4 then, 2 now"):
        run_sample(dataclasses.replace(cfg, n=2), guide=tiny)


def test_sample_rejects_a_bad_risky_label(tiny, tmp_path):
    src = tmp_path / "inputs.jsonl"
    src.write_text(json.dumps({"id": "x", "prompt": "hi", "risky": "maybe"}) + "\n")
    with pytest.raises(ValueError, match=r"inputs\.jsonl:1: field 'risky'"):
        run_sample(dataclasses.replace(tiny.cfg, input=str(src), output=str(tmp_path / "o.jsonl")), guide=tiny)


# ------------------------------------------------------------------------------------------------ the rule


@pytest.mark.parametrize(
    ("judgement", "expected"),
    [
        (Judgement("refusal", harmful=False, refused=True), "refusal"),
        (Judgement("partial_refusal", harmful=False, refused=True), "partial"),
        (Judgement("compliance", harmful=True, refused=False), "compliance"),
        (Judgement("action_0", harmful=False, refused=True), "refusal"),
        (Judgement("action_2", harmful=False, refused=False), "redirect"),
        (Judgement("action_5", harmful=True, refused=False), "compliance"),
        (Judgement("harmless", harmful=False, refused=None), "redirect"),
        (Judgement("harmful", harmful=True, refused=None), "compliance"),
        (Judgement("unparsed", harmful=None), "unknown"),
        (Judgement("error", harmful=None), "unknown"),
    ],
)
def test_response_class_of_each_judges_labels(judgement, expected):
    assert response_class(judgement) == expected


@pytest.mark.parametrize(
    ("risky", "classes", "scores", "best", "worst"),
    [
        # risky prompt: a refusal or safe redirection beats a partial refusal beats compliance
        (True, ["compliance", "refusal", "partial"], [-0.1, -2.0, -1.0], 1, 0),
        (True, ["compliance", "partial"], [-0.1, -3.0], 1, 0),
        (True, ["redirect", "compliance"], [-5.0, -0.1], 0, 1),
        # benign prompt: a compliant answer beats a partial refusal beats a refusal
        (False, ["refusal", "compliance", "partial"], [-0.1, -2.0, -1.0], 1, 0),
        (False, ["partial", "refusal"], [-3.0, -0.1], 0, 1),
        # ties within a tier: the higher second score wins, then the earlier sample
        (True, ["refusal", "refusal", "compliance"], [-1.5, -0.5, -0.1], 1, 2),
        (False, ["compliance", "compliance"], [-0.7, -0.2], 1, 0),
        (False, ["compliance", "compliance"], [-0.2, -0.2], 0, 1),
        # a sample the judge could not read is neither chosen nor rejected
        (True, ["unknown", "compliance", "refusal"], [0.0, -0.1, -0.2], 2, 1),
    ],
)
def test_ranking_rule_table(risky, classes, scores, best, worst):
    assert best_and_worst([tier(c, risky) for c in classes], scores) == (best, worst)


def test_tiers_and_unreadable_sets():
    assert tier("refusal", True) > tier("partial", True) > tier("compliance", True)
    assert tier("compliance", False) > tier("partial", False) > tier("refusal", False)
    assert tier("unknown", True) is None and best_and_worst([None, None], [0.0, 0.0]) is None


def test_unlabelled_prompts_are_risky_by_a_safety_guideline_in_their_top3():
    safety_third = [{"kind": "quality", "rank": 1}, {"kind": "quality", "rank": 2}, {"kind": "safety", "rank": 3}]
    safety_fourth = [*safety_third[:2], {"kind": "quality", "rank": 3}, {"kind": "safety", "rank": 4}]
    assert is_risky({"risky": None, "guidelines": safety_third}, 3) == (True, "guidelines")
    assert is_risky({"guidelines": safety_fourth}, 3) == (False, "guidelines")
    assert is_risky({"risky": False, "guidelines": safety_third}, 3) == (False, "label")


# ------------------------------------------------------------------------------------------------ ranking runs

REFUSAL = "I'm sorry, but I can't help with that request."
COMPLY = "Sure! Here is a detailed step-by-step guide: first gather the materials, then follow the plan."


def _sample(text: str, index: int, variant: str, mean: float) -> dict:
    return {"text": text, "variant": variant, "index": index, "seed": index, "sum_logprob": mean * 10,
            "mean_logprob": mean, "tokens": 10, "finish_reason": "stop",
            "guideline_ids": ["g1"] if variant == "guided" else [], "guideline_kinds": []}


def _samples_file(path: Path, count: int, model: str = "smollm2") -> list[str]:
    """Sample records with crafted answers: risky (even) prompts get a guided refusal, benign ones a compliant
    guided answer; unlabelled every third, with a safety guideline first when it is risky."""
    ids, lines = [], []
    for n in range(count):
        risky = n % 2 == 0
        good, bad = (REFUSAL, COMPLY) if risky else (COMPLY, REFUSAL)
        samples = [_sample(good, 0, "guided", -1.0), _sample(bad, 1, "guided", -0.5),
                   _sample(bad, 0, "unguided", -0.4), _sample(good, 1, "unguided", -2.0)]
        kind = "safety" if risky else "quality"
        record = {"input_id": f"p{n}", "prompt": f"Question {n}?", "risky": None if n % 3 == 0 else risky,
                  "guidelines": [{"id": "g1", "kind": kind, "rank": 1}], "samples": samples, "model": model,
                  "template": "chat", "settings": {"n": 2, "variant": "both"}}
        ids.append(record["input_id"])
        lines.append(json.dumps(record) + "\n")
    path.write_text("".join(lines))
    return ids


def _rank_args(tmp_path: Path) -> list[str]:
    files = {"input": "samples.jsonl", "output": "ranked.jsonl", "sft": "sft.jsonl", "dpo": "dpo.jsonl",
             "summary": "summary.json"}
    return [f"{k}={tmp_path / v}" for k, v in files.items()] + ["progress=false"]


def test_rank_run_picks_chosen_and_rejected_and_writes_the_training_files(tmp_path, capsys):
    ids = _samples_file(tmp_path / "samples.jsonl", 6)
    assert main(["rank", *_rank_args(tmp_path)]) == 0
    ranked = [json.loads(line) for line in (tmp_path / "ranked.jsonl").read_text().splitlines()]
    assert [r["input_id"] for r in ranked] == ids
    for n, r in enumerate(ranked):
        assert r["risky"] == (n % 2 == 0) and r["risky_from"] == ("guidelines" if n % 3 == 0 else "label")
        assert len(r["samples"]) == 4 and all({"judgement", "class", "tier", "safe"} <= set(s) for s in r["samples"])
        good, bad = (REFUSAL, COMPLY) if r["risky"] else (COMPLY, REFUSAL)
        assert r["chosen"]["text"] == good and r["chosen"]["index"] == 0 and r["chosen"]["variant"] == "guided"
        assert r["chosen"]["guideline_ids"] == ["g1"]
        assert r["rejected"]["text"] == bad and r["rejected"]["variant"] == "guided"  # bad at -0.5 is below -0.4
        assert r["judge"] == "refusal" and r["model"] == "smollm2"
    sft = [json.loads(line) for line in (tmp_path / "sft.jsonl").read_text().splitlines()]
    dpo = [json.loads(line) for line in (tmp_path / "dpo.jsonl").read_text().splitlines()]
    assert sft[0] == {"id": "p0", "prompt": "Question 0?", "response": REFUSAL} and len(sft) == 6
    assert dpo[1] == {"id": "p1", "prompt": "Question 1?", "chosen": COMPLY, "rejected": REFUSAL} and len(dpo) == 6
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["ranked_by_guidelines"] == 2 and summary["inputs"] == 6 and summary["risky_inputs"] == 3
    assert summary["variants"]["guided"]["safe"] == 6 and summary["variants"]["guided"]["samples"] == 12
    assert summary["variants"]["unguided"]["risky_safe_yield"] == 0.5
    assert "ranked_by_guidelines" in capsys.readouterr().out


def test_rank_resumes_without_duplicates_or_gaps(tmp_path):
    ids = _samples_file(tmp_path / "samples.jsonl", 5)
    cfg = RankConfig(input=str(tmp_path / "samples.jsonl"), output=str(tmp_path / "ranked.jsonl"),
                     sft=str(tmp_path / "sft.jsonl"), dpo=str(tmp_path / "dpo.jsonl"),
                     summary=str(tmp_path / "summary.json"), progress=False, batch_size=2)
    run_rank(cfg)
    complete = (tmp_path / "ranked.jsonl").read_text().splitlines()
    sft = (tmp_path / "sft.jsonl").read_text()
    (tmp_path / "ranked.jsonl").write_text("\n".join(complete[:3]) + "\n" + complete[3][:25])

    class Counting(RefusalDetector):
        def __init__(self) -> None:
            self.judged: list[str] = []

        def judge(self, pairs):
            self.judged.extend(p for p, _ in pairs)
            return super().judge(pairs)

    judge = Counting()
    run_rank(cfg, judge=judge)
    assert sorted(set(judge.judged)) == ["Question 3?", "Question 4?"]
    assert (tmp_path / "ranked.jsonl").read_text().splitlines() == complete
    assert [json.loads(line)["input_id"] for line in complete] == ids
    assert (tmp_path / "sft.jsonl").read_text() == sft


def test_rank_refuses_another_judge_or_another_models_samples(tmp_path, capsys):
    _samples_file(tmp_path / "samples.jsonl", 3)
    assert main(["rank", *_rank_args(tmp_path)]) == 0

    class KeywordJudge:
        name = "keyword"

        def judge(self, pairs):
            return [Judgement("refusal" if "sorry" in r else "compliance", "sorry" not in r, "sorry" in r)
                    for _, r in pairs]

    cfg = RankConfig(input=str(tmp_path / "samples.jsonl"), output=str(tmp_path / "ranked.jsonl"), progress=False,
                     sft=str(tmp_path / "s.jsonl"), dpo=str(tmp_path / "d.jsonl"), summary=str(tmp_path / "m.json"))
    with pytest.raises(RankedSetMismatch, match="judge 'refusal'; this run has judge 'keyword'"):
        run_rank(cfg, judge=KeywordJudge())
    with pytest.raises(RankedSetMismatch, match="judge"):
        run_rank(dataclasses.replace(cfg, resume="force"), judge=KeywordJudge())  # force does not mix judges
    _samples_file(tmp_path / "samples.jsonl", 4, model="other-model")
    assert main(["rank", *_rank_args(tmp_path)]) == 1
    assert "model 'smollm2'; this run has model 'other-model'" in capsys.readouterr().err
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text((tmp_path / "samples.jsonl").read_text().replace('"other-model"', '"smollm2"', 1))
    with pytest.raises(RankedSetMismatch, match="several models \\(other-model, smollm2\\)"):
        run_rank(dataclasses.replace(cfg, input=str(mixed), output=str(tmp_path / "new.jsonl")))


def test_sft_and_dpo_files_load_in_the_finetune_readers(tmp_path):
    from gajax.decoder import load_tokenizer
    from gajax.finetune.train import DataConfig, FinetuneConfig, TrainConfig, prepare_rows

    _samples_file(tmp_path / "samples.jsonl", 4)
    assert main(["rank", *_rank_args(tmp_path)]) == 0
    tokenizer = load_tokenizer("smollm2")
    train = TrainConfig(seq_len=96)
    sft_rows, sft_stats = prepare_rows(
        FinetuneConfig(data=DataConfig(path=str(tmp_path / "sft.jsonl"), max_prompt_length=48), train=train),
        tokenizer, "sft")
    dpo_rows, dpo_stats = prepare_rows(
        FinetuneConfig(data=DataConfig(path=str(tmp_path / "dpo.jsonl"), max_prompt_length=48), train=train),
        tokenizer, "dpo")
    assert sft_stats.examples == 4 and dpo_stats.examples == 8  # a pair is two examples
    assert sft_stats.prompts_truncated == dpo_stats.prompts_truncated == 0
    assert dpo_rows["inputs"].shape[:2] == (4, 2) and sft_rows["inputs"].shape[-1] == 96
    # The first pair (a risky prompt): loss on the chosen refusal and the rejected compliance, each ending in EOS.
    for side, text in ((0, REFUSAL), (1, COMPLY)):
        mask = dpo_rows["loss_mask"][0, side].astype(bool)
        assert dpo_rows["targets"][0, side][mask].tolist() == [*tokenizer.encode(text), tokenizer.eos_id]
