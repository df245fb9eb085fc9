"""Drug names the lexicon derives from the package (agent.nlp.vocab.drugs): concepts with a
medicine page but no variant of their own, brands without their inhaler / pen / release
word, and "vit" for "vitamin"; with the words that must not become drugs."""

from __future__ import annotations

from agent.nlp.vocab.drugs import drug_terms


def test_medicine_pages_give_the_plain_name():
    terms = drug_terms()
    assert terms["thiamine"].canonical == "thiamine"
    assert terms["nicotine"].canonical == "nicotine"
    # A qualifier in parentheses is cut: "doxepin (insomnia)" is doxepin.
    assert terms["doxepin"].canonical.startswith("doxepin")


def test_brand_without_device_word_is_a_brand():
    terms = drug_terms()
    assert terms["anoro"].is_brand
    assert terms["symlin"].canonical == "pramlintide"
    # "Protease LA" would give an English word.
    assert "protease" not in terms


def test_vitamin_letter_clips():
    terms = drug_terms()
    assert terms["vit d"].canonical == terms["vitamin d"].canonical
    assert "vit. b12" in terms
    # The gland is not a drug although the package lists desiccated thyroid as "thyroid".
    assert "thyroid" not in terms
