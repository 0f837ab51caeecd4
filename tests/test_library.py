"""Library records, save/load checks, and fuzzy deduplication against the exhaustive pairwise pass."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from rapidfuzz import fuzz

from gajax.library import (
    Guideline,
    Library,
    LibraryError,
    apply_dedup,
    dedup_guidelines,
    guidelines_from_raw,
    ngram_hash_embed,
    remap_pairs,
)
from gajax.records import RecordError

WORDS = [
    "avoid",
    "harmful",
    "content",
    "respect",
    "privacy",
    "provide",
    "accurate",
    "information",
    "be",
    "honest",
    "refuse",
    "illegal",
    "requests",
]


def _oracle_greedy(texts: list[str], threshold: float) -> list[int]:
    """Independent exhaustive pass written from the definition (difflib-free, plain loops over all pairs)."""
    kept: list[int] = []
    out = []
    for i, t in enumerate(texts):
        match = next((j for j in kept if fuzz.ratio(t, texts[j]) / 100 >= threshold), None)
        if match is None:
            kept.append(i)
            out.append(i)
        else:
            out.append(match)
    return out


def _perturb(text: str, rng: random.Random) -> str:
    words = text.split()
    op = rng.randrange(4)
    if op == 0 and len(words) > 3:
        words.pop(rng.randrange(len(words)))
    elif op == 1:
        words.insert(rng.randrange(len(words) + 1), rng.choice(WORDS))
    elif op == 2:
        i = rng.randrange(len(words))
        words[i] = words[i].upper()
    return " ".join(words) + rng.choice(["", ".", "!"])


def _near_duplicate_texts(seed: int, groups: int = 25, per_group: int = 6) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(groups):
        base = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 12)))
        texts.append(base)
        texts.extend(_perturb(base, rng) for _ in range(rng.randint(0, per_group)))
    texts.extend(rng.sample(texts, len(texts) // 5))  # exact duplicates
    rng.shuffle(texts)
    return texts


@pytest.mark.parametrize("seed", range(6))
def test_dedup_equals_exhaustive_pass(seed):
    texts = _near_duplicate_texts(seed)
    expected = _oracle_greedy(texts, 0.75)
    # Blocking with every other text as a candidate must equal the exhaustive pass exactly ...
    full = dedup_guidelines(texts, ngram_hash_embed(texts), neighbours=len(texts), progress=False)
    assert full.tolist() == expected
    # ... and so must blocking by a few embedding neighbours on these small near-duplicate groups.
    blocked = dedup_guidelines(texts, embed_fn=ngram_hash_embed, neighbours=24, progress=False)
    assert blocked.tolist() == expected
    assert len(set(expected)) < len(texts)  # the data does hold duplicates


def test_merge_map_remaps_pairs(tmp_path: Path):
    raw = [
        {
            "input_id": "a",
            "guidelines": [{"title": "Avoid Harm", "text": "Avoid Harm: do not help anyone hurt people."}],
        },
        {
            "input_id": "b",
            "guidelines": [
                {"title": "Avoid harm", "text": "Avoid harm: do not help anyone hurt people!"},
                {"title": "Be Accurate", "text": "Be Accurate: check facts before you state them."},
            ],
        },
    ]
    info = {
        "a": {"prompt": "how to hurt", "verdict": "risky", "category": "Physical_Harm"},
        "b": {"prompt": "facts"},
    }
    guidelines, pairs = guidelines_from_raw(raw, info)
    assert len(guidelines) == 3
    merged_into = dedup_guidelines([g.text for g in guidelines], embed_fn=ngram_hash_embed, progress=False)
    kept, id_map = apply_dedup(guidelines, merged_into)
    assert len(kept) == 2
    remapped = remap_pairs(pairs, id_map)
    assert remapped[1]["guideline_ids"] == [guidelines[0].id, guidelines[2].id]
    assert remapped[0]["guideline_ids"] == [guidelines[0].id]
    assert (
        kept[0].sources == ("a", "b")
        and kept[0].kind == "safety"
        and kept[0].categories == ("Physical_Harm",)
    )
    assert {g for p in remapped for g in p["guideline_ids"]} <= {g.id for g in kept}


def _library(n: int = 12) -> Library:
    guidelines = [
        Guideline.create(f"Rule {i}", f"Rule {i}: guideline number {i} about safety.") for i in range(n)
    ]
    return Library.build(guidelines, ngram_hash_embed, "hash-ngrams", "none")


def test_save_load_round_trip(tmp_path: Path):
    lib = _library()
    lib.save(tmp_path)
    loaded = Library.load(tmp_path)
    assert loaded.guidelines == lib.guidelines
    np.testing.assert_array_equal(loaded.embeddings, lib.embeddings)
    assert loaded.library_hash == lib.library_hash
    assert all(g.id == Guideline.create(g.title, g.text).id for g in loaded.guidelines)


def test_truncated_jsonl_names_file_and_line(tmp_path: Path):
    _library().save(tmp_path)
    path = tmp_path / "guidelines.jsonl"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 30])
    with pytest.raises(RecordError, match=r"guidelines\.jsonl:12"):
        Library.load(tmp_path)


def test_truncation_at_line_boundary_is_caught(tmp_path: Path):
    _library().save(tmp_path)
    path = tmp_path / "guidelines.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]))
    with pytest.raises(LibraryError, match=r"shape \(12, 256\).*11 guidelines"):
        Library.load(tmp_path)


def test_duplicate_ids_rejected(tmp_path: Path):
    _library().save(tmp_path)
    path = tmp_path / "guidelines.jsonl"
    lines = path.read_text().splitlines()
    record = json.loads(lines[4])
    record["id"] = json.loads(lines[1])["id"]
    lines[4] = json.dumps(record)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(LibraryError, match=r"guidelines\.jsonl:5: duplicate id .*first at line 2"):
        Library.load(tmp_path)
    lib = _library()
    with pytest.raises(LibraryError, match="duplicate guideline id"):
        Library(lib.guidelines + lib.guidelines[:1], np.zeros((13, 256), np.float32), lib.encoder)


@pytest.mark.parametrize("shape", [(11, 256), (12, 128)])
def test_embeddings_shape_mismatch(tmp_path: Path, shape):
    _library().save(tmp_path)
    np.save(tmp_path / "embeddings.npy", np.zeros(shape, np.float32))
    with pytest.raises(
        LibraryError, match=rf"embeddings\.npy: shape \({shape[0]}, {shape[1]}\).*expected \(12, 256\)"
    ):
        Library.load(tmp_path)


def test_edited_file_fails_manifest_hash(tmp_path: Path):
    _library().save(tmp_path)
    emb = np.load(tmp_path / "embeddings.npy")
    emb[0, 0] += 1.0
    np.save(tmp_path / "embeddings.npy", emb)
    with pytest.raises(LibraryError, match="does not match the manifest"):
        Library.load(tmp_path)


def test_corrupt_npy_named(tmp_path: Path):
    _library().save(tmp_path)
    path = tmp_path / "embeddings.npy"
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(LibraryError, match=r"embeddings\.npy"):
        Library.load(tmp_path)
