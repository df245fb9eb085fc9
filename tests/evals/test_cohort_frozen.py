"""The frozen cohort corpus and its labelled cohorts load and every query resolves.

Frozen (written blind, never tuned on): nothing here reads note text or asserts a score;
only that the files are consistent, so ``clinagent eval cohort`` can run them.
"""

from __future__ import annotations

import yaml

from agent.cohorts.compile import resolve
from agent.cohorts.parse import load_query, query_from_text
from agent.cohorts.vocabulary import CohortVocabulary
from agent.notes import read_notes
from evals.cohort import FROZEN, FROZEN_COHORTS, FROZEN_NOTES


def _criterion_ids(crit):
    """Ids of a criterion and of the named criteria nested in it (all / any / not)."""
    if crit.id:
        yield crit.id
    for sub in [*(crit.all or []), *(crit.any or []), *([crit.not_] if crit.not_ else [])]:
        yield from _criterion_ids(sub)


def _spec() -> dict:
    return yaml.safe_load(FROZEN_COHORTS.read_text(encoding="utf-8"))


def test_frozen_notes_load_with_unique_ids_and_dates():
    notes = read_notes(FROZEN_NOTES).notes
    patients = {n.patient_id for n in notes}
    assert len(patients) >= 40
    assert len({n.note_id for n in notes}) == len(notes)
    # Time windows and "current at the last note" need every note dated.
    assert all(n.date for n in notes)


def test_every_frozen_query_resolves_and_every_named_criterion_has_gold():
    spec = _spec()
    patients = {n.patient_id for n in read_notes(FROZEN_NOTES).notes}
    vocab = CohortVocabulary()
    assert 6 <= len(spec["cohorts"]) <= 10
    for cohort in spec["cohorts"]:
        query = query_from_text(cohort["query"])
        resolve(query, vocab)  # raises on an unknown concept, drug, class, test or unit
        assert cohort["id"] in spec["gold"], cohort["id"]
        for crit in [c for part in (query.inclusion, query.exclusion) for c in part]:
            for crit_id in _criterion_ids(crit):
                assert crit_id in spec["gold"], crit_id
    for name, members in spec["gold"].items():
        assert set(members) <= patients, name
        assert len(set(members)) == len(members), name


def test_frozen_trial_query_file_resolves():
    resolve(load_query(FROZEN / "trial.yaml"), CohortVocabulary())
