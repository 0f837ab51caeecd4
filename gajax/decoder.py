"""Which decoder to load, and loading it: weights, architecture check, tokenizer, sharding."""

from __future__ import annotations

import dataclasses
from typing import Literal

DTypeName = Literal["float32", "bfloat16", "float16"]


@dataclasses.dataclass(frozen=True)
class DecoderConfig:
    """Where a decoder's weights come from and how it computes.

    ``weights`` is ``smollm2`` (the embedded SmolLM2-135M-Instruct GGUF), a ``.gguf`` file, a local HF LLaMA
    directory (``config.json`` + safetensors), an HF hub id (downloaded through ``huggingface_hub``), or ``random``
    (initialise ``arch`` randomly). ``arch`` names a file under ``configs/model`` or a YAML path; when the weights
    carry their own architecture it is checked against it (empty: take the weights' architecture).
    """

    weights: str = "smollm2"
    arch: str = ""
    tokenizer: str = ""
    dtype: DTypeName = "float32"
    param_dtype: DTypeName = "float32"
    remat: str = "none"
    seed: int = 0
