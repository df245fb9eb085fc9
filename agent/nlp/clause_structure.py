"""Where a cue's statement ends, read from the clause around it rather than from cue words.

ConText scopes run over a whole sentence unless a terminating word cuts them. Clinical
sentences pack several statements that no single word separates, and these helpers read
the few shapes that do:

- a denial placed after its subject ("Naltrexone not recommended", "the drain no longer
  needed", "Pain: denies"): the cue is a predicate of the entity before it, which ConText's
  forward cue never reaches, and it says nothing of what follows ("... not recommended for
  hepatic hydrothorax": the hydrothorax is the reason, not denied);
- a new clause after ", and" with its own verb ("no fever, and started on cefazolin");
- a thing attached to the denied finding rather than denied itself: its place, means or
  circumstance ("no erythema around the drain", "no bleeding on heparin") or the reason
  given in parentheses for a treatment not given ("not on an ACE inhibitor (hyperkalemia)");
- a cue written after a coordinated list, which is said of every item ("CBC and BMP in the
  morning", "lisinopril, metformin held");
- a test or procedure named with its purpose ("MRI spine to exclude cord compression"): an
  order, not a result;
- a problem named as the circumstance of a denied word that is no entity ("no fluid
  restriction in vasospasm", "no improvement in dyspnea"): what is denied is the word;
- a backward cue whose own subject stands right before it after a spaced dash ("thrombocytopenia
  / macrocytosis - alcoholic hepatitis unlikely"): the dash opens the statement about that
  subject, so the cue does not reach back over it;
- a drug's current status in the parenthesis after its sig ("metformin (held since
  admission)"), as opposed to a past episode of it ("amlodipine (held 7/7-7/9)").
"""

from __future__ import annotations

from spacy.tokens import Doc, Span

from agent.nlp.doc_text import token_texts

_ENTS_KEY = "clinagent:ent_ranges"


def entity_ranges(doc: Doc) -> list[tuple[int, int, str]]:
    """``(start, end, label)`` of the doc's entities: those ConText annotated
    (:func:`remember_entity_ranges`, called by ``ClinicalPipeline.annotate``), else read
    from ``doc.ents`` now (which builds a Span per entity on every access)."""
    cached = doc.user_data.get(_ENTS_KEY)
    if cached is not None:
        return cached
    return [(e.start, e.end, e.label_) for e in doc.ents]


def remember_entity_ranges(doc: Doc) -> None:
    """Keep the ranges of ``doc.ents`` as they are now (the targets ConText annotates; the
    extractor does not change them afterwards), so that each entity's assertion reads
    them without rebuilding ``doc.ents``."""
    doc.user_data[_ENTS_KEY] = [(e.start, e.end, e.label_) for e in doc.ents]


def _entity_at(ranges: list[tuple[int, int, str]], k: int) -> tuple[int, int, str] | None:
    for start, end, label in ranges:
        if start <= k < end:
            return start, end, label
    return None


# --- a denial placed after its subject -----------------------------------------------------

# Words that may stand between a subject and its negated predicate ("X is not seen",
# "X has still not been needed").
_AUX = frozenset({"is", "was", "were", "are", "be", "been", "has", "have", "had", "remains",
                  "remained", "still", "currently", "yet", "also", "now", "so", "far",
                  "ever", "felt", "thought"})
