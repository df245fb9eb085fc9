"""Verifier verdicts on statements about the synthetic demo patients."""

from __future__ import annotations

import pytest

from agent.errors import VerificationError
from agent.schemas.summary import Citation, HandoffSummary, Statement


def _patient(demo_extractions, pid):
    notes, extractions = demo_extractions
    mine = {n.note_id: n for n in notes if n.patient_id == pid}
    return mine, {k: v for k, v in extractions.items() if k in mine}


def _cite(notes, note_id, quote):
    text = notes[note_id].text
    start = text.index(quote)
    return Citation(note_id=note_id, start=start, end=start + len(quote))


# fmt: off
@pytest.mark.parametrize("pid, statement, note_id, quote, section, verdict, reason", [
    ("P001", "Furosemide 80 mg PO daily.", "P001-06", "Furosemide 40 mg PO daily",
     "medications", "CONTRADICTED", "wrong_dose"),
    ("P001", "Furosemide 40 mg SQ daily.", "P001-06", "Furosemide 40 mg PO daily",
     "medications", "CONTRADICTED", "wrong_route"),
    ("P001", "Metoprolol succinate 100 mg PO BID.", "P001-06",
     "Metoprolol succinate 100 mg PO daily", "medications", "CONTRADICTED", "wrong_frequency"),
    ("P001", "Continue aspirin 81 mg PO daily.", "P001-02", "Aspirin 81 mg PO daily",
     "medications", "CONTRADICTED", "stopped_drug_as_current"),
    ("P001", "He reports chest pain.", "P001-01", "Denies CP, fever", "patient_summary",
     "CONTRADICTED", "negation_flip"),
    ("P001", "History of atrial fibrillation.", "P001-02", "Afib with RVR, new onset",
     "patient_summary", "CONTRADICTED", "wrong_temporality"),
    ("P001", "AKI on CKD with Cr 2.9.", "P001-05", "AKI on CKD - Cr 1.9", "active_problems",
     "CONTRADICTED", "wrong_value"),
    ("P002", "Pulmonary embolism, on heparin.", "P002-02", "r/o PE - CTA chest",
     "active_problems", "CONTRADICTED", "ruled_out_as_active"),
    ("P002", "History of breast cancer.", "P002-02", "sister with breast cancer at 52",
     "patient_summary", "CONTRADICTED", "wrong_experiencer"),
    ("P003", "Active DKA.", "P003-03", "DKA, resolved", "active_problems",
     "CONTRADICTED", "wrong_temporality"),
    ("P001", "Furosemide 40 mg PO daily, increased from 20 mg.", "P001-06",
     "Furosemide 40 mg PO daily", "medications", "SUPPORTED", None),
    # The regimen switched from is the old one; the drug after "to" is the claim now.
    ("P001", "Switched from furosemide 40 mg IV BID to furosemide 40 mg PO daily.",
     "P001-05", "Switch from furosemide 40 mg IV BID", "medications", "SUPPORTED", None),
    ("P001", "Switched from furosemide 40 mg IV BID to furosemide 80 mg PO daily.",
     "P001-05", "Switch from furosemide 40 mg IV BID", "medications", "CONTRADICTED",
     "wrong_dose"),
    # A bare target names no drug to check: the left regimen is still held to the
    # regimen now, so the statement stays flagged (never a green badge on an unread dose).
    ("P001", "Switched from furosemide 40 mg IV BID to 80 mg PO daily.", "P001-05",
     "Switch from furosemide 40 mg IV BID", "medications", "CONTRADICTED",
     "wrong_frequency"),
    ("P001", "Aspirin was stopped once apixaban was started.", "P001-05",
     "aspirin discontinued", "medications", "SUPPORTED", None),
    ("P002", "CTA chest was negative for pulmonary embolism.", "P002-03",
     "Negative for pulmonary embolism.", "patient_summary", "SUPPORTED", None),
    ("P001", "Started warfarin 5 mg daily.", "P001-04", "start apixaban 5 mg PO BID",
     "medications", "UNSUPPORTED", None),
    # No claim to check and words no note holds ("meeting"): not verified, said so.
    ("P001", "Family meeting held with his wife.", "P001-02", "Code status: Full",
     "patient_summary", "UNSUPPORTED", None),
    # No claim to check, every word in the notes: not checkable.
    ("P001", "Confirmed with pt and wife.", "P001-02", "Code status: Full",
     "patient_summary", "NOT_CHECKABLE", None),
    # The code status is a claim, checked against the latest the notes record.
    ("P001", "Code status: Full.", "P001-02", "Code status: Full",
     "patient_summary", "SUPPORTED", None),
])
# fmt: on
def test_when_statement_checked_then_verdict_and_reason(
        demo_extractions, demo_record, pid, statement, note_id, quote, section, verdict, reason):
    notes, _ = _patient(demo_extractions, pid)
    v = demo_record(pid).check(statement, [_cite(notes, note_id, quote)], section=section)
    assert v.verdict == verdict, v.detail
    if reason:
        assert reason in v.reasons
        assert any(e.relation == "contradicts" for e in v.evidence)
        assert v.detail.startswith("source")
    else:
        assert v.reasons == []


