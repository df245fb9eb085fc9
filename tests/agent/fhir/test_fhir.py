"""FHIR R5 / R4B output: extraction Bundles and the handoff document."""

from __future__ import annotations

import importlib
import json
import xml.etree.ElementTree as ET

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.errors import ConfigError, InputError
from agent.fhir import (
    EXT_CITATION,
    EXT_SOURCE_SPAN,
    EXT_VERIFICATION,
    extraction_bundle,
    handoff_composition,
)
from agent.notes import read_notes
from agent.schemas.extraction import Attribute, Code, Entity, NoteExtraction, Provenance
from agent.schemas.summary import (
    HANDOFF_SECTIONS,
    Citation,
    HandoffSummary,
    Omission,
    Statement,
)
from agent.schemas.verification import EvidenceSpan, Verification

VERSIONS = ("R5", "R4B")
PACKAGES = {"R5": "fhir.resources", "R4B": "fhir.resources.R4B"}
PROVENANCE = Provenance(producer="clinagent.verifiers.entities", package_version="0.1.0",
                        backend="rules", rules_sha256="abc")
NOTE = ("Pt with CHF, possible pneumonia, no PE. History of MI. Mother had breast cancer. "
        "Meds: furosemide 40 mg PO BID, albuterol 2 puffs inhaled q4h PRN wheeze. "
        "Not on warfarin. EF 30%. UA negative. s/p CABG. Allergies: penicillin. "
        "If chest pain recurs, consider CT. Left knee.")


def _span(text: str, *, after: int = 0) -> tuple[int, int]:
    start = NOTE.index(text, after)
    return start, start + len(text)


def _entity(text: str, kind: str, assertion: str = "present", **fields) -> Entity:
    start, end = _span(text)
    return Entity(start=start, end=end, text=text, type=kind, assertion=assertion, **fields)


def _attr(text: str, value: str, after: int) -> Attribute:
    start, end = _span(text, after=after)
    return Attribute(start=start, end=end, text=text, value=value)


def _demo_extraction() -> NoteExtraction:
    furo, albu = NOTE.index("furosemide"), NOTE.index("albuterol")
    drug_codes = [Code(system="DRUGBANK", code="DB00695", display="Furosemide", score=1.0),
                  Code(system="UNII", code="7LXU5N7ZO5", display="FUROSEMIDE", score=1.0)]
    entities = [
        _entity("CHF", "PROBLEM", codes=[
            Code(system="ICD-10-CM", code="I50.9", display="Heart failure, unspecified",
                 score=0.9),
            Code(system="ICD-10-CM", code="I50.20", display="Unspecified systolic heart "
                 "failure", score=0.5)]),
        _entity("pneumonia", "PROBLEM", "possible"),
        _entity("PE", "PROBLEM", "absent"),
        _entity("MI", "PROBLEM", "historical"),
        _entity("breast cancer", "PROBLEM", "family"),
        _entity("furosemide", "MEDICATION", codes=drug_codes, attributes={
            "strength": _attr("40 mg", "40 mg", furo), "route": _attr("PO", "oral", furo),
            "frequency": _attr("BID", "BID", furo)}),
        _entity("albuterol", "MEDICATION", attributes={
            "dose": _attr("2", "2", albu), "unit": _attr("puffs", "puff", albu),
            "route": _attr("inhaled", "inhaled", albu), "frequency": _attr("q4h", "Q4H", albu),
            "prn": _attr("PRN", "true", albu), "indication": _attr("wheeze", "wheeze", albu)}),
        _entity("warfarin", "MEDICATION", "absent"),
        _entity("EF", "TEST", attributes={"value": _attr("30%", "30%", NOTE.index("EF"))}),
        _entity("UA", "TEST", attributes={"value": _attr("negative", "negative",
                                                         NOTE.index("UA"))}),
        _entity("CABG", "PROCEDURE", "historical", codes=[
            Code(system="ICD-10-PCS", code="021", display="Bypass, heart", score=0.8)]),
        _entity("penicillin", "ALLERGY"),
        _entity("chest pain", "PROBLEM", "hypothetical"),
        _entity("CT", "TEST", "hypothetical"),
        _entity("knee", "ANATOMY"),
    ]
    return NoteExtraction(note_id="N1", patient_id="P9", entities=entities,
                          provenance=PROVENANCE)


