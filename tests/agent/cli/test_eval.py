"""``clinagent eval <name>``: one entry point per evaluation; the public dev sets are found
through ``--data-dir`` or ``CLINAGENT_EVAL__DATA_DIR``, never a built-in path."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.config import Settings, get_settings
from agent.errors import ConfigError
from evals.run import data_dir_of


def _invoke(args):
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, args)
    finally:
        get_settings.cache_clear()


def test_when_eval_help_is_asked_then_every_eval_is_listed():
    result = _invoke(["eval", "--help"])
    assert result.exit_code == 0
    for name in ("extract", "deid", "retrieval", "faithfulness", "handoff"):
        assert name in result.output


def test_when_no_data_dir_is_set_then_eval_extract_exits_2_naming_option_and_variable(
        monkeypatch, tmp_path):
    monkeypatch.delenv("CLINAGENT_EVAL__DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)  # no clinagent.env here
    result = _invoke(["eval", "extract", "-o", str(tmp_path / "r.json")])
    assert result.exit_code == 2
    assert "--data-dir" in result.output and "CLINAGENT_EVAL__DATA_DIR" in result.output
    assert not (tmp_path / "r.json").exists()


def test_when_faithfulness_part_is_unknown_then_exit_2():
    result = _invoke(["eval", "faithfulness", "--only", "bogus"])
    assert result.exit_code == 2 and "bogus" in result.output


def test_when_option_and_setting_are_both_given_then_the_option_wins(tmp_path):
    option, setting = tmp_path / "a", tmp_path / "b"
    option.mkdir()
    setting.mkdir()
    settings = Settings(eval={"data_dir": setting})
    assert data_dir_of(option, settings) == option
    assert data_dir_of(None, settings) == setting


def test_when_setting_points_at_no_folder_then_settings_are_invalid(tmp_path):
    with pytest.raises(ValueError, match="not a folder"):
        Settings(eval={"data_dir": tmp_path / "missing"})


def test_when_neither_is_given_then_config_error_names_the_variable():
    with pytest.raises(ConfigError, match="CLINAGENT_EVAL__DATA_DIR"):
        data_dir_of(None, Settings(eval={"data_dir": None}))
    assert isinstance(data_dir_of(Path("x")), Path)
