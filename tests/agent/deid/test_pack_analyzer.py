"""PackAnalyzer (agent.deid.pack_analyzer) gives what Presidio's AnalyzerEngine.analyze
gives for the pack, with the notes parsed one by one or in batches."""

from __future__ import annotations

import pytest

from evals.synthetic import load_notes


def _key(results):
    return [(r.entity_type, r.start, r.end, r.score, r.recognition_metadata["recognizer_name"])
            for r in results]


@pytest.fixture(scope="module")
def recased(deid_detector):
    texts = [deid_detector.recaser.recase(n.text) for n in load_notes()[:12]]
    # A one-case line and a short window, as the detector hands them over too.
    return [*texts, "SEEN AT MERCY BLUFF HOSPITAL BY DR OKAFOR 3/4/26", "Pt Ana 555-0142"]


def test_results_are_those_of_presidios_analyzer(deid_detector, recased):
    pack = deid_detector._pack
    for text, doc in zip(recased, pack.parse(recased), strict=True):
        ours = pack.analyze(text, doc, threshold=0.5)
        presidio = deid_detector.analyzer.analyze(text=text, language="en",
                                                  score_threshold=0.5)
        assert _key(ours) == _key(presidio)


def test_batched_parses_give_the_entities_of_single_parses(deid_detector, recased):
    pack = deid_detector._pack
    batched = [[(e.start_char, e.end_char, e.label_) for e in d.ents]
               for d in pack.parse(recased)]
    single = [[(e.start_char, e.end_char, e.label_) for e in pack.nlp(t).ents] for t in recased]
    assert batched == single


def test_detect_many_gives_what_detect_gives(deid_detector, recased):
    texts = [n.text for n in load_notes()[:6]] + ["", "   "]
    assert deid_detector.detect_many(texts) == [deid_detector.detect(t) for t in texts]


def test_patients_detected_together_get_what_each_gets_alone(deid_detector):
    from agent.deid.batch import PatientDeidentifier

    deid = PatientDeidentifier(mode="redact")
    groups: dict[str, list] = {}
    for note in load_notes()[:10]:
        groups.setdefault(note.patient_id, []).append(note)
    patients = list(groups.values())
    assert len(patients) > 1
    assert deid.detect_patients(patients) == [deid.detect_patient(p) for p in patients]


def test_run_patients_gives_what_run_gives_patient_by_patient(deid_detector):
    from agent.deid.batch import PatientDeidentifier

    deid = PatientDeidentifier(mode="mask")
    groups: dict[str, list] = {}
    for note in load_notes()[:8]:
        groups.setdefault(note.patient_id, []).append(note)
    patients = list(groups.values())
    together = [(r.model_dump(), a.model_dump()) for r, a in deid.run_patients(patients)]
    alone = [(r.model_dump(), a.model_dump()) for p in patients for r, a in deid.run(p)]
    assert together == alone


def test_windows_around_line_breaks_are_read_in_one_batch_with_the_same_results(
        deid_detector, monkeypatch):
    texts = ["DISCHARGE SUMMARY, fax copy received from the outside hospital MRN 41-\n"
             "8830072 discharged home in stable condition.",
             "Faxed copy for the patient named Oriel Quenneville-\nTorres, chart no. 7710-\n"
             "0045.\n",
             "", "No breaks to re-read here."]
    single = [deid_detector.detect(t) for t in texts]
    calls = []
    parse = deid_detector._pack.parse

    def counting(pieces):
        pieces = list(pieces)
        calls.append(len(pieces))
        return parse(pieces)

    monkeypatch.setattr(deid_detector._pack, "parse", counting)
    together = deid_detector.detect_many(texts)
    assert together == single
    assert any(s.recognizer.startswith("wrap:") for s in together[0])
    # One parse for the notes' pieces, one for the windows of both notes with breaks
    # (the first note's break and the second's two).
    assert calls[0] == 3 and len(calls) == 2 and calls[1] >= 3
