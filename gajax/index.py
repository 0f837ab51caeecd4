"""Nearest-neighbour search over a guideline library: ScaNN searchers, an exact search, and Stage-2 lookup.

``build_searcher`` follows ScaNN's own rules unless told otherwise: brute force under 20k guidelines,
asymmetric hashing (AH) + exact reordering under 100k, a partitioning tree + AH + exact reordering above. A
:class:`GuidelineIndex` is saved in ``<library>/index/`` with ``index.json`` recording the library's hash and
encoder, the command that rebuilds it, and the size and xxh3-128 hash of every file ScaNN wrote. Loading refuses
an index whose library hash, encoder, count or dimension differs from the library it is served with, or whose
files are missing or changed, before ScaNN reads any of them (xxh3 runs at several GB/s, so checking costs a
fraction of ScaNN's own load; ``benchmarks/retrieval.py --index-load`` measures it).

``retrieve`` is the paper's Stage-2 lookup: the top 20 guidelines per query, fuzzy deduplicated in rank order
(an item survives if its ratio against every survivor is below 0.5), the first 6 survivors kept.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
from pathlib import Path
from typing import Any, Literal

import numpy as np
from rapidfuzz import fuzz

from gajax.integrity import file_digest
from gajax.library import EmbedFn, Guideline, Library, LibraryError

INDEX_DIR = "index"
INDEX_MANIFEST = "index.json"
INDEX_FORMAT = 2
REBUILD_LIBRARY = "gajax build-library"
REBUILD_SEED = "gajax build-seed rebuild=true"
Method = Literal["auto", "brute_force", "ah", "tree_ah"]


class IndexMismatchError(LibraryError):
    """An index that was not built from the library it is loaded with, or whose files are damaged."""


def index_files(directory: Path) -> dict[str, dict[str, Any]]:
    """``{name: {"bytes", "xxh3_128"}}`` of every file in ``directory`` but ``index.json``."""
    return {
        p.name: {"bytes": p.stat().st_size, "xxh3_128": file_digest(p)}
        for p in sorted(directory.iterdir())
        if p.is_file() and p.name != INDEX_MANIFEST
    }


def verify_index_files(directory: Path, files: dict[str, Any], rebuild: str) -> None:
    """Refuse (naming the file and ``rebuild``, the command that rebuilds the index) a file of ``files`` that is
    missing or whose size or hash differs."""
    for name, want in files.items():
        path = directory / name
        if Path(name).name != name or not isinstance(want, dict):
            raise IndexMismatchError(f"{directory / INDEX_MANIFEST}: bad entry for {name!r}; rebuild with '{rebuild}'")
        if not path.is_file():
            raise IndexMismatchError(f"{path}: missing (index.json lists it); rebuild the index with '{rebuild}'")
        size = path.stat().st_size
        if size != want.get("bytes"):
            raise IndexMismatchError(
                f"{path}: {size} bytes, index.json expects {want.get('bytes')}; rebuild the index with '{rebuild}'"
            )
        if file_digest(path) != want.get("xxh3_128"):
            raise IndexMismatchError(
                f"{path}: content differs from what was built (xxh3 hash mismatch); rebuild the index with "
                f"'{rebuild}'"
            )


@dataclasses.dataclass(frozen=True)
class IndexConfig:
    """How to build and search a ScaNN index (0 means "choose from the library size").

    ``num_leaves`` defaults to about sqrt(n); ``leaves_to_search_fraction`` of them are searched per query;
    ``reorder`` candidates are rescored exactly. ``search_batch`` queries go to each parallel batched search.
    """

    method: Method = "auto"
    num_leaves: int = 0
    leaves_to_search: int = 0
    leaves_to_search_fraction: float = 0.05
    training_sample_size: int = 0
    dims_per_block: int = 2
    anisotropic_quantization_threshold: float = 0.2
    reorder: int = 250
    search_batch: int = 256


def choose_method(n: int, method: Method = "auto") -> Method:
    """ScaNN's rule: brute force under 20k points, AH + reordering under 100k, tree + AH + reorder above."""
    if method != "auto":
        return method
    if n < 20_000:
        return "brute_force"
    return "ah" if n < 100_000 else "tree_ah"


