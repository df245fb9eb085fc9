"""``clinagent extract --llm``: option handling and clear errors (no model needed)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from agent.cli import app
from agent.config import LLMSettings, get_settings


def _invoke(args):
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, args)
    finally:
        get_settings.cache_clear()


def _note_file(tmp_path):
    path = tmp_path / "n.jsonl"
    path.write_text('{"patient_id": "p1", "note_id": "n1", "text": "HPI: chest pain."}\n')
    return path


def test_when_base_url_without_model_then_config_error(tmp_path):
    res = _invoke(["extract", str(_note_file(tmp_path)), "--llm-base-url",
                   "http://127.0.0.1:9/v1"])
    assert res.exit_code == 2
    assert "--llm-model" in res.output


def test_when_server_down_then_exit_2_naming_url_and_nothing_written(tmp_path, unused_port,
                                                                     monkeypatch):
    monkeypatch.setenv("CLINAGENT_LLM__HTTP_RETRIES", "0")
    url = f"http://127.0.0.1:{unused_port}/v1"
    out = tmp_path / "out.jsonl"
    res = _invoke(["extract", str(_note_file(tmp_path)), "--llm-base-url", url,
                   "--llm-model", "m", "-o", str(out)])
    assert res.exit_code == 2
    assert url in res.output and "cannot connect" in res.output
    assert not out.exists()


def test_when_fallback_local_without_local_model_then_settings_rejected():
    with pytest.raises(ValidationError, match="fallback='local' needs a local model"):
        LLMSettings(backend="openai_compat", base_url="http://x/v1", model="m",
                    fallback="local", gguf_path=None)


def test_when_openai_compat_without_model_then_settings_rejected():
    with pytest.raises(ValidationError, match="needs llm.base_url and llm.model"):
        LLMSettings(backend="openai_compat", base_url="http://x/v1")


@pytest.mark.parametrize("llm_args", [["--llm"], ["--llm-base-url", "http://127.0.0.1:9/v1",
                                                   "--llm-model", "m"]])
def test_when_workers_with_llm_then_exit_2_saying_why_and_nothing_written(tmp_path,
                                                                          llm_args):
    out = tmp_path / "out.jsonl"
    res = _invoke(["extract", str(_note_file(tmp_path)), "--workers", "2", *llm_args,
                   "-o", str(out)])
    assert res.exit_code == 2
    assert "--workers cannot be combined with --llm" in res.output
    assert "CLINAGENT_LLM__CONCURRENCY" in res.output
    assert not out.exists()
