"""Criteria compile to one SQL statement over the fact table, answered from its indexes."""

from __future__ import annotations

from sqlalchemy import text

from agent.cohorts.compile import cohort_select, resolve
from agent.cohorts.parse import query_from_text


def _sql(vocab, query: str) -> str:
    compiled = resolve(query_from_text(query), vocab)
    return str(cohort_select(compiled, ["P001"]).compile(
        compile_kwargs={"literal_binds": True}))


def test_trial_query_is_one_statement_with_in_subqueries(vocab):
    sql = _sql(vocab, 'include: concept:"type 2 diabetes"\n'
                      "include: drug:metformin [status=current]\n"
                      "include: lab:hba1c > 64 mmol/mol\n"
                      "exclude: class:insulins [status=current]")
    assert sql.count("SELECT") >= 5
    assert "NOT IN" in sql or "NOT (" in sql
    assert "cohort_fact_codes" in sql and "'E11'" in sql
    # 64 mmol/mol is compared as % (the stored unit).
    assert "8.0067" in sql
    assert "'active'" in sql and "'insulin glargine'" in sql


def test_relative_window_compiles_to_exists_on_day_numbers(vocab):
    sql = _sql(vocab, "include: code:E11 [id=dm]\n"
                      "include: lab:hba1c > 8 [days=90, after=@dm]")
    assert "EXISTS" in sql and "note_day" in sql


def test_query_plan_uses_the_fact_indexes(demo_db, vocab):
    engine, _, _ = demo_db
    compiled = resolve(query_from_text('include: concept:"type 2 diabetes"\n'
                                       "include: drug:metformin"), vocab)
    stmt = cohort_select(compiled, None)
    sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        plan = " ".join(str(r[-1]) for r in conn.execute(text("EXPLAIN QUERY PLAN " + sql)))
    assert "ix_cohort_facts_type_concept" in plan
    assert "ix_cohort_fact_codes_code" in plan
