"""Tests of the PHEE loader and scorer on a tiny synthetic sample.

The full-dev-set regression (``-m slow``) finds drugs with the drug_named_entity_recognition
dictionary, a stand-in until ``agent.nlp.entities`` exists; it lives here, not in library code.
"""

from __future__ import annotations

import bz2
import json
import pickle
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pytest

from agent.errors import InputError
from agent.nlp.medication.attributes import find_medication_attributes
from agent.schemas.extraction import Attribute, Entity
from evals import phee

# Synthetic sentences in PHEE's layout: argument texts and starts are lists of lists.
_S1 = "He was given oral prednisone 60 mg/day for 2 weeks."
_S2 = "Rash after ibuprofen and aspirin twice daily."


def _argument(text: str, *fragments: str) -> dict:
    return {"text": [[f] for f in fragments], "start": [[text.index(f)] for f in fragments]}


def _record(sentence_id: str, text: str, treatment: dict) -> dict:
    return {"id": sentence_id, "context": text, "annotations": [{"events": [
        {"event_id": "E1", "event_type": "Adverse_event", "Treatment": treatment},
        # A second event repeating the drug: repeated arguments count once.
        {"event_id": "E2", "event_type": "Adverse_event",
         "Treatment": {"Drug": treatment["Drug"]}},
    ]}]}


SAMPLE = [
    _record("1", _S1, {
        "Drug": _argument(_S1, "prednisone"), "Dosage": _argument(_S1, "60 mg/day"),
        "Route": _argument(_S1, "oral"), "Duration": _argument(_S1, "2 weeks"),
    }),
    _record("2", _S2, {
        "Drug": _argument(_S2, "ibuprofen", "aspirin"), "Freq": _argument(_S2, "twice daily"),
    }),
]


@pytest.fixture
def sample_path(tmp_path: Path) -> Path:
    path = tmp_path / "dev.json"
    path.write_text("\n".join(json.dumps(r) for r in SAMPLE) + "\n", encoding="utf-8")
    return path


def _entity(text: str, drug: str, **attributes: str) -> Entity:
    start = text.index(drug)
    attrs = {}
    for name, span in attributes.items():
        s = text.index(span)
        attrs[name] = Attribute(start=s, end=s + len(span), text=span)
    return Entity(start=start, end=start + len(drug), text=drug, type="MEDICATION",
                  attributes=attrs)


def _fake_extract(text: str) -> list[Entity]:
    if text == _S1:
        # Exact route and drug, dosage overlapping only, a wrong duration.
        return [_entity(text, "prednisone", route="oral", strength="60 mg", duration="for 2")]
    return [_entity(text, "ibuprofen", frequency="twice daily"),
            Entity(start=0, end=4, text="Rash", type="PROBLEM")]


def test_when_sample_loaded_then_spans_are_deduplicated_and_labelled(sample_path: Path) -> None:
    sentences = phee.load(sample_path)
    assert [s.sentence_id for s in sentences] == ["1", "2"]
    assert sorted(lab for _, _, lab in sentences[0].spans) == [
        "dosage", "drug", "duration", "route",
    ]
    for sentence in sentences:
        for start, end, _ in sentence.spans:
            assert sentence.text[start:end]
    assert phee.load(sample_path, limit=1)[0].sentence_id == "1"


def test_when_halves_loaded_then_they_partition_by_report(tmp_path: Path) -> None:
    # Several sentences of a few made-up reports: a report's sentences share a half.
    records = [_record(f"{report}_{n}", _S1, SAMPLE[0]["annotations"][0]["events"][0]["Treatment"])
               for report in ("1001", "1002", "1003", "1004", "1005", "1006") for n in (1, 2)]
    path = tmp_path / "dev.json"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    tune = {s.sentence_id for s in phee.load(path, half="tune")}
    held = {s.sentence_id for s in phee.load(path, half="held")}
    assert tune and held and not tune & held
    assert tune | held == {s.sentence_id for s in phee.load(path)}
    for sentence_id in tune | held:
        report = sentence_id.split("_")[0]
        assert {f"{report}_1", f"{report}_2"} <= (tune if sentence_id in tune else held)
    assert phee.half_of("1001_1") == phee.half_of("1001_9")  # stable, by report
    assert phee.run(_fake_extract, path, half="held")["sentences"] == len(held)
    with pytest.raises(ValueError, match="half"):
        phee.load(path, half="train")


def test_when_fake_extractor_scored_then_counts_are_exact(sample_path: Path) -> None:
    report = phee.run(_fake_extract, sample_path)
    exact, overlap = report["exact"], report["overlap"]
    assert report["sentences"] == 2
    assert (exact["drug"]["tp"], exact["drug"]["fp"], exact["drug"]["fn"]) == (2, 0, 1)
    assert (exact["dosage"]["tp"], exact["dosage"]["fn"]) == (0, 1)
    assert (overlap["dosage"]["tp"], overlap["dosage"]["fn"]) == (1, 0)
    assert exact["route"]["f1"] == 1.0
    assert exact["frequency"]["f1"] == 1.0
    assert (exact["duration"]["tp"], overlap["duration"]["tp"]) == (0, 1)


def test_when_gold_drugs_given_then_parser_attributes_are_scored(sample_path: Path) -> None:
    sentences = phee.load(sample_path)
    report = phee.run(phee.gold_drug_extract_fn(sentences, find_medication_attributes),
                      sample_path)
    assert report["exact"]["drug"]["f1"] == 1.0
    for label in ("dosage", "route", "duration"):
        assert report["exact"][label]["tp"] == 1, label


