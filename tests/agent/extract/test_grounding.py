"""Quote alignment: exact, normalised, fuzzy, not found."""

from __future__ import annotations

import pytest

from agent.extract.grounding import align_quote

TEXT = "HPI: 68 yo F with  Atrial\nFibrillation, on metoprolol succinate 25 mg PO daily."


# fmt: off
@pytest.mark.parametrize("quote, method, expected_text", [
    ("metoprolol succinate", "exact", "metoprolol succinate"),
    ("atrial fibrillation", "normalized", "Atrial\nFibrillation"),
    ("METOPROLOL  SUCCINATE 25 MG", "normalized", "metoprolol succinate 25 mg"),
    ("metoprolol sucinate 25 mg", "fuzzy", "metoprolol succinate 25 mg"),
    ("metoprolol 25mg", None, None),
    ("warfarin", None, None),
    ("", None, None),
])
# fmt: on
def test_when_quote_aligned_then_offsets_cover_source_text(quote, method, expected_text):
    found = align_quote(quote, TEXT)
    if method is None:
        assert found is None
        return
    assert found.method == method
    assert TEXT[found.start:found.end] == expected_text


def test_when_fuzzy_match_stops_mid_word_then_extended_to_word_edges():
    found = align_quote("metoprolol succinate 25mg", TEXT)
    assert found is not None and found.method == "fuzzy"
    assert TEXT[found.start:found.end] == "metoprolol succinate 25 mg"
    assert 90 <= found.score < 100
