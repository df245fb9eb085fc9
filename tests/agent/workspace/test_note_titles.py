"""Note titles from the top lines or the note type; authors from phrases and signatures."""

from __future__ import annotations

import pytest

from agent.config import WorkspaceSettings
from agent.workspace.note_titles import note_heading, type_title

WS = WorkspaceSettings()


def _heading(text, note_type="unknown"):
    return note_heading(text, note_type, author_labels=WS.author_labels,
                        header_labels=WS.author_header_labels,
                        attending_labels=WS.banner_labels.attending)


# fmt: off
@pytest.mark.parametrize("text, expected", [
    ("Lakeside Regional Hospital - Emergency Department\nED PROVIDER NOTE\nPatient: Roe",
     "ED provider note"),
    ("Lakeside Regional Hospital DISCHARGE SUMMARY\nPatient: Roe", "Discharge summary"),
    ("MICU NURSING PROGRESS NOTE -- Bed 4 -- 02/03/2026 19:10\nPt Roe",
     "MICU nursing progress note"),
    ("Hospital Medicine Progress Note  HD#3  03/16/2026\nRoe, A",
     "Hospital Medicine Progress Note"),
    ("INFECTIOUS DISEASES - FOLLOW-UP NOTE\n", "Follow-up note"),
    ("Patient: Roe, Alma   MRN: 1234\nHPI: 70 yo F.", "Discharge summary"),
    ("She was seen today. Feels better.\n", "Discharge summary"),
])
# fmt: on
def test_title_from_top_line_or_note_type(text, expected):
    heading = _heading(text, "discharge_summary")
    assert heading.title == expected
    if heading.title_span is not None:
        a, b = heading.title_span
        assert text[a:b].lower().replace("  ", " ") == expected.lower()


def test_note_type_as_title():
    assert [type_title(t) for t in ("ed_note", "discharge_summary", "unknown", "Progress")] \
        == ["ED note", "Discharge summary", "Note", "Progress"]


# fmt: off
@pytest.mark.parametrize("text, author", [
    ("Progress note\nS: ok\n\nElectronically signed by Mara Quist, MD on 1/9/2026 08:52.",
     "Mara Quist, MD"),
    ("Consult\nAuthor: Dr. Lena Voss\nReason: AKI", "Dr. Lena Voss"),
    ("Progress note\nPlan: home tomorrow.\n\nS. Lund-Okafor, MD", "S. Lund-Okafor, MD"),
    ("Nursing note\nPlan: transfer.\n-- Tova Rhee, RN", "Tova Rhee, RN"),
    ("Consult\nPlan: follow.\nWill follow. -- P. Haas, MD, Nephrology, pager 555-0100",
     "P. Haas, MD"),
    ("H&P\nAttending: Omar Quist, MD\nHPI: 70M.\nAdmit to ICU (Dr. Ray Lind).", "Omar Quist, MD"),
    ("Progress note\nPlan: discussed with Dr. Ray Lind; home PT.\nHome PT", None),
])
# fmt: on
def test_author_from_phrase_signature_or_attending(text, author):
    heading = _heading(text)
    assert heading.author == author
    if author:
        a, b = heading.author_span
        assert text[a:b] == author


def test_demo_notes_titles_and_authors(demo_record):
    record = demo_record("P001")
    headings = {n.note_id: _heading(n.text, n.note_type) for n in record.notes}
    assert headings["P001-01"].title == "ED provider note"
    assert headings["P001-04"].title == "Cardiology consult note"
    assert headings["P001-06"].title == "Discharge summary"
    assert headings["P001-03"].title == "Radiology report"  # no title line: the note type
    assert headings["P001-06"].author == "Anselm Grevitt, MD"
    other = demo_record("P003")
    assert _heading(other.notes[3].text, other.notes[3].note_type).author.endswith(", RN")
