"""Other written forms of the problem vocabulary: British spellings, hyphenated prefixes
and adjective forms.

The MeSH and ICD-10-CM variants are American nouns ("hypokalemia", "diarrhea",
"bradycardia", "dehydration"), while notes also write:

- British spellings, by clinicians trained in the UK, Ireland, India or Australia
  ("hypokalaemia", "diarrhoea", "oedema", "coeliac disease", "goitre", "haematoma");
- a bound prefix joined the other way ("self-harm" for "self harm");
- the adjective a clinician uses for the patient's state ("hypokalemic", "bradycardic",
  "cachectic", "cirrhotic", "hypothyroid", "dehydrated", "tachypneic", "oliguric").

Both are derived here from the vocabulary itself by regular spelling and suffix rules (never
from a list of the words wanted), so a condition the vocabulary names gets its other forms
and nothing else. A derived form that is already a drug or test name, or a common English
word that is no condition ("sterile", "narcotic", "hypertonic" saline), is not added.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

# US -> UK respellings, applied to whole vocabulary terms. Each rule is anchored on a
# medical word part, so an ordinary word keeps its spelling ("academic", "chemotherapy").
_BRITISH_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # -emia / -emic after a consonant: anaemia, hypokalaemia, leukaemia, ischaemic; not the
    # ordinary -emic words (academic, endemic, epidemic, pandemic, systemic, polemic).
    (re.compile(r"(?<!acad)(?<!end)(?<!epid)(?<!pand)(?<!syst)(?<!pol)"
                r"(?<=[bcdfghklmnprstvxz])emi(?=a\b|as\b|c\b)"), "aemi"),
    # hem(at)o- at a word start: haematoma, haemorrhage, haemoptysis, haemolytic.
    (re.compile(r"\bhem(?=a|o|ang)"), "haem"),
    # edema wherever it stands: oedema, myxoedema, lymphoedema, papilloedema.
    (re.compile(r"edema"), "oedema"),
    (re.compile(r"\besophag"), "oesophag"),
    (re.compile(r"\bestrogen"), "oestrogen"),
    (re.compile(r"\bfet(?=al\b|us\b)"), "foet"),
    # -rrhea: diarrhoea, amenorrhoea, rhinorrhoea, gonorrhoea, steatorrhoea.
    (re.compile(r"rrhea"), "rrhoea"),
    (re.compile(r"\bceliac"), "coeliac"),
    (re.compile(r"\bpedia"), "paedia"),
    (re.compile(r"orthoped"), "orthopaed"),
    (re.compile(r"\bgyneco"), "gynaeco"),
    (re.compile(r"\bdyspnea"), "dyspnoea"),
    (re.compile(r"pnea\b"), "pnoea"),
    (re.compile(r"anesthe"), "anaesthe"),
    (re.compile(r"\btumor"), "tumour"),
    (re.compile(r"\bgoiter"), "goitre"),
    (re.compile(r"\bsulfa(?=te|s\b)"), "sulpha"),
    (re.compile(r"\bsulf(?=ur|on|ide)"), "sulph"),
)

# One search says whether any respelling rule can apply (most terms have none of these
# parts), so the rules run on a few thousand of the ~180k drug and disease variants.
_BRITISH_PARTS = re.compile(
    r"emi|hem|edema|esophag|estrogen|fet|rrhea|celiac|pedia|orthoped|gyneco|pnea|anesthe"
    r"|tumor|goiter|sulf")

# Noun suffix -> adjective suffix. Only whole single-word terms are derived: the adjective
# of a phrase ("muscle weakness") is not a phrase notes write.
_ADJECTIVE_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # cachexia -> cachectic, anorexia -> anorectic (before the general -ia rule).
    (re.compile(r"exia$"), "ectic"),
    # hypokalemia -> hypokalemic, bradycardia -> bradycardic, hypoxia -> hypoxic,
    # anuria -> anuric, hypothermia -> hypothermic, aphasia -> aphasic.
    (re.compile(r"(?<=[bcdfghklmnprstvxz])ia$"), "ic"),
    # tachypnea -> tachypneic, apnea -> apneic, dyspnoea -> dyspnoeic.
    (re.compile(r"(?<=pn)(o?)ea$"), r"\1eic"),
    # cirrhosis -> cirrhotic, cyanosis -> cyanotic, psychosis -> psychotic.
    (re.compile(r"osis$"), "otic"),
    # hypothyroidism -> hypothyroid, hyperthyroidism -> hyperthyroid.
    (re.compile(r"^(hyper|hypo)(\w+oid)ism$"), r"\1\2"),
    # dehydration -> dehydrated, agitation -> agitated, perforation -> perforated,
    # depression -> depressed, infection -> infected.
    (re.compile(r"(?<=[a-z]{3})ation$"), "ated"),
    (re.compile(r"(?<=[a-z]{3})ssion$"), "ssed"),
    (re.compile(r"(?<=[a-z]{3})ction$"), "cted"),
    # dizziness -> dizzy, drowsiness -> drowsy; numbness -> numb, tremulousness -> tremulous.
    (re.compile(r"(?<=[a-z]{3})iness$"), "y"),
    (re.compile(r"(?<=[a-z]{3}[^i])ness$"), ""),
    # irritability -> irritable.
    (re.compile(r"(?<=[a-z]{3})(a|i)bility$"), r"\1ble"),
    # jaundice -> jaundiced, gangrene -> gangrenous, anxiety -> anxious, obesity -> obese.
    (re.compile(r"(?<=[a-z]{4})ice$"), "iced"),
    (re.compile(r"(?<=[a-z]{4})ene$"), "enous"),
    (re.compile(r"(?<=[a-z]{2})xiety$"), "xious"),
    (re.compile(r"(?<=[a-z]{2})esity$"), "ese"),
)

# The "-ia -> -ic" form of these endings is an ordinary or pharmacy word, not a state of the
# patient: hypotonic / hypertonic (saline), analgesic, anaesthetic, tonic.
_NOT_AN_ADJECTIVE_END = re.compile(r"(?:tonic|gesic|thetic|thesic)$")
# Derived forms that in notes name a route, a stain or a physical property of something
# else ("ophthalmic drops", "eosinophilic infiltrate", "hydrophobic dressing").
_NOT_A_STATE = frozenset({"ophthalmic", "eosinophilic", "basophilic", "hydrophobic"})
# Minimum length of a derived adjective: shorter ones ("ill", "sore", "weak") read as
# ordinary words far more often than as a finding.
_MIN_ADJECTIVE = 5


def british_forms(terms: Mapping[str, str]) -> dict[str, str]:
    """British respellings of lower-case vocabulary terms -> the term's canonical."""
    out: dict[str, str] = {}
    for term, canonical in terms.items():
        if _BRITISH_PARTS.search(term) is None:
            continue
        form = term
        for pattern, repl in _BRITISH_RULES:
            form = pattern.sub(repl, form)
        if form != term and form not in terms:
            out.setdefault(form, canonical)
    return out


