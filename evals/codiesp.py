"""CodiEsp coding evaluation: ICD-10-CM and ICD-10-PCS recall@k of extracted entities.

CodiEsp (Miranda-Escalada et al., CLEF eHealth 2020) gives clinical case reports with the
codes a coder assigned to each document. The English folder holds machine translations of
the Spanish reports, so the Spanish mention offsets of trainX.tsv do not apply; the
evaluation is therefore document-level: a gold code counts as found when any PROBLEM
(PROCEDURE) entity extracted from the document ranks it within its top k candidates.

Layout expected under ``data_dir``: ``text_files_en/<doc>.txt``, ``trainD.tsv`` and
``trainP.tsv`` (``doc<TAB>code``, lower-case codes).

Run the development baseline (MeSH dictionary matcher + ProblemCoder) with
``python -m evals.codiesp DATA_DIR/codiesp/train [limit]``.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from agent.errors import InputError
from agent.schemas.extraction import Entity
from evals.metrics import average_precision, merge_ranked, recall_at_k

ExtractFn = Callable[[str], list[Entity]]

# CodiEsp gold codes leave out the 7th-character encounter extension (W19.XXX for
# W19.XXXA), so a predicted code whose title names the encounter is compared without it.
_ENCOUNTER_TITLE = re.compile(r"initial encounter|subsequent encounter|sequela", re.I)


@dataclass
class CodiespDoc:
    """One case report with its gold codes (upper case, deduplicated, file order)."""

    doc_id: str
    text: str
    diagnoses: list[str] = field(default_factory=list)
    procedures: list[str] = field(default_factory=list)


def _read_gold(path: Path) -> dict[str, list[str]]:
    if not path.is_file():
        raise InputError(str(path), "gold file not found",
                         fix="point data_dir at the CodiEsp 'train' (or dev/test) folder")
    gold: dict[str, list[str]] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) < 2:
            raise InputError(str(path), "expected 'doc<TAB>code'", line=n)
        codes = gold.setdefault(parts[0].strip(), [])
        code = parts[1].strip().upper()
        if code not in codes:
            codes.append(code)
    return gold


def load(data_dir: str | Path, limit: int | None = None) -> list[CodiespDoc]:
    """Load CodiEsp English documents and their gold codes.

    Args:
        data_dir: folder holding ``text_files_en/``, ``trainD.tsv`` and ``trainP.tsv``
            (the ``trainD``/``devD``/``testD`` prefix is found from the folder content).
        limit: keep only the first ``limit`` documents (sorted by id).

    Returns:
        Documents sorted by id.

    Raises:
        InputError: the folder or a gold file is missing or malformed.
    """
    root = Path(data_dir)
    text_dir = root / "text_files_en"
    if not text_dir.is_dir():
        raise InputError(str(text_dir), "folder not found",
                         fix="point data_dir at a CodiEsp split folder with text_files_en/")
    d_files = sorted(root.glob("*D.tsv"))
    p_files = sorted(root.glob("*P.tsv"))
    if not d_files:
        raise InputError(str(root), "no *D.tsv gold file", fix="expected e.g. trainD.tsv")
    diagnoses = _read_gold(d_files[0])
    procedures = _read_gold(p_files[0]) if p_files else {}
    docs: list[CodiespDoc] = []
    for path in sorted(text_dir.glob("*.txt")):
        if limit is not None and len(docs) >= limit:
            break
        doc_id = path.stem
        docs.append(CodiespDoc(doc_id, path.read_text(encoding="utf-8"),
                               diagnoses.get(doc_id, []), procedures.get(doc_id, [])))
    return docs


def gold_form(code: str, display: str) -> str:
    """The code as CodiEsp writes gold: upper case, without a 7th-character encounter
    extension when the code's title names the encounter."""
    code = code.upper()
    if _ENCOUNTER_TITLE.search(display) and len(code.replace(".", "")) == 7:
        return code[:-1]
    return code


def _ranked_lists(entities: Sequence[Entity], entity_type: str, system: str) -> list[list[str]]:
    return [
        [gold_form(c.code, c.display) for c in e.codes if c.system == system]
        for e in entities if e.type == entity_type
    ]


def _category(code: str) -> str:
    return code.replace(".", "")[:3]


@dataclass
class _Tally:
    """Sums of found gold codes (micro-average over gold codes)."""

    gold: int = 0
    hits: dict[str, float] = field(default_factory=dict)
    docs: int = 0
    ap_sum: float = 0.0

    def add(self, ranked: list[list[str]], gold: list[str], ks: Sequence[int]) -> None:
        if not gold:
            return
        self.gold += len(gold)
        for k in ks:
            key = f"recall@{k}"
            self.hits[key] = self.hits.get(key, 0.0) + recall_at_k(ranked, gold, k) * len(gold)
        # MAP: the mentions' candidates merged into one document ranking.
        self.docs += 1
        self.ap_sum += average_precision(merge_ranked(ranked), gold)

    def report(self) -> dict[str, float | int]:
        out: dict[str, float | int] = {"gold_codes": self.gold}
        for key, hit in self.hits.items():
            out[key] = round(hit / self.gold, 4) if self.gold else 0.0
        out["map"] = round(self.ap_sum / self.docs, 4) if self.docs else 0.0
        return out


