"""Denials written after the thing they deny: ``silver sulfadiazine -> NO (using foam
dressings)``, ``Foley: no``, ``tamsulosin - declined``.

Terse notes answer a question they do not write ("give X?") with an arrow or a dash and
"NO"; the extractor reads the drug before it as given. :func:`trailing_denials` marks such
mentions absent once, in the patient preparation, so the timeline (not given) and the
verifier (a statement that it was given is not backed) read the same thing.
"""

from __future__ import annotations

import re

from agent.schemas.extraction import NoteExtraction
from agent.schemas.notes import Note

# Right after the mention (its form or dose words, or an aside in parentheses, may stand
# between: "mafenide cream -> NO"): an arrow, colon or dash, then the denial word closing
# the phrase ("-> NO (using foam)", ": not given.", "- declined"); "Foley: no issues" goes
# on and denies nothing.
_TRAILING_DENIAL = re.compile(
    r"(?:\s+[\w%./]+){0,3}?(?:\s*\([^)\n]{0,60}\))?\s*(?:->|→|=>|:|-{1,2}|—|–)\s*"
    r"(?:no|not (?:given|done|started|needed|indicated|ordered)|none|declined|refused)"
    r"(?=\s*(?:[.,;:()\n]|$))",
    re.IGNORECASE)
_TYPES = frozenset({"MEDICATION", "PROCEDURE", "TEST"})


def trailing_denials(note: Note, extraction: NoteExtraction) -> NoteExtraction:
    """The extraction with each drug, procedure or test that a trailing "-> NO" (or ": not
    given", "- declined") answers marked absent; the same extraction when none is."""
    changed = {}
    for k, ent in enumerate(extraction.entities):
        if ent.type in _TYPES and ent.assertion == "present" and \
                _TRAILING_DENIAL.match(note.text, ent.end):
            changed[k] = ent.model_copy(update={"assertion": "absent"})
    if not changed:
        return extraction
    return extraction.model_copy(update={"entities": [
        changed.get(k, e) for k, e in enumerate(extraction.entities)]})
