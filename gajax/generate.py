"""Fast generation with a static KV cache: prefill and decode as separate jitted functions, prompt-length buckets.

Prompts are left-padded to a bucket from a small fixed set (32, 48, 64, 96, 128, ...), so a new prompt length
reuses a compiled prefill; the cache holds ``bucket + max_new_tokens`` slots, rounded up to a bucket. The whole decode
loop runs inside one jitted ``jax.lax.while_loop`` that exits early once every row has finished; stop strings are
checked on the host between chunks of steps. Finished rows emit the pad token. The buckets come from
:mod:`gajax.buckets`, token sampling and stop strings from :mod:`gajax.sampling`, and the logits of each step from
:meth:`gajax.models.llama.Llama.logits`, so generation never reads the model's weights itself.

Entry points: :func:`generate` (text), :func:`generate_tokens` (token ids), :class:`Generator` (reusable engine),
and the ``gajax generate`` / ``gajax chat`` runners :func:`run_generate` and :func:`run_chat`.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from gajax.buckets import round_to_bucket, round_up
from gajax.decoder import DecoderConfig
from gajax.models.llama import KVCache, Llama
from gajax.resume import ResumeMode
from gajax.sampling import SamplingMode, cut_at_stop, sample_tokens, stream_safe_length
from gajax.sharding import MeshConfig, logical_to_spec, make_mesh


@dataclasses.dataclass(frozen=True)
class Sampling:
    """How to sample: ``temperature`` 0 is greedy; ``top_k`` 0 and ``top_p`` 1 switch those filters off.

    ``stop`` strings end a row (the text is cut before them); ``batch_size`` is the number of prompts per batch.
    """

    max_new_tokens: int = 256
    temperature: float = 0.0
    top_k: int = 0
    top_p: float = 1.0
    seed: int = 0
    stop: tuple[str, ...] = ()
    batch_size: int = 8

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be at least 1, got {self.max_new_tokens}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if self.top_k < 0:
            raise ValueError(f"top_k must be >= 0, got {self.top_k}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")
        if any(not s for s in self.stop):
            raise ValueError("stop strings must not be empty")

    @property
    def greedy(self) -> bool:
        return self.temperature == 0.0


def sampling_of(cfg: Any) -> Sampling:
    """The :class:`Sampling` fields of a config that inherits them (GenerateConfig, ChatConfig)."""
    return Sampling(**{f.name: getattr(cfg, f.name) for f in dataclasses.fields(Sampling)})


@dataclasses.dataclass(frozen=True)
class GenerateConfig(Sampling):
    """``gajax generate``: one ``prompt``, or ``input`` JSONL records (``id``, ``prompt``) to ``output`` JSONL."""

    model: DecoderConfig = dataclasses.field(default_factory=DecoderConfig)
    mesh: MeshConfig = dataclasses.field(default_factory=MeshConfig)
    prompt: str = ""
    input: str = ""
    output: str = ""
    system: str = ""
    progress: bool = True
    resume: ResumeMode = "auto"  # force: continue an output made with other settings


@dataclasses.dataclass(frozen=True)
class ChatConfig(Sampling):
    """``gajax chat``: answer ``prompt`` once, or (empty prompt) hold a conversation over standard input."""

    model: DecoderConfig = dataclasses.field(default_factory=DecoderConfig)
    mesh: MeshConfig = dataclasses.field(default_factory=MeshConfig)
    prompt: str = ""
    system: str = ""


@dataclasses.dataclass
class Generation:
    """One row's result: generated ``tokens`` (a final stop token included), ``text`` when a detokenizer was given,
    ``finish_reason`` (``stop``: a stop token or string; ``length``: max_new_tokens), per-step float32 ``logits``
    when asked for, and ``logprobs``: each generated token's log-probability under the model (temperature 1, no
    top-k/top-p filter)."""

    tokens: list[int]
    finish_reason: str
    text: str | None = None
    logits: np.ndarray | None = None
    logprobs: list[float] = dataclasses.field(default_factory=list)


@jax.tree_util.register_dataclass
@dataclasses.dataclass
class DecodeState:
    """Everything the decode loop carries: the cache, generated tokens ``(batch, max_new)`` and their log-probs,
    optional logits, per-row finished flags and the number of tokens generated so far."""

    cache: KVCache
    tokens: jax.Array
    logprobs: jax.Array
    logits: jax.Array
    finished: jax.Array
    step: jax.Array


@dataclasses.dataclass(frozen=True)
class _Controls:
    """Per-call dynamic inputs of prefill and decode."""

    row_keys: jax.Array  # (batch, 2) uint32 PRNG keys, one per row
    stop_ids: jax.Array  # (n,) int32
    pad_id: jax.Array  # () int32
    temperature: jax.Array  # () float32
    top_p: jax.Array  # () float32


jax.tree_util.register_dataclass(
    _Controls, data_fields=["row_keys", "stop_ids", "pad_id", "temperature", "top_p"], meta_fields=[]
)


def _emit(state: DecodeState, logits: jax.Array, controls: _Controls, mode: SamplingMode) -> DecodeState:
    """Sample the next token from ``logits``, write it at ``state.step`` and update the finished flags."""
    keys = jax.vmap(jax.random.fold_in, in_axes=(0, None))(controls.row_keys, state.step)
    token = sample_tokens(logits, keys, controls.temperature, controls.top_p, mode)
    token = jnp.where(state.finished, controls.pad_id, token)
    finished = state.finished | jnp.isin(token, controls.stop_ids)
    tokens = jax.lax.dynamic_update_slice_in_dim(state.tokens, token[:, None], state.step, axis=1)
    logprob = jnp.take_along_axis(jax.nn.log_softmax(logits, axis=-1), token[:, None], axis=-1)
    logprobs = jax.lax.dynamic_update_slice_in_dim(state.logprobs, logprob, state.step, axis=1)
    kept = state.logits
    if mode.keep_logits:
        kept = jax.lax.dynamic_update_slice_in_dim(kept, logits[:, None, :], state.step, axis=1)
    return DecodeState(state.cache, tokens, logprobs, kept, finished, state.step + 1)


@functools.partial(jax.jit, static_argnames=("graphdef", "cache_len", "max_new", "mode"))
def _prefill(
    graphdef: nnx.GraphDef,
    params: nnx.State,
    prompt: jax.Array,
    segment_ids: jax.Array,
    finished: jax.Array,
    controls: _Controls,
    *,
    cache_len: int,
    max_new: int,
    mode: SamplingMode,
) -> DecodeState:
    """Run the left-padded prompts through the model, fill the cache and sample the first token."""
    model = nnx.merge(graphdef, params)
    batch = prompt.shape[0]
    cache = KVCache.init(model.cfg, batch, cache_len, model.dtype)
    hidden, cache = model(prompt, segment_ids=segment_ids, cache=cache, return_hidden=True)
    logits = model.logits(hidden[:, -1])
    vocab = logits.shape[-1] if mode.keep_logits else 0
    state = DecodeState(
        cache=cache,
        tokens=jnp.full((batch, max_new), controls.pad_id, jnp.int32),
        logprobs=jnp.zeros((batch, max_new), jnp.float32),
        logits=jnp.zeros((batch, max_new if mode.keep_logits else 0, vocab), jnp.float32),
        finished=finished,
        step=jnp.zeros((), jnp.int32),
    )
    return _emit(state, logits, controls, mode)


@functools.partial(jax.jit, static_argnames=("graphdef", "mode"), donate_argnames=("state",))
def _decode(
    graphdef: nnx.GraphDef,
    params: nnx.State,
    state: DecodeState,
    end_step: jax.Array,
    controls: _Controls,
    *,
    mode: SamplingMode,
) -> DecodeState:
    """Decode one token per step until ``end_step`` or until every row has finished (one ``while_loop``)."""
    model = nnx.merge(graphdef, params)
    end_step = jnp.minimum(end_step, state.tokens.shape[1])

    def cond(s: DecodeState) -> jax.Array:
        return (s.step < end_step) & ~jnp.all(s.finished)

    def body(s: DecodeState) -> DecodeState:
        last = jax.lax.dynamic_slice_in_dim(s.tokens, s.step - 1, 1, axis=1)
        hidden, cache = model(last, segment_ids=jnp.ones_like(last), cache=s.cache, return_hidden=True)
        s = dataclasses.replace(s, cache=cache)
        return _emit(s, model.logits(hidden[:, 0]), controls, mode)

    return jax.lax.while_loop(cond, body, state)


# ---------------------------------------------------------------------------------------------------------------
# The engine


class Generator:
    """A reusable generation engine for one model: buckets, compiled prefill/decode, host-side stop strings.

    ``mesh`` (optional) shards the batch over the mesh axes that the ``batch`` rule names; the model's parameters
    should already be sharded on it (e.g. built with :func:`gajax.sharding.create_sharded`).
    """

    def __init__(
        self,
        model: Llama,
        *,
        pad_id: int,
        stop_ids: Iterable[int] = (),
        mesh: Mesh | None = None,
        detokenize: Callable[[list[int]], str] | None = None,
    ):
        self.cfg = model.cfg
        self.graphdef, self.params = nnx.split(model)
        self.pad_id = int(pad_id)
        self.stop_ids = tuple(sorted({int(t) for t in stop_ids}))
        self.mesh = mesh
        self.detokenize = detokenize
        self.batch_spec = PartitionSpec()
        self.batch_shards = 1
        if mesh is not None:
            self.batch_spec = logical_to_spec(("batch",), mesh_axes=mesh.axis_names)
            entry = self.batch_spec[0]
            names = () if entry is None else (entry,) if isinstance(entry, str) else entry
            self.batch_shards = math.prod(mesh.shape[n] for n in names)

    def _put(self, array: np.ndarray, batched: bool) -> jax.Array:
        if self.mesh is None:
            return jnp.asarray(array)
        spec = PartitionSpec(self.batch_spec[0], *[None] * (array.ndim - 1)) if batched else PartitionSpec()
        return jax.device_put(array, NamedSharding(self.mesh, spec))

    def _mesh_scope(self) -> Any:
        return jax.set_mesh(self.mesh) if self.mesh is not None else _null_scope()

    def check_lengths(
        self, prompts: Sequence[Sequence[int]], max_new_tokens: int, names: Sequence[str] = ()
    ) -> None:
        """Raise a ValueError naming the sizes when a prompt (plus the new tokens) exceeds the model's context;
        ``names`` say which prompt (default ``prompt <position>``)."""
        context = self.cfg.max_seq_len
        for i, prompt in enumerate(prompts):
            name = names[i] if names else f"prompt {i}"
            if not prompt:
                raise ValueError(f"{name} is empty: it needs at least one token (e.g. BOS or a chat template)")
            if len(prompt) + max_new_tokens > context:
                raise ValueError(
                    f"{name} has {len(prompt)} tokens; with max_new_tokens={max_new_tokens} it needs "
                    f"{len(prompt) + max_new_tokens} positions, more than the model's context of {context}"
                )

    def generate(
        self,
        prompts: Sequence[Sequence[int]],
        sampling: Sampling,
        *,
        row_ids: Sequence[int] | None = None,
        chunk: int = 0,
        on_chunk: Callable[[list[list[int]]], None] | None = None,
        return_logits: bool = False,
    ) -> list[Generation]:
        """Generate for one batch of token-id prompts (any lengths).

        ``row_ids`` seed each row's random stream (default: the row's position), so a prompt samples the same
        tokens whatever batch it is in. The decode loop runs ``chunk`` steps per call (0: all at once unless stop
        strings need checking); ``on_chunk`` receives every row's tokens so far after each call (for streaming).
        """
        self.check_lengths(prompts, sampling.max_new_tokens)
        stops = sampling.stop
        if stops and self.detokenize is None:
            raise ValueError("stop strings need a detokenize function (pass detokenize= to Generator)")
        n = len(prompts)
        batch = round_up(1 << max(n - 1, 0).bit_length(), self.batch_shards)
        longest = max(len(p) for p in prompts)
        prompt_len = round_to_bucket(longest, self.cfg.max_seq_len)
        max_new = sampling.max_new_tokens
        cache_len = round_to_bucket(prompt_len + max_new, self.cfg.max_seq_len)

        tokens = np.full((batch, prompt_len), self.pad_id, np.int32)
        segments = np.zeros((batch, prompt_len), np.int32)
        for row in range(batch):
            prompt = prompts[row if row < n else 0]  # filler rows repeat row 0 and start finished
            tokens[row, prompt_len - len(prompt) :] = prompt
            segments[row, prompt_len - len(prompt) :] = 1
        finished = np.arange(batch) >= n
        ids = np.arange(batch) if row_ids is None else np.array([*row_ids, *range(n, batch)][:batch])
        base = jax.random.PRNGKey(sampling.seed)
        row_keys = jax.vmap(jax.random.fold_in, in_axes=(None, 0))(base, jnp.asarray(ids, jnp.uint32))
        mode = SamplingMode(
            greedy=sampling.greedy,
            top_k=min(sampling.top_k, self.cfg.vocab_size),
            use_top_p=sampling.top_p < 1.0,
            keep_logits=return_logits,
        )
        if chunk <= 0:
            chunk = 16 if stops else max_new

        with self._mesh_scope():
            controls = _Controls(
                row_keys=self._put(np.asarray(row_keys), batched=True),
                stop_ids=self._put(np.asarray(self.stop_ids or (-1,), np.int32), batched=False),
                pad_id=self._put(np.asarray(self.pad_id, np.int32), batched=False),
                temperature=self._put(np.asarray(max(sampling.temperature, 1e-6), np.float32), batched=False),
                top_p=self._put(np.asarray(sampling.top_p, np.float32), batched=False),
            )
            state = _prefill(
                self.graphdef,
                self.params,
                self._put(tokens, batched=True),
                self._put(segments, batched=True),
                self._put(finished, batched=True),
                controls,
                cache_len=cache_len,
                max_new=max_new,
                mode=mode,
            )
            stopped_by_string = np.zeros(batch, bool)
            lengths = np.full(batch, max_new)  # rows stopped by a string keep the tokens up to that chunk
            while True:
                step = int(state.step)
                done = np.array(state.finished)
                if stops or on_chunk is not None:
                    so_far = np.asarray(state.tokens[:, :step])
                    rows = [_row_tokens(so_far[r], self.stop_ids) for r in range(n)]
                    if on_chunk is not None:
                        on_chunk(rows)
                    if stops:
                        for r in range(n):
                            if not done[r] and cut_at_stop(self.detokenize(rows[r]), stops)[1]:  # type: ignore[misc]
                                stopped_by_string[r] = done[r] = True
                                lengths[r] = step
                        if stopped_by_string.any():
                            state = dataclasses.replace(
                                state, finished=jax.device_put(done, state.finished.sharding)
                            )
                if step >= max_new or done.all():
                    break
                end = self._put(np.asarray(step + chunk, np.int32), batched=False)
                state = _decode(self.graphdef, self.params, state, end, controls, mode=mode)

        all_tokens = np.asarray(state.tokens)
        all_logits = np.asarray(state.logits) if return_logits else None
        all_logprobs = np.asarray(state.logprobs)
        results = []
        for r in range(n):
            row = _row_tokens(all_tokens[r, : lengths[r]], self.stop_ids)
            hit_id = bool(row) and row[-1] in self.stop_ids
            reason = "stop" if hit_id or stopped_by_string[r] else "length"
            text = None
            if self.detokenize is not None:
                body = row[:-1] if hit_id else row
                text, _ = cut_at_stop(self.detokenize(body), stops)
            logits = all_logits[r, : len(row)] if all_logits is not None else None
            logprobs = all_logprobs[r, : len(row)].tolist()
            results.append(Generation(tokens=row, finish_reason=reason, text=text, logits=logits, logprobs=logprobs))
        return results


def _row_tokens(tokens: np.ndarray, stop_ids: Sequence[int]) -> list[int]:
    """A row's generated tokens up to and including the first stop token (the pad after it dropped)."""
    out = []
    for t in tokens.tolist():
        out.append(t)
        if t in stop_ids:
            break
    return out


