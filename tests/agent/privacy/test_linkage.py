"""Linkage attack and the quasi-identifier table on a small generated corpus released
before (Safe Harbor) and after generalization."""

from __future__ import annotations

from datetime import date

import pytest

from agent.privacy.linkage import PublicPerson, attack, candidates
from agent.privacy.quasi_identifiers import age_interval, patient_qis
from agent.privacy.risk import QIRow


def _person(pid, sex="F", born=date(1952, 5, 1), zip5="02139"):
    return PublicPerson(person_id=pid, name=pid, sex=sex, birth_date=born, zip5=zip5)


def test_candidates_follow_every_stated_quasi_identifier():
    public = [_person("a"), _person("b", sex="M"), _person("c", zip5="03601"),
              _person("d", born=date(1940, 1, 1))]
    row = QIRow(age=(73, 73), sex="F", zip3="021", years=(2026,), codes=frozenset())
    assert [p.person_id for p in candidates(row, public)] == ["a"]
    restricted = QIRow(age=(70, 79), sex="F", zip3="000", years=(2026,), codes=frozenset())
    assert [p.person_id for p in candidates(restricted, public)] == ["c"]
    result = attack([("a", row), ("d", row)], public)
    assert (result.linked_correctly, result.linked_wrongly) == (1, 1)
    assert result.share_reidentified == 0.5


def test_age_intervals():
    assert age_interval("74") == (74, 74)
    assert age_interval("70-79") == (70, 79)
    assert age_interval("90+") == age_interval("93") == (90, 120)


@pytest.fixture(scope="module")
def releases(deid_detector):
    from evals.privacy import release
    from evals.privacy_corpus import generate

    corpus = generate(30, decoys_per_patient=1)
    cache: dict = {}
    return corpus, {name: release(corpus.notes, name, cache)
                    for name in ("safe_harbor", "strict")}


def test_linkage_reidentifies_fewer_patients_after_generalization(releases):
    corpus, out = releases
    shares = {}
    for name, (records, refs) in out.items():
        qis = patient_qis(records)
        assert len(qis) == 30 and {q.policy for q in qis} == {f"{name}@v1"}
        rows = [QIRow(q.age, q.sex, q.zip3, q.years, q.codes) for q in qis]
        linked = [(corpus.patient_person[refs[q.patient_ref]], r)
                  for q, r in zip(qis, rows, strict=True)]
        shares[name] = attack(linked, corpus.population).share_reidentified
    assert shares["safe_harbor"] > shares["strict"]
    assert shares["safe_harbor"] >= 0.3
