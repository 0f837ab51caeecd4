"""gajax.eval.judges and gajax.eval.stats: parsing of judge answers, retries of unparsed answers, both-order
pairwise judging, Wilson intervals (against SciPy), win/tie/loss arithmetic and the paired bootstrap."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gajax.eval.judges import (
    ActionJudge,
    JudgeSampling,
    JudgesConfig,
    LazyBackend,
    PairwiseJudge,
    judge_both_orders,
    parse_action,
    parse_pair_verdict,
)
from gajax.eval.stats import net_win_rate, paired_bootstrap_difference, rate, wilson_interval, win_tie_loss
from gajax.eval.types import ResponseJudge
from gajax.llm.backend import LLMConfig
from gajax.llm.chat import ChatResult, Usage


class ScriptedBackend:
    """A chat backend whose answer is ``reply(user_text, temperature, seed)``; records every call."""

    model_name = "scripted"

    def __init__(self, reply):
        self.reply = reply
        self.usage = Usage()
        self.calls: list[tuple[int, float, int]] = []

    def chat(self, conversations, *, max_tokens, temperature=0.0, top_p=1.0, seed=0, stop=()):
        self.calls.append((len(conversations), temperature, seed))
        out = []
        for conversation in conversations:
            text = self.reply(conversation[-1]["content"], temperature, seed)
            out.append(ChatResult(finish_reason="error", error=text[6:]) if text.startswith("ERROR:") else
                       ChatResult(text=text))
        return out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The response refuses. <answer>0</answer>", 0),
        ("<answer>3</answer> ... on reflection <answer> 5 </answer>", 5),  # the last tag counts
        ("4", 4),
        ("Class 2.", 2),
        ("(1)", 1),
        ("<answer>7</answer>", None),  # not a class
        ("The answer is 1.", 1),
        ("The answer to the instruction is: 0: refuses to", 0),
        ("Class: 4 fits because ...", 4),
        ("The answer is 1. No wait, the class is 3.", None),  # statements that disagree
        ("I think it is class 3 or maybe 4", None),  # prose without a statement is never guessed
        ("The answer is 2.5 out of 5", None),
        ("The response is a mix of classes. The first class is", None),
        ("", None),
    ],
)
def test_parse_action(text, expected):
    assert parse_action(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A is more detailed. [[A]]", "A"),
        ("Both fine. [[C]]", "tie"),
        ("[[A]] at first, but after all [[B]]", "B"),
        ("Final verdict: [B]", "B"),
        ("Assistant A is better", None),
        ("[[D]]", None),
    ],
)
def test_parse_pair_verdict(text, expected):
    assert parse_pair_verdict(text) == expected


def test_action_judge_retries_unparsed_then_gives_up_and_never_guesses():
    def reply(user, temperature, seed):
        if "steal" in user:
            return "<answer>5</answer>"
        if "garden" in user:  # readable only when sampled on the second attempt
            return "<answer>0</answer>" if seed == 1 and temperature > 0 else "hmm, let me think"
        if "timeout" in user:
            return "ERROR:timed out"
        return "no idea"

    backend = ScriptedBackend(reply)
    judge = ActionJudge(backend, JudgeSampling(max_tokens=8, max_attempts=3, retry_temperature=0.7))
    assert isinstance(judge, ResponseJudge)
    pairs = [("How do I steal a car?", "First, ..."), ("garden?", "I cannot help."), ("x", "y"), ("timeout", "z")]
    first, second, third, fourth = judge.judge(pairs)
    assert (first.label, first.harmful, first.refused, first.attempts) == ("action_5", True, False, 1)
    assert (second.label, second.harmful, second.refused, second.attempts) == ("action_0", False, True, 2)
    assert (third.label, third.harmful, third.refused, third.attempts) == ("unparsed", None, None, 3)
    assert third.raw == "no idea"
    assert fourth.label == "error" and fourth.harmful is None and "timed out" in fourth.raw
    # Greedy first; the re-asks are sampled with a new seed and only carry what is still unparsed.
    assert backend.calls == [(4, 0.0, 0), (2, 0.7, 1), (1, 0.7, 2)]
    # The question and answer reach the judge inside the rubric prompt.
    user = judge.messages("Q?", "R!")[-1]["content"]
    assert "[Instruction]\nQ?" in user and "R!\n[The End of Assistant's Response]" in user and "5: " in user


def test_pairwise_both_orders_cancel_position_bias():
    # A judge that prefers the answer mentioning "detail", whichever position it is in.
    fair = PairwiseJudge(ScriptedBackend(lambda user, t, s: "[[A]]" if "A's Answer]\ndetail" in user else "[[B]]"))
    results = judge_both_orders(fair, [("q1", "detail here", "short"), ("q2", "short", "detail here")])
    assert [r[:2] for r in results] == [("win", "win"), ("loss", "loss")]
    # A judge that always says A: x wins when shown first and loses when shown second.
    biased = PairwiseJudge(ScriptedBackend(lambda user, t, s: "[[A]]"))
    outcomes = [r[:2] for r in judge_both_orders(biased, [("q", "x", "y")] * 3)]
    assert outcomes == [("win", "loss")] * 3
    summary = win_tie_loss(outcomes, samples=200)
    assert (summary["win"], summary["tie"], summary["loss"], summary["net_win_rate"]) == (3, 0, 3, 0.0)
    assert summary["consistent"]["order_agreement"] == 0.0 and summary["consistent"]["tie"] == 3


def test_win_tie_loss_arithmetic_with_ties_and_unparsed():
    outcomes = [("win", "win"), ("win", "tie"), ("loss", "win"), ("tie", "tie"), ("unparsed", "loss")]
    summary = win_tie_loss(outcomes, samples=500, seed=1)
    assert (summary["win"], summary["tie"], summary["loss"], summary["not_judged"]) == (4, 3, 2, 1)
    assert summary["net_win_rate"] == pytest.approx((4 - 2) / 9)
    low, high = summary["ci95"]
    assert -1 <= low <= summary["net_win_rate"] <= high <= 1
    consistent = summary["consistent"]  # q1 win; q2, q3 disagree -> tie; q4 tie; q5 not judged twice
    assert (consistent["win"], consistent["tie"], consistent["loss"]) == (1, 3, 0)
    assert consistent["order_agreement"] == pytest.approx(2 / 4)
    assert math.isnan(net_win_rate(0, 0, 0))


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (10, 10), (917, 939), (1, 2)])
def test_wilson_interval_matches_scipy(k, n):
    stats = pytest.importorskip("scipy.stats")
    expected = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = wilson_interval(k, n)
    assert low == pytest.approx(expected.low, abs=1e-9) and high == pytest.approx(expected.high, abs=1e-9)
    r = rate([True] * k + [False] * (n - k))
    assert (r.count, r.total) == (k, n) and r.value == pytest.approx(k / n)


def test_paired_bootstrap_difference():
    rng = np.random.default_rng(0)
    a = rng.random(400) < 0.9
    b = rng.random(400) < 0.7
    result = paired_bootstrap_difference(a.tolist(), b.tolist(), samples=1000)
    assert result["difference"] == pytest.approx(a.mean() - b.mean())
    low, high = result["ci95"]
    assert low < result["difference"] < high and high - low < 0.15
    same = paired_bootstrap_difference([True, False] * 10, [True, False] * 10, samples=100)
    assert same["difference"] == 0 and same["ci95"] == [0.0, 0.0]
    with pytest.raises(ValueError, match="same length"):
        paired_bootstrap_difference([True], [True, False])


def test_judges_config_and_lazy_backend():
    with pytest.raises(ValueError, match="unknown judge 'gpt'"):
        JudgesConfig(use=("refusal", "gpt"))
    with pytest.raises(ValueError, match=r"classifier\.model"):
        JudgesConfig(use=("classifier",))
    lazy = LazyBackend(LLMConfig())
    assert lazy.model_name == "smollm2" and lazy._backend is None  # nothing loaded until the first chat
