"""The one training loop of gajax: SFT, DPO, ``train-retriever`` and the seed adapters all run on :class:`Trainer`.

:func:`start` joins the distributed job and builds the mesh. A trainer supplies what is its own: a gradient function
(:func:`loss_gradients` of a loss, or its own with accumulation), its state (``{"params", "opt_state", "step"}``
from :func:`init_train_state`; only the params it hands over are trained and saved, so a LoRA run hands over its
adapter and gives the frozen base to ``fit(frozen=...)``), a batch source (host arrays, a pure function of the step
so a resumed run sees the same data) with the logical axes of each array, and what to do after a step (evaluation,
loss records).
:class:`Trainer` owns the rest: the mesh's batch placement (:func:`gajax.sharding.put_batch`), the jitted step with
the old state donated (:func:`jit_train_step`, also what ``gajax aot`` lowers), Orbax checkpoints with resume,
SIGTERM and a divergence stop, step logging (loss, throughput; tokens/s/chip and MFU for decoders via
:class:`gajax.perf.StepMeter`) to the metric writers, and the export directory. With ``output_dir: ""`` nothing is
written (the seed adapters, which train in seconds).
"""

from __future__ import annotations

import dataclasses
import logging
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from etils import epath
from flax import nnx
from jax.sharding import Mesh, NamedSharding, PartitionSpec
from tqdm.auto import tqdm

from gajax import distributed
from gajax.checkpoint import CheckpointManager, NonFiniteState, abstract_target
from gajax.config import dump_config, to_dict
from gajax.metric_writers import DEFAULT_KINDS, MetricKind, MetricWriter
from gajax.sharding import BatchAxes, MeshConfig, batch_shardings, make_mesh, put_batch, state_shardings

log = logging.getLogger("gajax.trainer")

Batch = dict[str, jax.Array]
TrainState = dict[str, Any]
Metrics = dict[str, jax.Array]
GradFn = Callable[[Any, Batch], tuple[Any, Metrics]]
StepFn = Callable[[TrainState, Batch], tuple[TrainState, Metrics]]


@dataclasses.dataclass(frozen=True)
class TrainerConfig:
    """The loop's settings (the ``trainer`` section of ``sft``, ``dpo`` and ``train-retriever``).

    ``steps``: the step this run stops after (0: the trainer's own length, all epochs for SFT/DPO; the retriever's
    schedule spans ``steps``). ``seed`` fixes the batch order. Every ``log_every`` steps the metrics go to
    ``metrics`` (``jsonl``, ``tensorboard``, ``wandb``) in ``output_dir``; every ``checkpoint_every`` steps (0:
    never), at the end and on SIGTERM an Orbax checkpoint, keeping ``keep_checkpoints``. ``export_hf``: write the
    trained model as HF safetensors under ``<output_dir>/hf`` at the end.
    """

    steps: int = 0
    seed: int = 0
    log_every: int = 1
    metrics: tuple[MetricKind, ...] = DEFAULT_KINDS
    checkpoint_every: int = 100
    keep_checkpoints: int = 3
    async_checkpoints: bool = True
    output_dir: str = ""
    export_hf: bool = True

    def __post_init__(self) -> None:
        if self.steps < 0 or self.log_every < 1 or self.checkpoint_every < 0:
            raise ValueError(f"trainer.steps and trainer.checkpoint_every must be >= 0 and trainer.log_every >= 1, "
                             f"got {self.steps}, {self.checkpoint_every}, {self.log_every}")


class TrainingDiverged(ValueError):
    """The loss or the state turned NaN or infinite; the run stops without saving it."""


def start(mesh: MeshConfig) -> Mesh:
    """Join a multi-host job (logging the topology, failing fast on an incomplete pod) and build the mesh."""
    distributed.initialize()
    return make_mesh(mesh)


# ------------------------------------------------------------------------------------------------- the step


def init_train_state(params: Any, tx: optax.GradientTransformation) -> TrainState:
    """A fresh train state (step 0) around existing parameters."""
    return {"params": params, "opt_state": tx.init(params), "step": jnp.zeros((), jnp.int32)}


