"""Fine-tune the top layers of a BERT query tower against a frozen guideline library, on cached lower-layer states.

With ``k`` tuned layers of an ``L``-layer encoder, the first ``L - k`` layers stay frozen, so their output for
each training input is computed once (:func:`lower_layer_states`) and every step runs only the top ``k`` layers,
the tower's pooling and a loss against fixed guideline embeddings (the seed retriever's:
:func:`gajax.retriever.loss.safety_retrieval_loss`).
That makes fine-tuning the query side of all-MiniLM-L6-v2 on a few thousand short inputs a matter of minutes on
a 2-core CPU, where training both towers end to end (``gajax train-retriever``) takes hours. The guideline side
is untouched, so a library embedded with the base encoder stays valid.

:class:`TopLayers` holds the tuned weights; ``apply_to`` writes them into a freshly loaded encoder.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx, traverse_util
from tqdm.auto import tqdm

from gajax.models.bert import Bert, scan_layers
from gajax.optimizer import OptimizerConfig, build_optimizer
from gajax.retriever.encoder import TextEncoder, Tower
from gajax.sharding import MeshConfig, make_mesh
from gajax.trainer import (
    Trainer,
    TrainerConfig,
    TrainState,
    init_train_state,
    loss_gradients,
    make_step,
    train_state_shardings,
)

LENGTH_STEP = 16  # cached states are padded to a multiple of this many tokens (one compiled shape per multiple)


@dataclasses.dataclass(frozen=True)
class TopLayerSettings:
    """How to tune an encoder's top layers (the seed config's ``top_layers`` section): ``count`` top layers (0:
    none) for ``epochs`` over the training inputs in batches of ``batch_size`` (inputs of similar length batched
    together); Adam with ``learning_rate`` (linear warm-up over the first tenth, cosine decay)."""

    count: int = 1
    epochs: float = 4.0
    batch_size: int = 128
    learning_rate: float = 2e-4

    def __post_init__(self) -> None:
        if self.count < 0 or self.epochs < 0 or self.batch_size < 1:
            raise ValueError(f"top_layers.count and top_layers.epochs must be >= 0 and top_layers.batch_size >= 1, "
                             f"got {self.count}, {self.epochs}, {self.batch_size}")
        if self.learning_rate < 0:
            raise ValueError(f"top_layers.learning_rate must be >= 0, got {self.learning_rate}")


@dataclasses.dataclass
class TopLayers:
    """Tuned weights of an encoder's last ``count`` layers, as a flat ``{"path/to/param": (count, ...)}`` map."""

    count: int
    weights: dict[str, np.ndarray]

    def apply_to(self, bert: Bert) -> None:
        """Overwrite ``bert``'s last ``count`` layers with these weights (shapes must match)."""
        _check_count(bert, self.count)
        _, state = nnx.split(bert.layers)
        flat = traverse_util.flatten_dict(nnx.to_pure_dict(state), sep="/")
        if set(flat) != set(self.weights):
            raise ValueError(f"tuned layer weights {sorted(self.weights)} do not fit the encoder's {sorted(flat)}")
        merged = {}
        for key, value in flat.items():
            tuned = self.weights[key]
            if tuned.shape[1:] != value.shape[1:] or tuned.shape[0] != self.count:
                raise ValueError(f"tuned layer weight {key}: shape {tuned.shape} does not fit {value.shape}")
            merged[key] = jnp.concatenate([value[: -self.count], jnp.asarray(tuned, value.dtype)])
        nnx.replace_by_pure_dict(state, traverse_util.unflatten_dict(merged, sep="/"))
        nnx.update(bert.layers, state)

    def save(self, path: Path) -> None:
        np.savez(path, count=np.int64(self.count), **{f"w/{k}": v for k, v in self.weights.items()})

    @classmethod
    def load(cls, path: Path) -> TopLayers:
        with np.load(path) as data:
            weights = {k[2:]: np.asarray(data[k]) for k in data.files if k.startswith("w/")}
            return cls(int(data["count"]), weights)


def _check_count(bert: Bert, count: int) -> None:
    if not 1 <= count <= bert.cfg.num_layers:
        raise ValueError(f"can tune 1 to {bert.cfg.num_layers} top layers of this encoder, not {count}")


@functools.partial(jax.jit, static_argnums=(0, 4))
def _lower(graphdef: Any, state: Any, tokens: jax.Array, mask: jax.Array, stop: int) -> jax.Array:
    bert = nnx.merge(graphdef, state)
    return bert.run_layers(bert.embed_inputs(tokens), mask, 0, stop)


def lower_layer_states(
    encoder: TextEncoder, bert: Bert, texts: Sequence[str], stop: int, progress: bool = False
) -> list[np.ndarray]:
    """Per text, the ``(tokens, embed)`` hidden states after ``bert``'s first ``stop`` layers (``encoder``
    tokenises and batches). Held in host memory as float32: 1.5 KB a token for MiniLM, about 220 MB for the
    7,571 seed inputs."""
    graphdef, state = nnx.split(bert)
    token_lists = encoder.tokenize(texts)
    out: list[np.ndarray] = [np.empty(0)] * len(token_lists)
    for idx, tokens, mask in tqdm(encoder.batches(token_lists), desc="frozen layers", unit="batch",
                                  disable=not progress):
        hidden = np.asarray(_lower(graphdef, state, tokens, mask, stop), np.float32)
        for row, i in enumerate(idx):
            out[i] = hidden[row, : len(token_lists[i])]
    return out


