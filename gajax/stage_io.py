"""How Stage 1 commands read inputs, split them across hosts, and write resumable outputs.

:func:`load_inputs` reads ``inputs.jsonl`` (``id``, ``prompt``, ``source``, optional ``category``) with a clear
error or a recorded rejection for every bad line. :func:`run_chat_stage` drives a backend over many items in chunks,
parsing each answer, retrying unparsed ones, appending finished records, and logging failures.

With ``count`` hosts, host ``index`` takes every ``count``-th input (starting at ``index``) and writes
``<stem>.part-<index>-of-<count>.jsonl`` next to the stage's output path; with one host it writes the output path
itself. :func:`read_stage` reads whichever of those exist, checks that the parts agree on ``count`` and that no key
appears twice with different contents, and yields every record once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from gajax.records import RecordError, ResumableWriter, content_id, read_jsonl, write_jsonl

_PART = re.compile(r"\.part-(\d{5})-of-(\d{5})\.jsonl$")


@dataclasses.dataclass(frozen=True)
class ShardConfig:
    """Which slice of the inputs this host handles: ``index`` of ``count`` (-1: ``jax.process_index()`` /
    ``jax.process_count()``)."""

    index: int = -1
    count: int = -1

    def resolve(self) -> tuple[int, int]:
        """The concrete ``(index, count)``, asking JAX for the values left at -1."""
        index, count = self.index, self.count
        if index < 0 or count < 0:
            import jax

            index = jax.process_index() if index < 0 else index
            count = jax.process_count() if count < 0 else count
        if count < 1 or not 0 <= index < count:
            raise ValueError(f"shard index {index} is not in 0..{count - 1} (count={count})")
        return index, count


def part_path(path: str | Path, index: int, count: int) -> Path:
    """Where host ``index`` of ``count`` writes a stage file (the path itself when ``count`` is 1)."""
    path = Path(path)
    if count == 1:
        return path
    stem = path.name[: -len(".jsonl")] if path.name.endswith(".jsonl") else path.name
    return path.with_name(f"{stem}.part-{index:05d}-of-{count:05d}.jsonl")


def stage_files(path: str | Path) -> list[Path]:
    """The files that make up a stage output: the path itself and/or its part files (sorted)."""
    path = Path(path)
    stem = path.name[: -len(".jsonl")] if path.name.endswith(".jsonl") else path.name
    parts = sorted(p for p in path.parent.glob(f"{stem}.part-*-of-*.jsonl") if _PART.search(p.name))
    counts = {int(_PART.search(p.name).group(2)) for p in parts}  # type: ignore[union-attr]
    if len(counts) > 1:
        raise RecordError(
            f"{path}: part files from runs with different host counts {sorted(counts)}; keep one set"
        )
    return ([path] if path.exists() else []) + parts


def read_stage(
    path: str | Path, key: str, required: Mapping[str, type | tuple[type, ...]] | None = None
) -> Iterator[dict[str, Any]]:
    """Every record of a stage output (single file and/or parts), validated, each key once.

    A cut-off last line (a writer killed mid-line) and a key seen twice with different contents raise
    :class:`~gajax.records.RecordError` naming ``file:line``: the next stage must not silently lose a record.
    """
    files = stage_files(path)
    if not files:
        raise RecordError(f"{path}: no such file (and no {Path(path).stem}.part-*-of-*.jsonl files)")
    seen: dict[str, str] = {}
    fields = {key: (str, int), **(required or {})}
    for file in files:
        for record in read_jsonl(file, fields):
            k = str(record[key])
            text = json.dumps(record, sort_keys=True)
            if k in seen:
                if seen[k] != text:
                    raise RecordError(f"{file}: {key} {k!r} appears twice with different contents")
                continue
            seen[k] = text
            yield record


def merge_stage(path: str | Path, key: str) -> int:
    """Merge part files into ``path`` (atomic) and remove the parts; returns the record count."""
    path = Path(path)
    files = stage_files(path)
    records = list(read_stage(path, key))
    count = write_jsonl(path, records)
    for file in files:
        if file != path:
            file.unlink()
    return count


# ---------------------------------------------------------------------------------------------------------------
# Inputs


def load_inputs(
    path: str | Path,
    *,
    max_chars: int = 8000,
    bad: Literal["error", "skip"] = "error",
    skip_key: str | None = "bad_inputs",
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Read ``inputs.jsonl``: returns (inputs, rejected lines).

    Each input gets ``id`` (its own, or a content hash of the prompt), ``prompt``, ``source`` and ``category``
    (or None). Lines that are not UTF-8, not JSON objects, lack a non-empty ``prompt``, exceed ``max_chars`` or
    reuse an id for a different prompt raise :class:`~gajax.records.RecordError` naming ``file:line`` (``bad``
    = ``error``) or are returned as ``{"line", "id", "reason"}`` rejections (``skip``). Exact repeats are dropped.
    ``skip_key`` is the caller's config key that selects ``skip`` (named in errors; None: the caller has none).
    """
    path = Path(path)
    if not path.exists():
        raise RecordError(f"{path}: no such inputs file")
    inputs: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    prompts_by_id: dict[str, str] = {}
    with path.open("rb") as f:
        for lineno, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            record_id = None
            try:
                record = _input_record(raw, max_chars)
                record_id = record["id"]
                if record_id in prompts_by_id:
                    if prompts_by_id[record_id] == record["prompt"]:
                        continue
                    raise ValueError(f"id {record_id!r} is used before for a different prompt")
            except ValueError as err:
                if bad == "error":
                    hint = f" ({skip_key}=skip records such lines and goes on)" if skip_key else ""
                    raise RecordError(f"{path}:{lineno}: {err}{hint}") from None
                rejected.append({"line": lineno, "id": record_id, "reason": str(err)})
                continue
            prompts_by_id[record_id] = record["prompt"]
            inputs.append(record)
    return inputs, rejected


