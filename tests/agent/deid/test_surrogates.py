"""Surrogates: consistent per secret, format-preserving, dates shifted per patient."""

from __future__ import annotations

from datetime import date

import pytest

from agent.config import DeidSettings
from agent.deid.batch import PatientDeidentifier
from agent.deid.dates import shift_date
from agent.deid.surrogates import SurrogateGenerator, date_offset
from agent.errors import ConfigError
from agent.schemas.notes import Note

SECRET = b"unit-test-secret-not-for-real-use"


def _gen(patient="p1", ref=date(2026, 3, 14)):
    return SurrogateGenerator(SECRET, patient, first_names=["ALICE", "BOB"],
                              surnames=["STONE", "RIVERS", "MARSH"], reference_date=ref)


def test_when_same_value_then_same_surrogate_and_format_kept():
    g = _gen()
    assert g.replace("MRN", "BMC-3317520") == _gen().replace("MRN", "BMC-3317520")
    fake = g.replace("MRN", "BMC-3317520")
    assert fake != "BMC-3317520" and fake[3] == "-" and fake[:3].isupper() and fake[4:].isdigit()
    phone = g.replace("PHONE", "(555) 013-4410")
    assert phone[0] == "(" and phone[4:6] == ") " and phone[9] == "-"


def test_when_age_or_zip_then_safe_harbor_values():
    g = _gen()
    assert g.replace("AGE", "92") == "90+"
    assert g.replace("ZIP", "55918") == "559"
    assert g.replace("ZIP", "03601") == "000"  # restricted 3-digit prefix


# fmt: off
@pytest.mark.parametrize("surface, days, expected", [
    ("3/14/2026", 10, "3/24/2026"), ("03/14/2026", 20, "04/03/2026"),
    ("2026-03-14", -14, "2026-02-28"), ("March 14th", 3, "March 17th"), ("15-Mar", 30, "14-Apr"),
    ("8-Jan-2026", -8, "31-Dec-2025"), ("Nov 2025", 60, "Jan 2026"),
    ("19 May 1991", 1, "20 May 1991"), ("3/14", 1, "3/15"), ("16th", -1, "15th"),
    ("Friday 3/13/2026", 1, "Saturday 3/14/2026"),
])
# fmt: on
def test_when_date_is_shifted_then_format_is_kept(surface, days, expected):
    assert shift_date(surface, days, date(2026, 3, 14)) == expected


def test_when_secret_is_the_same_then_offset_is_stable_and_never_zero():
    offsets = {date_offset(SECRET, f"p{i}") for i in range(50)}
    assert 0 not in offsets and len(offsets) > 10
    assert date_offset(SECRET, "p1") == date_offset(SECRET, "p1")


def _run(notes, mode="surrogate"):
    deid = PatientDeidentifier(mode=mode, secret=SECRET)
    return list(deid.run(notes))


def test_when_two_notes_of_a_patient_then_names_and_date_interval_stay_consistent():
    notes = [
        Note(patient_id="p9", note_id="a", date="2026-03-14",
             text="Patient: Pursglove, Wendell T.   MRN: 00482913\nAdmitted 3/14/2026."),
        Note(patient_id="p9", note_id="b", date="2026-03-18",
             text="Mr. Pursglove discharged 3/18/2026. MRN 00482913."),
    ]
    (r1, _), (r2, _) = _run(notes)
    fake_last = next(p.replacement for p in r1.phi if p.type == "NAME").split(",")[0]
    assert fake_last in r2.text and "Pursglove" not in r1.text + r2.text
    mrn1 = next(p.replacement for p in r1.phi if p.type == "MRN")
    assert mrn1 in r2.text
    d1 = next(p.replacement for p in r1.phi if p.type == "DATE")
    d2 = next(p.replacement for p in r2.phi if p.type == "DATE")
    m1, dd1, y1 = map(int, d1.split("/"))
    m2, dd2, y2 = map(int, d2.split("/"))
    assert (date(y2, m2, dd2) - date(y1, m1, dd1)).days == 4


def test_when_surrogate_mode_has_no_secret_then_config_error_says_how_to_create_one():
    with pytest.raises(ConfigError) as err:
        PatientDeidentifier(mode="surrogate", secret=None)
    assert "token_hex" in str(err.value) and "CLINAGENT_DEID__SECRET_FILE" in str(err.value)


def test_when_secret_file_is_set_then_key_is_read(tmp_path):
    key = tmp_path / "deid.key"
    key.write_text("abc123\n")
    assert DeidSettings(secret_file=key).secret_bytes() == b"abc123"
    assert "abc123" not in repr(DeidSettings(secret="abc123"))  # SecretStr hides it
