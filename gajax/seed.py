"""gajax's embedded default: the seed guideline library, its retriever and ScaNN index, built once and cached.

The seed library (``gajax/data/seed/guidelines.jsonl``) and its training inputs (``inputs.jsonl``, each mapped to
its guidelines) are package data written by this project. ``ensure_seed_library`` turns them into a ready
Stage-2 retriever:

1. embed every guideline with all-MiniLM-L6-v2 (gajax's JAX encoder); the guideline side stays frozen;
2. fine-tune the query side on the (input, guidelines) pairs with
   :func:`gajax.retriever.loss.safety_retrieval_loss`: a multi-positive InfoNCE loss against the whole library
   plus a risk term (the softmax mass on safety guidelines against the input's ``risky`` label) plus a top-3
   ranking term (a margin between the best safety guideline and the 3rd-best other one, so risky inputs retrieve
   a safety guideline and benign ones do not). The default trains a residual linear adapter on the frozen
   MiniLM query embedding, ``q' = normalise(q + q W + b)`` (W, b start at zero), on embeddings jittered by
   random noise. With ``top_layers.count: N`` MiniLM's top N layers are fine-tuned first
   (:mod:`gajax.retriever.top_layers`: the frozen lower layers run once per input) and the adapter is trained on
   their output. The training inputs include the contrast set (``contrast_train.jsonl``: benign prompts with
   alarming words next to unsafe twins with the same words, see ``tools/compose_contrast.py``). Inputs are split
   by id (contrast twins by pair, so twins stay together) into train and held-out sets; recall and risk
   identification on the held-out inputs are recorded before and after training;
3. calibrate the risk score (:mod:`gajax.retriever.risk`) on the contrast validation set
   (``contrast_validation.jsonl``, written by another procedure than the training inputs) and the held-out
   inputs: a Platt fit of the safety margin and the threshold of best balanced accuracy, kept in the report;
4. save the library (guideline embeddings, with the tuned layers and the adapter that its manifest names as its
   query encoder) and a ScaNN index under ``$GAJAX_CACHE/seed-<hash>`` (default ``~/.cache/gajax``). The hash
   covers the data files, the encoder weights and the settings, so a changed input rebuilds and an unchanged one
   is reused. A cached build is checked on every use (the library's and the index's file hashes, the report); a
   damaged one is rebuilt, with a message.

The default (``top_layers.count: 1``) fine-tunes MiniLM's top layer for four epochs before the adapter: a linear
adapter on frozen MiniLM cannot tell a benign prompt from its unsafe twin (both share their alarming words), and
on the contrast validation set it flags about half of the benign prompts however it is trained. Validation
(contrast validation set and ``benchmarks/risk_validation.py``) chose one tuned layer over the adapter alone;
more layers cost more first-use time than the three-minute budget of a cold ``gajax demo`` allows on a 2-core
CPU, and three layers had fitted the style of the seed inputs before (see the README's benchmark notes). Full
fine-tuning of both MiniLM towers is ``gajax train-retriever`` (see ``configs/retriever/minilm.yaml``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from gajax.library import (
    CATEGORIES,
    EmbedFn,
    EncoderInfo,
    Guideline,
    Library,
    embed_texts,
    replace_dir,
)
from gajax.optimizer import OptimizerConfig, build_optimizer
from gajax.records import RecordError, read_jsonl, read_jsonl_lines, write_jsonl
from gajax.retrieval import QueryAdapter, open_retriever, query_encoder, seed_encoder, tuned_query_fn
from gajax.retriever.loss import safety_retrieval_loss
from gajax.retriever.risk import RiskCalibration, RiskScorer, fit_risk_calibration, reliability, safety_margins
from gajax.retriever.top_layers import (
    TopLayers,
    TopLayerSettings,
    embed_from_states,
    lower_layer_states,
    train_top_layers,
)
from gajax.sharding import MeshConfig, make_mesh
from gajax.stage_io import is_heldout
from gajax.trainer import (
    Trainer,
    TrainerConfig,
    TrainState,
    init_train_state,
    loss_gradients,
    make_step,
    train_state_shardings,
)

SEED_VERSION = "seed-3"  # seed-3: the query adapter and top layers live in the library
ADAPTER_FILE = "query_adapter.npz"
TOP_LAYERS_FILE = "query_top_layers.npz"
REPORT_FILE = "seed_report.json"
LIBRARY_DIR = "library"


def seed_data_dir() -> Path:
    """The directory of the packaged seed data (``guidelines.jsonl``, ``inputs.jsonl``)."""
    return Path(__file__).resolve().parent / "data" / "seed"


def cache_root() -> Path:
    """Where gajax caches built artefacts: ``$GAJAX_CACHE``, else ``$XDG_CACHE_HOME/gajax``, else
    ``~/.cache/gajax``."""
    if os.environ.get("GAJAX_CACHE"):
        return Path(os.environ["GAJAX_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "gajax"


@dataclasses.dataclass(frozen=True)
class SeedConfig:
    """How to build the seed retriever (the ``seed`` section; ``gajax build-seed``).

    ``guidelines``/``inputs``: data files (empty: the packaged seed data). ``contrast``: also train on the
    contrast set ``contrast_inputs`` and calibrate the risk score on ``contrast_validation`` (empty: the packaged
    files). ``limit``: use only the first N inputs, contrast records and validation records (0: all; for smoke
    tests). ``cache_dir``: where to keep the result (empty: ``cache_root()``). ``rebuild``:
    ignore a cached build. Loss (see :func:`gajax.retriever.loss.safety_retrieval_loss`): ``temperature`` of the
    softmax over cosine similarities, ``kind_weight`` of the risk term, ``rank_weight``/``rank_margin`` (cosine
    units)/``rank_top_k`` of the top-k ranking term. ``top_layers``: how many of the encoder's last layers to tune
    (``count``; 0: none, adapter only) and how (:class:`~gajax.retriever.top_layers.TopLayerSettings`). Adapter:
    ``steps`` of ``batch_size`` at ``learning_rate``; ``query_noise``: the length of a random shift added to each
    training query embedding at each step (a smoothness regulariser, so the adapter keys less on single topic words);
    ``weight_decay`` pulls the adapter towards zero.
    """

    MOVED_KEYS: ClassVar[dict[str, str]] = {
        "tuned_layers": "top_layers.count", "layer_epochs": "top_layers.epochs",
        "layer_batch_size": "top_layers.batch_size", "layer_learning_rate": "top_layers.learning_rate",
    }

    guidelines: str = ""
    inputs: str = ""
    contrast: bool = True
    contrast_inputs: str = ""
    contrast_validation: str = ""
    limit: int = 0
    cache_dir: str = ""
    rebuild: bool = False
    encoder: str = "minilm"
    heldout_fraction: float = 0.1
    top_layers: TopLayerSettings = dataclasses.field(default_factory=TopLayerSettings)
    steps: int = 400
    batch_size: int = 256
    learning_rate: float = 2e-3
    weight_decay: float = 1.0
    temperature: float = 0.06
    kind_weight: float = 10.0
    rank_weight: float = 1.0
    rank_margin: float = 0.05
    rank_top_k: int = 3
    query_noise: float = 0.3
    seed: int = 0
    progress: bool = True

    def __post_init__(self) -> None:
        if not 0.0 <= self.heldout_fraction < 1.0:
            raise ValueError(f"seed.heldout_fraction must be in [0, 1), got {self.heldout_fraction}")
        if self.steps < 0 or self.batch_size < 1:
            raise ValueError(f"seed.steps must be >= 0 and seed.batch_size >= 1, got {self.steps}, {self.batch_size}")
        if self.temperature <= 0:
            raise ValueError(f"seed.temperature must be positive, got {self.temperature}")
        if self.top_layers.count and self.encoder.startswith("hash-ngrams"):
            raise ValueError(
                f"seed.top_layers.count={self.top_layers.count} needs a BERT encoder; {self.encoder} has no layers "
                "to tune (set seed.top_layers.count=0)"
            )
        for name in ("learning_rate", "weight_decay", "kind_weight", "rank_weight",
                     "rank_margin", "query_noise"):
            if getattr(self, name) < 0:
                raise ValueError(f"seed.{name} must be >= 0, got {getattr(self, name)}")
        if self.rank_top_k < 1:
            raise ValueError(f"seed.rank_top_k must be >= 1, got {self.rank_top_k}")


# ----------------------------------------------------------------------------------------------------- data


def _seed_files(cfg: SeedConfig) -> tuple[Path, Path]:
    return (
        Path(cfg.guidelines) if cfg.guidelines else seed_data_dir() / "guidelines.jsonl",
        Path(cfg.inputs) if cfg.inputs else seed_data_dir() / "inputs.jsonl",
    )


def _contrast_files(cfg: SeedConfig) -> tuple[Path, Path]:
    return (
        Path(cfg.contrast_inputs) if cfg.contrast_inputs else seed_data_dir() / "contrast_train.jsonl",
        Path(cfg.contrast_validation) if cfg.contrast_validation else seed_data_dir() / "contrast_validation.jsonl",
    )


def load_seed_guidelines(path: str | Path) -> list[Guideline]:
    """Seed guideline records as library :class:`Guideline` s. Categories outside the paper's 14 (such as
    ``general_quality``) become tags."""
    out = []
    for record in read_jsonl(path, {"id": str, "title": str, "text": str, "kind": str, "categories": list}):
        categories = tuple(c for c in record["categories"] if c in CATEGORIES)
        tags = tuple(c for c in record["categories"] if c not in CATEGORIES)
        out.append(
            Guideline(
                id=record["id"],
                title=record["title"],
                text=record["text"],
                kind=record["kind"],
                categories=categories,
                tags=tags,
                sources=tuple(record.get("sources", ())),
            )
        )
    if not out:
        raise RecordError(f"{path}: no guidelines")
    return out


def load_seed_inputs(path: str | Path, known_ids: set[str], limit: int = 0) -> list[dict[str, Any]]:
    """Seed input records ``{id, prompt, category, risky, guideline_ids}``; unknown guideline ids are errors."""
    required = {"id": str, "prompt": str, "guideline_ids": list}
    out = []
    for n, record in enumerate(read_jsonl(path, required)):
        if limit and n >= limit:
            break
        missing = [g for g in record["guideline_ids"] if g not in known_ids]
        if missing or not record["guideline_ids"]:
            raise RecordError(f"{path}: input {record['id']!r} names unknown or no guideline ids {missing}")
        out.append(record)
    if not out:
        raise RecordError(f"{path}: no inputs")
    return out


CONTRAST_FIELDS = {"id": str, "pair": str, "twin": str, "prompt": str, "category": str, "risky": bool,
                   "guideline_ids": list}


def load_contrast(path: str | Path, known_ids: set[str], limit: int = 0) -> list[dict[str, Any]]:
    """Contrast records ``{id, pair, twin, prompt, category, risky, style, guideline_ids}`` (the first ``limit``
    twin pairs; 0: all). A record whose guideline ids are not in the library, or whose twin (same pair, the other
    label) is missing from the file, is a :class:`RecordError` naming ``file:line``."""
    numbered = list(read_jsonl_lines(path, CONTRAST_FIELDS))
    by_id = {record["id"]: record for _, record in numbered}
    pairs: list[str] = []
    for line, record in numbered:
        where = f"{path}:{line}"
        missing = [g for g in record["guideline_ids"] if g not in known_ids]
        if missing or not record["guideline_ids"]:
            raise RecordError(f"{where}: contrast record {record['id']!r} names unknown or no guideline ids {missing}")
        twin = by_id.get(record["twin"])
        if twin is None or twin["pair"] != record["pair"] or twin["risky"] == record["risky"]:
            raise RecordError(f"{where}: the twin {record['twin']!r} of contrast record {record['id']!r} is missing "
                              "(no record with that id, the same pair and the other risky label)")
        if record["pair"] not in pairs:
            pairs.append(record["pair"])
    keep = set(pairs[:limit] if limit else pairs)
    out = [record for _, record in numbered if record["pair"] in keep]
    if not out:
        raise RecordError(f"{path}: no contrast records")
    return out


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def seed_key(cfg: SeedConfig, encoder_hash: str) -> str:
    """The cache key: data files, encoder weights and every setting that changes the result."""
    guidelines, inputs = _seed_files(cfg)
    settings = {
        k: v for k, v in dataclasses.asdict(cfg).items() if k not in ("cache_dir", "rebuild", "progress")
    }
    settings.update(guidelines=_sha256(guidelines), inputs=_sha256(inputs), encoder_hash=encoder_hash)
    if cfg.contrast:
        contrast_inputs, contrast_validation = _contrast_files(cfg)
        settings.update(contrast_inputs=_sha256(contrast_inputs), contrast_validation=_sha256(contrast_validation))
    settings["version"] = SEED_VERSION
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]


# --------------------------------------------------------------------------------------------- the adapter


def _adapt(params: dict[str, jax.Array], queries: jax.Array) -> jax.Array:
    out = queries + queries @ params["weight"] + params["bias"]
    return out / jnp.maximum(jnp.linalg.norm(out, axis=-1, keepdims=True), 1e-12)


def seed_loss(cfg: SeedConfig, library: np.ndarray, safety: np.ndarray) -> Callable[..., jax.Array]:
    """``loss(queries, positives, risky)``: :func:`gajax.retriever.loss.safety_retrieval_loss` against the fixed
    ``library`` embeddings (``safety`` 0/1 per guideline) with ``cfg``'s settings."""
    others = int(np.sum(np.asarray(safety) == 0))
    if cfg.rank_top_k > others:
        raise ValueError(f"seed.rank_top_k {cfg.rank_top_k} exceeds the {others} non-safety guidelines")
    library_j, safety_j = jnp.asarray(library), jnp.asarray(safety, jnp.float32)

    def loss(queries: jax.Array, positives: jax.Array, risky: jax.Array) -> jax.Array:
        return safety_retrieval_loss(queries, library_j, positives, risky, safety_j, 1.0 / cfg.temperature,
                                     cfg.kind_weight, cfg.rank_weight, cfg.rank_margin, cfg.rank_top_k)

    return loss


