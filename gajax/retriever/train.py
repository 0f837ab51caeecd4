"""``gajax train-retriever``: contrastive training of the dual encoder, data-parallel over any mesh.

Every step draws a global batch of (input, guideline) pairs, embeds the inputs with the query tower and the
candidates (the batch's guidelines plus random or mined negatives, or the whole library when it is small) with the
guideline tower, and minimises masked InfoNCE (:mod:`gajax.retriever.loss`) over the global batch. The batch and its
negatives are a pure function of ``(seed, step)`` and mined negatives come from the initial weights, so a run
resumed from a checkpoint repeats exactly the losses of an uninterrupted one.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from pathlib import Path
from typing import Any, Literal

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx
from jax.sharding import NamedSharding, PartitionSpec
from tokenizers import Tokenizer
from tqdm import tqdm

from gajax import distributed
from gajax.checkpoint import CheckpointManager, abstract_target
from gajax.config import dump_config, to_dict
from gajax.convert.hf_bert import export_hf_bert
from gajax.metric_writers import DEFAULT_KINDS, MetricKind, MetricWriter
from gajax.retriever.data import GuidelineTexts, Inputs, load_inputs, load_library, split_by_input
from gajax.retriever.encoder import (
    DualEncoder,
    RetrieverModelConfig,
    TextEncoder,
    build_dual_encoder,
    length_bucket,
)
from gajax.retriever.loss import info_nce
from gajax.retriever.metrics import retrieval_metrics
from gajax.sharding import MeshConfig, logical_to_spec, make_mesh, state_shardings

MAX_SCALE = 100.0


@dataclasses.dataclass(frozen=True)
class RetrieverTrainSettings:
    """Optimisation and loss settings (the ``train`` section)."""

    batch_size: int = 32
    steps: int = 1000
    learning_rate: float = 2e-5
    warmup_steps: int = 100
    schedule: Literal["constant", "linear", "cosine"] = "linear"
    weight_decay: float = 0.01
    clip_norm: float = 1.0
    temperature: float = 0.05
    learn_temperature: bool = False
    negatives: Literal["none", "random", "mined"] = "none"
    num_negatives: int = 1
    mined_pool: int = 20
    symmetric: bool = False
    library_softmax_max: int = 0
    seed: int = 0
    log_every: int = 10
    metrics: tuple[MetricKind, ...] = DEFAULT_KINDS  # metrics.jsonl, TensorBoard and/or W&B in output_dir
    eval_every: int = 0
    checkpoint_every: int = 100
    keep_checkpoints: int = 3
    async_checkpoints: bool = True

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.steps < 1:
            raise ValueError(f"batch_size and steps must be positive, got {self.batch_size} and {self.steps}")
        if self.temperature <= 0:
            raise ValueError(f"temperature must be positive, got {self.temperature}")
        if self.negatives != "none" and self.num_negatives < 1:
            raise ValueError(f"negatives: {self.negatives} needs num_negatives >= 1")


@dataclasses.dataclass(frozen=True)
class TrainRetrieverConfig:
    """``gajax train-retriever``: data files, output directory, model, training settings and mesh.

    ``pairs`` and ``guidelines``: JSONL files or TFDS datasets prepared by ``gajax build-tfds``
    (``tfds:guideline_pairs@DATA_DIR``, ``tfds:guideline_library@DATA_DIR``).

    ``export_hf`` writes the trained towers at the end as HF BERT directories under ``<output_dir>/hf/`` (``query``,
    plus ``guideline`` for separate towers) with their ``tokenizer.json``; ``gajax embed model.weights=DIR`` (or
    transformers) loads them. A tower with a projection is not exported (HF ``BertModel`` has no place for it).
    """

    pairs: str = "data/pairs.jsonl"
    guidelines: str = "data/guidelines.jsonl"
    output_dir: str = "checkpoints/retriever"
    heldout_fraction: float = 0.1
    resume: bool = True
    progress: bool = True
    export_hf: bool = True
    model: RetrieverModelConfig = dataclasses.field(default_factory=RetrieverModelConfig)
    train: RetrieverTrainSettings = dataclasses.field(default_factory=RetrieverTrainSettings)
    mesh: MeshConfig = dataclasses.field(default_factory=lambda: MeshConfig(data=-1, fsdp=1))

    def __post_init__(self) -> None:
        if not 0.0 <= self.heldout_fraction < 1.0:
            raise ValueError(f"heldout_fraction must be in [0, 1), got {self.heldout_fraction}")


# ----------------------------------------------------------------------------------------------------- batches


@dataclasses.dataclass
class TokenTable:
    """Right-padded token ids and masks for a list of texts, padded to one length bucket."""

    tokens: np.ndarray
    mask: np.ndarray

    @classmethod
    def build(cls, encoder: TextEncoder, texts: tuple[str, ...]) -> TokenTable:
        ids = encoder.tokenize(texts)
        length = length_bucket(max(len(t) for t in ids))
        tokens = np.full((len(ids), length), encoder.pad_id, np.int32)
        mask = np.zeros((len(ids), length), np.int32)
        for row, t in enumerate(ids):
            tokens[row, : len(t)], mask[row, : len(t)] = t, 1
        return cls(tokens, mask)


class BatchSampler:
    """The batch of every step as a pure function of ``(seed, step)``: epoch permutations of all pairs."""

    def __init__(
        self,
        inputs: Inputs,
        library: GuidelineTexts,
        queries: TokenTable,
        guidelines: TokenTable,
        settings: RetrieverTrainSettings,
        mined: np.ndarray | None = None,
    ):
        self.inputs, self.library, self.queries, self.guidelines = inputs, library, queries, guidelines
        self.settings, self.mined = settings, mined
        self.pairs = np.array([(i, g) for i, rows in enumerate(inputs.positives) for g in rows], np.int64)
        if len(self.pairs) < settings.batch_size:
            raise ValueError(
                f"{len(self.pairs)} training pairs do not fill one batch of {settings.batch_size}; "
                "lower train.batch_size or add pairs"
            )
        self.steps_per_epoch = len(self.pairs) // settings.batch_size
        width = max(len(p) for p in inputs.positives)
        self.positive_ids = np.full((len(inputs.ids), width), -1, np.int32)
        for i, rows in enumerate(inputs.positives):
            self.positive_ids[i, : len(rows)] = rows
        self.whole_library = 0 < len(library.ids) <= settings.library_softmax_max

    def _negatives(self, query_rows: np.ndarray, step: int) -> np.ndarray:
        s = self.settings
        rng = np.random.default_rng([s.seed, 1, step])
        out = np.empty((len(query_rows), s.num_negatives), np.int64)
        for r, q in enumerate(query_rows):
            positives = set(self.inputs.positives[q])
            pool = self.mined[q] if s.negatives == "mined" and self.mined is not None else None
            for n in range(s.num_negatives):
                for _ in range(100):
                    pick = int(rng.choice(pool)) if pool is not None else int(rng.integers(len(self.library.ids)))
                    if pick not in positives:
                        break
                else:
                    raise ValueError(f"input {self.inputs.ids[q]!r}: no library guideline left to use as a negative")
                out[r, n] = pick
        return out.T.reshape(-1)  # negatives for all queries, grouped by draw

    def batch(self, step: int) -> dict[str, np.ndarray]:
        """Arrays of step ``step``: query tokens, candidate tokens, targets and the ids for masking."""
        s = self.settings
        epoch, offset = divmod(step, self.steps_per_epoch)
        order = np.random.default_rng([s.seed, 0, epoch]).permutation(len(self.pairs))
        chosen = self.pairs[order[offset * s.batch_size : (offset + 1) * s.batch_size]]
        query_rows, positive_rows = chosen[:, 0], chosen[:, 1]
        if self.whole_library:
            candidate_rows = np.arange(len(self.library.ids))
            targets = positive_rows
        else:
            candidate_rows = positive_rows
            if s.negatives != "none":
                candidate_rows = np.concatenate([positive_rows, self._negatives(query_rows, step)])
            targets = np.arange(s.batch_size)
        return {
            "query_tokens": self.queries.tokens[query_rows],
            "query_mask": self.queries.mask[query_rows],
            "candidate_tokens": self.guidelines.tokens[candidate_rows],
            "candidate_mask": self.guidelines.mask[candidate_rows],
            "targets": targets.astype(np.int32),
            "query_guideline_ids": self.positive_ids[query_rows],
            "candidate_ids": candidate_rows.astype(np.int32),
        }


# ------------------------------------------------------------------------------------------------- the step


def loss_and_metrics(
    graphdef: Any, params: Any, batch: dict[str, jax.Array], settings: RetrieverTrainSettings
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """InfoNCE of one global batch under ``params``."""
    model = nnx.merge(graphdef, params)
    queries = model("query", batch["query_tokens"], batch["query_mask"])
    candidates = model("guideline", batch["candidate_tokens"], batch["candidate_mask"])
    log_scale = model.log_scale[...]
    if not settings.learn_temperature:
        log_scale = jax.lax.stop_gradient(log_scale)
    scale = jnp.minimum(jnp.exp(log_scale), MAX_SCALE)
    loss, metrics = info_nce(
        queries,
        candidates,
        batch["targets"],
        batch["query_guideline_ids"],
        batch["candidate_ids"],
        scale,
        settings.symmetric,
    )
    metrics["scale"] = scale
    return loss, metrics


def loss_and_grads(
    graphdef: Any, params: Any, batch: dict[str, jax.Array], settings: RetrieverTrainSettings
) -> tuple[jax.Array, Any]:
    """The loss and its gradients with respect to every parameter."""
    grad_fn = jax.value_and_grad(lambda p: loss_and_metrics(graphdef, p, batch, settings)[0])
    return grad_fn(params)


def make_optimizer(settings: RetrieverTrainSettings) -> optax.GradientTransformation:
    """AdamW with linear warm-up, then a constant, linear or cosine schedule, after global-norm clipping."""
    peak, warmup = settings.learning_rate, max(settings.warmup_steps, 0)
    decay_steps = max(settings.steps - warmup, 1)
    if settings.schedule == "constant":
        after = optax.constant_schedule(peak)
    elif settings.schedule == "linear":
        after = optax.linear_schedule(peak, 0.0, decay_steps)
    else:
        after = optax.cosine_decay_schedule(peak, decay_steps)
    schedule = optax.join_schedules([optax.linear_schedule(0.0, peak, warmup), after], [warmup]) if warmup else after
    decay_mask = lambda params: jax.tree.map(lambda x: x.ndim >= 2, params)
    return optax.chain(
        optax.clip_by_global_norm(settings.clip_norm),
        optax.adamw(schedule, weight_decay=settings.weight_decay, mask=decay_mask),
    )


def make_train_step(
    graphdef: Any, settings: RetrieverTrainSettings, tx: optax.GradientTransformation, shardings: tuple[Any, Any, Any]
) -> Any:
    """The jitted ``(params, opt_state, batch) -> (params, opt_state, metrics)`` step; params and state donated.

    ``shardings`` are the (params, optimizer state, batch) shardings; the loss is computed on the global batch.
    """
    param_sh, opt_sh, batch_sh = shardings

    def step(params: Any, opt_state: Any, batch: dict[str, jax.Array]) -> tuple[Any, Any, dict[str, jax.Array]]:
        loss_fn = functools.partial(loss_and_metrics, graphdef, settings=settings)
        (_, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, batch)
        updates, opt_state = tx.update(grads, opt_state, params)
        metrics["grad_norm"] = optax.global_norm(grads)
        return optax.apply_updates(params, updates), opt_state, metrics

    return jax.jit(
        step,
        in_shardings=(param_sh, opt_sh, batch_sh),
        out_shardings=(param_sh, opt_sh, None),
        donate_argnames=("params", "opt_state"),
    )


def batch_shardings(batch: dict[str, np.ndarray], mesh: jax.sharding.Mesh) -> dict[str, NamedSharding]:
    """Shard every batch array's leading axis over the ``batch`` mesh axes when it divides evenly."""
    spec = logical_to_spec(("batch",), mesh_axes=mesh.axis_names)
    names = () if spec[0] is None else (spec[0],) if isinstance(spec[0], str) else spec[0]
    ways = math.prod(mesh.shape[n] for n in names)

    def one(x: np.ndarray) -> NamedSharding:
        if x.shape[0] % ways == 0:
            return NamedSharding(mesh, PartitionSpec(spec[0], *([None] * (x.ndim - 1))))
        return NamedSharding(mesh, PartitionSpec())

    return {k: one(v) for k, v in batch.items()}


