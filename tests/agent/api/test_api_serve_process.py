"""``clinagent serve`` as a real process: a note acknowledged before SIGKILL is there after
the restart (and indexed), and a full session over the demo corpus writes no PHI to the
logs (the values of evals/data/synthetic/gold_phi.jsonl)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.process

CLI = str(Path(sys.executable).with_name("clinagent"))


class Server:
    """One ``clinagent serve`` data folder, started, killed and restarted by the tests."""

    def __init__(self, folder: Path, servers, *, workers: int = 1) -> None:
        self.folder = folder
        self.servers = servers
        self.workers = workers
        self.env = {**os.environ, "CLINAGENT_API__DATA_DIR": str(folder / "data"),
                    "CLINAGENT_API__RATE_LIMIT_PER_MINUTE": "100000",
                    "CLINAGENT_API__RATE_LIMIT_BURST": "10000"}
        self.proc = None
        self.logs: list[Path] = []
        self.url = ""

    def start(self) -> None:
        port = self.servers.free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.logs.append(self.folder / f"serve-{len(self.logs)}.log")
        self.proc = self.servers.start([CLI, "-v", "serve", "--port", str(port),
                                        "--workers", str(self.workers)],
                                       self.url + "/readyz", log=self.logs[-1],
                                       what="clinagent serve", cwd=self.folder, env=self.env)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None:
            self.servers.stop(self.proc)

    def create_key(self) -> dict[str, str]:
        """Mint an all-scopes key for this data folder; returns its request headers."""
        # admin too: /readyz shows its per-check details to admin keys only.
        out = subprocess.run([CLI, "keys", "create", "--scope", "*,admin", "--patient", "*",
                              "--name", "test", "--format", "json"], cwd=self.folder,
                             env=self.env, capture_output=True, text=True, check=True)
        return {"Authorization": f"Bearer {json.loads(out.stdout)['key']}"}


@pytest.fixture(scope="module")
def server(tmp_path_factory, servers):
    folder = tmp_path_factory.mktemp("serve")
    srv = Server(folder, servers)
    srv.headers = srv.create_key()
    yield srv
    srv.stop()


def test_kill_after_ack_then_restart_loses_no_note(server, demo):
    server.start()
    acked: dict[str, str] = {}
    notes = demo()
    for pid in sorted({n["patient_id"] for n in notes}):
        batch = [n for n in notes if n["patient_id"] == pid]
        r = httpx.post(server.url + "/v1/notes", json={"notes": batch},
                       headers=server.headers, timeout=300)
        assert r.status_code == 200, r.text
        acked.update({n["note_id"]: n["text"] for n in batch})
    # One more note acknowledged right before SIGKILL: no graceful shutdown, no flush.
    last = {"patient_id": "P001", "note_id": "P001-last", "text": "Afebrile overnight."}
    r = httpx.post(server.url + "/v1/notes", json={"notes": [last]}, headers=server.headers,
                   timeout=60)
    assert r.status_code == 200
    acked[last["note_id"]] = last["text"]
    server.kill()

    server.start()
    found = {}
    for pid in sorted({n["patient_id"] for n in notes}):
        r = httpx.get(f"{server.url}/v1/patients/{pid}/notes", headers=server.headers)
        found.update({n["note_id"]: n["text"] for n in r.json()["notes"]})
    assert found == acked
    ready = httpx.get(server.url + "/readyz", headers=server.headers).json()
    assert ready["checks"]["index"]["detail"].startswith(f"{len(acked)} notes")


def _phi_values() -> set[str]:
    values = set()
    for line in Path("evals/data/synthetic/gold_phi.jsonl").read_text().splitlines():
        for span in json.loads(line)["phi"]:
            # Short dates ("3/14") and ages also occur as doses and lab values; names of
            # any length, and every longer value, must never appear.
            if span["type"] == "NAME" or len(span["text"]) >= 5:
                values.add(span["text"])
    return values


def test_full_session_writes_no_phi_to_logs(server, demo):
    assert server.proc is not None and server.proc.poll() is None, "runs after the kill test"
    url, h = server.url, server.headers
    notes = demo()
    first = notes[0]
    calls = [
        ("POST", "/v1/extract", {"text": first["text"], "note_id": first["note_id"]}),
        ("POST", "/v1/deid", {"text": first["text"], "mode": "redact"}),
        ("POST", "/v1/chat", {"patient_id": "P001", "question": "What is the apixaban dose "
                              "for Wendell Pursglove?"}),
        ("POST", "/v1/chat", {"patient_id": "P002", "question": "Why was the patient "
                              "admitted?", "stream": True}),
        ("POST", "/v1/chat/completions", {"model": "clinagent:P003", "messages": [
            {"role": "user", "content": "Any allergies?"}]}),
        ("POST", "/v1/patients/P001/handoff", {"format": "markdown", "run": "sync"}),
        ("POST", "/v1/verify", {"patient_id": "P001", "summary":
                                "- Wendell Pursglove takes apixaban 5 mg BID."}),
        # Failing requests whose bodies hold PHI.
        ("POST", "/v1/extract", '{"text": "Pursglove, Wendell T. MRN 00482913'),
        ("POST", "/v1/chat", {"patient_id": "P001", "question": "x", "k": "Pursglove"}),
        ("POST", "/v1/notes", {"notes": [{"patient_id": "P001", "note_id": "bad",
                                          "date": "07/22/1951", "text": "Pursglove"}]}),
    ]
    for method, path, body in calls:
        kwargs = {"content": body} if isinstance(body, str) else {"json": body}
        r = httpx.request(method, url + path, headers={**h, "Content-Type":
                                                         "application/json"},
                          timeout=300, **kwargs)
        assert r.status_code < 500, (path, r.status_code, r.text[:300])
    assert httpx.get(url + "/v1/patients/P001/notes").status_code == 401
    server.stop()
    logs = "\n".join(p.read_text(errors="replace") for p in server.logs)
    assert "POST /v1/notes 200" in logs  # the access log was written at all
    leaked = sorted(v for v in _phi_values()
                    if re.search(r"(?<![\w])" + re.escape(v) + r"(?![\w])", logs))
    assert leaked == []
    # Patient ids are often MRNs: logs and metrics carry route templates and counts only.
    assert sorted(set(re.findall(r"\bP00\d\b", logs))) == []
