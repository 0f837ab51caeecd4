"""``gajax expand-inputs``: grow a few seed questions per category into many diverse training inputs.

Self-instruct style: each call shows the model four example requests of one category (seeds at first; two seeds
and two of its own earlier outputs once there are enough) and asks for new ones as a numbered list. A new request
is kept only when its ROUGE-L F1 (word level, longest common subsequence) against every request already kept for
that category is at most ``rouge_threshold`` (0.7), and when it is 3+ words and not over ``max_chars``.

Output: ``inputs.jsonl`` records ``{id, prompt, source: "expand", category}``, appended and resumable (a restart
reloads what is there and continues each category up to ``per_category``).
"""

from __future__ import annotations

import dataclasses
import random
import re
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gajax.llm.backend import LLMConfig
from gajax.llm.chat import Message
from gajax.llm.prompts import data_path, load_taxonomy
from gajax.records import ResumableWriter, content_id, read_jsonl

_TOKEN = re.compile(r"[a-z0-9]+")
_NUMBERED = re.compile(r"^\s*(\d{1,3})\s*[.)]\s*(.+?)\s*$")


@dataclasses.dataclass(frozen=True)
class ExpandConfig:
    """``gajax expand-inputs``: ``seeds`` JSONL (``prompt``, ``category``; empty: the shipped seed inputs) to
    ``output``, ``per_category`` new inputs for each category in ``categories`` (empty: every taxonomy category
    that has seeds), ``new_per_call`` requests asked per call, at most ``max_calls_per_category`` calls."""

    seeds: str = ""
    output: str = "inputs.jsonl"
    llm: LLMConfig = dataclasses.field(default_factory=LLMConfig)
    taxonomy: str = ""
    categories: tuple[str, ...] = ()
    per_category: int = 100
    seeds_per_category: int = 4
    new_per_call: int = 6
    calls_per_round: int = 8
    max_calls_per_category: int = 1000
    rouge_threshold: float = 0.7
    max_chars: int = 1000
    max_tokens: int = 512
    temperature: float = 1.0
    top_p: float = 1.0
    seed: int = 0
    progress: bool = True

    def __post_init__(self) -> None:
        if not 0 < self.rouge_threshold <= 1:
            raise ValueError(f"rouge_threshold must be in (0, 1], got {self.rouge_threshold}")
        for name in ("per_category", "seeds_per_category", "new_per_call", "calls_per_round"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")


def rouge_tokens(text: str) -> list[str]:
    """ROUGE's word tokens: lowercase runs of letters and digits."""
    return _TOKEN.findall(text.lower())


def rouge_l(a: list[str], b: list[str]) -> float:
    """ROUGE-L F1 between two token lists (0 when either is empty)."""
    from rapidfuzz.distance import LCSseq

    if not a or not b:
        return 0.0
    lcs = LCSseq.similarity(a, b)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(b), lcs / len(a)
    return 2 * precision * recall / (precision + recall)


class DiversityFilter:
    """Keeps a candidate only if its ROUGE-L against every kept item is at most ``threshold``."""

    def __init__(self, threshold: float = 0.7, existing: Sequence[str] = ()):
        self.threshold = threshold
        self.kept: list[list[str]] = [rouge_tokens(t) for t in existing]

    def offer(self, text: str) -> bool:
        """Keep ``text`` if it is diverse enough; returns whether it was kept."""
        tokens = rouge_tokens(text)
        if not tokens or any(rouge_l(tokens, other) > self.threshold for other in self.kept):
            return False
        self.kept.append(tokens)
        return True


def parse_numbered(text: str) -> list[str]:
    """The items of a numbered list (``1. ...`` / ``2) ...``), in order."""
    items = []
    for line in text.splitlines():
        match = _NUMBERED.match(line)
        if match:
            items.append(match.group(2).strip().strip('"').strip())
    return [item for item in items if item]


def expansion_messages(category: dict[str, str], examples: list[str], count: int) -> list[Message]:
    """One request for ``count`` new inputs of ``category``, shown ``examples`` as a numbered list."""
    listed = "\n".join(f"{i}. {e}" for i, e in enumerate(examples, start=1))
    name = category["id"].replace("_", " ")
    text = (
        f"We are collecting realistic messages that users send to an AI assistant, for the category "
        f'"{name}": {category.get("description", "").strip()}\n\n'
        f"Examples:\n{listed}\n\n"
        f"Write {count} new messages of this category. Make them varied in topic, wording, length and style, "
        f"each one self-contained, and different from the examples. Reply with a numbered list only, one message "
        f"per item, continuing from {len(examples) + 1}."
    )
    return [{"role": "user", "content": text}]


def _seed_pool(path: str) -> dict[str, list[str]]:
    file = Path(path) if path else data_path("seed", "inputs.jsonl")
    pool: dict[str, list[str]] = {}
    for record in read_jsonl(file, {"prompt": str, "category": str}):
        pool.setdefault(record["category"], []).append(record["prompt"])
    return pool


def run_expand(cfg: ExpandConfig, backend: Any = None) -> int:
    """``gajax expand-inputs``: append diverse new inputs per category until each has ``per_category``."""
    from tqdm import tqdm

    from gajax.llm.backend import make_backend

    started = time.monotonic()
    taxonomy = {c["id"]: c for c in load_taxonomy(cfg.taxonomy)}
    seeds = _seed_pool(cfg.seeds)
    wanted = list(cfg.categories) or [c for c in taxonomy if seeds.get(c)]
    for name in wanted:
        if name not in taxonomy:
            raise ValueError(f"category {name!r} is not in the taxonomy ({', '.join(taxonomy)})")
        if not seeds.get(name):
            raise ValueError(f"category {name!r} has no seed inputs in {cfg.seeds or 'the shipped seeds'}")
    rng = random.Random(cfg.seed)
    writer = ResumableWriter(cfg.output, "id")
    made: dict[str, list[str]] = {name: [] for name in wanted}
    if Path(cfg.output).exists():
        for record in read_jsonl(cfg.output, {"prompt": str}):
            if record.get("source") == "expand" and record.get("category") in made:
                made[record["category"]].append(record["prompt"])
    counts: Counter = Counter()
    backend = backend or make_backend(cfg.llm)
    total = len(wanted) * cfg.per_category
    bar = tqdm(total=total, initial=sum(min(len(v), cfg.per_category) for v in made.values()), desc="expand",
               unit="input", disable=not cfg.progress, dynamic_ncols=True)
    try:
        for name in wanted:
            category_seeds = seeds[name][: cfg.seeds_per_category]
            diversity = DiversityFilter(cfg.rouge_threshold, category_seeds + made[name])
            calls = 0
            while len(made[name]) < cfg.per_category and calls < cfg.max_calls_per_category:
                batch = []
                for _ in range(min(cfg.calls_per_round, cfg.max_calls_per_category - calls)):
                    if len(made[name]) >= 2:
                        examples = rng.sample(category_seeds, min(2, len(category_seeds)))
                        examples += rng.sample(made[name], 2)
                    else:
                        examples = rng.sample(category_seeds, min(4, len(category_seeds)))
                    batch.append(expansion_messages(taxonomy[name], examples, cfg.new_per_call))
                results = backend.chat(batch, max_tokens=cfg.max_tokens, temperature=cfg.temperature,
                                       top_p=cfg.top_p, seed=cfg.seed + calls)
                calls += len(batch)
                for result in results:
                    if not result.ok:
                        counts["failed_calls"] += 1
                        continue
                    for item in parse_numbered(result.text)[: cfg.new_per_call]:
                        if len(made[name]) >= cfg.per_category:
                            break
                        if len(item.split()) < 3 or len(item) > cfg.max_chars:
                            counts["rejected_length"] += 1
                        elif not diversity.offer(item):
                            counts["rejected_similar"] += 1
                        else:
                            writer.write({"id": content_id(item), "prompt": item, "source": "expand",
                                          "category": name})
                            made[name].append(item)
                            counts["kept"] += 1
                            bar.update(1)
            if len(made[name]) < cfg.per_category:
                counts["short_categories"] += 1
    finally:
        bar.close()
        writer.close()
    per_category = ", ".join(f"{k} {len(v)}" for k, v in made.items())
    print(f"gajax expand-inputs: {dict(counts)} in {time.monotonic() - started:.1f}s; {per_category}; "
          f"backend {backend.usage.summary()}")
    return 1 if counts["short_categories"] else 0
