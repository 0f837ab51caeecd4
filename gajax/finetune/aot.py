"""Ahead-of-time compilation of the SFT and DPO train steps for a TPU topology, from a CPU host.

``gajax aot`` lowers the real sharded train step for, e.g., LLaMA-2-13B on ``v5e:8x8`` (v5e-64) with libtpu (from
``jax[tpu]``), so an out-of-memory plan fails here, not on the pod, and reports per-chip memory against HBM.
"""

from __future__ import annotations

import dataclasses
import math
import os
from typing import Any, Literal

import jax
import jax.numpy as jnp
from flax import nnx

from gajax.config import ConfigError, load_config
from gajax.finetune.step import batch_axes, finetune_step
from gajax.finetune.train import FinetuneConfig
from gajax.models.llama import Llama, load_arch
from gajax.models.lora import LoRAParam, add_lora
from gajax.optimizer import build_optimizer
from gajax.sharding import MESH_AXES, batch_shardings, make_mesh
from gajax.sharding import state_shardings as param_shardings
from gajax.trainer import init_train_state, jit_train_step, train_state_shardings

GiB = 1024**3
# HBM per chip.
CHIP_HBM_BYTES: dict[str, int] = {
    "TPU v4": 32 * GiB,
    "TPU v5 lite": 16 * GiB,
    "TPU v5": 95 * GiB,
    "TPU v6 lite": 32 * GiB,
}



@dataclasses.dataclass(frozen=True)
class AotConfig:
    """Compile a fine-tuning recipe's train step for the TPU topology it targets.

    ``recipe`` is a finetune config (a shipped name such as ``recipes/labrador_13b_v5e64`` or a YAML path);
    ``topology`` and ``num_slices`` default to the recipe's ``tpu`` section (``v5e:8x8`` is v5e-64, ``v5p:2x2x4``
    is v5p-32). ``overrides`` apply dotted overrides to the recipe.
    """

    recipe: str = "recipes/labrador_13b_v5e64"
    mode: Literal["sft", "dpo"] = "sft"
    topology: str = ""
    num_slices: int = 0
    min_headroom: float = 0.10
    overrides: tuple[str, ...] = ()


def topology_devices(topology: str, num_slices: int = 1) -> list[Any]:
    """The (abstract) devices of a TPU topology, without a TPU attached."""
    os.environ.setdefault("ALLOW_MULTIPLE_LIBTPU_LOAD", "1")
    from jax.experimental import topologies

    desc = topologies.get_topology_desc(platform="tpu", topology_name=topology, num_slices=num_slices)
    return list(desc.devices)


def placed(shardings: Any, abstract: Any) -> Any:
    """``abstract`` (a tree of shapes) as ShapeDtypeStructs laid out by ``shardings`` (a tree prefix of it)."""
    return jax.tree.map(
        lambda s, sub: jax.tree.map(lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype, sharding=s), sub),
        shardings,
        abstract,
    )


