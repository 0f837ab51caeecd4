"""Device meshes and the one table that maps logical axis names to mesh axes.

Every parameter carries ``logical_axes`` metadata (for example ``("embed", "heads", "head_dim")``) and every large
activation is constrained with :func:`constrain`. :data:`DEFAULT_RULES` maps those names onto the mesh axes
``data``, ``fsdp`` and ``tensor``. A rule may list several logical names per mesh axis; a mesh axis is used at most
once per array, so ``embed`` shards over ``fsdp`` in a weight but not in an activation whose batch already does.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import numpy as np
from flax import nnx
from jax.sharding import Mesh, NamedSharding, PartitionSpec

MESH_AXES = ("data", "fsdp", "tensor")

LogicalRules = tuple[tuple[str, str | tuple[str, ...] | None], ...]

# Logical name -> mesh axis (or axes). Order matters only when two names of one array want the same mesh axis.
DEFAULT_RULES: LogicalRules = (
    ("batch", ("data", "fsdp")),
    ("length", None),
    ("cache_length", None),
    ("layers", None),
    ("vocab", "tensor"),
    ("heads", "tensor"),
    ("kv_heads", "tensor"),
    ("mlp", "tensor"),
    ("embed", "fsdp"),
    ("head_dim", None),
    ("norm", None),
    ("lora_rank", None),
)


@dataclasses.dataclass(frozen=True)
class MeshConfig:
    """Mesh shape over ``data``, ``fsdp``, ``tensor``; one entry may be -1 for "the rest of the devices"."""

    data: int = 1
    fsdp: int = -1
    tensor: int = 1
    # Slices of a multi-slice pod (DCN): the data axis is split across them.
    num_slices: int = 1
    # Use only the first N devices (0: all of them).
    devices: int = 0

    def __post_init__(self) -> None:
        sizes = (self.data, self.fsdp, self.tensor)
        if sum(s == -1 for s in sizes) > 1:
            raise ValueError("at most one of data, fsdp, tensor may be -1")
        if any(s == 0 or s < -1 for s in sizes):
            raise ValueError(f"mesh sizes must be positive or -1, got {sizes}")


def resolve_mesh_shape(cfg: MeshConfig, num_devices: int) -> tuple[int, int, int]:
    """Fill in the -1 entry so that the product equals ``num_devices``."""
    sizes = [cfg.data, cfg.fsdp, cfg.tensor]
    known = math.prod(s for s in sizes if s != -1)
    if -1 in sizes:
        if num_devices % known:
            raise ValueError(
                f"cannot split {num_devices} devices into a mesh {dict(zip(MESH_AXES, sizes, strict=True))}"
            )
        sizes[sizes.index(-1)] = num_devices // known
    if math.prod(sizes) != num_devices:
        raise ValueError(
            f"mesh {dict(zip(MESH_AXES, sizes, strict=True))} needs {math.prod(sizes)} devices, "
            f"but {num_devices} are present"
        )
    return tuple(sizes)  # type: ignore[return-value]


def make_mesh(cfg: MeshConfig | None = None, devices: Sequence[jax.Device] | None = None) -> Mesh:
    """Build the (data, fsdp, tensor) mesh for the given or all devices, multi-slice aware."""
    cfg = cfg or MeshConfig()
    devices = list(devices) if devices is not None else jax.devices()
    if cfg.devices:
        if cfg.devices > len(devices):
            raise ValueError(f"mesh.devices={cfg.devices} but only {len(devices)} devices are present")
        devices = devices[: cfg.devices]
    shape = resolve_mesh_shape(cfg, len(devices))
    axis_types = (jax.sharding.AxisType.Auto,) * len(MESH_AXES)
    if cfg.num_slices > 1:
        from jax.experimental import mesh_utils

        if shape[0] % cfg.num_slices:
            raise ValueError(f"data axis {shape[0]} must be divisible by num_slices {cfg.num_slices}")
        ici = (shape[0] // cfg.num_slices, shape[1], shape[2])
        dcn = (cfg.num_slices, 1, 1)
        arr = mesh_utils.create_hybrid_device_mesh(ici, dcn, devices=devices)
        return Mesh(arr, MESH_AXES, axis_types=axis_types)
    if devices == jax.devices():
        return jax.make_mesh(shape, MESH_AXES, axis_types=axis_types)
    return Mesh(np.asarray(devices).reshape(shape), MESH_AXES, axis_types=axis_types)


def logical_to_spec(
    axes: Sequence[str | None], rules: LogicalRules | None = None, mesh_axes: Sequence[str] = MESH_AXES
) -> PartitionSpec:
    """Map logical names to a PartitionSpec, using each mesh axis at most once."""
    rules = DEFAULT_RULES if rules is None else rules
    table: dict[str, list[str]] = {}
    for name, target in rules:
        targets = [] if target is None else [target] if isinstance(target, str) else list(target)
        table.setdefault(name, []).extend(targets)
    used: set[str] = set()
    spec: list[Any] = []
    for name in axes:
        if name is None:
            spec.append(None)
            continue
        if name not in table:
            raise KeyError(f"logical axis {name!r} has no rule; known: {sorted(table)}")
        chosen = tuple(a for a in table[name] if a not in used and a in mesh_axes)
        used.update(chosen)
        spec.append(None if not chosen else chosen[0] if len(chosen) == 1 else chosen)
    return PartitionSpec(*spec)


def _active_mesh() -> Any:
    mesh = jax.sharding.get_abstract_mesh()
    return None if mesh is None or mesh.empty else mesh


def constrain(x: jax.Array, axes: Sequence[str | None]) -> jax.Array:
    """Constrain an activation to its logical sharding when a mesh is set (a no-op otherwise)."""
    mesh = _active_mesh()
    if mesh is None:
        return x
    spec = logical_to_spec(axes, mesh_axes=mesh.axis_names)
    return jax.lax.with_sharding_constraint(x, spec)


def variable_spec(var: nnx.Variable, rules: LogicalRules | None = None, mesh: Mesh | None = None) -> PartitionSpec:
    """The PartitionSpec of one variable from its ``logical_axes`` metadata (replicated if it has none)."""
    axes = var.get_metadata().get("logical_axes")
    if axes is None:
        return PartitionSpec()
    if len(axes) != len(var.shape):
        raise ValueError(f"logical_axes {axes} do not match shape {var.shape}")
    mesh_axes = mesh.axis_names if mesh is not None else MESH_AXES
    spec = logical_to_spec(axes, rules, mesh_axes)
    if mesh is not None:
        # A dimension that does not divide evenly stays replicated rather than failing (e.g. 9 heads on 4 chips).
        parts = []
        for dim, entry in zip(var.shape, spec, strict=True):
            names = () if entry is None else (entry,) if isinstance(entry, str) else entry
            size = math.prod(mesh.shape[n] for n in names)
            parts.append(entry if dim % size == 0 else None)
        spec = PartitionSpec(*parts)
    return spec


def state_shardings(state: Any, mesh: Mesh, rules: LogicalRules | None = None) -> Any:
    """A pytree of NamedShardings matching an ``nnx.State`` (or any tree of Variables)."""
    return jax.tree.map(
        lambda v: NamedSharding(mesh, variable_spec(v, rules, mesh)),
        state,
        is_leaf=lambda x: isinstance(x, nnx.Variable),
    )


def create_sharded(factory: Any, mesh: Mesh, rules: LogicalRules | None = None) -> Any:
    """Build ``factory()`` (an nnx.Module) with every parameter created already sharded, inside ``jit``."""
    abstract = nnx.eval_shape(factory)
    graphdef, abstract_state = nnx.split(abstract)
    shardings = state_shardings(abstract_state, mesh, rules)

    def init() -> Any:
        return nnx.state(factory())

    with jax.set_mesh(mesh):
        state = jax.jit(init, out_shardings=shardings)()
    return nnx.merge(graphdef, state)


def prepend_axis(module: nnx.Module, name: str) -> None:
    """Add a leading logical axis (e.g. ``layers`` after stacking with ``nnx.vmap``) to every variable."""
    for _, var in nnx.iter_graph(module):
        if isinstance(var, nnx.Variable):
            axes = var.get_metadata().get("logical_axes")
            if axes is not None and len(axes) == var.ndim - 1:
                var.set_metadata("logical_axes", (name, *axes))


def batch_ways(mesh: Mesh) -> int:
    """How many ways the ``batch`` axis is split over ``mesh`` (the product of its data-parallel axes)."""
    spec = logical_to_spec(("batch",), mesh_axes=mesh.axis_names)[0]
    names = () if spec is None else (spec,) if isinstance(spec, str) else spec
    return math.prod(mesh.shape[n] for n in names)


def check_batch_divides(size: int, mesh: Mesh, what: str = "the batch") -> None:
    """Refuse, naming the sizes, a batch of ``size`` rows that cannot be split evenly over ``mesh``'s batch axes."""
    ways = batch_ways(mesh)
    if size % ways:
        raise ValueError(
            f"{what} of {size} rows does not divide over the {ways} batch shards of mesh {dict(mesh.shape)}; "
            f"use a multiple of {ways} or give tensor parallelism more of the devices"
        )


