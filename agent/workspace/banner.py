"""The patient banner: who the notes say the patient is, and where they disagree.

Each field is read, in this order of trust, from the notes' metadata (``Note.extra``, keys
``workspace.banner_metadata_keys``), from ``Label: value`` fields in each note's header
(labels ``workspace.banner_labels``) and from the shape clinicians open a note with
("74 yo M", "a 62 y/o F", "74-year-old woman"). Age is computed from the date of birth at
the latest note date when one is known. Identity fields that disagree between notes (two
MRNs, two names that cannot be one person, two dates of birth, two sexes) are listed as
conflicts: a wrong-patient risk the page shows next to the banner.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from agent.schemas.layout import NoteLayout
from agent.schemas.notes import Note
from agent.schemas.summary import Citation
from agent.schemas.workspace import (
    BANNER_FIELDS,
    BannerConflict,
    BannerFields,
    BannerValue,
    PatientBanner,
)
from agent.workspace.header_fields import HeaderReader, HeaderValue, parse_full_date, sex_value

# Identity fields: two different values mean two patients' notes may be mixed.
IDENTITY_FIELDS = ("name", "mrn", "dob", "sex")
# "74 yo M", "74-year-old man", "a 62 y/o F", "74M", "(92 F)", "78 y.o. male": an age, a
# unit or none, then a sex; or an age with an unambiguous unit alone ("74-year-old with").
# "40 years" alone is a duration ("smoked for 40 years"), not an age.
_ANY_UNIT = r"(?:y/o|y\.o\.|yo|years?(?:[ -]old)?|year-old|yrs?(?:[ -]old)?|y)"
_AGE_UNIT = r"(?:y/o|y\.o\.|yo|years?[ -]old|year-old|yr[ -]old)"
_SEX_WORD = (r"(?:[MF]\b(?![./])|(?i:male|female|man|woman|gentleman|lady|boy|girl)\b)")
_AGE_SHAPE = re.compile(
    rf"(?<![\w/.:#-])(?P<age>\d{{1,3}})(?:[ -]?{_ANY_UNIT}\.?[ ,]*(?P<sex1>{_SEX_WORD})"
    rf"|[ -]?{_AGE_UNIT}\b|[ ]?(?P<sex2>{_SEX_WORD}))")
# The age of someone else: "her 45-year-old son", "wife (70F)".
_OTHER_PERSON = re.compile(
    r"\b(?:his|her|their|son|daughter|wife|husband|mother|father|brother|sister|partner|"
    r"child|grandson|granddaughter)\W{1,3}(?:\w+\W{1,2})?$", re.IGNORECASE)
_SHAPE_WINDOW = 2500  # the opening of a note, where its subject is introduced
_MIN_HEADER_LINES = 3
_EXTRA_SEX = {"gentleman": "M", "boy": "M", "lady": "F", "girl": "F"}


@dataclass(frozen=True)
class _Seen:
    """One value of one field in one note."""

    field: str
    value: str
    source: str
    note: Note
    order: int
    citation: Citation | None


def header_spans(note: Note, layout: NoteLayout | None, max_lines: int) -> list[tuple[int, int]]:
    """The lines of the note's header: the top ``max_lines`` lines, ending where the first
    section starts (at least the first three lines, which a title and a section label such
    as "EXAM:" may open)."""
    if layout is not None:
        lines = [(ln.start, ln.end, ln.section) for ln in layout.lines]
    else:
        lines, pos = [], 0
        for raw in note.text.split("\n"):
            if raw.strip():
                lines.append((pos, pos + len(raw.rstrip()), None))
            pos += len(raw) + 1
    out = []
    for i, (start, end, section) in enumerate(lines[:max_lines]):
        if section is not None and i >= _MIN_HEADER_LINES:
            break
        out.append((start, end))
    return out


def patient_banner(notes: Sequence[Note], layouts: Mapping[str, NoteLayout] | None, *,
                   labels: Mapping[str, Sequence[str]],
                   metadata_keys: Mapping[str, Sequence[str]],
                   header_lines: int = 15) -> PatientBanner:
    """The banner of one patient.

    Args:
        notes: the patient's notes in :func:`agent.schemas.notes.sort_notes` order.
        layouts: note id -> layout (where the first section starts); None reads the top
            ``header_lines`` lines.
        labels: field -> header labels (``workspace.banner_labels``).
        metadata_keys: field -> ``Note.extra`` keys (``workspace.banner_metadata_keys``).
        header_lines: most lines of a note read as its header.

    Returns:
        The banner with each field's value, source and citation, and the conflicts.
    """
    reader = HeaderReader(labels)
    seen: list[_Seen] = []
    for order, note in enumerate(notes):
        seen.extend(_from_metadata(note, order, metadata_keys))
        layout = layouts.get(note.note_id) if layouts else None
        for start, end in header_spans(note, layout, header_lines):
            seen.extend(_from_header(v, note, order) for v in reader.read_line(note.text,
                                                                               start, end))
        seen.extend(_from_shape(note, order))
    fields = {f: _pick(f, [s for s in seen if s.field == f]) for f in BANNER_FIELDS}
    fields["age"] = _age(fields["dob"], notes) or fields["age"]
    conflicts = [c for f in IDENTITY_FIELDS
                 if (c := _conflict(f, [s for s in seen if s.field == f])) is not None]
    return PatientBanner(patient_id=notes[0].patient_id if notes else "",
                         fields=BannerFields(**fields), conflicts=conflicts)


def _from_metadata(note: Note, order: int,
                   metadata_keys: Mapping[str, Sequence[str]]) -> list[_Seen]:
    out = []
    extra = {str(k).casefold(): v for k, v in (note.extra or {}).items()}
    for field, keys in metadata_keys.items():
        for key in keys:
            raw = extra.get(key.casefold())
            if raw is None or isinstance(raw, (dict, list)) or not str(raw).strip():
                continue
            value = _normalised(field, str(raw).strip())
            if value is not None:
                out.append(_Seen(field, value, "metadata", note, order, None))
                break
    return out


def _normalised(field: str, raw: str) -> str | None:
    if field == "dob":
        parsed = parse_full_date(raw)
        return parsed[0].isoformat() if parsed else None
    if field == "sex":
        return sex_value(raw) or raw
    return " ".join(raw.split())


def _from_header(value: HeaderValue, note: Note, order: int) -> _Seen:
    return _Seen(value.field, value.value, "header", note, order,
                 Citation(note_id=note.note_id, start=value.start, end=value.end))


def _from_shape(note: Note, order: int) -> list[_Seen]:
    window = note.text[:_SHAPE_WINDOW]
    for m in _AGE_SHAPE.finditer(window):
        if _OTHER_PERSON.search(window, 0, m.start()):
            continue
        age = int(m.group("age"))
        if not 0 < age <= 130:
            continue
        cite = Citation(note_id=note.note_id, start=m.start(), end=m.end())
        out = [_Seen("age", str(age), "header", note, order, cite)]
        sex_word = m.group("sex1") or m.group("sex2")
        if sex_word:
            sex = sex_value(sex_word) or _EXTRA_SEX.get(sex_word.lower())
            if sex:
                out.append(_Seen("sex", sex, "header", note, order, cite))
        return out
    return []


def _pick(field: str, seen: list[_Seen]) -> BannerValue | None:
    """The field's value: metadata over the text; for identity fields the value most notes
    give (its fullest spelling for a name), else the latest note's."""
    if not seen:
        return None
    meta = [s for s in seen if s.source == "metadata"]
    pool = meta or seen
    if field in IDENTITY_FIELDS:
        groups = _groups(field, pool)
        best = max(groups, key=lambda g: (len({s.note.note_id for s in g}),
                                          max(s.order for s in g)))
        chosen = max(best, key=_name_display_rank) if field == "name" else best[0]
    else:
        chosen = max(pool, key=lambda s: s.order)
    return BannerValue(value=chosen.value, citation=chosen.citation, source=chosen.source,
                       note_id=chosen.note.note_id)


