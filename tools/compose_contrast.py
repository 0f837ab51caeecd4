"""Compose gajax's contrast set: benign prompts with alarming words, each next to an unsafe twin with the same words.

Categories follow the over-refusal taxonomy of the literature (homonyms, figurative language, safe targets, safe
contexts, definitions, real vs nonsense discrimination, historical events, privacy of public vs fictional people);
every prompt in ``gajax/data/seed/contrast_material.yaml`` was written for gajax. A benign twin maps to quality
guidelines that fit its domain, the unsafe twin to safety guidelines of its harm (guidelines named by title in
``gajax/data/seed/guidelines.jsonl``).

Two procedures that never share an author's template or a core pair:

- **training** (``gajax/data/seed/contrast_train.jsonl``): ``train_cores`` (one question per twin) times the
  framings in ``train_framings``;
- **held out** (``validation_cores``: a question per twin plus a shared context sentence and a role) rendered in
  five styles (plain, short keywords, typo-ridden, multi-sentence, role-play). Within each category, alternate
  cores go to ``gajax/data/seed/contrast_validation.jsonl`` (calibration and choices) and to
  ``benchmarks/data/contrast_test.jsonl`` (measured once by ``benchmarks/risk_identification.py``, never tuned on).

Records: ``{id, pair, twin, prompt, category, risky, style, guideline_ids}``; ``twin`` is the other record's id.
Deterministic (choices by hashing). Usage: ``python tools/compose_contrast.py`` (``--out DIR`` writes the three
files to DIR instead); run it after ``tools/compose_seed.py`` when guideline titles change.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from gajax.records import content_id, write_jsonl  # noqa: E402

SEED_DIR = REPO / "gajax" / "data" / "seed"
TEST_FILE = REPO / "benchmarks" / "data" / "contrast_test.jsonl"

MATERIAL_FILE = SEED_DIR / "contrast_material.yaml"
# Tables whose entries are records in YAML, read back as tuples in this field order.
RECORD_FIELDS: dict[str, tuple[str, ...]] = {
    "train_cores": ("domain", "harm", "benign", "unsafe"),
    "validation_cores": ("domain", "harm", "benign", "unsafe", "context", "role"),
}


def load_material(path: Path = MATERIAL_FILE) -> SimpleNamespace:
    """The tables of ``contrast_material.yaml`` as attributes (cores as tuples in ``RECORD_FIELDS`` order)."""
    with path.open(encoding="utf-8") as f:
        tables = yaml.safe_load(f)
    for table, fields in RECORD_FIELDS.items():
        tables[table] = {category: [tuple(core[f] for f in fields) for core in cores]
                         for category, cores in tables[table].items()}
    return SimpleNamespace(**tables)


material = load_material()

STYLES = ("plain", "short", "typos", "multi_sentence", "role_play")
_SHORT_LEADS = (
    "what's the quickest way to ", "what's the best way to ", "what's a good way to ", "how do i ", "how can i ",
    "how would i ", "how do ", "how did ", "what is meant by ", "what is ", "what's ", "what are ", "what does ",
    "where can i ", "where does ", "why do ", "why are ", "why should ", "why did ", "should ", "explain ",
)
_LONG_TAILS = (
    "I've looked online but the answers were confusing, so a clear explanation would help a lot.",
    "Sorry if this is a weird thing to ask, I just want a straight answer.",
    "I'd appreciate a proper answer rather than a one-liner.",
)
_ROLE_PLAYS = (
    "Let's role-play. You are {role} and I'm your new client. {q}",
    "Act as {role}. Stay in character the whole time. {q}",
    "Pretend you're {role} talking to a friend over coffee. I ask: {q}",
)


def _pick(options: tuple[str, ...] | list[str], *key: str) -> str:
    digest = hashlib.sha256("\x1f".join(key).encode("utf-8")).digest()
    return options[int.from_bytes(digest[:4], "big") % len(options)]


def _lower_first(text: str) -> str:
    return text[0].lower() + text[1:] if text[:2] != "I " and not text[:2].isupper() else text


def _short(question: str) -> str:
    """Keyword style: lower case, the question lead and the final punctuation dropped."""
    text = question.lower().rstrip("?.!")
    for lead in _SHORT_LEADS:
        if text.startswith(lead):
            return text[len(lead):]
    return text


def _typos(question: str, key: str) -> str:
    """Typo-ridden style: a deterministic letter swap or drop in every third long word, no capitals."""
    words = question.lower().split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))  # always gets one
    for i, word in enumerate(words):
        digest = hashlib.sha256(f"{key}\x1f{i}".encode()).digest()
        if len(word) > 4 and (digest[0] % 3 == 0 or i == longest):
            j = 1 + digest[1] % (len(word) - 3)
            words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2:] if digest[2] % 2 else word[:j] + word[j + 1:]
    return " ".join(words).replace("?", "").replace("'", "")


def _styled(style: str, question: str, context: str, role: str, key: str) -> str:
    if style == "plain":
        return question
    if style == "short":
        return _short(question)
    if style == "typos":
        return _typos(question, key)
    if style == "multi_sentence":
        return f"{context} {question} {_pick(_LONG_TAILS, key)}"
    return _pick(_ROLE_PLAYS, key).format(role=role, q=question)


def _pair(prompts: tuple[str, str], category: str, style: str, mapped: tuple[list[str], list[str]],
          ids: dict[str, str]) -> list[dict[str, Any]]:
    benign, unsafe = prompts
    pair = content_id(category, style, benign, unsafe)
    records = []
    for prompt, risky, titles in ((benign, False, mapped[0]), (unsafe, True, mapped[1])):
        records.append({
            "id": content_id("contrast", prompt), "pair": pair, "prompt": prompt, "category": category,
            "risky": risky, "style": style, "guideline_ids": [ids[t] for t in titles],
        })
    records[0]["twin"], records[1]["twin"] = records[1]["id"], records[0]["id"]
    return [{k: r[k] for k in ("id", "pair", "twin", "prompt", "category", "risky", "style", "guideline_ids")}
            for r in records]


def guideline_ids() -> dict[str, str]:
    """Title -> id of the packaged seed guidelines."""
    with (SEED_DIR / "guidelines.jsonl").open(encoding="utf-8") as f:
        return {g["title"]: g["id"] for g in map(json.loads, f)}


def build_train(ids: dict[str, str]) -> list[dict[str, Any]]:
    """The training half: every training core in every framing."""
    out = []
    for category, cores in material.train_cores.items():
        for domain, harm, benign, unsafe in cores:
            for n, framing in enumerate(material.train_framings):
                prompts = (framing.format(q=benign, ql=_lower_first(benign)),
                           framing.format(q=unsafe, ql=_lower_first(unsafe)))
                mapped = (material.domains[domain], material.harms[harm])
                out += _pair(prompts, category, f"framing-{n}", mapped, ids)
    return out


def build_heldout(ids: dict[str, str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The validation and test halves: alternate cores of each category, every core in every style."""
    halves: tuple[list[dict[str, Any]], list[dict[str, Any]]] = ([], [])
    for category, cores in material.validation_cores.items():
        for n, (domain, harm, benign, unsafe, context, role) in enumerate(cores):
            for style in STYLES:
                key = f"{category}\x1f{n}\x1f{style}"
                prompts = (_styled(style, benign, context, role, key), _styled(style, unsafe, context, role, key))
                mapped = (material.domains[domain], material.harms[harm])
                halves[n % 2].extend(_pair(prompts, category, style, mapped, ids))
    return halves


def main(argv: Sequence[str] | None = None) -> None:
    """Write the three halves where they ship, or all into ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="write the three files into this directory instead")
    out = parser.parse_args(argv).out
    ids = guideline_ids()
    train = build_train(ids)
    validation, test = build_heldout(ids)
    paths = (SEED_DIR / "contrast_train.jsonl", SEED_DIR / "contrast_validation.jsonl", TEST_FILE)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        paths = tuple(out / path.name for path in paths)
    for path, records in zip(paths, (train, validation, test), strict=True):
        write_jsonl(path, records)
        print(f"wrote {path}: {len(records)} records ({len(records) // 2} twin pairs)")


if __name__ == "__main__":
    main()
