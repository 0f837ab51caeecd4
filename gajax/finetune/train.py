"""``gajax sft`` and ``gajax dpo``: Labrador fine-tuning on guided responses, from one CPU to a TPU pod.

One loop serves both trainers: encode the records, build the sharded train state, then for each global batch run
the jitted step, log ``loss, tokens/s/chip, TFLOP/s/chip, MFU`` and save Orbax checkpoints (every N steps, at the
end, and when SIGTERM announces a preemption). A restart with the same ``output_dir`` resumes exactly: the batch
order is a function of (seed, epoch), so the step number alone fixes the data position.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import signal
import tempfile
from pathlib import Path
from typing import Any, Literal

import jax
import jax.numpy as jnp
import numpy as np
from etils import epath
from flax import nnx
from jax.sharding import Mesh, NamedSharding
from tqdm import tqdm

from gajax import distributed
from gajax.checkpoint import CheckpointManager, NonFiniteState, abstract_target
from gajax.config import dump_config, from_dict, to_dict
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
from gajax.finetune.step import (
    OptimizerConfig,
    batch_shardings,
    build_optimizer,
    init_train_state,
    jit_step,
    make_dpo_step,
    make_sequence_logp,
    make_sft_step,
    train_state_shardings,
)
from gajax.metric_writers import DEFAULT_KINDS, MetricKind, MetricWriter
from gajax.models.llama import LlamaConfig
from gajax.perf import StepMeter
from gajax.resume import ResumeMode, check_resume
from gajax.sharding import MeshConfig, logical_to_spec, make_mesh

log = logging.getLogger("gajax.finetune")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Batching, schedule length, logging and checkpoints."""

    seq_len: int = 2048
    micro_batch: int = 8
    grad_accum: int = 1
    epochs: int = 1
    max_steps: int = 0  # stop this run after this step (0: run all epochs); the schedule always spans the epochs
    seed: int = 0
    log_every: int = 1
    metrics: tuple[MetricKind, ...] = DEFAULT_KINDS  # metrics.jsonl, TensorBoard and/or W&B in output_dir
    checkpoint_every: int = 100
    keep_checkpoints: int = 3
    async_checkpoints: bool = True
    output_dir: str = "runs/labrador"
    export_hf: bool = True

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

    path: str = "guided.jsonl"
    prompt_field: str = "prompt"
    response_field: str = "response"
    chosen_field: str = "chosen"
    rejected_field: str = "rejected"
    system: str = ""
    max_prompt_length: int = 1024
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
    optimizer: OptimizerConfig = dataclasses.field(default_factory=OptimizerConfig)
    dpo: DPOSettings = dataclasses.field(default_factory=DPOSettings)
    tpu: TpuConfig = dataclasses.field(default_factory=TpuConfig)
    resume: ResumeMode = "auto"  # force: continue a checkpoint made with other data or settings


class TrainingDiverged(ValueError):
    """The loss or the state turned NaN or infinite; the run stops without saving it."""


def resume_settings(cfg: FinetuneConfig, mode: str, data_hash: str) -> dict[str, Any]:
    """What a resumed run must share with the run that wrote the checkpoint: the data (its path and the hash of
    the encoded rows), batching, schedule and optimizer (DPO settings for DPO), and the starting weights."""
    config = to_dict(cfg)
    train = {k: config["train"][k] for k in ("seq_len", "micro_batch", "grad_accum", "epochs", "seed")}
    settings = {"mode": mode, "data": {**config["data"], "rows_sha256": data_hash}, "train": train,
                "optimizer": config["optimizer"], "model": {"weights": cfg.model.weights}}
    if mode == "dpo":
        settings["dpo"] = config["dpo"]
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


