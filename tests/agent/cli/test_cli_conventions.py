"""CLI conventions: --version, ``clinagent info``, progress bars on stderr, help text."""

from __future__ import annotations

import json
import re
import socket

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.cli.masking import mask_url
from agent.config import get_settings
from agent.version import package_version

runner = CliRunner()

API_KEY = "sk-test-KEYSECRET-9f8e7d"
DB_PASSWORD = "pw-DBSECRET-1a2b"
DEMO = "evals/data/synthetic/notes.jsonl"


@pytest.fixture
def fresh_settings():
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def bogus_backend(monkeypatch, tmp_path, fresh_settings):
    """An LLM server URL nobody listens on, an API key and a database URL with a password."""
    monkeypatch.chdir(tmp_path)  # no clinagent.env here
    monkeypatch.setenv("CLINAGENT_LLM__BACKEND", "openai_compat")
    monkeypatch.setenv("CLINAGENT_LLM__BASE_URL", f"http://127.0.0.1:{_closed_port()}/v1")
    monkeypatch.setenv("CLINAGENT_LLM__MODEL", "served-model")
    monkeypatch.setenv("CLINAGENT_LLM__API_KEY", API_KEY)
    monkeypatch.setenv("CLINAGENT_API__DATABASE_URL",
                       f"postgresql+psycopg://app:{DB_PASSWORD}@db.local/clinagent")


def test_when_version_then_package_version_and_exit_0():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"clinagent {package_version()}\n"


