"""A drug or lab name followed by a harm or course noun names a problem: "opioid withdrawal",
"acetaminophen overdose", "lithium toxicity", "alcohol use disorder", "paclitaxel infusion
reaction", "QTc prolongation", "Cr bump", "eGFR decline", "potassium depletion".

The vocabularies match the drug or the test and stop there, so the note's problem came out
as a MEDICATION or a TEST (or nothing, for a social-history substance). The annotation
guideline labels the whole phrase as one PROBLEM. The head nouns are the ways a substance or a
measured value becomes a problem; the one before them must be a MEDICATION or TEST hit, joined
by spaces or one hyphen ("amio-toxicity"), never by a dash with spaces ("vancomycin - infusion
reaction" is a list of a drug and its reaction). Left out: "elevation" ("ST elevation" is an
ECG reading), "intolerance" (allergy lists: "doxy intolerance" is the allergen).
"""

from __future__ import annotations

import re

from agent.nlp.lexicon import LexiconHit

PROBLEM_HEAD_SOURCE = "drug-or-test-problem-head"

_HEAD = re.compile(
    r"(?:[ \t]+|-)(?:use[ \t]+disorders?|withdrawal|overdoses?|toxicity|neurotoxicity|"
    r"nephrotoxicity|hepatotoxicity|ototoxicity|cardiotoxicity|intoxication|poisoning|"
    r"(?:infusion[ \t]+)?reactions?|misuse|abuse|dependence|side[ \t-]effects?|"
    r"discontinuation[ \t]+syndrome|prolongation|bump|leak|decline|depletion)\b",
    re.IGNORECASE)
_AGENT_LABELS = frozenset({"MEDICATION", "TEST"})
# Recreational substances: no vocabulary hit of their own (social history is not a
# medication, agent.nlp.entities), yet "alcohol withdrawal" and "cannabis use disorder" are
# problems.
SUBSTANCE_WORDS = frozenset({
    "alcohol", "ethanol", "etoh", "marijuana", "cannabis", "cocaine", "crack cocaine",
    "heroin", "methamphetamine", "methamphetamines", "tobacco", "cigarettes", "nicotine",
})
_SUBSTANCE = re.compile(
    r"(?<![\w-])(?:" + "|".join(sorted((re.escape(w) for w in SUBSTANCE_WORDS),
                                        key=len, reverse=True)) + r")(?![\w-])",
    re.IGNORECASE)


def with_problem_heads(text: str, hits: list[LexiconHit]) -> list[LexiconHit]:
    """Hits in offset order, a drug or test hit followed by a problem head widened into one
    PROBLEM hit over both (its canonical is the phrase as written, lower case)."""
    occupied = [(h.start, h.end) for h in hits]
    substances = [LexiconHit(m.start(), m.end(), "MEDICATION", m.group(0).lower(),
                             PROBLEM_HEAD_SOURCE)
                  for m in _SUBSTANCE.finditer(text) if _HEAD.match(text, m.end())
                  and not any(a < m.end() and m.start() < b for a, b in occupied)]
    if substances:
        hits = sorted(hits + substances, key=lambda h: h.start)
    out: list[LexiconHit] = []
    covered_to = -1
    for i, hit in enumerate(hits):
        if hit.end <= covered_to:
            # A hit inside a widened head ("infusion" of "infusion reaction") is part of it.
            continue
        head = _HEAD.match(text, hit.end) if hit.label in _AGENT_LABELS else None
        if head is not None and any(h.start < head.end() < h.end for h in hits[i + 1:i + 4]):
            head = None  # the head word begins a longer match of its own
        if head is None:
            out.append(hit)
            continue
        covered_to = head.end()
        out.append(LexiconHit(hit.start, head.end(), "PROBLEM",
                              text[hit.start:head.end()].lower(), PROBLEM_HEAD_SOURCE))
    return out
