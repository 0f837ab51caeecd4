"""Compose gajax's seed guideline library and training inputs (``guidelines.jsonl``, ``inputs.jsonl``).

The hand-written material lives in ``gajax/data/seed/guideline_material.yaml`` (safety and quality guidelines) and
``gajax/data/seed/prompt_material.yaml`` (request cores, framings, slot fillers and benign task material); every
piece of it was written for gajax. This tool composes them deterministically (choices are made by hashing, never by
a random generator) and maps each input to its guidelines: 2-4 safety guidelines of the input's category plus 1-2
quality guidelines for a risky input, 3-6 quality guidelines chosen by task type for a benign one. Usage::

    python tools/compose_seed.py            # rewrite gajax/data/seed/guidelines.jsonl and inputs.jsonl
    python tools/compose_seed.py --out DIR  # write them to DIR instead

Rerun ``tools/compose_contrast.py`` afterwards when guideline titles change (it maps titles to ids).
"""

from __future__ import annotations

import argparse
import hashlib
import re
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
MATERIAL_FILES = ("guideline_material.yaml", "prompt_material.yaml")
SOURCE = "gajax-seed"
QUALITY = "general_quality"

# Tables whose entries are records in YAML, read back as tuples in this field order.
RECORD_FIELDS: dict[str, tuple[str, ...]] = {
    "safety_guidelines": ("title", "description"),
    "quality_guidelines": ("title", "description", "tags"),
    "hazard_sets": ("templates", "subjects", "topics", "per_topic", "scenario"),
    "false_premise_questions": ("question", "scenario"),
    "deception_contents": ("content", "scenario"),
    "payloads": ("payload", "scenario"),
    "unsafe_topic_themes": ("theme", "scenario"),
    "unsafe_tutorial_acts": ("act", "scenario"),
    "unsafe_opinion_questions": ("question", "scenario"),
    "reverse_exposure_questions": ("question", "scenario"),
}


def load_material(seed_dir: Path = SEED_DIR) -> SimpleNamespace:
    """Every table of the material files as an attribute (records as tuples in ``RECORD_FIELDS`` order)."""
    tables: dict[str, Any] = {}
    for name in MATERIAL_FILES:
        with (seed_dir / name).open(encoding="utf-8") as f:
            loaded = yaml.safe_load(f)
        if duplicated := set(tables) & set(loaded):
            raise ValueError(f"{seed_dir / name}: tables defined twice: {sorted(duplicated)}")
        tables.update(loaded)
    for table, fields in RECORD_FIELDS.items():
        as_tuples = lambda items, fields=fields: [tuple(item[f] for f in fields) for item in items]
        value = tables[table]
        tables[table] = {k: as_tuples(v) for k, v in value.items()} if isinstance(value, dict) else as_tuples(value)
    return SimpleNamespace(**tables)


material = load_material()

_STOPWORD_TEXT = (
    "about after also anything been being could does doing from have into just like make more most much only other "
    "over same should some such than that their them then there these they this those very what when where which "
    "while with would your yours always never every someone people person assistant answer request user users"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_SLOT = re.compile(r"\{(\w+)\}")


def _hash(*parts: str) -> int:
    """A stable integer from text, used for every deterministic choice."""
    return int(hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:15], 16)


def _pick(key: str, options: Sequence[str], count: int) -> list[str]:
    """``count`` options chosen by hashing them with ``key`` (stable across runs and Python versions)."""
    return sorted(options, key=lambda option: _hash(key, option))[:count]


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    """Lower-case the first letter unless the first word is 'I' or a slot."""
    if text.startswith(("I ", "I'", "{")) or text[:2].isupper():
        return text
    return text[:1].lower() + text[1:]


def _fill(template: str, key: str) -> str:
    """Replace ``{slot}`` markers with fillers chosen by hashing ``key``."""

    def choose(match: re.Match[str]) -> str:
        options = material.fillers[match.group(1)]
        return options[_hash(key, match.group(1)) % len(options)]

    return _SLOT.sub(choose, template)


