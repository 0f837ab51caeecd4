"""Benchmark loaders: each reads a local file in its upstream format and returns :class:`EvalPrompt` records.

Every loader checks its input the same way: a malformed line or a row without its prompt raises
:class:`~gajax.records.RecordError` naming ``file:line``; a duplicate id names the file and the id; a file with no
prompts is an error. Rows without an id get :func:`gajax.records.content_id` of the prompt.

==================  =====================================================================================
name                loader and accepted formats
==================  =====================================================================================
``do_not_answer``   :func:`load_do_not_answer`: JSONL (``id``, ``prompt``, ``risk_area``), Guide-Align
                    ``do_not_answer_en_prompt.jsonl`` (``question``, ``type``), LibrAI CSV (``question``,
                    ``risk_area``, ...)
``vicuna80``        :func:`load_vicuna`: JSONL (``id``, ``prompt``, ``category``), FastChat
                    ``question.jsonl`` (``question_id``, ``category``, ``turns`` or ``text``)
``hhh``             :func:`load_hhh`: BIG-bench ``hhh_alignment`` directory or JSONL rows (``input``)
``xstest``          :func:`load_xstest`: XSTest v2 ``xstest_prompts.csv``
``jsonl``           :func:`load_prompts_jsonl`: any JSONL with ``prompt`` (and optional ``id``)
==================  =====================================================================================
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from gajax.eval.types import EvalPrompt
from gajax.records import RecordError, content_id, read_jsonl

HHH_SUBSETS = ("harmless", "helpful", "honest", "other")
XSTEST_LABELS = ("safe", "unsafe")


def _prompt_id(row: Mapping[str, Any], key: str, prompt: str, where: str) -> str:
    """The row's id as a string, or the content id of its prompt when the row has none."""
    value = row.get(key)
    if value is None:
        return content_id(prompt)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise RecordError(f"{where}: field {key!r} must be a string or an integer, got {type(value).__name__}")
    if isinstance(value, str) and not value.strip():
        return content_id(prompt)
    return str(value).strip()


def _text_field(row: Mapping[str, Any], keys: tuple[str, ...], where: str, what: str = "prompt") -> str:
    """The first of ``keys`` present in ``row``, as a non-empty string."""
    for key in keys:
        if key in row and row[key] is not None:
            value = row[key]
            if not isinstance(value, str):
                raise RecordError(f"{where}: field {key!r} must be a string, got {type(value).__name__}")
            if not value.strip():
                raise RecordError(f"{where}: field {key!r} is empty")
            return value
    names = " or ".join(repr(k) for k in keys)
    raise RecordError(f"{where}: missing {what} field {names}")


def _optional_str(row: Mapping[str, Any], keys: tuple[str, ...]) -> str:
    for key in keys:
        if row.get(key) is not None:
            return str(row[key]).strip()
    return ""


