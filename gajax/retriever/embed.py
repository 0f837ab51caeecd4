"""``gajax embed``: embed the texts of a JSONL file with the retriever (pretrained or a trained checkpoint)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Literal

import numpy as np

from gajax.records import RecordError, read_jsonl
from gajax.retriever.encoder import RetrieverModelConfig, TextEncoder, build_dual_encoder


@dataclasses.dataclass(frozen=True)
class EmbedConfig:
    """What to embed and where to write it.

    Reads ``input`` (JSONL), embeds field ``text_field`` of every record with the ``kind`` tower, and writes
    ``output`` (a ``.npy`` float32 matrix, one row per record in file order) plus ``<output>.ids.json`` (the
    ``id_field`` values). ``checkpoint`` is a ``gajax train-retriever`` output directory; empty: use ``model``.
    """

    input: str = "data/guidelines.jsonl"
    text_field: str = "text"
    id_field: str = "id"
    kind: Literal["query", "guideline"] = "guideline"
    output: str = "embeddings/guidelines.npy"
    checkpoint: str = ""
    batch_size: int = 64
    progress: bool = True
    model: RetrieverModelConfig = dataclasses.field(default_factory=RetrieverModelConfig)


def ids_path(output: str | Path) -> Path:
    """The ids file written beside an embeddings file."""
    output = Path(output)
    return output.with_name(output.stem + ".ids.json")


def run_embed(cfg: EmbedConfig) -> int:
    """Embed the input file; returns 0."""
    records = list(read_jsonl(cfg.input, {cfg.text_field: str, cfg.id_field: (str, int)}))
    if not records:
        raise RecordError(f"{cfg.input}: no records to embed")
    texts = [r[cfg.text_field] for r in records]
    for record in records:
        if not record[cfg.text_field].strip():
            raise RecordError(f"{cfg.input}: record {record[cfg.id_field]!r} has an empty {cfg.text_field!r}")
    if cfg.checkpoint:
        from gajax.retriever.train import load_trained

        _, encoder, _ = load_trained(cfg.checkpoint)
        encoder.batch_size = cfg.batch_size
    else:
        model, tokenizer = build_dual_encoder(cfg.model)
        encoder = TextEncoder(model, tokenizer, cfg.model.max_length, cfg.batch_size)
    embeddings = encoder.encode(texts, cfg.kind, progress=cfg.progress)
    output = Path(cfg.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    np.save(output, embeddings)
    ids_path(output).write_text(json.dumps([r[cfg.id_field] for r in records]) + "\n")
    print(f"wrote {embeddings.shape[0]} x {embeddings.shape[1]} embeddings to {output}")
    return 0
