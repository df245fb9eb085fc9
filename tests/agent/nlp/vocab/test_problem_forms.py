"""British spellings, bound-prefix forms and adjectives derived from the problem vocabulary
(agent.nlp.vocab.problem_forms), on small made-up vocabularies."""

from __future__ import annotations

from agent.nlp.vocab.problem_forms import adjective_forms, british_forms, prefix_forms


def test_british_forms_respell_medical_word_parts():
    terms = {"iron deficiency anemia": "anemia", "esophageal varices": "varices",
             "amenorrhea": "amenorrhea", "hematoma": "hematoma", "celiac disease": "celiac",
             "multinodular goiter": "goiter", "pulmonary edema": "edema"}
    forms = british_forms(terms)
    assert forms["iron deficiency anaemia"] == "anemia"
    assert forms["oesophageal varices"] == "varices"
    assert forms["amenorrhoea"] == "amenorrhea"
    assert forms["haematoma"] == "hematoma"
    assert forms["coeliac disease"] == "celiac"
    assert forms["multinodular goitre"] == "goiter"
    assert forms["pulmonary oedema"] == "edema"


def test_british_forms_leave_ordinary_words():
    # "chemo", "academic", "theme": no medical word part to respell.
    assert british_forms({"chemo brain": "x", "academic stress": "y", "theme": "z"}) == {}


def test_adjectives_of_one_word_conditions():
    terms = {"hypercalcemia": "hypercalcemia", "tachycardia": "tachycardia",
             "anorexia": "anorexia", "cyanosis": "cyanosis",
             "hyperthyroidism": "hyperthyroidism", "dehydration": "dehydration",
             "drowsiness": "drowsiness", "orthopnea": "orthopnea"}
    forms = adjective_forms(terms)
    assert forms["hypercalcemic"] == "hypercalcemia"
    assert forms["tachycardic"] == "tachycardia"
    assert forms["anorectic"] == "anorexia"
    assert forms["cyanotic"] == "cyanosis"
    assert forms["hyperthyroid"] == "hyperthyroidism"
    assert forms["dehydrated"] == "dehydration"
    assert forms["drowsy"] == "drowsiness"
    assert forms["orthopneic"] == "orthopnea"


def test_adjectives_of_irregular_endings():
    forms = adjective_forms({"jaundice": "j", "gangrene": "g", "anxiety": "a", "obesity": "o",
                             "notice": "n"})
    assert forms["jaundiced"] == "j"
    assert forms["gangrenous"] == "g"
    assert forms["anxious"] == "a"
    assert forms["obese"] == "o"


def test_adjectives_skip_phrases_drugs_and_non_states():
    terms = {"muscle weakness": "w", "narcosis": "n", "analgesia": "a", "hypotonia": "h",
             "ophthalmia": "o", "illness": "i"}
    forms = adjective_forms(terms, taken={"narcotic"})
    # A phrase, a drug name, pharmacy words, a route and a too-short word are not added.
    assert forms == {}


def test_prefix_forms_join_or_split_the_prefix():
    forms = prefix_forms({"self harm": "self-injurious behavior",
                          "post-traumatic stress": "ptsd", "selfish": "x"})
    assert forms == {"self-harm": "self-injurious behavior", "post traumatic stress": "ptsd"}
