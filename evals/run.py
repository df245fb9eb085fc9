"""Evaluation runner: ``python -m evals.run extract`` (same as ``clinagent eval extract``).

Scores the deterministic extractor on the demo corpus gold and the public dev sets, prints a
table and writes a JSON report carrying the git sha, package version and extractor
provenance, so every number can be traced to the code and rules that produced it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from pathlib import Path

from agent.config import Settings
from agent.errors import ConfigError
from agent.extract.batch import make_extractor
from evals import codiesp, extract_corpora, ncbi_disease, phee
from evals.entity_scoring import score_documents
from evals.medspacy_baseline import MedspacyBaseline
from evals.synthetic import load_gold_entities, load_notes


def git_sha() -> str:
    """Current commit (with ``-dirty`` when the tree has changes), or ``unknown``."""
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def data_dir_of(data_dir: Path | None, settings: Settings | None = None) -> Path:
    """The folder with the public dev sets: ``data_dir`` (the ``--data-dir`` option), else
    the ``eval.data_dir`` setting. There is no default: the sets live outside the package.

    Raises:
        ConfigError: neither is given (names the option and the variable).
    """
    found = data_dir if data_dir is not None or settings is None else settings.eval.data_dir
    if found is None:
        raise ConfigError("eval.data_dir", "no folder with the public dev sets was given",
                          "Pass --data-dir DIR or set CLINAGENT_EVAL__DATA_DIR "
                          "(the folder holding negex/, phee/, codiesp/, ...)")
    return found


def _demo(extractor, limit: int | None) -> dict:
    notes = load_notes()[:limit] if limit else load_notes()
    gold = load_gold_entities()
    pred = {n.note_id: extractor.extract(n.text) for n in notes}
    return score_documents(
        {n.note_id: [e.model_dump() for e in gold.get(n.note_id, [])] for n in notes}, pred)


def run_extract(*, out: Path, limit: int | None, data_dir: Path, settings: Settings) -> dict:
    """Run every extraction evaluation, print a table and write the JSON report.

    Args:
        out: JSON report path.
        limit: only the first N items of each set (quick runs).
        data_dir: folder with ``negex/``, ``phee/``, ``codiesp/``, ``ncbi-disease/``.
        settings: extractor settings.

    Returns:
        The report dict.
    """
    # evals.negex imports the spaCy/medspaCy pipeline (agent.nlp.assertion) at import time.
    from evals import negex

    t0 = time.perf_counter()
    extractor = make_extractor(settings)
    load_s = time.perf_counter() - t0
    results: dict[str, dict] = {}
    timings: dict[str, float] = {}
    sets = {
        "demo_gold": lambda: _demo(extractor, limit),
        "negex": lambda: negex.run(extractor.pipeline, data_dir / "negex"
                                   / "Annotations-1-60.txt", limit=limit),
        "phee": lambda: phee.run(extractor.extract, data_dir / "phee" / "dev.json",
                                 limit=limit),
        "codiesp": lambda: codiesp.run(extractor.extract, data_dir / "codiesp" / "train",
                                       limit=limit),
        # The project's own corpora: frozen (never tuned on), dev (tuned on) and demo,
        # each with the medspaCy + dictionary anchor on the same notes.
        "own_corpora": lambda: extract_corpora.run(extractor, baseline=MedspacyBaseline()),
        "ncbi_disease": lambda: ncbi_disease.run(
            extractor.extract, data_dir / "ncbi-disease" / "NCBIdevelopset_corpus.txt",
            limit=limit),
    }
    for name, fn in sets.items():
        t = time.perf_counter()
        results[name] = fn()
        timings[name] = round(time.perf_counter() - t, 2)
    report = {
        "task": "extract",
        "git_sha": git_sha(),
        "provenance": extractor.provenance.model_dump(),
        "limit": limit,
        "extractor_load_seconds": round(load_s, 2),
        "seconds": timings,
        "results": results,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    print(format_table(results))
    print("\nOwn corpora (frozen: written blind, never tuned on; dev: tuned on; demo):")
    print(extract_corpora.format_rows(results["own_corpora"]))
    print(f"\nreport: {out}")
    return report


def _get(d: dict, *path: str, default: object = "-") -> object:
    for p in path:
        if not isinstance(d, dict) or p not in d:
            return default
        d = d[p]
    return d


def format_table(results: dict[str, dict]) -> str:
    """The headline numbers as a fixed-width text table."""
    rows: list[tuple[str, str, object]] = []
    demo = results.get("demo_gold", {})
    rows.append(("demo gold", "entity overlap F1", _get(demo, "overlap", "f1")))
    rows.append(("demo gold", "entity exact F1", _get(demo, "exact", "f1")))
    for t in sorted(_get(demo, "by_type", default={}) or {}):
        rows.append(("demo gold", f"  {t} overlap F1", _get(demo, "by_type", t, "overlap", "f1")))
    rows.append(("demo gold", "assertion accuracy", _get(demo, "assertion_accuracy")))
    rows.append(("demo gold", "section accuracy", _get(demo, "section_accuracy")))
    for a, v in (_get(demo, "medication_attributes_overlap", default={}) or {}).items():
        rows.append(("demo gold", f"  med {a} F1", v.get("f1")))
    neg = results.get("negex", {})
    rows.append(("negex", "negation accuracy", _get(neg, "accuracy")))
    rows.append(("negex", "negated precision / recall",
                 f"{_get(neg, 'negated', 'precision')} / {_get(neg, 'negated', 'recall')}"))
    phee_r = results.get("phee", {})
    for arg in ("drug", "dosage", "route", "frequency", "duration"):
        rows.append(("phee", f"{arg} F1 exact / overlap",
                     f"{_get(phee_r, 'exact', arg, 'f1')} / {_get(phee_r, 'overlap', arg, 'f1')}"))
    cod = results.get("codiesp", {})
    rows.append(("codiesp", "ICD-10-CM recall@1 / @5 / MAP",
                 f"{_get(cod, 'icd10cm', 'recall@1')} / {_get(cod, 'icd10cm', 'recall@5')} / "
                 f"{_get(cod, 'icd10cm', 'map')}"))
    rows.append(("codiesp", "ICD-10-CM 3-char category recall@1 / @5 / MAP",
                 f"{_get(cod, 'icd10cm_category', 'recall@1')} / "
                 f"{_get(cod, 'icd10cm_category', 'recall@5')} / "
                 f"{_get(cod, 'icd10cm_category', 'map')}"))
    rows.append(("codiesp", "ICD-10-PCS recall@5 (all / section 0)",
                 f"{_get(cod, 'icd10pcs', 'recall@5')} / "
                 f"{_get(cod, 'icd10pcs_section0', 'recall@5')}"))
    ncbi = results.get("ncbi_disease", {})
    rows.append(("ncbi-disease", "PROBLEM F1 exact / overlap",
                 f"{_get(ncbi, 'exact', 'f1')} / {_get(ncbi, 'overlap', 'f1')}"))
    rows.append(("ncbi-disease", "PROBLEM overlap precision / recall",
                 f"{_get(ncbi, 'overlap', 'precision')} / {_get(ncbi, 'overlap', 'recall')}"))
    w1 = max(len(r[0]) for r in rows)
    w2 = max(len(r[1]) for r in rows)
    lines = [f"{'set':<{w1}}  {'metric':<{w2}}  value", "-" * (w1 + w2 + 12)]
    lines += [f"{a:<{w1}}  {b:<{w2}}  {c}" for a, b, c in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """``python -m evals.run extract [--limit N] [--out PATH] [--data-dir DIR]``."""
    parser = argparse.ArgumentParser(prog="python -m evals.run")
    parser.add_argument("task", choices=["extract"])
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--out", type=Path, default=Path("evals/reports/extract.json"))
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="public dev sets (default: CLINAGENT_EVAL__DATA_DIR)")
    args = parser.parse_args(argv)
    settings = Settings()
    run_extract(out=args.out, limit=args.limit,
                data_dir=data_dir_of(args.data_dir, settings), settings=settings)


if __name__ == "__main__":
    main()
