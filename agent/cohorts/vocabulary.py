"""What a cohort query may name, resolved against the vocabularies the extractor files facts
under: conditions (MeSH names, ICD-10-CM titles and codes), drugs (canonical ingredients,
brands, the classes of ``drug_classes.json``) and lab tests (``lab_tests.json``).

An unknown name is an error that names it and suggests the closest valid ones, never an
empty result: a misspelled "metfromin" must not look like a cohort of nobody.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

from pydantic import BaseModel, ConfigDict, Field

from agent.cohorts.facts import concept_name
from agent.cohorts.labs import LabCatalog, LabTest, lab_catalog
from agent.errors import InputError
from agent.rules.files import read_rule_file, rules_path

CLASS_FILE = "drug_classes.json"
# A concept the ICD-10-CM coder matches below this score is not taken as a code match:
# the coder always returns its best guess ("diabetic retinopathy" -> E13.319 at 0.71, the
# "other specified" type), and a wrong category would add its patients.
MIN_CODE_SCORE = 0.9
_UNDOTTED = re.compile(r"([A-Z][0-9][0-9A-Z])([0-9A-Z]{1,4})")
# A leaf whose title says it is the unspecified member stands for its whole category:
# "type 2 diabetes" codes to E11.9 ("... without complications") but means E11.
_GENERIC_TITLE = re.compile(r"\bunspecified\b|\bwithout complications?\b", re.IGNORECASE)


class DrugClass(BaseModel):
    """A drug class: its name, other names and canonical ingredients (lower case)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    aliases: list[str] = Field(default_factory=list)
    ingredients: list[str] = Field(min_length=1)


@dataclass(frozen=True)
class ConditionMatch:
    """What a condition concept matches: fact concept names, or ICD-10-CM codes (a fact
    matches a code when the code is its code or one of its ancestors)."""

    names: frozenset[str]
    codes: frozenset[str]


def suggestions(word: str, choices, n: int = 5) -> list[str]:
    """The closest valid choices to a misspelled word (difflib ratio, best first)."""
    return difflib.get_close_matches(word, list(choices), n=n, cutoff=0.6)


def unknown(field: str, kind: str, value: str, choices, *, listing: str = "") -> InputError:
    """The error for an unknown name: names it, suggests the closest valid ones."""
    close = suggestions(value, choices)
    fix = f"Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    if listing:
        fix = f"{fix} Valid: {listing}".strip()
    return InputError("query", f"unknown {kind} {value!r}", field=field, fix=fix)


@lru_cache(maxsize=1)
def drug_classes() -> dict[str, DrugClass]:
    """The packaged drug classes by name and alias (lower case).

    Raises:
        RuleFileError: the file is malformed (names the entry).
    """
    out: dict[str, DrugClass] = {}
    for cls in read_rule_file(rules_path(CLASS_FILE), "drug_classes", DrugClass):
        for name in (cls.name, *cls.aliases):
            out[name.lower()] = cls
    return out


