"""The guideline HTTP service on loopback: concurrent load, answers matched to queries, limits, health."""

from __future__ import annotations

import dataclasses
import http.client
import json
import random
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from gajax.index import GuidelineIndex
from gajax.library import Guideline, Library, load_encoder
from gajax.retrieval import open_retriever
from gajax.serve import GuidelineServer, ServeConfig

TOPICS = [
    "privacy",
    "weapons",
    "medical advice",
    "insults",
    "elections",
    "fraud",
    "grief",
    "hacking",
    "children",
    "stereotypes",
    "drugs",
    "gambling",
]
ACTIONS = [
    "avoid sharing",
    "explain the risks of",
    "decline help with",
    "stay neutral on",
    "give accurate facts on",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    directory: Path = tmp_path_factory.mktemp("library")
    texts = [
        f"Rule {i} on {t}: the assistant should {a} {t}."
        for i, (t, a) in enumerate((t, a) for t in TOPICS for a in ACTIONS)
    ]
    embed_fn, info = load_encoder("hash-ngrams:64")
    library = Library.build(
        [Guideline.create(t.split(":")[0], t) for t in texts], embed_fn, info.name, info.weights_hash
    )
    library.save(directory)
    GuidelineIndex.build(library).save(directory)
    retriever = open_retriever(directory)
    cfg = ServeConfig(
        library=str(directory),
        port=0,
        max_batch=16,
        max_wait_ms=20,
        max_request_bytes=4096,
        max_queries=8,
        max_query_chars=300,
    )
    srv = GuidelineServer(retriever, cfg).start()
    yield srv
    srv.close()


def _request(srv: GuidelineServer, method: str, path: str, body: bytes | None = None) -> tuple[int, dict]:
    host, port = srv.address
    conn = http.client.HTTPConnection(host, port, timeout=60)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else {})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def test_health(server):
    status, payload = _request(server, "GET", "/health")
    assert status == 200
    assert payload["status"] == "ok" and payload["guidelines"] == len(server.retriever.library)
    assert payload["library_hash"] == server.retriever.library.library_hash


def test_concurrent_load_answers_match_their_queries(server):
    rng = random.Random(0)
    requests = [
        [f"how do I {rng.choice(ACTIONS)} {rng.choice(TOPICS)} #{i}-{j}" for j in range(rng.randint(1, 3))]
        for i in range(120)
    ]
    expected = {
        q: [r.guideline.id for r in found]
        for batch in requests
        for q, found in zip(batch, server.retriever.retrieve(batch), strict=True)
    }
    batches_before = server.batcher.batches

    def send(queries: list[str]) -> tuple[list[str], int, dict]:
        status, payload = _request(server, "POST", "/retrieve", json.dumps({"queries": queries}).encode())
        return queries, status, payload

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(send, requests))
    assert len(answers) == len(requests)
    for queries, status, payload in answers:
        assert status == 200, payload
        assert [r["query"] for r in payload["results"]] == queries
        for result in payload["results"]:
            assert [g["id"] for g in result["guidelines"]] == expected[result["query"]]
            assert 0 < len(expected[result["query"]]) <= 6  # a non-empty answer, at most keep=6
    assert server.batcher.batches - batches_before < len(requests)  # requests were batched together


def test_single_query_form(server):
    status, payload = _request(
        server,
        "POST",
        "/retrieve",
        json.dumps({"query": "avoid hacking", "keep": 2, "dedup_threshold": 0.99}).encode(),
    )
    assert status == 200 and len(payload["results"]) == 1 and len(payload["results"][0]["guidelines"]) == 2


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (json.dumps({"queries": ["x" * 5000]}).encode(), 413, "max_request_bytes=4096"),
        (json.dumps({"queries": ["q"] * 9}).encode(), 413, "max_queries=8"),
        (json.dumps({"queries": ["y" * 301]}).encode(), 413, "max_query_chars=300"),
        (b"{not json", 400, "not valid JSON"),
        (json.dumps({"queries": "one string"}).encode(), 400, "list of strings"),
        (json.dumps({"queries": []}).encode(), 400, "empty"),
        (json.dumps({"prompt": "x"}).encode(), 400, "needs 'queries'"),
        (json.dumps({"queries": ["ok"], "keep": 30}).encode(), 400, "'keep'"),
    ],
)
def test_bad_requests_get_clear_errors(server, body, status, message):
    got, payload = _request(server, "POST", "/retrieve", body)
    assert got == status
    assert message in payload["error"]
    ok, _ = _request(server, "GET", "/health")  # the server still answers
    assert ok == 200


def test_unknown_path(server):
    status, payload = _request(server, "GET", "/nope")
    assert status == 404 and "/health" in payload["error"]


def test_200_requests_from_32_threads_no_resets_each_answer_its_own(server):
    """Under load the deep listen backlog means no connection is reset; every answer matches its own query."""
    queries = [f"how do I {ACTIONS[i % 5]} {TOPICS[i % 12]} request {i}" for i in range(200)]
    found_lists = server.retriever.retrieve(queries)
    expected = {q: [r.guideline.id for r in found] for q, found in zip(queries, found_lists, strict=True)}

    def send(query: str) -> tuple[str, int, dict]:
        status, payload = _request(server, "POST", "/retrieve", json.dumps({"query": query}).encode())
        return query, status, payload

    with ThreadPoolExecutor(max_workers=32) as pool:
        answers = list(pool.map(send, queries))  # a reset would raise ConnectionResetError here
    assert len(answers) == 200
    for query, status, payload in answers:
        assert status == 200, payload
        assert payload["results"][0]["query"] == query
        assert [g["id"] for g in payload["results"][0]["guidelines"]] == expected[query]


def _raw(srv: GuidelineServer, head: bytes) -> bytes:
    """Send raw request bytes and read the whole answer (the server closes the connection)."""
    with socket.create_connection(srv.address, timeout=10) as sock:
        sock.sendall(head)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize(
    ("length_header", "status"),
    [(b"Content-Length: -1\r\n", b"400"), (b"Content-Length: ten\r\n", b"400"), (b"", b"411")],
)
def test_bad_content_length_is_answered_at_once(server, length_header, status):
    answer = _raw(server, b"POST /retrieve HTTP/1.1\r\nHost: x\r\n" + length_header + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 " + status)
    assert b"Content-Length" in answer.split(b"\r\n\r\n", 1)[1]  # the error names the header


class SlowRetriever:
    """The real retriever, half a second per batch (so requests queue up)."""

    def __init__(self, retriever):
        self.retriever = retriever

    def retrieve(self, *args, **kwargs):
        time.sleep(0.5)
        return self.retriever.retrieve(*args, **kwargs)


def test_full_queue_answers_429_with_retry_after(server):
    cfg = dataclasses.replace(server.cfg, max_batch=1, max_wait_ms=0, max_queue=2)
    busy = GuidelineServer(server.retriever, cfg)
    busy.batcher.retriever = SlowRetriever(server.retriever)
    busy.start()
    try:
        host, port = busy.address

        def send(i: int) -> tuple[int, str | None]:
            conn = http.client.HTTPConnection(host, port, timeout=60)
            conn.request("POST", "/retrieve", body=json.dumps({"query": f"privacy {i}"}).encode())
            response = conn.getresponse()
            response.read()
            conn.close()
            return response.status, response.getheader("Retry-After")

        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(send, range(8)))
    finally:
        busy.close()
    assert {status for status, _ in answers} == {200, 429}
    assert all(retry == "1" for status, retry in answers if status == 429)
    assert sum(status == 200 for status, _ in answers) >= 3  # one answering + two queued
