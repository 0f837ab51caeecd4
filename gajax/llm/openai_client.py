"""An OpenAI-compatible chat-completions client on the standard library: threads, retries, timeouts, cost.

Each conversation is one ``POST {base_url}/chat/completions``. Up to ``concurrency`` run at once. A 429, a 5xx,
a timeout, a dropped connection or an unreadable answer is retried with exponential backoff and full jitter
(honouring ``Retry-After`` / ``retry-after-ms``), up to ``max_retries`` times; other 4xx answers fail at once.
A conversation that still fails comes back as a :class:`~gajax.llm.chat.ChatResult` with ``error`` set.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import os
import random
import time
import urllib.parse
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from gajax.llm.chat import ChatResult, Conversation, OpenAIConfig, Usage, check_conversation

RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
MAX_RETRY_AFTER_S = 600.0  # a server's Retry-After is honoured as sent, up to this bound


class _Retryable(Exception):
    """A failed attempt worth retrying; ``retry_after`` is the server's requested wait (seconds) if any."""

    def __init__(self, message: str, code: str, retry_after: float | None = None):
        super().__init__(message)
        self.code = code
        self.retry_after = retry_after


class _Fatal(Exception):
    """A failed attempt that retrying cannot fix (bad request, bad key, unknown model)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def parse_retry_after(
    headers: http.client.HTTPMessage | dict[str, str], now: float | None = None
) -> float | None:
    """Seconds to wait from ``retry-after-ms``, or ``Retry-After`` (seconds or an HTTP date); None if absent."""
    get = headers.get
    millis = get("retry-after-ms")
    if millis:
        try:
            return max(float(millis) / 1000, 0.0)
        except ValueError:
            pass
    value = get("Retry-After") or get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - (time.time() if now is None else now), 0.0)


def _error_message(body: bytes) -> str:
    try:
        data = json.loads(body)
        return str(data["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return body[:200].decode("utf-8", "replace").strip() or "(empty body)"


class OpenAIChatClient:
    """A :class:`~gajax.llm.chat.ChatBackend` over an OpenAI-compatible HTTP endpoint.

    ``sleep`` is the function used to wait between retries (replaceable to observe the backoff).
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str = "",
        concurrency: int = 8,
        timeout_s: float = 60.0,
        max_retries: int = 6,
        backoff_initial_s: float = 1.0,
        backoff_max_s: float = 60.0,
        max_tokens_field: str = "max_tokens",
        price_prompt_per_1k: float = 0.0,
        price_completion_per_1k: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        parts = urllib.parse.urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base_url must be an http(s) URL with a host, got {base_url!r}")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.path = f"{parts.path}/chat/completions"
        self.base_url = base_url
        self.model_name = model
        self.api_key = api_key
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.max_tokens_field = max_tokens_field
        self.sleep = sleep
        self.usage = Usage(price_prompt_per_1k, price_completion_per_1k)

    @classmethod
    def from_config(cls, cfg: OpenAIConfig, **kwargs: Any) -> OpenAIChatClient:
        """A client for ``cfg``; the API key comes from the environment variable ``cfg.api_key_env``."""
        return cls(
            cfg.base_url,
            cfg.model,
            api_key=os.environ.get(cfg.api_key_env, "") if cfg.api_key_env else "",
            concurrency=cfg.concurrency,
            timeout_s=cfg.timeout_s,
            max_retries=cfg.max_retries,
            backoff_initial_s=cfg.backoff_initial_s,
            backoff_max_s=cfg.backoff_max_s,
            max_tokens_field=cfg.max_tokens_field,
            price_prompt_per_1k=cfg.price_prompt_per_1k,
            price_completion_per_1k=cfg.price_completion_per_1k,
            **kwargs,
        )

    def _connection(self) -> http.client.HTTPConnection:
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout_s)
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout_s)

    def _post(self, payload: bytes) -> ChatResult:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        conn = self._connection()
        try:
            conn.request("POST", self.path, body=payload, headers=headers)
            response = conn.getresponse()
            body = response.read()
        except TimeoutError as err:
            raise _Retryable(f"no answer within {self.timeout_s:g}s", "timeout") from err
        except (ConnectionError, http.client.HTTPException, OSError) as err:
            raise _Retryable(f"connection failed: {err}", "connection") from err
        finally:
            conn.close()
        status = response.status
        if status != 200:
            message = f"HTTP {status} from {self.base_url}: {_error_message(body)}"
            if status in RETRY_STATUSES or status >= 500:
                raise _Retryable(message, f"http_{status}", parse_retry_after(response.headers))
            raise _Fatal(message, f"http_{status}")
        return self._parse(body)

    def _parse(self, body: bytes) -> ChatResult:
        try:
            data = json.loads(body)
            choice = data["choices"][0]
            text = choice["message"]["content"]
            if text is None:
                text = ""
            if not isinstance(text, str):
                raise TypeError("message.content is not a string")
            usage = data.get("usage") or {}
            return ChatResult(
                text=text,
                finish_reason=str(choice.get("finish_reason") or "stop"),
                prompt_tokens=int(usage.get("prompt_tokens", 0)),
                completion_tokens=int(usage.get("completion_tokens", 0)),
            )
        except (ValueError, KeyError, IndexError, TypeError) as err:
            snippet = body[:120].decode("utf-8", "replace")
            raise _Retryable(
                f"unreadable answer ({type(err).__name__}: {err}): {snippet!r}", "bad_response"
            ) from err

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, MAX_RETRY_AFTER_S) + random.uniform(0, self.backoff_initial_s / 10)
        return random.uniform(0, min(self.backoff_initial_s * 2**attempt, self.backoff_max_s))

    def complete(self, messages: Conversation, payload_extra: dict[str, Any]) -> ChatResult:
        """One conversation with retries; failures come back as a result with ``error`` set."""
        try:
            payload = json.dumps(
                {"model": self.model_name, "messages": check_conversation(messages), **payload_extra},
                ensure_ascii=False,
            ).encode("utf-8")
        except (ValueError, UnicodeEncodeError) as err:
            return ChatResult(
                finish_reason="error",
                error=f"invalid request: {err}",
                error_code="invalid_request",
                requests=0,
            )
        attempt = 0
        while True:
            attempt += 1
            try:
                result = self._post(payload)
                result.requests = attempt
                return result
            except _Fatal as err:
                return ChatResult(
                    finish_reason="error", error=str(err), error_code=err.code, requests=attempt
                )
            except _Retryable as err:
                if attempt > self.max_retries:
                    return ChatResult(
                        finish_reason="error",
                        error=f"gave up after {attempt} attempts: {err}",
                        error_code=err.code,
                        requests=attempt,
                    )
                self.sleep(self._backoff(attempt - 1, err.retry_after))

    def chat(
        self,
        conversations: Sequence[Conversation],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        top_p: float = 1.0,
        seed: int = 0,
        stop: Sequence[str] = (),
    ) -> list[ChatResult]:
        """Answer every conversation, ``concurrency`` requests at a time, results in input order."""
        if max_tokens < 1:
            raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
        extra: dict[str, Any] = {
            self.max_tokens_field: max_tokens,
            "temperature": temperature,
            "top_p": top_p,
            "seed": seed,
        }
        if stop:
            extra["stop"] = list(stop)
        if not conversations:
            return []
        workers = min(self.concurrency, len(conversations))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gajax-llm") as pool:
            results = list(pool.map(lambda conv: self.complete(conv, extra), conversations))
        for result in results:
            self.usage.add(result)
        return results
