"""BERTopic adapter: lets a fitted topic model embed new texts itself (``transform``) with our embedders.

Kept apart from :mod:`models.embeddings` because importing BERTopic takes seconds (it loads PyTorch and
sentence-transformers); only the topic model needs it.

>>> from models.embeddings import HashingEmbedder
>>> backend = EmbedderBackend(HashingEmbedder(dim=32))
>>> backend.embed(["Plan vélo", "Budget"]).shape
(2, 32)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from bertopic.backend import BaseEmbedder

from models.embeddings import Embedder


class EmbedderBackend(BaseEmbedder):
    """A :class:`models.embeddings.Embedder` as a BERTopic embedding backend.

    Pass it as ``BERTopic(embedding_model=EmbedderBackend(e))`` or to ``BERTopic.load(path,
    embedding_model=...)``; documents and words (for representation models) go through ``embedder.embed``.
    """

    def __init__(self, embedder: Embedder) -> None:
        super().__init__()
        self.embedder = embedder

    def embed(self, documents: Sequence[str], verbose: bool = False) -> np.ndarray:
        return self.embedder.embed(list(documents))