def put_global_batch(batch: dict[str, np.ndarray], shardings: dict[str, NamedSharding]) -> dict[str, jax.Array]:
    """Global arrays from the host copy of the whole batch (every process builds the same one from the step)."""
    return {
        key: jax.make_array_from_callback(value.shape, shardings[key], lambda index, value=value: value[index])
        for key, value in batch.items()
    }


# ---------------------------------------------------------------------------------------------- evaluation


def evaluate(encoder: TextEncoder, inputs: Inputs, library: GuidelineTexts) -> dict[str, float]:
    """recall@1/5/10/20, MRR@10, nDCG@10 of ``inputs`` against the whole library."""
    queries = encoder.encode(inputs.prompts, "query")
    guidelines = encoder.encode(library.texts, "guideline")
    return retrieval_metrics(queries @ guidelines.T, [set(p) for p in inputs.positives])


def mine_negatives(encoder: TextEncoder, inputs: Inputs, library: GuidelineTexts, pool: int) -> np.ndarray:
    """For each input, the ``pool`` most similar library guidelines that are not its own (by ``encoder``)."""
    scores = encoder.encode(inputs.prompts, "query") @ encoder.encode(library.texts, "guideline").T
    for i, rows in enumerate(inputs.positives):
        scores[i, list(rows)] = -np.inf
    pool = min(pool, len(library.ids) - max(len(p) for p in inputs.positives))
    if pool < 1:
        raise ValueError("the library has no guideline left to mine as a negative")
    return np.argsort(-scores, axis=1, kind="stable")[:, :pool]