def global_batch_to_device(rows: dict[str, np.ndarray], shardings: dict[str, NamedSharding]) -> dict[str, jax.Array]:
    """Place a host batch ``(accum, batch, ...)`` on the mesh; each process supplies only the rows it owns."""
    out = {}
    for key, array in rows.items():
        sharding = shardings[key]
        index_map = sharding.addressable_devices_indices_map(array.shape)
        batch_slices = [idx[1] for idx in index_map.values()]
        lo = min(s.start or 0 for s in batch_slices)
        hi = max(array.shape[1] if s.stop is None else s.stop for s in batch_slices)
        out[key] = jax.make_array_from_process_local_data(sharding, array[:, lo:hi], array.shape)
    return out


class _Preemption:
    """Turns SIGTERM into a flag the loop checks after each step."""

    def __init__(self) -> None:
        self.requested = False
        self._previous = signal.signal(signal.SIGTERM, self._handle)

    def _handle(self, *_: Any) -> None:
        self.requested = True

    def restore(self) -> None:
        signal.signal(signal.SIGTERM, self._previous)


def _reference_log_probs(
    graphdef: nnx.GraphDef, params: nnx.State, rows: dict[str, np.ndarray], micro: int, mesh: Mesh
) -> np.ndarray:
    """Sequence log-probs of every row under the initial (reference) parameters, in one pass."""
    logp = jax.jit(make_sequence_logp(graphdef))
    ranks = {k: 2 for k in rows}
    shardings = batch_shardings(mesh, ranks, accumulation=False)
    out = np.zeros(len(rows["inputs"]), np.float32)
    with jax.set_mesh(mesh):
        for start in tqdm(range(0, len(out), micro), desc="reference log-probs", unit="batch"):
            chunk = {k: v[start : start + micro] for k, v in rows.items()}
            n = len(chunk["inputs"])
            if n < micro:  # pad the last chunk to a compiled shape
                chunk = {k: np.concatenate([v, np.zeros((micro - n, *v.shape[1:]), v.dtype)]) for k, v in chunk.items()}
            placed = {k: jax.device_put(v, shardings[k]) for k, v in chunk.items()}
            out[start : start + n] = np.asarray(logp(params, placed))[:n]
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


def check_batch_divides(micro_batch: int, mesh: Mesh) -> None:
    """Fail early, with the sizes, when the micro-batch cannot be split over the mesh's batch axes."""
    spec = logical_to_spec(("batch",), mesh_axes=mesh.axis_names)[0]
    names = () if spec is None else (spec,) if isinstance(spec, str) else spec
    shards = int(np.prod([mesh.shape[n] for n in names]))
    if micro_batch % shards:
        raise ValueError(
            f"train.micro_batch={micro_batch} does not divide over the {shards} batch shards of mesh "
            f"{dict(mesh.shape)}; use a multiple of {shards} or give tensor parallelism more of the devices"
        )


def _dpo_micro_batches(rows: dict[str, np.ndarray], index: np.ndarray, accum: int) -> dict[str, np.ndarray]:
    out = {}
    for key, array in rows.items():
        picked = array[index].reshape(accum, -1, *array.shape[1:])  # (accum, pairs, 2, ...)
        out[key] = np.concatenate([picked[:, :, 0], picked[:, :, 1]], axis=1)  # chosen rows then rejected rows
    return out


