"""``gajax serve-llm``: any chat backend (by default gajax's decoder) behind an OpenAI-compatible HTTP endpoint.

Routes: ``POST /v1/chat/completions``, ``GET /v1/models``, ``GET /health``. A completion takes ``messages``,
``max_tokens`` (or ``max_completion_tokens``), ``temperature``, ``top_p``, ``seed``, ``stop``, ``n``, ``logprobs``
(of the chosen tokens) and ``stream``; with ``stream=true`` the answer is Server-Sent Events in OpenAI's chunk format
(a role chunk per choice, content deltas, a final chunk per choice with ``finish_reason``, a ``usage`` chunk when
``stream_options.include_usage``, then ``[DONE]``).

gajax's decoder is served by continuous batching (:class:`~gajax.llm.engine.SlotEngine`): a request joins the
running batch at the next decode step and its slots are freed at a stop, at its token limit, or when its client
disconnects mid-stream. Any other backend (e.g. an upstream OpenAI endpoint) is served by a batching worker: it takes
the first queued request, waits up to ``batch_wait_ms`` for more (at most ``max_batch_size``) and answers each group
of equal settings with one ``backend.chat`` call. The HTTP layer (:mod:`gajax.httpd`, the standard library's server;
why is said there) is shared with ``serve-guidelines``.

Errors are OpenAI-style JSON ``{"error": {"message", "type", "param", "code"}}``: 400 for a bad request (naming the
field), 404 for an unknown model or route, 411/413 for a missing or oversized body, 429 with ``Retry-After`` when the
queue is full or the backend raises :class:`Overloaded`, 500 when generation fails.
"""

from __future__ import annotations

import dataclasses
import queue
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from typing import Any

from gajax.httpd import CLIENT_GONE, HTTPError, JSONHandler, Server, admit
from gajax.llm.backend import LLMConfig, LocalBackend
from gajax.llm.chat import ChatBackend, check_conversation
from gajax.llm.engine import Job, Settings, SlotEngine


class Overloaded(Exception):
    """Raised by a backend that cannot take work now; the server answers 429 with ``Retry-After``."""

    def __init__(self, message: str = "server overloaded", retry_after: float = 1.0):
        super().__init__(message)
        self.retry_after = retry_after


class RequestError(HTTPError):
    """A request the server refuses, with its HTTP status and OpenAI error code."""


def error_type(status: int) -> str:
    """OpenAI's error ``type`` for an HTTP status."""
    if status == 429:
        return "rate_limit_error"
    return "invalid_request_error" if status < 500 else "server_error"


