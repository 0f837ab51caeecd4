"""Orbax checkpoints for any training stage: async saves, keep N, JSON metadata, sharded restore.

A checkpoint holds one pytree (typically ``{"params", "opt_state", "step", "data_position", "rng"}``) and a JSON
metadata item (the config snapshot and anything a reader needs to rebuild the model). Orbax writes each step into a
temporary directory and renames it when complete, so a run killed mid-save never leaves a half-written step that a
restore would pick up. Restoring takes an abstract target whose leaves carry the current mesh's shardings, so a
checkpoint written on one mesh loads onto another.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jax
import numpy as np
import orbax.checkpoint as ocp
from etils import epath


def abstract_target(tree: Any, shardings: Any | None = None) -> Any:
    """``jax.ShapeDtypeStruct`` leaves for ``tree`` (arrays or shape structs), with ``shardings`` when given."""
    if shardings is None:
        return jax.tree.map(
            lambda x: jax.ShapeDtypeStruct(np.shape(x), x.dtype, sharding=getattr(x, "sharding", None)), tree
        )
    # ``shardings`` may be a prefix of ``tree`` (one sharding per nnx Variable, say), so map over it first.
    return jax.tree.map(
        lambda s, sub: jax.tree.map(lambda x: jax.ShapeDtypeStruct(np.shape(x), x.dtype, sharding=s), sub),
        shardings,
        tree,
    )


class CheckpointManager:
    """Save and restore ``(state pytree, metadata dict)`` steps under ``directory``, keeping the newest ``keep``."""

    def __init__(self, directory: str | Path, *, keep: int = 3, async_save: bool = True):
        if keep < 1:
            raise ValueError(f"keep must be >= 1, got {keep}")
        # epath keeps gs:// and other remote URLs intact (pathlib would turn gs://b into a local gs:/b).
        self.directory = epath.Path(directory)
        if "://" not in str(directory):
            self.directory = self.directory.absolute()
        options = ocp.CheckpointManagerOptions(
            max_to_keep=keep, create=True, enable_async_checkpointing=async_save
        )
        self._manager = ocp.CheckpointManager(self.directory, options=options, item_names=("state", "metadata"))

    def latest_step(self) -> int | None:
        """The newest complete step, or None."""
        return self._manager.latest_step()

    def all_steps(self) -> list[int]:
        """Every complete step kept on disk, oldest first."""
        return sorted(self._manager.all_steps())

    def save(self, step: int, state: Any, metadata: dict[str, Any], *, force: bool = False) -> bool:
        """Start saving ``state`` and ``metadata`` as ``step`` (returns at once when async); True if a save began."""
        args = ocp.args.Composite(state=ocp.args.StandardSave(state), metadata=ocp.args.JsonSave(metadata))
        return bool(self._manager.save(step, args=args, force=force))

    def restore(self, target: Any, step: int | None = None) -> tuple[Any, dict[str, Any]]:
        """The state of ``step`` (default: the latest) laid out as ``target`` (see :func:`abstract_target`)."""
        step = self.latest_step() if step is None else step
        if step is None:
            raise FileNotFoundError(f"{self.directory}: no complete checkpoint to restore")
        args = ocp.args.Composite(state=ocp.args.StandardRestore(target), metadata=ocp.args.JsonRestore())
        restored = self._manager.restore(step, args=args)
        return restored.state, dict(restored.metadata)

    def restore_partial(self, target: Any, step: int | None = None) -> Any:
        """Only the parts of the saved state that ``target`` names (e.g. ``{"params": ...}`` of a train state),
        laid out as ``target``; the rest (optimizer moments, ...) is never read."""
        step = self.latest_step() if step is None else step
        if step is None:
            raise FileNotFoundError(f"{self.directory}: no complete checkpoint to restore")
        restore = ocp.args.PyTreeRestore(
            item=target, restore_args=ocp.checkpoint_utils.construct_restore_args(target), partial_restore=True
        )
        return self._manager.restore(step, args=ocp.args.Composite(state=restore)).state

    def metadata(self, step: int | None = None) -> dict[str, Any]:
        """Only the metadata item of ``step`` (default: the latest)."""
        step = self.latest_step() if step is None else step
        if step is None:
            raise FileNotFoundError(f"{self.directory}: no complete checkpoint")
        restored = self._manager.restore(step, args=ocp.args.Composite(metadata=ocp.args.JsonRestore()))
        return dict(restored.metadata)

    def wait(self) -> None:
        """Block until any async save has finished."""
        self._manager.wait_until_finished()

    def close(self) -> None:
        """Finish pending saves and release the manager."""
        self._manager.wait_until_finished()
        self._manager.close()

    def __enter__(self) -> CheckpointManager:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