def run_finetune(cfg: FinetuneConfig, mode: Literal["sft", "dpo"]) -> dict[str, Any]:
    """Train; returns the last metrics. Resumes from ``train.output_dir`` when it holds a checkpoint."""
    t = cfg.train
    distributed.initialize()  # joins a multi-host job, logs the topology, fails fast on an incomplete pod
    writer = MetricWriter(t.output_dir, t.metrics)  # a metrics directory that cannot be written fails here
    mesh = make_mesh(cfg.mesh)
    check_batch_divides(t.micro_batch * (2 if mode == "dpo" else 1), mesh)  # a DPO row is a pair: 2 sequences
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
    total_steps = min(t.max_steps, schedule_steps) if t.max_steps else schedule_steps
    log.warning(
        "%s: %d examples -> %d rows; %d steps (%d per epoch); %d prompts and %d responses truncated",
        mode, stats.examples, num_rows, total_steps, steps_per_epoch, stats.prompts_truncated,
        stats.responses_truncated,
    )

    arch = model.cfg
    graphdef, params = nnx.split(model)
    frozen_reference = mode == "dpo" and not cfg.dpo.precompute_ref_log_probs
    if mode == "dpo" and not frozen_reference:
        # One pass of the initial policy over every pair; no second model stays in memory during training.
        flat = {k: v.reshape(-1, *v.shape[2:]) for k, v in rows.items()}
        ref = _reference_log_probs(graphdef, params, flat, max(t.micro_batch, 1) * 2, mesh)
        rows["reference_logps"] = ref.reshape(num_rows, 2)
    tx = build_optimizer(cfg.optimizer, schedule_steps)
    state_shardings = train_state_shardings(tx, params, mesh)
    with jax.set_mesh(mesh):
        state = jax.jit(lambda p: init_train_state(p, tx), out_shardings=state_shardings)(params)
        # A frozen reference keeps its own copy of the initial weights (the state's buffers are donated).
        reference = (
            jax.jit(lambda p: jax.tree.map(jnp.copy, p), out_shardings=state_shardings["params"])(params)
            if frozen_reference
            else None
        )
    del model, params

    out_dir = epath.Path(t.output_dir)  # local or remote (gs://...): every host writes to the same place
    manager = CheckpointManager(out_dir / "checkpoints", keep=t.keep_checkpoints, async_save=t.async_checkpoints)
    settings = resume_settings(cfg, mode, encoded["hash"])
    metadata = {"mode": mode, "config": to_dict(cfg), "arch": dataclasses.asdict(arch),
                "layout": "gajax-scanned", "tokenizer": getattr(tokenizer, "source", ""), "settings": settings}

    def check_checkpoint(saved: dict[str, Any]) -> None:
        saved_arch = saved.get("arch")
        # Parsed, so a checkpoint written before a field was added (with its default) still matches.
        if not isinstance(saved_arch, dict) or from_dict(LlamaConfig, saved_arch) != arch:
            raise ValueError(
                f"{manager.directory} holds a checkpoint of another model (arch {saved.get('arch')}); this run "
                f"trains {metadata['arch']}. Use a new train.output_dir."
            )
        check_resume(saved.get("settings"), settings, where=str(manager.directory), mode=cfg.resume)

    start = 0
    if manager.all_steps():
        target = abstract_target(state, state_shardings)
        state, _ = manager.restore(target, set_aside_damaged=True, check_metadata=check_checkpoint)
        start = int(state["step"])
        log.warning("resumed from %s at step %d", manager.directory, start)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "config.yaml").write_text(dump_config(cfg))
    writer.start(start, metadata["config"])  # drops what a killed run logged after the restored step

    # Batches are (accum, rows, seq_len); DPO's reference log-probs are (accum, rows).
    ranks = {k: (2 if k == "reference_logps" else 3) for k in rows}
    if frozen_reference:
        ranks["reference_logps"] = 2
    shardings = batch_shardings(mesh, ranks)
    reference_fn = None
    if frozen_reference:
        logp = make_sequence_logp(graphdef)
        reference_fn = jax.jit(
            lambda p, b: jax.lax.map(lambda mb: logp(p, mb), b), out_shardings=shardings["reference_logps"]
        )
    step_fn = jit_step(
        make_sft_step(graphdef, tx)
        if mode == "sft"
        else make_dpo_step(graphdef, tx, cfg.dpo.beta, cfg.dpo.label_smoothing, cfg.dpo.loss_type),
        state_shardings,
        shardings,
        mesh,
    )
    meter = StepMeter(arch, t.seq_len, jax.device_count(), jax.devices()[0].device_kind)
    preemption = _Preemption()
    metrics: dict[str, Any] = {}
    bar = tqdm(total=total_steps, initial=start, desc=mode, unit="step", disable=jax.process_index() != 0)
    try:
        with jax.set_mesh(mesh):
            step = start
            while step < total_steps:
                epoch, position = divmod(step, steps_per_epoch)
                for index in epoch_batches(num_rows, t.global_batch, t.seed, epoch, start=position):
                    if mode == "sft":
                        host = {k: v[index].reshape(t.grad_accum, t.micro_batch, -1) for k, v in rows.items()}
                    else:
                        host = _dpo_micro_batches(rows, index, t.grad_accum)
                    tokens = int(host["segment_ids"].astype(bool).sum())
                    device_batch = global_batch_to_device(host, shardings)
                    if reference_fn is not None:
                        device_batch["reference_logps"] = reference_fn(reference, device_batch)
                    state, step_metrics = step_fn(state, device_batch)
                    step += 1
                    bar.update(1)
                    if step % t.log_every == 0 or step == total_steps:
                        metrics = {k: float(v) for k, v in step_metrics.items()} | meter.measure(tokens * t.log_every)
                        metrics["step"] = step
                        if not np.isfinite(metrics["loss"]):
                            raise TrainingDiverged(_diverged(mode, step, metrics["loss"], manager))
                        bar.set_postfix(loss=f"{metrics['loss']:.4f}")
                        _log_step(metrics)
                        writer.write(step, metrics)
                    if step % t.checkpoint_every == 0 or preemption.requested:
                        _save(manager, step, state, metadata, mode)
                        writer.flush()
                    if preemption.requested:
                        manager.wait()
                        log.warning("SIGTERM: saved step %d to %s; stopping", step, manager.directory)
                        return metrics
                    if step >= total_steps:
                        break
            if manager.latest_step() != step:
                _save(manager, step, state, metadata, mode)
            manager.wait()
    finally:
        bar.close()
        preemption.restore()
        manager.close()
        writer.close()
    if t.export_hf and jax.process_index() == 0:
        trained = nnx.merge(graphdef, state["params"])
        with tempfile.TemporaryDirectory() as tmp:
            export_hf_llama(trained, tmp, special_ids={"bos_token_id": tokenizer.bos_id,
                                                       "eos_token_id": tokenizer.eos_id})
            tokenizer.save(tmp)
            (out_dir / "hf").mkdir(parents=True, exist_ok=True)
            for file in Path(tmp).iterdir():
                epath.Path(file).copy(out_dir / "hf" / file.name, overwrite=True)
        log.warning("exported HF safetensors to %s", out_dir / "hf")
    return metrics


