"""The guideline library: records with content-hash ids, plain-file storage, and fuzzy deduplication at scale.

A library directory holds ``guidelines.jsonl`` (one :class:`Guideline` per line), ``embeddings.npy`` (float32,
one L2-normalised row per guideline, same order) and ``manifest.json`` (file hashes, the encoder that produced
the embeddings, the query encoder that belongs to them, a version label and ``library_hash``, which an index
records to prove it belongs to this library). The query encoder is the guideline encoder's query tower, or,
for the seed library, that tower with fine-tuned top layers and a query adapter stored beside the embeddings.

``dedup_guidelines`` merges guidelines whose fuzzy ratio is at least a threshold (0.75 in the paper). It gives
the result of the greedy exhaustive pairwise pass (walk in order; merge an item into the first kept item it
matches, else keep it), but checks only candidate pairs: exact duplicates through a hash table, the rest
through embedding nearest neighbours verified with rapidfuzz.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rapidfuzz import fuzz
from tqdm.auto import tqdm

from gajax.index import GuidelineIndex
from gajax.integrity import LibraryError
from gajax.records import RecordError, content_id, read_jsonl, write_jsonl
from gajax.searcher import EmbedFn, IndexConfig, build_searcher, exact_search
from gajax.stage_io import load_inputs, read_detections, read_guidelines_raw

KINDS = ("safety", "quality")
# The paper's taxonomy (Sun et al. 2023a): 8 safety scenarios and 6 instruction attacks.
CATEGORIES = (
    "Insult",
    "Unfairness_And_Discrimination",
    "Crimes_And_Illegal_Activities",
    "Sensitive_Topic",
    "Physical_Harm",
    "Mental_Health",
    "Privacy_And_Property",
    "Ethics_And_Morality",
    "Goal_Hijacking",
    "Prompt_Leaking",
    "Role_Play_Instruction",
    "Unsafe_Instruction_Topic",
    "Inquiry_With_Unsafe_Opinion",
    "Reverse_Exposure",
)
LIBRARY_FORMAT = 1
GUIDELINES_FILE = "guidelines.jsonl"
EMBEDDINGS_FILE = "embeddings.npy"
MANIFEST_FILE = "manifest.json"
MANIFEST_KEYS = {"format": int, "count": int, "dim": int, "encoder": dict, "files": dict, "library_hash": str}
QUERY_FILES = ("adapter", "top_layers")  # the query_encoder entries that name files inside the library


def guideline_id(title: str, text: str) -> str:
    """The stable id of a guideline: a hash of its title and text."""
    return content_id(title.strip(), text.strip())


@dataclasses.dataclass(frozen=True)
class Guideline:
    """One guideline: ``text`` is the full ``Title: description`` line; ``sources`` are the input ids that
    produced it (after deduplication, those of every merged duplicate)."""

    id: str
    title: str
    text: str
    kind: str = "quality"
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    @classmethod
    def create(cls, title: str, text: str, **fields: Any) -> Guideline:
        """A guideline whose id is its content hash."""
        return cls(id=guideline_id(title, text), title=title.strip(), text=text.strip(), **fields)

    def to_record(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "text": self.text,
            "kind": self.kind,
            "categories": list(self.categories),
            "tags": list(self.tags),
            "sources": list(self.sources),
        }

    @classmethod
    def from_record(cls, record: dict[str, Any], where: str) -> Guideline:
        """Parse and validate one ``guidelines.jsonl`` record; errors name ``where`` (``file:line``)."""
        kind = record.get("kind", "quality")
        if kind not in KINDS:
            raise RecordError(f"{where}: kind must be one of {KINDS}, got {kind!r}")
        lists = {}
        for name in ("categories", "tags", "sources"):
            value = record.get(name, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise RecordError(f"{where}: field {name!r} must be a list of strings")
            lists[name] = tuple(value)
        unknown = [c for c in lists["categories"] if c not in CATEGORIES]
        if unknown:
            raise RecordError(f"{where}: unknown categories {unknown}; known: {', '.join(CATEGORIES)}")
        return cls(id=record["id"], title=record["title"], text=record["text"], kind=kind, **lists)


@dataclasses.dataclass(frozen=True)
class EncoderInfo:
    """Which encoder produced a library's embeddings: a name and a hash of its weights and config."""

    name: str
    weights_hash: str
    dim: int


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def _library_hash(guidelines_sha: str, embeddings_sha: str) -> str:
    return hashlib.sha256(f"{guidelines_sha}:{embeddings_sha}".encode()).hexdigest()


