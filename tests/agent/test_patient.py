"""One patient preparation: one rule set, one note order, one statement check for every
feature (handoff, verify, /v1/verify, /v1/chat)."""

from __future__ import annotations

import importlib
import json
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from agent.config import Settings, get_settings
from agent.handoff.build import handoff_for_patient
from agent.patient import PatientRecord
from agent.rules import Rules
from agent.rules.files import rules_path
from agent.schemas.notes import Note
from agent.verify import parse_summary, verify_patient

# A made-up stop word only the test's rules folder knows: with it, aspirin is stopped in
# the second note; without it, aspirin is still taken.
_NOTES = [
    Note(patient_id="T1", note_id="T1-01", note_type="history_and_physical",
         date="2026-01-01", text="Medications:\n- Aspirin 81 mg PO daily\n"),
    Note(patient_id="T1", note_id="T1-02", note_type="progress_note", date="2026-01-03",
         text="Assessment and Plan:\n- Aspirin frobnicated today.\n"),
]
_CLAIM = "Continue aspirin 81 mg PO daily."


@pytest.fixture(scope="module")
def custom_rules(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("rules")
    for name in ("context.json", "sections.json", "targets.json",
                 "abbreviation_stoplist.json", "problem_modifiers.json",
                 "medication_attributes.json", "cues.json"):
        shutil.copy(rules_path(name), folder / name)
    cues = json.loads((folder / "cues.json").read_text(encoding="utf-8"))
    cues["cue_rules"] += [
        {"kind": "medication", "label": "stopped", "pattern": r"\bfrobnicated\b",
         "position": "after"},
        {"kind": "drug_status", "label": "stopped", "pattern": r"\bfrobnicated\b",
         "window": 45}]
    (folder / "cues.json").write_text(json.dumps(cues), encoding="utf-8")
    return folder


def _settings(rules_dir: Path | None, data_dir: Path) -> Settings:
    return Settings(extraction={"rules_dir": rules_dir} if rules_dir else {},
                    api={"data_dir": data_dir})


def _outcomes(settings: Settings, extractor, embedder, tmp_path: Path, monkeypatch) -> dict:
    """What each feature says of aspirin under ``settings``."""
    from agent.api.main import create_app
    from agent.api.services import Services
    from agent.cli import app

    out: dict[str, str] = {}
    tmp_path.mkdir(parents=True, exist_ok=True)
    handoff = handoff_for_patient(_NOTES, settings, extractor=extractor)
    out["handoff"] = next(s.text for s in handoff.statements
                          if s.section == "medications" and "aspirin" in s.text.lower())
    verified = verify_patient(parse_summary(_CLAIM, patient_id="T1"), _NOTES, extractor,
                              Rules.load(settings.extraction.rules_dir))
    out["verify"] = verified.statements[0].verification.verdict
    # The CLI reads the same setting from the environment.
    notes_file = tmp_path / "notes.jsonl"
    notes_file.write_text("".join(n.model_dump_json() + "\n" for n in _NOTES), encoding="utf-8")
    summary_file = tmp_path / "summary.md"
    summary_file.write_text(_CLAIM + "\n", encoding="utf-8")
    if settings.extraction.rules_dir:
        monkeypatch.setenv("CLINAGENT_EXTRACTION__RULES_DIR", str(settings.extraction.rules_dir))
    else:
        monkeypatch.delenv("CLINAGENT_EXTRACTION__RULES_DIR", raising=False)
    get_settings.cache_clear()  # the CLI's settings are read once per process
    monkeypatch.setattr(importlib.import_module("agent.cli.verify"), "make_extractor",
                        lambda s: extractor)
    result = CliRunner().invoke(app, ["verify", str(summary_file), str(notes_file),
                                      "--patient", "T1", "--format", "json",
                                      "-o", str(tmp_path / "v.json")])
    get_settings.cache_clear()
    assert result.exit_code in (0, 1), result.output
    cli = json.loads((tmp_path / "v.json").read_text(encoding="utf-8"))
    out["cli_verify"] = cli["statements"][0]["verification"]["verdict"]
    services = Services(settings, extractor=extractor, embedder=embedder)
    with TestClient(create_app(settings, services=services)) as client:
        from agent.store.keys import create_key

        with services.sessions() as session:
            key, _ = create_key(session, name="t", operations=["admin"], patients=["*"],
                                secret=None)
            session.commit()
        h = {"Authorization": f"Bearer {key}"}
        r = client.post("/v1/notes", json={"notes": [json.loads(n.model_dump_json())
                                                     for n in _NOTES]}, headers=h)
        assert r.status_code == 200, r.text
        r = client.post("/v1/verify", json={"patient_id": "T1", "summary": _CLAIM}, headers=h)
        assert r.status_code == 200, r.text
        out["api_verify"] = r.json()["summary"]["statements"][0]["verification"]["verdict"]
        r = client.post("/v1/chat", json={"patient_id": "T1", "question": "aspirin 81 mg daily"},
                        headers=h)
        assert r.status_code == 200, r.text
        sentence = next(s for s in r.json()["sentences"] if "81 mg" in s["text"])
        out["chat"] = sentence["verification"]["verdict"]
    return out


def test_when_rules_folder_changes_a_cue_then_every_feature_changes_alike(
        custom_rules, extractor, fake_embedder, tmp_path, monkeypatch):
    packaged = _outcomes(_settings(None, tmp_path / "a"), extractor, fake_embedder,
                         tmp_path / "a", monkeypatch)
    custom = _outcomes(_settings(custom_rules, tmp_path / "b"), extractor, fake_embedder,
                       tmp_path / "b", monkeypatch)
    assert "STOPPED" not in packaged["handoff"] and "STOPPED" in custom["handoff"]
    for feature in ("verify", "cli_verify", "api_verify", "chat"):
        assert packaged[feature] == "SUPPORTED", (feature, packaged)
        assert custom[feature] == "CONTRADICTED", (feature, custom)


def test_when_one_note_is_undated_then_timeline_verifier_and_store_agree_on_latest(
        extractor, tmp_path):
    from agent.store import repository as repo
    from agent.store.engine import make_engine, make_sessionmaker, upgrade

    notes = [
        Note(patient_id="T2", note_id="T2-b", date=None,
             text="Plan: aspirin stopped.\n"),
        Note(patient_id="T2", note_id="T2-a", date="2026-02-02",
             text="Medications:\n- Aspirin 81 mg PO daily\n"),
        Note(patient_id="T2", note_id="T2-c", date="2026-02-01",
             text="Plan: continue aspirin.\n"),
    ]
    record = PatientRecord.prepare(notes, extractor, Rules.load())
    timeline_latest = record.timeline.notes[-1].note_id
    verifier_latest = max(record.evidence.mentions, key=lambda m: m.order).note_id
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        repo.upsert_notes(session, list(reversed(notes)))
        session.commit()
        store_latest = repo.patient_notes(session, "T2")[-1].note_id
    assert timeline_latest == verifier_latest == store_latest == "T2-b"


def test_when_chat_and_handoff_check_the_same_sentence_then_same_verdict(
        demo_record, extractor):
    from agent.schemas.summary import Citation, HandoffSummary, Statement

    record = demo_record("P001")
    note = record.notes[-1]
    sentences = record.layouts[note.note_id].sentences
    for span in sentences[:40]:
        text = note.text[span.start:span.end]
        cite = [Citation(note_id=note.note_id, start=span.start, end=span.end)]
        chat = record.check(text, cite)
        summary = HandoffSummary(
            patient_id="P001", generated_at="2026-03-18T12:00:00+00:00", mode="external",
            note_ids=[n.note_id for n in record.notes], provenance=extractor.provenance,
            statements=[Statement(id="s1", section="patient_summary", text=text,
                                  citations=cite, origin="external")])
        handoff = record.verify(summary).statements[0].verification
        assert (chat.verdict, chat.reasons) == (handoff.verdict, handoff.reasons), text
