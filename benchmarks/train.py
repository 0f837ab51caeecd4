"""Train-step throughput: gajax's sharded SFT step vs a transformers (PyTorch) training step, same model and batch.

CPU (default): SmolLM2-135M-Instruct (the embedded GGUF, dequantised to float32 by each side's own loader), sequence
length 512, AdamW, float32. Prints the fraction of this CPU's float32 matmul ceiling (measured in the same run).

GPU (``--device gpu``): the ~1B configuration (``configs/model/tinyllama_1b.yaml``, random weights), sequence length
2048, bf16 compute with float32 master weights and AdamW state on both sides. gajax runs each of ``--variants``
(``batch:attention:remat[:unpacked]``; attention ``cudnn`` = cuDNN flash attention, ``xla`` = XLA's; ``unpacked``:
rows without segment ids, so the kernel masks causally only) with the layer loop unrolled ``--scan-unroll`` layers
per iteration (default: all); the peer, at each batch size, is transformers' ``LlamaForCausalLM`` with SDPA
attention, ``torch.autocast(bfloat16)`` and fused AdamW (eager). MFU uses the FLOP formula and chip peaks of
:mod:`gajax.perf` for both sides. The command used for the committed results (one H100 80GB)::

    JAX_PLATFORMS=cuda PYTHONPATH=. python benchmarks/train.py --device gpu \
        --arch configs/model/tinyllama_1b.yaml --variants 8:cudnn:none:unpacked,8:cudnn:none

Each side runs in its own subprocess so that peak memory and threads do not mix (a configuration that runs out of
memory is reported as such). Prints a table and merges its rows into ``benchmarks/results/train.json`` (rows of
other settings are kept).

    ./run bench train [--batch 4] [--steps 5]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from machine import cpu_model

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "train.json"


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

    from gajax.decoder import DecoderConfig, load_decoder
    from gajax.perf import train_flops_per_token
    from gajax.sharding import MeshConfig, make_mesh

    mesh = make_mesh(MeshConfig())
    model, _ = load_decoder(DecoderConfig(weights="smollm2"), mesh)
    flops_per_token = train_flops_per_token(model.cfg, seq)
    host = _random_batch(model.cfg.vocab_size, batch, seq)
    with jax.set_mesh(mesh):
        step, state, data = _sft_step(model, mesh, host)
        del model
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


def _child(side: str, batch: int, seq: int, steps: int, *extra: str, env: dict[str, str] | None = None,
           timeout: float | None = None) -> dict[str, float]:
    command = [sys.executable, __file__, "--side", side, "--batch", str(batch), "--seq", str(seq), "--steps",
               str(steps), *extra]
    env = env or {**os.environ, "JAX_PLATFORMS": os.environ.get("JAX_PLATFORMS", "cpu")}
    out = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, timeout=timeout)
    if out.returncode:
        raise RuntimeError(f"{side} run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_gajax_gpu(
    arch_name: str, batch: int, seq: int, steps: int, remat: str, attention: str, scan_unroll: int, segments: bool,
    profile: str,
) -> dict[str, float]:
    """gajax's SFT step on one accelerator: bf16 compute, float32 parameters and optimizer state. Without
    ``segments`` the batch has no segment ids (full-length unpacked rows); ``profile`` names a directory for a
    trace of three steps."""
    import jax
    import jax.numpy as jnp
    from flax import nnx

    from gajax.models.llama import Llama, load_arch
    from gajax.perf import StepMeter
    from gajax.sharding import MeshConfig, create_sharded, make_mesh

    arch = load_arch(arch_name)
    scan_unroll = scan_unroll or arch.num_layers
    mesh = make_mesh(MeshConfig())
    model = create_sharded(
        lambda: Llama(arch, dtype=jnp.bfloat16, param_dtype=jnp.float32, remat=remat, attention=attention,
                      scan_unroll=scan_unroll, rngs=nnx.Rngs(0)),
        mesh,
    )
    host = _random_batch(arch.vocab_size, batch, seq)
    if not segments:
        del host["segment_ids"]
    with jax.set_mesh(mesh):
        step, state, data = _sft_step(model, mesh, host)
        del model
        start = time.perf_counter()
        state, metrics = step(state, data)
        jax.block_until_ready(metrics)
        compile_s = time.perf_counter() - start
        for _ in range(2):
            state, metrics = step(state, data)
        jax.block_until_ready(metrics)
        device = jax.devices()[0]
        meter = StepMeter(arch, seq, num_chips=jax.device_count(), device_kind=device.device_kind)
        for _ in range(steps):
            state, metrics = step(state, data)
        jax.block_until_ready(metrics)
        measured = meter.measure(batch * seq * steps)
        if profile:
            Path(profile).mkdir(parents=True, exist_ok=True)
            with jax.profiler.trace(profile, create_perfetto_trace=True):
                for _ in range(3):
                    state, metrics = step(state, data)
                jax.block_until_ready(metrics)
    stats = device.memory_stats() or {}
    return {"tokens_per_s": measured["tokens_per_s_per_chip"], "mfu": measured.get("mfu"),
            "tflops": measured["tflops_per_chip"], "loss": float(metrics["loss"]), "compile_s": compile_s,
            "peak_gb": stats.get("peak_bytes_in_use", 0) / 1e9, "device": device.device_kind}


def run_transformers_gpu(arch_name: str, batch: int, seq: int, steps: int) -> dict[str, float]:
    """transformers' LlamaForCausalLM step: float32 weights, bf16 autocast, SDPA attention, fused AdamW."""
    import torch
    from transformers import LlamaConfig as HFLlamaConfig
    from transformers import LlamaForCausalLM

    from gajax.models.llama import load_arch
    from gajax.perf import chip_peak_flops, train_flops_per_token

    arch = load_arch(arch_name)
    config = HFLlamaConfig(
        vocab_size=arch.vocab_size, hidden_size=arch.embed_dim, intermediate_size=arch.mlp_dim,
        num_hidden_layers=arch.num_layers, num_attention_heads=arch.num_heads, num_key_value_heads=arch.num_kv_heads,
        head_dim=arch.head_dim, max_position_embeddings=seq, rope_theta=arch.rope_theta, rms_norm_eps=arch.norm_eps,
        tie_word_embeddings=arch.tie_embeddings, attn_implementation="sdpa",
    )
    device = "cuda" if torch.cuda.is_available() else "cpu"  # the CPU only for a smoke test of this code
    with torch.device(device):
        model = LlamaForCausalLM(config)
    model.train()
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=1e-5, betas=(0.9, 0.95), weight_decay=0.0, fused=device == "cuda"
    )
    host = _random_batch(arch.vocab_size, batch, seq)
    inputs = torch.tensor(host["inputs"], device=device)
    targets = torch.tensor(host["targets"], device=device)
    sync = torch.cuda.synchronize if device == "cuda" else lambda: None

    def one_step() -> torch.Tensor:
        with torch.autocast(device, dtype=torch.bfloat16):
            logits = model(inputs).logits
        loss = torch.nn.functional.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss.detach()

    for _ in range(3):
        one_step()
    sync()
    start = time.perf_counter()
    for _ in range(steps):
        loss = one_step()
    sync()
    tokens_per_s = batch * seq * steps / (time.perf_counter() - start)
    name = torch.cuda.get_device_name() if device == "cuda" else "cpu"
    flops = tokens_per_s * train_flops_per_token(arch, seq)
    peak = chip_peak_flops(name)
    return {"tokens_per_s": tokens_per_s, "mfu": flops / peak if peak else None, "tflops": flops / 1e12,
            "loss": float(loss), "peak_gb": torch.cuda.max_memory_allocated() / 1e9 if device == "cuda" else 0.0,
            "device": name}


