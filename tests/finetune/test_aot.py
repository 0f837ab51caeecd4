"""Ahead-of-time compilation for a real TPU topology from this CPU host (libtpu from jax[tpu])."""

import dataclasses

import pytest

from gajax.config import load_config
from gajax.finetune.aot import compile_train_step, format_report
from gajax.finetune.train import FinetuneConfig
from gajax.models.llama import load_arch
from gajax.models.lora import LoRAConfig

pytest.importorskip("libtpu", reason="AOT for TPU needs libtpu: pip install 'jax[tpu]'")


@pytest.mark.parametrize("mode", ["sft", "dpo"])
def test_tiny_train_step_compiles_for_v5e(mode):
    run = load_config(
        FinetuneConfig,
        "sft",
        ["model.arch=tiny", "model.dtype=bfloat16", "model.remat=full", "train.seq_len=128", "train.micro_batch=8",
         "train.grad_accum=2", "mesh.fsdp=-1"],
    )
    report = compile_train_step(run, mode, "v5e:2x2")
    assert report["chips"] == 4 and report["device_kind"] == "TPU v5 lite"
    assert report["mesh"] == {"data": 1, "fsdp": 4, "tensor": 1}
    # float32 params + two Adam moments (12 bytes a parameter) split over 4 chips: each holds at least a quarter
    # and, though TPU tiling pads tiny arrays, less than the whole.
    state_bytes = 12 * load_arch("tiny").num_params
    assert state_bytes / 4 <= report["argument_bytes"] < state_bytes
    assert 0 < report["peak_bytes_per_chip"] < report["hbm_bytes_per_chip"] and report["fits"]
    assert "fits" in format_report(report)


def test_lora_train_step_compiles_with_the_adapter_as_the_only_trained_state():
    run = load_config(
        FinetuneConfig,
        "sft",
        ["model.arch=tiny", "model.dtype=bfloat16", "train.seq_len=128", "train.micro_batch=8", "mesh.fsdp=-1",
         "lora.rank=4"],
    )
    report = compile_train_step(run, "dpo", "v5e:2x2")
    full = compile_train_step(dataclasses.replace(run, lora=LoRAConfig()), "dpo", "v5e:2x2")
    cfg = load_arch("tiny")
    assert report["trained_params"] == cfg.num_layers * 4 * (
        2 * (cfg.embed_dim + cfg.num_heads * cfg.head_dim)  # q, o
        + 2 * (cfg.embed_dim + cfg.num_kv_heads * cfg.head_dim)  # k, v
        + 3 * (cfg.embed_dim + cfg.mlp_dim)  # gate, up, down
    )
    assert full["trained_params"] == cfg.num_params
    # The base is an argument but has no optimizer moments: the step's arguments shrink.
    assert report["argument_bytes"] < full["argument_bytes"] and report["fits"]


def test_shipped_recipes_name_their_topology():
    for name, topology in (("recipes/labrador_13b_v5e64", "v5e:8x8"), ("recipes/labrador_13b_v5p32", "v5p:2x2x4")):
        run = load_config(FinetuneConfig, name)
        assert run.tpu.topology == topology and run.model.arch == "llama2_13b"
        assert run.train.global_batch == 1600  # the paper's Labrador batch
    llama3 = load_config(FinetuneConfig, "recipes/labrador_llama3_8b_v5e32")
    assert (llama3.tpu.topology, llama3.model.arch, llama3.train.global_batch) == ("v5e:4x8", "llama3_1_8b", 1600)
    assert load_arch(llama3.model.arch).rope_scaling.rope_type == "llama3"
    gpu = load_config(FinetuneConfig, "recipes/sft_1b_h100")
    assert (gpu.model.attention, gpu.model.scan_unroll) == ("cudnn", load_arch(gpu.model.arch).num_layers)
