"""``gajax train-retriever``: contrastive training of the dual encoder, data-parallel over any mesh.

Every step draws a global batch of (input, guideline) pairs, embeds the inputs with the query tower and the
candidates (the batch's guidelines plus random or mined negatives, or the whole library when it is small) with the
guideline tower, and minimises masked InfoNCE (:mod:`gajax.retriever.loss`) over the global batch. The batch and its
negatives are a pure function of ``(seed, step)`` and mined negatives come from the initial weights, so a run
resumed from a checkpoint repeats exactly the losses of an uninterrupted one.
"""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path
from typing import Any, ClassVar, Literal

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx
from tokenizers import Tokenizer

from gajax.checkpoint import CheckpointManager, abstract_target
from gajax.config import to_dict
from gajax.convert.hf_bert import export_hf_bert
from gajax.optimizer import OptimizerConfig, build_optimizer
from gajax.perf import RateMeter
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
from gajax.sharding import MeshConfig, check_batch_divides
from gajax.trainer import (
    StepFn,
    Trainer,
    TrainerConfig,
    TrainState,
    init_train_state,
    loss_gradients,
    make_step,
    start,
    train_state_shardings,
)

MAX_SCALE = 100.0


@dataclasses.dataclass(frozen=True)
class RetrieverTrainSettings:
    """Optimisation and loss settings (the ``train`` section; the loop's settings are the ``trainer`` section)."""

    MOVED_KEYS: ClassVar[dict[str, str]] = {
        k: f"trainer.{k}" for k in ("steps", "seed", "log_every", "metrics", "checkpoint_every", "keep_checkpoints",
                                    "async_checkpoints")
    }

    batch_size: int = 64
    learning_rate: float = 2e-5
    warmup_steps: int = 200
    schedule: Literal["constant", "linear", "cosine"] = "linear"
    weight_decay: float = 0.01
    clip_norm: float = 1.0
    temperature: float = 0.05
    learn_temperature: bool = False
    negatives: Literal["none", "random", "mined"] = "random"
    num_negatives: int = 1
    mined_pool: int = 20
    symmetric: bool = True
    library_softmax_max: int = 0
    eval_every: int = 500

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {self.batch_size}")
        if self.temperature <= 0:
            raise ValueError(f"temperature must be positive, got {self.temperature}")
        if self.negatives != "none" and self.num_negatives < 1:
            raise ValueError(f"negatives: {self.negatives} needs num_negatives >= 1")


@dataclasses.dataclass(frozen=True)
class TrainRetrieverConfig:
    """``gajax train-retriever``: data files, output directory, model, training settings and mesh.

    ``pairs`` and ``guidelines``: JSONL files or TFDS datasets prepared by ``gajax build-tfds``
    (``tfds:guideline_pairs@DATA_DIR``, ``tfds:guideline_library@DATA_DIR``).

    ``trainer.export_hf`` writes the trained towers at the end as HF BERT directories under
    ``<trainer.output_dir>/hf/`` (``query``, plus ``guideline`` for separate towers) with their ``tokenizer.json``;
    ``gajax embed model.weights=DIR`` (or transformers) loads them. A tower with a projection is not exported (HF
    ``BertModel`` has no place for it).
    """

    MOVED_KEYS: ClassVar[dict[str, str]] = {"output_dir": "trainer.output_dir", "export_hf": "trainer.export_hf"}

    pairs: str = "data/pairs.jsonl"
    guidelines: str = "data/guidelines.jsonl"
    heldout_fraction: float = 0.1
    resume: bool = True
    progress: bool = True
    model: RetrieverModelConfig = dataclasses.field(default_factory=RetrieverModelConfig)
    train: RetrieverTrainSettings = dataclasses.field(default_factory=RetrieverTrainSettings)
    trainer: TrainerConfig = dataclasses.field(
        default_factory=lambda: TrainerConfig(steps=2000, log_every=10, checkpoint_every=500,
                                      output_dir="checkpoints/retriever-minilm")
    )
    mesh: MeshConfig = dataclasses.field(default_factory=lambda: MeshConfig(data=-1, fsdp=1))

    def __post_init__(self) -> None:
        if self.trainer.steps < 1:
            raise ValueError(f"trainer.steps must be positive, got {self.trainer.steps}")
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
        seed: int = 0,
    ):
        self.inputs, self.library, self.queries, self.guidelines = inputs, library, queries, guidelines
        self.settings, self.mined, self.seed = settings, mined, seed
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
        rng = np.random.default_rng([self.seed, 1, step])
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
        order = np.random.default_rng([self.seed, 0, epoch]).permutation(len(self.pairs))
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


def optimizer_config(settings: RetrieverTrainSettings) -> OptimizerConfig:
    """The ``train`` section's AdamW: warm-up, then a constant, linear or cosine schedule to zero, after
    global-norm clipping; weight decay on matrices only."""
    return OptimizerConfig(
        learning_rate=settings.learning_rate, warmup_steps=max(settings.warmup_steps, 0), decay=settings.schedule,
        weight_decay=settings.weight_decay, b2=0.999, max_grad_norm=settings.clip_norm, decay_matrices_only=True,
    )


def make_optimizer(settings: RetrieverTrainSettings, steps: int) -> optax.GradientTransformation:
    """:func:`gajax.optimizer.build_optimizer` of :func:`optimizer_config` over ``steps`` updates."""
    return build_optimizer(optimizer_config(settings), steps)


def retriever_step(graphdef: Any, settings: RetrieverTrainSettings, tx: optax.GradientTransformation) -> StepFn:
    """The train step: InfoNCE of the global batch (:func:`loss_and_metrics`) and one ``tx`` update."""
    return make_step(loss_gradients(lambda p, b: loss_and_metrics(graphdef, p, b, settings), has_aux=True), tx)


