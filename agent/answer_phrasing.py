"""How a chat answer reads: each sentence says the day of its evidence ("On 3/16: ..."), with
the note's relative day words resolved, and a question the notes do not answer gets a plain
"The notes do not say ..." instead of a stray passage.

Only the displayed text is written here; citations keep pointing at the note's own span.
"""

from __future__ import annotations

import re

from agent.nlp.relative_dates import day_label, parse_note_date, resolve_relative_dates

# "What is X?" -> "what X is"; "Was X done?" -> "whether X was done"; "What did X say?" ->
# "what X said". Other shapes fall back to "this": a wrong paraphrase would misquote the
# clinician.
_WH = r"(what|which|who|when|where|how(?: \w+)?)"
_WH_COPULA = re.compile(_WH + r"\s+(is|are|was|were)\s+(.+)", re.IGNORECASE)
_YES_NO = re.compile(r"(is|are|was|were|has|have|had)\s+(.+?)\s+"
                     r"(\w+ed|\w+en|done|given|seen|made|found|taken|held|run|sent|put)",
                     re.IGNORECASE)
_WH_DID = re.compile(_WH + r"\s+did\s+(.+?)\s+([a-z]+)", re.IGNORECASE)
_PAST = {"say": "said", "do": "did", "find": "found", "think": "thought", "give": "gave",
         "see": "saw", "tell": "told", "write": "wrote", "get": "got", "take": "took",
         "make": "made", "begin": "began", "feel": "felt", "go": "went", "hear": "heard"}
NO_ANSWER_PREFIX = "The notes do not say"


def _past(verb: str) -> str:
    verb = verb.lower()
    if verb in _PAST:
        return _PAST[verb]
    return verb + ("d" if verb.endswith("e") else "ed")


def paraphrase(question: str) -> str:
    """The question as a clause after "The notes do not say": "what the patient's favourite
    colour is", "whether an MRI of the knee was done", or "this" for other shapes."""
    q = " ".join(question.strip().rstrip("?.! ").split())
    if m := _WH_COPULA.fullmatch(q):
        return f"{m.group(1).lower()} {m.group(3)} {m.group(2).lower()}"
    if m := _YES_NO.fullmatch(q):
        return f"whether {m.group(2)} {m.group(1).lower()} {m.group(3)}"
    if m := _WH_DID.fullmatch(q):
        return f"{m.group(1).lower()} {m.group(2)} {_past(m.group(3))}"
    return "this"


def no_answer_text(question: str) -> str:
    """"The notes do not say whether an MRI of the knee was done." """
    return f"{NO_ANSWER_PREFIX} {paraphrase(question)}."


def dated_text(text: str, note_date: str | None, reference_year: int | None) -> str:
    """The sentence as the answer shows it: "On 3/16: ..." with relative day words resolved
    ("today" -> "today (3/16)"); an undated note's sentence is shown as written."""
    day = parse_note_date(note_date)
    if day is None:
        return text
    resolved = resolve_relative_dates(text, note_date, reference_year=reference_year)
    return f"On {day_label(day, reference_year)}: {resolved}"
