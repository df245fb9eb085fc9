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
