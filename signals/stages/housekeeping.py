"""Housekeeping of a service that runs for months: what is kept, for how long, and the database's upkeep.

Kept for good: documents, observations, signals, briefs and deliveries (the service's memory, cited by its
reports). Pruned (``schedule`` settings): HTTP validators of pages not fetched for
``http_cache_retention_days`` (pages that left their listing); run records older than
``runs_retention_days``, first summarised per month, stage and status into ``logs/runs-archive.jsonl``.
Then the database is maintained (SQLite: WAL checkpoint, ``PRAGMA optimize``, ``VACUUM`` once free pages
reach ``vacuum_free_ratio`` of the file) and the log files the scheduler does not rotate itself (the
crawls' ``collect.log``) are rotated like ``logging.handlers.RotatingFileHandler`` does.
"""

from __future__ import annotations

import json
import logging
import os
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, text

from signals.core import clock
from signals.core.schema import HttpCache, Run
from signals.core.settings import Settings
from signals.core.store import Store

log = logging.getLogger(__name__)

ROTATED_LOGS = ("collect.log",)  # written by crawl processes; the scheduler's own log rotates itself


@dataclass
class HousekeepingResult:
    http_cache_deleted: int = 0
    runs_deleted: int = 0
    runs_archive: Path | None = None
    vacuumed: bool = False
    database_bytes_before: int | None = None
    database_bytes_after: int | None = None
    logs_rotated: int = 0


def housekeeping(store: Store, settings: Settings, now: datetime | None = None) -> HousekeepingResult:
    """Prune, summarise, maintain and rotate; recorded as a ``housekeeping`` run.

    >>> import tempfile; from datetime import UTC; from pathlib import Path
    >>> settings = Settings(home=Path(tempfile.mkdtemp()))
    >>> store = Store.open(settings)
    >>> with store.session() as s:
    ...     s.add(HttpCache(url="https://old.example/", fetched_at=datetime(2020, 1, 1, tzinfo=UTC)))
    >>> housekeeping(store, settings).http_cache_deleted
    1
    """
    now = now or clock.now()
    plan = settings.schedule
    result = HousekeepingResult(database_bytes_before=database_bytes(store))
    with store.recording("housekeeping") as run:
        with store.session() as session:
            result.http_cache_deleted = session.execute(
                delete(HttpCache).where(
                    HttpCache.fetched_at < now - timedelta(days=plan.http_cache_retention_days)
                )
            ).rowcount
        result.runs_deleted, result.runs_archive = _prune_runs(
            store, settings, now - timedelta(days=plan.runs_retention_days)
        )
        result.logs_rotated = sum(
            rotate_file(settings.logs_dir / name, int(plan.log_max_mb * 2**20), plan.log_backups)
            for name in ROTATED_LOGS
        )
        run.count("http_cache_deleted", result.http_cache_deleted)
        run.count("runs_deleted", result.runs_deleted)
        run.count("logs_rotated", result.logs_rotated)
    result.vacuumed = maintain_database(store, plan.vacuum_free_ratio)
    result.database_bytes_after = database_bytes(store)
    log.info(
        "housekeeping: %d HTTP validators and %d runs pruned, vacuum %s, database %s -> %s bytes",
        result.http_cache_deleted,
        result.runs_deleted,
        "done" if result.vacuumed else "not needed",
        result.database_bytes_before,
        result.database_bytes_after,
    )
    return result


def _prune_runs(store: Store, settings: Settings, before: datetime) -> tuple[int, Path | None]:
    """Summarise the finished runs started before ``before`` (one JSON line per month, stage and status),
    then delete them. The summary is written first: a crash between the two repeats a summary line at
    worst, never loses one."""
    old = (Run.started_at < before) & (Run.status != "running")
    totals: dict[tuple[str, str, str], list[float]] = defaultdict(lambda: [0, 0.0])
    with store.session() as session:
        for started, stage, status, cpu in session.execute(
            select(Run.started_at, Run.stage, Run.status, Run.cpu_s).where(old)
        ):
            total = totals[(f"{started:%Y-%m}", stage, status)]
            total[0] += 1
            total[1] += cpu or 0.0
    rows = [(*key, int(runs), cpu) for key, (runs, cpu) in sorted(totals.items())]
    if not rows:
        return 0, None
    archive = settings.logs_dir / "runs-archive.jsonl"
    archive.parent.mkdir(parents=True, exist_ok=True)
    with archive.open("a", encoding="utf-8") as handle:
        for month_label, stage, status, count, cpu in rows:
            line: dict[str, Any] = {"month": month_label, "stage": stage, "status": status, "runs": count}
            line["cpu_s"] = round(float(cpu or 0.0), 1)
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    with store.session() as session:
        deleted = session.execute(delete(Run).where(old)).rowcount
    return deleted, archive


def database_bytes(store: Store) -> int | None:
    """Size of the database: SQLite pages (the main file, without its WAL), PostgreSQL's own count."""
    dialect = store.engine.dialect.name
    with store.engine.connect() as connection:
        if dialect == "sqlite":
            pages = connection.exec_driver_sql("PRAGMA page_count").scalar() or 0
            size = connection.exec_driver_sql("PRAGMA page_size").scalar() or 0
            return int(pages) * int(size)
        if dialect == "postgresql":
            return int(connection.execute(text("SELECT pg_database_size(current_database())")).scalar() or 0)
    return None


def maintain_database(store: Store, vacuum_free_ratio: float) -> bool:
    """SQLite upkeep; returns whether it vacuumed. Other engines maintain themselves (autovacuum)."""
    if store.engine.dialect.name != "sqlite":
        return False
    raw = store.engine.raw_connection()  # VACUUM cannot run in a transaction: the driver's own connection
    try:
        cursor = raw.cursor()
        pages = cursor.execute("PRAGMA page_count").fetchone()[0]
        free = cursor.execute("PRAGMA freelist_count").fetchone()[0]
        vacuum = bool(pages) and free / pages >= vacuum_free_ratio and free > 0
        if vacuum:
            cursor.execute("VACUUM")
        cursor.execute("PRAGMA optimize")
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.close()
    finally:
        raw.close()
    return vacuum


def rotate_file(path: Path, max_bytes: int, backups: int) -> int:
    """Rotate ``path`` when larger than ``max_bytes``: ``x.log`` -> ``x.log.1`` -> ... -> ``x.log.N``
    (the oldest dropped). Returns 1 if rotated. Only for files no process keeps open while this runs.

    >>> import tempfile; folder = Path(tempfile.mkdtemp()); log_file = folder / "collect.log"
    >>> _ = log_file.write_text("x" * 100)
    >>> rotate_file(log_file, 50, 2), sorted(p.name for p in folder.iterdir())
    (1, ['collect.log.1'])
    """
    if not path.is_file() or path.stat().st_size <= max_bytes:
        return 0
    for index in range(backups - 1, 0, -1):
        older = path.with_name(f"{path.name}.{index}")
        if older.exists():
            os.replace(older, path.with_name(f"{path.name}.{index + 1}"))
    os.replace(path, path.with_name(f"{path.name}.1"))
    return 1
