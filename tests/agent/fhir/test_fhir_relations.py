"""Relations in the extraction bundle: AdverseEvent, AllergyIntolerance.reaction and
MedicationStatement.reason, with the source-span extension, valid in R5 and R4B."""

from __future__ import annotations

import pytest

from agent.fhir import extraction_bundle
from agent.fhir.common import EXT_SOURCE_SPAN
from agent.schemas.notes import Note

TEXT = ("Hospital course: Lisinopril was stopped because of angioedema. Rash, possibly due "
        "to vancomycin. No rash on amoxicillin.\n"
        "Medications: Metoprolol 25 mg PO BID for rate control of atrial fibrillation.\n"
        "Allergies: PCN (rash)\n")


@pytest.fixture(scope="module")
def record(extractor):
    return extractor.extract_note(Note(note_id="n1", patient_id="p1", text=TEXT))


def _of(bundle, kind):
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _spans(element):
    return [x for x in element.get("extension", []) if x["url"] == EXT_SOURCE_SPAN]


@pytest.mark.parametrize("version", ["R5", "R4B"])
def test_when_relations_exported_then_bundle_validates_with_new_elements(record, version):
    bundle = extraction_bundle([record], "p1", version)
    events = _of(bundle, "AdverseEvent")
    texts = sorted((e.get("code") or e.get("event"))["text"] for e in events)
    assert texts == ["Rash", "angioedema"]  # the negated amoxicillin rash is no event
    assert all(_spans(e if version == "R5" else e["event"]) and _spans(e["suspectEntity"][0])
               for e in events)
    suspects = [s for e in events for s in e["suspectEntity"]]
    assert sum("causality" in s for s in suspects) == 1  # the speculated one
    [allergy] = [a for a in _of(bundle, "AllergyIntolerance") if a["code"]["text"] == "PCN"]
    [reaction] = allergy["reaction"]
    manifestation = reaction["manifestation"][0]
    assert (manifestation["concept"]["text"] if version == "R5"
            else manifestation["text"]) == "rash"
    assert _spans(reaction)
    [metoprolol] = [m for m in _of(bundle, "MedicationStatement")
                    if "Metoprolol" in str(m)]
    reasons = metoprolol["reason"] if version == "R5" else metoprolol["reasonCode"]
    assert any(_spans(r) for r in reasons)
    urls = {e["fullUrl"] for e in bundle["entry"]}
    refs = ([r["reference"]["reference"] for r in reasons if "reference" in r]
            if version == "R5" else [r["reference"] for r in metoprolol["reasonReference"]])
    assert refs and set(refs) <= urls
