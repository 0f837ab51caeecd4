"""GGUF LLaMA checkpoints (llama.cpp's format) to and from gajax's :class:`~gajax.models.llama.Llama`.

Import dequantises tensors to float32 on the host (F32, F16, BF16, Q8_0, Q4_0, Q4_1, K-quants, ...); export
writes F32, F16 or BF16 matrices (norms stay F32, as llama.cpp keeps them) with the tokenizer and chat template.
llama.cpp stores the rows of the query and key projections in interleaved pair order for its rotary embedding;
the conversion table (:mod:`gajax.convert.llama_table`) undoes that on import and applies it on export.
Without an ``output.weight`` tensor the LM head is tied to the token embeddings. Llama 3 RoPE scaling travels
as llama.cpp reads it, the per-frequency divisors in ``rope_freqs.weight``, with its four parameters under
``gajax.rope_scaling.*`` so gajax reads the exact configuration back.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh

from gajax.convert.hf_llama import CheckpointError, build_llama, gajax_arrays, stored_tensors
from gajax.convert.llama_table import EMBED, LM_HEAD, tensor_rows
from gajax.models.llama import Llama, LlamaConfig, RopeScaling, rope_inv_freq

if TYPE_CHECKING:
    from gajax.tokenizer import Tokenizer

ROPE_FREQS = "rope_freqs.weight"
# Where a GGUF written by gajax keeps the Llama 3 RoPE scaling parameters (llama.cpp needs only rope_freqs).
_SCALING_KEY = "gajax.rope_scaling.{}"
_SCALING_FIELDS = ("factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings")


def rope_freq_divisors(cfg: LlamaConfig) -> np.ndarray:
    """llama.cpp's ``rope_freqs`` tensor: each rotary frequency's divisor under ``cfg``'s RoPE scaling."""
    plain = rope_inv_freq(cfg.head_dim, cfg.rope_theta)
    return np.asarray(plain / rope_inv_freq(cfg.head_dim, cfg.rope_theta, cfg.rope_scaling), np.float32)


class GGUFFile:
    """A GGUF file opened for reading: metadata by key and tensors by name, dequantised to float32."""

    def __init__(self, path: str | Path):
        import gguf

        self.path = Path(path)
        if not self.path.exists():
            raise CheckpointError(f"GGUF file not found: {self.path}")
        try:
            self.reader = gguf.GGUFReader(str(self.path))
        except Exception as err:  # the reader raises ValueError, struct and index errors on damaged files
            raise CheckpointError(
                f"{self.path}: not a readable GGUF file ({type(err).__name__}: {err})"
            ) from None
        self.tensors = {t.name: t for t in self.reader.tensors}

    def has(self, key: str) -> bool:
        """Whether the metadata holds ``key``."""
        return key in self.reader.fields

    def get(self, key: str, default: Any = KeyError) -> Any:
        """One metadata value (``str``, number, or list); a missing key without a default is an error."""
        field = self.reader.fields.get(key)
        if field is None:
            if default is KeyError:
                raise CheckpointError(f"{self.path}: GGUF metadata has no key {key!r}")
            return default
        value = field.contents()
        return value.tolist() if isinstance(value, np.ndarray) else value

    def tensor(self, name: str) -> np.ndarray:
        """A tensor in numpy (torch ``(out, in)``) order, dequantised to float32."""
        import gguf

        if name not in self.tensors:
            raise CheckpointError(f"{self.path}: GGUF file has no tensor {name!r}")
        t = self.tensors[name]
        try:
            if t.tensor_type in (gguf.GGMLQuantizationType.F32, gguf.GGMLQuantizationType.F16):
                data = np.asarray(t.data, np.float32)
            else:
                data = gguf.quants.dequantize(np.asarray(t.data), t.tensor_type).astype(np.float32)
        except (NotImplementedError, ValueError) as err:
            raise CheckpointError(
                f"{self.path}: cannot dequantise tensor {name!r} of type {t.tensor_type.name} ({err})"
            ) from None
        shape = tuple(int(n) for n in reversed(t.shape))
        if data.size != int(np.prod(shape)):
            raise CheckpointError(
                f"{self.path}: tensor {name!r} holds {data.size} values, shape says {shape}"
            )
        return data.reshape(shape)


def _shortest(value: float) -> float:
    """A float32 metadata value as the shortest decimal that rounds to it (``1e-05``, not ``9.99999974e-06``),
    i.e. the value the checkpoint's config was written with."""
    return float(str(np.float32(value)))


