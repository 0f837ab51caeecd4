"""Chat-generation backends for Stage 1: gajax's own decoder, an OpenAI-compatible HTTP client, and a server.

:class:`~gajax.llm.chat.ChatBackend` is the one interface the stages call; :func:`~gajax.llm.backend.make_backend`
builds a :class:`~gajax.llm.backend.LocalBackend` (batched KV-cache generation) or an
:class:`~gajax.llm.openai_client.OpenAIChatClient` from an :class:`~gajax.llm.backend.LLMConfig`.
``gajax serve-llm`` (:mod:`gajax.llm.server`) puts any backend behind ``/v1/chat/completions``.
"""

from gajax.llm.backend import LLMConfig, LocalBackend, make_backend
from gajax.llm.chat import ChatBackend, ChatResult, OpenAIConfig, Usage

__all__ = ["ChatBackend", "ChatResult", "LLMConfig", "LocalBackend", "OpenAIConfig", "Usage", "make_backend"]
