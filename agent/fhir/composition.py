"""The handoff summary as a FHIR document: a ``document`` Bundle, its Composition first.

Layout of the Composition:

- one section per I-PASS section (code from clinagent's ``ipass-section`` code system), with
  an XHTML narrative listing each statement, its verdict ("CONTRADICTED: negation_flip")
  and its sources (note id + offsets); a section with no statement says so and carries
  ``emptyReason`` = unavailable;
- one sub-section per statement, carrying the statement id, origin, citations and
  verification (verdict, reasons, detail, evidence spans) as extensions, and referring to
  the DocumentReference of every cited note;
- an "omissions" section (timeline facts the summary leaves out) and a "flags" section
  (run-level warnings) when there are any;
- when the summary was built from partial input, a first "input_issues" section listing
  the skipped input lines (file, line, field, reason as ``input-issue`` extensions and in
  the narrative), and the Composition's own narrative opens with "PARTIAL INPUT".

The Composition is ``preliminary`` (machine-generated) until a clinician acknowledges the
handoff (``POST /v1/handoffs/{id}/acknowledge``): :func:`attest_document` then makes it
``final`` with one ``attester`` (mode ``legal``, time, the key's name) per acknowledgement.

The narrative is built with :func:`html.escape` on every piece of summary text: statement
text comes from notes or from an LLM and must never be able to inject markup.
"""

from __future__ import annotations

from html import escape
from typing import Any

from agent.errors import InputError
from agent.fhir.common import (
    CS_DOCUMENT_TYPE,
    CS_IPASS,
    EXT_CITATION,
    EXT_INPUT_ISSUE,
    EXT_OMISSION,
    EXT_STATEMENT,
    EXT_SUMMARY_MODE,
    EXT_VERIFICATION,
    NOTE_ID_SYSTEM,
    device_resource,
    entry,
    full_url,
    instant,
    patient_resource,
    span_extension,
    validated,
)
from agent.schemas.handoff_history import Acknowledgement
from agent.schemas.summary import HANDOFF_SECTIONS, HandoffSummary, Statement
from agent.schemas.verification import Verification

SECTION_TITLES: dict[str, str] = {
    "illness_severity": "Illness severity",
    "patient_summary": "Patient summary",
    "active_problems": "Active problems",
    "medications": "Medications",
    "allergies": "Allergies",
    "pending": "Pending results and to-dos",
    "action_list": "Action list",
    "situation_awareness": "Situation awareness and contingency planning",
    "omissions": "Not in the summary (omissions found by the verifier)",
    "flags": "Run flags",
    "input_issues": "PARTIAL INPUT: input lines not read",
}
_XHTML = "http://www.w3.org/1999/xhtml"
_EMPTY_REASON = "http://terminology.hl7.org/CodeSystem/list-empty-reason"
_PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
_ATTESTATION_MODE = "http://hl7.org/fhir/composition-attestation-mode"


def verdict_label(verification: Verification | None) -> str:
    """What a reader sees next to a statement, e.g. ``CONTRADICTED: negation_flip``."""
    if verification is None:
        return "NOT VERIFIED"
    if verification.reasons:
        return f"{verification.verdict}: {', '.join(verification.reasons)}"
    return verification.verdict


def _div(inner: str) -> str:
    return f'<div xmlns="{_XHTML}">{inner}</div>'


def _narrative(inner: str) -> dict[str, str]:
    return {"status": "generated", "div": _div(inner)}


def _sources(statement: Statement) -> str:
    if not statement.citations:
        return "no citation"
    return "; ".join(f"note {c.note_id} [{c.start}-{c.end}]" for c in statement.citations)


def _statement_html(statement: Statement) -> str:
    check = statement.verification
    detail = f" ({escape(check.detail)})" if check and check.detail else ""
    return (f"{escape(statement.text)} <b>[{escape(verdict_label(check))}]</b>{detail} "
            f"<i>Sources: {escape(_sources(statement))}</i>")


def _verification_extension(check: Verification) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"url": "verdict", "valueCode": check.verdict}]
    parts += [{"url": "reason", "valueCode": reason} for reason in check.reasons]
    if check.detail:
        parts.append({"url": "detail", "valueString": check.detail})
    parts.append({"url": "checkedFacts", "valueInteger": check.checked_facts})
    parts += [span_extension(e.note_id, e.start, e.end, url="evidence", relation=e.relation)
              for e in check.evidence]
    return {"url": EXT_VERIFICATION, "extension": parts}


def _statement_section(statement: Statement, doc_refs: dict[str, str]) -> dict[str, Any]:
    extensions: list[dict[str, Any]] = [{"url": EXT_STATEMENT, "extension": [
        {"url": "id", "valueString": statement.id},
        {"url": "origin", "valueCode": statement.origin}]}]
    extensions += [span_extension(c.note_id, c.start, c.end, url=EXT_CITATION)
                   for c in statement.citations]
    if statement.verification is not None:
        extensions.append(_verification_extension(statement.verification))
    section: dict[str, Any] = {"extension": extensions, "title": statement.id,
                               "text": _narrative(f"<p>{_statement_html(statement)}</p>")}
    cited = list(dict.fromkeys(c.note_id for c in statement.citations))
    if cited:
        section["entry"] = [{"reference": doc_refs[note_id]} for note_id in cited]
    return section


