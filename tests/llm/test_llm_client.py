"""The OpenAI-compatible client against the real ``serve-llm`` HTTP server on 127.0.0.1.

Behind the server sits a deterministic scripted backend, so every answer, failure and request count is known.
"""

import json
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from gajax.llm.chat import ChatResult, OpenAIConfig, Usage
from gajax.llm.openai_client import OpenAIChatClient, parse_retry_after
from gajax.llm.server import ChatServer, Overloaded


class ScriptedBackend:
    """Answers ``echo:<last user message>``; special messages make it fail in set ways.

    ``fail500:N:tag`` fails the first N times it is asked (-> HTTP 500); ``busy:tag`` raises Overloaded the first
    time (-> HTTP 429 with Retry-After 0.25); ``slow`` sleeps ``slow_s``; ``toolong`` is a context-length error.
    """

    model_name = "scripted"

    def __init__(self, slow_s: float = 0.0, first_call_delay_s: float = 0.0):
        self.usage = Usage()
        self.seen: dict[str, int] = {}
        self.calls: list[int] = []
        self.slow_s = slow_s
        self.first_call_delay_s = first_call_delay_s
        self.lock = threading.Lock()

    def chat(self, conversations, *, max_tokens, temperature=0.0, top_p=1.0, seed=0, stop=()):
        with self.lock:
            self.calls.append(len(conversations))
            first_call = len(self.calls) == 1
        if first_call and self.first_call_delay_s:
            time.sleep(self.first_call_delay_s)  # lets concurrent requests pile up behind the first
        results = []
        for conv in conversations:
            text = conv[-1]["content"]
            with self.lock:
                self.seen[text] = self.seen.get(text, 0) + 1
                times = self.seen[text]
            if text.startswith("busy:") and times == 1:
                raise Overloaded("busy, come back soon", retry_after=0.25)
            if text.startswith("fail500:") and times <= int(text.split(":")[1]):
                results.append(ChatResult(finish_reason="error", error="scripted failure"))
                continue
            if text == "slow":
                time.sleep(self.slow_s)
            if text == "toolong":
                results.append(
                    ChatResult(finish_reason="error", error="prompt too long", error_code="context_length_exceeded")
                )
                continue
            words = sum(len(m["content"].split()) for m in conv)
            results.append(ChatResult(text=f"echo:{text}", prompt_tokens=words, completion_tokens=2))
        return results


def user(text):
    return [{"role": "system", "content": "be brief"}, {"role": "user", "content": text}]


def make_client(server, **kwargs):
    sleeps = []
    defaults = dict(concurrency=4, timeout_s=10.0, max_retries=3, backoff_initial_s=0.01, backoff_max_s=0.05)
    client = OpenAIChatClient(server.url, "scripted", sleep=sleeps.append, **{**defaults, **kwargs})
    return client, sleeps


def post(url, body: bytes, headers=None):
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read()), resp.headers
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read()), err.headers


def test_concurrent_requests_are_answered_in_order_and_batched():
    backend = ScriptedBackend(first_call_delay_s=0.5)
    with ChatServer(backend, batch_wait_ms=20, max_batch_size=8) as server:
        client, sleeps = make_client(server, concurrency=8, price_prompt_per_1k=0.5, price_completion_per_1k=2.0)
        prompts = [f"question {i}" for i in range(16)]
        results = client.chat([user(p) for p in prompts], max_tokens=16)
        assert [r.text for r in results] == [f"echo:{p}" for p in prompts]
        assert all(r.ok and r.requests == 1 for r in results)
        assert server.stats["completions"] == 16 and server.stats["http_requests"] == 16
        # requests that arrived while the backend was busy went through together
        assert server.stats["max_batch"] >= 2
        assert len(backend.calls) < 16 and sum(backend.calls) == 16
    # token and cost accounting from the server's usage numbers
    prompt_tokens = sum(len(["be", "brief"]) + len(p.split()) for p in prompts)
    assert client.usage.prompt_tokens == prompt_tokens
    assert client.usage.completion_tokens == 32
    assert client.usage.cost == pytest.approx(prompt_tokens / 1000 * 0.5 + 32 / 1000 * 2.0)
    assert client.usage.requests == 16 and client.usage.failures == 0 and not sleeps


