"""The deterministic clinical entity extractor (no LLM).

Pipeline per note: medspaCy tokenizer + PyRuSH sentences + sectionizer -> vocabulary
matching (drugs, MeSH diseases, ICD-10-PCS procedures, LOINC labs, curated short forms) ->
ConText assertions -> medication attributes, test results, allergy typing -> codes
(ICD-10-CM, ICD-10-PCS, drug identifiers).

Every entity's offsets index the original note: ``text[start:end] == entity.text``.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path

from spacy.util import filter_spans

from agent.deadline import checkpoint
from agent.errors import RuleFileError
from agent.nlp.abbreviation_defs import defined_abbreviation_hits
from agent.nlp.assertion import assertion_of
from agent.nlp.device_references import device_heads, device_reference_hits
from agent.nlp.device_short_forms import carried_short_form_hits
from agent.nlp.lab_line_items import with_lab_line_items
from agent.nlp.lab_results import find_test_value
from agent.nlp.layout import layout_note
from agent.nlp.lexicon import LexiconHit, longest_non_overlapping
from agent.nlp.medication.attributes import find_medication_attributes
from agent.nlp.medication.lexicon import RULES_FILE as MEDICATION_RULES_FILE
from agent.nlp.medication.lexicon import load_lexicon
from agent.nlp.pipeline import build_pipeline
from agent.nlp.problem_spans import load_modifiers, widen_problem
from agent.nlp.section_store import section_category
from agent.nlp.segments import segments
from agent.nlp.susceptibility import susceptibility_drug_starts
from agent.nlp.vocab.build import build_vocabularies, package_versions
from agent.nlp.vocab.problem_heads import SUBSTANCE_WORDS
from agent.relations.extract import with_relations
from agent.rules import Rules
from agent.rules.files import rules_path
from agent.schemas.extraction import Attribute, Code, Entity, NoteExtraction, Provenance
from agent.schemas.layout import NoteLayout
from agent.schemas.notes import Note
from agent.version import package_version

# The facility nouns after a procedure word that make it a place name (the guideline does not
# label service and clinic names); "team", "service" and "lab" are left out: "PICC team" and
# "cath lab" also say what is done.
_FACILITY_AFTER = re.compile(r"[ \t]+(?:Center|Centre|Suite|Unit|unit|Clinic|clinic|Institute|"
                             r"Department)\b")
# Operation nouns (incisions and excisions, not stomas: "tracheostomy", "colostomy" are devices
# or openings in use) and the words after them that make them a body finding.
_OPERATION_END = re.compile(r"(?i)(?:(?<!s)tomy|ectomy|plasty)$")
_SCAR_AFTER = re.compile(r"[ \t]+(?:scars?|site|incision)\b")
_DEVICE_HEAD_AFTER = re.compile(r"[ \t]+(?:catheter|drain|tube|port|cannula)s?\b",
                                re.IGNORECASE)
# A dose or volume unit written in capitals right after its number ("QUETIAPINE 150 MG",
# "KCL 20 MEQ") is that unit, not the abbreviation it also spells ("MG": myasthenia gravis).
_NUMBER_BEFORE = re.compile(r"\d(?:\.\d+)?[ \t]?$")
_UNIT_WORDS = frozenset({"mg", "mcg", "g", "gm", "kg", "ml", "meq", "mmol", "cc", "iu",
                         "units", "mm", "cm"})
logger = logging.getLogger(__name__)

PRODUCER = "clinagent.verifiers.entities"

# Salt, ester and release words that belong to the drug name ("metoprolol tartrate",
# "fluphenazine decanoate", "diltiazem ER", "Toprol XL") per the annotation guideline.
# Matched at hit.end with Pattern.match(text, pos): no "^", which would only match at 0.
# A cation word is a salt only when no word follows it: in "antiepileptics sodium
# valproate" it starts the next drug.
_DRUG_SUFFIX = re.compile(
    r"(?:\s(?:tartrate|succinate|hydrochloride|HCl|maleate|"
    r"besylate|mesylate|citrate|sulfate|phosphate|acetate|bromide|decanoate|enanthate|"
    r"hyclate|fumarate|tosylate|valerate|propionate|dipropionate|XL|ER|SR|CR|LA|DR|XR|ODT|"
    r"glargine|lispro|aspart|detemir|degludec|regular|NPH|"
    r"(?:sodium|potassium|calcium)(?!\s+[A-Za-z])))+\b"
)
# Recreational substances: social history, unless given as treatment.
_SUBSTANCES = SUBSTANCE_WORDS
_SUBSTANCE_USE = re.compile(
    r"\b(?:use[sd]?|using|abuse|drinks?|drinking|smokes?|smoking|smoked|intake|"
    r"dependence|use disorder|recreational|illicit|social(?:ly)?|quit)\b", re.IGNORECASE)
_DRUG_LEVEL = re.compile(r"\s+(?:levels?|trough|peak|concentrations?)\b", re.IGNORECASE)
# Modifiers that name a different product or class, so they belong to the drug name
# ("pegylated interferon", "recombinant human G-CSF", "depot neuroleptics",
# "broad-spectrum antibiotics", "extended-release niacin", "basal insulin"). Route words
# are not among them: the guideline keeps the route outside the span.
_DRUG_PREFIX = re.compile(
    r"(?:\b(?:pegylated|recombinant(?:\s+human)?|liposomal|depot|basal|"
    r"broad[- ]spectrum|(?:extended|sustained|delayed|immediate)[- ]release|"
    r"long[- ]acting|short[- ]acting|rapid[- ]acting)\s+|\ball-)$",
    re.IGNORECASE,
)
# "allergic to X", "allergy to X", "allergies: X", "intolerant of X": the cue must point at
# what follows, so "PCN allergy -> vancomycin given" does not make vancomycin an allergen.
_ALLERGY_CUE = re.compile(
    r"\b(?:allerg(?:y|ies|ic)(?:\s+reactions?)?|intoleran(?:ce|t))\s*(?:to\b|of\b|:|-(?=\s)|[–—])",
    re.IGNORECASE)
_ALLERGY_AFTER = re.compile(r"\s*(?:allergy|allergic|intolerance)\b", re.IGNORECASE)
# A treatment verb after the cue starts an order, not more allergens ("Contrast allergy:
# premedicate with prednisone and diphenhydramine").
_NEW_STATEMENT = re.compile(
    r"\b(?:takes?|taking|on|given|started|continues?|continued|but|however|prescribed|"
    r"tolerat\w*|premedicat\w*|pre-?medicat\w*|premed|treat(?:ed|ing)?|give|gave|"
    r"administer\w*|receiv\w*)\b|[.;]", re.IGNORECASE)
_TOLERATES = re.compile(r"\btolerat(?:es|ed|ing)\b", re.IGNORECASE)


class EntityExtractor:
    """Extract entities with assertions, sections, attributes and codes from notes.

    Building one loads the vocabularies (a few seconds); reuse it across notes.

    Args:
        rules_dir: directory with replacement rule files; None uses the packaged rules.
        include_anatomy: also report ANATOMY entities.
        max_codes: code candidates per entity (0 disables coding).
        rxnorm_path: optional RxNorm RXNCONSO.RRF adding RXNORM codes to drugs.

    Raises:
        RuleFileError: a rule file is invalid.
        VocabularyError: a vocabulary is missing or unreadable.
    """

    def __init__(
        self, *, rules_dir: str | Path | None = None, include_anatomy: bool = False,
        max_codes: int = 5, rxnorm_path: str | Path | None = None,
    ) -> None:
        # Deferred: the vocabularies (pickles, SQLite tables): loaded with the extractor only.
        from agent.nlp.vocab.diseases import disease_lexicon

        # Deferred: the vocabularies: loaded with the extractor only.
        from agent.nlp.vocab.drug_clips import drug_clips, licensed_clips

        # Deferred: the vocabularies: loaded with the extractor only.
        from agent.nlp.vocab.drug_normalizer import DrugNormalizer

        # Deferred: the vocabularies: loaded with the extractor only.
        from agent.nlp.vocab.drugs import (
            ambiguous_drug_abbreviations,
            drug_abbreviations,
            drug_lexicon,
            medication_first_names,
        )

        # Deferred: the ICD-10 tables: loaded with the extractor only.
        from agent.nlp.vocab.icd10cm import ProblemCoder
        from agent.nlp.vocab.icd10cm_heads import icd10cm_heads

        # Deferred: the ICD-10 tables: loaded with the extractor only.
        from agent.nlp.vocab.icd10pcs import ProcedureCoder

        rules = Path(rules_dir) if rules_dir else None
        if rules is not None:
            _check_rules_dir(rules)
        self.rules = Rules.load(rules)
        self.pipeline = build_pipeline(rules)
        # Deferred: the ICD-10 tables: loaded with the extractor only.
        # Deferred: derived from the vocabularies above, built with them.
        from agent.nlp.vocab.analyte_problems import analyte_problem_forms
        from agent.nlp.vocab.icd10cm_heads import symptom_inclusion_terms
        from agent.nlp.vocab.problem_forms import british_forms, problem_form_vocab

        heads = {term: term for term in (*icd10cm_heads(), *symptom_inclusion_terms())}
        self.vocabularies = build_vocabularies(
            drugs=drug_lexicon(), diseases=disease_lexicon(), rules_dir=rules,
            include_anatomy=include_anatomy, drug_abbreviations=drug_abbreviations(),
            medication_first=medication_first_names(),
            diagnosis_heads=heads,
            drug_clips=drug_clips(),
            problem_forms=problem_form_vocab(disease_lexicon(), heads, drug_lexicon()),
            drug_spellings=british_forms(drug_lexicon()),
            analyte_problems=analyte_problem_forms(),
            ambiguous_drug_abbreviations=ambiguous_drug_abbreviations(),
            licensed_clips=licensed_clips(),
        )
        self._modifiers = load_modifiers(str(rules) if rules else None)
        self._med_lexicon = (load_lexicon(rules_path(MEDICATION_RULES_FILE, rules))
                             if rules else None)
        self.max_codes = max_codes
        self._problem_coder = ProblemCoder() if max_codes else None
        self._procedure_coder = ProcedureCoder() if max_codes else None
        self._drugs = DrugNormalizer(rxnorm_path=rxnorm_path)
        self._code_cache: dict[tuple[str, str], tuple[dict, list[Code]]] = {}
        self._provenance = Provenance(
            producer=PRODUCER,
            package_version=package_version(),
            backend="rules",
            rules_sha256=";".join(
                f"{k}={v[:12]}" for k, v in sorted(
                    {**self.pipeline.rule_hashes,
                     **{k: v for k, v in self.vocabularies.sources.items()
                        if k.endswith(".json")}}.items()))
            + ";" + self.rules.sha256("relations.json"),
            vocabularies={**package_versions(),
                          **{k: v for k, v in self.vocabularies.sources.items()
                             if not k.endswith(".json")}},
        )

    @property
    def provenance(self) -> Provenance:
        """What produced this extractor's output."""
        return self._provenance

    def extract_note(self, note: Note) -> NoteExtraction:
        """Extract one note into the output record of ``clinagent extract`` (entities, the
        note's layout, from the same sentence split ConText used, and the relations between
        the entities, :mod:`agent.relations`)."""
        entities, sentences = self._extract(note.text)
        extraction = NoteExtraction(note_id=note.note_id, patient_id=note.patient_id,
                                    entities=entities, provenance=self._provenance,
                                    layout=layout_note(note.text, entities, self.rules.headers,
                                                       sentences=sentences))
        return with_relations(extraction, note.text, self.rules)

    def layout(self, text: str, entities: list[Entity]) -> NoteLayout:
        """Lines with sections, sentences and clauses of a text (the entities place the
        lines in their sections)."""
        return layout_note(text, entities, self.rules.headers)

    def extract(self, text: str) -> list[Entity]:
        """Extract the entities of a text.

        Args:
            text: the note text (any length; long notes are processed in segments).

        Returns:
            Entities in offset order, with offsets into ``text``.
        """
        return self._extract(text)[0]

    def _extract(self, text: str) -> tuple[list[Entity], list[tuple[int, int]]]:
        """Entities and the pipeline's raw sentence spans (offsets into ``text``)."""
        entities: list[Entity] = []
        sentences: list[tuple[int, int]] = []
        carried_section: str | None = None
        # Devices named in earlier segments, for bare references to them (device_references).
        carried_heads: dict[str, str] = {}
        for offset, segment in segments(text):
            # A service request past its deadline stops here, between segments.
            checkpoint()
            found, carried_section, sents = self._extract_segment(segment, carried_section,
                                                                  carried_heads)
            for ent in found:
                entities.append(_shift(ent, offset) if offset else ent)
            sentences.extend((offset + a, offset + b) for a, b in sents)
        return entities, sentences

    def _extract_segment(
        self, text: str, carried_section: str | None,
        carried_heads: dict[str, str] | None = None,
    ) -> tuple[list[Entity], str | None, list[tuple[int, int]]]:
        doc = self.pipeline.prepare(text)
        # Checkpoints between the phases of a segment too (~0.1 s each): the pipeline keeps
        # no state between calls, so other work may use it in between.
        checkpoint()
        sentences = [(sent.start_char, sent.end_char) for sent in doc.sents]
        # Section.title_span is a (start, end) token range.
        headers = [(doc[a:b].start_char, doc[a:b].end_char) for a, b in
                   (s.title_span for s in doc._.sections if s.title_span is not None)]
        hits = [h for h in self.vocabularies.find(text)
                if not any(s <= h.start < e for s, e in headers)]
        hits = longest_non_overlapping([self._widen(text, h) for h in hits])
        hits = longest_non_overlapping(hits + defined_abbreviation_hits(text, hits))
        hits = with_lab_line_items(text, hits)
        # Second pass: "the catheter", "pump alarm" after the note named the device.
        heads = device_heads(text, hits)
        refs = [h for h in device_reference_hits(text, {**(carried_heads or {}), **heads})
                if not any(s <= h.start < e for s, e in headers)]
        if carried_heads is not None:
            carried_heads.update(heads)
        if refs:
            hits = longest_non_overlapping(hits + refs)
        # Third pass: "through the IO" after "IO removed" read the short form as a device.
        carried = [h for h in carried_short_form_hits(text, hits)
                   if not any(s <= h.start < e for s, e in headers)]
        if carried:
            hits = longest_non_overlapping(hits + carried)
        spans = []
        for h in hits:
            span = doc.char_span(h.start, h.end, label=h.label, alignment_mode="expand")
            if span is not None:
                spans.append(span)
        doc.ents = filter_spans(spans)
        checkpoint()
        doc = self.pipeline.annotate(doc)
        checkpoint()
        by_start = {h.start: h for h in hits}
        susceptibility = susceptibility_drug_starts(
            text, [(h.start, h.end) for h in hits if h.label == "MEDICATION"])

        entities: list[Entity] = []
        for span in doc.ents:
            hit = _hit_for(span, by_start)
            if hit is None:
                continue
            section = section_category(span) or carried_section
            etype = hit.label
            if etype == "MEDICATION" and (_is_substance_use(text, hit, section)
                                          or hit.start in susceptibility):
                # Social-history substances; antibiotics of a culture's susceptibility
                # result (agent.nlp.susceptibility).
                continue
            if (etype in ("PROBLEM", "MEDICATION")
                    and text[hit.start:hit.end].lower() in _UNIT_WORDS
                    and _NUMBER_BEFORE.search(text, max(0, hit.start - 12), hit.start)):
                continue
            if etype == "PROCEDURE" and _FACILITY_AFTER.match(text, hit.end):
                # A procedure word naming a place ("Northfork Dialysis Center", "Endoscopy
                # Suite", "sent from dialysis unit") is a facility, not a procedure.
                continue
            if (etype == "PROCEDURE" and _OPERATION_END.search(text, hit.start, hit.end)
                    and _SCAR_AFTER.match(text, hit.end)):
                # An operation's scar or site ("Sternotomy scar well healed", "old appendectomy
                # site") is an exam finding; a stoma's or device's site ("colostomy site",
                # "port site") stays a device.
                continue
            if etype == "MEDICATION" and _is_allergen(text, hit.start, hit.end, section):
                etype = "ALLERGY"
            elif etype == "ALLERGY" and not _is_allergen(text, hit.start, hit.end, section):
                # A non-drug allergen word outside an allergy context is something else:
                # "adhesive small bowel obstruction", "latex gloves", "eggs for breakfast".
                continue
            entities.append(Entity(
                start=hit.start, end=hit.end, text=text[hit.start:hit.end], type=etype,
                assertion=assertion_of(span, etype, self.rules.roles), section=section,
                normalized={"canonical": hit.canonical, "vocabulary": hit.source},
            ))
        # A segment with no header of its own continues the section carried into it.
        last_section = (doc._.sections[-1].category if doc._.sections else None) or carried_section
        self._add_attributes(text, entities)
        checkpoint()
        for ent in entities:
            self._add_codes(ent)
        return entities, last_section, sentences

    def _widen(self, text: str, hit: LexiconHit) -> LexiconHit:
        if hit.label == "MEDICATION":
            return _extend_drug(text, hit)
        if hit.label == "PROCEDURE":
            # "dialysis catheter", "gastrostomy tube": a procedure named before a device
            # head noun names the device.
            head = _DEVICE_HEAD_AFTER.match(text, hit.end)
            if head is not None:
                return LexiconHit(hit.start, head.end(), hit.label,
                                  hit.canonical + text[hit.end:head.end()].lower(), hit.source)
        if hit.label == "PROBLEM":
            start, end = widen_problem(text, hit.start, hit.end, self._modifiers)
            if (start, end) != (hit.start, hit.end):
                # The canonical name keeps the qualifiers: "acute on chronic HFrEF" ->
                # "acute on chronic heart failure with reduced ejection fraction".
                canonical = text[start:hit.start] + hit.canonical + text[hit.end:end]
                return LexiconHit(start, end, hit.label, canonical, hit.source)
        return hit

    def _add_attributes(self, text: str, entities: list[Entity]) -> None:
        meds = [e for e in entities if e.type == "MEDICATION"]
        for med, attrs in zip(meds, find_medication_attributes(
                text, [(m.start, m.end) for m in meds], lexicon=self._med_lexicon),
                strict=True):
            med.attributes.update(attrs)
        for i, ent in enumerate(entities):
            if ent.type != "TEST":
                continue
            nxt = entities[i + 1].start if i + 1 < len(entities) else len(text)
            eol = text.find("\n", ent.end)
            limit = min(nxt, eol if eol != -1 else len(text))
            value = find_test_value(text, ent.end, limit)
            if value is not None:
                ent.attributes["value"] = value

    def _add_codes(self, ent: Entity) -> None:
        if not self.max_codes:
            return
        key = (ent.type, ent.text.lower())
        cached = self._code_cache.get(key)
        if cached is None:
            cached = self._codes_for(ent)
            if len(self._code_cache) < 200_000:
                self._code_cache[key] = cached
        normalized, codes = cached
        ent.normalized.update(normalized)
        ent.codes = list(codes)

    def _codes_for(self, ent: Entity) -> tuple[dict, list[Code]]:
        canonical = str(ent.normalized.get("canonical") or ent.text)
        if ent.type == "PROBLEM" and self._problem_coder is not None:
            codes = self._problem_coder.code(ent.text, k=self.max_codes)
            if canonical.lower() != ent.text.lower():
                # Abbreviations and synonyms ("HFrEF") code better by their canonical name;
                # keep the best-scored candidate per code from both queries.
                best: dict[str, Code] = {}
                for c in codes + self._problem_coder.code(canonical, k=self.max_codes):
                    if c.code not in best or c.score > best[c.code].score:
                        best[c.code] = c
                codes = sorted(best.values(), key=lambda c: -c.score)[: self.max_codes]
            return {}, codes
        if ent.type == "PROCEDURE" and self._procedure_coder is not None:
            return {}, self._procedure_coder.code(ent.text, k=min(3, self.max_codes))
        if ent.type in ("MEDICATION", "ALLERGY"):
            # The mention first: "Lasix" must come out as a brand of furosemide.
            normalized, codes = self._drugs.normalize(ent.text)
            if not codes and canonical.lower() != ent.text.lower():
                normalized, codes = self._drugs.normalize(canonical)
            return normalized, codes
        return {}, []