def batch_axes(whole_library: bool) -> dict[str, tuple[str | None, ...]]:
    """Logical axes of a batch: queries split over the data axes, and candidates too unless they are the whole
    library (then every device embeds all of it)."""
    candidates: tuple[str | None, ...] = (None,) if whole_library else ("batch",)
    return {
        "query_tokens": ("batch", "length"),
        "query_mask": ("batch", "length"),
        "candidate_tokens": (*candidates, "length"),
        "candidate_mask": (*candidates, "length"),
        "targets": ("batch",),
        "query_guideline_ids": ("batch", None),
        "candidate_ids": candidates,
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
    print(f"checkpoints and metrics.jsonl in {cfg.trainer.output_dir}")
    return 0


def train_retriever(cfg: TrainRetrieverConfig, stop_after: int | None = None) -> dict[str, Any]:
    """Train, checkpoint and evaluate; returns ``{"losses": {step: loss}, "initial_eval", "final_eval", ...}``.

    ``stop_after`` ends the run after that many steps (as an interruption would), leaving the checkpoints.
    """
    s, loop = cfg.train, cfg.trainer
    mesh = start(cfg.mesh)  # the distributed job and the mesh
    with Trainer(loop, mesh, name="train-retriever", progress=cfg.progress) as trainer:
        return _train(cfg, s, loop, mesh, trainer, stop_after)


def _train(cfg: TrainRetrieverConfig, s: RetrieverTrainSettings, loop: TrainerConfig, mesh: Any, trainer: Trainer,
           stop_after: int | None) -> dict[str, Any]:
    library = load_library(cfg.guidelines)
    inputs = load_inputs(cfg.pairs, library, cfg.guidelines)
    train_inputs, heldout = split_by_input(inputs, cfg.heldout_fraction)
    if not train_inputs.ids:
        raise ValueError(f"heldout_fraction {cfg.heldout_fraction} left no training inputs in {cfg.pairs}")
    if s.symmetric and 0 < len(library.ids) <= s.library_softmax_max:
        raise ValueError("train.symmetric needs in-batch candidates; it cannot combine with library_softmax_max")
    check_batch_divides(s.batch_size, mesh, f"train.batch_size={s.batch_size}")

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
        loop.seed,
    )

    graphdef, params = nnx.split(model)
    tx = make_optimizer(s, loop.steps)
    state_shardings = train_state_shardings(tx, params, mesh)
    with jax.set_mesh(mesh):
        state = jax.jit(lambda p: init_train_state(p, tx), out_shardings=state_shardings)(params)
    metadata = {
        "config": to_dict(cfg),
        "bert": {k: dataclasses.asdict(model.tower(k).bert.cfg) for k in ("query", "guideline")},
        "scanned_layers": True,
        "stage": "train-retriever",
    }
    start = 0
    if cfg.resume:
        state, start = trainer.restore(state, state_shardings)
    trainer.begin(start, cfg)
    result: dict[str, Any] = {"losses": {}, "initial_eval": None, "final_eval": None}

    def run_eval(step: int, params: Any) -> dict[str, float] | None:
        if not heldout.ids:
            return None
        encoder.update(nnx.merge(graphdef, params))
        metrics = evaluate(encoder, heldout, library)
        if trainer.writer is not None:
            trainer.writer.write(step, {"key": f"eval/{step}", "eval": metrics})
        return metrics

    def after_step(step: int, state: TrainState, metrics: dict[str, jax.Array]) -> None:
        result["losses"][step] = float(metrics["loss"])
        if s.eval_every and step % s.eval_every == 0 and step != loop.steps:
            run_eval(step, state["params"])

    if start == 0:
        result["initial_eval"] = run_eval(0, state["params"])
    step = retriever_step(graphdef, s, tx)
    rate = RateMeter("pairs_per_s")
    state, _ = trainer.fit(
        state, state_shardings, step, (sampler.batch(n) for n in itertools.count(start)),
        batch_axes(sampler.whole_library), start=start, total_steps=loop.steps, stop_after=stop_after,
        metadata=metadata, units=lambda _: s.batch_size,
        meter=lambda step, pairs: {**rate.measure(pairs), "key": f"train/{step}"}, after_step=after_step,
    )
    params = state["params"]
    if int(state["step"]) == loop.steps:
        result["final_eval"] = run_eval(loop.steps, params)
        if loop.export_hf and not cfg.model.projection_dim:
            trained = nnx.merge(graphdef, params)
            kinds = ["query"] if trained.guideline_tower is None else ["query", "guideline"]
            target = trainer.export(lambda directory: export_towers(trained, tokenizer, directory))
            result["exported"] = [str(target / kind) for kind in kinds] if target is not None else []
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
    from gajax.config import from_dict, upgrade_moved_keys

    checkpoints = CheckpointManager(Path(output_dir) / "checkpoints", async_save=False)
    cfg = from_dict(TrainRetrieverConfig, upgrade_moved_keys(TrainRetrieverConfig, checkpoints.metadata()["config"]))
    model, tokenizer = build_dual_encoder(cfg.model, cfg.train.temperature)
    graphdef, params = nnx.split(model)
    tx = make_optimizer(cfg.train, cfg.trainer.steps)
    target = abstract_target(jax.eval_shape(lambda p: init_train_state(p, tx), params))
    restored, _ = checkpoints.restore(target)
    checkpoints.close()
    model = nnx.merge(graphdef, restored["params"])
    return model, TextEncoder(model, tokenizer, cfg.model.max_length), cfg
