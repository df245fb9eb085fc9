"""Negation evaluation on the public NegEx annotation set (Chapman et al., 2001).

The file is a TSV with the header ``Report No.<TAB>Concept<TAB>Sentence<TAB>Negation``;
``Negation`` is ``Affirmed`` or ``Negated``. Sentences may be wrapped in CSV-style double
quotes (inner quotes doubled), hold de-identification placeholders such as
``**NAME[AAA, BBB M]`` and runs of spaces. The annotated concept is written in upper case
inside the sentence, but its spacing may differ from the Concept column, so it is located
with a whitespace-tolerant, case-insensitive search that prefers the upper-case occurrence.
Pairs whose concept cannot be found are counted and reported, never dropped silently.

The returned report carries only row indices and report numbers, no sentence text, so it can
be stored next to other eval reports. Run ``python -m evals.negex PATH`` for a summary of
the development (reports 1-40) and held-out (reports 41-60) parts.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.errors import InputError
from agent.nlp.assertion import context_flags
from agent.nlp.pipeline import build_pipeline
from evals.metrics import PRF, accuracy

log = logging.getLogger(__name__)

HEADER = ("Report No.", "Concept", "Sentence", "Negation")
LABELS = {"Affirmed": False, "Negated": True}


@dataclass(frozen=True)
class NegexPair:
    """One annotated (concept, sentence) pair.

    Attributes:
        index: 0-based row index in the file, header excluded; the id used in reports.
        report: the "Report No." column.
        concept: the concept as written in the Concept column.
        sentence: the sentence with CSV quoting removed.
        is_negated: gold label.
        start: character offset of the concept in ``sentence``; None when not found.
        end: end offset (exclusive); None when not found.
    """

    index: int
    report: int
    concept: str
    sentence: str
    is_negated: bool
    start: int | None
    end: int | None


def _unquote(field: str) -> str:
    if len(field) >= 2 and field.startswith('"') and field.endswith('"'):
        return field[1:-1].replace('""', '"')
    return field


def _concept_regex(concept: str, *, loose: bool) -> re.Pattern[str]:
    # Strict: words separated by any whitespace. Loose: by any run of non-word characters,
    # which absorbs hyphens and punctuation the annotators left out of the Concept column.
    words = concept.split() if not loose else re.findall(r"\w+", concept)
    sep = r"\s+" if not loose else r"\W+"
    return re.compile(sep.join(re.escape(w) for w in words), re.IGNORECASE)


def find_concept(concept: str, sentence: str) -> tuple[int, int] | None:
    """Locate the annotated concept in its sentence.

    Args:
        concept: the Concept column.
        sentence: the unquoted sentence.

    Returns:
        ``(start, end)`` offsets, or None when the concept does not occur.
    """
    if not concept.strip():
        return None
    for loose in (False, True):
        if loose and not re.search(r"\w", concept):
            break
        matches = list(_concept_regex(concept, loose=loose).finditer(sentence))
        if not matches:
            continue
        # The annotators upper-cased the target occurrence; other occurrences of the same
        # words in the sentence are context, not the annotated mention.
        upper = [m for m in matches if m.group().isupper()]
        m = (upper or matches)[0]
        return m.start(), m.end()
    return None


def load(path: str | Path) -> list[NegexPair]:
    """Read the NegEx annotation file.

    Args:
        path: the TSV file.

    Returns:
        All pairs in file order, including those whose concept was not found
        (``start`` is None for those).

    Raises:
        InputError: missing file, wrong header, a row without four fields or an unknown label.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as e:
        raise InputError(str(path), "file not found", fix="Pass the NegEx TSV path") from e
    if not lines or tuple(lines[0].split("\t")) != HEADER:
        raise InputError(str(path), "unexpected header", line=1,
                         fix=f"Expected the columns {HEADER}")
    pairs: list[NegexPair] = []
    for lineno, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 4:
            raise InputError(str(path), f"expected 4 tab-separated fields, got {len(fields)}",
                             line=lineno)
        report, concept, sentence, label = (f.strip() for f in fields)
        if label not in LABELS:
            raise InputError(str(path), f"unknown label {label!r}", line=lineno,
                             field="Negation", fix="Use Affirmed or Negated")
        try:
            report_no = int(report)
        except ValueError as e:
            raise InputError(str(path), "report number is not an integer", line=lineno,
                             field="Report No.") from e
        concept = _unquote(concept)
        sentence = _unquote(sentence)
        found = find_concept(concept, sentence)
        pairs.append(NegexPair(
            index=len(pairs), report=report_no, concept=concept, sentence=sentence,
            is_negated=LABELS[label], start=found[0] if found else None,
            end=found[1] if found else None,
        ))
    return pairs


