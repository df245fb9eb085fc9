"""The shape of a clinician's name as notes write it: "Dr. Talia Kestrelson",
"S. Okafor-Lindgren, MD", "Linnea Farquharson-Obi, PharmD, BCIDP", "QUENBY, ROSALIND MD".

Read from the start of a stretch of text (after a label such as "Attending:" or at the
start of a signature line), so the words that follow the name (a service, a pager, a date)
are left out.
"""

from __future__ import annotations

import re

# Degrees and credentials that end a signed name; a name followed by one reads as a
# clinician's signature even without "Dr.".
_CREDENTIAL = (r"(?:M\.?D\.?|D\.?O\.?|RN|BSN|MSN|NP|[AF]NP|ACNP|DNP|APRN|CNP|CNM|CRNA|PA-C|PA|"
               r"PharmD|RPh|BCPS|BCIDP|MBBS|MBChB|PhD|MPH|MS|FACC|FACP|FACS|FCCP|FHM|RPVI|"
               r"LPN|RD|DPM|DDS|LCSW|MSW|PT|DPT|OT|SLP|CCC-SLP|RRT)")
# A word of a name, or an initial with its period ("T."): a period after a longer word
# ends the sentence ("Dr. O. Brisk. Patient: ...").
_TOKEN = r"(?:[A-Z]\.|[A-Z][A-Za-z'’]*(?:-[A-Z][A-Za-z'’]*)*)"
_PARTICLE = r"(?:van|von|de|del|della|da|di|du|le|la|bin|ibn)"
_TITLE = r"(?:Dr\.?|Doctor)"
_NEXT = rf" (?:{_PARTICLE} )?(?!{_CREDENTIAL}\b){_TOKEN}"
# Words are one space apart (a wider gap separates header fields); a comma only after the
# first word, as in "QUENBY, ROSALIND" (after a full name it starts the service or degree).
PERSON = re.compile(
    rf"(?:(?P<title>{_TITLE} )(?P<tname>{_TOKEN}(?:{_NEXT}){{0,3}})"
    rf"|(?P<name>{_TOKEN}(?:,?{_NEXT})?(?:{_NEXT}){{0,2}}))"
    rf"(?P<cred>(?:,? {_CREDENTIAL}\b\.?)*)")


def person_at(text: str, *, needs_credential: bool = False) -> tuple[int, int] | None:
    """The clinician's name at the start of ``text`` (leading spaces and dashes skipped).

    Args:
        text: text starting where a name is expected.
        needs_credential: accept only a name with a title ("Dr.") or a credential ("MD"),
            as a signature line without a label must have.

    Returns:
        ``(start, end)`` of the name with its title and credentials, or None.
    """
    lead = len(text) - len(text.lstrip(" \t-–—*:"))
    m = PERSON.match(text, lead)
    if m is None:
        return None
    has_mark = bool(m.group("title")) or bool(m.group("cred").strip())
    if needs_credential and not has_mark:
        return None
    end = m.end()
    while end > m.start() and text[end - 1] in ", ":
        end -= 1
    if text[end - 1] == "." and "." not in text[m.start():end - 1].split()[-1]:
        end -= 1  # the sentence's period after "MD", not part of "M.D."
    if not m.group("title") and len(m.group("name").split()) < 2:
        return None  # one capitalised word ("Home PT") is a sentence's first word
    return m.start(), end

