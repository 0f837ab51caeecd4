"""Train-step throughput: gajax's sharded SFT step vs a transformers (PyTorch) training step, same model and batch.

SmolLM2-135M-Instruct (the embedded GGUF, dequantised to float32 by each side's own loader), sequence length 512,
AdamW, float32 on the CPU. Each side runs in its own subprocess so that peak memory and threads do not mix. Prints a
table, the fraction of this CPU's float32 matmul ceiling (measured in the same run), and writes
``benchmarks/results/train.json``.

    ./run bench train [--batch 4] [--steps 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "train.json"


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def matmul_ceiling_gflops(n: int = 2048, repeats: int = 5) -> float:
    """This CPU's float32 matmul rate (NumPy/BLAS on all cores), the ceiling for any framework."""
    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    a @ a
    start = time.perf_counter()
    for _ in range(repeats):
        a @ a
    return 2 * n**3 * repeats / (time.perf_counter() - start) / 1e9


def run_gajax(batch: int, seq: int, steps: int) -> dict[str, float]:
    import jax
    import jax.numpy as jnp
    from flax import nnx

    from gajax.decoder import DecoderConfig, load_decoder
    from gajax.finetune.step import (
        OptimizerConfig,
        batch_shardings,
        build_optimizer,
        init_train_state,
        jit_step,
        make_sft_step,
        train_state_shardings,
    )
    from gajax.perf import train_flops_per_token
    from gajax.sharding import MeshConfig, make_mesh

    mesh = make_mesh(MeshConfig())
    model, _ = load_decoder(DecoderConfig(weights="smollm2"), mesh)
    flops_per_token = train_flops_per_token(model.cfg, seq)
    graphdef, params = nnx.split(model)
    tx = build_optimizer(OptimizerConfig(learning_rate=1e-5, decay="constant"), 1000)
    shardings = train_state_shardings(tx, params, mesh)
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, model.cfg.vocab_size, (1, batch, seq + 1))
    host = {
        "inputs": tokens[..., :-1],
        "targets": tokens[..., 1:],
        "loss_mask": np.ones((1, batch, seq)),
        "segment_ids": np.ones((1, batch, seq)),
        "positions": np.broadcast_to(np.arange(seq), (1, batch, seq)),
    }
    del model
    with jax.set_mesh(mesh):
        state = jax.jit(lambda p: init_train_state(p, tx), out_shardings=shardings)(params)
        del params
        placement = batch_shardings(mesh, dict.fromkeys(host, 3))
        data = {k: jax.device_put(jnp.asarray(v, jnp.int32), placement[k]) for k, v in host.items()}
        step = jit_step(make_sft_step(graphdef, tx), shardings, placement, mesh)
        for _ in range(2):  # compile + warm-up
            state, metrics = step(state, data)
        jax.block_until_ready(metrics)
        start = time.perf_counter()
        for _ in range(steps):
            state, metrics = step(state, data)
        jax.block_until_ready(metrics)
        seconds = time.perf_counter() - start
    return {"tokens_per_s": batch * seq * steps / seconds, "flops_per_token": flops_per_token,
            "loss": float(metrics["loss"]), "peak_rss_mb": _peak_rss_mb()}


def run_transformers(batch: int, seq: int, steps: int) -> dict[str, float]:
    import torch
    from transformers import AutoModelForCausalLM

    from gajax.decoder import smollm2_gguf_path

    torch.set_num_threads(os.cpu_count() or 1)
    path = smollm2_gguf_path()
    model = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name, torch_dtype=torch.float32)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5, betas=(0.9, 0.95), weight_decay=0.0)
    rng = np.random.default_rng(0)
    tokens = torch.tensor(rng.integers(0, model.config.vocab_size, (batch, seq + 1)))
    inputs, targets = tokens[:, :-1], tokens[:, 1:]

    def one_step() -> float:
        logits = model(inputs).logits
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), targets.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return float(loss)

    for _ in range(2):
        one_step()
    start = time.perf_counter()
    for _ in range(steps):
        loss = one_step()
    seconds = time.perf_counter() - start
    return {"tokens_per_s": batch * seq * steps / seconds, "loss": loss, "peak_rss_mb": _peak_rss_mb()}


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(side: str, batch: int, seq: int, steps: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--side", side, "--batch", str(batch), "--seq", str(seq), "--steps", str(steps)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "JAX_PLATFORMS": os.environ.get("JAX_PLATFORMS", "cpu")},
    )
    if out.returncode:
        raise RuntimeError(f"{side} run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--seq", type=int, default=512)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--side", choices=["gajax", "transformers"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        run = run_gajax if args.side == "gajax" else run_transformers
        print(json.dumps(run(args.batch, args.seq, args.steps)))
        return

    ceiling = matmul_ceiling_gflops()
    ours = _child("gajax", args.batch, args.seq, args.steps)
    peer = _child("transformers", args.batch, args.seq, args.steps)
    achieved = ours["tokens_per_s"] * ours["flops_per_token"] / 1e9
    peer_achieved = peer["tokens_per_s"] * ours["flops_per_token"] / 1e9
    machine = f"{cpu_name()}, {os.cpu_count()} cores, CPU float32"
    setting = f"smollm2-135m,seq={args.seq},batch={args.batch},dtype=float32"
    rows = [
        {"metric": "train_tokens_per_s", "setting": setting, "gajax": ours["tokens_per_s"],
         "peer": peer["tokens_per_s"], "ratio": ours["tokens_per_s"] / peer["tokens_per_s"], "unit": "tokens/s",
         "higher_is_better": True, "machine": machine},
        {"metric": "peak_rss_mb", "setting": setting, "gajax": ours["peak_rss_mb"], "peer": peer["peak_rss_mb"],
         "ratio": ours["peak_rss_mb"] / peer["peak_rss_mb"], "unit": "MB", "higher_is_better": False,
         "machine": machine},
    ]
    print(f"machine: {machine}; float32 matmul ceiling {ceiling:.0f} GFLOP/s")
    print(f"{'metric':<22}{'gajax':>12}{'transformers':>14}{'ratio':>8}")
    for r in rows:
        print(f"{r['metric']:<22}{r['gajax']:>12.1f}{r['peer']:>14.1f}{r['ratio']:>8.2f}")
    print(f"achieved GFLOP/s: gajax {achieved:.0f} ({achieved / ceiling:.0%} of the ceiling), "
          f"transformers {peer_achieved:.0f} ({peer_achieved / ceiling:.0%})")
    print(f"final losses: gajax {ours['loss']:.4f}, transformers {peer['loss']:.4f} (same data, same weights)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
