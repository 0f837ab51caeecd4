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
from qa_examples import EXAMPLES

from gajax.config import load_config, resolve_config_path
from gajax.decoder import load_tokenizer
from gajax.finetune.data import encode_sft_records, pack
from gajax.finetune.losses import PREFERENCE_LOSSES, dpo_loss
from gajax.finetune.step import batch_axes, make_sft_step
from gajax.finetune.train import FinetuneConfig, run_finetune
from gajax.models.llama import Llama, load_arch
from gajax.optimizer import OptimizerConfig, build_optimizer
from gajax.records import RecordError
from gajax.sharding import MeshConfig, batch_shardings, create_sharded, make_mesh
from gajax.trainer import init_train_state, jit_train_step, train_state_shardings

ROOT = Path(__file__).resolve().parents[2]



@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer("smollm2")


@pytest.fixture(scope="module")
def tiny_arch():
    """A tiny decoder with SmolLM2's vocabulary, so the real tokenizer and chat template drive it."""
    return "tiny_chat"


def test_prompt_tokens_carry_no_loss_and_eos_appears_once(tokenizer):
    records = [{"prompt": p, "response": r} for p, r in EXAMPLES[:3]]
    records.append({"prompt": "Echo.", "response": "Done.<|im_end|>"})  # an EOS spelled out is not doubled
    examples, stats = encode_sft_records(records, tokenizer, max_length=512, max_prompt_length=256)
    eos = tokenizer.eos_id
    for record, ex in zip(records, examples, strict=True):
        prompt_ids = tokenizer.encode(
            tokenizer.apply_chat_template([{"role": "user", "content": record["prompt"]}], add_generation_prompt=True)
        )
        n = len(prompt_ids)
        assert ex.tokens[:n].tolist() == prompt_ids
        assert ex.response_mask[:n].sum() == 0 and ex.response_mask[n:].all()
        assert ex.tokens[-1] == eos and int((ex.tokens[n:] == eos).sum()) == 1
        assert tokenizer.bos_id is None or tokenizer.bos_id not in ex.tokens[n:].tolist()
        assert tokenizer.decode(ex.tokens[n:-1]) == record["response"].replace("<|im_end|>", "")
    assert stats.prompts_truncated == stats.responses_truncated == 0


def test_truncation_rule_is_counted(tokenizer):
    long_prompt = "word " * 200
    long_answer = "answer " * 200
    examples, stats = encode_sft_records(
        [{"prompt": long_prompt, "response": long_answer}], tokenizer, max_length=96, max_prompt_length=32
    )
    (ex,) = examples
    assert len(ex.tokens) == 96 and ex.response_mask[:32].sum() == 0 and ex.response_mask[32:].all()
    # The prompt keeps its end (the assistant turn marker), the response loses its end and its EOS.
    assert tokenizer.decode(ex.tokens[:32], skip_special_tokens=False).endswith("<|im_start|>assistant\n")
    assert ex.tokens[-1] != tokenizer.eos_id
    assert (stats.prompts_truncated, stats.responses_truncated) == (1, 1)


def test_missing_response_names_the_record(tokenizer):
    with pytest.raises(RecordError, match=r"guided\.jsonl:2: record has no 'response'"):
        encode_sft_records(
            [{"prompt": "a", "response": "b"}, {"prompt": "c"}],
            tokenizer,
            max_length=64,
            max_prompt_length=32,
            source="guided.jsonl",
        )


def test_packing_keeps_segments_apart(tokenizer):
    examples, _ = encode_sft_records(
        [{"prompt": p, "response": r} for p, r in EXAMPLES], tokenizer, max_length=129, max_prompt_length=64
    )
    rows = pack(examples, 128)
    total = sum(len(e.tokens) - 1 for e in examples)
    assert rows["segment_ids"].astype(bool).sum() == total
    assert rows["loss_mask"].sum() == sum(int(e.response_mask[1:].sum()) for e in examples)
    for r in range(len(rows["inputs"])):
        segs = rows["segment_ids"][r]
        for s in set(segs.tolist()) - {0}:
            where = np.flatnonzero(segs == s)
            assert rows["positions"][r, where].tolist() == list(range(len(where)))
            # Within a segment, targets are the next inputs.
            np.testing.assert_array_equal(rows["targets"][r, where[:-1]], rows["inputs"][r, where[1:]])


def _log_sigmoid(x: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0.0, -x)


