"""The clinician web page on demo data: a real ``clinagent serve`` with the synthetic notes of
one patient, and headless chromium driving the page as a clinician would.

One home for the server and browser setup of the page's browser test
(``tests/agent/api/test_web_page.py``) and of the screenshots command
(``python -m evals.screenshots``). The notes are synthetic (``evals/data/synthetic``).
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
NOTES_FILE = Path("evals/data/synthetic/notes.jsonl")
AXE_FILE = Path(".venv/npm/node_modules/axe-core/axe.min.js")
AXE_INSTALL = "npm install --no-audit --no-fund --prefix .venv/npm axe-core@4.14.1"
DESKTOP = (1280, 900)
# A later synthetic progress note of P001: a handoff after it differs from the one before.
LATER_NOTE = {
    "patient_id": "P001", "note_id": "P001-W1", "note_type": "progress_note",
    "date": "2026-03-17",
    "text": "Hospital Medicine Progress Note  HD#4  03/17/2026\n"
            "Pursglove, Wendell  MRN 00482913\n\n"
            "S: Walked the hallway twice. No dyspnea at rest.\n\n"
            "A/P:\n1. Acute on chronic HFrEF: euvolemic. Furosemide changed to 40 mg PO daily.\n"
            "2. Gout flare R great toe: colchicine 0.6 mg PO daily, improving.\n",
}
TABLET = (820, 1180)


def has_browser() -> bool:
    """Whether Debian's chromium and chromium-driver are installed."""
    return CHROMIUM.exists() and CHROMEDRIVER.exists()


def demo_notes(patient: str, notes_file: Path = NOTES_FILE) -> list[dict]:
    """The synthetic notes of ``patient``."""
    rows = map(json.loads, notes_file.read_text(encoding="utf-8").splitlines())
    return [n for n in rows if n["patient_id"] == patient]


