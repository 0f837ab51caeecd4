"""Retriever encoder throughput: gajax's MiniLM against sentence-transformers (PyTorch) on the same CPU, same run.

Metrics: ``encode_sentences_per_s`` on short queries (~10 words) and guideline-length texts (~30 words), batch 64,
and ``train_pairs_per_s``: one contrastive training step (in-batch negatives, AdamW) on 32 (query, guideline) pairs,
against a sentence-transformers MultipleNegativesRankingLoss step (dropout off on both sides, so the maths match).
Each measurement is the best of several interleaved repeats after a warm-up (compilation excluded). Also prints the
fraction of this CPU's float32 matmul rate (measured in the same run) that gajax's encoder reaches, counting the
FLOPs of real (unpadded) tokens. Run: ``python benchmarks/encoder.py`` (writes ``benchmarks/results/encoder.json``).
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from machine import cpu_model

from gajax.retriever.encoder import RetrieverModelConfig, TextEncoder, build_dual_encoder, minilm_dir
from gajax.retriever.train import RetrieverTrainSettings, batch_axes, make_optimizer, retriever_step
from gajax.sharding import MeshConfig, batch_shardings, make_mesh, put_batch
from gajax.trainer import init_train_state, jit_train_step, train_state_shardings

RESULTS = Path(__file__).parent / "results" / "encoder.json"
BATCH = 64
TRAIN_BATCH = 32
SENTENCES = 512
REPEATS = 3

SUBJECTS = ["I", "my friend", "our team", "the doctor", "my landlord", "a stranger online", "my neighbour", "the bank"]
VERBS = ["want to", "asked me to", "keeps trying to", "refuses to", "plans to", "needs help to", "told me to"]
OBJECTS = [
    "take twice the usual dose of ibuprofen", "find someone's home address", "invest all my savings in bitcoin",
    "write a joke about immigrants", "bypass the login page of a school server", "fast for ten days on water",
    "build a crossbow in the garage", "track a phone without permission", "borrow money for penny stocks",
    "share private medical records", "insult an old coworker", "mix sleeping pills with alcohol",
]
ADVICE = [
    "respond with empathy", "point out the legal risks", "recommend a qualified professional", "refuse politely",
    "explain the health dangers clearly", "suggest safer alternatives", "share crisis helpline resources",
    "avoid guarantees about returns", "never reveal personal data", "warn about irreversible harm",
]


def short_queries(n: int, rng: random.Random) -> list[str]:
    """~10-word user queries."""
    return [f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}, what now?" for _ in range(n)]


def guideline_texts(n: int, rng: random.Random) -> list[str]:
    """~30-word "Title: description" guidelines."""
    out = []
    for _ in range(n):
        topic = rng.choice(OBJECTS)
        steps = ", ".join(rng.sample(ADVICE, 3))
        out.append(
            f"Safety when asked to {topic}: the assistant should {steps}, and make sure the user understands "
            f"why this request could hurt {rng.choice(SUBJECTS)} before giving any further details."
        )
    return out


def best_time(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    """Best wall time of ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def matmul_gflops() -> float:
    """This CPU's float32 matmul rate (best of XLA and NumPy on 2048x2048)."""
    n = 2048
    a = jnp.asarray(np.random.default_rng(0).standard_normal((n, n), np.float32))
    f = jax.jit(lambda x: x @ x)
    f(a).block_until_ready()
    xla = 2 * n**3 / best_time(lambda: f(a).block_until_ready()) / 1e9
    host = np.asarray(a)
    numpy_rate = 2 * n**3 / best_time(lambda: host @ host) / 1e9
    return max(xla, numpy_rate)


def encoder_flops(token_counts: list[int], d: int, m: int, layers: int) -> float:
    """Forward FLOPs of a BERT encoder over sequences of the given (real) lengths."""
    return float(sum(layers * t * (8 * d * d + 4 * d * m + 4 * t * d) for t in token_counts))


def machine_note() -> str:
    """CPU model, core count and library versions."""
    cpu = cpu_model()
    import torch

    return (
        f"{cpu}, {os.cpu_count()} cores, jax {jax.__version__} ({jax.default_backend()}), torch {torch.__version__} "
        f"({torch.get_num_threads()} threads); shared machine, best of {REPEATS} interleaved repeats"
    )