# Predicates a post-placed "not" / "no longer" / "never" denies its subject with (NegEx's
# post-negation sense: existence, need, use, performance). Words of degree or course are
# left out on purpose: "cough not improved", "pain not controlled", "wound not healing"
# keep the finding present.
_DENYING_PREDICATES = frozenset({
    "recommended", "indicated", "needed", "required", "necessary", "warranted", "given",
    "started", "continued", "restarted", "resumed", "used", "in", "pursued", "performed",
    "done", "placed", "ordered", "offered", "administered", "prescribed", "initiated",
    "present", "seen", "found", "noted", "appreciated", "suspected", "felt", "evident",
    "identified", "detected", "observed", "visualized", "elicited", "palpable", "palpated",
    "a", "an", "candidate", "taken", "obtained", "sent", "drawn", "checked", "repeated",
    "supported", "demonstrated", "there", "applicable", "appropriate", "any",
})
# A test is denied only as not done or not needed: "troponin not elevated" is a result.
_TEST_PREDICATES = frozenset({
    "done", "performed", "obtained", "sent", "drawn", "checked", "repeated", "ordered",
    "indicated", "needed", "required", "necessary", "warranted", "in", "pursued",
    "recommended", "used",
})
# Cues that are the predicate themselves: nothing needs to follow ("distension absent",
# "Pain: denies").
_SELF_PREDICATES = frozenset({"absent", "denies", "denied", "none", "negative"})
_CLAUSE_OPENERS = frozenset({",", ";", ":", "-", "--", "*", "•", ".", "(", "|"})
_SUBJECT_LEAD = 3


def _is_space(text: str) -> bool:
    return not text.strip()


def post_negated_subject(doc: Doc, cue_start: int, cue_end: int,
                         ranges: list[tuple[int, int, str]]) -> tuple[int, int] | None:
    """The entity a negation cue at ``[cue_start, cue_end)`` denies as its predicate, if any.

    The entity must end right before the cue (auxiliaries and, for a line label, a colon
    between), open its clause (at most a few words before it since the last punctuation or
    line start, none of them an entity), and the cue must be followed by a denying predicate
    ("not recommended", "no longer needed") or be one ("absent", "denies").

    Returns:
        The subject's token range, or None.
    """
    texts = token_texts(doc)
    k = cue_start - 1
    colon = False
    while k >= 0 and (_is_space(texts[k]) or texts[k].lower() in _AUX or texts[k] == ":"):
        if "\n" in texts[k]:
            return None
        colon = colon or texts[k] == ":"
        k -= 1
    subject = _entity_at(ranges, k) if k >= 0 else None
    if subject is None or subject[1] != k + 1:
        return None
    cue_words = doc[cue_start:cue_end].text.lower().split()
    nxt = cue_end
    while nxt < len(doc) and _is_space(texts[nxt]) and "\n" not in texts[nxt]:
        nxt += 1
    at_end = nxt >= len(doc) or doc[nxt].is_sent_start or "\n" in texts[nxt] or \
        texts[nxt] in {".", ",", ";", "(", ")", "|"}
    is_test = subject[2].upper() == "TEST"
    if cue_words and cue_words[-1] in _SELF_PREDICATES and not is_test:
        if not at_end:
            return None
    elif at_end or texts[nxt].lower() not in (
            _TEST_PREDICATES if is_test else _DENYING_PREDICATES):
        return None
    if colon and not _opens_line(doc, subject[0]):
        return None  # "Plan: aspirin not given" is fine; "x: y" mid-line is not a label
    # The subject opens its clause.
    words = 0
    j = subject[0] - 1
    while j >= 0 and "\n" not in texts[j] and texts[j] not in _CLAUSE_OPENERS \
            and not doc[j + 1].is_sent_start:
        if not _is_space(texts[j]):
            if _entity_at(ranges, j) is not None:
                return None
            words += 1
            if words > _SUBJECT_LEAD:
                return None
        j -= 1
    return subject[0], subject[1]


def _opens_line(doc: Doc, start: int) -> bool:
    texts = token_texts(doc)
    k = start - 1
    while k >= 0 and "\n" not in texts[k]:
        if not (_is_space(texts[k]) or texts[k] in _CLAUSE_OPENERS or texts[k].isdigit()):
            return False
        k -= 1
    return True


# --- a new clause after ", and" ------------------------------------------------------------

# Subjects and auxiliaries that open a clause after "and" ("and she was", "and will").
_CLAUSE_SUBJECTS = frozenset({"he", "she", "they", "we", "patient", "pt", "was", "were",
                              "is", "has", "had", "will", "then", "now"})


