"""Where a section's or a condition's scope really ends.

The sectionizer opens a section only at a header it knows, so a past-history section (PMH,
PSH) runs on under headers it does not know ("TRIAGE ASSESSMENT:", "Nursing interventions:",
"Exam today:") and would make everything below them historical. A line that opens with a
short label whose head noun names a part of a note (assessment, plan, exam, orders ...)
starts a new part of the note whatever its exact wording, so the past history ends there.
Labels inside a history list ("CAD: s/p PCI 2019", "Diabetes: on insulin") name a
condition, not a part of a note, and keep the section going.
"""

from __future__ import annotations

import re

from spacy.tokens import Span

from agent.nlp.doc_text import doc_text

# Head nouns of note-part labels ("Triage assessment", "Plan of care" -> "plan" is the first
# word there, so the head is looked for among the label's words, not only the last one).
NOTE_PART_HEADS = frozenset({
    "assessment", "assessments", "plan", "plans", "exam", "examination", "orders", "order",
    "narrative", "course", "impression", "disposition", "vitals", "events", "interventions",
    "intervention", "teaching", "education", "summary", "results", "findings", "data",
    "studies", "imaging", "instructions", "recommendations", "complaint", "today", "mdm",
})
# Heads of a plan that a combined history header may name.
_PLAN_HEADS = frozenset({"plan", "plans", "assessment", "impression", "recommendations"})
# "A/P", "A&P" (assessment and plan) are no words of letters: read on their own.
_A_SLASH_P = re.compile(r"(?<![a-z])a\s*[/&]\s*p(?![a-z])")
# A label at the start of a line (after list markers at most), one to five words, then a
# colon; digits are left out so "2019:" or "Cr 1.6:" never count.
_LABEL = re.compile(r"^[ \t]*(?P<label>[A-Za-z][A-Za-z/&() -]{0,48}?)[ \t]*:", re.MULTILINE)
# A line that opens with the patient reporting now ("PT REPORTS SOB WITH EXERTION", "She
# states ...") is the present story, written under an inline history line with no header
# of its own.
_PRESENT_REPORT = re.compile(
    r"^[ \t]*(?:the[ \t]+)?(?:pt|patient|she|he)[ \t]+(?:now[ \t]+|currently[ \t]+|also[ \t]+)?"
    r"(?:reports?|states?|complains?|c/o|endorses?|describes?|notes?|says)\b",
    re.MULTILINE | re.IGNORECASE)


def history_section_ended(span: Span) -> bool:
    """Whether a note-part label stands between the span and its section's header.

    Args:
        span: an entity span of a doc the sectionizer has run on.

    Returns:
        True when a line between the section title and the span opens with a label such as
        "TRIAGE ASSESSMENT:" or "Plan:" (see ``NOTE_PART_HEADS``) or with the patient
        reporting ("Pt reports ...", "She states ..."), or when the title itself names a
        plan ("Problem list / plan:"); False when the span has no section or none
        of these applies.
    """
    section = getattr(span._, "section", None)
    title = getattr(section, "title_span", None) if section is not None else None
    if title is None:
        return False
    doc = span.doc
    # medspaCy 1.3.1 gives the title as a (start, end) token range.
    title_span = doc[title[0]:title[1]]
    title_text = title_span.text.lower()
    if _PLAN_HEADS.intersection(re.findall(r"[a-z]+", title_text)) or _A_SLASH_P.search(
            title_text):
        # "Problem list / plan:", "Past history and plan:": a header that also names the
        # plan heads the plan, whose problems are current.
        return True
    title_end = title_span.end_char
    between = doc_text(doc)[title_end:span.start_char]
    first_break = between.find("\n")
    if first_break == -1:
        return False  # on the header's own line
    for m in _LABEL.finditer(between, first_break + 1):
        words = re.findall(r"[a-z]+", m.group("label").lower())
        if 0 < len(words) <= 5 and NOTE_PART_HEADS.intersection(words):
            return True
    return _PRESENT_REPORT.search(between, first_break + 1) is not None


# Words and arrows that lead from a condition to what follows from it ("If fails BiPAP ->
# intubation", "if OSA confirmed then CPAP titration"): they end other cues' scopes, but a
# condition reaches through them to its consequence.
_CONSEQUENCE_MARKERS = frozenset({"->", "-->", "=>", "then"})


def is_consequence_marker(cue_text: str) -> bool:
    """Whether a terminating cue's text leads from a condition to its consequence.

    Args:
        cue_text: the cue's text (spaCy splits "->" into "-" and ">", joined by no space).

    Returns:
        True for an arrow or "then".
    """
    return "".join(cue_text.lower().split()) in _CONSEQUENCE_MARKERS
