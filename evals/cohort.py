"""Cohort evaluation: ``clinagent eval cohort`` (``python -m evals.cohort``).

Runs the labelled cohorts of the demo corpus (``evals/data/cohorts/demo.yaml``, gold by
reading the notes), of the generated trial corpus (``generated.yaml``, gold written by
:mod:`evals.cohort_corpus`) and of the frozen corpus (``evals/data/frozen/cohorts``, written
blind and never tuned on: only its aggregate numbers may be read) three ways, with the same
queries and the same gold:

- **clinagent**: the fact table (assertion, experiencer, temporality, timeline statuses,
  lab values in units);
- **keyword search** over the note text: a criterion holds when a note names the concept
  (the query's words and the vocabulary's synonyms of it), the drug (its names and
  brands) or the test with a number meeting the comparison (units ignored), whatever the
  context ("no retinopathy", "mother with diabetes");
- **ICD-code only**: a condition holds when any mention of the patient carries a matching
  ICD-10-CM code (or an ancestor), whatever its assertion or experiencer; codes say
  nothing about drugs or lab values, so those criteria are left unfiltered (counted as
  met, and shown as n/a per criterion).

Reports precision, recall and F1 per criterion (each named criterion against the gold
cohort of that name) and per cohort, in ``evals/reports/cohort.json`` and ``cohort.html``.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import yaml
from sqlalchemy import select

from agent.cohorts.compile import CompiledQuery, Leaf, criterion_select, resolve
from agent.cohorts.notes_db import load_notes
from agent.cohorts.parse import query_from_text
from agent.cohorts.results import run_query
from agent.cohorts.vocabulary import CohortVocabulary
from agent.config import Settings
from agent.extract.batch import make_extractor
from agent.notes import read_notes
from agent.rules import rules_for
from agent.schemas.cohort import Criterion
from agent.schemas.notes import Note
from agent.store.engine import make_engine, make_sessionmaker
from agent.store.models import CohortFactCodeRow
from agent.version import package_version
from evals.report_files import write_json_html
from evals.run import git_sha

DATA = Path("evals/data/cohorts")
DEMO_NOTES = Path("evals/data/synthetic/notes.jsonl")
GENERATED = DATA / "generated"
# Frozen test corpus (written blind, never tuned on): notes + labelled cohorts with gold.
FROZEN = Path("evals/data/frozen/cohorts")
FROZEN_NOTES = FROZEN / "notes.jsonl"
FROZEN_COHORTS = FROZEN / "cohorts.yaml"
REPORT_DIR = Path("evals/reports")
SYSTEMS = ("clinagent", "keyword", "icd_only")
_NUMBER = r"\W{0,4}(\d+(?:\.\d+)?)"


def prf(found: set[str], gold: set[str]) -> dict:
    """Precision, recall, F1 and counts of a found set against a gold set (precision is
    None when nothing was found, recall None when the gold is empty)."""
    tp = len(found & gold)
    p = tp / len(found) if found else None
    r = tp / len(gold) if gold else None
    f1 = 2 * p * r / (p + r) if p and r else (0.0 if p is not None and r is not None
                                              else None)
    return {"precision": p, "recall": r, "f1": f1, "tp": tp, "fp": len(found - gold),
            "fn": len(gold - found), "found": len(found), "gold": len(gold)}


def micro(rows: list[dict]) -> dict:
    """Micro-averaged precision / recall / F1 over rows of :func:`prf`."""
    tp, fp, fn = (sum(r[k] for r in rows) for k in ("tp", "fp", "fn"))
    p = tp / (tp + fp) if tp + fp else None
    r = tp / (tp + fn) if tp + fn else None
    f1 = 2 * p * r / (p + r) if p and r else 0.0
    return {"precision": p, "recall": r, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


class KeywordBaseline:
    """Criteria answered by searching the patients' note text (no context)."""

    def __init__(self, notes: list[Note], vocab: CohortVocabulary) -> None:
        self.text: dict[str, str] = defaultdict(str)
        for n in notes:
            self.text[n.patient_id] += "\n" + n.text.lower()
        self.vocab = vocab
        self._mesh_by_canonical: dict[str, set[str]] | None = None
        self._drug_by_canonical: dict[str, set[str]] | None = None

    def _variants(self, names: list[str], table: str) -> set[str]:
        if table == "mesh":
            if self._mesh_by_canonical is None:
                self._mesh_by_canonical = defaultdict(set)
                for variant, canonical in self.vocab.disease_names.items():
                    self._mesh_by_canonical[canonical].add(variant)
            by = self._mesh_by_canonical
        else:
            if self._drug_by_canonical is None:
                self._drug_by_canonical = defaultdict(set)
                for variant, canonical in self.vocab.drug_names.items():
                    self._drug_by_canonical[canonical].add(variant)
            by = self._drug_by_canonical
        out = set(names)
        for name in names:
            out |= by.get(name, set())
        return {v for v in out if len(v) >= 3}

    def leaf(self, leaf: Leaf, pid: str) -> bool:
        """Whether the patient's text names the leaf."""
        text = self.text[pid]
        if leaf.kind == "lab":
            test = self.vocab.labs.tests[leaf.names[0]]
            pattern = "|".join(re.escape(a) for a in test.aliases)
            values = [float(m.group(1)) for m in re.finditer(
                rf"\b(?:{pattern})\b{_NUMBER}", text)]
            if leaf.value_filter is None:
                return bool(re.search(rf"\b(?:{pattern})\b", text))
            op, value, _ = leaf.value_filter
            return any(_compare(v, op, value) for v in values)
        if leaf.kind == "medication":
            terms = self._variants(leaf.names, "drug")
        else:
            # Deferred: simple_icd_10_cm parses its table on import.
            import simple_icd_10_cm as icd

            titles = [icd.get_description(c).lower() for c in leaf.codes
                      if icd.is_valid_item(c)]
            terms = self._variants(leaf.names + titles, "mesh")
        return any(re.search(rf"(?<!\w){re.escape(t)}(?!\w)", text) for t in terms)


