"""Assertion status of an entity mention from ConText modifiers and the note section.

ConText (``verifiers/rules/context.json``) marks each target with zero or more modifiers;
the sectionizer (``verifiers/rules/sections.json``) gives its section. This module folds
both into ONE of the six ``Assertion`` values of ``agent.schemas.extraction``.

Precedence, strongest first (the first that applies wins):

1. ``family``: a relative's condition ("Mother with breast cancer") or anything in a
   FAMILY_HISTORY section. It wins over negation: "no family history of colon cancer" is a
   statement about the relatives and neither asserts nor denies the condition in the
   patient, so it must not become a patient-level ``absent``.
2. ``hypothetical``: conditional or future ("return if chest pain", "consider starting
   metoprolol", "monitor for bleeding"). "Call if no urine output" stays hypothetical.
3. ``absent``: negated ("no h/o MI", "denies fever", "not on aspirin", "pneumonia
   resolved"). Negation beats history, so "no h/o X" is absent, not historical.
4. ``possible``: hedged ("r/o PE", "h/o possible seizure", "cannot exclude PE").
   Uncertainty beats history: "h/o possible X" is possible.
5. ``historical``: a history cue ("h/o", "s/p", "prior") or a PMH/PSH section; for
   medications, "was on", "previously on", "stopped", "discontinued": a drug taken
   earlier and no longer is historical, not absent, because the patient was exposed to it.
6. ``present``: everything else.

Section rules beyond the two above: in an ALLERGIES section a history cue does not make an
allergy historical (an allergy is a standing property of the patient); negation still
applies ("Allergies: none"). Discharge instructions rely on the cues ("return if",
"call your doctor for"), because the same section also restates the diagnoses treated.

medspaCy only skips a modifier that straddles a target's boundary; a cue lying wholly
inside the target span ("lungs show no opacities" as one concept) still modified it.
Such nested cues are part of the concept's wording and are ignored here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from spacy.tokens import Doc, Span

FAMILY_SECTIONS = frozenset({"FAMILY_HISTORY"})
HISTORY_SECTIONS = frozenset({"PMH", "PSH"})
ALLERGY_SECTIONS = frozenset({"ALLERGIES"})

# ConText category -> ContextFlags field; categories not listed (PSEUDO, TERMINATE) never
# modify a target.
CATEGORY_FLAGS = {
    "NEGATED_EXISTENCE": "is_negated",
    "POSSIBLE_EXISTENCE": "is_possible",
    "HISTORICAL": "is_historical",
    "HYPOTHETICAL": "is_hypothetical",
    "FAMILY": "is_family",
}


@dataclass(frozen=True)
class ContextFlags:
    """Which ConText categories modify a target (nested cues excluded)."""

    is_negated: bool = False
    is_possible: bool = False
    is_historical: bool = False
    is_hypothetical: bool = False
    is_family: bool = False


def active_modifiers(span: Span) -> list:
    """The ConText modifiers of a target, minus those lying inside the target itself.

    Args:
        span: an entity span of a doc annotated by ``ClinicalPipeline.annotate``.

    Returns:
        ``ConTextModifier`` objects whose cue lies outside the span, in ConText's order.
    """
    kept = []
    for modifier in span._.modifiers:
        start, end = modifier.modifier_span
        if span.start <= start and end <= span.end:
            continue
        kept.append(modifier)
    return kept


def context_flags(span: Span) -> ContextFlags:
    """ConText categories of a target as booleans.

    Args:
        span: an annotated entity span.

    Returns:
        The flags of the categories of :func:`active_modifiers`.
    """
    found = {
        CATEGORY_FLAGS[m.category.upper()]
        for m in active_modifiers(span)
        if m.category.upper() in CATEGORY_FLAGS
    }
    return ContextFlags(**dict.fromkeys(found, True))


def assertion_of(span: Span, entity_type: str) -> str:
    """Assertion status of one entity mention.

    Args:
        span: an entity span of a doc annotated by ``ClinicalPipeline.annotate`` (sections
            and ConText have run).
        entity_type: the entity's ``EntityType`` (``PROBLEM``, ``MEDICATION``...). ConText
            rules restricted with ``allowed_types`` already used ``span.label_``; the type
            here only drives the section rules.

    Returns:
        One of ``present, absent, possible, hypothetical, historical, family``, chosen by
        the precedence in the module docstring.
    """
    flags = context_flags(span)
    section = getattr(span._, "section_category", None)
    if flags.is_family or section in FAMILY_SECTIONS:
        return "family"
    if flags.is_hypothetical:
        return "hypothetical"
    if flags.is_negated:
        return "absent"
    if flags.is_possible:
        return "possible"
    if section in ALLERGY_SECTIONS and entity_type in ("ALLERGY", "MEDICATION"):
        return "present"
    if flags.is_historical or section in HISTORY_SECTIONS:
        return "historical"
    return "present"


def assertions_of(doc: Doc, spans: Iterable[Span] | None = None) -> list[str]:
    """Assertion status of every entity of an annotated doc, in order.

    Args:
        doc: a doc annotated by ``ClinicalPipeline.annotate``.
        spans: the targets to classify; None uses ``doc.ents``. Each span's ``label_`` is
            taken as its entity type.

    Returns:
        One assertion per span, in the order given.
    """
    targets = doc.ents if spans is None else spans
    return [assertion_of(span, span.label_) for span in targets]
