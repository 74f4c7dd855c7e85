"""The crawl process's single writer: every database access of a crawl goes through one session.

One session (one connection) for all sources of a process keeps SQLite free of lock contention between
spiders, lets a near-duplicate found in one source point at a document just stored from another, and makes
batching possible: writes are committed every ``batch_size`` items or ``max_age_s`` seconds. Each item is
written inside a savepoint, so a failing item is rolled back alone. A crawl killed between two commits
loses only uncommitted items, which the next run fetches again (their URLs are not known yet).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from signals.core import clock
from signals.core.schema import Document, HttpCache, Observation, Run, Source
from signals.core.store import AddOutcome, NewDocument, NewObservation, RunRecorder, Store, UpsertOutcome

log = logging.getLogger(__name__)

_IN_CHUNK = 500  # SQLite limits the number of bound parameters of one statement


class StoreWriter:
    """Batched, item-isolated writes of a crawl to the store.

    Parameters
    ----------
    store
        The open store.
    session
        The session every read and write of the crawl uses (the caller commits it at the end).
    batch_size, max_age_s
        Commit after this many written items, or when the oldest uncommitted write is this old.
    """

    def __init__(self, store: Store, session: Session, batch_size: int = 200, max_age_s: float = 2.0) -> None:
        self.store = store
        self.session = session
        self.batch_size = batch_size
        self.max_age_s = max_age_s
        self._pending = 0
        self._oldest: float | None = None

    # batching

    def commit(self) -> None:
        self.session.commit()
        self.session.expunge_all()  # keep the identity map (and memory) from growing with the crawl
        self._pending, self._oldest = 0, None

    def rollback(self) -> None:
        """Drop the uncommitted writes (after a database error)."""
        self.session.rollback()
        self.session.expunge_all()
        self._pending, self._oldest = 0, None

    def _written(self) -> None:
        self._pending += 1
        self._oldest = self._oldest or time.monotonic()
        if self._pending >= self.batch_size or time.monotonic() - self._oldest >= self.max_age_s:
            self.commit()

    @contextmanager
    def _item(self) -> Iterator[None]:
        """One item's writes in a savepoint: an error rolls back this item only, then propagates."""
        savepoint = self.session.begin_nested()  # the store emits BEGIN first on SQLite, so this nests
        try:
            yield
        except BaseException:
            if savepoint.is_active:
                savepoint.rollback()
            raise
        savepoint.commit()
        self._written()

    # documents and observations

    def add_document(self, doc: NewDocument, same_as: int | None = None) -> tuple[Document, AddOutcome]:
        with self._item():
            return self.store.add_document(self.session, doc, same_as=same_as)

    def update_document_extra(self, document: Document, extra: dict[str, Any]) -> bool:
        """Refresh figures a source updates in place (votes, comments); True when something changed."""
        merged = {**(document.extra or {}), **extra}
        if merged == document.extra:
            return False
        with self._item():
            document.extra = merged
        return True

    def document_by_external_id(self, source: str, external_id: str) -> Document | None:
        source_id = self.store.source_id(self.session, source)
        return self.session.scalar(
            select(Document).where(Document.source_id == source_id, Document.external_id == external_id)
        )

    def upsert_observation(self, obs: NewObservation) -> UpsertOutcome:
        with self._item():
            return self.store.upsert_observation(self.session, obs)

    def known_urls(self, urls: list[str]) -> set[str]:
        known: set[str] = set()
        for start in range(0, len(urls), _IN_CHUNK):
            known |= self.store.known_urls(self.session, urls[start : start + _IN_CHUNK])
        return known

    def documents_of(self, source: str) -> list[Document]:
        source_id = self.store.source_id(self.session, source)
        return list(self.session.scalars(select(Document).where(Document.source_id == source_id)))

    def newest_date(self, source: str) -> date | None:
        """The latest day a source's data covers (its newest observation period or document date), from
        which an incremental source reads again; None when it has nothing stored."""
        source_id = self.store.source_id(self.session, source)
        period = self.session.scalar(
            select(func.max(Observation.period)).where(Observation.source_id == source_id)
        )
        published = self.session.scalar(
            select(func.max(Document.published_at)).where(Document.source_id == source_id)
        )
        days = [d for d in (period, published.date() if published else None) if d is not None]
        return max(days) if days else None

    def published_between(self, first: date, last: date) -> Iterator[tuple[int, str, date, str]]:
        """Stored documents published on these days (UTC), for the near-duplicate index."""
        start = datetime.combine(first, dtime.min, tzinfo=UTC)
        stop = datetime.combine(last + timedelta(days=1), dtime.min, tzinfo=UTC)
        rows = self.session.execute(
            select(Document.id, Source.name, Document.published_at, func.substr(Document.text, 1, 20_000))
            .join(Source, Source.id == Document.source_id)
            .where(Document.published_at >= start, Document.published_at < stop)
        )
        for doc_id, source, published, text in rows:
            yield doc_id, source, published.astimezone(UTC).date(), text

    # conditional requests

    def validators(self, url: str) -> tuple[str | None, str | None]:
        row = self.session.get(HttpCache, url)
        return (row.etag, row.last_modified) if row is not None else (None, None)

    def save_validators(self, entries: dict[str, tuple[str | None, str | None, int]]) -> None:
        for url, (etag, last_modified, status) in entries.items():
            row = self.session.get(HttpCache, url)
            if row is None:
                row = HttpCache(url=url)
                self.session.add(row)
            row.etag, row.last_modified, row.status = etag, last_modified, status
            row.fetched_at = clock.now()
        self.commit()

    # runs and health

    @contextmanager
    def recording(self, source: str) -> Iterator[RunRecorder]:
        """The source's run record (``Store.recording``), with this session's writes committed around it.

        The store writes run rows through its own connection: committing first keeps SQLite from waiting
        on this session's open transaction.
        """
        self.commit()
        with self.store.recording("collect", target=source, source=source) as recorder:
            try:
                yield recorder
            finally:
                self.commit()

    def last_run_complete(self, source: str) -> bool:
        """Whether the source's last finished collect run read it to its end (see ``RunLedger.complete``)."""
        source_id = self.store.source_id(self.session, source)
        counts = self.session.scalar(
            select(Run.counts)
            .where(Run.stage == "collect", Run.source_id == source_id, Run.status != "running")
            .order_by(Run.id.desc())
            .limit(1)
        )
        return bool(counts and counts.get("complete"))

    def record_health(self, source: str, failed: bool) -> None:
        """Consecutive failures and last success of the source (a degraded source fails several in a row)."""
        try:
            row = self.session.scalar(select(Source).where(Source.name == source))
            if row is None:
                return
            if failed:
                row.consecutive_failures = (row.consecutive_failures or 0) + 1
            else:
                row.consecutive_failures = 0
                row.last_success_at = clock.now()
            self.commit()
        except SQLAlchemyError as exc:  # health is secondary: never lose the crawl over it
            self.rollback()
            log.error("source %s: health not updated: %s", source, exc)