def _normalised(embeddings: np.ndarray) -> np.ndarray:
    embeddings = np.ascontiguousarray(embeddings, dtype=np.float32)
    norms = np.linalg.norm(embeddings, axis=1, keepdims=True)
    return embeddings / np.maximum(norms, 1e-12)


@dataclasses.dataclass
class Library:
    """Guidelines, their embeddings (row i belongs to ``guidelines[i]``) and the encoder that made them."""

    guidelines: list[Guideline]
    embeddings: np.ndarray
    encoder: EncoderInfo
    version: str = "1"
    manifest: dict[str, Any] = dataclasses.field(default_factory=dict)
    query_encoder: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        check_unique_ids(self.guidelines)
        if self.embeddings.ndim != 2 or self.embeddings.shape != (len(self.guidelines), self.encoder.dim):
            raise LibraryError(
                f"embeddings have shape {self.embeddings.shape}, expected "
                f"({len(self.guidelines)}, {self.encoder.dim}) "
                f"(one row of the encoder's dimension per guideline)"
            )

    def __len__(self) -> int:
        return len(self.guidelines)

    @property
    def library_hash(self) -> str:
        """The hash an index must carry to be served with this library (set when saved or loaded)."""
        if "library_hash" not in self.manifest:
            raise LibraryError("library has no manifest yet: save it first")
        return self.manifest["library_hash"]

    @classmethod
    def build(
        cls,
        guidelines: Sequence[Guideline],
        embed_fn: EmbedFn,
        encoder_name: str,
        weights_hash: str,
        *,
        version: str = "1",
        batch_size: int = 512,
    ) -> Library:
        """Embed ``guidelines`` (their ``text``) with ``embed_fn`` into a new library."""
        guidelines = list(guidelines)
        check_unique_ids(guidelines)
        embeddings = embed_texts([g.text for g in guidelines], embed_fn, batch_size=batch_size)
        encoder = EncoderInfo(encoder_name, weights_hash, int(embeddings.shape[1]) if len(guidelines) else 0)
        return cls(guidelines, embeddings, encoder, version)

    def save(self, directory: str | Path) -> Path:
        """Write the three files; returns the directory. Sets ``manifest`` (and so ``library_hash``).

        ``query_encoder`` (``{name, adapter, top_layers}``; empty: the guideline encoder's query tower) goes into
        the manifest; the adapter and top-layer files it names must already be in ``directory`` and are hashed."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        write_jsonl(directory / GUIDELINES_FILE, (g.to_record() for g in self.guidelines))
        tmp = directory / f".{EMBEDDINGS_FILE}.tmp.npy"
        np.save(tmp, np.ascontiguousarray(self.embeddings, dtype=np.float32))
        tmp.replace(directory / EMBEDDINGS_FILE)
        guidelines_sha = _sha256_file(directory / GUIDELINES_FILE)
        embeddings_sha = _sha256_file(directory / EMBEDDINGS_FILE)
        query = {"name": self.encoder.name, "adapter": None, "top_layers": None, **self.query_encoder}
        files = {GUIDELINES_FILE: guidelines_sha, EMBEDDINGS_FILE: embeddings_sha}
        files.update({query[k]: _sha256_file(directory / query[k]) for k in QUERY_FILES if query[k]})
        self.query_encoder = query
        self.manifest = {
            "format": LIBRARY_FORMAT,
            "version": self.version,
            "count": len(self.guidelines),
            "dim": self.encoder.dim,
            "encoder": dataclasses.asdict(self.encoder),
            "query_encoder": query,
            "files": files,
            "library_hash": _library_hash(guidelines_sha, embeddings_sha),
        }
        (directory / MANIFEST_FILE).write_text(json.dumps(self.manifest, indent=2) + "\n")
        return directory

    @classmethod
    def load(cls, directory: str | Path, *, mmap: bool = False) -> Library:
        """Read and check a library directory: every record, the embeddings' shape, the manifest's hashes."""
        directory = Path(directory)
        manifest_path = directory / MANIFEST_FILE
        try:
            manifest = json.loads(manifest_path.read_text())
        except FileNotFoundError:
            raise LibraryError(f"{manifest_path}: no manifest; is {directory} a library directory?") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise LibraryError(f"{manifest_path}: not valid JSON ({err})") from None
        if not isinstance(manifest, dict):
            raise LibraryError(f"{manifest_path}: expected a JSON object, got {type(manifest).__name__}")
        for key, kind in MANIFEST_KEYS.items():
            if key not in manifest:
                raise LibraryError(f"{manifest_path}: missing key {key!r}")
            if not isinstance(manifest[key], kind) or isinstance(manifest[key], bool):
                raise LibraryError(f"{manifest_path}: {key!r} must be {kind.__name__}, got {manifest[key]!r}")
        if manifest["format"] != LIBRARY_FORMAT:
            raise LibraryError(f"{manifest_path}: format {manifest['format']}, this gajax reads {LIBRARY_FORMAT}")
        guidelines_path = directory / GUIDELINES_FILE
        if not guidelines_path.is_file():
            raise LibraryError(f"{guidelines_path}: missing")
        required = {"id": str, "title": str, "text": str}
        guidelines, first_line = [], {}
        records = read_jsonl(guidelines_path, required)
        for lineno, record in zip(_record_lines(guidelines_path), records, strict=False):
            where = f"{guidelines_path}:{lineno}"
            g = Guideline.from_record(record, where)
            if g.id in first_line:
                raise LibraryError(f"{where}: duplicate id {g.id!r} (first at line {first_line[g.id]})")
            first_line[g.id] = lineno
            guidelines.append(g)
        embeddings_path = directory / EMBEDDINGS_FILE
        try:
            embeddings = np.load(embeddings_path, mmap_mode="r" if mmap else None)
        except FileNotFoundError:
            raise LibraryError(f"{embeddings_path}: missing") from None
        except (ValueError, OSError, EOFError) as err:
            raise LibraryError(f"{embeddings_path}: not a readable .npy array ({err})") from None
        expected = (len(guidelines), manifest["dim"])
        if embeddings.ndim != 2 or embeddings.shape != expected:
            raise LibraryError(
                f"{embeddings_path}: shape {embeddings.shape} does not match {guidelines_path} "
                f"({len(guidelines)} guidelines) and the manifest's dim {manifest['dim']}: "
                f"expected {expected}"
            )
        if embeddings.dtype != np.float32:
            raise LibraryError(f"{embeddings_path}: dtype {embeddings.dtype}, expected float32")
        if manifest["count"] != len(guidelines):
            raise LibraryError(
                f"{manifest_path}: count {manifest['count']} but {guidelines_path} has {len(guidelines)}"
            )
        query = _query_encoder_of(manifest, manifest_path)
        files = manifest["files"]
        listed = all(isinstance(v, str) and Path(k).name == k for k, v in files.items())
        if not listed or not {GUIDELINES_FILE, EMBEDDINGS_FILE} <= files.keys():
            raise LibraryError(f"{manifest_path}: 'files' must map {GUIDELINES_FILE}, {EMBEDDINGS_FILE} (and "
                               f"any query encoder files in {directory}) to their sha256")
        if _library_hash(files[GUIDELINES_FILE], files[EMBEDDINGS_FILE]) != manifest["library_hash"]:
            raise LibraryError(f"{manifest_path}: library_hash does not match the file hashes it is made of")
        for name, expected_sha in files.items():
            if not (directory / name).is_file():
                raise LibraryError(f"{directory / name}: missing (listed in {manifest_path})")
            actual = _sha256_file(directory / name)
            if actual != expected_sha:
                raise LibraryError(
                    f"{directory / name}: content hash {actual[:12]} does not match the manifest "
                    f"({expected_sha[:12]}); the file changed after the library was saved"
                )
        try:
            encoder = EncoderInfo(**manifest["encoder"])
        except TypeError:
            raise LibraryError(f"{manifest_path}: 'encoder' must be {{name, weights_hash, dim}}") from None
        return cls(guidelines, embeddings, encoder, str(manifest.get("version", "")), manifest, query)


def _query_encoder_of(manifest: dict[str, Any], manifest_path: Path) -> dict[str, Any]:
    """The manifest's ``query_encoder`` (libraries saved before it existed: the guideline encoder's query tower),
    checked: a name, and adapter/top-layer file names that the manifest's file hashes cover."""
    default = {"name": manifest["encoder"].get("name"), "adapter": None, "top_layers": None}
    query = manifest.get("query_encoder", default)
    ok = isinstance(query, dict) and isinstance(query.get("name"), str)
    ok = ok and all(query.get(k) is None or query[k] in manifest["files"] for k in QUERY_FILES)
    if not ok:
        raise LibraryError(
            f"{manifest_path}: 'query_encoder' must be {{name, adapter, top_layers}} naming files listed under "
            f"'files', got {query!r}"
        )
    return query