# Rule files a user's rules directory replaces; the vocabulary adjustments (stop-lists,
# extra drug names, ICD-10 synonyms) are read from the package only.
OVERRIDABLE_RULE_FILES = ("context.json", "sections.json", "targets.json",
                          "abbreviation_stoplist.json", "problem_modifiers.json",
                          MEDICATION_RULES_FILE)
# Read by the timeline, handoff and verifier; the packaged copy is used when absent.
OPTIONAL_RULE_FILES = ("cues.json", "relations.json")


def _check_rules_dir(rules: Path) -> None:
    """Fail loudly instead of silently ignoring a file the user edited."""
    present = {p.name for p in rules.glob("*.json")}
    ignored = sorted(present - set(OVERRIDABLE_RULE_FILES) - set(OPTIONAL_RULE_FILES))
    missing = sorted(set(OVERRIDABLE_RULE_FILES) - present)
    if ignored or missing:
        raise RuleFileError(
            str(rules),
            (f"files that cannot be overridden here: {ignored}; " if ignored else "")
            + (f"missing files: {missing}" if missing else "")
            + f". A rules directory holds exactly {list(OVERRIDABLE_RULE_FILES)}"
            + f" and optionally {list(OPTIONAL_RULE_FILES)}"
            " (copy them from agent/rules/)")