def build_searcher(embeddings: np.ndarray, cfg: IndexConfig, k: int = 20) -> Any:
    """A ScaNN searcher over ``embeddings`` (dot product) that returns ``k`` neighbours by default."""
    import scann

    embeddings = np.ascontiguousarray(embeddings, dtype=np.float32)
    n = len(embeddings)
    if n == 0:
        raise LibraryError("cannot index an empty library")
    k = min(k, n)
    method = choose_method(n, cfg.method)
    builder = scann.scann_ops_pybind.builder(embeddings, k, "dot_product")
    if method == "brute_force":
        return builder.score_brute_force().build()
    if method == "tree_ah":
        leaves = cfg.num_leaves or max(2, round(math.sqrt(n)))
        leaves = min(leaves, n)
        search = cfg.leaves_to_search or max(1, math.ceil(leaves * cfg.leaves_to_search_fraction))
        sample = min(n, cfg.training_sample_size or max(100_000, 50 * leaves))
        builder = builder.tree(num_leaves=leaves, num_leaves_to_search=min(search, leaves), training_sample_size=sample)
    builder = builder.score_ah(
        cfg.dims_per_block, anisotropic_quantization_threshold=cfg.anisotropic_quantization_threshold
    )
    return builder.reorder(max(cfg.reorder, k)).build()


