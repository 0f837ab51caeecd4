"""HF LLaMA checkpoints (``config.json`` + safetensors) to and from :class:`~gajax.models.llama.Llama`.

HF LLaMA applies rotary embeddings in the rotate-half convention, as gajax does, so query and key weights
map over without any row permutation; only the layouts change (torch ``Linear`` ``(out, in)`` against gajax's
head-split, input-first layout), as the conversion table :mod:`gajax.convert.llama_table` records. Llama 3
RoPE scaling travels in ``config.json``'s ``rope_parameters`` (transformers 5) and ``rope_scaling``.
"""

from __future__ import annotations

import dataclasses
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

from gajax.convert.llama_table import LM_HEAD, from_stored, tensor_rows, to_stored
from gajax.models.llama import Llama, LlamaConfig, RopeScaling
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
    rope_key = "rope_parameters" if hf.get("rope_parameters") else "rope_scaling"
    rope = hf.get(rope_key) or {}
    theta = rope.get("rope_theta", hf.get("rope_theta", 10000.0))
    scaling = rope_scaling_from_hf(rope, f"{source}: {rope_key}")
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
            rope_scaling=scaling,
            norm_eps=float(hf.get("rms_norm_eps", 1e-6)),
            tie_embeddings=bool(hf.get("tie_word_embeddings", False)),
            max_seq_len=int(hf.get("max_position_embeddings", 4096)),
        )
    except ValueError as err:
        raise CheckpointError(f"{source}: {err}") from None


def rope_scaling_from_hf(rope: Mapping[str, Any], where: str) -> RopeScaling | None:
    """gajax's :class:`RopeScaling` from HF's ``rope_parameters``/``rope_scaling`` dict (None: plain RoPE);
    ``where`` names the dict in errors."""
    rope_type = rope.get("rope_type", rope.get("type", "default"))
    if rope_type == "default":
        return None
    if rope_type != "llama3":
        raise CheckpointError(f"{where}: rope_type {rope_type!r} is not supported (only 'default' and 'llama3')")
    fields = [f.name for f in dataclasses.fields(RopeScaling) if f.name != "rope_type"]
    missing = [name for name in fields if rope.get(name) is None]
    if missing:
        raise CheckpointError(f"{where}: rope_type 'llama3' needs {', '.join(missing)} (missing)")
    try:
        return RopeScaling(
            rope_type="llama3",
            factor=float(rope["factor"]),
            low_freq_factor=float(rope["low_freq_factor"]),
            high_freq_factor=float(rope["high_freq_factor"]),
            original_max_position_embeddings=int(rope["original_max_position_embeddings"]),
        )
    except (TypeError, ValueError) as err:
        raise CheckpointError(f"{where}: {err}") from None


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
    if cfg.rope_scaling is not None:
        scaling = dataclasses.asdict(cfg.rope_scaling)
        # transformers 5 reads rope_parameters; older readers (and llama.cpp's converter) read rope_scaling.
        hf["rope_scaling"] = scaling
        hf["rope_parameters"] = {**scaling, "rope_theta": cfg.rope_theta}
    for name in ("bos", "eos", "pad"):
        token_id = (special_ids or {}).get(name)
        if token_id is not None:
            hf[f"{name}_token_id"] = int(token_id)
    return hf


# ----------------------------------------------------------------------------------------------------
# Parameters in the stored formats (names and layouts from gajax.convert.llama_table)

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
    cfg: LlamaConfig, get: TensorGetter, fmt: str, source: str, dtype: Any
) -> Iterator[tuple[str, np.ndarray]]:
    """Yield ``(gajax path, host array in gajax layout)`` one parameter at a time.

    ``get(name)`` returns a tensor of a checkpoint in format ``fmt`` (``hf`` or ``gguf``: the names and stored
    layouts of :data:`~gajax.convert.llama_table.LLAMA_TENSORS`). Arrays are cast to ``dtype`` on the host.
    """
    for row in tensor_rows(cfg):
        stored_shape = row.stored_shape(cfg)
        if not row.per_layer:
            stored = _checked(get, row.name(fmt), stored_shape, source)
            yield row.path(), from_stored(row, stored, cfg, fmt).astype(dtype)
            continue
        stacked = np.empty((cfg.num_layers, *row.shape(cfg)), dtype)
        for i in range(cfg.num_layers):
            stacked[i] = from_stored(row, _checked(get, row.name(fmt, i), stored_shape, source), cfg, fmt)
        yield row.path(), stacked


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
    if not cfg.tie_embeddings and LM_HEAD.hf not in tensors:
        raise CheckpointError(
            f"{directory}: the architecture has an untied LM head but the checkpoint has no {LM_HEAD.hf!r}"
        )
    host_dtype = np.dtype(jnp.dtype(param_dtype))
    arrays = gajax_arrays(cfg, tensors.get, "hf", str(directory), host_dtype)
    model = build_llama(cfg, arrays, param_dtype=param_dtype, mesh=mesh, **options)
    return model, raw


def download_hf(repo_id: str, revision: str | None = None) -> Path:
    """Download (or reuse the cached copy of) an HF hub repository's config, tokenizer and safetensors."""
    from huggingface_hub import snapshot_download

    patterns = ["*.json", "*.safetensors", "tokenizer.model", "*.jinja"]
    return Path(snapshot_download(repo_id, revision=revision, allow_patterns=patterns))


# ----------------------------------------------------------------------------------------------------
# Writing an HF directory


def stored_tensors(model: Llama, fmt: str, dtype: Any) -> Iterator[tuple[str, np.ndarray]]:
    """The model's parameters as format ``fmt`` (``hf`` or ``gguf``) names and stores them, in ``dtype``,
    gathered to the host one stacked parameter at a time."""
    cfg = model.cfg
    state = {
        _param_path(path): var
        for path, var in nnx.iter_graph(model)
        if isinstance(var, nnx.Variable) and path
    }
    for row in tensor_rows(cfg):
        weight = np.asarray(jax.device_get(state[row.path()][...])).astype(dtype)
        if row.per_layer:
            for i in range(cfg.num_layers):
                yield row.name(fmt, i), to_stored(row, weight[i], cfg, fmt)
        else:
            yield row.name(fmt), to_stored(row, weight, cfg, fmt)


def hf_state_dict(model: Llama, dtype: Any) -> dict[str, np.ndarray]:
    """The model's parameters as HF tensors (torch layout, ``dtype``), gathered to the host."""
    return dict(stored_tensors(model, "hf", dtype))


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
