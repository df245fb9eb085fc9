"""The spaCy components: clinagent's entities and PHI as spans with clinagent's types and
attributes, in a blank pipeline, in a medspaCy pipeline, through ``nlp.pipe`` with
``n_process=2`` and a config round trip."""

from __future__ import annotations

import pytest
import spacy

from agent.adapters.spacy_components import ENTITY_GROUP, PHI_GROUP
from agent.schemas.notes import Note

NOTE = ("HPI: 70 yo M with atrial fibrillation on metoprolol 25 mg PO BID. "
        "Denies chest pain. Mother had breast cancer.\n"
        "Seen by Dr. Ines Marchetti-Voss on 03/14/2026, MRN 00482913.")


@pytest.fixture(scope="module")
def nlp():
    pipeline = spacy.blank("en")
    pipeline.add_pipe("clinagent_entities")
    pipeline.add_pipe("clinagent_deid", config={"redact": True})
    return pipeline


def _by_text(spans):
    return {s.text.lower(): s for s in spans}


def test_when_blank_pipeline_runs_then_entities_carry_clinagent_attributes(nlp, extractor):
    doc = nlp(NOTE)
    ents = _by_text(doc.spans[ENTITY_GROUP])
    med = ents["metoprolol"]
    assert med.label_ == "MEDICATION"
    assert med._.clinagent_attributes["frequency"]["value"] == "BID"
    assert med._.clinagent_attributes["strength"]["text"] == "25 mg"
    assert med._.clinagent_attributes["route"]["value"] == "oral"
    assert med._.clinagent_codes and {"system", "code"} <= set(med._.clinagent_codes[0])
    assert ents["chest pain"]._.clinagent_assertion == "absent"
    assert ents["breast cancer"]._.clinagent_assertion == "family"
    assert ents["atrial fibrillation"]._.clinagent_codes[0]["system"] == "ICD-10-CM"
    # The same entities as clinagent extract, in the same order and offsets.
    record = extractor.extract_note(Note(patient_id="unknown", note_id="doc", text=NOTE))
    expected = [(e.start, e.end, e.type) for e in record.entities]
    assert [tuple(s._.clinagent_offsets) + (s.label_,) for s in doc.spans[ENTITY_GROUP]] \
        == expected
    assert {e.text.lower() for e in doc.ents} >= {"metoprolol", "chest pain"}
    prov = doc._.clinagent_provenance
    assert prov["clinagent_entities"]["rules_sha256"]
    assert prov["clinagent_deid"]["rules_sha256"].startswith("recognizers.yaml=")


def test_when_deid_runs_then_phi_spans_and_redacted_text(nlp):
    doc = nlp(NOTE)
    phi = {s.label_: s.text for s in doc.spans[PHI_GROUP]}
    assert phi["MRN"] == "00482913" and "Marchetti-Voss" in phi["NAME"]
    assert phi["DATE"] == "03/14/2026"
    assert all(s._.clinagent_score >= 0.5 for s in doc.spans[PHI_GROUP])
    redacted = doc._.clinagent_redacted
    assert "00482913" not in redacted and "[MRN]" in redacted and "[NAME]" in redacted
    # PHI is not a clinical entity: doc.ents holds clinagent's entities only.
    assert not {e.label_ for e in doc.ents} & {"NAME", "MRN", "DATE"}


def test_when_added_to_a_medspacy_pipeline_then_context_reads_clinagent_ents():
    medspacy = pytest.importorskip("medspacy")
    pipeline = medspacy.load()
    # One line: clinagent's entities, placed before ConText so that medspaCy's own
    # negation attributes are set on them too.
    pipeline.add_pipe("clinagent_entities", before="medspacy_context")
    doc = pipeline(NOTE)
    ents = _by_text(doc.ents)
    assert ents["chest pain"]._.clinagent_assertion == "absent"
    assert ents["chest pain"]._.is_negated is True
    assert ents["metoprolol"]._.is_negated is False
    assert "medspacy_context" in pipeline.pipe_names


def test_when_config_round_trips_then_settings_survive(tmp_path):
    pipeline = spacy.blank("en")
    pipeline.add_pipe("clinagent_entities", config={"max_codes": 0, "set_ents": False})
    pipeline.to_disk(tmp_path / "pipe")
    again = spacy.load(tmp_path / "pipe")
    component = again.get_pipe("clinagent_entities")
    assert component.max_codes == 0 and component.set_ents is False
    doc = again("Denies chest pain.")
    assert not doc.ents and doc.spans[ENTITY_GROUP][0]._.clinagent_codes == []


def test_components_pickle_as_their_settings_only(nlp):
    import pickle

    # What spaCy sends to a spawned worker: the settings, never a loaded model.
    for name in ("clinagent_entities", "clinagent_deid"):
        blob = pickle.dumps(nlp.get_pipe(name))
        assert len(blob) < 2_000
        assert pickle.loads(blob).span_group == nlp.get_pipe(name).span_group


def test_when_piped_with_two_processes_then_same_spans_as_one(nlp):
    texts = [NOTE, "Started apixaban 5 mg BID for atrial fibrillation.",
             "No known drug allergies. Pt Wendell Pursglove, DOB 07/22/1951."]
    one = [[(s.start_char, s.end_char, s.label_, s._.clinagent_assertion)
            for s in d.spans[ENTITY_GROUP]] + [(s.start_char, s.end_char, s.label_)
                                               for s in d.spans[PHI_GROUP]]
           for d in nlp.pipe(texts)]
    two = [[(s.start_char, s.end_char, s.label_, s._.clinagent_assertion)
            for s in d.spans[ENTITY_GROUP]] + [(s.start_char, s.end_char, s.label_)
                                               for s in d.spans[PHI_GROUP]]
           for d in nlp.pipe(texts, n_process=2, batch_size=1)]
    assert two == one and all(one)


ENTRY_POINTS = {"clinagent_entities": "agent.adapters.spacy_components:make_entities_component",
                "clinagent_deid": "agent.adapters.spacy_components:make_deid_component"}


@pytest.mark.heavy
def test_installed_entry_points_let_spacy_find_the_factories_without_an_import():
    import subprocess
    import sys
    from importlib.metadata import entry_points

    ours = {ep.name: ep.value for ep in entry_points(group="spacy_factories")
            if ep.value.startswith("agent.")}
    if not ours:
        pytest.skip("clinagent is installed without its spacy_factories entry points yet "
                    "(pyproject lines requested; reinstall with pip install -e .)")
    assert ours == ENTRY_POINTS
    code = ("import spacy, sys\nnlp = spacy.blank('en')\n"
            "nlp.add_pipe('clinagent_entities')\nnlp.add_pipe('clinagent_deid')\n"
            "print(nlp.pipe_names)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "['clinagent_entities', 'clinagent_deid']" in out.stdout
