"""The fact table: rebuilt per note version without duplicates or stale rows, found stale
by the text hash, erased with the note."""

from __future__ import annotations

from sqlalchemy import delete, func, select


def _counts(sessions):
    from agent.store.models import CohortFactCodeRow, CohortFactNoteRow, CohortFactRow

    with sessions() as s:
        return tuple(s.scalar(select(func.count()).select_from(t))
                     for t in (CohortFactRow, CohortFactCodeRow, CohortFactNoteRow))


def _one_patient_db(tmp_path, demo_extractions, pid="P004"):
    from agent.cohorts.notes_db import load_notes
    from agent.rules import Rules
    from agent.store.engine import make_engine, make_sessionmaker

    notes, extractions = demo_extractions
    mine = [n for n in notes if n.patient_id == pid]
    engine = make_engine(f"sqlite:///{tmp_path / 'f.db'}")
    load_notes(engine, mine, Rules.load(), extractions=extractions)
    return engine, make_sessionmaker(engine), mine, extractions


def test_when_loaded_twice_then_no_duplicate_rows(tmp_path, demo_extractions):
    from agent.cohorts.notes_db import load_notes
    from agent.rules import Rules

    engine, sessions, mine, extractions = _one_patient_db(tmp_path, demo_extractions)
    first = _counts(sessions)
    assert first[0] > 0 and first[2] == len(mine)
    load_notes(engine, mine, Rules.load(), extractions=extractions)
    assert _counts(sessions) == first
    engine.dispose()


def test_when_note_edited_then_it_is_stale_and_rebuilt_from_the_new_text(
        tmp_path, demo_extractions, extractor):
    from agent.cohorts.fact_store import refresh_facts, stale_patients
    from agent.rules import Rules
    from agent.store import repository as repo
    from agent.store.models import CohortFactRow

    engine, sessions, mine, _ = _one_patient_db(tmp_path, demo_extractions)
    with sessions() as s:
        assert stale_patients(s) == []
    edited = mine[-1].model_copy(update={"text": "Discharge: patient has gout. Start "
                                                 "allopurinol 100 mg daily."})
    with sessions() as s:
        repo.upsert_notes(s, [edited])
        s.commit()
        assert stale_patients(s) == ["P004"]
    cache = {n.note_id: e for n, e in ((n, demo_extractions[1][n.note_id]) for n in mine)}

    def extract(note):
        return cache[note.note_id] if note.text != edited.text else extractor.extract_note(
            note)

    assert refresh_facts(sessions, extract, Rules.load()) == 1
    with sessions() as s:
        assert stale_patients(s) == []
        rows = s.scalars(select(CohortFactRow).where(
            CohortFactRow.note_id == edited.note_id)).all()
        assert {r.concept for r in rows} >= {"gout", "allopurinol"}
        assert all(edited.text[r.span_start:r.span_end] == r.span_text for r in rows)
        assert {r.text_sha256 for r in rows} == {repo.text_sha256(edited.text)}
    engine.dispose()


def test_when_note_deleted_then_its_facts_go_with_it(tmp_path, demo_extractions):
    from agent.store.models import CohortFactNoteRow, CohortFactRow, NoteRow

    engine, sessions, mine, _ = _one_patient_db(tmp_path, demo_extractions)
    with sessions() as s:
        s.execute(delete(NoteRow).where(NoteRow.note_id == mine[0].note_id))
        s.commit()
        assert s.scalar(select(func.count()).select_from(CohortFactRow).where(
            CohortFactRow.note_id == mine[0].note_id)) == 0
        assert s.get(CohortFactNoteRow, mine[0].note_id) is None
    engine.dispose()


def test_when_patient_erased_then_no_fact_row_is_left(tmp_path, demo_extractions):
    from agent.store.retention import delete_patient

    engine, sessions, _, _ = _one_patient_db(tmp_path, demo_extractions)
    with sessions() as s:
        deleted = delete_patient(s, "P004")
        s.commit()
    assert _counts(sessions) == (0, 0, 0)
    assert deleted.other_rows.get("cohort_facts", 0) > 0
    engine.dispose()


def test_when_batch_run_deidentified_then_facts_cite_the_deidentified_text(
        tmp_path, demo_extractions):
    import json

    from agent.cohorts.notes_db import load_batch_facts
    from agent.rules import Rules
    from agent.store.engine import make_engine, make_sessionmaker
    from agent.store.models import CohortFactRow, NoteRow

    notes, extractions = demo_extractions
    mine = [n for n in notes if n.patient_id == "P002"]
    # The run's output: the text the extraction was made from (here the same text stands
    # in for a de-identified one) and the extraction record, as the batch sink writes them.
    results = tmp_path / "run" / "results"
    results.mkdir(parents=True)
    rows = [{"note_id": n.note_id, "patient_id": n.patient_id, "note_type": n.note_type,
             "date": n.date, "deid_text": n.text,
             "extraction": extractions[n.note_id].model_dump(mode="json")} for n in mine]
    (results / "part-00000.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    engine = make_engine(f"sqlite:///{tmp_path / 'b.db'}")
    patients, facts = load_batch_facts(engine, [], tmp_path / "run", Rules.load())
    assert (patients, facts > 0) == (1, True)
    with make_sessionmaker(engine)() as s:
        texts = {r.note_id: r.text for r in s.scalars(select(NoteRow))}
        for f in s.scalars(select(CohortFactRow)):
            assert texts[f.note_id][f.span_start:f.span_end] == f.span_text
    engine.dispose()


def test_relations_are_stored_with_their_facts_replaced_and_erased_with_the_note(
        tmp_path, demo_extractions):
    """Issue 22's relations in the fact table: one row per relation of the extraction, its
    ends tied to their facts (same span) with the facts' concepts; a reload leaves no
    duplicate; deleting the note takes them with it."""
    from agent.cohorts.notes_db import load_notes
    from agent.rules import Rules
    from agent.schemas.extraction import entity_id
    from agent.store.models import CohortFactRow, CohortRelationRow, NoteRow

    _, extractions = demo_extractions
    pid = next(e.patient_id for e in extractions.values()
               if any(r.type == "CAUSES" for r in e.relations))
    engine, sessions, mine, extractions = _one_patient_db(tmp_path, demo_extractions, pid)
    expected = sum(len(extractions[n.note_id].relations) for n in mine)
    with sessions() as s:
        rows = list(s.scalars(select(CohortRelationRow)))
        assert len(rows) == expected > 0
        causes = next(r for r in rows if r.type == "CAUSES")
        ext = extractions[causes.note_id]
        rel = next(r for r in ext.relations if r.id == causes.relation_id)
        head = next(e for e in ext.entities if entity_id(e) == rel.head)
        fact = s.get(CohortFactRow, causes.head_fact_id)
        assert (fact.span_start, fact.span_end) == (head.start, head.end)
        assert causes.head_concept == fact.concept
        assert (causes.evidence_start, causes.evidence_end) == (rel.evidence.start,
                                                                 rel.evidence.end)
    load_notes(engine, mine, Rules.load(), extractions=extractions)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(CohortRelationRow)) == expected
        s.execute(delete(NoteRow).where(NoteRow.note_id == causes.note_id))
        s.commit()
        left = s.scalar(select(func.count()).select_from(CohortRelationRow).where(
            CohortRelationRow.note_id == causes.note_id))
        assert left == 0
    engine.dispose()