def new_clause_between(doc: Doc, lo: int, hi: int) -> bool:
    """Whether tokens ``[lo, hi)`` hold "and" opening a clause of its own: after a comma and
    before a past-tense verb ("no SI, and started sertraline"), or before a subject or an
    auxiliary ("denies pain and she walked", "no rash, and was discharged"). A plain list
    ("no fever, chills, and rigors") has no verb after its "and"."""
    texts = token_texts(doc)
    for k in range(lo, hi - 1):
        if texts[k].lower() != "and":
            continue
        prev = k - 1
        while prev >= lo and _is_space(texts[prev]):
            prev -= 1
        nxt = k + 1
        while nxt < hi and _is_space(texts[nxt]):
            nxt += 1
        if nxt >= hi:
            return False
        word = texts[nxt].lower()
        if word in _CLAUSE_SUBJECTS:
            return True
        if prev >= lo and texts[prev] == "," and len(word) > 4 and word.endswith("ed") \
                and doc[nxt].ent_iob_ in ("O", ""):
            return True
    return False


# --- a thing attached to the denied finding ------------------------------------------------

# Prepositions that attach a place, a means or a circumstance to the finding before them.
_ATTACHING = frozenset({"at", "around", "near", "over", "under", "from", "with", "on", "in",
                        "along", "about", "beneath", "behind", "after", "despite"})
_DETERMINERS = frozenset({"the", "a", "an", "his", "her", "their", "this", "that", "its",
                          "any"})
_THINGS = frozenset({"MEDICATION", "PROCEDURE", "TEST"})


def attached_to_other_object(doc: Doc, cue_end: int, span: Span,
                             ranges: list[tuple[int, int, str]]) -> bool:
    """Whether a forward negation cue ending at ``cue_end`` denies another entity that
    ``span`` only qualifies.

    Two shapes: a drug, device or test after an attaching preposition that follows a denied
    PROBLEM ("no redness at the port", "no bleeding on heparin"); a PROBLEM inside a
    parenthesis opened right after a denied drug, procedure or test, giving the reason
    ("not on an ACE inhibitor (hyperkalemia)", "No NSAIDs (AKI)").
    """
    texts = token_texts(doc)
    label = span.label_.upper()
    between = [r for r in ranges if cue_end <= r[0] and r[1] <= span.start]
    if not between:
        return False
    if label in _THINGS:
        if not any(r[2].upper() == "PROBLEM" for r in between):
            return False
        k = span.start - 1
        while k >= cue_end and (_is_space(texts[k]) or texts[k].lower() in _DETERMINERS):
            k -= 1
        return k >= cue_end and texts[k].lower() in _ATTACHING and \
            _entity_at(ranges, k) is None and k > between[-1][1] - 1
    if label == "PROBLEM":
        things = [r for r in between if r[2].upper() in _THINGS]
        if not things:
            return False
        depth = 0
        for k in range(things[-1][1], span.start):
            depth += texts[k].count("(") - texts[k].count(")")
        if depth <= 0:
            return False
        # The parenthesis opens right after the treatment (its dose may stand between).
        k = things[-1][1]
        while k < span.start and "(" not in texts[k]:
            if _entity_at(ranges, k) is not None:
                return False
            k += 1
        return True
    return False


# --- a cue after a coordinated list --------------------------------------------------------

_COORDINATORS = frozenset({",", "and", "or", "/", "&", "+", "nor"})


def coordinated_gap(doc: Doc, span_end: int, cue_start: int,
                    ranges: list[tuple[int, int, str]]) -> int | None:
    """Tokens between the last list item and a backward cue when ``span`` heads a list
    that runs up to it ("CBC, BMP in AM": from "CBC" the gap is the one after "BMP").

    Returns:
        The count of words after the list's last entity, or None when anything other than
        coordinators and entities follows the span before that entity.
    """
    texts = token_texts(doc)
    k = span_end
    last_end = None
    while k < cue_start:
        ent = _entity_at(ranges, k)
        if ent is not None:
            last_end = ent[1]
            k = ent[1]
            continue
        if _is_space(texts[k]) and "\n" not in texts[k]:
            k += 1
            continue
        if texts[k].lower() in _COORDINATORS and last_end is None or (
                texts[k].lower() in _COORDINATORS and last_end == _prev_word_end(texts, k)):
            k += 1
            continue
        break
    if last_end is None:
        return None
    return sum(1 for j in range(last_end, cue_start) if not _is_space(texts[j]))


