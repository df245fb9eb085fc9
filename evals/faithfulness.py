"""Faithfulness evaluation of the verifier (``clinagent eval faithfulness``).

    python -m evals.faithfulness [--only demo|medec|aci|mts] [--limit N] [--data-dir DIR]
                                 [--out-dir DIR]

- **demo**: the planted-contradiction corpus (``evals/verifier_cases.py``) verified the way
  ``clinagent verify`` does (timeline-aware): detection rate of planted errors, false-flag
  rate on correct statements, reason accuracy, per kind; plus ``evals.handoff`` (gold recall
  and traps of the extractive handoff).
- **medec**: MEDEC-MS validation texts. Each sentence is verified against the *other*
  sentences of the same text (the text is both source and claim); a sentence is flagged when
  CONTRADICTED (strict) or CONTRADICTED/UNSUPPORTED (loose). Text-level error detection and
  error-sentence recall/precision are reported.
- **aci** / **mts**: an extractive baseline summary of each dialogue (the dialogue turns
  that name the most clinical entities, in order, up to the reference's length) against the
  reference note: ROUGE-L, a BERTScore-style F1 (see :mod:`evals.faithfulness_report`), and the
  verifier's supported-fact rate of the reference note's sentences against the dialogue.

Writes ``faithfulness.json`` and ``faithfulness.html`` (plots embedded) to ``out/eval/``.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import re
import sys
import time
from collections import Counter
from pathlib import Path

from agent.config import Settings
from agent.nlp.entities import default_extractor
from agent.nlp.layout import sentence_spans
from agent.patient import PatientRecord
from agent.rules import Rules
from agent.schemas.extraction import Attribute, Entity, Extractor
from agent.schemas.summary import Citation, HandoffSummary, Statement
from agent.schemas.summary_rules import CueSet
from agent.version import package_version
from evals import handoff as handoff_eval
from evals.faithfulness_report import bertscore_fn, headline, write_html
from evals.run import data_dir_of, git_sha
from evals.synthetic import load_notes
from evals.verifier_cases import load_cases
from verifiers.claims import make_mentions
from verifiers.crosscheck import judge

logger = logging.getLogger(__name__)

FLAGGED = ("CONTRADICTED", "UNSUPPORTED")
DEFAULT_LIMITS = {"medec": 200, "aci": 20, "mts": 100}


def rate(numerator: int, denominator: int) -> float | None:
    """A ratio rounded to 4 places, None when the denominator is 0."""
    return round(numerator / denominator, 4) if denominator else None


def binary_scores(pairs: list[tuple[bool, bool]]) -> dict:
    """Accuracy, precision, recall, F1 of (gold, predicted) boolean pairs."""
    tp = sum(g and p for g, p in pairs)
    fp = sum(p and not g for g, p in pairs)
    fn = sum(g and not p for g, p in pairs)
    tn = sum(not g and not p for g, p in pairs)
    precision, recall = rate(tp, tp + fp), rate(tp, tp + fn)
    f1 = (round(2 * precision * recall / (precision + recall), 4)
          if precision and recall else 0.0)
    return {"n": len(pairs), "accuracy": rate(tp + tn, len(pairs)), "precision": precision,
            "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn, "tn": tn}


def planted_scores(rows: list[dict]) -> dict:
    """Detection and false-flag rates of verdicts on the planted corpus.

    Args:
        rows: one dict per case with ``is_error``, ``kind``, ``expected_reason`` and the
            verifier's ``verdict`` and ``reasons``.
    """
    errors = [r for r in rows if r["is_error"]]
    correct = [r for r in rows if not r["is_error"]]
    with_reason = [r for r in errors if r["expected_reason"]]
    per_kind: dict[str, dict] = {}
    for kind in sorted({r["kind"] for r in rows}):
        group = [r for r in rows if r["kind"] == kind]
        flagged = sum(r["verdict"] in FLAGGED for r in group)
        per_kind[kind] = {"n": len(group), "flagged": flagged,
                          "flag_rate": rate(flagged, len(group))}
    return {
        "cases": len(rows), "errors": len(errors), "correct": len(correct),
        "detection_rate": rate(sum(r["verdict"] in FLAGGED for r in errors), len(errors)),
        "false_flag_rate": rate(sum(r["verdict"] in FLAGGED for r in correct), len(correct)),
        # The frozen runner's three rates and usefulness (evals.frozen), on the same cases.
        "supported_on_false": rate(sum(r["verdict"] == "SUPPORTED" for r in errors),
                                   len(errors)),
        "contradicted_on_true": rate(sum(r["verdict"] == "CONTRADICTED" for r in correct),
                                     len(correct)),
        "supported_on_true": rate(sum(r["verdict"] == "SUPPORTED" for r in correct),
                                  len(correct)),
        "reason_accuracy": rate(sum(r["expected_reason"] in r["reasons"] for r in with_reason),
                                len(with_reason)),
        "not_checkable_rate": rate(sum(r["verdict"] == "NOT_CHECKABLE" for r in rows),
                                   len(rows)),
        "per_kind": per_kind,
    }


def _shifted(ent: Entity, offset: int) -> Entity:
    attrs = {k: Attribute(start=a.start - offset, end=a.end - offset, text=a.text,
                          value=a.value) for k, a in ent.attributes.items()}
    return ent.model_copy(update={"start": ent.start - offset, "end": ent.end - offset,
                                  "attributes": attrs})


def mentions_of(name: str, text: str, entities: list[Entity], extractor: Extractor,
                cues: CueSet) -> list:
    """The verifier's mentions of a whole text (a dialogue, a MEDEC text)."""
    return make_mentions(name, None, 0, text, entities, cues, extractor.layout(text, entities))


