"""``gajax convert``: load decoder weights with gajax's importers and export them as an HF LLaMA directory or a
llama.cpp GGUF file."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Literal

from gajax.convert.gguf import export_gguf_llama
from gajax.convert.hf_llama import export_hf_llama
from gajax.decoder import DecoderConfig, DTypeName, load_decoder


@dataclasses.dataclass(frozen=True)
class ConvertConfig:
    """What to convert and where.

    ``weights`` takes anything :class:`~gajax.decoder.DecoderConfig` does (``smollm2``, a ``.gguf`` file, an
    HF directory or hub id, a training run); ``arch`` optionally checks it. ``format=hf``: the output directory
    gets ``config.json``, ``model.safetensors`` in ``dtype`` and the tokenizer (``tokenizer.json`` +
    ``tokenizer_config.json``). ``format=gguf``: the output is one ``.gguf`` file, matrices in ``dtype``, with the
    tokenizer and chat template, for llama.cpp and Ollama.
    """

    weights: str = "smollm2"
    output: str = ""
    format: Literal["hf", "gguf"] = "hf"
    dtype: DTypeName = "float32"
    arch: str = ""
    tokenizer: str = ""


def run_convert(cfg: ConvertConfig) -> int:
    """Convert ``cfg.weights`` to an HF LLaMA directory or a GGUF file at ``cfg.output``."""
    if not cfg.output:
        target = "the .gguf file" if cfg.format == "gguf" else "the HF directory"
        raise ValueError(f"convert needs output=PATH ({target} to write)")
    if cfg.format == "gguf" and not cfg.output.endswith(".gguf"):
        raise ValueError(f"format=gguf writes one file: output must end in .gguf, not {cfg.output!r}")
    if cfg.weights == "random":
        raise ValueError("convert needs real weights, not weights=random")
    decoder_cfg = DecoderConfig(
        weights=cfg.weights, arch=cfg.arch, tokenizer=cfg.tokenizer, dtype=cfg.dtype, param_dtype=cfg.dtype
    )
    model, tokenizer = load_decoder(decoder_cfg)
    if cfg.format == "gguf":
        out = export_gguf_llama(model, cfg.output, tokenizer, dtype=cfg.dtype)
        print(f"wrote {out.resolve()} ({model.cfg.num_params / 1e6:.1f}M parameters, {cfg.dtype})")
        return 0
    special_ids = {"bos": tokenizer.bos_id, "eos": tokenizer.eos_id, "pad": tokenizer.pad_id}
    out = export_hf_llama(model, cfg.output, dtype=cfg.dtype, special_ids=special_ids)
    tokenizer.save(out)
    print(f"wrote {Path(out).resolve()} ({model.cfg.num_params / 1e6:.1f}M parameters, {cfg.dtype})")
    return 0
