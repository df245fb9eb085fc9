"""clinagent as spaCy pipeline components: ``clinagent_entities`` and ``clinagent_deid``.

``nlp.add_pipe("clinagent_entities")`` runs clinagent's deterministic extractor
(:meth:`agent.nlp.entities.EntityExtractor.extract_note`, what ``clinagent extract`` runs)
on each ``Doc`` and writes its entities as spans:

- every entity in the span group ``doc.spans["clinagent"]`` (label = clinagent type:
  PROBLEM, MEDICATION, TEST, PROCEDURE, ALLERGY, ANATOMY), overlapping ones included;
- with ``set_ents`` (default), the non-overlapping ones in ``doc.ents`` too, after the
  entities already there (a medspaCy target matcher's win where they overlap);
- Span extensions ``clinagent_assertion`` (present, absent, possible, hypothetical,
  historical, family), ``clinagent_section``, ``clinagent_codes`` (system, code, display,
  score), ``clinagent_attributes`` (medication strength, dose, route, frequency ... and test
  values: text, value, offsets), ``clinagent_normalized`` and ``clinagent_offsets`` (the
  extractor's own character offsets, when spaCy's tokens made the span wider);
- Doc extension ``clinagent_provenance``: per component, package version and rules sha256.

``nlp.add_pipe("clinagent_deid")`` runs the PHI detector (:func:`agent.deid.detector.detect`,
one text at a time: the patient-level second pass of ``clinagent deid`` needs all of a
patient's notes) into ``doc.spans["clinagent_phi"]`` (label = PHI type; extensions
``clinagent_score`` and ``clinagent_recognizer``) and, with ``redact``, the redacted text in
``doc._.clinagent_redacted``.

Both factories are registered here with ``@Language.factory`` (importing this module is
enough) and through the ``spacy_factories`` entry points of clinagent's pyproject (installed
clinagent: no import needed). Their settings are plain config values, the models load on the
first document in each process, and every extension value is plain data (lists, dicts,
strings), so the components work in ``nlp.pipe(texts, n_process=2)`` and in ``nlp.to_disk``
/ ``spacy.load`` configs. This module must stay cheap to import: spaCy imports every
installed ``spacy_factories`` entry point whenever it builds a ``Language``.
"""

# No ``from __future__ import annotations`` here: spaCy validates a factory's config against
# its signature's annotations at runtime, and string annotations fail that check.
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from agent.schemas.notes import Note
from agent.version import package_version

ENTITY_GROUP = "clinagent"
PHI_GROUP = "clinagent_phi"
SPAN_EXTENSIONS = ("clinagent_assertion", "clinagent_section", "clinagent_codes",
                   "clinagent_attributes", "clinagent_normalized", "clinagent_offsets",
                   "clinagent_score", "clinagent_recognizer")
DOC_EXTENSIONS = ("clinagent_provenance", "clinagent_redacted")


def register_extensions() -> None:
    """Declare clinagent's ``Span._`` and ``Doc._`` attributes (idempotent)."""
    for name in SPAN_EXTENSIONS:
        if not Span.has_extension(name):
            Span.set_extension(name, default=None)
    for name in DOC_EXTENSIONS:
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=None)


register_extensions()


def _record_provenance(doc: Doc, component: str, provenance: dict[str, Any]) -> None:
    # A new dict each time: the extension's default must never be mutated in place.
    doc._.clinagent_provenance = {**(doc._.clinagent_provenance or {}), component: provenance}


def _char_span(doc: Doc, start: int, end: int, label: str) -> Span | None:
    """The tokens covering ``[start, end)``; None for a span of whitespace only."""
    return doc.char_span(start, end, label=label, alignment_mode="expand")


def _add_ents(doc: Doc, spans: list[Span]) -> None:
    """Add ``spans`` to ``doc.ents`` where they overlap neither the entities already there
    nor a longer span of ours (spaCy's entities cannot overlap)."""
    taken = {i for ent in doc.ents for i in range(ent.start, ent.end)}
    free = [s for s in filter_spans(spans) if not any(i in taken for i in range(s.start, s.end))]
    doc.ents = sorted([*doc.ents, *free], key=lambda s: s.start)