class _null_scope:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


# ---------------------------------------------------------------------------------------------------------------
# Python API


def generate_tokens(
    model: Llama,
    prompts: Sequence[Sequence[int]],
    settings: Sampling,
    *,
    pad_id: int,
    stop_ids: Iterable[int] = (),
    detokenize: Callable[[list[int]], str] | None = None,
    mesh: Mesh | None = None,
    return_logits: bool = False,
) -> list[Generation]:
    """Generate from token-id prompts in batches of ``settings.batch_size``; one :class:`Generation` per prompt."""
    engine = Generator(model, pad_id=pad_id, stop_ids=stop_ids, mesh=mesh, detokenize=detokenize)
    results: list[Generation] = []
    for start in range(0, len(prompts), settings.batch_size):
        batch = prompts[start : start + settings.batch_size]
        ids = range(start, start + len(batch))
        results.extend(engine.generate(batch, settings, row_ids=ids, return_logits=return_logits))
    return results


Messages = list[dict[str, str]]


def render_prompt(tokenizer: Any, prompt: str | Messages, system: str = "", chat: bool = True) -> list[int]:
    """Token ids of one prompt: a string becomes a user turn (after an optional system turn) in the chat template;
    a message list is rendered as is; ``chat=False`` encodes a string as plain text."""
    if isinstance(prompt, str) and not chat:
        return tokenizer.encode(prompt, add_special_tokens=True)
    if isinstance(prompt, str):
        messages = [{"role": "system", "content": system}] if system else []
        prompt = [*messages, {"role": "user", "content": prompt}]
    text = tokenizer.apply_chat_template(prompt, add_generation_prompt=True)
    return tokenizer.encode(text, add_special_tokens=False)


