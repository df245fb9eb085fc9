"""Dictionary matching: word boundaries, longest match, case-sensitive abbreviations."""

from __future__ import annotations

from verifiers.lexicon import LexiconHit, LexiconMatcher, longest_non_overlapping


def _matcher():
    return LexiconMatcher(
        {"drugs": ("MEDICATION", {"ace": "ace", "insulin": "insulin",
                                  "insulin glargine": "insulin glargine"}),
         "dz": ("PROBLEM", {"heart failure": "heart failure"})},
        {"abbr": ("PROBLEM", {"MS": "multiple sclerosis"})},
    )


def test_when_variant_is_inside_a_word_then_no_match():
    assert _matcher().find("Place the patient on the floor") == []


def test_when_longer_variant_covers_shorter_then_longest_wins():
    hits = _matcher().find("Started Insulin Glargine qhs")
    assert [(h.start, h.end, h.canonical) for h in hits] == [(8, 24, "insulin glargine")]


def test_when_abbreviation_is_lower_case_word_then_case_sensitive_vocab_ignores_it():
    text = "h/o MS, ms lesion"
    hits = _matcher().find(text)
    assert [(text[h.start:h.end], h.label) for h in hits] == [("MS", "PROBLEM")]


def test_when_non_ascii_lowercasing_changes_length_then_offsets_stay_exact():
    text = "İİ heart failure"  # 'İ'.lower() is two characters
    hits = _matcher().find(text)
    assert all(text[h.start:h.end].lower() in ("heart failure",) for h in hits)


def test_when_hits_overlap_then_longest_is_kept():
    hits = [LexiconHit(0, 5, "A", "a", "s"), LexiconHit(3, 12, "B", "b", "s"),
            LexiconHit(13, 15, "C", "c", "s")]
    assert [h.label for h in longest_non_overlapping(hits)] == ["B", "C"]