def _record_lines(path: Path) -> Iterable[int]:
    """The line numbers of the non-blank lines of a file (the lines ``read_jsonl`` yields records for)."""
    with path.open("rb") as f:
        for lineno, raw in enumerate(f, start=1):
            if raw.strip():
                yield lineno


def check_unique_ids(guidelines: Sequence[Guideline]) -> None:
    """Raise :class:`LibraryError` naming the positions of the first repeated id."""
    seen: dict[str, int] = {}
    for i, g in enumerate(guidelines):
        if g.id in seen:
            raise LibraryError(f"duplicate guideline id {g.id!r} at positions {seen[g.id]} and {i}")
        seen[g.id] = i


def embed_texts(texts: Sequence[str], embed_fn: EmbedFn, *, batch_size: int = 512, progress: bool = True) -> np.ndarray:
    """Embed texts in batches with a progress bar; returns L2-normalised float32 rows."""
    chunks = []
    bar = tqdm(total=len(texts), desc="embedding", unit="text", disable=not progress or len(texts) <= batch_size)
    for start in range(0, len(texts), batch_size):
        batch = list(texts[start : start + batch_size])
        out = np.asarray(embed_fn(batch), dtype=np.float32)
        if out.ndim != 2 or out.shape[0] != len(batch):
            raise LibraryError(f"embed_fn returned shape {out.shape} for {len(batch)} texts")
        chunks.append(out)
        bar.update(len(batch))
    bar.close()
    if not chunks:
        return np.zeros((0, 0), np.float32)
    return _normalised(np.concatenate(chunks))


