"""The paper's Stage-2 lookup: a query's nearest guidelines in a saved library and its index.

``retrieve`` takes the top ``top_n`` (20) guidelines per query, fuzzy deduplicates them in rank order (an item
survives if its ratio against every survivor is below ``dedup_threshold``, 0.5) and keeps the first ``keep`` (6)
survivors: :class:`RetrievalConfig`, the ``retrieval:`` section that ``guide``, ``retrieve``, ``serve-guidelines``,
``demo`` and ``eval`` share. Queries go through the query side the library's manifest names: its encoder's query
tower, then the tuned top layers and query adapter stored in the library when it has them (the seed library).
"""

from __future__ import annotations

import dataclasses
import zipfile
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from rapidfuzz import fuzz
from tqdm.auto import tqdm

from gajax.index import GuidelineIndex, IndexMismatchError
from gajax.library import EncoderInfo, Guideline, Library, LibraryError, embed_texts, load_encoder
from gajax.records import ResumableWriter, read_keyed
from gajax.retriever.encoder import RetrieverModelConfig, TextEncoder, Tower, build_dual_encoder
from gajax.retriever.top_layers import TopLayers
from gajax.searcher import EmbedFn


@dataclasses.dataclass(frozen=True)
class RetrievalConfig:
    """Stage-2 lookup settings: ``top_n`` nearest guidelines, fuzzy deduplicated at ``dedup_threshold``, the first
    ``keep`` kept."""

    top_n: int = 20
    dedup_threshold: float = 0.5
    keep: int = 6

    def __post_init__(self) -> None:
        if self.top_n < 1 or self.keep < 1:
            raise ValueError(f"top_n and keep must be at least 1, got {self.top_n} and {self.keep}")
        if not 0.0 < self.dedup_threshold <= 1.0:
            raise ValueError(f"dedup_threshold must be in (0, 1], got {self.dedup_threshold}")


# The flat keys that configs had before the ``retrieval`` section (a config class lists them as MOVED_KEYS).
MOVED_RETRIEVAL_KEYS = {name: f"retrieval.{name}" for name in ("top_n", "dedup_threshold", "keep")}


# ---------------------------------------------------------------------------------------------- query side


@dataclasses.dataclass
class QueryAdapter:
    """``q' = normalise(q + q @ weight + bias)``: the fine-tuned query side of the seed retriever."""

    weight: np.ndarray
    bias: np.ndarray

    def __call__(self, queries: np.ndarray) -> np.ndarray:
        out = queries + queries @ self.weight + self.bias
        return (out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)).astype(np.float32)

    def save(self, path: Path) -> None:
        np.savez(path, weight=self.weight, bias=self.bias)

    @classmethod
    def load(cls, path: Path) -> QueryAdapter:
        """Read an adapter; a missing or damaged file is a :class:`~gajax.integrity.LibraryError` naming it."""
        try:
            with np.load(path) as data:
                adapter = cls(np.asarray(data["weight"], np.float32), np.asarray(data["bias"], np.float32))
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
            raise LibraryError(f"{path}: not a readable query adapter (.npz with weight and bias: {err})") from None
        dim = adapter.bias.shape[0] if adapter.bias.ndim == 1 else -1
        if adapter.weight.shape != (dim, dim):
            raise LibraryError(f"{path}: weight {adapter.weight.shape} and bias {adapter.bias.shape} do not fit")
        return adapter


def query_encoder(name: str, top_layers: TopLayers | None = None) -> tuple[TextEncoder, Tower]:
    """A fresh encoder for queries (its own copy of the weights, with ``top_layers`` written in) and its tower."""
    model, tokenizer = build_dual_encoder(RetrieverModelConfig(weights=name))
    if top_layers is not None:
        top_layers.apply_to(model.query_tower.bert)
    return TextEncoder(model, tokenizer), model.query_tower


class EncoderCache:
    """Base encoders by name, each loaded once per cache: the weights under a name do not change within a process,
    and the :class:`EncoderInfo` returned with each carries their hash, which libraries are checked against.
    :data:`SEED_ENCODERS` is the process-wide one behind :func:`seed_encoder`."""

    def __init__(self) -> None:
        self._loaded: dict[str, tuple[EmbedFn, EncoderInfo]] = {}

    def get(self, name: str) -> tuple[EmbedFn, EncoderInfo]:
        """The query side of ``name`` and its info, loaded on first use."""
        if name not in self._loaded:
            self._loaded[name] = load_encoder(name, kind="query")
        return self._loaded[name]