def _name_display_rank(seen: _Seen) -> tuple:
    # The fullest spelling, written in mixed case (an all-capitals copy reads as shouting).
    return (not seen.value.isupper(), len(seen.value), -seen.order)


def _age(dob: BannerValue | None, notes: Sequence[Note]) -> BannerValue | None:
    """Age in whole years at the latest note date, from the date of birth."""
    dates = [d for n in notes if (d := _note_date(n.date)) is not None]
    if dob is None or not dates:
        return None
    born, at = date.fromisoformat(dob.value), max(dates)
    years = at.year - born.year - ((at.month, at.day) < (born.month, born.day))
    if not 0 <= years <= 130:
        return None
    return BannerValue(value=str(years), citation=None, source="derived",
                       note_id=dob.note_id)


def _note_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _conflict(field: str, seen: list[_Seen]) -> BannerConflict | None:
    groups = _groups(field, seen)
    if len(groups) < 2:
        return None
    shown = [max(g, key=_name_display_rank) if field == "name" else g[0] for g in groups]
    return BannerConflict(field=field, values=[s.value for s in shown],
                          citations=[s.citation for s in shown])


def _groups(field: str, seen: list[_Seen]) -> list[list[_Seen]]:
    """Values that name the same thing, grouped (a name's spellings, an MRN's case)."""
    groups: list[list[_Seen]] = []
    ordered = sorted(seen, key=lambda s: (-len(s.value), s.order)) if field == "name" else seen
    for s in ordered:
        for group in groups:
            if _same(field, group[0].value, s.value):
                group.append(s)
                break
        else:
            groups.append([s])
    for group in groups:
        group.sort(key=lambda s: s.order)
    return sorted(groups, key=lambda g: g[0].order)


def _same(field: str, a: str, b: str) -> bool:
    if field == "name":
        return names_match(a, b)
    # Case and spacing are how a value was typed; leading zeros and other characters of an
    # MRN are part of the identifier.
    return "".join(a.split()).casefold() == "".join(b.split()).casefold()


def names_match(a: str, b: str) -> bool:
    """True when two written names can be one person: "Pursglove, Wendell T.",
    "WENDELL PURSGLOVE" and "W. Pursglove" can; "Wendell Pursglove" and "Walter Pursglove"
    cannot. Every word of the shorter name must match its own word of the longer one
    (an initial matches a word it starts), and one full word must match."""
    wa, wb = _name_words(a), _name_words(b)
    short, long_ = (wa, wb) if len(wa) <= len(wb) else (wb, wa)
    if not short:
        return False
    free = list(long_)
    has_full = False
    # Full words first, so an initial cannot take the word a full word needs.
    for word in sorted(short, key=len, reverse=True):
        hit = next((w for w in free if w == word), None)
        if hit is None:
            hit = next((w for w in free if (len(word) == 1 and w.startswith(word))
                        or (len(w) == 1 and word.startswith(w))), None)
        elif len(word) > 1:
            has_full = True
        if hit is None:
            return False
        free.remove(hit)
    return has_full


def _name_words(name: str) -> list[str]:
    return [w.casefold() for w in re.findall(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", name)]