def verify_against_rest(text: str, entities: list[Entity], spans: list[tuple[int, int]],
                        extractor: Extractor, cues: CueSet,
                        source_mentions: list | None = None) -> list[str]:
    """Verdict of each span's claims against the entities outside it (or given mentions)."""
    mentions = mentions_of("text", text, entities, extractor, cues)
    verdicts = []
    for s, e in spans:
        claims = [_shifted(x, s) for x in entities if s <= x.start and x.end <= e]
        source = source_mentions if source_mentions is not None else [
            m for m in mentions if not (s <= m.entity.start < e)]
        verdicts.append(judge(claims, text[s:e], [], source, cues=cues,
                              layout=extractor.layout(text[s:e], claims)).verdict)
    return verdicts


# --- demo ------------------------------------------------------------------------------


def run_demo(extractor) -> dict:
    """Planted-contradiction corpus through verify_summary with the timeline."""
    notes = load_notes()
    cases = load_cases()
    rows = []
    for pid in sorted({c["patient_id"] for c in cases}):
        mine = [n for n in notes if n.patient_id == pid]
        record = PatientRecord.prepare(mine, extractor, Rules.load())
        group = [c for c in cases if c["patient_id"] == pid]
        summary = HandoffSummary(
            patient_id=pid, generated_at="2026-01-01T00:00:00+00:00", mode="external",
            note_ids=[n.note_id for n in mine], provenance=extractor.provenance,
            statements=[Statement(
                id=c["case_id"], section=c["section"], text=c["statement"], origin="external",
                citations=[Citation(note_id=x["note_id"], start=x["start"], end=x["end"])
                           for x in c["citations"]]) for c in group])
        verified = record.verify(summary)
        for c, st in zip(group, verified.statements, strict=True):
            rows.append({**{k: c[k] for k in ("case_id", "kind", "is_error", "expected_reason",
                                               "statement")},
                         "verdict": st.verification.verdict,
                         "reasons": st.verification.reasons,
                         "detail": st.verification.detail})
    result = planted_scores(rows)
    result["misses"] = [r for r in rows if (r["verdict"] in FLAGGED) != r["is_error"]]
    result["handoff"] = handoff_eval.run(None)
    return result


# --- MEDEC -----------------------------------------------------------------------------