SEED_ENCODERS = EncoderCache()


def seed_encoder(name: str) -> tuple[EmbedFn, EncoderInfo]:
    """The base encoder from :data:`SEED_ENCODERS`. MiniLM has one shared tower, so queries and guidelines use
    the same function."""
    return SEED_ENCODERS.get(name)


def tuned_query_fn(adapter: Path, top_layers: Path | None, encoder: str = "minilm") -> EmbedFn:
    """``texts -> unit query embeddings`` through ``encoder`` with its tuned ``top_layers`` (None: as it is),
    then the ``adapter``."""
    query_adapter = QueryAdapter.load(adapter)
    if top_layers is None:
        embed_fn = seed_encoder(encoder)[0]
    else:
        text_encoder, _ = query_encoder(encoder, TopLayers.load(top_layers))
        embed_fn = lambda texts: text_encoder.encode(list(texts))
    return lambda texts: query_adapter(embed_texts(list(texts), embed_fn, batch_size=256, progress=False))



# -------------------------------------------------------------------------------------------------- lookup


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

    def retrieve(self, queries: list[str], settings: RetrievalConfig | None = None) -> list[list[Retrieved]]:
        """For each query: the ``settings.top_n`` nearest guidelines, fuzzy deduplicated in rank order, the first
        ``settings.keep`` (``settings`` None: the paper's :class:`RetrievalConfig`)."""
        settings = settings or RetrievalConfig()
        if not queries:
            return []
        embedded = np.asarray(self.embed_fn(list(queries)), dtype=np.float32)
        if embedded.shape != (len(queries), self.index.dim):
            raise LibraryError(
                f"query encoder returned shape {embedded.shape}; expected ({len(queries)}, {self.index.dim})"
            )
        indices, scores = self.index.search(embedded, settings.top_n)
        results = []
        for row_idx, row_scores in zip(indices, scores, strict=True):
            ranked = [self.library.guidelines[int(i)] for i in row_idx]
            survivors = dedup_ranked([g.text for g in ranked], settings.dedup_threshold, settings.keep)
            results.append([Retrieved(ranked[p], float(row_scores[p]), p) for p in survivors])
        return results


def query_encoder_for(library: Library, library_dir: str | Path, encoder: str = "") -> EmbedFn:
    """The query side the library's manifest names: its encoder's query tower (``encoder`` replaces the encoder
    by name), then the tuned top layers and query adapter stored in the library when it has them (the seed
    library). Refuses an encoder whose weights hash differs from the one that embedded the library."""
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
    MOVED_KEYS: ClassVar[dict[str, str]] = MOVED_RETRIEVAL_KEYS

    output: str = ""
    retrieval: RetrievalConfig = dataclasses.field(default_factory=RetrievalConfig)
    batch_size: int = 256


def run_retrieve(cfg: RetrieveConfig) -> int:
    """Runner of ``gajax retrieve``: print the guidelines for one query, or write one record per input."""
    if bool(cfg.query) == bool(cfg.input):
        raise SystemExit("gajax retrieve: give exactly one of query='...' or input=FILE.jsonl")
    retriever = open_retriever(cfg.library, cfg.encoder)
    if cfg.query:
        for r in retriever.retrieve([cfg.query], cfg.retrieval)[0]:
            print(f"[{r.rank:2d}] {r.score:.3f}  {r.guideline.text}")
        return 0
    if not cfg.output:
        raise SystemExit("gajax retrieve: input=FILE needs output=FILE.jsonl")
    records = [r for _, r in read_keyed(cfg.input, {"prompt": str}, default_key=True)]  # as generate and guide
    with ResumableWriter(cfg.output, "input_id") as writer:
        todo = [(str(r["id"]), r["prompt"]) for r in records if str(r["id"]) not in writer]
        for start in tqdm(range(0, len(todo), cfg.batch_size), desc="retrieve", unit="batch"):
            chunk = todo[start : start + cfg.batch_size]
            found = retriever.retrieve([p for _, p in chunk], cfg.retrieval)
            for (input_id, prompt), results in zip(chunk, found, strict=True):
                writer.write({"input_id": input_id, "prompt": prompt, "guidelines": [r.to_record() for r in results]})
    print(f"wrote {cfg.output}")
    return 0


