"""Ranking best-of-n samples by a judge: the chosen (best) and rejected (worst) answer of every input.

Every sample of a ``gajax sample`` record is read by one :class:`~gajax.eval.types.ResponseJudge` (the offline
refusal detector by default; the LLM action judge or a classifier by config) and put in a class by
:func:`response_class`; :func:`tier` orders the classes for the prompt, and :func:`best_and_worst` picks the chosen and
rejected samples. The rule:

- a **risky** prompt (its ``risky`` label; unlabelled: a safety guideline among its first ``risky_top`` retrieved
  guidelines) prefers a refusal or a safe redirection (2) over a partial refusal (1) over compliance (0);
- a **benign** prompt prefers a compliant answer (2) over a partial refusal or a redirection (1) over a refusal (0);
- ties within a tier go to the higher second score (``tie_break``: the length-normalised log-likelihood
  ``mean_logprob`` by default, or ``sum_logprob``), then to the earlier sample; a sample the judge could not read
  (``unknown``) is never chosen nor rejected.

``gajax rank`` appends one record per input to ``output`` (resumable; a ranked set made by another judge or from
another model's samples is refused, naming both) and rewrites three files from it: ``sft`` (``{id, prompt,
response}``: the prompt without guidelines and the chosen answer, when it is in the prompt's top tier; ``gajax sft``
reads it), ``dpo`` (``{id, prompt, chosen, rejected}``, when the chosen sample's tier beats the rejected one's;
``gajax dpo`` reads it) and ``summary`` (the yield of safe samples per variant, counts of pairs and of prompts
ranked by their guidelines).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from gajax.eval.judges import JudgesConfig, make_response_judges
from gajax.eval.types import Judgement, ResponseJudge
from gajax.records import RecordError, ResumableWriter, read_jsonl, write_jsonl
from gajax.resume import ResumeMode, check_resume

ResponseClass = Literal["refusal", "redirect", "partial", "compliance", "unknown"]
TieBreak = Literal["mean_logprob", "sum_logprob"]
TOP_TIER = 2
TIERS: dict[bool, dict[str, int]] = {
    True: {"refusal": 2, "redirect": 2, "partial": 1, "compliance": 0},
    False: {"compliance": 2, "redirect": 1, "partial": 1, "refusal": 0},
}


class RankedSetMismatch(ValueError):
    """A ranked set continued with another judge or with another model's samples."""


@dataclasses.dataclass(frozen=True)
class RankConfig:
    """``gajax rank``: judge and rank the samples of ``input`` (``gajax sample``'s output) into ``output``.

    ``judges.use`` names the one judge (``refusal``, ``classifier`` or ``llm``, configured as in ``gajax eval``);
    ``tie_break``: ``mean_logprob`` or ``sum_logprob``; ``risky_top``: how many of an unlabelled prompt's retrieved
    guidelines are looked at for a safety one; ``batch_size``: inputs judged per judge call.
    """

    judges: JudgesConfig = dataclasses.field(default_factory=JudgesConfig)
    input: str = "samples.jsonl"
    output: str = "ranked.jsonl"
    sft: str = "sft.jsonl"
    dpo: str = "dpo_pairs.jsonl"
    summary: str = "rank_summary.json"
    tie_break: TieBreak = "mean_logprob"
    risky_top: int = 3
    batch_size: int = 8
    progress: bool = True
    resume: ResumeMode = "auto"  # force: continue an output made with other settings (never another judge or model)

    def __post_init__(self) -> None:
        if len(self.judges.use) != 1:
            raise ValueError(f"gajax rank uses one judge; judges.use lists {list(self.judges.use)}")
        if self.tie_break not in ("mean_logprob", "sum_logprob"):
            raise ValueError(f"tie_break must be mean_logprob or sum_logprob, got {self.tie_break!r}")
        if self.risky_top < 1 or self.batch_size < 1:
            raise ValueError(f"risky_top and batch_size must be at least 1, got {self.risky_top}, {self.batch_size}")


# ----------------------------------------------------------------------------------------------- the rule


def response_class(judgement: Judgement) -> ResponseClass:
    """The class of one judged answer: ``partial`` (a partial refusal), ``refusal`` (declines), ``compliance``
    (does what was asked: the refusal detector's compliance, the action rubric's class 5, a classifier's
    ``harmful``), ``redirect`` (neither refuses nor complies harmfully: the action rubric's classes 1-3, a harm
    classifier's ``harmless``) or ``unknown`` (the judge's verdict could not be read or failed)."""
    if not judgement.parsed or judgement.label == "error":
        return "unknown"
    if judgement.label == "partial_refusal":
        return "partial"
    if judgement.refused:
        return "refusal"
    if judgement.harmful:
        return "compliance"
    if judgement.harmful is None:
        return "unknown"
    return "redirect"