def _hit_for(span, by_start: dict[int, LexiconHit]) -> LexiconHit | None:
    # Spans were expanded to token boundaries; the original hit keeps exact offsets.
    for start in range(span.start_char, span.end_char):
        hit = by_start.get(start)
        if hit is not None and hit.end <= span.end_char:
            return hit
    return None


def _extend_drug(text: str, hit: LexiconHit) -> LexiconHit:
    if hit.label != "MEDICATION":
        return hit
    level = _DRUG_LEVEL.match(text, hit.end)
    if level:
        # "vancomycin trough", "digoxin level": a drug assay is a TEST.
        return LexiconHit(hit.start, level.end(), "TEST", text[hit.start:level.end()],
                          hit.source)
    start, end = hit.start, hit.end
    m = _DRUG_SUFFIX.match(text, end)
    if m:
        end = m.end()
    p = _DRUG_PREFIX.search(text, max(0, start - 40), start)
    if p:
        start = p.start()
    if (start, end) == (hit.start, hit.end):
        return hit
    return LexiconHit(start, end, hit.label, hit.canonical, hit.source)


def _is_substance_use(text: str, hit: LexiconHit, section: str | None) -> bool:
    """Alcohol, tobacco and street drugs as social history are not medications.

    The same words stay drugs elsewhere ("cocaine-induced vasospasm" in a case report).
    """
    if text[hit.start:hit.end].lower() not in _SUBSTANCES:
        return False
    if section == "SOCIAL_HISTORY":
        return True
    line_start = text.rfind("\n", 0, hit.start) + 1
    line_end = text.find("\n", hit.end)
    line = text[line_start:line_end if line_end != -1 else len(text)]
    return bool(_SUBSTANCE_USE.search(line))