def _prev_word_end(texts: list[str], k: int) -> int:
    j = k - 1
    while j >= 0 and _is_space(texts[j]):
        j -= 1
    return j + 1


# --- a test or procedure named with its purpose --------------------------------------------

_PURPOSE_VERBS = frozenset({"rule", "evaluate", "eval", "assess", "screen", "check",
                            "document", "exclude", "look", "confirm", "characterize",
                            "investigate"})
# A result or a past action in the rest of the sentence: the study was done.
_DONE_WORDS = frozenset({"showed", "shows", "revealed", "demonstrated", "was", "were",
                         "negative", "positive", "unremarkable", "normal", "done",
                         "performed", "obtained", "found", "noted", "confirmed", ":"})


_PAST_ACTIONS = frozenset({"underwent", "had", "received", "obtained", "performed", "got",
                           "did", "was", "were", "s/p"})


def purpose_follows(span: Span) -> bool:
    """Whether a TEST or PROCEDURE is followed by "to" and a purpose verb ("CT chest to r/o
    PE", "US to evaluate for DVT") with no result or past action after it in its sentence:
    named for what it should show, it is still to be done."""
    doc = span.doc
    texts = token_texts(doc)
    sent_end = span.sent.end
    k = span.end
    while k < sent_end and _is_space(texts[k]):
        k += 1
    if k + 1 >= sent_end or texts[k].lower() != "to":
        return False
    j = k + 1
    while j < sent_end and _is_space(texts[j]):
        j += 1
    if j >= sent_end:
        return False
    # spaCy splits "r/o" into "r", "/", "o".
    rule_out = texts[j].lower() == "r" and j + 1 < sent_end and texts[j + 1] == "/"
    if not rule_out and texts[j].lower() not in _PURPOSE_VERBS:
        return False
    if any(texts[m].lower() in _PAST_ACTIONS for m in range(span.sent.start, span.start)):
        return False
    return not any(texts[m].lower() in _DONE_WORDS for m in range(j, sent_end))


# --- the phrase of a bounded history cue ---------------------------------------------------

# Words after which a past event's phrase ("s/p colectomy", "prior MI") gives its reason or a
# current finding: "s/p colectomy for diverticulitis", "s/p ORIF with delirium".
_PHRASE_ENDS = frozenset({"for", "-", "--", "—"})
# Words that end the phrase only before another kind of entity: "s/p cath with DES" is one
# procedure, "s/p ORIF with delirium" a procedure and a current problem.
_KIND_ENDS = frozenset({",", "with", "w/"})


def history_phrase_ended(doc: Doc, cue_end: int, span: Span,
                         ranges: list[tuple[int, int, str]]) -> bool:
    """Whether a history cue of bounded reach ("s/p", "prior") stops before ``span``.

    Its phrase ends at "for" or a dash, and at a comma or "with" followed by an entity of
    another type than the cue's first one: "s/p PCI 2019, paroxysmal AF" (the AF is current),
    while "prior MI, CVA" and "s/p CABG, PCI" stay one list of past events.
    """
    texts = token_texts(doc)
    first = next((r for r in ranges if r[0] >= cue_end), None)
    for k in range(cue_end, span.start):
        word = texts[k].lower()
        if _entity_at(ranges, k) is not None:
            continue
        if word in _PHRASE_ENDS:
            return True
        if word in _KIND_ENDS and first is not None and first[0] < k and \
                first[2].upper() != span.label_.upper():
            return True
    return False


# --- a drug's current status in the parenthesis after it -----------------------------------

