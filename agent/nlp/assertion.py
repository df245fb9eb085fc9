"""Assertion status of an entity mention from ConText modifiers and the note section.

ConText (``agent/rules/context.json``) marks each target with zero or more modifiers;
the sectionizer (``agent/rules/sections.json``) gives its section. This module folds
both into ONE of the six ``Assertion`` values of ``agent.schemas.extraction``, following
the corpus guideline (``evals/data/synthetic/GUIDELINES.md``, section 4).

Precedence, strongest first (the first that applies wins):

1. ``absent`` for a negated family statement: "No FHx of VTE", "denies family history of
   colon cancer" deny the condition in the family; the guideline puts absent first.
2. ``family``: a relative's condition ("Mother with breast cancer") or anything in a
   FAMILY_HISTORY section.
3. ``hypothetical``: conditional, future or planned ("return if chest pain", "consider
   starting metoprolol", "monitor for bleeding", "BMP in AM", "DVT ppx"). It wins over
   negation: in "resume warfarin if no rebleeding" and "if Cr > 2.2 will hold furosemide"
   the negation lies inside the condition, so nothing is denied yet.
4. ``absent``: negated ("no h/o MI", "denies fever", "not on aspirin"), and for
   medications held, stopped, discontinued or avoided ("HOLD lisinopril", "aspirin
   stopped"). Negation beats history, so "no h/o X" is absent, not historical; except for
   a drug with a history cue ("previously on HCTZ, stopped for hyponatremia"): taken
   before and not now is what historical means for a medication.
5. ``possible``: hedged ("r/o PE", "h/o possible seizure", "PE felt unlikely").
   Uncertainty beats history: "h/o possible X" is possible.
6. ``historical``: a history cue ("h/o", "s/p", "prior", "previously on") or a PMH/PSH
   section; the section applies to problems, procedures and tests only, because a drug
   listed on a PMH line ("Crohn's disease on adalimumab") is a current medication.
7. ``present``: everything else.

Section rules beyond those above: in an ALLERGIES section the allergen stays present (an
allergy is a standing property of the patient) while a PROBLEM is the past reaction
("PCN (hives)") and is historical; negation still applies ("Allergies: none"). Tests and
procedures in DISCHARGE_INSTRUCTIONS and FOLLOW_UP are future ("CBC on 4/10"); problems
there rely on the cues ("return if"), because the section also restates the diagnoses
treated. Studies in a radiology COMPARISON section are prior studies (historical). A
finding whose word denies the condition ("afebrile") is absent. A TEST directly followed
by a value ("repeat troponin 41") has a result, so plan cues around it ("repeat", "q6h")
do not make it hypothetical.

Cue scope, on top of ConText's sentence scope:

- medspaCy only skips a modifier that straddles a target's boundary; a cue lying wholly
  inside the target span ("lungs show no opacities" as one concept) still modified it.
  Such nested cues are part of the concept's wording and are ignored here.
- A cue inside parentheses stays there: in "amoxicillin (hives as a child), adhesive
  (dermatitis)" "child" does not reach "dermatitis", nor "(now on apixaban)" the drug
  before it. A cue outside may still reach into them ("denies symptoms (fever, chills)").
- A colon after a cue's own target starts a new statement: in "Low suspicion for ACS:
  troponin flat" the hedge is about ACS, not troponin. A cue that labels the list after
  it ("Denies: fever", "Negative for the following: ...") keeps its scope.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from spacy.tokens import Doc, Span

from agent.nlp.clause_structure import (
    attached_to_other_object,
    coordinated_gap,
    dash_before_own_subject,
    denied_noun_before_circumstance,
    drug_status_parenthesis,
    entity_ranges,
    history_phrase_ended,
    new_clause_between,
    post_negated_subject,
    purpose_follows,
)
from agent.nlp.completed_courses import COURSE_SECTIONS, finished_before
from agent.nlp.doc_text import token_texts
from agent.nlp.negated_lists import item_outside_negation
from agent.nlp.pending_orders import (
    TREATMENT_TYPES,
    is_condition_test,
    is_ordered,
    is_treatment_alternative,
)
from agent.nlp.scope_ends import history_section_ended, is_consequence_marker
from agent.nlp.section_store import section_category
from agent.nlp.template_answers import is_template_negative
from agent.rules import Rules
from agent.schemas.summary_rules import SectionRoles

# Findings whose word itself denies the condition ("afebrile" = no fever; guideline: absent).
# The cue is inside the target, so ConText cannot see it.
NEGATIVE_FINDINGS = frozenset({"afebrile", "apyrexial", "asymptomatic"})
# Entity types a past-history section makes historical (not MEDICATION: see the docstring).
HISTORY_SECTION_TYPES = frozenset({"PROBLEM", "PROCEDURE", "TEST"})
PLAN_AHEAD_TYPES = frozenset({"PROCEDURE", "TEST"})
# A TEST followed by one of these has been resulted ("troponin negative", "Cr 1.9").
RESULT_WORDS = frozenset({
    "negative", "positive", "normal", "abnormal", "unremarkable", "pending", "neg", "pos",
    "wnl", "elevated", "low", "high", "flat", "stable", "showed", "shows", "revealed",
    "was", "were", "is", "are", "of", "=",
})
# Colon search stops here: a cue this far before the colon is no longer its label.
_LABEL_TOKENS = 3

# ConText category -> ContextFlags field; categories not listed (PSEUDO, TERMINATE) never
# modify a target.
CATEGORY_FLAGS = {
    "NEGATED_EXISTENCE": "is_negated",
    "POSSIBLE_EXISTENCE": "is_possible",
    "HISTORICAL": "is_historical",
    "HYPOTHETICAL": "is_hypothetical",
    "FAMILY": "is_family",
}


@dataclass(frozen=True)
class ContextFlags:
    """Which ConText categories modify a target (nested and out-of-scope cues excluded)."""

    is_negated: bool = False
    is_possible: bool = False
    is_historical: bool = False
    is_hypothetical: bool = False
    is_family: bool = False


def active_modifiers(span: Span) -> list:
    """The ConText modifiers of a target that really reach it.

    The scope is recomputed from the doc's ConText graph instead of read from
    ``span._.modifiers``: medspaCy 1.3.1 limits scopes with ``tuple_overlaps``, which misses
    a scope lying strictly inside another, so once one terminator has cut a backward cue's
    scope, nearer terminators are ignored ("given the symptoms ... rectal exam which was
    heme-negative" negated the symptoms). Here a cue reaches a target in its sentence, on
    its side(s), within ``max_scope``, of an allowed type, with no terminator (TERMINATE or a
    ``terminated_by`` category) between them. Same-category cues do not cut each other:
    ConText does that only to avoid duplicate edges, and it let a cue dropped below (in
    parentheses) hide the one before it ("-ve for bleeding (occult nor overt), anemia").

    Also dropped: cues lying inside the span itself, cues enclosed in parentheses that close
    (or open) between cue and target, and cues whose own target is closed by a colon before
    this one (see the module docstring).

    Args:
        span: an entity span of a doc annotated by ``ClinicalPipeline.annotate``.

    Returns:
        ``ConTextModifier`` objects whose cue reaches the span, in ConText's order.
    """
    doc = span.doc
    graph = doc._.context_graph
    if graph is None:
        return []
    sent = doc[span.start].sent
    label = span.label_.upper()
    # A cue pattern may begin with the line break before its words ("\nNot done:"): the
    # cue belongs to the sentence of its first word.
    cues = _sentence_cues(doc, graph, sent.start, sent.end)
    kept = []
    for modifier in cues:
        direction = modifier.direction.upper()
        if direction in ("TERMINATE", "PSEUDO") or not modifier.allows(label):
            continue
        start, end = modifier.modifier_span
        if start < span.end and span.start < end:
            continue  # nested in the target, or straddling its boundary
        if (modifier.rule.metadata or {}).get("verb_only") and (
                _is_line_label(doc, start, end) or (_opens_line(doc, start) and (
                    doc[start:end].text.isupper() or (
                        modifier.category.upper() == "HYPOTHETICAL"
                        and not _later_follows(doc, end, sent.end))))):
            # "RESUME: metformin", "CHANGED lactulose 30 g", "Resume lisinopril 10 mg
            # daily": a list's status label or today's order, not a plan or a switch
            continue
        max_scope = modifier.max_scope
        if start >= span.end and direction == "FORWARD" and modifier.category.upper() in (
                "HISTORICAL", "NEGATED_EXISTENCE") and _status_cell_of(doc, span, start):
            kept.append(modifier)  # "Thymoma | remote, resected": the row's status column
            continue
        if end <= span.start and modifier.category.upper() == "NEGATED_EXISTENCE" and \
                _heads_label_list(doc, start, end, span.start):
            kept.append(modifier)  # "STOPPED: aspirin; ibuprofen (AKI)": the whole list
            continue
        if end <= span.start:
            if direction == "BACKWARD" and _reaches_forward_from_clause_start(
                    doc, modifier, start, end, span):
                kept.append(modifier)  # "Not started on an SSRI", "Has not needed lorazepam"
                continue
            if direction not in ("FORWARD", "BIDIRECTIONAL") or (
                    max_scope is not None and span.start >= end + max_scope):
                continue
            # "If worsening on maximal therapy: BiPAP and PICU transfer": a condition's
            # colon leads to its consequence.
            conditional = modifier.category.upper() == "HYPOTHETICAL" and \
                doc[_first_word(doc, modifier)].lower_ in _CONDITIONS
            # "Watch for serotonin syndrome: fever, tremor": the colon lists its signs.
            watch = modifier.category.upper() == "HYPOTHETICAL" and \
                doc[_first_word(doc, modifier)].lower_ in _WATCH_CUES
            if _is_terminated(doc, modifier, cues, end, span.start,
                              consequence_ok=conditional) or _cue_is_closed_before(
                    doc, end, span.start, colon_ok=conditional or watch):
                continue
            category = modifier.category.upper()
            if category in _CLAUSE_BOUND and new_clause_between(doc, end, span.start):
                continue
            if category == "HISTORICAL" and max_scope is not None and history_phrase_ended(
                    doc, end, span, entity_ranges(doc)):
                continue  # "s/p colectomy for diverticulitis": the reason is current
            if category == "NEGATED_EXISTENCE":
                ranges = entity_ranges(doc)
                if attached_to_other_object(doc, end, span, ranges) or \
                        post_negated_subject(doc, start, end, ranges) is not None or \
                        denied_noun_before_circumstance(doc, end, span, ranges) or \
                        item_outside_negation(doc, end, span, ranges):
                    continue  # the cue denies another entity (see clause_structure)
            elif category == "HYPOTHETICAL" and attached_to_other_object(
                    doc, end, span, entity_ranges(doc)):
                continue  # "call for bleeding on apixaban": the drug is taken now
        else:
            if direction not in ("BACKWARD", "BIDIRECTIONAL"):
                continue
            if max_scope is not None and span.end <= start - max_scope:
                # "CBC, BMP in AM": a cue after a list is said of every item; not a cue
                # bound to the one word before it ("stroke mimic", "DVT ppx").
                gap = None if max_scope < _LIST_CUE_SCOPE else coordinated_gap(
                    doc, span.end, start, entity_ranges(doc))
                if gap is None or gap >= max_scope:
                    continue
            # "Bipolar II disorder -- remains deferred": a dash after a list item's head
            # introduces the item's status, not a new clause.
            dashes_ok = _opens_line(doc, span.start)
            if _is_terminated(doc, modifier, cues, span.end, start, dashes_ok=dashes_ok) \
                    or _cue_is_closed_after(doc, span.end, start, label):
                continue
            if modifier.category.upper() == "HYPOTHETICAL" and _past_event_between(
                    doc, span.end, start):
                # "metformin resumed 8/14 once he could eat", "aspirin was stopped once
                # apixaban was started": it did happen
                continue
            if dash_before_own_subject(doc, span.end, start, entity_ranges(doc)):
                continue  # "macrocytosis - alcoholic hepatitis unlikely": said of the hepatitis
        kept.append(modifier)
    return kept


# How far a clause-opening backward cue reaches forward ("Not started on an SSRI").
_CLAUSE_START_REACH = 4
_CLAUSE_STARTS = frozenset({".", ";", ":", "(", "-", "*", "•"})
_LEADING_SUBJECTS = frozenset({"pt", "patient", "he", "she", "they", "has", "have", "had",
                               "was", "is", "been"})


def _reaches_forward_from_clause_start(doc: Doc, modifier, start: int, end: int,
                                       span: Span) -> bool:
    """Whether a backward cue flagged ``forward_at_clause_start`` opens its clause (after a
    subject or auxiliary at most) and the span follows within a few tokens, with no clause
    break between."""
    if not (modifier.rule.metadata or {}).get("forward_at_clause_start"):
        return False
    if span.start - end > _CLAUSE_START_REACH:
        return False
    texts = token_texts(doc)
    if any(texts[k] in _CLAUSE_STARTS or texts[k] == "," for k in range(end, span.start)):
        return False
    k = start - 1
    while k >= 0 and (not texts[k].strip() or texts[k].lower() in _LEADING_SUBJECTS) \
            and "\n" not in texts[k]:
        k -= 1
    return k < 0 or texts[k] in _CLAUSE_STARTS or "\n" in texts[k] or _opens_line(doc, k + 1)


def _first_words(doc: Doc, graph) -> list[int]:
    """:func:`_first_word` of each of the graph's modifiers, computed once per doc (every
    entity of the doc asks; the graph does not change after ``annotate``)."""
    firsts = getattr(graph, "_first_words", None)
    if firsts is None or len(firsts) != len(graph.modifiers):
        firsts = [_first_word(doc, m) for m in graph.modifiers]
        graph._first_words = firsts
    return firsts


def _sentence_cues(doc: Doc, graph, start: int, end: int) -> list:
    """The graph's modifiers whose first word lies in tokens ``[start, end)``, in ConText's
    order; kept per sentence on the graph (the entities of a sentence all ask)."""
    firsts = _first_words(doc, graph)
    by_sentence = getattr(graph, "_cues_by_sentence", None)
    if by_sentence is None or getattr(graph, "_cues_of", None) is not firsts:
        by_sentence = graph._cues_by_sentence = {}
        graph._cues_of = firsts
    cues = by_sentence.get((start, end))
    if cues is None:
        cues = by_sentence[(start, end)] = [
            m for m, first in zip(graph.modifiers, firsts, strict=True) if start <= first < end]
    return cues


def _first_word(doc: Doc, modifier) -> int:
    """Index of the first token of a cue that is not white space."""
    start, end = modifier.modifier_span
    while start < end - 1 and doc[start].is_space:
        start += 1
    return start


def _is_line_label(doc: Doc, start: int, end: int) -> bool:
    """Whether tokens ``[start, end)`` are a label opening their line: first on the line
    (after a list marker at most) and followed by a colon ("RESUME: metformin")."""
    return end < len(doc) and doc[end].text.startswith(":") and _opens_line(doc, start)


# Words that put an order opening its line later ("Resume warfarin tomorrow", "Restart
# aspirin once Hgb stable"); without one, a line-opening "Resume X" is today's order.
_LATER = frozenset({"tomorrow", "when", "once", "if", "after", "until", "pending", "later",
                    "next", "in", "on", "at", "unless", "following"})


def _later_follows(doc: Doc, end: int, sent_end: int) -> bool:
    """Whether a word of :data:`_LATER` follows token ``end`` on its line and sentence."""
    texts = token_texts(doc)
    for k in range(end, sent_end):
        if "\n" in texts[k]:
            return False
        if texts[k].lower() in _LATER:
            return True
    return False


# Words after a test in its plan line that say it was done or is under way.
_DONE_IN_LINE = RESULT_WORDS | frozenset({
    "sent", "drawn", "done", "resulted", "reviewed", "back", "obtained", "performed",
    "ordered", "today", "trending", "improving", "improved", "worsening", "rising",
    "falling", "up", "down", "ok", "nl", "collected", "reassuring", "unchanged", "noted",
    "confirmed", "showing", "demonstrated", ":", "->", "s/p", "no", "without", "w/o",
    "continue", "cont", "continuing", "on", "per",
})
_LIST_JOINS = frozenset({",", "and", "+", "/", "&", "labs", "lab", "studies", ":"})


def _heads_plan_item(span: Span) -> bool:
    """Whether a TEST heads an item of a plan list ("- CBC, BMP POD1", "3. Ferritin and
    TSH"): only list markers and other tests of the same list before it on its line, and
    nothing after it in its clause that gives a result or says it was done or is ongoing.
    A plan line that names a test without its result orders it."""
    doc = span.doc
    texts = token_texts(doc)
    ents = entity_ranges(doc)
    k = span.start - 1
    while k >= 0 and "\n" not in texts[k] and "\n" not in doc[k].whitespace_:
        word = texts[k]
        inside_test = any(a <= k < b and lab.upper() == "TEST" for a, b, lab in ents)
        if not (doc[k].is_space or _ITEM_MARKERS.match(word) or word.lower() in _LIST_JOINS
                or inside_test):
            return False
        k -= 1
    for k in range(span.end, span.sent.end):
        word = texts[k]
        if "\n" in word or word in {".", ";"}:
            break
        if word.lower() in _DONE_IN_LINE or word[:1].isdigit() and "/" not in word:
            return False
    return True


def _status_cell_of(doc: Doc, span: Span, cue_start: int) -> bool:
    """Whether a cue opens a table cell ("| remote, resected 2024") of the row whose first
    cell the span opens: a status column describes the row's item, whatever the cue's
    direction in running text. Only the cell right after the item's cell is read."""
    texts = token_texts(doc)
    k = cue_start - 1
    while k >= span.end and doc[k].is_space and "\n" not in texts[k]:
        k -= 1
    if k < span.end or texts[k] != "|":
        return False
    for j in range(span.end, k):
        if "\n" in texts[j] or texts[j] == "|":
            return False  # another line, or a cell between item and status
    j = span.start - 1
    while j >= 0 and "\n" not in texts[j]:
        if not (doc[j].is_space or texts[j] == "|" or _ITEM_MARKERS.match(texts[j])):
            return False  # the item does not open its row
        j -= 1
    return True


# Words a status label may hold before its status word ("Considered and excluded:").
_LABEL_WORDS = 3


def _heads_label_list(doc: Doc, start: int, end: int, target_start: int) -> bool:
    """Whether a negation cue ending a short label that opens its line ("STOPPED:",
    "D/C'd in hospital:", "Considered and excluded:", "STOPPED --") heads the list holding
    the target:
    the target lies on the same line after the colon with no other label between. The
    label names the status of every item, so the cue's direction and reach do not apply."""
    texts = token_texts(doc)
    nxt = end
    while nxt < len(doc) and doc[nxt].is_space and "\n" not in texts[nxt]:
        nxt += 1
    if nxt >= len(doc):
        return False
    # "STOPPED -- ibuprofen": a dash after a status word opening its line labels like a colon.
    dash_label = texts[nxt] in _DASHES | {"-", "—"} and _opens_line(doc, start)
    if not (texts[end].startswith(":") or dash_label):
        return False
    words = 0
    k = start - 1
    while k >= 0 and "\n" not in texts[k] and "\n" not in doc[k].whitespace_:
        if not (doc[k].is_space or _ITEM_MARKERS.match(texts[k])):
            words += 1
            if words > _LABEL_WORDS or ":" in texts[k]:
                return False
        k -= 1
    for k in range(nxt + 1, target_start):
        # A colon label's items are separated by semicolons; a dash label names one entry.
        if "\n" in texts[k] or ":" in texts[k] or (dash_label and texts[k] == ";"):
            return False
    return True


_ITEM_MARKERS = re.compile(r"^(?:[-*•#.)]+|\d{1,2}[.)]?|[a-z][.)])$")
_DASHES = frozenset({"--", "---"})


def _opens_line(doc: Doc, start: int) -> bool:
    """Whether token ``start`` opens its line, after list markers at most ("3. X", "- X")."""
    k = start - 1
    while k >= 0 and "\n" not in doc[k].text and "\n" not in doc[k].whitespace_:
        if not (doc[k].is_space or _ITEM_MARKERS.match(doc[k].text)):
            return False
        k -= 1
    return True


def _is_terminated(doc: Doc, modifier, cues: list, lo: int, hi: int, *,
                   dashes_ok: bool = False, consequence_ok: bool = False) -> bool:
    """Whether a cue that ends ``modifier``'s scope lies wholly in tokens ``[lo, hi)``.

    A cue written as a label ("Not done: resection; TPN and PICC") heads a list whose
    items semicolons separate, so a semicolon does not end its scope.
    """
    stops = modifier.rule.terminated_by
    end = modifier.modifier_span[1]
    # "Not done:", and a cue heading a label a word or two later ("Return precautions:
    # fever; diarrhea; cough", "Call for: ...").
    # The entities' token ranges, read once: ``doc.ents`` builds a Span per entity on every
    # access, and reading it per token was ~10% of extraction time (same test, same order).
    texts = token_texts(doc)
    is_label = texts[end - 1] == ":" or _colon_outside_entities(
        doc, end, min(end + _LABEL_REACH, len(doc)))
    for other in cues:
        start, end = other.modifier_span
        if not (lo <= start and end <= hi and (
                other.direction.upper() == "TERMINATE" or other.category.upper() in stops)):
            continue
        # Only a cue that would end the scope is read (its text once).
        text = texts[start] if end - start == 1 else doc[start:end].text
        if is_label and text == ";":
            continue
        if dashes_ok and text in _DASHES:
            continue
        if consequence_ok and is_consequence_marker(text):
            continue  # "If fails BiPAP -> intubation": the arrow leads to the consequence
        return True
    return False


def _colon_outside_entities(doc: Doc, lo: int, hi: int) -> bool:
    """Whether a token in ``[lo, hi)`` outside every entity is a colon."""
    tokens = doc[lo:hi]
    if not any(t.text == ":" for t in tokens):
        return False  # no colon at all: the entities need not be read
    ents = [(e.start, e.end) for e in doc.ents]
    return any(t.text == ":" for t in tokens
               if not any(t.i >= start and t.i < end for start, end in ents))


_CONDITIONS = frozenset({"if", "when", "unless", "should"})
_WATCH_CUES = frozenset({"monitor", "watch", "observe"})
# Cues a new clause after ", and" ends ("no SI, and started sertraline"); a condition or a
# history cue may govern a whole compound sentence.
# Backward cues reaching this many tokens or more read a whole phrase, so a list before them.
_LIST_CUE_SCOPE = 3
_CLAUSE_BOUND = frozenset({"NEGATED_EXISTENCE", "POSSIBLE_EXISTENCE"})
_LABEL_REACH = 2


# Past-tense events of a treatment: a later condition or date after them tells when it
# began or ended ("started 4/27 once plt > 50", "stopped once apixaban was started").
_PAST_EVENTS = frozenset({"started", "resumed", "restarted", "initiated", "begun", "added",
                          "given", "administered", "received", "placed", "inserted",
                          "stopped", "discontinued", "held", "switched", "changed", "tapered",
                          "increased", "decreased", "reduced", "completed", "removed"})


def _past_event_between(doc: Doc, lo: int, hi: int) -> bool:
    """Whether tokens ``[lo, hi)`` hold a past-tense event ("enoxaparin started 4/27 once
    plt > 50"): a backward plan cue after it dates an event that happened."""
    texts = token_texts(doc)
    return any(texts[k].lower() in _PAST_EVENTS for k in range(lo, hi))


def _cue_is_closed_before(doc: Doc, cue_end: int, target_start: int, *,
                          colon_ok: bool = False) -> bool:
    """A forward cue ending at ``cue_end`` cannot reach a target starting at ``target_start``.

    True when a ")" closes a parenthesis the cue sits in, or when a colon lies between them
    that does not label the cue (an entity, or more than a few tokens, before it).
    """
    depth = 0
    texts = token_texts(doc)
    for k in range(cue_end, target_start):
        opens, closes, is_colon = _punctuation(texts[k])
        depth += opens - closes
        if depth < 0:
            return True
        if is_colon and not colon_ok and k - cue_end > 0 and (
                k - cue_end > _LABEL_TOKENS
                or any(cue_end <= e.start and e.end <= k for e in doc.ents)):
            return True
    return False


def _cue_is_closed_after(doc: Doc, target_end: int, cue_start: int, label: str = "") -> bool:
    """A backward cue starting at ``cue_start`` cannot reach a target ending at ``target_end``.

    True when the cue sits in a parenthesis opened after the target ("aspirin (now on
    apixaban)"), or when a colon separates them that is not right before the cue.
    """
    depth = 0
    texts = token_texts(doc)
    for k in range(cue_start - 1, target_end - 1, -1):
        opens, closes, is_colon = _punctuation(texts[k])
        depth += closes - opens
        if depth < 0:
            # "PICC (discussed POD2, not needed)": a parenthesis right after a procedure
            # or test, naming nothing else, is said of it. A drug's parenthesis tells its
            # history ("amlodipine 5 mg (held 7/7-7/9)" is taken now).
            # Its current status, first in the parenthesis, is said of it though
            # ("metformin (held since admission)", "apixaban 5 mg BID (not taking)").
            if label == "MEDICATION":
                return not drug_status_parenthesis(doc, target_end, k, cue_start)
            return not _right_after_result(texts, target_end, k) or any(
                k < e.start and e.end <= cue_start for e in doc.ents)
        if is_colon and cue_start - k > 1:
            return True
    return False


_VALUE_TOKEN = re.compile(r"^(?:[<>]?\d[\d,.]*%?|%|[a-zA-Z]{1,3}/[a-zA-Z]{1,3}|mg|g|mL|mm|cm|"
                          r"mmHg|U|IU|L|kg)$")


def _right_after_result(texts: list[str], target_end: int, paren: int) -> bool:
    """Whether the parenthesis at ``paren`` opens right after the test or procedure ending at
    ``target_end``, or after its value only ("EF 30% (8/2025)", "eosinophils 310 (2/2026)")."""
    return all(_is_space_text(texts[k]) or _VALUE_TOKEN.match(texts[k])
               for k in range(target_end, paren))


def _is_space_text(text: str) -> bool:
    return not text.strip()


def _punctuation(text: str) -> tuple[int, int, bool]:
    """Opening and closing parentheses in a punctuation token, and whether it has a colon.

    spaCy keeps some runs together ("):" after "(Dr. Ames)"), so the token is inspected, not
    compared.
    """
    if len(text) > 3 or any(c.isalnum() for c in text):
        return 0, 0, False
    return text.count("("), text.count(")"), ":" in text


def context_flags(span: Span) -> ContextFlags:
    """ConText categories of a target as booleans.

    Args:
        span: an annotated entity span.

    Returns:
        The flags of the categories of :func:`active_modifiers`.
    """
    found = {
        CATEGORY_FLAGS[m.category.upper()]
        for m in active_modifiers(span)
        if m.category.upper() in CATEGORY_FLAGS
    }
    if "is_negated" not in found and (_is_post_negated(span) or is_template_negative(span)):
        found.add("is_negated")
    return ContextFlags(**dict.fromkeys(found, True))


# A post-placed denial stands within a few tokens after its subject ("X has still not been").
_POST_NEGATION_REACH = 6


def _is_post_negated(span: Span) -> bool:
    """Whether a forward negation cue after the span is its predicate ("Naltrexone not
    recommended", "distension absent", "Pain: denies"); see
    :func:`agent.nlp.clause_structure.post_negated_subject`."""
    doc = span.doc
    graph = doc._.context_graph
    if graph is None:
        return False
    sent = doc[span.start].sent
    label = span.label_.upper()
    for modifier in _sentence_cues(doc, graph, sent.start, sent.end):
        start, end = modifier.modifier_span
        if start < span.end or start - span.end > _POST_NEGATION_REACH:
            continue
        if modifier.category.upper() != "NEGATED_EXISTENCE" or \
                modifier.direction.upper() not in ("FORWARD", "BIDIRECTIONAL") or \
                not modifier.allows(label):
            continue
        if post_negated_subject(doc, start, end, entity_ranges(doc)) == (span.start, span.end):
            return True
    return False


def has_result(span: Span) -> bool:
    """Whether a TEST mention is directly followed by its result ("Cr 1.9", "UA negative").

    Args:
        span: an entity span.

    Returns:
        True when the next token is a number or a result word.
    """
    nxt = _token_after(span)
    if nxt is None:
        return False
    if nxt.lower_ in RESULT_WORDS:
        return True
    return (nxt.like_num or nxt.text[:1].isdigit()) and not _time_unit_follows(nxt)


# A number followed by one of these is a time, not a value ("ABG 1 h after the change").
_TIME_UNITS = frozenset({"h", "hr", "hrs", "hour", "hours", "min", "mins", "minute",
                         "minutes"})


def _time_unit_follows(number) -> bool:
    doc = number.doc
    k = number.i + 1
    while k < len(doc) and doc[k].is_space:
        k += 1
    if k < len(doc) and doc[k].text == "-":  # "CXR 4-6 h after"
        k += 1
        while k < len(doc) and (doc[k].is_space or doc[k].like_num):
            k += 1
    return k < len(doc) and doc[k].lower_ in _TIME_UNITS


def has_numeric_result(span: Span) -> bool:
    """Whether a TEST mention is directly followed by a number ("Cr 2.4", "Hgb 10.9 on POD 1"):
    a measured value means the test was done, so a negation nearby is about something else
    ("Hgb 10.9, transfusion not required", "| Cr 2.4 | K 4.9 |" under a negated line).

    Args:
        span: an entity span.

    Returns:
        True when the next token in the sentence is a number.
    """
    nxt = _token_after(span)
    return nxt is not None and (nxt.like_num or nxt.text[:1].isdigit())


def _token_after(span: Span):
    """The first non-space token after ``span`` in its sentence, or None."""
    doc = span.doc
    k = span.end
    while k < len(doc) and doc[k].is_space:
        k += 1
    if k >= len(doc) or doc[k].is_sent_start:
        return None
    return doc[k]


def assertion_of(span: Span, entity_type: str, roles: SectionRoles | None = None) -> str:
    """Assertion status of one entity mention.

    Args:
        span: an entity span of a doc annotated by ``ClinicalPipeline.annotate`` (sections
            and ConText have run).
        entity_type: the entity's ``EntityType`` (``PROBLEM``, ``MEDICATION``...). ConText
            rules restricted with ``allowed_types`` already used ``span.label_``; the type
            here only drives the section rules.
        roles: section roles of the rule set (``family``, ``history``, ``allergy``,
            ``plan_ahead``: follow-up and instructions name tests still to come,
            ``prior_study``: a radiology COMPARISON names prior studies); None = packaged.

    Returns:
        One of ``present, absent, possible, hypothetical, historical, family``, chosen by
        the precedence in the module docstring.
    """
    roles = roles or Rules.load().roles
    flags = context_flags(span)
    section = section_category(span)
    # "if Hgb stable", "goal INR 2-3": the word after the test is a threshold, not a result.
    condition_test = entity_type == "TEST" and is_condition_test(span)
    is_resulted_test = entity_type == "TEST" and has_result(span) and not condition_test
    if flags.is_family or (roles.has(section, "family") and not history_section_ended(span)):
        return "absent" if flags.is_negated else "family"
    if (flags.is_hypothetical and not is_resulted_test) or condition_test:
        return "hypothetical"
    if entity_type == "PROBLEM" and span.text.lower() in NEGATIVE_FINDINGS:
        return "absent"
    if entity_type == "ALLERGY" and flags.is_negated and not _denied_right_before(span):
        # "No TMP-SMX (sulfa allergy)": the negation denies the drug; an allergen named as
        # the patient's allergy stands unless it is itself denied ("no latex allergy").
        return "present"
    if flags.is_negated and not (entity_type == "MEDICATION" and flags.is_historical) \
            and not (entity_type == "TEST" and (_is_evidence_test(span)
                                                 or has_numeric_result(span))):
        return "absent"
    if entity_type in TREATMENT_TYPES and is_treatment_alternative(span):
        return "hypothetical"  # "TURP vs suprapubic catheter": not chosen yet
    if flags.is_possible or (entity_type == "PROBLEM" and _question_marked(span)):
        return "possible"
    if roles.has(section, "allergy") and entity_type in ("ALLERGY", "MEDICATION"):
        return "present"
    if roles.has(section, "allergy") and entity_type == "PROBLEM":
        return "historical"
    if roles.has(section, "plan_ahead") and entity_type in PLAN_AHEAD_TYPES \
            and not is_resulted_test:
        return "hypothetical"
    if roles.has(section, "prior_study") and entity_type in PLAN_AHEAD_TYPES:
        return "historical"
    if entity_type in PLAN_AHEAD_TYPES and not is_resulted_test and is_ordered(span):
        return "hypothetical"  # "[LE venous duplex] ordered" (guideline): not read yet
    if flags.is_historical or (
            roles.has(section, "history") and entity_type in HISTORY_SECTION_TYPES
            and not history_section_ended(span)) or (
            entity_type == "MEDICATION" and section not in COURSE_SECTIONS
            and finished_before(span, entity_ranges(span.doc))):
        return "historical"
    if ((entity_type in PLAN_AHEAD_TYPES and not is_resulted_test)
            or entity_type == "MEDICATION") and _condition_follows(span, entity_type):
        return "hypothetical"
    if entity_type in PLAN_AHEAD_TYPES and not is_resulted_test and purpose_follows(span):
        return "hypothetical"  # "CT chest to r/o PE": ordered for what it should show
    if entity_type == "TEST" and not is_resulted_test and roles.has(section, "todo") \
            and _heads_plan_item(span):
        return "hypothetical"  # "- Lipid panel, A1c 3/2": an order, nothing resulted
    return "present"


# A denial this close to an allergen is about the allergen itself ("no latex allergy",
# "Allergies - none").
_ALLERGEN_DENIAL_GAP = 1
_ALLERGEN_ANSWER_GAP = 3


def _denied_right_before(span: Span) -> bool:
    """Whether a negation cue ends right before the span (at most one token between) or
    answers it right after ("Allergies - none")."""
    return any(m.category.upper() == "NEGATED_EXISTENCE"
               and (0 <= span.start - m.modifier_span[1] <= _ALLERGEN_DENIAL_GAP
                    or 0 <= m.modifier_span[0] - span.end <= _ALLERGEN_ANSWER_GAP)
               for m in active_modifiers(span))


# Answers that make a trailing "?" a question asked and answered ("Fever? No").
_ANSWERS = frozenset({"no", "yes", "y", "n", "none", "denies", "neg", "negative", "pos",
                      "positive", "+", "-", "unknown", "unsure"})


def _question_marked(span: Span) -> bool:
    """Whether a "?" written onto the problem marks it as a question ("?UTI", "Fracture?"):
    the sentence splitter may end a sentence at that "?", so the ConText cue does not reach
    it. A trailing "?" followed by an answer is a questionnaire item, not a hedge."""
    doc = span.doc
    texts = token_texts(doc)
    before = span.start - 1
    if before >= 0 and texts[before] == "?" and not doc[before].whitespace_ and (
            before == 0 or doc[before - 1].whitespace_ or doc[before - 1].is_space
            or texts[before - 1] in {"(", "-", ","}):
        return True
    after = span.end
    if after < len(doc) and texts[after] == "?" and not doc[span.end - 1].whitespace_:
        k = after + 1
        while k < len(doc) and doc[k].is_space and "\n" not in texts[k]:
            k += 1
        return k >= len(doc) or "\n" in texts[k] or texts[k].lower() not in _ANSWERS
    return False


# A test named as the evidence of a denial is done: "no hydronephrosis on bedside US",
# "not suggested by ECG", "no DRESS features (LFTs nl)", "without ECG changes".
_EVIDENCE_PREPOSITIONS = frozenset({"on", "by", "per", "via"})
_FINDING_NOUNS = frozenset({"changes", "findings", "abnormalities", "abnormality", "evidence"})


def _is_evidence_test(span: Span) -> bool:
    """Whether a negated TEST is only the evidence of the denial: every negation cue comes
    before it, and an evidence preposition or an opening parenthesis stands between the
    cue and the test, or qualifies the finding the cue denies ("ECG changes"). A cue after the test
    ("CT not done") or right before it ("no CT") still negates it."""
    doc = span.doc
    cues = [m for m in active_modifiers(span) if m.category.upper() == "NEGATED_EXISTENCE"]
    if not cues or any(m.modifier_span[0] >= span.end for m in cues):
        return False
    cue_end = max(m.modifier_span[1] for m in cues)
    words = [t for t in doc[cue_end:span.start] if not t.is_space]
    # "not suggested by history or ECG": the preposition may head a list the test is in.
    if any(t.lower_ in _EVIDENCE_PREPOSITIONS for t in words):
        return True
    depth = 0
    for tok in reversed(words):
        opened, closed, _ = _punctuation(tok.text)
        depth += closed - opened
        if depth < 0:
            return True  # a parenthesis opened after the cue holds the test
    after = next((t for t in doc[span.end:] if not t.is_space), None)
    return (after is not None and not after.is_sent_start
            and after.lower_ in _FINDING_NOUNS)


_CONDITION_WORDS = frozenset({"if", "unless"})
_CONDITION_REACH = 4
# A drug's dose, route and schedule may stand between it and the condition ("enoxaparin
# 40 mg SQ to start POD1 if Hgb stable").
_DRUG_CONDITION_REACH = 7
# Words between a drug and "if" that say the drug is taken now and the condition is a
# parameter of it: "metoprolol, hold if HR < 60", "lisinopril, decrease if SBP < 100",
# "oxycodone 5 mg PRN if pain" (a PRN drug is current, per the guideline).
_DRUG_TAKEN_NOW = frozenset({"hold", "held", "holding", "stop", "skip", "decrease",
                             "reduce", "titrate", "taper", "wean", "prn", "continue", "cont",
                             "given", "needed", "check"})
# "Blood cultures were drawn and if positive ...": the condition opens a new clause.
_CLAUSE_JOINS = frozenset({"and", "but", "or", "then", "so"})


def _condition_follows(span: Span, entity_type: str = "TEST") -> bool:
    """Whether "if" / "unless" follows a test, procedure or drug within a few words of its
    clause ("CT chest if new hypoxia", "NG tube for feeds if RR > 70", "start ampicillin
    if he becomes unstable", "pregabalin if no better"): the condition makes it
    conditional too. Done here, not as a ConText rule, because a second rule on the same
    "if" would prune the forward one that makes "hypoxia" hypothetical. A drug whose
    condition is a parameter of taking it ("metoprolol, hold if HR < 60", a PRN order)
    is still taken."""
    doc = span.doc
    drug = entity_type == "MEDICATION"
    reach = _DRUG_CONDITION_REACH if drug else _CONDITION_REACH
    before = [t.lower_ for t in doc[max(span.sent.start, span.start - 2):span.start]]
    if drug and _DRUG_TAKEN_NOW.intersection(before):
        # "continue amlodipine only if SBP > 120": the drug is taken, the condition is
        # the parameter.
        return False
    seen = 0
    for tok in doc[span.end:]:
        if tok.is_space:
            continue
        if tok.is_sent_start or tok.text in {".", ";", ":"} or "\n" in tok.text \
                or tok.lower_ in _CLAUSE_JOINS:
            return False
        if tok.lower_ in _CONDITION_WORDS:
            return True
        if drug and (tok.lower_ in _DRUG_TAKEN_NOW or tok.ent_type_):
            # Another entity before the "if" ("aspirin, clopidogrel if stented") has the
            # condition to itself.
            return False
        seen += 1
        if seen > reach:
            return False
    return False


def assertions_of(doc: Doc, spans: Iterable[Span] | None = None,
                  roles: SectionRoles | None = None) -> list[str]:
    """Assertion status of every entity of an annotated doc, in order.

    Args:
        doc: a doc annotated by ``ClinicalPipeline.annotate``.
        spans: the targets to classify; None uses ``doc.ents``. Each span's ``label_`` is
            taken as its entity type.

    Returns:
        One assertion per span, in the order given.
    """
    targets = doc.ents if spans is None else spans
    return [assertion_of(span, span.label_, roles) for span in targets]


def assert_spans(pipeline, text: str, targets: list[tuple[int, int, str]],
                 roles: SectionRoles | None = None) -> list[tuple[str, str | None]]:
    """Assertion status and section of arbitrary character spans of a note.

    For mentions found by something other than the lexicons (an LLM's grounded quote): the
    same sectionizer, ConText cues and precedence as :func:`assertion_of`, so such a
    mention is asserted exactly as the rule extractor would assert it.

    Args:
        pipeline: a ``agent.nlp.pipeline.ClinicalPipeline``.
        text: the whole note text (long notes are read in the extractor's segments, with
            the section carried across segment boundaries).
        targets: ``(start, end, entity_type)`` offsets into ``text``; they may overlap.

    Returns:
        One ``(assertion, section)`` per target, in the order given; the section is None
        when the mention lies before any section header.
    """
    # Deferred: spaCy / medspaCy: heavy, only when a pipeline is built.
    from agent.nlp.segments import segments

    results: list[tuple[str, str | None] | None] = [None] * len(targets)
    if not targets:
        return []
    pending = sorted(range(len(targets)), key=lambda i: targets[i][0])
    carried: str | None = None
    for offset, segment in segments(text):
        seg_end = offset + len(segment)
        here = [i for i in pending if results[i] is None and targets[i][0] < seg_end]
        if here:
            # ConText finds every cue of the doc whatever its targets; active_modifiers
            # then scopes the cues against each span, so no doc.ents are needed.
            doc = pipeline.annotate(pipeline.prepare(segment))
            for i in here:
                start, end, etype = targets[i]
                a = max(0, start - offset)
                b = max(a + 1, min(end, seg_end) - offset)
                span = doc.char_span(a, b, label=etype, alignment_mode="expand")
                if span is None or not len(span):
                    results[i] = ("present", carried)
                    continue
                results[i] = (assertion_of(span, etype, roles),
                              section_category(span) or carried)
            carried = _last_section(doc, carried)
        elif any(results[i] is None for i in pending):
            carried = _last_section(pipeline.prepare(segment), carried)
        if all(r is not None for r in results):
            break
    return [r if r is not None else ("present", carried) for r in results]


def _last_section(doc: Doc, carried: str | None) -> str | None:
    """The section a doc ends in; a segment without headers continues the one carried
    (medspaCy gives such a segment one section whose category is None)."""
    return (doc._.sections[-1].category if doc._.sections else None) or carried
