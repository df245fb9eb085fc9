"""Synthetic demo corpus: parse the marked-up sources, build notes and gold labels, check them.

Usage::

    python -m evals.synthetic build   # write notes.jsonl, gold_entities.jsonl, gold_phi.jsonl
    python -m evals.synthetic check   # fail if the built files are stale or an offset is wrong
    python -m evals.synthetic stats   # counts per entity type, assertion and PHI type
    python -m evals.synthetic lint    # authoring hints (unlabelled repeats, unmapped headers)

Source format (``data/synthetic/source/*.txt``, one file per patient; the full span rules
are in ``data/synthetic/GUIDELINES.md``):

- ``@@ patient_id=P001 note_id=P001-01 note_type=ed_note date=2026-03-14`` starts a note; the
  note runs to the next ``@@`` line or the end of the file. Lines starting with ``%%`` are
  comments. Leading/trailing blank lines of a note are dropped, trailing spaces are stripped.
- ``[[TYPE|surface]]``, ``[[TYPE:assertion|surface]]``, ``[[TYPE:assertion#id|surface]]``: an
  entity (assertion defaults to ``present``).
- ``[[id.attr|surface]]`` / ``[[id.attr=value|surface]]``: an attribute of entity ``id`` in the
  same note (medication attributes on MEDICATION, ``value`` on TEST).
- ``{{TYPE|surface}}``: a PHI span.
- ``source/sections.json`` maps header labels to the ``section`` of each entity.
- Markup nests (an indication attribute holding a PROBLEM, a DATE inside a duration); every
  markup closes on the line where it opens.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date as Date
from functools import lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from agent.errors import InputError, RuleFileError
from agent.schemas.extraction import ASSERTIONS, ENTITY_TYPES, MEDICATION_ATTRIBUTES, Entity
from agent.schemas.notes import Note
from evals.synthetic_report import lint, stats

PHI_TYPES: tuple[str, ...] = (
    "NAME", "DATE", "AGE", "PHONE", "FAX", "EMAIL", "SSN", "MRN", "HEALTH_PLAN", "ACCOUNT",
    "LICENSE", "VEHICLE", "DEVICE", "URL", "IP_ADDRESS", "STREET_ADDRESS", "CITY", "ZIP",
    "HOSPITAL", "ID",
)
NOTE_TYPES: tuple[str, ...] = (
    "ed_note", "history_and_physical", "progress_note", "consult_note", "radiology_report",
    "procedure_note", "nursing_note", "pharmacy_note", "discharge_summary",
)
TEST_ATTRIBUTES: tuple[str, ...] = ("value",)
OUTPUT_FILES: tuple[str, ...] = ("notes.jsonl", "gold_entities.jsonl", "gold_phi.jsonl")

SECTIONS_FILE = "sections.json"

_NOTE_START = "@@"
_COMMENT = "%%"
_HEADER_FIELDS = ("patient_id", "note_id", "note_type", "date")
_FIELD_RE = re.compile(r"(\w+)=(\S+)")
_ENTITY_HEAD = re.compile(r"^(?P<type>[A-Z_]+)(?::(?P<assertion>[a-z_]+))?(?:#(?P<id>\w+))?$")
_ATTR_HEAD = re.compile(r"^(?P<id>\w+)\.(?P<name>\w+)(?:=(?P<value>[^|]+))?$")
_PHI_HEAD = re.compile(r"^[A-Z_]+$")
# A header label may carry an aside with its own colons: "Imaging (14:19):".
_LABEL_RE = re.compile(r"^\s*([A-Za-z0-9][^:(]{0,40}?(?:\s*\([^)]*\))?)\s*:")
_ASIDE_RE = re.compile(r"\([^)]*\)")
_CLOSERS = {"[[": "]]", "{{": "}}"}


@dataclass
class _Raw:
    """One markup occurrence, before its head is interpreted."""

    opener: str
    head: str
    start: int
    end: int
    line: int
    section: str | None = None


@dataclass
class GoldNote:
    """One built note with its gold entities and PHI, as written to the JSONL files."""

    note: dict[str, str]
    entities: list[dict] = field(default_factory=list)
    phi: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class GoldPhi:
    """A gold PHI span (``text`` is the note text at ``start:end``)."""

    start: int
    end: int
    text: str
    type: str


def _label_key(label: str) -> str:
    return " ".join(_ASIDE_RE.sub(" ", label).lower().split())


@lru_cache(maxsize=4)
def section_headers(corpus: str | None = None) -> dict[str, str]:
    """Header label -> section, from ``source/sections.json`` (``{"section_headers": ...}``).

    A line is a header when its text before the first colon, or the whole line, is a label
    (lower case, spaces collapsed, parenthesised asides removed). Labels not listed (exam
    sub-headings such as ``CV:`` or ``Vitals:``) keep the current section.

    Raises:
        RuleFileError: unknown top-level key, a section not in UPPER_SNAKE, or a label that
            is not normalised or is listed twice.
    """
    path = data_dir(corpus).joinpath("source").joinpath(SECTIONS_FILE)
    raw = json.loads(path.read_text(encoding="utf-8"))
    if set(raw) != {"section_headers"}:
        raise RuleFileError(SECTIONS_FILE, "the only top-level key is 'section_headers'")
    table: dict[str, str] = {}
    for index, (section, labels) in enumerate(raw["section_headers"].items()):
        if not re.fullmatch(r"[A-Z][A-Z_]*", section):
            raise RuleFileError(SECTIONS_FILE, "section names are UPPER_SNAKE", index=index)
        for label in labels:
            if label != _label_key(label) or label in table:
                raise RuleFileError(SECTIONS_FILE, f"label {label!r} is not normalised or "
                                    "is listed twice", index=index)
            table[label] = section
    return table


def section_of(line: str, corpus: str | None = None) -> str | None:
    """The section a header line opens, or None when the line is not a known header."""
    headers = section_headers(corpus)
    m = _LABEL_RE.match(line)
    if m and (sec := headers.get(_label_key(m.group(1)))):
        return sec
    return headers.get(_label_key(line.strip().rstrip(":")))


def _parse_line(line: str, source: str, lineno: int) -> tuple[str, list[_Raw]]:
    """Strip markup from one source line; return the plain line and line-relative spans."""
    plain: list[str] = []
    stack: list[tuple[str, str, int]] = []
    raws: list[_Raw] = []
    i = 0
    while i < len(line):
        two = line[i:i + 2]
        if two in _CLOSERS:
            bar = line.find("|", i + 2)
            head = line[i + 2:bar] if bar >= 0 else ""
            if bar < 0 or any(c in head for c in "[]{}"):
                raise InputError(source, f"markup opened at column {i + 1} has no '|' "
                                 "after its label", line=lineno)
            stack.append((two, head, len(plain)))
            i = bar + 1
        elif two in ("]]", "}}"):
            if not stack:
                raise InputError(source, f"unbalanced {two!r} at column {i + 1}", line=lineno)
            opener, head, start = stack.pop()
            if _CLOSERS[opener] != two:
                raise InputError(source, f"{two!r} at column {i + 1} closes {opener!r}",
                                 line=lineno)
            raws.append(_Raw(opener, head, start, len(plain), lineno))
            i += 2
        else:
            plain.append(line[i])
            i += 1
    if stack:
        raise InputError(source, f"{stack[-1][0]!r} is not closed on its line "
                         "(markup may not span lines)", line=lineno)
    return "".join(plain), raws


def _parse_header(line: str, source: str, lineno: int) -> dict[str, str]:
    fields = dict(_FIELD_RE.findall(line[len(_NOTE_START):]))
    missing = [f for f in _HEADER_FIELDS if f not in fields]
    unknown = sorted(set(fields) - set(_HEADER_FIELDS))
    if missing or unknown:
        raise InputError(source, f"note header missing {missing} or unknown fields {unknown}",
                         line=lineno)
    if fields["note_type"] not in NOTE_TYPES:
        raise InputError(source, f"unknown note_type; use one of {NOTE_TYPES}", line=lineno)
    try:
        Date.fromisoformat(fields["date"])
    except ValueError as e:
        raise InputError(source, "date must be ISO yyyy-mm-dd", line=lineno) from e
    return {f: fields[f] for f in _HEADER_FIELDS}


def _build_note(header: dict[str, str], lines: list[tuple[int, str]], source: str,
                corpus: str | None = None) -> GoldNote:
    while lines and not lines[0][1].strip():
        lines.pop(0)
    while lines and not lines[-1][1].strip():
        lines.pop()
    texts: list[str] = []
    raws: list[_Raw] = []
    offset = 0
    section: str | None = None
    for lineno, src in lines:
        plain, line_raws = _parse_line(src.rstrip(), source, lineno)
        section = section_of(plain, corpus) or section
        for r in line_raws:
            r.start, r.end, r.section = r.start + offset, r.end + offset, section
        raws.extend(line_raws)
        texts.append(plain)
        offset += len(plain) + 1
    text = "\n".join(texts)
    Note(**header, text=text)
    gold = GoldNote(note={**header, "text": text})
    by_id: dict[str, dict] = {}
    attrs: list[tuple[_Raw, re.Match[str]]] = []
    for r in sorted(raws, key=lambda r: (r.start, -r.end)):
        surface = text[r.start:r.end]
        if not surface or surface != surface.strip():
            raise InputError(source, "span is empty or has leading/trailing spaces", line=r.line)
        if r.opener == "{{":
            if not _PHI_HEAD.match(r.head) or r.head not in PHI_TYPES:
                raise InputError(source, f"unknown PHI type; use one of {PHI_TYPES}",
                                 line=r.line)
            gold.phi.append({"start": r.start, "end": r.end, "text": surface, "type": r.head})
        elif m := _ATTR_HEAD.match(r.head):
            attrs.append((r, m))
        elif m := _ENTITY_HEAD.match(r.head):
            if m["type"] not in ENTITY_TYPES:
                raise InputError(source, f"unknown entity type; use one of {ENTITY_TYPES}",
                                 line=r.line)
            assertion = m["assertion"] or "present"
            if assertion not in ASSERTIONS:
                raise InputError(source, f"unknown assertion; use one of {ASSERTIONS}",
                                 line=r.line)
            ent = {"start": r.start, "end": r.end, "text": surface, "type": m["type"],
                   "assertion": assertion, "section": r.section, "attributes": {}}
            if m["id"]:
                if m["id"] in by_id:
                    raise InputError(source, f"entity id {m['id']!r} used twice in note "
                                     f"{header['note_id']}", line=r.line)
                by_id[m["id"]] = ent
            gold.entities.append(ent)
        else:
            raise InputError(source, "markup label is neither 'TYPE[:assertion][#id]' nor "
                             "'id.attribute[=value]'", line=r.line)
    for r, m in attrs:
        ent = by_id.get(m["id"])
        if ent is None:
            raise InputError(source, f"attribute refers to unknown entity id {m['id']!r}",
                             line=r.line)
        allowed = {"MEDICATION": MEDICATION_ATTRIBUTES, "TEST": TEST_ATTRIBUTES}.get(
            ent["type"], ())
        if m["name"] not in allowed:
            raise InputError(source, f"attribute {m['name']!r} is not allowed on "
                             f"{ent['type']}; allowed: {allowed}", line=r.line)
        if m["name"] in ent["attributes"]:
            raise InputError(source, f"attribute {m['name']!r} given twice for entity "
                             f"{m['id']!r}", line=r.line)
        attr = {"start": r.start, "end": r.end, "text": text[r.start:r.end]}
        if m["value"] is not None:
            attr["value"] = m["value"].strip()
        ent["attributes"][m["name"]] = attr
    for ent in gold.entities:
        ent["attributes"] = dict(sorted(ent["attributes"].items(),
                                        key=lambda kv: (kv[1]["start"], kv[0])))
    return gold


def parse_source(source: str, content: str, corpus: str | None = None) -> list[GoldNote]:
    """Parse one marked-up source file into notes with gold labels.

    Args:
        source: the file name, used in error messages.
        content: the file's text.
        corpus: the corpus folder whose ``source/sections.json`` applies (None = demo).

    Returns:
        The notes of the file in file order.

    Raises:
        InputError: bad markup or header; names the file and the 1-based line.
    """
    notes: list[GoldNote] = []
    header: dict[str, str] | None = None
    lines: list[tuple[int, str]] = []
    for lineno, line in enumerate(content.splitlines(), start=1):
        if line.startswith(_COMMENT):
            continue
        if line.startswith(_NOTE_START):
            if header is not None:
                notes.append(_build_note(header, lines, source, corpus))
            header, lines = _parse_header(line, source, lineno), []
        elif header is None:
            if line.strip():
                raise InputError(source, "text before the first '@@' note header", line=lineno)
        else:
            lines.append((lineno, line))
    if header is not None:
        notes.append(_build_note(header, lines, source, corpus))
    return notes


def build_corpus(sources: Iterable[tuple[str, str]],
                 corpus: str | None = None) -> list[GoldNote]:
    """Parse all sources and check cross-note consistency.

    Args:
        sources: ``(file name, content)`` pairs; notes keep this order.
        corpus: the corpus folder (None = the packaged demo corpus).

    Returns:
        Every note of every source.

    Raises:
        InputError: bad markup, a duplicated note id, a file mixing patients, or notes of a
            patient out of date order.
    """
    out: list[GoldNote] = []
    seen: set[str] = set()
    for name, content in sources:
        notes = parse_source(name, content, corpus)
        if len({n.note["patient_id"] for n in notes}) > 1:
            raise InputError(name, "one source file holds one patient")
        dates = [n.note["date"] for n in notes]
        if dates != sorted(dates):
            raise InputError(name, "notes of a patient must be in date order")
        for n in notes:
            if n.note["note_id"] in seen:
                raise InputError(name, f"duplicate note_id {n.note['note_id']!r}")
            seen.add(n.note["note_id"])
        out.extend(notes)
    return out


def render(corpus: list[GoldNote]) -> dict[str, str]:
    """Serialise a corpus to the contents of the three JSONL files, keyed by file name."""
    def lines(rows: Iterable[dict]) -> str:
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)

    return {
        "notes.jsonl": lines(n.note for n in corpus),
        "gold_entities.jsonl": lines({"note_id": n.note["note_id"], "entities": n.entities}
                                     for n in corpus),
        "gold_phi.jsonl": lines({"note_id": n.note["note_id"], "phi": n.phi} for n in corpus),
    }


def data_dir(corpus: str | None = None) -> Traversable:
    """A corpus folder: ``corpus`` if given (e.g. a frozen test corpus), else the packaged
    ``evals/data/synthetic`` demo corpus."""
    if corpus is not None:
        return Path(corpus)
    root = files("evals")
    if not root.joinpath("synthetic.py").is_file():
        # pytest's default import mode puts tests/ on sys.path, where tests/evals (no
        # __init__.py) shadows this package as a namespace package; the resource reader of
        # this module's own loader still points at the real package folder.
        root = __spec__.loader.get_resource_reader(__spec__.name).files()
    # One segment per joinpath: MultiplexedPath.joinpath takes a single child on 3.11.
    return root.joinpath("data").joinpath("synthetic")


def read_sources(folder: Traversable | None = None) -> list[tuple[str, str]]:
    """Read every ``*.txt`` source of a ``source/`` folder, sorted by file name."""
    folder = folder or data_dir().joinpath("source")
    return [(p.name, p.read_text(encoding="utf-8"))
            for p in sorted(folder.iterdir(), key=lambda p: p.name) if p.name.endswith(".txt")]


def _read_jsonl(name: str, corpus: str | None = None) -> list[dict]:
    return [json.loads(line) for line in
            data_dir(corpus).joinpath(name).read_text(encoding="utf-8").splitlines() if line]


def load_notes(corpus: str | None = None) -> list[Note]:
    """Load the built synthetic notes, in corpus order."""
    return [Note(**row) for row in _read_jsonl("notes.jsonl", corpus)]


def load_gold_entities(corpus: str | None = None) -> dict[str, list[Entity]]:
    """Load the gold entities, keyed by note id (every note has a key)."""
    return {row["note_id"]: [Entity.model_validate(e) for e in row["entities"]]
            for row in _read_jsonl("gold_entities.jsonl", corpus)}


def load_gold_phi(corpus: str | None = None) -> dict[str, list[GoldPhi]]:
    """Load the gold PHI spans, keyed by note id (every note has a key)."""
    return {row["note_id"]: [GoldPhi(**p) for p in row["phi"]]
            for row in _read_jsonl("gold_phi.jsonl", corpus)}


def offset_errors(rendered: dict[str, str]) -> list[str]:
    """Every span whose offsets do not reproduce its text, as ``note_id start-end`` strings."""
    texts = {n["note_id"]: n["text"] for n in map(json.loads, rendered["notes.jsonl"].splitlines())}
    bad: list[str] = []

    def verify(note_id: str, span: dict, what: str) -> None:
        if texts[note_id][span["start"]:span["end"]] != span["text"]:
            bad.append(f"{note_id} {what} {span['start']}-{span['end']}")

    for row in map(json.loads, rendered["gold_entities.jsonl"].splitlines()):
        for ent in row["entities"]:
            verify(row["note_id"], ent, ent["type"])
            for name, attr in ent["attributes"].items():
                verify(row["note_id"], attr, name)
    for row in map(json.loads, rendered["gold_phi.jsonl"].splitlines()):
        for span in row["phi"]:
            verify(row["note_id"], span, span["type"])
    return bad


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m evals.synthetic", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["build", "check", "stats", "lint"])
    parser.add_argument("--corpus", default=None,
                        help="corpus folder holding source/ (default: the demo corpus)")
    args = parser.parse_args(argv)
    out = Path(str(data_dir(args.corpus)))
    corpus = build_corpus(read_sources(out / "source"), args.corpus)
    rendered = render(corpus)
    if args.command == "build":
        for name, content in rendered.items():
            (out / name).write_text(content, encoding="utf-8")
        print(f"wrote {len(corpus)} notes to {out}")
    elif args.command == "check":
        on_disk = {name: (out / name).read_text(encoding="utf-8") if (out / name).exists()
                   else "" for name in OUTPUT_FILES}
        stale = [name for name in OUTPUT_FILES if on_disk[name] != rendered[name]]
        bad = offset_errors(on_disk) if not stale else []
        for name in stale:
            print(f"stale: {name}; run `python -m evals.synthetic build`")
        for span in bad:
            print(f"offset mismatch: {span}")
        if stale or bad:
            return 1
        print(f"ok: {len(corpus)} notes, offsets verified")
    elif args.command == "lint":
        for hint in lint(corpus, section_of):
            print(hint)
    else:
        print(json.dumps(stats(corpus), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
