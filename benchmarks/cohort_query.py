"""Cohort query latency on a large fact table: generated fact rows of N synthetic patients
(default 100,000; no extraction, the rows are drawn from realistic frequencies), five
typical queries, median latency of the cohort statement alone and of the full result
(attrition table + evidence of every matched patient), and the query plan of each cohort
statement (SQLite ``EXPLAIN QUERY PLAN``; PostgreSQL ``EXPLAIN`` with ``--postgres URL``).

    python benchmarks/cohort_query.py [--patients 100000] [--repeat 5] [--postgres URL]

The PostgreSQL database is emptied first (its public schema is dropped): give it one of
its own.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, insert, select, text

from agent.cohorts.compile import cohort_select, resolve
from agent.cohorts.facts import ICD10CM, TERM, day_number, icd_ancestors, name_terms
from agent.cohorts.parse import query_from_text
from agent.cohorts.results import run_query
from agent.cohorts.vocabulary import CohortVocabulary
from agent.store.engine import make_engine, make_sessionmaker, upgrade
from agent.store.models import CohortFactCodeRow, CohortFactNoteRow, CohortFactRow, NoteRow

QUERIES = {
    "t2dm": 'include: concept:"type 2 diabetes"',
    "microvascular": "include: code:E11.3 OR code:E11.4 OR concept:retinopathy",
    "metformin now": "include: drug:metformin [status=current]",
    "hba1c>8 in 2026": "include: lab:hba1c > 64 mmol/mol [from=2026-01-01, to=2026-12-31]",
    "trial": ('include: concept:"type 2 diabetes"\n'
              "include: (code:E11.3 OR code:E11.4 OR concept:retinopathy) [id=micro]\n"
              "include: drug:metformin [status=current]\n"
              "include: lab:hba1c > 8 %\n"
              "exclude: class:insulins [status=current]"),
}
# (code, concept, share of patients): problems drawn per patient.
PROBLEMS = [("E11.9", "type 2 diabetes mellitus", 0.30), ("I10", "hypertension", 0.40),
            ("E11.40", "diabetic neuropathy", 0.05),
            ("E11.319", "diabetic retinopathy", 0.04), ("I48.91", "atrial fibrillation", 0.08),
            ("I50.9", "heart failure", 0.06), ("N18.30", "chronic kidney disease", 0.08),
            ("J44.9", "chronic obstructive pulmonary disease", 0.07),
            ("E78.5", "hyperlipidemia", 0.30), ("M10.9", "gout", 0.03),
            ("E10.9", "type 1 diabetes mellitus", 0.02), ("K21.9", "gerd", 0.15)]
DRUGS = [("metformin", 0.25), ("insulin glargine", 0.10), ("lisinopril", 0.30),
         ("atorvastatin", 0.35), ("amlodipine", 0.20), ("apixaban", 0.06)]
_BATCH = 20_000


def _flush(conn, table, rows: list[dict]) -> None:
    if rows:
        conn.execute(insert(table), rows)
        rows.clear()


def generate(engine, patients: int, seed: int = 7) -> int:
    """Insert the notes, facts, codes and build state of ``patients`` patients; returns
    the number of fact rows."""
    rng = random.Random(seed)
    ancestors = {code: icd_ancestors(code) for code, _, _ in PROBLEMS}
    notes, facts, codes, states = [], [], [], []
    fact_id = 0
    with engine.begin() as conn:
        for i in range(patients):
            pid = f"B{i:06d}"
            dates = sorted(f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                           for _ in range(2))
            for j, day in enumerate(dates):
                nid = f"{pid}-{j}"
                notes.append({"note_id": nid, "patient_id": pid, "note_type": "progress_note",
                              "date": day, "text": "synthetic benchmark note " * 8,
                              "extra": {}, "text_sha256": "0" * 64, "received_at": day,
                              "updated_at": day})
                states.append({"note_id": nid, "patient_id": pid, "text_sha256": "0" * 64,
                               "facts": 0, "built_at": day})

            def fact(kind, concept, code=None, value=None, unit=None, status_now=None,
                     pid=pid, dates=dates):
                nonlocal fact_id
                fact_id += 1
                j = rng.randrange(2)
                r = rng.random()
                assertion, experiencer = (("absent", "patient") if r < 0.08 else
                                          ("present", "family") if r < 0.12 else
                                          ("present", "patient"))
                facts.append({
                    "id": fact_id, "patient_id": pid, "note_id": f"{pid}-{j}",
                    "text_sha256": "0" * 64, "note_date": dates[j],
                    "note_day": day_number(dates[j]), "entity_type": kind, "concept": concept,
                    "code": code, "assertion": assertion, "experiencer": experiencer,
                    "temporality": "historical" if rng.random() < 0.1 else "current",
                    "section": "ASSESSMENT_PLAN", "value_num": value, "unit": unit,
                    "status": status_now, "status_now": status_now, "span_start": 10,
                    "span_end": 10 + len(concept), "span_text": concept})
                return fact_id

            for code, concept, share in PROBLEMS:
                if rng.random() < share:
                    for _ in range(rng.choice((1, 1, 2))):
                        fid = fact("PROBLEM", concept, code)
                        codes += [{"fact_id": fid, "patient_id": pid, "system": ICD10CM,
                                   "code": c} for c in ancestors[code]]
                        codes += [{"fact_id": fid, "patient_id": pid, "system": TERM,
                                   "code": t} for t in name_terms(concept)]
            for drug, share in DRUGS:
                if rng.random() < share:
                    now = rng.choice(("active", "active", "active", "stopped", "held"))
                    for _ in range(rng.choice((1, 2))):
                        fact("MEDICATION", drug, status_now=now)
            for _ in range(rng.choice((0, 1, 2))):
                fact("TEST", "hba1c", value=round(rng.uniform(5.0, 11.0), 1), unit="%")
            fact("TEST", "creatinine", value=round(rng.uniform(0.5, 3.0), 2), unit="mg/dL")
            if len(facts) >= _BATCH:
                _flush(conn, NoteRow, notes)
                _flush(conn, CohortFactNoteRow, states)
                _flush(conn, CohortFactRow, facts)
                _flush(conn, CohortFactCodeRow, codes)
        _flush(conn, NoteRow, notes)
        _flush(conn, CohortFactNoteRow, states)
        _flush(conn, CohortFactRow, facts)
        _flush(conn, CohortFactCodeRow, codes)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    return fact_id


def _median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - t0))
    return statistics.median(times)


def _plan(engine, stmt) -> str:
    sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            rows = conn.execute(text("EXPLAIN " + sql)).scalars().all()
            return "\n".join(rows)
        rows = conn.execute(text("EXPLAIN QUERY PLAN " + sql)).all()
        return "\n".join(str(r[-1]) for r in rows)


def bench(engine, name: str, patients: int, repeat: int, vocab: CohortVocabulary) -> list:
    """Generate, then time the queries; returns table rows."""
    upgrade(engine)
    t0 = time.perf_counter()
    facts = generate(engine, patients)
    with engine.connect() as conn:
        codes = conn.scalar(select(func.count()).select_from(CohortFactCodeRow))
    sys.stdout.write(f"{name}: {patients:,} patients, {facts:,} facts, {codes:,} code rows "
                     f"generated in {time.perf_counter() - t0:.0f} s\n")
    sessions = make_sessionmaker(engine)
    rows = []
    for label, q in QUERIES.items():
        query = query_from_text(q)
        compiled = resolve(query, vocab)
        stmt = cohort_select(compiled, None)
        with sessions() as session:
            matched = len(session.scalars(stmt).all())
            cohort_ms = _median_ms(lambda s=session, st=stmt: s.scalars(st).all(), repeat)
            full_ms = _median_ms(lambda s=session, qq=query: run_query(
                s, qq, vocab=vocab, evidence_per_criterion=1), max(1, repeat // 2))
        plan = _plan(engine, stmt)
        uses = sorted({w for w in plan.replace("(", " ").replace(")", " ").split()
                       if w.startswith("ix_cohort")})
        rows.append((name, label, matched, cohort_ms, full_ms, ", ".join(uses)))
        sys.stdout.write(f"\n-- plan of '{label}' ({name}):\n{plan}\n")
    return rows


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the table."""
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--patients", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--postgres", default=None, help="SQLAlchemy URL of an empty database")
    args = ap.parse_args(argv)
    vocab = CohortVocabulary()
    for q in QUERIES.values():  # load the vocabularies before timing
        resolve(query_from_text(q), vocab)
    rows = []
    with tempfile.TemporaryDirectory(prefix="clinagent-cohort-bench-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        rows += bench(engine, "sqlite", args.patients, args.repeat, vocab)
        engine.dispose()
    if args.postgres:
        engine = make_engine(args.postgres)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        rows += bench(engine, "postgresql", args.patients, args.repeat, vocab)
        engine.dispose()
    sys.stdout.write(f"\n| db | query | patients matched | cohort SQL ms (median of "
                     f"{args.repeat}) | full result ms | indexes in the plan |\n"
                     "|---|---|---:|---:|---:|---|\n")
    for db, label, matched, cohort_ms, full_ms, uses in rows:
        sys.stdout.write(f"| {db} | {label} | {matched:,} | {cohort_ms:.0f} | {full_ms:.0f} "
                         f"| {uses} |\n")


if __name__ == "__main__":
    main()