def run_medec(extractor, data_dir: Path, limit: int | None) -> dict:
    """Error-sentence and error-text detection on MEDEC-MS validation."""
    path = data_dir / "medec-ms" / "MEDEC-MS-ValidationSet-with-GroundTruth-and-ErrorType.csv"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))[:limit]
    texts_strict, texts_loose, sent_strict, sent_loose = [], [], [], []
    by_type: Counter = Counter()
    found_type: Counter = Counter()
    verdicts: Counter = Counter()
    for row in rows:
        lines = [ln for ln in row["Sentences"].splitlines() if ln.strip()]
        ids, parts = [], []
        for ln in lines:
            head, _, rest = ln.partition(" ")
            ids.append(int(head) if head.isdigit() else len(ids))
            parts.append(rest.strip())
        text, spans = "", []
        for p in parts:
            spans.append((len(text), len(text) + len(p)))
            text += p + "\n"
        result = verify_against_rest(text, extractor.extract(text), spans, extractor,
                                     Rules.load().cues)
        verdicts.update(result)
        is_error = row["Error Flag"] == "1"
        gold_id = int(row["Error Sentence ID"]) if is_error else -1
        strict = [v == "CONTRADICTED" for v in result]
        loose = [v in FLAGGED for v in result]
        texts_strict.append((is_error, any(strict)))
        texts_loose.append((is_error, any(loose)))
        for sid, s_flag, l_flag in zip(ids, strict, loose, strict=True):
            sent_strict.append((sid == gold_id, s_flag))
            sent_loose.append((sid == gold_id, l_flag))
        if is_error:
            by_type[row["Error Type"]] += 1
            if gold_id in ids and loose[ids.index(gold_id)]:
                found_type[row["Error Type"]] += 1
    return {
        "texts": len(rows), "error_texts": sum(g for g, _ in texts_strict),
        "text_level": {"strict": binary_scores(texts_strict),
                       "loose": binary_scores(texts_loose),
                       "majority_baseline_accuracy": rate(
                           max(sum(g for g, _ in texts_strict),
                               sum(not g for g, _ in texts_strict)), len(texts_strict))},
        "sentence_level": {"strict": binary_scores(sent_strict),
                           "loose": binary_scores(sent_loose)},
        "error_sentence_recall_by_type_loose": {
            t: rate(found_type[t], n) for t, n in sorted(by_type.items())},
        "verdicts": dict(verdicts),
    }


# --- ACI-bench / MTS-Dialog ------------------------------------------------------------


