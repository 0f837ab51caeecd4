"""``serve-llm`` on gajax's decoder with continuous batching, driven by the official ``openai`` client on loopback.

A tiny random decoder with SmolLM2's tokenizer (``tiny_chat``). The oracle for every served answer is the KV-cache
:class:`~gajax.generate.Generator` called directly with the same prompt, seed and row id; for log-probabilities,
a full forward pass of the model without a cache.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import jax
import numpy as np
import openai
import pytest

from gajax.decoder import DecoderConfig, load_decoder
from gajax.generate import Sampling
from gajax.httpd import JSONHandler
from gajax.llm.backend import LocalBackend
from gajax.llm.server import ChatServer
from gajax.sharding import MeshConfig, make_mesh

pytestmark = pytest.mark.slow

SLOTS, QUEUE, CONTEXT = 4, 8, 160
PROMPTS = ["hello there", "name a colour", "what is two plus two?", "tell me a story", "why is the sky blue?"]


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


@pytest.fixture(scope="module")
def served():
    mesh = make_mesh(MeshConfig(fsdp=1), devices=jax.devices()[:1])
    model, tokenizer = load_decoder(DecoderConfig(weights="random", arch="tiny_chat"), mesh=mesh)
    backend = LocalBackend(model, tokenizer, mesh=mesh, model_name="tiny")
    server = ChatServer(backend, max_batch_size=SLOTS, max_queue=QUEUE, context=CONTEXT).start()
    server.model = model
    yield server
    server.close()


def client_for(server: ChatServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url, api_key="unused", max_retries=0, timeout=60)


def direct(server: ChatServer, text: str, *, max_tokens: int, seed: int = 0, row: int = 0, temperature: float = 1.0):
    """The Generator's own answer for one prompt (row id ``row`` picks the random stream, as choice ``row``)."""
    ids, failure = server.backend._encode(user(text), max_tokens)
    assert failure is None
    sampling = Sampling(max_new_tokens=max_tokens, temperature=temperature, seed=seed)
    return ids, server.backend.engine.generate([ids], sampling, row_ids=[row])[0]