def _resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _by_text(bundle: dict, kind: str, text: str) -> dict:
    for resource in _resources(bundle, kind):
        concept = resource.get("code") or resource.get("medicationCodeableConcept") \
            or resource.get("medication", {}).get("concept") \
            or resource.get("condition", [{}])[0].get("code")
        if concept["text"] == text:
            return resource
    raise AssertionError(f"no {kind} for {text}")


def _span_of(resource: dict) -> tuple[str, int, int]:
    ext = next(e for e in resource["extension"] if e["url"] == EXT_SOURCE_SPAN)
    parts = {p["url"]: next(v for k, v in p.items() if k.startswith("value"))
             for p in ext["extension"]}
    return parts["noteId"], parts["start"], parts["end"]


def _revalidate(bundle: dict, version: str) -> None:
    """Validate again, independently of the builder, with the version's model package."""
    package = importlib.import_module(PACKAGES[version])
    package.get_fhir_model_class("Bundle").model_validate(bundle)
    for e in bundle["entry"]:
        resource = e["resource"]
        package.get_fhir_model_class(resource["resourceType"]).model_validate(resource)


@pytest.fixture(scope="module")
def bundles() -> dict[str, dict]:
    return {v: extraction_bundle([_demo_extraction()], "P9", v) for v in VERSIONS}


@pytest.mark.parametrize("version", VERSIONS)
def test_when_every_entity_type_is_exported_then_every_resource_validates(bundles, version):
    bundle = bundles[version]
    _revalidate(bundle, version)
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert kinds == {"Patient", "Device", "Condition", "FamilyMemberHistory",
                     "MedicationStatement", "Observation", "Procedure", "AllergyIntolerance",
                     "Provenance", "OperationOutcome"}
    assert bundle["type"] == "collection"
    json.dumps(bundle)  # plain JSON, no Decimal or datetime left


# fmt: off
@pytest.mark.parametrize("text, clinical, verification", [
    ("CHF", "active", "confirmed"),
    ("pneumonia", "active", "provisional"),
    ("PE", "inactive", "refuted"),
    ("MI", "inactive", "confirmed"),
])
# fmt: on
@pytest.mark.parametrize("version", VERSIONS)
def test_when_problem_has_an_assertion_then_condition_statuses_follow_it(
        bundles, version, text, clinical, verification):
    condition = _by_text(bundles[version], "Condition", text)
    assert condition["clinicalStatus"]["coding"][0]["code"] == clinical
    assert condition["verificationStatus"]["coding"][0]["code"] == verification


@pytest.mark.parametrize("version", VERSIONS)
def test_when_problem_has_icd_candidates_then_best_is_coded_and_others_kept(bundles, version):
    condition = _by_text(bundles[version], "Condition", "CHF")
    assert condition["code"]["coding"] == [{"system": "http://hl7.org/fhir/sid/icd-10-cm",
                                            "code": "I50.9",
                                            "display": "Heart failure, unspecified"}]
    candidates = [e for e in condition["extension"] if e["url"].endswith("code-candidate")]
    assert candidates[0]["extension"][0]["valueCoding"]["code"] == "I50.20"


@pytest.mark.parametrize("version", VERSIONS)
def test_when_problem_is_family_history_then_it_is_not_a_patient_condition(bundles, version):
    history = _by_text(bundles[version], "FamilyMemberHistory", "breast cancer")
    assert history["relationship"]["coding"][0]["code"] == "FAMMEMB"
    texts = {c["code"]["text"] for c in _resources(bundles[version], "Condition")}
    assert "breast cancer" not in texts


