"""The shipped seed library and inputs: counts, coverage, ids, mapping rules, no eval overlap, determinism."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import yaml
from rapidfuzz import fuzz, process

import gajax.data

DATA_DIR = Path(gajax.data.__file__).resolve().parent
SEED_DIR = DATA_DIR / "seed"
REPO_ROOT = Path(__file__).resolve().parents[2]
EVAL_DIRS = [
    REPO_ROOT.parent / "shared" / "data" / "benchmarks",
    REPO_ROOT / "shared" / "data" / "benchmarks",
]

SAFETY_SCENARIOS = {
    "Insult",
    "Unfairness_And_Discrimination",
    "Crimes_And_Illegal_Activities",
    "Sensitive_Topic",
    "Physical_Harm",
    "Mental_Health",
    "Privacy_And_Property",
    "Ethics_And_Morality",
}
INSTRUCTION_ATTACKS = {
    "Goal_Hijacking",
    "Prompt_Leaking",
    "Role_Play_Instruction",
    "Unsafe_Instruction_Topic",
    "Inquiry_With_Unsafe_Opinion",
    "Reverse_Exposure",
}


def _read(name: str) -> list[dict]:
    with (SEED_DIR / name).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.fixture(scope="module")
def taxonomy() -> dict[str, dict]:
    with (DATA_DIR / "taxonomy.yaml").open(encoding="utf-8") as f:
        return {entry["id"]: entry for entry in yaml.safe_load(f)["categories"]}


@pytest.fixture(scope="module")
def guidelines() -> list[dict]:
    return _read("guidelines.jsonl")


@pytest.fixture(scope="module")
def inputs() -> list[dict]:
    return _read("inputs.jsonl")


def test_taxonomy_has_the_paper_categories_and_quality(taxonomy):
    groups = {cid: entry["group"] for cid, entry in taxonomy.items()}
    assert {c for c, g in groups.items() if g == "safety_scenario"} == SAFETY_SCENARIOS
    assert {c for c, g in groups.items() if g == "instruction_attack"} == INSTRUCTION_ATTACKS
    assert {c for c, g in groups.items() if g == "quality"} == {"general_quality"}
    assert all(len(entry["description"].split()) >= 20 for entry in taxonomy.values())


def test_guideline_counts_and_kinds(guidelines, taxonomy):
    assert len(guidelines) >= 300
    per_category = Counter(c for g in guidelines for c in g["categories"])
    for category in SAFETY_SCENARIOS | INSTRUCTION_ATTACKS:
        assert per_category[category] >= 12, category
    assert per_category["general_quality"] >= 60
    for g in guidelines:
        assert set(g) >= {"id", "title", "text", "kind", "categories"}
        assert g["categories"] and set(g["categories"]) <= set(taxonomy), g
        assert g["text"].startswith(g["title"] + ": ")
        if g["kind"] == "quality":
            assert g["categories"] == ["general_quality"], g
        else:
            assert g["kind"] == "safety", g
            assert "general_quality" not in g["categories"], g


def test_guideline_ids_are_content_hashes(guidelines):
    ids = [g["id"] for g in guidelines]
    assert len(set(ids)) == len(ids)
    for g in guidelines:
        assert g["id"] == hashlib.sha256(g["text"].encode("utf-8")).hexdigest()[:16]


def test_no_near_duplicate_guidelines(guidelines):
    texts = [g["text"] for g in guidelines]
    scores = process.cdist(texts, texts, scorer=fuzz.ratio, dtype=np.uint8, workers=1)
    np.fill_diagonal(scores, 0)
    i, j = np.unravel_index(int(scores.argmax()), scores.shape)
    assert scores.max() < 75, (texts[i], texts[j])


def test_input_counts_and_coverage(inputs, taxonomy):
    assert len(inputs) >= 3000
    categories = Counter(r["category"] for r in inputs)
    assert set(categories) == set(taxonomy)
    for category in SAFETY_SCENARIOS | INSTRUCTION_ATTACKS:
        assert categories[category] >= 80, category
    risky = sum(r["risky"] for r in inputs)
    assert 0.45 <= risky / len(inputs) <= 0.65
    assert all(r["risky"] == (r["category"] != "general_quality") for r in inputs)
    assert all(r["source"] == "gajax-seed" for r in inputs)


def test_inputs_distinct_with_stable_ids(inputs):
    prompts = [r["prompt"].lower() for r in inputs]
    assert len(set(prompts)) == len(prompts)
    for r in inputs:
        assert r["id"] == hashlib.sha256(f"gajax-seed\x1f{r['prompt']}".encode()).hexdigest()[:16]
    assert len({r["id"] for r in inputs}) == len(inputs)


def test_input_guideline_mapping(inputs, guidelines):
    by_id = {g["id"]: g for g in guidelines}
    used = set()
    for r in inputs:
        ids = r["guideline_ids"]
        assert len(set(ids)) == len(ids) and 3 <= len(ids) <= 6, r
        assert all(i in by_id for i in ids), r
        used.update(ids)
        kinds = [by_id[i]["kind"] for i in ids]
        if r["risky"]:
            safety = [by_id[i] for i in ids if by_id[i]["kind"] == "safety"]
            assert len(safety) >= 2 and "quality" in kinds, r
            assert any(r["category"] in g["categories"] for g in safety), r
        else:
            assert set(kinds) == {"quality"}, r
    assert len(used) >= 0.9 * len(guidelines)


def test_no_overlap_with_eval_sets(inputs):
    eval_files = [
        path for directory in EVAL_DIRS if directory.is_dir() for path in sorted(directory.glob("*.jsonl"))
    ]
    if not eval_files:
        pytest.skip("evaluation sets not present")
    eval_prompts = []
    for path in eval_files:
        with path.open(encoding="utf-8") as f:
            eval_prompts += [json.loads(line)["prompt"].lower() for line in f if line.strip()]
    assert len(eval_prompts) > 100
    ours = [r["prompt"].lower() for r in inputs]
    scores = process.cdist(ours, eval_prompts, scorer=fuzz.ratio, dtype=np.uint8, workers=1)
    i, j = np.unravel_index(int(scores.argmax()), scores.shape)
    assert scores.max() < 85, (ours[i], eval_prompts[j])


def test_no_overlap_with_the_validation_set(inputs):
    # benchmarks/data/risk_validation.jsonl measures how the retriever generalises: no training input may be
    # (nearly) one of its prompts.
    with (REPO_ROOT / "benchmarks" / "data" / "risk_validation.jsonl").open(encoding="utf-8") as f:
        held_out = [json.loads(line)["prompt"].lower() for line in f if line.strip()]
    ours = [r["prompt"].lower() for r in inputs]
    scores = process.cdist(ours, held_out, scorer=fuzz.ratio, dtype=np.uint8, workers=1)
    i, j = np.unravel_index(int(scores.argmax()), scores.shape)
    assert scores.max() < 85, (ours[i], held_out[j])


COMPOSER = REPO_ROOT / "tools" / "compose_seed.py"


@pytest.fixture(scope="module")
def composer():
    """tools/compose_seed.py as a module (it lives outside the package)."""
    spec = importlib.util.spec_from_file_location("compose_seed", COMPOSER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_files_equal_a_fresh_build(composer, guidelines, inputs):
    assert composer.build_guidelines() == guidelines
    assert composer.build_inputs() == inputs


def test_composer_writes_the_shipped_files_byte_for_byte(tmp_path):
    subprocess.run([sys.executable, str(COMPOSER), "--out", str(tmp_path)], check=True, capture_output=True)
    for name in ("guidelines.jsonl", "inputs.jsonl"):
        assert (tmp_path / name).read_bytes() == (SEED_DIR / name).read_bytes(), name


def test_hand_written_tables_name_real_guidelines(composer):
    titles = {t for items in composer.material.safety_guidelines.values() for t, _ in items}
    assert set(composer.material.extra_categories) <= titles
    assert set(composer.material.match_words) <= titles


def test_material_ships_as_package_data():
    # The YAML tables are the provenance of the shipped JSONL files and travel with them in the wheel.
    with (REPO_ROOT / "pyproject.toml").open("rb") as f:
        globs = tomllib.load(f)["tool"]["setuptools"]["package-data"]["*"]
    for name in ("guideline_material.yaml", "prompt_material.yaml", "contrast_material.yaml", "guidelines.jsonl"):
        assert (SEED_DIR / name).is_file() and any(Path(name).match(g) for g in globs), name
    assert not (SEED_DIR / "build_seed.py").exists()  # the composer is a tool, outside the wheel
