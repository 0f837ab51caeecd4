"""KV-cache generation: parity with full recomputation, batching, sampling, buckets, stops, sharding, resume."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from gajax import generate as gen
from gajax.generate import GenerateConfig, Generator, Sampling, generate_tokens, run_generate
from gajax.models.llama import Llama, load_arch
from gajax.records import RecordError
from gajax.sampling import top_p_filter
from gajax.sharding import MeshConfig, make_mesh, state_shardings

REPO = Path(__file__).resolve().parents[1]


class ByteTokenizer:
    """A stand-in tokenizer for the tiny model: one token per UTF-8 byte; ids 0-2 are pad, eos and bos."""

    pad_id, eos_id, bos_id, vocab_size = 0, 1, 2, 256
    stop_ids = frozenset({1})

    def encode(self, text: str, add_special_tokens: bool = False) -> list[int]:
        return [self.bos_id] * add_special_tokens + list(text.encode("utf-8"))

    def decode(self, ids: list[int], skip_special_tokens: bool = True) -> str:
        return bytes(i for i in ids if i > 2 or not skip_special_tokens).decode("utf-8", errors="replace")

    def apply_chat_template(self, messages: list[dict], add_generation_prompt: bool = True) -> str:
        text = "".join(f"<{m['role']}>{m['content']}\n" for m in messages)
        return text + ("<assistant>" if add_generation_prompt else "")


@pytest.fixture(scope="module")
def tiny():
    return load_arch("tiny")


@pytest.fixture(scope="module")
def model(tiny):
    return Llama(tiny, rngs=nnx.Rngs(7))


def _prompts(lengths, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(3, 256, n).tolist() for n in lengths]


def test_cache_decoding_matches_full_recompute(model):
    prompts = _prompts([3, 11, 29, 40])  # lengths across two buckets, left-padded together
    results = Generator(model, pad_id=0).generate(prompts, Sampling(max_new_tokens=12), return_logits=True)
    # The whole sequences recomputed without a cache, right-padded (padding after the real tokens changes nothing).
    sequences = [p + r.tokens for p, r in zip(prompts, results, strict=True)]
    width = max(map(len, sequences))
    tokens = np.array([s + [0] * (width - len(s)) for s in sequences])
    segments = np.array([[1] * len(s) + [0] * (width - len(s)) for s in sequences])
    full, _ = jax.jit(lambda m, t, s: m(t, segment_ids=s))(model, tokens, segments)
    for row, (prompt, res) in enumerate(zip(prompts, results, strict=True)):
        assert len(res.tokens) == 12 and res.finish_reason == "length"
        expected = np.asarray(full[row, len(prompt) - 1 : len(prompt) + 11])
        np.testing.assert_allclose(res.logits, expected, atol=1e-4, rtol=1e-4)
        assert res.tokens == expected.argmax(-1).tolist()


def test_batched_equals_one_at_a_time(model):
    prompts = _prompts([5, 17, 2, 31, 9], seed=1)
    settings = Sampling(max_new_tokens=12, batch_size=8)
    batched = generate_tokens(model, prompts, settings, pad_id=0)
    for prompt, res in zip(prompts, batched, strict=True):
        alone = generate_tokens(model, [prompt], settings, pad_id=0)[0]
        assert alone.tokens == res.tokens


def test_seeded_sampling_is_reproducible_and_batch_independent(model):
    prompts = _prompts([6, 14, 21], seed=2)
    settings = Sampling(max_new_tokens=12, temperature=1.0, top_p=0.95, seed=11, batch_size=3)
    first = [r.tokens for r in generate_tokens(model, prompts, settings, pad_id=0)]
    again = [r.tokens for r in generate_tokens(model, prompts, settings, pad_id=0)]
    assert first == again
    # Each row has its own random stream: batching them one by one samples the same tokens.
    one_by_one = [r.tokens for r in generate_tokens(model, prompts, Sampling(**{**vars(settings), "batch_size": 1}),
                                                    pad_id=0)]
    assert one_by_one == first
    other_seed = [r.tokens for r in generate_tokens(model, prompts, Sampling(**{**vars(settings), "seed": 12}),
                                                    pad_id=0)]
    assert other_seed != first
    greedy = [r.tokens for r in generate_tokens(model, prompts, Sampling(max_new_tokens=12), pad_id=0)]
    assert greedy != first  # a random tiny model is close to uniform: sampling must differ from argmax


def test_top_k_one_equals_greedy(model):
    prompts = _prompts([4, 19, 30], seed=3)
    greedy = generate_tokens(model, prompts, Sampling(max_new_tokens=12), pad_id=0)
    top1 = generate_tokens(model, prompts, Sampling(max_new_tokens=12, temperature=1.5, top_k=1, seed=5), pad_id=0)
    assert [r.tokens for r in top1] == [r.tokens for r in greedy]


def test_top_p_filter_matches_numpy_reference():
    rng = np.random.default_rng(4)
    logits = rng.normal(size=(6, 50)).astype(np.float32) * 2
    for top_p in (0.05, 0.3, 0.9, 0.999):
        filtered = np.asarray(top_p_filter(jnp.asarray(logits), jnp.float32(top_p)))
        for row, out in zip(logits, filtered, strict=True):
            probs = np.exp(row - row.max())
            probs /= probs.sum()
            order = np.argsort(-probs)
            count = int(np.searchsorted(np.cumsum(probs[order]), top_p) + 1)  # smallest prefix reaching top_p
            expected = np.zeros(row.shape, bool)
            expected[order[:count]] = True
            np.testing.assert_array_equal(np.isfinite(out), expected)
            np.testing.assert_array_equal(out[expected], row[expected])


def test_prompt_lengths_in_one_bucket_compile_once(model):
    engine = Generator(model, pad_id=0)
    settings = Sampling(max_new_tokens=12)
    engine.generate(_prompts([7, 3, 1]), settings)
    prefills, decodes = gen._prefill._cache_size(), gen._decode._cache_size()
    engine.generate(_prompts([12, 20, 32], seed=9), settings)  # new lengths, same bucket (32)
    assert (gen._prefill._cache_size(), gen._decode._cache_size()) == (prefills, decodes)
    engine.generate(_prompts([45, 20, 3]), settings)  # a longer bucket (48) compiles a new prefill
    assert gen._prefill._cache_size() == prefills + 1


def test_stop_token_and_max_new_tokens(model):
    prompts = _prompts([8, 15, 23], seed=5)
    free = generate_tokens(model, prompts, Sampling(max_new_tokens=12), pad_id=0)
    assert all(len(r.tokens) == 12 and r.finish_reason == "length" for r in free)  # max_new_tokens respected
    stop = free[0].tokens[4]
    first = free[0].tokens.index(stop)
    stopped = generate_tokens(model, prompts, Sampling(max_new_tokens=12), pad_id=0, stop_ids={stop})
    assert stopped[0].tokens == free[0].tokens[: first + 1]
    assert stopped[0].finish_reason == "stop"
    # The other rows end at their own first occurrence of the stop token, or run to max_new_tokens.
    for other, res in zip(free[1:], stopped[1:], strict=True):
        cut = other.tokens.index(stop) + 1 if stop in other.tokens else len(other.tokens)
        assert res.tokens == other.tokens[:cut]


def test_stop_string_cuts_text_and_ends_the_row(model):
    # One distinct character per token, so a stop string maps to exactly one token.
    detok = lambda ids: "".join(chr(0x4E00 + t) for t in ids)
    prompts = _prompts([10], seed=6)
    engine = Generator(model, pad_id=0, detokenize=detok)
    free = engine.generate(prompts, Sampling(max_new_tokens=12))[0]
    target = free.tokens[4]
    first = free.tokens.index(target)
    stopped = engine.generate(prompts, Sampling(max_new_tokens=12, stop=(detok([target]),)), chunk=3)[0]
    assert stopped.text == detok(free.tokens[:first])
    assert stopped.finish_reason == "stop"
    # Strings are checked after the prefill (1 token) and after every chunk of 3 steps: 1, 4, 7, 10, 12 tokens.
    assert len(stopped.tokens) == min(n for n in (1, 4, 7, 10, 12) if n > first)
    assert stopped.tokens == free.tokens[: len(stopped.tokens)]


def test_prompt_longer_than_context_names_sizes(model, tiny):
    with pytest.raises(ValueError, match=rf"250 tokens; with max_new_tokens=10 .*260 .*context of {tiny.max_seq_len}"):
        Generator(model, pad_id=0).generate(_prompts([5, 250]), Sampling(max_new_tokens=10))


def test_sharded_generation_matches_single_device(model, tiny):
    assert jax.device_count() == 8, "run with XLA_FLAGS=--xla_force_host_platform_device_count=8"
    mesh = make_mesh(MeshConfig(data=1, fsdp=2, tensor=4))
    graphdef, state = nnx.split(model)
    sharded = nnx.merge(graphdef, jax.device_put(state, state_shardings(state, mesh)))
    assert len(sharded.layers.q_proj[...].sharding.device_set) == 8
    prompts = _prompts([4, 13, 27], seed=7)
    settings = Sampling(max_new_tokens=12, temperature=0.8, top_k=20, seed=3)
    single = Generator(model, pad_id=0).generate(prompts, settings, return_logits=True)
    multi = Generator(sharded, pad_id=0, mesh=mesh).generate(prompts, settings, return_logits=True)
    for a, b in zip(single, multi, strict=True):
        assert a.tokens == b.tokens
        np.testing.assert_allclose(a.logits, b.logits, atol=1e-4, rtol=1e-4)


# ---------------------------------------------------------------------------------------------------------------
# gajax generate: JSONL in, resumable JSONL out


def _write_prompts(path: Path, count: int) -> list[str]:
    ids = [f"p{i:03d}" for i in range(count)]
    path.write_text("".join(json.dumps({"id": i, "prompt": f"question {i}?"}) + "\n" for i in ids))
    return ids


def _output_ids(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text().splitlines()]


def test_run_generate_resumes_after_a_partial_file(model, tmp_path, monkeypatch):
    monkeypatch.setattr(gen, "_load", lambda model_cfg, mesh_cfg: (model, ByteTokenizer(), None))
    src, out = tmp_path / "prompts.jsonl", tmp_path / "out.jsonl"
    ids = _write_prompts(src, 7)
    cfg = GenerateConfig(input=str(src), output=str(out), max_new_tokens=12, batch_size=4, progress=False)
    run_generate(cfg)
    complete = out.read_text().splitlines()
    assert _output_ids(out) == ids
    # A run killed mid-write: three finished lines and half of the fourth.
    out.write_text("\n".join(complete[:3]) + "\n" + complete[3][:25])
    run_generate(cfg)
    assert sorted(_output_ids(out)) == ids  # no duplicates, no gaps
    assert out.read_text().splitlines() == complete  # greedy: the redone records are identical


def test_run_generate_names_a_malformed_line(tmp_path):
    src = tmp_path / "prompts.jsonl"
    src.write_text('{"id": "a", "prompt": "hi"}\n{"id": "b", "prompt": 3}\n')
    with pytest.raises(RecordError, match=r"prompts.jsonl:2: field 'prompt' must be str"):
        run_generate(GenerateConfig(input=str(src), output=str(tmp_path / "out.jsonl")))
    src.write_text('{"id": "a", "prompt": "hi"}\n{"id": "b", "prompt": \n')
    with pytest.raises(RecordError, match=r"prompts.jsonl:2: not valid JSON"):
        run_generate(GenerateConfig(input=str(src), output=str(tmp_path / "out.jsonl")))


def test_killed_generate_process_resumes_without_duplicates_or_gaps(tmp_path):
    src, out = tmp_path / "prompts.jsonl", tmp_path / "out.jsonl"
    ids = _write_prompts(src, 40)
    command = [
        sys.executable, "-m", "gajax.cli", "generate", f"input={src}", f"output={out}",
        "model.weights=random", "model.arch=tiny_chat", "max_new_tokens=8", "batch_size=1", "progress=false",
    ]  # fmt: skip
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "XLA_FLAGS": ""}
    proc = subprocess.Popen(command, cwd=REPO, env=env, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if out.exists() and len(out.read_text().splitlines()) >= 2:
            break
        time.sleep(0.05)
    assert proc.poll() is None, f"the run ended before it could be killed: {proc.stderr.read().decode()[-2000:]}"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    complete_lines = out.read_text().split("\n")[:-1]  # a partial last line (if any) is not a record yet
    assert 2 <= len(complete_lines) < len(ids)
    # The restart may batch differently: records are keyed by id, not by position.
    done = subprocess.run([*command, "batch_size=8"], cwd=REPO, env=env, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert sorted(_output_ids(out)) == ids


# ---------------------------------------------------------------------------------------------------------------
# The real SmolLM2-135M-Instruct against transformers' greedy generate


CHATS = [
    [{"role": "user", "content": "What is the capital of France?"}],
    [{"role": "system", "content": "You are a terse assistant."}, {"role": "user", "content": "Name three colours."}],
    [{"role": "user", "content": "Write a haiku about the sea."}],
]


@pytest.mark.slow
def test_smollm2_greedy_text_matches_transformers():
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("accelerate")
    from gajax.decoder import DecoderConfig, load_decoder, smollm2_gguf_path

    path = smollm2_gguf_path()
    single_device = make_mesh(MeshConfig(), devices=jax.devices()[:1])
    model, tokenizer = load_decoder(DecoderConfig(weights="smollm2"), mesh=single_device)
    prompts = [tokenizer.encode(tokenizer.apply_chat_template(c), add_special_tokens=False) for c in CHATS]
    ours = generate_tokens(
        model, prompts, Sampling(max_new_tokens=32), pad_id=tokenizer.pad_id, stop_ids=tokenizer.stop_ids
    )  # all three prompts in one left-padded batch

    reference = transformers.AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name, dtype=torch.float32)
    stop_ids = sorted(tokenizer.stop_ids)
    for prompt, res in zip(prompts, ours, strict=True):
        with torch.no_grad():
            out = reference.generate(
                torch.tensor([prompt]), max_new_tokens=32, do_sample=False, eos_token_id=stop_ids,
                pad_token_id=tokenizer.pad_id,
            )  # fmt: skip
        expected = out[0, len(prompt) :].tolist()
        assert res.tokens == expected
        assert tokenizer.decode(res.tokens) == tokenizer.decode(expected)


def test_run_generate_refuses_a_resume_with_other_settings(model, tmp_path, monkeypatch):
    from gajax.resume import ResumeMismatch

    monkeypatch.setattr(gen, "_load", lambda model_cfg, mesh_cfg: (model, ByteTokenizer(), None))
    src, out = tmp_path / "prompts.jsonl", tmp_path / "out.jsonl"
    ids = _write_prompts(src, 4)
    run_generate(GenerateConfig(input=str(src), output=str(out), max_new_tokens=16, progress=False))
    out.write_text("\n".join(out.read_text().splitlines()[:2]) + "\n")  # killed after two records
    other = {"input": str(src), "output": str(out), "max_new_tokens": 4, "temperature": 0.7, "progress": False}
    with pytest.raises(ResumeMismatch, match=r"max_new_tokens: 16 then, 4 now; temperature: 0\.0 then, 0\.7 now"):
        run_generate(GenerateConfig(**other))
    assert _output_ids(out) == ids[:2]  # nothing appended
    assert run_generate(GenerateConfig(**other, resume="force")) == 0
    assert _output_ids(out) == ids


def test_run_generate_skips_and_reports_a_too_long_prompt(model, tiny, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(gen, "_load", lambda model_cfg, mesh_cfg: (model, ByteTokenizer(), None))
    src, out = tmp_path / "prompts.jsonl", tmp_path / "out.jsonl"
    long_prompt = "x" * tiny.max_seq_len
    src.write_text("".join(json.dumps(r) + "\n" for r in (
        {"id": "a", "prompt": "short one"}, {"id": "long", "prompt": long_prompt}, {"id": "c", "prompt": "fine"})))
    assert run_generate(GenerateConfig(input=str(src), output=str(out), max_new_tokens=4, progress=False)) == 1
    assert _output_ids(out) == ["a", "c"]  # the others are generated
    err = capsys.readouterr().err
    assert f"{src}:2: prompt id 'long' has {tiny.max_seq_len + 18} tokens" in err  # <user>...\n<assistant>
    failures = [json.loads(line) for line in (tmp_path / "out.failures.jsonl").read_text().splitlines()]
    assert [(f["input_id"], f["line"], f["code"]) for f in failures] == [("long", 2, "context_length_exceeded")]


@pytest.mark.parametrize(("lines", "needle"), [
    ('{"id": "a", "prompt": "x"}\n{"id": "a", "prompt": "y"}\n', r"prompts\.jsonl:2: id 'a' is used before, on line 1"),
    ('{"id": 1, "prompt": "x"}\n{"id": "1", "prompt": "y"}\n', r"prompts\.jsonl:2: id '1' is used before"),
    ('{"id": ["r2"], "prompt": "x"}\n', r"prompts\.jsonl:1: field 'id' must be a string or integer, got list"),
])
def test_run_generate_validates_ids(tmp_path, lines, needle):
    src = tmp_path / "prompts.jsonl"
    src.write_text(lines)
    with pytest.raises(RecordError, match=needle):
        run_generate(GenerateConfig(input=str(src), output=str(tmp_path / "out.jsonl")))
