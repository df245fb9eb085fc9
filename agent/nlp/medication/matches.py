"""Find every medication attribute match in parts of a note, before linking them to drugs.

A :class:`Candidate` is one match of the lexicon (:mod:`agent.nlp.medication.lexicon`) or of
the structural grammar built from it: strengths ("25 mg", "0.5 mg/kg/day", "250/50 mcg",
"1:10,000"), doses ("2 tabs", "20 units", "8 mg/h", "25 mL"), durations ("x 7 days"), bare
numbers, indication cues and scope boundaries. Overlaps are resolved here (longest match
first), so the linker sees disjoint matches.

Amounts follow the demo corpus guideline (n2c2 2018 style): a mass, mEq, % or concentration
amount is a ``strength`` and keeps its unit inside ("25 mg", "100 units/mL", "21 mg/24 h");
an amount counted in units, volumes or dosage forms, or given as a rate per minute or hour
("0.05 mcg/kg/min"), is a ``dose`` whose reported span is the number alone, with the unit
word reported as ``unit`` ("20 [units]", "2 [puffs]", "8 [mg/h]") or, for dosage forms, as
``form`` ("1 [tablet]").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from string import Formatter

from agent.nlp.first_chars import compile_skipping
from agent.nlp.medication.lexicon import MedicationLexicon

# Tie-break between overlapping matches of equal length.
_PRIORITY = {
    name: rank for rank, name in enumerate(
        ("strength", "dose", "duration", "frequency", "route", "form", "prn", "cue", "boundary")
    )
}
# A length followed by these words is a treatment course ("a 7-day course", "10-day supply",
# "a 2-week trial", "over a 3-week period");
# the word is part of the duration span, as the cue is ("x 5 days").
_COURSE_WORDS = r"course|supply|regimen|taper|period|trial"
# Per minute or per hour is an infusion rate: the amount given, not a product strength.
# "mg/day" stays a strength (a daily total), and "mg/24 h" (a patch) names its own period.
_RATE_TIME_UNITS = frozenset({"minute", "hour"})
# Combination products: "25/100", "250/50 mcg"; three parts for triple inhalers.
_COMBINATION = r"\d+(?:\.\d+)?(?:/\d+(?:\.\d+)?){1,2}"
# Dilutions ("epinephrine 1:10,000"); at least 1:100 so that ratios such as an insulin-to-carb
# "ICR 1:10" are not read as strengths.
_RATIO = r"(?<![\d:])1:(?:\d{1,3}(?:,\d{3})+|\d{3,})(?![\d,])"
# A bare combination right after a name must not read like a date ("warfarin 3/15"): one part
# above 31 or the first above 12.
_DATE_LIKE = re.compile(r"(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01])(?:/\d{2,4})?")
# Before a drug, "3 weeks of (oral) ciprofloxacin" is how long it was taken; "within 3 days
# of" and "16 months of age" are not.
_LENGTH_OF = r"(?=\s+(?:of|treatment|therapy)\b)(?!\s+of\s+age\b)"
# ... but "after 23 months of X", "following a short course of X", "at 6 weeks of therapy"
# give the time from the start of the drug to an event (a latency: the drug may go on), not
# how long it was given; "during the second month of X" and "completed 3 weeks of X" are the
# course. The lead is searched in the few words before the length.
_ELAPSED_LEAD = re.compile(
    r"(?<![A-Za-z])(?:after|following|within|at|by)\s+"
    r"(?:(?:a|an|the|his|her|their|its|about|approximately|approx\.|nearly|almost|only|just|"
    r"over|some|more\s+than|less\s+than|~)\s*)*$", re.IGNORECASE)
_OF_FOLLOWS = re.compile(r"\s+(?:of|treatment|therapy)\b", re.IGNORECASE)
_ELAPSED_LOOKBACK = 40
# "infused over 2 hours", "IV over 30 min": the time one administration takes, not the
# length of the course; "over 3 days", "over the next 48 h" stay durations.
_ADMINISTRATION_CUE = re.compile(
    r"over(?:\s+(?:approximately|approx\.?|about|around|~))?", re.IGNORECASE)
_ADMINISTRATION_UNITS = frozenset({"minute", "hour"})


@dataclass(slots=True)
class Candidate:
    """One match: ``attribute`` is a medication attribute name, "cue" (an indication cue) or
    "boundary"; ``lead`` is where its cue starts ("for" in "for 5 days"); ``unit`` is the
    sub-span of a dose's unit word, reported as the attribute ``unit_attribute`` ("unit", or
    "form" for "tablets"); ``span`` is the reported sub-span when it is shorter than the
    match (a dose reports its number only); ``is_rate`` marks a dose given per minute or hour;
    ``is_bare`` marks a number without a unit."""

    attribute: str
    start: int
    end: int
    value: str | None
    lead: int
    is_forward: bool = True
    is_backward: bool = True
    unit: tuple[int, int, str] | None = None
    unit_attribute: str = "unit"
    span: tuple[int, int] | None = None
    is_rate: bool = False
    is_bare: bool = False


@dataclass(frozen=True, eq=False)
class _Grammar:
    """Structural regexes built once from a lexicon."""

    # Compiled to skip, in C, the places no match can start (they open on look-behinds, which
    # make re try every position): the same matches as re.compile's.
    strength: re.Pattern[str]
    ratio: re.Pattern[str]
    denominator: re.Pattern[str]
    dose: re.Pattern[str]
    duration: re.Pattern[str]
    course: re.Pattern[str]
    length_of: re.Pattern[str]
    bare_number: re.Pattern[str]
    terms_by_attribute: dict[str, tuple]


@lru_cache(maxsize=8)
def _grammar(lexicon: MedicationLexicon) -> _Grammar:
    num, rng = lexicon.number, lexicon.number_range
    su, per = lexicon.strength_units.alternation, lexicon.per_units.alternation
    time, count = lexicon.time_units.alternation, lexicon.count_units.alternation
    # "from 25 mg to 50 mg": the old amount is history, not the instruction; "net -2 L" is a
    # fluid balance (a minus sign after a space or bracket, unlike the range "1-2 tabs").
    # Nor inside a compound number word ("from twenty-two to twenty-six units": not "two").
    before = r"(?<![\w.])(?<!from\s)(?<![\s(]-)(?<![A-Za-z]-)"
    # "a week", "a single dose" are too vague to be a course length on their own.
    counted = rf"(?!(?:a|an|single)\b){rng}"
    denominator = (
        # "mg/kg", "mg per kg", and the exponent style of journals: "mg kg-1", "mg.kg-1",
        # "mg\u00b7kg\u22121".
        rf"(?:\s*/\s*(?:(?P<dnum>{num})\s*)?|\s+per\s+(?=(?:{per})(?![A-Za-z]))"
        rf"|(?:\s+|\s*[.\u00b7]\s*)(?=[a-z]+[-\u2212]1))"
        rf"(?P<du>{per}|{time}|{su})(?:[-\u2212]1)?(?![A-Za-z0-9])"
    )
    plain_denominator = re.sub(r"\(\?P<\w+>", "(?:", denominator)
    terms: dict[str, list] = {}
    for term in lexicon.terms:
        terms.setdefault(term.attribute, []).append(term)
    flags = re.IGNORECASE
    word_start = r"(?<![A-Za-z0-9])"
    return _Grammar(
        strength=compile_skipping(
            rf"{before}(?P<num>{_COMBINATION}(?=\s*-?\s*(?:{su}))|{rng})\s*-?\s*(?P<unit>{su})"
            rf"(?![A-Za-z0-9])(?!\s*/\s*dl\b)(?P<denoms>(?:{plain_denominator})*)"
            # A second amount with its own unit: a range ("400 mg to 600 mg") or the parts
            # of a combination product ("2 mg-0.5 mg", "2.5%-2.5%"), one span.
            rf"(?:(?P<sep>\s*[-\u2013]\s*|\s+to\s+)(?P<num2>{num})\s*(?P<unit2>{su})"
            rf"(?![A-Za-z0-9])(?!\s*/\s*dl\b)(?P<denoms2>(?:{plain_denominator})*))?", flags),
        ratio=compile_skipping(_RATIO),
        denominator=re.compile(denominator, flags),
        dose=compile_skipping(
            rf"{before}(?P<num>{rng})\s*-?\s*(?P<unit>{count})(?![A-Za-z0-9])", flags),
        duration=compile_skipping(
            rf"{word_start}(?P<cue>{lexicon.duration_cue})\s*"
            rf"(?P<span>(?P<num>{rng})"
            rf"(?:\s+(?:more|additional|further|consecutive|successive|straight))?\s*-?\s*"
            rf"(?P<unit>{time}))(?![A-Za-z0-9])", flags),
        course=compile_skipping(
            rf"{before}(?P<num>{counted})[\s-]*(?P<unit>{time})(?![A-Za-z0-9])"
            rf"[\s-]+(?:{_COURSE_WORDS})\b", flags),
        length_of=compile_skipping(
            rf"{before}(?<!within\s)(?P<num>{counted})[\s-]*(?P<unit>{time})(?![A-Za-z0-9])"
            rf"{_LENGTH_OF}", flags),
        bare_number=compile_skipping(
            rf"{before}(?P<num>{_COMBINATION}|{counted})(?![\w.%/])"
            rf"(?!\s*(?:{time}|{count}|x)(?![A-Za-z]))", flags),
        terms_by_attribute={k: tuple(v) for k, v in terms.items()},
    )



def find_candidates(
    text: str, regions: list[tuple[int, int]], lexicon: MedicationLexicon
) -> list[Candidate]:
    """Find the matches inside ``regions``, resolve overlaps, sort by position.

    Args:
        text: the note text.
        regions: disjoint, sorted ``(start, end)`` windows to scan.
        lexicon: the compiled lexicon.

    Returns:
        Disjoint candidates sorted by start.
    """
    grammar = _grammar(lexicon)
    raw: list[Candidate] = []
    for lo, hi in regions:
        raw.extend(_structural(text, lo, hi, grammar, lexicon))
        raw.extend(_terms(text, lo, hi, grammar, lexicon))
        for m in lexicon.indication_cue.finditer(text, lo, hi):
            raw.append(Candidate("cue", m.start(), m.end(), None, m.start(), is_backward=False))
        for m in lexicon.boundary.finditer(text, lo, hi):
            raw.append(Candidate("boundary", m.start(), m.end(), None, m.start(),
                                  is_backward=False))
    raw = [c for c in raw if c.attribute != "duration" or not _is_elapsed(text, c)]
    # Longest match wins.
    raw.sort(key=lambda c: (c.lead - c.end, _PRIORITY[c.attribute], c.start))
    taken = bytearray(len(text) + 1)
    kept: list[Candidate] = []
    for c in raw:
        if taken.find(1, c.lead, c.end) == -1:
            taken[c.lead:c.end] = b"\x01" * (c.end - c.lead)
            kept.append(c)
    kept.sort(key=lambda c: (c.start, c.end))
    return kept


def _is_elapsed(text: str, c: Candidate) -> bool:
    """A length followed by "of" and led by "after" / "following"... (see _ELAPSED_LEAD)."""
    return bool(_OF_FOLLOWS.match(text, c.end)
                and _ELAPSED_LEAD.search(text, max(0, c.lead - _ELAPSED_LOOKBACK), c.lead))


def _structural(text: str, lo: int, hi: int, grammar: _Grammar, lexicon: MedicationLexicon):
    for m in grammar.strength.finditer(text, lo, hi):
        yield _amount(m, grammar, lexicon)
    for m in grammar.ratio.finditer(text, lo, hi):
        yield Candidate("strength", m.start(), m.end(), m.group().replace(",", ""), m.start())
    for m in grammar.dose.finditer(text, lo, hi):
        unit = m["unit"]
        yield Candidate("dose", m.start(), m.end(), lexicon.normalize_number(m["num"]), m.start(),
                         unit=(m.start("unit"), m.end("unit"), lexicon.count_units.normalize(unit)),
                         unit_attribute="form" if lexicon.count_forms.lookup(unit) else "unit",
                         span=(m.start("num"), m.end("num")))
    for m in grammar.duration.finditer(text, lo, hi):
        if (_ADMINISTRATION_CUE.fullmatch(m["cue"])
                and lexicon.time_units.lookup(m["unit"]) in _ADMINISTRATION_UNITS):
            continue
        yield Candidate("duration", m.start(), m.end(), _length(m, lexicon), m.start(),
                         is_backward=False)
    for m in grammar.course.finditer(text, lo, hi):
        yield Candidate("duration", m.start(), m.end(), _length(m, lexicon), m.start())
    for m in grammar.bare_number.finditer(text, lo, hi):
        number = m["num"]
        if "/" in number and _DATE_LIKE.fullmatch(number):
            continue
        yield Candidate("strength", m.start(), m.end(), _number(number, lexicon),
                         m.start(), is_backward=False, is_bare=True)
    for m in grammar.length_of.finditer(text, lo, hi):
        yield Candidate("duration", m.start(), m.end(), _length(m, lexicon), m.start(),
                         is_forward=False)


def _number(text: str, lexicon: MedicationLexicon) -> str:
    """Normalise a number, keeping combination strengths ("25/100") apart from fractions."""
    if re.fullmatch(_COMBINATION, text) and not re.fullmatch(r"[1-3]/[2-4]", text):
        return "/".join(lexicon.normalize_number(part) for part in text.split("/"))
    return lexicon.normalize_number(text)


def _amount(m: re.Match[str], grammar: _Grammar, lexicon: MedicationLexicon) -> Candidate:
    """A number with an amount unit: a strength, or a dose with its unit (module doc)."""
    unit, is_concentration, is_rate = _unit(m, "unit", "denoms", grammar, lexicon)
    number = _number(m["num"], lexicon)
    is_dose = is_rate or (bool(lexicon.dose_units.lookup(m["unit"])) and not is_concentration)
    end = m.end("denoms")
    if is_dose:
        return Candidate("dose", m.start(), end, number, m.start(),
                         unit=(m.start("unit"), end, unit), span=(m.start("num"), m.end("num")),
                         is_rate=is_rate)
    space = "" if unit.startswith("%") else " "
    value = f"{number}{space}{unit}"
    if m["num2"] and not (m["sep"].strip().lower() == "to" and not _ascending(m, lexicon)):
        # "to" between amounts is a range only when it rises; "40 mg to 20 mg" is a change.
        unit2 = _unit(m, "unit2", "denoms2", grammar, lexicon)[0]
        number2 = _number(m["num2"], lexicon)
        space2 = "" if unit2.startswith("%") else " "
        value = (f"{number}-{number2}{space}{unit}" if unit2 == unit and m["sep"].strip() == "to"
                 else f"{value}-{number2}{space2}{unit2}")
        end = m.end()
    return Candidate("strength", m.start(), end, value, m.start())


def _ascending(m: re.Match[str], lexicon: MedicationLexicon) -> bool:
    try:
        return float(lexicon.normalize_number(m["num2"])) > float(
            lexicon.normalize_number(m["num"]))
    except ValueError:
        return False


def _unit(
    m: re.Match[str], unit_group: str, denoms_group: str, grammar: _Grammar,
    lexicon: MedicationLexicon,
) -> tuple[str, bool, bool]:
    """The normalised unit with its denominators ("mg/kg/day"), whether it is a
    concentration and whether it is a rate per minute or hour."""
    unit = lexicon.strength_units.normalize(m[unit_group])
    is_concentration = is_rate = False
    for d in grammar.denominator.finditer(m.string, m.start(denoms_group), m.end(denoms_group)):
        time = lexicon.time_units.lookup(d["du"])
        per = lexicon.per_units.lookup(d["du"]) or time or lexicon.strength_units.normalize(d["du"])
        unit += "/" + (f"{lexicon.normalize_number(d['dnum'])} " if d["dnum"] else "") + per
        # "5 mg/5 mL", "100 units/mL", "21 mg/24 h": a per-volume or per-period amount
        # describes the product.
        is_concentration |= bool(d["dnum"]) or bool(lexicon.dose_units.lookup(d["du"]))
        is_rate |= time in _RATE_TIME_UNITS and not d["dnum"]
    return unit, is_concentration, is_rate


def _length(m: re.Match[str], lexicon: MedicationLexicon) -> str:
    number = lexicon.normalize_number(m["num"])
    unit = lexicon.time_units.normalize(m["unit"])
    return f"{number} {unit}" + ("" if number == "1" else "s")


def _terms(text: str, lo: int, hi: int, grammar: _Grammar, lexicon: MedicationLexicon):
    for m in lexicon.terms_combined.finditer(text, lo, hi):
        first = lexicon.term_by_group[m.lastgroup]
        best, best_match = first, None
        # Alternation is leftmost-first: re-try the attribute's entries for the longest one.
        for term in grammar.terms_by_attribute[first.attribute]:
            tm = term.regex.match(text, m.start(), hi)
            if tm and (best_match is None or tm.end() > best_match.end()):
                best, best_match = term, tm
        if best_match is None:
            continue
        yield Candidate(best.attribute, best_match.start(), best_match.end(),
                         _term_value(best.value, best_match, lexicon), best_match.start(),
                         is_forward=best.is_forward, is_backward=best.is_backward)


def _term_value(template: str | None, m: re.Match[str], lexicon: MedicationLexicon) -> str:
    if template is None:
        return " ".join(m.group().lower().split())
    fields = {f for _, f, _, _ in Formatter().parse(template) if f}
    return template.format(**{
        f: lexicon.normalize_number(m[f]) if m[f] else "" for f in fields
    })