def _compare(a: float, op: str, b: float) -> bool:
    return {">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b, "=": a == b,
            "!=": a != b}[op]


class IcdBaseline:
    """Conditions answered from the ICD-10-CM codes of any mention (no context)."""

    def __init__(self, session) -> None:
        self.codes: dict[str, set[str]] = defaultdict(set)
        for pid, code in session.execute(select(CohortFactCodeRow.patient_id,
                                                CohortFactCodeRow.code)):
            self.codes[pid].add(code)

    def leaf(self, leaf: Leaf, pid: str) -> bool | None:
        """Whether the patient has a matching code; None for drugs and labs (unknown)."""
        if leaf.kind != "condition":
            return None
        return bool(self.codes[pid] & set(leaf.codes))


def evaluate(crit: Criterion, compiled: CompiledQuery, pid: str,
             leaf_fn: Callable[[Leaf, str], bool | None]) -> bool | None:
    """A criterion for one patient with a baseline's leaf answers (None: unknown)."""
    if crit.kind in ("all", "any"):
        vals = [evaluate(c, compiled, pid, leaf_fn) for c in getattr(crit, crit.kind)]
        known = [v for v in vals if v is not None]
        if not known:
            return None
        return all(known) if crit.kind == "all" else any(known)
    if crit.kind == "not":
        inner = evaluate(crit.not_, compiled, pid, leaf_fn)
        return None if inner is None else not inner
    return leaf_fn(compiled.leaves[id(crit)], pid)


def _baseline_cohort(compiled: CompiledQuery, patients: list[str], leaf_fn) -> set[str]:
    out = set()
    for pid in patients:
        inc = [evaluate(c, compiled, pid, leaf_fn) for c in compiled.query.inclusion]
        exc = [evaluate(c, compiled, pid, leaf_fn) for c in compiled.query.exclusion]
        if all(v is not False for v in inc) and not any(v is True for v in exc):
            out.add(pid)
    return out


def _named_criteria(crit: Criterion):
    if crit.id:
        yield crit
    for kind in ("all", "any"):
        for sub in getattr(crit, kind) or []:
            yield from _named_criteria(sub)
    if crit.not_ is not None:
        yield from _named_criteria(crit.not_)


