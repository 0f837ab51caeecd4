"""TFDS builders for Labrador's training data: the aligned SFT set and the DPO preference pairs (array_record).

Both read Stage 2's ``guided.jsonl`` (``gajax guide``; ``input_id``, ``prompt``, ``guidelines`` [{id, text}],
``response``, optional ``unguided_response``, ``model``, ``settings``)::

    AlignedSFT(guided="guided.jsonl", data_dir="tfds").download_and_prepare()
    DPOPairs(guided="guided.jsonl", data_dir="tfds").download_and_prepare()   # made with unguided=true
    DPOPairs(pairs="pairs.jsonl", data_dir="tfds").download_and_prepare()     # ready {prompt, chosen, rejected}
    records = tfds.data_source("aligned_sft", data_dir="tfds", split="train")

An SFT example is the raw prompt (no guidelines: Labrador is trained without them) and the guided response; a DPO
example is TRL's ``prompt``, ``chosen`` (guided) and ``rejected`` (unguided), with the rule of
:func:`gajax.stage_io.dpo_pairs` (a pair whose two answers are identical is skipped). Examples keep the order of the
source file. ``validation_fraction`` > 0 moves inputs to a ``validation`` split by a sha256 hash of ``input_id``
(the rule of :func:`gajax.stage_io.is_heldout`, so the same inputs are held out everywhere at the same
fraction). Where the data came from (paths, sha256) is in ``builder.info.metadata``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import tensorflow_datasets as tfds

from gajax.data.tfds.provenance import SourcedBuilder
from gajax.records import RecordError, content_id, read_jsonl
from gajax.stage_io import dpo_pairs, is_heldout

log = logging.getLogger("gajax.data")

GUIDED_FIELDS: dict[str, type | tuple[type, ...]] = {
    "input_id": (str, int),
    "prompt": str,
    "guidelines": list,
    "response": str,
}
PAIR_FIELDS: dict[str, type | tuple[type, ...]] = {"prompt": str, "chosen": str, "rejected": str}

Example = tuple[int, dict[str, Any]]


def numbered_records(
    path: Path, required: Mapping[str, type | tuple[type, ...]]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, record)`` for each record of a JSONL file (blank lines are skipped, as by ``read_jsonl``)."""
    lines = [n for n, raw in enumerate(path.read_bytes().split(b"\n"), start=1) if raw.strip()]
    return zip(lines, read_jsonl(path, required), strict=True)


def guideline_ids(record: dict[str, Any], where: str) -> list[str]:
    """The ``id`` of each entry of a ``guided.jsonl`` record's ``guidelines``."""
    ids = []
    for i, guideline in enumerate(record["guidelines"]):
        if not isinstance(guideline, dict) or not isinstance(guideline.get("id"), str):
            raise RecordError(f"{where}: guidelines[{i}] has no 'id' string")
        ids.append(guideline["id"])
    return ids


def split_examples(
    examples: list[dict[str, Any]], fraction: float, source: Path
) -> dict[str, list[Example]]:
    """``{"train": [...]}`` (plus ``"validation"`` when ``fraction`` > 0), keyed by source position."""
    splits: dict[str, list[Example]] = {"train": []}
    if fraction > 0:
        splits["validation"] = []
    for position, example in enumerate(examples):
        held = fraction > 0 and is_heldout(example["input_id"], fraction)
        splits["validation" if held else "train"].append((position, example))
    for name, rows in splits.items():
        if not rows:
            raise RecordError(
                f"{source}: the {name} split is empty ({len(examples)} usable records, validation_fraction "
                f"{fraction})"
            )
    return splits


def _check_fraction(fraction: float) -> float:
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"validation_fraction must be in [0, 1), got {fraction}")
    return float(fraction)


class AlignedSFT(SourcedBuilder):
    """The aligned SFT set: one example per input with a non-empty guided response.

    Features: ``input_id``, ``prompt`` (the raw input), ``response`` (the guided answer), ``guideline_ids`` (the
    guidelines that steered it; not part of the training text) and ``model`` (the model that answered).
    """

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES: ClassVar[dict[str, str]] = {"1.0.0": "Raw prompts with guided responses, in source order."}
    SOURCE_HINT = "guided=guided.jsonl"

    def __init__(self, *, guided: str | Path | None = None, validation_fraction: float = 0.0, **kwargs: Any):
        self.guided = Path(guided) if guided else None
        self.validation_fraction = _check_fraction(validation_fraction)
        super().__init__(**kwargs)

    def _info(self) -> tfds.core.DatasetInfo:
        text = tfds.features.Text()
        return self.dataset_info(
            "Guide-Align aligned SFT set (gajax): raw prompt -> guided response.",
            {
                "input_id": text,
                "prompt": text,
                "response": text,
                "guideline_ids": tfds.features.Sequence(text),
                "model": text,
            },
        )

    def source_files(self, manual_dir: Path | None) -> list[Path]:
        return [self.guided] if self.guided else []

    def settings(self) -> dict[str, Any]:
        return {"validation_fraction": self.validation_fraction}

    def _split_generators(self, dl_manager: Any) -> dict[str, Iterator[Example]]:
        (path,) = self.files_to_build(None)
        examples, first_line, empty = [], {}, 0
        for line, record in numbered_records(path, GUIDED_FIELDS):
            where = f"{path}:{line}"
            input_id = str(record["input_id"])
            if input_id in first_line:
                raise RecordError(f"{where}: input_id {input_id!r} already appeared on line {first_line[input_id]}")
            first_line[input_id] = line
            ids = guideline_ids(record, where)
            if not record["response"].strip():
                empty += 1
                continue
            examples.append(
                {
                    "input_id": input_id,
                    "prompt": record["prompt"],
                    "response": record["response"],
                    "guideline_ids": ids,
                    "model": str(record.get("model", "")),
                }
            )
        if empty:
            log.warning("%s: skipped %d records with an empty response", path, empty)
        self.record_provenance(None, examples=len(examples), skipped_empty_response=empty)
        splits = split_examples(examples, self.validation_fraction, path)
        return {name: self._generate_examples(rows) for name, rows in splits.items()}

    def _generate_examples(self, rows: list[Example]) -> Iterator[Example]:
        yield from rows


