"""The chat types every backend shares: messages, :class:`ChatResult`, the :class:`ChatBackend` interface, usage
totals, and the settings of an OpenAI-compatible endpoint.

A backend takes a batch of conversations (each a list of ``{"role", "content"}`` messages) and returns one
:class:`ChatResult` per conversation, in order. A conversation that fails (too long for the model's context, an
API error after all retries) gives a result with ``error`` set instead of raising, so a long job records the
failure and moves on.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from typing import Any, Literal, Protocol, runtime_checkable

Message = dict[str, str]
Conversation = Sequence[Message]
ROLES = ("system", "user", "assistant")


@dataclasses.dataclass
class ChatResult:
    """One conversation's answer: ``text``, token counts, ``finish_reason`` (stop / length / error).

    ``error`` holds a readable reason when no answer came back; ``error_code`` a short machine tag
    (``context_length_exceeded``, ``http_429``, ``timeout``, ...); ``requests`` counts the HTTP attempts made.
    """

    text: str = ""
    finish_reason: str = "stop"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    error: str | None = None
    error_code: str | None = None
    requests: int = 1

    @property
    def ok(self) -> bool:
        return self.error is None


@runtime_checkable
class ChatBackend(Protocol):
    """Batched chat generation. ``model_name`` goes into every record the stages write."""

    model_name: str
    usage: Usage

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
        """Answer every conversation; never raises for one bad conversation (its result carries ``error``)."""
        ...


class Usage:
    """Thread-safe totals of requests, retries, failures, tokens and cost for one backend."""

    def __init__(self, price_prompt_per_1k: float = 0.0, price_completion_per_1k: float = 0.0):
        self.price_prompt_per_1k = price_prompt_per_1k
        self.price_completion_per_1k = price_completion_per_1k
        self.requests = 0
        self.retries = 0
        self.failures = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self._lock = threading.Lock()

    def add(self, result: ChatResult) -> None:
        """Count one finished conversation (its requests, tokens, and whether it failed)."""
        with self._lock:
            self.requests += result.requests
            self.retries += max(result.requests - 1, 0)
            self.failures += 0 if result.ok else 1
            self.prompt_tokens += result.prompt_tokens
            self.completion_tokens += result.completion_tokens

    @property
    def cost(self) -> float:
        """Spend so far from the per-1k-token prices."""
        return (
            self.prompt_tokens / 1000 * self.price_prompt_per_1k
            + self.completion_tokens / 1000 * self.price_completion_per_1k
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "retries": self.retries,
            "failures": self.failures,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost": round(self.cost, 6),
        }

    def summary(self) -> str:
        d = self.as_dict()
        return (
            f"{d['requests']} requests ({d['retries']} retries, {d['failures']} failed), "
            f"{d['prompt_tokens']} prompt + {d['completion_tokens']} completion tokens, cost {d['cost']:.4f}"
        )


def check_conversation(conversation: Any, where: str = "conversation") -> list[Message]:
    """Validate one conversation (a non-empty list of role/content messages); raise ValueError naming the problem."""
    if not isinstance(conversation, list | tuple) or not conversation:
        raise ValueError(f"{where}: messages must be a non-empty list")
    out = []
    for i, message in enumerate(conversation):
        if not isinstance(message, dict):
            raise ValueError(f"{where}: message {i} must be an object with role and content")
        role, content = message.get("role"), message.get("content")
        if role not in ROLES:
            raise ValueError(f"{where}: message {i} has role {role!r}; expected one of {', '.join(ROLES)}")
        if not isinstance(content, str):
            raise ValueError(f"{where}: message {i} content must be a string, got {type(content).__name__}")
        out.append({"role": role, "content": content})
    return out


@dataclasses.dataclass(frozen=True)
class OpenAIConfig:
    """An OpenAI-compatible chat-completions endpoint (OpenAI, a vLLM server, or ``gajax serve-llm``).

    The API key is read from the environment variable ``api_key_env`` (empty: send no key). Retries cover 429,
    5xx, timeouts, dropped connections and unreadable answers, with exponential backoff and jitter, honouring
    ``Retry-After``. Prices are per 1000 tokens, for the cost total.
    """

    base_url: str = "https://api.openai.com/v1"
    model: str = "gpt-3.5-turbo"
    api_key_env: str = "OPENAI_API_KEY"
    concurrency: int = 8
    timeout_s: float = 60.0
    max_retries: int = 6
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 60.0
    max_tokens_field: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"
    price_prompt_per_1k: float = 0.0
    price_completion_per_1k: float = 0.0

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {self.base_url!r}")
        if self.concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {self.concurrency}")
        if self.timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, got {self.timeout_s}")
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries}")
