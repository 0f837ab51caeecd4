"""``gajax sft`` and ``gajax dpo``: Labrador fine-tuning on guided responses, from one CPU to a TPU pod.

Both encode the records, build the sharded train state and hand :class:`gajax.trainer.Trainer` their step
(:func:`gajax.finetune.step.finetune_step`) and batch source; the trainer logs ``loss, tokens/s/chip, TFLOP/s/chip,
MFU`` and saves Orbax checkpoints (every N steps, at the end, and when SIGTERM announces a preemption). A restart
with the same ``trainer.output_dir`` resumes exactly: the batch order is a function of (seed, epoch), so the step
number alone fixes the data position.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar, Literal

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from jax.sharding import Mesh
from tqdm import tqdm

from gajax.config import from_dict, to_dict
from gajax.convert.hf_llama import export_hf_llama
from gajax.data.tfds.source import read_records
from gajax.decoder import DecoderConfig, load_decoder
from gajax.finetune.data import (
    EncodeStats,
    encode_dpo_records,
    encode_sft_records,
    epoch_batches,
    pack,
    pack_rows,
)
from gajax.finetune.losses import PreferenceLoss
from gajax.finetune.step import batch_axes, finetune_step, make_sequence_logp
from gajax.models.llama import LlamaConfig
from gajax.models.lora import (
    LoRAConfig,
    LoRAParam,
    adapter_off,
    add_lora,
    base_info,
    check_adapter_base,
    lora_params,
    merge_lora,
)
from gajax.optimizer import OptimizerConfig, build_optimizer
from gajax.perf import StepMeter
from gajax.resume import ResumeMode, check_resume
from gajax.sharding import MeshConfig, batch_shardings, check_batch_divides, put_batch, state_shardings
from gajax.trainer import Trainer, TrainerConfig, init_train_state, start, train_state_shardings

log = logging.getLogger("gajax.finetune")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Batching and schedule length (the loop's own settings are the ``trainer`` section)."""

    MOVED_KEYS: ClassVar[dict[str, str]] = {
        "max_steps": "trainer.steps", "seed": "trainer.seed", "log_every": "trainer.log_every",
        "metrics": "trainer.metrics", "checkpoint_every": "trainer.checkpoint_every",
        "keep_checkpoints": "trainer.keep_checkpoints", "async_checkpoints": "trainer.async_checkpoints",
        "output_dir": "trainer.output_dir", "export_hf": "trainer.export_hf",
    }

    seq_len: int = 512
    micro_batch: int = 4
    grad_accum: int = 1
    epochs: int = 1

    @property
    def global_batch(self) -> int:
        return self.micro_batch * self.grad_accum


@dataclasses.dataclass(frozen=True)
class DataConfig:
    """The training data and how to render it.

    ``path``: a JSONL file, or a TFDS dataset prepared by ``gajax build-tfds`` and read without TensorFlow as
    ``tfds:NAME[@DATA_DIR][#SPLIT]`` (split default ``train``; see :mod:`gajax.data.tfds.source`), e.g.
    ``tfds:aligned_sft@runs/tfds`` for SFT or ``tfds:dpo_pairs@runs/tfds`` for DPO. SFT reads ``prompt_field`` and
    ``response_field``; DPO reads ``prompt_field``, ``chosen_field`` and ``rejected_field`` (for a ``guided.jsonl``
    with unguided responses: ``chosen_field=response``, ``rejected_field=unguided_response``; for ``dpo_pairs``:
    ``chosen`` and ``rejected``).
    """

    path: str = "runs/demo/guided.jsonl"
    prompt_field: str = "prompt"
    response_field: str = "response"
    chosen_field: str = "chosen"
    rejected_field: str = "rejected"
    system: str = ""
    max_prompt_length: int = 384
    pack: bool = True


@dataclasses.dataclass(frozen=True)
class DPOSettings:
    """TRL's DPO vocabulary; ``loss_type`` picks a loss of :func:`gajax.finetune.losses.dpo_loss`."""

    beta: float = 0.1
    loss_type: PreferenceLoss = "sigmoid"
    label_smoothing: float = 0.0
    precompute_ref_log_probs: bool = True

    def __post_init__(self) -> None:
        if self.beta <= 0:
            raise ValueError(f"dpo.beta must be positive, got {self.beta}")
        if not 0.0 <= self.label_smoothing < 0.5:
            raise ValueError(f"dpo.label_smoothing must be in [0, 0.5), got {self.label_smoothing}")


@dataclasses.dataclass(frozen=True)
class TpuConfig:
    """The TPU slice a recipe targets (for ``gajax aot`` and the pod scripts; training itself uses whatever devices
    it finds)."""

    topology: str = ""
    num_slices: int = 1