def _sft_step(model: Any, mesh: Any, host: dict[str, np.ndarray]) -> tuple[Any, Any, dict[str, Any]]:
    """gajax's jitted SFT step (AdamW, constant learning rate), its initial state built from ``model``'s
    parameters (donated), and ``host`` placed on ``mesh`` as one micro-batch. Call inside ``jax.set_mesh``."""
    import jax
    import jax.numpy as jnp
    from flax import nnx

    from gajax.finetune.step import batch_axes, make_sft_step
    from gajax.optimizer import OptimizerConfig, build_optimizer
    from gajax.sharding import batch_shardings
    from gajax.trainer import init_train_state, jit_train_step, train_state_shardings

    graphdef, params = nnx.split(model)
    tx = build_optimizer(OptimizerConfig(learning_rate=1e-5, decay="constant"), 1000)
    shardings = train_state_shardings(tx, params, mesh)
    state = jax.jit(lambda p: init_train_state(p, tx), out_shardings=shardings, donate_argnums=0)(params)
    placement = batch_shardings(mesh, {k: v for k, v in batch_axes("sft").items() if k in host})
    data = {k: jax.device_put(jnp.asarray(v[None], jnp.int32), placement[k]) for k, v in host.items()}
    return jit_train_step(make_sft_step(graphdef, tx), shardings, placement, mesh), state, data


