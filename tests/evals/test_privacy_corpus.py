"""The generated privacy corpus: deterministic, every patient in the population, notes that
state the quasi-identifiers the risk report reads."""

from __future__ import annotations

from agent.privacy.mentions import find_mentions
from evals.privacy_corpus import generate


def test_generated_corpus_is_deterministic_and_consistent():
    a, b = generate(50), generate(50)
    assert [n.text for n in a.notes] == [n.text for n in b.notes]
    assert len(a.population) == 250 and len(a.patient_person) == 50
    people = {p.person_id for p in a.population}
    assert set(a.patient_person.values()) <= people
    kinds = {m.kind for m in find_mentions(a.notes[0].text)}
    assert {"AGE", "SEX", "CODE", "OCCUPATION"} <= kinds
