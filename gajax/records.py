"""JSONL records: validated reading that names ``file:line``, and resumable keyed appending.

Every stage writes one line per finished record, keyed by an id field. A run killed mid-write leaves at most one
partial last line; :class:`ResumableWriter` cuts it off, loads the keys already written, and skips them, so a
restarted run ends with no duplicates and no gaps.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any


class RecordError(ValueError):
    """A bad record, reported as ``file:line: reason``."""


def content_id(*parts: str, length: int = 16) -> str:
    """A stable id from text content (sha256 hex prefix)."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:length]


def _check(record: Any, required: Mapping[str, type | tuple[type, ...]], where: str) -> None:
    if not isinstance(record, dict):
        raise RecordError(f"{where}: expected a JSON object, got {type(record).__name__}")
    for field, kind in required.items():
        if field not in record:
            raise RecordError(f"{where}: missing field {field!r}")
        if not isinstance(record[field], kind):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise RecordError(f"{where}: field {field!r} must be {names}, got {type(record[field]).__name__}")


def read_jsonl(
    path: str | Path,
    required: Mapping[str, type | tuple[type, ...]] | None = None,
    *,
    allow_partial_tail: bool = False,
) -> Iterator[dict[str, Any]]:
    """Yield the records of a JSONL file; blank lines are skipped, bad ones raise :class:`RecordError`.

    ``required`` maps field names to the types they must have. ``allow_partial_tail`` tolerates an unterminated
    last line (a writer killed mid-line) by ignoring it.
    """
    for _, record in read_jsonl_lines(path, required, allow_partial_tail=allow_partial_tail):
        yield record


def read_jsonl_lines(
    path: str | Path,
    required: Mapping[str, type | tuple[type, ...]] | None = None,
    *,
    allow_partial_tail: bool = False,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """:func:`read_jsonl` that also yields each record's line number (from 1), for errors found later."""
    path = Path(path)
    if not path.exists():
        raise RecordError(f"{path}: no such file")
    with path.open("rb") as f:
        data = f.read()
    lines = data.split(b"\n")
    partial_tail = not data.endswith(b"\n") and bool(lines[-1])
    for lineno, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        is_tail = lineno == len(lines)
        where = f"{path}:{lineno}"
        try:
            record = json.loads(raw.decode("utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            if is_tail and partial_tail and allow_partial_tail:
                return
            raise RecordError(f"{where}: not valid JSON ({err.msg if hasattr(err, 'msg') else err})") from None
        _check(record, required or {}, where)
        yield lineno, record


def write_jsonl(path: str | Path, records: Iterable[Mapping[str, Any]]) -> int:
    """Write records atomically (temp file + rename); returns the count."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    count = 0
    with tmp.open("w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)
    return count


class ResumableWriter:
    """Append records keyed by ``key``; on open, drop a partial last line and remember the keys already done."""

    def __init__(self, path: str | Path, key: str, *, fsync: bool = False):
        self.path = Path(path)
        self.key = key
        self.fsync = fsync
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.done: set[str] = set()
        if self.path.exists():
            self._repair_tail()
            for record in read_jsonl(self.path, {key: (str, int)}):
                self.done.add(str(record[key]))
        self._file = self.path.open("a", encoding="utf-8")

    def _repair_tail(self) -> None:
        with self.path.open("rb+") as f:
            data = f.read()
            if data and not data.endswith(b"\n"):
                f.truncate(data.rfind(b"\n") + 1)

    def __contains__(self, key: object) -> bool:
        return str(key) in self.done

    def write(self, record: Mapping[str, Any]) -> None:
        """Append one finished record (skipped if its key is already written)."""
        k = str(record[self.key])
        if k in self.done:
            return
        self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._file.flush()
        if self.fsync:
            os.fsync(self._file.fileno())
        self.done.add(k)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> ResumableWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
