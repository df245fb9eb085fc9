"""Clipped drug names (agent.nlp.vocab.drug_clips): a generic cut where its stem starts, kept
only when unambiguous and not an English word or a first name. Made-up examples."""

from __future__ import annotations

from agent.nlp.vocab.drug_clips import clipped_names


def test_a_generic_is_clipped_before_its_stem():
    clips = clipped_names({"rosuvastatin": "rosuvastatin", "clarithromycin": "clarithromycin"},
                          taken=(), combinations={}, stop=())
    assert clips["rosuva"] == "rosuvastatin"
    assert clips["clarithro"] == "clarithromycin"
    # Never within three letters of the full name, never a bare stemless prefix.
    assert "rosuvastat" not in clips
    assert "ro" not in clips


def test_a_clip_shared_by_two_generics_is_dropped():
    clips = clipped_names({"levofloxacin": "levofloxacin", "levocetirizine": "levocetirizine",
                           "ofloxacin": "ofloxacin"},
                          taken=(), combinations={}, stop=())
    assert "levo" not in clips


def test_taken_and_stop_listed_clips_are_dropped():
    generics = {"formoterol": "formoterol", "gentamicin": "gentamicin"}
    assert "form" not in clipped_names(generics, taken=(), combinations={}, stop={"form"})
    assert "genta" not in clipped_names(generics, taken={"genta"}, combinations={}, stop=())


def test_combination_parts_are_clipped_and_joined():
    clips = clipped_names({}, taken=(), combinations={
        "ampicillin-sulbactam": "ampicillin and sulbactam"}, stop=())
    assert clips["amp-sulb"] == "ampicillin and sulbactam"
    assert clips["amp/sulb"] == "ampicillin and sulbactam"


def test_clips_are_found_in_notes_and_names_are_not(extractor):
    text = ("Theo Marchetti, 71, on amio and rosuva at home; started amp/sulb in the ED. "
            "Seen with his daughter, who works for the metro.")
    found = {e.text: (e.type,) for e in extractor.extract(text)}
    assert found["amio"][0] == "MEDICATION"
    assert found["rosuva"][0] == "MEDICATION"
    assert found["amp/sulb"][0] == "MEDICATION"
    assert "Theo" not in found
    assert "metro" not in found


def test_monograph_names_missing_as_variants_are_added():
    from agent.nlp.vocab.drug_clips import monograph_names

    data = {"carboprost": {"medline_plus_id": "a1"}, "water": {"medline_plus_id": "a2"},
            "research compound": {}, "doxepin (insomnia)": {"medline_plus_id": "a3"}}
    names = monograph_names(data, taken={"doxepin"})
    assert names == {"carboprost": "carboprost"}
