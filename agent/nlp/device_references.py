"""Second pass for devices: a bare head noun that refers back to a device the note named.

Once a note names a device by a phrase ending in its head noun ("insulin pump", "Foley
catheter", "24 Fr chest tube", "JP drain"), the same head noun on its own later ("pump
alarm", "the catheter was flushed", "drain output 40 mL") names that device too; the
annotation guideline labels such references ("a generic word that only refers back ... is
still labelled if it names the device"). The head alone is never matched in a note that
names no such device, so "tube" or "pump" in other senses ("test tube", "calf pump
exercises" in a note without a pump) stays unlabelled.

The heads are the device head nouns the vocabulary builder uses
(:data:`agent.nlp.vocab.build.DEVICE_HEADS`), less the ones that are ordinary words or body
parts in notes ("device", "airway", "mask", "port" has its own rule), plus the heads of the
orthoses and pressure-relief devices.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from agent.nlp.lexicon import LexiconHit
from agent.nlp.vocab.build import DEVICE_HEADS

_LEFT_OUT = frozenset({"device", "airway", "mask", "port", "tubes", "balloon"})
# The head nouns of the orthosis and pressure-relief rule in targets.json ("abdominal
# binder" ... "loosen the binder", "Aspen collar" ... "collar on").
ORTHOSIS_HEADS = frozenset({"binder", "collar", "splint", "brace", "sling", "boot", "hose",
                            "mattress"})
REFERENCE_HEADS = frozenset((DEVICE_HEADS - _LEFT_OUT) | ORTHOSIS_HEADS)
_HEAD_AT_END = re.compile(r"(?i)\b(" + "|".join(sorted(REFERENCE_HEADS)) + r")s?$")
# Several heads are also verbs ("he pumps the button", "braces himself", "drain the
# abscess", "pump up the tires"): a subject pronoun or modal just before the head, or an
# object, reflexive or particle just after it, makes it the verb, not the device.
_VERB_BEFORE = re.compile(r"(?i)(?<![\w-])(?:I|he|she|we|they|you|who|will|would|can|could|"
                          r"should|must|might)\s+$")
_VERB_AFTER = re.compile(r"(?i)\s+(?:the|a|an|his|her|their|my|your|our|its|it|them|him|"
                         r"himself|herself|themselves|myself|yourself|up|out)(?![\w-])")
SOURCE = "device-reference"


def device_heads(text: str, hits: Iterable[LexiconHit]) -> dict[str, str]:
    """Head noun (lower case) -> the canonical device of the PROCEDURE hits that end in it.

    Args:
        text: the text the hits index.
        hits: entity hits in offset order.

    Returns:
        The first device named with each head.
    """
    heads: dict[str, str] = {}
    for h in hits:
        if h.label != "PROCEDURE":
            continue
        m = _HEAD_AT_END.search(text, h.start, h.end)
        # A one-word hit that is the head itself ("catheter") names no particular device.
        if m is not None and m.start() > h.start:
            heads.setdefault(m.group(1).lower(), h.canonical)
    return heads


def device_reference_hits(text: str, heads: dict[str, str]) -> list[LexiconHit]:
    """PROCEDURE hits for bare head nouns of the devices in ``heads``.

    Args:
        text: the note (or segment) text.
        heads: :func:`device_heads` of the text, plus those of earlier segments of the same
            note.

    Returns:
        New hits (canonical: the named device); callers resolve overlaps, so a head inside a
        longer entity ("catheter-associated UTI", the naming phrase itself) is dropped there.
        A head before a colon is a label ("Drains: JP x2"), not a mention; a head used as a
        verb ("he pumps the button", "braces himself") is none either, nor one with an "of"
        complement, which makes it a container or a part ("a binder of court papers",
        "a collar of osteophytes", "the boot of the car").
    """
    if not heads:
        return []
    rx = re.compile(r"(?i)(?<![\w-])(" + "|".join(re.escape(h) for h in sorted(heads))
                    + r")(s?)(?![\w-])(?!\s*:)(?!\s+of\b)")
    return [LexiconHit(m.start(), m.end(), "PROCEDURE", heads[m.group(1).lower()], SOURCE)
            for m in rx.finditer(text) if not _used_as_verb(text, m.start(), m.end())]


def _used_as_verb(text: str, start: int, end: int) -> bool:
    """Whether the head at ``text[start:end]`` reads as a verb (see ``_VERB_BEFORE``)."""
    return (_VERB_BEFORE.search(text, max(0, start - 12), start) is not None
            or _VERB_AFTER.match(text, end) is not None)