def _diverged(mode: str, step: int, what: Any, manager: CheckpointManager) -> str:
    manager.wait()
    kept = manager.latest_step()
    last = f"step {kept} in {manager.directory} is the newest finite checkpoint" if kept else "no checkpoint was saved"
    return (f"{mode}: {what} at step {step}; stopped without saving it ({last}). Lower optimizer.learning_rate or "
            "check the data, then rerun to resume from that checkpoint")


def _save(manager: CheckpointManager, step: int, state: Any, metadata: dict[str, Any], mode: str) -> None:
    """Save ``step``, or stop the run (keeping the newest finite checkpoint) when the state is not finite."""
    try:
        manager.save(step, state, metadata, force=True)
    except NonFiniteState as err:
        raise TrainingDiverged(_diverged(mode, step, f"the state is not finite ({err})", manager)) from None


def _log_step(m: dict[str, Any]) -> None:
    parts = [f"step {m['step']}", f"loss {m['loss']:.4f}", f"{m['seconds']:.2f}s",
             f"{m['tokens_per_s_per_chip']:.0f} tokens/s/chip", f"{m['tflops_per_chip']:.2f} TFLOP/s/chip"]
    if "mfu" in m:
        parts.append(f"MFU {m['mfu']:.1%}")
    for key in ("rewards/accuracy", "rewards/margin"):
        if key in m:
            parts.append(f"{key} {m[key]:.3f}")
    log.warning(", ".join(parts))


def run_sft(cfg: FinetuneConfig) -> int:
    """``gajax sft``."""
    run_finetune(cfg, "sft")
    return 0


def run_dpo(cfg: FinetuneConfig) -> int:
    """``gajax dpo``."""
    run_finetune(cfg, "dpo")
    return 0