def score(docs: Sequence[CodiespDoc], entities: Sequence[Sequence[Entity]]) -> dict:
    """Score extracted entities against gold codes.

    Args:
        docs: the documents.
        entities: the extracted entities of each document, in the same order.

    Returns:
        Metrics: ICD-10-CM recall@1/@5 and MAP (per-mention candidates merged into one
        ranking per document, round robin) at code and 3-character category level, ICD-10-PCS
        recall@5 over all gold codes and over Medical and Surgical (section 0) gold codes,
        and the number of documents. Recall is micro-averaged over gold codes.
    """
    cm, cm_cat, pcs, pcs_0 = _Tally(), _Tally(), _Tally(), _Tally()
    for doc, ents in zip(docs, entities, strict=True):
        problems = _ranked_lists(ents, "PROBLEM", "ICD-10-CM")
        cm.add(problems, doc.diagnoses, (1, 5))
        cat_ranked = [list(dict.fromkeys(_category(c) for c in cands)) for cands in problems]
        cm_cat.add(cat_ranked, list(dict.fromkeys(_category(c) for c in doc.diagnoses)), (1, 5))
        procs = _ranked_lists(ents, "PROCEDURE", "ICD-10-PCS")
        pcs.add(procs, doc.procedures, (5,))
        pcs_0.add(procs, [c for c in doc.procedures if c.startswith("0")], (5,))
    return {
        "docs": len(docs),
        "icd10cm": cm.report(),
        "icd10cm_category": cm_cat.report(),
        "icd10pcs": pcs.report(),
        "icd10pcs_section0": pcs_0.report(),
    }


def run(extract_fn: ExtractFn, data_dir: str | Path, limit: int | None = None) -> dict:
    """Extract entities from every CodiEsp document and score their codes.

    Args:
        extract_fn: ``text -> list[Entity]``; entities carry ranked ``codes``.
        data_dir: CodiEsp split folder (see :func:`load`).
        limit: evaluate only the first ``limit`` documents.

    Returns:
        The metrics of :func:`score` plus ``seconds`` (extraction wall time).

    Raises:
        InputError: the data folder is missing or malformed.
    """
    docs = load(data_dir, limit)
    t0 = time.perf_counter()
    extracted = [extract_fn(doc.text) for doc in docs]
    report = score(docs, extracted)
    report["seconds"] = round(time.perf_counter() - t0, 2)
    return report


if __name__ == "__main__":
    # Development baseline only: the product extractor is agent.nlp.entities.
    import ahocorasick

    from agent.nlp.vocab.diseases import disease_lexicon
    from agent.nlp.vocab.icd10cm import ProblemCoder

    coder = ProblemCoder()
    t_load = time.perf_counter()
    coder.load()
    automaton = ahocorasick.Automaton()
    for variant in disease_lexicon():
        if len(variant) > 2:
            automaton.add_word(variant, len(variant))
    automaton.make_automaton()
    load_s = time.perf_counter() - t_load
    cache: dict[str, list] = {}
    n_coded = 0
    t_code = 0.0

    def dev_extract(text: str) -> list[Entity]:
        global n_coded, t_code
        low = text.lower()
        hits = []
        for end, length in automaton.iter(low):
            start = end - length + 1
            if (start > 0 and low[start - 1].isalnum()) or (
                    end + 1 < len(low) and low[end + 1].isalnum()):
                continue
            hits.append((start, end + 1))
        hits.sort(key=lambda h: (-(h[1] - h[0]), h[0]))
        taken: list[tuple[int, int]] = []
        for s, e in hits:
            if all(e <= ts or s >= te for ts, te in taken):
                taken.append((s, e))
        out = []
        for s, e in sorted(taken):
            mention = text[s:e]
            key = mention.lower()
            if key not in cache:
                t = time.perf_counter()
                cache[key] = coder.code(mention, k=5)
                t_code += time.perf_counter() - t
                n_coded += 1
            out.append(Entity(start=s, end=e, text=mention, type="PROBLEM", codes=cache[key]))
        return out

    if len(sys.argv) < 2:
        sys.exit("usage: python -m evals.codiesp <data-dir>/codiesp/train [LIMIT]")
    data = sys.argv[1]
    lim = int(sys.argv[2]) if len(sys.argv) > 2 else None
    result = run(dev_extract, data, lim)
    result["load_seconds"] = round(load_s, 2)
    result["ms_per_distinct_mention"] = round(1000 * t_code / max(n_coded, 1), 2)
    result["distinct_mentions"] = n_coded
    print(json.dumps(result, indent=2))