def _input_record(raw: bytes, max_chars: int) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"not UTF-8 (byte {err.start} is {raw[err.start]:#04x})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"not valid JSON ({err.msg})") from None
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    prompt = data.get("prompt")
    if not isinstance(prompt, str):
        raise ValueError("missing string field 'prompt'")
    if not prompt.strip():
        raise ValueError("the prompt is empty")
    try:
        prompt.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("the prompt holds an unpaired surrogate escape (not valid Unicode text)") from None
    if len(prompt) > max_chars:
        raise ValueError(f"the prompt has {len(prompt)} characters; the limit is max_input_chars={max_chars}")
    record_id = data.get("id")
    if record_id is None or record_id == "":
        record_id = content_id(prompt)
    if not isinstance(record_id, str | int) or isinstance(record_id, bool):
        raise ValueError(f"field 'id' must be a string or integer, got {type(record_id).__name__}")
    source = data.get("source", "")
    category = data.get("category")
    if not isinstance(source, str):
        raise ValueError("field 'source' must be a string")
    if category is not None and not isinstance(category, str):
        raise ValueError("field 'category' must be a string")
    return {"id": str(record_id), "prompt": prompt, "source": source, "category": category}


# ---------------------------------------------------------------------------------------------------------------
# The chunked chat loop shared by detect and write-guidelines