def _numpy_preference_losses(pc, pr, rc, rr, beta, eps):
    """Each DPO-family loss written from its paper's formula (TRL's names), per pair."""
    chosen, rejected = beta * (pc - rc), beta * (pr - rr)
    h = chosen - rejected
    return {
        "sigmoid": -(1 - eps) * _log_sigmoid(h) - eps * _log_sigmoid(-h),
        "hinge": np.maximum(0.0, 1 - h),
        "ipo": ((pc - rc) - (pr - rr) - 1 / (2 * beta)) ** 2,
        "robust": ((1 - eps) * -_log_sigmoid(h) - eps * -_log_sigmoid(-h)) / (1 - 2 * eps),
        "nca_pair": -_log_sigmoid(chosen) - 0.5 * _log_sigmoid(-chosen) - 0.5 * _log_sigmoid(-rejected),
    }


@pytest.mark.parametrize("loss_type", PREFERENCE_LOSSES)
def test_preference_losses_match_numpy(loss_type):
    rng = np.random.default_rng(0)
    pc, pr, rc, rr = (rng.normal(size=16).astype(np.float32) * 5 for _ in range(4))
    beta, eps = 0.3, 0.1
    loss, metrics = dpo_loss(*(jnp.asarray(x) for x in (pc, pr, rc, rr)), beta=beta, label_smoothing=eps,
                             loss_type=loss_type)
    expected = np.mean(_numpy_preference_losses(pc, pr, rc, rr, beta, eps)[loss_type])
    np.testing.assert_allclose(float(loss), expected, rtol=1e-5)
    z = beta * ((pc - rc) - (pr - rr))
    np.testing.assert_allclose(float(metrics["rewards/margin"]), np.mean(z), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(float(metrics["rewards/accuracy"]), np.mean(z > 0), rtol=1e-6)
    np.testing.assert_allclose(float(metrics["rewards/chosen"]), beta * np.mean(pc - rc), rtol=1e-5)


def test_unknown_preference_loss_is_refused():
    x = jnp.zeros(2)
    with pytest.raises(ValueError, match="nca_pair"):
        dpo_loss(x, x, x, x, loss_type="kto")


def test_train_step_on_8_devices_equals_1_device():
    cfg = load_arch("tiny")
    rng = np.random.default_rng(0)
    shape = (2, 8, 16)  # (accum, batch, length)
    batch = {
        "inputs": rng.integers(0, cfg.vocab_size, shape),
        "targets": rng.integers(0, cfg.vocab_size, shape),
        "loss_mask": (rng.random(shape) > 0.3).astype(np.int32),
        "segment_ids": np.ones(shape, np.int32),
        "positions": np.broadcast_to(np.arange(16), shape),
    }
    batch = {k: jnp.asarray(v, jnp.int32) for k, v in batch.items()}
    tx = build_optimizer(OptimizerConfig(learning_rate=1e-3, warmup_steps=1), 10)
    curves, finals = [], []
    for mesh_cfg, count in ((MeshConfig(), 1), (MeshConfig(data=2, fsdp=2, tensor=2), 8)):
        mesh = make_mesh(mesh_cfg, jax.devices()[:count])
        graphdef, params = nnx.split(create_sharded(lambda: Llama(cfg, rngs=nnx.Rngs(0)), mesh))
        shardings = train_state_shardings(tx, params, mesh)
        with jax.set_mesh(mesh):
            state = jax.jit(lambda p: init_train_state(p, tx), out_shardings=shardings)(params)
            step = jit_train_step(make_sft_step(graphdef, tx), shardings, batch_shardings(mesh, batch_axes("sft")),
                                  mesh)
            losses = []
            for _ in range(3):
                state, metrics = step(state, batch)
                losses.append(float(metrics["loss"]))
        curves.append(losses)
        finals.append(np.asarray(state["params"]["layers"]["q_proj"][...]))
    np.testing.assert_allclose(curves[1], curves[0], rtol=1e-5)
    np.testing.assert_allclose(finals[1], finals[0], atol=1e-5)


def _write_data(path: Path, n: int = 8) -> Path:
    with path.open("w") as f:
        for i, (p, r) in enumerate((EXAMPLES * 4)[:n]):
            f.write(json.dumps({"input_id": str(i), "prompt": p, "response": r, "unguided_response": "I don't know."})
                    + "\n")
    return path


def _config(tmp_path: Path, arch: Path, out: str, *extra: str) -> FinetuneConfig:
    return load_config(
        FinetuneConfig,
        "sft",
        [
            "model.weights=random",
            f"model.arch={arch}",
            f"data.path={_write_data(tmp_path / 'guided.jsonl')}",
            f"trainer.output_dir={tmp_path / out}",
            "train.seq_len=64",
            "train.micro_batch=2",
            "train.grad_accum=2",
            "trainer.checkpoint_every=2",
            "trainer.async_checkpoints=false",
            "data.pack=false",
            "mesh.devices=1",
            *extra,
        ],
    )


def _losses(run_dir: Path) -> dict[int, float]:
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return {r["step"]: r["loss"] for r in rows}


def test_sft_overfits_and_exports_to_transformers(tmp_path, tiny_arch, tokenizer):
    torch = pytest.importorskip("torch")
    from transformers import LlamaForCausalLM

    cfg = _config(tmp_path, tiny_arch, "sft", "train.epochs=30", "optimizer.learning_rate=1e-2",
                  "optimizer.warmup_steps=2", "trainer.checkpoint_every=1000")
    run_finetune(cfg, "sft")
    losses = _losses(tmp_path / "sft")
    first, last = losses[min(losses)], losses[max(losses)]
    assert last < 0.25 * first, (first, last)

    hf = LlamaForCausalLM.from_pretrained(tmp_path / "sft" / "hf", torch_dtype=torch.float32).eval()
    ids = tokenizer.encode("Name a primary colour.")
    with torch.no_grad():
        theirs = hf(torch.tensor([ids])).logits.numpy()
    from gajax.convert.hf_llama import load_hf_llama

    ours, _ = load_hf_llama(tmp_path / "sft" / "hf")
    np.testing.assert_allclose(np.asarray(ours(jnp.asarray([ids]))[0]), theirs, atol=1e-4)


@pytest.mark.parametrize("loss_type", ["sigmoid", "ipo", "nca_pair"])
def test_dpo_margin_grows(tmp_path, tiny_arch, loss_type):
    cfg = _config(tmp_path, tiny_arch, "dpo", "train.epochs=6", "optimizer.learning_rate=5e-3",
                  "data.chosen_field=response", "data.rejected_field=unguided_response", "trainer.export_hf=false",
                  "trainer.checkpoint_every=1000", f"dpo.loss_type={loss_type}")
    metrics = run_finetune(cfg, "dpo")
    rows = [json.loads(line) for line in (tmp_path / "dpo" / "metrics.jsonl").read_text().splitlines()]
    assert rows[0]["rewards/margin"] == pytest.approx(0.0, abs=1e-3)  # policy == reference at the first step
    # IPO averages log-probs over tokens, so its margins are per-token and smaller than the summed ones.
    assert metrics["rewards/margin"] > (0.1 if loss_type == "ipo" else 1.0)
    assert metrics["rewards/accuracy"] == 1.0
    assert rows[-1]["loss"] < rows[0]["loss"]


def test_resume_reproduces_the_uninterrupted_curve(tmp_path, tiny_arch):
    common = ("train.epochs=3", "optimizer.learning_rate=1e-3", "trainer.export_hf=false")
    run_finetune(_config(tmp_path, tiny_arch, "straight", *common), "sft")
    # Stop after step 3 (checkpoints at 2 and at the stop), then resume to the end.
    run_finetune(_config(tmp_path, tiny_arch, "resumed", *common, "trainer.steps=3"), "sft")
    run_finetune(_config(tmp_path, tiny_arch, "resumed", *common), "sft")
    straight, resumed = _losses(tmp_path / "straight"), _losses(tmp_path / "resumed")
    assert sorted(straight) == sorted(resumed) == list(range(1, 7))
    for step in straight:
        assert resumed[step] == pytest.approx(straight[step], rel=1e-6), step


@pytest.mark.slow
def test_sigterm_saves_and_resume_continues(tmp_path, tiny_arch):
    out = tmp_path / "killed"
    args = [
        sys.executable, "-m", "gajax.cli", "sft", "model.weights=random", f"model.arch={tiny_arch}",
        f"data.path={_write_data(tmp_path / 'guided.jsonl')}", f"trainer.output_dir={out}", "train.seq_len=64",
        "train.micro_batch=2", "train.grad_accum=2", "train.epochs=40", "trainer.checkpoint_every=1000",
        "trainer.export_hf=false", "data.pack=false",
    ]
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=1", "JAX_PLATFORMS": "cpu"}
    proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None:
        if (out / "metrics.jsonl").exists() and len((out / "metrics.jsonl").read_text().splitlines()) >= 3:
            break
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=240)
    assert proc.returncode == 0, err[-2000:]
    assert "SIGTERM: saved step" in err
    stopped_at = max(_losses(out))
    assert stopped_at < 80
    subprocess.run(args, env=env, cwd=ROOT, check=True, capture_output=True)
    assert sorted(_losses(out)) == list(range(1, 81))


