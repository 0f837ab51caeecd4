"""``gajax detect``: a few-shot safety verdict for every training input (Stage 1, first step).

The model reads the detection prompt (``gajax/data/prompts/detection.yaml``) with its worked exemplars and
writes a short analysis that ends in a verdict line. The verdict is taken from the final line only
(``Final answer: Yes`` / ``No`` and close variants), never from a "Yes" anywhere in the text: an analysis that
says "Harmful content: Yes" and ends "Final answer: No" is safe. Answers without a readable verdict are asked
again (new seed) and, after ``max_attempts``, recorded with verdict ``unparsed``.

Output ``detections.jsonl``: ``{input_id, verdict: risky|safe|unparsed, analysis, categories, model, attempts}``.
"""

from __future__ import annotations

import dataclasses
import re
import time
from typing import Any, Literal

from gajax.llm.backend import LLMConfig
from gajax.llm.chat import Message
from gajax.llm.prompts import fill, load_prompt_file, load_taxonomy, require, safety_category_ids
from gajax.records import ResumableWriter
from gajax.stage_io import (
    ShardConfig,
    StageReport,
    drop_records,
    load_inputs,
    part_path,
    run_chat_stage,
)


@dataclasses.dataclass(frozen=True)
class DetectConfig:
    """``gajax detect``: ``inputs`` JSONL to ``output`` detections, with ``llm`` as the judge.

    ``num_exemplars`` (-1: all) picks the first exemplars of the prompt file ``prompts`` (empty: shipped).
    ``limit`` (0: all) keeps the first inputs before sharding across hosts. ``bad_inputs=skip`` records bad input
    lines in the summary instead of stopping; ``retry_unparsed`` asks again for inputs recorded as unparsed.
    """

    inputs: str = "inputs.jsonl"
    output: str = "detections.jsonl"
    llm: LLMConfig = dataclasses.field(default_factory=LLMConfig)
    prompts: str = ""
    taxonomy: str = ""
    num_exemplars: int = -1
    max_tokens: int = 256
    temperature: float = 0.7
    top_p: float = 1.0
    seed: int = 0
    max_attempts: int = 3
    chunk_size: int = 64
    limit: int = 0
    max_input_chars: int = 8000
    bad_inputs: Literal["error", "skip"] = "error"
    retry_unparsed: bool = False
    shard: ShardConfig = dataclasses.field(default_factory=ShardConfig)
    progress: bool = True

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if self.chunk_size < 1:
            raise ValueError(f"chunk_size must be at least 1, got {self.chunk_size}")
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be at least 1, got {self.max_tokens}")


# ---------------------------------------------------------------------------------------------------------------
# Parsing

_LABEL = r"(?:final\s+answer|final\s+verdict|answer|verdict|conclusion|decision|judge?ment|result|risky)"
_LEAD = r"(?:(?:so|thus|therefore|hence|overall|in\s+summary|in\s+conclusion)\s*,?\s*)?(?:(?:the|my)\s+)?"
_LABELLED = re.compile(rf"^{_LEAD}{_LABEL}\s*(?:is|=)?\s*[:\-]?\s*(yes|no)\b(.*)$", re.IGNORECASE)
_BARE = re.compile(r"^(yes|no)\s*[.!]?$", re.IGNORECASE)
_YES_NO_WORD = re.compile(r"\b(yes|no)\b", re.IGNORECASE)
_MARKUP = re.compile(r"[*`#>\"']+|(?<!\w)_+|_+(?!\w)")


def _clean(line: str) -> str:
    line = _MARKUP.sub("", line).strip()
    return re.sub(r"^(?:[-•]|\d+[.)])\s+", "", line).strip()


def _line_verdict(line: str) -> str | None:
    """The verdict a single line states, or None: 'Final answer: No', 'Yes.', 'So the answer is yes'."""
    line = _clean(line)
    if _BARE.match(line):
        return "risky" if line[:1].lower() == "y" else "safe"
    match = _LABELLED.match(line)
    if not match:
        return None
    rest = match.group(2).strip()
    if rest and (not re.match(r"^[.,;!\-(]", rest) or _YES_NO_WORD.search(rest)):
        return None  # "Yes/No", "Yes or no", "No, yes" ... are not verdicts
    return "risky" if match.group(1).lower() == "yes" else "safe"


