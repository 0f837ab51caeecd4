"""Continuous batching for ``serve-llm``: decode slots in one static KV cache that requests join between steps.

The cache holds ``slots`` rows of ``2 * context`` positions and one shared write index: every decode step writes each
slot's new token at ``index``. A joining prompt (all but its last token) is prefilled on its own, left-padded to a
length bucket (one compiled prefill per bucket), and its keys/values are copied into the slot's row just below
``index``; the row's mask then holds exactly those positions, and since the model takes each row's position from
its mask (rotary angles are baked into the cached keys), rows of different lengths decode side by side. The prompt's
last token is the slot's first decode input, so all sampling happens in one place, the decode step, with the same
sampling code as :mod:`gajax.generate` (per-row temperature, top-p and PRNG key; row ``i`` of a request samples
with the key that :class:`~gajax.generate.Generator` gives row id ``i``). When ``index`` reaches the end of the cache,
all rows shift left by the span no live row uses (one roll, at most once per ``context`` steps). No shape depends on the
requests, so joining never recompiles.

A slot is freed at a stop token, a stop string, the request's token limit, or when the request is cancelled (its
client disconnected). With ``join_running=False`` new requests wait until every slot is free (batch-at-arrival), the
baseline the serving benchmark compares against.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import queue
import threading
import time
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from gajax.buckets import round_to_bucket, round_up
from gajax.generate import Generator
from gajax.models.llama import KVCache
from gajax.sampling import SamplingMode, cut_at_stop, sample_tokens, stream_safe_length


@dataclasses.dataclass(frozen=True)
class Settings:
    """How one request samples: token limit, temperature (0: greedy), top-p, seed and stop strings."""

    max_tokens: int
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int = 0
    stop: tuple[str, ...] = ()


class Job:
    """One chat request: ``n`` choices of one prompt. The engine reports on :attr:`events`, in order per choice:
    ``("delta", index, text, [(token_text, logprob), ...])`` as text becomes final, then
    ``("done", index, finish_reason, completion_tokens)``; or one ``("error", exception)``."""

    def __init__(
        self,
        messages: list[dict[str, str]],
        settings: Settings,
        *,
        n: int = 1,
        logprobs: bool = False,
    ):
        self.messages = messages
        self.settings = settings
        self.n = n
        self.logprobs = logprobs
        self.prompt: list[int] = []  # token ids, set by the engine's owner before queueing
        self.prompt_tokens = 0
        self.events: queue.Queue[tuple] = queue.Queue()
        self.cancelled = threading.Event()

    def cancel(self) -> None:
        """Stop generating for this job (its slots are freed before the next decode step)."""
        self.cancelled.set()


@dataclasses.dataclass
class _Slot:
    job: Job
    index: int  # choice index within the job
    start: int  # first cache position of the row
    tokens: list[int] = dataclasses.field(default_factory=list)
    logprobs: list[float] = dataclasses.field(default_factory=list)
    sent_chars: int = 0
    sent_tokens: int = 0


@functools.partial(jax.jit, static_argnames=("graphdef",))
def _prefill(graphdef: nnx.GraphDef, params: nnx.State, prompt: jax.Array, segment_ids: jax.Array) -> KVCache:
    """The cache of one left-padded prompt ``(1, bucket)``."""
    model = nnx.merge(graphdef, params)
    cache = KVCache.init(model.cfg, 1, prompt.shape[1], model.dtype)
    return model(prompt, segment_ids=segment_ids, cache=cache, return_hidden=True)[1]


@functools.partial(jax.jit, donate_argnames=("cache",))
def _insert(cache: KVCache, prompt: KVCache, row: jax.Array) -> KVCache:
    """Copy a prefilled prompt into ``row`` just below the write index; the row's mask becomes the prompt's."""
    start = cache.index - prompt.length
    zero = jnp.zeros((), jnp.int32)
    at = (zero, row, start, zero, zero)
    keys = jax.lax.dynamic_update_slice(cache.keys, prompt.keys.astype(cache.keys.dtype), at)
    values = jax.lax.dynamic_update_slice(cache.values, prompt.values.astype(cache.values.dtype), at)
    row_mask = jax.lax.dynamic_update_slice(jnp.zeros((cache.length,), bool), prompt.mask[0], (start,))
    return KVCache(keys, values, cache.mask.at[row].set(row_mask), cache.index)


@functools.partial(jax.jit, donate_argnames=("cache",))
def _shift(cache: KVCache, by: jax.Array) -> KVCache:
    """Move every row ``by`` positions towards the start of the cache (the positions rolled off were unused)."""
    keep = jnp.arange(cache.length) < cache.length - by
    return KVCache(
        keys=jnp.roll(cache.keys, -by, axis=2),
        values=jnp.roll(cache.values, -by, axis=2),
        mask=jnp.roll(cache.mask, -by, axis=1) & keep[None],
        index=cache.index - by,
    )


@functools.partial(jax.jit, static_argnames=("graphdef", "mode"), donate_argnames=("cache",))
def _step(
    graphdef: nnx.GraphDef,
    params: nnx.State,
    cache: KVCache,
    last: jax.Array,
    row_keys: jax.Array,
    steps: jax.Array,
    temperature: jax.Array,
    top_p: jax.Array,
    *,
    mode: SamplingMode,
) -> tuple[KVCache, jax.Array, jax.Array]:
    """One decode step for every slot: feed ``last``, sample the next token; return it with its log-probability."""
    model = nnx.merge(graphdef, params)
    tokens = last[:, None]
    hidden, cache = model(tokens, segment_ids=jnp.ones_like(tokens), cache=cache, return_hidden=True)
    logits = model.logits(hidden[:, 0])
    keys = jax.vmap(jax.random.fold_in)(row_keys, steps)
    token = sample_tokens(logits, keys, temperature[:, None], top_p[:, None], mode)
    if not mode.greedy:  # greedy rows among sampled ones
        token = jnp.where(temperature <= 1e-6, jnp.argmax(logits, axis=-1).astype(jnp.int32), token)
    logprob = jnp.take_along_axis(jax.nn.log_softmax(logits, axis=-1), token[:, None], axis=-1)[:, 0]
    return cache, token, logprob


class SlotEngine:
    """Continuous batching over ``slots`` decode rows of ``generator``'s model (its pad, stop ids, detokenizer,
    mesh). ``context`` bounds prompt + new tokens per request (:meth:`check`); jobs whose ``prompt`` is set are put
    on :attr:`pending`, a queue of at most ``max_queue``. ``stats`` counts decode steps, requests that joined
    a running batch, cancelled requests, the most slots busy at once and cache shifts."""

    def __init__(
        self,
        generator: Generator,
        *,
        slots: int = 8,
        context: int = 1024,
        max_queue: int = 256,
        join_running: bool = True,
        batch_wait_ms: float = 10.0,
    ):
        if generator.detokenize is None:
            raise ValueError("the engine needs a generator with a detokenize function")
        self.gen = generator
        self.detokenize = generator.detokenize
        self.slots = round_up(slots, generator.batch_shards)
        self.context = min(context, generator.cfg.max_seq_len)
        self.join_running = join_running
        self.batch_wait_s = batch_wait_ms / 1000
        self.pending: queue.Queue[Job] = queue.Queue(maxsize=max_queue)
        self.stats = {"steps": 0, "joined_running": 0, "cancelled": 0, "max_busy": 0, "shifts": 0}
        self.rows: list[_Slot | None] = [None] * self.slots
        self._waiting: collections.deque[Job] = collections.deque()
        self._stop = threading.Event()
        b = self.slots
        self._last = np.full(b, generator.pad_id, np.int32)
        self._keys = np.zeros((b, 2), np.uint32)
        self._steps = np.zeros(b, np.int32)
        self._temperature = np.zeros(b, np.float32)
        self._top_p = np.ones(b, np.float32)
        dtype = nnx.merge(generator.graphdef, generator.params).dtype
        with generator._mesh_scope():
            cache = KVCache.init(generator.cfg, b, 2 * self.context, dtype)
            self.cache = dataclasses.replace(cache, index=jnp.asarray(self.context, jnp.int32))
        self._thread = threading.Thread(target=self._run, name="gajax-slot-engine", daemon=True)
        self._thread.start()

    @property
    def busy(self) -> int:
        """Slots generating now."""
        return sum(row is not None for row in self.rows)

    def check(self, prompt: Sequence[int], max_tokens: int, n: int) -> None:
        """Raise ValueError when a request cannot be served (too long for ``context``, more choices than slots)."""
        if n > self.slots:
            raise ValueError(f"n={n} is more than the server's {self.slots} decode slots")
        if len(prompt) + max_tokens > self.context:
            raise ValueError(
                f"the prompt has {len(prompt)} tokens; with max_tokens={max_tokens} it needs "
                f"{len(prompt) + max_tokens} positions, more than the server's context of {self.context}"
            )

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    # -- the worker thread --------------------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._admit()
                if self.busy:
                    self._decode()
            except Exception as err:  # fail every job in flight, keep serving
                for job in {id(r.job): r.job for r in self.rows if r is not None}.values():
                    job.events.put(("error", err))
                self.rows = [None] * self.slots

    def _next_job(self, timeout: float) -> Job | None:
        if self._waiting:
            return self._waiting.popleft()
        try:
            return self.pending.get(timeout=timeout) if timeout > 0 else self.pending.get_nowait()
        except queue.Empty:
            return None

    def _admit(self) -> None:
        """Move waiting jobs into free slots: every step when joining, else only once all slots are free."""
        idle = not self.busy
        if not (self.join_running or idle):
            return
        deadline = None
        while self.busy < self.slots:
            wait = (0.1 if idle else 0.0) if deadline is None else deadline - time.monotonic()
            job = self._next_job(wait)
            if job is None:
                return
            if deadline is None:  # batch-at-arrival gathers arrivals for batch_wait_ms after the first
                deadline = time.monotonic() + (0.0 if self.join_running else self.batch_wait_s)
            if job.cancelled.is_set():
                continue
            if job.n > self.slots - self.busy:
                self._waiting.appendleft(job)
                return
            if not idle:
                self.stats["joined_running"] += 1
            self._start(job)

    def _start(self, job: Job) -> None:
        gen, settings = self.gen, job.settings
        body = job.prompt[:-1]
        bucket = round_to_bucket(max(len(body), 1), self.context)
        tokens = np.full((1, bucket), gen.pad_id, np.int32)
        segments = np.zeros((1, bucket), np.int32)
        if body:
            tokens[0, -len(body) :] = body
            segments[0, -len(body) :] = 1
        with gen._mesh_scope():
            prompt_cache = _prefill(gen.graphdef, gen.params, jnp.asarray(tokens), jnp.asarray(segments))
            base = jax.random.PRNGKey(settings.seed)
            free = [r for r, row in enumerate(self.rows) if row is None][: job.n]
            for choice, r in enumerate(free):
                self.cache = _insert(self.cache, prompt_cache, jnp.asarray(r, jnp.int32))
                self.rows[r] = _Slot(job, choice, start=int(self.cache.index) - len(body))
                self._last[r] = job.prompt[-1]
                self._keys[r] = np.asarray(jax.random.fold_in(base, choice))
                self._steps[r] = 0
                self._temperature[r] = max(settings.temperature, 1e-6)
                self._top_p[r] = settings.top_p
        self.stats["max_busy"] = max(self.stats["max_busy"], self.busy)

    def _compact(self) -> None:
        """At the end of the cache, shift the rows left by the span no live row uses, keeping at least ``context``
        positions below the index for joining prompts. A live row spans at most ``context`` positions (prompt +
        max_tokens), so with a cache of ``2 * context`` the shift is always at least ``context``."""
        index = int(self.cache.index)
        by = min([row.start for row in self.rows if row is not None] + [index - self.context])
        self.cache = _shift(self.cache, jnp.asarray(by, jnp.int32))
        self.stats["shifts"] += 1
        for row in self.rows:
            if row is not None:
                row.start -= by

    def _decode(self) -> None:
        cancelled = {id(row.job) for row in self.rows if row is not None and row.job.cancelled.is_set()}
        self.stats["cancelled"] += len(cancelled)
        self.rows = [None if row is None or id(row.job) in cancelled else row for row in self.rows]
        if not self.busy:
            return
        if int(self.cache.index) >= self.cache.length:
            self._compact()
        live = [r for r, row in enumerate(self.rows) if row is not None]
        sampled = [r for r in live if self._temperature[r] > 1e-6]
        mode = SamplingMode(
            greedy=not sampled,
            top_k=0,
            use_top_p=any(self._top_p[r] < 1.0 for r in sampled),
            keep_logits=False,
        )
        gen = self.gen
        with gen._mesh_scope():
            self.cache, token, logprob = _step(
                gen.graphdef,
                gen.params,
                self.cache,
                jnp.asarray(self._last),
                jnp.asarray(self._keys),
                jnp.asarray(self._steps),
                jnp.asarray(self._temperature),
                jnp.asarray(self._top_p),
                mode=mode,
            )
        tokens, logprobs = np.asarray(token), np.asarray(logprob)
        self.stats["steps"] += 1
        for r in live:
            self._last[r] = tokens[r]
            self._steps[r] += 1
            self._advance(r, int(tokens[r]), float(logprobs[r]))

    def _advance(self, r: int, token: int, logprob: float) -> None:
        """Record slot ``r``'s new token; emit the text that became final; free the slot when the row ends."""
        row = self.rows[r]
        assert row is not None
        settings, job = row.job.settings, row.job
        reason = None
        if token in self.gen.stop_ids:
            reason = "stop"
        else:
            row.tokens.append(token)
            row.logprobs.append(logprob)
        text = self.detokenize(row.tokens)
        text, hit = cut_at_stop(text, settings.stop)
        if hit:
            reason = "stop"
        elif reason is None and len(row.tokens) >= settings.max_tokens:
            reason = "length"
        final = len(text) if reason else stream_safe_length(text, settings.stop)
        if final > row.sent_chars or (reason and row.sent_tokens < len(row.tokens)):
            new = row.tokens[row.sent_tokens :]
            entries = (
                [(self.detokenize([t]), lp) for t, lp in zip(new, row.logprobs[row.sent_tokens :], strict=True)]
                if job.logprobs
                else []
            )
            job.events.put(("delta", row.index, text[row.sent_chars : final], entries))
            row.sent_chars, row.sent_tokens = final, len(row.tokens)
        if reason:
            job.events.put(("done", row.index, reason, len(row.tokens)))
            self.rows[r] = None
