"""The OpenAI-compatible backend against tiny scripted HTTP servers on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from agent.errors import BackendUnavailable
from agent.llm.openai_compat import OpenAICompatBackend

SCHEMA = {"title": "Answer", "type": "object", "properties": {"a": {"type": "integer"}}}


def _completion(content: str) -> dict:
    return {"id": "c1", "object": "chat.completion", "created": 0, "model": "served-model",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}}


@pytest.fixture
def scripted_server():
    """Start a server answering each POST with the next (status, body); yields
    (base_url, script list, received request bodies)."""
    script: list[tuple[int, dict]] = []
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server API)
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            status, body = script.pop(0)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", script, received
    server.shutdown()
    server.server_close()


def test_when_server_answers_then_json_schema_response_format_and_tokens(scripted_server):
    url, script, received = scripted_server
    script.append((200, _completion('{"a": 1}')))
    backend = OpenAICompatBackend(url, "served-model", http_retries=0)
    out = backend.generate([{"role": "user", "content": "hi"}], json_schema=SCHEMA)
    assert out.text == '{"a": 1}' and out.backend == "openai_compat"
    assert (out.prompt_tokens, out.completion_tokens) == (12, 3)
    fmt = received[0]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["schema"] == SCHEMA
    assert "guided_json" not in received[0] and received[0]["model"] == "served-model"


def test_when_json_object_mode_then_schema_sent_inline(scripted_server):
    url, script, received = scripted_server
    script.append((200, _completion("{}")))
    OpenAICompatBackend(url, "m", json_mode="json_object", http_retries=0).generate(
        [{"role": "user", "content": "hi"}], json_schema=SCHEMA)
    assert received[0]["response_format"] == {"type": "json_object", "schema": SCHEMA}


def test_when_server_errors_5xx_then_retried_then_unavailable(scripted_server):
    url, script, received = scripted_server
    script.extend([(500, {"error": "boom"})] * 2)
    backend = OpenAICompatBackend(url, "m", http_retries=1)
    with pytest.raises(BackendUnavailable, match="HTTP 500"):
        backend.generate([{"role": "user", "content": "hi"}])
    assert len(received) == 2


def test_when_server_down_then_unavailable_names_url_and_fix(unused_port):
    url = f"http://127.0.0.1:{unused_port}/v1"
    backend = OpenAICompatBackend(url, "m", http_retries=0, timeout_s=5)
    with pytest.raises(BackendUnavailable) as exc:
        backend.generate([{"role": "user", "content": "hi"}])
    assert url in str(exc.value) and "llm.fallback" in str(exc.value)


def test_when_server_hangs_then_timeout_unavailable():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(4)  # accepts connections, never answers
    try:
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
        backend = OpenAICompatBackend(url, "m", http_retries=0, timeout_s=0.5)
        started = time.monotonic()
        with pytest.raises(BackendUnavailable, match="within 0.5 s"):
            backend.generate([{"role": "user", "content": "hi"}])
        assert time.monotonic() - started < 10
    finally:
        sock.close()


def test_when_server_down_and_fallback_then_warning_and_backend_recorded(
        fake_backend, caplog, unused_port):
    fake_backend.enqueue('{"a": 1}')
    url = f"http://127.0.0.1:{unused_port}/v1"
    backend = OpenAICompatBackend(url, "m", http_retries=0, fallback=fake_backend)
    with caplog.at_level(logging.WARNING, logger="agent.llm.openai_compat"):
        out = backend.generate([{"role": "user", "content": "hi"}], json_schema=SCHEMA)
    assert out.backend == "fake"
    assert any("falling back" in r.getMessage() for r in caplog.records)


def test_when_model_unknown_then_unavailable_with_model_hint(scripted_server):
    url, script, _ = scripted_server
    script.append((404, {"error": {"message": "model not found"}}))
    with pytest.raises(BackendUnavailable, match="served-model-name"):
        OpenAICompatBackend(url, "nope", http_retries=0).generate(
            [{"role": "user", "content": "hi"}])
