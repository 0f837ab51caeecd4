"""``gajax write-guidelines``: input-specific guidelines for every detected input (Stage 1, second step).

Risky inputs get the risk-aware flow: a multi-turn chat whose exemplars each show (detection request, analysis,
guideline request, guidelines), followed by the input's own detection request, the judge's own analysis from
``detections.jsonl`` (kept in context) and the guideline request. Safe inputs get the quality-only flow
(guideline request, guidelines) pairs. Prompts live in ``gajax/data/prompts/guidelines.yaml``.

Answers are parsed into ``Title: description`` lines and validated (title and description length, no copy of the
input, no duplicates within the input). An answer with fewer than ``min_guidelines`` valid lines is asked again
and, after ``max_attempts``, recorded with ``status: unparsed``.

Output ``guidelines_raw.jsonl``: ``{input_id, guidelines: [{title, text}], model, kind: safety|quality, verdict,
status: ok|unparsed, attempts, dropped: [{line, reason}]}`` where ``text`` is the full ``Title: description``;
unparsed records have no ``guidelines`` but keep the valid lines found (``partial``) and the answer (``raw``).
"""

from __future__ import annotations

import dataclasses
import re
import time
from typing import Any, Literal

from gajax.detect import DetectionPrompt
from gajax.llm.backend import LLMConfig
from gajax.llm.chat import Message
from gajax.llm.prompts import fill, load_prompt_file, require
from gajax.records import ResumableWriter
from gajax.stage_io import (
    ShardConfig,
    StageReport,
    drop_records,
    load_inputs,
    part_path,
    read_detections,
    run_chat_stage,
)

MAX_DROPPED_KEPT = 10


@dataclasses.dataclass(frozen=True)
class GuidelineRules:
    """What a valid guideline looks like, and how many one input needs."""

    min_guidelines: int = 2
    max_guidelines: int = 10
    max_title_words: int = 10
    max_title_chars: int = 80
    min_description_chars: int = 15
    max_description_chars: int = 400
    copy_ngram: int = 8

    def __post_init__(self) -> None:
        if not 1 <= self.min_guidelines <= self.max_guidelines:
            raise ValueError(f"need 1 <= min_guidelines <= max_guidelines, got {self.min_guidelines}, "
                             f"{self.max_guidelines}")
        if self.copy_ngram < 2:
            raise ValueError(f"copy_ngram must be at least 2, got {self.copy_ngram}")


@dataclasses.dataclass(frozen=True)
class WriteGuidelinesConfig:
    """``gajax write-guidelines``: ``inputs`` + ``detections`` to ``output`` (``guidelines_raw.jsonl``).

    ``unparsed_as`` decides what happens to inputs whose detection is ``unparsed``: ``skip`` them (counted in the
    summary), or write them with the ``risky`` or ``safe`` flow. ``num_exemplars`` (-1: all) limits the exemplars
    of each flow; ``prompts`` / ``detection_prompts`` replace the shipped prompt files.
    """

    inputs: str = "inputs.jsonl"
    detections: str = "detections.jsonl"
    output: str = "guidelines_raw.jsonl"
    llm: LLMConfig = dataclasses.field(default_factory=LLMConfig)
    prompts: str = ""
    detection_prompts: str = ""
    taxonomy: str = ""
    num_exemplars: int = -1
    max_tokens: int = 400
    temperature: float = 0.7
    top_p: float = 1.0
    seed: int = 0
    max_attempts: int = 3
    chunk_size: int = 64
    limit: int = 0
    max_input_chars: int = 8000
    bad_inputs: Literal["error", "skip"] = "error"
    unparsed_as: Literal["skip", "risky", "safe"] = "skip"
    retry_unparsed: bool = False
    rules: GuidelineRules = dataclasses.field(default_factory=GuidelineRules)
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
# Parsing and validation

_MARKER = re.compile(r"^(?:[-*•+]|\(?\d{1,2}[.):]|[a-zA-Z][.)])\s+")
_EMPHASIS = re.compile(r"\*\*|__|(?<!\w)[*_]|[*_](?!\w)|`")
_WORD = re.compile(r"\w+")


def _norm_words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def copies_input(text: str, prompt: str, ngram: int = 8) -> bool:
    """True when ``text`` repeats the input: a run of ``ngram`` of its words, or all of a shorter (4+ word) input."""
    source = _norm_words(prompt)
    n = min(ngram, len(source))
    if n < 4:
        return False
    target = _norm_words(text)
    grams = {tuple(source[i : i + n]) for i in range(len(source) - n + 1)}
    return any(tuple(target[i : i + n]) in grams for i in range(len(target) - n + 1))