def generator_for(model: Llama, tokenizer: Any, mesh: Mesh | None = None) -> Generator:
    """A :class:`Generator` wired to a tokenizer's pad, stop tokens and decoding."""
    return Generator(
        model,
        pad_id=tokenizer.pad_id,
        stop_ids=tokenizer.stop_ids,
        mesh=mesh,
        detokenize=lambda ids: tokenizer.decode(ids, skip_special_tokens=True),
    )


def generate(
    model: Llama,
    tokenizer: Any,
    prompts: Sequence[str] | Sequence[Messages],
    settings: Sampling,
    *,
    system: str = "",
    chat: bool = True,
    mesh: Mesh | None = None,
) -> list[str]:
    """Generate one response text per prompt (strings or chat message lists), in batches."""
    engine = generator_for(model, tokenizer, mesh)
    encoded = [render_prompt(tokenizer, p, system, chat) for p in prompts]
    texts: list[str] = []
    for start in range(0, len(encoded), settings.batch_size):
        batch = encoded[start : start + settings.batch_size]
        results = engine.generate(batch, settings, row_ids=range(start, start + len(batch)))
        texts.extend(r.text or "" for r in results)
    return texts


# ---------------------------------------------------------------------------------------------------------------
# Runners


def _load(model_cfg: DecoderConfig, mesh_cfg: MeshConfig) -> tuple[Llama, Any, Mesh]:
    from gajax.decoder import load_decoder

    mesh = make_mesh(mesh_cfg)
    model, tokenizer = load_decoder(model_cfg, mesh=mesh)
    return model, tokenizer, mesh