def wait_idle(server: ChatServer, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while server.engine.busy or not server.engine.pending.empty():
        assert time.monotonic() < deadline, "the engine did not free its slots"
        time.sleep(0.02)


def test_plain_streamed_and_n_choices_match_direct_generation(served):
    client = client_for(served)
    expected = [direct(served, "hello there", max_tokens=24, seed=7, row=i)[1] for i in range(2)]
    assert expected[0].text != expected[1].text  # two choices really sample differently

    answer = client.chat.completions.create(
        model="tiny", messages=user("hello there"), max_tokens=24, temperature=1.0, seed=7, n=2
    )
    assert [c.message.content for c in answer.choices] == [g.text for g in expected]
    assert [c.finish_reason for c in answer.choices] == [g.finish_reason for g in expected]
    body_tokens = sum(len(g.tokens) - (g.finish_reason == "stop") for g in expected)
    assert answer.usage.completion_tokens == body_tokens and answer.usage.prompt_tokens > 0

    stream = client.chat.completions.create(
        model="tiny", messages=user("hello there"), max_tokens=24, temperature=1.0, seed=7, n=2, stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert {c.choices[0].index for c in chunks[:2]} == {0, 1}
    assert all(c.choices[0].delta.role == "assistant" for c in chunks[:2])
    texts, reasons = ["", ""], [None, None]
    for chunk in chunks[2:-1]:
        (choice,) = chunk.choices
        texts[choice.index] += choice.delta.content or ""
        reasons[choice.index] = choice.finish_reason or reasons[choice.index]
        assert chunk.usage is None
    assert texts == [g.text for g in expected] and reasons == [g.finish_reason for g in expected]
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == body_tokens


def test_concurrent_streaming_clients_join_the_running_batch(served):
    client = client_for(served)
    wait_idle(served)
    joined_before = served.engine.stats["joined_running"]
    jobs = [(PROMPTS[i % len(PROMPTS)], i) for i in range(8)]
    expected = {seed: direct(served, text, max_tokens=24, seed=seed)[1].text for text, seed in jobs}

    def stream(job: tuple[str, int]) -> tuple[int, str]:
        text, seed = job
        time.sleep(0.05 * seed)  # staggered arrivals
        chunks = client.chat.completions.create(
            model="tiny", messages=user(text), max_tokens=24, temperature=1.0, seed=seed, stream=True
        )
        return seed, "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = dict(pool.map(stream, jobs))
    assert answers == expected
    assert served.engine.stats["joined_running"] > joined_before  # requests joined a batch already decoding
    assert served.engine.stats["max_busy"] > 1


def test_logprobs_of_the_chosen_tokens_match_a_full_forward_pass(served):
    ids, expected = direct(served, "why is the sky blue?", max_tokens=24, seed=11)
    answer = client_for(served).chat.completions.create(
        model="tiny", messages=user("why is the sky blue?"), max_tokens=24, temperature=1.0, seed=11, logprobs=True
    )
    assert answer.choices[0].message.content == expected.text
    served_logprobs = [item.logprob for item in answer.choices[0].logprobs.content]
    body = [t for t in expected.tokens if t not in served.backend.engine.stop_ids]
    logits, _ = served.model(np.asarray([ids + body], np.int32))
    log_probs = jax.nn.log_softmax(logits[0], axis=-1)
    oracle = [float(log_probs[len(ids) - 1 + i, t]) for i, t in enumerate(body)]
    np.testing.assert_allclose(served_logprobs, oracle, atol=1e-4)
    assert len(served_logprobs) == answer.usage.completion_tokens


def test_stop_strings_cut_plain_and_streamed_answers(served):
    full = direct(served, "tell me a story", max_tokens=24, seed=3)[1].text
    stop = full[4:7]
    assert stop.strip(), f"pick another stop in {full!r}"
    client = client_for(served)
    kwargs = dict(model="tiny", messages=user("tell me a story"), max_tokens=24, temperature=1.0, seed=3, stop=stop)
    plain = client.chat.completions.create(**kwargs)
    assert plain.choices[0].message.content == full[: full.find(stop)]
    assert plain.choices[0].finish_reason == "stop"
    chunks = [c for c in client.chat.completions.create(**kwargs, stream=True) if c.choices]
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == full[: full.find(stop)]
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_a_client_that_disconnects_mid_stream_frees_its_slot(served):
    wait_idle(served)
    cancelled = served.engine.stats["cancelled"]
    steps = served.engine.stats["steps"]
    body = json.dumps({"messages": user("hello there"), "max_tokens": 120, "temperature": 1.0, "stream": True})
    head = f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n"
    with socket.create_connection(served.httpd.server_address[:2], timeout=30) as sock:
        sock.sendall((head + body).encode())
        received = b""
        while b"data: " not in received:  # the stream has started
            received += sock.recv(4096)
        assert received.startswith(b"HTTP/1.1 200") and b"text/event-stream" in received
    wait_idle(served)
    assert served.engine.stats["cancelled"] == cancelled + 1
    assert served.engine.stats["steps"] - steps < 120  # freed before its token limit


def test_a_client_that_never_reads_its_stream_is_cut_off(served, monkeypatch):
    """The stream stalls once the socket buffers fill; after the write timeout the server drops the connection."""
    wait_idle(served)
    handler = served.httpd.RequestHandlerClass
    monkeypatch.setattr(handler, "timeout", 1.0)  # this server's write timeout (60 s by default)

    def small_buffers(self):  # kernel buffers of a few KB, so the stall comes after kilobytes, not megabytes
        self.request.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        JSONHandler.setup(self)

    monkeypatch.setattr(handler, "setup", small_buffers)
    decode = served.engine._decode

    def paced_decode():  # 120 steps take >= 2.4 s, so the answer cannot finish before the 1 s write timeout
        time.sleep(0.02)
        decode()

    monkeypatch.setattr(served.engine, "_decode", paced_decode)
    body = json.dumps(
        {"messages": user("hello there"), "max_tokens": 120, "n": 4, "logprobs": True, "stream": True}
    )
    head = f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n"
    client_for(served).chat.completions.create(model="tiny", messages=user("hello there"), max_tokens=2)  # compiled
    cancelled = served.engine.stats["cancelled"]
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
        sock.settimeout(30)
        sock.connect(served.httpd.server_address[:2])
        sock.sendall((head + body).encode())
        time.sleep(4)  # never read while the server writes
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
    assert received.startswith(b"HTTP/1.1 200") and b"data: [DONE]" not in received
    wait_idle(served)
    assert served.engine.stats["cancelled"] == cancelled + 1  # its slots were freed before max_tokens
    assert client_for(served).models.list().data[0].id == "tiny"  # the server still answers


def raw_post(server: ChatServer, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, dict, dict]:
    host, port = server.httpd.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=60)
    try:
        conn.putrequest("POST", "/v1/chat/completions")
        for key, value in ({"Content-Length": str(len(body))} if headers is None else headers).items():
            conn.putheader(key, value)
        conn.endheaders(body)
        response = conn.getresponse()
        return response.status, json.loads(response.read()), dict(response.getheaders())
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"n": 0}, "n"),
        ({"n": SLOTS + 1}, "n"),
        ({"stream": "yes"}, "stream"),
        ({"stream": True, "stream_options": {"include_usage": True, "bogus": 1}}, "stream_options"),
        ({"stream": True, "stream_options": {"include_usage": "yes"}}, "stream_options.include_usage"),
        ({"stream_options": {"include_usage": True}}, "stream_options"),
        ({"logprobs": 1}, "logprobs"),
        ({"top_logprobs": 3}, "top_logprobs"),
        ({"messages": user("word " * 300)}, "messages"),
    ],
)
def test_malformed_requests_get_400_naming_the_field(served, change, param):
    body = {"model": "tiny", "messages": user("hi"), "max_tokens": 4, **change}
    status, answer, _ = raw_post(served, json.dumps(body).encode())
    assert status == 400 and answer["error"]["param"] == param, answer
    assert answer["error"]["type"] == "invalid_request_error" and answer["error"]["message"]


