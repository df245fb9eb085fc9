"""The recognizer registry: pack validation; importing de-id loads neither Presidio nor spaCy."""

from __future__ import annotations

import subprocess
import sys

import pytest

from agent.deid.registry import load_pack, pack_path
from agent.errors import RuleFileError


def test_when_pack_entry_has_unknown_key_then_rule_file_error_names_entry(tmp_path):
    text = pack_path().read_text(encoding="utf-8").replace(
        "  - name: account_labelled\n", "  - name: account_labelled\n    colour: red\n", 1)
    bad = tmp_path / "recognizers.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(RuleFileError) as err:
        load_pack(bad)
    assert err.value.index == 1 and "recognizers.yaml" in str(err.value)


def test_when_pack_regex_does_not_compile_then_rule_file_error(tmp_path):
    text = pack_path().read_text(encoding="utf-8").replace(
        "regex: '\\b(?P<phi>\\d{3}-\\d{2}-\\d{4})\\b'", "regex: '(?P<phi>[0-9'", 1)
    bad = tmp_path / "recognizers.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(RuleFileError):
        load_pack(bad)


def test_when_agent_deid_is_imported_then_presidio_and_spacy_are_not():
    code = ("import sys, agent.deid, agent.deid.registry, agent.deid.detector, "
            "agent.deid.lexicons, agent.deid.batch, agent.extract.batch; "
            "print(any(m.startswith(('presidio', 'spacy')) for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