def test_frozen_reference_equals_precomputed(tmp_path, tiny_arch):
    common = ("train.epochs=2", "optimizer.learning_rate=5e-3", "data.chosen_field=response",
              "data.rejected_field=unguided_response", "trainer.export_hf=false", "trainer.checkpoint_every=1000")
    run_finetune(_config(tmp_path, tiny_arch, "pre", *common), "dpo")
    run_finetune(_config(tmp_path, tiny_arch, "frozen", *common, "dpo.precompute_ref_log_probs=false"), "dpo")
    pre, frozen = _losses(tmp_path / "pre"), _losses(tmp_path / "frozen")
    assert sorted(pre) == sorted(frozen) and len(pre) == 4
    for step in pre:
        assert frozen[step] == pytest.approx(pre[step], rel=1e-5), step


def test_checkpoint_of_another_model_is_refused(tmp_path, tiny_arch):
    common = ("train.epochs=1", "trainer.export_hf=false")
    run_finetune(_config(tmp_path, tiny_arch, "run", *common), "sft")
    other = tmp_path / "other.yaml"
    other.write_text(resolve_config_path("tiny_chat", "model").read_text().replace("mlp_dim: 64", "mlp_dim: 96"))
    with pytest.raises(ValueError, match="checkpoint of another model"):
        run_finetune(_config(tmp_path, other, "run", *common), "sft")


