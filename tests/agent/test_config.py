"""Settings: env variables, misspelled keys, paths that must exist, RxNorm plug-in."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from agent.cli import app
from agent.config import Settings, get_settings

RRF_ROWS = [
    "6918|ENG||||||||||RXNORM|IN|6918|metoprolol|||N||",
    "202991|ENG||||||||||RXNORM|BN|202991|Lasix|||N||",
]


def _invoke_fresh_settings(args: list[str]):
    """Run the CLI with settings re-read from the (monkeypatched) environment."""
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, args)
    finally:
        get_settings.cache_clear()


def test_when_nested_env_variable_set_then_setting_is_read(monkeypatch):
    monkeypatch.setenv("CLINAGENT_EXTRACTION__MAX_CODES", "3")
    assert Settings().extraction.max_codes == 3


def test_when_key_is_misspelled_in_env_file_then_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "clinagent.env").write_text("CLINAGENT_EXTRACTON__MAX_CODES=3\n")
    with pytest.raises(ValidationError, match="extra"):
        Settings()


def test_when_rxnorm_path_does_not_exist_then_error_names_the_fix(tmp_path):
    with pytest.raises(ValidationError, match="does not exist"):
        Settings(extraction={"rxnorm_path": tmp_path / "RXNCONSO.RRF"})


def test_when_setting_is_invalid_then_cli_exits_2_with_the_setting_name(tmp_path, monkeypatch):
    monkeypatch.setenv("CLINAGENT_EXTRACTION__MAX_CODES", "many")
    notes = tmp_path / "n.txt"
    notes.write_text("HTN")
    result = _invoke_fresh_settings(["extract", str(notes)])
    assert result.exit_code == 2
    assert "extraction.max_codes" in result.output


def test_when_rxnorm_file_configured_then_extract_adds_rxnorm_codes(tmp_path, monkeypatch):
    rrf = tmp_path / "RXNCONSO.RRF"
    rrf.write_text("\n".join(RRF_ROWS) + "\n")
    monkeypatch.setenv("CLINAGENT_EXTRACTION__RXNORM_PATH", str(rrf))
    notes = tmp_path / "n.txt"
    notes.write_text("Lasix 40 mg IV daily; metoprolol 25 mg PO BID")
    result = _invoke_fresh_settings(["extract", str(notes)])
    assert result.exit_code == 0, result.output
    ents = json.loads(result.stdout.splitlines()[0])["entities"]
    rx = {e["text"]: [c["code"] for c in e["codes"] if c["system"] == "RXNORM"] for e in ents}
    assert "6918" in rx["metoprolol"]
    assert rx["Lasix"]  # brand resolved to an RxNorm concept
