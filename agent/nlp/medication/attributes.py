"""Medication attributes (strength, dose, route, frequency...) linked to each drug mention.

:func:`find_medication_attributes` takes the note text and the drug spans found by the entity
extractor and returns, per drug, a dict ``attribute name -> Attribute`` whose offsets point
into the note (``text[a.start:a.end] == a.text`` always). The vocabulary is data
(``rules/medication_attributes.json``, see :mod:`agent.nlp.medication.lexicon`), matches are
found by :mod:`agent.nlp.medication.matches`; this module decides which drug owns each match.

The spans follow the annotation guideline of the demo corpus
(``evals/data/synthetic/GUIDELINES.md``, n2c2 2018 style). What each attribute covers
(span -> ``value``):

- ``strength``: a number with a mass, mEq, % or concentration unit, unit inside the span:
  "25mg" -> "25 mg", "5 mg/5 mL", "100 units/mL", "0.5 mg/kg", "12 g/m2", "60 mg/day",
  "21 mg/24 h", "250/50 mcg", "1:10,000"; it stays a strength when it is the amount given
  ("furosemide 40 mg IV"). A number or combination without a unit right after the name,
  followed by another attribute or the end of the instruction ("aspirin 81 daily",
  "carbidopa-levodopa 25/100 1 tab"), is a strength too. Both ends with a unit make one
  span ("300 mg to 600 mg", "2 mg-0.5 mg"). An amount restated in brackets ("15 mg/kg
  (118 mg)", "79 mg (10 mg/kg)") is the same dose: the absolute amount is the strength.
- ``dose``: the NUMBER alone of an amount counted in units, volumes, administration units or
  dosage forms, or given as a rate per minute or hour: "20 units" -> "20", "2 L", "2 puffs",
  "One (1) Tablet" -> "1", "1-2 tabs" -> "1-2", "0.05 mcg/kg/min" -> "0.05". A rate on a
  patch ("fentanyl 25 mcg/hr patch") is the patch strength instead.
- ``unit``: the unit word after a dose number: "units", "units/kg/h", "mg/h", "mL", "puffs",
  "drop", "inhalation". Strengths carry no separate unit.
- ``form``: dosage form: "tablet", "tabs" (also when counted: "1 [tablet]"), capsule, patch,
  inhaler, "HFA", "nebs", "pen", cream, "drip", "gtt", "infusion"...
- ``route``: oral, IV, IM, subcutaneous ("SQ", "under the skin", "via pump"), SL, PR, inhaled,
  topical, transdermal... "IV bolus" reports "IV".
- ``frequency``: BID, TID, QID, DAILY, QHS, Q6H, Q4-6H, QOD, WEEKLY, AC/HS; "x1" -> ONCE and
  "x2" / "x 3 doses" -> a number of doses ("2 DOSES"), not a duration, unless a schedule
  precedes it ("q12h x 3 doses": the count bounds the course and is the duration).
- ``duration``: how long, cue included: "x 5 days", "for 2 weeks", "to complete 72 h",
  "through 3/20", "5-day course", "until follow-up", value the length ("5 days"); "chronic" /
  "long-term" count when written before the drug ("chronic lithium therapy"). Not a
  duration: a latency, "after 23 months of X" / "following a short course of X" (the time
  to an event, the drug may go on), and an administration time, "infused over 2 hours" /
  "IV over 30 min" (how long one dose runs; "over 3 days" stays a duration).
- ``prn``: "prn", "as needed" -> "true".
- ``indication``: the phrase after "for", "prn" or "as needed for" ("prn nausea" -> "nausea"),
  or a short phrase ending a sig line right after its frequency ("take 1 tablet by mouth
  twice a day atrial fibrillation").

Scope: a drug owns the attributes written after it up to the next drug, the end of the
sentence, a semicolon, a line break that starts a new list item, or a boundary word ("Disp",
"then", "stopped");
attributes must follow each other closely (at most ``MAX_GAP_WORDS`` other words between
them), which keeps prose from lending a lab value to a drug. Attributes written just before
the drug ("oral prednisone", "25 mg of metoprolol", "a single 200 mg intravenous dose of X")
are taken when only connector words separate them from the drug; they win over later ones.
A drug followed by a bracketed alias ("Furosemide (Lasix) 40 mg") shares its attributes with
the alias.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import replace

from agent.nlp.medication.lexicon import MedicationLexicon, default_lexicon
from agent.nlp.medication.matches import Candidate, find_candidates
from agent.schemas.extraction import MEDICATION_ATTRIBUTES, Attribute

MAX_GAP_WORDS = 4
MAX_BACKWARD_CHARS = 80
MAX_FORWARD_CHARS = 250
MAX_INDICATION_WORDS = 6

_DOSES = " DOSES"  # value suffix of a number of doses ("x2" -> "2 DOSES"), see the rules file
_VOLUME_UNITS = frozenset({"mL", "L", "tsp", "tbsp"})
_BACKWARD_ATTRIBUTES = frozenset({"strength", "dose", "route", "form", "frequency", "duration"})
# Where an attribute's scope ends (not a sentence splitter: the nearest stop after a drug
# name, searched on raw text as the attribute finder walks it; the note's sentences are
# agent/nlp/layout.py's).
_SCOPE_PERIOD = (
    r"(?<![A-Za-z]\.[A-Za-z])[.!?](?=[ \t]*(?:\r?\n|$)|\s+[A-Z0-9(\[\u2022*-])"
)
# A line break ends a scope when the next line starts a list item or a new capitalised line;
# a lower-case continuation is a wrapped line of the same instruction.
_LINE_BREAK = r"\n(?=[ \t]*(?:\r?\n|[-*#>\u2022\u00b7\u25aa]|\d{1,3}[.)][ \t]|[A-Z]|$))"
# A semicolon separates list items and clauses ("heparin drip; start apixaban", "allopurinol;
# monitor for gout flare"); no instruction continues across one.
_STOPS = re.compile(f"{_SCOPE_PERIOD}|{_LINE_BREAK}|;")
# The words of a dose phrase at the end of a gap: "at a cumulative dose of", or its head
# when a frequency word cuts it ("at a total [daily] dosage of").
_DOSE_PHRASE = re.compile(
    r"(?<![A-Za-z])(?:(?:at|to|in|with|of|reaching|reached)\s+)?(?:(?:a|an|the)\s+)?"
    r"(?P<qualifier>(?:(?:total|cumulative|maximum|maximal|mean|median|starting|initial|"
    r"maintenance|loading|single|estimated)\s+)+)?(?P<noun>(?:dose|dosage)s?\s+(?:of\s+)?)?"
    r"[ \t]*$", re.IGNORECASE)
_BRACKET_OPEN = re.compile(r"[ \t]*[(\[][ \t]*")
_PER_BODY = re.compile(r"/(?:kg|m2)\b")  # weight- or surface-based amount values
_ALIAS_OPEN = re.compile(r"[ \t]*[(\[][ \t]*")
_ALIAS_CLOSE = re.compile(r"[ \t]*[)\]]")
_WORD = re.compile(r"[A-Za-z0-9]+")
_INDICATION_LEAD = re.compile(r"[ \t]*:?[ \t]*(?:(?:a|an|the)[ \t]+)?", re.IGNORECASE)
_INDICATION_TOKEN = re.compile(r"[ \t]*([A-Za-z0-9][A-Za-z0-9'/+\-]*)")
_INDICATION_TRAILING = frozenset({"and", "or", "of", "&"})
# A sig line may end with the indication and no cue ("take 1 tablet by mouth twice a day
# atrial fibrillation"): up to MAX_TRAILING_INDICATION_WORDS plain words after the frequency
# or prn, running to the end of the line or sentence.
MAX_TRAILING_INDICATION_WORDS = 4
_TRAILING_INDICATION = re.compile(
    r"[ \t]+([A-Za-z][A-Za-z'\-]*(?:[ \t]+[A-Za-z][A-Za-z'\-]*)*)[ \t]*(?=[.;]?[ \t]*(?:\r?\n|$))"
)


def find_medication_attributes(
    text: str,
    drug_spans: Sequence[tuple[int, int]],
    *,
    lexicon: MedicationLexicon | None = None,
) -> list[dict[str, Attribute]]:
    """Find the attributes written around each drug mention.

    Args:
        text: the full note text.
        drug_spans: ``(start, end)`` character offsets of the drug mentions, end exclusive.
        lexicon: a compiled lexicon; the shipped one when None.

    Returns:
        One dict per drug span, in the order given, mapping attribute names (a subset of
        ``MEDICATION_ATTRIBUTES``) to :class:`Attribute` objects with offsets into ``text``.

    Raises:
        ValueError: a span lies outside ``text`` or ends before it starts.
        RuleFileError: the shipped lexicon is invalid (first call only).
    """
    for start, end in drug_spans:
        if not 0 <= start <= end <= len(text):
            raise ValueError(f"drug span ({start}, {end}) is outside a text of {len(text)} chars")
    if not drug_spans:
        return []
    lexicon = lexicon or default_lexicon()
    order = sorted(range(len(drug_spans)), key=lambda i: tuple(drug_spans[i]))
    spans = [tuple(drug_spans[i]) for i in order]
    found = _link(text, spans, lexicon)
    results: list[dict[str, Attribute]] = [{} for _ in drug_spans]
    for position, original in enumerate(order):
        results[original] = found[position]
    return results


def _link(
    text: str, spans: list[tuple[int, int]], lexicon: MedicationLexicon
) -> list[dict[str, Attribute]]:
    stops = [m.start() for m in _STOPS.finditer(text)]
    n = len(spans)
    alias_end = [0] * n  # > 0 where span k is a bracketed alias of span k - 1
    for k in range(1, n):
        between = _ALIAS_OPEN.fullmatch(text, spans[k - 1][1], spans[k][0])
        close = _ALIAS_CLOSE.match(text, spans[k][1])
        if between and close:
            alias_end[k] = close.end()
    forward_start = [max(spans[k][1], alias_end[k + 1] if k + 1 < n else 0) for k in range(n)]
    back_start, forward_end = [], []
    for k, (start, _) in enumerate(spans):
        previous_end = forward_start[k - 1] if k else 0
        stop = bisect_left(stops, start)
        back_start.append(max(previous_end if k else 0, stops[stop - 1] + 1 if stop else 0,
                              start - MAX_BACKWARD_CHARS))
        nxt = k + 1
        while nxt < n and alias_end[nxt]:
            nxt += 1
        limit = spans[nxt][0] if nxt < n else len(text)
        stop = bisect_left(stops, forward_start[k])
        if stop < len(stops):
            limit = min(limit, stops[stop])
        forward_end.append(max(forward_start[k], min(limit, forward_start[k] + MAX_FORWARD_CHARS)))
    regions = _merge([(back_start[k], forward_end[k]) for k in range(n)])
    candidates = find_candidates(text, regions, lexicon)
    starts = [c.start for c in candidates]

    chains: list[list[Candidate]] = []
    for k in range(n):
        previous_end = forward_start[k - 1] if k else None
        chains.append([] if alias_end[k] else _backward_chain(
            text, candidates, starts, back_start[k], spans[k][0], previous_end, lexicon))
    results = []
    for k in range(n):
        if alias_end[k]:
            results.append(dict(results[-1]))
            continue
        end = forward_end[k]
        nxt = k + 1
        while nxt < n and alias_end[nxt]:
            nxt += 1
        if nxt < n and chains[nxt]:
            end = min(end, min(c.lead for c in chains[nxt]))
        chosen: dict[str, Candidate] = {}
        for candidate in chains[k]:
            chosen.setdefault(candidate.attribute, candidate)
        extras = _forward(text, candidates, starts, forward_start[k], end, chosen, lexicon)
        results.append(_attributes(text, chosen, extras))
    return results


def _merge(regions: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(regions):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged



def _backward_chain(
    text: str, candidates: list[Candidate], starts: list[int], lo: int, hi: int,
    previous_end: int | None, lexicon: MedicationLexicon,
) -> list[Candidate]:
    """Attributes written right before the drug, closest first."""
    chain: list[Candidate] = []
    left = hi
    for c in reversed(candidates[bisect_left(starts, lo):bisect_left(starts, hi)]):
        if c.end > left:
            continue
        if c.attribute not in _BACKWARD_ATTRIBUTES or not c.is_backward:
            break
        if not lexicon.connector_gap.fullmatch(text, c.end, left):
            break
        chain.append(c)
        left = c.lead
    # With another drug just before and nothing but the chain in between, the matches are
    # that drug's trailing attributes ("metoprolol 25 mg BID lisinopril").
    if chain and previous_end is not None and previous_end >= lo:
        if not text[previous_end:left].strip(" \t-"):
            return []
    return chain


def _forward(
    text: str, candidates: list[Candidate], starts: list[int], lo: int, hi: int,
    chosen: dict[str, Candidate], lexicon: MedicationLexicon,
) -> dict[str, tuple[int, int, str]]:
    """Fill ``chosen`` with the attributes after the drug; return phrase attributes."""
    extras: dict[str, tuple[int, int, str]] = {}
    anchor = lo
    taken: Candidate | None = None  # the last attribute taken
    first = bisect_left(starts, lo)
    last = bisect_right(starts, hi)
    for index in range(first, last):
        c = candidates[index]
        if c.end > hi:
            break
        if not c.is_forward or c.lead < lo:
            continue
        if c.is_bare and not _is_bare_strength(text, candidates, index, lo, hi, chosen):
            continue
        if c.lead > anchor and _gap_words(text, anchor, c.lead) > MAX_GAP_WORDS:
            break
        if c.attribute == "boundary":
            break
        if c.attribute in ("cue", "prn") and "indication" not in extras:
            limit = candidates[index + 1].lead if index + 1 < len(candidates) else hi
            phrase = _indication(text, c.end, min(limit, hi), lexicon)
            if phrase:
                extras["indication"] = phrase
        if c.attribute == "cue":
            anchor = max(anchor, extras["indication"][1] if "indication" in extras else c.end)
            continue
        if c.attribute == "dose" and _is_volume_after_mass(c, chosen):
            continue
        if c.attribute in ("strength", "dose") and _THRESHOLD_BEFORE.search(
                text, max(lo, c.start - 16), c.start):
            # "PJP prophylaxis while prednisone >= 20 mg", "until prednisone below 10 mg":
            # an amount after a comparison is a condition on the dose, not the dose taken.
            break
        if c.attribute == "frequency" and "frequency" in chosen and c.value.endswith(_DOSES):
            # "q12h x 3 doses": after a schedule, a number of doses bounds the course.
            c = replace(c, attribute="duration", value=c.value.lower())
        if c.attribute == "strength" and _is_restated_amount(text, taken, c):
            # "15 mg/kg (118 mg)", "79 mg (10 mg/kg)": the same dose written twice; the
            # absolute amount is the strength and the instruction goes on.
            if _PER_BODY.search(chosen["strength"].value or ""):
                chosen["strength"] = c
            anchor = max(anchor, c.end)
            taken = c
            continue
        if c.attribute in chosen:
            if c.attribute in ("strength", "dose") and c.value != chosen[c.attribute].value:
                break  # a second amount starts another instruction (taper, next drug)
        else:
            chosen[c.attribute] = c
        anchor = max(anchor, c.end, extras["indication"][1] if "indication" in extras else 0)
        taken = c
    if "indication" not in extras and taken is not None and taken.attribute in ("frequency", "prn"):
        phrase = _trailing_indication(text, taken.end, hi, lexicon)
        if phrase:
            extras["indication"] = phrase
    return extras


_THRESHOLD_BEFORE = re.compile(r"(?:[<>≤≥]=?|=>|=<|\b(?:at least|more than|less than|greater "
                               r"than|above|below|under|over|exceeds?|exceeding))\s*$",
                               re.IGNORECASE)


def _gap_words(text: str, lo: int, hi: int) -> int:
    """Words between two attributes; a dose phrase right before the amount ("at a cumulative
    dose of", "to a total dosage of") names the amount and does not count."""
    count = len(_WORD.findall(text, lo, hi))
    if count > MAX_GAP_WORDS:
        phrase = _DOSE_PHRASE.search(text, lo, hi)
        if phrase and (phrase["qualifier"] or phrase["noun"]):
            count = len(_WORD.findall(text, lo, phrase.start()))
    return count


def _is_restated_amount(text: str, taken: Candidate | None, c: Candidate) -> bool:
    """``c`` is an amount in brackets right after the strength just taken, one of the two
    per body weight or surface ("375 mg/m2 (720 mg)")."""
    if taken is None or taken.attribute != "strength" or not _BRACKET_OPEN.fullmatch(
            text, taken.end, c.start):
        return False
    return bool(_PER_BODY.search(taken.value or "")) != bool(_PER_BODY.search(c.value or ""))


def _is_volume_after_mass(c: Candidate, chosen: dict[str, Candidate]) -> bool:
    """After a mass strength the amount is known, so a later volume ("40 mg IV x1 with 900 mL
    UOP") is an output or balance; after a concentration or percentage ("1:10,000 6 mL",
    "100 mg/10 mL ... 10 mL") the volume is the dose."""
    strength = chosen.get("strength")
    if strength is None or c.is_rate or c.unit is None or c.unit_attribute != "unit":
        return False
    if any(mark in (strength.value or "") for mark in ("/", "%", ":")):
        return False
    return c.unit[2] in _VOLUME_UNITS


def _trailing_indication(
    text: str, pos: int, hi: int, lexicon: MedicationLexicon
) -> tuple[int, int, str] | None:
    m = _TRAILING_INDICATION.match(text, pos)
    # The phrase must end the line inside this drug's scope: past ``hi`` lies the next drug.
    if not m or m.end(1) > hi:
        return None
    words = m.group(1).split()
    if len(words) > MAX_TRAILING_INDICATION_WORDS or any(
        lexicon.indication_stop.fullmatch(w.lower()) for w in words
    ):
        return None
    return m.start(1), m.end(1), " ".join(w.lower() for w in words)


def _is_bare_strength(
    text: str, candidates: list[Candidate], index: int, lo: int, hi: int,
    chosen: dict[str, Candidate],
) -> bool:
    """A unit-less number ("ASA 81 daily", "Lasix 40 IV") is a strength only right after the
    name and when an attribute or the end of the instruction follows; "FK 506 levels" is not."""
    c = candidates[index]
    if "strength" in chosen or text[lo:c.start].strip():
        return False
    following = candidates[index + 1] if index + 1 < len(candidates) else None
    if following is not None and following.lead < hi and following.attribute != "cue":
        return not _WORD.search(text, c.end, following.lead)
    return not _WORD.search(text, c.end, hi)


def _indication(
    text: str, pos: int, limit: int, lexicon: MedicationLexicon
) -> tuple[int, int, str] | None:
    lead = _INDICATION_LEAD.match(text, pos, limit)
    i = lead.end() if lead else pos
    tokens: list[tuple[int, int]] = []
    while len(tokens) < MAX_INDICATION_WORDS:
        m = _INDICATION_TOKEN.match(text, i, limit)
        if not m:
            break
        word = m.group(1)
        if lexicon.indication_stop.fullmatch(word.lower()) or (not tokens and word[0].isdigit()):
            break
        tokens.append(m.span(1))
        i = m.end()
    while tokens and text[tokens[-1][0]:tokens[-1][1]].lower() in _INDICATION_TRAILING:
        tokens.pop()
    if not tokens:
        return None
    start, end = tokens[0][0], tokens[-1][1]
    return start, end, " ".join(text[start:end].lower().split())


def _attributes(
    text: str, chosen: dict[str, Candidate], extras: dict[str, tuple[int, int, str]]
) -> dict[str, Attribute]:
    dose = chosen.get("dose")
    form = chosen.get("form")
    if (dose is not None and dose.is_rate and "strength" not in chosen and form is not None
            and form.value == "patch"):
        # "fentanyl 25 mcg/hr patch": the release rate is the patch's strength.
        chosen["strength"] = Candidate("strength", dose.start, dose.end,
                                       f"{dose.value} {dose.unit[2]}", dose.lead)
        del chosen["dose"]
        dose = None
    spans: dict[str, tuple[int, int, str | None]] = {
        name: (*(c.span or (c.start, c.end)), c.value) for name, c in chosen.items()
    }
    if dose is not None and dose.unit is not None:
        # The counted form wins over one written earlier ("5 mg tablet - take 1 [tablet]").
        spans[dose.unit_attribute] = dose.unit
    spans.update(extras)
    return {
        name: Attribute(start=spans[name][0], end=spans[name][1],
                        text=text[spans[name][0]:spans[name][1]], value=spans[name][2])
        for name in MEDICATION_ATTRIBUTES if name in spans
    }
