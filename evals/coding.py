"""Coding co-pilot evaluation on CodiEsp: the suggester alone, then after simulated coder
feedback (the learning curve a site would see).

Documents come from :func:`evals.codiesp.load` (English text, document-level gold). Each
document is extracted once and coded by :class:`agent.coding.suggest.Suggester`; a
document's ranking is its suggestion list for one code system (best first). Metrics per
system, micro-averaged over gold codes for recall and averaged over documents for MAP and
precision@k: recall@1/@5/@10, MAP, precision@1/@5/@10.

Simulated feedback: documents are split by a hash of their id into two disjoint parts. The
gold of part A plays the coder: a suggested gold code is accepted, a suggested non-gold
code (in the top ``SHOWN`` a coder reviews) rejected, a missed gold code added for the
mention whose words best match its title. The ranker is retrained on 0, 25, 50 and 100 % of
part A and part B is scored each time.

CodiEsp codes whatever a case report states, past history and signs next to the diagnosis
they belong to included, so the policy here codes historical mentions, follows the
inpatient guideline for uncertain ones and settles Excludes1 clashes by score only.

Run ``python -m evals.coding DATA_DIR/codiesp/train [--limit N]``; writes
``evals/reports/coding.json`` and ``evals/reports/coding.html``.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from agent.coding.conventions import describe
from agent.coding.ranker import Ranker
from agent.coding.suggest import CodingPolicy, Suggester
from agent.nlp.vocab.terms import tokens
from agent.schemas.coding import CoderDecision, NoteCodes
from agent.schemas.extraction import Entity
from evals.codiesp import CodiespDoc, gold_form, load
from evals.metrics import average_precision, recall_at_k
from evals.report_files import write_json_html

SYSTEMS = {"ICD-10-CM": "diagnoses", "ICD-10-PCS": "procedures"}
KS = (1, 5, 10)
# Suggestions a simulated coder looks at (and rejects when wrong).
SHOWN = 10
FRACTIONS = (0.0, 0.25, 0.5, 1.0)
REPORT_DIR = Path(__file__).parent / "reports"
# CodiEsp gold leaves out the 7th-character encounter extension (see evals.codiesp).

CASE_REPORT_POLICY = CodingPolicy(guideline="inpatient", include_historical=True,
                                  is_diagnosis_over_symptom=False)


def part_of(doc_id: str) -> str:
    """"A" (feedback) or "B" (held out), stable across runs and machines."""
    return "A" if int(hashlib.sha256(doc_id.encode()).hexdigest()[:8], 16) % 2 == 0 else "B"


def ranking(codes: NoteCodes, system: str) -> list[str]:
    """The note's suggestions of one system, best first, in gold form, no repeats."""
    out = [gold_form(s.code, s.description) for s in codes.suggestions if s.system == system]
    return list(dict.fromkeys(out))


def score(docs: Sequence[CodiespDoc], coded: Sequence[NoteCodes]) -> dict:
    """Recall@k, MAP and precision@k per code system."""
    report: dict[str, dict] = {}
    for system, field in SYSTEMS.items():
        gold_n = docs_n = 0
        hits = dict.fromkeys(KS, 0.0)
        prec = dict.fromkeys(KS, 0.0)
        ap = 0.0
        for doc, codes in zip(docs, coded, strict=True):
            gold = getattr(doc, field)
            if not gold:
                continue
            ranked = ranking(codes, system)
            gold_n += len(gold)
            docs_n += 1
            ap += average_precision(ranked, gold)
            for k in KS:
                hits[k] += recall_at_k([ranked], gold, k) * len(gold)
                prec[k] += len(set(ranked[:k]) & set(gold)) / k
        out: dict[str, float | int] = {"docs": docs_n, "gold_codes": gold_n}
        for k in KS:
            out[f"recall@{k}"] = round(hits[k] / gold_n, 4) if gold_n else 0.0
        out["map"] = round(ap / docs_n, 4) if docs_n else 0.0
        for k in KS:
            out[f"precision@{k}"] = round(prec[k] / docs_n, 4) if docs_n else 0.0
        report[system] = out
    return report


def _stems(text: str) -> set[str]:
    return set(tokens(text))


