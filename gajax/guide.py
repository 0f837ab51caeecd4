"""Stage 2: guided generation. Retrieve guidelines for each input and let them steer a decoder.

For every input: the top ``top_n`` (20) guidelines are retrieved, fuzzy deduplicated in rank order (threshold 0.5)
and the first ``keep`` (6) survivors go into the prompt:

- **Vicuna-style** templates (``template: vicuna``): the guideline block stands between the system prompt and the
  user turn, ``<system> ####<intro>:\\n1. ...\\n2. ...#### USER: <input> ASSISTANT:``;
- **chat templates** (``template: chat``; ChatML as in SmolLM2, Llama-2, Zephyr, ...): the block is the system
  message, rendered by the tokenizer's own chat template. ``auto`` picks ``chat`` when the tokenizer has one.

User text cannot forge or close the block or open a turn: :func:`neutralise` rewrites ``####`` runs, role markers
such as ``USER:`` and every special-token string of the tokenizer (``<|im_start|>``, ``</s>``, ...) into look-alike
characters that no longer match them.

``gajax guide`` runs over an ``inputs.jsonl`` (``id``, ``prompt``) and appends ``guided.jsonl`` records (resumable);
``unguided=true`` also generates the same model's answer without guidelines, and :func:`gajax.stage_io.dpo_pairs`
turns those records into TRL-style preference pairs (chosen = guided, rejected = unguided). From Python, hold a
:class:`Guide` (``Guide.from_config(cfg)`` loads the retriever and decoder once) and call its ``answer`` with
``{id, prompt}`` records.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

from gajax.decoder import DecoderConfig
from gajax.generate import Generator, Sampling, generator_for, sampling_of
from gajax.resume import ResumeMode, check_resume
from gajax.retrieval import MOVED_RETRIEVAL_KEYS, RetrievalConfig, open_retriever
from gajax.retriever.risk import RiskScorer
from gajax.seed import SeedConfig
from gajax.sharding import MeshConfig
from gajax.tokenizer import defuse_markers, special_token_strings

TemplateFamily = Literal["auto", "vicuna", "chat"]

VICUNA_SYSTEM = (
    "A chat between a curious user and an artificial intelligence assistant. "
    "The assistant gives helpful and detailed answers to the user's questions."
)
BLOCK_DELIMITER = "####"
GUIDELINE_INTRO = "Here are some guidelines for this conversation; the assistant follows those that apply"
UNGUIDED_STREAM = 1 << 30  # offset of the unguided rows' random streams
ROLE_NAMES = ("user", "assistant", "system", "human", "gpt")

_HASH_RUN = re.compile(r"#{4,}")
_ROLE_MARKER = re.compile(r"\b(" + "|".join(ROLE_NAMES) + r")(\s*):", re.IGNORECASE)


def neutralise(text: str, special_tokens: Iterable[str] = ()) -> str:
    """User text that cannot close or forge the guideline block, open a turn, or emit a special token.

    Runs of four or more ``#`` become full-width ``＃``; role markers (``USER:``, ``Assistant :``, ...) get a
    full-width colon; special tokens and control markers are defused by the rule every prompt path shares,
    :func:`gajax.tokenizer.defuse_markers`. Text without those patterns is returned unchanged.
    """
    text = _HASH_RUN.sub(lambda m: "\uff03" * len(m.group()), text)
    text = defuse_markers(text, special_tokens)
    return _ROLE_MARKER.sub(lambda m: f"{m.group(1)}{m.group(2)}\uff1a", text)


def guideline_block(guidelines: Sequence[str], special_tokens: Iterable[str] = ()) -> str:
    """The numbered guideline block between ``####`` delimiters (guideline text is neutralised as well)."""
    tokens = list(special_tokens)
    lines = "\n".join(f"{i}. {neutralise(g, tokens)}" for i, g in enumerate(guidelines, 1))
    return f"{BLOCK_DELIMITER}{GUIDELINE_INTRO}:\n{lines}{BLOCK_DELIMITER}"


