"""Damaged Orbax step directories: each damage is refused with one line naming the file, or the restore falls
back to the newest good step with a message; never a silently different (or NaN) state.

``PYTHONPATH=. python tests/test_checkpoint_faults.py`` writes the outcome table to
``benchmarks/results/checkpoint_fuzz.md``.
"""

from __future__ import annotations

import logging
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from gajax.checkpoint import CheckpointDamaged, CheckpointManager, abstract_target

ROOT = Path(__file__).resolve().parents[1]


def _state(step: int, w_dtype: jnp.dtype = jnp.float32) -> dict:
    params = {"w": (jnp.arange(4096.0).reshape(64, 64) * step).astype(w_dtype), "b": jnp.ones(4) * step}
    return {"params": params, "opt_state": optax.adamw(1e-3).init(params), "step": np.int64(step)}


def _truncate(f: Path) -> None:
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])


def _zero(f: Path) -> None:
    f.write_bytes(b"\0" * f.stat().st_size)


def _flip(f: Path) -> None:
    data = bytearray(f.read_bytes())
    middle = len(data) // 2
    for i in range(middle, min(middle + 64, len(data))):
        data[i] ^= 0xFF
    f.write_bytes(bytes(data))


DAMAGES: dict[str, Callable[[Path], None]] = {"truncate": _truncate, "zero": _zero, "flip": _flip,
                                               "delete": Path.unlink}


def _artefacts(step_dir: Path) -> dict[str, Path]:
    state = step_dir / "state"
    data = max((state / "ocdbt.process_0" / "d").iterdir(), key=lambda p: p.stat().st_size)
    return {
        "_CHECKPOINT_METADATA": step_dir / "_CHECKPOINT_METADATA",
        "metadata item": step_dir / "metadata" / "metadata",
        "checksums item": step_dir / "checksums" / "metadata",
        "state/_METADATA": state / "_METADATA",
        "state/_sharding": state / "_sharding",
        "OCDBT manifest": state / "manifest.ocdbt",
        "OCDBT b-tree node": next((state / "d").iterdir()),
        "OCDBT data file (largest)": data,
    }


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("ckpt") / "good"
    with CheckpointManager(directory, keep=3, async_save=False) as manager:
        for step in (2, 4):
            manager.save(step, _state(step), {"step": step})
    return directory


def _same(tree: dict, step: int) -> bool:
    return all(
        np.array_equal(np.asarray(a), np.asarray(b))
        for a, b in zip(jax.tree.leaves(tree), jax.tree.leaves(_state(step)), strict=True)
    )


def run_case(saved: Path, work: Path, artefact: str, damage: str, caplog: pytest.LogCaptureFixture) -> str:
    """Damage one file of step 4 in a copy of ``saved``; return the outcome (asserting it is an allowed one)."""
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(saved, work)
    file = _artefacts(work / "4")[artefact]
    DAMAGES[damage](file)
    caplog.clear()
    manager = CheckpointManager(work, async_save=False)
    try:
        state, _ = manager.restore(abstract_target(_state(0)))
        if _same(state, 4):
            return "answers correctly (step 4)"
        assert _same(state, 2), f"{artefact} {damage}: a silently different state"
        warnings = [r.getMessage() for r in caplog.records if "step 4 is damaged" in r.getMessage()]
        assert warnings and str(work / "4") in warnings[0], (artefact, damage, caplog.text)
        # Asked for step 4 itself, the damage is refused in one line naming a file of that step.
        with pytest.raises(CheckpointDamaged) as refused:
            manager.restore(abstract_target(_state(0)), step=4)
        message = str(refused.value)
        assert "\n" not in message and str(work / "4") in message, message
        return f"falls back to step 2: `{message.replace(str(work) + '/', '')}`"
    finally:
        manager.close()


CASES = [(a, d) for a in ("_CHECKPOINT_METADATA", "metadata item", "checksums item", "state/_METADATA",
                          "state/_sharding", "OCDBT manifest", "OCDBT b-tree node", "OCDBT data file (largest)")
         for d in DAMAGES]


@pytest.mark.parametrize(("artefact", "damage"), CASES)
def test_damaged_step_is_refused_or_falls_back(saved, tmp_path, artefact, damage, caplog):
    caplog.set_level(logging.WARNING)
    outcome = run_case(saved, tmp_path / "work", artefact, damage, caplog)
    assert outcome.startswith(("answers correctly", "falls back"))


