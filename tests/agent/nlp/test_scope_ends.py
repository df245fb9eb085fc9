"""A history header that also names the plan heads current problems (agent.nlp.scope_ends)."""

from __future__ import annotations

import pytest

from agent.schemas.notes import Note


def _assertions(extractor, text: str) -> dict[str, str]:
    out = extractor.extract_note(Note(patient_id="p", note_id="n", text=text))
    return {e.text: e.assertion for e in out.entities if e.type == "PROBLEM"}


@pytest.mark.parametrize("header", ["PMH / A&P:", "HISTORY/A & P:", "Hx/A/P:"])
def test_history_header_naming_the_plan_by_its_abbreviation_keeps_problems_current(
        extractor, header):
    text = f"{header}\n- Heart failure with reduced EF, continue carvedilol.\n"
    assert _assertions(extractor, text)["Heart failure"] == "present"


@pytest.mark.parametrize("header", ["PMH:", "Past medical history (AP view reviewed):"])
def test_plain_history_header_still_makes_its_problems_historical(extractor, header):
    # Look-alikes: no plan named, or letters "a" "p" that are no "A/P".
    text = f"{header}\n- Heart failure with reduced EF.\n"
    assert _assertions(extractor, text)["Heart failure"] == "historical"


def _all(extractor, text: str) -> dict[str, str]:
    out = extractor.extract_note(Note(patient_id="p", note_id="n", text=text))
    return {e.text: e.assertion for e in out.entities}


def test_a_while_clause_with_its_own_subject_ends_a_hold_or_stop(extractor):
    got = _all(extractor, "Warfarin was stopped while the chest tube was in place.")
    assert got["Warfarin"] == "absent"
    assert got["chest tube"] == "present", got


def test_a_while_on_clause_and_a_plain_hold_keep_their_reach(extractor):
    # Look-alike: no "while" clause, the stop reaches both drugs it names.
    got = _all(extractor, "Warfarin and aspirin were stopped.")
    assert got["Warfarin"] == "absent" and got["aspirin"] == "absent", got


def test_a_comma_then_only_or_just_names_what_there_is(extractor):
    got = _all(extractor, "Chest film: no consolidation, only mild bibasilar atelectasis.")
    assert got["consolidation"] == "absent"
    assert got["atelectasis"] == "present", got
    # Look-alike: a plain list stays negated throughout.
    got = _all(extractor, "No consolidation, atelectasis or effusion.")
    assert got["atelectasis"] == "absent", got