def _frame(frame: str, core: str, slot: str) -> str:
    """Put ``core`` into ``frame`` at ``{slot}`` (as is), ``{Slot}`` (capitalised) or, for long slot names,
    ``{SLOT}`` (upper case)."""
    if len(slot) > 1:
        frame = frame.replace("{" + slot.upper() + "}", core.upper())
    frame = frame.replace("{" + slot.capitalize() + "}", _capitalise(core))
    return frame.replace("{" + slot + "}", _lower_first(core) if slot == "q" else core)


_SUFFIXES = ("ations", "ation", "ings", "ing", "edly", "ed", "es", "s", "ly")


def _stems(text: str) -> set[str]:
    """Crude word stems (common suffixes cut, first six letters) used to match inputs with guidelines."""
    stems = set()
    for word in re.findall(r"[a-z]+", text.lower()):
        if len(word) < 4 or word in _STOPWORDS:
            continue
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 4:
                word = word[: -len(suffix)]
                break
        stems.add(word[:6])
    return stems


# ---------------------------------------------------------------------------------------------------------------
# Composition
# ---------------------------------------------------------------------------------------------------------------
def build_guidelines() -> list[dict[str, Any]]:
    """All seed guidelines as records, sorted by id."""
    records = []
    for category, items in material.safety_guidelines.items():
        for title, description in items:
            text = f"{title}: {description}"
            categories = [category, *material.extra_categories.get(title, [])]
            records.append(_guideline(title, text, "safety", categories))
    for title, description, _tags in material.quality_guidelines:
        records.append(_guideline(title, f"{title}: {description}", "quality", [QUALITY]))
    return sorted(records, key=lambda record: record["id"])


def _guideline(title: str, text: str, kind: str, categories: list[str]) -> dict[str, Any]:
    return {
        "id": content_id(text),
        "title": title,
        "text": text,
        "kind": kind,
        "categories": categories,
        "sources": [SOURCE],
    }


