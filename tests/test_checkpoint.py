"""The generic Orbax checkpoint manager: keep N, metadata, atomic steps, restore onto another mesh."""

from __future__ import annotations

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from jax.sharding import NamedSharding, PartitionSpec

from gajax.checkpoint import CheckpointManager, abstract_target
from gajax.sharding import MeshConfig, make_mesh


def _state(step: int) -> dict:
    params = {"w": jnp.arange(16.0).reshape(4, 4) * step, "b": jnp.ones(4) * step}
    return {
        "params": params,
        "opt_state": optax.adamw(1e-3).init(params),
        "step": np.int64(step),
        "rng": jax.random.key_data(jax.random.key(step)),
    }


def test_keeps_newest_and_restores_exactly(tmp_path: Path) -> None:
    with CheckpointManager(tmp_path / "ckpt", keep=2) as manager:
        for step in (1, 2, 3):
            assert manager.save(step, _state(step), {"config": {"lr": 0.1}, "step": step})
    manager = CheckpointManager(tmp_path / "ckpt", keep=2)
    assert manager.all_steps() == [2, 3]
    restored, metadata = manager.restore(abstract_target(_state(0)))
    assert metadata == {"config": {"lr": 0.1}, "step": 3}
    expected = _state(3)
    for got, want in zip(jax.tree.leaves(restored), jax.tree.leaves(expected), strict=True):
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    assert manager.metadata(2)["step"] == 2
    manager.close()
    # A step directory left half-written (no commit marker) is not a checkpoint.
    (tmp_path / "ckpt" / "4.orbax-checkpoint-tmp-123").mkdir()
    assert CheckpointManager(tmp_path / "ckpt").latest_step() == 3
    with pytest.raises(FileNotFoundError):
        CheckpointManager(tmp_path / "empty").restore(abstract_target(_state(0)))


def test_restore_onto_a_sharded_target(tmp_path: Path) -> None:
    if len(jax.devices()) < 8:
        pytest.skip("needs XLA_FLAGS=--xla_force_host_platform_device_count=8")
    with CheckpointManager(tmp_path / "ckpt", async_save=False) as manager:
        manager.save(5, _state(5), {})
    mesh = make_mesh(MeshConfig(data=2, fsdp=4))
    state = _state(0)
    shardings = jax.tree.map(lambda _: NamedSharding(mesh, PartitionSpec()), state)
    shardings["params"]["w"] = NamedSharding(mesh, PartitionSpec("fsdp", None))
    restored, _ = CheckpointManager(tmp_path / "ckpt").restore(abstract_target(state, shardings))
    assert restored["params"]["w"].sharding == shardings["params"]["w"]
    np.testing.assert_array_equal(np.asarray(restored["params"]["w"]), np.asarray(_state(5)["params"]["w"]))
