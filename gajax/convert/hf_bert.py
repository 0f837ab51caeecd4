"""HF BERT safetensors <-> gajax :class:`~gajax.models.bert.Bert`.

Reads both key layouts: the bare ``BertModel`` one (``embeddings.word_embeddings.weight``, as in MiniLM) and the
``bert.``-prefixed one of ``BertForPreTraining`` checkpoints (bert-base-uncased), with ``LayerNorm.weight/bias`` or the
older ``LayerNorm.gamma/beta`` names. Pooler and pre-training heads are ignored. Export writes the bare layout plus a
``config.json`` that ``transformers.BertModel.from_pretrained`` loads.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from safetensors import SafetensorError
from safetensors.numpy import load_file, save_file

from gajax.models.bert import Bert, BertConfig

_IGNORED_PREFIXES = ("pooler.", "cls.", "embeddings.position_ids")

@dataclasses.dataclass(frozen=True)
class BertRow:
    """One tensor: its gajax parameter path, its HF name (``{i}``: the layer) and the layout transform (``plain``,
    ``transpose``, ``in_heads``, ``heads``, ``heads_out``)."""

    gajax: str
    hf: str
    kind: str = "plain"

    @property
    def per_layer(self) -> bool:
        return "{i}" in self.hf


# The conversion table: HF import and export both read it, and the shapes are checked against the model's.
_LAYER = "encoder.layer.{i}."
BERT_TENSORS: tuple[BertRow, ...] = (
    BertRow("embed", "embeddings.word_embeddings.weight"),
    BertRow("position_embed", "embeddings.position_embeddings.weight"),
    BertRow("type_embed", "embeddings.token_type_embeddings.weight"),
    BertRow("embed_norm.scale", "embeddings.LayerNorm.weight"),
    BertRow("embed_norm.bias", "embeddings.LayerNorm.bias"),
    BertRow("layers.q_proj", _LAYER + "attention.self.query.weight", "in_heads"),
    BertRow("layers.q_bias", _LAYER + "attention.self.query.bias", "heads"),
    BertRow("layers.k_proj", _LAYER + "attention.self.key.weight", "in_heads"),
    BertRow("layers.k_bias", _LAYER + "attention.self.key.bias", "heads"),
    BertRow("layers.v_proj", _LAYER + "attention.self.value.weight", "in_heads"),
    BertRow("layers.v_bias", _LAYER + "attention.self.value.bias", "heads"),
    BertRow("layers.o_proj", _LAYER + "attention.output.dense.weight", "heads_out"),
    BertRow("layers.o_bias", _LAYER + "attention.output.dense.bias"),
    BertRow("layers.attn_norm.scale", _LAYER + "attention.output.LayerNorm.weight"),
    BertRow("layers.attn_norm.bias", _LAYER + "attention.output.LayerNorm.bias"),
    BertRow("layers.up_proj", _LAYER + "intermediate.dense.weight", "transpose"),
    BertRow("layers.up_bias", _LAYER + "intermediate.dense.bias"),
    BertRow("layers.down_proj", _LAYER + "output.dense.weight", "transpose"),
    BertRow("layers.down_bias", _LAYER + "output.dense.bias"),
    BertRow("layers.mlp_norm.scale", _LAYER + "output.LayerNorm.weight"),
    BertRow("layers.mlp_norm.bias", _LAYER + "output.LayerNorm.bias"),
)


class ConvertError(ValueError):
    """Weights that do not fit a BERT layout or the expected architecture."""


def bert_config_from_hf(hf: dict[str, Any], source: str = "config.json") -> BertConfig:
    """A :class:`BertConfig` from an HF ``config.json`` mapping; unsupported variants raise naming the key."""
    if hf.get("model_type", "bert") != "bert":
        raise ConvertError(f"{source}: model_type {hf.get('model_type')!r} is not 'bert'")
    if hf.get("hidden_act", "gelu") != "gelu":
        raise ConvertError(f"{source}: hidden_act {hf.get('hidden_act')!r} is not supported (only exact 'gelu')")
    if hf.get("position_embedding_type", "absolute") != "absolute":
        raise ConvertError(f"{source}: position_embedding_type {hf['position_embedding_type']!r} is not 'absolute'")
    return BertConfig(
        vocab_size=hf["vocab_size"],
        embed_dim=hf["hidden_size"],
        num_layers=hf["num_hidden_layers"],
        num_heads=hf["num_attention_heads"],
        mlp_dim=hf["intermediate_size"],
        max_positions=hf.get("max_position_embeddings", 512),
        type_vocab_size=hf.get("type_vocab_size", 2),
        norm_eps=hf.get("layer_norm_eps", 1e-12),
        pad_token_id=hf.get("pad_token_id", 0) or 0,
    )


def bert_config_to_hf(cfg: BertConfig) -> dict[str, Any]:
    """The HF ``config.json`` mapping for ``cfg``."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": cfg.vocab_size,
        "hidden_size": cfg.embed_dim,
        "num_hidden_layers": cfg.num_layers,
        "num_attention_heads": cfg.num_heads,
        "intermediate_size": cfg.mlp_dim,
        "max_position_embeddings": cfg.max_positions,
        "type_vocab_size": cfg.type_vocab_size,
        "layer_norm_eps": cfg.norm_eps,
        "pad_token_id": cfg.pad_token_id,
        "hidden_act": "gelu",
        "position_embedding_type": "absolute",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02,
    }


