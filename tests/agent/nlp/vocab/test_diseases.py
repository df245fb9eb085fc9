"""Behaviour of the MeSH disease lexicon used by the entity matcher."""

from __future__ import annotations

from agent.nlp.vocab.diseases import disease_lexicon, disease_terms, mesh_synonyms


def test_when_mesh_heading_is_not_a_disease_then_not_in_disease_lexicon():
    lexicon = disease_lexicon()
    assert "parents" not in lexicon      # MeSH persons heading
    assert "attention" not in lexicon    # MeSH behaviour heading


def test_when_variant_is_stop_listed_then_only_synonym_table_keeps_it():
    assert "combined" not in disease_lexicon()
    assert "combined" in mesh_synonyms()


def test_when_synonym_then_canonical_heading_and_mesh_id():
    assert disease_lexicon()["heart attack"] == "myocardial infarction"
    assert disease_terms()["heart attack"].mesh_id  # the package's MeSH id
