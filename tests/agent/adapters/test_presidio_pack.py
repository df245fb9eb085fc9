"""The clinical recognizer pack in a stock Presidio AnalyzerEngine scores what ``clinagent
deid`` scores on the demo de-id gold (same notes, same scorer: ``evals.deid.score``), loads
from a YAML configuration, and clinagent's operators in Presidio's AnonymizerEngine write
the same text as ``clinagent deid``."""

from __future__ import annotations

import logging
from collections import defaultdict

import pytest
from presidio_analyzer import AnalyzerEngine, AnalyzerEngineProvider, RecognizerRegistry
from presidio_analyzer.nlp_engine import SpacyNlpEngine

from agent.adapters.presidio_pack import (
    RECOGNIZER_NAME,
    ClinagentPhiRecognizer,
    add_clinical_recognizers,
    clinical_recognizers,
    write_analyzer_config,
)
from agent.deid.batch import PatientDeidentifier
from agent.deid.registry import SPACY_MODEL
from evals.deid import clinagent_system, demo_docs, score

SECRET = b"test-only-key-0123456789abcdef"
TEXT = "Seen by Dr. Ines Marchetti-Voss on 03/14/2026, MRN 00482913."


@pytest.fixture(scope="module")
def nlp_engine():
    """A stock Presidio spaCy engine on the model clinagent installs (nothing downloads)."""
    engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": SPACY_MODEL}])
    engine.load()
    # Presidio warns once per unmapped spaCy label per call.
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    return engine


def stock_analyzer(recognizers, nlp_engine) -> AnalyzerEngine:
    registry = RecognizerRegistry(supported_languages=["en"])
    for recognizer in recognizers:
        registry.add_recognizer(recognizer)
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en"])


def _spans(analyzer: AnalyzerEngine, text: str) -> list[tuple[int, int, str]]:
    return sorted((r.start, r.end, r.entity_type) for r in analyzer.analyze(text, language="en"))


@pytest.fixture(scope="module")
def demo_scores(nlp_engine, deid_detector):
    docs = demo_docs()
    reference = clinagent_system()(docs)
    # Patient level, as clinagent deid runs: one recognizer per patient, primed on all of
    # the patient's notes.
    by_patient = defaultdict(list)
    for d in docs:
        by_patient[d.patient_id].append(d)
    patient_level = {}
    for group in by_patient.values():
        analyzer = stock_analyzer(
            [ClinagentPhiRecognizer.for_patient([d.text for d in group])], nlp_engine)
        patient_level.update({d.doc_id: _spans(analyzer, d.text) for d in group})
    per_note_analyzer = stock_analyzer(clinical_recognizers(), nlp_engine)
    per_note = {d.doc_id: _spans(per_note_analyzer, d.text) for d in docs}
    return docs, reference, patient_level, per_note


@pytest.mark.heavy
def test_stock_analyzer_with_the_patient_pack_scores_what_clinagent_deid_scores(demo_scores):
    docs, reference, patient_level, _ = demo_scores
    ours, theirs = score(docs, reference, typed=True), score(docs, patient_level, typed=True)
    assert theirs["span_any_phi"] == ours["span_any_phi"]
    assert theirs["token_any_phi"] == ours["token_any_phi"]
    assert theirs["span_typed_by_type"] == ours["span_typed_by_type"]
    # Not only the same numbers: the same spans, note by note.
    assert {k: sorted(v) for k, v in reference.items()} == patient_level


def test_per_note_pack_is_within_one_span_of_clinagent_deid(demo_scores):
    """Without the patient's other notes, an identifier seen confidently only elsewhere
    (the second pass of clinagent deid) can be missed: on the demo gold that is 1 of 430
    spans. The tolerance is that one span's worth of recall and nothing of precision."""
    docs, reference, _, per_note = demo_scores
    ours, theirs = score(docs, reference, typed=True), score(docs, per_note, typed=True)
    n = ours["span_any_phi"]["tp"] + ours["span_any_phi"]["fn"]
    assert theirs["span_any_phi"]["recall"] >= ours["span_any_phi"]["recall"] - 1.5 / n
    assert theirs["span_any_phi"]["precision"] >= ours["span_any_phi"]["precision"]