@dataclasses.dataclass(frozen=True)
class FinetuneConfig:
    """A full ``gajax sft`` / ``gajax dpo`` run."""

    model: DecoderConfig = dataclasses.field(default_factory=DecoderConfig)
    mesh: MeshConfig = dataclasses.field(default_factory=MeshConfig)
    data: DataConfig = dataclasses.field(default_factory=DataConfig)
    train: TrainConfig = dataclasses.field(default_factory=TrainConfig)
    trainer: TrainerConfig = dataclasses.field(
        default_factory=lambda: TrainerConfig(checkpoint_every=50, output_dir="runs/labrador-sft")
    )
    optimizer: OptimizerConfig = dataclasses.field(default_factory=OptimizerConfig)
    dpo: DPOSettings = dataclasses.field(default_factory=DPOSettings)
    tpu: TpuConfig = dataclasses.field(default_factory=TpuConfig)
    lora: LoRAConfig = dataclasses.field(default_factory=LoRAConfig)
    resume: ResumeMode = "auto"  # force: continue a checkpoint made with other data or settings


def resume_settings(cfg: FinetuneConfig, mode: str, data_hash: str) -> dict[str, Any]:
    """What a resumed run must share with the run that wrote the checkpoint: the data (its path and the hash of
    the encoded rows), batching, schedule and optimizer (DPO settings for DPO), and the starting weights."""
    config = to_dict(cfg)
    train = {k: config["train"][k] for k in ("seq_len", "micro_batch", "grad_accum", "epochs")}
    train["seed"] = cfg.trainer.seed  # recorded under train, where checkpoints written before have it
    settings = {"mode": mode, "data": {**config["data"], "rows_sha256": data_hash}, "train": train,
                "optimizer": config["optimizer"], "model": {"weights": cfg.model.weights}}
    if mode == "dpo":
        settings["dpo"] = config["dpo"]
    if cfg.lora.rank:
        settings["lora"] = config["lora"]
    return settings


def rows_hash(rows: dict[str, np.ndarray]) -> str:
    """sha256 of the encoded training rows (any change to the data or its rendering changes it)."""
    digest = hashlib.sha256()
    for key in sorted(rows):
        digest.update(key.encode())
        digest.update(np.ascontiguousarray(rows[key]).tobytes())
    return digest.hexdigest()


