"""Orbax checkpoints for any training stage: async saves, keep N, JSON metadata, verified sharded restore.

A checkpoint holds one pytree (typically ``{"params", "opt_state", "step", "data_position", "rng"}``), a JSON
metadata item (the config snapshot and anything a reader needs to rebuild the model) and a JSON ``checksums`` item.
Orbax writes each step into a temporary directory and renames it when complete, so a run killed mid-save never
leaves a half-written step that a restore would pick up. Restoring takes an abstract target whose leaves carry the
current mesh's shardings, so a checkpoint written on one mesh loads onto another.

Verification. Orbax's OCDBT store keeps a CRC-32C only on its b-tree nodes (TensorStore checks them on read); the
array data itself carries no checksum, so a damaged data file would restore as different numbers. Saving therefore
records, per array, its dtype, shape and a position-weighted 64-bit sum of its bits, computed on the devices where
the array lives (exact integer arithmetic: the same on any mesh), and refuses a state holding NaN or infinity.
Restoring checks the step's files first (required files present, JSON files parse), wraps any Orbax/TensorStore
error into one :class:`CheckpointDamaged` line naming the file, and compares every restored array with its record.
Without an explicit step, a damaged newest step is reported and the newest step that verifies is restored.
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import orbax.checkpoint as ocp
from etils import epath

log = logging.getLogger("gajax.checkpoint")

ITEMS = ("state", "metadata", "checksums")
# Files Orbax cannot restore a step without, and the JSON files it reads (a damaged one is named before Orbax runs).
_REQUIRED_FILES = ("metadata/metadata", "state/_METADATA", "state/manifest.ocdbt")
_JSON_FILES = ("_CHECKPOINT_METADATA", "metadata/metadata", "checksums/metadata", "state/_METADATA",
               "state/_sharding", "state/array_metadatas/*")
_TS_FILE = re.compile(r'local file "([^"]+)"')
_TS_SIZE = re.compile(r"not valid for value of size (\d+)")
_TS_KEY = re.compile(r'Error reading "([^"/]+)[^"]*" in OCDBT')


class CheckpointDamaged(ValueError):
    """A checkpoint step that cannot be read, or whose arrays differ from what was saved."""


class NonFiniteState(ValueError):
    """A state holding NaN or infinity, which is never saved."""


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


# ---------------------------------------------------------------------------------------------------------------
# Checksums


def _bits(x: jax.Array) -> jax.Array:
    """The bits of every element as uint32 (64-bit elements folded), in ``x``'s shape."""
    if jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key):
        x = jax.random.key_data(x)
    if x.dtype == jnp.bool_:
        return x.astype(jnp.uint32)
    size = x.dtype.itemsize
    if size == 4:
        return jax.lax.bitcast_convert_type(x, jnp.uint32)
    if size in (1, 2):
        return jax.lax.bitcast_convert_type(x, jnp.uint8 if size == 1 else jnp.uint16).astype(jnp.uint32)
    halves = jax.lax.bitcast_convert_type(x, jnp.uint32)  # (..., 2)
    return halves[..., 0] ^ (halves[..., 1] * jnp.uint32(0x9E3779B1))


@jax.jit
def _digest_leaves(leaves: list[jax.Array]) -> tuple[list[jax.Array], list[jax.Array]]:
    """Per leaf: (sum of bits, sum of bits x odd position weight) mod 2**32, and whether all values are finite."""
    sums, finite = [], []
    for x in leaves:
        bits = _bits(x)
        position = jnp.zeros(bits.shape, jnp.uint32)
        stride = 1
        for axis in reversed(range(bits.ndim)):  # the flat index, without reshaping a sharded array
            position = position + jax.lax.broadcasted_iota(jnp.uint32, bits.shape, axis) * jnp.uint32(stride % 2**32)
            stride *= bits.shape[axis]
        weight = position * jnp.uint32(2) + jnp.uint32(1)
        sums.append(jnp.stack([jnp.sum(bits, dtype=jnp.uint32), jnp.sum(bits * weight, dtype=jnp.uint32)]))
        inexact = jnp.issubdtype(x.dtype, jnp.inexact)
        finite.append(jnp.all(jnp.isfinite(x)) if inexact else jnp.ones((), bool))
    return sums, finite