def run_generate(cfg: GenerateConfig) -> int:
    """``gajax generate``: answer ``prompt``, or stream ``input`` JSONL records to ``output`` (resumable).

    A prompt too long for the model's context is not generated: it is reported with its id and ``file:line``,
    logged to ``<output>.failures.jsonl`` like a failed Stage 1 input, and the run goes on (exit status 1).
    """
    from tqdm import tqdm

    from gajax.records import ResumableWriter, read_keyed
    from gajax.resume import check_resume
    from gajax.stage_io import failures_path

    if bool(cfg.prompt) == bool(cfg.input):
        raise ValueError("give exactly one of prompt=... or input=FILE.jsonl")
    if cfg.input and not cfg.output:
        raise ValueError("input= needs output=FILE.jsonl")
    records = read_keyed(cfg.input, {"prompt": str}) if cfg.input else []

    model, tokenizer, mesh = _load(cfg.model, cfg.mesh)
    sampling = sampling_of(cfg)
    engine = generator_for(model, tokenizer, mesh)
    if cfg.prompt:
        result = engine.generate([render_prompt(tokenizer, cfg.prompt, cfg.system)], sampling)[0]
        print(result.text)
        return 0

    settings = {k: v for k, v in dataclasses.asdict(sampling).items() if k != "batch_size"}
    settings["system"] = cfg.system
    failures = []
    with ResumableWriter(cfg.output, key="id") as writer:
        saved = writer.first and {"model": writer.first.get("model"), **(writer.first.get("settings") or {})}
        check_resume(saved, {"model": cfg.model.weights, **settings}, where=cfg.output, mode=cfg.resume)
        todo = []
        for index, (line, rec) in enumerate(records):
            if rec["id"] in writer:
                continue
            ids = render_prompt(tokenizer, rec["prompt"], cfg.system)
            try:
                engine.check_lengths([ids], sampling.max_new_tokens, [f"{cfg.input}:{line}: prompt id {rec['id']!r}"])
            except ValueError as err:
                failures.append({"input_id": str(rec["id"]), "line": line, "code": "context_length_exceeded",
                                 "error": str(err), "time": time.time()})
                continue
            todo.append((index, rec, ids))
        bar = tqdm(total=len(records), initial=len(records) - len(todo), unit="prompt", disable=not cfg.progress)
        with bar:
            for start in range(0, len(todo), cfg.batch_size):
                batch = todo[start : start + cfg.batch_size]
                results = engine.generate([ids for _, _, ids in batch], sampling, row_ids=[i for i, _, _ in batch])
                for (_, rec, _), res in zip(batch, results, strict=True):
                    writer.write(
                        {
                            "id": rec["id"],
                            "prompt": rec["prompt"],
                            "response": res.text,
                            "finish_reason": res.finish_reason,
                            "num_tokens": len(res.tokens),
                            "model": cfg.model.weights,
                            "settings": settings,
                        }
                    )
                bar.update(len(batch))
    if failures:
        with failures_path(writer.path).open("a", encoding="utf-8") as log:
            for failure in failures:
                log.write(json.dumps(failure, ensure_ascii=False) + "\n")
        print(
            f"gajax generate: {len(failures)} prompts not generated (logged in {failures_path(writer.path)}), e.g. "
            f"{failures[0]['error']}",
            file=sys.stderr,
        )
        return 1
    return 0