def _records(cfg: DataConfig, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    out = []
    required = {getattr(cfg, f"{name}_field"): str for name in fields}
    for record in read_records(cfg.path, required):
        out.append({name: record.get(getattr(cfg, f"{name}_field")) for name in fields})
    return out


def _reference_log_probs(
    graphdef: nnx.GraphDef, params: nnx.State, base: nnx.State | None, rows: dict[str, np.ndarray], micro: int,
    mesh: Mesh,
) -> np.ndarray:
    """Sequence log-probs of every row under the initial (reference) parameters (``base``: a LoRA run's frozen
    base, its adapter still zero), in one pass."""
    logp = jax.jit(make_sequence_logp(graphdef))
    shardings = batch_shardings(mesh, dict.fromkeys(rows, ("batch", "length")))
    out = np.zeros(len(rows["inputs"]), np.float32)
    with jax.set_mesh(mesh):
        for start in tqdm(range(0, len(out), micro), desc="reference log-probs", unit="batch"):
            chunk = {k: v[start : start + micro] for k, v in rows.items()}
            n = len(chunk["inputs"])
            if n < micro:  # pad the last chunk to a compiled shape
                chunk = {k: np.concatenate([v, np.zeros((micro - n, *v.shape[1:]), v.dtype)]) for k, v in chunk.items()}
            placed = put_batch(chunk, shardings)
            out[start : start + n] = np.asarray(logp(params, placed, base))[:n]
    return out


def prepare_rows(cfg: FinetuneConfig, tokenizer: Any, mode: str) -> tuple[dict[str, np.ndarray], EncodeStats]:
    """Encode the training file into fixed-length rows (packed for SFT; chosen/rejected pairs for DPO)."""
    t = cfg.train
    common = {"max_length": t.seq_len + 1, "max_prompt_length": cfg.data.max_prompt_length,
              "system": cfg.data.system or None, "source": cfg.data.path}
    if mode == "sft":
        examples, stats = encode_sft_records(_records(cfg.data, ("prompt", "response")), tokenizer, **common)
        rows = pack(examples, t.seq_len) if cfg.data.pack else pack_rows(examples, t.seq_len)
        return rows, stats
    pairs, stats = encode_dpo_records(_records(cfg.data, ("prompt", "chosen", "rejected")), tokenizer, **common)
    chosen = pack_rows([p.chosen for p in pairs], t.seq_len)
    rejected = pack_rows([p.rejected for p in pairs], t.seq_len)
    # A DPO "row" is a pair: arrays (pairs, 2, seq_len), split into chosen and rejected halves per micro-batch.
    return {k: np.stack([chosen[k], rejected[k]], axis=1) for k in chosen}, stats


def _dpo_micro_batches(rows: dict[str, np.ndarray], index: np.ndarray, accum: int) -> dict[str, np.ndarray]:
    out = {}
    for key, array in rows.items():
        picked = array[index].reshape(accum, -1, *array.shape[1:])  # (accum, pairs, 2, ...)
        out[key] = np.concatenate([picked[:, :, 0], picked[:, :, 1]], axis=1)  # chosen rows then rejected rows
    return out


def _host_batches(rows: dict[str, np.ndarray], mode: str, t: TrainConfig, seed: int, start: int,
                  steps_per_epoch: int) -> Iterator[dict[str, np.ndarray]]:
    """The host batch of every step from ``start`` on: epoch permutations of the rows, ``(accum, rows, ...)``."""
    epoch, position = divmod(start, steps_per_epoch)
    num_rows = len(rows["inputs"])
    while True:
        for index in epoch_batches(num_rows, t.global_batch, seed, epoch, start=position):
            if mode == "sft":
                yield {k: v[index].reshape(t.grad_accum, t.micro_batch, -1) for k, v in rows.items()}
            else:
                yield _dpo_micro_batches(rows, index, t.grad_accum)
        epoch, position = epoch + 1, 0


def run_finetune(cfg: FinetuneConfig, mode: Literal["sft", "dpo"]) -> dict[str, Any]:
    """Train; returns the last metrics. Resumes from ``trainer.output_dir`` when it holds a checkpoint."""
    t, loop = cfg.train, cfg.trainer
    mesh = start(cfg.mesh)  # the distributed job and the mesh
    trainer = Trainer(loop, mesh, name=mode)  # a metrics directory that cannot be written fails here
    with trainer:
        check_batch_divides(t.micro_batch * (2 if mode == "dpo" else 1), mesh,  # a DPO row is a pair: 2 sequences
                            f"train.micro_batch={t.micro_batch}" + (" (pairs: x2 sequences)" if mode == "dpo" else ""))
        return _run(cfg, mode, mesh, trainer)


def _run(cfg: FinetuneConfig, mode: str, mesh: Mesh, trainer: Trainer) -> dict[str, Any]:
    t, loop = cfg.train, cfg.trainer
    encoded: dict[str, Any] = {}

    def encode_data(tokenizer: Any) -> None:  # the data is read and checked before any weight is loaded
        rows, stats = prepare_rows(cfg, tokenizer, mode)
        if len(rows["inputs"]) < t.global_batch:
            raise ValueError(
                f"{cfg.data.path}: {len(rows['inputs'])} training rows are fewer than one global batch "
                f"({t.global_batch})"
            )
        encoded.update(rows=rows, stats=stats, hash=rows_hash(rows))

    model, tokenizer = load_decoder(cfg.model, mesh, before_weights=encode_data)
    rows, stats = encoded["rows"], encoded["stats"]
    num_rows = len(rows["inputs"])
    steps_per_epoch = num_rows // t.global_batch
    schedule_steps = steps_per_epoch * t.epochs
    total_steps = min(loop.steps, schedule_steps) if loop.steps else schedule_steps
    log.warning(
        "%s: %d examples -> %d rows; %d steps (%d per epoch); %d prompts and %d responses truncated",
        mode, stats.examples, num_rows, total_steps, steps_per_epoch, stats.prompts_truncated,
        stats.responses_truncated,
    )

    arch = model.cfg
    lora = cfg.lora.rank > 0
    base = base_shardings = None
    if lora:  # only the adapter is trained and saved; the base is frozen and shared by DPO's reference
        base_meta = base_info(cfg.model.weights, cfg.model.arch, nnx.state(model))
        add_lora(model, cfg.lora, cfg.model.seed)
        graphdef, params, base = nnx.split(model, LoRAParam, ...)
        params = jax.device_put(params, state_shardings(params, mesh))
        base_shardings = state_shardings(base, mesh)
        log.warning("%s: LoRA rank %d on %s: %d adapter parameters", mode, cfg.lora.rank, " ".join(cfg.lora.targets),
                    lora_params(model))
    else:
        graphdef, params = nnx.split(model)
    frozen_reference = mode == "dpo" and not cfg.dpo.precompute_ref_log_probs
    if mode == "dpo" and not frozen_reference:
        # One pass of the initial policy over every pair; no second model stays in memory during training.
        flat = {k: v.reshape(-1, *v.shape[2:]) for k, v in rows.items()}
        ref = _reference_log_probs(graphdef, params, base, flat, max(t.micro_batch, 1) * 2, mesh)
        rows["reference_logps"] = ref.reshape(num_rows, 2)
    tx = build_optimizer(cfg.optimizer, schedule_steps)
    shardings = train_state_shardings(tx, params, mesh)
    with jax.set_mesh(mesh):
        state = jax.jit(lambda p: init_train_state(p, tx), out_shardings=shardings)(params)
        # A frozen reference keeps its own copy of the initial weights (the state's buffers are donated); with
        # LoRA it is the adapter switched off over the shared base.
        reference = (
            adapter_off(params) if lora else
            jax.jit(lambda p: jax.tree.map(jnp.copy, p), out_shardings=shardings["params"])(params)
        ) if frozen_reference else None
    del model, params

    settings = resume_settings(cfg, mode, encoded["hash"])
    metadata = {"mode": mode, "config": to_dict(cfg), "arch": dataclasses.asdict(arch),
                "layout": "gajax-scanned", "tokenizer": getattr(tokenizer, "source", ""), "settings": settings}
    if lora:
        metadata["lora_base"] = base_meta

    def check_checkpoint(saved: dict[str, Any]) -> None:
        saved_arch = saved.get("arch")
        # Parsed, so a checkpoint written before a field was added (with its default) still matches.
        if not isinstance(saved_arch, dict) or from_dict(LlamaConfig, saved_arch) != arch:
            raise ValueError(
                f"{trainer.checkpoints.directory} holds a checkpoint of another model (arch {saved.get('arch')}); "
                f"this run trains {metadata['arch']}. Use a new trainer.output_dir."
            )
        if lora:
            check_adapter_base(saved, base_meta, str(trainer.checkpoints.directory))
        check_resume(saved.get("settings"), settings, where=str(trainer.checkpoints.directory), mode=cfg.resume)

    state, start = trainer.restore(state, shardings, check_checkpoint)
    trainer.begin(start, cfg)

    axes = batch_axes(mode)
    prepare = None
    if frozen_reference:
        logp = make_sequence_logp(graphdef)
        reference_fn = jax.jit(lambda p, b, f: jax.lax.map(lambda mb: logp(p, mb, f), b),
                               out_shardings=batch_shardings(mesh, axes)["reference_logps"])
        prepare = lambda batch: {**batch, "reference_logps": reference_fn(reference, batch, base)}
    dropout_seed = loop.seed if lora and cfg.lora.dropout > 0 else None
    step = finetune_step(graphdef, tx, mode, cfg.dpo.beta, cfg.dpo.label_smoothing, cfg.dpo.loss_type, dropout_seed)
    meter = StepMeter(arch, t.seq_len, jax.device_count(), jax.devices()[0].device_kind)
    state, metrics = trainer.fit(
        state, shardings, step, _host_batches(rows, mode, t, loop.seed, start, steps_per_epoch), axes,
        start=start, total_steps=total_steps, metadata=metadata,
        units=lambda host: int(host["segment_ids"].astype(bool).sum()),
        meter=lambda _, tokens: meter.measure(tokens), prepare=prepare,
        describe=_describe, frozen=base, frozen_shardings=base_shardings,
    )
    if loop.export_hf and int(state["step"]) == total_steps:
        trained = nnx.merge(graphdef, state["params"], *(() if base is None else (base,)))
        if lora:
            merge_lora(trained)  # HF gets plain weights: W + A B alpha / rank
        special = {"bos_token_id": tokenizer.bos_id, "eos_token_id": tokenizer.eos_id}

        def write(directory: Path) -> None:
            export_hf_llama(trained, str(directory), special_ids=special)
            tokenizer.save(str(directory))

        trainer.export(write)
    return metrics


def _describe(m: dict[str, Any]) -> str:
    parts = [f"step {m['step']}", f"loss {m['loss']:.4f}", f"{m['seconds']:.2f}s",
             f"{m['tokens_per_s_per_chip']:.0f} tokens/s/chip", f"{m['tflops_per_chip']:.2f} TFLOP/s/chip"]
    if "mfu" in m:
        parts.append(f"MFU {m['mfu']:.1%}")
    for key in ("rewards/accuracy", "rewards/margin"):
        if key in m:
            parts.append(f"{key} {m[key]:.3f}")
    return ", ".join(parts)

def run_sft(cfg: FinetuneConfig) -> int:
    """``gajax sft``."""
    run_finetune(cfg, "sft")
    return 0


def run_dpo(cfg: FinetuneConfig) -> int:
    """``gajax dpo``."""
    run_finetune(cfg, "dpo")
    return 0
