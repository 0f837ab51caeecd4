"""Retriever training data: ``pairs.jsonl`` (inputs and their guideline ids) and the ``guidelines.jsonl`` library.

``pairs.jsonl`` records are ``{"input_id", "prompt", "guideline_ids": [...]}``; ``guidelines.jsonl`` records are
``{"id", "title", "text", ...}`` and the embedded guideline text is ``text`` (the full "Title: description" string).
Held-out inputs are chosen by a hash of ``input_id``, so an input (with all of its guidelines) lands in exactly one
split and the split does not change when records are added or reordered.

Either file may instead be a prepared TFDS dataset (``gajax build-tfds``), named
``tfds:guideline_pairs@DATA_DIR`` and ``tfds:guideline_library@DATA_DIR`` (see :mod:`gajax.data.tfds.source`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from gajax.data.tfds.source import read_records
from gajax.records import RecordError
from gajax.stage_io import is_heldout


@dataclasses.dataclass(frozen=True)
class GuidelineTexts:
    """The guideline ids and texts of a library file, in file order (what retriever training needs of it)."""

    ids: tuple[str, ...]
    texts: tuple[str, ...]

    def index(self) -> dict[str, int]:
        """Guideline id -> row."""
        return {gid: i for i, gid in enumerate(self.ids)}


@dataclasses.dataclass(frozen=True)
class Inputs:
    """Inputs with their prompts and the library rows of their guidelines."""

    ids: tuple[str, ...]
    prompts: tuple[str, ...]
    positives: tuple[tuple[int, ...], ...]

    def subset(self, rows: list[int]) -> Inputs:
        """The inputs at ``rows``."""
        ids = tuple(self.ids[r] for r in rows)
        return Inputs(ids, tuple(self.prompts[r] for r in rows), tuple(self.positives[r] for r in rows))


def load_library(path: str | Path) -> GuidelineTexts:
    """Read ``guidelines.jsonl`` (or a ``tfds:`` library); duplicate ids and empty texts are errors naming the id."""
    ids, texts, seen = [], [], set()
    for record in read_records(path, {"id": str, "text": str}):
        gid = record["id"]
        if gid in seen:
            raise RecordError(f"{path}: guideline id {gid!r} appears twice")
        if not record["text"].strip():
            raise RecordError(f"{path}: guideline {gid!r} has an empty text")
        seen.add(gid)
        ids.append(gid)
        texts.append(record["text"])
    if not ids:
        raise RecordError(f"{path}: the guideline library is empty")
    return GuidelineTexts(tuple(ids), tuple(texts))


def load_inputs(path: str | Path, library: GuidelineTexts, library_path: str | Path = "guidelines.jsonl") -> Inputs:
    """Read ``pairs.jsonl`` (or a ``tfds:`` pairs dataset) against ``library``; unknown guideline ids and empty
    prompts are errors."""
    index = library.index()
    ids, prompts, positives, seen = [], [], [], set()
    for record in read_records(path, {"input_id": str, "prompt": str, "guideline_ids": list}):
        input_id = record["input_id"]
        if input_id in seen:
            raise RecordError(f"{path}: input_id {input_id!r} appears twice")
        if not record["prompt"].strip():
            raise RecordError(f"{path}: input {input_id!r} has an empty prompt")
        if not record["guideline_ids"]:
            raise RecordError(f"{path}: input {input_id!r} names no guideline ids")
        rows = []
        for gid in record["guideline_ids"]:
            if gid not in index:
                raise RecordError(
                    f"{path}: input {input_id!r} names unknown guideline id {gid!r} (not in {library_path})"
                )
            if index[gid] not in rows:
                rows.append(index[gid])
        seen.add(input_id)
        ids.append(input_id)
        prompts.append(record["prompt"])
        positives.append(tuple(rows))
    if not ids:
        raise RecordError(f"{path}: no input-guideline pairs")
    return Inputs(tuple(ids), tuple(prompts), tuple(positives))


def split_by_input(inputs: Inputs, fraction: float) -> tuple[Inputs, Inputs]:
    """(train, held-out) inputs; no input is in both."""
    heldout = [i for i, input_id in enumerate(inputs.ids) if is_heldout(input_id, fraction)]
    held = set(heldout)
    train = [i for i in range(len(inputs.ids)) if i not in held]
    return inputs.subset(train), inputs.subset(heldout)