def test_when_backend_url_is_bogus_then_info_json_says_not_reachable_and_hides_secrets(
        bogus_backend):
    result = runner.invoke(app, ["info", "--format", "json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["clinagent"] == package_version()
    assert report["llm"]["backend"] == "openai_compat"
    assert report["llm"]["is_reachable"] is False
    assert "CLINAGENT_LLM__BASE_URL" in report["llm"]["fix"]
    assert report["store"]["database_url"] == "postgresql+psycopg://app:***@db.local/clinagent"
    sources = {s["name"]: s for s in report["sources"]["settings"]}
    assert sources["llm.api_key"] == {"name": "llm.api_key", "source": "environment",
                                      "variable": "CLINAGENT_LLM__API_KEY"}
    assert "spacy" in report["libraries"]
    assert {f["name"] for f in report["rule_files"]} >= {"cues.json", "sections.json"}
    assert all(len(f["sha256"]) == 12 for f in report["rule_files"] if f["is_found"])
    everything = result.stdout + result.stderr
    assert API_KEY not in everything and DB_PASSWORD not in everything


def test_when_backend_url_is_bogus_then_info_text_says_what_to_do_and_hides_secrets(
        bogus_backend):
    result = runner.invoke(app, ["info"])
    assert result.exit_code == 1
    assert "openai_compat" in result.stdout and "not reachable" in result.stdout
    assert "what to do: Start the server" in result.stdout
    assert "app:***@db.local" in result.stdout
    assert "CLINAGENT_LLM__API_KEY" in result.stdout  # the name, never the value
    everything = result.stdout + result.stderr
    assert API_KEY not in everything and DB_PASSWORD not in everything


def test_when_setting_is_invalid_then_info_names_it_and_exits_1(monkeypatch, tmp_path,
                                                                fresh_settings):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLINAGENT_LLM__N_CTX", "12")
    result = runner.invoke(app, ["info", "--format", "json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["settings_error"]["setting"] == "llm.n_ctx"


# fmt: off
@pytest.mark.parametrize("url, expected", [
    ("postgresql+psycopg://app:s3cret@db/clinagent", "postgresql+psycopg://app:***@db/clinagent"),
    ("postgresql://app:p@ss/w0rd@db:5432/x", "postgresql://app:***@db:5432/x"),
    ("postgresql://app@db/x", "postgresql://app@db/x"),
    ("http://gpu01:8000/v1?api_key=abc&x=1", "http://gpu01:8000/v1?api_key=***&x=1"),
    ("sqlite:///clinagent-data/clinagent.db", "sqlite:///clinagent-data/clinagent.db"),
])
# fmt: on
def test_when_url_holds_credentials_then_they_are_masked(url, expected):
    assert mask_url(url) == expected


@pytest.fixture
def two_notes(tmp_path):
    rows = [json.loads(line) for line in open(DEMO, encoding="utf-8")][:2]
    path = tmp_path / "notes.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path, rows


def test_when_progress_is_forced_then_bar_goes_to_stderr_and_stdout_stays_json(
        monkeypatch, two_notes, fresh_settings):
    path, rows = two_notes
    monkeypatch.setenv("CLINAGENT_PROGRESS", "1")
    result = runner.invoke(app, ["extract", str(path)])
    assert result.exit_code == 0
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["note_id"] for r in records] == [r["note_id"] for r in rows]
    assert "extracting notes" in result.stderr and "2/2" in result.stderr
    # Counts and stage names only: no note text, no patient id on the bar.
    bar = result.stderr.split("extracted ")[0]
    assert rows[0]["patient_id"] not in bar
    assert rows[0]["text"].split("\n")[0][:30] not in result.stderr


@pytest.mark.parametrize("args, env", [
    (["extract"], {}),                                     # stderr is not a terminal
    (["extract", "--no-progress"], {"CLINAGENT_PROGRESS": "1"}),
    (["--quiet", "extract"], {"CLINAGENT_PROGRESS": "1"}),
    (["extract"], {"CLINAGENT_PROGRESS": "0"}),
])
def test_when_progress_is_off_then_stderr_has_no_bar(monkeypatch, two_notes, fresh_settings,
                                                     args, env):
    path, _ = two_notes
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    result = runner.invoke(app, [*args, str(path)])
    assert result.exit_code == 0
    assert "extracting notes" not in result.stderr
    assert "\x1b[" not in result.stderr
    assert len(result.stdout.splitlines()) == 2


def test_when_handoff_progress_is_forced_then_stages_are_shown(monkeypatch, fresh_settings):
    monkeypatch.setenv("CLINAGENT_PROGRESS", "1")
    result = runner.invoke(app, ["handoff", DEMO, "--patient", "P002", "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["patient_id"] == "P002"
    for stage in ("extracting notes", "summarizing", "verifying statements"):
        assert stage in result.stderr


def _commands(typer_app, prefix=()):
    for command in typer_app.registered_commands:
        yield (*prefix, command.name)
    for group in typer_app.registered_groups:
        yield (*prefix, group.name)
        yield from _commands(group.typer_instance, (*prefix, group.name))


ALL_COMMANDS = [(), *_commands(app)]
WORD = re.compile(r"[A-Za-z]{3,}")


@pytest.mark.parametrize("command", ALL_COMMANDS, ids=lambda c: " ".join(c) or "clinagent")
def test_when_help_is_80_columns_then_no_word_is_cut(command):
    narrow = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "80"})
    wide = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "400"})
    assert narrow.exit_code == 0 and wide.exit_code == 0
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 80
    # A word cut across two lines leaves fragments the unwrapped help does not hold.
    cut = set(WORD.findall(narrow.stdout)) - set(WORD.findall(wide.stdout))
    assert not cut
    assert "…" not in narrow.stdout


@pytest.mark.parametrize("command", ALL_COMMANDS[1:], ids=" ".join)
def test_every_command_has_a_summary_a_paragraph_and_no_hard_line_breaks(command):
    *parents, name = command
    target = app
    for part in parents:
        target = next(g.typer_instance for g in target.registered_groups if g.name == part)
    info = next((c for c in target.registered_commands if c.name == name), None)
    if info is None:  # a group: its help is set where it is created
        group = next(g for g in target.registered_groups if g.name == name)
        text = group.typer_instance.info.help
    else:
        text = info.help
        assert info.epilog and info.epilog.startswith("Examples:"), "no examples"
    paragraphs = text.split("\n\n")
    assert len(paragraphs) >= 2, "a one-line summary and a paragraph"
    assert len(paragraphs[0]) <= 100
    assert all("\n" not in p for p in paragraphs), "a line break inside a paragraph"