def test_when_uncited_statement_names_unknown_drug_then_unsupported(demo_record):
    v = demo_record("P003").check("Chronic atrial fibrillation on warfarin.", [])
    assert v.verdict == "UNSUPPORTED"
    assert "warfarin" in v.detail


def test_when_citation_names_unknown_note_then_error_without_text(demo_record):
    record = demo_record("P001")
    with pytest.raises(VerificationError, match="P999-01"):
        record.check("Aspirin 81 mg daily.", [Citation(note_id="P999-01", start=0, end=5)])
    with pytest.raises(VerificationError, match="runs past the end"):
        record.check("Aspirin 81 mg daily.", [Citation(note_id="P001-01", start=0, end=10**6)])


def test_when_summary_verified_then_every_statement_kept_and_omissions_listed(
        demo_extractions, demo_record, extractor):
    notes, extractions = _patient(demo_extractions, "P001")
    summary = HandoffSummary(
        patient_id="P001", generated_at="2026-03-18T12:00:00+00:00", mode="external",
        note_ids=list(notes), provenance=extractor.provenance, statements=[
            Statement(id="s1", section="medications", text="Continue aspirin 81 mg daily.",
                      origin="external"),
            Statement(id="s2", section="patient_summary", text="Stable overnight.",
                      origin="external"),
        ])
    out = demo_record("P001").verify(summary)
    assert [s.id for s in out.statements] == ["s1", "s2"]
    assert out.statements[0].verification.verdict == "CONTRADICTED"
    # No claim, and no note says "overnight": not verified, and said so.
    assert out.statements[1].verification.verdict == "UNSUPPORTED"
    omitted = {(o.kind, o.text.split(" ")[0].lower()) for o in out.omissions}
    assert ("medication", "apixaban") in omitted
    assert ("allergy", "enalapril") in omitted
    assert all(o.citations for o in out.omissions)
    # Aspirin is mentioned, so its stop is not reported as omitted.
    assert not any(o.text.lower().startswith("aspirin") for o in out.omissions)


def test_when_timeline_reconciled_a_stop_then_stopped_statement_is_supported(
        demo_extractions, demo_record, extractor):
    # P007-05: "Treated with vancomycin IV (7/9-7/11) ... switched to oral clindamycin":
    # no mention carries a stop cue next to the drug, the timeline infers it from the switch.
    notes, _ = _patient(demo_extractions, "P007")
    record = demo_record("P007")
    timeline = record.timeline
    assert {m.name.lower(): m.status for m in timeline.medications}.get("vancomycin") == "stopped"
    summary = HandoffSummary(
        patient_id="P007", generated_at="2026-07-12T12:00:00+00:00", mode="external",
        note_ids=list(notes), provenance=extractor.provenance, statements=[
            Statement(id="s1", section="medications", text="Vancomycin IV was stopped.",
                      origin="external")])
    out = record.verify(summary)
    assert out.statements[0].verification.verdict == "SUPPORTED"


@pytest.mark.parametrize("date, verdict", [("2026-03-14", "SUPPORTED"),
                                           ("2026-03-12", "UNSUPPORTED")])
def test_a_date_is_stated_by_a_cited_notes_date(demo_extractions, demo_record, date,
                                                  verdict):
    """The extractive handoff dates each change with its note's date: citing the 3/14 H&P
    states 3/14 even when the supporting evidence is the discharge list; a date no cited
    note or evidence line gives stays unconfirmed."""
    notes, _ = _patient(demo_extractions, "P001")
    citations = [_cite(notes, "P001-02", "Furosemide 40 mg IV BID"),
                 _cite(notes, "P001-06", "Furosemide 40 mg PO daily")]
    v = demo_record("P001").check(f"Furosemide 40 mg PO daily: dose changed {date}.",
                                  citations, section="medications")
    assert v.verdict == verdict, v.detail
