"""Entity extraction on the project's own multi-note corpora, kept apart by what they are.

- ``frozen``: written blind and never tuned on (``evals/data/frozen/extract_c`` for
  extraction in new styles and specialties, and the entity gold of ``multinote_a`` /
  ``multinote_b``); only aggregate numbers are read;
- ``dev``: written blind too, but tuned on (``evals/data/dev/multinote_dev*``);
- ``demo``: the demo corpus the rules were written with.

Every set is scored for the extractor and for the medspaCy + dictionary anchor
(:mod:`evals.medspacy_baseline`) with the same scorer: MEDICATION+PROBLEM overlap F1 (what
the anchor can label), PROCEDURE overlap F1, all-type overlap F1 and assertion accuracy.
``python -m evals.extract_corpora [--tuning] [--show-misses]`` prints the table (``--tuning``:
dev and demo only, for a tuning loop) or the dev corpora's misses.
"""

from __future__ import annotations

import argparse
import time
from importlib.resources import files
from pathlib import Path

from evals.entity_scoring import score_documents
from evals.synthetic import load_gold_entities, load_notes

FROZEN = ("extract_c", "multinote_a", "multinote_b")
DEV = ("multinote_dev", "multinote_dev2", "multinote_dev3", "multinote_dev4", "multinote_dev12",
       "multinote_dev15", "multinote_dev17", "multinote_dev20", "multinote_dev22",
       "multinote_dev23", "multinote_dev24", "multinote_dev27", "multinote_dev28",
       "multinote_dev29", "multinote_dev30", "multinote_dev32")


def corpus_path(group: str, name: str) -> str | None:
    """The folder of a corpus (None for the demo corpus)."""
    if group == "demo":
        return None
    return str(Path(str(files("evals").joinpath("data"))) / group / name)


def _sets(*, frozen: bool = True) -> list[tuple[str, str, str | None]]:
    return ([("frozen", n, corpus_path("frozen", n)) for n in FROZEN if frozen]
            + [("dev", n, corpus_path("dev", n)) for n in DEV]
            + [("demo", "demo", None)])


def score_set(extract, corpus: str | None) -> dict:
    """Scores of one system on one corpus (see the module docstring)."""
    notes = load_notes(corpus)
    gold = load_gold_entities(corpus)
    t0 = time.perf_counter()
    pred = {n.note_id: extract(n.text) for n in notes}
    elapsed = time.perf_counter() - t0
    gold_docs = {n.note_id: [e.model_dump() for e in gold.get(n.note_id, [])] for n in notes}
    med_prob = score_documents(gold_docs, pred, types=("MEDICATION", "PROBLEM"))
    everything = score_documents(gold_docs, pred)
    procedure = everything["by_type"].get("PROCEDURE", {}).get("overlap", {})
    return {
        "notes": len(notes),
        "med_prob_overlap": med_prob["overlap"],
        "med_prob_assertion_accuracy": med_prob["assertion_accuracy"],
        "procedure_overlap": procedure,
        "all_overlap": everything["overlap"],
        "assertion_accuracy": everything["assertion_accuracy"],
        "assertion_confusion": everything["assertion_confusion"],
        "by_type": everything["by_type"],
        "notes_per_s": round(len(notes) / elapsed, 1) if elapsed else None,
    }


def run(extractor, *, baseline=None, frozen: bool = True) -> dict:
    """Scores per set for the extractor (and the anchor when given); ``frozen=False``
    leaves the frozen sets out (the tuning loop never looks at them)."""
    systems = {"clinagent": extractor.extract}
    if baseline is not None:
        systems["medspacy_dict"] = baseline.extract
    out: dict[str, dict] = {}
    warm_up = "\n".join(n.text for n in load_notes()[:3])
    for system, extract in systems.items():
        extract(warm_up)  # lazy loads (coders, vocabularies) are not throughput
        rows = {}
        for group, name, corpus in _sets(frozen=frozen):
            rows[f"{group}:{name}"] = score_set(extract, corpus)
        out[system] = rows
    return out


def format_rows(report: dict) -> str:
    """The headline table."""
    head = (f"{'system':<14} {'set':<22} {'MED+PROB F1':>11} {'P':>6} {'R':>6} "
            f"{'PROC F1':>8} {'all F1':>7} {'assert':>7} {'notes/s':>8}")
    lines = [head, "-" * len(head)]
    for system, rows in report.items():
        for name, r in rows.items():
            mp = r["med_prob_overlap"]
            proc = r["procedure_overlap"].get("f1")
            lines.append(
                f"{system:<14} {name:<22} {mp['f1']:>11.3f} {mp['precision']:>6.3f} "
                f"{mp['recall']:>6.3f} {proc if proc is not None else float('nan'):>8.3f} "
                f"{r['all_overlap']['f1']:>7.3f} {r['assertion_accuracy']:>7.3f} "
                f"{r['notes_per_s'] or 0:>8.1f}")
    return "\n".join(lines)


def show_misses(extractor, names: tuple[str, ...] = DEV) -> None:
    """Print the dev corpora's missed and spurious entities (never the frozen ones)."""
    for name in names:
        corpus = corpus_path("dev", name)
        gold = load_gold_entities(corpus)
        for note in load_notes(corpus):
            pred = extractor.extract(note.text)
            for g in gold.get(note.note_id, []):
                hit = [p for p in pred if p.start < g.end and g.start < p.end
                       and p.type == g.type]
                if not hit:
                    print(f"MISS {name} {g.type:<10} {g.assertion:<12} {g.text!r}")
                elif hit[0].assertion != g.assertion:
                    ctx = note.text[max(0, g.start - 50):g.end + 30].replace("\n", " | ")
                    print(f"ASRT {name} {g.type:<10} {g.assertion}->{hit[0].assertion:<12} "
                          f"{g.text!r} :: {ctx}")
            for p in pred:
                if not any(p.start < g.end and g.start < p.end for g in gold.get(note.note_id,
                                                                                  [])):
                    print(f"FP   {name} {p.type:<10} {p.text!r}")


def main(argv: list[str] | None = None) -> None:
    # Deferred: the extractor's vocabularies and spaCy/medspaCy load with the command only.
    from agent.config import Settings
    from agent.extract.batch import make_extractor
    from evals.medspacy_baseline import MedspacyBaseline

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--show-misses", action="store_true",
                    help="print the dev corpora's misses (never the frozen corpora's)")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--tuning", action="store_true",
                    help="dev and demo only: what a tuning loop may look at")
    args = ap.parse_args(argv)
    extractor = make_extractor(Settings())
    if args.show_misses:
        show_misses(extractor)
        return
    report = run(extractor, baseline=None if args.no_baseline else MedspacyBaseline(),
                 frozen=not args.tuning)
    print(format_rows(report))


if __name__ == "__main__":
    main()