def _padded(states: Sequence[np.ndarray], rows: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
    hidden = np.zeros((len(rows), length, states[rows[0]].shape[1]), np.float32)
    mask = np.zeros((len(rows), length), np.int32)
    for r, i in enumerate(rows):
        hidden[r, : len(states[i])] = states[i]
        mask[r, : len(states[i])] = 1
    return hidden, mask


def length_batches(lengths: np.ndarray, rows: np.ndarray, batch_size: int, step: int,
                   rng: np.random.Generator) -> list[tuple[np.ndarray, int]]:
    """One epoch of ``(rows, padded length)`` batches: ``rows`` shuffled, grouped by length rounded up to a
    multiple of ``step``, cut into full batches of ``batch_size`` (a group's remainder waits for the next epoch's
    shuffle; a group smaller than one batch forms one short batch), in random order."""
    padded = -(-lengths[rows] // step) * step
    batches = []
    for length in np.unique(padded):
        group = rng.permutation(rows[padded == length])
        full = max(1, len(group) // batch_size)
        batches += [(group[b * batch_size : (b + 1) * batch_size], int(length)) for b in range(full)]
    return [batches[i] for i in rng.permutation(len(batches))]


def _top_embed(graphdef: Any, top: Any, tower: Tower, hidden: jax.Array, mask: jax.Array) -> jax.Array:
    return tower.pool(scan_layers(graphdef, top, hidden, mask), mask)


def embed_from_states(tower: Tower, states: Sequence[np.ndarray], stop: int, batch_size: int = 256) -> np.ndarray:
    """Tower embeddings of texts given their :func:`lower_layer_states` (after ``stop`` layers); the tower's
    layers from ``stop`` on are run with its current weights."""
    graphdef, stacked = nnx.split(tower.bert.layers)
    top = jax.tree.map(lambda a: a[stop:], stacked)
    run = jax.jit(lambda t, h, m: _top_embed(graphdef, t, tower, h, m))
    order = np.argsort([len(s) for s in states], kind="stable")
    out = None
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        hidden, mask = _padded(states, rows, -(-len(states[rows[-1]]) // LENGTH_STEP) * LENGTH_STEP)
        emb = np.asarray(run(top, hidden, mask))
        if out is None:
            out = np.empty((len(states), emb.shape[1]), np.float32)
        out[rows] = emb
    assert out is not None
    return out


def train_top_layers(
    tower: Tower,
    states: Sequence[np.ndarray],
    rows: np.ndarray,
    row_targets: Sequence[np.ndarray],
    loss_fn: Callable[..., jax.Array],
    settings: TopLayerSettings,
    seed: int = 0,
    progress: bool = True,
) -> tuple[TopLayers, list[float]]:
    """Tune ``tower``'s last ``settings.count`` layers on the inputs at ``rows`` (``states`` from
    :func:`lower_layer_states` with ``stop = num_layers - count``) to minimise ``loss_fn(queries, *targets)``,
    where ``queries`` are the tower's embeddings of a batch and ``targets`` the batch's rows of each array in
    ``row_targets`` (one row per input); ``seed`` fixes the batch order. Runs on one device without checkpoints
    (:class:`gajax.trainer.Trainer`); writes the result into ``tower`` and returns it with the loss per step."""
    bert = tower.bert
    _check_count(bert, settings.count)
    stop = bert.cfg.num_layers - settings.count
    graphdef, stacked = nnx.split(bert.layers)
    top = jax.tree.map(lambda a: a[stop:], stacked)
    lengths = np.array([len(s) for s in states])
    rng = np.random.default_rng(seed)
    batch_size = min(settings.batch_size, len(rows))
    epoch_batches = len(length_batches(lengths, rows, batch_size, LENGTH_STEP, rng))
    steps = max(1, round(settings.epochs * epoch_batches))
    tx = build_optimizer(OptimizerConfig(learning_rate=settings.learning_rate, warmup_steps=max(1, steps // 10),
                                         b2=0.999, max_grad_norm=0.0), max(steps, 2))
    mesh = make_mesh(MeshConfig(devices=1))  # seconds of work: one device
    targets = [f"target_{i}" for i in range(len(row_targets))]

    def batch_loss(top: Any, batch: dict[str, jax.Array]) -> jax.Array:
        queries = _top_embed(graphdef, top, tower, batch["hidden"], batch["mask"])
        return loss_fn(queries, *(batch[name] for name in targets))

    def batches() -> Iterator[dict[str, np.ndarray]]:
        pending: list[tuple[np.ndarray, int]] = []
        while True:
            if not pending:
                pending = length_batches(lengths, rows, batch_size, LENGTH_STEP, rng)
            batch, length = pending.pop()
            hidden, mask = _padded(states, batch, length)
            yield {"hidden": hidden, "mask": mask, **{name: t[batch] for name, t in zip(targets, row_targets,
                                                                                         strict=True)}}

    axes = {"hidden": ("batch", "length", None), "mask": ("batch", "length")}
    axes |= {name: ("batch",) + (None,) * (t.ndim - 1) for name, t in zip(targets, row_targets, strict=True)}
    losses: list[float] = []

    def record(_: int, __: TrainState, metrics: dict[str, jax.Array]) -> None:
        losses.append(float(metrics["loss"]))

    state = init_train_state(top, tx)
    loop = TrainerConfig(steps=steps, seed=seed, checkpoint_every=0, output_dir="")
    with Trainer(loop, mesh, name=f"fine-tune top {settings.count} layers", progress=progress) as trainer:
        state, _ = trainer.fit(state, train_state_shardings(tx, top, mesh), make_step(loss_gradients(batch_loss), tx),
                               batches(), axes, start=0, total_steps=steps, after_step=record)
    flat = traverse_util.flatten_dict(nnx.to_pure_dict(state["params"]), sep="/")
    tuned = TopLayers(settings.count, {k: np.asarray(v) for k, v in flat.items()})
    tuned.apply_to(bert)
    return tuned, losses