def read_safetensors(path: str | Path) -> dict[str, np.ndarray]:
    """All tensors of a ``.safetensors`` file, or of a directory's ``model*.safetensors`` files."""
    path = Path(path)
    files = sorted(path.glob("*.safetensors")) if path.is_dir() else [path]
    if not files or not files[0].exists():
        raise ConvertError(f"{path}: no .safetensors weights found")
    tensors: dict[str, np.ndarray] = {}
    for file in files:
        try:
            tensors.update(load_file(str(file)))
        except (SafetensorError, OSError, ValueError) as err:
            raise ConvertError(f"{file}: not a readable safetensors file ({err})") from None
    return tensors


def _canonical_keys(tensors: dict[str, np.ndarray], source: str) -> dict[str, np.ndarray]:
    """Strip a ``bert.`` prefix, rename ``gamma/beta`` and drop pooler/head tensors."""
    prefixed = any(k.startswith("bert.") for k in tensors)
    out: dict[str, np.ndarray] = {}
    for key, value in tensors.items():
        if prefixed:
            if not key.startswith("bert."):
                continue  # pre-training heads (cls.*)
            key = key[len("bert.") :]
        if key.startswith(_IGNORED_PREFIXES):
            continue
        key = key.replace("LayerNorm.gamma", "LayerNorm.weight").replace("LayerNorm.beta", "LayerNorm.bias")
        out[key] = value
    if "embeddings.word_embeddings.weight" not in out:
        raise ConvertError(f"{source}: not a BERT checkpoint (no embeddings.word_embeddings.weight)")
    return out


def _to_gajax(value: np.ndarray, kind: str, cfg: BertConfig) -> np.ndarray:
    d, h, hd = cfg.embed_dim, cfg.num_heads, cfg.head_dim
    if kind == "in_heads":
        return value.T.reshape(d, h, hd)
    if kind == "heads":
        return value.reshape(h, hd)
    if kind == "heads_out":
        return value.T.reshape(h, hd, d)
    if kind == "transpose":
        return value.T
    return value


def _to_hf(value: np.ndarray, kind: str, cfg: BertConfig) -> np.ndarray:
    d, h, hd = cfg.embed_dim, cfg.num_heads, cfg.head_dim
    if kind == "in_heads":
        return value.reshape(d, h * hd).T
    if kind == "heads":
        return value.reshape(h * hd)
    if kind == "heads_out":
        return value.reshape(h * hd, d).T
    if kind == "transpose":
        return value.T
    return value


