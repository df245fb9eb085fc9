"""``clinagent privacy report`` on a small released corpus (hand-written JSON Lines)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from agent.cli import app

runner = CliRunner()


def _note(i: int, ref: str, age: int, sex: str, zip3: str) -> dict:
    text = f"HPI: {age} yo {sex} seen on 2026-03. ZIP {zip3}. Dx: hypertension (I10)."
    return {"note_id": f"n{i}", "text": text, "mode": "surrogate",
            "phi": [{"start": 0, "end": 5, "type": "ZIP", "replacement": zip3,
                     "new_start": text.index(zip3), "new_end": text.index(zip3) + 3},
                    {"start": 0, "end": 5, "type": "DATE", "replacement": "2026-03",
                     "new_start": text.index("2026"), "new_end": text.index("2026") + 7}],
            "release": {"policy": "safe_harbor@v1", "policy_sha256": "0" * 64,
                        "package_version": "0", "patient_ref": ref}}


def _release(tmp_path):
    # Ten women aged 70-79 in one ZIP area, two notes each: unique by exact age, one
    # class in 10-year bands.
    rows = []
    for p in range(10):
        for n in range(2):
            rows.append(_note(2 * p + n, f"ref{p}", 70 + p, "F", "021"))
    path = tmp_path / "deid.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_report_prints_risk_and_writes_html_and_json(tmp_path):
    out = tmp_path / "risk.html"
    r = runner.invoke(app, ["privacy", "report", str(_release(tmp_path)), "--policy", "strict",
                            "-o", str(out), "--population-size", "240"])
    assert r.exit_code == 0, r.output
    assert "10 patient(s), 20 note(s)" in r.output
    assert "as released" in r.output and "k=1" in r.output
    assert "policy strict@v1" in r.output
    report = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert report["as_released"]["risk"]["sample_uniques"] == 1.0
    after = report["after_policy"]["risk"]
    assert after["k_min"] == 10 and after["share_below_k"] == 0.0
    # pi = 10 / 240: the class of 10 patients stands for 240 people.
    assert after["journalist_highest"] == round(1 / 240, 4)
    assert report["provenance"]["release_policies_found"] == ["safe_harbor@v1"]
    page = out.read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 3 and "hypertension" not in page


def test_unknown_policy_or_bad_input_is_a_clear_error(tmp_path):
    r = runner.invoke(app, ["privacy", "report", str(_release(tmp_path)), "--policy", "open"])
    assert r.exit_code != 0
    assert "unknown release policy 'open'" in r.output and "safe_harbor" in r.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"hello": 1}\n', encoding="utf-8")
    r = runner.invoke(app, ["privacy", "report", str(bad)])
    assert r.exit_code != 0 and "not a de-identified note" in r.output
