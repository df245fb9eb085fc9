"""De-identify one patient's notes together: detect in every note, look for each note's
confident identifiers in the others, then replace with one surrogate generator."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date

from agent.deid.anonymize import transform
from agent.deid.audit import build_audit
from agent.deid.detector import PatientMemory, get_detector
from agent.deid.lexicons import name_dictionaries
from agent.deid.surrogates import SurrogateGenerator
from agent.errors import ConfigError
from agent.privacy.release import ReleaseGeneralizer
from agent.schemas.deid import AuditRecord, DeidResult, PhiSpan
from agent.schemas.notes import Note
from agent.version import package_version

logger = logging.getLogger(__name__)

SECRET_HELP = ("Create a key once and keep it out of version control: "
               "python -c \"import secrets; print(secrets.token_hex(32))\" > deid.key && "
               "chmod 600 deid.key, then set CLINAGENT_DEID__SECRET_FILE=deid.key "
               "(or CLINAGENT_DEID__SECRET). The same key gives the same surrogates and date "
               "shifts on every run; a new key gives new ones")


def _note_date(note: Note) -> date | None:
    if not note.date:
        return None
    return date.fromisoformat(note.date[:10])


class PatientDeidentifier:
    """Detector, operators and secret for a run.

    Args:
        mode: ``redact``, ``mask`` or ``surrogate``.
        secret: the key (needed for ``surrogate``; optional otherwise, then the audit has no
            hashes).
        threshold: minimum PHI score.
        pack_file: a replacement recognizer pack.
        operators: per-type operator overrides.
        release: a release policy's generalizer (``agent.privacy``): quasi-identifiers
            generalized and the policy recorded in every result and audit; None = none.

    Raises:
        ConfigError: surrogate mode without a secret.
    """

    def __init__(self, *, mode: str = "redact", secret: bytes | None = None,
                 threshold: float = 0.5, pack_file: str | None = None,
                 operators: dict[str, str] | None = None,
                 release: ReleaseGeneralizer | None = None) -> None:
        if (mode == "surrogate" or "surrogate" in (operators or {}).values()) and not secret:
            raise ConfigError("deid.secret", "surrogate mode needs a secret key and none is "
                              "configured", SECRET_HELP)
        self.mode = mode
        self.operators = operators
        self.release = release
        self._secret = secret
        self.threshold = threshold
        self.detector = get_detector(pack_file)
        self.version = package_version()

    @classmethod
    def from_settings(cls, settings, *, mode: str | None = None,
                      privacy=None) -> PatientDeidentifier:
        """Build from ``Settings.deid``; ``mode`` overrides the configured one; ``privacy``
        (``Settings.privacy``) names the release policy, if any."""
        secret = settings.secret_bytes()
        return cls(mode=mode or settings.mode, secret=secret,
                   threshold=settings.threshold,
                   pack_file=str(settings.pack_file) if settings.pack_file else None,
                   release=ReleaseGeneralizer.from_settings(privacy, secret=secret))

    def detect_patient(self, notes: list[Note]) -> list[list[PhiSpan]]:
        """PHI spans of each note, with identifiers found elsewhere in the patient's notes."""
        return self.detect_patients([notes])[0]

    def detect_patients(self, patients: list[list[Note]]) -> list[list[list[PhiSpan]]]:
        """``detect_patient`` of each patient's notes; spaCy parses the notes of all of
        them in batches (agent.deid.pack_analyzer), which a batch of many patients with one
        or two notes each needs to gain from batching. Each patient keeps its own memory."""
        texts = [n.text for notes in patients for n in notes]
        first = iter(self.detector.detect_many(texts, threshold=self.threshold))
        out = []
        for notes in patients:
            found = [next(first) for _ in notes]
            memory = PatientMemory()
            for note, spans in zip(notes, found, strict=True):
                self.detector.learn(note.text, spans, memory)
            out.append([self.detector.with_memory(note.text, spans, memory)
                        for note, spans in zip(notes, found, strict=True)])
        return out

    def run(self, notes: list[Note]) -> Iterator[tuple[DeidResult, AuditRecord]]:
        """De-identify one patient's notes (in input order)."""
        yield from self._transform(notes, self.detect_patient(notes))

    def run_patients(self, patients: list[list[Note]],
                     ) -> Iterator[tuple[DeidResult, AuditRecord]]:
        """``run`` of each patient's notes in turn, detected together (``detect_patients``:
        spaCy batches across patients, for batches of patients with few notes each)."""
        for notes, spans in zip(patients, self.detect_patients(patients), strict=True):
            yield from self._transform(notes, spans)

    def _transform(self, notes: list[Note], found: list[list[PhiSpan]],
                   ) -> Iterator[tuple[DeidResult, AuditRecord]]:
        first_names, surnames = name_dictionaries()
        pools = (sorted(first_names), sorted(surnames))
        for note, spans in zip(notes, found, strict=True):
            gen = None
            if self._secret:
                gen = SurrogateGenerator(self._secret, note.patient_id, first_names=pools[0],
                                         surnames=pools[1], reference_date=_note_date(note))
            fixed = None
            if self.release is not None:
                plan = self.release.plan(note, spans, mode=self.mode)
                spans, fixed = plan.spans, plan.fixed
            text, reps = transform(note.text, spans, mode=self.mode, operators=self.operators,
                                   surrogates=gen, first_names=first_names, fixed=fixed)
            is_shifted = self.mode == "surrogate" and any(
                s.entity_type == "DATE" and s.start not in (fixed or {}) for s in spans)
            audit = build_audit(
                note_id=note.note_id, patient_id=note.patient_id, text=note.text, spans=spans,
                replacements=reps, mode=self.mode, secret=self._secret,
                pack_sha256=self.detector.pack_sha256, package_version=self.version,
                is_date_shifted=is_shifted)
            logger.debug("note %s: %d PHI spans", note.note_id, len(spans))
            result = DeidResult(note_id=note.note_id, text=text, mode=self.mode, phi=reps)
            if self.release is not None:
                result, audit = self.release.stamp(note, result, audit)
            yield result, audit
