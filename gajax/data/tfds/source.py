"""Records named by one string: a JSONL file, or a prepared TFDS dataset read with ``tfds.data_source``.

``tfds:NAME[/CONFIG][:VERSION][@DATA_DIR][#SPLIT]`` names a dataset prepared by gajax's builders (or any
array_record TFDS dataset), e.g. ``tfds:aligned_sft@runs/tfds``, ``tfds:dpo_pairs@gs://bucket/tfds#validation``,
``tfds:eval_prompts/vicuna80@runs/tfds``. Without ``@DATA_DIR`` TFDS's default data directory is used; without
``#SPLIT``, ``train`` (or the dataset's only split). Records come back as plain dicts in the dataset's order: text
as ``str``, sequences of text as ``list[str]``, numeric scalars as Python numbers. No TensorFlow is needed.

Importing this module does not import TFDS; reading a ``tfds:`` source does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from gajax.records import RecordError, read_jsonl

TFDS_PREFIX = "tfds:"
READ_CHUNK = 1024


def is_tfds_source(path: str | Path) -> bool:
    """Whether ``path`` names a TFDS dataset (``tfds:...``) rather than a file."""
    return str(path).startswith(TFDS_PREFIX)


def plain(value: Any) -> Any:
    """A decoded TFDS value as plain Python: bytes -> str, sequences of text -> list[str], numpy scalars -> numbers
    (numeric arrays stay arrays)."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.dtype == object):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


@dataclasses.dataclass(frozen=True)
class TfdsSource:
    """A parsed ``tfds:`` source: ``name`` (``NAME[/CONFIG][:VERSION]``), ``data_dir`` and ``split``."""

    spec: str
    name: str
    data_dir: str | None = None
    split: str | None = None

    @classmethod
    def parse(cls, spec: str) -> TfdsSource:
        """Parse ``tfds:NAME[/CONFIG][:VERSION][@DATA_DIR][#SPLIT]``."""
        if not is_tfds_source(spec):
            raise RecordError(f"{spec!r} is not a TFDS source (expected {TFDS_PREFIX}NAME[@DATA_DIR][#SPLIT])")
        rest, hash_mark, split = spec[len(TFDS_PREFIX) :].partition("#")
        name, at, data_dir = rest.partition("@")
        if not name or (at and not data_dir) or (hash_mark and not split):
            raise RecordError(f"{spec!r}: expected {TFDS_PREFIX}NAME[/CONFIG][:VERSION][@DATA_DIR][#SPLIT]")
        return cls(spec, name, data_dir or None, split or None)

    def open(self) -> tuple[Any, Any]:
        """``(builder, data source)`` of the prepared dataset; a missing dataset or split is a RecordError."""
        import tensorflow_datasets as tfds

        where = self.data_dir or "TFDS's default data directory"
        try:
            builder = tfds.builder(self.name, data_dir=self.data_dir)
        except tfds.core.registered.DatasetNotFoundError:
            builder = None
        except Exception as err:  # a damaged dataset_info.json: TFDS raises protobuf, JSON or Unicode errors
            raise self.damaged(Path(where) / self.name, err) from None
        if builder is None or not builder.is_prepared():
            raise RecordError(f"{self.spec}: no prepared dataset {self.name!r} in {where} (build it first)")
        splits = sorted(builder.info.splits.keys())
        split = self.split or ("train" if "train" in splits or len(splits) != 1 else splits[0])
        if split not in splits:
            raise RecordError(f"{self.spec}: dataset {self.name!r} has no split {split!r}; it has {splits}")
        return builder, builder.as_data_source(split=split)

    def records(self, required: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Yield every record of the split as a plain dict, after checking that the ``required`` features exist."""
        builder, source = self.open()
        features = sorted(builder.info.features.keys())
        missing = [name for name in required or {} if name not in features]
        if missing:
            raise RecordError(f"{self.spec}: dataset {self.name!r} has no feature {missing}; it has {features}")
        try:
            for start in range(0, len(source), READ_CHUNK):
                records = source.__getitems__(range(start, min(start + READ_CHUNK, len(source))))
                yield from (plain(record) for record in records)
        except RuntimeError as err:  # ArrayRecord's checksums: "Corrupted Riegeli/records file", "open() failed"
            raise self.damaged(Path(builder.data_dir), err) from None

    def damaged(self, directory: Path, err: Exception) -> RecordError:
        """The one-line error for a prepared dataset whose files cannot be read."""
        reason = (str(err).strip().splitlines() or [type(err).__name__])[0][:300]
        return RecordError(
            f"{self.spec}: the prepared dataset in {directory} is damaged ({reason}); rebuild it with "
            f"'gajax build-tfds dataset={self.name} data_dir=... rebuild=true'"
        )


def read_records(
    path: str | Path, required: Mapping[str, type | tuple[type, ...]] | None = None
) -> Iterator[dict[str, Any]]:
    """The records of a JSONL file (:func:`gajax.records.read_jsonl`, checking ``required`` fields and types) or
    of a ``tfds:`` source (checking that the ``required`` features exist; their types are fixed by the dataset)."""
    if is_tfds_source(path):
        return TfdsSource.parse(str(path)).records(required)
    return read_jsonl(path, required)
