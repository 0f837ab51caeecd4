"""HF LLaMA checkpoints (``config.json`` + safetensors) to and from :class:`~gajax.models.llama.Llama`.

HF LLaMA applies rotary embeddings in the rotate-half convention, as gajax does, so query and key weights
map over without any row permutation; only the layouts change: a torch ``Linear`` stores ``(out, in)``
while gajax keeps ``(embed, heads, head_dim)`` for q/k/v, ``(heads, head_dim, embed)`` for the output
projection and ``(in, out)`` for the MLP, with the layers stacked on a leading axis.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
from flax import nnx
from jax.sharding import Mesh, NamedSharding
from safetensors import SafetensorError, safe_open
from safetensors.numpy import save_file
from tqdm.auto import tqdm

from gajax.models.llama import Llama, LlamaConfig
from gajax.sharding import variable_spec

CONFIG_FILE = "config.json"
INDEX_FILE = "model.safetensors.index.json"
SINGLE_FILE = "model.safetensors"

_NP_DTYPES: dict[str, Any] = {"float32": np.float32, "bfloat16": ml_dtypes.bfloat16, "float16": np.float16}


class CheckpointError(ValueError):
    """A checkpoint that cannot be read or does not fit the architecture it claims."""


def numpy_dtype(name: str) -> Any:
    """The numpy dtype for ``float32``, ``bfloat16`` or ``float16``."""
    if name not in _NP_DTYPES:
        raise ValueError(f"unknown dtype {name!r}; choose from {sorted(_NP_DTYPES)}")
    return _NP_DTYPES[name]


# ----------------------------------------------------------------------------------------------------
# Architecture


def config_from_hf(hf: Mapping[str, Any], source: str = CONFIG_FILE) -> LlamaConfig:
    """Map an HF ``LlamaConfig`` dict onto gajax's :class:`LlamaConfig`; refuse features gajax lacks."""
    model_type = hf.get("model_type")
    if model_type not in ("llama", None):
        raise CheckpointError(
            f"{source}: model_type {model_type!r} is not a LLaMA checkpoint (expected 'llama')"
        )
    required = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size")
    missing = [k for k in required if hf.get(k) is None]
    if missing:
        raise CheckpointError(f"{source}: missing required keys {missing}")
    act = hf.get("hidden_act", "silu")
    if act != "silu":
        raise CheckpointError(
            f"{source}: hidden_act {act!r} is not supported (gajax's MLP is SwiGLU with silu)"
        )
    for flag in ("attention_bias", "mlp_bias"):
        if hf.get(flag):
            raise CheckpointError(
                f"{source}: {flag}=true is not supported (gajax's projections have no bias)"
            )
    rope = hf.get("rope_parameters") or hf.get("rope_scaling") or {}
    rope_type = rope.get("rope_type", rope.get("type", "default"))
    if rope_type != "default":
        raise CheckpointError(f"{source}: rope_type {rope_type!r} is not supported (only plain RoPE)")
    theta = rope.get("rope_theta", hf.get("rope_theta", 10000.0))
    heads = int(hf["num_attention_heads"])
    try:
        return LlamaConfig(
            vocab_size=int(hf["vocab_size"]),
            embed_dim=int(hf["hidden_size"]),
            num_layers=int(hf["num_hidden_layers"]),
            num_heads=heads,
            num_kv_heads=int(hf.get("num_key_value_heads") or heads),
            head_dim=int(hf.get("head_dim") or hf["hidden_size"] // heads),
            mlp_dim=int(hf["intermediate_size"]),
            rope_theta=float(theta),
            norm_eps=float(hf.get("rms_norm_eps", 1e-6)),
            tie_embeddings=bool(hf.get("tie_word_embeddings", False)),
            max_seq_len=int(hf.get("max_position_embeddings", 4096)),
        )
    except ValueError as err:
        raise CheckpointError(f"{source}: {err}") from None


def config_to_hf(
    cfg: LlamaConfig, dtype: str, special_ids: Mapping[str, int | None] | None = None
) -> dict[str, Any]:
    """The HF ``config.json`` dict for ``cfg`` (``special_ids``: bos/eos/pad token ids when known)."""
    hf: dict[str, Any] = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": cfg.vocab_size,
        "hidden_size": cfg.embed_dim,
        "num_hidden_layers": cfg.num_layers,
        "num_attention_heads": cfg.num_heads,
        "num_key_value_heads": cfg.num_kv_heads,
        "head_dim": cfg.head_dim,
        "intermediate_size": cfg.mlp_dim,
        "hidden_act": "silu",
        "rms_norm_eps": cfg.norm_eps,
        "rope_theta": cfg.rope_theta,
        "rope_parameters": {"rope_type": "default", "rope_theta": cfg.rope_theta},
        "max_position_embeddings": cfg.max_seq_len,
        "tie_word_embeddings": cfg.tie_embeddings,
        "attention_bias": False,
        "mlp_bias": False,
        "torch_dtype": dtype,
        "dtype": dtype,
    }
    for name in ("bos", "eos", "pad"):
        token_id = (special_ids or {}).get(name)
        if token_id is not None:
            hf[f"{name}_token_id"] = int(token_id)
    return hf


