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
from agent.nlp.vocab.build import DEVICE_HEADS, one_sense_expansion

_LEFT_OUT = frozenset({"device", "airway", "mask", "port", "tubes", "balloon"})
# The head nouns of the orthosis and pressure-relief rule in targets.json ("abdominal
# binder" ... "loosen the binder", "Aspen collar" ... "collar on").
ORTHOSIS_HEADS = frozenset({"binder", "collar", "splint", "brace", "sling", "boot", "hose",
                            "mattress"})
# Access sheaths are named with their French size or kind first ("6 Fr sheath", "peel-away
# sheath") and then alone ("sheath site soft", "sheath removed").
# A negative-pressure dressing is named "wound VAC" or "home VAC" and then "VAC" alone.
ACCESS_HEADS = frozenset({"sheath", "vac"})
REFERENCE_HEADS = frozenset((DEVICE_HEADS - _LEFT_OUT) | ORTHOSIS_HEADS | ACCESS_HEADS)
_HEAD_AT_END = re.compile(r"(?i)\b(" + "|".join(sorted(REFERENCE_HEADS)) + r")s?$")
# Several heads are also verbs ("he pumps the button", "braces himself", "drain the
# abscess", "pump up the tires"): a subject pronoun or modal just before the head, or an
# object, reflexive or particle just after it, makes it the verb, not the device.
_VERB_BEFORE = re.compile(r"(?i)(?<![\w-])(?:I|he|she|we|they|you|who|will|would|can|could|"
                          r"should|must|might)\s+$")
_VERB_AFTER = re.compile(r"(?i)\s+(?:the|a|an|his|her|their|my|your|our|its|it|them|him|"
                         r"himself|herself|themselves|myself|yourself|up|out)(?![\w-])")
SOURCE = "device-reference"
_FRENCH_BEFORE = re.compile(r"\d(?:\.\d+)?\s*(?:Fr|French)\s+$")
# The name before the head ("JP drain", "Hemovac drain", "NG tube", "Quinton catheter"): an
# abbreviation or a capitalised eponym, which notes then write alone ("JP output 40 mL",
# "Hemovac removed"). Names that are also a service, a modality, a route or a side are not
# device names alone ("IR drain": "discussed with IR"; "CT-guided"; "IV catheter": the route;
# "RUQ drain": a region; "HD catheter": hemodialysis has its own rule).
_NAME_BEFORE_HEAD = re.compile(r"([A-Z]{2,5}|[A-Z][a-z]{3,})[- ]")
_NOT_A_DEVICE_NAME = frozenset({"IR", "CT", "US", "MRI", "IV", "ED", "OR", "ICU", "PACU", "EMS",
                                "RUQ", "LUQ", "RLQ", "LLQ", "HD",
                                "RN", "MD", "OT", "PT", "GI", "ENT", "The", "This", "That",
                                "His", "Her", "New", "Left", "Right", "Small", "Large",
                                "Temporary", "Tunneled", "Indwelling", "Urinary", "Chest",
                                "Feeding", "Central", "Peripheral", "Arterial", "Nasal",
                                "Surgical", "Straight", "Suprapubic", "Pigtail",
                                # where a device sits, not its name ("Wound VAC", "Home O2")
                                "Wound", "Home", "WOUND", "HOME"})


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
        # A one-word hit that is the head itself ("catheter") names no particular device,
        # unless its French size comes before it ("6 Fr sheath").
        if m is None:
            # A device named by its short form names the head of its expansion too ("PICC":
            # peripherally inserted central catheter, so "the catheter" after it).
            expansion = (h.canonical if " " in h.canonical
                         else one_sense_expansion(text[h.start:h.end]))
            head = _HEAD_AT_END.search(expansion) if expansion else None
            if head is not None:
                heads.setdefault(head.group(1).lower(), expansion)
            continue
        if m is not None and (m.start() > h.start
                              or _FRENCH_BEFORE.search(text, max(0, h.start - 16), h.start)):
            heads.setdefault(m.group(1).lower(), h.canonical)
            name = _NAME_BEFORE_HEAD.fullmatch(text, h.start, m.start())
            if name is not None and name.group(1) not in _NOT_A_DEVICE_NAME:
                # Kept as written: a name matches in its own case ("NG" is a tube, "ng"
                # a nanogram).
                heads.setdefault(name.group(1), h.canonical)
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
    nouns = sorted(h for h in heads if h.islower())
    names = sorted(h for h in heads if not h.islower())
    out = []
    if nouns:
        rx = re.compile(r"(?i)(?<![\w-])(" + "|".join(re.escape(h) for h in nouns)
                        + r")(s?)(?![\w-])(?!\s*:)(?!\s+of\b)")
        out += [LexiconHit(m.start(), m.end(), "PROCEDURE", heads[m.group(1).lower()], SOURCE)
                for m in rx.finditer(text) if not _used_as_verb(text, m.start(), m.end())]
    if names:
        # Device names alone, in their own case; not before a colon (a label) or a hyphen,
        # nor after a route word ("via NG", "per NG": a route, which the guideline leaves
        # inside the medication's attributes).
        rx = re.compile(r"(?<![\w-])(?<!via )(?<!per )(?<!thru )(?<!through )("
                        + "|".join(re.escape(h) for h in names)
                        + r")(?![\w-])(?!\s*:)")
        out += [LexiconHit(m.start(), m.end(), "PROCEDURE", heads[m.group(1)], SOURCE)
                for m in rx.finditer(text)]
    return sorted(out, key=lambda h: h.start)


def _used_as_verb(text: str, start: int, end: int) -> bool:
    """Whether the head at ``text[start:end]`` reads as a verb (see ``_VERB_BEFORE``)."""
    return (_VERB_BEFORE.search(text, max(0, start - 12), start) is not None
            or _VERB_AFTER.match(text, end) is not None)
