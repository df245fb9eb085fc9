"""The OpenAPI document is the contract: schemathesis runs all its checks (server errors,
status codes, content types, headers, response schemas, negative and positive data, auth,
unsupported methods) against a real ``clinagent serve`` for a bounded number of examples
per operation, with 0 failures.

The server runs with the LLM backend unreachable (a closed port, no retries), so the LLM
routes answer extractively and fast; a de-id secret, so every de-id mode is served; and the
failed-auth limit off, since the auth check sends many requests without a key. The
configuration (and how to run it by hand) is in ``schemathesis.toml`` beside this file.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.process

CLI = str(Path(sys.executable).with_name("clinagent"))
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CONFIG = Path(__file__).with_name("schemathesis.toml")
MAX_EXAMPLES = 5


@pytest.fixture(scope="module")
def server(tmp_path_factory, servers, demo):
    folder = tmp_path_factory.mktemp("contract")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINAGENT_")}
    env.update(CLINAGENT_API__DATA_DIR=str(folder / "data"),
               CLINAGENT_API__RATE_LIMIT_PER_MINUTE="100000",
               CLINAGENT_API__RATE_LIMIT_BURST="10000",
               CLINAGENT_API__AUTH_FAILURE_LIMIT="0",
               CLINAGENT_LLM__BACKEND="openai_compat",
               CLINAGENT_LLM__BASE_URL="http://127.0.0.1:9/v1", CLINAGENT_LLM__MODEL="m",
               CLINAGENT_LLM__HTTP_RETRIES="0",
               CLINAGENT_DEID__SECRET="contract-test-secret-0123456789abcdef")
    minted = subprocess.run([CLI, "keys", "create", "--scope", "*,admin", "--patient", "*",
                             "--name", "contract", "--format", "json"], cwd=folder, env=env,
                            capture_output=True, text=True, timeout=120, check=True)
    key = json.loads(minted.stdout)["key"]
    url = f"http://127.0.0.1:{servers.free_port()}"
    log = folder / "serve.log"
    proc = servers.start([CLI, "serve", "--port", url.rsplit(":", 1)[1]], url + "/readyz",
                         log=log, what="clinagent serve", cwd=folder, env=env)
    headers = {"Authorization": f"Bearer {key}"}
    r = httpx.post(url + "/v1/notes", json={"notes": demo("P001")}, headers=headers,
                   timeout=300)
    assert r.status_code == 200, r.text
    yield {"url": url, "key": key, "log": log, "folder": folder}
    servers.stop(proc)


@pytest.mark.skipif(not SCHEMATHESIS.exists(), reason="schemathesis is in the dev extra "
                    "(pip install -e '.[dev]')")
def test_openapi_contract_holds_against_a_real_server(server):
    cmd = [str(SCHEMATHESIS), "--config-file", str(CONFIG), "--no-color", "run",
           # Every check runs by default; `--checks all` would override the per-operation
           # exceptions in the configuration file.
           server["url"] + "/openapi.json",
           "--phases", "examples,coverage,fuzzing", "--max-examples", str(MAX_EXAMPLES),
           "--seed", "1", "--workers", "1", "--request-timeout", "60",
           "--header", f"Authorization: Bearer {server['key']}"]
    run = subprocess.run(cmd, cwd=server["folder"], capture_output=True, text=True,
                         timeout=240)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-8000:]
    counts = re.search(r"(\d+) generated, (\d+) passed", out)
    assert counts, out[-3000:]
    generated, passed = map(int, counts.groups())
    assert generated == passed and generated >= 15 * MAX_EXAMPLES, out[-3000:]
    # Every answer was a documented one: no 500 reached the log either.
    assert "unexpected " not in server["log"].read_text(errors="replace")
