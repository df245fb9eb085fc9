"""Case robustness: lines written in capitals or in lower case are read in a recased copy.

Names, towns and facilities are found by their capital letters; an ALL-CAPS nursing note
has capitals everywhere and a lower-case triage note or portal message has none. Such a line
is recased before detection, word by word, with the same length (offsets do not move):

- a common English word or a clinical word is written in lower case ("TRANSFERRED FROM"
  -> "transferred from");
- a short section, unit or service word stays an abbreviation ("HCP", "PICC", "ED");
- a facility or place word is capitalised ("WEST", "CARE", "HOSPITAL") so the facility
  recognizers see the name it ends;
- every other word is capitalised as a proper noun candidate ("MERCY" -> "Mercy",
  "ferreira" -> "Ferreira").

So the name dictionaries, the gazetteers and the clinical vetoes decide, not the casing.
The detectors then run on the recased copy; the spans map back one to one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")
# A line is recased when it has at least this many letters in words of two or more.
_MIN_LETTERS = 12
# Common nouns for places that some town is also named after ("from airport").
_PLACE_NOUNS = frozenset({"airport", "station", "downtown", "uptown", "harbor", "harbour", "beach",
                          "park", "village", "center", "centre", "plaza", "school", "church",
                          "home", "lake", "river", "valley", "bridge", "market", "office"})
_STREET_WORDS = re.compile(
    r"(\b\d{1,6}[ \t]+)((?:[A-Za-z][a-z]+[ \t]+){1,4})"
    r"((?i:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Boulevard|Blvd|Court|Ct|Place|Pl|"
    r"Highway|Hwy|Parkway|Pkwy|Circle|Terrace|Way)\b)")
# A street named without a house number after "on"/"off" ("LIVES ON CEDAR HOLLOW RD").
_STREET_AFTER_PREP = re.compile(
    r"(\b(?i:on|off|along|near)[ \t]+)((?:[A-Za-z][a-z]+[ \t]+){1,3})"
    r"((?i:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Boulevard|Blvd|Highway|Hwy|Pike|"
    r"Parkway|Pkwy|Trail)\b)")
_NOT_STREET_LEAD = frozenset({"the", "a", "an", "his", "her", "their", "our", "my", "this",
                              "that", "same", "main"})
# A phrase after a care preposition, before "in <town>" or "(<town>)": the town says the
# phrase is a place there ("REHAB AT HARBOR LEDGE IN CAMDEN", "BED AT BRANDYWINE HOUSE
# (MILFORD)").
# A one- or two-word town that ends its phrase (punctuation, the line end or a time after it);
# the detector reads the same slot on the original text.
TOWN_ENDING_PHRASE = (r"(?P<town>[A-Za-z][a-z'’-]+(?:[ \t][A-Za-z][a-z'’-]+)?)"
                      r"(?=[ \t]*[),.;:!?\"“”]|[ \t]*$|[ \t]+\d)")
_PLACE_BEFORE_TOWN = re.compile(
    r"(\b(?:at|to|from)[ \t]+)((?:(?!(?:at|to|from|in)\b)[A-Za-z][A-Za-z'’&-]*[ \t]+){1,4}?)"
    rf"((?:in[ \t]+|\([ \t]*){TOWN_ENDING_PHRASE})",
    re.MULTILINE)
# Words a number counts (a dose, a duration): never a street name after a house number.
_COUNTED = frozenset({"day", "days", "week", "weeks", "month", "months", "year", "years",
                      "hour", "hours", "tab", "tabs", "tablet", "tablets", "cap", "caps", "mg",
                      "times", "units", "doses", "dose", "puffs", "drops", "story", "stories",
                      "floor", "steps", "minutes", "min", "ml", "cc", "kg", "lb", "lbs"})
_ZIP_AFTER = re.compile(r",?[ \t]+\d{5}(?:-\d{4})?\b")
_AGENCY_AFTER = re.compile(r"[ \t]+(?i:fire|police|pd|ems|sheriff'?s?|public\s+schools)\b")
_PLACE_PREPS = frozenset({"in", "from", "near", "to", "at"})
_SAINT_NEXT = re.compile(r"\b((?:St|Mt|Ft|Saint|Mount)\.?\s+)([a-z])")
_STATE_ZIP = re.compile(r"\b([A-Za-z]{2})(?=,?\s+\d{5}(?:-\d{4})?\b)")
_INITIAL = re.compile(r"(?<![\w.])([a-z])(?=\.\s+[A-Z])")
# "Eulalia m", "Kateri s NP": an initial after a name, before punctuation, a gap, the end of
# the line or a credential.
_INITIAL_AFTER = re.compile(r"(\b[A-Z][a-z]+[ \t])([a-z])(?=[ \t]*(?:[.,]|$|[ \t]{2}|"
                            r"[ \t]+[A-Z]{2,}\b))", re.MULTILINE)
# "O'hare" -> "O'Hare", "D'angelo" -> "D'Angelo".
_APOSTROPHE_NAME = re.compile(r"\b([OD]['’])([a-z])")
_HYPHEN_PART = re.compile(r"(\b[A-Z][a-z]+-)([a-z])")
# Titles a one-case line writes before a name.
_TITLE = r"(?:Dr|Mr|Mrs|Ms|Miss|Prof|Fr)"
_TITLE_NEXT = re.compile(rf"\b({_TITLE}\.?[ \t]+)([a-z]{{3,}})\b")
_NOT_AFTER_TITLE = frozenset({"and", "the", "for", "who", "was", "will", "has", "had", "his",
                              "her", "saw", "says", "said", "note", "office", "team", "visit"})
# Verbs and adverbs that follow a relative in a note ("SON MAY CALL", "WIFE HERE").
_NOT_AFTER_CUE = frozenset({"may", "here", "home", "present", "aware", "updated", "visited",
                            "called", "at", "bedside", "states", "reports", "wants", "agrees",
                            "ok", "okay", "fine", "well", "too", "also"})
_AFTER_TITLE = re.compile(rf"\b({_TITLE}\.?\s+(?:[A-Z][a-z]+\s+)?)([a-z]{{3,}})\b")
_FIRST_BEFORE = re.compile(r"(?<![\w'])([a-z]{3,})(?=\s+[A-Z][a-z]+\b)")
# ... only where the pair ends a phrase (a comma, a bracket, a credential, the line end):
# "Tove white, RN", but not "Franklin stove in winter", "Joey pump 55 mL/h".
_SURNAME_AFTER = re.compile(r"(\b(?:[A-Z][a-z]+|[A-Z]\.)[ \t])([a-z]{3,})\b"
                            r"(?=[ \t]*(?:[,;()/]|$|[A-Z]{2,}\b))", re.MULTILINE)
# "tri-County": a compound with one capitalised part is one proper word.
_COMPOUND = re.compile(r"\b[A-Za-z]+(?:-[A-Za-z]+)+\b")
# Words that begin a phrase before a facility noun without naming the facility ("at the
# local urgent care", "sent to outside hospital", "chronic pain clinic").
_LEAD_STOP = frozenset({
    "a", "an", "the", "at", "to", "from", "in", "into", "of", "for", "with", "by", "per",
    "via", "on", "and", "or", "our", "her", "his", "their", "my", "your", "its", "this",
    "that", "these", "those", "is", "was", "are", "were", "be", "been", "pt", "patient",
    "local", "nearest", "nearby", "outside", "another", "other", "same", "prior",
    "previous", "new", "old", "any", "no", "home", "call", "see", "seen", "sent", "go",
    "went", "lives", "living", "discharged", "transfer", "transferred", "admitted", "back",
    "walk-in", "free", "acute", "chronic", "adult", "pediatric", "peds", "outpatient",
    "inpatient", "hospital", "clinic", "office", "er", "ed", "urgent", "main",
    # pronouns, auxiliaries and conjunctions of a lower-case message ("she has school")
    "i", "we", "you", "he", "she", "they", "it", "has", "have", "had", "will", "would",
    "can", "could", "does", "did", "do", "but", "so", "if", "then", "also", "just", "still",
    "not", "him", "them", "us", "me", "when", "after", "before", "during"})


@dataclass(frozen=True)
class Recaser:
    """The word lists that decide how a word of a one-case line is written.

    Attributes:
        common: common English words (lower case).
        clinical: clinical, section and field words (lower case).
        place_words: facility and place words that end a facility name, titles, months
            and weekdays: words written capitalised whatever the line (lower case).
    """

    common: frozenset[str]
    clinical: frozenset[str]
    place_words: frozenset[str]
    towns: frozenset[str] = frozenset()
    local_towns: frozenset[str] = frozenset()
    state_codes: frozenset[str] = frozenset()
    first_names: frozenset[str] = frozenset()
    upper_words: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()
    # Facility nouns ("assisted living", "home infusion", "clinic") and the words that
    # never begin a facility's name before them (clinical vocabulary).
    facility_heads: frozenset[str] = frozenset()
    lead_stop: frozenset[str] = frozenset()
    # Relatives and person roles ("wife", "son", "pastor", "sw", "officer"): the word after
    # one names a person when the name dictionaries hold it ("WIFE ROSE", "PASTOR GREEN")
    # or it is no English word ("SW OKONKWO").
    person_cues: frozenset[str] = frozenset()

    @cached_property
    def _after_person_cue(self) -> re.Pattern[str] | None:
        if not self.person_cues:
            return None
        cues = "|".join(re.escape(c) for c in sorted(self.person_cues, key=len, reverse=True))
        return re.compile(rf"(?<![\w'’])((?i:{cues})(?:['’]s)?\.?[ \t]+(?:(?i:is|named)[ \t]+)?)"
                          r"([a-z][a-z'’]+)\b")

    def _person_after_cue(self, m: re.Match[str]) -> str:
        word = m.group(2)
        low = word.lower()
        known = word.upper() in self.names or (len(low) >= 3 and low not in self.common)
        # A verb form of a common word is what the relative does ("DAUGHTER COOKS", "mom
        # needs the truck"), not a name.
        verb = any(low.endswith(e) and low[:-len(e)] in self.common for e in ("s", "ed", "ing"))
        if (known and not verb and low not in _NOT_AFTER_TITLE
                and low not in _LEAD_STOP and low not in _NOT_AFTER_CUE
                and low not in self.clinical):
            return m.group(1) + _cap(word)
        return m.group()

    @cached_property
    def _facility_heads(self) -> re.Pattern[str]:
        heads = "|".join(re.escape(h) for h in sorted(self.facility_heads, key=len,
                                                       reverse=True))
        return re.compile(rf"(?<![\w'’-])(?i:{heads})(?![\w'’-])")

    @cached_property
    def _facility_lead(self) -> re.Pattern[str] | None:
        if not self.facility_heads:
            return None
        heads = "|".join(re.escape(h) for h in sorted(self.facility_heads, key=len,
                                                       reverse=True))
        return re.compile(rf"(?<![\w'’-])((?:[A-Za-z][A-Za-z'’-]* ){{1,3}})(?=(?i:{heads})\b)")

    def recase(self, text: str) -> str:
        """The text with its one-case lines recased (same length); mixed-case lines are
        left as written, and so are lines too short to judge unless the note around them
        is written in one case."""
        lines = text.split("\n")
        # None: too short to judge. Such a line ("k. oduya rn", "PT: SMITH") is read like
        # the note around it: recased when it is in one case itself and most judged lines are.
        judged = [_case_of(line) for line in lines]
        long_lines = [j for j in judged if j is not None]
        note_one_case = bool(long_lines) and sum(long_lines) * 2 > len(long_lines)
        return "\n".join(
            self._line(line) if j or (note_one_case and _short_one_case(line)) else line
            for line, j in zip(lines, judged, strict=True))

    def _line(self, line: str) -> str:
        out = _WORD.sub(lambda m: self._word(m.group()), line)
        # Towns written in common words are proper: cities of the world anywhere ("FALL
        # RIVER", "new bedford"), smaller towns after a place preposition ("IN BLUE ASH",
        # "in fargo").
        words = list(_WORD.finditer(out))
        capital: list[int] = []  # offsets of first letters to write in capitals
        for n in (3, 2, 1):
            for i in range(len(words) - n + 1):
                run = words[i:i + n]
                if any(out[a.end():b.start()] != " " for a, b in zip(run, run[1:],
                                                                    strict=False)):
                    continue
                name = " ".join(w.group().lower() for w in run)
                prep = words[i - 1].group().lower() \
                    if i and out[words[i - 1].end():run[0].start()] == " " else None
                zip_after = _ZIP_AFTER.match(out, run[-1].end()) is not None  # "CINCINNATI 45242"
                # "MOBILE FIRE-RESCUE", "ORANGE FIRE DEPT": a town's public agency after it.
                zip_after = zip_after or _AGENCY_AFTER.match(out, run[-1].end()) is not None
                if n > 1:
                    known = name in self.towns or (
                        (prep in _PLACE_PREPS or zip_after) and name in self.local_towns)
                else:
                    # One common word after "to" is a verb or a place word too often ("TO
                    # MONITOR", "FROM AIRPORT"): alone, only a city of the world after in /
                    # from / near or before a ZIP code counts.
                    known = name in self.towns and name not in _PLACE_NOUNS and (
                        zip_after or prep in ("in", "from", "near"))
                if known:
                    capital.extend(w.start() for w in run)
        if capital:
            chars = list(out)
            for at in capital:
                chars[at] = chars[at].upper()
            out = "".join(chars)
        # The words between a house number and a street suffix name the street ("480
        # faunce corner Rd" -> "480 Faunce Corner Rd").
        out = _STREET_WORDS.sub(self._street, out)
        out = _STREET_AFTER_PREP.sub(self._street_after_prep, out)
        out = _PLACE_BEFORE_TOWN.sub(self._place_before_town, out)
        # The word after "St." / "Mount" names the place ("ST. JUDE'S" -> "St. Jude's").
        out = _SAINT_NEXT.sub(lambda m: m.group(1) + m.group(2).upper(), out)
        # A state code before a ZIP code ("NORWOOD OH 45212") is a state code.
        out = _STATE_ZIP.sub(lambda m: m.group(1).upper() if m.group(1).lower()
                             in self.state_codes else m.group(1), out)
        # An initial before a proper word ("g. Asante") or after one ("Eulalia m") is a
        # capital; so is the part after the hyphen of a capitalised word ("Vasquez-moore").
        out = _INITIAL.sub(lambda m: m.group(1).upper(), out)
        out = _INITIAL_AFTER.sub(lambda m: m.group(1) + m.group(2).upper(), out)
        out = _HYPHEN_PART.sub(lambda m: m.group(1) + m.group(2).upper(), out)
        out = _APOSTROPHE_NAME.sub(lambda m: m.group(1) + m.group(2).upper(), out)
        out = _COMPOUND.sub(lambda m: "-".join(_cap(p) for p in m.group().split("-"))
                            if any(p[:1].isupper() for p in m.group().split("-")[1:])
                            else m.group(), out)
        # The words a line writes before a facility noun name the facility ("lives at
        # whispering pines assisted living", "BLUEGRASS HOME INFUSION"), back to the first
        # function or clinical word.
        if self._facility_lead is not None:
            out = self._facility_heads.sub(lambda m: _WORD.sub(lambda w: _cap(w.group()),
                                                               m.group()), out)
            out = self._facility_lead.sub(self._lead, out)
        # The word right after a title is a name unless it is a function word or a verb
        # form ("dr wexford reviewed it" -> "Dr Wexford reviewed it").
        out = _TITLE_NEXT.sub(lambda m: m.group(1) + (
            m.group(2) if m.group(2).lower() in _NOT_AFTER_TITLE
            or m.group(2).endswith(("ed", "ing", "ly")) else _cap(m.group(2))), out)
        # After a title, a word in the name dictionaries is a name even when it is also a
        # common word ("Dr Philippa wexford" -> "Dr Philippa Wexford").
        out = _AFTER_TITLE.sub(lambda m: m.group(1) + (
            _cap(m.group(2)) if m.group(2).upper() in self.names else m.group(2)), out)
        # After a relative or a person's role, a word the name dictionaries hold is a name
        # even when it is also a common word ("WIFE ROSE", "son river", "PASTOR GREEN").
        if self._after_person_cue is not None:
            out = self._after_person_cue.sub(self._person_after_cue, out)
        # A first name that is also a common word, before a proper word ("ana Ferreira").
        out = _FIRST_BEFORE.sub(lambda m: _cap(m.group(1))
                                if m.group(1).upper() in self.first_names else m.group(1),
                                out)
        # A surname that is also a common word, after a first name or an initial written
        # as a name ("Tove white" -> "Tove White", "T. white" -> "T. White").
        return _SURNAME_AFTER.sub(lambda m: m.group(1) + _cap(m.group(2))
                                  if m.group(2).upper() in self.names
                                  and (len(m.group(1).strip()) <= 3
                                       or m.group(1).split()[0].upper() in self.first_names)
                                  else m.group(), out)

    def _lead(self, m: re.Match[str]) -> str:
        words = m.group(1).split(" ")
        tail = words.pop()  # the separator before the facility noun ("" after the split)
        kept: list[str] = []
        for word in reversed(words):
            low = word.lower().removesuffix("'s").removesuffix("’s")
            if (not word or low in _LEAD_STOP or low in self.lead_stop
                    or low in self.clinical or low.endswith("ed")
                    or self._abbreviates(low)):
                break
            kept.append(word)
        n = len(words) - len(kept)
        return " ".join(words[:n] + [_cap(w) for w in reversed(kept)] + [tail])

    def _abbreviates(self, word: str) -> bool:
        """A clipped facility or service word ("gen surg clinic", "peds", "ortho")."""
        return len(word) >= 3 and any(w.startswith(word) and w != word
                                      for w in self._service_words)

    @cached_property
    def _service_words(self) -> tuple[str, ...]:
        # Facility and service words only: a common word is rarely the start of one
        # ("bay" is not clipped from anything here; "surg" is from "surgery").
        return tuple(w for w in self.place_words if len(w) >= 5)

    def _place_before_town(self, m: re.Match[str]) -> str:
        town = m.group("town").lower()
        words = m.group(2).split()
        if (town not in self.towns and town not in self.local_towns) or any(
                w.lower() in _LEAD_STOP or w.lower() in self.lead_stop
                or w.lower() in self.clinical for w in words):
            return m.group()
        return m.group(1) + " ".join(_cap(w) for w in words) + " " + m.group(3)

    def _street_after_prep(self, m: re.Match[str]) -> str:
        words = m.group(2).lower().split()
        if words[0] in _NOT_STREET_LEAD or any(w in self.clinical or w in _COUNTED
                                               for w in words):
            return m.group()
        return self._street(m)

    @staticmethod
    def _street(m: re.Match[str]) -> str:
        words = m.group(2).lower().split()
        if any(w in _COUNTED for w in words):
            return m.group()  # "5 DAYS ST...": a count, not a house number
        return m.group(1) + m.group(2).title() + m.group(3)[:1].upper() + m.group(3)[1:].lower()

    def _word(self, word: str) -> str:
        low = word.lower()
        bare = low.removesuffix("'s").removesuffix("’s")
        if len(bare) <= 1:
            return word
        if bare in self.upper_words:
            return word.upper()  # credentials: "rn" -> "RN"
        if bare in self.place_words:
            return word[:1].upper() + low[1:]
        if bare in self.common:
            return low
        if bare in self.clinical:
            # "HCP", "PICC", "pcp": abbreviations stay (or become) capitals.
            return word.upper() if len(bare) <= 4 else low
        return word[:1].upper() + low[1:]


def _cap(word: str) -> str:
    """The word with its first letter in capitals, the rest as written."""
    return word[:1].upper() + word[1:]




def _short_one_case(line: str) -> bool:
    """A short line with letters in one case only."""
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 2 and (all(c.islower() for c in letters)
                                  or all(c.isupper() for c in letters))


def one_case(line: str) -> bool:
    """Whether a line is written in capitals only or in lower case only."""
    return bool(_case_of(line))


def _case_of(line: str) -> bool | None:
    """Whether a line is in one case; None when it has too few letters to judge."""
    # _WORD holds ASCII letters and apostrophes only: its letters are counted with str
    # methods run in C (a per-character generator was ~4% of detection time).
    joined = "".join(w for w in _WORD.findall(line) if len(w) >= 2)
    letters = len(joined) - joined.count("'") - joined.count("’")
    if letters < _MIN_LETTERS:
        return None
    upper = sum(map(str.isupper, joined))
    # Lower case must be strict: a sentence-case line has few capitals too.
    return upper == 0 or upper >= 0.9 * letters
