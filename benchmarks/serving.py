"""Serving throughput: ``serve-llm`` with continuous batching against the same server with batch-at-arrival.

One process, one model (SmolLM2-135M-Instruct from the embedded GGUF, float32), two servers in turn: ``gajax``
lets requests join the running batch at the next decode step (``join_running=true``); the peer is the same server
and engine with ``join_running=false``, where a request that arrives while a batch decodes waits for that batch to
finish (the old behaviour). Clients are the official ``openai`` client streaming over loopback; each of 1, 8 and 32
concurrent clients starts at a staggered time (spread over ``--spread-s``) and sends requests one after another for
``--window-s`` seconds: chat questions, greedy, each with its own ``max_tokens`` drawn from 8..``--max-tokens``
(seeded), as answer lengths differ in real traffic; answers that reach a stop token end earlier. The two servers
run interleaved per concurrency (same machine load, same engine and compiled step), so the difference is scheduling
alone.

Metrics per concurrency: ``requests_per_s`` (requests finished inside the window / the window),
``time_to_first_token_s`` (mean, request sent to first content delta; lower is better) and
``tokens_per_s_per_client`` (mean over requests of completion tokens / request time). A warm-up request per server
compiles every shape first. Run: ``python benchmarks/serving.py`` (writes ``benchmarks/results/serving.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import threading
import time
from pathlib import Path

import jax
import openai
from machine import cpu_model

from gajax.decoder import DecoderConfig, load_decoder
from gajax.llm.backend import LocalBackend
from gajax.llm.server import ChatServer

RESULTS = Path(__file__).parent / "results" / "serving.json"
QUESTIONS = [
    "What is the capital of France? Answer in one word.",
    "Write a short story about a lighthouse keeper.",
    "Is 17 a prime number? Answer yes or no.",
    "Explain what a KV cache is in one paragraph.",
    "Name one colour of the rainbow.",
    "Give me three tips for staying safe while hiking alone.",
    "What is 2 + 2?",
    "Describe the water cycle in detail.",
]


def machine_note() -> str:
    cpu = cpu_model()
    return f"{cpu}, {os.cpu_count()} cores, jax {jax.__version__} ({jax.default_backend()})"


def run_clients(url: str, clients: int, window_s: float, max_tokens: int, spread_s: float) -> dict:
    """``clients`` streaming clients, each sending requests one after another for ``window_s`` seconds; requests
    that finish inside the window are counted (those still running at its end are awaited but not counted)."""
    rng = random.Random(clients)
    records: list[dict] = []
    lock = threading.Lock()
    start = time.perf_counter()
    end = start + window_s

    def client(c: int) -> None:
        api = openai.OpenAI(base_url=url, api_key="unused", max_retries=5, timeout=600)
        time.sleep(spread_s * c / clients)
        r = c
        while time.perf_counter() < end:
            with lock:
                limit = rng.randint(8, max_tokens)
            sent = time.perf_counter()
            first, text, tokens = None, "", 0
            stream = api.chat.completions.create(
                model="bench",
                messages=[{"role": "user", "content": QUESTIONS[r % len(QUESTIONS)]}],
                max_tokens=limit,
                temperature=0,
                stream=True,
                stream_options={"include_usage": True},
            )
            for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    first = first or time.perf_counter()
                    text += chunk.choices[0].delta.content
                if chunk.usage:
                    tokens = chunk.usage.completion_tokens
            done = time.perf_counter()
            with lock:
                records.append({"sent": sent, "first": first or done, "done": done, "tokens": tokens})
            r += clients

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    counted = [r for r in records if r["done"] <= end]
    return {
        "requests_per_s": len(counted) / window_s,
        "time_to_first_token_s": sum(r["first"] - r["sent"] for r in records) / len(records),
        "tokens_per_s_per_client": sum(r["tokens"] / (r["done"] - r["sent"]) for r in records) / len(records),
        "requests": len(counted),
        "tokens": sum(r["tokens"] for r in counted),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weights", default="smollm2")
    parser.add_argument("--arch", default="smollm2_135m")
    parser.add_argument("--slots", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--spread-s", type=float, default=4.0)
    parser.add_argument("--window-s", type=float, default=60.0)
    parser.add_argument("--clients", default="1,8,32")
    args = parser.parse_args()

    load_start = os.getloadavg()
    model, tokenizer = load_decoder(DecoderConfig(weights=args.weights, arch=args.arch))
    backend = LocalBackend(model, tokenizer, model_name="bench")
    measured: dict[bool, dict[int, dict]] = {True: {}, False: {}}
    servers = {
        joining: ChatServer(backend, max_batch_size=args.slots, context=512, join_running=joining).start()
        for joining in (True, False)
    }
    try:
        for server in servers.values():
            run_clients(server.url, 1, 0.1, args.max_tokens, 0.0)  # compile
        for clients in map(int, args.clients.split(",")):
            for joining, server in servers.items():  # interleaved, so both see the same machine load
                result = run_clients(server.url, clients, args.window_s, args.max_tokens, args.spread_s)
                measured[joining][clients] = result
                name = "joining" if joining else "batch-at-arrival"
                print(
                    f"{name:17s} clients={clients:2d}: {result['requests_per_s']:.2f} req/s, "
                    f"TTFT {result['time_to_first_token_s']:.2f} s, "
                    f"{result['tokens_per_s_per_client']:.1f} tok/s/client, {result['requests']} requests and "
                    f"{result['tokens']} tokens in the window (load {os.getloadavg()[0]:.1f})",
                    flush=True,
                )
    finally:
        for server in servers.values():
            server.close()
    machine = (
        f"{machine_note()}; {args.weights} float32, {args.slots} slots, greedy, max_tokens 8..{args.max_tokens}, "
        f"arrivals spread over {args.spread_s:g} s, {args.window_s:g} s window; "
        f"shared machine, 1-min load average "
        f"{load_start[0]:.1f} at start, {os.getloadavg()[0]:.1f} at end"
    )
    metrics = [
        ("requests_per_s", "requests/s", True),
        ("time_to_first_token_s", "s", False),
        ("tokens_per_s_per_client", "tokens/s", True),
    ]
    rows = []
    for metric, unit, higher in metrics:
        for clients, result in measured[True].items():
            ours, peer = result[metric], measured[False][clients][metric]
            rows.append(
                {
                    "metric": metric,
                    "setting": f"clients={clients}",
                    "gajax": round(ours, 3),
                    "peer": round(peer, 3),
                    "ratio": round(ours / peer, 3),
                    "unit": unit,
                    "higher_is_better": higher,
                    "machine": machine,
                }
            )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"{'metric':24s} {'setting':11s} {'joining':>9s} {'at-arrival':>10s} {'ratio':>7s}  unit")
    for r in rows:
        print(
            f"{r['metric']:24s} {r['setting']:11s} {r['gajax']:9.3f} {r['peer']:10.3f} {r['ratio']:7.2f}x  {r['unit']}"
        )
    print(f"machine: {machine}")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
