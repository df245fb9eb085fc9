"""Extraction output (``clinagent extract`` records) as a FHIR collection Bundle.

Mapping (entity type, assertion) -> resource:

- PROBLEM -> Condition. present: active/confirmed; possible: active/provisional;
  absent: inactive/refuted; historical: inactive/confirmed; family -> FamilyMemberHistory
  (relationship "family member": the extractor does not say which relative).
- MEDICATION -> MedicationStatement with a Dosage (text, dose or rate, route, timing, PRN).
  R5: status ``recorded`` and the taking/not-taking/stopped/unknown adherence code;
  R4B: status active / not-taken / completed / unknown.
- TEST -> Observation (value as valueQuantity when it is a number with an optional unit,
  otherwise valueString). absent: ``cancelled`` with data-absent-reason ``not-performed``.
- PROCEDURE -> Procedure (completed / not-done / unknown).
- ALLERGY -> AllergyIntolerance (active/confirmed; absent: inactive/refuted).

Relations (``NoteExtraction.relations``) add AdverseEvent resources, AllergyIntolerance
reactions and MedicationStatement reasons (:mod:`agent.fhir.relations`).

Hypothetical mentions ("if chest pain recurs", "consider a CT") are not facts about the
patient, and ANATOMY has no standalone resource: these are listed in an OperationOutcome
entry (type, note id, offsets, assertion) rather than silently dropped.
"""

from __future__ import annotations

import logging
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from agent.errors import InputError
from agent.fhir.common import (
    ENTITY_ID_SYSTEM,
    EXT_CODE_CANDIDATE,
    UCUM,
    coding,
    device_resource,
    entry,
    full_url,
    instant,
    note_reference,
    patient_resource,
    span_extension,
    validated,
)
from agent.fhir.relations import add_relation_elements, adverse_events
from agent.schemas.extraction import Entity, NoteExtraction
from agent.schemas.notes import InputIssue

logger = logging.getLogger(__name__)

_CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
_CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
_ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
_ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
_ADHERENCE = "http://hl7.org/fhir/CodeSystem/medication-statement-adherence"
_DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
_ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
_PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"

# assertion -> (clinicalStatus, verificationStatus)
_CONDITION_STATUS = {
    "present": ("active", "confirmed"), "possible": ("active", "provisional"),
    "absent": ("inactive", "refuted"), "historical": ("inactive", "confirmed"),
}
_ALLERGY_STATUS = {
    "present": ("active", "confirmed"), "possible": ("active", "unconfirmed"),
    "absent": ("inactive", "refuted"), "historical": ("inactive", "confirmed"),
}
# assertion -> (R5 adherence code, R4B status)
_MEDICATION_STATUS = {
    "present": ("taking", "active"), "possible": ("unknown", "unknown"),
    "absent": ("not-taking", "not-taken"), "historical": ("stopped", "completed"),
}
_OBSERVATION_STATUS = {"present": "final", "historical": "final", "possible": "preliminary",
                       "absent": "cancelled"}
_PROCEDURE_STATUS = {"present": "completed", "historical": "completed", "possible": "unknown",
                     "absent": "not-done"}
_SUPPORTED = {"PROBLEM": _CONDITION_STATUS, "MEDICATION": _MEDICATION_STATUS,
              "TEST": _OBSERVATION_STATUS, "PROCEDURE": _PROCEDURE_STATUS,
              "ALLERGY": _ALLERGY_STATUS}

# Normalised frequency (verifiers' abbreviations) -> Timing.repeat.
_REPEATS: dict[str, dict[str, Any]] = {
    "DAILY": {"frequency": 1, "period": 1, "periodUnit": "d"},
    "BID": {"frequency": 2, "period": 1, "periodUnit": "d"},
    "TID": {"frequency": 3, "period": 1, "periodUnit": "d"},
    "QID": {"frequency": 4, "period": 1, "periodUnit": "d"},
    "QHS": {"frequency": 1, "period": 1, "periodUnit": "d", "when": ["HS"]},
    "WEEKLY": {"frequency": 1, "period": 1, "periodUnit": "wk"},
    "Q2W": {"frequency": 1, "period": 2, "periodUnit": "wk"},
    "ONCE": {"count": 1},
    "AC": {"when": ["AC"]},
    "AC/HS": {"when": ["AC", "HS"]},
    "WITH MEALS": {"when": ["C"]},
}
_EVERY_N_HOURS = re.compile(r"^Q(\d{1,2})H$")
_UCUM_CODES = {"mg": "mg", "g": "g", "mcg": "ug", "ug": "ug", "mL": "mL", "ml": "mL",
               "L": "L", "%": "%", "kg": "kg", "mmol/L": "mmol/L", "mg/dL": "mg/dL",
               "mL/hour": "mL/h", "mg/hour": "mg/h", "mcg/kg/minute": "ug/kg/min"}