def resolve_family(template: TemplateFamily, tokenizer: Any) -> Literal["vicuna", "chat"]:
    """``auto``: ``chat`` when the tokenizer has a chat template, else ``vicuna``."""
    if template != "auto":
        return template
    return "chat" if tokenizer is not None and getattr(tokenizer, "chat_template", None) else "vicuna"


def vicuna_prompt(
    user: str, guidelines: Sequence[str] = (), system: str = VICUNA_SYSTEM, special_tokens: Iterable[str] = ()
) -> str:
    """The Vicuna v1.1 prompt with the guideline block (when there are guidelines) before ``USER:``."""
    tokens = list(special_tokens)
    block = f" {guideline_block(guidelines, tokens)}" if guidelines else ""
    return f"{system}{block} USER: {neutralise(user, tokens)} ASSISTANT:"


def chat_messages(user: str, guidelines: Sequence[str], tokenizer: Any, system: str = "") -> list[dict[str, str]]:
    """Messages for a chat template: the guideline block (after ``system``, if any) as the system message."""
    specials = special_token_strings(tokenizer)
    parts = [system] if system else []
    if guidelines:
        parts.append(guideline_block(guidelines, specials))
    messages = [{"role": "system", "content": "\n\n".join(parts)}] if parts else []
    return [*messages, {"role": "user", "content": neutralise(user, specials)}]


def build_prompt(
    user: str,
    guidelines: Sequence[str],
    tokenizer: Any,
    family: TemplateFamily = "auto",
    system: str = "",
) -> str:
    """The full prompt text for one input and its guidelines (none: the unguided prompt) in ``family``'s layout.

    A chat template that rejects system messages gets the block at the start of the user turn instead.
    """
    from gajax.tokenizer import ChatTemplateError

    if resolve_family(family, tokenizer) == "vicuna":
        return vicuna_prompt(user, guidelines, system or VICUNA_SYSTEM, special_token_strings(tokenizer))
    messages = chat_messages(user, guidelines, tokenizer, system)
    try:
        return tokenizer.apply_chat_template(messages, add_generation_prompt=True)
    except ChatTemplateError:
        if messages[0]["role"] != "system":
            raise
        merged = {"role": "user", "content": f"{messages[0]['content']}\n\n{messages[1]['content']}"}
        return tokenizer.apply_chat_template([merged], add_generation_prompt=True)


# ------------------------------------------------------------------------------------------------- config


@dataclasses.dataclass(frozen=True)
class GuideConfig(Sampling):
    """``gajax guide``: answer ``prompt`` or every record of ``input`` (``id``, ``prompt``) with guidelines.

    ``library``: a library directory built by ``gajax build-library`` (queried with ``encoder``, empty: the
    library's own); empty uses gajax's embedded seed library and retriever (``seed_library``, built and cached on
    first use). ``retrieval``: the Stage-2 lookup settings (:class:`~gajax.retrieval.RetrievalConfig`). ``template``:
    ``auto``, ``vicuna`` or ``chat``. ``unguided``: also record the answer without guidelines (DPO pairs).
    With the seed library every record carries ``risk``, the retriever's calibrated probability that the prompt is
    risky (``null``: unknown, e.g. an empty prompt; see :mod:`gajax.retriever.risk`); ``risk_threshold`` > 0 drops
    the safety guidelines of prompts scored below it (``gajax build-seed`` prints the threshold chosen on
    validation; 0: keep whatever was retrieved).
    """

    MOVED_KEYS: ClassVar[dict[str, str]] = MOVED_RETRIEVAL_KEYS

    model: DecoderConfig = dataclasses.field(default_factory=DecoderConfig)
    mesh: MeshConfig = dataclasses.field(default_factory=MeshConfig)
    seed_library: SeedConfig = dataclasses.field(default_factory=SeedConfig)
    library: str = ""
    encoder: str = ""
    template: TemplateFamily = "auto"
    system: str = ""
    retrieval: RetrievalConfig = dataclasses.field(default_factory=RetrievalConfig)
    risk_threshold: float = 0.0
    unguided: bool = False
    prompt: str = ""
    input: str = ""
    output: str = "guided.jsonl"
    progress: bool = True
    resume: ResumeMode = "auto"  # force: continue an output made with other settings

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0.0 <= self.risk_threshold < 1.0:
            raise ValueError(f"risk_threshold must be in [0, 1), got {self.risk_threshold}")

    def settings(self) -> dict[str, Any]:
        """What a record stores about how it was made."""
        sampling = {k: v for k, v in dataclasses.asdict(sampling_of(self)).items() if k != "batch_size"}
        return {
            **sampling,
            **dataclasses.asdict(self.retrieval),
            "risk_threshold": self.risk_threshold,
            "template": self.template,
            "system": self.system,
            "library": self.library or "seed",
        }