def train_state_shardings(tx: optax.GradientTransformation, params: Any, mesh: Mesh) -> dict[str, Any]:
    """NamedShardings of the whole train state: parameters by their logical axes (plain arrays replicated),
    optimizer moments following their parameters."""
    replicated = NamedSharding(mesh, PartitionSpec())
    is_var = lambda x: isinstance(x, nnx.Variable)
    param_shardings = jax.tree.map(
        lambda v: state_shardings(v, mesh) if is_var(v) else replicated, params, is_leaf=is_var
    )
    opt_shardings = optax.tree_map_params(
        tx, lambda _, sharding: sharding, jax.eval_shape(tx.init, params), param_shardings,
        transform_non_params=lambda _: replicated, is_leaf=is_var,
    )
    return {"params": param_shardings, "opt_state": opt_shardings, "step": replicated}


def apply_gradients(tx: optax.GradientTransformation, state: TrainState, grads: Any) -> tuple[TrainState, jax.Array]:
    """One optimizer update; returns the new state and the gradients' global norm."""
    updates, opt_state = tx.update(grads, state["opt_state"], state["params"])
    params = optax.apply_updates(state["params"], updates)
    return {"params": params, "opt_state": opt_state, "step": state["step"] + 1}, optax.global_norm(grads)


def loss_gradients(loss_fn: Callable[[Any, Batch], Any], has_aux: bool = False) -> GradFn:
    """A :data:`GradFn` from ``loss_fn(params, batch) -> loss`` (or ``(loss, metrics)`` with ``has_aux``)."""

    def grads(params: Any, batch: Batch) -> tuple[Any, Metrics]:
        value, grads = jax.value_and_grad(loss_fn, has_aux=has_aux)(params, batch)
        loss, metrics = value if has_aux else (value, {})
        return grads, {"loss": loss, **metrics}

    return grads


def make_step(grad_fn: GradFn, tx: optax.GradientTransformation) -> StepFn:
    """``step(state, batch) -> (state, metrics)``: ``grad_fn``'s gradients applied by ``tx``."""

    def step(state: TrainState, batch: Batch) -> tuple[TrainState, Metrics]:
        grads, metrics = grad_fn(state["params"], batch)
        new_state, grad_norm = apply_gradients(tx, state, grads)
        return new_state, {**metrics, "grad_norm": grad_norm}

    return step


def jit_train_step(step: StepFn, state_shardings: Any, batch_shardings: Any, mesh: Mesh,
                   frozen_shardings: Any = None) -> Callable[..., Any]:
    """``jax.jit`` a train step with explicit shardings, donating the old state (``gajax aot`` lowers this).
    With ``frozen_shardings`` the step takes a third argument: parameters it reads but never trains (a LoRA
    run's base weights), neither donated nor saved."""
    replicated = NamedSharding(mesh, PartitionSpec())
    ins = (state_shardings, batch_shardings) + (() if frozen_shardings is None else (frozen_shardings,))
    return jax.jit(step, in_shardings=ins, out_shardings=(state_shardings, replicated), donate_argnames=("state",))


# ------------------------------------------------------------------------------------------------- the loop


class _Preemption:
    """Turns SIGTERM into a flag the loop checks after each step (main thread only)."""

    def __init__(self, active: bool) -> None:
        self.requested = False
        self._previous = None
        if active and threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGTERM, self._handle)

    def _handle(self, *_: Any) -> None:
        self.requested = True

    def restore(self) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)


