"""The text of a prepared doc, without rebuilding it.

spaCy's ``Doc.text`` joins every token's text on each access; the pipeline's components
(sentence rules, section and ConText regexes) each asked for it, ~0.5 ms a note.
:meth:`agent.nlp.pipeline.ClinicalPipeline.prepare` keeps the text it tokenised in the
doc's ``user_data`` (spaCy's tokenizer is non-destructive: ``doc.text`` is that text).
"""

from __future__ import annotations

_KEY = "clinagent:text"
_TOKENS_KEY = "clinagent:token_texts"


def keep_text(doc, text: str):
    """Remember ``text`` as the doc's text (the string ``doc`` was tokenised from)."""
    doc.user_data[_KEY] = text
    return doc


def token_texts(doc) -> list[str]:
    """Every token's text, read from the doc once (``doc[k].text`` builds a ``Token`` each
    time; assertion reads the tokens between each cue and each target)."""
    texts = doc.user_data.get(_TOKENS_KEY)
    if texts is None or len(texts) != len(doc):
        # Deferred: spaCy, which every caller has loaded already (this module imports nothing).
        from spacy.attrs import ORTH

        # A token's text is its lexeme's ORTH string: the ids in one array call, then the
        # strings (~2x faster than a Token object per token).
        strings = doc.vocab.strings
        texts = doc.user_data[_TOKENS_KEY] = [
            strings[o] for o in doc.to_array([ORTH]).ravel().tolist()] if len(doc) else []
    return texts


def token_offsets(doc) -> list[int]:
    """Every token's character offset (``token.idx``), read in one array call."""
    # Deferred: spaCy, which every caller has loaded already (this module imports nothing).
    from spacy.attrs import IDX

    return doc.to_array([IDX]).ravel().tolist() if len(doc) else []


def doc_text(doc) -> str:
    """The doc's text: the kept string when there is one, else ``doc.text``."""
    text = doc.user_data.get(_KEY)
    return doc.text if text is None else text
