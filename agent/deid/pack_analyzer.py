"""The recognizer pack run over spaCy docs parsed in batches: what Presidio's
``AnalyzerEngine.analyze`` does for the pack, without its per-call work that the pack never
reads.

Per call ``AnalyzerEngine.analyze`` parses the text alone (``nlp(text)``: no batching),
builds ``NlpArtifacts`` (lemmas, token offsets, keywords: none of the pack's recognizers
reads them, only ``entities``), deep-copies every result for its context enhancer (no
recognizer of the pack has context words, so the enhancer changes nothing) and then keeps
the results over the threshold and drops duplicates. :class:`PackAnalyzer` parses a
patient's notes with one ``nlp.pipe`` (the same entities, ~20% less NER time), hands the
recognizers the entities alone and keeps Presidio's own threshold and duplicate steps, so
its results are those of ``AnalyzerEngine.analyze`` (``tests/agent/deid/
test_pack_analyzer.py`` holds them equal over the dev corpora).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from presidio_analyzer import EntityRecognizer, RecognizerResult

from agent.nlp.tokenizer_cache import TokenizerCachePrimer

# Docs per nlp.pipe batch: measured on the demo notes, 16 parses fastest (4: -12%, 16: -22%,
# 64: -5% NER time against one nlp() per note); the entities are the same at any size.
PIPE_BATCH = 16
# ... and at most this many characters, so that a long note's pieces are parsed a few at a
# time: the detector checks a request's deadline between pieces (agent.deadline).
PIPE_BATCH_CHARS = 20_000

_NAME = RecognizerResult.RECOGNIZER_NAME_KEY
_ID = RecognizerResult.RECOGNIZER_IDENTIFIER_KEY


@dataclass(frozen=True)
class NerEntities:
    """The part of Presidio's ``NlpArtifacts`` the pack's recognizers read: the NER
    entities kept by the analyzer's NER configuration."""

    entities: list[Any]


class PackAnalyzer:
    """The recognizers of a Presidio analyzer, run the way ``AnalyzerEngine.analyze`` runs
    them (registry order, recognizer names and ids in the metadata, score threshold, then
    Presidio's ``remove_duplicates``).

    Args:
        analyzer: the built ``AnalyzerEngine`` (its spaCy pipeline, NER configuration and
            registry are used as they are).
    """

    def __init__(self, analyzer) -> None:
        engine = analyzer.nlp_engine
        self.nlp = engine.nlp["en"]
        self._primer = TokenizerCachePrimer(self.nlp.tokenizer)
        config = engine.ner_model_configuration
        self._mapping = dict(config.model_to_presidio_entity_mapping)
        self._ignore = frozenset(config.labels_to_ignore)
        self.recognizers = [r for r in analyzer.registry.recognizers
                            if r.supported_language == "en"]
        # Context words or an own context step would let Presidio's enhancer change
        # scores; the pack has neither, and a recognizer with them is refused here rather
        # than scored differently.
        for r in self.recognizers:
            if r.context or (type(r).enhance_using_context
                             is not EntityRecognizer.enhance_using_context):
                raise ValueError(f"recognizer {r.name} uses context enhancement, which "
                                 "PackAnalyzer does not apply; run it through Presidio's "
                                 "AnalyzerEngine instead")
        for r in self.recognizers:
            if not r.is_loaded:
                r.load()
                r.is_loaded = True
        self._entities = analyzer.get_supported_entities(language="en")

    def parse(self, texts: Iterable[str]) -> Iterator[Any]:
        """spaCy docs of ``texts`` in order, parsed in batches (``PIPE_BATCH`` texts,
        ``PIPE_BATCH_CHARS`` characters at most) as they are read."""
        batch: list[str] = []
        size = 0
        for text in texts:
            self._primer.prime(text)
            if batch and (len(batch) == PIPE_BATCH or size + len(text) > PIPE_BATCH_CHARS):
                yield from self.nlp.pipe(batch, batch_size=len(batch))
                batch, size = [], 0
            batch.append(text)
            size += len(text)
        if batch:
            yield from self.nlp.pipe(batch, batch_size=len(batch))

    def ner_entities(self, doc) -> NerEntities:
        """The entities Presidio's spaCy engine passes on: labels it ignores dropped, mapped
        labels renamed (``SpacyNlpEngine._get_updated_entities``)."""
        kept = []
        for ent in doc.ents:
            if ent.label_ in self._ignore:
                continue
            if ent.label_ in self._mapping and ent.label_ != self._mapping[ent.label_]:
                ent.label_ = self._mapping[ent.label_]
            if ent.label_ in self._ignore:
                continue
            kept.append(ent)
        return NerEntities(kept)

    def analyze(self, text: str, doc, *, threshold: float) -> list[RecognizerResult]:
        """The recognizers' results on ``text`` (``doc`` its spaCy parse) over
        ``threshold``, duplicates removed as Presidio removes them."""
        artifacts = self.ner_entities(doc)
        results: list[RecognizerResult] = []
        for recognizer in self.recognizers:
            found = recognizer.analyze(text=text, entities=self._entities,
                                       nlp_artifacts=artifacts)
            if not found:
                continue
            for r in found:
                if not r.recognition_metadata:
                    r.recognition_metadata = {}
                meta = r.recognition_metadata
                if _ID not in meta:
                    meta[_ID] = recognizer.id
                if _NAME not in meta:
                    meta[_NAME] = recognizer.name
            results.extend(found)
        results = [r for r in results if r.score >= threshold]
        results = EntityRecognizer.remove_duplicates(results)
        for r in results:
            r.analysis_explanation = None
        return results