def ngram_hash_embed(texts: Sequence[str], dim: int = 256, n: int = 3) -> np.ndarray:
    """A model-free encoder: hashed character n-gram counts, L2-normalised (for tests and smoke runs)."""
    out = np.zeros((len(texts), dim), np.float32)
    for row, text in enumerate(texts):
        padded = f"  {text.lower()}  "
        for i in range(len(padded) - n + 1):
            out[row, zlib.crc32(padded[i : i + n].encode()) % dim] += 1.0
    return _normalised(out)


def _neighbours(embeddings: np.ndarray, k: int, chunk: int = 2048) -> np.ndarray:
    """The ``k`` nearest rows of every row (inner product), self included: exact when small, else ScaNN."""
    n = len(embeddings)
    k = min(k, n)
    if n <= 20_000:
        return exact_search(embeddings, embeddings, k, chunk=chunk)[0]
    searcher = build_searcher(embeddings, IndexConfig(leaves_to_search_fraction=0.02, reorder=max(4 * k, 64)), k)
    out = np.empty((n, k), np.int64)
    for start in tqdm(range(0, n, 16_384), desc="dedup neighbours", unit="chunk"):
        idx, _ = searcher.search_batched_parallel(embeddings[start : start + 16_384], final_num_neighbors=k)
        out[start : start + len(idx)] = idx
    return out


