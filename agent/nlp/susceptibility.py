"""Antibiotic names in a culture susceptibility statement are not medications.

"E. coli, susceptible to ceftriaxone and ciprofloxacin, resistant to ampicillin" describes
the organism, not a therapy: the annotation guideline leaves such names unlabelled, and a
medication list built from them would show drugs the patient never got. A drug is in such a
statement when, on its line, a susceptibility cue points at it ("sensitive to", "resistant
to", "pan-susceptible (except", "Susceptibilities:") with only other drug names and list
separators in between, or when the drug carries the result itself ("cefazolin-susceptible",
"ampicillin R; ceftriaxone S" on a susceptibility line). A plan that merely conditions on
the result ("If susceptible, ciprofloxacin 500 mg") has no "to" after the cue and is kept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_CUE = re.compile(
    r"\b(?:pan-?)?(?:sensitive|susceptible|resistant|intermediate)\s+(?:to|except)\b"
    r"|\bpan-?(?:sensitive|susceptible)\s*\(\s*except\b"
    r"|\b(?:susceptibilities|sensitivities)\s*:",
    re.IGNORECASE)
# What may stand between the cue and a listed drug, or between two listed drugs.
_SEPARATORS = re.compile(r"(?:[ \t,/(]|\band\b|\bor\b)*", re.IGNORECASE)
# The result written on the drug: "cefazolin-susceptible", "oxacillin-resistant".
_RESULT_SUFFIX = re.compile(r"-(?:susceptible|sensitive|resistant)\b", re.IGNORECASE)
# A one-letter result after the drug ("ampicillin R;"), only on a susceptibility line.
_RESULT_LETTER = re.compile(r"[ \t]+[RSI](?=[ \t]*(?:[;,).]|$))", re.MULTILINE)
_SUSCEPTIBILITY_LINE = re.compile(r"susceptib|sensitivit", re.IGNORECASE)


def susceptibility_drug_starts(text: str, drugs: Sequence[tuple[int, int]]) -> set[int]:
    """Start offsets of the drug spans that name a susceptibility result.

    Args:
        text: the note text.
        drugs: MEDICATION spans ``(start, end)`` in offset order.
    """
    out: set[int] = set()
    for i, (start, end) in enumerate(drugs):
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        line_end = len(text) if line_end == -1 else line_end
        if _RESULT_SUFFIX.match(text, end) or (
                _RESULT_LETTER.match(text, end)
                and _SUSCEPTIBILITY_LINE.search(text, line_start, line_end)):
            out.add(start)
            continue
        cues = list(_CUE.finditer(text, line_start, start))
        if not cues:
            continue
        pos = cues[-1].end()
        listed = True
        for other_start, other_end in drugs[:i]:
            if other_end <= pos:
                continue
            if not _SEPARATORS.fullmatch(text, pos, other_start):
                listed = False
                break
            pos = other_end
        if listed and _SEPARATORS.fullmatch(text, pos, start):
            out.add(start)
    return out