def run_corpus(name: str, notes: list[Note], cohorts: list[dict], gold: dict[str, list[str]],
               settings: Settings, extractor=None) -> dict:
    """Evaluate the cohorts of one corpus with the three systems."""
    vocab = CohortVocabulary()
    rules = rules_for(settings)
    extractor = extractor or make_extractor(settings)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="clinagent-cohort-eval-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'facts.db'}")
        _, facts = load_notes(engine, notes, rules, extract=extractor.extract_note)
        build_s = time.perf_counter() - t0
        sessions = make_sessionmaker(engine)
        patients = sorted({n.patient_id for n in notes})
        keyword = KeywordBaseline(notes, vocab)
        with sessions() as session:
            icd = IcdBaseline(session)
            per_cohort, per_criterion, query_ms = [], {}, []
            for spec in cohorts:
                query = query_from_text(spec["query"])
                compiled = resolve(query, vocab)
                t1 = time.perf_counter()
                result = run_query(session, query, vocab=vocab, evidence_per_criterion=1)
                query_ms.append(1000 * (time.perf_counter() - t1))
                truth = set(gold[spec["id"]])
                found = {
                    "clinagent": {p.patient_id for p in result.patients},
                    "keyword": _baseline_cohort(compiled, patients, keyword.leaf),
                    "icd_only": _baseline_cohort(compiled, patients, icd.leaf),
                }
                per_cohort.append({"cohort": spec["id"], **{s: prf(found[s], truth)
                                                            for s in SYSTEMS}})
                for crit in [c for part in (query.inclusion, query.exclusion) for c in part]:
                    for named in _named_criteria(crit):
                        if named.id not in gold or named.id in per_criterion:
                            continue
                        truth = set(gold[named.id])
                        ours = set(session.scalars(criterion_select(compiled, named, None)))
                        kw = {p for p in patients
                              if evaluate(named, compiled, p, keyword.leaf)}
                        icd_vals = {p: evaluate(named, compiled, p, icd.leaf)
                                    for p in patients}
                        row = {"criterion": named.id, "clinagent": prf(ours, truth),
                               "keyword": prf(kw, truth)}
                        row["icd_only"] = None if all(v is None for v in icd_vals.values()) \
                            else prf({p for p, v in icd_vals.items() if v}, truth)
                        per_criterion[named.id] = row
        engine.dispose()
    summary = {s: micro([c[s] for c in per_cohort]) for s in SYSTEMS}
    crit_rows = list(per_criterion.values())
    summary_crit = {s: micro([c[s] for c in crit_rows if c[s] is not None]) for s in SYSTEMS}
    return {"corpus": name, "patients": len(patients), "notes": len(notes), "facts": facts,
            "build_s": round(build_s, 1),
            "median_query_ms": round(sorted(query_ms)[len(query_ms) // 2], 1),
            "cohorts": per_cohort, "criteria": crit_rows, "micro_cohorts": summary,
            "micro_criteria": summary_crit}


def run(settings: Settings | None = None, *, generated_patients: int | None = None) -> dict:
    """The demo, generated and frozen corpora; the generated one is written first when
    missing."""
    # Deferred: the generator is only needed when its files are missing.
    from evals.cohort_corpus import write as write_generated

    settings = settings or Settings()
    extractor = make_extractor(settings)
    demo_spec = yaml.safe_load((DATA / "demo.yaml").read_text(encoding="utf-8"))
    corpora = [run_corpus("demo", read_notes(DEMO_NOTES).notes, demo_spec["cohorts"],
                          demo_spec["gold"], settings, extractor)]
    if generated_patients is not None or not (GENERATED / "gold.json").exists():
        write_generated(GENERATED, **({"n": generated_patients} if generated_patients
                                      else {}))
    gold = json.loads((GENERATED / "gold.json").read_text(encoding="utf-8"))
    gen_spec = yaml.safe_load((DATA / "generated.yaml").read_text(encoding="utf-8"))
    corpora.append(run_corpus("generated", read_notes(GENERATED / "notes.jsonl").notes,
                              gen_spec["cohorts"], gold["cohorts"], settings, extractor))
    frozen_spec = yaml.safe_load(FROZEN_COHORTS.read_text(encoding="utf-8"))
    corpora.append(run_corpus("frozen", read_notes(FROZEN_NOTES).notes, frozen_spec["cohorts"],
                              frozen_spec["gold"], settings, extractor))
    return {"git_sha": git_sha(), "package_version": package_version(),
            "extractor": extractor.provenance.model_dump(mode="json"),
            "generated_seed": gold["seed"], "corpora": corpora}


def _fmt(v) -> str:
    return "n/a" if v is None else f"{v:.2f}"


def table(report: dict) -> str:
    """The printed summary: micro P/R/F1 per corpus and system, then per cohort F1."""
    lines = []
    for c in report["corpora"]:
        lines.append(f"{c['corpus']}: {c['patients']} patients, {c['notes']} notes, "
                     f"{c['facts']} facts, median query {c['median_query_ms']} ms")
        lines.append(f"  {'level':<10} {'system':<10} {'P':>5} {'R':>5} {'F1':>5}")
        for level in ("cohorts", "criteria"):
            for s in SYSTEMS:
                m = c[f"micro_{level}"][s]
                lines.append(f"  {level:<10} {s:<10} {_fmt(m['precision']):>5} "
                             f"{_fmt(m['recall']):>5} {_fmt(m['f1']):>5}")
        # Frozen: aggregate numbers only on screen (per-cohort rows stay in the JSON/HTML).
        for row in [] if c["corpus"] == "frozen" else c["cohorts"]:
            scores = "  ".join(f"{s} P {_fmt(row[s]['precision'])} R "
                               f"{_fmt(row[s]['recall'])}" for s in SYSTEMS)
            lines.append(f"    {row['cohort']:<20} gold {row['clinagent']['gold']:>3}  "
                         f"{scores}")
    return "\n".join(lines) + "\n"


def render_html(report: dict) -> str:
    """The HTML report (tables per corpus)."""
    parts = [f"<!doctype html><html lang=en><meta charset=utf-8><title>Cohort evaluation"
             f"</title><h1>Cohort evaluation</h1><p>git {html.escape(report['git_sha'])}, "
             f"clinagent {html.escape(report['package_version'])}</p>"]
    for c in report["corpora"]:
        parts.append(f"<h2>{html.escape(c['corpus'])} ({c['patients']} patients)</h2>")
        for level, key in (("Per cohort", "cohorts"), ("Per criterion", "criteria")):
            head = "".join(f"<th>{s} P</th><th>{s} R</th><th>{s} F1</th>" for s in SYSTEMS)
            rows = []
            for row in c[key]:
                cells = "".join(
                    "<td colspan=3>n/a</td>" if row[s] is None else
                    f"<td>{_fmt(row[s]['precision'])}</td><td>{_fmt(row[s]['recall'])}</td>"
                    f"<td>{_fmt(row[s]['f1'])}</td>" for s in SYSTEMS)
                name = row.get("cohort") or row.get("criterion")
                rows.append(f"<tr><td>{html.escape(name)}</td><td>"
                            f"{(row['clinagent'] or {}).get('gold', '')}</td>{cells}</tr>")
            micro_cells = "".join(
                f"<td>{_fmt(c['micro_' + key][s]['precision'])}</td>"
                f"<td>{_fmt(c['micro_' + key][s]['recall'])}</td>"
                f"<td>{_fmt(c['micro_' + key][s]['f1'])}</td>" for s in SYSTEMS)
            parts.append(f"<h3>{level}</h3><table border=1 cellpadding=3><tr><th>name</th>"
                         f"<th>gold</th>{head}</tr>{''.join(rows)}<tr><th>micro</th><td>"
                         f"</td>{micro_cells}</tr></table>")
    return "".join(parts) + "</html>\n"


def write_reports(report: dict, out_dir: Path = REPORT_DIR) -> tuple[Path, Path]:
    """Write ``cohort.json`` and ``cohort.html`` into ``out_dir``."""
    return write_json_html(report, out_dir, "cohort", render_html(report))


def main(argv: list[str] | None = None) -> None:
    """``python -m evals.cohort [--out DIR]``."""
    parser = argparse.ArgumentParser(prog="python -m evals.cohort")
    parser.add_argument("--out", type=Path, default=REPORT_DIR)
    args = parser.parse_args(argv)
    report = run()
    paths = write_reports(report, args.out)
    sys.stdout.write(table(report) + f"reports: {paths[0]} {paths[1]}\n")


if __name__ == "__main__":
    main()