def _random_batch(vocab_size: int, batch: int, seq: int) -> dict[str, np.ndarray]:
    tokens = np.random.default_rng(0).integers(0, vocab_size, (batch, seq + 1))
    return {
        "inputs": tokens[:, :-1],
        "targets": tokens[:, 1:],
        "loss_mask": np.ones((batch, seq)),
        "segment_ids": np.ones((batch, seq)),
        "positions": np.broadcast_to(np.arange(seq), (batch, seq)),
    }


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def merge_results(rows: list[dict], path: Path = RESULTS) -> None:
    """Write ``rows`` into ``path``, replacing rows of the same metric and setting, keeping the rest."""
    old = json.loads(path.read_text()) if path.exists() else []
    keys = {(r["metric"], r["setting"]) for r in rows}
    kept = [r for r in old if (r["metric"], r["setting"]) not in keys]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(kept + rows, indent=2) + "\n")
    print(f"wrote {path}")


def main_gpu(args: argparse.Namespace) -> None:
    """Every gajax variant and the peer at each batch size, each in its own process; then the table."""
    variants = []
    for text in args.variants.split(","):
        batch, attention, remat, *rows = text.split(":")
        variants.append((int(batch), attention, remat, rows == ["unpacked"]))
    env = {**os.environ, "XLA_PYTHON_CLIENT_MEM_FRACTION": os.environ.get("XLA_PYTHON_CLIENT_MEM_FRACTION", "0.92")}
    env.pop("JAX_PLATFORMS", None)

    def attempt(side: str, batch: int, *extra: str) -> dict | None:
        try:
            result = _child(side, batch, args.seq, args.steps, "--arch", args.arch, *extra, env=env,
                            timeout=args.timeout)
        except (RuntimeError, subprocess.TimeoutExpired) as err:
            lines = [line for line in str(err).splitlines() if "Error" in line or "error" in line]
            reason = "timed out" if isinstance(err, subprocess.TimeoutExpired) else (lines or ["?"])[-1]
            print(f"  {side} batch={batch} {' '.join(extra)}: failed ({reason[:400]})", flush=True)
            return None
        print(f"  {side} batch={batch} {' '.join(extra)}: {json.dumps(result)}", flush=True)
        return result

    flags = f",XLA_FLAGS={os.environ['XLA_FLAGS']}" if os.environ.get("XLA_FLAGS") else ""
    rows = []
    peers: dict[int, dict | None] = {}
    for number, (batch, attention, remat, unpacked) in enumerate(variants):
        extra = ["--remat", remat, "--attention", attention, "--scan-unroll", str(args.scan_unroll)]
        extra += ["--no-segments"] * unpacked
        if args.profile and number == 0:
            extra += ["--profile", args.profile]
        ours = attempt("gajax-gpu", batch, *extra)
        if batch not in peers:
            peers[batch] = None if args.skip_peer else attempt("transformers-gpu", batch)
        if ours is None:
            continue
        peer = peers[batch] or {}
        machine = f"{ours['device']}, 1 GPU; peer: transformers eager, SDPA, autocast bf16, fused AdamW"
        setting = (f"{Path(args.arch).stem},seq={args.seq},batch={batch},bf16 compute/f32 params,remat={remat},"
                   f"attention={attention}{',unpacked rows' * unpacked},scan_unroll={args.scan_unroll or 'all'},gpu"
                   f"{flags}")
        for metric, unit, key in (("train_tokens_per_s", "tokens/s", "tokens_per_s"), ("mfu", "%", "mfu")):
            scale = 100 if metric == "mfu" else 1
            mine = None if ours.get(key) is None else ours[key] * scale
            theirs = None if peer.get(key) is None else peer[key] * scale
            rows.append({"metric": metric, "setting": setting, "gajax": mine, "peer": theirs,
                         "ratio": mine / theirs if mine and theirs else None, "unit": unit,
                         "higher_is_better": True, "machine": machine,
                         "peak_gb": {"gajax": ours["peak_gb"], "peer": peer.get("peak_gb")}})
    print(f"{'setting':<112}{'metric':<20}{'gajax':>10}{'peer':>10}{'ratio':>8}")
    for r in rows:
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}"
        print(f"{r['setting']:<112}{r['metric']:<20}{_fmt(r['gajax']):>10}{_fmt(r['peer']):>10}{ratio:>8}")
    if rows:
        merge_results(rows, Path(args.results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["cpu", "gpu"], default="cpu")
    parser.add_argument("--batch", default=None, help="rows per step")
    parser.add_argument("--seq", type=int, default=None, help="sequence length (default: 512 CPU, 2048 GPU)")
    parser.add_argument("--steps", type=int, default=None, help="timed steps (default: 5 CPU, 10 GPU)")
    parser.add_argument("--arch", default="tinyllama_1b", help="GPU: the model architecture")
    parser.add_argument("--variants", default="8:cudnn:none", help="GPU: comma-separated batch:attention:remat")
    parser.add_argument("--remat", default="none", help=argparse.SUPPRESS)
    parser.add_argument("--attention", default="cudnn", help=argparse.SUPPRESS)
    parser.add_argument("--results", default=str(RESULTS), help="the results file to merge rows into")
    parser.add_argument("--scan-unroll", type=int, default=0, help="GPU: layers per loop iteration (0: all)")
    parser.add_argument("--no-segments", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile", default="", help="GPU: a directory for a trace of gajax's first variant")
    parser.add_argument("--skip-peer", action="store_true", help="GPU: run gajax only (e.g. to try XLA flags)")
    parser.add_argument("--timeout", type=float, default=300, help="GPU: seconds allowed per run")
    parser.add_argument("--side", choices=["gajax", "transformers", "gajax-gpu", "transformers-gpu"],
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    gpu = args.device == "gpu" or (args.side or "").endswith("gpu")
    args.batch = args.batch or ("8" if gpu else "4")
    args.seq = args.seq or (2048 if gpu else 512)
    args.steps = args.steps or (10 if gpu else 5)
    if args.side:
        if args.side == "gajax-gpu":
            result = run_gajax_gpu(args.arch, int(args.batch), args.seq, args.steps, args.remat, args.attention,
                                   args.scan_unroll, not args.no_segments, args.profile)
        elif args.side == "transformers-gpu":
            result = run_transformers_gpu(args.arch, int(args.batch), args.seq, args.steps)
        else:
            run = run_gajax if args.side == "gajax" else run_transformers
            result = run(int(args.batch), args.seq, args.steps)
        print(json.dumps(result))
        return
    if gpu:
        main_gpu(args)
        return
    args.batch = int(args.batch)

    ceiling = matmul_ceiling_gflops()
    ours = _child("gajax", args.batch, args.seq, args.steps)
    peer = _child("transformers", args.batch, args.seq, args.steps)
    achieved = ours["tokens_per_s"] * ours["flops_per_token"] / 1e9
    peer_achieved = peer["tokens_per_s"] * ours["flops_per_token"] / 1e9
    machine = f"{cpu_model()}, {os.cpu_count()} cores, CPU float32"
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
    merge_results(rows, Path(args.results))


if __name__ == "__main__":
    main()
