"""Training metrics to JSONL, TensorBoard and Weights & Biases through one writer, from process 0 only.

``metrics.jsonl`` gets one appended line per log step and is never rewritten while a run trains; TensorBoard event
files are written by ``tensorboardX`` (no TensorFlow) under ``<directory>/tensorboard``; W&B is used when it is
listed and ``wandb`` is installed. A resumed run calls :meth:`MetricWriter.start` with the restored checkpoint's
step: the JSONL lines logged after that step by the killed run are dropped and TensorBoard hides its events from
there, so every step is logged exactly once. Object stores cannot append: for a ``gs://`` directory the JSONL file
is kept locally and uploaded whole at each :meth:`MetricWriter.flush` (the trainers flush at every checkpoint).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import jax
from etils import epath

from gajax.config import flatten
from gajax.records import read_jsonl, write_jsonl

MetricKind = Literal["jsonl", "tensorboard", "wandb"]
DEFAULT_KINDS: tuple[MetricKind, ...] = ("jsonl", "tensorboard")
JSONL_FILE = "metrics.jsonl"
TENSORBOARD_DIR = "tensorboard"
WANDB_ID_FILE = "wandb-run-id"


def scalars(values: Mapping[str, Any]) -> dict[str, float]:
    """The numbers in ``values`` keyed by tag, nested mappings flattened with ``/`` (other entries left out)."""
    return {
        tag: float(value)
        for tag, value in flatten(values, "/").items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    }


def _hparams(config: Mapping[str, Any]) -> dict[str, bool | int | float | str]:
    """The config flattened to TensorBoard hyperparameter values (lists and nulls as text)."""
    return {
        key: value if isinstance(value, bool | int | float | str) else json.dumps(value)
        for key, value in flatten(config).items()
    }


def _import_wandb() -> Any:
    try:
        import wandb
    except ImportError:
        raise ValueError(
            "train.metrics lists wandb but the wandb package is not installed: pip install wandb (then wandb login), "
            "or leave wandb out of train.metrics"
        ) from None
    return wandb


class _JsonlLog:
    """``metrics.jsonl``, keeping only the lines up to ``after`` (0: none) and appending from there."""

    def __init__(self, target: epath.Path, after: int):
        self.target = target
        self._staging = tempfile.mkdtemp(prefix="gajax-metrics-") if "://" in str(target) else None
        self.path = Path(self._staging, target.name) if self._staging else Path(target)
        if self._staging and target.exists():
            self.path.write_bytes(target.read_bytes())
        if self.path.exists():
            records = read_jsonl(self.path, {"step": int}, allow_partial_tail=True)
            write_jsonl(self.path, [r for r in records if r["step"] <= after] if after else [])
        self._file = self.path.open("a", encoding="utf-8")

    def append(self, record: Mapping[str, Any]) -> None:
        self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._file.flush()

    def flush(self) -> None:
        if self._staging:
            self.target.write_bytes(self.path.read_bytes())

    def close(self) -> None:
        self._file.close()
        self.flush()
        if self._staging:
            shutil.rmtree(self._staging, ignore_errors=True)


class MetricWriter:
    """Writes a trainer's metrics to the backends in ``kinds`` under ``directory``; a no-op off process 0.

    Construction checks that the directory is writable (and that wandb is installed when listed), so a bad
    directory fails when the run starts. Call :meth:`start` once the start step is known, :meth:`write` at each
    log step, :meth:`flush` at checkpoints and :meth:`close` at the end (or use it as a context manager).
    """

    def __init__(self, directory: str | os.PathLike[str], kinds: Sequence[MetricKind] = DEFAULT_KINDS,
                 *, enabled: bool | None = None):
        self.directory = epath.Path(directory)
        self.kinds = tuple(dict.fromkeys(kinds))
        self.enabled = jax.process_index() == 0 if enabled is None else enabled
        self._jsonl: _JsonlLog | None = None
        self._tensorboard: Any = None
        self._wandb_run: Any = None
        if not self.enabled:
            return
        self._wandb = _import_wandb() if "wandb" in self.kinds else None
        probe = self.directory / f".write-test-{os.getpid()}"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            probe.write_text("")
            probe.unlink()
        except OSError as err:
            raise ValueError(f"metrics directory {self.directory} is not writable: {err}") from None

    def start(self, step: int = 0, config: Mapping[str, Any] | None = None) -> None:
        """Open the backends for a run that goes on after ``step`` (0: a fresh run, earlier metrics dropped);
        a fresh run logs ``config`` (the resolved config) as hyperparameters and text."""
        if not self.enabled:
            return
        if "jsonl" in self.kinds:
            self._jsonl = _JsonlLog(self.directory / JSONL_FILE, step)
        if "tensorboard" in self.kinds:
            from tensorboardX import SummaryWriter
            from tensorboardX.summary import hparams

            # Events at or after purge_step left by a killed run are hidden by TensorBoard; the suffix keeps the
            # event files of runs started within one second apart and in order.
            self._tensorboard = SummaryWriter(str(self.directory / TENSORBOARD_DIR), purge_step=step + 1 if step else 0,
                                              filename_suffix=f".{time.time_ns()}")
            if config is not None and not step:
                for summary in hparams(_hparams(config), {}):
                    self._tensorboard.file_writer.add_summary(summary)
                text = json.dumps(config, indent=2, ensure_ascii=False)
                self._tensorboard.add_text("config", "\n".join("    " + line for line in text.splitlines()), 0)
        if self._wandb is not None:
            id_file = self.directory / WANDB_ID_FILE
            if not step or not id_file.exists():
                id_file.write_text(uuid.uuid4().hex[:12])
            local = "://" not in str(self.directory)  # wandb keeps its own files on a local disk
            self._wandb_run = self._wandb.init(
                id=id_file.read_text().strip(), resume="allow", name=self.directory.name,
                dir=str(self.directory) if local else None, config=dict(config or {}),
            )

    def write(self, step: int, values: Mapping[str, Any]) -> None:
        """Log ``values`` at ``step``: the whole record to JSONL, its numbers (see :func:`scalars`) elsewhere."""
        if not self.enabled:
            return
        if self._jsonl is not None:
            self._jsonl.append({**values, "step": step})
        numbers = scalars(values)
        if self._tensorboard is not None:
            for tag, value in numbers.items():
                self._tensorboard.add_scalar(tag, value, step)
        if self._wandb_run is not None:
            self._wandb_run.log(numbers, step=step)

    def flush(self) -> None:
        """Make everything written so far durable (called at checkpoints)."""
        if self._jsonl is not None:
            self._jsonl.flush()
        if self._tensorboard is not None:
            self._tensorboard.flush()

    def close(self) -> None:
        """Flush and close every backend."""
        if self._jsonl is not None:
            self._jsonl.close()
        if self._tensorboard is not None:
            self._tensorboard.close()
        if self._wandb_run is not None:
            self._wandb_run.finish()
        self._jsonl = self._tensorboard = self._wandb_run = None

    def __enter__(self) -> MetricWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