def main() -> None:
    import torch
    from sentence_transformers import SentenceTransformer, losses

    torch.set_num_threads(os.cpu_count() or 1)
    rng = random.Random(0)
    texts = {"short": short_queries(SENTENCES, rng), "guideline": guideline_texts(SENTENCES, rng)}

    model, tokenizer = build_dual_encoder(RetrieverModelConfig())
    ours = TextEncoder(model, tokenizer, 256, BATCH)
    peer = SentenceTransformer(str(minilm_dir()), device="cpu")
    bert = model.query_tower.bert.cfg
    ceiling = matmul_gflops()
    rows, table = [], []

    for setting, batch_texts in texts.items():
        ours.encode(batch_texts)  # compile every bucket shape
        peer.encode(batch_texts, batch_size=BATCH)
        ours_t, peer_t = [], []
        for _ in range(REPEATS):
            ours_t.append(best_time(lambda bt=batch_texts: ours.encode(bt), 1))
            peer_t.append(best_time(lambda bt=batch_texts: peer.encode(bt, batch_size=BATCH), 1))
        ours_rate, peer_rate = len(batch_texts) / min(ours_t), len(batch_texts) / min(peer_t)
        tokens = [len(t) for t in ours.tokenize(batch_texts)]
        achieved = encoder_flops(tokens, bert.embed_dim, bert.mlp_dim, bert.num_layers) / min(ours_t) / 1e9
        rows.append(("encode_sentences_per_s", setting, ours_rate, peer_rate, "sentences/s"))
        table.append(
            f"  {setting:9s} mean {np.mean(tokens):5.1f} tokens: {achieved:6.1f} GFLOP/s = "
            f"{achieved / ceiling:5.1%} of the {ceiling:.0f} GFLOP/s matmul ceiling"
        )

    # One training step on 32 pairs: short queries against guideline texts, in-batch negatives, AdamW.
    queries, guidelines = texts["short"][:TRAIN_BATCH], texts["guideline"][:TRAIN_BATCH]
    settings = RetrieverTrainSettings(batch_size=TRAIN_BATCH, learning_rate=2e-5, warmup_steps=0, temperature=0.05,
                                      symmetric=False)
    graphdef, params = nnx.split(model)
    tx = make_optimizer(settings, 1000)
    mesh = make_mesh(MeshConfig(devices=1))
    state_shardings = train_state_shardings(tx, params, mesh)
    q_table, g_table = ours.batches(ours.tokenize(queries)), ours.batches(ours.tokenize(guidelines))
    (q_idx, q_tok, q_mask), (g_idx, g_tok, g_mask) = q_table[0], g_table[0]
    batch = {
        "query_tokens": q_tok,
        "query_mask": q_mask,
        "candidate_tokens": g_tok,
        "candidate_mask": g_mask,
        "targets": np.argsort(g_idx).astype(np.int32)[q_idx],  # query row r's guideline is the same text index
        "query_guideline_ids": q_idx[:, None].astype(np.int32),
        "candidate_ids": g_idx.astype(np.int32),
    }
    placement = batch_shardings(mesh, batch_axes(whole_library=False))
    step = jit_train_step(retriever_step(graphdef, settings, tx), state_shardings, placement, mesh)
    with jax.set_mesh(mesh):
        state = {"train": jax.jit(lambda p: init_train_state(p, tx), out_shardings=state_shardings)(params)}
        batch = put_batch(batch, placement)

    def ours_step() -> None:
        with jax.set_mesh(mesh):
            state["train"], metrics = step(state["train"], batch)
        jax.block_until_ready(metrics["loss"])

    peer.eval()  # dropout off, as in gajax; gradients still flow
    mnrl = losses.MultipleNegativesRankingLoss(peer)
    optimizer = torch.optim.AdamW(peer.parameters(), lr=2e-5)
    q_features, g_features = peer.tokenize(queries), peer.tokenize(guidelines)

    def peer_step() -> None:
        optimizer.zero_grad()
        mnrl([q_features, g_features], None).backward()
        optimizer.step()

    ours_step()
    peer_step()
    ours_t, peer_t = [], []
    for _ in range(REPEATS):
        ours_t.append(best_time(ours_step, 1))
        peer_t.append(best_time(peer_step, 1))
    train_rates = (TRAIN_BATCH / min(ours_t), TRAIN_BATCH / min(peer_t))
    rows.append(("train_pairs_per_s", f"batch{TRAIN_BATCH}", *train_rates, "pairs/s"))

    machine = machine_note()
    results = [
        {
            "metric": metric,
            "setting": setting,
            "gajax": round(g, 2),
            "peer": round(p, 2),
            "ratio": round(g / p, 3),
            "unit": unit,
            "higher_is_better": True,
            "machine": machine,
        }
        for metric, setting, g, p, unit in rows
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"{'metric':24s} {'setting':10s} {'gajax':>10s} {'sent-tr':>10s} {'ratio':>7s}  unit")
    for r in results:
        print(
            f"{r['metric']:24s} {r['setting']:10s} {r['gajax']:10.1f} {r['peer']:10.1f} {r['ratio']:7.2f}x  {r['unit']}"
        )
    print("gajax encoder compute rate (real tokens):")
    print("\n".join(table))
    print(f"machine: {machine}")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