def _is_allergen(text: str, start: int, end: int, section: str | None) -> bool:
    """A drug named as an allergen: in the allergy list, or "allergic to X" / "X allergy".

    A drug the patient tolerates ("has since tolerated cephalexin") stays a MEDICATION.
    """
    line_start = text.rfind("\n", 0, start) + 1
    clause_start = max(text.rfind(c, line_start, start) for c in ";,(") + 1
    clause = text[max(line_start, clause_start, start - 60):start]
    if _TOLERATES.search(clause):
        return False
    if _ALLERGY_AFTER.match(text, end):
        return True
    if section == "ALLERGIES":
        return True
    prefix = text[max(line_start, start - 60):start]
    cues = list(_ALLERGY_CUE.finditer(prefix))
    # Between the cue and the drug only a list of allergens may stand ("allergic to
    # codeine, sulfa and PCN"), not a new statement ("... and takes aspirin").
    return bool(cues) and not _NEW_STATEMENT.search(prefix, cues[-1].end())


def _shift(ent: Entity, offset: int) -> Entity:
    attrs = {k: Attribute(start=a.start + offset, end=a.end + offset, text=a.text,
                          value=a.value) for k, a in ent.attributes.items()}
    return ent.model_copy(update={"start": ent.start + offset, "end": ent.end + offset,
                                  "attributes": attrs})


@lru_cache(maxsize=4)
def default_extractor(
    rules_dir: str | None = None, include_anatomy: bool = False, max_codes: int = 5,
    rxnorm_path: str | None = None,
) -> EntityExtractor:
    """A cached extractor per configuration (building one takes seconds)."""
    return EntityExtractor(rules_dir=rules_dir, include_anatomy=include_anatomy,
                           max_codes=max_codes, rxnorm_path=rxnorm_path)