def dedup_guidelines(
    texts: Sequence[str],
    embeddings: np.ndarray | None = None,
    *,
    embed_fn: EmbedFn | None = None,
    threshold: float = 0.75,
    neighbours: int = 16,
    progress: bool = True,
) -> np.ndarray:
    """Fuzzy deduplication; returns ``merged_into`` (``merged_into[i] == i`` for kept items).

    Exact duplicates collapse through a hash table; every other candidate pair comes from the ``neighbours``
    nearest embeddings of each unique text and is verified with the fuzzy ratio. Items are visited in order
    and merged into the first kept (earlier) candidate that matches, as the exhaustive pass does. Embeddings
    (one row per text, or computed with ``embed_fn`` for the unique texts) are only used for blocking.
    """
    first_of: dict[str, int] = {}
    unique_rows: list[int] = []
    copy_of = np.empty(len(texts), np.int64)
    for i, text in enumerate(texts):
        j = first_of.setdefault(text, i)
        copy_of[i] = j
        if j == i:
            unique_rows.append(i)
    unique = np.asarray(unique_rows, np.int64)
    if embeddings is None:
        if embed_fn is None:
            raise ValueError("dedup_guidelines needs embeddings or an embed_fn")
        unique_embeddings = embed_texts([texts[i] for i in unique], embed_fn, progress=progress)
    else:
        if len(embeddings) != len(texts):
            raise LibraryError(f"dedup_guidelines: {len(embeddings)} embeddings for {len(texts)} texts")
        unique_embeddings = _normalised(np.asarray(embeddings)[unique])
    merged_into = np.arange(len(texts))
    if len(unique):
        candidates = np.sort(_neighbours(unique_embeddings, neighbours + 1), axis=1).tolist()
        cutoff = threshold * 100
        kept = bytearray(len(unique))
        unique_merged = np.arange(len(unique))
        unique_texts = [texts[i] for i in unique]
        for u in tqdm(range(len(unique)), desc="dedup", unit="text", disable=not progress, mininterval=1.0):
            text = unique_texts[u]
            for c in candidates[u]:
                if c >= u:
                    kept[u] = 1
                    break
                if kept[c] and fuzz.ratio(text, unique_texts[c], score_cutoff=cutoff) >= cutoff:
                    unique_merged[u] = c
                    break
            else:
                kept[u] = 1
        merged_into[unique] = unique[unique_merged]
    return merged_into[copy_of]


def merge_map(ids: Sequence[str], merged_into: np.ndarray) -> dict[str, str]:
    """``old id -> kept id`` for every id (kept ids map to themselves)."""
    return {old: ids[int(j)] for old, j in zip(ids, merged_into, strict=True)}


def remap_pairs(pairs: Iterable[dict[str, Any]], id_map: dict[str, str]) -> list[dict[str, Any]]:
    """Rewrite each pair's ``guideline_ids`` through the merge map, dropping repeats and keeping order."""
    out = []
    for pair in pairs:
        ids = list(dict.fromkeys(id_map[g] for g in pair["guideline_ids"]))
        out.append({**pair, "guideline_ids": ids})
    return out


