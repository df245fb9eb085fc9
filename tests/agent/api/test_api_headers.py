"""Security headers on every response, ``Cache-Control: no-store`` on every /v1 response, and
/docs from packaged files under the same Content-Security-Policy as the web page."""

from __future__ import annotations

import re
import threading
import time
from importlib import resources
from pathlib import Path

import pytest

from agent.api.headers import CONTENT_SECURITY_POLICY

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def _assert_security_headers(r) -> None:
    assert r.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"


# fmt: off
@pytest.mark.parametrize("method, path, auth, status", [
    ("GET", "/", False, 200),
    ("GET", "/app.js", False, 200),
    ("GET", "/healthz", False, 200),
    ("GET", "/readyz", False, 200),
    ("GET", "/metrics", False, 200),
    ("GET", "/openapi.json", False, 200),
    ("GET", "/docs", False, 200),
    ("GET", "/docs/assets/swagger-ui-bundle.js", False, 200),
    ("GET", "/nope", False, 404),
    ("GET", "/v1/patients", False, 401),
    ("GET", "/v1/patients", True, 200),
    ("GET", "/v1/patients/P001/notes", True, 200),
    ("GET", "/v1/patients/P404/notes", True, 404),
    ("DELETE", "/v1/notes", True, 405),
])
# fmt: on
def test_every_response_has_the_security_headers(api, method, path, auth, status):
    r = api.client.request(method, path, headers=api.admin if auth else {})
    assert r.status_code == status
    _assert_security_headers(r)
    if path.startswith("/v1/"):
        assert r.headers["cache-control"] == "no-store"


def test_413_and_422_carry_the_headers_and_no_store(api):
    big = {"notes": [{"patient_id": "P001", "note_id": "big", "text": "x" * 300_000}]}
    r = api.client.post("/v1/notes", json=big, headers=api.admin)
    assert r.status_code == 413
    _assert_security_headers(r)
    assert r.headers["cache-control"] == "no-store"
    r = api.client.post("/v1/chat", json={"patient_id": "P001"}, headers=api.admin)
    assert r.status_code == 422 and r.headers["cache-control"] == "no-store"


def test_streamed_chat_is_no_store_not_no_cache(api):
    r = api.client.post("/v1/chat", json={"patient_id": "P001", "question": "Any allergies?",
                                          "stream": True}, headers=api.admin)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    assert r.headers.get_list("cache-control") == ["no-store"]


def _references(html: str) -> list[str]:
    return re.findall(r'(?:src|href|data-openapi-url)="([^"]*)"', html)


def test_docs_page_loads_only_packaged_files(api):
    r = api.client.get("/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "://" not in r.text and "//cdn" not in r.text
    refs = _references(r.text)
    assert refs and all(ref.startswith("/") or ref.startswith("data:") for ref in refs)
    for ref in refs:
        if ref.startswith("/"):
            asset = api.client.get(ref)
            assert asset.status_code == 200, ref
    init = api.client.get("/docs/assets/init.js").text
    assert "://" not in init and "validatorUrl: null" in init
    assert api.client.get("/docs/assets/../main.py").status_code == 404
    assert api.client.get("/docs/assets/swagger-ui.js.map").status_code == 404
    assert api.client.get("/redoc").status_code == 404


def test_when_docs_disabled_then_no_docs_but_the_openapi_document(tmp_path, extractor,
                                                                  fake_embedder):
    from fastapi.testclient import TestClient

    from agent.api.main import create_app
    from agent.api.services import Services
    from agent.config import Settings

    settings = Settings(api={"data_dir": tmp_path, "has_docs": False})
    services = Services(settings, extractor=extractor, embedder=fake_embedder)
    with TestClient(create_app(settings, services=services)) as client:
        assert client.get("/docs").status_code == 404
        assert client.get("/docs/assets/init.js").status_code == 404
        assert client.get("/openapi.json").status_code == 200


# fmt: off
@pytest.mark.parametrize("package, name", [
    ("agent.api", "static/index.html"),
    ("agent.api", "docs_ui/index.html"),
])
# fmt: on
def test_pages_need_nothing_the_policy_blocks(package, name):
    html = resources.files(package).joinpath(name).read_text(encoding="utf-8")
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts and all("src=" in attrs and not body.strip() for attrs, body in scripts)
    assert not re.search(r"\sstyle=|<style|\son[a-z]+=", html)
    assert "://" not in html


@pytest.fixture(scope="module")
def live(api):
    """The module's app on a real socket (uvicorn in a thread; the lifespan already ran)."""
    import socket

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(api.client.app, host="127.0.0.1", port=port,
                                           lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.mark.browser
@pytest.mark.skipif(not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
                    reason="needs Debian's chromium and chromium-driver")
def test_docs_and_web_page_render_under_the_policy_in_chromium(live, tmp_path):
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        driver.get(live + "/docs")
        ops = WebDriverWait(driver, 60).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock-summary-path"))
        assert any("/v1/notes" in o.text for o in ops)
        ops[0].click()  # expand an operation: its schemas and examples render too
        time.sleep(1)
        messages = [e["message"] for e in driver.get_log("browser")]
        driver.get(live + "/")
        WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, "api-key"))
        messages += [e["message"] for e in driver.get_log("browser")]
    finally:
        driver.quit()
    assert [m for m in messages if "Content Security Policy" in m] == []


def test_with_cors_then_preflight_passes_the_gate_and_401_carries_cors(tmp_path, extractor,
                                                                       fake_embedder):
    from fastapi.testclient import TestClient

    from agent.api.main import create_app
    from agent.api.services import Services
    from agent.config import Settings

    origin = "https://ehr.example"
    settings = Settings(api={"data_dir": tmp_path, "cors_origins": [origin]})
    services = Services(settings, extractor=extractor, embedder=fake_embedder)
    with TestClient(create_app(settings, services=services)) as client:
        r = client.options("/v1/notes", headers={"Origin": origin,
                                                 "Access-Control-Request-Method": "POST"})
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == origin
        r = client.get("/v1/patients", headers={"Origin": origin})
        assert r.status_code == 401
        assert r.headers["access-control-allow-origin"] == origin
        _assert_security_headers(r)