def parse_verdict(text: str) -> str | None:
    """``risky`` / ``safe`` from the analysis' final non-empty line, or None when it states no clear verdict.

    Earlier lines that state a verdict must agree with the final one (a self-contradicting answer is None).
    """
    lines = [line for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return None
    final = _line_verdict(lines[-1])
    if final is None:
        return None
    earlier = {v for line in lines[:-1] if _LABELLED.match(_clean(line)) and (v := _line_verdict(line))}
    earlier.discard(final)
    return None if earlier else final


def _category_key(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip(" .").replace("_", " ").lower())


def parse_categories(text: str, known: list[str]) -> list[str]:
    """Known category ids named on a ``Risk areas:`` line (case and spaces vs underscores ignored)."""
    lookup = {k.lower().replace("_", " "): k for k in known}
    found: list[str] = []
    for line in text.splitlines():
        cleaned = _clean(line)
        if not cleaned.lower().startswith("risk areas"):
            continue
        for segment in re.split(r"[,;/]", cleaned.partition(":")[2]):
            key = _category_key(segment)
            names = [key] if key in lookup else [_category_key(part) for part in key.split(" and ")]
            for name in names:
                if name in lookup and lookup[name] not in found:
                    found.append(lookup[name])
    return found


# ---------------------------------------------------------------------------------------------------------------
# Prompts


@dataclasses.dataclass(frozen=True)
class DetectionPrompt:
    """The detection system text, template and exemplars, ready to build conversations."""

    system: str
    template: str
    exemplars: tuple[dict[str, str], ...]
    categories: tuple[str, ...]

    @classmethod
    def load(cls, path: str = "", taxonomy: str = "", num_exemplars: int = -1) -> DetectionPrompt:
        """Load (and check) the prompt file; keep the first ``num_exemplars`` exemplars (-1: all)."""
        data = load_prompt_file("detection", path)
        where = data["_path"]
        template = require(data, "template", str)
        if "{input}" not in template:
            raise ValueError(f"{where}: the template has no {{input}} placeholder")
        exemplars = []
        for i, ex in enumerate(require(data, "exemplars", list)):
            if not isinstance(ex, dict):
                raise ValueError(f"{where}: exemplar {i} must be a mapping")
            for key in ("id", "input", "analysis"):
                require(ex, key, str, f"{where}: exemplar {i}")
            if ex.get("verdict") not in ("risky", "safe") or parse_verdict(ex["analysis"]) != ex["verdict"]:
                raise ValueError(f"{where}: exemplar {ex['id']!r}: its analysis must end in the verdict it declares")
            exemplars.append({k: str(v) for k, v in ex.items()})
        if num_exemplars >= 0:
            exemplars = exemplars[:num_exemplars]
        categories = tuple(safety_category_ids(load_taxonomy(taxonomy)))
        return cls(str(data.get("system", "")), template, tuple(exemplars), categories)

    def user_turn(self, prompt: str) -> str:
        """The detection request for one input."""
        readable = ", ".join(c.replace("_", " ") for c in self.categories)
        return fill(self.template, categories=readable, input=prompt)

    def messages(self, prompt: str) -> list[Message]:
        """The full few-shot conversation for one input (exemplars as earlier user/assistant turns)."""
        messages = [{"role": "system", "content": self.system}] if self.system else []
        for ex in self.exemplars:
            messages.append({"role": "user", "content": self.user_turn(ex["input"])})
            messages.append({"role": "assistant", "content": ex["analysis"]})
        messages.append({"role": "user", "content": self.user_turn(prompt)})
        return messages


# ---------------------------------------------------------------------------------------------------------------
# The stage


def detection_record(
    input_id: str, verdict: str, analysis: str, categories: list[str], model: str, attempts: int
) -> dict[str, Any]:
    """One line of ``detections.jsonl``."""
    return {
        "input_id": input_id,
        "verdict": verdict,
        "analysis": analysis,
        "categories": categories,
        "model": model,
        "attempts": attempts,
    }


def run_detect(cfg: DetectConfig, backend: Any = None) -> int:
    """``gajax detect``: judge every input not yet in the output; returns 1 when some inputs failed, else 0."""
    from gajax.llm.backend import make_backend

    started = time.monotonic()
    index, count = cfg.shard.resolve()
    output = part_path(cfg.output, index, count)
    prompt = DetectionPrompt.load(cfg.prompts, cfg.taxonomy, cfg.num_exemplars)
    known = list(prompt.categories)
    inputs, rejected = load_inputs(cfg.inputs, max_chars=cfg.max_input_chars, bad=cfg.bad_inputs)
    if cfg.limit > 0:
        inputs = inputs[: cfg.limit]
    inputs = inputs[index::count]
    report = StageReport("detect", output, rejected=rejected)
    if cfg.retry_unparsed:
        report.counts["unparsed_retried"] = drop_records(output, "input_id", lambda r: r.get("verdict") != "unparsed")
    writer = ResumableWriter(output, "input_id")
    try:
        pending = [item for item in inputs if item["id"] not in writer]
        report.counts["already_done"] = len(inputs) - len(pending)
        if pending:
            backend = backend or make_backend(cfg.llm)
            model = backend.model_name

            def parse(item: dict[str, Any], text: str, attempt: int) -> dict[str, Any] | None:
                verdict = parse_verdict(text)
                if verdict is None:
                    return None
                return detection_record(item["id"], verdict, text, parse_categories(text, known), model, attempt)

            def give_up(item: dict[str, Any], text: str, attempts: int) -> dict[str, Any]:
                return detection_record(item["id"], "unparsed", text, [], model, attempts)

            run_chat_stage(
                pending,
                backend=backend,
                writer=writer,
                report=report,
                build=lambda item: prompt.messages(item["prompt"]),
                parse=parse,
                give_up=give_up,
                outcome=lambda record: record["verdict"],
                max_tokens=cfg.max_tokens,
                temperature=cfg.temperature,
                top_p=cfg.top_p,
                seed=cfg.seed,
                max_attempts=cfg.max_attempts,
                chunk_size=cfg.chunk_size,
                progress=cfg.progress,
            )
            report.usage = {**backend.usage.as_dict(), "summary": backend.usage.summary()}
    finally:
        writer.close()
    report.seconds = time.monotonic() - started
    report.write()
    report.print()
    return 1 if report.failures else 0
