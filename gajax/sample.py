"""Best-of-n sampling: ``n`` sampled answers per input, with guidelines, without, or both.

Each input (``id``, ``prompt``, optional boolean ``risky`` label) gets its guidelines retrieved exactly as
``gajax guide`` retrieves them (:meth:`gajax.guide.Guide.retrieve`); its prompt is rendered per variant and repeated
``n`` times, and a batch of inputs is decoded in one :meth:`~gajax.generate.Generator.generate` call per variant (the
unguided prompts get a call of their own so they are not padded to the guided prompts' length bucket).

Every sample draws from its own random stream: :func:`sample_seed` derives it from ``(input id, sample index,
variant)``, and the generator folds it into ``PRNGKey(settings.seed)``. So a sample does not depend on its batch, on
``batch_size`` or on resuming: ``Generator.generate([prompt_ids], sampling, row_ids=[seed])`` redraws it.

``gajax sample`` appends one record per finished input to ``output`` (keyed by ``input_id``, resumable):
``input_id``, ``prompt``, ``risky`` (the label or null), ``risk`` (the seed retriever's score, when known),
``guidelines`` (retrieved, ``id``/``kind``/``rank``), ``samples`` [{``text``, ``variant``, ``index``, ``seed``,
``sum_logprob``, ``mean_logprob``, ``tokens``, ``finish_reason``, ``guideline_ids``, ``guideline_kinds``}],
``model``, ``template`` and ``settings``. ``gajax rank`` (:mod:`gajax.rank`) judges and ranks them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, Literal

from gajax.generate import Generation, sampling_of
from gajax.guide import Guide, GuideConfig
from gajax.records import content_id, read_keyed
from gajax.resume import check_resume

Variant = Literal["guided", "unguided", "both"]
VARIANTS: dict[str, tuple[str, ...]] = {
    "guided": ("guided",),
    "unguided": ("unguided",),
    "both": ("guided", "unguided"),
}


@dataclasses.dataclass(frozen=True)
class SampleConfig(GuideConfig):
    """``gajax sample``: ``n`` sampled answers per input of ``input`` (or one ``prompt``), ``variant`` guided,
    unguided or both; everything else (library, retrieval, template, ``system``, model, sampling) as
    :class:`~gajax.guide.GuideConfig`. ``batch_size`` counts inputs: a decode holds ``batch_size * n`` rows.
    ``unguided`` is :class:`GuideConfig`'s switch and is not used here (``variant`` says it)."""

    n: int = 4
    variant: Variant = "both"
    temperature: float = 0.8
    top_p: float = 0.95
    max_new_tokens: int = 128
    batch_size: int = 4
    output: str = "samples.jsonl"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.n < 1:
            raise ValueError(f"n must be at least 1, got {self.n}")
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, got {self.variant!r}")
        if self.unguided:
            raise ValueError("gajax sample: unguided= is gajax guide's switch; use variant=unguided or variant=both")
        if self.n > 1 and self.greedy:
            raise ValueError(f"n={self.n} samples need temperature > 0 (greedy decoding draws the same answer n times)")

    def settings(self) -> dict[str, Any]:
        """What a record stores about how it was made."""
        return {**super().settings(), "n": self.n, "variant": self.variant}


def sample_seed(input_id: str, index: int, variant: str) -> int:
    """The random stream of sample ``index`` of input ``input_id`` in ``variant`` (a 31-bit integer, folded into
    ``PRNGKey(settings.seed)`` by the generator)."""
    return int(content_id(str(input_id), str(index), variant, length=8), 16) & 0x7FFFFFFF


def _sample_record(result: Generation, variant: str, index: int, seed: int, guidelines: Sequence[dict]) -> dict:
    steered = guidelines if variant == "guided" else []
    total = float(sum(result.logprobs))
    return {
        "text": result.text or "",
        "variant": variant,
        "index": index,
        "seed": seed,
        "sum_logprob": total,
        "mean_logprob": total / max(len(result.logprobs), 1),
        "tokens": len(result.tokens),
        "finish_reason": result.finish_reason,
        "guideline_ids": [g["id"] for g in steered],
        "guideline_kinds": [g["kind"] for g in steered],
    }


