"""What every benchmark records about the machine it ran on (importable without jax or torch)."""

from __future__ import annotations

import platform
from pathlib import Path


def cpu_model() -> str:
    """This machine's CPU model name (``lscpu``'s "Model name", read from ``/proc/cpuinfo``)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"