class DPOPairs(SourcedBuilder):
    """TRL preference pairs ``prompt``, ``chosen``, ``rejected`` (+ ``input_id``).

    Built from a ``guided.jsonl`` made with ``unguided=true`` (chosen = guided, rejected = unguided answer; a record
    without ``unguided_response`` is an error naming file:line) or from a ready ``pairs`` JSONL of
    ``{prompt, chosen, rejected}`` records (``input_id`` optional; default: a hash of the prompt).
    """

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES: ClassVar[dict[str, str]] = {"1.0.0": "Guided (chosen) vs unguided (rejected) pairs."}
    SOURCE_HINT = "guided=guided.jsonl (made with unguided=true) or pairs=FILE.jsonl"

    def __init__(
        self,
        *,
        guided: str | Path | None = None,
        pairs: str | Path | None = None,
        validation_fraction: float = 0.0,
        **kwargs: Any,
    ):
        if guided and pairs:
            raise ValueError("DPOPairs: give guided=... or pairs=..., not both")
        self.guided = Path(guided) if guided else None
        self.pairs = Path(pairs) if pairs else None
        self.validation_fraction = _check_fraction(validation_fraction)
        super().__init__(**kwargs)

    def _info(self) -> tfds.core.DatasetInfo:
        text = tfds.features.Text()
        return self.dataset_info(
            "Guide-Align DPO pairs (gajax): chosen = guided, rejected = unguided answer; prompt without guidelines.",
            {"input_id": text, "prompt": text, "chosen": text, "rejected": text},
        )

    def source_files(self, manual_dir: Path | None) -> list[Path]:
        source = self.guided or self.pairs
        return [source] if source else []

    def settings(self) -> dict[str, Any]:
        return {"validation_fraction": self.validation_fraction, "from": "guided" if self.guided else "pairs"}

    def _candidates(self, path: Path) -> Iterator[dict[str, Any]]:
        """``{input_id, prompt, response, unguided_response}`` per source record, validated."""
        if self.pairs is not None:
            for _, record in numbered_records(path, PAIR_FIELDS):
                input_id = record.get("input_id")
                yield {
                    "input_id": content_id(record["prompt"]) if input_id is None else str(input_id),
                    "prompt": record["prompt"],
                    "response": record["chosen"],
                    "unguided_response": record["rejected"],
                }
            return
        first_line: dict[str, int] = {}
        for line, record in numbered_records(path, GUIDED_FIELDS):
            where = f"{path}:{line}"
            input_id = str(record["input_id"])
            if not isinstance(record.get("unguided_response"), str):
                raise RecordError(
                    f"{where}: input_id {input_id!r} has no unguided_response; run 'gajax guide' with unguided=true"
                )
            if input_id in first_line:
                raise RecordError(f"{where}: input_id {input_id!r} already appeared on line {first_line[input_id]}")
            first_line[input_id] = line
            yield {"input_id": input_id, **{k: record[k] for k in ("prompt", "response", "unguided_response")}}

    def _split_generators(self, dl_manager: Any) -> dict[str, Iterator[Example]]:
        (path,) = self.files_to_build(None)
        examples, identical, empty = [], 0, 0
        for candidate in self._candidates(path):
            pair = dpo_pairs([candidate])
            if not pair:
                identical += 1
            elif not (pair[0]["chosen"].strip() and pair[0]["rejected"].strip()):
                empty += 1
            else:
                examples.append({"input_id": candidate["input_id"], **pair[0]})
        if identical or empty:
            log.warning("%s: skipped %d pairs with identical and %d with an empty answer", path, identical, empty)
        self.record_provenance(None, examples=len(examples), skipped_identical=identical, skipped_empty=empty)
        splits = split_examples(examples, self.validation_fraction, path)
        return {name: self._generate_examples(rows) for name, rows in splits.items()}

    def _generate_examples(self, rows: list[Example]) -> Iterator[Example]:
        yield from rows