class _Streamer:
    """Prints the new text of one row as chunks arrive (holding back an incomplete UTF-8 character)."""

    def __init__(self, tokenizer: Any, stop_ids: Sequence[int], stops: Sequence[str]):
        self.tokenizer, self.stop_ids, self.stops, self.printed = tokenizer, set(stop_ids), stops, 0

    def __call__(self, rows: list[list[int]]) -> None:
        ids = [t for t in rows[0] if t not in self.stop_ids]
        text = self.tokenizer.decode(ids, skip_special_tokens=True)
        text, _ = cut_at_stop(text, self.stops)
        safe = stream_safe_length(text, self.stops)
        if safe > self.printed:
            sys.stdout.write(text[self.printed : safe])
            sys.stdout.flush()
            self.printed = safe

    def finish(self, text: str) -> None:
        sys.stdout.write(text[self.printed :] + "\n")
        sys.stdout.flush()


def run_chat(cfg: ChatConfig) -> int:
    """``gajax chat``: answer ``prompt`` once, or hold a conversation over standard input (empty line or EOF ends)."""
    model, tokenizer, mesh = _load(cfg.model, cfg.mesh)
    sampling = sampling_of(cfg)
    engine = generator_for(model, tokenizer, mesh)
    history: Messages = [{"role": "system", "content": cfg.system}] if cfg.system else []

    def answer(user: str) -> str:
        history.append({"role": "user", "content": user})
        streamer = _Streamer(tokenizer, engine.stop_ids, sampling.stop)
        ids = render_prompt(tokenizer, history)
        result = engine.generate([ids], sampling, chunk=8, on_chunk=streamer)[0]
        streamer.finish(result.text or "")
        history.append({"role": "assistant", "content": result.text or ""})
        return result.text or ""

    if cfg.prompt:
        answer(cfg.prompt)
        return 0
    interactive = sys.stdin.isatty()
    while True:
        if interactive:
            sys.stdout.write("> ")
            sys.stdout.flush()
        line = sys.stdin.readline()
        if not line or not line.strip():
            return 0
        answer(line.strip())

