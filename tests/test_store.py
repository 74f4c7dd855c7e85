import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from signals.core.schema import Document, Observation, Run, Sighting
from signals.core.store import NewDocument, NewObservation, Store, canonical_url, content_hash
from tests import pgserver
from tests.conftest import aware, workspace_settings


def _doc(source: str, url: str | None, text: str, title: str = "Titre") -> NewDocument:
    return NewDocument(source=source, title=title, text=text, published_at=aware(date(2026, 3, 2)), url=url)


def _count(store: Store, model) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_migrations_are_idempotent(settings):
    first = Store.open(settings)
    revision = first.revision()
    first.close()
    again = Store.open(settings)
    assert again.revision() == revision and revision
    again.close()


def test_an_empty_database_is_migrated_to_the_latest_revision(tmp_path):
    """From nothing to head on this run's store (the suite's other databases start migrated)."""
    url = pgserver.active.create(empty=True) if pgserver.active else f"sqlite:///{tmp_path / 'empty.db'}"
    store = Store(url)
    assert store.revision() is None
    store.migrate()
    with Store.open(workspace_settings(tmp_path / "other")) as latest:
        assert store.revision() == latest.revision() and latest.revision()
    store.close()


def test_canonical_url_and_content_hash():
    assert canonical_url("HTTP://Example.fr/a?utm_source=x&b=2&a=1#top") == "http://example.fr/a?a=1&b=2"
    assert content_hash("t", "Le conseil a voté.") == content_hash("autre titre", "le  conseil a VOTÉ")
    assert content_hash("t", "") != content_hash("u", "")  # no text: the title decides


def test_same_text_from_two_sources_is_one_document_with_two_sightings(store):
    with store.session() as session:
        _, first = store.add_document(session, _doc("echo", "https://echo.fr/a", "Une cour oasis à Lirac."))
        _, wire = store.add_document(
            session, _doc("gazette", "https://gazette.fr/b", "une cour OASIS à Lirac")
        )
        _, again = store.add_document(session, _doc("gazette", "https://gazette.fr/b?utm_medium=rss", "x"))
    assert (first, wire, again) == ("new", "duplicate_content", "seen")
    assert _count(store, Document) == 1
    assert _count(store, Sighting) == 2


def test_same_url_with_changed_text_is_not_a_new_document(store):
    with store.session() as session:
        store.add_document(session, _doc("echo", "https://echo.fr/a", "Version 1"))
        document, outcome = store.add_document(
            session, _doc("echo", "https://echo.fr/a#comments", "Version 2")
        )
    assert outcome == "seen" and document.text == "Version 1"


def test_near_duplicate_named_by_the_caller_becomes_a_sighting(store):
    with store.session() as session:
        original, _ = store.add_document(session, _doc("echo", "https://echo.fr/a", "Texte original."))
        same, outcome = store.add_document(
            session, _doc("radio", "https://radio.fr/z", "Texte retouché."), same_as=original.id
        )
    assert outcome == "near_duplicate" and same.id == original.id
    assert _count(store, Document) == 1 and _count(store, Sighting) == 2


def test_observations_are_unique_on_series_and_period(store):
    obs = NewObservation("tourisme.nuitees/lirac", date(2026, 7, 1), 1200.0, "nuitées", "Lirac")
    with store.session() as session:
        outcomes = [store.upsert_observation(session, obs)]
        outcomes.append(store.upsert_observation(session, obs))
        obs.value = 1300.0
        outcomes.append(store.upsert_observation(session, obs))
    assert outcomes == ["new", "unchanged", "updated"]
    with store.session() as session:
        assert session.scalars(select(Observation.value)).all() == [1300.0]


def test_run_records_counts_rejects_and_failures(store):
    with store.recording("import", target="file.jsonl") as run:
        run.count("new", 3)
        run.reject("file.jsonl:4", "invalid JSON", code="invalid JSON")
    with pytest.raises(RuntimeError), store.recording("collect", target="echo", source="echo"):
        raise RuntimeError("dead host")
    with store.session() as session:
        ok, failed = session.scalars(select(Run).order_by(Run.id)).all()
    assert ok.status == "partial" and ok.counts["new"] == 3 and ok.counts["rejected"] == {"invalid JSON": 1}
    assert ok.errors[0]["item"] == "file.jsonl:4" and ok.cpu_s is not None and ok.finished_at
    assert failed.status == "failed" and "dead host" in failed.errors[0]["reason"]


def test_naive_dates_are_refused(store):
    from datetime import datetime

    with store.session() as session, pytest.raises(ValueError, match="aware"):
        store.add_document(session, NewDocument("s", "t", "x", datetime(2026, 1, 1)))


@pytest.mark.store("sqlite")
@pytest.mark.parametrize("write", [True, False])
def test_read_then_write_units_wait_for_a_concurrent_writer_instead_of_failing(settings, write):
    """SQLite cannot upgrade a read transaction once another writer committed: write units lock first."""
    from sqlalchemy.exc import OperationalError

    from signals.core.schema import ServiceLock

    first, second = Store.open(settings), Store.open(settings)
    now = aware(date(2026, 3, 2))
    try:
        with first.session(write=write) as session:
            session.get(ServiceLock, "a")  # the read that starts the transaction
            other = threading.Thread(target=_insert_lock, args=(second, "b", now))
            other.start()
            other.join(0.5)  # a writer that has to wait stays alive; one that does not commits now
            session.add(ServiceLock(name="a", holder="h:1:0", pid=1, acquired_at=now, heartbeat_at=now))
            if not write:
                with pytest.raises(OperationalError, match="locked"):
                    session.flush()
                session.rollback()
        other.join(30)
        with first.session() as session:
            names = set(session.scalars(select(ServiceLock.name)))
        assert names == ({"a", "b"} if write else {"b"})
    finally:
        first.close()
        second.close()


def _insert_lock(store: Store, name: str, now) -> None:
    from signals.core.schema import ServiceLock

    with store.session() as session:
        session.add(ServiceLock(name=name, holder="h:2:0", pid=2, acquired_at=now, heartbeat_at=now))
