"""The clinician web page in a real headless chromium against a real ``clinagent serve``.

The server runs as a subprocess on a free 127.0.0.1 port with a temporary database and a
minted API key; P001's demo notes are ingested through ``POST /v1/notes``. The page is then
used as a clinician would: enter the key, pick the patient, request the handoff (a
background job here, so the polling path runs), open a citation, ask a question.

Set ``CLINAGENT_WEB_SCREENSHOTS=out`` to keep screenshots of the page.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
NOTES_FILE = Path("evals/data/synthetic/notes.jsonl")
PATIENT = "P001"
VERDICT = re.compile(r"^(SUPPORTED|UNSUPPORTED|NOT_CHECKABLE|NOT VERIFIED|CONTRADICTED: .+)$")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.process,
    pytest.mark.skipif(not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
                       reason="needs Debian's chromium and chromium-driver "
                       "(/usr/bin/chromium, /usr/bin/chromedriver)"),
]


def _clinagent() -> list[str]:
    script = Path(sys.executable).with_name("clinagent")
    return [str(script)] if script.exists() else [sys.executable, "-c",
                                                  "from agent.cli import app; app()"]


def _demo_notes() -> list[dict]:
    return [n for n in map(json.loads, NOTES_FILE.read_text(encoding="utf-8").splitlines())
            if n["patient_id"] == PATIENT]


@pytest.fixture(scope="module")
def server(tmp_path_factory, servers) -> Iterator[dict]:
    folder = tmp_path_factory.mktemp("web")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINAGENT_")}
    # Two notes at most run synchronously: P001's six go through a job the page polls.
    env.update(CLINAGENT_API__DATA_DIR=str(folder / "data"),
               CLINAGENT_API__SYNC_HANDOFF_MAX_NOTES="2", PYTHONPATH=str(Path.cwd()))
    minted = subprocess.run([*_clinagent(), "keys", "create", "--scope", "*", "--patient",
                             PATIENT, "--name", "web-test", "--format", "json"],
                            cwd=folder, env=env, capture_output=True, text=True, timeout=120)
    assert minted.returncode == 0, minted.stderr
    key = json.loads(minted.stdout)["key"]
    port = servers.free_port()
    base = f"http://127.0.0.1:{port}"
    proc = servers.start([*_clinagent(), "serve", "--port", str(port)], base + "/healthz",
                         log=folder / "serve.log", timeout_s=120, what="clinagent serve",
                         cwd=folder, env=env)
    notes = _demo_notes()
    ingest = httpx.post(f"{base}/v1/notes", json={"notes": notes}, timeout=300,
                        headers={"Authorization": f"Bearer {key}"})
    assert ingest.status_code == 200, ingest.text
    assert ingest.json()["accepted"] == len(notes)
    yield {"base": base, "key": key, "notes": {n["note_id"]: n for n in notes},
           "log": folder / "serve.log"}
    servers.stop(proc, timeout_s=20)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless chromium driven through chromedriver."""
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--window-size=1280,1600",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _screenshot(driver, name: str, tmp_path: Path) -> None:
    folder = Path(os.environ.get("CLINAGENT_WEB_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(folder / name))


def _wait(driver, condition, timeout: float, server: dict, what: str):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.25).until(condition)
    except TimeoutException:
        status = driver.find_element("id", "status").get_attribute("textContent")
        log = server["log"].read_text()[-2000:]
        raise AssertionError(f"timed out waiting for {what}; page status: {status!r}; "
                             f"server log tail:\n{log}") from None


def _open_citation_and_check(driver, server, container) -> None:
    """Open the first citation under ``container``; the highlight must be the cited span."""
    from selenium.webdriver.common.by import By

    citation = container.find_element(By.CSS_SELECTOR, "details.citation")
    citation.find_element(By.TAG_NAME, "summary").click()
    mark = _wait(driver, lambda d: citation.find_elements(By.CSS_SELECTOR, "mark.cited"), 30,
                 server, "the cited passage")[0]
    note_id = citation.get_attribute("data-note-id")
    start, end = int(citation.get_attribute("data-start")), int(citation.get_attribute("data-end"))
    assert mark.get_attribute("textContent") == server["notes"][note_id]["text"][start:end]
    assert mark.is_displayed()


def test_when_clinician_requests_handoff_then_statements_flags_and_passages_render(
        server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver = browser
    driver.get(server["base"] + "/")
    assert driver.title.startswith("clinagent")
    driver.find_element(By.ID, "api-key").send_keys(server["key"])
    driver.find_element(By.ID, "save-key").click()
    _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR,
                                            f"#patient-select option[value='{PATIENT}']"),
          30, server, "the patient list")
    assert driver.execute_script("return sessionStorage.getItem('clinagent.apiKey')") \
        == server["key"]
    Select(driver.find_element(By.ID, "patient-select")).select_by_value(PATIENT)
    driver.find_element(By.ID, "request-handoff").click()
    _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "li.statement"), 300, server,
          "the handoff statements")

    statements = driver.find_elements(By.CSS_SELECTOR, "li.statement")
    assert len(statements) >= 5
    sections = driver.find_elements(By.CSS_SELECTOR, "section.ipass-section h3")
    assert [s.text for s in sections][:2] == ["Illness severity", "Patient summary"]
    badges = [b.text for b in driver.find_elements(By.CSS_SELECTOR, "li.statement .verdict")]
    assert len(badges) == len(statements)
    assert all(VERDICT.match(b) for b in badges), badges
    assert "SUPPORTED" in badges
    # The flag is coloured by verdict (not only text).
    supported = driver.find_element(By.CSS_SELECTOR, ".verdict-SUPPORTED")
    assert supported.value_of_css_property("background-color") not in ("rgba(0, 0, 0, 0)", "")
    assert "ready" in driver.find_element(By.ID, "status").text

    cited = next(s for s in statements
                 if s.find_elements(By.CSS_SELECTOR, "details.citation"))
    _open_citation_and_check(driver, server, cited)
    _screenshot(driver, "web_handoff.png", tmp_path)

    question = driver.find_element(By.ID, "chat-question")
    question.send_keys("What is the furosemide dose?")
    driver.find_element(By.ID, "chat-send").click()
    _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "li.answer-sentence"), 120,
          server, "the chat answer")
    sentences = driver.find_elements(By.CSS_SELECTOR, "li.answer-sentence")
    assert any("furosemide" in s.text.lower() for s in sentences)
    answered = next(s for s in sentences if s.find_elements(By.CSS_SELECTOR, "details.citation"))
    assert VERDICT.match(answered.find_element(By.CSS_SELECTOR, ".verdict").text)
    _open_citation_and_check(driver, server, answered)
    driver.execute_script("document.getElementById('chat-panel').scrollIntoView()")
    _screenshot(driver, "web_chat.png", tmp_path)


