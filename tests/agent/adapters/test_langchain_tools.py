"""The LangChain tools: pydantic arguments, the CLI's evidence (note id + offsets) and
provenance in every answer, clinagent errors handed to the model as the tool's answer."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("langchain_core", reason="needs the langchain extra: "
                    'pip install -e ".[langchain]"')

from agent.adapters.langchain_tools import ClinagentToolkit  # noqa: E402

NOTE = ("HPI: 70 yo M with atrial fibrillation on metoprolol 25 mg PO BID. Denies chest pain.\n"
        "Seen by Dr. Ines Marchetti-Voss on 03/14/2026, MRN 00482913.")
NAMES = {"clinagent_extract_entities", "clinagent_deidentify_text",
         "clinagent_handoff_summary", "clinagent_verify_summary", "clinagent_search_notes"}


@pytest.fixture(scope="module")
def toolkit(demo_notes, extractor, adapter_settings):
    return ClinagentToolkit(demo_notes, settings=adapter_settings, extractor=extractor)


@pytest.fixture(scope="module")
def tools(toolkit):
    return {t.name: t for t in toolkit.get_tools()}


def test_the_five_tools_have_pydantic_argument_schemas(tools):
    assert set(tools) == NAMES
    for tool in tools.values():
        schema = tool.tool_call_schema.model_json_schema()
        assert schema["properties"] and tool.description


def test_when_entities_extracted_then_offsets_and_assertions_like_the_cli(tools):
    out = tools["clinagent_extract_entities"].invoke({"text": NOTE, "note_id": "n1"})
    assert out["note_id"] == "n1" and out["provenance"]["rules_sha256"]
    by_text = {e["text"].lower(): e for e in out["entities"]}
    for e in out["entities"]:
        assert NOTE[e["start"]:e["end"]] == e["text"]
    assert by_text["metoprolol"]["type"] == "MEDICATION"
    assert by_text["metoprolol"]["attributes"]["frequency"]["value"] == "BID"
    assert by_text["chest pain"]["assertion"] == "absent"


def test_when_text_deidentified_then_phi_replaced_with_offsets(tools):
    out = tools["clinagent_deidentify_text"].invoke({"text": NOTE})
    assert "Marchetti" not in out["text"] and "00482913" not in out["text"]
    types = {p["type"] for p in out["phi"]}
    assert {"NAME", "MRN", "DATE"} <= types
    for p in out["phi"]:
        assert out["text"][p["new_start"]:p["new_end"]] == p["replacement"]
    assert out["provenance"]["rules_sha256"].startswith("recognizers.yaml=")
    assert out["provenance"]["package_version"]


def test_when_statements_verified_then_verdicts_with_evidence(tools):
    out = tools["clinagent_verify_summary"].invoke({
        "patient_id": "P001",
        "summary": "Started apixaban for atrial fibrillation. Aspirin 81 mg daily continued."})
    verdicts = [s["verification"]["verdict"] for s in out["statements"]]
    assert verdicts[0] == "SUPPORTED"
    # Aspirin was stopped at discharge: the second statement must not pass.
    assert verdicts[1] != "SUPPORTED"
    evidence = out["statements"][0]["verification"]["evidence"]
    assert evidence and all({"note_id", "start", "end"} <= set(e) for e in evidence)
    assert out["provenance"]["rules_sha256"].startswith("cues.json=")


def test_when_cited_statements_verified_then_each_gets_a_verdict(tools, demo_notes):
    note = next(n for n in demo_notes if n.note_id == "P001-06")
    start = note.text.index("Apixaban 5 mg")
    out = tools["clinagent_verify_summary"].invoke({
        "patient_id": "P001",
        "statements": [{"text": "Apixaban 5 mg twice a day was started.",
                        "citations": [{"note_id": "P001-06", "start": start,
                                       "end": start + 60}]}]})
    (statement,) = out["statements"]
    assert statement["citations"][0]["note_id"] == "P001-06"
    assert statement["verification"]["verdict"] == "SUPPORTED"


def test_when_patient_searched_without_index_then_bm25_passages_with_offsets(tools,
                                                                             demo_notes):
    out = tools["clinagent_search_notes"].invoke({"patient_id": "P001", "query": "apixaban",
                                                  "k": 3})
    texts = {n.note_id: n.text for n in demo_notes}
    assert out["hits"] and out["provenance"]["package_version"]
    for hit in out["hits"]:
        assert texts[hit["note_id"]][hit["start"]:hit["end"]] == hit["text"]
        assert hit["note_id"].startswith("P001-")


def test_when_patient_searched_with_index_then_hybrid_hits(demo_notes, extractor,
                                                           adapter_settings, demo_index,
                                                           fake_embedder):
    kit = ClinagentToolkit(demo_notes, settings=adapter_settings, extractor=extractor,
                           index_dir=demo_index, embedder=fake_embedder)
    out = kit.search_notes("P002", "furosemide", k=2)
    assert out["hits"] and {h["patient_id"] for h in out["hits"]} == {"P002"}
    assert {"dense_score", "lexical_score", "start", "end"} <= set(out["hits"][0])


def test_when_handoff_asked_then_cited_verified_statements(tools):
    out = tools["clinagent_handoff_summary"].invoke({"patient_id": "P003"})
    assert out["statements"] and out["provenance"]["rules_sha256"]
    for st in out["statements"]:
        assert st["verification"]["verdict"]
    assert any(st["citations"] for st in out["statements"])
    json.dumps(out)  # the answer is plain JSON for the model


def test_when_patient_unknown_then_the_model_reads_the_fix(tools):
    out = tools["clinagent_handoff_summary"].invoke({"patient_id": "NOPE"})
    assert isinstance(out, str)
    assert "no notes of the requested patient" in out and "NOPE" not in out


def test_when_arguments_invalid_then_validation_error(tools):
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        tools["clinagent_deidentify_text"].invoke({"text": NOTE, "mode": "shred"})
