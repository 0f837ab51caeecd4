"""The files of an eval run directory as the run writes them and the report reads them: a benchmark's prompts,
``responses.jsonl`` and the names of the pairwise files."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gajax.eval.benchmarks import load_benchmark
from gajax.eval.types import EvalPrompt
from gajax.records import read_jsonl


class EvalError(ValueError):
    """A run directory whose files do not belong together (other settings, other judge, other ids)."""


def comparison_slug(text: str) -> str:
    """A file-name-safe form of a comparison."""
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")


def benchmark_prompts(spec: Any, data_dir: str = "") -> list[EvalPrompt]:
    """The prompts of one benchmark (the first ``limit`` when set); a relative path is read from ``data_dir``."""
    prompts = load_benchmark(spec.name, str(Path(data_dir) / spec.path) if data_dir else spec.path)
    return prompts[: spec.limit] if spec.limit > 0 else prompts


def read_responses(path: Path, prompts: Sequence[EvalPrompt] | None = None) -> dict[str, dict[str, Any]]:
    """``responses.jsonl`` as ``{input_id: record}``; with ``prompts``, ids outside the benchmark are errors."""
    required = {"input_id": str, "prompt": str, "response": str, "unguided_response": str, "settings": dict}
    records = {r["input_id"]: r for r in read_jsonl(path, required, allow_partial_tail=True)} if path.exists() else {}
    if prompts is not None:
        known = {p.id for p in prompts}
        stray = sorted(set(records) - known)
        if stray:
            raise EvalError(
                f"{path}: {len(stray)} records have ids that the benchmark does not have (e.g. {stray[0]!r}); "
                "was this file made from another benchmark file?"
            )
    return records