def exact_search(
    database: np.ndarray, queries: np.ndarray, k: int, *, chunk: int = 1024
) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-``k`` by inner product, best first: ``(indices int64 (q, k), scores float32 (q, k))``.

    Queries are scored ``chunk`` at a time so memory stays at ``chunk * len(database)`` scores.
    """
    database = np.asarray(database, dtype=np.float32)
    queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
    k = min(k, len(database))
    indices = np.empty((len(queries), k), np.int64)
    scores = np.empty((len(queries), k), np.float32)
    for start in range(0, len(queries), chunk):
        block = queries[start : start + chunk] @ database.T
        top = (
            np.argpartition(-block, k - 1, axis=1)[:, :k]
            if k < block.shape[1]
            else np.tile(np.arange(k), (len(block), 1))
        )
        top_scores = np.take_along_axis(block, top, axis=1)
        order = np.lexsort((top, -top_scores), axis=1)
        indices[start : start + len(block)] = np.take_along_axis(top, order, axis=1)
        scores[start : start + len(block)] = np.take_along_axis(top_scores, order, axis=1)
    return indices, scores


@dataclasses.dataclass
class GuidelineIndex:
    """A ScaNN searcher bound to one library (by ``library_hash``, count and dimension) and its ``encoder``
    (``{name, weights_hash}``)."""

    searcher: Any
    library_hash: str
    count: int
    dim: int
    method: str
    config: IndexConfig
    encoder: dict[str, str] = dataclasses.field(default_factory=dict)

    @classmethod
    def build(cls, library: Library, cfg: IndexConfig = IndexConfig(), k: int = 20) -> GuidelineIndex:
        """Index a saved library's embeddings."""
        searcher = build_searcher(np.asarray(library.embeddings), cfg, k)
        return cls(
            searcher,
            library.library_hash,
            len(library),
            library.encoder.dim,
            choose_method(len(library), cfg.method),
            cfg,
            _encoder_of(library),
        )

    def search(self, queries: np.ndarray, k: int = 20) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` ``(indices, scores)`` for a batch of query embeddings, best first."""
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        if queries.shape[1] != self.dim:
            raise LibraryError(f"query embeddings have dimension {queries.shape[1]}, the index has {self.dim}")
        k = min(k, self.count)
        if len(queries) == 1:
            idx, dist = self.searcher.search(queries[0], final_num_neighbors=k)
            return np.asarray(idx, np.int64)[None], np.asarray(dist, np.float32)[None]
        idx, dist = self.searcher.search_batched_parallel(
            queries, final_num_neighbors=k, batch_size=self.config.search_batch
        )
        return np.asarray(idx, np.int64), np.asarray(dist, np.float32)

    def save(self, library_dir: str | Path, rebuild: str = REBUILD_LIBRARY) -> Path:
        """Serialize into ``<library_dir>/index/`` (replacing an older index) with ``index.json``: the library's
        hash and encoder, ``rebuild`` (the command that rebuilds it) and each file's size and hash."""
        directory = Path(library_dir) / INDEX_DIR
        if directory.exists():
            shutil.rmtree(directory)
        directory.mkdir(parents=True)
        self.searcher.serialize(str(directory), relative_path=True)
        meta = {
            "format": INDEX_FORMAT,
            "library_hash": self.library_hash,
            "encoder": self.encoder,
            "count": self.count,
            "dim": self.dim,
            "method": self.method,
            "config": dataclasses.asdict(self.config),
            "rebuild": rebuild,
            "files": index_files(directory),  # read back while still in the page cache
        }
        (directory / INDEX_MANIFEST).write_text(json.dumps(meta, indent=2) + "\n")
        return directory

    @classmethod
    def verify(cls, library: Library, library_dir: str | Path) -> dict[str, Any]:
        """Check ``<library_dir>/index/`` against ``library`` and its own file hashes; returns ``index.json``."""
        directory = Path(library_dir) / INDEX_DIR
        meta_path = directory / INDEX_MANIFEST
        rebuild = f"{REBUILD_LIBRARY}' (the seed library: '{REBUILD_SEED}"
        try:
            meta = json.loads(meta_path.read_text())
        except FileNotFoundError:
            raise IndexMismatchError(f"{meta_path}: no index; build one with '{rebuild}'") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise IndexMismatchError(f"{meta_path}: not valid JSON ({err}); rebuild with '{rebuild}'") from None
        if not isinstance(meta, dict) or not isinstance(meta.get("rebuild"), str):
            raise IndexMismatchError(f"{meta_path}: not a gajax index manifest; rebuild with '{rebuild}'")
        rebuild = meta["rebuild"]
        kinds = {"format": int, "library_hash": str, "encoder": dict, "count": int, "dim": int, "method": str,
                 "config": dict, "files": dict}
        wrong = [k for k, kind in kinds.items() if not isinstance(meta.get(k), kind)]
        if wrong or meta["format"] != INDEX_FORMAT:
            raise IndexMismatchError(
                f"{meta_path}: {'bad or missing ' + ', '.join(wrong) if wrong else 'format ' + str(meta['format'])}"
                f" (this gajax reads index format {INDEX_FORMAT} with file hashes); rebuild with '{rebuild}'"
            )
        if meta["library_hash"] != library.library_hash:
            raise IndexMismatchError(
                f"{directory}: index was built for library {meta['library_hash'][:12]}, but the library has "
                f"hash {library.library_hash[:12]} ({len(library)} guidelines); rebuild the index with '{rebuild}'"
            )
        encoder = _encoder_of(library)
        if meta["encoder"] != encoder:
            raise IndexMismatchError(
                f"{meta_path}: index was built from encoder {meta['encoder']}, the library's is {encoder}; "
                f"rebuild with '{rebuild}'"
            )
        if meta["count"] != len(library) or meta["dim"] != library.encoder.dim:
            raise IndexMismatchError(
                f"{directory}: index holds {meta['count']} x {meta['dim']}, the library "
                f"{len(library)} x {library.encoder.dim}; rebuild with '{rebuild}'"
            )
        present = {p.name for p in directory.iterdir() if p.is_file() and p.name != INDEX_MANIFEST}
        if not meta["files"] or present - meta["files"].keys():  # ScaNN must read no file that was not checked
            raise IndexMismatchError(
                f"{meta_path}: does not list {sorted(present - meta['files'].keys()) or 'any file'} of {directory}; "
                f"rebuild with '{rebuild}'"
            )
        verify_index_files(directory, meta["files"], rebuild)
        return meta

    @classmethod
    def load(cls, library: Library, library_dir: str | Path) -> GuidelineIndex:
        """Load ``<library_dir>/index/``, refusing it unless it was built from ``library`` and its files are the
        ones that were written (checked before ScaNN reads them)."""
        import scann

        meta = cls.verify(library, library_dir)
        directory = Path(library_dir) / INDEX_DIR
        try:
            config = IndexConfig(**meta["config"])
            searcher = scann.scann_ops_pybind.load_searcher(str(directory))
        except Exception as err:  # ScaNN raises RuntimeError with C++ messages; a bad config a TypeError
            reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise IndexMismatchError(
                f"{directory}: cannot load the index ({reason}); rebuild with '{meta['rebuild']}'"
            ) from None
        return cls(searcher, meta["library_hash"], meta["count"], meta["dim"], meta["method"], config, meta["encoder"])


def _encoder_of(library: Library) -> dict[str, str]:
    return {"name": library.encoder.name, "weights_hash": library.encoder.weights_hash}


def dedup_ranked(texts: list[str], threshold: float = 0.5, keep: int = 6) -> list[int]:
    """Positions of the ranked items that survive: each has fuzzy ratio below ``threshold`` against every
    earlier survivor; stops after ``keep`` survivors."""
    kept: list[int] = []
    cutoff = threshold * 100
    for i, text in enumerate(texts):
        if len(kept) == keep:
            break
        if all(fuzz.ratio(text, texts[j], score_cutoff=cutoff) < cutoff for j in kept):
            kept.append(i)
    return kept


@dataclasses.dataclass(frozen=True)
class Retrieved:
    """One retrieved guideline with its score and rank before deduplication."""

    guideline: Guideline
    score: float
    rank: int

    def to_record(self) -> dict[str, Any]:
        return {
            "id": self.guideline.id,
            "text": self.guideline.text,
            "kind": self.guideline.kind,
            "score": self.score,
            "rank": self.rank,
        }


class GuidelineRetriever:
    """Stage-2 lookup over a library and its index; ``embed_fn`` embeds queries (L2-normalised rows)."""

    def __init__(self, library: Library, index: GuidelineIndex, embed_fn: EmbedFn, name: str = ""):
        if index.library_hash != library.library_hash:
            raise IndexMismatchError("index and library do not belong together")
        self.library = library
        self.index = index
        self.embed_fn = embed_fn
        self.name = name or f"library-{library.library_hash[:16]}"  # what records name as their retriever

    @classmethod
    def open(cls, library_dir: str | Path, embed_fn: EmbedFn) -> GuidelineRetriever:
        """Load a saved library and its index."""
        library = Library.load(library_dir)
        return cls(library, GuidelineIndex.load(library, library_dir), embed_fn)

    def retrieve(
        self, queries: list[str], top_n: int = 20, dedup_threshold: float = 0.5, keep: int = 6
    ) -> list[list[Retrieved]]:
        """For each query: the ``top_n`` nearest guidelines, fuzzy deduplicated in rank order, the first
        ``keep``."""
        if not queries:
            return []
        embedded = np.asarray(self.embed_fn(list(queries)), dtype=np.float32)
        if embedded.shape != (len(queries), self.index.dim):
            raise LibraryError(
                f"query encoder returned shape {embedded.shape}; expected ({len(queries)}, {self.index.dim})"
            )
        indices, scores = self.index.search(embedded, top_n)
        results = []
        for row_idx, row_scores in zip(indices, scores, strict=True):
            ranked = [self.library.guidelines[int(i)] for i in row_idx]
            survivors = dedup_ranked([g.text for g in ranked], dedup_threshold, keep)
            results.append([Retrieved(ranked[p], float(row_scores[p]), p) for p in survivors])
        return results


def query_encoder_for(library: Library, library_dir: str | Path, encoder: str = "") -> EmbedFn:
    """The query side the library's manifest names: its encoder's query tower (``encoder`` replaces the encoder
    by name), then the tuned top layers and query adapter stored in the library when it has them (the seed
    library). Refuses an encoder whose weights hash differs from the one that embedded the library."""
    from gajax.seed import seed_encoder, tuned_query_fn

    query = library.query_encoder or {"name": library.encoder.name}
    embed_fn, info = seed_encoder(encoder or query["name"])
    if info.weights_hash != library.encoder.weights_hash:
        raise LibraryError(
            f"{library_dir}: embeddings were made by {library.encoder.name} "
            f"(weights {library.encoder.weights_hash[:12]}), "
            f"the query encoder {info.name} has weights {info.weights_hash[:12]}"
        )
    if not query.get("adapter"):
        return embed_fn
    directory = Path(library_dir)
    top_layers = directory / query["top_layers"] if query.get("top_layers") else None
    return tuned_query_fn(directory / query["adapter"], top_layers, encoder or query["name"])


def open_retriever(library_dir: str | Path, encoder: str = "", name: str = "") -> GuidelineRetriever:
    """A retriever over a saved library and its index whose queries go through the query encoder its manifest
    names (see :func:`query_encoder_for`); ``name`` is what records name it by (empty: the library's hash)."""
    library = Library.load(library_dir)
    index = GuidelineIndex.load(library, library_dir)
    return GuidelineRetriever(library, index, query_encoder_for(library, library_dir, encoder), name)


@dataclasses.dataclass(frozen=True)
class RetrieveConfig:
    """``gajax retrieve``: one ``query``, or ``input`` JSONL records (``prompt``, optional ``id``) to
    ``output``."""

    library: str = "library"
    encoder: str = ""
    query: str = ""
    input: str = ""
    output: str = ""
    top_n: int = 20
    keep: int = 6
    dedup_threshold: float = 0.5
    batch_size: int = 256


def run_retrieve(cfg: RetrieveConfig) -> int:
    """Runner of ``gajax retrieve``: print the guidelines for one query, or write one record per input."""
    from tqdm.auto import tqdm

    from gajax.records import ResumableWriter, read_keyed

    if bool(cfg.query) == bool(cfg.input):
        raise SystemExit("gajax retrieve: give exactly one of query='...' or input=FILE.jsonl")
    retriever = open_retriever(cfg.library, cfg.encoder)
    settings = {"top_n": cfg.top_n, "dedup_threshold": cfg.dedup_threshold, "keep": cfg.keep}
    if cfg.query:
        for r in retriever.retrieve([cfg.query], **settings)[0]:
            print(f"[{r.rank:2d}] {r.score:.3f}  {r.guideline.text}")
        return 0
    if not cfg.output:
        raise SystemExit("gajax retrieve: input=FILE needs output=FILE.jsonl")
    records = [r for _, r in read_keyed(cfg.input, {"prompt": str}, default_key=True)]  # as generate and guide
    with ResumableWriter(cfg.output, "input_id") as writer:
        todo = [(str(r["id"]), r["prompt"]) for r in records if str(r["id"]) not in writer]
        for start in tqdm(range(0, len(todo), cfg.batch_size), desc="retrieve", unit="batch"):
            chunk = todo[start : start + cfg.batch_size]
            found = retriever.retrieve([p for _, p in chunk], **settings)
            for (input_id, prompt), results in zip(chunk, found, strict=True):
                writer.write({"input_id": input_id, "prompt": prompt, "guidelines": [r.to_record() for r in results]})
    print(f"wrote {cfg.output}")
    return 0


@dataclasses.dataclass(frozen=True)
class BuildLibraryConfig:
    """``gajax build-library``: raw guidelines (+ inputs, optional detections) to a library directory with its
    index, and ``pairs.jsonl``."""

    raw: str = "guidelines_raw.jsonl"
    inputs: str = "inputs.jsonl"
    detections: str = ""
    output: str = "library"
    pairs: str = "pairs.jsonl"
    encoder: str = "minilm"
    version: str = "1"
    dedup_threshold: float = 0.75
    dedup_neighbours: int = 16
    index: IndexConfig = IndexConfig()


def run_build_library(cfg: BuildLibraryConfig) -> int:
    """Runner of ``gajax build-library``: dedup, embed, save and index the library in a temporary directory that
    replaces ``output`` only when everything succeeded; then write the pairs."""
    from gajax.library import build_library, replace_dir
    from gajax.records import write_jsonl

    output = Path(cfg.output)
    if output.exists() and any(output.iterdir()) and not (output / "manifest.json").exists():
        raise LibraryError(f"output {output} exists and is not a library directory; choose another output")
    library, pairs = build_library(
        cfg.raw,
        cfg.inputs,
        encoder=cfg.encoder,
        detections_path=cfg.detections or None,
        version=cfg.version,
        threshold=cfg.dedup_threshold,
        neighbours=cfg.dedup_neighbours,
    )
    staging = output.with_name(f".{output.name}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        library.save(staging)
        index = GuidelineIndex.build(library, cfg.index)
        index.save(staging)
        replace_dir(staging, output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    write_jsonl(cfg.pairs, pairs)
    print(f"library {output}: {len(library)} guidelines, index ({index.method}); pairs in {cfg.pairs}")
    return 0