def state_digest(tree: Any) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """``{leaf path: {dtype, shape, checksum}}`` of a pytree of arrays, and the paths of leaves holding NaN/inf."""
    flat = jax.tree_util.tree_flatten_with_path(tree)[0]
    paths = [jax.tree_util.keystr(path) for path, _ in flat]
    leaves = [jnp.asarray(leaf) if not isinstance(leaf, jax.Array) else leaf for _, leaf in flat]
    sums, finite = jax.device_get(_digest_leaves(leaves))
    digest = {
        p: {"dtype": str(leaf.dtype), "shape": list(np.shape(leaf)), "checksum": f"{int(s[0]):08x}{int(s[1]):08x}"}
        for p, leaf, s in zip(paths, leaves, sums, strict=True)
    }
    return digest, [p for p, ok in zip(paths, finite, strict=True) if not ok]


# ---------------------------------------------------------------------------------------------------------------
# Reading damaged steps


@contextlib.contextmanager
def _orbax_errors(where: epath.Path) -> Iterator[None]:
    """Turn any Orbax/TensorStore failure into one :class:`CheckpointDamaged` line naming the file.

    Orbax reads arrays in parallel asyncio tasks; when one fails, the others' errors are logged at garbage
    collection, and TensorStore's late callbacks into Orbax's closed event loop print tracebacks (up to interpreter
    exit). Both are silenced: the failure is reported once, here.
    """
    asyncio_log = logging.getLogger("asyncio")
    level = asyncio_log.level
    asyncio_log.setLevel(logging.CRITICAL)
    try:
        yield
    except CheckpointDamaged:
        raise
    except Exception as err:  # TensorStore raises bare Exceptions and ValueErrors
        _drop_late_loop_callbacks()
        raise CheckpointDamaged(_describe(err, where)) from None
    finally:
        gc.collect()
        asyncio_log.setLevel(level)


def _drop_late_loop_callbacks() -> None:
    """Install (once) an unraisable-exception hook that drops the errors of reads abandoned after the first one
    failed ("Event loop is closed", Orbax read coroutines collected with their exception)."""
    previous = sys.unraisablehook
    if getattr(previous, "gajax_filter", False):
        return

    def hook(unraisable: Any) -> None:
        closed_loop = isinstance(unraisable.exc_value, RuntimeError) and "Event loop is closed" in str(
            unraisable.exc_value
        )
        code = getattr(unraisable.object, "cr_code", None)  # an abandoned Orbax read coroutine, already reported
        if closed_loop or (code is not None and "orbax" in code.co_filename):
            return
        previous(unraisable)

    hook.gajax_filter = True  # type: ignore[attr-defined]
    sys.unraisablehook = hook


def _describe(err: BaseException, where: epath.Path) -> str:
    """One line for an Orbax/TensorStore error: the file it names (else ``where``), the array, the reason."""
    chain, seen = [], err
    while seen is not None and len(chain) < 8:
        chain.append(str(seen))
        seen = seen.__cause__ or seen.__context__
    text = next((m for m in reversed(chain) if _TS_FILE.search(m)), chain[-1])
    text = text.split(" [tensorstore_spec=")[0].strip()
    files = _TS_FILE.findall(text)
    key = _TS_KEY.search(text)
    reason = text.rsplit(f'local file "{files[-1]}": ', 1)[-1] if files else text
    reason = reason.splitlines()[0] if reason else type(err).__name__
    if files and reason == text:  # TensorStore named the file last, as the one it could not read
        reason = f"cannot be read ({text.split(':')[0]})"
    place = files[-1] if files else str(where)
    size = _TS_SIZE.search(reason)
    if size and place.endswith("/"):  # an OCDBT data file shorter than its index says: find it by its size
        database = epath.Path(place)
        candidates = [*database.glob("d/*"), *database.glob("ocdbt.process_*/d/*")]
        cut = [f for f in candidates if f.stat().length == int(size.group(1))]
        place = str(cut[0]) if len(cut) == 1 else place
    if key and place.endswith("/"):
        place += f" (a data file of array {key.group(1)})"
    return f"{place}: {reason}"


