"""Frozen unseen test corpora: the verifier and the extractive handoff on patients written
blind, in other specialties and styles than the demo corpus (``evals/data/frozen/``).

These sets were written by separate sessions before any rule was tuned against them, and
they are never read while tuning: this runner prints aggregate numbers only (per corpus,
per error kind), never a statement or a note. Report them apart from the demo corpus.

Verifier (each gold statement checked as an external summary sentence, no citations):
- **flagged on false**: share of false statements marked CONTRADICTED or UNSUPPORTED;
- **SUPPORTED on false**: share of false statements given the green SUPPORTED badge;
- **CONTRADICTED on true**: share of true statements flagged as contradicted.

Handoff: gold fact recall and traps stated as true (scored as :mod:`evals.handoff`), and
the share of gold facts whose statement cites the note the gold names.

``clinagent eval frozen`` (or ``python -m evals.frozen``) writes
``evals/reports/frozen.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from importlib.resources import files
from pathlib import Path

from agent.config import Settings
from agent.extract.batch import make_extractor
from agent.handoff.build import handoff_for_patient
from agent.patient import PatientRecord
from agent.rules import rules_for
from agent.schemas.extraction import Provenance
from agent.schemas.handoff_gold import GoldHandoff
from agent.schemas.summary import HandoffSummary, Statement
from evals.handoff import fact_found, score_summary
from evals.run import git_sha
from evals.synthetic import load_notes

CORPORA = ("multinote_a", "multinote_b")
FLAGGED = ("CONTRADICTED", "UNSUPPORTED")


DEV_CORPORA = ("dev/multinote_dev", "dev/multinote_dev2", "dev/multinote_dev3",
               "dev/multinote_dev4", "dev/multinote_dev5", "dev/multinote_dev6",
               "dev/multinote_dev7", "dev/multinote_dev8", "dev/multinote_dev9",
               "dev/multinote_dev10", "dev/multinote_dev11", "dev/multinote_dev13",
               "dev/multinote_dev14", "dev/multinote_dev16", "dev/multinote_dev18",
               "dev/multinote_dev19", "dev/multinote_dev21", "dev/multinote_dev25",
               "dev/multinote_dev26", "dev/multinote_dev31")


def corpus_dir(name: str) -> Path:
    """The packaged folder of a corpus: ``multinote_a`` (frozen) or ``dev/multinote_dev``
    (development: tuned on, reported as such)."""
    root = files("evals").joinpath("data")
    parts = name.split("/") if "/" in name else ["frozen", name]
    for part in parts:
        root = root.joinpath(part)
    return Path(str(root))


def load_gold(name: str) -> list[dict]:
    """The gold files (facts, traps, statements) of one frozen corpus, by patient."""
    folder = corpus_dir(name) / "gold"
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]


def verifier_scores(rows: list[dict]) -> dict:
    """The three verifier rates (and counts) over ``{is_error, error_kind, verdict}`` rows."""
    false = [r for r in rows if r["is_error"]]
    true = [r for r in rows if not r["is_error"]]

    def share(items: list[dict], verdicts: tuple[str, ...]) -> float | None:
        return round(sum(r["verdict"] in verdicts for r in items) / len(items), 4) \
            if items else None

    per_kind = {}
    for kind in sorted({r["error_kind"] for r in false}):
        mine = [r for r in false if r["error_kind"] == kind]
        per_kind[kind] = {"n": len(mine), "flagged": share(mine, FLAGGED),
                          "supported": share(mine, ("SUPPORTED",))}
    return {
        "false_statements": len(false), "true_statements": len(true),
        "flagged_on_false": share(false, FLAGGED),
        "supported_on_false": share(false, ("SUPPORTED",)),
        "contradicted_on_true": share(true, ("CONTRADICTED",)),
        # Usefulness: a verifier that marks everything UNSUPPORTED never lies, and helps
        # nobody.
        "supported_on_true": share(true, ("SUPPORTED",)),
        "not_checkable_on_false": share(false, ("NOT_CHECKABLE",)),
        "verdicts_false": dict(Counter(r["verdict"] for r in false)),
        "verdicts_true": dict(Counter(r["verdict"] for r in true)),
        "per_error_kind": per_kind,
    }


def run_corpus(name: str, settings: Settings, extractor, *, show: bool = False) -> dict:
    """Verifier and extractive handoff scores of one frozen corpus."""
    notes = load_notes(str(corpus_dir(name)))
    rules = rules_for(settings)
    rows: list[dict] = []
    handoff_rows: list[dict] = []
    cited = facts = 0
    for gold in load_gold(name):
        mine = [n for n in notes if n.patient_id == gold["patient_id"]]
        record = PatientRecord.prepare(mine, extractor, rules)
        summary = HandoffSummary(
            patient_id=gold["patient_id"], generated_at="2026-01-01T00:00:00+00:00",
            mode="external", note_ids=[n.note_id for n in record.notes],
            provenance=Provenance(producer="evals.frozen", package_version="-",
                                  backend="external"),
            statements=[Statement(id=s["id"], section=s["section"], text=s["statement"],
                                  origin="external") for s in gold["statements"]])
        verified = record.verify(summary)
        for s, st in zip(gold["statements"], verified.statements, strict=True):
            rows.append({"is_error": s["is_error"], "error_kind": s.get("error_kind"),
                         "verdict": st.verification.verdict})
            wrong = (st.verification.verdict == "CONTRADICTED") if not s["is_error"] else (
                st.verification.verdict not in FLAGGED)
            if show and wrong:
                # Development corpora only: the misses, to read while tuning.
                sys.stdout.write(f"MISS {s['id']} error={s['is_error']} "
                                 f"{st.verification.verdict} {st.verification.reasons} | "
                                 f"{s['statement']} | {st.verification.detail[:160]}\n")
        handoff = handoff_for_patient(mine, settings, extractor=extractor)
        parsed = GoldHandoff.model_validate({k: gold[k] for k in
                                             ("patient_id", "facts", "traps")})
        scored = score_summary(handoff, parsed)
        handoff_rows.append(scored)
        if show:
            by_id = {st.id: st for st in handoff.statements}
            trap_of = {t.id: t for t in parsed.traps}
            for trap_id, st_id in scored["traps_stated"].items():
                trap = trap_of[trap_id]
                sys.stdout.write(f"TRAP {trap_id} {trap.kind} {trap.name!r} ({trap.why}) | "
                                 f"{by_id[st_id].section}: {by_id[st_id].text[:200]}\n")
        for fact in parsed.facts:
            facts += 1
            st = fact_found(fact, handoff.statements)
            if st is not None and any(c.note_id == fact.note_id for c in st.citations):
                cited += 1
    n_facts = sum(r["facts"] for r in handoff_rows)
    return {
        "verifier": verifier_scores(rows),
        "handoff": {
            "fact_recall": round(sum(r["found"] for r in handoff_rows) / n_facts, 4)
            if n_facts else None,
            "facts_cited_from_gold_note": round(cited / facts, 4) if facts else None,
            "traps_stated": sum(len(r["traps_stated"]) for r in handoff_rows),
            "traps": sum(r["traps"] for r in handoff_rows),
            "statements": sum(r["statements"] for r in handoff_rows),
            "uncited": sum(r["uncited"] for r in handoff_rows),
        },
    }


def format_report(report: dict) -> str:
    """The printed table: one block per corpus, aggregate numbers only."""
    lines = []
    for name, res in report["corpora"].items():
        v, h = res["verifier"], res["handoff"]
        lines.append(f"{name}: {v['false_statements']} false / {v['true_statements']} true "
                     "statements")
        lines.append(f"  verifier  flagged on false {v['flagged_on_false']}  SUPPORTED on "
                     f"false {v['supported_on_false']}  CONTRADICTED on true "
                     f"{v['contradicted_on_true']}  (SUPPORTED on true "
                     f"{v['supported_on_true']})")
        for kind, k in v["per_error_kind"].items():
            lines.append(f"    {kind:24} n={k['n']:>3}  flagged {k['flagged']}  "
                         f"supported {k['supported']}")
        lines.append(f"  handoff   fact recall {h['fact_recall']}  cited from the gold note "
                     f"{h['facts_cited_from_gold_note']}  traps stated {h['traps_stated']}/"
                     f"{h['traps']}  statements {h['statements']} (uncited {h['uncited']})")
    return "\n".join(lines)


def run(out: Path | None, *, corpora: tuple[str, ...] = CORPORA,
        settings: Settings | None = None, dev: bool = False) -> dict:
    """Score the frozen corpora (or, with ``dev``, the development corpus, whose misses
    are printed), print the table and write the JSON report."""
    settings = settings if settings is not None else Settings()
    extractor = make_extractor(settings)
    corpora = tuple(c for c in DEV_CORPORA if corpus_dir(c).is_dir()) if dev else corpora
    report = {"git_sha": git_sha(), "frozen": not dev,
              "corpora": {name: run_corpus(name, settings, extractor, show=dev)
                          for name in corpora}}
    sys.stdout.write(format_report(report) + "\n")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return report


def main(argv: list[str] | None = None) -> int:
    """``python -m evals.frozen [--out PATH]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("evals/reports/frozen.json"))
    parser.add_argument("--dev", action="store_true",
                        help="the development corpus instead (tuned on; misses printed)")
    args = parser.parse_args(argv)
    run(args.out, dev=args.dev)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