# ----------------------------------------------------------------------------------------------------
# Parameter layouts shared by every importer

# Per-layer parameters of gajax's stacked ``layers``, by path.
LAYER_PARAMS = (
    "attn_norm/scale",
    "q_proj",
    "k_proj",
    "v_proj",
    "o_proj",
    "mlp_norm/scale",
    "gate_proj",
    "up_proj",
    "down_proj",
)

_HF_LAYER_NAMES = {
    "attn_norm/scale": "input_layernorm.weight",
    "q_proj": "self_attn.q_proj.weight",
    "k_proj": "self_attn.k_proj.weight",
    "v_proj": "self_attn.v_proj.weight",
    "o_proj": "self_attn.o_proj.weight",
    "mlp_norm/scale": "post_attention_layernorm.weight",
    "gate_proj": "mlp.gate_proj.weight",
    "up_proj": "mlp.up_proj.weight",
    "down_proj": "mlp.down_proj.weight",
}


def torch_layout_shapes(cfg: LlamaConfig) -> dict[str, tuple[int, ...]]:
    """Expected HF (torch ``Linear``: ``(out, in)``) shape of every per-layer weight, by gajax path."""
    d, h, kv, hd, m = cfg.embed_dim, cfg.num_heads, cfg.num_kv_heads, cfg.head_dim, cfg.mlp_dim
    return {
        "attn_norm/scale": (d,),
        "q_proj": (h * hd, d),
        "k_proj": (kv * hd, d),
        "v_proj": (kv * hd, d),
        "o_proj": (d, h * hd),
        "mlp_norm/scale": (d,),
        "gate_proj": (m, d),
        "up_proj": (m, d),
        "down_proj": (d, m),
    }


def to_gajax_layout(path: str, weight: np.ndarray, cfg: LlamaConfig) -> np.ndarray:
    """Turn one per-layer HF weight (torch layout) into gajax's layout."""
    d, h, kv, hd = cfg.embed_dim, cfg.num_heads, cfg.num_kv_heads, cfg.head_dim
    if path == "q_proj":
        return weight.T.reshape(d, h, hd)
    if path in ("k_proj", "v_proj"):
        return weight.T.reshape(d, kv, hd)
    if path == "o_proj":
        return weight.T.reshape(h, hd, d)
    if path in ("gate_proj", "up_proj", "down_proj"):
        return weight.T
    return weight


def to_torch_layout(path: str, weight: np.ndarray) -> np.ndarray:
    """Inverse of :func:`to_gajax_layout` for one layer's weight."""
    if path in ("q_proj", "k_proj", "v_proj"):
        return weight.reshape(weight.shape[0], -1).T
    if path == "o_proj":
        return weight.reshape(-1, weight.shape[-1]).T
    if path in ("gate_proj", "up_proj", "down_proj"):
        return weight.T
    return weight


TensorGetter = Callable[[str], np.ndarray]


def _checked(get: TensorGetter, name: str, shape: tuple[int, ...], source: str) -> np.ndarray:
    array = get(name)
    if tuple(array.shape) != tuple(shape):
        raise CheckpointError(
            f"{source}: tensor {name!r} has shape {tuple(array.shape)}, "
            f"but the architecture needs {tuple(shape)}"
        )
    return array


def gajax_arrays(
    cfg: LlamaConfig, get: TensorGetter, names: Mapping[str, Any], source: str, dtype: Any
) -> Iterator[tuple[str, np.ndarray]]:
    """Yield ``(gajax path, host array in gajax layout)`` one parameter at a time.

    ``get(name)`` returns a tensor in HF torch layout; ``names`` maps ``embed``, ``final_norm``, ``lm_head``
    and a per-layer template ``layer(i, path)`` to the checkpoint's tensor names. Arrays are cast to ``dtype``
    on the host.
    """
    d, v = cfg.embed_dim, cfg.vocab_size
    yield "embed", _checked(get, names["embed"], (v, d), source).astype(dtype)
    shapes = torch_layout_shapes(cfg)
    for path in LAYER_PARAMS:
        stacked = np.empty((cfg.num_layers, *_gajax_shape(path, cfg)), dtype)
        for i in range(cfg.num_layers):
            weight = _checked(get, names["layer"](i, path), shapes[path], source)
            stacked[i] = to_gajax_layout(path, weight, cfg)
        yield f"layers/{path}", stacked
    yield "final_norm/scale", _checked(get, names["final_norm"], (d,), source).astype(dtype)
    if not cfg.tie_embeddings:
        yield "lm_head", _checked(get, names["lm_head"], (v, d), source).T.astype(dtype)


