"""TFDS builders for the guideline library and the (input, guideline) pairs, stored as array_record.

Build from plain files, read back with random access and no TensorFlow::

    library = Library.load("library")                       # gajax.library: checks manifest, hashes, shapes
    GuidelineLibrary(library=library, data_dir="tfds").download_and_prepare()
    GuidelinePairs(library=library, pairs="pairs.jsonl", data_dir="tfds").download_and_prepare()
    records = tfds.data_source("guideline_library", data_dir="tfds", split="train")

Importing this module registers both builders with TFDS. They are handed a loaded library (``gajax build-tfds``
loads it, which re-checks its manifest, hashes and shapes) and never import the library stage; the pairs builder
refuses pairs that name a guideline id the library lacks. Examples keep the order of the library and of the pairs
file (keys are positions), so a trainer reading them sees the same rows as one reading the JSONL files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from gajax.integrity import LibraryError
from gajax.records import read_jsonl

if TYPE_CHECKING:
    from gajax.library import Library

_FILE_FORMAT = "array_record"


class _Builder(tfds.core.GeneratorBasedBuilder, skip_registration=True):
    """A builder whose code path is this file (TFDS's own lookup needs the undeclared
    ``importlib_resources``)."""

    code_path = epath.Path(__file__)


class GuidelineLibrary(_Builder):
    """One example per guideline: id, title, text, kind, categories, tags, sources and its embedding."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES: ClassVar[dict[str, str]] = {"1.0.0": "Guideline records with embeddings."}

    def __init__(self, *, library: Library | None = None, **kwargs: Any):
        self.library = library
        kwargs.setdefault("file_format", _FILE_FORMAT)
        super().__init__(**kwargs)

    def _info(self) -> tfds.core.DatasetInfo:
        text = tfds.features.Text()
        return tfds.core.DatasetInfo(
            builder=self,
            description="Guide-Align guideline library (gajax).",
            disable_shuffling=True,
            features=tfds.features.FeaturesDict(
                {
                    "id": text,
                    "title": text,
                    "text": text,
                    "kind": text,
                    "categories": tfds.features.Sequence(text),
                    "tags": tfds.features.Sequence(text),
                    "sources": tfds.features.Sequence(text),
                    "embedding": tfds.features.Tensor(shape=(None,), dtype=np.float32),
                }
            ),
        )

    def _split_generators(self, dl_manager: Any) -> dict[str, Iterator[tuple[int, dict[str, Any]]]]:
        if self.library is None:
            raise LibraryError("GuidelineLibrary needs library=... (a loaded gajax.library.Library) to build")
        return {"train": self._generate_examples(self.library)}

    def _generate_examples(self, library: Library) -> Iterator[tuple[int, dict[str, Any]]]:
        for position, (g, row) in enumerate(zip(library.guidelines, library.embeddings, strict=True)):
            record = g.to_record()
            record["embedding"] = np.asarray(row, np.float32)
            yield position, record


class GuidelinePairs(_Builder):
    """One example per training input: input id, prompt, and the ids and texts of its guidelines."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES: ClassVar[dict[str, str]] = {"1.0.0": "(input, guidelines) pairs after the merge map."}

    def __init__(self, *, library: Library | None = None, pairs: str | Path | None = None, **kwargs: Any):
        self.library = library
        self.pairs = Path(pairs) if pairs else None
        kwargs.setdefault("file_format", _FILE_FORMAT)
        super().__init__(**kwargs)

    def _info(self) -> tfds.core.DatasetInfo:
        text = tfds.features.Text()
        return tfds.core.DatasetInfo(
            builder=self,
            description="Guide-Align (input, guideline) pairs (gajax).",
            disable_shuffling=True,
            features=tfds.features.FeaturesDict(
                {
                    "input_id": text,
                    "prompt": text,
                    "guideline_ids": tfds.features.Sequence(text),
                    "guideline_texts": tfds.features.Sequence(text),
                }
            ),
        )

    def _split_generators(self, dl_manager: Any) -> dict[str, Iterator[tuple[int, dict[str, Any]]]]:
        if self.library is None or self.pairs is None:
            raise LibraryError(
                "GuidelinePairs needs library=... (a loaded gajax.library.Library) and pairs=... to build"
            )
        return {"train": self._generate_examples(self.library, self.pairs)}

    def _generate_examples(self, library: Library, pairs: Path) -> Iterator[tuple[int, dict[str, Any]]]:
        texts = {g.id: g.text for g in library.guidelines}
        required = {"input_id": (str, int), "prompt": str, "guideline_ids": list}
        for lineno, record in enumerate(read_jsonl(pairs, required), start=1):
            missing = [g for g in record["guideline_ids"] if g not in texts]
            if missing:
                raise LibraryError(
                    f"{pairs}: record {lineno} names guideline ids not in the library: {missing}"
                )
            yield (
                lineno,
                {
                    "input_id": str(record["input_id"]),
                    "prompt": record["prompt"],
                    "guideline_ids": record["guideline_ids"],
                    "guideline_texts": [texts[g] for g in record["guideline_ids"]],
                },
            )
