"""The LLaMA decoder's one conversion table: every tensor's gajax path, HF name, GGUF name and layout.

HF import and export and GGUF import and export all read :data:`LLAMA_TENSORS`, so a name or a layout is
written down once. HF and GGUF both store a matrix as a torch ``Linear`` does, ``(out, in)``; gajax keeps the
input axes first and splits heads off (``(embed, heads, head_dim)`` for q/k/v, ``(heads, head_dim, embed)``
for the output projection). llama.cpp additionally stores the query and key rows of each head in interleaved
pair order for its rotary embedding (``rotary`` rows), where HF and gajax use the rotate-half order.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from gajax.models.llama import LlamaConfig


@dataclasses.dataclass(frozen=True)
class TensorRow:
    """One decoder tensor. ``hf`` and ``gguf`` names hold ``{i}`` for the layer of a per-layer tensor (gajax
    stacks those on a leading ``layers`` axis). ``axes`` are gajax's axes (the logical axis names of
    :mod:`gajax.models.llama`), of which the first ``inputs`` are a matrix's input axes (0: stored as is)."""

    gajax: str
    hf: str
    gguf: str
    axes: tuple[str, ...]
    inputs: int = 0
    rotary: bool = False

    @property
    def per_layer(self) -> bool:
        return "{i}" in self.hf

    def path(self) -> str:
        """The parameter's path in :class:`~gajax.models.llama.Llama` (``layers/...`` for per-layer tensors)."""
        return f"layers/{self.gajax}" if self.per_layer else self.gajax

    def name(self, fmt: str, layer: int | None = None) -> str:
        """The tensor's name in ``fmt`` (``hf`` or ``gguf``) for ``layer``."""
        template = getattr(self, fmt)
        return template.format(i=layer) if self.per_layer else template

    def shape(self, cfg: LlamaConfig) -> tuple[int, ...]:
        """gajax's shape of one (per-layer) tensor."""
        sizes = {
            "vocab": cfg.vocab_size,
            "embed": cfg.embed_dim,
            "norm": cfg.embed_dim,
            "heads": cfg.num_heads,
            "kv_heads": cfg.num_kv_heads,
            "head_dim": cfg.head_dim,
            "mlp": cfg.mlp_dim,
        }
        return tuple(sizes[a] for a in self.axes)

    def stored_shape(self, cfg: LlamaConfig) -> tuple[int, ...]:
        """The shape HF and GGUF store (torch layout)."""
        shape = self.shape(cfg)
        if not self.inputs:
            return shape
        return math.prod(shape[self.inputs :]), math.prod(shape[: self.inputs])

    def to_gajax(self, stored: np.ndarray, cfg: LlamaConfig) -> np.ndarray:
        """A stored (torch-layout) tensor in gajax's layout."""
        return stored.T.reshape(self.shape(cfg)) if self.inputs else stored

    def to_stored(self, weight: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`to_gajax`."""
        if not self.inputs:
            return weight
        inputs = math.prod(weight.shape[: self.inputs])
        return np.ascontiguousarray(weight.reshape(inputs, -1).T)

    def rotary_heads(self, cfg: LlamaConfig) -> int:
        """The number of heads whose rows llama.cpp reorders (0 for other tensors)."""
        if not self.rotary:
            return 0
        return cfg.num_heads if "heads" in self.axes else cfg.num_kv_heads


LLAMA_TENSORS: tuple[TensorRow, ...] = (
    TensorRow("embed", "model.embed_tokens.weight", "token_embd.weight", ("vocab", "embed")),
    TensorRow("attn_norm/scale", "model.layers.{i}.input_layernorm.weight", "blk.{i}.attn_norm.weight", ("norm",)),
    TensorRow(
        "q_proj", "model.layers.{i}.self_attn.q_proj.weight", "blk.{i}.attn_q.weight",
        ("embed", "heads", "head_dim"), inputs=1, rotary=True,
    ),
    TensorRow(
        "k_proj", "model.layers.{i}.self_attn.k_proj.weight", "blk.{i}.attn_k.weight",
        ("embed", "kv_heads", "head_dim"), inputs=1, rotary=True,
    ),
    TensorRow(
        "v_proj", "model.layers.{i}.self_attn.v_proj.weight", "blk.{i}.attn_v.weight",
        ("embed", "kv_heads", "head_dim"), inputs=1,
    ),
    TensorRow(
        "o_proj", "model.layers.{i}.self_attn.o_proj.weight", "blk.{i}.attn_output.weight",
        ("heads", "head_dim", "embed"), inputs=2,
    ),
    TensorRow(
        "mlp_norm/scale", "model.layers.{i}.post_attention_layernorm.weight", "blk.{i}.ffn_norm.weight", ("norm",)
    ),
    TensorRow("gate_proj", "model.layers.{i}.mlp.gate_proj.weight", "blk.{i}.ffn_gate.weight", ("embed", "mlp"), 1),
    TensorRow("up_proj", "model.layers.{i}.mlp.up_proj.weight", "blk.{i}.ffn_up.weight", ("embed", "mlp"), 1),
    TensorRow("down_proj", "model.layers.{i}.mlp.down_proj.weight", "blk.{i}.ffn_down.weight", ("mlp", "embed"), 1),
    TensorRow("final_norm/scale", "model.norm.weight", "output_norm.weight", ("norm",)),
    TensorRow("lm_head", "lm_head.weight", "output.weight", ("embed", "vocab"), inputs=1),
)


EMBED, LM_HEAD = LLAMA_TENSORS[0], LLAMA_TENSORS[-1]


def tensor_rows(cfg: LlamaConfig) -> tuple[TensorRow, ...]:
    """The rows ``cfg``'s checkpoint has (no ``lm_head`` when the embeddings are tied)."""
    return tuple(r for r in LLAMA_TENSORS if not (r is LM_HEAD and cfg.tie_embeddings))


def from_stored(row: TensorRow, stored: np.ndarray, cfg: LlamaConfig, fmt: str) -> np.ndarray:
    """A tensor as ``fmt`` (``hf`` or ``gguf``) stores it, in gajax's layout."""
    heads = row.rotary_heads(cfg) if fmt == "gguf" else 0
    return row.to_gajax(unpermute_rotary_rows(stored, heads) if heads else stored, cfg)


def to_stored(row: TensorRow, weight: np.ndarray, cfg: LlamaConfig, fmt: str) -> np.ndarray:
    """Inverse of :func:`from_stored`: a gajax-layout tensor as ``fmt`` stores it."""
    stored = row.to_stored(weight)
    heads = row.rotary_heads(cfg) if fmt == "gguf" else 0
    return permute_rotary_rows(stored, heads) if heads else stored


def permute_rotary_rows(weight: np.ndarray, num_heads: int) -> np.ndarray:
    """llama.cpp's q/k row order (rotate-half -> interleaved pairs) of an ``(out, in)`` weight."""
    out, rest = weight.shape[0], weight.shape[1:]
    return weight.reshape(num_heads, 2, out // num_heads // 2, *rest).swapaxes(1, 2).reshape(weight.shape)


def unpermute_rotary_rows(weight: np.ndarray, num_heads: int) -> np.ndarray:
    """Inverse of :func:`permute_rotary_rows` (interleaved pairs -> rotate-half)."""
    out, rest = weight.shape[0], weight.shape[1:]
    return weight.reshape(num_heads, out // num_heads // 2, 2, *rest).swapaxes(1, 2).reshape(weight.shape)
