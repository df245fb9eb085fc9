"""detect(): requested types, empty notes, patient memory, long notes in pieces."""

from __future__ import annotations

import pytest

from agent.deid.detector import PatientMemory
from agent.errors import ConfigError


def test_when_requested_type_has_no_recognizer_then_config_error(deid_detector):
    with pytest.raises(ConfigError) as err:
        deid_detector.detect("Seen by Dr. Smith", entities=["NAME", "BIOMETRIC"])
    assert "BIOMETRIC" in str(err.value)


def test_when_only_some_types_are_requested_then_only_those_are_returned(deid_detector):
    spans = deid_detector.detect("Dr. Smith saw her on 3/14/2026.", entities=["DATE"])
    assert [s.entity_type for s in spans] == ["DATE"]


def test_when_note_is_empty_then_no_spans(deid_detector):
    assert deid_detector.detect("") == [] and deid_detector.detect("   \n") == []


def test_when_note_is_all_phi_then_every_part_is_found(deid_detector):
    text = "Wendell Pursglove 555-013-4410 3/14/2026 wendell.p@mail.example"
    spans = deid_detector.detect(text)
    covered = {i for s in spans for i in range(s.start, s.end)}
    assert all(i in covered for i, ch in enumerate(text) if ch.isalnum())


def test_when_name_was_found_in_another_note_then_bare_mention_is_found(deid_detector):
    memory = PatientMemory()
    first = "Patient: Quintanilla-Brooke, Marisol   MRN: SOR-88120457"
    deid_detector.learn(first, deid_detector.detect(first), memory)
    second = "Pt Quintanilla-Brooke A&Ox4. BMP at 19:00."
    spans = deid_detector.detect(second, memory=memory)
    assert ("NAME", "Quintanilla-Brooke") in [(s.entity_type, second[s.start:s.end])
                                             for s in spans]


def test_when_note_is_longer_than_one_analysis_then_pieces_keep_exact_offsets(
    deid_detector, monkeypatch
):
    # spaCy refuses texts over 1M characters; long notes are analysed in pieces. A small
    # piece size exercises the same path cheaply.
    import agent.deid.detector as detector

    monkeypatch.setattr(detector, "_ANALYZE_MAX_CHARS", 120)
    line = "Seen by Dr. Wendell Pursglove on 3/14/2026, MRN 55512345.\n"
    text = line * 6
    spans = deid_detector.detect(text)
    found = [(s.entity_type, text[s.start:s.end]) for s in spans]
    assert found.count(("DATE", "3/14/2026")) == 6
    assert sum(1 for t, v in found if t == "NAME" and "Pursglove" in v) == 6


def test_when_spans_overlap_then_the_sweep_keeps_what_the_pairwise_rule_keeps():
    # resolve_overlaps uses a bisect sweep (linear in a long note); the rule it must keep
    # is the plain one: best score, then longest, then earliest, never two overlapping.
    import random

    from agent.deid.detector import resolve_overlaps
    from agent.schemas.deid import PhiSpan

    def pairwise(spans):
        kept = []
        for s in sorted(spans, key=lambda x: (-x.score, -(x.end - x.start), x.start)):
            if all(s.end <= k.start or s.start >= k.end for k in kept):
                kept.append(s)
        return sorted(kept, key=lambda x: x.start)

    rng = random.Random(7)
    for _ in range(200):
        spans = []
        for _ in range(rng.randint(0, 30)):
            a = rng.randint(0, 120)
            spans.append(PhiSpan(entity_type="NAME", start=a, end=a + rng.randint(1, 15),
                                 score=rng.choice([0.5, 0.85, 0.9]), recognizer="t"))
        assert resolve_overlaps(spans) == pairwise(spans)


def test_when_note_is_long_and_dense_then_every_span_is_found(deid_detector):
    text = "Seen at Halloran West Rehab. " * 3000
    spans = deid_detector.detect(text)
    assert len(spans) == 3000


@pytest.mark.heavy
def test_deid_does_not_load_the_extraction_pipeline():
    # De-identification cuts long notes with agent.nlp.segments (plain text); importing
    # it from agent.nlp.pipeline loaded medspaCy, QuickUMLS, NLTK and scikit-learn
    # (seconds of start-up) into every de-id run.
    import subprocess
    import sys

    code = ("import sys\n"
            "from agent.deid.batch import PatientDeidentifier\n"
            "from agent.schemas.notes import Note\n"
            "PatientDeidentifier(mode='redact').detect_patient("
            "[Note(patient_id='p', note_id='n', text='Seen by Dr. Smith on 3/4/2020.')])\n"
            "print([m for m in ('medspacy', 'nltk', 'sklearn') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
