"""Dictionary matching: word boundaries, longest match, case-sensitive abbreviations."""

from __future__ import annotations

from agent.nlp.lexicon import LexiconHit, LexiconMatcher, longest_non_overlapping


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


def _drug_matcher():
    drugs = {"carbidopa": "carbidopa", "levodopa": "levodopa", "tramadol": "tramadol",
             "citalopram": "citalopram", "paclitaxel": "paclitaxel",
             "carboplatin": "carboplatin", "insulin": "insulin",
             "methotrexate": "methotrexate", "mtx": "methotrexate"}
    return LexiconMatcher({"drugs": ("MEDICATION", drugs),
                           "dz": ("PROBLEM", {"cough": "cough", "fever": "fever"})})


def _spans(text):
    return [(text[h.start:h.end], h.canonical) for h in _drug_matcher().find(text)]


def test_when_two_drugs_are_joined_by_a_hyphen_then_one_combination():
    assert _spans("Continue carbidopa-levodopa 25/100 TID") == [
        ("carbidopa-levodopa", "carbidopa / levodopa")]


def test_when_hyphenated_drugs_are_followed_by_interaction_then_kept_separate():
    text = "serotonin syndrome from a tramadol-citalopram combination"
    assert [s for s, _ in _spans(text)] == ["tramadol", "citalopram"]


def test_when_drugs_are_joined_by_a_slash_then_kept_separate():
    assert [s for s, _ in _spans("s/p paclitaxel/carboplatin x4")] == ["paclitaxel",
                                                                        "carboplatin"]


def test_when_non_medication_matches_are_hyphenated_then_not_joined():
    assert [s for s, _ in _spans("cough-fever for 3 days")] == ["cough", "fever"]


def test_when_drug_is_followed_by_like_then_no_match():
    assert _spans("low insulin-like growth factor 1") == []


def test_when_abbreviation_in_parentheses_repeats_the_drug_then_dropped():
    assert _spans("started methotrexate (MTX) weekly; MTX held") == [
        ("methotrexate", "methotrexate"), ("MTX", "methotrexate")]


def test_when_parenthesised_drug_is_a_different_drug_then_kept():
    assert [s for s, _ in _spans("insulin (carboplatin) ")] == ["insulin", "carboplatin"]


def test_when_a_term_is_written_in_the_plural_then_it_matches_with_its_s():
    text = "Two insulins, heart failures; MSs. Aces high."
    hits = _matcher().find(text)
    assert [text[h.start:h.end] for h in hits] == ["insulins", "heart failures"]
