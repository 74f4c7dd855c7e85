"""The crawl process's single writer: every database access of a crawl goes through one session.

One session (one connection) for all sources of a process keeps SQLite free of lock contention between
spiders, lets a near-duplicate found in one source point at a document just stored from another, and makes
batching possible: writes are committed every ``batch_size`` items or ``max_age_s`` seconds. Each item is
written inside a savepoint, so a failing item is rolled back alone. A crawl killed between two commits
loses only uncommitted items, which the next run fetches again (their URLs are not known yet).

Several writers (collector processes, the importer, the console) may store the same item at once. On
PostgreSQL the second insert of a document or observation waits for the first writer's transaction and
then breaks its unique constraint (or the two wait on each other: a deadlock); on SQLite a transaction
that read before another process committed cannot write (a stale snapshot). Either way the item's
savepoint is rolled back, the batch so far is committed (which releases this writer's locks and lets the
other finish), and the item is written again in a new transaction, where it finds the other's row.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from signals.core import clock
from signals.core.schema import Document, HttpCache, Observation, Run, Source
from signals.core.store import AddOutcome, NewDocument, NewObservation, RunRecorder, Store, UpsertOutcome

log = logging.getLogger(__name__)

_IN_CHUNK = 500  # SQLite limits the number of bound parameters of one statement
_CLASH_ATTEMPTS = 5  # an item clashing with concurrent writers more often than this is an error
# PostgreSQL's SQLSTATEs of a clash with another transaction: unique violation, deadlock, serialization.
_CLASH_STATES = {"23505", "40P01", "40001"}

T = TypeVar("T")
R = TypeVar("R")


def _concurrent_clash(exc: IntegrityError | OperationalError) -> bool:
    """A write that failed because another writer got there first (worth writing again)."""
    state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if state is not None:
        return state in _CLASH_STATES
    message = str(exc.orig)  # SQLite: a stale snapshot, or a row another process stored meanwhile
    return "database is locked" in message or "UNIQUE constraint failed" in message


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
        self._after_commit: list[Callable[[], None]] = []

    # batching

    def commit(self) -> None:
        self.session.commit()
        self.session.expunge_all()  # keep the identity map (and memory) from growing with the crawl
        self._pending, self._oldest = 0, None
        done, self._after_commit = self._after_commit, []
        for callback in done:
            callback()

    def when_stored(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once everything written so far is committed (at once when it is): a shared
        crawl's worker acknowledges a request only then (``collectors.frontier``)."""
        if self._pending:
            self._after_commit.append(callback)
        else:
            callback()

    @property
    def waiting(self) -> bool:
        """Callbacks wait for the next commit."""
        return bool(self._after_commit)

    def rollback(self) -> None:
        """Drop the uncommitted writes (after a database error)."""
        self.session.rollback()
        self.session.expunge_all()
        self._pending, self._oldest = 0, None

    def _read(self, result: R) -> R:
        """End a read-only transaction at once: on SQLite the crawl's session takes the write lock at BEGIN
        (a read that turns into a write must not find its snapshot stale), so an open transaction would
        keep other writers waiting while this one fetches pages. Rows read stay attached (no expiry)."""
        if not self._pending:
            self.session.commit()
        return result

    def _written(self) -> None:
        self._pending += 1
        self._oldest = self._oldest or time.monotonic()
        if self._pending >= self.batch_size or time.monotonic() - self._oldest >= self.max_age_s:
            self.commit()

    def _item(self, write: Callable[[], T]) -> T:
        """One item's writes in a savepoint: an error rolls back this item only, then propagates; a clash
        with a concurrent writer is written again after the batch so far is committed (module docstring)."""
        for attempt in range(1, _CLASH_ATTEMPTS + 1):
            savepoint = self.session.begin_nested()  # the store emits BEGIN first on SQLite, so this nests
            try:
                result = write()
                savepoint.commit()
            except (IntegrityError, OperationalError) as exc:
                savepoint.rollback()  # also when a failed flush has already deactivated it
                if attempt == _CLASH_ATTEMPTS or not _concurrent_clash(exc):
                    raise
                log.debug("write clashed with another writer (%s), again after a commit", exc.orig)
                self.commit()
                continue
            except BaseException:
                savepoint.rollback()
                raise
            self._written()
            return result
        raise AssertionError("unreachable")

    # documents and observations

    def add_document(self, doc: NewDocument, same_as: int | None = None) -> tuple[Document, AddOutcome]:
        return self._item(lambda: self.store.add_document(self.session, doc, same_as=same_as))

    def update_document_extra(self, document: Document, extra: dict[str, Any]) -> bool:
        """Refresh figures a source updates in place (votes, comments); True when something changed."""
        merged = {**(document.extra or {}), **extra}
        if merged == document.extra:
            return False

        def refresh() -> None:
            document.extra = merged
            self.session.flush()

        self._item(refresh)
        return True

    def document_by_external_id(self, source: str, external_id: str) -> Document | None:
        source_id = self.store.source_id(self.session, source)
        return self._read(
            self.session.scalar(
                select(Document).where(Document.source_id == source_id, Document.external_id == external_id)
            )
        )

    def upsert_observation(self, obs: NewObservation) -> UpsertOutcome:
        return self._item(lambda: self.store.upsert_observation(self.session, obs))

    def known_urls(self, urls: list[str]) -> set[str]:
        known: set[str] = set()
        for start in range(0, len(urls), _IN_CHUNK):
            known |= self.store.known_urls(self.session, urls[start : start + _IN_CHUNK])
        return self._read(known)

    def documents_of(self, source: str) -> list[Document]:
        source_id = self.store.source_id(self.session, source)
        return self._read(list(self.session.scalars(select(Document).where(Document.source_id == source_id))))

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
        return self._read(max(days) if days else None)

    def published_between(self, first: date, last: date) -> list[tuple[int, str, date, str]]:
        """Stored documents published on these days (UTC), for the near-duplicate index."""
        start = datetime.combine(first, dtime.min, tzinfo=UTC)
        stop = datetime.combine(last + timedelta(days=1), dtime.min, tzinfo=UTC)
        rows = self.session.execute(
            select(Document.id, Source.name, Document.published_at, func.substr(Document.text, 1, 20_000))
            .join(Source, Source.id == Document.source_id)
            .where(Document.published_at >= start, Document.published_at < stop)
        )
        found = [
            (doc_id, source, published.astimezone(UTC).date(), text)
            for doc_id, source, published, text in rows
        ]
        return self._read(found)

    # conditional requests

    def validators(self, url: str) -> tuple[str | None, str | None]:
        row = self.session.get(HttpCache, url)
        return self._read((row.etag, row.last_modified) if row is not None else (None, None))

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
        return self._read(bool(counts and counts.get("complete")))

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
