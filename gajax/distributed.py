"""Multi-host start-up for the trainers: join the pod, log its shape, and fail fast when it is incomplete.

:func:`initialize` is the first thing ``gajax sft``, ``gajax dpo`` and ``gajax train-retriever`` do. On a multi-host
TPU slice or cluster it calls ``jax.distributed.initialize()`` (with a timeout, so a worker that never started turns
into an error instead of a hang), then logs ``process_index``, ``process_count``, ``local_device_count`` and
``device_count`` and checks them against ``GAJAX_EXPECT_DEVICES`` / ``GAJAX_EXPECT_PROCESSES`` when those are set
(``tpu_scripts/tpu.sh launch`` sets them from the accelerator type).

Environment variables read here:

- ``GAJAX_DISTRIBUTED``: ``1`` forces ``jax.distributed.initialize()``, ``0`` skips it; unset, it runs when
  ``TPU_WORKER_HOSTNAMES`` names more than one host or ``MEGASCALE_COORDINATOR_ADDRESS`` /
  ``JAX_COORDINATOR_ADDRESS`` is set.
- ``JAX_COORDINATOR_ADDRESS``, ``JAX_NUM_PROCESSES``, ``JAX_PROCESS_ID``: an explicit cluster (otherwise JAX
  detects Cloud TPU, GKE, SLURM, ... itself).
- ``GAJAX_INIT_TIMEOUT``: seconds to wait for every process to join (default 300).
- ``GAJAX_EXPECT_DEVICES``, ``GAJAX_EXPECT_PROCESSES``: the global device and process counts the job must see.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping

import jax

log = logging.getLogger("gajax.distributed")

DEFAULT_INIT_TIMEOUT_S = 300
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


class IncompletePodError(RuntimeError):
    """The job sees fewer (or more) processes or devices than the slice it was launched on."""


@dataclasses.dataclass(frozen=True)
class Topology:
    """What this process sees of the job."""

    process_index: int
    process_count: int
    local_device_count: int
    device_count: int
    device_kind: str

    @classmethod
    def current(cls) -> Topology:
        """The topology of the running JAX backend."""
        return cls(
            jax.process_index(),
            jax.process_count(),
            jax.local_device_count(),
            jax.device_count(),
            jax.devices()[0].device_kind,
        )


def wants_distributed(env: Mapping[str, str]) -> bool:
    """Whether ``env`` describes a multi-process job that must call ``jax.distributed.initialize()``."""
    flag = env.get("GAJAX_DISTRIBUTED", "").strip().lower()
    if flag in _TRUE:
        return True
    if flag in _FALSE:
        return False
    if flag:
        raise ValueError(f"GAJAX_DISTRIBUTED={env['GAJAX_DISTRIBUTED']!r}: expected 1 or 0")
    hosts = [h for h in env.get("TPU_WORKER_HOSTNAMES", "").split(",") if h.strip()]
    return len(hosts) > 1 or bool(env.get("MEGASCALE_COORDINATOR_ADDRESS") or env.get("JAX_COORDINATOR_ADDRESS"))


def _int_env(env: Mapping[str, str], name: str, minimum: int) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not an integer") from None
    if value < minimum:
        raise ValueError(f"{name}={value} must be >= {minimum}")
    return value


def check_expected(topology: Topology, env: Mapping[str, str]) -> None:
    """Raise :class:`IncompletePodError` when ``GAJAX_EXPECT_DEVICES`` / ``GAJAX_EXPECT_PROCESSES`` disagree."""
    problems = []
    for name, found, what in (
        ("GAJAX_EXPECT_DEVICES", topology.device_count, "devices"),
        ("GAJAX_EXPECT_PROCESSES", topology.process_count, "processes"),
    ):
        expected = _int_env(env, name, 1)
        if expected is not None and expected != found:
            problems.append(f"{name}={expected} but the job sees {found} {what}")
    if problems:
        raise IncompletePodError(
            f"process {topology.process_index}: the pod is incomplete: {'; '.join(problems)} "
            f"({topology.local_device_count} local {topology.device_kind} devices). Launch on every worker "
            "(gcloud ... ssh --worker=all, as tpu_scripts/tpu.sh launch does) and check that no host is down."
        )


def initialize(env: Mapping[str, str] | None = None) -> Topology:
    """Join the multi-host job when there is one, log the topology and check the expected counts.

    Call it before anything else touches JAX's devices. Calling it again in the same process only logs and checks.
    """
    env = os.environ if env is None else env
    if wants_distributed(env) and not jax.distributed.is_initialized():
        timeout = _int_env(env, "GAJAX_INIT_TIMEOUT", 1) or DEFAULT_INIT_TIMEOUT_S
        num_processes = _int_env(env, "JAX_NUM_PROCESSES", 1)
        process_id = _int_env(env, "JAX_PROCESS_ID", 0)
        log.warning(
            "joining the multi-host job (jax.distributed.initialize); if a worker has not joined within %d s "
            "(GAJAX_INIT_TIMEOUT), the job stops with DEADLINE_EXCEEDED: the pod is incomplete, relaunch on "
            "--worker=all",
            timeout,
        )
        try:
            jax.distributed.initialize(
                num_processes=num_processes, process_id=process_id, initialization_timeout=timeout
            )
        except Exception as err:  # bad settings; a missing worker aborts the process inside JAX instead
            raise IncompletePodError(
                f"jax.distributed.initialize failed: {err}. Check the cluster settings (JAX_COORDINATOR_ADDRESS, "
                "JAX_NUM_PROCESSES, JAX_PROCESS_ID) or launch on every worker (--worker=all)"
            ) from err
    topology = Topology.current()
    log.warning(
        "process %d/%d: %d local devices, %d global devices (%s)",
        topology.process_index,
        topology.process_count,
        topology.local_device_count,
        topology.device_count,
        topology.device_kind,
    )
    check_expected(topology, env)
    return topology
