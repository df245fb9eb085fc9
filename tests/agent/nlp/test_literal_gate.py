"""Literal gates (agent.nlp.literal_gate): the literals an expression needs, and the
property that matters: a gate never skips an expression that would have matched."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from agent.deid import labels, organisations
from agent.nlp.literal_gate import (
    GatedPattern,
    LiteralGate,
    folded,
    leading_literals,
    required_literals,
)

DEV = Path(__file__).resolve().parents[3] / "evals" / "data" / "dev"


def test_when_labels_alternate_then_any_label_is_required():
    req = required_literals(r"\b(?:MRN|chart\s*no)\s*[:#]?\s*\d{6}", re.IGNORECASE)
    assert req == {("mrn", True), ("chart", True)}


def test_when_a_part_is_optional_then_it_requires_nothing():
    assert required_literals(r"(?:SSN)?\d{3}-\d{2}") == {("-", False)}
    assert required_literals(r"(?:SSN)*\d{3}") is None


def test_when_a_branch_has_no_literal_then_the_branch_requires_nothing():
    assert required_literals(r"(?:fax|\d{3})\d") is None


def test_when_case_differs_inline_then_each_literal_keeps_its_own_case():
    req = required_literals(r"(?i:apt)\s+Unit")
    # "Unit" (4 letters, case-sensitive) is the more selective of the two requirements.
    assert req == {("Unit", False)}
    assert required_literals(r"(?i:suite)\s+#") == {("suite", True)}


def test_when_a_letter_folds_outside_ascii_then_the_gate_still_lets_it_through():
    # re.IGNORECASE matches "ſ" (long s) to "s" and the Kelvin sign to "k".
    for pattern, text in ((r"ssn \d{4}", "\u017f\u017fn 1234"), (r"kin \d", "\u212ain 4")):
        rx = re.compile(pattern, re.IGNORECASE)
        assert rx.search(text) is not None
        assert LiteralGate(rx).may_match(text, folded(text))


def test_when_no_required_literal_is_in_the_text_then_the_gate_skips():
    rx = re.compile(r"\bNPI\s*[:#]?\s*\d{10}", re.IGNORECASE)
    gate = LiteralGate(rx)
    assert not gate.may_match("seen today, BP 120/80", folded("seen today, BP 120/80"))
    assert gate.may_match("npi 1234567890", folded("npi 1234567890"))


def test_gated_pattern_finds_what_the_pattern_finds():
    rx = re.compile(r"(?i:fax)\s*(?P<n>\d{3})")
    gp = GatedPattern(rx)
    text = "FAX 555 and fax 123"
    assert [m.span() for m in gp.finditer(text)] == [m.span() for m in rx.finditer(text)]
    assert list(gp.finditer("no number")) == []
    assert gp.groupindex == rx.groupindex  # the pattern's other attributes pass through


def test_when_every_match_starts_with_a_label_then_only_label_starts_are_tried():
    rx = re.compile(r"(?<![A-Za-z])(?i:mother|martin|mr)\.?\s+(?P<n>[A-Z][a-z]+)")
    assert leading_literals(rx.pattern, rx.flags) == {("mother", True), ("martin", True),
                                                      ("mr", True)}
    gp = GatedPattern(rx)
    assert gp.anchored
    # Overlapping starts, a look-behind that reads before the start, a case-folded label.
    text = "grandMother Ann; MOTHER Bea, mr. Cole, Martin Dale and Mr Mr Eve"
    assert [m.span("n") for m in gp.finditer(text)] == [m.span("n") for m in rx.finditer(text)]


def test_when_an_anchored_pattern_needs_a_rarer_word_then_a_text_without_it_is_not_tried():
    rx = re.compile(r"\b(?:on|with)\s+(?:a\s+)?(?:soft|hard)\s+collar\b", re.IGNORECASE)
    gp = GatedPattern(rx)
    assert gp.anchored and not gp.gate.always
    tried = []

    class Spy:
        def __init__(self, inner):
            self.inner = inner

        def match(self, text, pos):
            tried.append(pos)
            return self.inner.match(text, pos)

    gp.pattern_ = Spy(rx)
    assert list(gp.finditer("on heparin with a soft diet, on room air")) == []
    assert tried == []  # no "collar": no "on"/"with" was tried
    text = "Sitting up with a soft collar; on hard Collar at night"
    assert [m.span() for m in gp.finditer(text)] == [m.span() for m in rx.finditer(text)]
    assert tried


def test_when_a_match_may_start_without_a_literal_then_no_start_is_assumed():
    assert leading_literals(r"(?:Dr)?\s*[A-Z]\w+") is None
    assert leading_literals(r"(?:^|x)abc", re.MULTILINE) is None
    assert leading_literals(r"(?:^|(?<=[,;]))(?:Attending|PCP):", re.MULTILINE) == {
        ("Attending", False), ("PCP", False)}
    assert leading_literals(r"(?:Mon\.?\s+)?(?:Jan|Feb)\s\d") == {
        ("Mon", False), ("Jan", False), ("Feb", False)}


def _dev_texts() -> list[str]:
    texts = []
    for f in sorted(DEV.glob("*/notes.jsonl")):
        texts += [json.loads(line)["text"] for line in f.open(encoding="utf-8") if line.strip()]
    return texts


def _gated_patterns(detector) -> list[tuple[str, GatedPattern]]:
    out = []
    for r in detector.analyzer.registry.recognizers:
        for p, gp in getattr(r, "_patterns", []):
            out.append((f"{r.name}:{p.name}", gp))
        for name, value in [*vars(r).items(), *vars(type(r)).items()]:
            if isinstance(value, GatedPattern):
                out.append((f"{r.name}.{name}", value))
        for name, gp, _score, _numeric in getattr(r, "_compiled", []):
            out.append((f"{r.name}:{name}", gp))
    for module in (labels, organisations):
        out += [(f"{module.__name__}.{name}", value) for name, value in vars(module).items()
                if isinstance(value, GatedPattern)]
    return out


@pytest.mark.skipif(not DEV.is_dir(), reason="dev corpora not in this checkout")
def test_gated_patterns_find_what_their_patterns_find_in_dev_notes(deid_detector):
    texts = _dev_texts()
    # Every other note and some recased copies keep this under ~10 s; the identity check
    # of the benchmark's notes (README, de-identification speed) covers all of them.
    texts = texts[::2] + [deid_detector.recaser.recase(t) for t in texts[::9]]
    patterns = _gated_patterns(deid_detector)
    assert len(patterns) > 100 and sum(gp.anchored for _, gp in patterns) > 40
    skipped = 0
    for text in texts:
        low = folded(text)
        for name, gp in patterns:
            if not gp.gate.may_match(text, low):
                skipped += 1
                assert gp.pattern_.search(text) is None, f"gate skipped {name}, which matches"
            elif gp.anchored:
                assert [m.span() for m in gp.finditer(text)] == [
                    m.span() for m in gp.pattern_.finditer(text)], name
    assert skipped > len(texts) * 10  # the gates do skip work


def test_every_requirement_of_a_branch_is_checked_not_only_the_best_one():
    """'body part ... swollen' | 'swollen ... body part': both the body-part words and the
    symptom words are required (one of each alternative's requirements, combined), so a note
    with body parts but no symptom word is not scanned; one with both is."""
    from agent.nlp.literal_gate import LiteralGate, folded, required_clauses

    rx = re.compile(r"\b(?:hands?|feet|knees?)\s+(?:are\s+)?(?:swollen|sore)"
                    r"|(?:swollen|sore)\s+(?:hands|feet|knees)\b", re.IGNORECASE)
    # re's parser writes (?:swollen|sore) as s(?:wollen|ore): those literals are required.
    assert any({"wollen", "ore"} <= {s for s, _ in req}
               for req in required_clauses(rx.pattern, rx.flags))
    gate = LiteralGate(rx)
    for text in ("Hands warm, knees without effusion.", "Sore throat.", ""):
        assert not gate.may_match(text, folded(text))
        assert rx.search(text) is None
    for text in ("KNEES ARE SWOLLEN", "sore feet after the walk"):
        assert gate.may_match(text, folded(text)) and rx.search(text)
