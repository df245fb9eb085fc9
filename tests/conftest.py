"""Session-scoped expensive objects: the spaCy pipeline and the entity extractor."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def extractor():
    """The deterministic extractor with packaged rules and vocabularies."""
    from verifiers.entities import EntityExtractor

    return EntityExtractor()


@pytest.fixture(scope="session")
def clinical_pipeline(extractor):
    """The medspaCy pipeline (shared with the extractor to build it once)."""
    return extractor.pipeline


@pytest.fixture(scope="session")
def embedder():
    """The packaged all-MiniLM-L6-v2 sentence-transformers embedder (offline)."""
    from retrieval.embedder import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


@pytest.fixture(scope="session")
def fake_embedder():
    """A deterministic 16-d bag-of-words embedder for index tests that need no model."""
    import zlib

    import numpy as np

    from retrieval.embedder import Embedder

    class HashingEmbedder(Embedder):
        model_id = "test-hashing-16"
        dimension = 16

        def embed_batch(self, texts):
            out = np.zeros((len(texts), self.dimension), dtype=np.float32)
            for i, text in enumerate(texts):
                for word in text.lower().split():
                    out[i, zlib.crc32(word.encode()) % self.dimension] += 1.0
                out[i, 0] += 1e-3
            return out / np.linalg.norm(out, axis=1, keepdims=True)

    return HashingEmbedder()


@pytest.fixture(scope="session")
def deid_detector():
    """The PHI detector (Presidio analyzer + clinical recognizer pack), built once."""
    from agent.deid.registry import get_detector

    return get_detector()


@pytest.fixture(scope="session")
def find_phi(deid_detector):
    """``find_phi(text) -> [(type, surface)]`` with the packaged detector."""

    def _find(text: str) -> list[tuple[str, str]]:
        return [(s.entity_type, text[s.start:s.end]) for s in deid_detector.detect(text)]

    return _find


@pytest.fixture(scope="session")
def demo_extractions(extractor):
    """The demo notes and their deterministic extractions: (notes, {note_id: extraction})."""
    from evals.synthetic import load_notes

    notes = load_notes()
    return notes, {n.note_id: extractor.extract_note(n) for n in notes}