def compile_train_step(
    run: FinetuneConfig, mode: str, topology: str, num_slices: int = 1, min_headroom: float = 0.10
) -> dict[str, Any]:
    """Lower and compile ``run``'s train step for ``topology``; return the per-chip memory report."""
    devices = topology_devices(topology, num_slices)
    mesh = make_mesh(run.mesh, devices)
    shape = tuple(mesh.shape[a] for a in MESH_AXES)
    if not run.model.arch:
        raise ValueError("the recipe must name model.arch (e.g. llama2_13b) to compile without weights")
    arch = load_arch(run.model.arch)
    t = run.train
    lora = run.lora.rank > 0

    def build() -> Llama:
        model = Llama(arch, **run.model.llama_options(), rngs=nnx.Rngs(0))
        return add_lora(model, run.lora) if lora else model

    abstract_model = nnx.eval_shape(build)
    # LoRA trains the adapter alone: the base is a frozen argument of the step, neither donated nor updated.
    graphdef, abstract_params, *abstract_base = nnx.split(abstract_model, *((LoRAParam, ...) if lora else ()))
    tx = build_optimizer(run.optimizer, total_steps=1000)
    state_shardings = train_state_shardings(tx, abstract_params, mesh)
    abstract_state = jax.eval_shape(lambda p: init_train_state(p, tx), abstract_params)
    abstract_state = placed(state_shardings, abstract_state)

    rows = t.micro_batch * (2 if mode == "dpo" else 1)
    batch_shape = (t.grad_accum, rows, t.seq_len)
    axes = batch_axes(mode)
    shardings = batch_shardings(mesh, axes)
    abstract_batch = {
        k: jax.ShapeDtypeStruct(batch_shape[: len(names)], jnp.float32 if k == "reference_logps" else jnp.int32,
                                sharding=shardings[k])
        for k, names in axes.items()
    }
    frozen_shardings = param_shardings(abstract_base[0], mesh) if lora else None
    frozen = (placed(frozen_shardings, abstract_base[0]),) if lora else ()
    dropout_seed = 0 if lora and run.lora.dropout > 0 else None
    step = finetune_step(graphdef, tx, mode, run.dpo.beta, run.dpo.label_smoothing, run.dpo.loss_type, dropout_seed)
    jitted = jit_train_step(step, state_shardings, shardings, mesh, frozen_shardings)  # the step gajax sft/dpo run
    with jax.set_mesh(mesh):
        compiled = jitted.lower(abstract_state, abstract_batch, *frozen).compile()
    stats = compiled.memory_analysis()
    kind = devices[0].device_kind
    hbm = CHIP_HBM_BYTES.get(kind)
    # Donated arguments alias outputs, so the peak is arguments + temporaries + outputs not aliased + code.
    peak = (
        stats.argument_size_in_bytes
        + stats.temp_size_in_bytes
        + stats.output_size_in_bytes
        - stats.alias_size_in_bytes
        + stats.generated_code_size_in_bytes
    )
    report = {
        "arch": run.model.arch,
        "topology": topology,
        "num_slices": num_slices,
        "chips": len(devices),
        "device_kind": kind,
        "mesh": dict(zip(MESH_AXES, shape, strict=True)),
        "mode": mode,
        "seq_len": t.seq_len,
        "global_batch": t.global_batch,
        "remat": run.model.remat,
        "params": arch.num_params,
        "trained_params": sum(math.prod(a.shape) for a in jax.tree.leaves(abstract_params)),
        "argument_bytes": stats.argument_size_in_bytes,
        "temp_bytes": stats.temp_size_in_bytes,
        "output_bytes": stats.output_size_in_bytes,
        "alias_bytes": stats.alias_size_in_bytes,
        "code_bytes": stats.generated_code_size_in_bytes,
        "peak_bytes_per_chip": peak,
        "hbm_bytes_per_chip": hbm,
    }
    if hbm:
        report["headroom"] = 1.0 - peak / hbm
        report["fits"] = report["headroom"] >= min_headroom
    return report


def format_report(report: dict[str, Any]) -> str:
    """A human-readable memory plan."""
    lines = [
        f"{report['arch']} {report['mode'].upper()} step on {report['topology']} x{report['num_slices']} "
        f"({report['chips']} x {report['device_kind']}), mesh {report['mesh']}",
        f"  seq_len {report['seq_len']}, global batch {report['global_batch']}, remat {report['remat']}",
    ]
    for key in ("argument_bytes", "temp_bytes", "output_bytes", "alias_bytes", "code_bytes", "peak_bytes_per_chip"):
        lines.append(f"  {key:<22} {report[key] / GiB:8.2f} GiB")
    if report.get("hbm_bytes_per_chip"):
        verdict = "fits" if report["fits"] else "DOES NOT FIT"
        lines.append(
            f"  HBM per chip {report['hbm_bytes_per_chip'] / GiB:.1f} GiB: "
            f"headroom {report['headroom']:.1%} ({verdict})"
        )
    return "\n".join(lines)


def run_aot(cfg: AotConfig) -> int:
    """``gajax aot``: print the memory plan; exit status 1 when it does not fit with the required headroom."""
    run = load_config(FinetuneConfig, cfg.recipe, cfg.overrides)
    topology = cfg.topology or run.tpu.topology
    if not topology:
        raise ConfigError("no TPU topology: set topology=v5e:8x8 or tpu.topology in the recipe")
    report = compile_train_step(run, cfg.mode, topology, cfg.num_slices or run.tpu.num_slices, cfg.min_headroom)
    print(format_report(report))
    return 0 if report.get("fits", True) else 1
