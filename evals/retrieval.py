"""Retrieval evaluation on the demo corpus: ``python -m evals.retrieval``.

Facts and evidence. A fact is one (patient, entity type, mention text lower-cased) of the
gold entities; its evidence is every gold span of that fact in the patient's notes. A query
is answered at rank r when the r-th hit overlaps any evidence span (same note, character
ranges intersect). Searches are restricted to the fact's patient, as in use.

Queries are built programmatically, in two families, so neither scorer is favoured by
construction alone:

- ``surface``: the mention text in a type template: MEDICATION "<drug> dose", TEST
  "<test> result", ALLERGY "allergy to <allergen>", PROBLEM and PROCEDURE "<text>". These
  share their key word with the evidence, which favours the lexical scorer; the template
  words ("dose", "result") are not taken from the note.
- ``paraphrase``: the same fact named by a vocabulary, never by the note: for problems the
  ICD-10-CM description of the extractor's top code ("HFrEF" -> "systolic heart failure",
  "OSA" -> "obstructive sleep apnea") when the code scores at least ``MIN_CODE_SCORE``,
  with ICD boilerplate ("unspecified", "initial encounter") removed; for drugs the
  canonical ingredient ("Lasix" -> "furosemide dose"); for tests and procedures the code
  display. A paraphrase identical to the mention is
  dropped. These mostly share no token with the evidence, which tests the dense scorer.

The vocabulary names come from the deterministic extractor (run once on the notes and
aligned to gold mentions by overlap); the gold itself is only used for evidence spans.

Reported per mode (dense, lexical, hybrid) and family: recall@1/3/5/10 and MRR (@10).
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from agent.config import Settings
from agent.extract.batch import make_extractor
from agent.indexing import build_index, make_embedder
from evals.run import git_sha
from evals.synthetic import load_gold_entities, load_notes
from retrieval.retriever import Retriever

MODES = ("dense", "lexical", "hybrid")
KS = (1, 3, 5, 10)
MRR_DEPTH = 10
# Only confident codes name a fact: a low-scoring candidate is often another disease
# ("RLL consolidation" -> a lung neoplasm code), which would make the query wrong, not hard.
MIN_CODE_SCORE = 0.85
_PARENTHETICAL = re.compile(r"\([^)]*\)")
_BOILERPLATE = re.compile(
    r",?\s*\b(?:unspecified|initial encounter|without complications|not elsewhere "
    r"classified|other specified|other|site)\b", re.IGNORECASE)
_TEMPLATES = {"MEDICATION": "{} dose", "TEST": "{} result", "ALLERGY": "allergy to {}",
              "PROBLEM": "{}", "PROCEDURE": "{}"}


@dataclass
class Fact:
    """A retrieval question with its evidence spans (note_id, start, end)."""

    patient_id: str
    type: str
    key: str
    evidence: list[tuple[str, int, int]] = field(default_factory=list)
    paraphrase: str | None = None


@dataclass(frozen=True)
class Query:
    """One query of a family, pointing at its fact."""

    family: str
    text: str
    fact: Fact


def first_relevant_rank(hits: Sequence[tuple[str, int, int]],
                        evidence: Sequence[tuple[str, int, int]]) -> int | None:
    """1-based rank of the first hit overlapping an evidence span, None when none does."""
    for rank, (note_id, start, end) in enumerate(hits, start=1):
        for e_note, e_start, e_end in evidence:
            if note_id == e_note and start < e_end and e_start < end:
                return rank
    return None


def recall_at(ranks: Sequence[int | None], k: int) -> float:
    """Share of queries answered within the top ``k``."""
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks) if ranks else 0.0


def mean_reciprocal_rank(ranks: Sequence[int | None], depth: int = MRR_DEPTH) -> float:
    """Mean of 1/rank (0 when unanswered within ``depth``)."""
    if not ranks:
        return 0.0
    return sum(1.0 / r for r in ranks if r is not None and r <= depth) / len(ranks)


def build_facts(notes, gold, extracted) -> list[Fact]:
    """Facts from gold entities; paraphrases from the extractor's vocabulary names.

    Args:
        notes: the corpus notes.
        gold: note_id -> gold entities.
        extracted: note_id -> extracted entities (for codes and canonical names).
    """
    patient_of = {n.note_id: n.patient_id for n in notes}
    facts: dict[tuple[str, str, str], Fact] = {}
    for note in notes:
        preds = extracted.get(note.note_id, [])
        for ent in gold.get(note.note_id, []):
            if ent.type not in _TEMPLATES:
                continue
            key = (patient_of[note.note_id], ent.type, " ".join(ent.text.lower().split()))
            fact = facts.setdefault(key, Fact(*key))
            fact.evidence.append((note.note_id, ent.start, ent.end))
            if fact.paraphrase is None:
                fact.paraphrase = _paraphrase(ent, preds)
    return list(facts.values())


def clean_code_display(display: str) -> str:
    """A code description as a clinician would type it: without classification boilerplate
    ("unspecified", "initial encounter", "without complications", parentheticals)."""
    text = _PARENTHETICAL.sub(" ", display)
    text = _BOILERPLATE.sub(" ", text)
    return " ".join(text.replace(" ,", ",").strip(" ,").split())


def _paraphrase(ent, preds) -> str | None:
    for p in preds:
        if p.start < ent.end and ent.start < p.end:
            name = None
            if ent.type in ("MEDICATION", "ALLERGY"):
                name = p.normalized.get("canonical")
            elif p.codes and p.codes[0].score >= MIN_CODE_SCORE:
                name = clean_code_display(p.codes[0].display)
            if isinstance(name, str) and name.strip() and \
                    name.lower() not in ent.text.lower() and ent.text.lower() not in name.lower():
                return name
    return None


def build_queries(facts: Sequence[Fact]) -> list[Query]:
    """The surface and paraphrase queries of the facts (see the module docstring)."""
    out = []
    for f in facts:
        template = _TEMPLATES[f.type]
        out.append(Query("surface", template.format(f.key), f))
        if f.paraphrase:
            out.append(Query("paraphrase", template.format(f.paraphrase.lower()), f))
    return out


def run_retrieval(*, out: Path | None, settings: Settings, index_dir: Path | None = None,
                  ) -> dict:
    """Index the demo corpus, run every query in every mode, print a table, write JSON.

    Args:
        out: JSON report path (None: do not write).
        settings: retrieval settings.
        index_dir: where to build the index (None: a temporary directory).

    Returns:
        The report dict.
    """
    t0 = time.perf_counter()
    notes = load_notes()
    gold = load_gold_entities()
    extractor = make_extractor(settings)
    extracted = {n.note_id: extractor.extract(n.text) for n in notes}
    facts = build_facts(notes, gold, extracted)
    queries = build_queries(facts)
    embedder = make_embedder(settings.retrieval)
    with tempfile.TemporaryDirectory() as tmp:
        index = build_index(notes, index_dir or Path(tmp) / "index", settings.retrieval,
                            embedder, pipeline=extractor.pipeline)
        retriever = Retriever(index, embedder, rrf_k=settings.retrieval.rrf_k,
                              candidates=settings.retrieval.candidates)
        ranks: dict[str, dict[str, list[int | None]]] = {m: {} for m in MODES}
        for q in queries:
            for mode in MODES:
                hits = retriever.search(q.text, patient_id=q.fact.patient_id,
                                        k=max(KS), mode=mode)
                rank = first_relevant_rank([(h.note_id, h.start, h.end) for h in hits],
                                           q.fact.evidence)
                for fam in (q.family, "all"):
                    ranks[mode].setdefault(fam, []).append(rank)
        chunk_count = index.manifest.chunk_count
    families = ("surface", "paraphrase", "all")
    metrics = {mode: {fam: {**{f"recall@{k}": round(recall_at(ranks[mode][fam], k), 4)
                                for k in KS},
                            "mrr": round(mean_reciprocal_rank(ranks[mode][fam]), 4),
                            "queries": len(ranks[mode][fam])}
                      for fam in families} for mode in MODES}
    report = {
        "git_sha": git_sha(), "embedder_id": embedder.model_id,
        "notes": len(notes), "chunks": chunk_count, "facts": len(facts),
        "queries": {fam: len(ranks["hybrid"][fam]) for fam in families},
        "settings": settings.retrieval.model_dump(mode="json"),
        "metrics": metrics, "seconds": round(time.perf_counter() - t0, 1),
    }
    print(f"retrieval on the demo corpus: {len(notes)} notes, {chunk_count} chunks, "
          f"{len(facts)} facts, queries {report['queries']}")
    print(f"{'family':<11} {'mode':<8} " + " ".join(f"{'R@' + str(k):>6}" for k in KS)
          + f" {'MRR':>6}")
    for fam in families:
        for mode in MODES:
            m = metrics[mode][fam]
            print(f"{fam:<11} {mode:<8} " + " ".join(f"{m[f'recall@{k}']:>6.3f}" for k in KS)
                  + f" {m['mrr']:>6.3f}")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
        print(f"-> {out}")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.retrieval", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("evals/reports/retrieval.json"))
    args = parser.parse_args(argv)
    run_retrieval(out=args.out, settings=Settings())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
