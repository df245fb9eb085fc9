"""Score handoff summaries against the gold handoff facts and traps of the demo corpus.

- **fact recall**: a gold fact is found when one statement of the expected section names
  it (name or alias, whole words) and states its status, dose and change when the gold
  gives them (word lists below).
- **traps stated as true**: a trap is stated when a statement of the section where it
  would be a claim names it without any word that negates or qualifies it.

``clinagent eval handoff [--llm]`` (or ``python -m evals.handoff``) runs the handoff of
the 7 demo patients, prints a table and writes ``evals/reports/handoff.json``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

from agent.config import Settings
from agent.extract.batch import make_extractor
from agent.handoff.build import handoff_for_patient
from agent.schemas.handoff_gold import GoldFact, GoldHandoff, GoldTrap
from agent.schemas.summary import HandoffSummary, Statement
from evals.run import git_sha
from evals.synthetic import data_dir, load_notes

SECTIONS_OF = {
    "problem": ("active_problems", "patient_summary"),
    "medication": ("medications",),
    "allergy": ("allergies",),
    "pending": ("pending", "action_list"),
    "code_status": ("situation_awareness",),
}
STATUS_WORDS = {
    "active": ("current", "active", "continue", "new"),
    "held": ("held", "hold", "on hold"),
    "stopped": ("stopped", "stop", "discontinued"),
    "resolved": ("resolved",),
    "ruled_out": ("ruled out", "negative", "excluded"),
    "historical": ("history", "h/o", "prior", "past"),
}
CHANGE_WORDS = {
    "started": ("started", "new", "start"),
    "dose_changed": ("dose changed", "increased", "decreased", "changed", "->"),
    "held": ("held", "hold"),
    "resumed": ("resumed", "restart"),
    "stopped": ("stopped", "discontinued"),
}
TRAP_SECTIONS = {
    "medication_current": ("medications",),
    "problem_active": ("active_problems",),
    "family_as_patient": ("active_problems",),
    "negated_as_present": ("active_problems",),
    "resolved_as_active": ("active_problems",),
    "planned_as_done": ("patient_summary", "active_problems", "medications"),
}
# A statement with one of these words does not assert the trap.
# ("Never received dantrolene or ECT" denies both.)
NEGATING = (r"\b(?:held|hold|stopped|stop|discontinued|avoid|not on the|do not|not given|never|"
            r"ruled out|negative|excluded|resolved|denies|no|unlikely|possible|family|"
            r"mother|father|sister|brother|daughter|son)\b")
# A planned thing is not stated as done by a statement that says it is planned.
PLANNED = (r"\b(?:plan|planned|will|recommended|consider|deferred|pending|scheduled|"
           r"outpatient|to be)\b")


def load_gold(path: str | Path | None = None) -> list[GoldHandoff]:
    """The gold handoff of each demo patient (packaged file by default)."""
    if path is None:
        text = data_dir().joinpath("gold_handoff.jsonl").read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    return [GoldHandoff.model_validate_json(line) for line in text.splitlines() if line]


def _names(name: str, aliases: list[str]) -> re.Pattern:
    alts = sorted({name, *aliases}, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(a) for a in alts) + r")(?![\w-])",
                      re.IGNORECASE)


def _has_any(text: str, words: tuple[str, ...]) -> bool:
    low = text.lower()
    return any(re.search(r"(?<!\w)" + re.escape(w) + r"(?!\w)", low) for w in words)


def _dose_in(text: str, dose: str) -> bool:
    numbers = re.findall(r"\d+(?:\.\d+)?", dose)
    return all(re.search(r"(?<![\d.])" + re.escape(n) + r"(?![\d.])", text) for n in numbers)


def fact_found(fact: GoldFact, statements: list[Statement]) -> Statement | None:
    """The first statement that states ``fact``, or None."""
    rx = _names(fact.name, fact.aliases)
    for st in statements:
        if st.section not in SECTIONS_OF[fact.kind] or not rx.search(st.text):
            continue
        if fact.status and not _has_any(st.text, STATUS_WORDS[fact.status]):
            continue
        if fact.dose and not _dose_in(st.text, fact.dose):
            continue
        if fact.change and not _has_any(st.text, CHANGE_WORDS[fact.change]):
            continue
        return st
    return None


def trap_stated(trap: GoldTrap, statements: list[Statement]) -> Statement | None:
    """The first statement that states ``trap`` as true, or None."""
    rx = _names(trap.name, trap.aliases)
    for st in statements:
        if st.section in TRAP_SECTIONS[trap.kind] and rx.search(st.text) and \
                not re.search(NEGATING, st.text, re.IGNORECASE) and not (
                    trap.kind == "planned_as_done"
                    and re.search(PLANNED, st.text, re.IGNORECASE)):
            return st
    return None


def score_summary(summary: HandoffSummary, gold: GoldHandoff) -> dict:
    """Recall of the gold facts and the traps stated as true for one summary."""
    missed = [f.id for f in gold.facts if fact_found(f, summary.statements) is None]
    stated = {}
    for t in gold.traps:
        st = trap_stated(t, summary.statements)
        if st is not None:
            stated[t.id] = st.id
    uncited = sum(1 for s in summary.statements if not s.citations)
    verdicts: dict[str, int] = {}
    for s in summary.statements:
        key = s.verification.verdict if s.verification else "UNVERIFIED"
        verdicts[key] = verdicts.get(key, 0) + 1
    n = len(gold.facts)
    return {"patient_id": gold.patient_id, "facts": n, "found": n - len(missed),
            "recall": round((n - len(missed)) / n, 4) if n else 1.0, "missed": missed,
            "traps": len(gold.traps), "traps_stated": stated,
            "statements": len(summary.statements), "uncited": uncited, "verdicts": verdicts}


def run(out: Path | None, *, use_llm: bool = False, settings: Settings | None = None) -> dict:
    """Run the handoff of every gold patient, score it, print a table, write JSON.

    Args:
        out: JSON report path (None: do not write).
        use_llm: hierarchical LLM mode instead of the extractive handoff.
        settings: extractor, LLM and summary settings (default: from the environment).

    Returns:
        The report dict.
    """
    settings = settings if settings is not None else Settings()
    extractor = make_extractor(settings)
    notes = load_notes()
    rows = []
    for gold in load_gold():
        mine = [n for n in notes if n.patient_id == gold.patient_id]
        started = time.perf_counter()
        summary = handoff_for_patient(mine, settings, use_llm=use_llm, extractor=extractor)
        row = score_summary(summary, gold)
        row["seconds"] = round(time.perf_counter() - started, 2)
        rows.append(row)
    facts = sum(r["facts"] for r in rows)
    found = sum(r["found"] for r in rows)
    report = {"git_sha": git_sha(), "mode": "llm" if use_llm else "extractive",
              "fact_recall": round(found / facts, 4) if facts else 1.0,
              "traps_stated": sum(len(r["traps_stated"]) for r in rows),
              "traps": sum(r["traps"] for r in rows),
              "statements": sum(r["statements"] for r in rows),
              "uncited": sum(r["uncited"] for r in rows), "patients": rows}
    lines = [f"{'patient':8} {'facts':>5} {'recall':>7} {'traps':>9} {'stmts':>5} "
             f"{'uncited':>7} {'sec':>6}  missed"]
    for r in rows:
        lines.append(f"{r['patient_id']:8} {r['facts']:>5} {r['recall']:>7.3f} "
                     f"{len(r['traps_stated']):>4}/{r['traps']:<4} {r['statements']:>5} "
                     f"{r['uncited']:>7} {r['seconds']:>6.1f}  {','.join(r['missed'])}")
    lines.append(f"{'all':8} {facts:>5} {report['fact_recall']:>7.3f} "
                 f"{report['traps_stated']:>4}/{report['traps']:<4} {report['statements']:>5} "
                 f"{report['uncited']:>7}")
    sys.stdout.write("\n".join(lines) + "\n")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return report


def main(argv: list[str] | None = None) -> int:
    """``python -m evals.handoff [--out PATH] [--llm]``, the same run as
    ``clinagent eval handoff``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("evals/reports/handoff.json"))
    parser.add_argument("--llm", action="store_true", help="hierarchical LLM mode")
    args = parser.parse_args(argv)
    run(args.out, use_llm=args.llm)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