def predict_negated(pipeline: Any, pair: NegexPair) -> bool:
    """Whether the pipeline's ConText marks the pair's concept as negated.

    Uses :func:`agent.nlp.assertion.context_flags`, the same view of the modifiers the
    product's assertion step uses (cues nested inside the concept are ignored).

    Args:
        pipeline: a ``agent.nlp.pipeline.ClinicalPipeline``.
        pair: a pair whose concept was found (``start`` is not None).

    Returns:
        True when a negation cue outside the concept modifies it.
    """
    doc = pipeline.prepare(pair.sentence)
    span = doc.char_span(pair.start, pair.end, label="PROBLEM", alignment_mode="expand")
    doc.ents = [span]
    doc = pipeline.annotate(doc)
    return context_flags(doc.ents[0]).is_negated


def score(pairs: Iterable[NegexPair], predictions: dict[int, bool]) -> dict[str, Any]:
    """Accuracy and negated-class PRF of predictions over the pairs that were found.

    Args:
        pairs: the evaluated pairs.
        predictions: predicted ``is_negated`` by pair index (pairs without a prediction are
            the not-found ones and are only counted).

    Returns:
        A JSON-serialisable report: ``accuracy``, ``negated`` (tp/fp/fn/P/R/F1),
        ``counts`` and ``errors`` (``{"false_negative": [...], "false_positive": [...]}``,
        each a list of pair indices).
    """
    pairs = list(pairs)
    scored = [p for p in pairs if p.index in predictions]
    prf = PRF()
    fn_ids: list[int] = []
    fp_ids: list[int] = []
    for p in scored:
        pred = predictions[p.index]
        if pred and p.is_negated:
            prf.tp += 1
        elif pred:
            prf.fp += 1
            fp_ids.append(p.index)
        elif p.is_negated:
            prf.fn += 1
            fn_ids.append(p.index)
    return {
        "accuracy": round(accuracy((p.is_negated, predictions[p.index]) for p in scored), 4),
        "negated": prf.as_dict(),
        "counts": {
            "pairs": len(pairs),
            "scored": len(scored),
            "not_found": len(pairs) - len(scored),
            "gold_negated": sum(p.is_negated for p in scored),
            "gold_affirmed": sum(not p.is_negated for p in scored),
        },
        "not_found_ids": [p.index for p in pairs if p.index not in predictions],
        "errors": {"false_negative": fn_ids, "false_positive": fp_ids},
    }


def run(
    pipeline: Any,
    path: str | Path,
    limit: int | None = None,
    reports: range | None = None,
) -> dict[str, Any]:
    """Evaluate ConText negation on the NegEx annotations.

    Args:
        pipeline: a ``agent.nlp.pipeline.ClinicalPipeline``.
        path: the NegEx TSV file.
        limit: evaluate only the first ``limit`` pairs (after the report filter).
        reports: evaluate only pairs whose report number is in this range, e.g.
            ``range(1, 41)`` for the development part and ``range(41, 61)`` for held-out.

    Returns:
        The report of :func:`score`; see there. Not-found pairs are listed in
        ``not_found_ids`` and counted in ``counts.not_found``.

    Raises:
        InputError: the file cannot be read (see :func:`load`).
    """
    pairs = load(path)
    if reports is not None:
        pairs = [p for p in pairs if p.report in reports]
    if limit is not None:
        pairs = pairs[:limit]
    predictions = {
        p.index: predict_negated(pipeline, p) for p in pairs if p.start is not None
    }
    missing = len(pairs) - len(predictions)
    if missing:
        log.warning("NegEx: %d pair(s) whose concept was not found in the sentence", missing)
    return score(pairs, predictions)


SPLITS = {"all": range(1, 61), "dev": range(1, 41), "held_out": range(41, 61)}


def main(argv: list[str]) -> int:
    """Print accuracy and negated P/R/F1 for all, dev (reports 1-40) and held-out (41-60).

    Usage: ``python -m evals.negex PATH/Annotations-1-60.txt [RULES_DIR]``.
    """
    if not argv:
        print("usage: python -m evals.negex ANNOTATIONS_TSV [RULES_DIR]", file=sys.stderr)
        return 2
    path = Path(argv[0])
    pipeline = build_pipeline(argv[1] if len(argv) > 1 else None)
    for name, reports in SPLITS.items():
        r = run(pipeline, path, reports=reports)
        neg = r["negated"]
        print(f"{name:9s} acc={r['accuracy']:.4f} P={neg['precision']:.4f} "
              f"R={neg['recall']:.4f} F1={neg['f1']:.4f} n={r['counts']['scored']} "
              f"not_found={r['counts']['not_found']} "
              f"fn={r['errors']['false_negative']} fp={r['errors']['false_positive']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