def _check_files(step_dir: epath.Path) -> None:
    """Refuse a step whose required files are missing or whose JSON files do not parse, naming the file."""
    for name in _REQUIRED_FILES:
        if not (step_dir / name).exists():
            raise CheckpointDamaged(f"{step_dir / name}: missing (the step is incomplete or damaged)")
    for pattern in _JSON_FILES:
        for file in step_dir.glob(pattern):
            try:
                json.loads(file.read_bytes().decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as err:
                raise CheckpointDamaged(f"{file}: not valid JSON ({err})") from None


def _verify(state: Any, recorded: dict[str, Any] | None, where: epath.Path, exact_dtypes: bool) -> None:
    """Compare restored arrays with their recorded checksums (those restored in the saved dtype) and refuse
    NaN/inf."""
    digest, non_finite = state_digest(state)
    if non_finite:
        raise CheckpointDamaged(f"{where}: restored array {non_finite[0]} holds NaN or infinity")
    if recorded is None:
        return
    for path, now in digest.items():
        saved = recorded.get(path)
        if saved is None:
            raise CheckpointDamaged(f"{where / 'checksums'}: no checksum recorded for array {path}")
        if saved["dtype"] != now["dtype"] and not exact_dtypes:
            continue  # restored with a cast (e.g. float32 -> bfloat16): only the finite check applies
        if saved["checksum"] != now["checksum"]:
            raise CheckpointDamaged(
                f"{where}: array {path} differs from the checksum recorded when it was saved (a damaged data file)"
            )


def _canonical_dtype(dtype: Any) -> str:
    """The dtype JAX stores (int64 is int32 unless x64 is on)."""
    if jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key):
        return str(dtype)
    return str(jax.dtypes.canonicalize_dtype(dtype))


def _check_fits(recorded: dict[str, Any], target: Any, where: epath.Path, exact_dtypes: bool) -> None:
    """Refuse, before reading any array, a step whose recorded shapes (and dtypes) differ from ``target``'s."""
    for path, leaf in jax.tree_util.tree_flatten_with_path(target)[0]:
        key = jax.tree_util.keystr(path)
        saved = recorded.get(key)
        if saved is None:
            raise CheckpointDamaged(f"{where / 'checksums'}: no record of array {key}")
        shape, dtype = list(np.shape(leaf)), _canonical_dtype(leaf.dtype)
        if saved["shape"] != shape or (exact_dtypes and saved["dtype"] != dtype):
            raise ValueError(
                f"{where}: array {key} was saved as {saved['dtype']}{saved['shape']}; this run expects "
                f"{dtype}{shape}"
            )