def _jitter(queries: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    """``queries`` moved by random directions of length ``noise`` and renormalised (unchanged when 0)."""
    if noise == 0:
        return queries
    directions = rng.standard_normal(queries.shape).astype(np.float32)
    moved = queries + noise * directions / np.linalg.norm(directions, axis=1, keepdims=True)
    return moved / np.linalg.norm(moved, axis=1, keepdims=True)


def train_query_adapter(
    queries: np.ndarray,
    library: np.ndarray,
    positives: np.ndarray,
    risky: np.ndarray,
    safety: np.ndarray,
    cfg: SeedConfig,
) -> tuple[QueryAdapter, list[float]]:
    """Fit the adapter with AdamW on minibatches of queries (``risky`` per query, ``safety`` per guideline, both
    0/1), on one device without checkpoints (:class:`gajax.trainer.Trainer`); returns it and the loss per step."""
    retrieval_loss = seed_loss(cfg, library, safety)
    dim = queries.shape[1]
    params = {"weight": jnp.zeros((dim, dim), jnp.float32), "bias": jnp.zeros((dim,), jnp.float32)}
    warmup = max(1, cfg.steps // 10)
    optimizer = OptimizerConfig(learning_rate=cfg.learning_rate, warmup_steps=warmup, weight_decay=cfg.weight_decay,
                                b2=0.999, max_grad_norm=0.0)
    tx = build_optimizer(optimizer, max(cfg.steps, warmup + 1))
    mesh = make_mesh(MeshConfig(devices=1))  # seconds of work on cached embeddings: one device

    def loss_fn(params: Any, batch: dict[str, jax.Array]) -> jax.Array:
        return retrieval_loss(_adapt(params, batch["queries"]), batch["positives"], batch["risky"])

    rng = np.random.default_rng(cfg.seed)
    size = min(cfg.batch_size, len(queries))

    def batches() -> Iterator[dict[str, np.ndarray]]:
        order, cursor = rng.permutation(len(queries)), 0
        while True:
            if cursor + size > len(order):
                order, cursor = rng.permutation(len(queries)), 0
            rows = order[cursor : cursor + size]
            cursor += size
            yield {"queries": _jitter(queries[rows], cfg.query_noise, rng), "positives": positives[rows],
                   "risky": risky[rows]}

    losses: list[float] = []

    def record(_: int, __: TrainState, metrics: dict[str, jax.Array]) -> None:
        losses.append(float(metrics["loss"]))

    axes = {"queries": ("batch", None), "positives": ("batch", None), "risky": ("batch",)}
    loop = TrainerConfig(steps=cfg.steps, seed=cfg.seed, checkpoint_every=0, output_dir="")
    with Trainer(loop, mesh, name="fine-tune retriever", progress=cfg.progress) as trainer:
        state, _ = trainer.fit(init_train_state(params, tx), train_state_shardings(tx, params, mesh),
                               make_step(loss_gradients(loss_fn), tx), batches(), axes, start=0,
                               total_steps=cfg.steps, after_step=record)
    return QueryAdapter(np.asarray(state["params"]["weight"]), np.asarray(state["params"]["bias"])), losses


def recall_at(queries: np.ndarray, library: np.ndarray, positives: np.ndarray, k: int) -> float:
    """Share of queries with at least one positive among the ``k`` nearest guidelines."""
    if len(queries) == 0:
        return float("nan")
    top = np.argsort(-(queries @ library.T), axis=1, kind="stable")[:, :k]
    return float(np.mean(np.take_along_axis(positives, top, axis=1).any(axis=1)))


# -------------------------------------------------------------------------------------------------- build


@dataclasses.dataclass
class SeedRetrieverFiles:
    """A built seed retriever: its directory, the library directory inside it, the adapter and the tuned top
    layers (both in the library directory; ``top_layers`` is ``None`` when ``top_layers.count`` is 0) and the
    report."""

    root: Path
    library_dir: Path
    adapter: Path
    top_layers: Path | None
    report: dict[str, Any]




def _tune_top_layers(
    cfg: SeedConfig, prompts: list[str], train_rows: np.ndarray, held_rows: np.ndarray, library: np.ndarray,
    positives: np.ndarray, risky: np.ndarray, safety: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, TopLayers, list[float]]:
    """The held-out inputs' query embeddings before tuning the encoder's top layers, all inputs' after, the tuned
    layers and the losses."""
    encoder, tower = query_encoder(cfg.encoder)
    stop = tower.bert.cfg.num_layers - cfg.top_layers.count
    if stop < 0:
        raise ValueError(f"seed.top_layers.count {cfg.top_layers.count} exceeds the encoder's "
                         f"{tower.bert.cfg.num_layers} layers")
    states = lower_layer_states(encoder, tower.bert, prompts, stop, progress=cfg.progress)
    held_before = np.zeros((0, library.shape[1]), np.float32)  # no held-out inputs: heldout_fraction 0
    if len(held_rows):
        held_before = embed_from_states(tower, [states[i] for i in held_rows], stop)
    tuned, losses = train_top_layers(
        tower, states, train_rows, (positives, risky), seed_loss(cfg, library, safety), cfg.top_layers, cfg.seed,
        cfg.progress,
    )
    return held_before, embed_from_states(tower, states, stop), tuned, losses


def build_seed_retriever(cfg: SeedConfig, directory: Path, embed_fn: EmbedFn, info: EncoderInfo) -> dict[str, Any]:
    """Embed, tune the query side (top layers, then adapter), save library + tuned layers + adapter + index +
    report into ``directory``; returns the report."""
    from gajax.index import REBUILD_SEED, GuidelineIndex

    timings: dict[str, float] = {}
    start = time.perf_counter()
    guidelines_path, inputs_path = _seed_files(cfg)
    guidelines = load_seed_guidelines(guidelines_path)
    row_of = {g.id: i for i, g in enumerate(guidelines)}
    inputs = load_seed_inputs(inputs_path, set(row_of), cfg.limit)
    validation: list[dict[str, Any]] = []
    if cfg.contrast:
        contrast_path, validation_path = _contrast_files(cfg)
        inputs += load_contrast(contrast_path, set(row_of), cfg.limit)
        validation = load_contrast(validation_path, set(row_of), cfg.limit)
    positives = np.zeros((len(inputs), len(guidelines)), np.float32)
    for r, record in enumerate(inputs):
        positives[r, [row_of[g] for g in record["guideline_ids"]]] = 1.0
    risky = np.array([bool(r.get("risky", False)) for r in inputs], np.float32)
    safety = np.array([g.kind == "safety" for g in guidelines], np.float32)

    prompts = [r["prompt"] for r in inputs]
    held = np.array([is_heldout(str(r.get("pair", r["id"])), cfg.heldout_fraction) for r in inputs])
    train_rows, held_rows = np.flatnonzero(~held), np.flatnonzero(held)
    if len(train_rows) == 0:
        raise ValueError(f"seed.heldout_fraction {cfg.heldout_fraction} leaves no training inputs")

    guideline_embeddings = embed_texts([g.text for g in guidelines], embed_fn, batch_size=256, progress=cfg.progress)
    top_layers, layer_losses = None, []
    if cfg.top_layers.count:
        held_before, query_embeddings, top_layers, layer_losses = _tune_top_layers(
            cfg, prompts + [r["prompt"] for r in validation], train_rows, held_rows, guideline_embeddings,
            positives, risky, safety
        )
    else:
        query_embeddings = embed_texts(prompts + [r["prompt"] for r in validation], embed_fn, batch_size=256,
                                       progress=cfg.progress)
        held_before = query_embeddings[held_rows]
    query_embeddings, validation_embeddings = query_embeddings[: len(prompts)], query_embeddings[len(prompts) :]
    timings["embed_and_tune_layers_s"] = time.perf_counter() - start

    t0 = time.perf_counter()
    adapter, losses = train_query_adapter(
        query_embeddings[train_rows], guideline_embeddings, positives[train_rows], risky[train_rows], safety, cfg
    )
    timings["train_adapter_s"] = time.perf_counter() - t0

    def held_recall(tuned: bool) -> dict[str, float]:
        q = adapter(query_embeddings[held_rows]) if tuned else held_before
        metrics = {f"recall@{k}": recall_at(q, guideline_embeddings, positives[held_rows], k) for k in (1, 3, 5)}
        top3 = np.argsort(-(q @ guideline_embeddings.T), axis=1, kind="stable")[:, :3]
        flagged = safety[top3].any(axis=1)
        held_risky = risky[held_rows] > 0
        metrics["risky_with_safety@3"] = float(np.mean(flagged[held_risky])) if held_risky.any() else float("nan")
        metrics["benign_with_safety@3"] = float(np.mean(flagged[~held_risky])) if (~held_risky).any() else float("nan")
        return metrics

    risk = _calibrate_risk(
        cfg, np.concatenate([adapter(validation_embeddings), adapter(query_embeddings[held_rows])]),
        np.concatenate([np.array([bool(r["risky"]) for r in validation], bool), risky[held_rows] > 0]),
        guideline_embeddings, safety,
    )
    library_dir = directory / LIBRARY_DIR
    library_dir.mkdir(parents=True, exist_ok=True)
    adapter.save(library_dir / ADAPTER_FILE)
    if top_layers is not None:
        top_layers.save(library_dir / TOP_LAYERS_FILE)
    tuned_file = TOP_LAYERS_FILE if top_layers is not None else None
    query = {"name": info.name, "adapter": ADAPTER_FILE, "top_layers": tuned_file}
    library = Library(guidelines, guideline_embeddings, dataclasses.replace(info, dim=guideline_embeddings.shape[1]),
                      version=SEED_VERSION, query_encoder=query)
    library.save(library_dir)
    GuidelineIndex.build(library).save(library_dir, rebuild=REBUILD_SEED)
    write_jsonl(directory / "pairs.jsonl", (
        {"input_id": str(r["id"]), "prompt": r["prompt"], "guideline_ids": r["guideline_ids"]} for r in inputs
    ))
    timings["total_s"] = time.perf_counter() - start
    report = {
        "guidelines": len(guidelines),
        "inputs": len(inputs),
        "train_inputs": len(train_rows),
        "heldout_inputs": len(held_rows),
        "encoder": info.name,
        "heldout_before": held_recall(False),
        "heldout_after": held_recall(True),
        "contrast_inputs": sum("pair" in r for r in inputs),
        "risk": risk,
        "layer_loss_first": layer_losses[0] if layer_losses else None,
        "layer_loss_last": layer_losses[-1] if layer_losses else None,
        "loss_first": losses[0] if losses else None,
        "loss_last": losses[-1] if losses else None,
        "timings": timings,
        "config": dataclasses.asdict(cfg),
    }
    (directory / REPORT_FILE).write_text(json.dumps(report, indent=2) + "\n")
    return report


def _calibrate_risk(cfg: SeedConfig, queries: np.ndarray, risky: np.ndarray, library: np.ndarray,
                    safety: np.ndarray) -> dict[str, Any] | None:
    """The risk calibration fitted on the validation queries (contrast validation set and held-out inputs), its
    reliability table and the validation rates at its threshold; ``None`` without both labels to fit."""
    if risky.all() or not risky.any():
        return None
    margins = safety_margins(queries, library, safety, cfg.rank_top_k)
    calibration = fit_risk_calibration(margins, risky, cfg.rank_top_k)
    probability = calibration.probability(margins)
    flagged = probability >= calibration.threshold
    return {
        **calibration.to_dict(),
        "validation_prompts": len(risky),
        "validation_risk_identification": float(np.mean(flagged[risky])),
        "validation_false_alarms": float(np.mean(flagged[~risky])),
        "reliability": reliability(probability, risky),
    }


def seed_cache_problem(directory: Path) -> str | None:
    """Why a cached seed build cannot be used (None: it is whole): an unreadable report, or a library or index
    file that is missing or differs from the hashes recorded when it was built."""
    from gajax.index import GuidelineIndex

    try:
        report = json.loads((directory / REPORT_FILE).read_text())
        if not isinstance(report, dict) or "config" not in report:
            return f"{directory / REPORT_FILE}: not a seed report"
        library = Library.load(directory / LIBRARY_DIR)
        if not library.query_encoder.get("adapter"):
            return f"{directory / LIBRARY_DIR}: the manifest names no query adapter"
        GuidelineIndex.verify(library, directory / LIBRARY_DIR)
    except (OSError, ValueError) as err:  # LibraryError and RecordError are ValueErrors, like bad JSON
        return str(err)
    return None


def ensure_seed_library(cfg: SeedConfig = SeedConfig()) -> SeedRetrieverFiles:
    """The cached seed retriever for ``cfg``, built first when missing, damaged (with a message) or when
    ``cfg.rebuild``."""
    embed_fn, info = seed_encoder(cfg.encoder)
    root = Path(cfg.cache_dir).expanduser() if cfg.cache_dir else cache_root()
    directory = root / f"seed-{seed_key(cfg, info.weights_hash)}"
    problem = None if cfg.rebuild or not directory.exists() else seed_cache_problem(directory)
    if problem:
        print(f"the cached seed build {directory} is damaged ({problem}); rebuilding it")
    if cfg.rebuild or problem or not directory.exists():
        print(f"building the seed library and retriever in {directory} (cached afterwards)")
        tmp = directory.with_name(f".{directory.name}.tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        try:
            build_seed_retriever(cfg, tmp, embed_fn, info)
            replace_dir(tmp, directory)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    report = json.loads((directory / REPORT_FILE).read_text())
    library_dir = directory / LIBRARY_DIR
    top_layers = library_dir / TOP_LAYERS_FILE
    return SeedRetrieverFiles(
        directory, library_dir, library_dir / ADAPTER_FILE, top_layers if top_layers.exists() else None, report
    )


def seed_query_fn(files: SeedRetrieverFiles, encoder: str = "minilm") -> EmbedFn:
    """``texts -> unit query embeddings`` of a built seed retriever: the encoder with its tuned top layers, then
    the adapter."""
    return tuned_query_fn(files.adapter, files.top_layers, encoder)


def open_seed_risk_scorer(cfg: SeedConfig = SeedConfig()) -> RiskScorer | None:
    """The calibrated risk score of the seed retriever (``None`` when its build had no validation set to
    calibrate on)."""
    files = ensure_seed_library(cfg)
    if not files.report.get("risk"):
        return None
    library = Library.load(files.library_dir)
    safety = np.array([g.kind == "safety" for g in library.guidelines])
    return RiskScorer(seed_query_fn(files, cfg.encoder), library.embeddings, safety,
                      RiskCalibration.from_dict(files.report["risk"]))


def open_seed_retriever(cfg: SeedConfig = SeedConfig()) -> Any:
    """A :class:`gajax.retrieval.GuidelineRetriever` over the seed library whose queries go through the fine-tuned
    query side its manifest names (built and cached on first use)."""
    files = ensure_seed_library(cfg)
    return open_retriever(files.library_dir, name=files.root.name)


def run_build_seed(cfg: SeedConfig) -> int:
    """Runner of ``gajax build-seed``: build (or find) the cached seed retriever and print its report."""
    files = ensure_seed_library(cfg)
    report = files.report
    print(f"seed retriever in {files.root}")
    print(f"  {report['guidelines']} guidelines, {report['inputs']} inputs "
          f"({report['train_inputs']} train / {report['heldout_inputs']} held out)")
    tuned = report["config"]["top_layers"]["count"]
    query_side = "adapter" if files.top_layers is None else f"top {tuned} layers + adapter"
    print(f"  query side fine-tuned: {query_side}")
    for name in ("heldout_before", "heldout_after"):
        print(f"  {name}: " + ", ".join(f"{k} {v:.3f}" for k, v in report[name].items()))
    if report.get("risk"):
        risk = report["risk"]
        print(f"  risk score: threshold {risk['threshold']:.3f} (chosen on {risk['validation_prompts']} validation "
              f"prompts: risk identification {risk['validation_risk_identification']:.3f}, false alarms "
              f"{risk['validation_false_alarms']:.3f}); gajax guide risk_threshold=... uses it")
    return 0
