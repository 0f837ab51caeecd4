"""LoRA fine-tuning: adapters on a frozen base, trained, checkpointed, merged on export and loaded onto the base."""

import json
import math
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx
from qa_examples import EXAMPLES

from gajax.config import load_config
from gajax.decoder import DecoderConfig, load_decoder
from gajax.finetune.step import batch_axes, make_dpo_step, make_sft_step
from gajax.finetune.train import FinetuneConfig, run_finetune
from gajax.models.llama import Llama, load_arch
from gajax.models.lora import LoRAConfig, LoRAParam, add_lora, lora_params
from gajax.optimizer import OptimizerConfig, build_optimizer
from gajax.sharding import MeshConfig, batch_shardings, create_sharded, make_mesh, state_shardings
from gajax.trainer import init_train_state, jit_train_step, train_state_shardings

TINY_CHAT = "tiny_chat"  # SmolLM2's vocabulary, so the real tokenizer drives it


def _batch(vocab: int, shape=(2, 8, 16), seed: int = 0) -> dict[str, jax.Array]:
    rng = np.random.default_rng(seed)
    batch = {
        "inputs": rng.integers(0, vocab, shape),
        "targets": rng.integers(0, vocab, shape),
        "loss_mask": (rng.random(shape) > 0.3).astype(np.int32),
        "segment_ids": np.ones(shape, np.int32),
        "positions": np.broadcast_to(np.arange(shape[-1]), shape),
    }
    return {k: jnp.asarray(v, jnp.int32) for k, v in batch.items()}


def _lora_model(mesh, lora: LoRAConfig, seed: int = 0):
    """The tiny decoder on ``mesh`` with adapters, split into (graphdef, adapter placed on the mesh, base)."""
    model = add_lora(create_sharded(lambda: Llama(load_arch("tiny"), rngs=nnx.Rngs(seed)), mesh), lora)
    graphdef, adapter, base = nnx.split(model, LoRAParam, ...)
    return graphdef, jax.device_put(adapter, state_shardings(adapter, mesh)), base


def test_zero_init_adapter_equals_the_base_and_has_the_expected_layout():
    mesh = make_mesh(MeshConfig(), jax.devices()[:1])
    cfg = load_arch("tiny")
    model = create_sharded(lambda: Llama(cfg, rngs=nnx.Rngs(0)), mesh)
    tokens = _batch(cfg.vocab_size)["inputs"][0]
    forward = nnx.jit(lambda m, t: m(t)[0])
    with jax.set_mesh(mesh):
        base = np.asarray(forward(model, tokens))
        add_lora(model, LoRAConfig(rank=4, alpha=8))
        adapted = np.asarray(forward(model, tokens))
    np.testing.assert_array_equal(adapted, base)
    # A: (layers, in..., rank), B: (layers, rank, out...) with the base weight's logical axes around lora_rank.
    q = model.layers.q_proj_lora
    assert q.a.shape == (cfg.num_layers, cfg.embed_dim, 4)
    assert q.b.get_metadata()["logical_axes"] == ("layers", "lora_rank", "heads", "head_dim")
    assert model.layers.o_proj_lora.a.get_metadata()["logical_axes"] == ("layers", "heads", "head_dim", "lora_rank")
    d, m, kv = cfg.embed_dim, cfg.mlp_dim, cfg.num_kv_heads * cfg.head_dim
    per_layer = 4 * ((d + d) * 2 + (d + kv) * 2 + (d + m) * 3)  # q, o; k, v; gate, up, down
    assert lora_params(model) == cfg.num_layers * per_layer


@pytest.mark.parametrize("mode", ["sft", "dpo"])
def test_only_the_adapter_trains_and_the_base_is_untouched(mode):
    mesh = make_mesh(MeshConfig(), jax.devices()[:1])
    graphdef, adapter, base = _lora_model(mesh, LoRAConfig(rank=4, dropout=0.1))
    before = jax.tree.map(np.asarray, base)
    tx = build_optimizer(OptimizerConfig(learning_rate=1e-2, warmup_steps=0), 10)
    shardings = train_state_shardings(tx, adapter, mesh)
    batch = _batch(256, (2, 4, 16))
    if mode == "dpo":
        batch["reference_logps"] = jnp.zeros((2, 4), jnp.float32)
        step = make_dpo_step(graphdef, tx, 0.1, 0.0, dropout_seed=0)
    else:
        step = make_sft_step(graphdef, tx, dropout_seed=0)
    with jax.set_mesh(mesh):
        state = jax.jit(lambda p: init_train_state(p, tx), out_shardings=shardings)(adapter)
        jitted = jit_train_step(step, shardings, batch_shardings(mesh, batch_axes(mode)), mesh,
                                state_shardings(base, mesh))
        for _ in range(3):
            state, metrics = jitted(state, batch, base)
    assert np.isfinite(float(metrics["loss"]))
    # The optimizer holds moments of the adapter leaves only.
    adapter_shapes = sorted(x.shape for x in jax.tree.leaves(adapter))
    moment_shapes = sorted(x.shape for x in jax.tree.leaves(state["opt_state"]) if x.ndim > 0)
    assert moment_shapes and set(moment_shapes) == set(adapter_shapes)
    assert len(moment_shapes) == 2 * len(adapter_shapes)  # Adam's two moments
    jax.tree.map(np.testing.assert_array_equal, jax.tree.map(np.asarray, base), before)
    assert np.abs(np.asarray(state["params"]["layers"]["q_proj_lora"]["b"][...])).max() > 0  # B moved off zero