def parse_guidelines(
    text: str, prompt: str, rules: GuidelineRules = GuidelineRules()
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Split a model answer into valid guidelines ``{title, text}`` and dropped lines ``{line, reason}``.

    A guideline is one line ``Title: description`` (list markers and bold markup are removed). Preamble lines
    (no colon, or ending in a colon), titles or descriptions outside the length bounds, lines that copy the input,
    repeats of an earlier title or description, and lines past ``max_guidelines`` are dropped with a reason.
    """
    kept: list[dict[str, str]] = []
    dropped: list[dict[str, str]] = []
    titles: set[str] = set()
    descriptions: set[str] = set()
    for raw in text.splitlines():
        line = _EMPHASIS.sub("", _MARKER.sub("", raw.strip())).strip()
        if not line:
            continue
        title, colon, description = line.partition(":")
        title, description = title.strip(), description.strip()
        reason = None
        if not colon or not description:
            reason = "not a 'Title: description' line"
        elif not re.match(r"^\w", title) or len(title.split()) > rules.max_title_words:
            reason = f"title is not 1-{rules.max_title_words} words"
        elif len(title) > rules.max_title_chars:
            reason = f"title is longer than {rules.max_title_chars} characters"
        elif len(description) < rules.min_description_chars:
            reason = f"description is shorter than {rules.min_description_chars} characters"
        elif len(description) > rules.max_description_chars:
            reason = f"description is longer than {rules.max_description_chars} characters"
        elif copies_input(line, prompt, rules.copy_ngram):
            reason = "copies the input"
        elif " ".join(_norm_words(title)) in titles or " ".join(_norm_words(description)) in descriptions:
            reason = "duplicate of an earlier guideline"
        elif len(kept) >= rules.max_guidelines:
            reason = f"more than {rules.max_guidelines} guidelines"
        if reason:
            dropped.append({"line": raw.strip()[:200], "reason": reason})
            continue
        titles.add(" ".join(_norm_words(title)))
        descriptions.add(" ".join(_norm_words(description)))
        kept.append({"title": title, "text": f"{title}: {description}"})
    return kept, dropped


# ---------------------------------------------------------------------------------------------------------------
# Prompts


@dataclasses.dataclass(frozen=True)
class GuidelinePrompt:
    """Both guideline flows: system text, request templates and exemplars, plus the detection prompt they reuse."""

    system: str
    risky_request: str
    quality_request: str
    risky_exemplars: tuple[dict[str, str], ...]  # input, analysis, guidelines
    quality_exemplars: tuple[dict[str, str], ...]  # input, guidelines
    detection: DetectionPrompt

    @classmethod
    def load(
        cls, path: str = "", detection_path: str = "", taxonomy: str = "", num_exemplars: int = -1
    ) -> GuidelinePrompt:
        """Load and check the prompt files; keep the first ``num_exemplars`` exemplars of each flow (-1: all)."""
        data = load_prompt_file("guidelines", path)
        where = data["_path"]
        detection = DetectionPrompt.load(detection_path, taxonomy)
        by_id = {ex["id"]: ex for ex in detection.exemplars}
        quality_request = require(data, "quality_request", str)
        if "{input}" not in quality_request:
            raise ValueError(f"{where}: quality_request has no {{input}} placeholder")
        risky = []
        for i, ex in enumerate(require(data, "risky_exemplars", list)):
            ref = require(ex, "detection", str, f"{where}: risky exemplar {i}")
            if ref not in by_id or by_id[ref]["verdict"] != "risky":
                raise ValueError(f"{where}: risky exemplar {i} names {ref!r}, not a risky detection exemplar")
            risky.append({"input": by_id[ref]["input"], "analysis": by_id[ref]["analysis"],
                          "guidelines": require(ex, "guidelines", str, f"{where}: risky exemplar {i}")})
        quality = []
        for i, ex in enumerate(require(data, "quality_exemplars", list)):
            quality.append({"input": require(ex, "input", str, f"{where}: quality exemplar {i}"),
                            "guidelines": require(ex, "guidelines", str, f"{where}: quality exemplar {i}")})
        for ex in risky + quality:
            found, _ = parse_guidelines(ex["guidelines"], ex["input"])
            if len(found) < 2:
                raise ValueError(f"{where}: the exemplar for {ex['input'][:60]!r} has fewer than 2 valid guidelines")
        if num_exemplars >= 0:
            risky, quality = risky[:num_exemplars], quality[:num_exemplars]
        return cls(str(data.get("system", "")), require(data, "risky_request", str), quality_request,
                   tuple(risky), tuple(quality), detection)

    def _start(self) -> list[Message]:
        return [{"role": "system", "content": self.system}] if self.system else []

    def risky_messages(self, prompt: str, analysis: str) -> list[Message]:
        """The risk-aware conversation: exemplars, then this input's detection request and analysis in context."""
        messages = self._start()
        for ex in self.risky_exemplars:
            messages += [
                {"role": "user", "content": self.detection.user_turn(ex["input"])},
                {"role": "assistant", "content": ex["analysis"]},
                {"role": "user", "content": self.risky_request},
                {"role": "assistant", "content": ex["guidelines"]},
            ]
        messages += [
            {"role": "user", "content": self.detection.user_turn(prompt)},
            {"role": "assistant", "content": analysis},
            {"role": "user", "content": self.risky_request},
        ]
        return messages

    def quality_messages(self, prompt: str) -> list[Message]:
        """The quality-only conversation: (request, guidelines) exemplars, then this input's request."""
        messages = self._start()
        for ex in self.quality_exemplars:
            messages += [
                {"role": "user", "content": fill(self.quality_request, input=ex["input"])},
                {"role": "assistant", "content": ex["guidelines"]},
            ]
        messages.append({"role": "user", "content": fill(self.quality_request, input=prompt)})
        return messages


# ---------------------------------------------------------------------------------------------------------------
# The stage


def run_write_guidelines(cfg: WriteGuidelinesConfig, backend: Any = None) -> int:
    """``gajax write-guidelines``: guidelines for every detected input not yet in the output; 1 if some failed."""
    from gajax.llm.backend import make_backend

    started = time.monotonic()
    index, count = cfg.shard.resolve()
    output = part_path(cfg.output, index, count)
    prompt = GuidelinePrompt.load(cfg.prompts, cfg.detection_prompts, cfg.taxonomy, cfg.num_exemplars)
    inputs, rejected = load_inputs(cfg.inputs, max_chars=cfg.max_input_chars, bad=cfg.bad_inputs)
    if cfg.limit > 0:
        inputs = inputs[: cfg.limit]
    inputs = inputs[index::count]
    detections = read_detections(cfg.detections)
    report = StageReport("write-guidelines", output, rejected=rejected)

    items = []
    for item in inputs:
        detection = detections.get(item["id"])
        if detection is None:
            report.counts["no_detection"] += 1
            continue
        verdict = detection["verdict"]
        flow = verdict if verdict != "unparsed" else cfg.unparsed_as
        if flow == "skip":
            report.counts["skipped_unparsed_detection"] += 1
            continue
        items.append({**item, "verdict": verdict, "flow": flow, "analysis": detection["analysis"]})

    if cfg.retry_unparsed:
        report.counts["unparsed_retried"] = drop_records(output, "input_id", lambda r: r.get("status") != "unparsed")
    writer = ResumableWriter(output, "input_id")
    try:
        pending = [item for item in items if item["id"] not in writer]
        report.counts["already_done"] = len(items) - len(pending)
        if pending:
            backend = backend or make_backend(cfg.llm)
            model = backend.model_name

            def record(item: dict[str, Any], found: list, dropped: list, status: str, attempts: int) -> dict:
                kind = "safety" if item["flow"] == "risky" else "quality"
                out = {
                    "input_id": item["id"],
                    "guidelines": [{**g, "kind": kind} for g in found],
                    "model": model,
                    "kind": kind,
                    "verdict": item["verdict"],
                    "status": status,
                    "attempts": attempts,
                    "dropped": dropped[:MAX_DROPPED_KEPT],
                }
                return out

            def parse(item: dict[str, Any], text: str, attempt: int) -> dict[str, Any] | None:
                found, dropped = parse_guidelines(text, item["prompt"], cfg.rules)
                if len(found) < cfg.rules.min_guidelines:
                    return None
                return record(item, found, dropped, "ok", attempt)

            def give_up(item: dict[str, Any], text: str, attempts: int) -> dict[str, Any]:
                found, dropped = parse_guidelines(text, item["prompt"], cfg.rules)
                return {**record(item, [], dropped, "unparsed", attempts), "partial": found, "raw": text}

            def build(item: dict[str, Any]) -> list[Message]:
                if item["flow"] == "risky":
                    return prompt.risky_messages(item["prompt"], item["analysis"])
                return prompt.quality_messages(item["prompt"])

            run_chat_stage(
                pending,
                backend=backend,
                writer=writer,
                report=report,
                build=build,
                parse=parse,
                give_up=give_up,
                outcome=lambda rec: rec["kind"] if rec["status"] == "ok" else "unparsed",
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