def _attribute(text: str, surface: str) -> Attribute:
    start = text.index(surface)
    return Attribute(start=start, end=start + len(surface), text=surface)


def _phee_spans(text: str, **attributes: Attribute) -> dict[str, list[str]]:
    drug = Entity(start=0, end=text.index(" "), text=text[:text.index(" ")], type="MEDICATION",
                  attributes=attributes)
    out: dict[str, list[str]] = {}
    for start, end, label in phee.predicted_spans([drug]):
        out.setdefault(label, []).append(text[start:end])
    return out


# fmt: off
@pytest.mark.parametrize("text, attributes, expected", [
    # PHEE Duration has no cue ("for [2 weeks]"); ours keeps it ("for 2 weeks", "x3 days").
    ("prednisone for 2 weeks", {"duration": "for 2 weeks"}, {"duration": ["2 weeks"]}),
    ("prednisone daily x3 days", {"duration": "x3 days"}, {"duration": ["3 days"]}),
    ("prednisone for approximately eight days", {"duration": "for approximately eight days"},
     {"duration": ["eight days"]}),
    ("prednisone chronic", {"duration": "chronic"}, {"duration": ["chronic"]}),
    # PHEE Dosage is the whole amount: our dose number joins its unit or counted form.
    ("heparin 5000 units SQ", {"dose": "5000", "unit": "units"}, {"dosage": ["5000 units"]}),
    ("quinine 2 tablets", {"dose": "2", "form": "tablets"},
     {"dosage": ["2 tablets"], "route": ["tablets"]}),
    ("quinine 300 mg 2 tablets", {"strength": "300 mg", "dose": "2", "form": "tablets"},
     {"dosage": ["300 mg"], "route": ["tablets"]}),
    # "intravenous infusion" is one PHEE Route; our guideline splits route and form.
    ("vancomycin intravenous infusion", {"route": "intravenous", "form": "infusion"},
     {"route": ["intravenous infusion"]}),
    ("vancomycin intravenous over 1 h by infusion", {"route": "intravenous", "form": "infusion"},
     {"route": ["intravenous", "infusion"]}),
])
# fmt: on
def test_when_attributes_follow_the_guideline_then_phee_spans_are_rebuilt(
    text: str, attributes: dict[str, str], expected: dict[str, list[str]]
) -> None:
    found = _phee_spans(text, **{k: _attribute(text, v) for k, v in attributes.items()})
    found.pop("drug")
    assert found == expected


# fmt: off
@pytest.mark.parametrize("line, problem", [
    ("{not json", "not valid JSON"),
    (json.dumps({"id": "x", "annotations": []}), "missing field"),
    (json.dumps({"id": "x", "context": "aspirin", "annotations": [{"events": [
        {"Treatment": {"Drug": {"text": [["aspirin"]], "start": [[3]]}}}]}]}),
     "does not match"),
])
# fmt: on
def test_when_line_is_bad_then_input_error_names_line(
    tmp_path: Path, line: str, problem: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(SAMPLE[0]) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=problem) as info:
        phee.load(path)
    assert info.value.line == 2


@lru_cache(maxsize=1)
def _drug_automaton():
    import ahocorasick

    blob = resources.files("drug_named_entity_recognition").joinpath(
        "drug_ner_dictionary.pkl.bz2").read_bytes()
    variants = pickle.loads(bz2.decompress(blob))["drug_variant_to_canonical"]
    automaton = ahocorasick.Automaton()
    for variant in variants:
        # One- and two-letter variants are mostly abbreviations that collide with words.
        if len(variant) >= 3:
            automaton.add_word(variant, len(variant))
    automaton.make_automaton()
    return automaton


def dictionary_extract_fn(text: str) -> list[Entity]:
    """Dev stand-in for the entity extractor: longest dictionary drug names, word-bounded."""
    lowered = text.lower()
    found = []
    for end, length in _drug_automaton().iter(lowered):
        start, stop = end - length + 1, end + 1
        if (start == 0 or not lowered[start - 1].isalnum()) and (
            stop == len(lowered) or not lowered[stop].isalnum()
        ):
            found.append((start, stop))
    kept: list[tuple[int, int]] = []
    for start, stop in sorted(found, key=lambda s: (s[0] - s[1], s[0])):
        if all(stop <= s or e <= start for s, e in kept):
            kept.append((start, stop))
    kept.sort()
    return [
        Entity(start=s, end=e, text=text[s:e], type="MEDICATION", attributes=attributes)
        for (s, e), attributes in zip(kept, find_medication_attributes(text, kept), strict=True)
    ]


@pytest.mark.slow
def test_when_dev_set_scored_with_dictionary_drugs_then_f1_stays_above_floor() -> None:
    from agent.config import Settings

    data_dir = Settings().eval.data_dir
    path = data_dir / "phee" / "dev.json" if data_dir is not None else None
    if path is None or not path.exists():
        pytest.skip("PHEE dev set not present (set CLINAGENT_EVAL__DATA_DIR)")
    report = phee.run(dictionary_extract_fn, path)
    overlap = report["overlap"]
    assert overlap["drug"]["f1"] >= 0.75
    assert overlap["route"]["f1"] >= 0.6
    assert overlap["frequency"]["f1"] >= 0.6