# ------------------------------------------------------------------------------------------------- the run


def run_train_retriever(cfg: TrainRetrieverConfig) -> int:
    """``gajax train-retriever``: train, then print the held-out metrics before and after; returns 0."""
    result = train_retriever(cfg)
    for name in ("initial_eval", "final_eval"):
        if result[name] is not None:
            shown = ", ".join(f"{k} {v:.3f}" for k, v in result[name].items() if k != "queries")
            print(f"{name.replace('_', ' ')}: {shown}")
    print(f"checkpoints and metrics.jsonl in {cfg.output_dir}")
    return 0


def train_retriever(cfg: TrainRetrieverConfig, stop_after: int | None = None) -> dict[str, Any]:
    """Train, checkpoint and evaluate; returns ``{"losses": {step: loss}, "initial_eval", "final_eval", ...}``.

    ``stop_after`` ends the run after that many steps (as an interruption would), leaving the checkpoints.
    """
    distributed.initialize()  # joins a multi-host job, logs the topology, fails fast on an incomplete pod
    s = cfg.train
    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    log = MetricWriter(out, s.metrics)  # a metrics directory that cannot be written fails here
    library = load_library(cfg.guidelines)
    inputs = load_inputs(cfg.pairs, library, cfg.guidelines)
    train_inputs, heldout = split_by_input(inputs, cfg.heldout_fraction)
    if not train_inputs.ids:
        raise ValueError(f"heldout_fraction {cfg.heldout_fraction} left no training inputs in {cfg.pairs}")
    if s.symmetric and 0 < len(library.ids) <= s.library_softmax_max:
        raise ValueError("train.symmetric needs in-batch candidates; it cannot combine with library_softmax_max")

    model, tokenizer = build_dual_encoder(cfg.model, s.temperature)
    encoder = TextEncoder(model, tokenizer, cfg.model.max_length)
    mined = mine_negatives(encoder, train_inputs, library, s.mined_pool) if s.negatives == "mined" else None
    sampler = BatchSampler(
        train_inputs,
        library,
        TokenTable.build(encoder, train_inputs.prompts),
        TokenTable.build(encoder, library.texts),
        s,
        mined,
    )

    mesh = make_mesh(cfg.mesh)
    graphdef, params = nnx.split(model)
    params = jax.device_put(params, state_shardings(params, mesh))
    tx = make_optimizer(s)
    with jax.set_mesh(mesh):
        opt_state = jax.jit(tx.init)(params)
    param_sh = jax.tree.map(lambda x: x.sharding, params)
    opt_sh = jax.tree.map(lambda x: x.sharding, opt_state)
    example = sampler.batch(0)
    batch_sh = batch_shardings(example, mesh)

    train_step = make_train_step(graphdef, s, tx, (param_sh, opt_sh, batch_sh))

    checkpoints = CheckpointManager(out / "checkpoints", keep=s.keep_checkpoints, async_save=s.async_checkpoints)
    metadata = {
        "config": to_dict(cfg),
        "bert": {k: dataclasses.asdict(model.tower(k).bert.cfg) for k in ("query", "guideline")},
        "scanned_layers": True,
        "stage": "train-retriever",
    }
    (out / "config.yaml").write_text(dump_config(cfg))
    start = 0
    if cfg.resume and checkpoints.latest_step() is not None:
        target = abstract_target({"params": params, "opt_state": opt_state, "step": np.int64(0)})
        restored, _ = checkpoints.restore(target, set_aside_damaged=True)
        params, opt_state, start = restored["params"], restored["opt_state"], int(restored["step"])

    log.start(start, metadata["config"])  # drops what an interrupted run logged after the restored step
    result: dict[str, Any] = {"losses": {}, "initial_eval": None, "final_eval": None}

    def run_eval(step: int, params: Any) -> dict[str, float] | None:
        if not heldout.ids:
            return None
        encoder.update(nnx.merge(graphdef, params))
        metrics = evaluate(encoder, heldout, library)
        log.write(step, {"key": f"eval/{step}", "eval": metrics})
        return metrics

    if start == 0:
        result["initial_eval"] = run_eval(0, params)
    end = s.steps if stop_after is None else min(s.steps, start + stop_after)
    bar = tqdm(total=s.steps, initial=start, desc="train-retriever", unit="step", disable=not cfg.progress)
    last_time = time.perf_counter()
    with jax.set_mesh(mesh):
        for step in range(start, end):
            batch = put_global_batch(sampler.batch(step), batch_sh)
            params, opt_state, metrics = train_step(params, opt_state, batch)
            loss = float(metrics["loss"])
            result["losses"][step + 1] = loss
            bar.update(1)
            bar.set_postfix(loss=f"{loss:.4f}")
            if (step + 1) % s.log_every == 0 or step + 1 == end:
                now = time.perf_counter()
                record = {k: float(v) for k, v in metrics.items()}
                record.update(key=f"train/{step + 1}", pairs_per_s=s.batch_size / (now - last_time))
                log.write(step + 1, record)
            last_time = time.perf_counter()
            if s.checkpoint_every and ((step + 1) % s.checkpoint_every == 0 or step + 1 == s.steps):
                state = {"params": params, "opt_state": opt_state, "step": np.int64(step + 1)}
                checkpoints.save(step + 1, state, metadata)
                log.flush()
            if s.eval_every and (step + 1) % s.eval_every == 0 and step + 1 != s.steps:
                run_eval(step + 1, params)
    bar.close()
    checkpoints.close()
    if end == s.steps:
        result["final_eval"] = run_eval(s.steps, params)
        if cfg.export_hf and not cfg.model.projection_dim:
            result["exported"] = export_towers(nnx.merge(graphdef, params), tokenizer, out / "hf")
    log.close()
    result["params"] = params
    result["graphdef"] = graphdef
    return result


