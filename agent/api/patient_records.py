"""Prepared patient records for the workspace views (banner, med-rec, timeline, labs).

The page opens several views of one patient in a row; each needs the same
:class:`~agent.patient.PatientRecord` (extractions from the store cache, layouts, the
reconciled timeline). Building it costs a timeline pass over every note, so the last few
records are kept in process memory, keyed by the patient, the text hash of every note and
the rule files' hashes: a new or edited note, or edited rules, make a new key, so a view
never shows a stale record. Only process memory: nothing of a note is written anywhere.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from agent.api.services import Services, StoreExtractor, load_patient_notes
from agent.patient import PatientRecord
from agent.rules import rules_for
from agent.schemas.notes import Note
from agent.store.repository import text_sha256

# A handful of patients open at once on one service; a record of a long stay is a few MB.
_MAX_RECORDS = 8

_lock = threading.Lock()
_records: OrderedDict[tuple, PatientRecord] = OrderedDict()


def _key(patient_id: str, notes: list[Note], rules_provenance: str) -> tuple:
    return (patient_id, rules_provenance,
            tuple(sorted((n.note_id, text_sha256(n.text), n.date or "", n.note_type)
                         for n in notes)))


def patient_record(services: Services, patient_id: str) -> PatientRecord:
    """The patient's prepared record (cached while its notes and rules are unchanged).

    Raises:
        NotFound: no notes of the patient are stored.
    """
    notes = load_patient_notes(services, patient_id)
    rules = rules_for(services.settings)
    key = _key(patient_id, notes, rules.provenance())
    with _lock:
        hit = _records.get(key)
        if hit is not None:
            _records.move_to_end(key)
            return hit
    # Built outside the lock: two first requests for one patient may both build (same
    # result); a lock held through extraction would stall every other patient's view.
    record = PatientRecord.prepare(notes, StoreExtractor(services), rules)
    with _lock:
        _records[key] = record
        _records.move_to_end(key)
        while len(_records) > _MAX_RECORDS:
            _records.popitem(last=False)
    return record


def forget_patient(patient_id: str) -> None:
    """Drop the patient's cached records (after an erasure)."""
    with _lock:
        for key in [k for k in _records if k[0] == patient_id]:
            del _records[key]
