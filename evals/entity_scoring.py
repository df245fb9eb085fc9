"""Score extracted entities against gold entities (the demo corpus, or any set in that format).

Reported, per entity type and overall: exact and overlap precision/recall/F1; assertion
accuracy over overlap-matched pairs of the same type; medication attribute F1 (overlap) over
matched drugs; section agreement.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from agent.schemas.extraction import MEDICATION_ATTRIBUTES, Entity
from evals.metrics import PRF, match_spans, per_label

GoldEntity = Mapping[str, object]


def _spans(entities: Iterable[Mapping[str, object] | Entity]) -> list[tuple[int, int, str]]:
    out = []
    for e in entities:
        d = e if isinstance(e, Mapping) else e.model_dump()
        out.append((int(d["start"]), int(d["end"]), str(d["type"])))
    return out


def _pairs(gold: list[dict], pred: list[dict]) -> list[tuple[dict, dict]]:
    """Greedy one-to-one overlap pairing of same-type entities (offset order)."""
    used: set[int] = set()
    pairs = []
    for g in sorted(gold, key=lambda x: x["start"]):
        for i, p in enumerate(pred):
            if i in used or p["type"] != g["type"]:
                continue
            if p["start"] < g["end"] and g["start"] < p["end"]:
                used.add(i)
                pairs.append((g, p))
                break
    return pairs


def score_documents(
    gold_docs: Mapping[str, list[dict]], pred_docs: Mapping[str, list[Entity]],
    *, types: Iterable[str] | None = None,
) -> dict[str, object]:
    """Score predictions for every gold document.

    Args:
        gold_docs: note_id -> gold entities (dicts with start, end, type, assertion, section,
            attributes).
        pred_docs: note_id -> predicted entities; a missing note counts as no predictions.
        types: restrict scoring to these entity types (default: the types present in gold).

    Returns:
        Nested metrics ready for a JSON report.
    """
    gold_types = set(types) if types else {e["type"] for es in gold_docs.values() for e in es}
    exact, overlap = PRF(), PRF()
    by_type: dict[str, dict[str, PRF]] = {}
    assertion_ok = Counter()
    confusion: Counter[tuple[str, str]] = Counter()
    section_ok = Counter()
    attr_prf: dict[str, PRF] = {a: PRF() for a in MEDICATION_ATTRIBUTES}
    for note_id, gold in gold_docs.items():
        g = [e for e in gold if e["type"] in gold_types]
        p = [e.model_dump() for e in pred_docs.get(note_id, []) if e.type in gold_types]
        exact.add(match_spans(_spans(g), _spans(p), mode="exact"))
        overlap.add(match_spans(_spans(g), _spans(p), mode="overlap"))
        for mode in ("exact", "overlap"):
            for lab, prf in per_label(_spans(g), _spans(p), mode=mode).items():
                by_type.setdefault(lab, {"exact": PRF(), "overlap": PRF()})[mode].add(prf)
        for ge, pe in _pairs(g, p):
            assertion_ok[ge["assertion"] == pe["assertion"]] += 1
            confusion[(ge["assertion"], pe["assertion"])] += 1
            if ge.get("section") is not None:
                section_ok[ge.get("section") == pe.get("section")] += 1
            if ge["type"] == "MEDICATION":
                ga, pa = ge.get("attributes") or {}, pe.get("attributes") or {}
                for name in MEDICATION_ATTRIBUTES:
                    gs = [(a["start"], a["end"], name) for a in [ga.get(name)] if a]
                    ps = [(a["start"], a["end"], name) for a in [pa.get(name)] if a]
                    attr_prf[name].add(match_spans(gs, ps, mode="overlap"))
    n_pairs = sum(assertion_ok.values())
    return {
        "documents": len(gold_docs),
        "exact": exact.as_dict(),
        "overlap": overlap.as_dict(),
        "by_type": {t: {m: prf.as_dict() for m, prf in v.items()}
                    for t, v in sorted(by_type.items())},
        "assertion_accuracy": round(assertion_ok[True] / n_pairs, 4) if n_pairs else 0.0,
        "assertion_pairs": n_pairs,
        "assertion_confusion": {f"{g}->{p}": n for (g, p), n in sorted(confusion.items())
                                if g != p},
        "section_accuracy": round(section_ok[True] / sum(section_ok.values()), 4)
        if section_ok else 0.0,
        "medication_attributes_overlap": {a: prf.as_dict() for a, prf in attr_prf.items()
                                          if prf.tp + prf.fn + prf.fp},
    }
