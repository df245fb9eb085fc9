"""Employers and businesses named by the role a person has there, not by a facility word.

Safe Harbor removes the identifiers of a patient's employer as well as the patient's own:
"works at Palmetto Tire & Lube in Easley", "PT IS A WELDER AT UPSTATE FABRICATION",
"retired from Mohawk Valley Wire", "he drives for Brentwood Paving". The phrase after the
employment cue runs to the first function word, punctuation or line end. In mixed-case
lines it must start with a capital (the writer's capitals are evidence there); in one-case
lines (ALL-CAPS nursing notes, lower-case messages) the words decide: a phrase that starts
with an article or a pronoun ("works at the hospital"), a time or place word ("works at
night", "works from home") or a single common English word ("retired from teaching") is
not a name.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from agent.deid.casing import one_case
from agent.nlp.literal_gate import gated
from agent.schemas.deid import PhiSpan

# "works at", "worked for", "employed by", "retired from", "drives for", "a welder at",
# "was a line cook with": a job and the place it is done.
_CUE = gated(
    r"\b(?i:(?:works?|worked|working|employed|retired|drives|volunteers?|volunteered)"
    r"(?:[ \t]+(?:part[- ]time|full[- ]time|seasonally|nights|days))?[ \t]+(?:at|for|from|with|by)"
    r"|(?:is|was|as)[ \t]+an?[ \t]+(?:[a-z]+[ \t]+){0,2}?[a-z]+[ \t]+(?:at|with))[ \t]+")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’.&-]*|&")
# Words that end the phrase: prepositions, conjunctions, verbs of the sentence going on.
_STOP = frozenset({
    "in", "on", "at", "for", "since", "as", "and", "but", "until", "when", "who", "where",
    "to", "from", "near", "off", "x", "call", "cell", "phone", "ph", "is", "was", "has",
    "had", "will", "says", "said", "while", "about", "after", "before", "with",
    "by", "or", "so", "then", "per", "because", "now", "still", "till", "thru", "via"})
# A phrase that begins with one of these is no proper name ("works at the hospital",
# "works at night", "retired from his job").
_NOT_FIRST = frozenset({
    "a", "an", "the", "his", "her", "their", "our", "my", "your", "its", "this", "that",
    "home", "night", "nights", "day", "days", "least", "times", "same", "local", "work",
    "school", "church", "age", "full", "part", "weekends", "one", "two", "several", "some",
    "many", "all", "any", "no", "both", "each", "another", "other", "most"})
_MAX_WORDS = 5


def employers(text: str, *, common: frozenset[str],
              is_clinical: Callable[[str], bool]) -> list[PhiSpan]:
    """Spans of the employers and businesses named after an employment cue in ``text``."""
    out: list[PhiSpan] = []
    # A line's case is judged once, however many cues it holds (a long one-line note).
    line_case: dict[int, bool] = {}
    for cue in _CUE.finditer(text):
        line_start = text.rfind("\n", 0, cue.start()) + 1
        line_end = text.find("\n", cue.end())
        line_end = line_end if line_end != -1 else len(text)
        words: list[re.Match[str]] = []
        for w in _WORD.finditer(text, cue.end(), line_end):
            gap = text[(words[-1].end() if words else cue.end()):w.start()]
            if gap.strip() or w.group().lower() in _STOP or len(words) == _MAX_WORDS:
                break
            words.append(w)
            if w.group()[-1] in ".":
                break  # "Hatch Valley Chile Co." ends the sentence
        while words and (words[-1].group() == "&" or words[-1].group().isdigit()):
            words.pop()  # "X &" cut at the line end, a time after the name ("1100")
        if not words:
            continue
        tokens = [w.group().rstrip(".") for w in words]
        low = [t.lower() for t in tokens]
        if low[0] in _NOT_FIRST or all(is_clinical(t) for t in tokens if t != "&"):
            continue
        if len(tokens) == 1 and (low[0] in common or len(low[0]) < 3):
            continue
        if line_start not in line_case:
            line_case[line_start] = one_case(text[line_start:line_end])
        if not line_case[line_start] and not tokens[0][0].isupper():
            continue
        out.append(PhiSpan(entity_type="HOSPITAL", start=words[0].start(),
                           end=words[-1].start() + len(tokens[-1]), score=0.7,
                           recognizer="employer:role"))
    return out