def _section_code(name: str) -> dict[str, Any]:
    return {"coding": [{"system": CS_IPASS, "code": name, "display": SECTION_TITLES[name]}]}


def _ipass_section(name: str, statements: list[Statement],
                   doc_refs: dict[str, str]) -> dict[str, Any]:
    section: dict[str, Any] = {"title": SECTION_TITLES[name], "code": _section_code(name)}
    if not statements:
        section["text"] = _narrative("<p>No statement in this section.</p>")
        section["emptyReason"] = {"coding": [{"system": _EMPTY_REASON, "code": "unavailable"}]}
        return section
    items = "".join(f"<li>{_statement_html(s)}</li>" for s in statements)
    section["text"] = _narrative(f"<ul>{items}</ul>")
    section["section"] = [_statement_section(s, doc_refs) for s in statements]
    return section


def _omission_section(summary: HandoffSummary, doc_refs: dict[str, str]) -> dict[str, Any]:
    items, extensions, cited = [], [], []
    for omission in summary.omissions:
        sources = "; ".join(f"note {c.note_id} [{c.start}-{c.end}]" for c in omission.citations)
        items.append(f"<li>{escape(omission.kind)}: {escape(omission.text)} "
                     f"<i>Sources: {escape(sources)}</i></li>")
        extensions.append({"url": EXT_OMISSION, "extension": [
            {"url": "kind", "valueCode": omission.kind},
            *[span_extension(c.note_id, c.start, c.end, url="citation")
              for c in omission.citations]]})
        cited += [c.note_id for c in omission.citations]
    return {"title": SECTION_TITLES["omissions"], "code": _section_code("omissions"),
            "extension": extensions, "text": _narrative(f"<ul>{''.join(items)}</ul>"),
            "entry": [{"reference": doc_refs[n]} for n in dict.fromkeys(cited)]}


def _partial_input_note(summary: HandoffSummary) -> str:
    return (f"PARTIAL INPUT: built from {len(summary.note_ids)} note(s); "
            f"{len(summary.input_issues)} input line(s) that may hold notes of this patient "
            "could not be read and are not in this summary.")


def _input_issue_section(summary: HandoffSummary) -> dict[str, Any]:
    items, extensions = [], []
    for issue in summary.input_issues:
        where = issue.source + (f" line {issue.line}" if issue.line is not None else "")
        where += f" field {issue.field}" if issue.field else ""
        items.append(f"<li>{escape(where)}: {escape(issue.problem)}</li>")
        parts: list[dict[str, Any]] = [{"url": "source", "valueString": issue.source}]
        if issue.line is not None:
            parts.append({"url": "line", "valueInteger": issue.line})
        if issue.field:
            parts.append({"url": "field", "valueString": issue.field})
        parts.append({"url": "problem", "valueString": issue.problem})
        extensions.append({"url": EXT_INPUT_ISSUE, "extension": parts})
    return {"title": SECTION_TITLES["input_issues"], "code": _section_code("input_issues"),
            "extension": extensions,
            "text": _narrative(f"<p><b>{escape(_partial_input_note(summary))}</b></p>"
                               f"<ul>{''.join(items)}</ul>")}


def _document_reference(note_id: str, patient_url: str) -> dict[str, Any]:
    # Only the identity of the note: its text stays in the clinical record.
    return {"resourceType": "DocumentReference", "status": "current",
            "identifier": [{"system": NOTE_ID_SYSTEM, "value": note_id}],
            "subject": {"reference": patient_url},
            "content": [{"attachment": {"contentType": "text/plain",
                                        "title": f"note {note_id}"}}]}


