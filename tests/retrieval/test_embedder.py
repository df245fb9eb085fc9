"""The sentence-transformers embedder: offline, normalised, batched, identified."""

from __future__ import annotations

import numpy as np
import pytest

from agent.errors import ConfigError
from retrieval.embedder import SentenceTransformerEmbedder


def test_when_embedding_then_vectors_are_unit_length_float32_of_384_dims(embedder):
    vectors = embedder.embed_all(["metoprolol 25 mg PO BID", "chest pain", "x"], batch_size=2)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.model_id.startswith("sentence-transformers/all-MiniLM-L6-v2@")


def test_when_texts_are_related_then_cosine_is_higher(embedder):
    a, b, c = embedder.embed_all(["shortness of breath", "dyspnea on exertion",
                                  "left ankle fracture"])
    assert a @ b > a @ c


def test_when_model_path_is_not_a_folder_then_config_error(tmp_path):
    with pytest.raises(ConfigError, match="retrieval.model_path"):
        SentenceTransformerEmbedder(tmp_path / "nope")
