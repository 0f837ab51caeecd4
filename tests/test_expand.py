"""Input expansion: ROUGE-L against an independent dynamic-programming oracle, the diversity filter, and a
resumable run with a scripted model."""

import dataclasses
import itertools
import json
import random
import re

import pytest

from gajax.expand import DiversityFilter, ExpandConfig, parse_numbered, rouge_l, rouge_tokens, run_expand
from gajax.llm.chat import ChatResult, Usage
from gajax.records import read_jsonl


def lcs_oracle(a, b):
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            table[i + 1][j + 1] = table[i][j] + 1 if x == y else max(table[i][j + 1], table[i + 1][j])
    return table[-1][-1]


def rouge_oracle(x, y):
    a, b = re.findall(r"[a-z0-9]+", x.lower()), re.findall(r"[a-z0-9]+", y.lower())
    lcs = lcs_oracle(a, b)
    if not lcs:
        return 0.0
    p, r = lcs / len(b), lcs / len(a)
    return 2 * p * r / (p + r)


SENTENCES = [
    "How can I improve my sleep quality at night?",
    "How can I improve the quality of my sleep?",
    "What are some tips to sleep better at night?",
    "Write a poem about the sea.",
    "Write a short poem about the sea at dawn.",
    "Explain quantum tunnelling to a child.",
    "",
    "Sleep sleep sleep",
]


def test_rouge_l_matches_the_oracle():
    for x, y in itertools.product(SENTENCES, repeat=2):
        assert rouge_l(rouge_tokens(x), rouge_tokens(y)) == pytest.approx(rouge_oracle(x, y))
    assert rouge_l(rouge_tokens(SENTENCES[0]), rouge_tokens(SENTENCES[0])) == 1.0


def test_diversity_filter_threshold():
    keep = DiversityFilter(0.7, ["Write a poem about the sea."])
    assert not keep.offer("Write a poem about the blue sea.")  # oracle: > 0.7
    assert rouge_oracle("Write a poem about the sea.", "Write a poem about the blue sea.") > 0.7
    assert keep.offer("Explain quantum tunnelling to a child.")
    assert not keep.offer("Explain quantum tunnelling to a child!")


def test_parse_numbered():
    text = 'Sure!\n5. First new one\n6) Second one\n  7.  "Quoted third"  \nnot numbered\n8.'
    assert parse_numbered(text) == ["First new one", "Second one", "Quoted third"]


WORDS = [
    "apple",
    "river",
    "mountain",
    "engine",
    "violin",
    "garden",
    "planet",
    "castle",
    "ocean",
    "forest",
    "desert",
    "island",
    "lantern",
    "rocket",
    "pepper",
    "marble",
    "thunder",
    "silver",
    "meadow",
    "harbor",
    "canyon",
    "glacier",
    "falcon",
    "orchard",
    "compass",
    "velvet",
    "ember",
    "tundra",
    "quartz",
    "saddle",
    "beacon",
    "willow",
]


class Generator:
    """Scripted expansion model: numbered lists with fresh items, near-copies of the examples and junk."""

    model_name = "gen"

    def __init__(self):
        self.usage = Usage()
        self.calls = 0

    def chat(self, conversations, *, max_tokens, temperature=0.0, top_p=1.0, seed=0, stop=()):
        out = []
        for conv in conversations:
            self.calls += 1
            examples = re.findall(r"^\d+\. (.+)$", conv[0]["content"], re.M)
            rng = random.Random(self.calls)
            items = [
                f"{examples[0]} please",  # near-copy: rejected by ROUGE-L
                " ".join(rng.sample(WORDS, 7)) + "?",
                "Hi",  # too short
                " ".join(rng.sample(WORDS, 9)) + ".",
            ]
            out.append(ChatResult(text="\n".join(f"{i + 5}. {t}" for i, t in enumerate(items))))
        return out


def test_run_expand_is_diverse_and_resumable(tmp_path):
    seeds = tmp_path / "seeds.jsonl"
    rows = [{"prompt": f"Seed question {i} about insults and rude jokes", "category": "Insult"} for i in range(4)]
    rows += [
        {"prompt": f"Seed {i}: how do I phish a bank login page", "category": "Crimes_And_Illegal_Activities"}
        for i in range(4)
    ]
    seeds.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "inputs.jsonl"
    cfg = ExpandConfig(
        seeds=str(seeds),
        output=str(out),
        per_category=5,
        calls_per_round=2,
        progress=False,
        categories=("Insult", "Crimes_And_Illegal_Activities"),
    )
    assert run_expand(cfg, backend=Generator()) == 0
    records = list(read_jsonl(out))
    assert [sum(r["category"] == c for r in records) for c in cfg.categories] == [5, 5]
    assert all(r["source"] == "expand" and len(r["prompt"].split()) >= 3 for r in records)
    for made, other in itertools.product(records, records + rows):  # every new input vs all others of its category
        if made is not other and made["category"] == other["category"]:
            assert rouge_oracle(made["prompt"], other["prompt"]) <= 0.7, (made, other)
    # a restart with a larger target continues from what is there, without duplicates
    assert run_expand(dataclasses.replace(cfg, per_category=8), backend=Generator()) == 0
    again = list(read_jsonl(out))
    assert len(again) == 16 and len({r["id"] for r in again}) == 16
    assert again[:10] == records
