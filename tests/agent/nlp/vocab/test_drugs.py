"""Behaviour of DrugNormalizer, the drug lexicon and the RxNorm plug-in (synthetic data)."""

from __future__ import annotations

import pytest

from agent.errors import RuleFileError, VocabularyError
from agent.nlp.vocab.drug_normalizer import DrugNormalizer
from agent.nlp.vocab.drugs import (
    ExtraDrugName,
    _check_extra_names,
    drug_abbreviations,
    drug_lexicon,
    drug_terms,
    medication_first_names,
)
from agent.nlp.vocab.rxnorm import RxNormTable
from agent.rules.files import read_rule_file


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



# fmt: off
@pytest.mark.parametrize("variant", [
    "diuretic effect",                 # MeSH effect entry term, not a medication
    "serotoninergic effects",
    "cyp3a4",                          # metabolising enzyme
    "organic cation transporter 2",    # transporter
    "leukotriene receptor",            # receptor
    "fetal hemoglobin",
    "at 10",                           # brand "AT 10": "resumed at 10 mg" is not a drug
    "is 5 mn",
])
# fmt: on
def test_when_variant_is_an_effect_or_non_drug_biomolecule_then_not_in_lexicon(variant):
    assert variant not in drug_lexicon()


def test_when_protein_is_a_therapeutic_then_kept_in_lexicon():
    lexicon = drug_lexicon()
    assert "ivig" in lexicon and "asparaginase" in lexicon and "insulin" in lexicon


# fmt: off
@pytest.mark.parametrize("variant, canonical", [
    ("diuretic", "diuretics"),                          # singular of a class entry term
    ("antiretrovirals", "anti-retroviral agents"),      # plural of "X agents"
    ("vasopressors", "vasoconstrictor agents"),
    ("antipsychotic drug", "antipsychotic agents"),
    ("interferon alfa 2b", "interferon alpha-2"),       # hyphen written as a space
    ("interferon-alfa", "interferon-alpha"),            # space before a Greek letter as hyphen
])
# fmt: on
def test_when_name_is_written_in_another_number_or_spelling_then_matched(variant, canonical):
    assert drug_lexicon()[variant] == canonical


def test_when_class_stem_is_an_adjective_then_bare_stem_not_added():
    lexicon = drug_lexicon()
    assert "renal" not in lexicon and "gastrointestinal" not in lexicon


# fmt: off
@pytest.mark.parametrize("variant, canonical", [
    ("steroids", "glucocorticoids"),
    ("beta-blockers", "adrenergic beta-antagonists"),
    ("atypical antipsychotics", "antipsychotic agents"),
    ("adenosine", "adenosine"),          # FDA UNII substance missing from the package
    ("norepi", "norepinephrine"),
])
# fmt: on
def test_when_extra_name_is_curated_then_in_lexicon(variant, canonical):
    assert drug_lexicon()[variant] == canonical


def test_when_extra_name_canonical_is_unknown_then_rule_file_error():
    bad = [ExtraDrugName(variant="zorblat", canonical="zorblatinib-not-a-drug")]
    with pytest.raises(RuleFileError) as err:
        _check_extra_names(bad, {}, {})
    assert err.value.index == 0 and "zorblatinib" in str(err.value)


def test_when_extra_name_entry_has_unknown_key_then_rule_file_error(tmp_path):
    path = tmp_path / "drug_extra_names.json"
    path.write_text('{"drug_extra_names": [{"variant": "x1", "canonical": "y", "typo": 1}]}',
                    encoding="utf-8")
    with pytest.raises(RuleFileError):
        read_rule_file(path, "drug_extra_names", ExtraDrugName)


def test_when_abbreviation_has_one_drug_sense_then_case_sensitive_abbreviation():
    abbreviations = drug_abbreviations()
    assert abbreviations["MTX"] == "methotrexate"
    assert abbreviations["HCQ"] == "hydroxychloroquine"
    assert abbreviations["FK506"] == "tacrolimus"      # curated
    assert abbreviations["KCl"] == "potassium chloride"
    assert "mtx" not in abbreviations                  # exact case only


# fmt: off
@pytest.mark.parametrize("abbreviation", [
    "TSH",   # a lab test, no drug monograph
    "ALP",
    "HU",    # stop-listed: Hounsfield units
    "COX-2", # stop-listed: the enzyme
])
# fmt: on
def test_when_abbreviation_is_a_lab_or_clashes_then_not_a_drug_abbreviation(abbreviation):
    assert abbreviation not in drug_abbreviations()


def test_when_lab_analyte_is_a_medicine_then_medication_first():
    names = medication_first_names()
    assert {"insulin", "tacrolimus", "lamotrigine", "norepinephrine"} <= names
    assert "ferritin" not in names and "troponin i" not in names


def test_when_added_name_or_abbreviation_then_normalised(normalizer):
    assert normalizer.normalize("steroids")[0]["canonical"] == "glucocorticoids"
    assert normalizer.normalize("MTX")[0]["canonical"] == "methotrexate"
