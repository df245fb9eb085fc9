"""NCBI disease corpus (development set, PubTator format): PROBLEM mention detection.

An external check of problem recall and precision on text the rules were not written for:
PubMed abstracts, offsets into ``title + " " + abstract``. Every gold mention type
(SpecificDisease, DiseaseClass, Modifier, CompositeMention) counts as a problem. Scored with
the exact and overlap span matching of ``evals/metrics.py``.

    python -m evals.ncbi_disease PATH [LIMIT]
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from agent.errors import InputError
from agent.schemas.extraction import Entity
from evals.metrics import PRF, match_spans


@dataclass
class Abstract:
    """One PubTator document and its gold disease spans."""

    pmid: str
    text: str = ""
    spans: list[tuple[int, int, str]] = field(default_factory=list)


def load(path: Path, limit: int | None = None) -> list[Abstract]:
    """Parse a PubTator file.

    Raises:
        InputError: the file is missing or a line is malformed (names the line).
    """
    if not path.exists():
        raise InputError(str(path), "no such file", fix="Pass the NCBI disease corpus path")
    docs: dict[str, Abstract] = {}
    parts: dict[str, dict[str, str]] = {}
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        if "|t|" in line[:20] or "|a|" in line[:20]:
            pmid, kind, body = line.split("|", 2)
            parts.setdefault(pmid, {})[kind] = body
            docs.setdefault(pmid, Abstract(pmid))
            continue
        cols = line.split("\t")
        if len(cols) < 5 or cols[0] not in docs:
            raise InputError(str(path), "not a PubTator title, abstract or annotation line",
                             line=lineno)
        docs[cols[0]].spans.append((int(cols[1]), int(cols[2]), "PROBLEM"))
    out = []
    for pmid, doc in docs.items():
        doc.text = parts[pmid].get("t", "") + " " + parts[pmid].get("a", "")
        out.append(doc)
    return out[:limit] if limit else out


def run(extract_fn: Callable[[str], list[Entity]], path: Path,
        limit: int | None = None) -> dict[str, object]:
    """Score PROBLEM entities against the gold disease mentions.

    Returns:
        ``{"documents", "gold_mentions", "exact": PRF, "overlap": PRF}``.
    """
    docs = load(path, limit)
    exact, overlap = PRF(), PRF()
    for doc in docs:
        pred = [(e.start, e.end, "PROBLEM") for e in extract_fn(doc.text) if e.type == "PROBLEM"]
        exact.add(match_spans(doc.spans, pred, mode="exact"))
        overlap.add(match_spans(doc.spans, pred, mode="overlap"))
    return {"documents": len(docs), "gold_mentions": sum(len(d.spans) for d in docs),
            "exact": exact.as_dict(), "overlap": overlap.as_dict()}


if __name__ == "__main__":
    from agent.nlp.entities import EntityExtractor

    args = sys.argv[1:]
    if not args:
        sys.exit("usage: python -m evals.ncbi_disease PATH [LIMIT]  "
                 "(PATH: <data-dir>/ncbi-disease/NCBIdevelopset_corpus.txt)")
    result = run(EntityExtractor().extract, Path(args[0]),
                 int(args[1]) if len(args) > 1 else None)
    print(result)
