"""The topic stage on a real store: fitted once, extended week by week, embeddings cached, volumes kept."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from signals import pipeline
from signals.core.schema import DocumentFeatures, DocumentTopic, Observation, Topic, TopicModel
from signals.demo.synthetic import Plant, synthetic_corpus
from signals.demo.themes import EMERGING
from signals.stages.importer import import_file
from signals.stages.topics import VOLUME_SERIES, update_topics
from tests.conftest import COMMUNES, write_jsonl

FIRST = date(2025, 1, 6)


@pytest.fixture
def corpus_store(store, settings, tmp_path):
    corpus = synthetic_corpus(
        weeks=30,
        per_week=40,
        first_monday=FIRST,
        communes=COMMUNES,
        seed=8,
        plants=[Plant(EMERGING[6], onset=24, start_rate=6.0, growth=1.3, cap=15)],
    )
    import_file(store, settings, write_jsonl(tmp_path / "c.jsonl", corpus.records))
    return store, settings


def _count(store, model) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_first_run_fits_later_runs_extend_and_nothing_is_embedded_twice(corpus_store):
    store, settings = corpus_store
    with store.session() as session:
        first = update_topics(session, settings, FIRST + timedelta(weeks=20, days=6))
    assert first.refitted and first.topics >= 3 and first.embedded == first.assigned
    embedded = _count(store, DocumentFeatures)
    with store.session() as session:
        later = update_topics(session, settings, FIRST + timedelta(weeks=29, days=6))
        labels = {t.label for t in session.scalars(select(Topic))}
    assert not later.refitted and later.model_id == first.model_id
    assert later.embedded == later.assigned > 0  # only the new documents
    assert _count(store, DocumentFeatures) == embedded + later.embedded
    assert later.new_topics, "the theme planted after the fit should become a new topic"
    assert any("agrivolta" in label for label in labels), labels
    assert _count(store, TopicModel) == 1
    with store.session() as session:  # every document of the window has its topic, once
        assert (
            session.scalar(select(func.count(DocumentTopic.document_id))) == first.assigned + later.assigned
        )


def test_refit_on_demand_replaces_the_model(corpus_store):
    store, settings = corpus_store
    with store.session() as session:
        first = update_topics(session, settings, FIRST + timedelta(weeks=25, days=6))
        again = update_topics(session, settings, FIRST + timedelta(weeks=25, days=6), refit=True)
        active = session.scalars(select(TopicModel).where(TopicModel.active.is_(True))).all()
    assert again.refitted and again.model_id != first.model_id and [m.id for m in active] == [again.model_id]
    assert again.embedded == 0  # vectors come from the cache


def test_a_newer_model_is_not_used_for_an_older_week(corpus_store):
    store, settings = corpus_store
    with store.session() as session:
        update_topics(session, settings, FIRST + timedelta(weeks=29, days=6))
        older = update_topics(session, settings, FIRST + timedelta(weeks=20, days=6))
    assert not older.refitted and older.assigned == 0


def test_weekly_analysis_records_topic_volumes(corpus_store):
    store, settings = corpus_store
    pipeline.analyze(store, settings, FIRST + timedelta(weeks=28, days=6))
    with store.session() as session:
        series = session.scalars(select(Observation.series).distinct()).all()
        weeks = session.scalars(
            select(func.count(Observation.id)).where(Observation.series == series[0])
        ).one()
    assert series and all(s.startswith(VOLUME_SERIES + "/") for s in series)
    assert weeks >= 20  # backfilled over the window when the model was fitted