@pytest.mark.parametrize(
    ("body", "headers", "status", "param"),
    [
        (b"", {"Content-Length": "-1"}, 400, "Content-Length"),
        (b"", {}, 411, "Content-Length"),
        (b"{not json", None, 400, None),
    ],
)
def test_bad_bodies_are_answered_at_once(served, body, headers, status, param):
    got, answer, _ = raw_post(served, body, headers)
    assert got == status and answer["error"]["param"] == param and answer["error"]["message"]


def test_full_queue_answers_429_with_retry_after(served):
    wait_idle(served)
    body = json.dumps({"messages": user("hello there"), "max_tokens": 100, "temperature": 1.0}).encode()
    with ThreadPoolExecutor(max_workers=SLOTS + QUEUE + 6) as pool:
        answers = list(pool.map(lambda _: raw_post(served, body), range(SLOTS + QUEUE + 6)))
    statuses = [status for status, _, _ in answers]
    assert set(statuses) == {200, 429} and statuses.count(200) >= SLOTS + QUEUE - 2
    for status, answer, headers in answers:
        if status == 429:
            assert headers["Retry-After"] == "1" and answer["error"]["type"] == "rate_limit_error"


def test_200_requests_from_32_threads_no_resets_each_answer_its_own(served):
    """Clients retry on 429 after Retry-After; a reset would raise. Each answer equals its own prompt's."""
    wait_idle(served)
    shifts = served.engine.stats["shifts"]
    texts = [f"request number {i}" for i in range(200)]
    expected = [direct(served, text, max_tokens=3, seed=i)[1].text for i, text in enumerate(texts)]

    def ask(i: int) -> str:
        body = json.dumps({"messages": user(texts[i]), "max_tokens": 3, "temperature": 1.0, "seed": i}).encode()
        while True:
            status, answer, headers = raw_post(served, body)
            if status != 429:
                assert status == 200, answer
                return answer["choices"][0]["message"]["content"]
            time.sleep(float(headers["Retry-After"]))

    with ThreadPoolExecutor(max_workers=32) as pool:
        answers = list(pool.map(ask, range(200)))
    assert answers == expected
    assert served.engine.stats["shifts"] > shifts  # answers stayed right across cache shifts
    assert len(set(expected)) > 150  # the answers differ, so a mix-up would show