def open_retriever_for(cfg: GuideConfig) -> Any:
    """The guideline retriever ``cfg`` names: a library directory, or the embedded seed library."""
    if cfg.library:
        return open_retriever(cfg.library, cfg.encoder)
    from gajax.seed import open_seed_retriever

    return open_seed_retriever(cfg.seed_library)


class Guide:
    """A retriever and a decoder wired together: retrieve, build prompts, generate guided (and unguided)."""

    def __init__(self, cfg: GuideConfig, retriever: Any, model: Any, tokenizer: Any, mesh: Any = None,
                 risk: RiskScorer | None = None):
        self.cfg = cfg
        self.retriever = retriever
        self.risk = risk
        self.tokenizer = tokenizer
        self.family = resolve_family(cfg.template, tokenizer)
        self.engine: Generator = generator_for(model, tokenizer, mesh)
        self.sampling = sampling_of(cfg)

    @classmethod
    def from_config(cls, cfg: GuideConfig) -> Guide:
        """Open the retriever and load the decoder that ``cfg`` names."""
        from gajax.decoder import load_decoder
        from gajax.sharding import make_mesh

        retriever = open_retriever_for(cfg)
        risk = None
        if not cfg.library:
            from gajax.seed import open_seed_risk_scorer

            risk = open_seed_risk_scorer(cfg.seed_library)
        mesh = make_mesh(cfg.mesh)
        model, tokenizer = load_decoder(cfg.model, mesh=mesh)
        return cls(cfg, retriever, model, tokenizer, mesh, risk)

    def retrieve(
        self, prompts: Sequence[str], risks: Sequence[float | None] = ()
    ) -> list[list[dict[str, Any]]]:
        """The kept guidelines ``[{id, text, kind, score, rank}]`` of each prompt, best first; with ``risks``
        (one per prompt) and a ``risk_threshold``, no safety guidelines for prompts scored below it."""
        found = self.retriever.retrieve(list(prompts), self.cfg.retrieval)
        kept = [[r.to_record() for r in results] for results in found]
        for guidelines, risk in zip(kept, risks, strict=False):
            if self.cfg.risk_threshold and risk is not None and risk < self.cfg.risk_threshold:
                guidelines[:] = [g for g in guidelines if g["kind"] != "safety"]
        return kept

    def prompt_text(self, user: str, guidelines: Sequence[str]) -> str:
        """The rendered prompt for one input (no guidelines: the unguided prompt)."""
        return build_prompt(user, guidelines, self.tokenizer, self.family, self.cfg.system)

    def encode(self, text: str) -> list[int]:
        """Token ids of a rendered prompt (with BOS for the Vicuna layout when the tokenizer has one)."""
        ids = self.tokenizer.encode(text, add_special_tokens=False)
        bos = getattr(self.tokenizer, "bos_id", None)
        if self.family == "vicuna" and bos is not None and (not ids or ids[0] != bos):
            ids = [bos, *ids]
        return ids

    def record_settings(self) -> dict[str, Any]:
        """The ``settings`` each record stores: the config's and the retriever's name."""
        return {**self.cfg.settings(), "retriever": getattr(self.retriever, "name", "")}

    def answer(
        self,
        records: Sequence[dict[str, Any]],
        row_ids: Sequence[int] = (),
        on_tokens: Callable[[int], None] | None = None,
    ) -> list[dict[str, Any]]:
        """``guided.jsonl`` records for a batch of ``{id, prompt}`` inputs (one generate call for the batch).

        ``row_ids`` (default 0, 1, ...) seed the rows' random streams, so sampled answers do not depend on
        batching or resuming. ``on_tokens`` is called with the number of tokens generated so far (for progress).
        """
        prompts = [r["prompt"] for r in records]
        risks = self.risk.score(prompts) if self.risk is not None else []
        guidelines = self.retrieve(prompts, risks)
        texts = [self.prompt_text(p, [g["text"] for g in gs]) for p, gs in zip(prompts, guidelines, strict=True)]
        rows = list(row_ids) or list(range(len(records)))
        progress: dict[str, Any] = {}
        if on_tokens is not None:
            progress = {"chunk": 16, "on_chunk": lambda so_far: on_tokens(max(len(r) for r in so_far))}
        results = self.engine.generate([self.encode(t) for t in texts], self.sampling, row_ids=rows, **progress)
        if self.cfg.unguided:
            # A call of its own: the short unguided prompts would otherwise be padded to the guided prompts' bucket.
            unguided = [self.encode(self.prompt_text(p, [])) for p in prompts]
            unguided_rows = [UNGUIDED_STREAM + r for r in rows]
            results += self.engine.generate(unguided, self.sampling, row_ids=unguided_rows, **progress)
        settings = self.record_settings()
        out = []
        for i, record in enumerate(records):
            rec = {
                "input_id": str(record["id"]),
                "prompt": record["prompt"],
                "guidelines": [{"id": g["id"], "text": g["text"]} for g in guidelines[i]],
                **({"risk": risks[i]} if self.risk is not None else {}),
                "response": results[i].text or "",
                "finish_reason": results[i].finish_reason,
            }
            if self.cfg.unguided:
                rec["unguided_response"] = results[len(records) + i].text or ""
            rec.update(model=self.cfg.model.weights, template=self.family, settings=settings)
            out.append(rec)
        return out




