"""The release step inside de-identification: a policy's operators on one note, the policy
in the result and the audit, unknown policies in settings."""

from __future__ import annotations

import pytest

from agent.deid.anonymize import transform
from agent.errors import ConfigError
from agent.privacy.mentions import find_mentions, parse_date, sex_of_text
from agent.privacy.policy import load_policies
from agent.privacy.release import ReleaseGeneralizer, category_counts_of
from agent.privacy.settings import PrivacySettings
from agent.schemas.deid import PhiSpan
from agent.schemas.notes import Note

TEXT = ("Patient: Wendell Pursglove  DOB: 07/22/1951  ZIP 03601\n"
        "Visit 3/14/2026. HPI: 74 yo M, retired machinist, originally from Portugal.\n"
        "Diagnoses:\n- Type 2 diabetes mellitus (E11.9)\n- Neurofibromatosis (Q85.01)\n")
NOTE = Note(patient_id="P1", note_id="P1-01", date="2026-03-14", text=TEXT)


def _span(value: str, etype: str, nth: int = 0) -> PhiSpan:
    start = -1
    for _ in range(nth + 1):
        start = TEXT.index(value, start + 1)
    return PhiSpan(entity_type=etype, start=start, end=start + len(value), score=0.9,
                   recognizer="test")


PHI = [_span("Wendell Pursglove", "NAME"), _span("07/22/1951", "DATE"),
       _span("03601", "ZIP"), _span("3/14/2026", "DATE")]


def _release(name: str, mode: str = "redact", **kw) -> str:
    policies = load_policies()
    gen = ReleaseGeneralizer(policies.get(name), policies, **kw)
    plan = gen.plan(NOTE, PHI, mode=mode)
    text, _ = transform(TEXT, plan.spans, mode=mode, fixed=plan.fixed)
    return text


def test_safe_harbor_changes_nothing_beyond_deid():
    out = _release("safe_harbor")
    assert "74 yo M" in out and "retired machinist" in out and "(E11.9)" in out
    assert "[NAME]" in out and "[DATE]" in out and "[ZIP]" in out


def test_research_bands_ages_months_dates_and_generalizes_free_text():
    out = _release("research")
    assert "70-74 yo M" in out
    assert "Visit 2026-03." in out
    assert "DOB: [DATE]" in out  # a birth date is never kept at month or year precision
    assert "retired, construction and trades" in out and "from Europe" in out
    assert "(E11)" in out and "(Q85)" in out and "Pursglove" not in out


def test_strict_suppresses_zip_origin_and_occupation():
    out = _release("strict")
    assert "70-79 yo M" in out and "Visit 2026." in out
    assert "[OCCUPATION]" in out and "from [COUNTRY]" in out
    policies = load_policies()
    zip_start = TEXT.index("03601")
    for name, expected in (("strict", "[ZIP]"), ("research", "000")):
        # In surrogate mode a ZIP would keep 3 digits; strict removes it, research keeps
        # the 3 digits (000: a restricted prefix).
        gen = ReleaseGeneralizer(policies.get(name), policies)
        assert gen.plan(NOTE, PHI, mode="surrogate").fixed[zip_start] == expected


def test_suppress_rare_needs_counts_and_removes_rare_categories():
    policies = load_policies()
    rare = policies.get("research").model_copy(update={"diagnosis": "suppress_rare"})
    with pytest.raises(ConfigError, match="counted first"):
        ReleaseGeneralizer(rare, policies)
    counts = category_counts_of([NOTE] + [Note(patient_id=f"X{i}", note_id=f"X{i}",
                                                text="- Diabetes (E11.65)") for i in range(5)])
    assert counts == {"E11": 6, "Q85": 1}
    gen = ReleaseGeneralizer(rare, policies, category_counts=counts, rare_threshold=5)
    plan = gen.plan(NOTE, PHI, mode="redact")
    text, _ = transform(TEXT, plan.spans, mode="redact", fixed=plan.fixed)
    assert "(E11)" in text and "(Q85" not in text and "([CODE])" in text


def test_unknown_policy_in_settings_is_an_error_listing_the_valid_ones():
    with pytest.raises(ConfigError) as e:
        ReleaseGeneralizer.from_settings(PrivacySettings(release_policy="reserch"))
    assert "research" in str(e.value) and "strict" in str(e.value)
    assert ReleaseGeneralizer.from_settings(PrivacySettings()) is None


def test_mentions_dates_and_sex():
    kinds = {(m.kind, m.value) for m in find_mentions(TEXT)}
    assert {("AGE", "74"), ("SEX", "M"), ("CODE", "E11.9"), ("CODE", "Q85.01"),
            ("OCCUPATION", "retired machinist"), ("COUNTRY", "Portugal")} <= kinds
    assert not [m for m in find_mentions("Vitamin B12 level low; T12 compression fx")
                if m.kind == "CODE"]
    assert str(parse_date("March 14th", None).month) == "3"
    assert parse_date("14 Mar 2026", None).isoformat() == "2026-03-14"
    assert parse_date("2026-03", None).isoformat() == "2026-03-01"
    assert parse_date("nonsense", None) is None
    assert sex_of_text("She was seen; her daughter says she is better.") == "F"


def test_release_through_the_deid_pipeline_records_policy_in_result_and_audit(deid_detector):
    from agent.deid.batch import PatientDeidentifier

    policies = load_policies()
    gen = ReleaseGeneralizer(policies.get("research"), policies, secret=b"s" * 32)
    deid = PatientDeidentifier(mode="surrogate", secret=b"s" * 32, release=gen)
    second = Note(patient_id="P1", note_id="P1-02", date="2026-03-20",
                  text="Follow-up: 74 yo M, BP better. Plan: recheck A1c.")
    (r1, a1), (r2, a2) = list(deid.run([NOTE, second]))
    assert r1.release.policy == a1.release.policy == "research@v1"
    assert r1.release.policy_sha256 == policies.sha256
    assert r1.release.patient_ref == r2.release.patient_ref == a1.patient_key
    assert "70-74 yo M" in r1.text and "70-74 yo M" in r2.text
    assert any(e.recognizer == "release:age" for e in a1.entries)
    assert "Pursglove" not in r1.model_dump_json() + a1.model_dump_json()
