"""``gajax convert``: load decoder weights with gajax's importers and export them as an HF LLaMA directory."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from gajax.convert.hf_llama import export_hf_llama
from gajax.decoder import DecoderConfig, DTypeName, load_decoder


@dataclasses.dataclass(frozen=True)
class ConvertConfig:
    """What to convert and where.

    ``weights`` takes anything :class:`~gajax.decoder.DecoderConfig` does (``smollm2``, a ``.gguf`` file, an
    HF directory or hub id); ``arch`` optionally checks it. The output directory gets ``config.json``,
    ``model.safetensors`` in ``dtype`` and the tokenizer (``tokenizer.json`` + ``tokenizer_config.json``).
    """

    weights: str = "smollm2"
    output: str = ""
    dtype: DTypeName = "float32"
    arch: str = ""
    tokenizer: str = ""


def run_convert(cfg: ConvertConfig) -> int:
    """Convert ``cfg.weights`` to an HF LLaMA directory at ``cfg.output``."""
    if not cfg.output:
        raise ValueError("convert needs output=DIR (the HF directory to write)")
    if cfg.weights == "random":
        raise ValueError("convert needs real weights, not weights=random")
    decoder_cfg = DecoderConfig(
        weights=cfg.weights, arch=cfg.arch, tokenizer=cfg.tokenizer, dtype=cfg.dtype, param_dtype=cfg.dtype
    )
    model, tokenizer = load_decoder(decoder_cfg)
    special_ids = {"bos": tokenizer.bos_id, "eos": tokenizer.eos_id, "pad": tokenizer.pad_id}
    out = export_hf_llama(model, cfg.output, dtype=cfg.dtype, special_ids=special_ids)
    tokenizer.save(out)
    print(f"wrote {Path(out).resolve()} ({model.cfg.num_params / 1e6:.1f}M parameters, {cfg.dtype})")
    return 0
