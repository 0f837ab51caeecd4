"""Token sampling and stop handling shared by the batch generator (:mod:`gajax.generate`) and the serving engine
(:mod:`gajax.llm.engine`): temperature, top-k and top-p inside jit; stop strings on the host."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import jax
import jax.numpy as jnp


@dataclasses.dataclass(frozen=True)
class SamplingMode:
    """The static part of sampling (changes the compiled graph)."""

    greedy: bool
    top_k: int
    use_top_p: bool
    keep_logits: bool


def top_p_filter(logits: jax.Array, top_p: jax.Array) -> jax.Array:
    """Keep the smallest set of most likely tokens whose probability reaches ``top_p``; others get -inf."""
    sorted_logits = jnp.sort(logits, axis=-1)[..., ::-1]
    probs = jax.nn.softmax(sorted_logits, axis=-1)
    before = jnp.cumsum(probs, axis=-1) - probs  # mass of strictly more likely tokens
    kept = jnp.where(before < top_p, sorted_logits, jnp.inf)
    threshold = jnp.min(kept, axis=-1, keepdims=True)
    return jnp.where(logits >= threshold, logits, -jnp.inf)


def top_k_filter(logits: jax.Array, top_k: int) -> jax.Array:
    """Keep the ``top_k`` largest logits per row; others get -inf."""
    kth = jax.lax.top_k(logits, top_k)[0][..., -1:]
    return jnp.where(logits >= kth, logits, -jnp.inf)


def sample_tokens(
    logits: jax.Array, keys: jax.Array, temperature: jax.Array, top_p: jax.Array, mode: SamplingMode
) -> jax.Array:
    """One token per row of ``logits`` ``(batch, vocab)``: the argmax when greedy, else a draw with row ``keys``
    after temperature, top-k and top-p."""
    if mode.greedy:
        return jnp.argmax(logits, axis=-1).astype(jnp.int32)
    logits = logits / temperature
    if mode.top_k:
        logits = top_k_filter(logits, mode.top_k)
    if mode.use_top_p:
        logits = top_p_filter(logits, top_p)
    return jax.vmap(jax.random.categorical)(keys, logits).astype(jnp.int32)


def cut_at_stop(text: str, stops: Sequence[str]) -> tuple[str, bool]:
    """``text`` up to the first of ``stops`` it contains, and whether one was found."""
    cut = min((i for i in (text.find(s) for s in stops) if i >= 0), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)


def stream_safe_length(text: str, stops: Sequence[str]) -> int:
    """How much of a partial ``text`` can be streamed: all but what could still become a stop string or an
    incomplete UTF-8 character (shown as U+FFFD while its bytes are still arriving)."""
    safe = len(text) - max((len(s) - 1 for s in stops), default=0)
    while safe > 0 and text[safe - 1] == "\ufffd":
        safe -= 1
    return max(safe, 0)
