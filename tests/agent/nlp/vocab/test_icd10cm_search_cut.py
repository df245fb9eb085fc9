"""The ICD-10-CM search's fast candidate cut and scoring give the straightforward result."""

from __future__ import annotations

import heapq
import random

from agent.nlp.vocab import icd10cm as coder


def _reference(index, query, core_weights):
    """_search as first written: heapq.nsmallest over every candidate, generator sums."""
    q = list(dict.fromkeys(query))
    weights = {s: index.weight(s) for s in q}
    total = sum(weights.values())
    postings = index.postings
    present = [s for s in q if s in postings and weights[s] > 0.0]
    if total <= 0.0 or not present:
        return []
    rare = [s for s in present if len(postings[s]) <= coder.COMMON_DF] or [
        min(present, key=lambda s: len(postings[s]))]
    acc: dict[int, float] = {}
    for s in rare:
        for t_id in postings[s]:
            acc[t_id] = acc.get(t_id, 0.0) + weights[s]
    if len(acc) > coder.MAX_CANDIDATES:
        acc = dict(heapq.nsmallest(coder.MAX_CANDIDATES, acc.items(),
                                   key=lambda kv: (-kv[1], core_weights[kv[0]])))
    out = []
    for t_id in acc:
        term = index.terms[t_id]
        core_hit = sum(weights[s] for s in q if s in term.core)
        opt_hit = sum(weights[s] for s in q if s in term.optional)
        if core_hit <= 0.0:
            continue
        precision = core_hit / term.core_weight if term.core_weight > 0 else 1.0
        score = ((core_hit + opt_hit) / total) ** coder.RECALL_EXP * min(
            precision, 1.0) ** coder.PRECISION_EXP
        if term.source != coder.SOURCE_DESCRIPTION:
            score *= 0.99
        out.append((term.code, score))
    return out


def test_search_matches_the_reference_on_random_queries():
    res = coder._resources()
    # Common stems too, so that many queries go through the candidate cut.
    words = sorted(s for s in res.index.postings if res.index.weight(s) > 0)
    common = sorted(res.index.postings, key=lambda s: -len(res.index.postings[s]))[:200]
    rng = random.Random(11)
    cut = 0
    for _ in range(300):
        query = rng.sample(words, rng.randint(1, 3)) + rng.sample(common, rng.randint(0, 2))
        cut += sum(len(res.index.postings.get(s, ())) for s in query) > coder.MAX_CANDIDATES
        assert coder._search(res.index, query, res.core_weights) == _reference(
            res.index, query, res.core_weights), query
    assert cut > 50


def test_a_repeated_mention_is_ranked_once_and_each_caller_gets_its_own_codes():
    from agent.nlp.vocab.icd10cm import ProblemCoder, _code_cached

    coder = ProblemCoder()
    first = coder.code("community acquired pneumonia", k=3)
    hits = _code_cached.cache_info().hits
    second = coder.code("community acquired pneumonia", k=3)
    assert _code_cached.cache_info().hits == hits + 1
    assert [c.model_dump() for c in first] == [c.model_dump() for c in second]
    first[0].score = 0.0  # a caller changing its copy changes nobody else's
    assert coder.code("community acquired pneumonia", k=3)[0].score == second[0].score > 0