@dataclasses.dataclass(frozen=True)
class ServeConfig:
    """``gajax serve-llm``: the backend (``llm``), where to listen, batching and request limits.

    ``max_batch_size`` is the number of decode slots (gajax's decoder) or the largest batch (other backends);
    ``join_running`` lets requests join a running batch (off: batch-at-arrival); ``context`` bounds prompt +
    ``max_tokens`` per request on gajax's decoder (the KV cache holds ``2 * context`` positions per slot);
    ``max_queue`` requests may wait for a slot, more get 429.
    """

    llm: LLMConfig = dataclasses.field(default_factory=LLMConfig)
    host: str = "127.0.0.1"
    port: int = 8000
    model_name: str = ""
    max_batch_size: int = 16
    batch_wait_ms: float = 10.0
    join_running: bool = True
    context: int = 1024
    max_queue: int = 256
    max_body_bytes: int = 1 << 20
    max_messages: int = 256
    max_tokens_limit: int = 2048
    default_max_tokens: int = 256

    def __post_init__(self) -> None:
        if not 0 <= self.port < 65536:
            raise ValueError(f"port must be in 0..65535, got {self.port}")
        for name in (
            "max_batch_size",
            "context",
            "max_queue",
            "max_body_bytes",
            "max_messages",
            "max_tokens_limit",
            "default_max_tokens",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")


class ChatServer:
    """An OpenAI-compatible HTTP server around ``backend``; ``port=0`` picks a free port.

    A :class:`~gajax.llm.backend.LocalBackend` is served by a :class:`~gajax.llm.engine.SlotEngine` (``engine``);
    other backends by the batching worker. ``stats`` counts HTTP requests, completed answers, backend calls and
    the largest backend batch seen.
    """

    def __init__(
        self,
        backend: ChatBackend,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        model_name: str = "",
        max_batch_size: int = 16,
        batch_wait_ms: float = 10.0,
        join_running: bool = True,
        context: int = 1024,
        max_queue: int = 256,
        max_body_bytes: int = 1 << 20,
        max_messages: int = 256,
        max_tokens_limit: int = 2048,
        default_max_tokens: int = 256,
    ):
        self.backend = backend
        self.model_name = model_name or backend.model_name
        self.max_batch_size = max_batch_size
        self.batch_wait_s = batch_wait_ms / 1000
        self.max_messages = max_messages
        self.max_tokens_limit = max_tokens_limit
        self.default_max_tokens = default_max_tokens
        self.stats = {"http_requests": 0, "completions": 0, "backend_calls": 0, "max_batch": 0}
        self._stats_lock = threading.Lock()
        self._stop = threading.Event()
        self.engine: SlotEngine | None = None
        self._queue: queue.Queue[Job] = queue.Queue(maxsize=max_queue)
        if isinstance(backend, LocalBackend):
            self.engine = SlotEngine(
                backend.engine,
                slots=max_batch_size,
                context=context,
                max_queue=max_queue,
                join_running=join_running,
                batch_wait_ms=batch_wait_ms,
            )
        self.httpd = Server((host, port), _handler_for(self, max_body_bytes))
        self._threads: list[threading.Thread] = []

    @classmethod
    def from_config(cls, cfg: ServeConfig, backend: ChatBackend) -> ChatServer:
        fields = {f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg) if f.name != "llm"}
        return cls(backend, **fields)

    @property
    def url(self) -> str:
        """The base URL clients use, e.g. ``http://127.0.0.1:8000/v1``."""
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def count(self, key: str, value: int = 1) -> None:
        with self._stats_lock:
            self.stats[key] = max(self.stats[key], value) if key == "max_batch" else self.stats[key] + value

    def _workers(self) -> list[Any]:
        return [] if self.engine is not None else [self._work]

    def start(self) -> ChatServer:
        """Serve in background threads (HTTP + batching worker)."""
        for target in (self.httpd.serve_forever, *self._workers()):
            thread = threading.Thread(target=target, daemon=True, name="gajax-serve")
            thread.start()
            self._threads.append(thread)
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted."""
        for target in self._workers():
            worker = threading.Thread(target=target, daemon=True, name="gajax-serve-worker")
            worker.start()
            self._threads.append(worker)
        try:
            self.httpd.serve_forever()
        finally:
            self.close()

    def close(self) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        if self.engine is not None:
            self.engine.close()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=5)

    def __enter__(self) -> ChatServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def submit(self, job: Job) -> None:
        """Queue one request (429 when the queue is full; 400 when it cannot fit the decoder's context)."""
        if self.engine is None:
            admit(self._queue, job)
            return
        backend: LocalBackend = self.backend  # type: ignore[assignment]
        job.prompt, failure = backend._encode(job.messages, job.settings.max_tokens)
        if failure is not None:
            raise RequestError(400, failure.error or "invalid request", param="messages", code=failure.error_code)
        try:
            self.engine.check(job.prompt, job.settings.max_tokens, job.n)
        except ValueError as err:
            raise RequestError(400, str(err), param="n" if "n=" in str(err) else "messages") from None
        job.prompt_tokens = len(job.prompt)
        admit(self.engine.pending, job)

    # -- batching worker for backends other than gajax's decoder --------------------------------------------------

    def _take_batch(self) -> list[Job]:
        try:
            first = self._queue.get(timeout=0.1)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.batch_wait_s
        while sum(job.n for job in batch) < self.max_batch_size:
            remaining = deadline - time.monotonic()
            try:
                batch.append(
                    self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait()
                )
            except queue.Empty:
                break
        return batch

    def _work(self) -> None:
        while not self._stop.is_set():
            groups: dict[Settings, list[Job]] = {}
            for job in self._take_batch():
                groups.setdefault(job.settings, []).append(job)
            for settings, jobs in groups.items():
                self._run_group(settings, jobs)

    def _run_group(self, settings: Settings, jobs: Sequence[Job]) -> None:
        conversations = [job.messages for job in jobs for _ in range(job.n)]
        self.count("backend_calls")
        self.count("max_batch", len(conversations))
        try:
            results = self.backend.chat(
                conversations,
                max_tokens=settings.max_tokens,
                temperature=settings.temperature,
                top_p=settings.top_p,
                seed=settings.seed,
                stop=settings.stop,
            )
            if len(results) != len(conversations):
                raise RuntimeError(
                    f"the backend returned {len(results)} answers for {len(conversations)} conversations"
                )
        except Overloaded as err:
            for job in jobs:
                job.events.put(("error", RequestError(429, str(err), code="overloaded", retry_after=err.retry_after)))
            return
        except Exception as err:
            for job in jobs:
                job.events.put(("error", RequestError(500, f"generation failed: {type(err).__name__}: {err}")))
            return
        answers = iter(results)
        for job in jobs:
            mine = [next(answers) for _ in range(job.n)]
            failed = next((r for r in mine if not r.ok), None)
            if failed is not None:
                status = 400 if failed.error_code in ("context_length_exceeded", "invalid_request") else 500
                job.events.put(
                    ("error", RequestError(status, failed.error or "generation failed", code=failed.error_code))
                )
                continue
            job.prompt_tokens = mine[0].prompt_tokens
            for i, result in enumerate(mine):
                job.events.put(("delta", i, result.text, []))
                job.events.put(("done", i, result.finish_reason, result.completion_tokens))

    # -- requests and answers ------------------------------------------------------------------------------------

    def parse_request(self, data: Any) -> tuple[Job, bool, bool]:
        """Validate a chat-completions body: ``(job, stream, include_usage)``, or :class:`RequestError` (400/404)
        naming the bad field."""
        if not isinstance(data, dict):
            raise RequestError(400, "the body must be a JSON object")
        model = data.get("model", "")
        if model and model != self.model_name:
            raise RequestError(
                404,
                f"model {model!r} is not served here; this server serves {self.model_name!r}",
                param="model",
                code="model_not_found",
            )
        stream = _flag(data, "stream")
        options = data.get("stream_options")
        include_usage = False
        if options is not None:
            if not stream:
                raise RequestError(400, "stream_options is only allowed with stream=true", param="stream_options")
            if not isinstance(options, dict):
                raise RequestError(400, "stream_options must be an object", param="stream_options")
            unknown = sorted(set(options) - {"include_usage"})
            if unknown:
                raise RequestError(
                    400,
                    f"unknown stream_options key(s) {', '.join(map(repr, unknown))}; supported: 'include_usage'",
                    param="stream_options",
                )
            include_usage = _flag(options, "include_usage", "stream_options.include_usage")
        n = data.get("n", 1)
        n = 1 if n is None else n
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= self.max_batch_size:
            raise RequestError(400, f"n must be an integer in 1..{self.max_batch_size}, got {n!r}", param="n")
        logprobs = _flag(data, "logprobs")
        if data.get("top_logprobs") not in (None, 0):
            raise RequestError(
                400, "top_logprobs is not supported; logprobs=true gives the chosen tokens'", param="top_logprobs"
            )
        messages = data.get("messages")
        if isinstance(messages, list) and len(messages) > self.max_messages:
            raise RequestError(
                400, f"{len(messages)} messages; at most {self.max_messages} allowed", param="messages"
            )
        try:
            messages = check_conversation(messages, "messages")
        except ValueError as err:
            raise RequestError(400, str(err), param="messages") from None
        max_tokens = data.get("max_completion_tokens", data.get("max_tokens"))
        max_tokens = self.default_max_tokens if max_tokens is None else max_tokens
        if (
            isinstance(max_tokens, bool)
            or not isinstance(max_tokens, int)
            or not 1 <= max_tokens <= self.max_tokens_limit
        ):
            raise RequestError(
                400,
                f"max_tokens must be an integer in 1..{self.max_tokens_limit}, got {max_tokens!r}",
                param="max_tokens",
            )
        temperature = _number(data, "temperature", 1.0, 0.0, 2.0)
        top_p = _number(data, "top_p", 1.0, 0.0, 1.0)
        if top_p == 0.0:
            raise RequestError(400, "top_p must be greater than 0", param="top_p")
        seed = data.get("seed", 0)
        if seed is None:
            seed = 0
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise RequestError(400, f"seed must be an integer, got {seed!r}", param="seed")
        stop = data.get("stop") or []
        stop = [stop] if isinstance(stop, str) else stop
        if not isinstance(stop, list) or len(stop) > 4 or not all(isinstance(s, str) and s for s in stop):
            raise RequestError(
                400, "stop must be a non-empty string or a list of up to 4 of them", param="stop"
            )
        settings = Settings(max_tokens, temperature, top_p, seed, tuple(stop))
        return Job(messages, settings, n=n, logprobs=logprobs), stream, include_usage

    def chunk(self, cid: str, created: int, choices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        """One ``chat.completion.chunk`` of a streamed answer."""
        body = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": self.model_name}
        return {**body, "choices": choices, **extra}


def usage_of(job: Job, completion_tokens: int) -> dict[str, int]:
    return {
        "prompt_tokens": job.prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": job.prompt_tokens + completion_tokens,
    }


def logprob_entries(entries: Sequence[tuple[str, float]]) -> list[dict[str, Any]]:
    """OpenAI's ``logprobs.content`` items for the chosen tokens."""
    return [
        {"token": token, "logprob": logprob, "bytes": list(token.encode("utf-8")), "top_logprobs": []}
        for token, logprob in entries
    ]


def _flag(data: dict[str, Any], key: str, name: str = "") -> bool:
    value = data.get(key, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise RequestError(400, f"{name or key} must be true or false, got {value!r}", param=name or key)
    return value


def _number(data: dict[str, Any], key: str, default: float, low: float, high: float) -> float:
    value = data.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise RequestError(400, f"{key} must be a number in [{low:g}, {high:g}], got {value!r}", param=key)
    return float(value)


def _next_event(job: Job) -> tuple:
    event = job.events.get()
    if event[0] == "error":
        err = event[1]
        raise err if isinstance(err, RequestError) else RequestError(500, f"generation failed: {err}")
    return event


def _handler_for(server: ChatServer, max_body_bytes: int) -> type[JSONHandler]:
    class Handler(JSONHandler):
        def error_body(self, err: HTTPError) -> dict[str, Any]:
            return {
                "error": {"message": str(err), "type": error_type(err.status), "param": err.param, "code": err.code}
            }

        def do_GET(self) -> None:
            server.count("http_requests")
            if self.path.rstrip("/") == "/v1/models":
                model = {"id": server.model_name, "object": "model", "created": 0, "owned_by": "gajax"}
                self.send_json(200, {"object": "list", "data": [model]})
            elif self.path.rstrip("/") == "/health":
                self.send_json(200, {"status": "ok"})
            else:
                self.send_error_json(RequestError(404, f"no route GET {self.path}"))

        def do_POST(self) -> None:
            server.count("http_requests")
            try:
                if self.path.rstrip("/") != "/v1/chat/completions":
                    raise RequestError(404, f"no route POST {self.path}")
                job, stream, include_usage = server.parse_request(self.read_json())
                server.submit(job)
                if stream:
                    self._stream(job, include_usage)
                else:
                    self._complete(job)
                server.count("completions")
            except HTTPError as err:
                self.send_error_json(err)
            except CLIENT_GONE:  # the client left before its answer was written
                self.close_connection = True

        def _complete(self, job: Job) -> None:
            texts, entries = [""] * job.n, [[] for _ in range(job.n)]
            reasons: dict[int, str] = {}
            completion_tokens = 0
            while len(reasons) < job.n:
                event = _next_event(job)
                if event[0] == "delta":
                    texts[event[1]] += event[2]
                    entries[event[1]].extend(event[3])
                else:
                    reasons[event[1]] = event[2]
                    completion_tokens += event[3]
            choices = [
                {
                    "index": i,
                    "message": {"role": "assistant", "content": texts[i]},
                    "logprobs": {"content": logprob_entries(entries[i])} if job.logprobs else None,
                    "finish_reason": reasons[i],
                }
                for i in range(job.n)
            ]
            body = {
                "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": server.model_name,
                "choices": choices,
                "usage": usage_of(job, completion_tokens),
            }
            self.send_json(200, body)

        def _stream(self, job: Job, include_usage: bool) -> None:
            event = _next_event(job)  # an error before the first token is still a plain JSON answer
            cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
            extra = {"usage": None} if include_usage else {}
            try:
                self.start_events()
                for i in range(job.n):
                    delta = {"role": "assistant", "content": ""}
                    choice = {"index": i, "delta": delta, "logprobs": None, "finish_reason": None}
                    self.send_event(server.chunk(cid, created, [choice], **extra))
                done, completion_tokens = 0, 0
                while True:
                    if event[0] == "delta":
                        logprobs = {"content": logprob_entries(event[3])} if job.logprobs else None
                        if event[2] or logprobs:
                            choice = {
                                "index": event[1],
                                "delta": {"content": event[2]},
                                "logprobs": logprobs,
                                "finish_reason": None,
                            }
                            self.send_event(server.chunk(cid, created, [choice], **extra))
                    else:
                        choice = {"index": event[1], "delta": {}, "logprobs": None, "finish_reason": event[2]}
                        self.send_event(server.chunk(cid, created, [choice], **extra))
                        done, completion_tokens = done + 1, completion_tokens + event[3]
                        if done == job.n:
                            break
                    try:
                        event = _next_event(job)
                    except RequestError as err:  # mid-stream: the error travels as an event
                        self.send_event(self.error_body(err))
                        return
                if include_usage:
                    self.send_event(server.chunk(cid, created, [], usage=usage_of(job, completion_tokens)))
                self.send_event("[DONE]")
            except CLIENT_GONE:
                job.cancel()  # the client left or stopped reading: free its slots

    Handler.max_body_bytes = max_body_bytes
    return Handler


def run_serve_llm(cfg: ServeConfig) -> int:
    """``gajax serve-llm``: load the backend and serve until interrupted."""
    from gajax.llm.backend import make_backend

    backend = make_backend(cfg.llm)
    server = ChatServer.from_config(cfg, backend)
    print(f"gajax serve-llm: serving {server.model_name!r} at {server.url} (Ctrl-C to stop)", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\ngajax serve-llm: stopped", file=sys.stderr)
    return 0
