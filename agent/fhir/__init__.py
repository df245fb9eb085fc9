"""FHIR output: extraction Bundles and the handoff document, in R5 or R4B.

Resources are assembled as plain dicts, then validated by ``fhir.resources`` (R5 is
``fhir.resources``, R4B is ``fhir.resources.R4B``) and returned as the JSON dicts the models
serialise to, so every output has passed the library's structural validation.

This module is the facade: the two entry points and, re-exported, the constants and helpers
of :mod:`agent.fhir.common` (what both builders share: version handling, validation, the
clinagent extensions and code-system URIs, the producer Device). The builders are
:mod:`agent.fhir.extraction` and :mod:`agent.fhir.composition`.

Every resource made from a note carries the note id and character offsets in the
``source-span`` extension, so a reader can go back to the exact passage. Note text is never
put in error messages.
"""

from __future__ import annotations

from typing import Any

from agent.fhir.common import (
    CLINAGENT_FHIR,
    CODE_SYSTEM_URIS,
    CS_DOCUMENT_TYPE,
    CS_IPASS,
    ENTITY_ID_SYSTEM,
    EXT_CITATION,
    EXT_CODE_CANDIDATE,
    EXT_INPUT_ISSUE,
    EXT_OMISSION,
    EXT_SOURCE_SPAN,
    EXT_STATEMENT,
    EXT_SUMMARY_MODE,
    EXT_VERIFICATION,
    FHIR_VERSIONS,
    NOTE_ID_SYSTEM,
    PATIENT_ID_SYSTEM,
    UCUM,
    check_version,
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
from agent.fhir.composition import build_handoff_document
from agent.fhir.extraction import build_extraction_bundle
from agent.schemas.extraction import NoteExtraction
from agent.schemas.notes import InputIssue
from agent.schemas.summary import HandoffSummary

__all__ = [
    "CLINAGENT_FHIR",
    "CODE_SYSTEM_URIS",
    "CS_DOCUMENT_TYPE",
    "CS_IPASS",
    "ENTITY_ID_SYSTEM",
    "EXT_CITATION",
    "EXT_CODE_CANDIDATE",
    "EXT_INPUT_ISSUE",
    "EXT_OMISSION",
    "EXT_SOURCE_SPAN",
    "EXT_STATEMENT",
    "EXT_SUMMARY_MODE",
    "EXT_VERIFICATION",
    "FHIR_VERSIONS",
    "NOTE_ID_SYSTEM",
    "PATIENT_ID_SYSTEM",
    "UCUM",
    "check_version",
    "coding",
    "device_resource",
    "entry",
    "extraction_bundle",
    "full_url",
    "handoff_composition",
    "instant",
    "note_reference",
    "patient_resource",
    "span_extension",
    "validated",
]


def extraction_bundle(extractions: list[NoteExtraction], patient_id: str,
                      version: str = "R5", *,
                      input_issues: list[InputIssue] | None = None) -> dict[str, Any]:
    """A FHIR ``collection`` Bundle of one patient's extracted entities.

    PROBLEM -> Condition (or FamilyMemberHistory for family history), MEDICATION ->
    MedicationStatement, TEST -> Observation, PROCEDURE -> Procedure, ALLERGY ->
    AllergyIntolerance; a Provenance per note and a Device for the producer. Entities with
    no faithful FHIR form (hypothetical mentions, anatomy) are listed in an
    OperationOutcome entry instead of being dropped.

    Args:
        extractions: ``clinagent extract`` records of this patient.
        patient_id: the patient; records of another patient are an error.
        version: "R5" (default) or "R4B".
        input_issues: notes the extraction could not read (``input_issue`` records of
            ``clinagent extract``); each becomes an OperationOutcome issue (warning,
            ``incomplete``) so the Bundle says it may miss a note.

    Returns:
        The Bundle as a JSON dict, validated by fhir.resources.

    Raises:
        ConfigError: unknown version.
        InputError: a record of another patient, or no records at all.
    """
    return build_extraction_bundle(extractions, patient_id, check_version(version),
                                   input_issues)


def handoff_composition(summary: HandoffSummary, version: str = "R5") -> dict[str, Any]:
    """The handoff summary as a FHIR ``document`` Bundle, its Composition first.

    One section per I-PASS section with an escaped XHTML narrative; each statement is a
    sub-section carrying its citations and verification verdict as extensions (and in the
    narrative); cited notes are DocumentReferences; a Provenance and a Device record what
    produced it. Omissions and run flags get their own sections.

    Args:
        summary: a (verified) handoff summary.
        version: "R5" (default) or "R4B".

    Returns:
        The document Bundle as a JSON dict, validated by fhir.resources.

    Raises:
        ConfigError: unknown version.
    """
    return build_handoff_document(summary, check_version(version))