def test_when_key_is_wrong_then_page_says_so_and_lists_no_patient(server, browser):
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get(server["base"] + "/")
    driver.execute_script("sessionStorage.clear()")
    driver.refresh()
    field = driver.find_element(By.ID, "api-key")
    field.clear()
    field.send_keys("ck_wrong_key")
    driver.find_element(By.ID, "save-key").click()
    status = _wait(driver, lambda d: "Could not list patients" in d.find_element(
        By.ID, "status").text and d.find_element(By.ID, "status"), 30, server, "the error")
    assert "401" in status.text
    assert driver.find_element(By.ID, "patient-select").get_attribute("disabled")


def test_when_text_holds_markup_then_page_shows_it_as_text(server, browser):
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get(server["base"] + "/")
    hostile = '<img src=x onerror="window.__injected=1">furosemide'
    driver.execute_script(
        "renderAnswer(arguments[0], {patient_id: 'P001', mode: 'extractive', passages: [],"
        " flags: [arguments[0]], sentences: [{text: arguments[0], citations: [],"
        " verification: {verdict: 'UNSUPPORTED', reasons: [], detail: arguments[0]}}]})",
        hostile)
    answer = driver.find_element(By.ID, "chat-answer")
    assert answer.find_elements(By.TAG_NAME, "img") == []
    assert hostile in answer.get_attribute("textContent")
    assert driver.execute_script("return window.__injected === undefined")


def test_when_handoff_was_built_from_partial_input_then_page_opens_with_the_banner(
        server, browser):
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get(server["base"] + "/")
    summary = {"patient_id": PATIENT, "mode": "extractive", "generated_at": "2026-03-14T09:30",
               "note_ids": ["P001-01"], "statements": [], "omissions": [], "flags": [],
               "provenance": {"producer": "clinagent", "package_version": "0"},
               "input_issues": [{"source": "notes.jsonl", "line": 2, "field": None,
                                 "problem": "malformed JSON (<b>x</b>)", "patient_id": None}]}
    driver.execute_script("renderHandoff(arguments[0])", summary)
    banner = driver.find_element(By.ID, "input-issues")
    assert banner.is_displayed()
    assert "PARTIAL INPUT" in banner.text and "1 input line(s)" in banner.text
    assert "notes.jsonl line 2: malformed JSON (<b>x</b>)" in banner.text  # text, not markup
    summary["input_issues"] = []
    driver.execute_script("renderHandoff(arguments[0])", summary)
    assert not driver.find_element(By.ID, "input-issues").is_displayed()
