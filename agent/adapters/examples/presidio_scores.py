"""Score a stock Presidio ``AnalyzerEngine`` holding clinagent's pack against ``clinagent
deid`` on the demo de-id gold, with the scorer of ``clinagent eval deid``
(:func:`evals.deid.score`), and print the table::

    python -m agent.adapters.examples.presidio_scores

Rows: ``clinagent deid`` (patient-level detection); the stock analyzer with
:meth:`ClinagentPhiRecognizer.for_patient` (one recognizer per patient); with one
:class:`ClinagentPhiRecognizer` for all notes (no second pass over the patient's notes); with
the pack's individual recognizers (:func:`clinical_recognizers` with
``whole_detector=False``, score threshold 0.5). Demo notes: tuned on.
"""

from __future__ import annotations

import logging
import sys
from collections import defaultdict

from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
from presidio_analyzer.nlp_engine import SpacyNlpEngine

from agent.adapters.presidio_pack import ClinagentPhiRecognizer, clinical_recognizers
from agent.deid.registry import SPACY_MODEL


def _analyzer(recognizers, nlp_engine) -> AnalyzerEngine:
    registry = RecognizerRegistry(recognizers=recognizers, supported_languages=["en"])
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en"])


def main() -> int:
    """Print span and token recall/precision of each row."""
    # Deferred: the evaluation package (demo gold and scorer), only in this example.
    from evals.deid import clinagent_system, demo_docs, score

    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    docs = demo_docs()
    nlp_engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": SPACY_MODEL}])
    rows = {"clinagent deid": clinagent_system()(docs)}
    by_patient = defaultdict(list)
    for d in docs:
        by_patient[d.patient_id].append(d)
    patient = {}
    for group in by_patient.values():
        analyzer = _analyzer([ClinagentPhiRecognizer.for_patient([d.text for d in group])],
                             nlp_engine)
        patient.update({d.doc_id: [(r.start, r.end, r.entity_type)
                                   for r in analyzer.analyze(d.text, language="en")]
                        for d in group})
    rows["Presidio + pack, per patient"] = patient
    for name, recognizers in (("Presidio + pack, per note", clinical_recognizers()),
                              ("Presidio + individual recognizers",
                               clinical_recognizers(whole_detector=False))):
        analyzer = _analyzer(recognizers, nlp_engine)
        rows[name] = {d.doc_id: [(r.start, r.end, r.entity_type) for r in analyzer.analyze(
            d.text, language="en", score_threshold=0.5)] for d in docs}
    out = [f"demo de-id gold: {len(docs)} notes, "
           f"{sum(len(d.gold) for d in docs)} gold spans (tuned on)",
           f"{'system':<36}{'span R':>8}{'span P':>8}{'token R':>9}{'token P':>9}{'cover R':>9}"]
    for name, pred in rows.items():
        s = score(docs, pred, typed=False)
        span, tok = s["span_any_phi"], s["token_any_phi"]
        out.append(f"{name:<36}{span['recall']:>8.4f}{span['precision']:>8.4f}"
                   f"{tok['recall']:>9.4f}{tok['precision']:>9.4f}{s['covered_recall']:>9.4f}")
    sys.stdout.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
