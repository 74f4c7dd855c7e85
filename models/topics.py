"""Topics of a corpus with BERTopic, fitted once and then extended week by week.

``TopicModel`` wraps BERTopic with settings for a small CPU and French texts: precomputed embeddings (no
embedding model is loaded), PCA instead of UMAP, HDBSCAN clusters at least ``min_cluster_size`` documents,
French stop words in the c-TF-IDF keywords, ``language="multilingual"`` (the "english" default strips
accents: "éclairage" -> "clairage").

Verbs: ``fit`` (the whole history, on demand), ``assign`` (new documents to existing topics by cosine
similarity to the topic embeddings), ``extend`` (cluster the documents no topic claims; clusters unlike the
existing topics become new topics, by BERTopic's ``merge_models``), ``topics`` (labels and keywords),
``save`` / ``load`` (bytes, for the store).

The embeddings of multilingual-e5 are all close to each other (every cosine above 0.8): the model centres
them on the mean vector of the documents it was fitted on, so similarities spread over [-1, 1] and the
thresholds below mean what they say.
"""

from __future__ import annotations

import io
import json
import logging
import tarfile
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)
FORMAT_VERSION = 1


@contextmanager
def _quiet() -> Iterator[None]:
    """BERTopic warns on every save and load that no embedding model is attached: here that is the point."""
    logger = logging.getLogger("BERTopic")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


