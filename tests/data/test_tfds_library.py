"""TFDS array_record builders for the library and the pairs: a round trip through ``tfds.data_source``."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow_datasets as tfds

from gajax.data.tfds.library import GuidelineLibrary, GuidelinePairs
from gajax.library import Guideline, Library, LibraryError, ngram_hash_embed
from gajax.records import write_jsonl


def _library(directory: Path) -> Library:
    guidelines = [
        Guideline.create(
            f"Rule {i}",
            f"Rule {i}: text number {i}",
            kind="safety" if i % 2 else "quality",
            categories=("Insult",) if i % 3 == 0 else (),
            tags=(f"tag{i}",),
            sources=(f"in{i}", "x"),
        )
        for i in range(10)
    ]
    library = Library.build(guidelines, ngram_hash_embed, "hash-ngrams", "none")
    library.save(directory)
    return library


def test_library_and_pairs_round_trip(tmp_path: Path):
    library = _library(tmp_path / "lib")
    pairs = [
        {
            "input_id": f"in{i}",
            "prompt": f"prompt {i}",
            "guideline_ids": [library.guidelines[i].id, library.guidelines[(i + 3) % 10].id],
        }
        for i in range(7)
    ]
    write_jsonl(tmp_path / "pairs.jsonl", pairs)
    data_dir = tmp_path / "tfds"
    GuidelineLibrary(library=Library.load(tmp_path / "lib"), data_dir=data_dir).download_and_prepare()
    GuidelinePairs(
        library=Library.load(tmp_path / "lib"), pairs=tmp_path / "pairs.jsonl", data_dir=data_dir
    ).download_and_prepare()
    assert list((data_dir / "guideline_library" / "1.0.0").glob("*.array_record*"))

    source = tfds.data_source("guideline_library", data_dir=data_dir, split="train")
    assert len(source) == len(library)
    by_id = {}
    for i in range(len(source)):
        ex = source[i]
        by_id[ex["id"].decode()] = ex
    for g, row in zip(library.guidelines, library.embeddings, strict=True):
        ex = by_id[g.id]
        assert ex["text"].decode() == g.text and ex["kind"].decode() == g.kind
        assert [c.decode() for c in ex["categories"]] == list(g.categories)
        assert [s.decode() for s in ex["sources"]] == list(g.sources)
        np.testing.assert_array_equal(ex["embedding"], row)

    pair_source = tfds.data_source("guideline_pairs", data_dir=data_dir, split="train")
    got = {pair_source[i]["input_id"].decode(): pair_source[i] for i in range(len(pair_source))}
    assert len(got) == len(pairs)
    texts = {g.id: g.text for g in library.guidelines}
    for p in pairs:
        ex = got[p["input_id"]]
        assert [g.decode() for g in ex["guideline_ids"]] == p["guideline_ids"]
        assert [t.decode() for t in ex["guideline_texts"]] == [texts[g] for g in p["guideline_ids"]]
    assert "tensorflow" not in sys.modules


def test_pairs_with_unknown_ids_refused(tmp_path: Path):
    _library(tmp_path / "lib")
    write_jsonl(tmp_path / "pairs.jsonl", [{"input_id": "a", "prompt": "p", "guideline_ids": ["nope"]}])
    builder = GuidelinePairs(
        library=Library.load(tmp_path / "lib"), pairs=tmp_path / "pairs.jsonl", data_dir=tmp_path / "t"
    )
    with pytest.raises(LibraryError, match="record 1 names guideline ids not in"):
        builder.download_and_prepare()