def tier(response: ResponseClass, risky: bool) -> int | None:
    """How good a class of answer is for a risky or a benign prompt: 2 best, 0 worst, None for ``unknown``."""
    return TIERS[risky].get(response)


def best_and_worst(tiers: Sequence[int | None], scores: Sequence[float]) -> tuple[int, int] | None:
    """Indices of the best and the worst sample: highest (lowest) tier, then highest (lowest) second score, then
    the earlier sample; None when no sample has a tier."""
    known = [i for i, t in enumerate(tiers) if t is not None]
    if not known:
        return None
    best = max(known, key=lambda i: (tiers[i], scores[i], -i))
    worst = min(known, key=lambda i: (tiers[i], scores[i], -i))
    return best, worst


def is_risky(record: Mapping[str, Any], risky_top: int) -> tuple[bool, str]:
    """Whether a sample record's prompt is risky and why: ``label`` (its ``risky`` field) or ``guidelines`` (a
    safety guideline among its first ``risky_top`` retrieved ones)."""
    if isinstance(record.get("risky"), bool):
        return record["risky"], "label"
    ranked = sorted(record.get("guidelines", []), key=lambda g: g.get("rank", 0))[:risky_top]
    return any(g.get("kind") == "safety" for g in ranked), "guidelines"


def is_safe(response: ResponseClass, risky: bool) -> bool:
    """A safe sample: on a risky prompt anything but compliance; on a benign one an answer that does not refuse."""
    if response == "unknown":
        return False
    return response != "compliance" if risky else response in ("compliance", "redirect")


# ----------------------------------------------------------------------------------------------- ranking


def judge_identity(judge: ResponseJudge) -> str:
    """The judge's name with the model behind it (``refusal``, ``llm:<model>``, ``classifier:<model>``)."""
    backend = getattr(judge, "backend", None)
    model = getattr(backend, "model_name", None) or getattr(judge, "model", None)
    return f"{judge.name}:{model}" if isinstance(model, str) and model else judge.name


def rank_records(
    records: Sequence[dict[str, Any]], judge: ResponseJudge, cfg: RankConfig
) -> list[dict[str, Any]]:
    """Ranked records for sample records: every sample with its judgement, class, tier and second score; the
    chosen and rejected samples (``null`` when the judge read none)."""
    pairs = [(r["prompt"], s["text"]) for r in records for s in r["samples"]]
    judgements = iter(judge.judge(pairs))
    identity = judge_identity(judge)
    out = []
    for record in records:
        risky, risky_from = is_risky(record, cfg.risky_top)
        samples = []
        for sample in record["samples"]:
            j = next(judgements)
            response = response_class(j)
            samples.append({
                **sample,
                "judgement": {"label": j.label, "harmful": j.harmful, "refused": j.refused, "score": j.score},
                "class": response,
                "tier": tier(response, risky),
                "safe": is_safe(response, risky),
            })
        picked = best_and_worst([s["tier"] for s in samples], [s[cfg.tie_break] for s in samples])
        chosen, rejected = (None, None) if picked is None else (_brief(samples[picked[0]]), _brief(samples[picked[1]]))
        out.append({
            "input_id": record["input_id"],
            "prompt": record["prompt"],
            "risky": risky,
            "risky_from": risky_from,
            "samples": samples,
            "chosen": chosen,
            "rejected": rejected,
            "judge": identity,
            "model": record["model"],
            "settings": {"tie_break": cfg.tie_break, "risky_top": cfg.risky_top, "samples": record["settings"]},
        })
    return out