@dataclasses.dataclass
class StageReport:
    """What one stage run did: outcome counts, rejected input lines, failures, backend usage."""

    stage: str
    output: Path
    counts: Counter = dataclasses.field(default_factory=Counter)
    rejected: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    failures: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    usage: dict[str, Any] = dataclasses.field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "output": str(self.output),
            "counts": dict(self.counts),
            "rejected_inputs": self.rejected,
            "failures": self.failures,
            "usage": self.usage,
            "seconds": round(self.seconds, 2),
        }

    def write(self) -> Path:
        """Write the report as ``<output stem>.summary.json`` next to the output; returns its path."""
        path = self.output.with_name(self.output.name.removesuffix(".jsonl") + ".summary.json")
        path.write_text(json.dumps(self.as_dict(), indent=2, ensure_ascii=False) + "\n")
        return path

    def print(self) -> None:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(self.counts.items())) or "nothing to do"
        lines = [f"gajax {self.stage}: {counts} in {self.seconds:.1f}s -> {self.output}"]
        if self.usage:
            lines.append(f"  backend: {self.usage.get('summary', '')}")
        if self.rejected:
            lines.append(
                f"  {len(self.rejected)} input lines rejected, e.g. line {self.rejected[0]['line']}: "
                f"{self.rejected[0]['reason']}"
            )
        if self.failures:
            lines.append(
                f"  {len(self.failures)} inputs failed (not written; a rerun retries them), e.g. "
                f"{self.failures[0]['input_id']}: {self.failures[0]['error']}"
            )
        print("\n".join(lines), file=sys.stderr)


def failures_path(output: Path) -> Path:
    """The append-only log of failed items next to a stage output."""
    return output.with_name(output.name.removesuffix(".jsonl") + ".failures.jsonl")


def drop_records(path: Path, key: str, keep: Callable[[dict[str, Any]], bool]) -> int:
    """Rewrite ``path`` atomically without the records ``keep`` rejects (for retrying them); returns the count."""
    if not path.exists():
        return 0
    records = list(read_jsonl(path, {key: (str, int)}, allow_partial_tail=True))
    kept = [r for r in records if keep(r)]
    if len(kept) != len(records):
        write_jsonl(path, kept)
    return len(records) - len(kept)


NO_RETRY_CODES = frozenset({"context_length_exceeded", "invalid_request"})


def run_chat_stage(
    items: Sequence[dict[str, Any]],
    *,
    backend: Any,
    writer: ResumableWriter,
    report: StageReport,
    build: Callable[[dict[str, Any]], list[dict[str, str]]],
    parse: Callable[[dict[str, Any], str, int], dict[str, Any] | None],
    give_up: Callable[[dict[str, Any], str, int], dict[str, Any]],
    outcome: Callable[[dict[str, Any]], str],
    max_tokens: int,
    temperature: float,
    top_p: float,
    seed: int,
    max_attempts: int,
    chunk_size: int,
    progress: bool,
) -> None:
    """Answer ``items`` (each with an ``id``) chunk by chunk, appending a record per finished item.

    ``parse(item, text, attempt)`` returns the record to write, or None when the answer is unusable; such items
    are asked again (a new seed per attempt) up to ``max_attempts``, then ``give_up(item, last_text, attempts)``
    gives the record that marks them unparsed. Backend errors are retried the same way (except requests the
    backend can never serve, such as over-long prompts); items that still fail are not written, so a rerun tries
    them again, and go to ``report.failures`` and the ``*.failures.jsonl`` log. ``outcome(record)`` names the
    count a written record adds to.
    """
    from tqdm import tqdm

    log_path = failures_path(writer.path)
    bar = tqdm(total=len(items), desc=report.stage, unit="input", disable=not progress, dynamic_ncols=True)
    try:
        for start in range(0, len(items), chunk_size):
            todo = list(items[start : start + chunk_size])
            by_id = {item["id"]: item for item in todo}
            last: dict[str, tuple[str, str | None, str | None]] = {}  # id -> (text, error, error_code)
            for attempt in range(1, max_attempts + 1):
                if not todo:
                    break
                results = backend.chat(
                    [build(item) for item in todo],
                    max_tokens=max_tokens,
                    temperature=temperature,
                    top_p=top_p,
                    seed=seed + attempt - 1,
                )
                again = []
                for item, result in zip(todo, results, strict=True):
                    if not result.ok:
                        last[item["id"]] = ("", result.error, result.error_code)
                        if result.error_code not in NO_RETRY_CODES:
                            again.append(item)
                        continue
                    record = parse(item, result.text, attempt)
                    if record is None:
                        last[item["id"]] = (result.text, None, None)
                        again.append(item)
                        continue
                    writer.write(record)
                    report.counts[outcome(record)] += 1
                    last.pop(item["id"], None)
                todo = again
            for item_id, (text, error, code) in last.items():
                item = by_id[item_id]
                if error is None:
                    record = give_up(item, text, max_attempts)
                    writer.write(record)
                    report.counts[outcome(record)] += 1
                else:
                    failure = {"input_id": item_id, "error": error, "code": code, "time": time.time()}
                    report.failures.append(failure)
                    report.counts["failed"] += 1
                    with log_path.open("a", encoding="utf-8") as log:
                        log.write(json.dumps(failure, ensure_ascii=False) + "\n")
            bar.update(min(chunk_size, len(items) - start))
            bar.set_postfix({k: v for k, v in sorted(report.counts.items())}, refresh=False)
    finally:
        bar.close()