def test_checkpoint_restores_onto_other_meshes(tmp_path):
    from gajax.checkpoint import CheckpointManager, abstract_target

    cfg = load_arch("tiny")
    tx = build_optimizer(OptimizerConfig(), 10)

    def state_on(count, mesh_cfg):
        mesh = make_mesh(mesh_cfg, jax.devices()[:count])
        _, params = nnx.split(create_sharded(lambda: Llama(cfg, rngs=nnx.Rngs(7)), mesh))
        shardings = train_state_shardings(tx, params, mesh)
        with jax.set_mesh(mesh):
            state = jax.jit(lambda p: init_train_state(p, tx), out_shardings=shardings)(params)
        return state, shardings

    saved, _ = state_on(8, MeshConfig(fsdp=4, tensor=2))
    saved["step"] = jnp.asarray(5, jnp.int32)
    with CheckpointManager(tmp_path / "ckpt", keep=1) as manager:
        manager.save(5, saved, {"arch": "tiny"})
    expected = np.asarray(saved["params"]["layers"]["q_proj"][...])
    for count, mesh_cfg in ((1, MeshConfig()), (4, MeshConfig(fsdp=2, tensor=2))):
        template, shardings = state_on(count, mesh_cfg)
        with CheckpointManager(tmp_path / "ckpt", keep=1) as manager:
            restored, meta = manager.restore(abstract_target(template, shardings))
        q = restored["params"]["layers"]["q_proj"][...]
        assert int(restored["step"]) == 5 and meta == {"arch": "tiny"}
        assert len(q.sharding.device_set) == count
        np.testing.assert_array_equal(np.asarray(q), expected)


# ---------------------------------------------------------------------------------------------------------------
# Faults: damaged checkpoints, divergence, resumes with other settings, bad data