BatchAxes = Mapping[str, Sequence[str | None]]


def batch_shardings(mesh: Mesh, axes: BatchAxes) -> dict[str, NamedSharding]:
    """NamedShardings of batch arrays by key, from each array's logical axes (``None`` for an axis such as
    gradient accumulation that is never split), e.g. ``{"inputs": (None, "batch", "length")}``."""
    return {key: NamedSharding(mesh, logical_to_spec(names, mesh_axes=mesh.axis_names)) for key, names in axes.items()}


def put_batch(batch: Mapping[str, np.ndarray], shardings: Mapping[str, NamedSharding]) -> dict[str, jax.Array]:
    """Global arrays from the host copy of a whole batch (every process builds the same one). A dimension that
    does not divide over the mesh axes its sharding names is an error naming the array, its size and the mesh."""
    out = {}
    for key, value in batch.items():
        sharding = shardings[key]
        for dim, (size, entry) in enumerate(zip(value.shape, sharding.spec, strict=False)):
            names = () if entry is None else (entry,) if isinstance(entry, str) else entry
            ways = math.prod(sharding.mesh.shape[n] for n in names)
            if size % ways:
                raise ValueError(
                    f"batch array {key!r}: dimension {dim} of size {size} does not divide over the {ways} shards "
                    f"of mesh {dict(sharding.mesh.shape)} (axes {names}); use a batch size that is a multiple of "
                    f"{ways}"
                )
        out[key] = jax.make_array_from_callback(value.shape, sharding, lambda index, value=value: value[index])
    return out