def test_retries_500_and_429_with_retry_after():
    backend = ScriptedBackend()
    with ChatServer(backend) as server:
        client, sleeps = make_client(server, concurrency=1, max_retries=3)
        results = client.chat([user("fail500:2:a"), user("busy:b"), user("fine")], max_tokens=8)
        assert [r.text for r in results] == ["echo:fail500:2:a", "echo:busy:b", "echo:fine"]
        assert [r.requests for r in results] == [3, 2, 1]
        assert server.stats["http_requests"] == 6  # no request more than needed
    assert client.usage.retries == 3
    # the 429's Retry-After (0.25 s) is honoured; the 500s use short jittered backoff (<= backoff_max_s)
    assert len(sleeps) == 3
    assert sum(s >= 0.25 for s in sleeps) == 1
    backoffs = [s for s in sleeps if s < 0.25]
    assert len(backoffs) == 2 and all(0 <= s <= 0.05 for s in backoffs)


def test_gives_up_after_max_retries_and_records_the_error():
    backend = ScriptedBackend()
    with ChatServer(backend) as server:
        client, sleeps = make_client(server, max_retries=2)
        (result,) = client.chat([user("fail500:99:x")], max_tokens=8)
        assert not result.ok and result.error_code == "http_500"
        assert "gave up after 3 attempts" in result.error and "scripted failure" in result.error
        assert result.requests == 3 and server.stats["http_requests"] == 3
    assert client.usage.failures == 1 and len(sleeps) == 2


def test_client_error_is_not_retried():
    backend = ScriptedBackend()
    with ChatServer(backend) as server:
        client, sleeps = make_client(server)
        (result,) = client.chat([user("toolong")], max_tokens=8)
        assert result.error_code == "http_400" and "prompt too long" in result.error
        assert result.requests == 1 and server.stats["http_requests"] == 1 and not sleeps


def test_timeout_is_retried_then_reported():
    backend = ScriptedBackend(slow_s=1.0)
    with ChatServer(backend) as server:
        client, _ = make_client(server, timeout_s=0.2, max_retries=1, concurrency=1)
        fast, slow = client.chat([user("fast"), user("slow")], max_tokens=8)
        assert fast.ok and fast.text == "echo:fast"
        assert not slow.ok and slow.error_code == "timeout" and slow.requests == 2
        assert "no answer within 0.2s" in slow.error


def test_server_rejects_bad_requests_with_openai_errors():
    backend = ScriptedBackend()
    with ChatServer(backend, max_body_bytes=2000, max_tokens_limit=64) as server:
        url = server.url + "/chat/completions"
        ok = {"model": "scripted", "messages": user("hi"), "max_tokens": 8}
        status, body, _ = post(url, json.dumps(ok).encode())
        assert status == 200 and body["choices"][0]["message"]["content"] == "echo:hi"
        assert body["usage"]["total_tokens"] == body["usage"]["prompt_tokens"] + 2
        cases = [
            (b"{not json", 400, None),
            (b"\xff\xfe", 400, None),
            (json.dumps({**ok, "model": "gpt-9"}).encode(), 404, "model"),
            (json.dumps({**ok, "messages": []}).encode(), 400, "messages"),
            (json.dumps({**ok, "messages": [{"role": "robot", "content": "x"}]}).encode(), 400, "messages"),
            (json.dumps({**ok, "max_tokens": 65}).encode(), 400, "max_tokens"),
            (json.dumps({**ok, "temperature": 3}).encode(), 400, "temperature"),
            (json.dumps({**ok, "stream": "yes"}).encode(), 400, "stream"),
            (json.dumps({**ok, "n": 0}).encode(), 400, "n"),
            (json.dumps({**ok, "messages": user("x" * 3000)}).encode(), 413, "Content-Length"),
        ]
        for raw, status_expected, param in cases:
            status, body, _ = post(url, raw)
            assert status == status_expected, (raw[:40], body)
            assert set(body["error"]) == {"message", "type", "param", "code"} and body["error"]["message"]
            assert body["error"]["param"] == param
        with urllib.request.urlopen(server.url + "/models", timeout=10) as resp:
            assert json.loads(resp.read())["data"][0]["id"] == "scripted"
        assert backend.calls == [1]  # only the valid request reached the backend


