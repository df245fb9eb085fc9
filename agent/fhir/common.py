"""What the FHIR builders share: version handling, validation by ``fhir.resources``, the
clinagent extensions and code-system URIs, references and the producer Device.

Both builders (:mod:`agent.fhir.extraction`, :mod:`agent.fhir.composition`) import this
module, never the :mod:`agent.fhir` facade.
"""

from __future__ import annotations

import importlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from agent.errors import ConfigError, InputError
from agent.schemas.extraction import Provenance

FHIR_VERSIONS: tuple[str, ...] = ("R5", "R4B")
_MODEL_PACKAGES = {"R5": "fhir.resources", "R4B": "fhir.resources.R4B"}

# clinagent's own definitions. They are not published profiles; the URLs only namespace them.
CLINAGENT_FHIR = "http://clinagent.local/fhir"
EXT_SOURCE_SPAN = f"{CLINAGENT_FHIR}/StructureDefinition/source-span"
EXT_CODE_CANDIDATE = f"{CLINAGENT_FHIR}/StructureDefinition/code-candidate"
EXT_CITATION = f"{CLINAGENT_FHIR}/StructureDefinition/citation"
EXT_VERIFICATION = f"{CLINAGENT_FHIR}/StructureDefinition/verification"
EXT_STATEMENT = f"{CLINAGENT_FHIR}/StructureDefinition/statement"
EXT_OMISSION = f"{CLINAGENT_FHIR}/StructureDefinition/omission"
EXT_SUMMARY_MODE = f"{CLINAGENT_FHIR}/StructureDefinition/summary-mode"
EXT_INPUT_ISSUE = f"{CLINAGENT_FHIR}/StructureDefinition/input-issue"
CS_IPASS = f"{CLINAGENT_FHIR}/CodeSystem/ipass-section"
CS_DOCUMENT_TYPE = f"{CLINAGENT_FHIR}/CodeSystem/document-type"
NOTE_ID_SYSTEM = f"{CLINAGENT_FHIR}/NamingSystem/note-id"
PATIENT_ID_SYSTEM = f"{CLINAGENT_FHIR}/NamingSystem/patient-id"
ENTITY_ID_SYSTEM = f"{CLINAGENT_FHIR}/NamingSystem/entity-mention"

# Official URIs where HL7 defines one (ICD-10-CM, ICD-10-PCS, UNII, MeSH, RxNorm, LOINC);
# DrugBank and MedlinePlus have none, so their web namespaces are used.
CODE_SYSTEM_URIS: dict[str, str] = {
    "ICD-10-CM": "http://hl7.org/fhir/sid/icd-10-cm",
    "ICD-10-PCS": "http://www.cms.gov/Medicare/Coding/ICD10",
    "UNII": "http://fdasis.nlm.nih.gov",
    "MESH": "https://www.nlm.nih.gov/mesh",
    "RXNORM": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "LOINC": "http://loinc.org",
    "DRUGBANK": "https://go.drugbank.com/drugs",
    "MEDLINEPLUS": "https://medlineplus.gov/druginfo/meds",
}
UCUM = "http://unitsofmeasure.org"
_UUID_NAMESPACE = uuid.UUID("6f1c1f0e-5b7a-4c39-9a53-2f6d3c1e7a10")


def check_version(version: str) -> str:
    """Normalise a FHIR version name.

    Args:
        version: "R5" or "R4B" (case-insensitive).

    Returns:
        The canonical spelling.

    Raises:
        ConfigError: for any other version; the message lists the valid ones.
    """
    canonical = str(version).strip().upper()
    if canonical not in FHIR_VERSIONS:
        raise ConfigError("fhir version", f"unknown FHIR version {version!r}",
                          f"Use one of: {', '.join(FHIR_VERSIONS)}")
    return canonical