# ------------------------------------------------------------------------------------------------- runner


def read_prompts(path: str | Path) -> list[dict[str, Any]]:
    """``{id, prompt}`` records of an inputs JSONL, ids validated by :func:`gajax.records.read_keyed`."""
    from gajax.records import read_keyed

    return [record for _, record in read_keyed(path, {"prompt": str})]


def run_guide(cfg: GuideConfig, guide: Guide | None = None) -> int:
    """``gajax guide``: print one guided answer, or append a record per input to ``output`` (resumable)."""
    from tqdm.auto import tqdm

    from gajax.records import ResumableWriter

    if bool(cfg.prompt) == bool(cfg.input):
        raise SystemExit("gajax guide: give exactly one of prompt='...' or input=FILE.jsonl")
    records = read_prompts(cfg.input) if cfg.input else []
    if cfg.input and not cfg.output:
        raise SystemExit("gajax guide: input= needs output=FILE.jsonl")
    if guide is None:
        guide = Guide.from_config(cfg)
    if cfg.prompt:
        record = guide.answer([{"id": "0", "prompt": cfg.prompt}])[0]
        print("guidelines:")
        for g in record["guidelines"]:
            print(f"  - {g['text']}")
        print(f"\n{record['response']}")
        if cfg.unguided:
            print(f"\nwithout guidelines:\n{record['unguided_response']}")
        return 0
    with ResumableWriter(cfg.output, key="input_id") as writer:
        first = writer.first
        saved = first and {"model": first.get("model"), "template": first.get("template"), **first.get("settings", {})}
        current = {"model": cfg.model.weights, "template": guide.family, **guide.record_settings()}
        check_resume(saved, current, where=cfg.output, mode=cfg.resume)
        todo = [(i, r) for i, r in enumerate(records) if str(r["id"]) not in writer]
        bar = tqdm(
            total=len(records), initial=len(records) - len(todo), desc="guide", unit="prompt", disable=not cfg.progress
        )
        with bar:
            for start in range(0, len(todo), cfg.batch_size):
                batch = todo[start : start + cfg.batch_size]
                for record in guide.answer([r for _, r in batch], row_ids=[i for i, _ in batch]):
                    writer.write(record)
                bar.update(len(batch))
    print(f"wrote {cfg.output}")
    return 0