def test_lora_step_on_8_devices_equals_1_device():
    batch = _batch(256)
    tx = build_optimizer(OptimizerConfig(learning_rate=1e-2, warmup_steps=1), 10)
    curves, finals = [], []
    for mesh_cfg, count in ((MeshConfig(), 1), (MeshConfig(data=2, fsdp=2, tensor=2), 8)):
        mesh = make_mesh(mesh_cfg, jax.devices()[:count])
        graphdef, adapter, base = _lora_model(mesh, LoRAConfig(rank=4, dropout=0.1))
        shardings = train_state_shardings(tx, adapter, mesh)
        with jax.set_mesh(mesh):
            state = jax.jit(lambda p: init_train_state(p, tx), out_shardings=shardings)(adapter)
            step = jit_train_step(make_sft_step(graphdef, tx, dropout_seed=0), shardings,
                                  batch_shardings(mesh, batch_axes("sft")), mesh, state_shardings(base, mesh))
            losses = []
            for _ in range(3):
                state, metrics = step(state, batch, base)
                losses.append(float(metrics["loss"]))
        curves.append(losses)
        finals.append(np.asarray(state["params"]["layers"]["v_proj_lora"]["b"][...]))
    np.testing.assert_allclose(curves[1], curves[0], rtol=1e-5)
    np.testing.assert_allclose(finals[1], finals[0], atol=1e-5)
    assert curves[0][-1] < curves[0][0]


# --------------------------------------------------------------------------------------------- whole runs


def _write_data(path: Path, n: int = 8) -> Path:
    with path.open("w") as f:
        for p, r in (EXAMPLES * 4)[:n]:
            f.write(json.dumps({"prompt": p, "response": r, "unguided_response": "I don't know."}) + "\n")
    return path


def _config(tmp_path: Path, out: str, *extra: str, mode: str = "sft") -> FinetuneConfig:
    dpo = ("data.chosen_field=response", "data.rejected_field=unguided_response") if mode == "dpo" else ()
    return load_config(FinetuneConfig, mode, [
        "model.weights=random", f"model.arch={TINY_CHAT}", f"data.path={_write_data(tmp_path / 'guided.jsonl')}",
        f"trainer.output_dir={tmp_path / out}", "train.seq_len=64", "train.micro_batch=2", "train.grad_accum=2",
        "trainer.checkpoint_every=2", "trainer.async_checkpoints=false", "data.pack=false", "mesh.devices=1",
        "lora.rank=4", "lora.alpha=8", "optimizer.learning_rate=1e-2", *dpo, *extra,
    ])