def _set(tree: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    for part in parents:
        tree = tree.setdefault(part, {})
    tree[leaf] = value


def _get(tree: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        tree = tree[part]
    return tree


def hf_to_pure_dict(tensors: dict[str, np.ndarray], cfg: BertConfig, source: str = "weights") -> dict[str, Any]:
    """HF BERT tensors as the pure-dict state of a gajax :class:`Bert` (layers stacked)."""
    tensors = _canonical_keys(tensors, source)
    used: set[str] = set()

    def take(key: str) -> np.ndarray:
        if key not in tensors:
            raise ConvertError(f"{source}: missing tensor {key!r}")
        used.add(key)
        return np.asarray(tensors[key], np.float32)

    pure: dict[str, Any] = {}
    for row in BERT_TENSORS:
        if row.per_layer:
            per_layer = [_to_gajax(take(row.hf.format(i=i)), row.kind, cfg) for i in range(cfg.num_layers)]
            _set(pure, row.gajax, np.stack(per_layer))
        else:
            _set(pure, row.gajax, _to_gajax(take(row.hf), row.kind, cfg))
    extra = sorted(set(tensors) - used)
    if extra:
        raise ConvertError(
            f"{source}: {len(extra)} tensors do not fit a {cfg.num_layers}-layer BERT, e.g. {extra[0]!r}"
        )
    return pure


def pure_dict_to_hf(pure: dict[str, Any], cfg: BertConfig, prefix: str = "") -> dict[str, np.ndarray]:
    """A gajax :class:`Bert` pure-dict state as HF tensors (``prefix`` is ``""`` or ``"bert."``)."""
    out: dict[str, np.ndarray] = {}
    for row in BERT_TENSORS:
        value = np.asarray(_get(pure, row.gajax), np.float32)
        if not row.per_layer:
            out[prefix + row.hf] = np.ascontiguousarray(_to_hf(value, row.kind, cfg))
            continue
        for i in range(cfg.num_layers):
            out[prefix + row.hf.format(i=i)] = np.ascontiguousarray(_to_hf(value[i], row.kind, cfg))
    return out


def bert_from_pure_dict(
    cfg: BertConfig, pure: dict[str, Any], *, dtype: Any = jnp.float32, param_dtype: Any = jnp.float32
) -> Bert:
    """A :class:`Bert` holding ``pure``; shapes are checked against ``cfg`` with errors naming the parameter."""
    abstract = nnx.eval_shape(lambda: Bert(cfg, dtype=dtype, param_dtype=param_dtype, rngs=nnx.Rngs(0)))
    graphdef, state = nnx.split(abstract)
    expected = nnx.to_pure_dict(state)

    def check(path: tuple[Any, ...], shape_leaf: Any, value: Any) -> jax.Array:
        name = ".".join(str(getattr(p, "key", p)) for p in path)
        if tuple(shape_leaf.shape) != tuple(np.shape(value)):
            raise ConvertError(
                f"parameter {name}: weights have shape {np.shape(value)}, {cfg} needs {shape_leaf.shape}"
            )
        return jnp.asarray(value, param_dtype)

    filled = jax.tree_util.tree_map_with_path(check, expected, pure)
    nnx.replace_by_pure_dict(state, filled)
    return nnx.merge(graphdef, state)


def load_hf_bert(
    path: str | Path, *, dtype: Any = jnp.float32, param_dtype: Any = jnp.float32
) -> tuple[Bert, BertConfig]:
    """Load an HF BERT directory (``config.json`` + safetensors) as a gajax :class:`Bert`."""
    path = Path(path)
    config_file = path / "config.json"
    if not config_file.exists():
        raise ConvertError(f"{path}: no config.json (expected an HF BERT directory)")
    cfg = bert_config_from_hf(json.loads(config_file.read_text()), str(config_file))
    pure = hf_to_pure_dict(read_safetensors(path), cfg, str(path))
    return bert_from_pure_dict(cfg, pure, dtype=dtype, param_dtype=param_dtype), cfg


def export_hf_bert(model: Bert, out_dir: str | Path, prefix: str = "") -> Path:
    """Write ``model`` as an HF BERT directory (``config.json`` + ``model.safetensors``); returns the directory."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    pure = jax.tree.map(np.asarray, nnx.to_pure_dict(nnx.state(model, nnx.Param)))
    tensors = pure_dict_to_hf(pure, model.cfg, prefix)
    save_file(tensors, str(out_dir / "model.safetensors"), metadata={"format": "pt"})
    (out_dir / "config.json").write_text(json.dumps(bert_config_to_hf(model.cfg), indent=2) + "\n")
    return out_dir