def _gajax_shape(path: str, cfg: LlamaConfig) -> tuple[int, ...]:
    d, h, kv, hd, m = cfg.embed_dim, cfg.num_heads, cfg.num_kv_heads, cfg.head_dim, cfg.mlp_dim
    return {
        "attn_norm/scale": (d,),
        "q_proj": (d, h, hd),
        "k_proj": (d, kv, hd),
        "v_proj": (d, kv, hd),
        "o_proj": (h, hd, d),
        "mlp_norm/scale": (d,),
        "gate_proj": (d, m),
        "up_proj": (d, m),
        "down_proj": (m, d),
    }[path]


def _param_path(path: tuple[Any, ...]) -> str:
    return "/".join(str(p) for p in path)


def build_llama(
    cfg: LlamaConfig,
    arrays: Iterator[tuple[str, np.ndarray]],
    *,
    param_dtype: Any = jnp.float32,
    mesh: Mesh | None = None,
    **options: Any,
) -> Llama:
    """A :class:`Llama` whose parameters are ``arrays`` (gajax paths), placed on ``mesh`` when given.

    The model is built abstractly (no random initialisation); each host array goes straight to its sharding.
    ``options`` are :class:`Llama`'s compute options (``dtype``, ``remat``, ``attention``, ``scan_unroll``).
    """
    model = nnx.eval_shape(lambda: Llama(cfg, param_dtype=param_dtype, **options, rngs=nnx.Rngs(0)))
    params = {
        _param_path(path): var
        for path, var in nnx.iter_graph(model)
        if isinstance(var, nnx.Variable) and path
    }
    filled: set[str] = set()
    for path, array in tqdm(arrays, total=len(params), desc="loading weights", unit="tensor", leave=False):
        var = params[path]
        if tuple(array.shape) != tuple(var.shape):
            raise CheckpointError(
                f"parameter {path}: got shape {tuple(array.shape)}, model needs {tuple(var.shape)}"
            )
        host = np.asarray(array, dtype=var.dtype)
        if mesh is not None:
            var.set_value(jax.device_put(host, NamedSharding(mesh, variable_spec(var, mesh=mesh))))
        else:
            var.set_value(jnp.asarray(host))
        filled.add(path)
    missing = sorted(set(params) - filled)
    if missing:
        raise CheckpointError(f"no weights were given for parameters {missing}")
    return model


# ----------------------------------------------------------------------------------------------------
# Reading an HF directory


def _hf_names() -> dict[str, Any]:
    return {
        "embed": "model.embed_tokens.weight",
        "final_norm": "model.norm.weight",
        "lm_head": "lm_head.weight",
        "layer": lambda i, path: f"model.layers.{i}.{_HF_LAYER_NAMES[path]}",
    }


class SafetensorsDir:
    """The tensors of a single-file or sharded safetensors checkpoint, read lazily by name."""

    def __init__(self, directory: Path):
        self.directory = directory
        index = directory / INDEX_FILE
        single = directory / SINGLE_FILE
        if index.exists():
            try:
                weight_map = json.loads(index.read_text())["weight_map"]
            except (json.JSONDecodeError, KeyError, TypeError) as err:
                raise CheckpointError(f"{index}: not a valid safetensors index ({err})") from None
            self.files = {name: directory / file for name, file in weight_map.items()}
        elif single.exists():
            self.files = dict.fromkeys(self._open(single).keys(), single)
        else:
            found = sorted(p.name for p in directory.glob("*.safetensors"))
            if len(found) != 1:
                raise CheckpointError(
                    f"{directory}: no {SINGLE_FILE} or {INDEX_FILE}"
                    + (f" (found {found})" if found else " and no *.safetensors file")
                )
            self.files = dict.fromkeys(self._open(directory / found[0]).keys(), directory / found[0])
        self._handles: dict[Path, Any] = {}

    @staticmethod
    def _open(path: Path) -> Any:
        if not path.exists():
            raise CheckpointError(f"safetensors file not found: {path}")
        try:
            return safe_open(str(path), framework="numpy")
        except (SafetensorError, OSError, ValueError) as err:
            raise CheckpointError(f"{path}: cannot read safetensors file ({err})") from None

    def __contains__(self, name: str) -> bool:
        return name in self.files

    def get(self, name: str) -> np.ndarray:
        """One tensor by its checkpoint name."""
        if name not in self.files:
            raise CheckpointError(f"{self.directory}: checkpoint has no tensor {name!r}")
        path = self.files[name]
        if path not in self._handles:
            self._handles[path] = self._open(path)
        try:
            return self._handles[path].get_tensor(name)
        except (SafetensorError, OSError, ValueError) as err:
            raise CheckpointError(f"{path}: cannot read tensor {name!r} ({err})") from None


