"""Builders that record which files they were built from, and refuse to reuse a dataset built from others.

A :class:`SourcedBuilder` stores ``{"sources": [{"path", "sha256", "bytes"}], "settings": {...}}`` in the
dataset's ``metadata.json`` (``builder.info.metadata``). TFDS silently reuses a prepared dataset of the same name
and version; here, preparing again from files whose hashes (or settings) differ raises :class:`DatasetSourceError`
instead, naming both. Pass ``download_config=tfds.download.DownloadConfig(download_mode="force_redownload")`` (or
use a new ``data_dir``) to replace it on purpose.
"""

from __future__ import annotations

import abc
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import tensorflow_datasets as tfds
from etils import epath

from gajax.records import RecordError

FILE_FORMAT = "array_record"


class DatasetSourceError(RecordError):
    """A prepared dataset was built from other files or settings than the ones given now."""


def sha256_of(path: str | Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def describe_sources(paths: Sequence[Path]) -> list[dict[str, Any]]:
    """``{"path", "sha256", "bytes"}`` of each source file (absolute paths); a missing file is an error."""
    out = []
    for path in paths:
        if not path.is_file():
            raise RecordError(f"{path}: no such file")
        out.append({"path": str(path.resolve()), "sha256": sha256_of(path), "bytes": path.stat().st_size})
    return out


class SourcedBuilder(tfds.core.GeneratorBasedBuilder, skip_registration=True):
    """Base of gajax's file-built datasets: array_record files, examples kept in source order, provenance in
    ``info.metadata``.

    Subclasses name their input files in :meth:`source_files` (empty when the builder was made only to read) and
    their build settings in :meth:`settings`, and call :meth:`files_to_build` and :meth:`record_provenance` from
    ``_split_generators``. Example keys are source positions (ints), so readers see the examples in the order of
    the source file.
    """

    SOURCE_HINT: ClassVar[str] = "its source files"

    code_path = epath.Path(__file__)

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("file_format", FILE_FORMAT)
        super().__init__(**kwargs)

    def dataset_info(self, description: str, features: dict[str, Any]) -> tfds.core.DatasetInfo:
        """The ``DatasetInfo`` every subclass returns from ``_info``: ordered, with a metadata dict."""
        return tfds.core.DatasetInfo(
            builder=self,
            description=description,
            features=tfds.features.FeaturesDict(features),
            disable_shuffling=True,
            metadata=tfds.core.MetadataDict(),
        )

    @abc.abstractmethod
    def source_files(self, manual_dir: Path | None) -> list[Path]:
        """The files this build reads (``manual_dir``: the download config's manual directory, if any); empty when
        the builder was not given them."""

    def files_to_build(self, manual_dir: Path | None) -> list[Path]:
        """:meth:`source_files`, which must not be empty when building."""
        files = self.source_files(manual_dir)
        if not files:
            raise RecordError(f"{self.name} needs {self.SOURCE_HINT} to build")
        return files

    def settings(self) -> dict[str, Any]:
        """Build settings that change the dataset's content (recorded and compared with the files' hashes)."""
        return {}

    def record_provenance(self, manual_dir: Path | None, **counts: int) -> None:
        """Store the source files, settings and any ``counts`` (e.g. skipped records) in ``info.metadata``."""
        self.info.metadata.update(
            sources=describe_sources(self.files_to_build(manual_dir)), settings=self.settings(), counts=counts
        )

    def download_and_prepare(
        self, *, download_config: tfds.download.DownloadConfig | None = None, **kwargs: Any
    ) -> None:
        """Build the dataset. An existing one is reused only if it was built from the same files and settings (a
        builder given no source files, e.g. one made to read, reuses it as TFDS does)."""
        mode = tfds.download.GenerateMode(download_config.download_mode) if download_config else None
        if self.data_path.exists() and mode in (None, tfds.download.GenerateMode.REUSE_DATASET_IF_EXISTS):
            manual = download_config.manual_dir if download_config else None
            files = self.source_files(Path(manual) if manual else None)
            if files:
                self._check_same_sources(files)
        super().download_and_prepare(download_config=download_config, **kwargs)

    def _check_same_sources(self, files: list[Path]) -> None:
        metadata_file = self.data_path / "metadata.json"
        recorded = json.loads(metadata_file.read_text()) if metadata_file.exists() else {}
        then = ([s["sha256"] for s in recorded.get("sources", [])], recorded.get("settings", {}))
        sources = describe_sources(files)
        now = ([s["sha256"] for s in sources], self.settings())
        if then != now:
            def show(paths: list[str], state: tuple[list[str], dict[str, Any]]) -> str:
                return f"{paths} (sha256 {[h[:12] for h in state[0]]}, settings {state[1]})"

            raise DatasetSourceError(
                f"{self.data_path} was built from {show([s.get('path') for s in recorded.get('sources', [])], then)}, "
                f"not from {show([s['path'] for s in sources], now)}; use another data_dir or rebuild it "
                "(download_mode=force_redownload)"
            )