# ---------------------------------------------------------------------------------------------------------------
# Readers of Stage 1's files (the library and guidelines stages read them)

VERDICTS = ("risky", "safe", "unparsed")
DETECTION_FIELDS = {"input_id": str, "verdict": str, "analysis": str, "model": str, "attempts": int}


def read_detections(path: str | Path) -> dict[str, dict[str, Any]]:
    """``detections.jsonl`` (or its part files) as ``{input_id: record}``, every record validated."""
    out = {}
    for record in read_stage(path, "input_id", DETECTION_FIELDS):
        if record["verdict"] not in VERDICTS:
            raise RecordError(
                f"{path}: input {record['input_id']}: verdict {record['verdict']!r} is not one of {VERDICTS}"
            )
        out[record["input_id"]] = record
    return out


def read_guidelines_raw(path: str | Path) -> list[dict[str, Any]]:
    """``guidelines_raw.jsonl`` (or its part files), every record checked: ``guidelines`` a list of
    ``{title, text}`` with ``text`` = ``"<title>: <description>"``; raises RecordError naming the file and input."""
    records = []
    for record in read_stage(path, "input_id", {"guidelines": list, "model": str}):
        where = f"{path}: input {record['input_id']}"
        if record.get("status", "ok") not in ("ok", "unparsed"):
            raise RecordError(f"{where}: status {record['status']!r} is not ok or unparsed")
        for i, item in enumerate(record["guidelines"]):
            if not isinstance(item, dict) or not isinstance(item.get("title"), str) or not isinstance(
                item.get("text"), str
            ):
                raise RecordError(f"{where}: guideline {i} must be an object with string title and text")
            if not item["text"].startswith(item["title"] + ":"):
                raise RecordError(f"{where}: guideline {i} text does not start with its title {item['title']!r}")
        records.append(record)
    return records


# ---------------------------------------------------------------------------------------------------------------
# Shared by the trainers' data: the held-out split and the DPO pairs of guided records


def is_heldout(input_id: str, fraction: float) -> bool:
    """Whether ``input_id`` belongs to the held-out split (a stable sha256 hash against ``fraction``)."""
    bucket = int.from_bytes(hashlib.sha256(input_id.encode("utf-8")).digest()[:8], "big") / 2.0**64
    return bucket < fraction


def dpo_pairs(records: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    """TRL preference records ``{prompt, chosen, rejected}`` from ``guided.jsonl`` records made with
    ``unguided=true``: the prompt is the raw input (no guidelines), chosen the guided and rejected the unguided
    answer. Records whose two answers are identical teach nothing and are skipped."""
    pairs = []
    for n, record in enumerate(records):
        if "unguided_response" not in record:
            raise ValueError(
                f"record {n} (input_id {record.get('input_id')!r}) has no unguided_response; run 'gajax guide' "
                "with unguided=true"
            )
        if record["response"].strip() == record["unguided_response"].strip():
            continue
        pairs.append(
            {"prompt": record["prompt"], "chosen": record["response"], "rejected": record["unguided_response"]}
        )
    return pairs
