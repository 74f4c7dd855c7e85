"""The store: opening and migrating the database, and the few writes every stage shares.

Writes that must never duplicate live here, in one place: documents (deduplicated by canonical URL and
content hash, each appearance kept as a sighting), observations (unique on series and period; a re-import
updates), and run records.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import resource
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine, bindparam, create_engine, event, select
from sqlalchemy.orm import Session, sessionmaker
from w3lib.url import canonicalize_url, url_query_cleaner

from signals.core import clock
from signals.core.errors import UserError
from signals.core.schema import Document, Observation, Run, Sighting, Source
from signals.core.settings import Settings

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
MAX_RUN_ERRORS = 200  # errors kept per run record; all are counted
_TRACKING_PARAMS = (
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "fbclid",
    "gclid",
    "xtor",
    "at_medium",
    "at_campaign",
)
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


class StoreError(UserError, RuntimeError):
    pass


# --- what the collectors and the importer hand to the store -------------------------------------------


@dataclass
class NewDocument:
    source: str
    title: str
    text: str
    published_at: datetime  # aware
    url: str | None = None
    external_id: str | None = None
    territory: str | None = None
    language: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class NewObservation:
    series: str
    period: date
    value: float
    unit: str | None = None
    territory: str | None = None
    source: str | None = None


AddOutcome = Literal["new", "duplicate_url", "near_duplicate", "duplicate_content", "seen"]
UpsertOutcome = Literal["new", "updated", "unchanged"]


def canonical_url(url: str) -> str:
    """Canonical form used for deduplication: sorted query, no fragment, no tracking parameters."""
    cleaned = url_query_cleaner(url.strip(), _TRACKING_PARAMS, remove=True, keep_fragments=False)
    return canonicalize_url(cleaned)


def content_hash(title: str, text: str) -> str:
    """Hash of the normalised text (case, punctuation and spacing ignored); the title when there is no text.

    >>> content_hash("a", "Le  Maire, a dit.") == content_hash("b", "le maire a dit")
    True
    """
    body = text if text.strip() else title
    normalised = _NON_WORD.sub(" ", body.casefold()).strip()
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


# --- the store ----------------------------------------------------------------------------------------


# Statements built once (the store's hot path runs them for every collected document).
_SIGHTED_AT_URL = select(Sighting.document_id).where(Sighting.url == bindparam("url")).limit(1)
_DOCUMENT_BY_HASH = select(Document.id).where(Document.content_hash == bindparam("hash"))
_SIGHTING = select(Sighting.id).where(
    Sighting.document_id == bindparam("document"),
    Sighting.source_id == bindparam("source"),
    Sighting.url == bindparam("url"),
)


class Store:
    """One database: engine, sessions, migrations, and the shared writes."""

    def __init__(self, url: str, echo: bool = False) -> None:
        self.url = url
        self.engine: Engine = create_engine(url, echo=echo, future=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite upgrades a read transaction to a write one only if no other writer committed since it
        # began, and fails at once otherwise (the busy timeout does not apply): units that read and
        # then write where another thread or process may write too take the write lock at BEGIN.
        immediate = self.engine.execution_options(sqlite_begin="BEGIN IMMEDIATE")
        self._write_sessions = sessionmaker(immediate, expire_on_commit=False)
        self._source_ids: dict[str, int] = {}

    @classmethod
    def open(cls, settings: Settings, migrate: bool = True) -> Store:
        """Open the configured database, creating folders and applying pending migrations."""
        settings.ensure_dirs()
        store = cls(settings.db_url)
        if migrate:
            store.migrate()
        return store

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # migrations

    def _alembic_config(self, connection: Any) -> Any:
        from alembic.config import Config

        if not MIGRATIONS_DIR.is_dir():
            raise StoreError(f"dossier des migrations introuvable : {MIGRATIONS_DIR}")
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        config.attributes["connection"] = connection
        return config

    def migrate(self) -> str:
        """Create or upgrade the schema to the latest revision; returns that revision."""
        from alembic import command
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        with self.engine.begin() as connection:
            config = self._alembic_config(connection)
            head = ScriptDirectory.from_config(config).get_current_head()
            current = MigrationContext.configure(connection).get_current_revision()
            if current != head:
                log.info("migrating database from %s to %s", current or "empty", head)
                command.upgrade(config, "head")
        return head or ""

    def revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    # sessions

    @contextmanager
    def session(self, write: bool = False) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back if it raises.

        ``write=True`` for a short read-modify-write unit that competes with other writers (locks,
        run records): on SQLite it waits for the write lock up front instead of failing mid-way.
        """
        session = (self._write_sessions if write else self._sessions)()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    # sources

    def source_id(self, session: Session, name: str, create_kind: str = "import") -> int:
        """Id of a source by name; a source never declared (e.g. an imported file's) is created."""
        cached = self._source_ids.get(name)
        if cached is not None:
            return cached
        source = session.scalar(select(Source).where(Source.name == name))
        if source is None:
            source = Source(name=name, kind=create_kind, url="", enabled=False)
            session.add(source)
            session.flush()
        self._source_ids[name] = source.id
        return source.id

    def sync_sources(self, session: Session, definitions: list[Any]) -> list[Source]:
        """Mirror source definitions (``signals.core.sources``) into the table, keeping their health."""
        rows = []
        for definition in definitions:
            row = session.scalar(select(Source).where(Source.name == definition.name))
            if row is None:
                row = Source(name=definition.name)
                session.add(row)
            row.kind = definition.kind
            row.url = definition.url
            row.territory = definition.territory
            row.language = definition.language
            row.enabled = definition.enabled
            row.settings = definition.settings_dict | {"cadence": definition.cadence}
            rows.append(row)
        session.flush()
        for row in rows:
            self._source_ids[row.name] = row.id
        return rows

    # documents

    def add_document(
        self, session: Session, doc: NewDocument, same_as: int | None = None
    ) -> tuple[Document, AddOutcome]:
        """Store a document once; a repeat (same canonical URL or same text) only adds a sighting.

        ``same_as``: id of a stored document this one is known to repeat (a near-duplicate found by the
        caller); it then becomes a sighting of that document.
        """
        if doc.published_at.tzinfo is None:
            raise ValueError("published_at must be time-zone aware")
        source_id = self.source_id(session, doc.source)
        url = canonical_url(doc.url) if doc.url else None
        digest = content_hash(doc.title, doc.text)
        found, outcome = self._existing(session, url, digest, same_as)
        if found is None:
            document = Document(
                source_id=source_id,
                url=url,
                external_id=doc.external_id,
                title=doc.title.strip(),
                text=doc.text.strip(),
                published_at=doc.published_at,
                language=doc.language,
                territory=doc.territory,
                content_hash=digest,
                extra=doc.extra,
            )
            document.sightings.append(Sighting(source_id=source_id, url=url or "", territory=doc.territory))
            session.add(document)
            session.flush()
            return document, "new"
        document = session.get_one(Document, found)
        seen = session.execute(_SIGHTING, {"document": found, "source": source_id, "url": url or ""}).first()
        if seen is not None:
            return document, "seen"
        session.add(Sighting(document_id=found, source_id=source_id, url=url or "", territory=doc.territory))
        return document, outcome

    @staticmethod
    def _existing(
        session: Session, url: str | None, digest: str, same_as: int | None
    ) -> tuple[int | None, AddOutcome]:
        """The stored document this one repeats: same URL (stored or seen there), the near-duplicate the
        caller named, or the same text."""
        if url:  # a document's own URL is its first sighting's: one lookup covers both
            found = session.execute(_SIGHTED_AT_URL, {"url": url}).scalar()
            if found is not None:
                return found, "duplicate_url"
        if same_as is not None:
            return same_as, "near_duplicate"
        return session.execute(_DOCUMENT_BY_HASH, {"hash": digest}).scalar(), "duplicate_content"

    def known_urls(self, session: Session, urls: list[str]) -> set[str]:
        """Which of these URLs (canonicalised) are already stored (a document's URL is its first sighting's)."""
        canon = {canonical_url(u): u for u in urls}
        found = set(session.scalars(select(Sighting.url).where(Sighting.url.in_(list(canon)))))
        return {canon[c] for c in found if c in canon}

    # observations

    def upsert_observation(self, session: Session, obs: NewObservation) -> UpsertOutcome:
        """Insert or update the value of (series, period); never a second row."""
        row = session.scalar(
            select(Observation).where(Observation.series == obs.series, Observation.period == obs.period)
        )
        source_id = self.source_id(session, obs.source) if obs.source else None
        if row is None:
            session.add(
                Observation(
                    series=obs.series,
                    period=obs.period,
                    value=obs.value,
                    unit=obs.unit,
                    territory=obs.territory,
                    source_id=source_id,
                )
            )
            session.flush()
            return "new"
        if row.value == obs.value and row.unit == obs.unit and row.territory == obs.territory:
            return "unchanged"
        row.value, row.unit, row.territory = obs.value, obs.unit, obs.territory
        row.source_id = source_id or row.source_id
        return "updated"

    # runs

    @contextmanager
    def recording(
        self, stage: str, target: str | None = None, source: str | None = None
    ) -> Iterator[RunRecorder]:
        """Record a stage run: counts, rejects with reasons, CPU time, peak memory, status.

        The run row is committed at start (so a crash leaves a visible ``running`` row) and at the end.
        An exception marks the run failed and propagates.
        """
        with self.session(write=True) as session:
            source_id = self.source_id(session, source) if source else None
            run = Run(stage=stage, target=target, source_id=source_id, pid=os.getpid())
            session.add(run)
            session.flush()
            run_id = run.id
        recorder = RunRecorder(run_id)
        try:
            yield recorder
        except BaseException as exc:
            recorder.fail(f"{type(exc).__name__}: {exc}")
            self.finish_run(recorder)
            raise
        self.finish_run(recorder)

    def finish_run(self, recorder: RunRecorder) -> None:
        with self.session(write=True) as session:
            run = session.get(Run, recorder.run_id)
            assert run is not None
            run.finished_at = clock.now()
            run.status = recorder.status
            run.counts = recorder.summary()
            run.errors = recorder.errors
            run.error_count = recorder.error_count
            run.cpu_s, run.peak_rss_mb = recorder.resources()