def _brief(sample: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("index", "variant", "text", "class", "tier", "mean_logprob", "guideline_ids")
    return {k: sample[k] for k in keys}


def sft_records(ranked: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """``{id, prompt, response}`` (the prompt without guidelines, the chosen answer) for every input whose chosen
    answer is in its top tier (a refusal or redirection of a risky prompt, a compliant answer to a benign one)."""
    return [
        {"id": r["input_id"], "prompt": r["prompt"], "response": r["chosen"]["text"]}
        for r in ranked
        if r["chosen"] is not None and r["chosen"]["tier"] == TOP_TIER and r["chosen"]["text"].strip()
    ]


def dpo_records(ranked: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """TRL preference records ``{id, prompt, chosen, rejected}`` (best vs worst of the n) for every input whose
    chosen sample is in a better tier than its rejected one and whose two answers differ."""
    out = []
    for r in ranked:
        chosen, rejected = r["chosen"], r["rejected"]
        if chosen is None or chosen["tier"] <= rejected["tier"]:
            continue
        if not chosen["text"].strip() or chosen["text"].strip() == rejected["text"].strip():
            continue
        out.append({"id": r["input_id"], "prompt": r["prompt"], "chosen": chosen["text"], "rejected": rejected["text"]})
    return out


def summarise(ranked: Sequence[Mapping[str, Any]], sft_examples: int, dpo_pairs: int) -> dict[str, Any]:
    """The yield of safe samples among the n per variant (all prompts, risky ones, benign ones), the inputs, how
    many were ranked by their retrieved guidelines (no label), and the counts of SFT examples and DPO pairs made
    from them."""
    variants: dict[str, dict[str, int]] = {}
    for r in ranked:
        for s in r["samples"]:
            counts = variants.setdefault(s["variant"], dict.fromkeys(
                ("samples", "safe", "risky_samples", "risky_safe", "benign_samples", "benign_safe", "unknown"), 0))
            side = "risky" if r["risky"] else "benign"
            counts["samples"] += 1
            counts["safe"] += s["safe"]
            counts[f"{side}_samples"] += 1
            counts[f"{side}_safe"] += s["safe"]
            counts["unknown"] += s["class"] == "unknown"
    for counts in variants.values():
        counts["safe_yield"] = _rate(counts["safe"], counts["samples"])  # type: ignore[assignment]
        counts["risky_safe_yield"] = _rate(counts["risky_safe"], counts["risky_samples"])  # type: ignore[assignment]
        counts["benign_safe_yield"] = _rate(counts["benign_safe"], counts["benign_samples"])  # type: ignore[assignment]
    first = ranked[0] if ranked else {}
    return {
        "judge": first.get("judge"),
        "model": first.get("model"),
        "inputs": len(ranked),
        "risky_inputs": sum(bool(r["risky"]) for r in ranked),
        "ranked_by_guidelines": sum(r["risky_from"] == "guidelines" for r in ranked),
        "no_readable_sample": sum(r["chosen"] is None for r in ranked),
        "sft_examples": sft_examples,
        "dpo_pairs": dpo_pairs,
        "variants": variants,
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def check_same_origin(saved: Mapping[str, Any] | None, judge: str, model: str, where: str) -> None:
    """Refuse to continue a ranked set made by another judge or from another model's samples, naming both."""
    if saved is None:
        return
    for what, then, now in (("judge", saved.get("judge"), judge), ("model", saved.get("model"), model)):
        if then != now:
            raise RankedSetMismatch(
                f"{where} was ranked with {what} {then!r}; this run has {what} {now!r}. A ranked set holds one "
                "judge's verdicts on one model's samples: write to a new output"
            )


def run_rank(cfg: RankConfig, judge: ResponseJudge | None = None) -> int:
    """``gajax rank``: judge every sample of ``input``, append ranked records to ``output`` (resumable), then
    rewrite the ``sft``, ``dpo`` and ``summary`` files from all of ``output``."""
    from tqdm.auto import tqdm

    records = list(read_jsonl(cfg.input, {"input_id": (str, int), "prompt": str, "samples": list, "model": str,
                                          "settings": dict}))
    models = sorted({r["model"] for r in records})
    if len(models) > 1:
        raise RankedSetMismatch(f"{cfg.input} holds samples of several models ({', '.join(models)}); rank each alone")
    judge = judge or make_response_judges(cfg.judges)[0]
    identity = judge_identity(judge)
    with ResumableWriter(cfg.output, key="input_id") as writer:
        first = writer.first
        if records:
            check_same_origin(first, identity, records[0]["model"], cfg.output)
        saved = first and first.get("settings")
        current = {"tie_break": cfg.tie_break, "risky_top": cfg.risky_top}
        check_resume(saved and {k: saved.get(k) for k in current}, current, where=cfg.output, mode=cfg.resume)
        todo = [r for r in records if str(r["input_id"]) not in writer]
        bar = tqdm(total=len(records), initial=len(records) - len(todo), desc="rank", unit="prompt",
                   disable=not cfg.progress)
        with bar:
            for start in range(0, len(todo), cfg.batch_size):
                batch = todo[start : start + cfg.batch_size]
                for ranked in rank_records(batch, judge, cfg):
                    writer.write(ranked)
                bar.update(len(batch))
    ranked_all = list(read_jsonl(cfg.output))
    if not ranked_all:
        raise RecordError(f"{cfg.input}: no sample records to rank")
    sft, dpo = sft_records(ranked_all), dpo_records(ranked_all)
    write_jsonl(cfg.sft, sft)
    write_jsonl(cfg.dpo, dpo)
    summary = summarise(ranked_all, len(sft), len(dpo))
    Path(cfg.summary).parent.mkdir(parents=True, exist_ok=True)
    Path(cfg.summary).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in summary.items() if k != "variants"}))
    for variant, counts in summary["variants"].items():
        print(f"{variant}: safe {counts['safe']}/{counts['samples']} (risky prompts {counts['risky_safe_yield']}, "
              f"benign {counts['benign_safe_yield']})")
    print(f"wrote {cfg.output}, {cfg.sft} ({len(sft)} examples), {cfg.dpo} ({len(dpo)} pairs), {cfg.summary}")
    return 0
