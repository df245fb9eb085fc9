"""PHEE evaluation: medication arguments (drug, dosage, route, frequency, duration).

PHEE (Sun et al., EMNLP 2022) annotates pharmacovigilance events in case-report sentences.
Each line of the JSON Lines file is one sentence (``id``, ``context``) with
``annotations[].events[]``; an event's ``Treatment`` argument has sub-arguments ``Drug``,
``Dosage``, ``Route``, ``Freq`` and ``Duration``, each holding ``text`` and ``start`` as lists
of lists: one inner list per argument, one item per fragment of a discontinuous argument.

Scoring is per sentence, over the union of all events' arguments (an argument repeated by two
events counts once), with :func:`evals.metrics.per_label` in both exact and overlap mode. Each
fragment of a discontinuous argument is its own gold span, because the fragments are usually
separate values ("1400 mg or 30 mg kg-1").

How our MEDICATION entities map to PHEE labels. Our spans follow the demo corpus guideline
(n2c2 2018 style, see :mod:`agent.nlp.medication.attributes`), which splits amounts and keeps
cues that PHEE leaves out; the mapping rebuilds PHEE's spans so that like is compared with like:

- ``drug``: the entity span.
- ``dosage``: the ``strength`` attribute ("60 mg/day", "12 g/m2", "10 mg/kg/day", kept whole
  in both schemes). Without a strength, the ``dose`` number joined with the unit or counted
  form written right after it: our dose "2" + unit "units" -> "2 units", dose "0.1" + unit
  "mg/kg/h" -> "0.1 mg/kg/h", dose "2" + form "tablets" -> "2 tablets", because PHEE's Dosage
  is the whole amount. PHEE also labels qualitative amounts ("high-dose", "overdose", "a
  single dose"), which we do not extract: they cap dosage recall.
- ``route``: the ``route`` attribute and the ``form`` attribute, both: PHEE labels the
  vehicle as a route ("quinine tablet", "olanzapine injection", "adrenaline inhaler"), next
  to the route word when both are written ("intravenous heroin injection"). A route word
  directly followed by the form ("intravenous infusion", "i.v. infusion") is one PHEE Route
  span, while our guideline splits it into route + form: such a pair is joined.
- ``frequency``: the ``frequency`` attribute.
- ``duration``: the ``duration`` attribute without its leading cue. Our span keeps the cue
  ("x 5 days", "for 2 weeks", "over 3 days"); PHEE's Duration never does ("for [6 days]",
  "over [3 days]", "for approximately [eight days]"), so the cue words of the shipped lexicon
  (``cue`` entries for duration) are cut off. Lengths without a cue ("chronic", "5-day
  course") are compared as they are.

Run ``python -m evals.phee --path <data-dir>/phee/dev.json --drugs gold`` to score the
attribute parser alone (gold drug spans are given) or ``--drugs entities`` to score the full
entity extractor.

Halves: PHEE dev is the only PHEE split at hand, so ``--half tune`` / ``--half held`` split it
in two (:func:`half_of`) by a stable hash of the case report (the PubMed id before the ``_``
of the sentence id), so that sentences of one report never fall in both. Misses are looked at
on the tune half only; a parser change is kept when the held half improves too.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from agent.errors import InputError
from agent.nlp.medication.lexicon import default_lexicon
from agent.schemas.extraction import Attribute, Entity
from evals.metrics import PRF, SpanTuple, per_label

LABELS: tuple[str, ...] = ("drug", "dosage", "route", "frequency", "duration")
HALVES: tuple[str, ...] = ("all", "tune", "held")
_PHEE_LABELS = {
    "Drug": "drug", "Dosage": "dosage", "Route": "route", "Freq": "frequency",
    "Duration": "duration",
}

ExtractFn = Callable[[str], list[Entity]]
AttributeFn = Callable[[str, Sequence[tuple[int, int]]], list[dict[str, Attribute]]]


@dataclass(frozen=True)
class PheeSentence:
    """One PHEE sentence with its gold medication argument spans."""

    sentence_id: str
    text: str
    spans: tuple[SpanTuple, ...]


def half_of(sentence_id: str) -> str:
    """``"tune"`` or ``"held"``: the half of PHEE dev a sentence belongs to.

    The key is the case report (the id's part before ``_``), hashed with SHA-256 so that the
    split is the same on every machine and Python version (``hash()`` is salted per process).
    """
    report = sentence_id.split("_", 1)[0]
    return "tune" if int(hashlib.sha256(report.encode()).hexdigest(), 16) % 2 == 0 else "held"


def load(
    path: str | Path, limit: int | None = None, half: str = "all"
) -> list[PheeSentence]:
    """Read PHEE JSON Lines into sentences with gold ``(start, end, label)`` spans.

    Args:
        path: the PHEE file (``dev.json``).
        limit: read at most this many sentences (of the half asked for).
        half: ``"all"``, or ``"tune"`` / ``"held"`` for one half (:func:`half_of`).

    Returns:
        The sentences in file order.

    Raises:
        InputError: unreadable file, bad JSON line, missing field, or an argument whose
            offset does not point at its text.
    """
    source = str(path)
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise InputError(source, f"cannot read the file ({e.strerror})",
                         fix="Pass the path of PHEE dev.json") from e
    if half not in HALVES:
        raise ValueError(f"half must be one of {HALVES}, not {half!r}")
    sentences: list[PheeSentence] = []
    for number, line in enumerate(lines, start=1):
        if limit is not None and len(sentences) >= limit:
            break
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if half == "all" or half_of(str(record["id"])) == half:
                sentences.append(_sentence(record, source, number))
        except json.JSONDecodeError as e:
            raise InputError(source, f"not valid JSON ({e.msg})", line=number) from e
        except KeyError as e:
            raise InputError(source, "missing field", line=number, field=str(e.args[0])) from e
    return sentences


def _sentence(record: dict, source: str, number: int) -> PheeSentence:
    text = record["context"]
    spans: set[SpanTuple] = set()
    for annotation in record["annotations"]:
        for event in annotation["events"]:
            treatment = event.get("Treatment") or {}
            for key, label in _PHEE_LABELS.items():
                argument = treatment.get(key)
                if not argument:
                    continue
                for fragments, starts in zip(argument["text"], argument["start"], strict=True):
                    for fragment, start in zip(fragments, starts, strict=True):
                        end = start + len(fragment)
                        if text[start:end] != fragment:
                            raise InputError(
                                source, f"{key} offset {start} does not match its text",
                                line=number, field=key,
                            )
                        spans.add((start, end, label))
    return PheeSentence(str(record["id"]), text, tuple(sorted(spans)))


def predicted_spans(entities: Sequence[Entity]) -> list[SpanTuple]:
    """Map MEDICATION entities and their attributes to PHEE-labelled spans (see module doc)."""
    spans: list[SpanTuple] = []
    for entity in entities:
        if entity.type != "MEDICATION":
            continue
        spans.append((entity.start, entity.end, "drug"))
        attributes = entity.attributes
        spans.extend((start, end, "route") for start, end in _routes(attributes))
        frequency = attributes.get("frequency")
        if frequency is not None:
            spans.append((frequency.start, frequency.end, "frequency"))
        dosage = _dosage(attributes)
        if dosage is not None:
            spans.append((*dosage, "dosage"))
        duration = attributes.get("duration")
        if duration is not None:
            spans.append((*_without_cue(duration), "duration"))
    return spans


def _routes(attributes: dict[str, Attribute]) -> list[tuple[int, int]]:
    route, form = attributes.get("route"), attributes.get("form")
    if route is not None and form is not None and 0 <= form.start - route.end <= 1:
        return [(route.start, form.end)]
    return [(a.start, a.end) for a in (route, form) if a is not None]


def _dosage(attributes: dict[str, Attribute]) -> tuple[int, int] | None:
    strength = attributes.get("strength")
    if strength is not None:
        return strength.start, strength.end
    dose = attributes.get("dose")
    if dose is None:
        return None
    end = dose.end
    for name in ("unit", "form"):
        word = attributes.get(name)
        # Joined only when written right after the number ("2 units", "1-2 tabs").
        if word is not None and 0 <= word.start - dose.end <= 1 and word.end > end:
            end = word.end
            break
    return dose.start, end


@lru_cache(maxsize=1)
def _duration_cue() -> re.Pattern[str]:
    return re.compile(rf"(?:{default_lexicon().duration_cue})\s*", re.IGNORECASE)


def _without_cue(duration: Attribute) -> tuple[int, int]:
    m = _duration_cue().match(duration.text)
    if m and m.end() < len(duration.text):
        return duration.start + m.end(), duration.end
    return duration.start, duration.end


def run(
    extract_fn: ExtractFn, path: str | Path, limit: int | None = None, half: str = "all"
) -> dict:
    """Score an extractor on PHEE medication arguments.

    Args:
        extract_fn: ``text -> list[Entity]``; MEDICATION entities carry ``attributes``.
        path: the PHEE file.
        limit: score only the first ``limit`` sentences.
        half: score one half only (see :func:`half_of`), or ``"all"``.

    Returns:
        ``{"dataset", "path", "half", "sentences", "exact": {label: PRF dict},
        "overlap": {...}}`` for the labels in :data:`LABELS`.

    Raises:
        InputError: the file cannot be read (see :func:`load`).
    """
    sentences = load(path, limit, half)
    totals = {mode: {label: PRF() for label in LABELS} for mode in ("exact", "overlap")}
    for sentence in sentences:
        predicted = [s for s in predicted_spans(extract_fn(sentence.text)) if s[2] in LABELS]
        for mode, by_label in totals.items():
            for label, counts in per_label(sentence.spans, predicted, mode=mode).items():
                by_label[label].add(counts)
    return {
        "dataset": "phee",
        "path": str(path),
        "half": half,
        "sentences": len(sentences),
        **{mode: {label: prf.as_dict() for label, prf in by_label.items()}
           for mode, by_label in totals.items()},
    }


def gold_drug_extract_fn(
    sentences: Sequence[PheeSentence], find_attributes: AttributeFn
) -> ExtractFn:
    """An ``extract_fn`` that uses the gold drug spans, to score the attribute parser alone.

    Args:
        sentences: loaded PHEE sentences; texts not among them get no entities.
        find_attributes: ``(text, drug_spans) -> attributes per drug``, e.g.
            :func:`agent.nlp.medication.attributes.find_medication_attributes`.

    Returns:
        The extract function.
    """
    drugs: dict[str, list[tuple[int, int]]] = {}
    for sentence in sentences:
        kept: list[tuple[int, int]] = []
        for start, end, label in sentence.spans:
            # Gold drugs may overlap across events; the parser expects disjoint spans.
            if label == "drug" and not any(s < end and start < e for s, e in kept):
                kept.append((start, end))
        drugs[sentence.text] = sorted(kept)

    def extract(text: str) -> list[Entity]:
        spans = drugs.get(text, [])
        return [
            Entity(start=s, end=e, text=text[s:e], type="MEDICATION", attributes=attributes)
            for (s, e), attributes in zip(spans, find_attributes(text, spans), strict=True)
        ]

    return extract


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", required=True, help="the PHEE dev.json file")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--drugs", choices=("gold", "entities"), default="gold",
                        help="gold drug spans, or agent.nlp.entities.EntityExtractor")
    parser.add_argument("--half", choices=HALVES, default="all",
                        help="score one half of the file: tune (look at its misses) or held "
                             "(check only), split by case report")
    args = parser.parse_args()
    if args.drugs == "gold":
        from agent.nlp.medication.attributes import find_medication_attributes

        extract_fn = gold_drug_extract_fn(load(args.path, args.limit, args.half),
                                          find_medication_attributes)
    else:
        from agent.nlp.entities import EntityExtractor

        extract_fn = EntityExtractor().extract
    print(json.dumps(run(extract_fn, args.path, args.limit, args.half), indent=2))