_DURATION_UNITS = {"minute": "min", "hour": "h", "day": "d", "week": "wk", "month": "mo",
                   "h": "h", "d": "d"}
_QUANTITY = re.compile(r"^\s*(<=|>=|<|>)?\s*(-?\d+(?:\.\d+)?)\s*([A-Za-z%µ][\w%/µ^.]*)?\s*$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]+?)s?\s*$")


def _quantity(text: str | None, unit: str | None = None) -> dict[str, Any] | None:
    """'40 mg' -> Quantity (UCUM coded when the unit is known); None if not a number."""
    if not text:
        return None
    match = _QUANTITY.match(text if unit is None else f"{text} {unit}")
    if match is None:
        return None
    comparator, number, unit_text = match.groups()
    out: dict[str, Any] = {"value": Decimal(number)}
    if comparator:
        out["comparator"] = comparator
    if unit_text:
        out["unit"] = unit_text
        if unit_text in _UCUM_CODES:
            out.update(system=UCUM, code=_UCUM_CODES[unit_text])
    return out


def _concept(entity: Entity) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The entity's CodeableConcept and the extensions for its lower-ranked candidates.

    Codes of different systems for one drug name the same substance, so each system's best
    code goes into ``coding``. ICD-10 candidates of one mention are alternatives, not
    synonyms: only the best is a coding; the others are kept as scored candidates.
    """
    best: dict[str, Any] = {}
    candidates: list[dict[str, Any]] = []
    for code in sorted(entity.codes, key=lambda c: -c.score):
        as_coding = coding(code.system, code.code, code.display)
        if code.system not in best:
            best[code.system] = as_coding
        else:
            candidates.append({"url": EXT_CODE_CANDIDATE, "extension": [
                {"url": "coding", "valueCoding": as_coding},
                {"url": "score", "valueDecimal": Decimal(str(round(code.score, 4)))}]})
    concept: dict[str, Any] = {"text": entity.text}
    if best:
        concept["coding"] = list(best.values())
    return concept, candidates


def _timing(frequency: str | None, duration: str | None) -> dict[str, Any] | None:
    if not frequency and not duration:
        return None
    timing: dict[str, Any] = {}
    repeat: dict[str, Any] = {}
    if frequency:
        timing["code"] = {"text": frequency}
        every = _EVERY_N_HOURS.match(frequency)
        if every:
            repeat = {"frequency": 1, "period": int(every.group(1)), "periodUnit": "h"}
        else:
            repeat = dict(_REPEATS.get(frequency, {}))
    match = _DURATION.match(duration or "")
    if match and match.group(2) in _DURATION_UNITS:
        unit = _DURATION_UNITS[match.group(2)]
        repeat["boundsDuration"] = {"value": Decimal(match.group(1)), "unit": unit,
                                    "system": UCUM, "code": unit}
    if repeat:
        timing["repeat"] = repeat
    return timing


def _dosage(entity: Entity, version: str) -> dict[str, Any] | None:
    attrs = entity.attributes
    dosing = [a for name, a in attrs.items() if name != "indication"]
    if not dosing:
        return None
    value = {name: a.value or a.text for name, a in attrs.items()}
    dosage: dict[str, Any] = {"text": " ".join(a.text for a in sorted(dosing,
                                                                        key=lambda a: a.start))}
    if "dose" in value:
        amount = _quantity(value["dose"], value.get("unit") or value.get("form"))
    else:
        amount = _quantity(value.get("strength"))
    if amount:
        is_rate = "/h" in amount.get("code", "") or "/min" in amount.get("code", "") \
            or "/hour" in amount.get("unit", "")
        dosage["doseAndRate"] = [{"rateQuantity" if is_rate else "doseQuantity": amount}]
    if "route" in value:
        dosage["route"] = {"text": value["route"]}
    timing = _timing(value.get("frequency"), value.get("duration"))
    if timing:
        dosage["timing"] = timing
    if "prn" in value:
        dosage["asNeeded" if version == "R5" else "asNeededBoolean"] = True
    return dosage


def _status_concept(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def _resource(entity: Entity, note_id: str, patient: dict[str, Any],
              version: str) -> dict[str, Any]:
    """The FHIR resource of one entity whose (type, assertion) is supported."""
    concept, candidates = _concept(entity)
    common: dict[str, Any] = {
        "extension": [span_extension(note_id, entity.start, entity.end,
                                     assertion=entity.assertion, section=entity.section),
                      *candidates],
        "identifier": [{"system": ENTITY_ID_SYSTEM,
                        "value": f"{note_id}:{entity.start}-{entity.end}:{entity.type}"}],
    }
    kind, assertion, r5 = entity.type, entity.assertion, version == "R5"
    if kind == "PROBLEM" and assertion == "family":
        return {"resourceType": "FamilyMemberHistory", **common, "status": "partial",
                "patient": patient, "condition": [{"code": concept}],
                "relationship": {"coding": [{"system": _ROLE_CODE, "code": "FAMMEMB",
                                             "display": "family member"}]}}
    if kind == "PROBLEM":
        clinical, verification = _CONDITION_STATUS[assertion]
        return {"resourceType": "Condition", **common, "code": concept, "subject": patient,
                "clinicalStatus": _status_concept(_CONDITION_CLINICAL, clinical),
                "verificationStatus": _status_concept(_CONDITION_VERIFICATION, verification)}
    if kind == "ALLERGY":
        clinical, verification = _ALLERGY_STATUS[assertion]
        out = {"resourceType": "AllergyIntolerance", **common, "code": concept,
               "patient": patient,
               "clinicalStatus": _status_concept(_ALLERGY_CLINICAL, clinical),
               "verificationStatus": _status_concept(_ALLERGY_VERIFICATION, verification)}
        if any(c.system in ("DRUGBANK", "UNII", "RXNORM") for c in entity.codes):
            out["category"] = ["medication"]
        return out
    if kind == "MEDICATION":
        adherence, r4b_status = _MEDICATION_STATUS[assertion]
        out = {"resourceType": "MedicationStatement", **common, "subject": patient}
        indication = entity.attributes.get("indication")
        if r5:
            out.update(status="recorded", medication={"concept": concept},
                       adherence={"code": _status_concept(_ADHERENCE, adherence)})
            if indication:
                out["reason"] = [{"concept": {"text": indication.value or indication.text}}]
        else:
            out.update(status=r4b_status, medicationCodeableConcept=concept)
            if indication:
                out["reasonCode"] = [{"text": indication.value or indication.text}]
        dosage = _dosage(entity, version)
        if dosage:
            out["dosage"] = [dosage]
        return out
    if kind == "TEST":
        out = {"resourceType": "Observation", **common, "code": concept, "subject": patient,
               "status": _OBSERVATION_STATUS[assertion]}
        result = entity.attributes.get("value")
        if assertion == "absent":
            out["dataAbsentReason"] = _status_concept(_DATA_ABSENT, "not-performed")
        elif result:
            quantity = _quantity(result.value or result.text)
            if quantity:
                out["valueQuantity"] = quantity
            else:
                out["valueString"] = result.value or result.text
        return out
    return {"resourceType": "Procedure", **common, "code": concept, "subject": patient,
            "status": _PROCEDURE_STATUS[assertion]}


def _excluded(entity: Entity, note_id: str) -> dict[str, Any]:
    why = ("no standalone FHIR resource for anatomy" if entity.type == "ANATOMY"
           else f"{entity.assertion} mention is not a fact about the patient")
    return {"severity": "information", "code": "informational",
            "diagnostics": f"not exported: {entity.type} at note {note_id} "
                           f"{entity.start}-{entity.end} (assertion {entity.assertion}): {why}"}


def build_extraction_bundle(extractions: list[NoteExtraction], patient_id: str,
                            version: str, input_issues: list[InputIssue] | None = None,
                            ) -> dict[str, Any]:
    """Implementation of :func:`agent.fhir.extraction_bundle` (version already checked)."""
    if not extractions:
        raise InputError("extractions", "no extraction records to convert",
                         fix="Pass the `clinagent extract` output of this patient's notes")
    for record in extractions:
        if record.patient_id not in (None, patient_id):
            raise InputError(f"note {record.note_id}",
                             "belongs to another patient than the one requested",
                             fix="Pass only this patient's records (clinagent fhir --patient "
                             "filters a multi-patient file)")
    now = instant()
    patient_url = full_url("patient", patient_id)
    patient_ref = {"reference": patient_url}
    entries = [entry(patient_url, validated(patient_resource(patient_id), version,
                                            what="extraction bundle"))]
    devices: dict[str, str] = {}
    resources: list[dict[str, Any]] = []
    provenances: list[dict[str, Any]] = []
    # Partial input first: a reader of the OperationOutcome sees it before the exclusions.
    issues: list[dict[str, Any]] = [_input_issue(i) for i in input_issues or []]
    for record in extractions:
        key = record.provenance.model_dump_json()
        if key not in devices:
            devices[key] = full_url("device", key)
            device = validated(device_resource(record.provenance, version), version,
                               what=f"producer of note {record.note_id}")
            entries.append(entry(devices[key], device))
        targets = []
        for entity in record.entities:
            where = f"note {record.note_id} {entity.type} {entity.start}-{entity.end}"
            statuses = _SUPPORTED.get(entity.type, {})
            if entity.assertion not in statuses and not (
                    entity.type == "PROBLEM" and entity.assertion == "family"):
                issues.append(_excluded(entity, record.note_id))
                continue
            url = full_url(patient_id, record.note_id, str(entity.start), str(entity.end),
                           entity.type)
            resource = _resource(entity, record.note_id, patient_ref, version)
            add_relation_elements(resource, entity, record, patient_id, version)
            resource["meta"] = {"source": devices[key]}
            resources.append(entry(url, validated(resource, version, what=where)))
            targets.append({"reference": url})
        for url, event in adverse_events(record, patient_id, patient_ref, version):
            event["meta"] = {"source": devices[key]}
            resources.append(entry(url, validated(event, version, what=f"note {record.note_id}"
                                                  " adverse event")))
            targets.append({"reference": url})
        if targets:
            provenance = {
                "resourceType": "Provenance", "target": targets, "recorded": now,
                "agent": [{"type": _status_concept(_PARTICIPANT_TYPE, "assembler"),
                           "who": {"reference": devices[key]}}],
                "entity": [{"role": "source", "what": note_reference(record.note_id)}]}
            if version == "R5":
                provenance["patient"] = patient_ref
            provenances.append(entry(full_url("provenance", patient_id, record.note_id),
                                     validated(provenance, version,
                                               what=f"provenance of note {record.note_id}")))
    entries += resources + provenances
    if issues:
        outcome = {"resourceType": "OperationOutcome", "issue": issues}
        entries.append(entry(full_url("excluded", patient_id, now),
                             validated(outcome, version, what="extraction bundle")))
    logger.info("FHIR %s bundle: %d resources, %d mentions not exported, %d input issue(s)",
                version, len(resources), len(issues) - len(input_issues or []),
                len(input_issues or []))
    bundle = {"resourceType": "Bundle", "type": "collection", "timestamp": now,
              "identifier": {"system": "urn:ietf:rfc:3986",
                             "value": full_url("bundle", patient_id, now)},
              "entry": entries}
    return validated(bundle, version, what="extraction bundle")


def read_extractions(path: str | Path, patient_id: str,
                     ) -> tuple[list[NoteExtraction], list[InputIssue]]:
    """Read one patient's records from a ``clinagent extract`` JSON Lines file.

    A bad line is an error rather than a skipped line: a Bundle missing a note would look
    complete to its reader. For the same reason the ``input_issue`` records ``clinagent
    extract`` wrote for notes it could not read are returned, to go into the Bundle.

    Args:
        path: the JSON Lines file.
        patient_id: keep the records of this patient.

    Returns:
        The patient's records in file order, and the input issues that may concern this
        patient (those naming it or no patient).

    Raises:
        InputError: missing file, a line that is not an extraction record, or no record of
            this patient (the message gives how many patients the file holds).
    """
    source = Path(path)
    if not source.is_file():
        raise InputError(str(source), "no such file",
                         fix="Pass the output of `clinagent extract NOTES -o FILE.jsonl`")
    records: list[NoteExtraction] = []
    issues: list[InputIssue] = []
    patients: set[str | None] = set()
    with source.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                if line.startswith('{"input_issue"'):
                    issue = _IssueRecord.model_validate_json(line).input_issue
                    if issue.patient_id in (None, patient_id):
                        issues.append(issue)
                    continue
                record = NoteExtraction.model_validate_json(line)
            except ValidationError as e:
                first = e.errors()[0]
                raise InputError(str(source), f"not a clinagent extract record ({first['msg']})",
                                 line=number, field=".".join(map(str, first["loc"])) or None,
                                 fix="Pass the output of `clinagent extract`") from e
            patients.add(record.patient_id)
            if record.patient_id == patient_id:
                records.append(record)
    if not patients:
        raise InputError(str(source), "the file holds no extraction record (empty file)",
                         fix="Pass the output of `clinagent extract`")
    if not records:
        raise InputError(str(source), "no record of the requested patient (the file holds "
                         f"{len(patients)} other patient(s))",
                         fix="Check --patient against the patient_id of the notes")
    return records, issues


class _IssueRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    input_issue: InputIssue


def _input_issue(issue: InputIssue) -> dict[str, Any]:
    where = issue.source + (f" line {issue.line}" if issue.line is not None else "")
    return {"severity": "warning", "code": "incomplete",
            "diagnostics": f"partial input: {where} could not be read when the notes were "
                           f"extracted ({issue.problem}); a note of this patient may be "
                           "missing from this bundle"}