def sample_batch(guide: Guide, inputs: Sequence[dict[str, Any]], cfg: SampleConfig) -> list[dict[str, Any]]:
    """Sample records for a batch of ``{id, prompt, risky?}`` inputs: ``n`` samples per variant, each variant's
    rows (every prompt repeated ``n`` times) decoded in one generate call. Sampling and the recorded settings come
    from ``cfg``; retrieval and the template from ``guide`` (built for ``cfg`` by ``Guide.from_config``)."""
    prompts = [r["prompt"] for r in inputs]
    risks = guide.risk.score(prompts) if guide.risk is not None else []
    guidelines = guide.retrieve(prompts, risks)
    samples: list[list[dict[str, Any]]] = [[] for _ in inputs]
    for variant in VARIANTS[cfg.variant]:
        rows, seeds, owners = [], [], []
        for i, (prompt, kept) in enumerate(zip(prompts, guidelines, strict=True)):
            steering = [g["text"] for g in kept] if variant == "guided" else []
            ids = guide.encode(guide.prompt_text(prompt, steering))
            for k in range(cfg.n):
                rows.append(ids)
                seeds.append(sample_seed(str(inputs[i]["id"]), k, variant))
                owners.append((i, k))
        results = guide.engine.generate(rows, sampling_of(cfg), row_ids=seeds)
        for (i, k), seed, result in zip(owners, seeds, results, strict=True):
            samples[i].append(_sample_record(result, variant, k, seed, guidelines[i]))
    settings = record_settings(guide, cfg)
    out = []
    for i, record in enumerate(inputs):
        out.append({
            "input_id": str(record["id"]),
            "prompt": record["prompt"],
            "risky": record.get("risky"),
            **({"risk": risks[i]} if guide.risk is not None else {}),
            "guidelines": [{"id": g["id"], "kind": g["kind"], "rank": g["rank"]} for g in guidelines[i]],
            "samples": samples[i],
            "model": cfg.model.weights,
            "template": guide.family,
            "settings": settings,
        })
    return out


def record_settings(guide: Guide, cfg: SampleConfig) -> dict[str, Any]:
    """The ``settings`` each record stores: ``cfg``'s and the retriever's name."""
    return {**cfg.settings(), "retriever": getattr(guide.retriever, "name", "")}


def read_inputs(path: str) -> list[dict[str, Any]]:
    """``{id, prompt, risky?}`` records of an inputs JSONL; ``risky`` must be true, false or null when given."""
    from gajax.records import RecordError

    out = []
    for line, record in read_keyed(path, {"prompt": str}):
        if record.get("risky") is not None and not isinstance(record["risky"], bool):
            raise RecordError(f"{path}:{line}: field 'risky' must be true, false or null, got {record['risky']!r}")
        out.append(record)
    return out


def run_sample(cfg: SampleConfig, guide: Guide | None = None) -> int:
    """``gajax sample``: print the samples of one prompt, or append a record per input to ``output`` (resumable)."""
    from tqdm.auto import tqdm

    from gajax.records import ResumableWriter

    if bool(cfg.prompt) == bool(cfg.input):
        raise ValueError("gajax sample: give exactly one of prompt='...' or input=FILE.jsonl")
    if cfg.input and not cfg.output:
        raise ValueError("gajax sample: input= needs output=FILE.jsonl")
    inputs = read_inputs(cfg.input) if cfg.input else [{"id": "0", "prompt": cfg.prompt}]
    guide = guide or Guide.from_config(cfg)
    if cfg.prompt:
        for sample in sample_batch(guide, inputs, cfg)[0]["samples"]:
            print(f"--- {sample['variant']} #{sample['index']} (mean log-prob {sample['mean_logprob']:.3f})")
            print(sample["text"])
        return 0
    with ResumableWriter(cfg.output, key="input_id") as writer:
        first = writer.first
        saved = first and {"model": first.get("model"), "template": first.get("template"), **first.get("settings", {})}
        current = {"model": cfg.model.weights, "template": guide.family, **record_settings(guide, cfg)}
        check_resume(saved, current, where=cfg.output, mode=cfg.resume)
        todo = [r for r in inputs if str(r["id"]) not in writer]
        rows_per_input = cfg.n * len(VARIANTS[cfg.variant])
        bar = tqdm(total=len(inputs) * rows_per_input, initial=(len(inputs) - len(todo)) * rows_per_input,
                   desc="sample", unit="sample", disable=not cfg.progress)
        with bar:
            for start in range(0, len(todo), cfg.batch_size):
                batch = todo[start : start + cfg.batch_size]
                for record in sample_batch(guide, batch, cfg):
                    writer.write(record)
                    bar.update(len(record["samples"]))
    print(f"wrote {cfg.output}")
    return 0