def test_when_medication_has_dosage_then_r5_uses_codeable_reference_and_timing(bundles):
    statement = _by_text(bundles["R5"], "MedicationStatement", "furosemide")
    assert statement["status"] == "recorded"
    assert statement["adherence"]["code"]["coding"][0]["code"] == "taking"
    assert {c["system"] for c in statement["medication"]["concept"]["coding"]} == {
        "https://go.drugbank.com/drugs", "http://fdasis.nlm.nih.gov"}
    dosage = statement["dosage"][0]
    assert dosage["text"] == "40 mg PO BID"
    assert dosage["doseAndRate"][0]["doseQuantity"] == {
        "value": 40, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"}
    assert dosage["route"] == {"text": "oral"}
    assert dosage["timing"]["repeat"] == {"frequency": 2, "period": 1, "periodUnit": "d"}


@pytest.mark.parametrize("version, prn_field, reason", [
    ("R5", "asNeeded", lambda s: s["reason"][0]["concept"]["text"]),
    ("R4B", "asNeededBoolean", lambda s: s["reasonCode"][0]["text"]),
])
def test_when_medication_is_prn_then_as_needed_and_indication_are_set(
        bundles, version, prn_field, reason):
    statement = _by_text(bundles[version], "MedicationStatement", "albuterol")
    dosage = statement["dosage"][0]
    assert dosage[prn_field] is True
    assert reason(statement) == "wheeze"
    assert dosage["doseAndRate"][0]["doseQuantity"] == {"value": 2, "unit": "puff"}
    assert dosage["timing"]["repeat"] == {"frequency": 1, "period": 4, "periodUnit": "h"}


@pytest.mark.parametrize("version, status", [("R5", "recorded"), ("R4B", "not-taken")])
def test_when_medication_is_negated_then_it_is_not_taken(bundles, version, status):
    statement = _by_text(bundles[version], "MedicationStatement", "warfarin")
    assert statement["status"] == status
    if version == "R5":
        assert statement["adherence"]["code"]["coding"][0]["code"] == "not-taking"
    assert "medicationCodeableConcept" in statement or "medication" in statement


@pytest.mark.parametrize("version", VERSIONS)
def test_when_test_has_numeric_or_text_value_then_observation_value_matches(bundles, version):
    ef = _by_text(bundles[version], "Observation", "EF")
    assert ef["valueQuantity"] == {"value": 30, "unit": "%",
                                   "system": "http://unitsofmeasure.org", "code": "%"}
    assert ef["status"] == "final"
    assert _by_text(bundles[version], "Observation", "UA")["valueString"] == "negative"


@pytest.mark.parametrize("version", VERSIONS)
def test_when_procedure_and_allergy_then_codes_and_statuses_are_set(bundles, version):
    procedure = _by_text(bundles[version], "Procedure", "CABG")
    assert procedure["status"] == "completed"
    assert procedure["code"]["coding"][0]["system"] == "http://www.cms.gov/Medicare/Coding/ICD10"
    allergy = _by_text(bundles[version], "AllergyIntolerance", "penicillin")
    assert allergy["clinicalStatus"]["coding"][0]["code"] == "active"
    assert allergy["verificationStatus"]["coding"][0]["code"] == "confirmed"


@pytest.mark.parametrize("version", VERSIONS)
def test_when_mentions_have_no_fhir_form_then_they_are_listed_not_dropped(bundles, version):
    bundle = bundles[version]
    issues = _resources(bundle, "OperationOutcome")[0]["issue"]
    listed = " ".join(i["diagnostics"] for i in issues)
    for text in ("chest pain", "CT", "knee"):
        start, end = _span(text)
        assert f"note N1 {start}-{end}" in listed
    exported = [r for r in (e["resource"] for e in bundle["entry"]) if "identifier" in r
                and r["resourceType"] not in ("Patient",)]
    assert len(exported) + len(issues) == len(_demo_extraction().entities)


@pytest.mark.parametrize("version", VERSIONS)
def test_when_resources_are_exported_then_provenance_and_producer_are_recorded(
        bundles, version):
    bundle = bundles[version]
    provenance = _resources(bundle, "Provenance")[0]
    clinical = [e["fullUrl"] for e in bundle["entry"] if "identifier" in e["resource"]
                and e["resource"]["resourceType"] != "Patient"]
    assert sorted(t["reference"] for t in provenance["target"]) == sorted(clinical)
    assert provenance["entity"][0]["what"]["identifier"]["value"] == "N1"
    device = _resources(bundle, "Device")[0]
    versions = {v["type"]["text"]: v["value"] for v in device["version"]}
    assert versions["package"] == "0.1.0" and versions["backend"] == "rules"


def test_when_version_is_unknown_then_error_lists_valid_versions():
    with pytest.raises(ConfigError, match="R5, R4B"):
        extraction_bundle([_demo_extraction()], "P9", "R4")


def test_when_a_record_belongs_to_another_patient_then_input_error_names_the_note():
    with pytest.raises(InputError, match="note N1"):
        extraction_bundle([_demo_extraction()], "P1")


# --- the demo patient, real extractor ------------------------------------------------------

@pytest.fixture(scope="module")
def p001(extractor):
    notes = [n for n in read_notes("evals/data/synthetic/notes.jsonl").notes
             if n.patient_id == "P001"]
    return {n.note_id: n for n in notes}, [extractor.extract_note(n) for n in notes]


@pytest.mark.parametrize("version", VERSIONS)
def test_when_demo_patient_is_exported_then_every_span_points_at_its_source_text(
        p001, version):
    notes, extractions = p001
    bundle = extraction_bundle(extractions, "P001", version)
    _revalidate(bundle, version)
    checked = 0
    for e in bundle["entry"]:
        resource = e["resource"]
        if not any(x["url"] == EXT_SOURCE_SPAN for x in resource.get("extension", [])):
            continue
        note_id, start, end = _span_of(resource)
        concept = (resource.get("code") or resource.get("medicationCodeableConcept")
                   or resource.get("medication", {}).get("concept")
                   or resource["condition"][0]["code"])
        assert notes[note_id].text[start:end] == concept["text"]
        checked += 1
    assert checked > 200


def test_when_cli_converts_extract_output_then_bundle_file_is_written(p001, tmp_path):
    _, extractions = p001
    source = tmp_path / "extract.jsonl"
    source.write_text("".join(x.model_dump_json() + "\n" for x in extractions))
    out = tmp_path / "p001.fhir.json"
    result = CliRunner().invoke(app, ["fhir", str(source), "--patient", "P001",
                                      "--version", "R4B", "-o", str(out)])
    assert result.exit_code == 0, result.output
    bundle = json.loads(out.read_text())
    _revalidate(bundle, "R4B")
    assert "MedicationStatement" in result.output and "not exported" in result.output
    missing = CliRunner().invoke(app, ["fhir", str(source), "--patient", "P404"])
    assert missing.exit_code == 2 and "no record of the requested patient" in missing.output
    assert "P404" not in missing.output


# --- the handoff document --------------------------------------------------------------------

def _handoff(p001) -> HandoffSummary:
    notes, _ = p001
    first = notes["P001-01"].text

    def cite(text: str) -> Citation:
        start = first.index(text)
        return Citation(note_id="P001-01", start=start, end=start + len(text))

    supported = Verification(verdict="SUPPORTED", checked_facts=1, evidence=[
        EvidenceSpan(note_id="P001-01", start=cite("HFrEF").start, end=cite("HFrEF").end,
                     relation="supports")])
    contradicted = Verification(verdict="CONTRADICTED", reasons=["negation_flip"],
                                detail="source: denies chest pain; statement: chest pain",
                                checked_facts=1)
    statements = [
        Statement(id="s1", section="patient_summary", text="74 yo M with HFrEF.",
                  citations=[cite("HFrEF")], verification=supported),
        Statement(id="s2", section="active_problems", text="Chest pain <script>x</script> & "
                  "dyspnea.", citations=[cite("CP"), cite("dyspnea")],
                  verification=contradicted),
        Statement(id="s3", section="medications", text="Furosemide 20 mg PO daily.",
                  citations=[cite("furosemide 20 mg PO daily")]),
    ]
    return HandoffSummary(
        patient_id="P001", generated_at="2026-03-16T08:00:00Z", mode="extractive",
        note_ids=list(notes), statements=statements,
        omissions=[Omission(kind="allergy", text="enalapril (cough)",
                            citations=[cite("enalapril")])],
        flags=["LLM backend unreachable: extractive summary"], provenance=PROVENANCE)


@pytest.mark.parametrize("version", VERSIONS)
def test_when_handoff_is_exported_then_document_bundle_starts_with_composition(
        p001, version):
    summary = _handoff(p001)
    bundle = handoff_composition(summary, version)
    _revalidate(bundle, version)
    assert bundle["type"] == "document" and bundle["identifier"]["value"].startswith("urn:")
    composition = bundle["entry"][0]["resource"]
    assert composition["resourceType"] == "Composition"
    subject = composition["subject"][0] if version == "R5" else composition["subject"]
    patient = next(e for e in bundle["entry"] if e["fullUrl"] == subject["reference"])
    assert patient["resource"]["identifier"][0]["value"] == "P001"
    codes = [s["code"]["coding"][0]["code"] for s in composition["section"]]
    assert codes == [*HANDOFF_SECTIONS, "omissions", "flags"]
    for section in composition["section"]:
        ET.fromstring(section["text"]["div"])  # well-formed XHTML, text escaped
    documents = {e["fullUrl"]: e["resource"] for e in bundle["entry"]
                 if e["resource"]["resourceType"] == "DocumentReference"}
    assert {d["identifier"][0]["value"] for d in documents.values()} == set(summary.note_ids)


@pytest.mark.parametrize("version", VERSIONS)
def test_when_statement_is_contradicted_then_verdict_and_citations_are_visible(
        p001, version):
    summary = _handoff(p001)
    composition = handoff_composition(summary, version)["entry"][0]["resource"]
    problems = next(s for s in composition["section"]
                    if s["code"]["coding"][0]["code"] == "active_problems")
    div = problems["text"]["div"]
    assert "CONTRADICTED: negation_flip" in div
    assert "<script>" not in div and "&lt;script&gt;" in div
    statement = problems["section"][0]
    citations = [{p["url"]: next(v for k, v in p.items() if k.startswith("value"))
                  for p in x["extension"]} for x in statement["extension"]
                 if x["url"] == EXT_CITATION]
    assert [(c["noteId"], c["start"], c["end"]) for c in citations] == [
        (c.note_id, c.start, c.end) for c in summary.statements[1].citations]
    verification = next(x for x in statement["extension"] if x["url"] == EXT_VERIFICATION)
    assert {"url": "reason", "valueCode": "negation_flip"} in verification["extension"]
    empty = next(s for s in composition["section"]
                 if s["code"]["coding"][0]["code"] == "allergies")
    assert empty["emptyReason"]["coding"][0]["code"] == "unavailable"
    meds = next(s for s in composition["section"]
                if s["code"]["coding"][0]["code"] == "medications")
    assert "NOT VERIFIED" in meds["text"]["div"]


def test_when_handoff_version_is_unknown_then_config_error(p001):
    with pytest.raises(ConfigError, match="R5, R4B"):
        handoff_composition(_handoff(p001), "STU3")


def test_when_extract_file_has_a_bad_line_then_error_names_the_line(tmp_path):
    from agent.fhir.extraction import read_extractions

    source = tmp_path / "extract.jsonl"
    source.write_text(_demo_extraction().model_dump_json() + "\n" + '{"note_id": "N2"}\n')
    with pytest.raises(InputError, match="line 2"):
        read_extractions(source, "P9")


@pytest.fixture(scope="module")
def real_handoff(p001, extractor) -> HandoffSummary:
    from agent.config import Settings
    from agent.handoff.build import handoff_for_patient

    notes, _ = p001
    return handoff_for_patient(list(notes.values()), Settings(), extractor=extractor)


@pytest.mark.parametrize("version", VERSIONS)
def test_when_real_demo_handoff_is_exported_then_every_statement_keeps_citations_and_verdict(
        real_handoff, version):
    summary = real_handoff
    bundle = handoff_composition(summary, version)
    _revalidate(bundle, version)
    composition = bundle["entry"][0]["resource"]
    sub_sections = [sub for s in composition["section"] for sub in s.get("section", [])]
    assert len(sub_sections) == len(summary.statements)
    for sub, statement in zip(sub_sections, sorted(
            summary.statements, key=lambda s: HANDOFF_SECTIONS.index(s.section)), strict=True):
        urls = [x["url"] for x in sub["extension"]]
        assert urls.count(EXT_CITATION) == len(statement.citations)
        assert (EXT_VERIFICATION in urls) == (statement.verification is not None)
        ET.fromstring(sub["text"]["div"])
        if statement.verification is not None:
            assert statement.verification.verdict in sub["text"]["div"]


def test_when_extract_file_is_empty_then_cli_says_so(tmp_path):
    from typer.testing import CliRunner

    from agent.cli import app

    empty = tmp_path / "extract.jsonl"
    empty.write_text("", encoding="utf-8")
    result = CliRunner().invoke(app, ["fhir", str(empty), "--patient", "P001"])
    assert result.exit_code == 2 and "no extraction record (empty file)" in result.output