# ---------------------------------------------------------------------------------------------------------------
# The manager


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
        self._manager = ocp.CheckpointManager(self.directory, options=options, item_names=ITEMS)

    def latest_step(self) -> int | None:
        """The newest complete step, or None."""
        return self._manager.latest_step()

    def all_steps(self) -> list[int]:
        """Every complete step kept on disk, oldest first."""
        return sorted(self._manager.all_steps())

    def save(self, step: int, state: Any, metadata: dict[str, Any], *, force: bool = False) -> bool:
        """Start saving ``state`` and ``metadata`` as ``step`` (returns at once when async); True if a save began.

        Raises :class:`NonFiniteState` (nothing is written) when an array holds NaN or infinity.
        """
        digest, non_finite = state_digest(state)
        if non_finite:
            raise NonFiniteState(f"step {step} not saved: {', '.join(non_finite[:3])} hold NaN or infinity")
        args = ocp.args.Composite(
            state=ocp.args.StandardSave(state),
            metadata=ocp.args.JsonSave(metadata),
            checksums=ocp.args.JsonSave(digest),
        )
        return bool(self._manager.save(step, args=args, force=force))

    def _step_dir(self, step: int) -> epath.Path:
        return self.directory / str(step)

    def _read_json_item(self, step: int, item: str) -> dict[str, Any] | None:
        step_dir = self._step_dir(step)
        if not (step_dir / item).exists():
            return None
        with _orbax_errors(step_dir / item):
            restored = self._manager.restore(step, args=ocp.args.Composite(**{item: ocp.args.JsonRestore()}))
        return dict(restored[item])

    def _restore_step(
        self, step: int, target: Any, partial: bool, check_metadata: Callable[[dict[str, Any]], None] | None
    ) -> tuple[Any, dict[str, Any]]:
        step_dir = self._step_dir(step)
        _check_files(step_dir)
        metadata = self._read_json_item(step, "metadata") or {}
        if check_metadata is not None:
            check_metadata(metadata)
        recorded = self._read_json_item(step, "checksums")
        if recorded is not None:
            _check_fits(recorded, target, step_dir, exact_dtypes=not partial)
        if partial:
            restore = ocp.args.PyTreeRestore(
                item=target, restore_args=ocp.checkpoint_utils.construct_restore_args(target), partial_restore=True
            )
        else:
            restore = ocp.args.StandardRestore(target)
        with _orbax_errors(step_dir / "state"):
            state = self._manager.restore(step, args=ocp.args.Composite(state=restore)).state
        _verify(state, recorded, step_dir / "state", exact_dtypes=not partial)
        return state, metadata

    def _restore(
        self, target: Any, step: int | None, partial: bool, set_aside_damaged: bool,
        check_metadata: Callable[[dict[str, Any]], None] | None,
    ) -> tuple[Any, dict[str, Any]]:
        steps = [step] if step is not None else self.all_steps()[::-1]
        if not steps:
            raise FileNotFoundError(f"{self.directory}: no complete checkpoint to restore")
        damaged: list[tuple[int, str]] = []
        for candidate in steps:
            try:
                state, metadata = self._restore_step(candidate, target, partial, check_metadata)
            except CheckpointDamaged as err:
                if step is not None:
                    raise
                log.warning("checkpoint step %d is damaged: %s", candidate, err)
                damaged.append((candidate, str(err)))
                continue
            if damaged:
                log.warning("restoring step %d of %s instead (the newest step that verifies)", candidate,
                            self.directory)
            if set_aside_damaged:
                for bad, _ in damaged:
                    self.set_aside(bad)
            return state, metadata
        raise CheckpointDamaged(
            f"{self.directory}: no step can be restored (move the directory away to start afresh); "
            + "; ".join(f"step {s}: {e}" for s, e in damaged)
        )

    def restore(
        self,
        target: Any,
        step: int | None = None,
        *,
        set_aside_damaged: bool = False,
        check_metadata: Callable[[dict[str, Any]], None] | None = None,
    ) -> tuple[Any, dict[str, Any]]:
        """The verified state of ``step`` laid out as ``target`` (see :func:`abstract_target`), and its metadata.

        Without ``step``: the newest step that verifies, each damaged newer step reported (and, with
        ``set_aside_damaged``, renamed ``<step>.damaged`` so that new saves and keep-N rotation ignore it).
        ``check_metadata(metadata)`` runs before any array is read (e.g. to refuse another model's checkpoint).
        Raises :class:`CheckpointDamaged` when no candidate step verifies.
        """
        return self._restore(target, step, False, set_aside_damaged, check_metadata)

    def restore_partial(self, target: Any, step: int | None = None) -> Any:
        """Only the parts of the saved state that ``target`` names (e.g. ``{"params": ...}`` of a train state),
        laid out as ``target`` (dtypes may differ: Orbax casts); the rest (optimizer moments, ...) is never read.
        Verified and chosen as :meth:`restore` does."""
        return self._restore(target, step, True, False, None)[0]

    def metadata(self, step: int | None = None) -> dict[str, Any]:
        """Only the metadata item of ``step`` (default: the latest)."""
        step = self.latest_step() if step is None else step
        if step is None:
            raise FileNotFoundError(f"{self.directory}: no complete checkpoint")
        file = self._step_dir(step) / "metadata" / "metadata"
        if not file.exists():
            raise CheckpointDamaged(f"{file}: missing (the step is incomplete or damaged)")
        try:
            return dict(json.loads(file.read_bytes().decode("utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise CheckpointDamaged(f"{file}: not valid JSON ({err})") from None

    def set_aside(self, step: int) -> epath.Path:
        """Rename a damaged step to ``<step>.damaged`` (kept for inspection, ignored from now on)."""
        source = self._step_dir(step)
        destination = self.directory / f"{step}.damaged"
        suffix = 1
        while destination.exists():
            suffix += 1
            destination = self.directory / f"{step}.damaged-{suffix}"
        if jax.process_index() == 0:
            source.rename(destination)
        if jax.process_count() > 1:
            from jax.experimental import multihost_utils

            multihost_utils.sync_global_devices(f"gajax set aside checkpoint {step}")
        self._manager.reload()
        log.warning("moved damaged checkpoint step %d to %s", step, destination)
        return destination

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