def config_from_gguf(f: GGUFFile) -> LlamaConfig:
    """gajax's architecture from a GGUF file's ``llama.*`` metadata."""
    arch = f.get("general.architecture")
    if arch != "llama":
        raise CheckpointError(
            f"{f.path}: general.architecture is {arch!r}; only 'llama' GGUF files are supported"
        )
    scaling = f.get("llama.rope.scaling.type", "none")
    if scaling not in ("none", ""):
        raise CheckpointError(
            f"{f.path}: llama.rope.scaling.type {scaling!r} is not supported (only plain RoPE)"
        )
    embed = int(f.get("llama.embedding_length"))
    heads = int(f.get("llama.attention.head_count"))
    vocab = f.get("llama.vocab_size", None)
    if vocab is None:
        vocab = len(f.get("tokenizer.ggml.tokens", None) or []) or f.tensors[EMBED.gguf].shape[-1]
    try:
        cfg = LlamaConfig(
            vocab_size=int(vocab),
            embed_dim=embed,
            num_layers=int(f.get("llama.block_count")),
            num_heads=heads,
            num_kv_heads=int(f.get("llama.attention.head_count_kv", heads)),
            head_dim=int(
                f.get("llama.attention.key_length", f.get("llama.rope.dimension_count", embed // heads))
            ),
            mlp_dim=int(f.get("llama.feed_forward_length")),
            rope_theta=_shortest(f.get("llama.rope.freq_base", 10000.0)),
            norm_eps=_shortest(f.get("llama.attention.layer_norm_rms_epsilon", 1e-5)),
            tie_embeddings=LM_HEAD.gguf not in f.tensors,
            max_seq_len=int(f.get("llama.context_length", 4096)),
        )
    except ValueError as err:
        raise CheckpointError(f"{f.path}: {err}") from None
    return _with_rope_scaling(f, cfg)


def _with_rope_scaling(f: GGUFFile, cfg: LlamaConfig) -> LlamaConfig:
    """``cfg`` with the Llama 3 RoPE scaling that the file's ``rope_freqs.weight`` applies (checked against it)."""
    if ROPE_FREQS not in f.tensors:
        return cfg
    keys = {name: _SCALING_KEY.format(name) for name in _SCALING_FIELDS}
    missing = [key for key in keys.values() if not f.has(key)]
    if missing:
        raise CheckpointError(
            f"{f.path}: tensor {ROPE_FREQS!r} (Llama 3 RoPE scaling) comes without its parameters "
            f"({', '.join(missing)}); import the model's HF checkpoint instead"
        )
    try:
        scaling = RopeScaling(
            rope_type="llama3",
            factor=_shortest(f.get(keys["factor"])),
            low_freq_factor=_shortest(f.get(keys["low_freq_factor"])),
            high_freq_factor=_shortest(f.get(keys["high_freq_factor"])),
            original_max_position_embeddings=int(f.get(keys["original_max_position_embeddings"])),
        )
    except ValueError as err:
        raise CheckpointError(f"{f.path}: {err}") from None
    cfg = dataclasses.replace(cfg, rope_scaling=scaling)
    stored = f.tensor(ROPE_FREQS)
    if stored.shape != (cfg.head_dim // 2,) or not np.allclose(stored, rope_freq_divisors(cfg), rtol=1e-5):
        raise CheckpointError(
            f"{f.path}: tensor {ROPE_FREQS!r} does not match the gajax.rope_scaling.* parameters {scaling}"
        )
    return cfg


def load_gguf_llama(
    path: str | Path | GGUFFile,
    *,
    cfg: LlamaConfig | None = None,
    param_dtype: Any = jnp.float32,
    mesh: Mesh | None = None,
    **options: Any,
) -> Llama:
    """Import a GGUF LLaMA file, a path or an open :class:`GGUFFile` (``cfg``: default the file's own).

    ``options`` are :class:`Llama`'s compute options (``dtype``, ``remat``, ``attention``, ``scan_unroll``)."""
    f = path if isinstance(path, GGUFFile) else GGUFFile(path)
    cfg = cfg or config_from_gguf(f)
    if not cfg.tie_embeddings and LM_HEAD.gguf not in f.tensors:
        raise CheckpointError(f"{f.path}: the architecture has an untied LM head but there is no {LM_HEAD.gguf!r}")

    host_dtype = np.dtype(jnp.dtype(param_dtype))
    arrays = gajax_arrays(cfg, f.tensor, "gguf", str(f.path), host_dtype)
    return build_llama(cfg, arrays, param_dtype=param_dtype, mesh=mesh, **options)


# ----------------------------------------------------------------------------------------------------
# Writing a GGUF file

_FILE_TYPES = {"float32": "ALL_F32", "float16": "MOSTLY_F16", "bfloat16": "MOSTLY_BF16"}
_TENSOR_TYPES = {"float32": "F32", "float16": "F16", "bfloat16": "BF16"}


def _architecture_metadata(writer: Any, cfg: LlamaConfig) -> None:
    writer.add_context_length(cfg.max_seq_len)
    writer.add_embedding_length(cfg.embed_dim)
    writer.add_block_count(cfg.num_layers)
    writer.add_feed_forward_length(cfg.mlp_dim)
    writer.add_head_count(cfg.num_heads)
    writer.add_head_count_kv(cfg.num_kv_heads)
    writer.add_key_length(cfg.head_dim)
    writer.add_value_length(cfg.head_dim)
    writer.add_rope_dimension_count(cfg.head_dim)
    writer.add_rope_freq_base(cfg.rope_theta)
    writer.add_layer_norm_rms_eps(cfg.norm_eps)
    writer.add_vocab_size(cfg.vocab_size)
    if cfg.rope_scaling is not None:
        writer.add_float32(_SCALING_KEY.format("factor"), cfg.rope_scaling.factor)
        writer.add_float32(_SCALING_KEY.format("low_freq_factor"), cfg.rope_scaling.low_freq_factor)
        writer.add_float32(_SCALING_KEY.format("high_freq_factor"), cfg.rope_scaling.high_freq_factor)
        writer.add_uint32(
            _SCALING_KEY.format("original_max_position_embeddings"),
            cfg.rope_scaling.original_max_position_embeddings,
        )


def export_gguf_llama(model: Llama, path: str | Path, tokenizer: Tokenizer, *, dtype: str = "float32") -> Path:
    """Write ``model`` and ``tokenizer`` as a llama.cpp GGUF file, matrices in ``dtype`` (float32, float16 or
    bfloat16). Tensors are written one at a time into ``<path>.partial``, renamed to ``path`` when complete."""
    import gguf
    from tqdm.auto import tqdm

    if dtype not in _TENSOR_TYPES:
        raise ValueError(f"GGUF export dtype {dtype!r} is not one of {sorted(_TENSOR_TYPES)}")
    cfg = model.cfg
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    matrix_type = gguf.GGMLQuantizationType[_TENSOR_TYPES[dtype]]
    f32 = gguf.GGMLQuantizationType.F32

    def tensor_type(shape: tuple[int, ...]) -> Any:
        return f32 if len(shape) == 1 else matrix_type

    writer = gguf.GGUFWriter(str(partial), "llama")
    try:
        writer.add_file_type(gguf.LlamaFileType[_FILE_TYPES[dtype]])
        _architecture_metadata(writer, cfg)
        tokenizer.write_gguf_metadata(writer, cfg.vocab_size)  # checked before any weight is gathered
        infos = []
        for row in tensor_rows(cfg):
            shape = row.stored_shape(cfg)
            kind = tensor_type(shape)
            for i in range(cfg.num_layers) if row.per_layer else (None,):
                infos.append((row.name("gguf", i), shape, kind))
        if cfg.rope_scaling is not None:
            infos.append((ROPE_FREQS, (cfg.head_dim // 2,), f32))
        kinds = {name: kind for name, _, kind in infos}
        for name, shape, kind in infos:
            nbytes = int(np.prod(shape)) * gguf.GGML_QUANT_SIZES[kind][1] // gguf.GGML_QUANT_SIZES[kind][0]
            writer.add_tensor_info(name, shape, np.dtype(np.float32), nbytes, raw_dtype=kind)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        tensors = stored_tensors(model, "gguf", np.float32)
        if cfg.rope_scaling is not None:
            tensors = itertools.chain(tensors, [(ROPE_FREQS, rope_freq_divisors(cfg))])
        for name, array in tqdm(tensors, total=len(infos), desc="writing GGUF", unit="tensor", leave=False):
            writer.write_tensor_data(gguf.quants.quantize(np.ascontiguousarray(array, np.float32), kinds[name]))
    except BaseException:
        writer.close()
        partial.unlink(missing_ok=True)
        raise
    writer.close()
    os.replace(partial, path)
    return path