def _metrics(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def test_lora_sft_saves_the_adapter_alone_and_exports_merged_weights_equal_to_transformers(tmp_path):
    torch = pytest.importorskip("torch")
    from transformers import LlamaForCausalLM

    run_finetune(_config(tmp_path, "sft", "train.epochs=3", "trainer.checkpoint_every=1000"), "sft")
    rows = _metrics(tmp_path / "sft")
    assert rows[-1]["loss"] < rows[0]["loss"]
    # The checkpoint holds the adapter: its saved arrays are a small fraction of the model.
    step_dir = max((tmp_path / "sft" / "checkpoints").iterdir(), key=lambda p: int(p.name) if p.name.isdigit() else -1)
    saved = sum(f.stat().st_size for f in step_dir.rglob("*") if f.is_file())
    assert saved < 4 * load_arch(TINY_CHAT).num_params / 10

    # The adapter loads onto its base (not merged) and equals the merged HF export in transformers.
    decoder = DecoderConfig(weights="random", arch=TINY_CHAT, adapter=str(tmp_path / "sft"))
    model, tokenizer = load_decoder(decoder, make_mesh(MeshConfig(), jax.devices()[:1]))
    assert np.abs(np.asarray(model.layers.down_proj_lora.b[...])).max() > 0
    ids = tokenizer.encode("Name a primary colour.")
    with jax.set_mesh(make_mesh(MeshConfig(), jax.devices()[:1])):
        ours = np.asarray(nnx.jit(lambda m, t: m(t)[0])(model, jnp.asarray([ids])))
    hf = LlamaForCausalLM.from_pretrained(tmp_path / "sft" / "hf", torch_dtype=torch.float32).eval()
    with torch.no_grad():
        theirs = hf(torch.tensor([ids])).logits.numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-4)
    base, _ = load_decoder(DecoderConfig(weights="random", arch=TINY_CHAT), make_mesh(MeshConfig(), jax.devices()[:1]))
    with jax.set_mesh(make_mesh(MeshConfig(), jax.devices()[:1])):
        plain = np.asarray(nnx.jit(lambda m, t: m(t)[0])(base, jnp.asarray([ids])))
    assert np.abs(plain - theirs).max() > 1e-3  # the export is not the base


def test_lora_checkpoint_for_another_base_is_refused_naming_both(tmp_path):
    run_finetune(_config(tmp_path, "run", "train.epochs=1", "trainer.export_hf=false"), "sft")
    with pytest.raises(ValueError, match=r"LoRA adapter for base 'random' \(arch tiny_chat, fingerprint \w+\), not "
                                         r"for this base 'random' \(arch tiny_chat, fingerprint \w+\)"):
        run_finetune(_config(tmp_path, "run", "train.epochs=1", "trainer.export_hf=false", "model.seed=1"), "sft")
    from gajax.convert.hf_llama import CheckpointError

    with pytest.raises(CheckpointError, match=r"LoRA adapter for base .* not for this base"):
        load_decoder(DecoderConfig(weights="random", arch=TINY_CHAT, seed=1, adapter=str(tmp_path / "run")))
    with pytest.raises(CheckpointError, match="holds a LoRA adapter, not a whole model"):
        load_decoder(DecoderConfig(weights=str(tmp_path / "run"), arch=TINY_CHAT))


def test_lora_resume_reproduces_the_uninterrupted_curve(tmp_path):
    common = ("train.epochs=3", "trainer.export_hf=false", "lora.dropout=0.1")
    run_finetune(_config(tmp_path, "straight", *common), "sft")
    run_finetune(_config(tmp_path, "resumed", *common, "trainer.steps=3"), "sft")
    run_finetune(_config(tmp_path, "resumed", *common), "sft")
    straight = {r["step"]: r["loss"] for r in _metrics(tmp_path / "straight")}
    resumed = {r["step"]: r["loss"] for r in _metrics(tmp_path / "resumed")}
    assert sorted(straight) == sorted(resumed) == list(range(1, 7))
    for step in straight:
        assert resumed[step] == pytest.approx(straight[step], rel=1e-6), step


def test_lora_dpo_reference_is_the_adapter_off(tmp_path):
    common = ("train.epochs=2", "trainer.export_hf=false", "trainer.checkpoint_every=1000", "lora.dropout=0")
    run_finetune(_config(tmp_path, "pre", *common, mode="dpo"), "dpo")
    run_finetune(_config(tmp_path, "frozen", *common, "dpo.precompute_ref_log_probs=false", mode="dpo"), "dpo")
    pre, frozen = _metrics(tmp_path / "pre"), _metrics(tmp_path / "frozen")
    # Policy == reference at the first step: sigmoid DPO's loss is log 2 and the margin zero.
    assert pre[0]["loss"] == pytest.approx(math.log(2), abs=1e-6)
    assert pre[0]["rewards/margin"] == pytest.approx(0.0, abs=1e-6)
    # The frozen reference (the adapter off over the shared base, recomputed every step) equals the log-probs
    # precomputed before training: the reference never changes while the adapter trains.
    assert len(pre) == len(frozen) == 4
    for a, b in zip(pre, frozen, strict=True):
        assert b["loss"] == pytest.approx(a["loss"], rel=1e-5)
    assert pre[-1]["rewards/margin"] > 0 and pre[-1]["loss"] < pre[0]["loss"]


def test_lora_config_is_checked():
    with pytest.raises(ValueError, match=r"lora\.targets"):
        LoRAConfig(rank=4, targets=("q", "attn"))
    with pytest.raises(ValueError, match="rank >= 0"):
        LoRAConfig(rank=-1)
