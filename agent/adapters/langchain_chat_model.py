"""``ClinagentChatModel``: a clinagent LLM backend as a LangChain chat model.

Any :class:`agent.llm.base.ChatBackend` (the OpenAI-compatible client for vLLM or
llama.cpp's server, the in-process SmolLM2 of the ``local`` extra) behind LangChain's
``BaseChatModel``, so a LangChain chain can run on the model clinagent is configured with,
with no other client library. Needs the ``langchain`` extra.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from agent.adapters.optional import import_extra
from agent.config import LLMSettings
from agent.llm.base import GenerationParams

import_extra("langchain_core", "langchain")

from langchain_core.callbacks import CallbackManagerForLLMRun  # noqa: E402
from langchain_core.language_models.chat_models import BaseChatModel  # noqa: E402
from langchain_core.messages import AIMessage, BaseMessage  # noqa: E402
from langchain_core.outputs import ChatGeneration, ChatResult  # noqa: E402

# LangChain message types -> the chat roles clinagent's backends take.
_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


class ClinagentChatModel(BaseChatModel):
    """A clinagent backend as a LangChain chat model (greedy decoding by default).

    Attributes:
        backend: an object with ``generate(messages, *, json_schema, params)`` (see
            :class:`agent.llm.base.ChatBackend`).
        max_tokens: reply length limit.
        temperature: sampling temperature (0 = greedy, reproducible).

    Example:
        >>> from agent.llm.openai_compat import OpenAICompatBackend
        >>> model = ClinagentChatModel(backend=OpenAICompatBackend(
        ...     "http://127.0.0.1:8000/v1", "my-model"))
        >>> model.invoke("Summarize: ...").content
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    backend: Any
    max_tokens: int = Field(default=256, ge=1)
    temperature: float = Field(default=0.0, ge=0.0)

    @classmethod
    def from_settings(cls, llm: LLMSettings, **kwargs: Any) -> ClinagentChatModel:
        """The backend ``llm`` configures (``CLINAGENT_LLM__*``), as the CLI builds it.

        Raises:
            BackendUnavailable: the local model cannot be loaded (``local`` extra missing).
        """
        # Deferred: the LLM client stack (openai / llama_cpp), only when a model is built.
        from agent.llm.factory import make_backend

        return cls(backend=make_backend(llm), max_tokens=llm.max_tokens, **kwargs)

    @property
    def _llm_type(self) -> str:
        return "clinagent"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"backend": getattr(self.backend, "name", None),
                "model": getattr(self.backend, "model", None), "max_tokens": self.max_tokens}

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None,
                  **kwargs: Any) -> ChatResult:
        chat = [{"role": _ROLES.get(m.type, "user"), "content": m.text} for m in messages]
        completion = self.backend.generate(
            chat, params=GenerationParams(max_tokens=self.max_tokens,
                                          temperature=self.temperature))
        text = completion.text
        if stop:
            # Backends take no stop words: cut at the first one, as the API would have.
            cuts = [text.find(s) for s in stop if s in text]
            text = text[:min(cuts)] if cuts else text
        message = AIMessage(
            content=text,
            response_metadata={"backend": completion.backend, "model_name": completion.model,
                               "finish_reason": completion.finish_reason},
            usage_metadata={"input_tokens": completion.prompt_tokens,
                            "output_tokens": completion.completion_tokens,
                            "total_tokens": completion.prompt_tokens
                            + completion.completion_tokens})
        return ChatResult(generations=[ChatGeneration(message=message)])
