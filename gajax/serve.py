"""``gajax serve-guidelines``: the guideline library over HTTP with a JSON API and request batching.

Endpoints:

- ``GET /health``: ``{"status": "ok", "guidelines": N, "library_hash": ..., "encoder": ...}``.
- ``POST /retrieve``: body ``{"queries": ["...", ...]}`` (or ``{"query": "..."}``), optional ``top_n``,
  ``keep``, ``dedup_threshold``. Answer: ``{"results": [{"query": q, "guidelines": [{"id", "text", "kind",
  "score", "rank"}, ...]}, ...]}``, one entry per query in request order.

Requests from concurrent clients are queued (at most ``max_queue``; more get 429 with ``Retry-After``); one
worker thread takes up to ``max_batch`` queries (waiting at most ``max_wait_ms`` for more) and answers them with
one embedding call and one batched index search. Bodies over ``max_request_bytes``, more than ``max_queries``
queries or a query over ``max_query_chars`` get 413; a missing ``Content-Length`` 411; malformed requests 400; each
error body is ``{"error": "..."}`` naming the limit or field. The HTTP layer is :mod:`gajax.httpd`, shared with
``serve-llm``.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
import time
from concurrent.futures import Future
from http import HTTPStatus
from typing import Any, ClassVar

from gajax.httpd import HTTPError, JSONHandler, Server, admit
from gajax.retrieval import MOVED_RETRIEVAL_KEYS, GuidelineRetriever, RetrievalConfig, open_retriever


@dataclasses.dataclass(frozen=True)
class ServeConfig:
    """The library to serve, the address, Stage-2 defaults (``retrieval``), batching and input limits."""

    MOVED_KEYS: ClassVar[dict[str, str]] = MOVED_RETRIEVAL_KEYS

    library: str = "library"
    encoder: str = ""
    host: str = "127.0.0.1"
    port: int = 8100
    retrieval: RetrievalConfig = dataclasses.field(default_factory=RetrievalConfig)
    max_batch: int = 64
    max_wait_ms: float = 5.0
    max_queue: int = 256
    max_request_bytes: int = 1 << 20
    max_queries: int = 64
    max_query_chars: int = 4000


class RequestError(HTTPError):
    """A request the server refuses, with its HTTP status."""


@dataclasses.dataclass
class _Job:
    queries: list[str]
    top_n: int
    keep: int
    threshold: float
    future: Future


class Batcher:
    """Collects queued jobs into batches and answers them on one worker thread."""

    def __init__(self, retriever: GuidelineRetriever, max_batch: int, max_wait_ms: float, max_queue: int = 256):
        self.retriever = retriever
        self.max_batch = max_batch
        self.max_wait = max_wait_ms / 1e3
        self.jobs: queue.Queue[_Job | None] = queue.Queue(maxsize=max_queue)
        self.batches = 0
        self.worker = threading.Thread(target=self._loop, name="guideline-batcher", daemon=True)
        self.worker.start()

    def submit(self, queries: list[str], top_n: int, keep: int, threshold: float) -> Future:
        """Queue a request; the future resolves to one result list per query (429 when the queue is full)."""
        job = _Job(queries, top_n, keep, threshold, Future())
        admit(self.jobs, job)
        return job.future

    def close(self) -> None:
        self.jobs.put(None)
        self.worker.join(timeout=10)

    def _loop(self) -> None:
        while True:
            first = self.jobs.get()
            if first is None:
                return
            batch, size = [first], len(first.queries)
            deadline = time.monotonic() + self.max_wait
            while size < self.max_batch:
                try:
                    job = self.jobs.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if job is None:
                    self.jobs.put(None)
                    break
                batch.append(job)
                size += len(job.queries)
            self._answer(batch)

    def _answer(self, batch: list[_Job]) -> None:
        groups: dict[tuple[int, int, float], list[_Job]] = {}
        for job in batch:
            groups.setdefault((job.top_n, job.keep, job.threshold), []).append(job)
        for (top_n, keep, threshold), jobs in groups.items():
            queries = [q for job in jobs for q in job.queries]
            try:
                results = self.retriever.retrieve(queries, RetrievalConfig(top_n, threshold, keep))
            except Exception as err:  # the error goes back to every waiting client
                for job in jobs:
                    job.future.set_exception(err)
                continue
            self.batches += 1
            start = 0
            for job in jobs:
                job.future.set_result(results[start : start + len(job.queries)])
                start += len(job.queries)


def parse_request(payload: Any, cfg: ServeConfig) -> tuple[list[str], int, int, float]:
    """Validate a parsed ``/retrieve`` body: ``(queries, top_n, keep, dedup_threshold)`` or :class:`RequestError`."""
    if not isinstance(payload, dict):
        raise RequestError(HTTPStatus.BAD_REQUEST, "body must be a JSON object with 'queries' or 'query'")
    if "query" in payload:
        queries = [payload["query"]]
    elif "queries" in payload:
        queries = payload["queries"]
    else:
        raise RequestError(
            HTTPStatus.BAD_REQUEST, "body needs 'queries' (a list of strings) or 'query' (a string)"
        )
    if not isinstance(queries, list) or not all(isinstance(q, str) for q in queries):
        raise RequestError(HTTPStatus.BAD_REQUEST, "'queries' must be a list of strings")
    if not queries:
        raise RequestError(HTTPStatus.BAD_REQUEST, "'queries' is empty")
    if len(queries) > cfg.max_queries:
        raise RequestError(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            f"{len(queries)} queries, the limit is max_queries={cfg.max_queries}",
        )
    for i, q in enumerate(queries):
        if not q.strip():
            raise RequestError(HTTPStatus.BAD_REQUEST, f"query {i} is empty")
        if len(q) > cfg.max_query_chars:
            raise RequestError(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"query {i} has {len(q)} characters, the limit is max_query_chars={cfg.max_query_chars}",
            )
    top_n = payload.get("top_n", cfg.retrieval.top_n)
    keep = payload.get("keep", cfg.retrieval.keep)
    threshold = payload.get("dedup_threshold", cfg.retrieval.dedup_threshold)
    if not isinstance(top_n, int) or not 1 <= top_n <= 1000:
        raise RequestError(HTTPStatus.BAD_REQUEST, "'top_n' must be an integer in [1, 1000]")
    if not isinstance(keep, int) or not 1 <= keep <= top_n:
        raise RequestError(HTTPStatus.BAD_REQUEST, "'keep' must be an integer in [1, top_n]")
    if not isinstance(threshold, int | float) or not 0 < threshold <= 1:
        raise RequestError(HTTPStatus.BAD_REQUEST, "'dedup_threshold' must be a number in (0, 1]")
    return queries, top_n, keep, float(threshold)


class GuidelineServer:
    """The HTTP server and its batcher; ``port=0`` binds a free port (see ``address``)."""

    def __init__(self, retriever: GuidelineRetriever, cfg: ServeConfig):
        self.cfg = cfg
        self.retriever = retriever
        self.batcher = Batcher(retriever, cfg.max_batch, cfg.max_wait_ms, cfg.max_queue)
        self.httpd = Server((cfg.host, cfg.port), self._handler_class())
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.httpd.server_address[:2]
        return str(host), int(port)

    def start(self) -> GuidelineServer:
        """Serve on a background thread."""
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="guideline-http", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.batcher.close()

    def health(self) -> dict[str, Any]:
        library = self.retriever.library
        return {
            "status": "ok",
            "guidelines": len(library),
            "library_hash": library.library_hash,
            "library_version": library.version,
            "encoder": library.encoder.name,
            "index": self.retriever.index.method,
        }

    def _handler_class(self) -> type[JSONHandler]:
        server = self

        class Handler(JSONHandler):
            max_body_bytes = server.cfg.max_request_bytes
            max_body_name = "max_request_bytes"

            def do_GET(self) -> None:
                if self.path == "/health":
                    self.send_json(HTTPStatus.OK, server.health())
                else:
                    self.send_json(HTTPStatus.NOT_FOUND, {"error": f"no endpoint GET {self.path}; try /health"})

            def do_POST(self) -> None:
                try:
                    if self.path != "/retrieve":
                        raise RequestError(HTTPStatus.NOT_FOUND, f"no endpoint POST {self.path}; try /retrieve")
                    queries, top_n, keep, threshold = parse_request(self.read_json(), server.cfg)
                    results = server.batcher.submit(queries, top_n, keep, threshold).result()
                except HTTPError as err:
                    self.send_error_json(err)
                    return
                except Exception as err:
                    self.send_json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"{type(err).__name__}: {err}"})
                    return
                answer = [
                    {"query": q, "guidelines": [r.to_record() for r in found]}
                    for q, found in zip(queries, results, strict=True)
                ]
                self.send_json(HTTPStatus.OK, {"results": answer})

        return Handler


def run_serve(cfg: ServeConfig) -> int:
    """Runner of ``gajax serve-guidelines``: load the library, its index and query encoder; serve forever."""
    retriever = open_retriever(cfg.library, cfg.encoder)
    server = GuidelineServer(retriever, cfg)
    host, port = server.address
    print(
        f"serving {len(retriever.library)} guidelines on http://{host}:{port} (POST /retrieve, GET /health)"
    )
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0
