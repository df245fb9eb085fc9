"""LLM deadlines against real sockets: a server that accepts and never answers is detected
within the connect timeout; a server that answers its probe but never a completion is
given up at the deadline (per command, per request); the fallback answers within it; and
progress lines (no note text) are logged, and printed by the CLI, while waiting."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from agent import deadline
from agent.errors import BackendUnavailable
from agent.llm.openai_compat import OpenAICompatBackend

MESSAGES = [{"role": "user", "content": "Wendell Pursglove takes apixaban 5 mg BID."}]
CLI = str(Path(sys.executable).with_name("clinagent"))


class HangingServer:
    """A TCP server in a thread. ``answers_probe``: GET requests get ``200 {"data": []}``
    (the server looks alive); everything else is accepted and never answered."""

    def __init__(self, *, answers_probe: bool) -> None:
        self.answers_probe = answers_probe
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/v1"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self._held.append(conn)
            if self.answers_probe:
                threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            while conn.recv(65536).startswith(b"GET"):
                body = b'{"object": "list", "data": []}'
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
                             + body)
        except OSError:
            pass  # the client gave up and closed the connection

    def close(self) -> None:
        self._stop.set()
        self._sock.close()
        for conn in self._held:
            conn.close()


@pytest.fixture
def silent():
    server = HangingServer(answers_probe=False)
    yield server
    server.close()


@pytest.fixture
def stuck():
    server = HangingServer(answers_probe=True)
    yield server
    server.close()


def _backend(url: str, **kwargs) -> OpenAICompatBackend:
    # The shipped defaults, except where a test says otherwise.
    options = {"timeout_s": 120.0, "connect_timeout_s": 1.0, "deadline_s": 60.0,
               "http_retries": 2, "progress_s": 5.0, **kwargs}
    return OpenAICompatBackend(url, "m", **options)


def test_when_server_accepts_and_never_answers_then_fallback_within_seconds(
        silent, fake_backend):
    fake_backend.enqueue('{"a": 1}')
    started = time.monotonic()
    out = _backend(silent.url, fallback=fake_backend).generate(MESSAGES)
    assert out.backend == "fake"
    assert time.monotonic() - started < 5  # one 1 s probe, not 120 s x 3 attempts


def test_when_server_silent_and_no_fallback_then_unavailable_naming_url(silent):
    started = time.monotonic()
    with pytest.raises(BackendUnavailable) as exc:
        _backend(silent.url).generate(MESSAGES)
    assert time.monotonic() - started < 5
    assert silent.url in str(exc.value) and "llm.fallback" in str(exc.value)
    assert "Pursglove" not in str(exc.value)


def test_when_completion_never_comes_then_unavailable_at_the_deadline(stuck):
    started = time.monotonic()
    with pytest.raises(BackendUnavailable, match=r"llm\.deadline_s"):
        _backend(stuck.url, deadline_s=2.0).generate(MESSAGES)
    assert 1.5 < time.monotonic() - started < 6


def test_when_deadline_passes_then_fallback_answers_and_later_calls_do_not_wait(
        stuck, fake_backend, caplog):
    fake_backend.enqueue('{"a": 1}')
    fake_backend.enqueue('{"a": 2}')
    backend = _backend(stuck.url, deadline_s=2.0, fallback=fake_backend)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="agent.llm.openai_compat"):
        assert backend.generate(MESSAGES).backend == "fake"
    assert time.monotonic() - started < 6
    # One deadline per command (per backend outside a scope): the next call falls back now.
    started = time.monotonic()
    assert backend.generate(MESSAGES).text == '{"a": 2}'
    assert time.monotonic() - started < 0.5
    assert any("falling back" in r.getMessage() for r in caplog.records)


def test_when_request_scope_has_a_deadline_then_llm_wait_ends_with_it(stuck):
    backend = _backend(stuck.url, deadline_s=60.0)
    for _ in range(2):  # each request (scope) gets its own budget
        scope = deadline.Scope(work=deadline.Deadline(1.0, "api.request_timeout_s"))
        started = time.monotonic()
        with deadline.enter(scope), pytest.raises(BackendUnavailable,
                                                  match=r"api\.request_timeout_s"):
            backend.generate(MESSAGES)
        assert time.monotonic() - started < 4
        assert scope.llm is not None and scope.llm.seconds == 60.0


def test_while_waiting_then_progress_lines_without_note_text(stuck, caplog):
    with caplog.at_level(logging.INFO, logger="agent.llm.progress"), \
            pytest.raises(BackendUnavailable):
        _backend(stuck.url, deadline_s=1.6, progress_s=0.3).generate(MESSAGES)
    lines = [r.getMessage() for r in caplog.records if r.name == "agent.llm.progress"]
    assert len(lines) >= 3
    assert all(stuck.url in line and "Pursglove" not in line for line in lines)


@pytest.mark.heavy
def test_when_cli_waits_on_llm_then_progress_on_stderr_and_exit_within_deadline(
        stuck, tmp_path):
    notes = tmp_path / "n.jsonl"
    notes.write_text('{"patient_id": "p1", "note_id": "n1", "text": "Wendell Pursglove: '
                     'chest pain, on apixaban."}\n')
    env = {**os.environ, "CLINAGENT_LLM__DEADLINE_S": "3", "CLINAGENT_LLM__PROGRESS_S": "0.5"}
    out = subprocess.run([CLI, "extract", str(notes), "--llm-base-url", stuck.url,
                          "--llm-model", "m", "-o", str(tmp_path / "out.jsonl")],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 2, out.stderr
    progress = [line for line in out.stderr.splitlines() if "waiting for the LLM server" in line]
    assert len(progress) >= 3, out.stderr
    assert "llm.deadline_s" in out.stderr
    assert "Pursglove" not in out.stderr and "apixaban" not in out.stderr