class Trainer:
    """Runs a train step over a batch source with checkpoints, logging and export (see the module docstring).

    ``name`` labels the progress bar and messages; ``progress`` shows the bar (on process 0).
    """

    def __init__(self, cfg: TrainerConfig, mesh: Mesh, *, name: str, progress: bool = True):
        self.cfg, self.mesh, self.name, self.progress = cfg, mesh, name, progress
        writes = bool(cfg.output_dir)
        self.output_dir = epath.Path(cfg.output_dir) if writes else None  # local or remote (gs://...)
        self.writer = MetricWriter(cfg.output_dir, cfg.metrics) if writes else None  # unwritable: fails here
        self.checkpoints = (
            CheckpointManager(self.output_dir / "checkpoints", keep=cfg.keep_checkpoints,
                              async_save=cfg.async_checkpoints)
            if writes and cfg.checkpoint_every else None
        )

    def restore(self, state: TrainState, shardings: Any,
                check_metadata: Callable[[dict[str, Any]], None] | None = None) -> tuple[TrainState, int]:
        """The newest checkpoint that verifies laid out as ``state`` (damaged newer steps set aside), and its
        step; ``state`` and 0 when there is none."""
        if self.checkpoints is None or not self.checkpoints.all_steps():
            return state, 0
        target = abstract_target(state, shardings)
        state, _ = self.checkpoints.restore(target, set_aside_damaged=True, check_metadata=check_metadata)
        start = int(state["step"])
        log.warning("%s: resumed from %s at step %d", self.name, self.checkpoints.directory, start)
        return state, start

    def begin(self, start: int, config: Any) -> None:
        """Write ``config`` as ``<output_dir>/config.yaml`` and start the metric writers at step ``start``
        (dropping what a killed run logged after the restored step)."""
        if self.output_dir is None:
            return
        self.output_dir.mkdir(parents=True, exist_ok=True)
        (self.output_dir / "config.yaml").write_text(dump_config(config))
        assert self.writer is not None
        self.writer.start(start, to_dict(config))

    def fit(
        self,
        state: TrainState,
        state_shardings: Any,
        step: StepFn,
        batches: Iterator[Mapping[str, np.ndarray]],
        batch_axes: BatchAxes,
        *,
        start: int,
        total_steps: int,
        stop_after: int | None = None,
        metadata: dict[str, Any] | None = None,
        units: Callable[[Mapping[str, np.ndarray]], int] | None = None,
        meter: Callable[[int, int], dict[str, Any]] | None = None,
        prepare: Callable[[Batch], Batch] | None = None,
        after_step: Callable[[int, TrainState, Metrics], None] | None = None,
        describe: Callable[[dict[str, Any]], str] | None = None,
        frozen: Any = None,
        frozen_shardings: Any = None,
    ) -> tuple[TrainState, dict[str, Any]]:
        """Train from step ``start`` to ``total_steps`` (or ``stop_after`` steps, ending as an interruption
        would: no final checkpoint); returns the state and the last logged metrics.

        ``batches`` yields the host batch of each step from ``start`` on, placed by ``batch_axes``;
        ``prepare`` completes a placed batch (e.g. a frozen reference's log-probs); ``units(batch)`` counts the
        work of a batch (tokens, pairs) for ``meter(step, units) -> throughput metrics`` at each log;
        ``after_step(step, state, metrics)`` runs after every step; ``describe(metrics)`` is the log line;
        ``metadata`` goes into every checkpoint; ``frozen`` (laid out as ``frozen_shardings``) is handed to every
        step as its third argument and never trained or saved (see :func:`jit_train_step`). Call :meth:`begin`
        first.
        """
        cfg = self.cfg
        end = total_steps if stop_after is None else min(total_steps, start + stop_after)
        shardings = batch_shardings(self.mesh, batch_axes)
        step_fn = jit_train_step(step, state_shardings, shardings, self.mesh,
                                 None if frozen is None else frozen_shardings)
        extra = () if frozen is None else (frozen,)
        metadata = metadata or {}
        preemption = _Preemption(self.checkpoints is not None)
        metrics: dict[str, Any] = {}
        done_units = 0
        bar = tqdm(total=total_steps, initial=start, desc=self.name, unit="step",
                   disable=not self.progress or jax.process_index() != 0)
        current = start
        try:
            with jax.set_mesh(self.mesh):
                while current < end:
                    host = next(batches)
                    done_units += units(host) if units is not None else 0
                    batch = put_batch(host, shardings)
                    if prepare is not None:
                        batch = prepare(batch)
                    state, step_metrics = step_fn(state, batch, *extra)
                    current += 1
                    bar.update(1)
                    if after_step is not None:
                        after_step(current, state, step_metrics)
                    if current % cfg.log_every == 0 or current == end:
                        metrics = self._log(current, step_metrics, meter, done_units, bar, describe)
                        done_units = 0
                    if self._checkpoint_due(current, total_steps, preemption.requested):
                        self._save(current, state, metadata)
                    if preemption.requested:
                        assert self.checkpoints is not None
                        self.checkpoints.wait()
                        log.warning("SIGTERM: saved step %d to %s; stopping", current, self.checkpoints.directory)
                        return state, metrics
            if self.checkpoints is not None:
                if end == total_steps and self.checkpoints.latest_step() != end:
                    self._save(end, state, metadata)
                self.checkpoints.wait()
        finally:
            bar.close()
            preemption.restore()
        return state, metrics

    def _checkpoint_due(self, step: int, total_steps: int, preempted: bool) -> bool:
        if self.checkpoints is None:
            return False
        return step % self.cfg.checkpoint_every == 0 or step == total_steps or preempted

    def _log(self, step: int, step_metrics: Metrics, meter: Callable[[int, int], dict[str, Any]] | None, units: int,
             bar: Any, describe: Callable[[dict[str, Any]], str] | None) -> dict[str, Any]:
        metrics: dict[str, Any] = {k: float(v) for k, v in step_metrics.items()}
        if meter is not None:
            metrics |= meter(step, units)
        metrics["step"] = step
        if not np.isfinite(metrics["loss"]):
            raise TrainingDiverged(self._diverged(step, metrics["loss"]))
        bar.set_postfix(loss=f"{metrics['loss']:.4f}")
        if describe is not None:
            log.warning(describe(metrics))
        if self.writer is not None:
            self.writer.write(step, metrics)
        return metrics

    def _diverged(self, step: int, what: Any) -> str:
        if self.checkpoints is None:
            return f"{self.name}: {what} at step {step}; stopped"
        self.checkpoints.wait()
        kept = self.checkpoints.latest_step()
        last = (f"step {kept} in {self.checkpoints.directory} is the newest finite checkpoint" if kept
                else "no checkpoint was saved")
        return (f"{self.name}: {what} at step {step}; stopped without saving it ({last}). Lower "
                "optimizer.learning_rate or check the data, then rerun to resume from that checkpoint")

    def _save(self, step: int, state: TrainState, metadata: dict[str, Any]) -> None:
        """Save ``step``, or stop the run (keeping the newest finite checkpoint) when the state is not finite."""
        assert self.checkpoints is not None
        try:
            self.checkpoints.save(step, state, metadata, force=True)
        except NonFiniteState as err:
            raise TrainingDiverged(self._diverged(step, f"the state is not finite ({err})")) from None
        if self.writer is not None:
            self.writer.flush()

    def close(self) -> None:
        """Finish pending checkpoint saves and metric writes."""
        if self.checkpoints is not None:
            self.checkpoints.close()
        if self.writer is not None:
            self.writer.close()

    def __enter__(self) -> Trainer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def export(self, write: Callable[[Path], None], subdir: str = "hf") -> epath.Path | None:
        """On process 0: ``write(directory)`` into a local temporary directory, then copy it to
        ``<output_dir>/<subdir>`` (local or remote); returns that directory (None on other processes)."""
        assert self.output_dir is not None, "export needs trainer.output_dir"
        target = self.output_dir / subdir
        if jax.process_index() != 0:
            return None
        with tempfile.TemporaryDirectory() as tmp:
            write(Path(tmp))
            for file in sorted(Path(tmp).rglob("*")):
                if file.is_file():
                    dest = target / file.relative_to(tmp).as_posix()
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    epath.Path(file).copy(dest, overwrite=True)
        log.warning("exported HF safetensors to %s", target)
        return target
