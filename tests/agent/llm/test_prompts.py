"""Prompt files: loading, strict rendering, identity."""

from __future__ import annotations

import hashlib
from importlib import resources

import pytest

from agent.errors import PromptError
from prompts import LoadedPrompt, load_prompt


def test_when_entities_prompt_loaded_then_ref_and_sha256_recorded():
    prompt = load_prompt("extraction", "entities")
    raw = resources.files("prompts").joinpath("extraction", "entities.v1.yaml").read_bytes()
    assert prompt.ref == "extraction/entities@1"
    assert prompt.sha256 == hashlib.sha256(raw).hexdigest()


def test_when_rendered_then_schema_injected_and_text_in_user_message():
    msgs = load_prompt("extraction", "entities").render(
        section="HPI", text="Pt on metoprolol.", schema='{"type": "object"}')
    assert [m["role"] for m in msgs] == ["system", "user"]
    assert '{"type": "object"}' in msgs[0]["content"]
    assert "Pt on metoprolol." in msgs[1]["content"]


def test_when_input_missing_then_prompt_error():
    with pytest.raises(PromptError, match="missing inputs"):
        load_prompt("extraction", "entities").render(section="HPI", text="x")


def test_when_undeclared_input_given_then_prompt_error():
    with pytest.raises(PromptError, match="undeclared"):
        load_prompt("extraction", "entities").render(section="HPI", text="x", schema="{}",
                                                     note="x")


def test_when_template_uses_undefined_variable_then_prompt_error():
    base = load_prompt("extraction", "entities")
    broken = LoadedPrompt(base.template.model_copy(update={"user": "{{ text }} {{ nope }}"}),
                          base.sha256, base.path)
    with pytest.raises(PromptError, match="nope"):
        broken.render(section="HPI", text="x", schema="{}")


def test_when_prompt_file_unknown_then_prompt_error():
    with pytest.raises(PromptError, match="no prompt file"):
        load_prompt("extraction", "does_not_exist")
    with pytest.raises(PromptError, match="no version 9"):
        load_prompt("extraction", "entities", 9)
