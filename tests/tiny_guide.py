"""A tiny Stage 2 guide for tests: four guidelines, a character n-gram retriever, a random tiny decoder and a
byte tokenizer (no chat template, so prompts use the Vicuna layout)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from flax import nnx

from gajax.guide import Guide, GuideConfig
from gajax.index import GuidelineIndex
from gajax.library import Guideline, Library, ngram_hash_embed
from gajax.models.llama import Llama, load_arch
from gajax.retrieval import GuidelineRetriever, RetrievalConfig


class ByteTokenizer:
    """One token per UTF-8 byte (ids 0-2: pad, eos, bos); no chat template, so prompts use the Vicuna layout."""

    pad_id, eos_id, bos_id = 0, 1, 2
    stop_ids = frozenset({1})

    def encode(self, text: str, add_special_tokens: bool = False) -> list[int]:
        return [self.bos_id] * add_special_tokens + list(text.encode("utf-8"))

    def decode(self, ids: list[int], skip_special_tokens: bool = True) -> str:
        return bytes(i for i in ids if i > 2 or not skip_special_tokens).decode("utf-8", errors="replace")


def make_tiny_guide(directory: Path, config: type[GuideConfig] = GuideConfig, **settings: object) -> Guide:
    """The tiny guide, its library saved in ``directory``; ``settings`` override its ``config`` (a
    :class:`GuideConfig` or a subclass)."""
    texts = [
        "Protect Privacy: Never reveal anyone's home address or phone number.",
        "Discourage Violence: Do not help anyone hurt people.",
        "Be Concise: Keep answers short.",
        "Show Steps: Explain maths step by step.",
    ]
    kinds = ["safety", "safety", "quality", "quality"]
    guidelines = [Guideline.create(t.split(":")[0], t, kind=k) for t, k in zip(texts, kinds, strict=True)]
    library = Library.build(guidelines, lambda batch: ngram_hash_embed(batch, 64), "hash-ngrams:64", "none")
    library.save(directory)
    index = GuidelineIndex.build(library)
    retriever = GuidelineRetriever(library, index, lambda batch: ngram_hash_embed(batch, 64))
    arch = dataclasses.replace(load_arch("tiny"), max_seq_len=1024)
    model = Llama(arch, rngs=nnx.Rngs(3))
    defaults = {"system": "S.", "retrieval": RetrievalConfig(keep=2), "unguided": True,
                "max_new_tokens": 6, "batch_size": 2, "progress": False}
    cfg = config(**{**defaults, **settings})
    return Guide(cfg, retriever, model, ByteTokenizer())