def build_handoff_document(summary: HandoffSummary, version: str) -> dict[str, Any]:
    """Implementation of :func:`agent.fhir.handoff_composition` (version already checked)."""
    what = f"handoff of patient {summary.patient_id}"
    r5 = version == "R5"
    try:
        generated = instant(summary.generated_at)
    except ValueError as e:
        raise InputError(what, "generated_at is not an ISO 8601 date-time",
                         fix="Write generated_at like 2026-03-14T09:30:00+00:00") from e
    key = f"{summary.patient_id}|{summary.generated_at}"
    patient_url = full_url("patient", summary.patient_id)
    device_url = full_url("device", summary.provenance.model_dump_json())
    composition_url = full_url("composition", key)

    cited = [c.note_id for s in summary.statements for c in s.citations]
    cited += [c.note_id for o in summary.omissions for c in o.citations]
    note_ids = list(dict.fromkeys([*summary.note_ids, *cited]))
    doc_refs = {note_id: full_url("note", summary.patient_id, note_id) for note_id in note_ids}

    sections = [_input_issue_section(summary)] if summary.input_issues else []
    sections += [_ipass_section(name, [s for s in summary.statements if s.section == name],
                               doc_refs) for name in HANDOFF_SECTIONS]
    if summary.omissions:
        sections.append(_omission_section(summary, doc_refs))
    if summary.flags:
        flags = "".join(f"<li>{escape(flag)}</li>" for flag in summary.flags)
        sections.append({"title": SECTION_TITLES["flags"], "code": _section_code("flags"),
                         "text": _narrative(f"<ul>{flags}</ul>")})

    counts: dict[str, int] = {}
    for statement in summary.statements:
        label = statement.verification.verdict if statement.verification else "NOT VERIFIED"
        counts[label] = counts.get(label, 0) + 1
    tally = ", ".join(f"{n} {label}" for label, n in sorted(counts.items())) or "none"
    partial = (f"<p><b>{escape(_partial_input_note(summary))}</b></p>"
               if summary.input_issues else "")
    composition: dict[str, Any] = {
        "resourceType": "Composition",
        "extension": [{"url": EXT_SUMMARY_MODE, "valueCode": summary.mode}],
        "status": "preliminary",  # machine-generated: a clinician has not signed it
        "type": {"coding": [{"system": CS_DOCUMENT_TYPE, "code": "ipass-handoff",
                             "display": "I-PASS handoff summary"}],
                 "text": "I-PASS handoff summary"},
        "subject": [{"reference": patient_url}] if r5 else {"reference": patient_url},
        "date": generated,
        "author": [{"reference": device_url}],
        "title": f"Handoff summary (I-PASS), patient {summary.patient_id}",
        "text": _narrative(partial + f"<p>{escape(summary.mode)} handoff summary of "
                           f"{len(summary.note_ids)} note(s); {len(summary.statements)} "
                           f"statement(s): {escape(tally)}; {len(summary.omissions)} "
                           "omission(s).</p>"),
        "section": sections,
    }
    prompts = list(dict.fromkeys(call.prompt for call in summary.llm_calls))
    provenance: dict[str, Any] = {
        "resourceType": "Provenance", "target": [{"reference": composition_url}],
        "recorded": generated,
        "agent": [{"type": {"coding": [{"system": _PARTICIPANT_TYPE, "code": "author"}]},
                   "who": {"reference": device_url}}],
        "entity": [{"role": "source", "what": {"reference": doc_refs[n]}} for n in note_ids],
    }
    if r5:
        provenance["patient"] = {"reference": patient_url}
    entries = [
        entry(composition_url, validated(composition, version, what=what)),
        entry(patient_url, validated(patient_resource(summary.patient_id), version, what=what)),
        entry(device_url, validated(device_resource(summary.provenance, version, prompts),
                                    version, what=what)),
        *[entry(doc_refs[n], validated(_document_reference(n, patient_url), version,
                                       what=what)) for n in note_ids],
        entry(full_url("provenance", key), validated(provenance, version, what=what)),
    ]
    bundle = {"resourceType": "Bundle", "type": "document", "timestamp": generated,
              "identifier": {"system": "urn:ietf:rfc:3986", "value": full_url("document", key)},
              "entry": entries}
    return validated(bundle, version, what=what)


def _attester(ack: Acknowledgement, version: str) -> dict[str, Any]:
    # R5 codes the mode as a CodeableConcept, R4B as a bare code.
    mode: Any = ({"coding": [{"system": _ATTESTATION_MODE, "code": "legal",
                              "display": "Legal"}]} if version == "R5" else "legal")
    return {"mode": mode, "time": instant(ack.at),
            "party": {"display": ack.key_name or f"API key {ack.key_id}"}}


def attest_document(document: dict[str, Any], acknowledgements: list[Acknowledgement],
                    version: str = "R5") -> dict[str, Any]:
    """The handoff document signed off: its Composition ``final`` with an ``attester`` per
    acknowledgement (mode legal, time, the key's name), and its narrative saying who
    acknowledged it. Without acknowledgements the document is returned as it is
    (``preliminary``).

    Args:
        document: a document Bundle of :func:`build_handoff_document`.
        acknowledgements: the handoff's acknowledgements, oldest first.
        version: the document's FHIR version ("R5" or "R4B", already checked).

    Returns:
        The Bundle, validated again by fhir.resources.
    """
    if not acknowledgements:
        return document
    what = "acknowledged handoff"
    composition = dict(document["entry"][0]["resource"])
    composition["status"] = "final"
    composition["attester"] = [_attester(a, version) for a in acknowledgements]
    signed = "; ".join(f"{a.key_name or a.key_id} at {a.at}" for a in acknowledgements)
    div = composition["text"]["div"]
    inner = div[div.index(">") + 1:div.rindex("</div>")]
    composition["text"] = _narrative(f"{inner}<p>Acknowledged by {escape(signed)}.</p>")
    entries = [{**document["entry"][0], "resource": validated(composition, version, what=what)},
               *document["entry"][1:]]
    return validated({**document, "entry": entries}, version, what=what)