def test_flipped_data_is_caught_by_the_recorded_checksum(saved, tmp_path, caplog):
    """Bytes flipped inside the array data decode without any Orbax error; only gajax's checksum sees them."""
    caplog.set_level(logging.WARNING)
    outcome = run_case(saved, tmp_path / "work", "OCDBT data file (largest)", "flip", caplog)
    assert "differs from the checksum recorded" in outcome


def wrong_dtype_case(directory: Path) -> str:
    """A step whose array was saved in another dtype than the restoring state has: refused before reading."""
    with CheckpointManager(directory, async_save=False) as manager:
        manager.save(4, _state(4, jnp.bfloat16), {"step": 4})
    with CheckpointManager(directory) as manager, pytest.raises(ValueError) as refused:
        manager.restore(abstract_target(_state(0)))
    message = str(refused.value)
    assert "\n" not in message and "bfloat16[64, 64]" in message and "float32[64, 64]" in message
    return f"refused: `{message.replace(str(directory) + '/', '')}`"


def test_wrong_dtype_is_refused(tmp_path):
    wrong_dtype_case(tmp_path / "ckpt")


def test_non_finite_state_is_never_saved_and_rotation_keeps_good_steps(tmp_path):
    from gajax.checkpoint import NonFiniteState

    with CheckpointManager(tmp_path / "ckpt", keep=2, async_save=False) as manager:
        manager.save(2, _state(2), {})
        manager.save(4, _state(4), {})
        bad = _state(6)
        bad["params"]["b"] = bad["params"]["b"].at[0].set(jnp.nan)
        with pytest.raises(NonFiniteState, match=r"step 6 not saved: \['params'\]\['b'\]"):
            manager.save(6, bad, {})
        assert manager.all_steps() == [2, 4]


def main() -> None:
    """Run every case and write the outcome table."""
    import tempfile

    logging.basicConfig(level=logging.ERROR)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "good"
        with CheckpointManager(base, keep=3, async_save=False) as manager:
            for step in (2, 4):
                manager.save(step, _state(step), {"step": step})

        class _Log(logging.Handler):
            def __init__(self) -> None:
                super().__init__()
                self.records: list[logging.LogRecord] = []

            def emit(self, record: logging.LogRecord) -> None:
                self.records.append(record)

            def clear(self) -> None:
                self.records.clear()

            @property
            def text(self) -> str:
                return "\n".join(r.getMessage() for r in self.records)

        handler = _Log()
        logging.getLogger("gajax.checkpoint").addHandler(handler)
        for artefact, damage in CASES:
            rows.append((artefact, damage, run_case(base, Path(tmp) / "work", artefact, damage, handler)))
        rows.append(("array saved as bfloat16", "wrong dtype", wrong_dtype_case(Path(tmp) / "dtype")))
    lines = [
        "# Damaged Orbax step directories",
        "",
        "`tests/test_checkpoint_faults.py`: a checkpoint with steps 2 and 4 (a float32 matrix, a vector, AdamW "
        "moments, the step); one file of step 4 damaged; the newest step restored, then step 4 asked for by name. "
        "Paths are relative to the checkpoint directory.",
        "",
        "| artefact | damage | outcome |",
        "|---|---|---|",
        *(f"| {a} | {d} | {o} |" for a, d, o in rows),
        "",
    ]
    out = ROOT / "benchmarks" / "results" / "checkpoint_fuzz.md"
    out.write_text("\n".join(lines))
    print(out.read_text())


if __name__ == "__main__":
    sys.exit(main())


def test_a_truncated_data_file_gives_one_line_and_no_traceback(saved, tmp_path):
    """The abandoned parallel reads after the first failure print nothing (they used to end in tracebacks)."""
    import subprocess

    work = tmp_path / "work"
    shutil.copytree(saved, work)
    _truncate(_artefacts(work / "4")["OCDBT data file (largest)"])
    shutil.rmtree(work / "2")
    code = (
        "import sys; sys.path.insert(0, 'tests'); from test_checkpoint_faults import _state\n"
        "from gajax.checkpoint import CheckpointManager, CheckpointDamaged, abstract_target\n"
        f"m = CheckpointManager({str(work)!r})\n"
        "for restore in (lambda: m.restore(abstract_target(_state(0))),\n"
        "                lambda: m.restore_partial(abstract_target({'params': _state(0)['params']}))):\n"
        "    try:\n"
        "        restore()\n"
        "    except CheckpointDamaged as err:\n"
        "        print('refused:', err)\n"
    )
    env = {**__import__("os").environ, "JAX_PLATFORMS": "cpu"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.stdout.count("refused:") == 2 and str(work / "4" / "state") in done.stdout, done.stdout
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr[-3000:]
