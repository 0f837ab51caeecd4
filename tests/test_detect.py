"""Safety detection: the verdict parser on real-looking and malformed answers, retries, unparsed records,
bad inputs, sharding, and resuming a real ``gajax detect`` process after it is killed."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gajax.detect import DetectConfig, DetectionPrompt, parse_categories, parse_verdict, run_detect
from gajax.llm.chat import ChatResult, Usage
from gajax.llm.server import ChatServer
from gajax.records import RecordError, content_id, read_jsonl
from gajax.stage_io import ShardConfig, merge_stage, read_detections

ROOT = Path(__file__).resolve().parents[1]

# (model answer, verdict a careful human reads from it)
VERDICT_TABLE = [
    ("(a) Harmful content: Yes. It asks for slurs.\n(b) Risky reply: Yes.\nRisk areas: Insult\nFinal answer: Yes",
     "risky"),
    ("(a) Harmful content: No.\n(b) Risky reply: No.\nRisk areas: none\nFinal answer: No", "safe"),
    # the criteria lines say "Yes" but the verdict is No: a substring test for "Yes" gets this wrong
    ("(a) Harmful content: Yes, it mentions a weapon in a history question.\n(b) Risky reply: No.\nFinal answer: No",
     "safe"),
    ("Yes, the request mentions violence, but only in a film review.\n\nFinal answer: No.", "safe"),
    ("**Final answer:** Yes", "risky"),
    ("Analysis...\n\n**Final Answer: NO**\n", "safe"),
    ("The request is harmless.\nTherefore, the answer is no.", "safe"),
    ("It seeks private data.\nSo the final answer is: Yes.", "risky"),
    ("Checks done.\nVerdict - yes", "risky"),
    ("Yes.", "risky"),
    ("no", "safe"),
    ("Final answer: No - the question is purely educational.", "safe"),
    ("Final answer: Yes, because it asks for a forged document.", "risky"),
    # malformed: no verdict on the last line, templates echoed, contradictions, empty
    ("(a) Harmful content: Yes.\n(b) Risky reply: Yes.\nRisk areas: Insult", None),
    ("Final answer: Yes/No", None),
    ('The last line must be exactly "Final answer: Yes" or "Final answer: No".', None),
    ("Final answer: Yes or No", None),
    ("Final answer: Yes\nFinal answer: No", None),
    ("Yes, no, maybe", None),
    ("I cannot help with that request.", None),
    ("", None),
    ("   \n\n  ", None),
    ("Final answer: Nope", None),
    ("Final answer: Yes\n(b) Risky reply: No.", None),
]


@pytest.mark.parametrize("text,expected", VERDICT_TABLE)
def test_parse_verdict_table(text, expected):
    assert parse_verdict(text) == expected


def test_yes_anywhere_is_not_the_rule():
    says_yes_early = [t for t, v in VERDICT_TABLE if v == "safe" and re.search(r"\bYes\b", t)]
    assert len(says_yes_early) >= 2
    assert all(parse_verdict(t) == "safe" for t in says_yes_early)


def test_parse_categories():
    known = ["Insult", "Privacy_And_Property", "Goal_Hijacking", "Mental_Health"]
    text = "Risk areas: privacy and property, INSULT; Goal hijacking and Mental_Health, Weather\nFinal answer: Yes"
    assert parse_categories(text, known) == ["Privacy_And_Property", "Insult", "Goal_Hijacking", "Mental_Health"]
    assert parse_categories("Risk areas: none\nFinal answer: No", known) == []


def test_prompt_file_builds_few_shot_conversations():
    prompt = DetectionPrompt.load()
    assert len(prompt.exemplars) >= 8 and len(prompt.categories) == 14
    verdicts = {ex["verdict"] for ex in prompt.exemplars}
    assert verdicts == {"risky", "safe"}
    messages = DetectionPrompt.load(num_exemplars=3).messages("Spell {braces} and {input} as-is")
    assert [m["role"] for m in messages] == ["system"] + ["user", "assistant"] * 3 + ["user"]
    assert "Spell {braces} and {input} as-is" in messages[-1]["content"]
    assert "Mental Health" in messages[-1]["content"]


class Judge:
    """A scripted ChatBackend: ``answer(input_text, times_asked)`` gives the text or a ChatResult."""

    model_name = "judge"

    def __init__(self, answer):
        self.answer = answer
        self.asked: dict[str, int] = {}
        self.usage = Usage()
        self.seeds = []

    def chat(self, conversations, *, max_tokens, temperature=0.0, top_p=1.0, seed=0, stop=()):
        self.seeds.append(seed)
        out = []
        for conv in conversations:
            text = re.search(r'"""\n(.*)\n"""', conv[-1]["content"], re.S).group(1)
            self.asked[text] = self.asked.get(text, 0) + 1
            result = self.answer(text, self.asked[text])
            out.append(result if isinstance(result, ChatResult) else ChatResult(text=result, completion_tokens=3))
        for r in out:
            self.usage.add(r)
        return out


def write_inputs(path: Path, prompts):
    path.write_text("".join(json.dumps({"prompt": p, "source": "test"}) + "\n" for p in prompts))


def config(tmp_path, **kw):
    base = dict(inputs=str(tmp_path / "inputs.jsonl"), output=str(tmp_path / "detections.jsonl"), progress=False,
                shard=ShardConfig(0, 1), chunk_size=4, num_exemplars=2)
    return DetectConfig(**{**base, **kw})


def scripted(text, times):
    if text.startswith("risky"):
        return "(a) Harmful content: Yes.\n(b) Risky reply: Yes.\nRisk areas: Insult\nFinal answer: Yes"
    if text.startswith("late"):  # unreadable on the first try
        return "I am not sure." if times == 1 else "Final answer: No"
    if text.startswith("never"):
        return "Hmm."
    if text.startswith("down"):
        return ChatResult(finish_reason="error", error="HTTP 503: unavailable", error_code="http_503")
    if text.startswith("huge"):
        return ChatResult(finish_reason="error", error="too long", error_code="context_length_exceeded")
    return "(a) Harmful content: No.\n(b) Risky reply: No.\nRisk areas: none\nFinal answer: No"


def test_run_detect_records_retries_unparsed_and_failures(tmp_path):
    prompts = ["risky one", "plain two", "late three", "never four", "down five", "huge six", "plain seven"]
    write_inputs(tmp_path / "inputs.jsonl", prompts)
    judge = Judge(scripted)
    cfg = config(tmp_path, max_attempts=3)
    assert run_detect(cfg, backend=judge) == 1  # a failure happened
    records = {r["input_id"]: r for r in read_jsonl(tmp_path / "detections.jsonl")}
    inputs = {r["prompt"]: r for r in (json.loads(x) for x in (tmp_path / "inputs.jsonl").read_text().splitlines())}
    by_prompt = {}
    for prompt in prompts:
        by_prompt[prompt] = records.get(content_id(inputs[prompt]["prompt"]))
    assert by_prompt["risky one"]["verdict"] == "risky" and by_prompt["risky one"]["categories"] == ["Insult"]
    assert by_prompt["plain two"]["verdict"] == "safe" and by_prompt["plain two"]["attempts"] == 1
    assert by_prompt["late three"]["verdict"] == "safe" and by_prompt["late three"]["attempts"] == 2
    assert by_prompt["never four"]["verdict"] == "unparsed" and by_prompt["never four"]["attempts"] == 3
    assert by_prompt["never four"]["analysis"] == "Hmm."  # the answer is kept, not dropped
    assert by_prompt["down five"] is None and by_prompt["huge six"] is None  # failures are not written ...
    assert judge.asked["down five"] == 3 and judge.asked["huge six"] == 1  # ... context errors are not retried
    summary = json.loads((tmp_path / "detections.summary.json").read_text())
    assert summary["counts"]["failed"] == 2 and summary["counts"]["unparsed"] == 1
    assert {f["code"] for f in summary["failures"]} == {"http_503", "context_length_exceeded"}
    assert len(list(read_jsonl(tmp_path / "detections.failures.jsonl"))) == 2
    assert all(r["model"] == "judge" for r in records.values())

    # a rerun asks only for what is missing; retry_unparsed also re-asks the unparsed one
    def fixed(text, times):
        return "Final answer: No" if text.startswith(("down", "never")) else scripted(text, times)

    judge2 = Judge(fixed)
    assert run_detect(config(tmp_path, retry_unparsed=True), backend=judge2) == 1  # huge still fails
    assert set(judge2.asked) == {"down five", "huge six", "never four"}
    final = list(read_jsonl(tmp_path / "detections.jsonl"))
    assert len(final) == len({r["input_id"] for r in final}) == 6
    assert sorted(r["verdict"] for r in final).count("unparsed") == 0


def test_bad_inputs_error_or_are_recorded(tmp_path):
    good = json.dumps({"id": "a", "prompt": "hello"}).encode()
    lines = [
        good,
        b'{"id": "b", "prompt": "caf\xe9"}',  # Latin-1 byte, not UTF-8
        json.dumps({"id": "c", "prompt": "   "}).encode(),
        json.dumps({"id": "d", "prompt": "x" * 20000}).encode(),
        b"[1, 2]",
        json.dumps({"id": "e"}).encode(),
        json.dumps({"id": "f", "prompt": "bad \udc80 surrogate"}).encode(),
        json.dumps({"id": "a", "prompt": "other text, same id"}).encode(),
        good,  # an exact repeat is dropped silently
    ]
    (tmp_path / "inputs.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(RecordError, match=r"inputs.jsonl:2: not UTF-8 \(byte 26 is 0xe9\)"):
        run_detect(config(tmp_path), backend=Judge(scripted))
    assert run_detect(config(tmp_path, bad_inputs="skip", max_input_chars=1000), backend=Judge(scripted)) == 0
    summary = json.loads((tmp_path / "detections.summary.json").read_text())
    reasons = {r["line"]: r["reason"] for r in summary["rejected_inputs"]}
    assert set(reasons) == {2, 3, 4, 5, 6, 7, 8}
    assert "empty" in reasons[3] and "20000 characters" in reasons[4] and "surrogate" in reasons[7]
    assert "different prompt" in reasons[8]
    assert [r["input_id"] for r in read_jsonl(tmp_path / "detections.jsonl")] == ["a"]


def test_sharded_run_writes_parts_that_read_back_as_one(tmp_path):
    prompts = [f"plain {i}" for i in range(7)] + ["risky x"]
    write_inputs(tmp_path / "inputs.jsonl", prompts)
    for index in range(3):
        run_detect(config(tmp_path, shard=ShardConfig(index, 3)), backend=Judge(scripted))
    parts = sorted(p.name for p in tmp_path.glob("detections.part-*.jsonl"))
    assert parts == [f"detections.part-0000{i}-of-00003.jsonl" for i in range(3)]
    sizes = [len(list(read_jsonl(tmp_path / p))) for p in parts]
    assert sizes == [3, 3, 2]
    merged = read_detections(tmp_path / "detections.jsonl")
    assert len(merged) == 8 and sum(r["verdict"] == "risky" for r in merged.values()) == 1
    assert merge_stage(tmp_path / "detections.jsonl", "input_id") == 8
    assert not list(tmp_path.glob("detections.part-*.jsonl"))
    assert len(read_detections(tmp_path / "detections.jsonl")) == 8


class SlowJudgeBackend:
    """Behind a real HTTP server: a detection answer per input, 0.1 s per call."""

    model_name = "slow-judge"

    def __init__(self):
        self.usage = Usage()

    def chat(self, conversations, *, max_tokens, temperature=0.0, top_p=1.0, seed=0, stop=()):
        time.sleep(0.1)
        out = []
        for conv in conversations:
            text = re.search(r'"""\n(.*)\n"""', conv[-1]["content"], re.S).group(1)
            out.append(ChatResult(text="Final answer: " + ("Yes" if "risky" in text else "No"), completion_tokens=3))
        return out


def test_resume_after_killing_a_real_run(tmp_path):
    prompts = [f"{'risky' if i % 3 == 0 else 'plain'} input number {i}" for i in range(40)]
    write_inputs(tmp_path / "inputs.jsonl", prompts)
    out = tmp_path / "detections.jsonl"
    with ChatServer(SlowJudgeBackend(), max_batch_size=2) as server:
        args = [sys.executable, "-m", "gajax.cli", "detect", f"inputs={tmp_path / 'inputs.jsonl'}", f"output={out}",
                "llm.backend=openai", f"llm.openai.base_url={server.url}", "llm.openai.model=slow-judge",
                "llm.openai.api_key_env=", "llm.openai.concurrency=2", "chunk_size=2", "num_exemplars=1",
                "shard.index=0", "shard.count=1", "progress=false"]
        env = {**os.environ, "JAX_PLATFORMS": "cpu"}
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if out.exists() and len(out.read_bytes().splitlines()) >= 6:
                break
            time.sleep(0.05)
        assert proc.poll() is None, proc.communicate()[1].decode()[-2000:]
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        partial = out.read_bytes().splitlines()
        assert 6 <= len(partial) < 40
        rerun = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
        assert rerun.returncode == 0, rerun.stderr[-2000:]
    records = list(read_jsonl(out))
    ids = [r["input_id"] for r in records]
    assert len(ids) == len(set(ids)) == 40  # no duplicates, no gaps
    assert sum(r["verdict"] == "risky" for r in records) == 14
    summary = json.loads((tmp_path / "detections.summary.json").read_text())
    assert summary["counts"]["already_done"] >= 6 and summary["counts"]["already_done"] + summary["counts"][
        "risky"] + summary["counts"].get("safe", 0) == 40