@dataclass(frozen=True)
class TopicConfig:
    """Settings shared by every fit.

    - ``min_cluster_size``: smallest topic, in documents (None: 0.5 % of the documents, at least 8);
    - ``components``: PCA dimensions the clustering works in;
    - ``assign_similarity``: a document joins its nearest topic when their centred cosine is at least this;
    - ``new_topic_similarity``: a cluster found by ``extend`` is a new topic when its centred cosine to every
      existing topic is below this (else its documents belong to the closest one);
    - ``top_words``: keywords kept per topic.
    """

    min_cluster_size: int | None = None
    components: int = 10
    assign_similarity: float = 0.3
    new_topic_similarity: float = 0.6
    top_words: int = 10
    seed: int = 42

    def cluster_size(self, n_docs: int) -> int:
        return self.min_cluster_size or max(8, n_docs // 200)


@dataclass(frozen=True)
class TopicInfo:
    number: int
    label: str
    keywords: list[str]
    size: int


class TopicModel:
    """BERTopic fitted on precomputed embeddings, extendable week by week.

    >>> rng = np.random.default_rng(0)
    >>> centres = rng.normal(size=(3, 16))
    >>> vectors = np.vstack([c + 0.1 * rng.normal(size=(30, 16)) for c in centres]).astype(np.float32)
    >>> words = ["vélo piste cyclable", "école cantine élèves", "budget impôts vote"]
    >>> texts = [f"{words[i // 30]} document {i}" for i in range(90)]
    >>> model = TopicModel(TopicConfig(min_cluster_size=10))
    >>> topics = model.fit(texts, vectors)
    >>> len(set(topics) - {-1})
    3
    >>> again = TopicModel.load(model.save())
    >>> bool((again.assign(vectors) == topics).mean() > 0.95)
    True
    """

    def __init__(self, config: TopicConfig | None = None) -> None:
        self.config = config or TopicConfig()
        self._model: Any = None
        self._mean: np.ndarray | None = None
        self.documents = 0

    # --- fitting --------------------------------------------------------------------------------------

    def _bertopic(self, n_docs: int) -> Any:
        from bertopic import BERTopic
        from hdbscan import HDBSCAN
        from sklearn.decomposition import PCA
        from sklearn.feature_extraction.text import CountVectorizer

        from models.terms import stop_words

        size = self.config.cluster_size(n_docs)
        return BERTopic(
            language="multilingual",
            umap_model=PCA(
                n_components=min(self.config.components, max(n_docs - 1, 1)), random_state=self.config.seed
            ),
            hdbscan_model=HDBSCAN(
                min_cluster_size=size,
                min_samples=max(2, size // 2),
                metric="euclidean",
                cluster_selection_method="eom",
                prediction_data=False,
            ),
            # BERTopic counts words per topic (one document per topic): min_df must stay 1, or words that
            # belong to a single topic, the most telling ones, would be dropped.
            vectorizer_model=CountVectorizer(
                stop_words=sorted(stop_words()),
                ngram_range=(1, 2),
                min_df=1,
                max_features=50_000,
                token_pattern=r"(?u)\b[^\W\d_]{3,}\b",
            ),
            top_n_words=self.config.top_words,
            calculate_probabilities=False,
            verbose=False,
        )

    def _centre(self, embeddings: np.ndarray) -> np.ndarray:
        assert self._mean is not None
        centred = np.asarray(embeddings, dtype=np.float64) - self._mean
        norms = np.linalg.norm(centred, axis=1, keepdims=True)
        return centred / np.maximum(norms, 1e-12)

    def fit(self, texts: Sequence[str], embeddings: np.ndarray) -> np.ndarray:
        """Fit on the whole history; returns each document's topic (-1: none)."""
        self._mean = np.asarray(embeddings, dtype=np.float64).mean(axis=0)
        centred = self._centre(embeddings)
        model = self._bertopic(len(texts))
        with _quiet():
            topics, _ = model.fit_transform(list(texts), embeddings=centred)
        self._model = model
        self.documents = len(texts)
        return np.asarray(topics, dtype=np.int64)

    def _topic_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """(topic numbers, unit topic embeddings), outlier topic excluded."""
        info = self._model.get_topic_info()
        numbers = np.array(sorted(int(t) for t in info["Topic"] if int(t) != -1), dtype=np.int64)
        vectors = np.asarray(self._model.topic_embeddings_, dtype=np.float64)
        offset = 1 if -1 in set(int(t) for t in info["Topic"]) else 0
        rows = vectors[numbers + offset] if numbers.size else np.zeros((0, vectors.shape[1]))
        rows = rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
        return numbers, rows

    def assign(self, embeddings: np.ndarray) -> np.ndarray:
        """Nearest topic of each document, or -1 below ``assign_similarity``."""
        numbers, vectors = self._topic_vectors()
        if numbers.size == 0 or len(embeddings) == 0:
            return np.full(len(embeddings), -1, dtype=np.int64)
        similarity = self._centre(embeddings) @ vectors.T
        best = similarity.argmax(axis=1)
        return np.where(similarity.max(axis=1) >= self.config.assign_similarity, numbers[best], -1)

    def extend(self, texts: Sequence[str], embeddings: np.ndarray) -> list[int]:
        """Cluster these documents (those ``assign`` left without a topic); clusters unlike every existing
        topic become new topics. Returns the new topic numbers (``assign`` then places the documents)."""
        if len(texts) < self.config.cluster_size(self.documents) * 2:
            return []
        from bertopic import BERTopic

        before, _ = self._topic_vectors()
        fresh = self._bertopic(len(texts))
        with _quiet():
            fresh.fit(list(texts), embeddings=self._centre(embeddings))
            if len(set(fresh.topics_) - {-1}) == 0:
                return []
            merged = BERTopic.merge_models(
                [self._model, fresh], min_similarity=self.config.new_topic_similarity
            )
        self._model = merged
        self.documents += len(texts)
        after, _ = self._topic_vectors()
        return sorted(set(after.tolist()) - set(before.tolist()))

    # --- reading --------------------------------------------------------------------------------------

    def topics(self) -> list[TopicInfo]:
        info = self._model.get_topic_info()
        out = []
        for row in info.itertuples():
            number = int(row.Topic)
            if number == -1:
                continue
            words = [w for w, _ in (self._model.get_topic(number) or [])][: self.config.top_words]
            out.append(TopicInfo(number, " · ".join(words[:3]), words, int(row.Count)))
        return out

    # --- persistence ----------------------------------------------------------------------------------

    def save(self) -> bytes:
        """The fitted model as bytes (BERTopic's safetensors files, the centring mean and the settings)."""
        buffer = io.BytesIO()
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "model"
            vectorizer = self._model.vectorizer_model
            if hasattr(vectorizer, "vocabulary_"):  # scikit-learn 1.9 stores numpy ints, which json refuses
                vectorizer.vocabulary_ = {word: int(i) for word, i in vectorizer.vocabulary_.items()}
            with _quiet():
                self._model.save(
                    path, serialization="safetensors", save_ctfidf=True, save_embedding_model=False
                )
            assert self._mean is not None
            np.save(path / "mean.npy", self._mean)
            (path / "signals.json").write_text(
                json.dumps(
                    {"format": FORMAT_VERSION, "config": asdict(self.config), "documents": self.documents}
                )
            )
            with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
                archive.add(path, arcname="model")
        return buffer.getvalue()

    @classmethod
    def load(cls, data: bytes) -> TopicModel:
        from bertopic import BERTopic

        with (
            tempfile.TemporaryDirectory() as folder,
            tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive,
        ):
            archive.extractall(folder, filter="data")
            path = Path(folder) / "model"
            meta = json.loads((path / "signals.json").read_text())
            if meta.get("format") != FORMAT_VERSION:
                raise ValueError(f"topic model format {meta.get('format')} is not {FORMAT_VERSION}: refit it")
            model = cls(TopicConfig(**meta["config"]))
            with _quiet():
                model._model = BERTopic.load(str(path))
            model._mean = np.load(path / "mean.npy")
            model.documents = int(meta["documents"])
        return model
