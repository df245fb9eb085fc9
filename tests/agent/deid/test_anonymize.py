"""Operators: redact, mask, surrogate; offsets into the original and the new text."""

from __future__ import annotations

import pytest

from agent.deid.anonymize import redact, transform
from agent.errors import ConfigError
from agent.schemas.deid import PhiSpan

TEXT = "Dr. Smith saw pt on 3/14/2026."
SPANS = [PhiSpan(entity_type="NAME", start=4, end=9, score=0.9, recognizer="t"),
         PhiSpan(entity_type="DATE", start=20, end=29, score=0.9, recognizer="t")]


def test_when_redacting_then_each_span_becomes_its_type():
    assert redact(TEXT, SPANS) == "Dr. [NAME] saw pt on [DATE]."


def test_when_masking_then_characters_become_stars_and_separators_stay():
    new, _ = transform(TEXT, SPANS, mode="mask")
    assert new == "Dr. ***** saw pt on */**/****."


def test_when_transforming_then_new_offsets_point_at_replacements():
    new, reps = transform(TEXT, SPANS, mode="redact")
    for r in reps:
        assert new[r.new_start:r.new_end] == r.replacement
        assert TEXT[r.start:r.end] in ("Smith", "3/14/2026")


def test_when_surrogate_has_no_generator_then_config_error():
    with pytest.raises(ConfigError):
        transform(TEXT, SPANS, mode="surrogate")


def test_when_note_has_no_phi_then_text_is_unchanged():
    assert transform("No fever. BP 120/80.", [], mode="redact") == ("No fever. BP 120/80.", [])
