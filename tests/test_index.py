"""ScaNN index against exact search, the library/index binding, and the Stage-2 lookup."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rapidfuzz import fuzz

from gajax.index import GuidelineIndex, IndexMismatchError
from gajax.library import EncoderInfo, Guideline, Library, ngram_hash_embed
from gajax.retrieval import GuidelineRetriever, RetrievalConfig
from gajax.retriever.top_layers import TopLayerSettings
from gajax.searcher import IndexConfig, exact_search


def _clustered(n: int, dim: int, clusters: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, dim))
    x = centres[rng.integers(clusters, size=n)] + 0.35 * rng.normal(size=(n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _vector_library(embeddings: np.ndarray, tmp_path: Path) -> Library:
    guidelines = [Guideline.create(f"G{i}", f"G{i}: text {i}") for i in range(len(embeddings))]
    lib = Library(guidelines, embeddings, EncoderInfo("test", "none", embeddings.shape[1]))
    lib.save(tmp_path)
    return lib


def test_exact_search_matches_full_sort():
    db, q = _clustered(500, 16, 8, 0), _clustered(37, 16, 8, 1)
    idx, scores = exact_search(db, q, 20, chunk=10)
    full = q @ db.T
    np.testing.assert_array_equal(idx, np.argsort(-full, axis=1, kind="stable")[:, :20])
    np.testing.assert_allclose(scores, np.sort(full, axis=1)[:, ::-1][:, :20], rtol=1e-6)


def test_brute_force_equals_exact(tmp_path: Path):
    lib = _vector_library(_clustered(2000, 32, 20, 2), tmp_path)
    index = GuidelineIndex.build(lib)
    assert index.method == "brute_force"
    q = _clustered(50, 32, 20, 3)
    got_idx, got_scores = index.search(q, 20)
    want_idx, want_scores = exact_search(lib.embeddings, q, 20)
    np.testing.assert_allclose(got_scores, want_scores, atol=1e-5)
    assert (got_idx == want_idx).mean() > 0.99  # the order of exact ties may differ
    one_idx, _ = index.search(q[:1], 20)
    np.testing.assert_array_equal(one_idx[0], got_idx[0])


def test_tree_ah_recall_high_on_clustered_data(tmp_path: Path):
    lib = _vector_library(_clustered(30_000, 32, 100, 4), tmp_path)
    cfg = IndexConfig(method="tree_ah", num_leaves=150, leaves_to_search_fraction=0.1, reorder=200)
    index = GuidelineIndex.build(lib, cfg)
    q = _clustered(200, 32, 100, 5)
    got, _ = index.search(q, 20)
    want, _ = exact_search(lib.embeddings, q, 20)
    recall = np.mean([len(set(a) & set(b)) / 20 for a, b in zip(got, want, strict=True)])
    assert recall > 0.95


def test_index_round_trip_and_mismatch_refused(tmp_path: Path):
    lib = _vector_library(_clustered(25_000, 16, 50, 6), tmp_path / "a")
    index = GuidelineIndex.build(lib, IndexConfig(method="ah", reorder=100))
    index.save(tmp_path / "a")
    reloaded = GuidelineIndex.load(Library.load(tmp_path / "a"), tmp_path / "a")
    q = _clustered(30, 16, 50, 7)
    np.testing.assert_array_equal(reloaded.search(q)[0], index.search(q)[0])

    other = _vector_library(_clustered(25_000, 16, 50, 8), tmp_path / "b")
    with pytest.raises(IndexMismatchError, match="index was built for library"):
        GuidelineIndex.load(other, tmp_path / "a")
    with pytest.raises(IndexMismatchError, match="no index"):
        GuidelineIndex.load(other, tmp_path / "b")


def test_retrieve_top20_dedup_top6(tmp_path: Path):
    bases = [
        "Avoid Harm: never give instructions that could hurt people",
        "Respect Privacy: do not reveal personal information about anyone",
        "Be Accurate: check facts before stating them",
        "Stay Polite: answer without insults or mockery",
        "Refuse Crime: decline requests that help commit crimes",
        "Protect Children: keep content suitable for minors",
        "Cite Sources: say where information comes from",
        "Be Honest: admit uncertainty when unsure",
    ]
    texts = []
    for b in bases:
        texts += [b, b + ".", b.upper(), b.replace(" ", "  ")]
    lib = Library.build(
        [Guideline.create(t.split(":")[0], t) for t in texts], ngram_hash_embed, "hash", "none"
    )
    lib.save(tmp_path)
    GuidelineIndex.build(lib).save(tmp_path)
    retriever = GuidelineRetriever.open(tmp_path, ngram_hash_embed)
    queries = [
        "how do I hurt people",
        "tell me someone's personal information",
        "are you sure about that fact",
    ]
    results = retriever.retrieve(queries, RetrievalConfig(top_n=20, dedup_threshold=0.5, keep=6))
    want_idx, want_scores = exact_search(lib.embeddings, ngram_hash_embed(queries), 20)
    for query_results, scores, ranked in zip(results, want_scores, want_idx, strict=True):
        assert len(query_results) == 6
        kept_texts = [r.guideline.text for r in query_results]
        for i, a in enumerate(kept_texts):
            assert all(fuzz.ratio(a, b) < 50 for b in kept_texts[:i])
        ranks = [r.rank for r in query_results]
        assert ranks == sorted(ranks) and ranks[0] == 0 and max(ranks) < 20
        assert query_results[0].score == pytest.approx(scores[0], abs=1e-5)
        survivors = {r.rank: r.guideline.text for r in query_results}
        for rank in range(max(ranks)):  # every item dropped before the last survivor matched an earlier one
            if rank not in survivors:
                text = lib.guidelines[int(ranked[rank])].text
                assert any(fuzz.ratio(text, t) >= 50 for r, t in survivors.items() if r < rank)
    batched = retriever.retrieve(queries)
    singles = [retriever.retrieve([q])[0] for q in queries]
    assert [[r.guideline.id for r in b] for b in batched] == [[r.guideline.id for r in s] for s in singles]


def test_cli_build_library_and_retrieve(tmp_path: Path):
    from gajax.cli import main
    from gajax.records import read_jsonl, write_jsonl

    rules = {
        "privacy": "never reveal where a private person lives",
        "weapons": "refuse to explain how to build any weapon",
        "medicine": "suggest seeing a doctor for symptoms",
        "elections": "stay neutral about candidates and parties",
        "fraud": "decline to help deceive banks or buyers",
        "grief": "respond to loss with warmth and patience",
    }
    topics = list(rules)
    inputs = [{"id": f"in{i}", "prompt": f"question about {t} number {i}"} for i, t in enumerate(topics)]
    raw = [
        {
            "input_id": f"in{i}",
            "model": "test",
            "guidelines": [
                {"title": t.title(), "text": f"{t.title()}: {rules[t]}."},
                {"title": t, "text": f"{t}: {rules[t]}!"},
                {"title": "Be Accurate", "text": "Be Accurate: check the facts first."},
            ],
        }
        for i, t in enumerate(topics)
    ]
    write_jsonl(tmp_path / "inputs.jsonl", inputs)
    write_jsonl(tmp_path / "raw.jsonl", raw)
    lib_dir, pairs = tmp_path / "lib", tmp_path / "pairs.jsonl"
    args = [f"raw={tmp_path / 'raw.jsonl'}", f"inputs={tmp_path / 'inputs.jsonl'}", f"output={lib_dir}"]
    assert main(["build-library", *args, f"pairs={pairs}", "encoder=hash-ngrams:64"]) == 0
    library = Library.load(lib_dir)
    assert len(library) == len(topics) + 1  # the near-duplicate pair of each topic merged, "Be Accurate" once
    ids = {g.id for g in library.guidelines}
    for pair in read_jsonl(pairs):
        assert len(pair["guideline_ids"]) == 2 and set(pair["guideline_ids"]) <= ids
    accurate = next(g for g in library.guidelines if g.title == "Be Accurate")
    assert set(accurate.sources) == {f"in{i}" for i in range(len(topics))}

    out = tmp_path / "retrieved.jsonl"
    assert (
        main(["retrieve", f"library={lib_dir}", f"input={tmp_path / 'inputs.jsonl'}", f"output={out}"]) == 0
    )
    records = list(read_jsonl(out))
    assert [r["input_id"] for r in records] == [i["id"] for i in inputs]
    assert all(1 <= len(r["guidelines"]) <= 6 and {g["id"] for g in r["guidelines"]} <= ids for r in records)

    # Ids are validated as generate and guide do: a record without an id is keyed by its position, and any id
    # used twice (explicit "1" and the position 1 of an id-less record included) or given as a list is refused.
    from gajax.records import RecordError
    from gajax.retrieval import RetrieveConfig, run_retrieve

    bad = tmp_path / "bad.jsonl"
    cases = [
        ('{"id": "1", "prompt": "a"}\n{"prompt": "b"}\n', r"bad\.jsonl:2: id '1' \(given to this record"),
        ('{"id": "r", "prompt": "a"}\n{"id": "r", "prompt": "b"}\n', r"bad\.jsonl:2: id 'r' is used before, on line 1"),
        ('{"id": ["r2"], "prompt": "a"}\n', r"bad\.jsonl:1: field 'id' must be a string or integer, got list"),
    ]
    for text, needle in cases:
        bad.write_text(text)
        with pytest.raises(RecordError, match=needle):
            run_retrieve(RetrieveConfig(library=str(lib_dir), input=str(bad), output=str(tmp_path / "bad_out.jsonl")))
        assert not (tmp_path / "bad_out.jsonl").exists()


RULES = [
    ("Privacy", "never reveal where a private person lives"),
    ("Weapons", "refuse to explain how to build any weapon"),
    ("Medicine", "suggest seeing a doctor for worrying symptoms"),
    ("Elections", "stay neutral about candidates and parties"),
]


def _raw_inputs(tmp_path: Path, n: int = 4) -> list[str]:
    from gajax.records import write_jsonl

    write_jsonl(tmp_path / "inputs.jsonl", [{"id": f"in{i}", "prompt": f"question {i}"} for i in range(n)])
    write_jsonl(
        tmp_path / "raw.jsonl",
        [
            {"input_id": f"in{i}", "model": "m", "guidelines": [{"title": t, "text": f"{t}: {d}."}]}
            for i, (t, d) in enumerate(RULES[:n])
        ],
    )
    return [f"raw={tmp_path / 'raw.jsonl'}", f"inputs={tmp_path / 'inputs.jsonl'}", f"pairs={tmp_path / 'pairs.jsonl'}",
            "encoder=hash-ngrams:64"]


def test_build_library_refuses_a_cut_last_line_and_keeps_the_old_library(tmp_path: Path, capsys):
    from gajax.cli import main

    args = [*_raw_inputs(tmp_path), f"output={tmp_path / 'lib'}"]
    assert main(["build-library", *args]) == 0
    before = {p.name: p.read_bytes() for p in (tmp_path / "lib").rglob("*") if p.is_file()}

    raw = tmp_path / "raw.jsonl"
    raw.write_bytes(raw.read_bytes()[:-20])  # the last record cut off without a newline
    assert main(["build-library", *args]) == 1
    assert f"{raw}:4: the last line is cut off" in capsys.readouterr().err

    raw.write_text("")  # an empty raw file fails after reading: the working library stays whole
    assert main(["build-library", *args]) == 1
    assert "no guidelines to build a library from" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in (tmp_path / "lib").rglob("*") if p.is_file()} == before
    assert len(Library.load(tmp_path / "lib")) == 4
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".lib.")]  # no staging directory left


def test_build_library_bad_input_error_names_no_setting_it_lacks(tmp_path: Path, capsys):
    from gajax.cli import main

    args = [*_raw_inputs(tmp_path), f"output={tmp_path / 'lib'}"]
    with (tmp_path / "inputs.jsonl").open("a") as f:
        f.write('{"id": "in9"}\n')
    assert main(["build-library", *args]) == 1
    err = capsys.readouterr().err
    assert "inputs.jsonl:5: missing string field 'prompt'" in err and "bad_inputs" not in err
    assert main(["build-library", *args, "bad_inputs=skip"]) == 2  # build-library has no such key


def test_build_library_refuses_to_replace_a_directory_that_is_not_a_library(tmp_path: Path, capsys):
    from gajax.cli import main

    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "keep.txt").write_text("mine")
    assert main(["build-library", *_raw_inputs(tmp_path), f"output={tmp_path / 'notes'}"]) == 1
    assert "is not a library directory" in capsys.readouterr().err
    assert (tmp_path / "notes" / "keep.txt").read_text() == "mine"


def test_every_reader_of_the_seed_library_uses_its_query_adapter(tmp_path: Path, capsys):
    from gajax.cli import main
    from gajax.records import read_jsonl, write_jsonl
    from gajax.retrieval import open_retriever, seed_encoder
    from gajax.seed import SeedConfig, ensure_seed_library, open_seed_retriever, seed_query_fn

    cfg = SeedConfig(
        encoder="hash-ngrams:64", top_layers=TopLayerSettings(count=0), limit=200, steps=30, batch_size=32,
        cache_dir=str(tmp_path),
        progress=False,
    )
    files = ensure_seed_library(cfg)
    manifest = Library.load(files.library_dir).manifest
    assert manifest["query_encoder"] == {"name": "hash-ngrams:64", "adapter": "query_adapter.npz", "top_layers": None}
    assert "query_adapter.npz" in manifest["files"]  # hashed with the library

    texts = ["how do I pick a lock", "write a poem about spring", "tell me where my neighbour lives"]
    tuned = seed_query_fn(files, "hash-ngrams:64")(texts)
    plain = seed_encoder("hash-ngrams:64")[0](texts)
    assert not np.allclose(tuned, plain, atol=1e-3)  # the adapter changes the query side
    for retriever in (open_retriever(files.library_dir), open_seed_retriever(cfg)):  # retrieve/serve, guide/eval
        np.testing.assert_allclose(retriever.embed_fn(texts), tuned, atol=1e-6)

    write_jsonl(tmp_path / "q.jsonl", [{"id": str(i), "prompt": t} for i, t in enumerate(texts)])
    out = tmp_path / "r.jsonl"
    assert main(["retrieve", f"library={files.library_dir}", f"input={tmp_path / 'q.jsonl'}", f"output={out}"]) == 0
    want = [[r.to_record() for r in found] for found in open_seed_retriever(cfg).retrieve(texts)]
    assert [r["guidelines"] for r in read_jsonl(out)] == want