def guidelines_from_raw(
    raw_records: Iterable[dict[str, Any]],
    input_info: dict[str, dict[str, Any]],
) -> tuple[list[Guideline], list[dict[str, Any]]]:
    """``guidelines_raw.jsonl`` records to guidelines (one per distinct title+text, sources merged) and pairs.

    ``input_info`` maps input ids to ``{"prompt", optional "category", optional "verdict"}``. A guideline is
    ``safety`` when its record says so or when any input that produced it was judged risky.
    """
    by_id: dict[str, Guideline] = {}
    pairs = []
    for record in raw_records:
        input_id = str(record["input_id"])
        info = input_info.get(input_id)
        if info is None:
            raise LibraryError(f"guideline record for input {input_id!r}, which is not in the inputs file")
        category = info.get("category")
        categories = (category,) if category in CATEGORIES else ()
        risky = info.get("verdict") == "risky"
        ids = []
        for n, item in enumerate(record["guidelines"]):
            if not isinstance(item, dict) or not isinstance(item.get("text"), str) or not item["text"].strip():
                raise LibraryError(f"guidelines of input {input_id!r}: item {n} needs a non-empty 'text' string")
            kind = item.get("kind", "safety" if risky else "quality")
            if kind not in KINDS:
                raise LibraryError(f"guidelines of input {input_id!r}: item {n} has kind {kind!r}, not one of {KINDS}")
            g = Guideline.create(
                str(item.get("title", "")),
                item["text"],
                kind=kind,
                categories=categories,
                tags=tuple(item.get("tags", ())),
                sources=(input_id,),
            )
            previous = by_id.get(g.id)
            by_id[g.id] = g if previous is None else merge_guidelines(previous, [g])
            ids.append(g.id)
        pairs.append({"input_id": input_id, "prompt": info["prompt"], "guideline_ids": list(dict.fromkeys(ids))})
    return list(by_id.values()), pairs


def merge_guidelines(kept: Guideline, duplicates: Sequence[Guideline]) -> Guideline:
    """``kept`` with the tags, categories and sources of its duplicates added (safety wins over quality)."""
    group = [kept, *duplicates]
    union = lambda name: tuple(dict.fromkeys(v for g in group for v in getattr(g, name)))
    kind = "safety" if any(g.kind == "safety" for g in group) else "quality"
    return dataclasses.replace(
        kept, kind=kind, categories=union("categories"), tags=union("tags"), sources=union("sources")
    )


def apply_dedup(guidelines: Sequence[Guideline], merged_into: np.ndarray) -> tuple[list[Guideline], dict[str, str]]:
    """The kept guidelines (in order, with merged metadata) and the merge map."""
    groups: dict[int, list[Guideline]] = {}
    for i, j in enumerate(merged_into):
        if i != j:
            groups.setdefault(int(j), []).append(guidelines[i])
    kept = [merge_guidelines(g, groups.get(i, [])) for i, g in enumerate(guidelines) if merged_into[i] == i]
    return kept, merge_map([g.id for g in guidelines], merged_into)


def read_inputs(path: str | Path, detections: str | Path | None = None) -> dict[str, dict[str, Any]]:
    """``inputs.jsonl`` (and optionally ``detections.jsonl`` or its part files) as
    ``id -> {prompt, category, verdict}``; inputs without an id get Stage 1's content-hash id."""
    inputs, _ = load_inputs(path, skip_key=None)  # build-library has no bad_inputs setting
    info = {str(r["id"]): {"prompt": r["prompt"], "category": r.get("category")} for r in inputs}
    if detections:
        for input_id, record in read_detections(detections).items():
            if str(input_id) in info:
                info[str(input_id)]["verdict"] = record["verdict"]
    return info


