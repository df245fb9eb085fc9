"""One patient preparation: the notes put in order once, extracted, laid out and reconciled
into a timeline, with the verifier's evidence index built once.

Handoff, verify, chat, the API and the evals all start from :meth:`PatientRecord.prepare`,
so they read the same note order (undated notes last, ties by note id), the same layouts
and the same timeline statuses: a sentence gets the same verdict whichever feature checks
it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from agent.errors import InputError
from agent.handoff.table_regimens import discharge_column_regimens
from agent.handoff.timeline import build_timeline
from agent.handoff.written_denials import trailing_denials
from agent.nlp.layout import note_layout
from agent.rules import Rules
from agent.schemas.extraction import Extractor, NoteExtraction
from agent.schemas.layout import NoteLayout
from agent.schemas.notes import Note, sort_notes
from agent.schemas.summary import Citation, HandoffSummary, PatientTimeline
from agent.schemas.verification import Verification
from verifiers.crosscheck import PatientEvidence, check_statement, verify_summary


@dataclass
class PatientRecord:
    """A patient's notes ready for summarizing, verifying and chat.

    Attributes:
        patient_id: the patient.
        notes: the notes in :func:`agent.schemas.notes.sort_notes` order.
        extractions: one per note, same order, each with its layout.
        timeline: the reconciled timeline.
        rules: the rule set everything was built with.
        extractor: the extractor (statements are extracted with it when verified).
    """

    patient_id: str
    notes: list[Note]
    extractions: list[NoteExtraction]
    timeline: PatientTimeline
    rules: Rules
    extractor: Extractor
    layouts: dict[str, NoteLayout] = field(default_factory=dict)

    @classmethod
    def prepare(cls, notes: list[Note], extractor: Extractor, rules: Rules, *,
                extractions: list[NoteExtraction] | None = None) -> PatientRecord:
        """Sort, extract (unless given), lay out and reconcile one patient's notes.

        Args:
            notes: the patient's notes, any order.
            extractor: the entity extractor.
            rules: the rule set (cues, sections) of the timeline and verifier.
            extractions: extractions already made (e.g. read from a file); missing ones are
                made with ``extractor``.

        Raises:
            InputError: no notes, or notes of several patients.
        """
        if not notes:
            raise InputError("notes", "no notes were given", fix="Pass the patient's notes")
        patients = {n.patient_id for n in notes}
        if len(patients) > 1:
            raise InputError("notes", f"notes of {len(patients)} patients were given",
                             fix="Pass one patient's notes")
        ordered = sort_notes(notes)
        given = {e.note_id: e for e in extractions or []}
        done: list[NoteExtraction] = []
        layouts: dict[str, NoteLayout] = {}
        for note in ordered:
            ext = given.get(note.note_id) or extractor.extract_note(note)
            # A reconciliation table's row holds the home and the discharge regimen: the
            # timeline and the verifier read the discharge one.
            ext = discharge_column_regimens(note, ext, extractor)
            # "silver sulfadiazine -> NO": a terse answer denies the drug before it.
            ext = trailing_denials(note, ext)
            layout = note_layout(note, ext, rules.headers)
            if ext.layout is None:
                ext = ext.model_copy(update={"layout": layout})
            layouts[note.note_id] = layout
            done.append(ext)
        timeline = build_timeline(ordered, done, rules)
        return cls(patient_id=ordered[0].patient_id, notes=ordered, extractions=done,
                   timeline=timeline, rules=rules, extractor=extractor, layouts=layouts)

    @cached_property
    def evidence(self) -> PatientEvidence:
        """The verifier's index of every checkable mention (built once per record)."""
        return PatientEvidence(self.notes, self.extractions, self.rules.cues,
                               self.rules.roles)

    def verify(self, summary: HandoffSummary) -> HandoffSummary:
        """Verify every statement of a summary (ours or external) and list omissions."""
        return verify_summary(summary, self.evidence, self.extractor, self.timeline,
                              self.rules.roles)

    def check(self, text: str, citations: list[Citation], *,
              section: str | None = None) -> Verification:
        """Verify one statement (a chat answer sentence) exactly as a handoff statement."""
        return check_statement(text, citations, self.evidence, self.extractor,
                               section=section, timeline=self.timeline)
