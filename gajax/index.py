"""The ScaNN index of a guideline library, saved in ``<library>/index/``.

``index.json`` records the library's hash and encoder, the command that rebuilds the index, and the size and
xxh3-128 hash of every file ScaNN wrote. Loading refuses an index whose library hash, encoder, count or dimension
differs from the library it is served with, or whose files are missing or changed, before ScaNN reads any of them
(xxh3 runs at several GB/s, so checking costs a fraction of ScaNN's own load; ``benchmarks/retrieval.py
--index-load`` measures it). The index needs only the library's embeddings, hash and encoder
(:class:`IndexedLibrary`), so it does not import the library stage that builds it.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from gajax.integrity import LibraryError, file_digest
from gajax.searcher import IndexConfig, build_searcher, choose_method

INDEX_DIR = "index"
INDEX_MANIFEST = "index.json"
INDEX_FORMAT = 2
REBUILD_LIBRARY = "gajax build-library"
REBUILD_SEED = "gajax build-seed rebuild=true"


class IndexedLibrary(Protocol):
    """What an index reads of a library (:class:`gajax.library.Library` has it)."""

    embeddings: np.ndarray
    encoder: Any  # name, weights_hash, dim

    @property
    def library_hash(self) -> str: ...

    def __len__(self) -> int: ...


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
    def build(cls, library: IndexedLibrary, cfg: IndexConfig | None = None, k: int = 20) -> GuidelineIndex:
        """Index a saved library's embeddings (``cfg`` None: the default :class:`IndexConfig`)."""
        cfg = cfg or IndexConfig()
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
    def verify(cls, library: IndexedLibrary, library_dir: str | Path) -> dict[str, Any]:
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
    def load(cls, library: IndexedLibrary, library_dir: str | Path) -> GuidelineIndex:
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


def _encoder_of(library: IndexedLibrary) -> dict[str, str]:
    return {"name": library.encoder.name, "weights_hash": library.encoder.weights_hash}