def load_encoder(name: str, kind: str = "guideline") -> tuple[EmbedFn, EncoderInfo]:
    """An ``embed_fn`` by name and its :class:`EncoderInfo` (``dim`` 0: not yet known).

    ``hash-ngrams`` or ``hash-ngrams:DIM``: the model-free n-gram encoder. ``minilm`` or a local HF BERT
    directory: gajax's JAX encoder (``kind`` picks the query or guideline tower); the hash covers its config,
    weights and ``tokenizer.json``.
    """
    if name.startswith("hash-ngrams"):
        dim = int(name.partition(":")[2] or 256)
        return (lambda texts: ngram_hash_embed(texts, dim)), EncoderInfo(f"hash-ngrams:{dim}", "none", dim)
    from gajax.retriever.encoder import (
        RetrieverModelConfig,
        TextEncoder,
        build_dual_encoder,
        resolve_weights_dir,
    )

    directory = resolve_weights_dir(name)
    digest = hashlib.sha256()
    tokenizer = [directory / "tokenizer.json"] if (directory / "tokenizer.json").exists() else []
    for path in [*sorted(directory.glob("*.safetensors")), directory / "config.json", *tokenizer]:
        if not path.is_file():
            raise LibraryError(f"{path}: missing (an encoder directory holds config.json and *.safetensors)")
        digest.update(_sha256_file(path).encode())
    model, tokenizer = build_dual_encoder(RetrieverModelConfig(weights=name))
    encoder = TextEncoder(model, tokenizer)
    embed_fn = lambda texts: encoder.encode(list(texts), kind=kind)  # type: ignore[arg-type]
    return embed_fn, EncoderInfo(name, digest.hexdigest(), 0)


def build_library(
    raw_path: str | Path,
    inputs_path: str | Path,
    *,
    encoder: str = "minilm",
    detections_path: str | Path | None = None,
    version: str = "1",
    threshold: float = 0.75,
    neighbours: int = 16,
) -> tuple[Library, list[dict[str, Any]]]:
    """``guidelines_raw.jsonl`` to a deduplicated library (not yet saved) and the pairs remapped through the
    merge map."""
    info = read_inputs(inputs_path, detections_path)
    raw = read_guidelines_raw(raw_path)  # a single file or the part files of a multi-host run
    guidelines, pairs = guidelines_from_raw(raw, info)
    if not guidelines:
        raise LibraryError(f"{raw_path}: no guidelines to build a library from")
    embed_fn, encoder_info = load_encoder(encoder, kind="guideline")
    print(f"{len(guidelines)} distinct guidelines from {len(pairs)} inputs; embedding with {encoder_info.name}")
    embeddings = embed_texts([g.text for g in guidelines], embed_fn)
    merged_into = dedup_guidelines([g.text for g in guidelines], embeddings, threshold=threshold, neighbours=neighbours)
    kept, id_map = apply_dedup(guidelines, merged_into)
    keep_rows = np.flatnonzero(merged_into == np.arange(len(guidelines)))
    encoder_info = dataclasses.replace(encoder_info, dim=int(embeddings.shape[1]))
    print(f"{len(kept)} guidelines after dedup (from {len(guidelines)})")
    return Library(kept, embeddings[keep_rows], encoder_info, version), remap_pairs(pairs, id_map)


def replace_dir(staging: Path, target: Path) -> None:
    """Move the finished directory ``staging`` to ``target``; an existing ``target`` is moved aside first and
    removed only once ``staging`` is in place (put back if that fails), so one of the two always exists."""
    aside = target.with_name(f".{target.name}.old-{os.getpid()}")
    shutil.rmtree(aside, ignore_errors=True)
    if target.exists():
        target.rename(aside)
    try:
        staging.rename(target)
    except BaseException:
        if aside.exists():
            aside.rename(target)
        raise
    shutil.rmtree(aside, ignore_errors=True)


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
    index: IndexConfig = dataclasses.field(default_factory=IndexConfig)


def run_build_library(cfg: BuildLibraryConfig) -> int:
    """Runner of ``gajax build-library``: dedup, embed, save and index the library in a temporary directory that
    replaces ``output`` only when everything succeeded; then write the pairs."""
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
