"""The release step inside de-identification: a policy's generalization operators applied
to one note's quasi-identifiers, and the policy recorded in the output and the audit.

:class:`ReleaseGeneralizer` is handed to :class:`agent.deid.batch.PatientDeidentifier`
(``release=``): for each note it plans the replacement of PHI dates, ZIPs and ages and of
the quasi-identifiers de-identification leaves (ages under 90, ICD-10-CM codes, occupation,
country of origin), then stamps the result and the audit with ``policy@version``, the
policies file's sha256 and a pseudonymous patient reference (so a risk report can group a
release's notes by patient without any patient id).
"""

from __future__ import annotations

import hmac
import os
import re
from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel

from agent.deid.surrogates import patient_key
from agent.errors import ConfigError
from agent.privacy.generalize import (
    SUPPRESSED,
    date_precision,
    generalize_age,
    generalize_country,
    generalize_occupation,
    icd10_category,
    zip3,
)
from agent.privacy.mentions import BIRTH_CONTEXT, find_mentions, parse_date
from agent.privacy.policy import PolicySet, ReleasePolicy, load_policies
from agent.schemas.deid import AuditRecord, DeidResult, PhiSpan
from agent.schemas.notes import Note
from agent.version import package_version

RECOGNIZER_PREFIX = "release:"
# The text that stands for a suppressed value, by kind.
_SUPPRESSED_TEXT = {"AGE": "[AGE]", "ZIP": "[ZIP]", "OCCUPATION": "[OCCUPATION]",
                    "COUNTRY": "[COUNTRY]", "CODE": "[CODE]", "DATE": "[DATE]"}


class ReleaseProvenance(BaseModel):
    """Which policy shaped an output (never a patient id: ``patient_ref`` is keyed)."""

    policy: str
    policy_sha256: str
    package_version: str
    patient_ref: str


class ReleasedDeidResult(DeidResult):
    """A de-identified note released under a policy."""

    release: ReleaseProvenance


class ReleasedAuditRecord(AuditRecord):
    """A note's audit record with the release policy that shaped it."""

    release: ReleaseProvenance


@dataclass(frozen=True)
class Plan:
    """The spans to replace in one note and the fixed replacement text of some of them."""

    spans: list[PhiSpan]
    fixed: dict[int, str]