def _overwrite_4kb_in_step_data(checkpoints: Path, step: int) -> None:
    data = max((checkpoints / str(step) / "state" / "ocdbt.process_0" / "d").iterdir(), key=lambda p: p.stat().st_size)
    with data.open("r+b") as f:
        f.seek(data.stat().st_size // 2)
        f.write(b"\xff" * 4096)


def test_damaged_checkpoint_falls_back_to_the_newest_good_step(tmp_path, tiny_arch, caplog):
    from gajax.checkpoint import CheckpointManager

    common = ("train.epochs=3", "optimizer.learning_rate=1e-3", "trainer.export_hf=false")  # 2 steps per epoch
    run_finetune(_config(tmp_path, tiny_arch, "run", *common, "trainer.steps=4"), "sft")
    checkpoints = tmp_path / "run" / "checkpoints"
    _overwrite_4kb_in_step_data(checkpoints, 4)
    with caplog.at_level("WARNING"):
        run_finetune(_config(tmp_path, tiny_arch, "run", *common, "trainer.steps=6"), "sft")
    assert "checkpoint step 4 is damaged" in caplog.text and "resumed from" in caplog.text
    assert f"moved damaged checkpoint step 4 to {checkpoints / '4.damaged'}" in caplog.text
    assert (checkpoints / "4.damaged").is_dir()
    losses = _losses(tmp_path / "run")
    assert max(losses) == 6 and all(np.isfinite(v) for v in losses.values())
    with CheckpointManager(checkpoints) as manager:
        assert manager.all_steps() == [2, 4, 6]  # step 4 trained again from step 2; the damaged copy set aside
        for step in manager.all_steps():
            manager.metadata(step)


def test_non_finite_loss_stops_the_run_and_keeps_the_last_finite_checkpoint(tmp_path, tiny_arch):
    from gajax.checkpoint import CheckpointManager
    from gajax.trainer import TrainingDiverged

    cfg = _config(tmp_path, tiny_arch, "diverge", "train.epochs=4", "optimizer.learning_rate=1e30",
                  "optimizer.max_grad_norm=0", "trainer.checkpoint_every=1", "trainer.export_hf=false")
    with pytest.raises(TrainingDiverged, match=r"at step (\d+); stopped without saving it \(step \d+ in .* is the "
                       r"newest finite checkpoint\)"):
        run_finetune(cfg, "sft")
    checkpoints = tmp_path / "diverge" / "checkpoints"
    with CheckpointManager(checkpoints) as manager:
        steps = manager.all_steps()
        assert steps and max(steps) < 8
    # Every kept step holds a finite state (the restore verifies it), so a rerun resumes from the newest one.
    with pytest.raises(TrainingDiverged):
        run_finetune(cfg, "sft")


def test_resume_with_other_settings_is_refused_unless_forced(tmp_path, tiny_arch):
    from gajax.resume import ResumeMismatch

    common = ("train.epochs=2", "trainer.export_hf=false")
    run_finetune(_config(tmp_path, tiny_arch, "run", *common, "optimizer.learning_rate=1e-3", "trainer.steps=2"),
                 "sft")
    config_before = (tmp_path / "run" / "config.yaml").read_text()
    with pytest.raises(ResumeMismatch, match=r"optimizer\.learning_rate: 0\.001 then, 0\.002 now.*resume=force"):
        run_finetune(_config(tmp_path, tiny_arch, "run", *common, "optimizer.learning_rate=2e-3"), "sft")
    other = _write_data(tmp_path / "other.jsonl", n=6)
    with pytest.raises(ResumeMismatch, match=r"data\.path: .*guided\.jsonl' then, .*other\.jsonl' now.*rows_sha256"):
        run_finetune(_config(tmp_path, tiny_arch, "run", *common, "optimizer.learning_rate=1e-3",
                             f"data.path={other}"), "sft")
    assert (tmp_path / "run" / "config.yaml").read_text() == config_before  # a refused run changes nothing
    run_finetune(_config(tmp_path, tiny_arch, "run", *common, "optimizer.learning_rate=2e-3", "resume=force"), "sft")
    assert max(_losses(tmp_path / "run")) == 4


def test_sft_checks_its_data_before_loading_weights(tmp_path, tiny_arch, monkeypatch):
    import gajax.decoder

    def no_weights(*args, **kwargs):
        raise AssertionError("the weights were loaded before the data was checked")

    monkeypatch.setattr(gajax.decoder, "create_sharded", no_weights)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "a", "response": "b"}\n{"prompt": "c"}\n')
    with pytest.raises(RecordError, match=r"bad\.jsonl:2: missing field 'response'"):
        run_finetune(_config(tmp_path, tiny_arch, "bad", f"data.path={bad}"), "sft")


def test_over_long_prompt_names_the_record_and_the_setting(tokenizer):
    records = [{"prompt": "Hi.", "response": "Hello."}, {"prompt": "word " * 80, "response": "ok"}]
    with pytest.raises(RecordError, match=r"guided\.jsonl:2: the prompt has \d+ tokens after truncation to "
                       r"data\.max_prompt_length=100.*train\.seq_len"):
        encode_sft_records(records, tokenizer, max_length=65, max_prompt_length=100, source="guided.jsonl")
