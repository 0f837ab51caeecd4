"""Nearest-neighbour search over unit embeddings: ScaNN searchers and an exact search, shared by the library's
deduplication and the index of the Stage-2 lookup.

``build_searcher`` follows ScaNN's own rules unless told otherwise: brute force under 20k guidelines,
asymmetric hashing (AH) + exact reordering under 100k, a partitioning tree + AH + exact reordering above.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np

from gajax.integrity import LibraryError

EmbedFn = Callable[[Sequence[str]], np.ndarray]  # texts -> L2-normalised float32 rows
Method = Literal["auto", "brute_force", "ah", "tree_ah"]


@dataclasses.dataclass(frozen=True)
class IndexConfig:
    """How to build and search a ScaNN index (0 means "choose from the library size").

    ``num_leaves`` defaults to about sqrt(n); ``leaves_to_search_fraction`` of them are searched per query;
    ``reorder`` candidates are rescored exactly. ``search_batch`` queries go to each parallel batched search.
    """

    method: Method = "auto"
    num_leaves: int = 0
    leaves_to_search: int = 0
    leaves_to_search_fraction: float = 0.05
    training_sample_size: int = 0
    dims_per_block: int = 2
    anisotropic_quantization_threshold: float = 0.2
    reorder: int = 250
    search_batch: int = 256


def choose_method(n: int, method: Method = "auto") -> Method:
    """ScaNN's rule: brute force under 20k points, AH + reordering under 100k, tree + AH + reorder above."""
    if method != "auto":
        return method
    if n < 20_000:
        return "brute_force"
    return "ah" if n < 100_000 else "tree_ah"


def build_searcher(embeddings: np.ndarray, cfg: IndexConfig, k: int = 20) -> Any:
    """A ScaNN searcher over ``embeddings`` (dot product) that returns ``k`` neighbours by default."""
    import scann

    embeddings = np.ascontiguousarray(embeddings, dtype=np.float32)
    n = len(embeddings)
    if n == 0:
        raise LibraryError("cannot index an empty library")
    k = min(k, n)
    method = choose_method(n, cfg.method)
    builder = scann.scann_ops_pybind.builder(embeddings, k, "dot_product")
    if method == "brute_force":
        return builder.score_brute_force().build()
    if method == "tree_ah":
        leaves = cfg.num_leaves or max(2, round(math.sqrt(n)))
        leaves = min(leaves, n)
        search = cfg.leaves_to_search or max(1, math.ceil(leaves * cfg.leaves_to_search_fraction))
        sample = min(n, cfg.training_sample_size or max(100_000, 50 * leaves))
        builder = builder.tree(num_leaves=leaves, num_leaves_to_search=min(search, leaves), training_sample_size=sample)
    builder = builder.score_ah(
        cfg.dims_per_block, anisotropic_quantization_threshold=cfg.anisotropic_quantization_threshold
    )
    return builder.reorder(max(cfg.reorder, k)).build()


def exact_search(
    database: np.ndarray, queries: np.ndarray, k: int, *, chunk: int = 1024
) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-``k`` by inner product, best first: ``(indices int64 (q, k), scores float32 (q, k))``.

    Queries are scored ``chunk`` at a time so memory stays at ``chunk * len(database)`` scores.
    """
    database = np.asarray(database, dtype=np.float32)
    queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
    k = min(k, len(database))
    indices = np.empty((len(queries), k), np.int64)
    scores = np.empty((len(queries), k), np.float32)
    for start in range(0, len(queries), chunk):
        block = queries[start : start + chunk] @ database.T
        top = (
            np.argpartition(-block, k - 1, axis=1)[:, :k]
            if k < block.shape[1]
            else np.tile(np.arange(k), (len(block), 1))
        )
        top_scores = np.take_along_axis(block, top, axis=1)
        order = np.lexsort((top, -top_scores), axis=1)
        indices[start : start + len(block)] = np.take_along_axis(top, order, axis=1)
        scores[start : start + len(block)] = np.take_along_axis(top_scores, order, axis=1)
    return indices, scores