def test_results_carry_types_recognizer_and_provenance(nlp_engine, deid_detector):
    analyzer = stock_analyzer(clinical_recognizers(), nlp_engine)
    results = analyzer.analyze(TEXT, language="en")
    found = {(r.entity_type, TEXT[r.start:r.end]) for r in results}
    assert {("MRN", "00482913"), ("DATE", "03/14/2026")} <= found
    meta = results[0].recognition_metadata
    assert meta["recognizer_name"] == RECOGNIZER_NAME
    assert meta["pack_sha256"] == deid_detector.pack_sha256 and meta["clinagent_version"]
    assert meta["clinagent_recognizer"]


def test_when_only_some_types_asked_then_only_those(nlp_engine):
    analyzer = stock_analyzer(clinical_recognizers(), nlp_engine)
    results = analyzer.analyze(TEXT, language="en", entities=["MRN"])
    assert [(r.entity_type, TEXT[r.start:r.end]) for r in results] == [("MRN", "00482913")]


def test_individual_recognizers_go_into_a_registry(deid_detector):
    registry = add_clinical_recognizers(RecognizerRegistry(supported_languages=["en"]),
                                        whole_detector=False)
    names = {r.name for r in registry.recognizers}
    assert len(names) > 5 and RECOGNIZER_NAME not in names
    assert {"NAME", "DATE", "MRN"} <= set(registry.get_supported_entities(["en"]))


@pytest.mark.filterwarnings("ignore:NLP recognizer")
def test_yaml_configuration_loads_into_a_stock_engine(tmp_path):
    path = write_analyzer_config(tmp_path / "clinagent-analyzer.yaml")
    analyzer = AnalyzerEngineProvider(analyzer_engine_conf_file=path).create_engine()
    assert [r.name for r in analyzer.registry.recognizers] == [RECOGNIZER_NAME]
    assert ("MRN", "00482913") in {(r.entity_type, TEXT[r.start:r.end])
                                   for r in analyzer.analyze(TEXT, language="en")}


@pytest.mark.parametrize("mode", ["redact", "mask", "surrogate"])
def test_clinagent_operators_in_presidio_write_what_clinagent_deid_writes(mode, demo_notes):
    anonymizer = pytest.importorskip("presidio_anonymizer", reason='needs the presidio '
                                     'extra: pip install -e ".[presidio]"')
    from agent.adapters.presidio_pack import add_clinagent_operators, operator_config

    notes = [n for n in demo_notes if n.patient_id == "P002"]
    deid = PatientDeidentifier(mode=mode, secret=SECRET)
    expected = {r.note_id: r.text for r, _ in deid.run(notes)}
    recognizer = ClinagentPhiRecognizer.for_patient(notes)
    engine = add_clinagent_operators(anonymizer.AnonymizerEngine())
    for note in notes:
        results = recognizer.analyze(note.text, recognizer.supported_entities)
        out = engine.anonymize(note.text, results, operators=operator_config(
            mode, secret=SECRET, patient_id=note.patient_id, reference_date=note.date))
        assert out.text == expected[note.note_id]


def test_surrogate_operator_without_a_secret_names_the_fix():
    anonymizer = pytest.importorskip("presidio_anonymizer", reason='needs the presidio '
                                     'extra: pip install -e ".[presidio]"')
    from presidio_analyzer import RecognizerResult

    from agent.adapters.presidio_pack import add_clinagent_operators, operator_config

    engine = add_clinagent_operators(anonymizer.AnonymizerEngine())
    with pytest.raises(ValueError, match="CLINAGENT_DEID__SECRET_FILE"):
        engine.anonymize(TEXT, [RecognizerResult("MRN", 51, 59, 0.9)],
                         operators=operator_config("surrogate"))
    with pytest.raises(ValueError, match="redact, mask, surrogate"):
        operator_config("shred")


def test_clinical_analyzer_is_a_stock_engine_with_only_the_pack(deid_detector):
    from agent.adapters.presidio_pack import clinical_analyzer

    analyzer = clinical_analyzer()
    assert isinstance(analyzer, AnalyzerEngine)
    assert [r.name for r in analyzer.registry.recognizers] == [RECOGNIZER_NAME]
    assert ("MRN", "00482913") in {(r.entity_type, TEXT[r.start:r.end])
                                   for r in analyzer.analyze(TEXT, language="en")}