def export_towers(model: DualEncoder, tokenizer: Tokenizer, directory: Path) -> list[str]:
    """Write each tower as an HF BERT directory with ``tokenizer.json``; returns the directories."""
    kinds = ["query"] if model.guideline_tower is None else ["query", "guideline"]
    written = []
    for kind in kinds:
        target = export_hf_bert(model.tower(kind).bert, directory / kind)
        tokenizer.save(str(target / "tokenizer.json"))
        written.append(str(target))
    return written


def load_trained(output_dir: str | Path) -> tuple[DualEncoder, TextEncoder, TrainRetrieverConfig]:
    """The dual encoder of the latest checkpoint under ``output_dir`` (built from its config snapshot)."""
    from gajax.config import from_dict

    checkpoints = CheckpointManager(Path(output_dir) / "checkpoints", async_save=False)
    cfg = from_dict(TrainRetrieverConfig, checkpoints.metadata()["config"])
    model, tokenizer = build_dual_encoder(cfg.model, cfg.train.temperature)
    graphdef, params = nnx.split(model)
    opt_state = jax.eval_shape(make_optimizer(cfg.train).init, params)
    target = abstract_target({"params": params, "opt_state": opt_state, "step": np.int64(0)})
    restored, _ = checkpoints.restore(target)
    checkpoints.close()
    model = nnx.merge(graphdef, restored["params"])
    return model, TextEncoder(model, tokenizer, cfg.model.max_length), cfg
