"""Training throughput accounting: FLOPs per token, chip peaks, and MFU.

FLOPs per trained token (forward + backward) follow the PaLM appendix formula::

    6 * N_matmul + 12 * num_layers * num_heads * head_dim * seq_len

where ``N_matmul`` counts the parameters that take part in matrix multiplies (all but the norms; the input
embedding is a gather, but the LM head is a matmul, so a tied embedding counts once as the head). The second term
is the attention score and value matmuls over a causal window of length ``seq_len`` (counted in full, as is usual).
MFU = achieved FLOP/s per chip / the chip's dense bf16 peak.
"""

from __future__ import annotations

import dataclasses
import time

from gajax.models.llama import LlamaConfig

# Dense bf16 peak FLOP/s per chip (vendor figures, no sparsity).
CHIP_PEAK_FLOPS: dict[str, float] = {
    "TPU v4": 275e12,
    "TPU v5 lite": 197e12,  # v5e
    "TPU v5e": 197e12,
    "TPU v5": 459e12,  # v5p
    "TPU v5p": 459e12,
    "TPU v6 lite": 918e12,  # v6e (Trillium)
    "TPU v6e": 918e12,
    "NVIDIA H100 80GB HBM3": 989e12,
    "NVIDIA H100": 989e12,
    "NVIDIA H200": 989e12,
}


def chip_peak_flops(device_kind: str) -> float | None:
    """The dense bf16 peak of a device kind, or None when unknown (e.g. a CPU)."""
    if device_kind in CHIP_PEAK_FLOPS:
        return CHIP_PEAK_FLOPS[device_kind]
    for name, peak in CHIP_PEAK_FLOPS.items():
        if device_kind.startswith(name):
            return peak
    return None


def matmul_params(cfg: LlamaConfig) -> int:
    """Parameters used in matrix multiplies per token (attention, MLP and LM head)."""
    attn = cfg.embed_dim * cfg.head_dim * (2 * cfg.num_heads + 2 * cfg.num_kv_heads)
    mlp = 3 * cfg.embed_dim * cfg.mlp_dim
    return cfg.num_layers * (attn + mlp) + cfg.vocab_size * cfg.embed_dim


def train_flops_per_token(cfg: LlamaConfig, seq_len: int) -> float:
    """Forward+backward FLOPs per token (see the module docstring)."""
    return 6.0 * matmul_params(cfg) + 12.0 * cfg.num_layers * cfg.num_heads * cfg.head_dim * seq_len


@dataclasses.dataclass
class StepMeter:
    """Turns step timings into tokens/s per chip, TFLOP/s per chip and MFU."""

    cfg: LlamaConfig
    seq_len: int
    num_chips: int
    device_kind: str
    _last: float = dataclasses.field(default_factory=time.perf_counter)

    def measure(self, tokens: int) -> dict[str, float]:
        """Metrics for ``tokens`` trained since the previous call."""
        now = time.perf_counter()
        seconds, self._last = now - self._last, now
        tokens_per_chip = tokens / max(seconds, 1e-9) / self.num_chips
        flops = tokens_per_chip * train_flops_per_token(self.cfg, self.seq_len)
        peak = chip_peak_flops(self.device_kind)
        out = {"seconds": seconds, "tokens_per_s_per_chip": tokens_per_chip, "tflops_per_chip": flops / 1e12}
        if peak:
            out["mfu"] = flops / peak
        return out


@dataclasses.dataclass
class RateMeter:
    """Turns step timings into ``name`` (units per second), for trainers without a FLOPs formula."""

    name: str
    _last: float = dataclasses.field(default_factory=time.perf_counter)

    def measure(self, units: int) -> dict[str, float]:
        """Metrics for ``units`` processed since the previous call."""
        now = time.perf_counter()
        seconds, self._last = now - self._last, now
        return {"seconds": seconds, self.name: units / max(seconds, 1e-9)}
