"""Quasi-identifiers per patient of a de-identified corpus, read as an attacker reads it:
age (exact or a band), sex, 3-digit ZIP, years of encounters, diagnosis codes, occupation
and country of origin.

Input records are ``clinagent deid`` output lines (``DeidResult``); a release made under a
policy carries ``release.patient_ref``, which groups a patient's notes. Without it each note
counts as its own patient (a warning says so): the risk is then understated.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from agent.errors import InputError
from agent.privacy.generalize import icd10_category
from agent.privacy.mentions import BIRTH_CONTEXT, find_mentions, parse_date, sex_of_text

# The QI columns of the equivalence classes (the list; occupation and country are
# kept as attributes the report can use for l-diversity).
QI_COLUMNS: tuple[str, ...] = ("age", "sex", "zip3", "years", "rare_codes")
TOP_AGE_INTERVAL = (90, 120)


@dataclass
class PatientQI:
    """One patient's quasi-identifiers as the released text states them."""

    patient_ref: str
    notes: int = 0
    age: tuple[int, int] | None = None  # an interval: (74, 74) exact, (70, 79) band
    sex: str | None = None
    zip3: str | None = None
    years: tuple[int, ...] = ()
    codes: frozenset[str] = frozenset()
    occupation: str | None = None
    country: str | None = None
    policy: str | None = None
    texts: list[str] = field(default_factory=list, repr=False)


def age_interval(value: str) -> tuple[int, int] | None:
    """``74`` -> (74, 74); ``70-79`` -> (70, 79); ``90+`` -> (90, 120)."""
    if value == "90+":
        return TOP_AGE_INTERVAL
    m = re.fullmatch(r"(\d{1,3})(?:-(\d{1,3}))?", value)
    if m is None:
        return None
    lo = int(m.group(1))
    hi = int(m.group(2)) if m.group(2) else lo
    return (90, 120) if lo >= 90 else (lo, hi)


def read_release(path: str | Path) -> list[dict]:
    """The records of a de-identified JSON Lines file (``input_issue`` lines skipped).

    Raises:
        InputError: a missing file, a line that is not JSON or not a de-identified note.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(str(p), "no such file", fix="Pass the output of clinagent deid "
                         "(JSON Lines)")
    out = []
    for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(str(p), "not a JSON line", line=i,
                             fix="Pass the output of clinagent deid") from e
        if "input_issue" in rec:
            continue
        if not isinstance(rec, dict) or not {"note_id", "text"} <= set(rec):
            raise InputError(str(p), "not a de-identified note (needs note_id and text)",
                             line=i, fix="Pass the output of clinagent deid")
        out.append(rec)
    if not out:
        raise InputError(str(p), "holds no de-identified notes", fix="Pass the output of "
                         "clinagent deid")
    return out


def patient_qis(records: list[dict]) -> list[PatientQI]:
    """One :class:`PatientQI` per patient (per ``release.patient_ref``, else per note)."""
    by_ref: dict[str, PatientQI] = {}
    for rec in records:
        release = rec.get("release") or {}
        ref = release.get("patient_ref") or f"note:{rec['note_id']}"
        qi = by_ref.setdefault(ref, PatientQI(patient_ref=ref, policy=release.get("policy")))
        _add_note(qi, rec)
    for qi in by_ref.values():
        qi.sex = sex_of_text("\n".join(qi.texts))
    return list(by_ref.values())


def _add_note(qi: PatientQI, rec: dict) -> None:
    text = rec["text"]
    qi.notes += 1
    qi.texts.append(text)
    years = set(qi.years)
    codes = set(qi.codes)
    for rep in rec.get("phi") or []:
        value = rep.get("replacement", "")
        kind = rep.get("type")
        if kind == "ZIP" and re.fullmatch(r"\d{3}", value):
            qi.zip3 = value
        elif kind == "DATE":
            before = text[max(0, rep.get("new_start", 0) - 16):rep.get("new_start", 0)]
            if BIRTH_CONTEXT.search(before):
                continue  # a birth date is no encounter
            if re.fullmatch(r"(?:19|20)\d{2}", value):
                years.add(int(value))
            else:
                d = parse_date(value, None)
                if d is not None and re.search(r"(?:19|20)\d{2}|\d{1,2}/\d{2}$", value):
                    years.add(d.year)
        elif kind == "OCCUPATION" and not value.startswith("["):
            qi.occupation = value
        elif kind == "COUNTRY" and not value.startswith("["):
            qi.country = value
    for m in find_mentions(text):
        if m.kind == "AGE":
            interval = age_interval(m.value)
            # The oldest age stated: the patient's age at the latest encounter.
            if interval is not None and (qi.age is None or interval[0] > qi.age[0]):
                qi.age = interval
        elif m.kind == "CODE":
            codes.add(m.value)
        elif m.kind == "OCCUPATION" and qi.occupation is None:
            qi.occupation = m.value
        elif m.kind == "COUNTRY" and qi.country is None:
            qi.country = m.value
    qi.years = tuple(sorted(years))
    qi.codes = frozenset(codes)


def code_counts(qis: list[PatientQI]) -> Counter:
    """Patients per code (as written: a full code or a category)."""
    return Counter(c for qi in qis for c in qi.codes)


def principal_category(qi: PatientQI) -> str:
    """The patient's most frequent ICD-10-CM category (ties: the first in code order);
    ``none`` without codes."""
    if not qi.codes:
        return "none"
    cats = Counter(icd10_category(c) for c in sorted(qi.codes))
    return max(sorted(cats), key=lambda c: cats[c])
