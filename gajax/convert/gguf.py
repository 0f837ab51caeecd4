"""GGUF LLaMA checkpoints (llama.cpp's format) to gajax's :class:`~gajax.models.llama.Llama`.

Tensors are dequantised to float32 on the host (F32, F16, BF16, Q8_0, Q4_0, Q4_1, K-quants, ...).
llama.cpp's converter permutes the rows of the query and key projections for its interleaved rotary
embedding; the permutation is undone here so the weights match HF's (and gajax's) rotate-half convention.
Without an ``output.weight`` tensor the LM head is tied to the token embeddings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh

from gajax.convert.hf_llama import CheckpointError, build_llama, gajax_arrays
from gajax.models.llama import Llama, LlamaConfig

_GGUF_LAYER_NAMES = {
    "attn_norm/scale": "attn_norm.weight",
    "q_proj": "attn_q.weight",
    "k_proj": "attn_k.weight",
    "v_proj": "attn_v.weight",
    "o_proj": "attn_output.weight",
    "mlp_norm/scale": "ffn_norm.weight",
    "gate_proj": "ffn_gate.weight",
    "up_proj": "ffn_up.weight",
    "down_proj": "ffn_down.weight",
}


def unpermute_rotary_rows(weight: np.ndarray, num_heads: int) -> np.ndarray:
    """Undo llama.cpp's q/k row permutation (interleaved pairs -> rotate-half) of an ``(out, in)`` weight."""
    out, rest = weight.shape[0], weight.shape[1:]
    return weight.reshape(num_heads, out // num_heads // 2, 2, *rest).swapaxes(1, 2).reshape(weight.shape)


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
        vocab = len(f.get("tokenizer.ggml.tokens", None) or []) or f.tensors["token_embd.weight"].shape[-1]
    try:
        return LlamaConfig(
            vocab_size=int(vocab),
            embed_dim=embed,
            num_layers=int(f.get("llama.block_count")),
            num_heads=heads,
            num_kv_heads=int(f.get("llama.attention.head_count_kv", heads)),
            head_dim=int(
                f.get("llama.attention.key_length", f.get("llama.rope.dimension_count", embed // heads))
            ),
            mlp_dim=int(f.get("llama.feed_forward_length")),
            rope_theta=float(f.get("llama.rope.freq_base", 10000.0)),
            norm_eps=float(f.get("llama.attention.layer_norm_rms_epsilon", 1e-5)),
            tie_embeddings="output.weight" not in f.tensors,
            max_seq_len=int(f.get("llama.context_length", 4096)),
        )
    except ValueError as err:
        raise CheckpointError(f"{f.path}: {err}") from None


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
    if not cfg.tie_embeddings and "output.weight" not in f.tensors:
        raise CheckpointError(
            f"{f.path}: the architecture has an untied LM head but there is no 'output.weight'"
        )

    def get(name: str) -> np.ndarray:
        weight = f.tensor(name)
        heads = {".attn_q.weight": cfg.num_heads, ".attn_k.weight": cfg.num_kv_heads}.get(
            name[name.rfind(".attn_") :]
        )
        if heads is not None and weight.ndim == 2 and weight.shape[0] == heads * cfg.head_dim:
            return unpermute_rotary_rows(weight, heads)
        return weight  # a wrong shape is reported with the tensor's name by the shape check

    names = {
        "embed": "token_embd.weight",
        "final_norm": "output_norm.weight",
        "lm_head": "output.weight",
        "layer": lambda i, p: f"blk.{i}.{_GGUF_LAYER_NAMES[p]}",
    }
    host_dtype = np.dtype(jnp.dtype(param_dtype))
    arrays = gajax_arrays(cfg, get, names, str(f.path), host_dtype)
    return build_llama(cfg, arrays, param_dtype=param_dtype, mesh=mesh, **options)