def validated(resource: dict[str, Any], version: str, *, what: str) -> dict[str, Any]:
    """Validate a resource dict with fhir.resources and return its JSON form.

    Args:
        resource: the resource, with ``resourceType``.
        version: "R5" or "R4B" (already checked).
        what: where it comes from (note id + offsets, or 'handoff of patient X') for errors.

    Returns:
        The JSON dict the validated model serialises to.

    Raises:
        InputError: the resource does not validate; names field paths, never values.
    """
    package = importlib.import_module(_MODEL_PACKAGES[version])
    model_class = package.get_fhir_model_class(resource["resourceType"])
    try:
        model = model_class.model_validate(resource)
    except ValidationError as e:
        # Only locations and messages: pydantic's input_value may hold note text.
        problems = "; ".join(f"{'.'.join(map(str, err['loc']))}: {err['msg']}"
                             for err in e.errors()[:5])
        raise InputError(what, f"FHIR {version} {resource['resourceType']} does not "
                         f"validate ({problems})",
                         fix="Report this as a clinagent bug with the note id") from e
    return json.loads(model.model_dump_json())


def full_url(*parts: str) -> str:
    """A stable ``urn:uuid:`` for a bundle entry: the same input gives the same id."""
    return f"urn:uuid:{uuid.uuid5(_UUID_NAMESPACE, '|'.join(parts))}"


def instant(value: str | None = None) -> str:
    """An ISO 8601 instant with seconds and time zone (UTC when none is given)."""
    moment = datetime.now(UTC) if value is None else datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat(timespec="seconds")


def span_extension(note_id: str, start: int, end: int, *, url: str = EXT_SOURCE_SPAN,
                   **extra: str | None) -> dict[str, Any]:
    """A complex extension pointing at ``note_id[start:end]`` (plus optional string parts)."""
    parts: list[dict[str, Any]] = [
        {"url": "noteId", "valueString": note_id},
        {"url": "start", "valueInteger": start},
        {"url": "end", "valueInteger": end},
    ]
    parts += [{"url": key, "valueString": value} for key, value in extra.items() if value]
    return {"url": url, "extension": parts}


def coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    """A Coding for a clinagent code-system name (``ICD-10-CM``...) or a URI."""
    out: dict[str, Any] = {"system": CODE_SYSTEM_URIS.get(system, system), "code": code}
    if display:
        out["display"] = display
    return out


def note_reference(note_id: str) -> dict[str, Any]:
    """A logical reference to a source note (notes are not FHIR resources here)."""
    return {"identifier": {"system": NOTE_ID_SYSTEM, "value": note_id},
            "display": f"note {note_id}"}


def patient_resource(patient_id: str) -> dict[str, Any]:
    """The Patient the resources refer to, identified only by clinagent's patient id."""
    return {"resourceType": "Patient",
            "identifier": [{"system": PATIENT_ID_SYSTEM, "value": patient_id}]}


def device_resource(provenance: Provenance, version: str,
                    prompts: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """The producer of an output as a Device: package version, backend, model, prompts, rules.

    Args:
        provenance: the output's provenance record.
        version: "R5" or "R4B".
        prompts: extra prompt ids (``id@version``) used, e.g. by hierarchical LLM calls.
    """
    parts = [("package", provenance.package_version), ("backend", provenance.backend),
             ("model", provenance.model), ("prompt", provenance.prompt),
             ("rules_sha256", provenance.rules_sha256)]
    parts += [("prompt", p) for p in prompts if p != provenance.prompt]
    parts += [(f"vocabulary {name}", v) for name, v in sorted(provenance.vocabularies.items())]
    versions = [{"type": {"text": kind}, "value": value} for kind, value in parts if value]
    name = {"type": "user-friendly-name"}
    device: dict[str, Any] = {"resourceType": "Device", "version": versions}
    if version == "R5":
        device["name"] = [{**name, "value": provenance.producer}]
    else:
        device["deviceName"] = [{**name, "name": provenance.producer}]
    return device


def entry(url: str, resource: dict[str, Any]) -> dict[str, Any]:
    """A Bundle entry."""
    return {"fullUrl": url, "resource": resource}