def read_hf_config(directory: str | Path) -> tuple[LlamaConfig, dict[str, Any]]:
    """The gajax architecture of an HF directory and its raw ``config.json`` dict."""
    path = Path(directory) / CONFIG_FILE
    if not path.exists():
        raise CheckpointError(f"{Path(directory)}: no {CONFIG_FILE} (not an HF checkpoint directory)")
    try:
        raw = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise CheckpointError(f"{path}: not valid JSON ({err})") from None
    return config_from_hf(raw, str(path)), raw


def load_hf_llama(
    directory: str | Path,
    *,
    cfg: LlamaConfig | None = None,
    param_dtype: Any = jnp.float32,
    mesh: Mesh | None = None,
    **options: Any,
) -> tuple[Llama, dict[str, Any]]:
    """Import a local HF LLaMA directory; returns the model and the checkpoint's ``config.json`` dict.

    ``cfg`` (default: read from ``config.json``) must agree with the tensors' shapes.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise CheckpointError(f"checkpoint directory not found: {directory}")
    file_cfg, raw = read_hf_config(directory)
    cfg = cfg or file_cfg
    tensors = SafetensorsDir(directory)
    names = _hf_names()
    if not cfg.tie_embeddings and names["lm_head"] not in tensors:
        raise CheckpointError(
            f"{directory}: the architecture has an untied LM head but the checkpoint has no 'lm_head.weight'"
        )
    host_dtype = np.dtype(jnp.dtype(param_dtype))
    arrays = gajax_arrays(cfg, tensors.get, names, str(directory), host_dtype)
    model = build_llama(cfg, arrays, param_dtype=param_dtype, mesh=mesh, **options)
    return model, raw


def download_hf(repo_id: str, revision: str | None = None) -> Path:
    """Download (or reuse the cached copy of) an HF hub repository's config, tokenizer and safetensors."""
    from huggingface_hub import snapshot_download

    patterns = ["*.json", "*.safetensors", "tokenizer.model", "*.jinja"]
    return Path(snapshot_download(repo_id, revision=revision, allow_patterns=patterns))


# ----------------------------------------------------------------------------------------------------
# Writing an HF directory


def hf_state_dict(model: Llama, dtype: Any) -> dict[str, np.ndarray]:
    """The model's parameters as HF tensors (torch layout, ``dtype``), gathered to the host."""
    cfg = model.cfg
    state = {
        _param_path(path): var
        for path, var in nnx.iter_graph(model)
        if isinstance(var, nnx.Variable) and path
    }

    def host(path: str) -> np.ndarray:
        return np.asarray(jax.device_get(state[path][...])).astype(dtype)

    out = {"model.embed_tokens.weight": host("embed"), "model.norm.weight": host("final_norm/scale")}
    names = _hf_names()
    for path in LAYER_PARAMS:
        stacked = host(f"layers/{path}")
        for i in range(cfg.num_layers):
            out[names["layer"](i, path)] = np.ascontiguousarray(to_torch_layout(path, stacked[i]))
    if not cfg.tie_embeddings:
        out["lm_head.weight"] = np.ascontiguousarray(host("lm_head").T)
    return out


def export_hf_llama(
    model: Llama,
    directory: str | Path,
    *,
    dtype: str = "float32",
    special_ids: Mapping[str, int | None] | None = None,
) -> Path:
    """Write ``model`` as an HF LLaMA directory (``config.json`` + ``model.safetensors``) in ``dtype``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tensors = hf_state_dict(model, numpy_dtype(dtype))
    save_file(tensors, str(directory / SINGLE_FILE), metadata={"format": "pt"})
    config = config_to_hf(model.cfg, dtype, special_ids)
    (directory / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n")
    return directory