# First words of a parenthesis that state what is true of the drug now.
_STATUS_OPENERS = frozenset({"not", "never", "held", "holding", "stopped", "discontinued",
                             "on", "off", "self-discontinued"})
# Sig words and signs that may stand between the drug and its parenthesis ("5 mg BID");
# a comma or another entity there means the parenthesis belongs to something else.
_SIG_BREAKS = frozenset({",", ";", ".", ":", "|"})


def drug_status_parenthesis(doc: Doc, target_end: int, paren: int, cue_start: int) -> bool:
    """Whether the parenthesis opened at token ``paren`` states the current status of the
    drug ending at ``target_end``: only the drug's sig stands between them (no comma, no
    other entity, same line) and the cue opens the parenthesis. A status word followed by a
    date or a number tells a past episode ("held 7/7-7/9", "stopped 2019"), not the
    present state, unless "since" dates its start ("held since admission")."""
    texts = token_texts(doc)
    ranges = entity_ranges(doc)
    for k in range(target_end, paren):
        if "\n" in texts[k] or texts[k] in _SIG_BREAKS or _entity_at(ranges, k) is not None:
            return False
    first = paren + 1
    while first < cue_start and _is_space(texts[first]):
        first += 1
    if first != cue_start or texts[cue_start].lower() not in _STATUS_OPENERS:
        return False
    nxt = cue_start + 1
    while nxt < len(doc) and _is_space(texts[nxt]):
        nxt += 1
    return nxt >= len(doc) or not texts[nxt][:1].isdigit()


# --- a backward cue's own subject after a spaced dash --------------------------------------

_SPACED_DASHES = frozenset({"-", "\u2013", "\u2014"})


def dash_before_own_subject(doc: Doc, target_end: int, cue_start: int,
                            ranges: list[tuple[int, int, str]]) -> bool:
    """Whether a backward cue at ``cue_start`` is the predicate of another entity that ends
    right before it (auxiliaries between) and a dash with spaces on both sides separates
    that subject from the target ending at ``target_end``: "A - B unlikely" hedges B only.
    A hyphen inside a word ("K-Phos") or a list ("A, B unlikely") is no such boundary."""
    texts = token_texts(doc)
    k = cue_start - 1
    while k >= target_end and (_is_space(texts[k]) or texts[k].lower() in _AUX):
        k -= 1
    subject = _entity_at(ranges, k) if k >= target_end else None
    if subject is None or subject[0] <= target_end:
        return False
    for j in range(target_end, subject[0]):
        if texts[j] in _SPACED_DASHES and j > 0 and doc[j - 1].whitespace_ \
                and doc[j].whitespace_:
            return True
    return False


# --- a problem as the circumstance of a denied word --------------------------------------

# Prepositions that make the problem after them the setting of what is denied.
_CIRCUMSTANCE = frozenset({"in", "given", "despite"})
_MAX_DENIED_WORDS = 3


def denied_noun_before_circumstance(doc: Doc, cue_end: int, span: Span,
                                    ranges: list[tuple[int, int, str]]) -> bool:
    """Whether a forward negation ending at ``cue_end`` denies a word or two that are no
    entity, and ``span``, a PROBLEM, follows them after "in" / "given" / "despite" (and
    determiners): "no fluid restriction in vasospasm", "no improvement in dyspnea". A
    problem after "of" ("no sign of infection") or "with" ("no issues with constipation")
    is what is denied, and so is anything after a listed entity."""
    if span.label_.upper() != "PROBLEM":
        return False
    texts = token_texts(doc)
    k = span.start - 1
    while k >= cue_end and (_is_space(texts[k]) or texts[k].lower() in _DETERMINERS):
        k -= 1
    if k < cue_end or texts[k].lower() not in _CIRCUMSTANCE:
        return False
    words = 0
    for j in range(cue_end, k):
        if _is_space(texts[j]):
            continue
        if _entity_at(ranges, j) is not None or not texts[j][:1].isalpha():
            return False
        words += 1
    return 0 < words <= _MAX_DENIED_WORDS
