"""``DecoderConfig(weights=<sft run dir>)``: the latest Orbax checkpoint's parameters on the current devices."""

import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gajax.config import load_config
from gajax.convert.hf_llama import CheckpointError
from gajax.decoder import DecoderConfig, load_decoder
from gajax.finetune.train import FinetuneConfig, run_finetune
from gajax.sharding import MeshConfig, make_mesh


@pytest.fixture(scope="module")
def sft_run(tmp_path_factory) -> Path:
    """A 3-step SFT run of a tiny decoder (SmolLM2 tokenizer) with an Orbax checkpoint and an HF export."""
    tmp = tmp_path_factory.mktemp("sft")
    with (tmp / "data.jsonl").open("w") as f:
        for i, (p, r) in enumerate([("Name a colour.", "Red."), ("Say hi.", "Hello!")] * 4):
            f.write(json.dumps({"input_id": str(i), "prompt": p, "response": r}) + "\n")
    cfg = load_config(FinetuneConfig, "sft", [
        "model.weights=random", "model.arch=tiny_chat", f"data.path={tmp / 'data.jsonl'}",
        f"trainer.output_dir={tmp / 'run'}", "train.seq_len=64", "train.micro_batch=2", "train.grad_accum=1",
        "trainer.steps=3", "trainer.async_checkpoints=false", "data.pack=false", "mesh.devices=1",
        "optimizer.learning_rate=1e-2", "optimizer.warmup_steps=1",
    ])
    run_finetune(cfg, "sft")
    return tmp / "run"


def test_orbax_checkpoint_matches_transformers_on_its_hf_export(sft_run):
    torch = pytest.importorskip("torch")
    from transformers import LlamaForCausalLM

    model, tokenizer = load_decoder(DecoderConfig(weights=str(sft_run)), make_mesh(MeshConfig(), jax.devices()[:1]))
    ids = tokenizer.encode("Name a colour.")
    hf = LlamaForCausalLM.from_pretrained(sft_run / "hf", torch_dtype=torch.float32).eval()
    with torch.no_grad():
        theirs = hf(torch.tensor([ids])).logits.numpy()
    ours = np.asarray(model(jnp.asarray([ids]))[0])
    np.testing.assert_allclose(ours, theirs, atol=1e-4)


def test_orbax_checkpoint_restores_sharded_onto_another_mesh(sft_run):
    single = make_mesh(MeshConfig(), jax.devices()[:1])
    one, _ = load_decoder(DecoderConfig(weights=str(sft_run / "checkpoints")), single)
    mesh = make_mesh(MeshConfig(fsdp=4, tensor=2), jax.devices()[:8])
    eight, _ = load_decoder(DecoderConfig(weights=str(sft_run), param_dtype="bfloat16"), mesh)
    q = eight.layers.q_proj[...]
    assert q.dtype == jnp.bfloat16 and len(q.sharding.device_set) == 8
    np.testing.assert_array_equal(np.asarray(q), np.asarray(one.layers.q_proj[...].astype(jnp.bfloat16)))


def test_orbax_arch_mismatch_and_foreign_checkpoint_are_refused(sft_run, tmp_path):
    with pytest.raises(CheckpointError, match="does not match arch"):
        load_decoder(DecoderConfig(weights=str(sft_run), arch="tiny"))
    from gajax.checkpoint import CheckpointManager

    with CheckpointManager(tmp_path / "other" / "checkpoints", async_save=False) as manager:
        manager.save(1, {"w": jnp.zeros(3)}, {"stage": "train-retriever"})
    with pytest.raises(CheckpointError, match="not a gajax sft/dpo checkpoint"):
        load_decoder(DecoderConfig(weights=str(tmp_path / "other")))
