"""Stage 1's chat backends: the settings that pick one (:class:`LLMConfig`), the local implementation on gajax's
decoder, and :func:`make_backend`. The types they share are in :mod:`gajax.llm.chat`."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from typing import Any, Literal

from gajax.decoder import DecoderConfig
from gajax.llm.chat import ChatBackend, ChatResult, Conversation, OpenAIConfig, Usage, check_conversation
from gajax.llm.openai_client import OpenAIChatClient
from gajax.sharding import MeshConfig


@dataclasses.dataclass(frozen=True)
class LLMConfig:
    """Which model writes Stage 1's text: ``local`` (gajax's decoder, ``model`` + ``mesh``, ``batch_size``
    conversations per generate call) or ``openai`` (an HTTP endpoint, ``openai``)."""

    backend: Literal["local", "openai"] = "local"
    model: DecoderConfig = dataclasses.field(default_factory=DecoderConfig)
    mesh: MeshConfig = dataclasses.field(default_factory=MeshConfig)
    batch_size: int = 8
    openai: OpenAIConfig = dataclasses.field(default_factory=OpenAIConfig)

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")


class LocalBackend:
    """Chat generation on gajax's own decoder: conversations rendered with the tokenizer's chat template and
    generated ``batch_size`` at a time with the KV-cache :class:`~gajax.generate.Generator`."""

    def __init__(
        self, model: Any, tokenizer: Any, *, mesh: Any = None, batch_size: int = 8, model_name: str = "local"
    ):
        from gajax.generate import generator_for

        self.tokenizer = tokenizer
        self.engine = generator_for(model, tokenizer, mesh)
        self.batch_size = batch_size
        self.model_name = model_name
        self.usage = Usage()
        self._lock = threading.Lock()  # one generate call at a time (the server calls from a worker thread)

    def _encode(
        self, conversation: Conversation, max_tokens: int
    ) -> tuple[list[int] | None, ChatResult | None]:
        from gajax.generate import render_prompt

        try:
            messages = check_conversation(conversation)
            ids = render_prompt(self.tokenizer, messages)
            self.engine.check_lengths([ids], max_tokens)
        except ValueError as err:
            code = "context_length_exceeded" if "context" in str(err) else "invalid_request"
            return None, ChatResult(finish_reason="error", error=str(err), error_code=code)
        return ids, None

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
        """Answer every conversation; too-long or malformed conversations come back with ``error`` set."""
        from gajax.generate import Sampling

        sampling = Sampling(
            max_new_tokens=max_tokens,
            temperature=temperature,
            top_p=top_p,
            seed=seed,
            stop=tuple(stop),
            batch_size=self.batch_size,
        )
        results: list[ChatResult | None] = [None] * len(conversations)
        ready: list[tuple[int, list[int]]] = []
        for i, conversation in enumerate(conversations):
            ids, failure = self._encode(conversation, max_tokens)
            if failure is not None:
                results[i] = failure
            else:
                ready.append((i, ids))  # type: ignore[arg-type]
        ready.sort(key=lambda item: len(item[1]))  # similar lengths share a batch: less padding
        with self._lock:
            for start in range(0, len(ready), self.batch_size):
                batch = ready[start : start + self.batch_size]
                generations = self.engine.generate(
                    [ids for _, ids in batch], sampling, row_ids=[i for i, _ in batch]
                )
                for (i, ids), gen in zip(batch, generations, strict=True):
                    body = len(gen.tokens) - (
                        1 if gen.tokens and gen.tokens[-1] in self.engine.stop_ids else 0
                    )
                    results[i] = ChatResult(
                        text=gen.text or "",
                        finish_reason=gen.finish_reason,
                        prompt_tokens=len(ids),
                        completion_tokens=body,
                    )
        for result in results:
            self.usage.add(result)  # type: ignore[arg-type]
        return results  # type: ignore[return-value]


def make_backend(cfg: LLMConfig) -> ChatBackend:
    """Build the backend that ``cfg`` names (loading the decoder's weights for ``local``)."""
    if cfg.backend == "openai":

        return OpenAIChatClient.from_config(cfg.openai)
    from gajax.decoder import load_decoder
    from gajax.sharding import make_mesh

    mesh = make_mesh(cfg.mesh)
    model, tokenizer = load_decoder(cfg.model, mesh=mesh)
    name = cfg.model.weights if cfg.model.weights != "random" else f"random:{cfg.model.arch}"
    return LocalBackend(model, tokenizer, mesh=mesh, batch_size=cfg.batch_size, model_name=name)