def simulated_decisions(doc: CodiespDoc, codes: NoteCodes) -> list[CoderDecision]:
    """What a coder whose answer is the gold decides on one document's suggestions."""
    out: list[CoderDecision] = []
    for system, field in SYSTEMS.items():
        gold = set(getattr(doc, field))
        shown = [s for s in codes.suggestions if s.system == system][:SHOWN]
        suggested = set()
        for s in shown:
            form = gold_form(s.code, s.description)
            suggested.add(form)
            decision = "accept" if form in gold else "reject"
            for m in s.mentions:
                out.append(CoderDecision(note_id=doc.doc_id, concept=m.concept,
                                         section=m.section, system=system, code=s.code,
                                         decision=decision, score=s.score))
        mentions = {m.concept: m for s in codes.suggestions if s.system == system
                    for m in s.mentions}
        for code in sorted(gold - suggested):
            concept = _best_concept(code, system, list(mentions))
            if concept is not None:
                out.append(CoderDecision(note_id=doc.doc_id, concept=concept, system=system,
                                         code=code, decision="add"))
    return out


def _best_concept(code: str, system: str, concepts: list[str]) -> str | None:
    """The concept whose words best match the added code's title (a coder adds a code
    from the mention it codes)."""
    title = _stems(describe(code, system))
    if not title:
        return None
    best = max(concepts, key=lambda c: (len(_stems(c) & title), c), default=None)
    return best if best is not None and _stems(best) & title else None


def run(data_dir: str | Path, limit: int | None = None, *, extract_fn=None,
        policy: CodingPolicy = CASE_REPORT_POLICY) -> dict:
    """Extract, code, simulate feedback and score (see the module docstring).

    Args:
        data_dir: a CodiEsp split folder (``text_files_en/``, ``*D.tsv``, ``*P.tsv``).
        limit: use only the first ``limit`` documents.
        extract_fn: ``text -> list[Entity]`` (default: the product extractor).
        policy: the coding policy.

    Returns:
        The report: suggester alone on all documents and on part B, and the learning curve.

    Raises:
        InputError: the data folder is missing or malformed.
    """
    docs = load(data_dir, limit)
    if extract_fn is None:
        extract_fn = _product_extractor()
    t0 = time.perf_counter()
    entities: list[list[Entity]] = [extract_fn(d.text) for d in docs]
    extract_s = time.perf_counter() - t0

    def code_all(ranker: Ranker, subset: list[int]) -> list[NoteCodes]:
        suggester = Suggester(policy, ranker)
        return [suggester.suggest(docs[i].doc_id, docs[i].text, entities[i]) for i in subset]

    everything = list(range(len(docs)))
    part_a = sorted((i for i in everything if part_of(docs[i].doc_id) == "A"),
                    key=lambda i: hashlib.sha256(docs[i].doc_id.encode()).hexdigest())
    part_b = [i for i in everything if part_of(docs[i].doc_id) == "B"]
    base_all = code_all(Ranker(), everything)
    base_codes = {i: c for i, c in zip(everything, base_all, strict=True)}
    curve = []
    for frac in FRACTIONS:
        used = part_a[: round(frac * len(part_a))]
        decisions = [d for i in used for d in simulated_decisions(docs[i], base_codes[i])]
        ranker = Ranker.train(decisions)
        coded_b = code_all(ranker, part_b)
        curve.append({"fraction": frac, "feedback_docs": len(used),
                      "decisions": len(decisions), "ranker_version": ranker.version,
                      "metrics": score([docs[i] for i in part_b], coded_b)})
    return {
        "dataset": "CodiEsp (English)", "data_dir": str(data_dir), "docs": len(docs),
        "policy": {"guideline": policy.guideline,
                   "include_historical": policy.include_historical,
                   "is_diagnosis_over_symptom": policy.is_diagnosis_over_symptom},
        "split": {"A": len(part_a), "B": len(part_b), "by": "sha256(doc_id) mod 2"},
        "suggester": score(docs, base_all),
        "part_b_before": curve[0]["metrics"],
        "part_b_after": curve[-1]["metrics"],
        "learning_curve": curve,
        "extract_seconds": round(extract_s, 1),
        "seconds": round(time.perf_counter() - t0, 1),
    }


def _product_extractor():
    # agent.extract.batch loads the spaCy pipeline (seconds): only for a real run.
    from agent.config import Settings
    from agent.extract.batch import make_extractor

    return make_extractor(Settings()).extract


