"""The labs table: values grouped by canonical test, in date order, with trends."""

from __future__ import annotations

from agent.workspace.labs import labs_table, trend


def test_trend_first_to_last_with_steady_band():
    assert [trend(v) for v in ([1.3, 1.9], [4.1, 3.4], [100, 103], [7.0])] == \
        ["up", "down", "steady", None]


def test_demo_p001_creatinine_trend_and_citations(demo_record):
    record = demo_record("P001")
    table = labs_table("P001", record.notes, record.extractions)
    tests = {t.name: t for t in table.tests}
    cr = tests["creatinine"]
    # "Cr 1.3" in the ED and again in the H&P on one morning is one result; the baseline
    # (historical) and "if Cr > 2.2" (conditional) are no results.
    assert [(v.text, v.date) for v in cr.values] == [
        ("1.3", "2026-03-14"), ("1.6", "2026-03-15"), ("1.9", "2026-03-16")]
    assert cr.trend == "up"
    texts = {n.note_id: n.text for n in record.notes}
    for v in cr.values:
        cited = texts[v.note_id][v.citation.start:v.citation.end]
        assert cited.startswith("Cr") and cited.endswith(v.text)
    assert tests["BNP"].unit == "pg/mL" and tests["BNP"].values[0].value == 1840.0
    assert tests["potassium"].trend == "down"  # written "K 4.1", "K 3.4"
    # A date is not a result ("TTE 08/2025") and a range is not one value ("LVEF 25-30%").
    assert "TTE" not in tests and "LVEF" not in tests


def test_demo_p004_restated_values_in_discharge_course_left_out(demo_record):
    record = demo_record("P004")
    tests = {t.name: t for t in labs_table("P004", record.notes, record.extractions).tests}
    hgb = tests["hemoglobin"]
    assert [v.text for v in hgb.values] == ["6.8", "8.9", "8.7"]  # "Hgb < 8" is a threshold
    assert hgb.trend == "up"
