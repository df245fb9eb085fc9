"""philter-lite's word sets: the fast reader gives what the TOML parser gives."""

from __future__ import annotations

import tomllib
from importlib.resources import files

from agent.deid.philter_sets import common_english_words, parse_word_sets, philter_sets


def test_packaged_word_sets_read_as_tomllib_reads_them():
    text = files("philter_lite").joinpath("filters/set.toml").read_text(encoding="utf-8")
    assert parse_word_sets(text) == tomllib.loads(text)
    assert philter_sets() == tomllib.loads(text)
    assert {"nonames", "firstnames", "lastnames"} <= set(philter_sets())


def test_other_toml_goes_to_the_toml_parser():
    for text in ('a = [ "x\\ty", "z",]\n',          # an escape
                 '# comment\na = [ "x",]\n',        # a comment
                 'a = [ "x",]\na = [ "y",]\n',      # a repeated key: tomllib raises
                 '[t]\nb = 1\n'):                   # a table
        try:
            expected = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            expected = "error"
        try:
            got = parse_word_sets(text)
        except tomllib.TOMLDecodeError:
            got = "error"
        assert got == expected


def test_simple_arrays_are_parsed_in_order():
    assert parse_word_sets('a = [ "", "b", "c d",]\nz = [ "é"]\n') == {
        "a": ["", "b", "c d"], "z": ["é"]}


def test_common_english_words_are_lower_case_and_hold_no_empty_word():
    words = common_english_words()
    assert "infarction" in words and "" not in words
    assert all(w == w.lower() for w in list(words)[:1000])
