"""Issue 14 (h-ext2, multinote_dev22): words that look like devices or procedures but are not
(a harbour 'port', a service 'Surgery' or 'IR', an actor before 'placed a', a head noun used
as a verb) are left out, while the device or procedure next to them is still found. The
sentences are made up for these tests (not taken from any corpus)."""

from __future__ import annotations

import pytest


def _procedures(extractor, text: str) -> dict[str, str]:
    return {e.text: e.assertion for e in extractor.extract(text) if e.type == "PROCEDURE"}


# fmt: off
@pytest.mark.parametrize("text, lookalike", [
    ("Retired sailor who lives near the port with his brother.", "port"),
    ("She flew in and reached the port of Ostrava by bus.", "port"),
    ("Landed at the port by ferry late last night.", "port"),
    ("Seen on rounds by the Vascular Surgery team.", "Surgery"),
    ("COLORECTAL SURGERY CONSULT NOTE", "SURGERY"),
    ("He kept a notebook about the surgery for his son.", "surgery"),
    ("Case reviewed with IR this afternoon; call IR with questions.", "IR"),
    ("Paramedics at the scene; EMS placed a cervical collar.", "EMS"),
    ("Port sites healing well after the laparoscopy.", "Port"),
    ("Transferred from Riverbend Dialysis Center this morning.", "Dialysis"),
    ("Seen at the Elmhurst Endoscopy Suite last spring.", "Endoscopy"),
    ("Abd: healed midline laparotomy scar, soft.", "laparotomy"),
    ("Term birth. Immunizations up to date per father.", "Immunizations"),
    ("PMH: none. Immunizations UTD.", "Immunizations"),
])
# fmt: on
def test_lookalike_words_are_not_procedures(extractor, text, lookalike):
    assert lookalike not in _procedures(extractor, text)


def test_a_head_used_as_a_verb_is_not_the_device_the_note_named(extractor):
    found = _procedures(extractor, "On an insulin pump at home. He pumps the air mattress "
                                   "up every night.")
    assert "insulin pump" in found
    assert "pumps" not in found


def test_the_named_device_is_still_referred_back_to_as_a_noun(extractor):
    found = _procedures(extractor, "On an insulin pump at home. Pump site without redness.")
    assert "insulin pump" in found
    assert "Pump" in found


# fmt: off
@pytest.mark.parametrize("text, surface, assertion", [
    ("Her right chest port flushes well.", "chest port", "present"),
    ("Blood cultures drawn from the port this morning.", "port", "present"),
    ("No recent trauma or surgery.", "surgery", "absent"),
    ("If rebleeding, consider IR embolization.", "IR embolization", "hypothetical"),
    ("JP drain was removed the next day.", "JP drain", "absent"),
    ("Colostomy site pink and healthy.", "Colostomy", "present"),
    ("Influenza vaccination given in clinic today.", "vaccination", "present"),
])
# fmt: on
def test_real_devices_and_procedures_beside_the_lookalikes_are_kept(extractor, text, surface,
                                                                    assertion):
    found = _procedures(extractor, text)
    assert found.get(surface) == assertion, f"{surface!r} in {text!r}: {found}"


def test_a_head_with_an_of_complement_is_not_the_device_the_note_named(extractor):
    found = _procedures(extractor, "Abdominal binder on. He brought a binder of papers. "
                                   "The binder was loosened.")
    assert found.get("Abdominal binder") == "present"
    spans = [e.start for e in extractor.extract("Abdominal binder on. He brought a binder of "
                                                "papers.") if e.type == "PROCEDURE"]
    assert spans == [0]
