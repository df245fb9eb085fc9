"""Behaviour of DrugNormalizer, the drug lexicon and the RxNorm plug-in (synthetic data)."""

from __future__ import annotations

import pytest

from agent.errors import VocabularyError
from verifiers.drug_vocab import DrugNormalizer, drug_lexicon, drug_terms
from verifiers.rxnorm import RxNormTable


@pytest.fixture(scope="module")
def normalizer() -> DrugNormalizer:
    return DrugNormalizer()


def test_when_brand_then_ingredient_and_brand_flag(normalizer):
    normalized, codes = normalizer.normalize("Lasix")
    assert normalized["canonical"] == "furosemide"
    assert normalized["is_brand"] is True
    systems = {c.system: c.code for c in codes}
    assert systems["DRUGBANK"] == "DB00695"
    assert systems["UNII"] == "7LXU5N7ZO5"


def test_when_generic_then_not_brand(normalizer):
    normalized, _ = normalizer.normalize("furosemide")
    assert normalized["canonical"] == "furosemide" and normalized["is_brand"] is False


def test_when_dose_follows_name_then_name_still_normalised(normalizer):
    normalized, codes = normalizer.normalize("lisinopril 10 mg")
    assert normalized["canonical"] == "lisinopril" and codes


def test_when_unknown_word_then_no_canonical_and_no_codes(normalizer):
    normalized, codes = normalizer.normalize("xyzzyplorp")
    assert normalized["canonical"] is None and codes == []


def test_when_variant_is_stop_listed_then_not_in_lexicon():
    lexicon = drug_lexicon()
    assert "transaminase" not in lexicon  # a liver lab test in notes
    assert "sgpt" not in lexicon
    assert lexicon["lasix"] == "furosemide"
    assert drug_terms()["lasix"].is_brand


# Columns: RXCUI|LAT|TS|LUI|STT|SUI|ISPREF|RXAUI|SAUI|SCUI|SDUI|SAB|TTY|CODE|STR|SRL|SUPPRESS|CVF|
SYNTHETIC_RRF = "\n".join([
    "4603|ENG||||||1|||4603|RXNORM|IN|4603|furosemide||N|4096|",
    "202991|ENG||||||2|||202991|RXNORM|BN|202991|Lasix||N|4096|",
    "310429|ENG||||||3|||310429|RXNORM|SCD|310429|furosemide 20 MG Oral Tablet||N|4096|",
    "999999|ENG||||||4|||999999|MTHSPL|SU|999999|furosemide||N|4096|",
]) + "\n"


def test_when_rxnorm_file_given_then_rxnorm_codes_added(tmp_path):
    path = tmp_path / "RXNCONSO.RRF"
    path.write_text(SYNTHETIC_RRF, encoding="utf-8")
    normalizer = DrugNormalizer(rxnorm=RxNormTable.from_path(path))
    _, brand_codes = normalizer.normalize("Lasix")
    rx = {c.code for c in brand_codes if c.system == "RXNORM"}
    assert rx == {"4603", "202991"}
    _, scd_codes = normalizer.normalize("furosemide 20 mg oral tablet")
    assert {"4603", "310429"} <= {c.code for c in scd_codes if c.system == "RXNORM"}


def test_when_rxnorm_path_missing_then_vocabulary_error(tmp_path):
    with pytest.raises(VocabularyError) as err:
        RxNormTable.from_path(tmp_path / "nope.RRF")
    assert "RXNCONSO.RRF" in str(err.value)
    with pytest.raises(VocabularyError):
        DrugNormalizer(rxnorm_path=tmp_path / "nope.RRF")


def test_when_rxnorm_file_has_wrong_layout_then_vocabulary_error(tmp_path):
    path = tmp_path / "RXNCONSO.RRF"
    path.write_text("a,b,c\n", encoding="utf-8")
    with pytest.raises(VocabularyError):
        RxNormTable.from_path(path)