class RunRecorder:
    """Accumulates what a stage run did; ``reject`` keeps the item and its reason, capped in size."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.counts: Counter[str] = Counter()
        self.rejects: Counter[str] = Counter()
        self.errors: list[dict[str, str]] = []
        self.error_count = 0
        self.failure: str | None = None
        self._cpu0 = _cpu_seconds()
        self._wall0 = time.perf_counter()

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] += n

    def reject(self, item: str, reason: str, code: str = "invalid") -> None:
        """An input item refused: counted by ``code`` and kept (with its reason) in the run's errors."""
        self.rejects[code] += 1
        self.error_count += 1
        log.warning("rejected %s: %s", item, reason)
        if len(self.errors) < MAX_RUN_ERRORS:
            self.errors.append({"item": str(item)[:300], "reason": reason[:500], "code": code})

    def fail(self, reason: str) -> None:
        self.failure = reason
        self.error_count += 1
        if len(self.errors) < MAX_RUN_ERRORS:
            self.errors.append({"item": "run", "reason": reason[:500], "code": "failure"})

    @property
    def status(self) -> str:
        if self.failure is not None:
            return "failed"
        return "partial" if self.rejects else "ok"

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.counts)
        if self.rejects:
            out["rejected"] = dict(self.rejects)
        out["wall_s"] = round(time.perf_counter() - self._wall0, 3)
        return out

    def resources(self) -> tuple[float, float]:
        return round(_cpu_seconds() - self._cpu0, 3), round(_peak_rss_mb(), 1)


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (crawls run as subprocesses)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _peak_rss_mb() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return max(own.ru_maxrss, children.ru_maxrss) / 1024.0


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The sqlite3 driver's own transaction handling breaks SAVEPOINT (each one commits to disk): let
    # SQLAlchemy emit BEGIN itself (the recipe of SQLAlchemy's SQLite dialect documentation).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer (CLI beside the scheduler)
    cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL: a crash of the process loses nothing
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql(connection.get_execution_options().get("sqlite_begin", "BEGIN"))