def _svg_curve(curve: list[dict]) -> str:
    """A small line chart: recall@5 and MAP on part B against the feedback share."""
    w, h, pad = 520, 260, 40
    series = [("ICD-10-CM", "recall@5", "#1f77b4"), ("ICD-10-CM", "map", "#ff7f0e"),
              ("ICD-10-PCS", "recall@5", "#2ca02c"), ("ICD-10-PCS", "map", "#d62728")]
    top = max([p["metrics"][s][m] for p in curve for s, m, _ in series] + [0.1])

    def xy(frac: float, val: float) -> str:
        return (f"{pad + frac * (w - 2 * pad):.1f},"
                f"{h - pad - (val / top) * (h - 2 * pad):.1f}")

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
             f'role="img" aria-label="learning curve">',
             f'<line x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}" stroke="#333"/>',
             f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{h - pad}" stroke="#333"/>',
             f'<text x="{w / 2}" y="{h - 8}" text-anchor="middle" font-size="12">'
             'share of part A fed back as decisions</text>',
             f'<text x="4" y="{pad - 10}" font-size="12">max {top:.2f}</text>']
    for p in curve:
        x = pad + p["fraction"] * (w - 2 * pad)
        parts.append(f'<text x="{x:.1f}" y="{h - pad + 14}" text-anchor="middle" '
                     f'font-size="11">{int(p["fraction"] * 100)}%</text>')
    for n, (system, metric, color) in enumerate(series):
        pts = " ".join(xy(p["fraction"], p["metrics"][system][metric]) for p in curve)
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" '
                     f'points="{pts}"/>')
        parts.append(f'<text x="{w - pad - 150}" y="{pad + 14 * n}" font-size="11" '
                     f'fill="{color}">{system} {metric}</text>')
    parts.append("</svg>")
    return "".join(parts)


def render_html(report: dict) -> str:
    """The report as a standalone HTML page (tables + inline SVG learning curve)."""
    def table(title: str, metrics: dict) -> str:
        keys = [k for k in next(iter(metrics.values()))]
        head = "".join(f"<th>{html.escape(k)}</th>" for k in keys)
        rows = "".join(f"<tr><th>{html.escape(s)}</th>"
                       + "".join(f"<td>{m[k]}</td>" for k in keys) + "</tr>"
                       for s, m in metrics.items())
        return (f"<h2>{html.escape(title)}</h2><table border='1' cellpadding='4'>"
                f"<tr><th></th>{head}</tr>{rows}</table>")

    curve_rows = "".join(
        f"<tr><td>{int(p['fraction'] * 100)}%</td><td>{p['feedback_docs']}</td>"
        f"<td>{p['decisions']}</td>"
        + "".join(f"<td>{p['metrics'][s]['recall@5']}</td><td>{p['metrics'][s]['map']}</td>"
                  for s in SYSTEMS) + f"<td>{html.escape(p['ranker_version'])}</td></tr>"
        for p in report["learning_curve"])
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>clinagent coding eval</title>"
        "</head><body style='font-family:sans-serif'>"
        f"<h1>ICD-10 coding co-pilot on {html.escape(report['dataset'])}</h1>"
        f"<p>{report['docs']} documents; split A/B {report['split']['A']}/"
        f"{report['split']['B']} ({html.escape(report['split']['by'])}); policy "
        f"{html.escape(json.dumps(report['policy']))}.</p>"
        + table("Suggester alone (all documents)", report["suggester"])
        + table("Part B before feedback", report["part_b_before"])
        + table("Part B after feedback from all of part A", report["part_b_after"])
        + "<h2>Learning curve (part B)</h2>" + _svg_curve(report["learning_curve"])
        + "<table border='1' cellpadding='4'><tr><th>feedback</th><th>docs</th>"
          "<th>decisions</th><th>CM recall@5</th><th>CM MAP</th><th>PCS recall@5</th>"
          f"<th>PCS MAP</th><th>ranker</th></tr>{curve_rows}</table></body></html>")


def write_reports(report: dict, out_dir: Path = REPORT_DIR) -> tuple[Path, Path]:
    """Write ``coding.json`` and ``coding.html`` into ``out_dir``."""
    return write_json_html(report, out_dir, "coding", render_html(report))


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m evals.coding DATA_DIR [--limit N] [--out DIR]``."""
    parser = argparse.ArgumentParser(prog="python -m evals.coding")
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--out", type=Path, default=REPORT_DIR)
    args = parser.parse_args(argv)
    report = run(args.data_dir, args.limit)
    paths = write_reports(report, args.out)
    summary = {k: report[k] for k in ("suggester", "part_b_before", "part_b_after")}
    sys.stdout.write(json.dumps(summary, indent=2) + f"\nreports: {paths[0]} {paths[1]}\n")


if __name__ == "__main__":
    main()
