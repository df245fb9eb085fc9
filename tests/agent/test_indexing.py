"""Retrieval use cases and ``clinagent index`` / ``clinagent search`` on demo notes."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from agent.cli.retrieval import index, search
from agent.config import Settings
from agent.errors import RetrievalIndexError
from agent.indexing import build_index, index_notes, search_index
from evals.synthetic import load_gold_entities, load_notes

runner = CliRunner()
# The commands as agent/cli.py registers them (a local app keeps this test independent of
# the other subcommands).
app = typer.Typer()
app.command("index")(index)
app.command("search")(search)


@pytest.fixture(scope="module")
def demo_notes():
    """Two notes of each of the seven demo patients."""
    seen: dict[str, int] = {}
    out = []
    for note in load_notes():
        if seen.get(note.patient_id, 0) < 2:
            seen[note.patient_id] = seen.get(note.patient_id, 0) + 1
            out.append(note)
    return out


@pytest.fixture(scope="module")
def demo_index(tmp_path_factory, demo_notes, embedder, clinical_pipeline):
    path = tmp_path_factory.mktemp("demo") / "index"
    build_index(demo_notes, path, Settings().retrieval, embedder, pipeline=clinical_pipeline)
    return path


def test_when_any_patient_is_queried_with_others_facts_then_no_hit_leaks(
        demo_index, demo_notes, embedder):
    settings = Settings()
    gold = load_gold_entities()
    patients = sorted({n.patient_id for n in demo_notes})
    for patient in patients:
        other_terms = sorted({e.text for n in demo_notes if n.patient_id != patient
                              for e in gold[n.note_id] if e.type == "MEDICATION"})[:15]
        for term in other_terms:
            for mode in ("hybrid", "dense", "lexical"):
                hits = search_index(demo_index, f"{term} dose", patient_id=patient,
                                    settings=settings, k=20, mode=mode, embedder=embedder)
                # Dense always ranks the patient's chunks; lexical may find no term.
                assert hits or mode == "lexical", (patient, term, mode)
                assert all(h.patient_id == patient for h in hits)


def test_when_demo_notes_indexed_then_chunks_carry_sections_and_exact_offsets(
        demo_index, demo_notes, embedder):
    texts = {n.note_id: n.text for n in demo_notes}
    hits = search_index(demo_index, "home medications", patient_id="P001",
                        settings=Settings(), k=5, embedder=embedder)
    assert hits
    for h in hits:
        assert texts[h.note_id][h.start:h.end] == h.text
        assert h.chunk_id == f"{h.note_id}:{h.start}-{h.end}"
    assert any(h.section and "MEDICATION" in h.section for h in hits)


def test_when_same_input_indexed_again_then_nothing_is_re_embedded(tmp_path, embedder,
                                                                   clinical_pipeline):
    notes = tmp_path / "notes.jsonl"
    rows = [{"patient_id": "p1", "note_id": "a", "note_type": "progress_note",
             "date": "2026-03-01", "text": "Plan: continue metoprolol 25 mg BID."}]
    notes.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    kw = dict(embedder=embedder, pipeline=clinical_pipeline)
    first = index_notes(notes, tmp_path / "idx", Settings(), **kw)
    again = index_notes(notes, tmp_path / "idx", Settings(), **kw)
    assert (first.notes_added, again.notes_unchanged, again.chunks_embedded) == (1, 1, 0)
    rows[0]["text"] = "Plan: stop metoprolol."
    notes.write_text(json.dumps(rows[0]) + "\n")
    third = index_notes(notes, tmp_path / "idx", Settings(), **kw)
    assert third.notes_replaced == 1 and third.chunk_count == 1


def test_when_index_built_with_other_chunk_size_then_search_is_an_error(tmp_path, embedder,
                                                                         demo_notes):
    build_index(demo_notes[:1], tmp_path / "idx", Settings().retrieval, embedder)
    other = Settings(retrieval={"chunk_max_chars": 400})
    with pytest.raises(RetrievalIndexError, match="chunker_version"):
        search_index(tmp_path / "idx", "x", patient_id="P001", settings=other,
                     embedder=embedder)


@pytest.fixture()
def cli_embedder(monkeypatch, embedder):
    monkeypatch.setattr("agent.indexing.make_embedder", lambda settings: embedder)


def test_cli_index_then_search_prints_json_lines(tmp_path, cli_embedder):
    notes = tmp_path / "notes.jsonl"
    notes.write_text("\n".join(json.dumps(r) for r in [
        {"patient_id": "A", "note_id": "a1", "text": "Meds:\n- apixaban 5 mg PO BID\n"},
        {"patient_id": "B", "note_id": "b1", "text": "Meds:\n- apixaban 2.5 mg PO BID\n"},
    ]) + "\n")
    idx = tmp_path / "idx"
    result = runner.invoke(app, ["index", str(notes), "--index", str(idx)])
    assert result.exit_code == 0, result.output
    assert "2 new" in result.output
    result = runner.invoke(app, ["search", "--index", str(idx), "--patient", "A", "-k", "3",
                                 "--format", "json", "apixaban dose"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows and {r["note_id"] for r in rows} == {"a1"}
    assert {"note_id", "start", "end", "score", "text"} <= set(rows[0])
    result = runner.invoke(app, ["index", "--index", str(idx), "--delete", "a1"])
    assert result.exit_code == 0 and "1 deleted" in result.output
    result = runner.invoke(app, ["search", "--index", str(idx), "--patient", "A",
                                 "apixaban"])
    assert result.exit_code == 0 and "a1" not in result.stdout


def test_cli_search_on_missing_index_exits_2_with_a_fix(tmp_path, cli_embedder):
    result = runner.invoke(app, ["search", "--index", str(tmp_path / "none"), "--patient",
                                 "A", "x"])
    assert result.exit_code == 2
    assert "clinagent index" in result.output


def test_when_input_file_is_empty_then_error_and_index_untouched(tmp_path):
    import pytest

    from agent.config import Settings
    from agent.errors import InputError
    from agent.indexing import index_notes

    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(InputError, match="no notes"):
        index_notes(empty, tmp_path / "idx", Settings())
    assert not (tmp_path / "idx").exists()
