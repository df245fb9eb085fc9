"""Session-scoped expensive objects: the spaCy pipeline and the entity extractor."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from evals.web_demo import stop_process_group


@pytest.fixture(autouse=True)
def _fresh_settings():
    """Each test reads CLINAGENT_* as it set them: the CLI caches its settings per process
    (``agent.config.get_settings``), so one test's command would otherwise fix the next's."""
    from agent.config import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


class ServerProcesses:
    """Starts real server processes (clinagent serve, llama_cpp.server, vLLM) for tests and
    stops them: one way to wait for readiness and to shut down, whatever the server."""

    def __init__(self) -> None:
        self._running: list[subprocess.Popen] = []

    @staticmethod
    def free_port() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    def start(self, cmd: list[str], ready_url: str, *, log: Path, timeout_s: float = 180,
              what: str = "server", **popen) -> subprocess.Popen:
        """Start ``cmd`` (its output to ``log``, in its own process group) and return once
        ``ready_url`` answers 200; fail the test with the log's tail if it exits or times out."""
        with open(log, "ab") as sink:
            proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT,
                                    start_new_session=True, **popen)
        self._running.append(proc)
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                pytest.fail(f"{what} exited with code {proc.returncode}:\n{_tail(log)}")
            try:
                with urllib.request.urlopen(ready_url, timeout=2) as reply:
                    if reply.status == 200:
                        return proc
            except OSError:  # refused while starting (URLError and HTTPError are OSErrors)
                pass
            if time.monotonic() > deadline:
                self.stop(proc)
                pytest.fail(f"{what} not ready within {timeout_s:.0f} s:\n{_tail(log)}")
            time.sleep(0.5)

    @staticmethod
    def stop(proc: subprocess.Popen, timeout_s: float = 30) -> None:
        """Terminate the process group (servers such as vLLM spawn workers), then kill."""
        stop_process_group(proc, timeout_s)

    def stop_all(self) -> None:
        for proc in self._running:
            self.stop(proc)


def _tail(log: Path, chars: int = 3000) -> str:
    return log.read_text(errors="replace")[-chars:] if log.exists() else "(no log)"


@pytest.fixture(scope="session")
def servers():
    """:class:`ServerProcesses`; every server still running is stopped at the end."""
    procs = ServerProcesses()
    yield procs
    procs.stop_all()


@pytest.fixture(scope="session")
def extractor():
    """The deterministic extractor with packaged rules and vocabularies."""
    from agent.nlp.entities import EntityExtractor

    return EntityExtractor()


@pytest.fixture(scope="session")
def clinical_pipeline(extractor):
    """The medspaCy pipeline (shared with the extractor to build it once)."""
    return extractor.pipeline


@pytest.fixture(scope="session")
def embedder():
    """The packaged all-MiniLM-L6-v2 sentence-transformers embedder (offline)."""
    from retrieval.embedder import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


@pytest.fixture(scope="session")
def fake_embedder():
    """A deterministic 16-d bag-of-words embedder for index tests that need no model."""
    import zlib

    import numpy as np

    from retrieval.embedder import Embedder

    class HashingEmbedder(Embedder):
        model_id = "test-hashing-16"
        dimension = 16

        def embed_batch(self, texts):
            out = np.zeros((len(texts), self.dimension), dtype=np.float32)
            for i, text in enumerate(texts):
                for word in text.lower().split():
                    out[i, zlib.crc32(word.encode()) % self.dimension] += 1.0
                out[i, 0] += 1e-3
            return out / np.linalg.norm(out, axis=1, keepdims=True)

    return HashingEmbedder()


@pytest.fixture(scope="session")
def deid_detector():
    """The PHI detector (Presidio analyzer + clinical recognizer pack), built once."""
    from agent.deid.detector import get_detector

    return get_detector()


@pytest.fixture(scope="session")
def find_phi(deid_detector):
    """``find_phi(text) -> [(type, surface)]`` with the packaged detector."""

    def _find(text: str) -> list[tuple[str, str]]:
        return [(s.entity_type, text[s.start:s.end]) for s in deid_detector.detect(text)]

    return _find


@pytest.fixture(scope="session")
def demo_extractions(extractor):
    """The demo notes and their deterministic extractions: (notes, {note_id: extraction})."""
    from evals.synthetic import load_notes

    notes = load_notes()
    return notes, {n.note_id: extractor.extract_note(n) for n in notes}


@pytest.fixture(scope="session")
def demo_record(demo_extractions, extractor):
    """``demo_record(pid)``: the prepared ``PatientRecord`` of a demo patient (cached)."""
    from agent.patient import PatientRecord
    from agent.rules import Rules

    notes, extractions = demo_extractions
    cache = {}

    def record(pid: str):
        if pid not in cache:
            mine = [n for n in notes if n.patient_id == pid]
            cache[pid] = PatientRecord.prepare(mine, extractor, Rules.load(),
                                               extractions=[extractions[n.note_id]
                                                            for n in mine])
        return cache[pid]

    return record