def clinagent_command() -> list[str]:
    """The ``clinagent`` entry point of this interpreter's environment."""
    script = Path(sys.executable).with_name("clinagent")
    return [str(script)] if script.exists() else [sys.executable, "-c",
                                                  "from agent.cli import app; app()"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(log: Path, chars: int = 3000) -> str:
    return log.read_text(errors="replace")[-chars:] if log.exists() else "(no log)"


@dataclass
class DemoServer:
    """A running ``clinagent serve`` holding one patient's demo notes."""

    base: str
    key: str
    patient: str
    notes: dict[str, dict]
    log: Path
    env: dict[str, str] = field(repr=False)

    def ingest(self, notes: list[dict]) -> None:
        """Store more notes through ``POST /v1/notes``."""
        reply = httpx.post(f"{self.base}/v1/notes", json={"notes": notes}, timeout=300,
                           headers={"Authorization": f"Bearer {self.key}"})
        if reply.status_code != 200 or reply.json()["accepted"] != len(notes):
            raise RuntimeError(f"ingest failed: HTTP {reply.status_code}")
        self.notes.update({n["note_id"]: n for n in notes})


def stop_process_group(proc: subprocess.Popen, timeout_s: float = 20) -> None:
    """Terminate a server's process group (servers such as vLLM spawn workers), then kill
    it if it is still there after ``timeout_s``."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


@contextmanager
def demo_server(folder: Path, patient: str = "P001", *, sync_max_notes: int = 2,
                timeout_s: float = 180) -> Iterator[DemoServer]:
    """Start ``clinagent serve`` on a temporary database in ``folder`` with a key for
    ``patient`` and the patient's demo notes ingested; stop it on exit.

    Args:
        folder: an empty folder for the database, the index and the server log.
        patient: the demo patient.
        sync_max_notes: handoffs of more notes run as a background job (the page polls it).
        timeout_s: how long the server may take to become ready.

    Raises:
        RuntimeError: the key could not be minted or the server did not start (the log's
            tail says why).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINAGENT_")}
    env.update(CLINAGENT_API__DATA_DIR=str(folder / "data"),
               CLINAGENT_API__SYNC_HANDOFF_MAX_NOTES=str(sync_max_notes),
               PYTHONPATH=str(Path.cwd()))
    minted = subprocess.run([*clinagent_command(), "keys", "create", "--scope", "*",
                             "--patient", patient, "--name", "demo-clinician", "--format",
                             "json"], cwd=folder, env=env, capture_output=True, text=True,
                            timeout=120)
    if minted.returncode != 0:
        raise RuntimeError(f"clinagent keys create failed:\n{minted.stderr[-2000:]}")
    key = json.loads(minted.stdout)["key"]
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = folder / "serve.log"
    with open(log, "ab") as sink:
        proc = subprocess.Popen([*clinagent_command(), "serve", "--port", str(port)],
                                stdout=sink, stderr=subprocess.STDOUT, cwd=folder, env=env,
                                start_new_session=True)
    try:
        _wait_ready(proc, base + "/healthz", log, timeout_s)
        server = DemoServer(base=base, key=key, patient=patient, notes={}, log=log, env=env)
        server.ingest(demo_notes(patient))
        yield server
    finally:
        stop_process_group(proc)


def _wait_ready(proc: subprocess.Popen, url: str, log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"clinagent serve exited with {proc.returncode}:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:  # refused while starting
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"clinagent serve not ready in {timeout_s:.0f} s:\n{_tail(log)}")
        time.sleep(0.5)


@contextmanager
def headless_chromium(profile: Path, size: tuple[int, int] = DESKTOP) -> Iterator[Any]:
    """Debian's chromium through chromedriver (selenium 4), headless, quit on exit."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                 f"--window-size={size[0]},{size[1]}", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


class WebPage:
    """The clinician page in ``driver``, used as a clinician would (by ids and roles)."""

    def __init__(self, driver, server: DemoServer) -> None:
        self.driver = driver
        self.server = server

    def wait(self, condition: Callable, timeout: float, what: str):
        """Wait for ``condition(driver)``; on timeout fail with the page status and log."""
        from selenium.common.exceptions import TimeoutException
        from selenium.webdriver.support.ui import WebDriverWait

        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.25).until(condition)
        except TimeoutException:
            status = self.driver.find_element("id", "status").get_attribute("textContent")
            raise AssertionError(f"timed out waiting for {what}; page status: {status!r}; "
                                 f"server log tail:\n{_tail(self.server.log, 2000)}") from None

    def css(self, selector: str, within=None) -> list:
        return (within or self.driver).find_elements("css selector", selector)

    def wait_css(self, selector: str, timeout: float = 30, what: str | None = None) -> list:
        return self.wait(lambda d: self.css(selector), timeout, what or selector)

    def open(self) -> None:
        """Load the page with the demo key and patient chosen."""
        from selenium.webdriver.support.ui import Select

        self.driver.get(self.server.base + "/")
        self.driver.execute_script("sessionStorage.clear()")
        self.driver.refresh()
        self.driver.find_element("id", "api-key").send_keys(self.server.key)
        self.driver.find_element("id", "save-key").click()
        self.wait_css(f"#patient-select option[value='{self.server.patient}']", 30,
                      "the patient list")
        Select(self.driver.find_element("id", "patient-select")).select_by_value(
            self.server.patient)
        self.wait_css("#patient-banner:not([hidden]) .banner-patient-name", 60, "the banner")

    def tab(self, view: str):
        """Show a view by clicking its tab."""
        self.driver.find_element("id", f"tab-{view}").click()
        return self.driver.find_element("id", f"view-{view}")

    def request_handoff(self, timeout: float = 300) -> list:
        """Request a handoff and wait until its statements show (after any earlier one)."""
        before = self.driver.execute_script(
            "return document.getElementById('handoff-meta').textContent")
        self.driver.find_element("id", "request-handoff").click()
        self.wait(lambda d: self.css("li.statement") and "ready" in d.find_element(
            "id", "status").text and d.find_element("id", "handoff-meta").text != before,
            timeout, "the handoff statements")
        return self.css("li.statement")

    def ask(self, question: str, timeout: float = 120):
        """Ask a question; returns the answer block once the stream is done."""
        field = self.driver.find_element("id", "chat-question")
        field.clear()
        field.send_keys(question)
        self.driver.find_element("id", "chat-send").click()
        return self.wait(lambda d: (blocks := self.css("#chat-answer article.qa"))
                         and blocks[0].get_attribute("aria-busy") == "false" and blocks[0],
                         timeout, "the chat answer")

    def screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(path))

    def print_pdf(self) -> bytes:
        """The page printed by chromium (print CSS), as PDF bytes."""
        from selenium.webdriver.common.print_page_options import PrintOptions

        options = PrintOptions()
        options.page_width = 21.59  # US Letter, cm: the taller A4 then fits too
        options.page_height = 27.94
        return base64.b64decode(self.driver.print_page(options))

    def axe_violations(self, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict]:
        """Run axe-core in the page; the violations of ``impacts`` (id, impact, targets)."""
        self.driver.execute_script(AXE_FILE.read_text(encoding="utf-8"))
        result = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations']})"
            ".then((r) => done(r.violations.map((v) => ({id: v.id, impact: v.impact,"
            " help: v.help, targets: v.nodes.slice(0, 5).map((n) => n.target.join(' '))}))))"
            ".catch((e) => done([{id: 'axe-error', impact: 'critical', help: String(e),"
            " targets: []}]));")
        return [v for v in result if v["impact"] in impacts]
