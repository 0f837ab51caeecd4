"""Shared test setup: float32 matmuls at full precision so parity tests compare like with like."""

import os

# Tests run on the CPU; libtpu (installed for ahead-of-time TPU compilation) must not lock out parallel processes.
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("ALLOW_MULTIPLE_LIBTPU_LOAD", "1")
# Sharding tests need 8 host devices; this must happen before jax initialises its backends.
os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=8")
if "xla_force_host_platform_device_count" not in os.environ["XLA_FLAGS"]:
    os.environ["XLA_FLAGS"] += " --xla_force_host_platform_device_count=8"

import jax

jax.config.update("jax_default_matmul_precision", "highest")
