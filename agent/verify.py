"""``clinagent verify``: check any summary against the notes it claims to summarize.

:func:`read_summary` reads a clinagent handoff (JSON) or a summary written by a person or
another system (Markdown or plain text); :func:`verify_patient` extracts the notes, builds
the timeline and runs :func:`verifiers.crosscheck.verify_summary`.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from agent.errors import InputError
from agent.patient import PatientRecord

if TYPE_CHECKING:  # typing only: the judge pulls in the LLM stack, loaded on request
    from agent.judge import LLMJudge
from agent.rules import Rules
from agent.schemas.extraction import Extractor, Provenance
from agent.schemas.notes import Note
from agent.schemas.summary import HANDOFF_SECTIONS, HandoffSummary, Statement
from agent.version import package_version

logger = logging.getLogger(__name__)

PRODUCER = "clinagent.agent.verify"

# Headings of hand-written handoffs -> I-PASS sections (first match wins).
_HEADINGS: tuple[tuple[str, str], ...] = (
    (r"illness severity|severity|acuity", "illness_severity"),
    (r"problem|assessment|diagnos|a/?p\b|plan", "active_problems"),
    (r"med|drug|prescri|rx\b", "medications"),
    (r"allerg", "allergies"),
    (r"pending|outstanding|follow[- ]?up result", "pending"),
    (r"action|to[- ]?do|task", "action_list"),
    (r"situation|contingen|code status|if\b", "situation_awareness"),
    (r"summary|course|history|hpi|background|overview", "patient_summary"),
)
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?P<h>.+?)\s*#*\s*$")
_LABEL_LINE = re.compile(r"^\s*(?:\*\*|__)?(?P<h>[A-Za-z][A-Za-z /&()-]{1,40}?)(?:\*\*|__)?\s*:"
                         r"\s*(?:\*\*|__)?\s*$")
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,2}[.)])\s+")
_MD_INLINE = re.compile(r"(\*\*|__|`|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w))")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_SUMMARY_SENTENCE_END = re.compile(r"(?<=[a-z0-9)%\]])[.!?](?=\s+[A-Z])")


def section_for(heading: str) -> str | None:
    """The I-PASS section a free-text heading names, or None."""
    h = heading.strip().lower()
    if h.replace(" ", "_") in HANDOFF_SECTIONS:
        return h.replace(" ", "_")
    for pattern, section in _HEADINGS:
        if re.search(pattern, h):
            return section
    return None


def _clean(line: str) -> str:
    line = _LINK.sub(r"\1", line)
    line = _BULLET.sub("", line)
    return _MD_INLINE.sub("", line).strip()


def _sentences(paragraph: str) -> list[str]:
    marked = _SUMMARY_SENTENCE_END.sub(lambda m: m.group() + "\n", paragraph)
    return [p.strip() for p in marked.split("\n") if p.strip()]


def split_text(text: str) -> list[tuple[str, str]]:
    """Split a hand-written summary into (section, statement) pairs.

    Markdown headings and "Label:" lines choose the section (default "patient_summary");
    bullets are one statement each; prose paragraphs (wrapped lines joined) are split into
    sentences.
    """
    section = "patient_summary"
    out: list[tuple[str, str]] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            out.extend((section, p) for p in _sentences(" ".join(paragraph))
                       if re.search(r"[A-Za-z0-9]", p))
            paragraph.clear()

    for raw in text.splitlines():
        if not raw.strip() or re.match(r"^\s*(?:-{3,}|\*{3,}|={3,})\s*$", raw):
            flush()
            continue
        heading = _MD_HEADING.match(raw) or _LABEL_LINE.match(raw)
        if heading:
            flush()
            section = section_for(heading.group("h")) or section
            continue
        line = _clean(raw)
        # "Medications: furosemide 40 mg daily" sets the section and keeps the content.
        label = re.match(r"^(?P<h>[A-Za-z][A-Za-z /&()-]{1,30}):\s+(?P<rest>.+)$", line)
        if label and section_for(label.group("h")):
            flush()
            section = section_for(label.group("h")) or section
            line = label.group("rest")
        if _BULLET.match(raw):
            flush()
            if re.search(r"[A-Za-z0-9]", line):
                out.append((section, line))
        else:
            paragraph.append(line)
    flush()
    return out


def summary_from_text(text: str, patient_id: str, note_ids: list[str]) -> HandoffSummary:
    """An external summary (statements without citations) from hand-written text."""
    statements = [Statement(id=f"x{i + 1}", section=section, text=stmt,  # type: ignore[arg-type]
                            origin="external")
                  for i, (section, stmt) in enumerate(split_text(text))]
    return HandoffSummary(
        patient_id=patient_id, generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        mode="external", note_ids=note_ids, statements=statements,
        provenance=Provenance(producer=PRODUCER, package_version=package_version(),
                              backend="external"))


def read_summary(path: str | Path, *, patient_id: str = "unknown",
                 note_ids: list[str] | None = None) -> HandoffSummary:
    """Read a summary to verify.

    Args:
        path: a clinagent handoff JSON (``clinagent handoff --format json``), or a ``.md``
            / ``.txt`` summary written by a person or another system.
        patient_id: patient id given to a text summary.
        note_ids: note ids recorded on a text summary.

    Returns:
        The summary; text summaries become statements with origin "external" and no
        citations (the verifier then searches all the patient's notes).

    Raises:
        InputError: the file is missing, empty, not UTF-8, bad JSON or not a handoff.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(str(p), "no such file", fix="Check the summary path")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(str(p), f"not valid UTF-8 (byte {e.start})",
                         fix="Re-encode the summary as UTF-8") from e
    return parse_summary(text, source=str(p), is_json=p.suffix.lower() == ".json",
                         patient_id=patient_id, note_ids=note_ids)


def parse_summary(text: str, *, source: str = "summary", is_json: bool | None = None,
                  patient_id: str = "unknown",
                  note_ids: list[str] | None = None) -> HandoffSummary:
    """Parse a summary given as text (the API's posted summary; :func:`read_summary`).

    Args:
        text: clinagent handoff JSON, or Markdown / plain text.
        source: what to call the input in errors (a path or "request").
        is_json: force JSON parsing; None = JSON when the text starts with "{".
        patient_id: patient id given to a text summary.
        note_ids: note ids recorded on a text summary.

    Raises:
        InputError: empty, bad JSON, not a handoff, or no statement found.
    """
    if not text.strip():
        raise InputError(source, "the summary is empty", fix="Pass a non-empty summary")
    if is_json or (is_json is None and text.lstrip().startswith("{")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise InputError(source, f"malformed JSON ({e.msg} at line {e.lineno} column "
                             f"{e.colno})", fix="Pass the output of clinagent handoff "
                             "--format json, or a .md/.txt summary") from e
        try:
            return HandoffSummary.model_validate(data)
        except ValidationError as e:
            first = e.errors()[0]
            where = ".".join(map(str, first["loc"])) or "(top level)"
            raise InputError(source, f"not a clinagent handoff summary: {first['msg']}",
                             field=where, fix="Pass the output of clinagent handoff "
                             "--format json, or a .md/.txt summary") from e
    summary = summary_from_text(text, patient_id, note_ids or [])
    if not summary.statements:
        raise InputError(source, "no statement found in the summary",
                         fix="Write one statement per line or sentence")
    return summary


def verify_patient(summary: HandoffSummary, notes: list[Note], extractor: Extractor,
                   rules: Rules, *, judge: LLMJudge | None = None) -> HandoffSummary:
    """Prepare the patient (extract, lay out, timeline) and verify the summary.

    Args:
        summary: the summary to check.
        notes: the patient's notes.
        extractor: the deterministic extractor.
        rules: the rule set (the same one the handoff uses).
        judge: an LLM judge for a second opinion per statement (see :mod:`agent.judge`:
            it can lower a verdict, never raise one).

    Returns:
        The verified summary (verdict on every statement, omissions from the timeline).
    """
    record = PatientRecord.prepare(notes, extractor, rules)
    verified = record.verify(summary)
    if judge is not None:
        verified = judge.review(record, verified)
    logger.info("verified %d statements against %d notes", len(verified.statements),
                len(notes))
    return verified