def _jsonl_rows(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(file:line, record)`` for every non-blank line (``read_jsonl`` checks the JSON)."""
    lines = _line_numbers(path)
    for lineno, record in zip(lines, read_jsonl(path), strict=True):
        yield f"{path}:{lineno}", record


def _line_numbers(path: Path) -> list[int]:
    if not path.is_file():
        raise RecordError(f"{path}: no such file")
    data = path.read_bytes().split(b"\n")
    return [i for i, raw in enumerate(data, start=1) if raw.strip()]


def _csv_rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[str, dict[str, str]]]:
    """``(file:line, row)`` for every CSV record; ``line`` is where the record starts (quoted fields may span lines).

    The header must name every column in ``required``; blank lines are skipped; a record whose field count differs
    from the header's is an error.
    """
    if not path.is_file():
        raise RecordError(f"{path}: no such file")
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        try:
            header = [name.strip() for name in next(reader, [])]
            if not header:
                raise RecordError(f"{path}: no prompts in the file (it has no header line)")
            missing = [c for c in required if c not in header]
            if missing:
                raise RecordError(f"{path}:1: missing column(s) {missing}; the header has {header}")
            start = reader.line_num + 1
            for fields in reader:
                where = f"{path}:{start}"
                start = reader.line_num + 1
                if not fields:
                    continue
                if len(fields) != len(header):
                    raise RecordError(f"{where}: the record has {len(fields)} fields, the header {len(header)}")
                yield where, dict(zip(header, fields, strict=True))
        except csv.Error as err:
            raise RecordError(f"{path}:{reader.line_num}: not valid CSV ({err})") from None


def _finish(prompts: list[EvalPrompt], path: Path) -> list[EvalPrompt]:
    """Reject an empty result and duplicate ids."""
    if not prompts:
        raise RecordError(f"{path}: no prompts in the file")
    seen: set[str] = set()
    for p in prompts:
        if p.id in seen:
            raise RecordError(f"{path}: duplicate id {p.id!r} (a row without an id gets a hash of its prompt)")
        seen.add(p.id)
    return prompts


def load_do_not_answer(path: str | Path) -> list[EvalPrompt]:
    """Do-Not-Answer (Wang et al. 2023): 939 prompts a responsible model should not follow.

    Upstream: https://huggingface.co/datasets/LibrAI/do-not-answer and https://github.com/Libr-AI/do-not-answer
    (CSV with columns ``id``, ``risk_area``, ``types_of_harm``, ``specific_harms``, ``question`` and possibly the
    six models' responses and labels); Guide-Align's copy is
    https://github.com/XMUDM/Guide-Align/blob/main/benchmark/do_not_answer/dataset/for_retrieval/do_not_answer_en_prompt.jsonl
    (DPR query rows: ``question``, ``type`` = risk area, ``id``, ``answer``, ``positive_ctxs``, ``negative_ctxs``).

    ``.csv`` files are read as the LibrAI CSV; anything else as JSONL with ``prompt`` or ``question`` and
    ``risk_area`` or ``type``. ``group`` = risk area, ``should_refuse`` = True.
    """
    path = Path(path)
    prompts: list[EvalPrompt] = []
    is_csv = path.suffix.lower() == ".csv"
    rows: Iterator[tuple[str, Mapping[str, Any]]] = (
        _csv_rows(path, ("question", "risk_area")) if is_csv else _jsonl_rows(path)
    )
    for where, row in rows:
        prompt = _text_field(row, ("prompt", "question"), where)
        group = _optional_str(row, ("risk_area", "type"))
        prompts.append(EvalPrompt(_prompt_id(row, "id", prompt, where), prompt, group, True))
    return _finish(prompts, path)


def load_vicuna(path: str | Path) -> list[EvalPrompt]:
    """The Vicuna benchmark: 80 benign questions in 9 categories.

    Upstream: https://github.com/lm-sys/FastChat/blob/main/fastchat/llm_judge/data/vicuna_bench/question.jsonl
    (``question_id``, ``category``, ``turns``: the first turn is the prompt) and the older
    ``fastchat/eval/table/question.jsonl`` (``question_id``, ``text``, ``category``); also JSONL with ``id``,
    ``prompt``, ``category``. ``group`` = category, ``should_refuse`` = False.
    """
    path = Path(path)
    prompts: list[EvalPrompt] = []
    for where, row in _jsonl_rows(path):
        if "turns" in row and "prompt" not in row:
            turns = row["turns"]
            if not isinstance(turns, list) or not turns or not isinstance(turns[0], str) or not turns[0].strip():
                raise RecordError(f"{where}: field 'turns' must be a non-empty list whose first turn is a string")
            prompt = turns[0]
        else:
            prompt = _text_field(row, ("prompt", "text"), where)
        key = "question_id" if "question_id" in row else "id"
        group = _optional_str(row, ("category",))
        prompts.append(EvalPrompt(_prompt_id(row, key, prompt, where), prompt, group, False))
    return _finish(prompts, path)


def _hhh_task_inputs(task_file: Path) -> list[tuple[str, str]]:
    """``(where, input)`` for the examples of one BIG-bench ``task.json``."""
    if not task_file.is_file():
        raise RecordError(f"{task_file}: no such file (an HHH directory holds {', '.join(HHH_SUBSETS)}/task.json)")
    try:
        task = json.loads(task_file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise RecordError(f"{task_file}:{err.lineno}: not valid JSON ({err.msg})") from None
    examples = task.get("examples") if isinstance(task, dict) else None
    if not isinstance(examples, list):
        raise RecordError(f"{task_file}: expected an object with an 'examples' list")
    out = []
    for i, example in enumerate(examples):
        where = f"{task_file}: examples[{i}]"
        if not isinstance(example, dict):
            raise RecordError(f"{where}: expected an object, got {type(example).__name__}")
        out.append((where, _text_field(example, ("input",), where)))
    return out


def load_hhh(path: str | Path) -> list[EvalPrompt]:
    """BIG-bench HHH alignment (Askell et al. 2021) as generation prompts, duplicate inputs removed per subset.

    Upstream: https://github.com/google/BIG-bench/tree/main/bigbench/benchmark_tasks/hhh_alignment (a directory
    with ``harmless/``, ``helpful/``, ``honest/``, ``other/``, each holding ``task.json`` =
    ``{"examples": [{"input": ..., "target_scores": {...}}]}``) and https://huggingface.co/datasets/HuggingFaceH4/hhh_alignment
    (rows ``input``, ``targets``; exported to JSONL with a ``subset`` field, or one file per subset named after it).
    Guide-Align's ``benchmark/hhh_eval/dataset/for_retrieval/<subset>.jsonl`` rows (``question``, ``type``) load too.

    The multiple-choice items repeat each question with different answer pairs; as in the Guide-Align paper only the
    first occurrence of an identical input is kept within a subset. Ids are ``<subset>-<n>`` (n from 1 in file
    order), ``group`` = subset, ``should_refuse`` = None.
    """
    path = Path(path)
    items: list[tuple[str, str, str]] = []  # (subset, where, input)
    if path.is_dir():
        for subset in HHH_SUBSETS:
            items += [(subset, where, text) for where, text in _hhh_task_inputs(path / subset / "task.json")]
    else:
        for where, row in _jsonl_rows(path):
            text = _text_field(row, ("input", "question"), where)
            subset = _optional_str(row, ("subset", "type")) or path.stem
            items.append((subset, where, text))
    prompts: list[EvalPrompt] = []
    seen: dict[str, set[str]] = {}
    for subset, _, text in items:
        inputs = seen.setdefault(subset, set())
        if text in inputs:
            continue
        inputs.add(text)
        prompts.append(EvalPrompt(f"{subset}-{len(inputs)}", text, subset, None))
    return _finish(prompts, path)


def load_xstest(path: str | Path) -> list[EvalPrompt]:
    """XSTest v2 (Röttger et al. 2024): 250 safe prompts that sound unsafe and 200 unsafe contrasts.

    Upstream: https://github.com/paul-rottger/exaggerated-safety/blob/main/xstest_prompts.csv (columns ``id``,
    ``prompt``, ``type``, ``label`` = ``safe``/``unsafe``, ``focus``, ``note``). ``group`` = type,
    ``should_refuse`` = (label == "unsafe").
    """
    path = Path(path)
    prompts: list[EvalPrompt] = []
    for where, row in _csv_rows(path, ("prompt", "type", "label")):
        prompt = _text_field(row, ("prompt",), where)
        label = row["label"].strip().lower()
        if label not in XSTEST_LABELS:
            raise RecordError(f"{where}: label must be one of {XSTEST_LABELS}, got {row['label']!r}")
        prompts.append(
            EvalPrompt(_prompt_id(row, "id", prompt, where), prompt, row["type"].strip(), label == "unsafe")
        )
    return _finish(prompts, path)


def load_prompts_jsonl(path: str | Path, group_field: str = "", should_refuse: bool | None = None) -> list[EvalPrompt]:
    """Any JSONL of prompts: ``prompt`` (required), ``id`` (optional), ``group_field`` (required when given)."""
    path = Path(path)
    prompts: list[EvalPrompt] = []
    for where, row in _jsonl_rows(path):
        prompt = _text_field(row, ("prompt",), where)
        group = ""
        if group_field:
            if row.get(group_field) is None:
                raise RecordError(f"{where}: missing group field {group_field!r}")
            group = str(row[group_field]).strip()
        prompts.append(EvalPrompt(_prompt_id(row, "id", prompt, where), prompt, group, should_refuse))
    return _finish(prompts, path)


BENCHMARKS: dict[str, Callable[[str | Path], list[EvalPrompt]]] = {
    "do_not_answer": load_do_not_answer,
    "vicuna80": load_vicuna,
    "hhh": load_hhh,
    "xstest": load_xstest,
    "jsonl": load_prompts_jsonl,
}


def load_benchmark(name: str, path: str | Path) -> list[EvalPrompt]:
    """Load benchmark ``name`` (a key of :data:`BENCHMARKS`) from the local file or directory ``path``."""
    if name not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {name!r}; known: {', '.join(sorted(BENCHMARKS))}")
    return BENCHMARKS[name](path)


def load_eval_prompts(source: str) -> list[EvalPrompt]:
    """The :class:`EvalPrompt` records of a prepared ``eval_prompts`` dataset, e.g.
    ``tfds:eval_prompts/vicuna80@DATA_DIR`` (see :mod:`gajax.data.tfds.source`)."""
    from gajax.data.tfds.eval_prompts import SHOULD_REFUSE  # TFDS loads only when a dataset is read
    from gajax.data.tfds.source import read_records

    refuse = {v: k for k, v in SHOULD_REFUSE.items()}
    return [
        EvalPrompt(r["id"], r["prompt"], r["group"], refuse[r["should_refuse"]])
        for r in read_records(source, {"id": str, "prompt": str, "group": str, "should_refuse": int})
    ]
