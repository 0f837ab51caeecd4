"""``gajax bench AREA``: run one of the repository's benchmarks (``benchmarks/<area>.py``) against its peer."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

from gajax.config import ConfigError

BENCHMARKS_DIR = Path(__file__).resolve().parents[1] / "benchmarks"


@dataclasses.dataclass(frozen=True)
class BenchConfig:
    """``area`` names ``benchmarks/<area>.py`` (decoder, encoder, retrieval, serving, train, risk_identification);
    ``args`` are passed to it."""

    area: str = "retrieval"
    args: tuple[str, ...] = ()


def available() -> list[str]:
    """The benchmark areas of this checkout."""
    return sorted(p.stem for p in BENCHMARKS_DIR.glob("*.py")) if BENCHMARKS_DIR.is_dir() else []


def run_bench(cfg: BenchConfig) -> int:
    """Run the benchmark script in this interpreter; it prints its table and writes its results file."""
    script = BENCHMARKS_DIR / f"{cfg.area}.py"
    if not script.exists():
        areas = ", ".join(available()) or "none (benchmarks/ ships with the repository, not the wheel)"
        raise ConfigError(f"no benchmark {cfg.area!r}; available: {areas}")
    return subprocess.run([sys.executable, str(script), *cfg.args], check=False).returncode