class CohortVocabulary:
    """Resolves the names of a query; vocabularies load on first use (seconds, once).

    Args:
        labs: the lab catalog (None: the packaged one).
    """

    def __init__(self, labs: LabCatalog | None = None) -> None:
        self.labs = labs or lab_catalog()

    @cached_property
    def _coder(self):
        # Deferred: the ICD-10-CM coder loads its term index (about 2 s) on first use.
        from agent.nlp.vocab.icd10cm import ProblemCoder

        return ProblemCoder()

    @cached_property
    def drug_names(self) -> dict[str, str]:
        """Every drug name and brand (lower case) -> its canonical ingredient."""
        # Deferred: the drug tables unpickle on first use (about a second).
        from agent.nlp.vocab.drugs import drug_terms

        return {v.lower(): t.canonical.lower() for v, t in drug_terms().items()}

    @cached_property
    def disease_names(self) -> dict[str, str]:
        """Every MeSH disease variant (lower case) -> its canonical heading."""
        # Deferred: the MeSH disease tables unpickle on first use.
        from agent.nlp.vocab.diseases import mesh_synonyms

        return {v: t.canonical.lower() for v, t in mesh_synonyms().items()}

    def code(self, code: str, field: str) -> str:
        """The ICD-10-CM code or block (``E11``, ``E1140`` -> ``E11.40``, ``E08-E13``).

        Raises:
            InputError: not an ICD-10-CM code, category, block or chapter.
        """
        # Deferred: simple_icd_10_cm parses its table on import (about a second).
        import simple_icd_10_cm as icd

        wanted = code.strip().upper()
        m = _UNDOTTED.fullmatch(wanted)
        if m and "." not in wanted:
            wanted = f"{m.group(1)}.{m.group(2)}"
        if icd.is_valid_item(wanted):
            return wanted
        raise unknown(field, "ICD-10-CM code", code, icd.get_all_codes(True),
                      listing="an ICD-10-CM chapter, block (E08-E13), category (E11) or "
                      "code (E11.40)")

    def condition(self, concept: str, field: str) -> ConditionMatch:
        """The names and codes a condition concept matches.

        Raises:
            InputError: neither the disease vocabulary nor ICD-10-CM knows the concept.
        """
        # Deferred: simple_icd_10_cm parses its table on import (about a second).
        import simple_icd_10_cm as icd

        name = concept_name(concept)
        names = {name}
        if name in self.disease_names:
            names.add(self.disease_names[name])
        codes: set[str] = set()
        best = self._coder.code(concept, k=1)
        if best and best[0].score >= MIN_CODE_SCORE:
            code = best[0].code
            if icd.is_valid_item(code) and _GENERIC_TITLE.search(icd.get_description(code)) \
                    and icd.get_parent(code):
                code = icd.get_parent(code)
            codes.add(code)
        if len(names) == 1 and not codes and not self._in_titles(name):
            raise unknown(field, "condition concept", concept, self.disease_names,
                          listing="a disease name (MeSH), an ICD-10-CM title, or use code:")
        return ConditionMatch(frozenset(names), frozenset(codes))

    @cached_property
    def _titles(self) -> str:
        # Deferred: simple_icd_10_cm parses its table on import (about a second).
        import simple_icd_10_cm as icd

        return "\n".join(icd.get_description(c).lower() for c in icd.get_all_codes(True))

    def _in_titles(self, name: str) -> bool:
        """Whether the words occur in an ICD-10-CM title ("retinopathy")."""
        return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", self._titles) is not None

    def ingredient(self, name: str, field: str) -> str:
        """The canonical ingredient of a drug name or brand ("Glucophage" -> metformin).

        Raises:
            InputError: the drug vocabulary does not know the name.
        """
        key = concept_name(name)
        if key in self.drug_names:
            return self.drug_names[key]
        raise unknown(field, "medication ingredient", name, set(self.drug_names.values()),
                      listing="a drug ingredient or brand name")

    def drug_class(self, name: str, field: str) -> list[str]:
        """The canonical ingredients of a drug class.

        Raises:
            InputError: the class is not in ``drug_classes.json``.
        """
        classes = drug_classes()
        cls = classes.get(concept_name(name))
        if cls is None:
            raise unknown(field, "medication class", name, classes,
                          listing=", ".join(sorted({c.name for c in classes.values()})))
        return sorted({concept_name(i) for i in cls.ingredients})

    def lab(self, test: str, unit: str | None, field: str) -> tuple[LabTest, str | None]:
        """The catalog test and the catalog spelling of the query's unit.

        Raises:
            InputError: an unknown test, or a unit the test cannot be converted from.
        """
        found = self.labs.test_for(test)
        if found is None:
            raise unknown(field, "lab test", test, self.labs.aliases,
                          listing=", ".join(sorted(self.labs.tests)))
        if unit is None:
            return found, None
        key = self.labs.unit_key(found, unit)
        if key is None:
            raise unknown(field.rsplit(".", 1)[0] + ".unit", f"unit for {found.name}", unit,
                          found.units, listing=", ".join(found.units))
        return found, key


@lru_cache(maxsize=1)
def shared_vocabulary() -> CohortVocabulary:
    """One vocabulary per process (the service's requests share its loaded tables)."""
    return CohortVocabulary()

