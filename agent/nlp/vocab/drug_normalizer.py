"""Drug normalisation: a medication mention -> ingredient, brand flag and offline codes.

Codes: DrugBank, MeSH and MedlinePlus ids from drug_named_entity_recognition, UNII from the
FDA names, and RxNorm when the user supplies an RXNCONSO.RRF (:mod:`agent.nlp.vocab.rxnorm`).
The vocabularies themselves are assembled in :mod:`agent.nlp.vocab.drugs`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process

from agent.nlp.vocab.drugs import (
    VOCABULARY,
    DrugTerm,
    drug_abbreviations,
    drug_tables,
    drug_terms,
)
from agent.nlp.vocab.rxnorm import RxNormTable
from agent.nlp.vocab.terms import normalize_phrase
from agent.schemas.extraction import Code

# Typos are only corrected when nearly the whole name agrees (rapidfuzz ratio, 0-100).
FUZZY_CUTOFF = 90.0
FUZZY_MIN_LENGTH = 6


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
        tables = drug_tables()
        variants = _lookup_variants()
        variant, similarity = _find_variant(mention, variants)
        if variant is None:
            return {"canonical": None, "display": None, "is_brand": None,
                    "matched_variant": None, "vocabulary": None}, []
        term = variants[variant]
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


@lru_cache(maxsize=1)
def _lookup_variants() -> dict[str, DrugTerm]:
    # Normalisation accepts every package variant (a stop-listed "folate" written as a
    # medication still resolves) plus the added names and abbreviations.
    out = dict(drug_tables().variants)
    for variant, term in drug_terms().items():
        out.setdefault(variant, term)
    for abbr, canonical in drug_abbreviations().items():
        out.setdefault(abbr.lower(), DrugTerm(canonical, False))
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