def test_full_queue_answers_429_with_retry_after():
    backend = ScriptedBackend(slow_s=1.0)
    with ChatServer(backend, max_queue=1, max_batch_size=1) as server:
        url = server.url + "/chat/completions"
        body = json.dumps({"messages": user("slow"), "max_tokens": 4}).encode()
        answers = []
        threads = [threading.Thread(target=lambda: answers.append(post(url, body))) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = sorted(a[0] for a in answers)
        assert 429 in statuses and 200 in statuses
        refused = next(a for a in answers if a[0] == 429)
        assert refused[2]["Retry-After"] == "1" and refused[1]["error"]["type"] == "rate_limit_error"


def test_streaming_and_n_through_the_batching_worker():
    """Backends other than gajax's decoder stream each answer as one delta, in OpenAI's chunk format."""
    import openai

    backend = ScriptedBackend()
    with ChatServer(backend, batch_wait_ms=20) as server:
        client = openai.OpenAI(base_url=server.url, api_key="unused", max_retries=0)
        chunks = list(client.chat.completions.create(
            model="scripted", messages=user("hi"), max_tokens=4, n=2, stream=True,
            stream_options={"include_usage": True}))
        assert [c.choices[0].delta.role for c in chunks[:2]] == ["assistant", "assistant"]
        texts = {0: "", 1: ""}
        for chunk in chunks[2:-1]:
            texts[chunk.choices[0].index] += chunk.choices[0].delta.content or ""
        assert texts == {0: "echo:hi", 1: "echo:hi"}
        assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 4
        assert backend.calls == [2]  # both choices in one backend call


class GarbageThenGood(BaseHTTPRequestHandler):
    """A broken endpoint: first an unreadable 200, then a truncated JSON, then a good answer."""

    count = 0

    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).count += 1
        bodies = [b"<html>oops</html>", b'{"choices": [', json.dumps(
            {"choices": [{"message": {"content": "good"}, "finish_reason": "stop"}],
             "usage": {"prompt_tokens": 3, "completion_tokens": 1}}).encode()]
        data = bodies[min(type(self).count, 3) - 1]
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def test_unreadable_answers_are_retried():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), GarbageThenGood)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        client = OpenAIChatClient(f"http://127.0.0.1:{httpd.server_address[1]}/v1", "m", backoff_initial_s=0.01,
                                  sleep=lambda s: None)
        (result,) = client.chat([user("x")], max_tokens=4)
        assert result.ok and result.text == "good" and result.requests == 3 and GarbageThenGood.count == 3
        assert result.prompt_tokens == 3 and result.completion_tokens == 1
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_retry_after_parsing_and_config():
    assert parse_retry_after({"Retry-After": "7"}) == 7.0
    assert parse_retry_after({"retry-after-ms": "250", "Retry-After": "7"}) == 0.25
    assert parse_retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:10 GMT"}, now=1445412480.0) == 10.0
    assert parse_retry_after({"Retry-After": "soon"}) is None and parse_retry_after({}) is None
    with pytest.raises(ValueError, match="base_url"):
        OpenAIConfig(base_url="api.openai.com")
    client = OpenAIChatClient.from_config(OpenAIConfig(base_url="http://127.0.0.1:9/v1", api_key_env=""))
    assert client.api_key == "" and client.path == "/v1/chat/completions"


@pytest.mark.slow
def test_local_decoder_behind_the_server_matches_direct_calls(tmp_path):
    """A tiny random decoder (SmolLM2's tokenizer) behind serve-llm: concurrent HTTP answers equal direct calls."""
    import jax

    from gajax.decoder import DecoderConfig, load_decoder
    from gajax.llm.backend import LocalBackend
    from gajax.sharding import MeshConfig, make_mesh

    mesh = make_mesh(MeshConfig(fsdp=1), devices=jax.devices()[:1])
    model, tokenizer = load_decoder(DecoderConfig(weights="random", arch="tiny_chat"), mesh=mesh)
    backend = LocalBackend(model, tokenizer, mesh=mesh, batch_size=4, model_name="tiny")
    prompts = ["hello there", "what is two plus two?", "name a colour", "say something long " * 3]
    direct = backend.chat([user(p) for p in prompts], max_tokens=6, temperature=0.0)
    assert all(r.ok and 1 <= r.completion_tokens <= 6 and r.prompt_tokens > 0 for r in direct)
    with ChatServer(backend, batch_wait_ms=200, max_batch_size=4) as server:
        client, _ = make_client(server, concurrency=4)
        client.model_name = "tiny"
        served = client.chat([user(p) for p in prompts], max_tokens=6, temperature=0.0)
        assert [r.text for r in served] == [r.text for r in direct]
        assert [r.completion_tokens for r in served] == [r.completion_tokens for r in direct]
        (too_long,) = client.chat([user("word " * 400)], max_tokens=6)
        assert too_long.error_code == "http_400" and "context" in too_long.error and too_long.requests == 1


def test_server_from_shipped_config():
    from gajax.config import load_config
    from gajax.llm.server import ServeConfig

    cfg = load_config(ServeConfig, "serve_llm", ["port=0", "model_name=served", "max_tokens_limit=4"])
    with ChatServer.from_config(cfg, ScriptedBackend()) as server:
        assert server.model_name == "served" and server.url.startswith("http://127.0.0.1:")
        status, body, _ = post(server.url + "/chat/completions", json.dumps(
            {"model": "served", "messages": user("x"), "max_tokens": 5}).encode())
        assert status == 400 and "1..4" in body["error"]["message"]