class ClinagentEntities:
    """The ``clinagent_entities`` component (see the module docstring).

    Args:
        nlp: the pipeline (unused: clinagent reads the raw text, not spaCy's tokens).
        name: the component's name.
        rules_dir: a folder of rule files replacing the packaged ones (``extraction
            .rules_dir``); None = packaged rules.
        include_anatomy: also report ANATOMY entities.
        max_codes: code candidates per entity (0 = no coding, faster).
        set_ents: also write the entities to ``doc.ents``.
        span_group: the span group name.
    """

    def __init__(self, nlp: Language, name: str, *, rules_dir: str | None = None,
                 include_anatomy: bool = False, max_codes: int = 5, set_ents: bool = True,
                 span_group: str = ENTITY_GROUP) -> None:
        self.name = name
        self.rules_dir = rules_dir
        self.include_anatomy = include_anatomy
        self.max_codes = max_codes
        self.set_ents = set_ents
        self.span_group = span_group

    @property
    def extractor(self):
        """The extractor, built on first use in each process (cached per configuration)."""
        # Deferred: medspaCy and the vocabularies (seconds, ~0.6 GB), on the first doc only.
        from agent.nlp.entities import default_extractor

        return default_extractor(rules_dir=self.rules_dir, include_anatomy=self.include_anatomy,
                                 max_codes=self.max_codes)

    def __call__(self, doc: Doc) -> Doc:
        extraction = self.extractor.extract_note(
            Note(patient_id="unknown", note_id=str(doc.user_data.get("note_id", "doc")),
                 text=doc.text))
        spans: list[Span] = []
        for ent in extraction.entities:
            span = _char_span(doc, ent.start, ent.end, ent.type)
            if span is None:
                continue
            span._.clinagent_assertion = ent.assertion
            span._.clinagent_section = ent.section
            span._.clinagent_codes = [c.model_dump() for c in ent.codes]
            span._.clinagent_attributes = {k: a.model_dump() for k, a in ent.attributes.items()}
            span._.clinagent_normalized = dict(ent.normalized)
            span._.clinagent_offsets = [ent.start, ent.end]
            spans.append(span)
        doc.spans[self.span_group] = spans
        if self.set_ents:
            _add_ents(doc, spans)
        _record_provenance(doc, self.name, extraction.provenance.model_dump(mode="json"))
        return doc


class ClinagentDeid:
    """The ``clinagent_deid`` component (see the module docstring).

    Args:
        nlp: the pipeline (unused).
        name: the component's name.
        pack_file: a recognizer pack replacing the packaged ``recognizers.yaml``.
        threshold: minimum PHI score.
        redact: also write the text with every PHI span replaced by ``[TYPE]`` to
            ``doc._.clinagent_redacted``.
        set_ents: also write the PHI spans to ``doc.ents`` (off by default: PHI types are
            not clinical entities).
        span_group: the span group name.
    """

    def __init__(self, nlp: Language, name: str, *, pack_file: str | None = None,
                 threshold: float = 0.5, redact: bool = False, set_ents: bool = False,
                 span_group: str = PHI_GROUP) -> None:
        self.name = name
        self.pack_file = pack_file
        self.threshold = threshold
        self.redact = redact
        self.set_ents = set_ents
        self.span_group = span_group

    @property
    def detector(self):
        """The PHI detector, built on first use in each process (cached per pack)."""
        # Deferred: Presidio, its spaCy model and the lexicons, on the first doc only.
        from agent.deid.detector import get_detector

        return get_detector(self.pack_file)

    def __call__(self, doc: Doc) -> Doc:
        # Deferred: the anonymizer and its name lexicons, with the detector.
        from agent.deid.anonymize import transform

        detector = self.detector
        found = detector.detect(doc.text, threshold=self.threshold)
        spans: list[Span] = []
        for phi in found:
            span = _char_span(doc, phi.start, phi.end, phi.entity_type)
            if span is None:
                continue
            span._.clinagent_score = phi.score
            span._.clinagent_recognizer = phi.recognizer
            span._.clinagent_offsets = [phi.start, phi.end]
            spans.append(span)
        doc.spans[self.span_group] = spans
        if self.set_ents:
            _add_ents(doc, spans)
        if self.redact:
            doc._.clinagent_redacted = transform(doc.text, found, mode="redact")[0]
        _record_provenance(doc, self.name, {
            "producer": "clinagent.adapters.spacy.deid", "package_version": package_version(),
            "rules_sha256": f"recognizers.yaml={detector.pack_sha256}"})
        return doc


@Language.factory("clinagent_entities", default_config={
    "rules_dir": None, "include_anatomy": False, "max_codes": 5, "set_ents": True,
    "span_group": ENTITY_GROUP})
def make_entities_component(nlp: Language, name: str, rules_dir: str | None,
                            include_anatomy: bool, max_codes: int, set_ents: bool,
                            span_group: str) -> ClinagentEntities:
    """spaCy factory of ``clinagent_entities`` (config keys = the component's arguments)."""
    return ClinagentEntities(nlp, name, rules_dir=rules_dir, include_anatomy=include_anatomy,
                             max_codes=max_codes, set_ents=set_ents, span_group=span_group)


@Language.factory("clinagent_deid", default_config={
    "pack_file": None, "threshold": 0.5, "redact": False, "set_ents": False,
    "span_group": PHI_GROUP})
def make_deid_component(nlp: Language, name: str, pack_file: str | None, threshold: float,
                        redact: bool, set_ents: bool, span_group: str) -> ClinagentDeid:
    """spaCy factory of ``clinagent_deid`` (config keys = the component's arguments)."""
    return ClinagentDeid(nlp, name, pack_file=pack_file, threshold=threshold, redact=redact,
                         set_ents=set_ents, span_group=span_group)