class _Mapper:
    """Chooses the guidelines an input maps to: word overlap with the input first, then a stable hash."""

    def __init__(self) -> None:
        self.by_category: dict[str, list[tuple[str, str, int]]] = {}
        for category, items in material.safety_guidelines.items():
            for rank, (title, description) in enumerate(items):
                text = f"{title}: {description}"
                match_text = f"{text} {material.match_words.get(title, '')}"
                for member in [category, *material.extra_categories.get(title, [])]:
                    bonus = (2 if rank == 0 else 1 if rank < 3 else 0) if member == category else 0
                    self.by_category.setdefault(member, []).append((content_id(text), match_text, bonus))
        self.quality = [(content_id(f"{t}: {d}"), f"{t}: {d}", set(tags)) for t, d, tags in material.quality_guidelines]
        self.stems: dict[str, set[str]] = {}

    def _rank(self, prompt: str, candidates: list[tuple[str, str, int]], count: int) -> list[str]:
        words = _stems(prompt)

        def score(item: tuple[str, str, int]) -> tuple[int, int]:
            guideline_id, text, bonus = item
            if text not in self.stems:
                self.stems[text] = _stems(text)
            return (-(2 * len(words & self.stems[text]) + bonus), _hash(prompt, guideline_id))

        return [guideline_id for guideline_id, _, _ in sorted(candidates, key=score)[:count]]

    def safety(self, prompt: str, category: str, count: int) -> list[str]:
        return self._rank(prompt, self.by_category[category], count)

    def quality_for(self, prompt: str, tags: Sequence[str], count: int) -> list[str]:
        candidates = [(gid, text, int(tags[0] in own)) for gid, text, own in self.quality if own & set(tags)]
        return self._rank(prompt, candidates, count)

    def risky(self, prompt: str, category: str, also: str | None = None) -> list[str]:
        """2-4 safety guidelines of ``category`` (one of them from ``also`` when given) plus 1-2 quality ones."""
        h = _hash(prompt, "count")
        chosen = self.safety(prompt, category, 2 + h % 3 - (also is not None and also != category))
        if also is not None and also != category:
            chosen += [g for g in self.safety(prompt, also, 3) if g not in chosen][:1]
        tags = ("emotional", "refusal") if category == "Mental_Health" else ("refusal",)
        chosen += self.quality_for(prompt, tags, 1 + (h // 7) % 2)
        return chosen

    def benign(self, prompt: str, tags: Sequence[str]) -> list[str]:
        """3-6 quality guidelines suited to the task type."""
        return self.quality_for(prompt, tags, 3 + _hash(prompt, "count") % 4)


def _risky_scenario_prompts(category: str) -> list[str]:
    scenario = material.scenarios[category]
    prompts = []
    for act in scenario["acts"]:
        first_person = re.search(r"\b(my|myself|me|I)\b", act) is not None
        frames = material.act_frames if first_person else material.act_frames + material.third_person_act_frames
        for frame in _pick(category + act, frames, 4):
            prompts.append(_with_context(_fill(_frame(frame, act, "a"), frame + act), category, scenario["contexts"]))
    for ask in scenario["asks"]:
        for frame in _pick(category + ask, material.ask_frames, 3):
            prompts.append(_with_context(_fill(_frame(frame, ask, "c"), frame + ask), category, scenario["contexts"]))
    for question in scenario["questions"]:
        for frame in ["{Q}", *_pick(category + question, material.question_frames[1:], 2)]:
            prompt = _fill(_frame(frame, question, "q"), frame + question)
            # Lead-ins go only before unframed questions, so no prompt stacks two preambles.
            prompts.append(_with_context(prompt, category, scenario["contexts"]) if frame == "{Q}" else prompt)
    return prompts


def _with_context(prompt: str, category: str, contexts: list[str]) -> str:
    """Prefix roughly one prompt in four with a lead-in sentence, making longer first-person inputs."""
    h = _hash(category, prompt, "context")
    if h % 4:
        return prompt
    return f"{contexts[(h // 4) % len(contexts)]} {prompt}"


def _hazard_prompts() -> list[tuple[str, str]]:
    """(prompt, scenario): each topic of the hazard sets in its number of templates, each with a subject chosen
    by hash."""
    out = []
    for templates, subjects, topics, per_topic, category in material.hazard_sets:
        for topic in topics:
            for template in _pick(topic, templates, per_topic):
                subject = subjects[_hash(template, topic) % len(subjects)]
                prompt = template.replace("{s}", subject).replace("{t}", topic)
                out.append((_capitalise(_fill(prompt, prompt)), category))
    return out


def _attack_prompts() -> list[tuple[str, str, str | None]]:
    """(prompt, attack category, scenario of the wrapped payload or None)."""
    out: list[tuple[str, str, str | None]] = []
    payload_names = [p for p, _ in material.payloads]
    payload_category = dict(material.payloads)
    for template in material.goal_hijack_templates:
        for payload in _pick(template, payload_names, 6):
            out.append((_frame(template, payload, "payload"), "Goal_Hijacking", payload_category[payload]))
    for template in material.hijack_phrase_templates:
        for phrase in _pick(template, material.hijack_phrases, 5):
            out.append((template.replace("{phrase}", phrase), "Goal_Hijacking", None))
    for question in material.prompt_leaking_questions:
        frames = material.question_frames if question.endswith("?") else material.leak_imperative_frames
        for frame in ["{Q}", *_pick(question, frames[1:], 2)]:
            out.append((_frame(frame, question, "q"), "Prompt_Leaking", None))
    for template in material.role_play_templates:
        for payload in _pick(template, payload_names, 7):
            out.append((_frame(template, payload, "payload"), "Role_Play_Instruction", payload_category[payload]))
    for question in material.assistant_personhood_questions:
        for frame in ["{Q}", *_pick(question, material.question_frames[1:], 2)]:
            out.append((_frame(frame, question, "q"), "Role_Play_Instruction", "Mental_Health"))
    for request in material.role_play_requests:
        for frame in [
            "{Q}",
            *_pick(
                request,
                [
                    "{Q} Please?",
                    "{Q} Just this once.",
                    "{Q} I really need this.",
                    "Let's play a game. {Q}",
                    "I know you're an AI, but {q}",
                ],
                2,
            ),
        ]:
            out.append((_fill(_frame(frame, request, "q"), frame + request), "Role_Play_Instruction", None))
    for theme, scenario in material.unsafe_topic_themes:
        for i, template in enumerate(material.unsafe_topic_templates):
            form = material.unsafe_topic_formats[_hash(theme, template) % len(material.unsafe_topic_formats)]
            prompt = template.replace("{format}", form).replace("{theme}", theme)
            out.append((_fill(prompt, prompt + str(i)), "Unsafe_Instruction_Topic", scenario))
    for act, scenario in material.unsafe_tutorial_acts:
        for template in material.unsafe_tutorial_templates:
            out.append((template.replace("{payload_act}", act), "Unsafe_Instruction_Topic", scenario))
    for question, scenario in material.unsafe_opinion_questions:
        for frame in ["{Q}", *_pick(question, material.question_frames[1:], 2)]:
            out.append(
                (
                    _fill(_frame(frame, question, "q"), frame + question),
                    "Inquiry_With_Unsafe_Opinion",
                    scenario,
                )
            )
    for question, scenario in material.reverse_exposure_questions:
        for frame in [
            "{Q}",
            *_pick(
                question,
                [
                    "{Q} It's purely for safety.",
                    "I'm a worried parent. {Q}",
                    "{Q} I'm asking so I can avoid them.",
                    "For a safety workshop: {q}",
                ],
                2,
            ),
        ]:
            out.append((_fill(_frame(frame, question, "q"), frame + question), "Reverse_Exposure", scenario))
    return out


def _math_problems() -> list[str]:
    """Arithmetic, algebra, geometry and statistics exercises with varied numbers."""
    out = list(material.math_items)
    for i in range(36):
        a, x, b = 2 + i % 8, 3 + (i * 7) % 13, 1 + (i * 5) % 17
        out.append(f"Solve {a}x + {b} = {a * x + b} for x and check your answer.")
    for i in range(30):
        pct, total = (5, 12, 15, 20, 25, 35, 40, 75)[i % 8], 40 + 20 * i
        out.append(
            f"What is {pct}% of {total}?" if i % 2 else f"A jacket costs ${total} and is {pct}% off. What do I pay?"
        )
    for i in range(30):
        km, hours = 60 + 35 * i, 2 + i % 5
        out.append(f"A train covers {km} km in {hours} hours. What is its average speed in km/h?")
    for i in range(24):
        workers, days, other = 3 + i % 5, 8 + i, 6 + (i * 3) % 7
        out.append(
            f"If {workers} painters finish a house in {days} days, how long would {other} painters take at the same "
            "rate?"
        )
    for i in range(24):
        serves, grams, wanted = 4 + i % 3 * 2, 150 + 25 * i, 3 + i % 9
        out.append(
            f"A recipe for {serves} people uses {grams} g of flour. How much flour do I need for {wanted} people?"
        )
    for i in range(20):
        out.append(f"What is the area and circumference of a circle with a radius of {2 + i} cm?")
    triples = [(3, 4), (5, 12), (8, 15), (7, 24), (9, 40), (20, 21), (6, 8), (12, 16), (15, 20), (10, 24)]
    for leg_a, leg_b in triples:
        out.append(f"A right triangle has legs of {leg_a} m and {leg_b} m. How long is the hypotenuse?")
        out.append(
            f"A ladder reaches {leg_b} ft up a wall with its foot {leg_a} ft from the wall. How long is the ladder?"
        )
    for i in range(20):
        total, diff = 20 + 3 * i, 2 + 2 * (i % 6)
        out.append(f"Two numbers add up to {total} and differ by {diff}. What are they?")
    for i in range(24):
        values = [(i * 7 + k * 11) % 50 + 1 for k in range(5 + i % 4)]
        out.append(f"Find the mean, median and range of these numbers: {', '.join(map(str, values))}.")
    for i in range(18):
        start, step = 2 + i, 3 + i % 5
        seq = [start + step * k * (k + 1) // 2 for k in range(5)]
        out.append(f"What comes next in the sequence {', '.join(map(str, seq))}, and what is the rule?")
    for i in range(20):
        red, blue = 3 + i % 6, 2 + (i * 5) % 7
        out.append(
            f"A bag holds {red} red and {blue} blue marbles. What is the chance of drawing two red marbles without "
            "replacement?"
        )
    for i in range(16):
        principal, rate, years = 1000 + 500 * i, 2 + i % 5, 3 + i % 8
        out.append(
            f"If I invest ${principal} at {rate}% interest compounded yearly, how much will I have after {years} years?"
        )
    return out


def _benign_prompts() -> list[tuple[str, str]]:
    """(prompt, family) for every benign input."""
    out: list[tuple[str, str]] = []
    for fn in material.code_functions:
        for lang in _pick(fn, material.languages, 4):
            frame = material.code_frames[_hash(fn, lang) % len(material.code_frames)]
            out.append((frame.replace("{lang}", lang).replace("{fn}", fn), "code"))
    for howto in material.code_howtos:
        for lang in _pick(howto, material.languages, 3):
            frame = material.howto_frames[_hash(howto, lang) % len(material.howto_frames)]
            out.append((frame.replace("{lang}", lang).replace("{h}", howto), "code"))
    out += [(item, "code") for item in material.code_misc]
    out += [(item, "math") for item in _math_problems()]
    for topic in material.writing_topics:
        for form in _pick(topic, material.writing_forms, 6):
            frame = material.writing_frames[_hash(topic, form) % len(material.writing_frames)]
            audience = material.writing_audiences[_hash(form, topic) % len(material.writing_audiences)]
            prompt = frame.replace("{form}", form).replace("{topic}", topic)
            out.append(
                (
                    prompt.replace("{aud}", audience).replace("{aud2}", audience.removeprefix("for ")),
                    "writing",
                )
            )
    for subject in material.creative_subjects:
        for form in _pick(subject, material.creative_forms, 5):
            frame = material.creative_frames[_hash(subject, form) % len(material.creative_frames)]
            out.append((frame.replace("{form}", form).replace("{subj}", subject), "creative"))
    for character in material.roleplay_characters:
        for task in _pick(character, material.roleplay_tasks, 3):
            frame = material.roleplay_frames[_hash(character, task) % len(material.roleplay_frames)]
            prompt = frame.replace("{c}", character).replace("{t}", task).replace("{T}", _capitalise(task))
            out.append((prompt, "roleplay"))
    for act in material.benign_acts:
        for frame in _pick(act, material.act_frames + material.third_person_act_frames[:2], 2):
            out.append((_frame(frame, act, "a"), "advice"))
    for ask in material.benign_asks:
        for frame in _pick(ask, material.ask_frames, 2):
            out.append((_frame(frame, ask, "c"), "creative"))
    for act in material.benign_tutorial_acts:
        for template in _pick(act, material.unsafe_tutorial_templates, 2):
            out.append((template.replace("{payload_act}", act), "planning"))
    for theme in material.benign_themes:
        for template in _pick(theme, material.unsafe_topic_templates, 2):
            form = material.unsafe_topic_formats[_hash(theme, template) % len(material.unsafe_topic_formats)]
            out.append((template.replace("{format}", form).replace("{theme}", theme), "writing"))
    for claim in material.persuasive_claims:
        for frame in _pick(claim, material.persuasive_frames, 2):
            form = material.persuasive_forms[_hash(claim, frame) % len(material.persuasive_forms)]
            out.append((frame.replace("{form}", form).replace("{claim}", claim), "writing"))
    for ask in material.benign_people_asks:
        for n in range(3):
            out.append((_capitalise(_fill(ask, f"{ask}{n}")), "writing"))
    for names, templates in [
        (material.public_record_people, material.public_record_people_templates),
        (material.public_record_orgs, material.public_record_org_templates),
    ]:
        for name in names:
            for template in _pick(name, templates, 2):
                prompt = template.replace("{x}", name)
                out.append((_capitalise(_fill(prompt, prompt)), "knowledge"))
    for concept in material.explain_concepts:
        for frame in _pick(concept, material.explain_frames, 4):
            out.append((frame.replace("{x}", concept), "explain"))
    for item in material.planning_items:
        for i in range(3 if "{" in item else 1):
            key = f"{item}{i}"
            prompt = (
                item.replace("{city}", material.cities[_hash(key, "city") % len(material.cities)])
                .replace("{skill}", material.skills[_hash(key, "skill") % len(material.skills)])
                .replace("{season}", material.seasons[_hash(key, "season") % len(material.seasons)])
            )
            out.append((prompt, "planning"))
    question_lists = [
        (material.knowledge_items, "knowledge", 3),
        (material.advice_items, "advice", 3),
        (material.general_items, "general", 2),
        (material.society_items, "society", 3),
        (material.data_items, "data", 2),
        (material.domain_items, "domain", 2),
        (material.editing_items, "edit", 2),
        (material.fermi_items, "fermi", 2),
        (material.counterfactual_items, "counterfactual", 2),
        (material.roleplay_items, "roleplay", 2),
        (material.commonsense_items, "commonsense", 2),
        (material.language_items, "language", 2),
        (material.alarming_benign, "alarming", 2),
        (material.emotion_benign, "wellbeing", 2),
        (material.health_education_items, "wellbeing", 2),
        (material.law_education_items, "domain", 2),
        (material.finance_education_items, "domain", 2),
        (material.cyber_education_items, "domain", 2),
        (material.myth_history_items, "society", 2),
        (material.safety_benign, "alarming", 2),
    ]
    for items, family, count in question_lists:
        for item in items:
            frames = material.benign_question_frames if item.endswith("?") else material.benign_imperative_frames
            for frame in ["{Q}", *_pick(item, frames[1:], count - 1)]:
                out.append((_frame(frame, item, "q"), family))
    return out


def build_inputs() -> list[dict[str, Any]]:
    """All seed inputs with their guideline ids, distinct by prompt and sorted by id."""
    mapper = _Mapper()
    records: dict[str, dict[str, Any]] = {}

    def add(prompt: str, category: str, risky: bool, guideline_ids: list[str]) -> None:
        key = prompt.lower()
        if key not in records:
            records[key] = {
                "id": content_id(SOURCE, prompt),
                "prompt": prompt,
                "source": SOURCE,
                "category": category,
                "risky": risky,
                "guideline_ids": guideline_ids,
            }

    for category in material.scenarios:
        for prompt in _risky_scenario_prompts(category):
            add(prompt, category, True, mapper.risky(prompt, category))
    for prompt, category in _hazard_prompts():
        add(prompt, category, True, mapper.risky(prompt, category))
    for question, category in material.false_premise_questions:
        prompt = _fill(question, question)
        add(prompt, category, True, mapper.risky(prompt, category, "Inquiry_With_Unsafe_Opinion"))
    for content, category in material.deception_contents:
        for template in _pick(content, material.deception_templates, 2):
            form = material.deception_formats[_hash(content, template) % len(material.deception_formats)]
            prompt = _fill(template.replace("{format}", form).replace("{content}", content), template + content)
            add(prompt, category, True, mapper.risky(prompt, category))
    for prompt, category, scenario in _attack_prompts():
        add(prompt, category, True, mapper.risky(prompt, category, scenario))
    for prompt, family in _benign_prompts():
        add(prompt, QUALITY, False, mapper.benign(prompt, material.benign_families[family]))
    return sorted(records.values(), key=lambda record: record["id"])


def main(argv: Sequence[str] | None = None) -> None:
    """Write ``guidelines.jsonl`` and ``inputs.jsonl`` to ``--out`` (default: ``gajax/data/seed``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=SEED_DIR, help="output directory (default: %(default)s)")
    out = parser.parse_args(argv).out
    out.mkdir(parents=True, exist_ok=True)
    guidelines = build_guidelines()
    inputs = build_inputs()
    write_jsonl(out / "guidelines.jsonl", guidelines)
    write_jsonl(out / "inputs.jsonl", inputs)
    risky = sum(record["risky"] for record in inputs)
    print(f"{len(guidelines)} guidelines, {len(inputs)} inputs ({risky} risky, {len(inputs) - risky} benign)")


if __name__ == "__main__":
    main()
