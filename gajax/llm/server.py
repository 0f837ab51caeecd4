"""``gajax serve-llm``: any chat backend (by default gajax's decoder) behind an OpenAI-compatible HTTP endpoint.

Routes: ``POST /v1/chat/completions`` (non-streaming, ``n`` = 1), ``GET /v1/models``, ``GET /health``.
Requests that arrive together are batched: a worker thread takes the first queued request, waits up to
``batch_wait_ms`` for more (at most ``max_batch_size``), groups them by sampling settings and answers each group
with one ``backend.chat`` call. Errors are OpenAI-style JSON ``{"error": {"message", "type", "param", "code"}}``:
400 for a bad request, 404 for an unknown model or route, 413 for an oversized body, 429 with ``Retry-After``
when the queue is full or the backend raises :class:`Overloaded`, 500 when generation fails.
"""

from __future__ import annotations

import dataclasses
import json
import queue
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import Future
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from gajax.llm.backend import ChatBackend, ChatResult, LLMConfig, check_conversation


class Overloaded(Exception):
    """Raised by a backend that cannot take work now; the server answers 429 with ``Retry-After``."""

    def __init__(self, message: str = "server overloaded", retry_after: float = 1.0):
        super().__init__(message)
        self.retry_after = retry_after


class RequestError(Exception):
    """A request the server refuses, with its HTTP status and OpenAI error type/code."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.param = param
        self.code = code
        self.retry_after = retry_after

    @property
    def kind(self) -> str:
        return {
            400: "invalid_request_error",
            404: "invalid_request_error",
            413: "invalid_request_error",
            429: "rate_limit_error",
        }.get(self.status, "server_error")


@dataclasses.dataclass(frozen=True)
class ServeConfig:
    """``gajax serve-llm``: the backend (``llm``), where to listen, batching and request limits."""

    llm: LLMConfig = dataclasses.field(default_factory=LLMConfig)
    host: str = "127.0.0.1"
    port: int = 8000
    model_name: str = ""
    max_batch_size: int = 16
    batch_wait_ms: float = 10.0
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
            "max_queue",
            "max_body_bytes",
            "max_messages",
            "max_tokens_limit",
            "default_max_tokens",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")


@dataclasses.dataclass
class _Job:
    messages: list[dict[str, str]]
    settings: tuple[int, float, float, int, tuple[str, ...]]  # max_tokens, temperature, top_p, seed, stop
    future: Future = dataclasses.field(default_factory=Future)


class ChatServer:
    """An OpenAI-compatible HTTP server around ``backend`` with request batching; ``port=0`` picks a free port.

    ``stats`` counts HTTP requests, completed answers, backend calls and the largest batch seen.
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
        self.max_body_bytes = max_body_bytes
        self.max_messages = max_messages
        self.max_tokens_limit = max_tokens_limit
        self.default_max_tokens = default_max_tokens
        self.stats = {"http_requests": 0, "completions": 0, "backend_calls": 0, "max_batch": 0}
        self._stats_lock = threading.Lock()
        self._queue: queue.Queue[_Job] = queue.Queue(maxsize=max_queue)
        self._stop = threading.Event()
        self.httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self.httpd.daemon_threads = True
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

    def start(self) -> ChatServer:
        """Serve in background threads (HTTP + batching worker)."""
        for target in (self.httpd.serve_forever, self._work):
            thread = threading.Thread(target=target, daemon=True, name="gajax-serve")
            thread.start()
            self._threads.append(thread)
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted."""
        worker = threading.Thread(target=self._work, daemon=True, name="gajax-serve-worker")
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
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=5)

    def __enter__(self) -> ChatServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def submit(self, job: _Job) -> ChatResult:
        """Queue one request and wait for its answer (429 when the queue is full)."""
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            raise RequestError(
                429, "the server queue is full; retry later", code="queue_full", retry_after=1.0
            ) from None
        return job.future.result()

    def _take_batch(self) -> list[_Job]:
        try:
            first = self._queue.get(timeout=0.1)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.batch_wait_s
        while len(batch) < self.max_batch_size:
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
            batch = self._take_batch()
            groups: dict[tuple, list[_Job]] = {}
            for job in batch:
                groups.setdefault(job.settings, []).append(job)
            for settings, jobs in groups.items():
                self._run_group(settings, jobs)

    def _run_group(self, settings: tuple, jobs: Sequence[_Job]) -> None:
        max_tokens, temperature, top_p, seed, stop = settings
        self.count("backend_calls")
        self.count("max_batch", len(jobs))
        try:
            results = self.backend.chat(
                [job.messages for job in jobs],
                max_tokens=max_tokens,
                temperature=temperature,
                top_p=top_p,
                seed=seed,
                stop=stop,
            )
            if len(results) != len(jobs):
                raise RuntimeError(f"the backend returned {len(results)} answers for {len(jobs)} requests")
        except Overloaded as err:
            for job in jobs:
                job.future.set_exception(
                    RequestError(429, str(err), code="overloaded", retry_after=err.retry_after)
                )
            return
        except Exception as err:
            for job in jobs:
                job.future.set_exception(RequestError(500, f"generation failed: {type(err).__name__}: {err}"))
            return
        for job, result in zip(jobs, results, strict=True):
            job.future.set_result(result)

    def parse_request(self, body: bytes) -> _Job:
        """Validate a chat-completions body; raise :class:`RequestError` (400/404) naming the bad field."""
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise RequestError(400, f"the body is not valid UTF-8 JSON: {err}") from None
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
        if data.get("stream"):
            raise RequestError(400, "streaming is not supported; send stream=false", param="stream")
        if data.get("n", 1) != 1:
            raise RequestError(400, "only n=1 is supported", param="n")
        messages = data.get("messages")
        if isinstance(messages, list) and len(messages) > self.max_messages:
            raise RequestError(
                400, f"{len(messages)} messages; at most {self.max_messages} allowed", param="messages"
            )
        try:
            messages = check_conversation(messages, "messages")
        except ValueError as err:
            raise RequestError(400, str(err), param="messages") from None
        max_tokens = data.get("max_completion_tokens", data.get("max_tokens", self.default_max_tokens))
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
        return _Job(messages, (max_tokens, temperature, top_p, seed, tuple(stop)))

    def completion_body(self, result: ChatResult) -> dict[str, Any]:
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model_name,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": result.text},
                    "finish_reason": result.finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": result.prompt_tokens,
                "completion_tokens": result.completion_tokens,
                "total_tokens": result.prompt_tokens + result.completion_tokens,
            },
        }


def _number(data: dict[str, Any], key: str, default: float, low: float, high: float) -> float:
    value = data.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise RequestError(400, f"{key} must be a number in [{low:g}, {high:g}], got {value!r}", param=key)
    return float(value)


def _handler_for(server: ChatServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return None

        def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _send_error(self, err: RequestError) -> None:
            headers = {"Retry-After": f"{err.retry_after:g}"} if err.retry_after is not None else {}
            body = {"error": {"message": str(err), "type": err.kind, "param": err.param, "code": err.code}}
            self._send(err.status, body, headers)

        def do_GET(self) -> None:
            server.count("http_requests")
            if self.path.rstrip("/") == "/v1/models":
                model = {"id": server.model_name, "object": "model", "created": 0, "owned_by": "gajax"}
                self._send(200, {"object": "list", "data": [model]})
            elif self.path.rstrip("/") == "/health":
                self._send(200, {"status": "ok"})
            else:
                self._send_error(RequestError(404, f"no route GET {self.path}"))

        def do_POST(self) -> None:
            server.count("http_requests")
            try:
                if self.path.rstrip("/") != "/v1/chat/completions":
                    raise RequestError(404, f"no route POST {self.path}")
                length = int(self.headers.get("Content-Length") or 0)
                if length > server.max_body_bytes:
                    self.close_connection = True
                    raise RequestError(
                        413, f"the body has {length} bytes; the limit is {server.max_body_bytes}"
                    )
                job = server.parse_request(self.rfile.read(length))
                result = server.submit(job)
                if not result.ok:
                    status = (
                        400 if result.error_code in ("context_length_exceeded", "invalid_request") else 500
                    )
                    raise RequestError(status, result.error or "generation failed", code=result.error_code)
                server.count("completions")
                self._send(200, server.completion_body(result))
            except RequestError as err:
                self._send_error(err)
            except ValueError as err:
                self._send_error(RequestError(400, f"bad request: {err}"))

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
