"""The HTTP layer both servers share (``serve-llm`` and ``serve-guidelines``): the standard library's threading
server with a deep listen backlog, strict request bodies, JSON answers, Server-Sent Events and bounded admission.

Why the standard library rather than FastAPI + uvicorn (+ an SSE helper): generation runs on one worker thread that
hands each request its tokens. With a thread per connection that hand-over is a plain :class:`queue.Queue`, an SSE
event is one ``wfile.write``, and a client that disconnects or stops reading shows up as an exception (or a write
timeout) right at that write, where the handler cancels the request and frees its decode slot. Under asyncio the
same hand-over needs ``loop.call_soon_threadsafe`` bridging and explicit disconnect polling, and the three extra
runtime packages would serve about 60 lines of code here.

Under load nothing is reset: the listen backlog is :data:`LISTEN_BACKLOG` (the socket server's default is 5), and
work beyond a server's bounded queue is refused at once with 429 and ``Retry-After`` (:func:`admit`).
"""

from __future__ import annotations

import json
import queue
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LISTEN_BACKLOG = 1024  # the kernel caps it at net.core.somaxconn


class HTTPError(Exception):
    """A request the server refuses: HTTP ``status``, a message, and optionally the field (``param``), a short
    ``code`` and a ``retry_after`` in seconds (sent as the ``Retry-After`` header)."""

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
        self.status = int(status)
        self.param = param
        self.code = code
        self.retry_after = retry_after


class Server(ThreadingHTTPServer):
    """A thread per connection, daemon threads, and a listen backlog of :data:`LISTEN_BACKLOG`."""

    request_queue_size = LISTEN_BACKLOG
    daemon_threads = True
    allow_reuse_address = True


def admit(jobs: queue.Queue, job: Any, retry_after: float = 1.0) -> None:
    """Put ``job`` on the bounded queue ``jobs`` or raise a 429 :class:`HTTPError` (queue full) with ``Retry-After``."""
    try:
        jobs.put_nowait(job)
    except queue.Full:
        raise HTTPError(
            429, "the server queue is full; retry later", code="queue_full", retry_after=retry_after
        ) from None


class JSONHandler(BaseHTTPRequestHandler):
    """Request-handler base: JSON bodies in and out, SSE out, and a socket timeout so a client that stops reading
    (or sending) cannot hold a thread forever. Subclasses set :attr:`max_body_bytes` and :meth:`error_body`."""

    protocol_version = "HTTP/1.1"
    timeout = 60.0  # seconds a single read or write on the connection may block
    max_body_bytes = 1 << 20
    max_body_name = "max_body_bytes"  # the setting named in the 413 message

    def log_message(self, format: str, *args: Any) -> None:  # quiet by default
        return None

    def error_body(self, err: HTTPError) -> dict[str, Any]:
        """The JSON body of an error answer."""
        return {"error": str(err)}

    def send_json(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def send_error_json(self, err: HTTPError) -> None:
        headers = {"Retry-After": f"{err.retry_after:g}"} if err.retry_after is not None else {}
        self.send_json(err.status, self.error_body(err), headers)

    def read_json(self) -> Any:
        """The request body parsed as JSON; a missing or invalid ``Content-Length``, an oversized body or bad JSON
        raise :class:`HTTPError` (and close the connection when the body was left unread)."""
        header = self.headers.get("Content-Length")
        if header is None:
            self.close_connection = True
            raise HTTPError(411, "a Content-Length header is required", param="Content-Length")
        if not header.strip().isdigit():
            self.close_connection = True
            raise HTTPError(
                400, f"Content-Length must be a non-negative integer, got {header!r}", param="Content-Length"
            )
        length = int(header)
        if length > self.max_body_bytes:
            self.close_connection = True  # the unread body must not be taken for the next request
            raise HTTPError(
                413,
                f"the body has {length} bytes; the limit is {self.max_body_name}={self.max_body_bytes}",
                param="Content-Length",
            )
        body = self.rfile.read(length)
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise HTTPError(400, f"the body is not valid JSON (UTF-8): {err}") from None

    def start_events(self) -> None:
        """Begin a Server-Sent Events answer (the connection closes when it ends)."""
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()

    def send_event(self, data: dict[str, Any] | str) -> None:
        """One SSE ``data:`` event; raises :data:`CLIENT_GONE` errors when the client left or stopped reading."""
        text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
        self.wfile.write(f"data: {text}\n\n".encode())
        self.wfile.flush()


# What a write raises when the client closed the connection or stopped reading past the socket timeout.
CLIENT_GONE = (BrokenPipeError, ConnectionResetError, socket.timeout)