def _turns(dialogue: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", dialogue) if m.group().strip()]


def extractive_baseline(dialogue: str, entities: list[Entity], target_words: int) -> str:
    """The dialogue turns naming the most clinical entities, in order, up to a length."""
    turns = _turns(dialogue)
    scored = []
    for i, (s, e) in enumerate(turns):
        n = sum(s <= x.start < e for x in entities)
        if n:
            scored.append((-n, i))
    chosen: list[int] = []
    words = 0
    for _, i in sorted(scored):
        if words >= target_words:
            break
        chosen.append(i)
        words += len(dialogue[turns[i][0]:turns[i][1]].split())
    out = []
    for i in sorted(chosen):
        s, e = turns[i]
        out.append(re.sub(r"^\s*(?:\[\w+\]|\w+:)\s*", "", dialogue[s:e]).strip())
    return "\n".join(out)


def run_dialogue_set(name: str, pairs: list[tuple[str, str]], extractor, scorer) -> dict:
    """Baseline vs reference (ROUGE-L, BERTScore-style) and supported rate of references."""
    from rouge_score import rouge_scorer

    rouge = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    rouge_l, hyps, refs = [], [], []
    verdicts: Counter = Counter()
    for dialogue, reference in pairs:
        d_entities = extractor.extract(dialogue)
        hyp = extractive_baseline(dialogue, d_entities, len(reference.split()))
        rouge_l.append(rouge.score(reference, hyp)["rougeL"].fmeasure)
        hyps.append(hyp)
        refs.append(reference)
        cues = Rules.load().cues
        source = mentions_of("dialogue", dialogue, d_entities, extractor, cues)
        verdicts.update(verify_against_rest(reference, extractor.extract(reference),
                                            sentence_spans(reference), extractor, cues,
                                            source))
    checkable = sum(n for v, n in verdicts.items() if v != "NOT_CHECKABLE")
    return {
        "set": name, "n": len(pairs),
        "rougeL_f": round(sum(rouge_l) / len(rouge_l), 4) if rouge_l else None,
        "bertscore": scorer(hyps, refs) if scorer else "not available",
        "reference_sentences": sum(verdicts.values()),
        "verdicts": dict(verdicts),
        "supported_rate": rate(verdicts["SUPPORTED"], checkable),
        "contradicted_rate": rate(verdicts["CONTRADICTED"], checkable),
        "unsupported_rate": rate(verdicts["UNSUPPORTED"], checkable),
    }


def _read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def run(only: list[str] | None = None, limit: int | None = None,
        data_dir: Path | None = None, out_dir: Path = Path("out/eval")) -> dict:
    """Run the selected parts, write JSON and HTML, return the report.

    Args:
        only: parts to run (default: all).
        limit: items per public set (default: :data:`DEFAULT_LIMITS`).
        data_dir: folder with the public dev sets; needed by medec, aci and mts.
        out_dir: where faithfulness.json and faithfulness.html go.

    Raises:
        ConfigError: a public set is asked for and ``data_dir`` is None.
    """

    parts = only or ["demo", "medec", "aci", "mts"]
    if set(parts) - {"demo"}:
        data_dir = data_dir_of(data_dir)
    t0 = time.perf_counter()
    extractor = default_extractor()
    report: dict = {"git_sha": git_sha(), "package_version": package_version(),
                    "producer": "evals.faithfulness", "extractor": extractor.provenance
                    .model_dump(exclude={"vocabularies"}), "limits": {}, "seconds": {}}
    scorer, report["bertscore_model"] = bertscore_fn() if {"aci", "mts"} & set(parts) \
        else (None, "not run")
    for part in parts:
        t = time.perf_counter()
        n = limit if limit is not None else DEFAULT_LIMITS.get(part)
        report["limits"][part] = n
        if part == "demo":
            report["demo"] = run_demo(extractor)
        elif part == "medec":
            report["medec"] = run_medec(extractor, data_dir, n)
        elif part == "aci":
            rows = _read_csv(data_dir / "aci-bench" / "valid.csv")[:n]
            report["aci"] = run_dialogue_set("aci-bench valid", [(r["dialogue"], r["note"])
                                                                  for r in rows],
                                             extractor, scorer)
        elif part == "mts":
            rows = _read_csv(data_dir / "mts-dialog" / "MTS-Dialog-ValidationSet.csv")[:n]
            report["mts"] = run_dialogue_set("mts-dialog validation",
                                             [(r["dialogue"], r["section_text"])
                                              for r in rows], extractor, scorer)
        report["seconds"][part] = round(time.perf_counter() - t, 1)
    report["seconds"]["total"] = round(time.perf_counter() - t0, 1)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "faithfulness.json").write_text(json.dumps(report, indent=1) + "\n",
                                               encoding="utf-8")
    write_html(report, out_dir / "faithfulness.html")
    return report


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; prints the headline numbers."""
    ap = argparse.ArgumentParser(prog="python -m evals.faithfulness")
    ap.add_argument("--only", action="append", choices=["demo", "medec", "aci", "mts"])
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--data-dir", type=Path, default=None,
                    help="public dev sets (default: CLINAGENT_EVAL__DATA_DIR)")
    ap.add_argument("--out-dir", type=Path, default=Path("out/eval"))
    args = ap.parse_args(argv)
    data_dir = args.data_dir if args.data_dir is not None else Settings().eval.data_dir
    report = run(args.only, args.limit, data_dir, args.out_dir)
    sys.stdout.write(headline(report) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