class ReleaseGeneralizer:
    """One release policy, ready to apply to notes.

    Args:
        policy: the policy.
        policies: the file it came from (its sha256 goes into outputs).
        secret: the de-identification key: ``patient_ref`` is then the audit's patient key;
            without one a random key of this run is used (refs group one run's notes only).
        category_counts: patients per ICD-10-CM category in the corpus (needed by
            ``diagnosis: suppress_rare``).
        rare_threshold: a category held by fewer patients is rare.

    Raises:
        ConfigError: ``suppress_rare`` without ``category_counts``.
    """

    def __init__(self, policy: ReleasePolicy, policies: PolicySet, *,
                 secret: bytes | None = None, category_counts: dict[str, int] | None = None,
                 rare_threshold: int = 5) -> None:
        if policy.diagnosis == "suppress_rare" and category_counts is None:
            raise ConfigError(
                "privacy.release_policy", f"policy {policy.label} suppresses rare diagnoses, "
                "which needs the corpus's codes counted first (one patient at a time cannot "
                "tell what is rare)", "Release with a policy whose diagnosis rule is "
                "'category' or 'keep', or pass category_counts (see agent.privacy.release)")
        self.policy = policy
        self.policies = policies
        self._secret = secret
        self._run_key = os.urandom(32)
        self.category_counts = category_counts
        self.rare_threshold = rare_threshold

    @classmethod
    def from_settings(cls, privacy, *, secret: bytes | None = None,
                      ) -> ReleaseGeneralizer | None:
        """From ``Settings.privacy`` (a :class:`~agent.privacy.settings.PrivacySettings`);
        None when no release policy is set.

        Raises:
            ConfigError: an unknown policy name (the valid ones are listed).
        """
        if privacy is None or not privacy.release_policy:
            return None
        policies = load_policies(privacy.policy_file)
        return cls(policies.get(privacy.release_policy), policies, secret=secret,
                   rare_threshold=privacy.rare_code_threshold)

    def patient_ref(self, patient_id: str) -> str:
        """A pseudonymous reference grouping a patient's released notes."""
        if self._secret:
            return patient_key(self._secret, patient_id)
        return hmac.new(self._run_key, patient_id.encode("utf-8"), "sha256").hexdigest()[:16]

    def plan(self, note: Note, spans: list[PhiSpan], *, mode: str) -> Plan:
        """The spans to replace in ``note`` (detected PHI plus quasi-identifiers) and the
        replacement text the policy fixes for some of them.

        Args:
            note: the original note.
            spans: detected PHI (non-overlapping).
            mode: the de-identification mode (``dates: deid`` leaves dates to it).
        """
        p = self.policy
        ref = _note_date(note)
        fixed: dict[int, str] = {}
        for s in spans:
            value = note.text[s.start:s.end]
            if s.entity_type == "DATE" and p.dates != "deid":
                d = parse_date(value, ref)
                # A birth date is removed: with the age (or its band) stated, its real year
                # or month would only narrow the person (the attacker's best column).
                is_birth = BIRTH_CONTEXT.search(note.text, max(0, s.start - 16), s.start)
                fixed[s.start] = (date_precision(d, p.dates) if d and not is_birth
                                  else _SUPPRESSED_TEXT["DATE"])
            elif s.entity_type == "ZIP" and (p.zip == "suppress" or mode == "surrogate"):
                fixed[s.start] = (zip3(value) if p.zip == "zip3" else SUPPRESSED).replace(
                    SUPPRESSED, _SUPPRESSED_TEXT["ZIP"])
            elif s.entity_type == "AGE" and p.age == "suppress":
                fixed[s.start] = _SUPPRESSED_TEXT["AGE"]
        extra: list[PhiSpan] = []
        taken = sorted((s.start, s.end) for s in spans)
        for m in find_mentions(note.text):
            new = self._replacement(m.kind, m.value)
            if new is None or new == m.value or _overlaps(taken, m.start, m.end):
                continue
            extra.append(PhiSpan(entity_type=_TYPE[m.kind], start=m.start, end=m.end,
                                 score=1.0, recognizer=f"{RECOGNIZER_PREFIX}{m.kind.lower()}"))
            fixed[m.start] = new
        return Plan(sorted([*spans, *extra], key=lambda x: x.start), fixed)

    def _replacement(self, kind: str, value: str) -> str | None:
        p = self.policy
        if kind == "AGE":
            if not value.isdigit():
                return None  # a band or 90+ is already general
            new = generalize_age(int(value), p.age)
        elif kind == "OCCUPATION":
            new = generalize_occupation(value, p.occupation)
        elif kind == "COUNTRY":
            new = generalize_country(value, p.country)
        elif kind == "CODE":
            if p.diagnosis == "keep":
                return None
            new = icd10_category(value)
            if p.diagnosis == "suppress_rare" and \
                    (self.category_counts or {}).get(new, 0) < self.rare_threshold:
                new = SUPPRESSED
        else:
            return None
        return _SUPPRESSED_TEXT[kind] if new == SUPPRESSED else new

    def stamp(self, note: Note, result: DeidResult, audit: AuditRecord,
              ) -> tuple[ReleasedDeidResult, ReleasedAuditRecord]:
        """The result and audit with the release provenance."""
        prov = ReleaseProvenance(policy=self.policy.label, policy_sha256=self.policies.sha256,
                                 package_version=package_version(),
                                 patient_ref=self.patient_ref(note.patient_id))
        return (ReleasedDeidResult(**result.model_dump(), release=prov),
                ReleasedAuditRecord(**audit.model_dump(), release=prov))


_TYPE = {"AGE": "AGE", "OCCUPATION": "OCCUPATION", "COUNTRY": "COUNTRY", "CODE": "DIAGNOSIS"}


def _overlaps(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(a < end and start < b for a, b in taken)


def _note_date(note: Note) -> date | None:
    if not note.date or not re.match(r"\d{4}-\d{2}-\d{2}", note.date):
        return None
    return date.fromisoformat(note.date[:10])


def category_counts_of(notes: list[Note]) -> dict[str, int]:
    """Patients per ICD-10-CM category written in ``notes`` (for ``suppress_rare``)."""
    seen: dict[str, set[str]] = {}
    for n in notes:
        for m in find_mentions(n.text):
            if m.kind == "CODE":
                seen.setdefault(icd10_category(m.value), set()).add(n.patient_id)
    return {c: len(p) for c, p in seen.items()}
