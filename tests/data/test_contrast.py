"""The contrast set (benign prompts with alarming words and their unsafe twins), its loader, the calibrated risk
score and the benchmark's contrast rows."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from rapidfuzz import fuzz, process

from gajax.records import RecordError
from gajax.retriever.risk import (
    RiskCalibration,
    RiskScorer,
    fit_risk_calibration,
    platt_fit,
    reliability,
    safety_margins,
    scorable,
    windows,
)
from gajax.seed import load_contrast, seed_data_dir

REPO = Path(__file__).resolve().parents[2]
FILES = {
    "train": seed_data_dir() / "contrast_train.jsonl",
    "validation": seed_data_dir() / "contrast_validation.jsonl",
    "test": REPO / "benchmarks" / "data" / "contrast_test.jsonl",
}
EVAL_DIRS = [REPO.parent / "shared" / "data" / "benchmarks", Path("/work/shared/data/benchmarks")]
CATEGORIES = {"homonyms", "figurative", "safe_targets", "safe_contexts", "definitions", "nonsense_discrimination",
              "historical_events", "privacy_public_fictional"}


def _read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def halves() -> dict[str, list[dict]]:
    return {name: _read(path) for name, path in FILES.items()}


@pytest.fixture(scope="module")
def guideline_kinds() -> dict[str, str]:
    return {g["id"]: g["kind"] for g in _read(seed_data_dir() / "guidelines.jsonl")}


def test_sizes_categories_and_labels(halves, guideline_kinds):
    assert sum(not r["risky"] for r in halves["train"]) >= 1500
    assert len(halves["validation"]) >= 400
    for records in halves.values():
        assert {r["category"] for r in records} == CATEGORIES
        for r in records:  # benign twins map to quality guidelines, unsafe twins to safety guidelines
            kinds = {guideline_kinds[g] for g in r["guideline_ids"]}
            assert kinds == ({"safety"} if r["risky"] else {"quality"}), r


def test_twin_pairs_stay_in_the_same_split(halves):
    pairs_of = {}
    for name, records in halves.items():
        by_id = {r["id"]: r for r in records}
        assert len(by_id) == len(records)
        for r in records:
            twin = by_id[r["twin"]]  # the twin is in the same file
            assert twin["twin"] == r["id"] and twin["pair"] == r["pair"] and twin["risky"] != r["risky"]
        counts = Counter(r["pair"] for r in records)
        assert set(counts.values()) == {2}
        pairs_of[name] = set(counts)
    assert not pairs_of["train"] & pairs_of["validation"]
    assert not pairs_of["train"] & pairs_of["test"]
    assert not pairs_of["validation"] & pairs_of["test"]


def test_halves_share_no_core_and_no_template():
    composer = _module(REPO / "tools" / "compose_contrast.py", "compose_contrast")
    train = {q for cores in composer.material.train_cores.values() for core in cores for q in core[2:4]}
    heldout = {q for cores in composer.material.validation_cores.values() for core in cores for q in core[2:4]}
    assert not train & heldout
    assert all(framing.replace("{q}", "") not in composer._ROLE_PLAYS for framing in composer.material.train_framings)
    ids = composer.guideline_ids()
    validation, test = composer.build_heldout(ids)  # the committed files are what the composer writes
    assert validation == _read(FILES["validation"]) and test == _read(FILES["test"])


def test_composer_writes_the_shipped_files_byte_for_byte(tmp_path):
    composer = REPO / "tools" / "compose_contrast.py"
    subprocess.run([sys.executable, str(composer), "--out", str(tmp_path)], check=True, capture_output=True)
    for path in FILES.values():
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


def test_no_contrast_prompt_near_an_evaluation_or_validation_prompt(halves):
    eval_files = [p for d in EVAL_DIRS if d.is_dir() for p in sorted(d.glob("*.jsonl"))]
    if not eval_files:
        pytest.skip("evaluation sets not present")
    others = [json.loads(line)["prompt"].lower() for p in eval_files for line in p.open(encoding="utf-8")
              if line.strip()]
    others += [r["prompt"].lower() for r in _read(REPO / "benchmarks" / "data" / "risk_validation.jsonl")]
    assert len(others) > 1000
    ours = sorted({r["prompt"].lower() for records in halves.values() for r in records})
    scores = process.cdist(ours, others, scorer=fuzz.ratio, dtype=np.uint8, workers=1)
    i, j = np.unravel_index(int(scores.argmax()), scores.shape)
    assert scores.max() < 85, (ours[i], others[j])


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_bad_contrast_records_are_reported_with_file_and_line(tmp_path, halves, guideline_kinds):
    first, second = halves["validation"][:2]
    assert first["twin"] == second["id"]
    assert len(load_contrast(_write(tmp_path / "ok.jsonl", [first, second]), set(guideline_kinds))) == 2
    path = _write(tmp_path / "no_twin.jsonl", [first, halves["validation"][2], halves["validation"][3]])
    with pytest.raises(RecordError, match=rf"no_twin.jsonl:1: the twin {second['id']!r}"):
        load_contrast(path, set(guideline_kinds))
    path = _write(tmp_path / "unknown.jsonl", [first, {**second, "guideline_ids": ["not-a-guideline"]}])
    with pytest.raises(RecordError, match=r"unknown.jsonl:2: .*unknown or no guideline ids \['not-a-guideline'\]"):
        load_contrast(path, set(guideline_kinds))
    path = _write(tmp_path / "label.jsonl", [first, {**second, "risky": first["risky"]}])
    with pytest.raises(RecordError, match=r"label.jsonl:1: "):
        load_contrast(path, set(guideline_kinds))


def test_safety_margins_match_the_top_k_rule():
    rng = np.random.default_rng(0)
    library = rng.standard_normal((30, 8)).astype(np.float32)
    queries = rng.standard_normal((50, 8)).astype(np.float32)
    safety = np.arange(30) % 3 == 0
    margins = safety_margins(queries, library, safety, 3)
    top3 = np.argsort(-(queries @ library.T), axis=1)[:, :3]
    np.testing.assert_array_equal(margins > 0, safety[top3].any(axis=1))


def test_platt_fit_is_calibrated_and_monotone():
    # margins whose risky rate rises with the margin, with label noise
    rng = np.random.default_rng(1)
    margins = rng.normal(0.0, 0.1, 2000)
    risky = rng.random(2000) < 1 / (1 + np.exp(-margins / 0.03))
    calibration = fit_risk_calibration(margins, risky, 3)
    assert calibration.slope > 0
    table = reliability(calibration.probability(margins), risky)
    rates = [b["risky_rate"] for b in table]
    assert rates == sorted(rates) and rates[-1] - rates[0] > 0.5
    scores = [b["score"] for b in table]
    assert np.allclose(scores, rates, atol=0.08)  # calibrated: the score says how often it is right
    flagged = calibration.probability(margins) >= calibration.threshold
    assert flagged[risky].mean() > 0.7 and flagged[~risky].mean() < 0.3
    assert RiskCalibration.from_dict(calibration.to_dict()) == calibration


def test_platt_fit_matches_scikit_learn():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(2)
    x = rng.normal(0.0, 0.2, 500)
    y = rng.random(500) < 1 / (1 + np.exp(-(8 * x - 1)))
    oracle = LogisticRegression(C=1e4 / 500, tol=1e-10, max_iter=10000).fit(x[:, None], y)  # C = 1 / (n * l2)
    slope, intercept = platt_fit(x, y, l2=1e-4)
    assert slope == pytest.approx(oracle.coef_[0, 0], rel=1e-4)
    assert intercept == pytest.approx(oracle.intercept_[0], rel=1e-4, abs=1e-5)


def test_unscorable_prompts_are_unknown_and_long_prompts_are_windowed():
    assert not scorable("") and not scorable("   \n\t") and not scorable("1234 ?!")
    assert not scorable("Как сделать бомбу дома?") and scorable("¿Cómo hago una tortilla?")
    long = " ".join(f"w{i}" for i in range(400))
    parts = windows(long, 150)
    assert parts[0].split()[0] == "w0" and parts[-1].split()[-1] == "w399"
    assert all(len(p.split()) <= 150 for p in parts) and windows("short prompt", 150) == ["short prompt"]

    library = np.eye(4, dtype=np.float32)
    safety = np.array([True, False, False, False])
    calls: list[list[str]] = []

    def embed(texts):
        calls.append(list(texts))
        return np.array([[1.0, 0, 0, 0] if "danger" in t else [0, 1.0, 0, 0] for t in texts], np.float32)

    scorer = RiskScorer(embed, library, safety, RiskCalibration(20.0, 0.0, 0.5, 1), window_words=5)
    calm, risky_end = "a b c d e f g h", "a b c d e f g danger"
    scores = scorer.score(["", "  ", calm, risky_end, "Привет мир"])
    assert scores[0] is None and scores[1] is None and scores[4] is None
    assert scores[3] > 0.5 > scores[2]  # the risky word in the last window counts
    assert scorer.is_risky([risky_end, ""]) == [True, None]
    assert all(t.strip() for t in calls[0])


def test_benchmark_contrast_rows_are_written_and_read_back(tmp_path, capsys):
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        bench = _module(REPO / "benchmarks" / "risk_identification.py", "risk_identification")
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    records = [
        {"prompt": "a", "category": "homonyms", "risky": False},
        {"prompt": "b", "category": "homonyms", "risky": True},
        {"prompt": "c", "category": "definitions", "risky": False},
        {"prompt": "d", "category": "definitions", "risky": False},
    ]
    rows = bench.contrast_rows(records, np.array([True, True, False, True]))
    path = tmp_path / "risk.json"
    bench.write_rows(path, rows, "test machine")
    back = {r["setting"]: r for r in bench.read_rows(path) if r["metric"] == "false_alarm_rate"}
    assert back["contrast/all"]["gajax"] == pytest.approx(100 * 2 / 3, abs=0.01)
    assert back["contrast/homonyms"]["gajax"] == 100.0 and back["contrast/definitions"]["gajax"] == 50.0
    assert back["contrast/definitions"]["ci95"][0] < 50.0 < back["contrast/definitions"]["ci95"][1]
    assert all(r["machine"] == "test machine" and r["higher_is_better"] is False for r in back.values())
    assert "  homonyms " in capsys.readouterr().out


def test_seed_build_calibrates_a_monotone_risk_score_on_validation(tmp_path):
    from gajax.seed import SeedConfig, ensure_seed_library, open_seed_risk_scorer

    cfg = SeedConfig(limit=40, steps=5, batch_size=16, cache_dir=str(tmp_path), progress=False)
    files = ensure_seed_library(cfg)
    report = files.report
    assert report["contrast_inputs"] == 80  # the first 40 twin pairs
    risk = report["risk"]
    assert risk["slope"] > 0 and 0 < risk["threshold"] < 1
    assert risk["validation_prompts"] == 80 + report["heldout_inputs"]
    scorer = open_seed_risk_scorer(cfg)
    validation = _read(FILES["validation"])[:80]
    scores = np.array(scorer.score([r["prompt"] for r in validation]))
    risky = np.array([r["risky"] for r in validation])
    rates = [b["risky_rate"] for b in reliability(scores, risky, bins=2)]
    assert rates[1] > rates[0]  # higher score, higher observed risk rate
    assert scorer.score(["", "   "]) == [None, None]