def adjective_forms(terms: Mapping[str, str], *, taken: Collection[str] = (),
                    common_words: Collection[str] = ()) -> dict[str, str]:
    """Adjectives of one-word condition names -> the condition's canonical.

    Args:
        terms: lower-case condition variant -> canonical (MeSH / ICD-10-CM, and their
            British respellings).
        taken: lower-case names another vocabulary owns (drugs, tests): such a form is no
            condition ("narcotic", "analgesic").
        common_words: lower-case words that, as an adjective, mostly describe something
            other than the patient's state ("sterile", "dilated", "fixated"); none is added.

    Returns:
        Adjective -> canonical, for forms not already in ``terms``.
    """
    out: dict[str, str] = {}
    for term, canonical in terms.items():
        if not term.isalpha():
            continue
        for pattern, repl in _ADJECTIVE_RULES:
            form = pattern.sub(repl, term)
            if form == term:
                continue
            if (len(form) >= _MIN_ADJECTIVE and form not in terms and form not in taken
                    and form not in common_words and form not in _NOT_A_STATE
                    and not _NOT_AN_ADJECTIVE_END.search(form)):
                out.setdefault(form, canonical)
            break
    return out


# A bound prefix written as a separate word or with a hyphen ("self harm" / "self-harm",
# "post traumatic" / "post-traumatic"): the vocabulary lists one of the two.
_PREFIX_WORD = re.compile(r"^(self|non|post|pre|co|anti|over|under) (?=[a-z])")
_PREFIX_HYPHEN = re.compile(r"^(self|non|post|pre|co|anti|over|under)-(?=[a-z])")


def prefix_forms(terms: Mapping[str, str]) -> dict[str, str]:
    """The hyphenated / spaced form of a term that starts with a bound prefix."""
    out: dict[str, str] = {}
    for term, canonical in terms.items():
        form = _PREFIX_WORD.sub(r"\1-", term)
        if form == term:
            form = _PREFIX_HYPHEN.sub(r"\1 ", term)
        if form != term and form not in terms:
            out.setdefault(form, canonical)
    return out


def problem_form_vocab(diseases: Mapping[str, str], heads: Mapping[str, str],
                       taken: Collection[str]) -> dict[str, str]:
    """British spellings and adjectives of the problem vocabulary (MeSH variants and
    ICD-10-CM heads), minus forms another vocabulary names (``taken``: drugs)."""
    names = {**heads, **diseases}
    british = british_forms(names)
    forms = {**british, **prefix_forms(names),
             **adjective_forms({**names, **british}, taken=taken)}
    return {k: v for k, v in forms.items() if k not in taken}
