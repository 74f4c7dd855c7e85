"""The topic stage: embeddings cached per document, a BERTopic model fitted once and extended each week,
each document's topic, and the topics' weekly volumes as series the streaming detectors watch.

Weekly runs are incremental: documents without a topic are assigned to the nearest existing topic, and
those no topic claims are clustered; clusters unlike every topic become new topics. ``refit=True`` fits
the whole window again (on demand, or when the embedding model changes).

A model is only used for an analysis whose cut-off is not before the model's training data (no
look-ahead): re-analysing an old week with a newer model skips the topics.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from signals.core.periods import end_of_day_utc, start_of_day_utc, week_start
from signals.core.schema import (
    TOPIC_VOLUME_SERIES as VOLUME_SERIES,
)
from signals.core.schema import (
    Document,
    DocumentFeatures,
    DocumentTopic,
    Topic,
    TopicModel,
)
from signals.core.settings import Settings
from signals.stages.compute import Local, Mapper, store_missing_features

log = logging.getLogger(__name__)

# Texts embedded together: large enough for the model's matrix products, small enough that a backfill's
# batches spread evenly over Dask workers (and a batch's padding stays short).
EMBEDDING_BATCH = 64


def topic_volume_series(model_id: int, number: int) -> str:
    return f"{VOLUME_SERIES}/{model_id}-{number}"


@dataclass
class TopicsResult:
    model_id: int | None
    refitted: bool
    embedded: int = 0
    assigned: int = 0
    new_topics: list[int] = field(default_factory=list)
    topics: int = 0


def embedder_for(settings: Settings) -> Any:
    return _embedder(settings.embedding_model, settings.cache_dir / "models", None)  # EmbedBatch's key


@lru_cache(maxsize=2)
def _embedder(name: str, cache_dir: Any, threads: int | None = None) -> Any:
    """One embedder per process (loading the int8 model takes about a second); ``threads``: the cores one
    call may use (default: all of this process's)."""
    from models.embeddings import make_embedder

    if name == "hashing":
        return make_embedder("hashing")
    return make_embedder(name, cache_dir=cache_dir, **({"workers": threads} if threads else {}))


def _text(title: str, text: str) -> str:
    from models.embeddings import prepare_text

    return prepare_text(title, text)


@dataclass(frozen=True)
class EmbedBatch:
    """Embeds one batch of (title, text) pairs: the bytes of each one's float16 vector. Picklable, so a
    Dask worker runs it with an embedder of its own (built once per process, on ``threads`` cores), exactly
    as this process would: a text's vector depends on the batch it is embedded with, not on the threads."""

    model: str
    cache_dir: Path
    threads: int | None = None

    def __call__(self, documents: list[tuple[str, str]]) -> list[bytes]:
        texts = [_text(title, text) for title, text in documents]
        vectors = _embedder(self.model, self.cache_dir, self.threads).embed(texts).astype(np.float16)
        return [vector.tobytes() for vector in vectors]


def ensure_embeddings(
    session: Session,
    settings: Settings,
    until_utc: datetime,
    since_utc: datetime,
    mapper: Mapper | None = None,
) -> int:
    """Embed the documents of the period that have no vector yet for this model (stored as float16), in
    batches of ``EMBEDDING_BATCH``, here or on the ``mapper``'s workers (``signals.stages.compute``)."""
    mapper = mapper or Local()
    embed = EmbedBatch(settings.embedding_model, settings.cache_dir / "models", mapper.task_threads)
    kind = embedder_for(settings).name
    return store_missing_features(
        session, kind, embed, mapper, EMBEDDING_BATCH, EMBEDDING_BATCH * 16, until_utc, since_utc
    )


def _vectors(session: Session, embedder: Any, ids: list[int]) -> np.ndarray:
    found: dict[int, bytes] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        found.update(
            session.execute(
                select(DocumentFeatures.document_id, DocumentFeatures.data).where(
                    DocumentFeatures.kind == embedder.name, DocumentFeatures.document_id.in_(chunk)
                )
            ).all()
        )
    return np.vstack([np.frombuffer(found[i], dtype=np.float16) for i in ids]).astype(np.float32)


def _texts(session: Session, ids: list[int]) -> list[str]:
    rows: dict[int, str] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        rows.update(
            {
                i: f"{t}. {x}"
                for i, t, x in session.execute(
                    select(Document.id, Document.title, Document.text).where(Document.id.in_(chunk))
                )
            }
        )
    return [rows[i] for i in ids]


def active_model(session: Session, embedder_name: str) -> TopicModel | None:
    return session.scalar(
        select(TopicModel).where(TopicModel.active.is_(True), TopicModel.embedding_model == embedder_name)
    )


def update_topics(session: Session, settings: Settings, as_of: date, refit: bool = False) -> TopicsResult:
    """Embed, then fit (first time or ``refit``) or extend the topic model with the window's new documents."""
    from models.topics import TopicConfig
    from models.topics import TopicModel as Model

    tz = settings.tz
    cutoff = end_of_day_utc(as_of, tz)
    first = week_start(as_of) - timedelta(weeks=settings.detection.lookback_weeks - 1)
    since = start_of_day_utc(first, tz)
    embedder = embedder_for(settings)
    embedded = ensure_embeddings(session, settings, cutoff, since)
    row = active_model(session, embedder.name)
    if row is not None and row.trained_until is not None and row.trained_until > cutoff:
        log.info("topic model %s is newer than %s: topics left as they are", row.id, as_of)
        return TopicsResult(row.id, False, embedded)
    window = list(
        session.scalars(
            select(Document.id)
            .where(Document.published_at >= since, Document.published_at <= cutoff)
            .order_by(Document.id)
        )
    )
    if not window:
        return TopicsResult(None, False, embedded)
    config = TopicConfig(
        min_cluster_size=settings.topics.min_cluster_size,
        assign_similarity=settings.topics.assign_similarity,
        new_topic_similarity=settings.topics.new_topic_similarity,
    )
    if row is None or refit:
        model = Model(config)
        topics = model.fit(_texts(session, window), _vectors(session, embedder, window))
        for old in session.scalars(select(TopicModel).where(TopicModel.active.is_(True))):
            old.active = False
        row = TopicModel(
            kind="full", embedding_model=embedder.name, active=True, params=settings.topics.model_dump()
        )
        session.add(row)
        session.flush()
        assigned = dict(zip(window, topics.tolist(), strict=True))
        result = TopicsResult(row.id, True, embedded)
    else:
        model = _loaded(row)
        done = set(session.scalars(select(DocumentTopic.document_id).where(DocumentTopic.model_id == row.id)))
        todo = [i for i in window if i not in done]
        vectors = _vectors(session, embedder, todo) if todo else np.zeros((0, embedder.dim), np.float32)
        topics = model.assign(vectors)
        leftovers = [i for i, t in zip(todo, topics, strict=True) if t == -1]
        result = TopicsResult(row.id, False, embedded)
        if leftovers:
            keep = np.isin(todo, leftovers)
            result.new_topics = model.extend(_texts(session, leftovers), vectors[keep])
            if result.new_topics:
                topics = model.assign(vectors)
        assigned = dict(zip(todo, topics.tolist(), strict=True))
        row.kind = "incremental"
    session.add_all(DocumentTopic(document_id=i, model_id=row.id, topic=int(t)) for i, t in assigned.items())
    if result.refitted or result.new_topics:  # the saved model changes only when its topics do
        row.state = model.save()
        _save_topics(session, row.id, model)
        _LOADED.clear()
        _LOADED[row.id] = (hash(row.state), model)
    row.documents = model.documents
    row.trained_until = cutoff
    result.assigned, result.topics = len(assigned), len(model.topics())
    return result


# The last loaded model, kept while its stored state is unchanged: weekly runs in one process (the
# scheduler, a replay) do not unpack it again every week.
_LOADED: dict[int, tuple[int, Any]] = {}


def _loaded(row: TopicModel) -> Any:
    from models.topics import TopicModel as Model

    state = row.state or b""
    cached = _LOADED.get(row.id)
    if cached is not None and cached[0] == hash(state):
        return cached[1]
    model = Model.load(state)
    _LOADED.clear()
    _LOADED[row.id] = (hash(state), model)
    return model


def _save_topics(session: Session, model_id: int, model: Any) -> None:
    session.execute(delete(Topic).where(Topic.model_id == model_id))
    session.add_all(
        Topic(model_id=model_id, number=t.number, label=t.label, keywords=t.keywords, size=t.size)
        for t in model.topics()
    )


def document_topics(session: Session, model_id: int, ids: np.ndarray) -> np.ndarray:
    """Topic of each document id (-1: none or not assigned)."""
    rows = session.execute(
        select(DocumentTopic.document_id, DocumentTopic.topic).where(DocumentTopic.model_id == model_id)
    ).all()
    out = np.full(len(ids), -1, dtype=np.int64)
    if rows:
        # Rows as a flat stream: np.array on Row objects probes each one for the array protocol (slow).
        pairs = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=2 * len(rows))
        known, topics = pairs.reshape(-1, 2).T
        order = np.argsort(known)
        known, topics = known[order], topics[order]
        positions = np.minimum(np.searchsorted(known, ids), len(known) - 1)
        found = known[positions] == ids
        out[found] = topics[positions[found]]
    return out


def topic_labels(session: Session, model_id: int) -> dict[int, Topic]:
    return {t.number: t for t in session.scalars(select(Topic).where(Topic.model_id == model_id))}


def record_volumes(
    store: Any,
    session: Session,
    model_id: int,
    weeks: list[date],
    counts: np.ndarray,
    totals: np.ndarray,
    numbers: list[int],
    labels: dict[int, Topic],
    as_of: date,
    backfill: bool,
) -> int:
    """Each topic's weekly number of documents in completed weeks, as a series the streaming detectors watch
    (counts: their Poisson noise is known). The last two completed weeks are (re)written, every week of the
    window on ``backfill``."""
    from signals.core.store import NewObservation

    complete = [i for i, week in enumerate(weeks) if week + timedelta(days=6) <= as_of]
    written = 0
    for i in complete if backfill else complete[-2:]:
        if totals[i] <= 0:
            continue  # no document at all that week: a gap in collection, not a quiet topic
        for column, number in enumerate(numbers):
            label = labels[number].label if number in labels else str(number)
            key = topic_volume_series(model_id, number)
            obs = NewObservation(key, weeks[i], float(counts[i, column]), "documents", label[:120])
            outcome = store.upsert_observation(session, obs)
            written += outcome != "unchanged"
    return written
