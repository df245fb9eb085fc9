"""The stages of a batch run, one callable class each: ``__init__`` loads the stage's models
once (per process or Ray actor), ``__call__`` takes a batch of units.

A batch is ``{"unit": array of JSON strings}`` (the numpy batch format of Ray Data, built the
same way by the local engine), each string a patient unit of :mod:`agent.batch.units`. A
stage adds its results to ``unit["results"][note_id]`` and records a note it cannot process
in ``unit["failures"][note_id]`` (stage and reason, never note text); later stages skip
failed notes. :class:`StageChain` runs the chosen stages in one process so each note is
parsed once and no intermediate result crosses the network.

When de-identification runs, the later stages read the de-identified text: the offsets of
entities and chunks point into the ``deid_text`` written with them, and nothing of the
original text reaches the output.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from typing import Any

import numpy as np

from agent.batch.sources import text_sha256
from agent.batch.units import unit_notes
from agent.config import Settings
from agent.errors import ClinicalAgentError

logger = logging.getLogger(__name__)

STAGE_ORDER = ("deid", "extract", "index", "llm")


def failure_reason(err: BaseException) -> str:
    """A failure's reason without note text.

    Our own errors say what failed and what to do, never quoting a note (the errors
    contract); any other exception is named by its type only, since its message may quote
    the text it choked on.
    """
    if isinstance(err, ClinicalAgentError):
        return f"{type(err).__name__}: {err}"
    return f"{type(err).__name__} (message withheld: it may quote the note)"


def _fail(unit: dict, note_id: str, stage: str, err: BaseException) -> None:
    logger.warning("note %s failed in stage %s: %s", note_id, stage, type(err).__name__)
    unit["failures"][note_id] = {"stage": stage, "reason": failure_reason(err)}


def _result(unit: dict, note_id: str) -> dict:
    return unit["results"].setdefault(note_id, {})


def _timed(unit: dict, stage: str, started: float) -> None:
    seconds = unit["meta"].setdefault("seconds", {})
    seconds[stage] = seconds.get(stage, 0.0) + time.perf_counter() - started


class _Stage:
    """The batch interface shared by every stage."""

    name = ""

    def process(self, unit: dict) -> None:  # pragma: no cover - each stage defines it
        raise NotImplementedError

    def models(self) -> dict[str, str]:
        """Model and rule ids for the manifest."""
        return {}

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        units = [json.loads(u) for u in batch["unit"]]
        for unit in units:
            self.process(unit)
            unit["meta"].setdefault("models", {}).update(self.models())
        return {"unit": np.array([json.dumps(u, ensure_ascii=False) for u in units],
                                 dtype=object)}


class DeidStage(_Stage):
    """De-identify each patient's notes together (:class:`PatientDeidentifier`).

    Args:
        settings: settings (``settings.deid``).
        mode: ``redact``, ``mask`` or ``surrogate`` (default: ``settings.deid.mode``).
    """

    name = "deid"

    def __init__(self, settings: Settings, mode: str | None = None) -> None:
        # Deferred: Presidio / spaCy: heavy, only in processes that run this stage.
        from agent.deid.batch import PatientDeidentifier

        self.deid = PatientDeidentifier.from_settings(settings.deid, mode=mode,
                                                         privacy=settings.privacy)

    def models(self) -> dict[str, str]:
        return {"deid_pack_sha256": self.deid.detector.pack_sha256,
                "deid_mode": self.deid.mode}

    def process(self, unit: dict) -> None:
        started = time.perf_counter()
        notes = unit_notes(unit, emitted_only=False)
        emit = {e["note"]["note_id"] for e in unit["notes"] if e["emit"]}
        try:
            pairs = list(self.deid.run(notes))
        except Exception as e:  # noqa: BLE001 - one patient's failure must not stop the run
            for nid in emit:
                _fail(unit, nid, self.name, e)
            _timed(unit, self.name, started)
            return
        by_id = {e["note"]["note_id"]: e for e in unit["notes"]}
        for note, (result, audit) in zip(notes, pairs, strict=True):
            # Later stages read the de-identified text (of every note, emitted or not).
            by_id[note.note_id]["note"]["text"] = result.text
            if note.note_id in emit:
                out = _result(unit, note.note_id)
                out["deid"] = result.model_dump(mode="json")
                out["audit"] = audit.model_dump(mode="json")
        _timed(unit, self.name, started)


class ExtractStage(_Stage):
    """The deterministic entity extractor (:func:`agent.extract.batch.make_extractor`)."""

    name = "extract"

    def __init__(self, settings: Settings) -> None:
        # Deferred: spaCy / medspaCy and the vocabularies: heavy, only where this stage runs.
        from agent.extract.batch import make_extractor

        self.extractor = make_extractor(settings)

    def models(self) -> dict[str, str]:
        prov = self.extractor.provenance
        return {"rules_sha256": prov.rules_sha256 or "",
                "vocabularies": json.dumps(prov.vocabularies, sort_keys=True)}

    def process(self, unit: dict) -> None:
        started = time.perf_counter()
        for note in unit_notes(unit):
            try:
                extraction = self.extractor.extract_note(note)
            except Exception as e:  # noqa: BLE001 - a failing note is recorded, never fatal
                _fail(unit, note.note_id, self.name, e)
                continue
            _result(unit, note.note_id)["extraction"] = extraction.model_dump(mode="json")
        _timed(unit, self.name, started)


class IndexStage(_Stage):
    """Chunks and embeddings of each note, merged into one index by the driver.

    Args:
        settings: settings (``settings.retrieval``; the rules folder for sections).
        pipeline: a clinical pipeline to share (the extractor's); None builds one.
    """

    name = "index"

    def __init__(self, settings: Settings, pipeline: Any = None) -> None:
        # Deferred: medspaCy, torch and sentence-transformers: heavy, only in this stage.
        from agent.indexing import make_embedder
        from agent.nlp.pipeline import build_pipeline
        from agent.rules import rules_for
        from retrieval.chunking import chunker_id

        self.settings = settings.retrieval
        self.pipeline = pipeline if pipeline is not None else build_pipeline(
            rules_for(settings).dir)
        self.embedder = make_embedder(self.settings)
        self.chunker = chunker_id(self.settings.chunk_max_chars)

    def models(self) -> dict[str, str]:
        return {"embedder": self.embedder.model_id, "dimension": str(self.embedder.dimension),
                "chunker": self.chunker}

    def process(self, unit: dict) -> None:
        # Deferred: imported with its heavier neighbours (faiss / medspaCy), only here.
        from agent.indexing import chunk_notes
        from retrieval.chunking import embedding_text

        started = time.perf_counter()
        chunks: dict[str, list] = {}
        shas: dict[str, str] = {}
        for note in unit_notes(unit):
            shas[note.note_id] = text_sha256(note.text)
            try:
                chunks.update(chunk_notes([note], self.settings, self.pipeline))
            except Exception as e:  # noqa: BLE001 - a failing note is recorded, never fatal
                _fail(unit, note.note_id, self.name, e)
        flat = [c for cs in chunks.values() for c in cs]
        vectors = (self.embedder.embed_all([embedding_text(c) for c in flat],
                                           batch_size=self.settings.batch_size)
                   if flat else np.zeros((0, self.embedder.dimension), dtype=np.float32))
        pos = 0
        for note_id, cs in chunks.items():
            block = np.ascontiguousarray(vectors[pos:pos + len(cs)], dtype=np.float32)
            pos += len(cs)
            _result(unit, note_id)["index"] = {
                "chunks": [c.model_dump(mode="json") for c in cs],
                "text_sha256": shas[note_id],
                "vectors": base64.b64encode(block.tobytes()).decode("ascii")}
        _timed(unit, self.name, started)


class LLMStage(_Stage):
    """LLM extraction grounded and merged with the rules (:class:`LLMExtractor`), against
    the configured backend (an OpenAI-compatible server such as vLLM).

    Chunks of a note go to the server ``llm.concurrency`` at a time: the bound per process
    or actor. A note whose server is down fails with the reason and the run goes on.

    Args:
        settings: settings (``settings.llm``).
        rules: the rules extractor to merge with (the extract stage's); None builds one.
    """

    name = "llm"

    def __init__(self, settings: Settings, rules: Any = None) -> None:
        # Deferred: the LLM backends and the rules extractor: heavy, only in this stage.
        from agent.extract.batch import make_extractor
        from agent.extract.llm import LLMExtractor
        from agent.llm.factory import make_backend

        llm = settings.llm
        self.extractor = LLMExtractor(
            make_backend(llm), rules if rules is not None else make_extractor(settings),
            chunk_chars=llm.chunk_chars(), max_retries=llm.max_retries,
            max_tokens=llm.max_tokens, concurrency=llm.concurrency)

    def models(self) -> dict[str, str]:
        backend = self.extractor.backend
        return {"llm_backend": str(getattr(backend, "name", "")),
                "llm_model": str(getattr(backend, "model", "")),
                "llm_prompt": self.extractor.prompt.ref}

    def process(self, unit: dict) -> None:
        started = time.perf_counter()
        stats = unit["meta"].setdefault("llm", {"notes": 0, "failed_notes": 0,
                                                "failed_chunks": 0, "chunks": 0,
                                                "prompt_tokens": 0, "completion_tokens": 0})
        for note in unit_notes(unit):
            try:
                result = self.extractor.extract_note(note)
            except Exception as e:  # noqa: BLE001 - server down or a bad note: recorded
                stats["failed_notes"] += 1
                _fail(unit, note.note_id, self.name, e)
                continue
            stats["notes"] += 1
            stats["chunks"] += result.llm.chunks
            stats["failed_chunks"] += len(result.failed_chunks)
            stats["prompt_tokens"] += result.llm.prompt_tokens
            stats["completion_tokens"] += result.llm.completion_tokens
            _result(unit, note.note_id)["llm"] = result.model_dump(mode="json")
        _timed(unit, self.name, started)


class StageChain(_Stage):
    """The chosen stages in order, in one process: models loaded once, shared where they
    can be (the extractor's clinical pipeline serves the index and LLM stages).

    Args:
        settings: all settings.
        stages: stage names, a subset of :data:`STAGE_ORDER` (run in that order).
        deid_mode: de-identification operator (default: the configured one).
    """

    name = "chain"

    def __init__(self, settings: Settings, stages: list[str],
                 deid_mode: str | None = None) -> None:
        self.stages: list[_Stage] = []
        extract: ExtractStage | None = None
        for name in STAGE_ORDER:
            if name not in stages:
                continue
            if name == "deid":
                self.stages.append(DeidStage(settings, deid_mode))
            elif name == "extract":
                extract = ExtractStage(settings)
                self.stages.append(extract)
            elif name == "index":
                self.stages.append(IndexStage(
                    settings, extract.extractor.pipeline if extract else None))
            else:
                self.stages.append(LLMStage(settings, extract.extractor if extract else None))

    def models(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for stage in self.stages:
            out.update(stage.models())
        return out

    def process(self, unit: dict) -> None:
        for stage in self.stages:
            stage.process(unit)


def decode_vectors(encoded: str, dimension: int) -> np.ndarray:
    """The float32 vectors of an index result (rows of ``dimension``)."""
    return np.frombuffer(base64.b64decode(encoded), dtype=np.float32).reshape(-1, dimension)

