"""Health of the sources, from their collect runs: what ``signals sources health``, ``signals status`` and
the weekly brief's coverage section show.

A source is *degraded* when its last ``collect.degraded_after_failures`` runs all failed (nothing could be
read: dead host, HTTP errors, unreadable feed, crashed crawl).
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from signals.core.schema import Run, Source
from signals.core.settings import Settings
from signals.core.sources import SOURCE_KINDS
from signals.core.store import Store

RECENT_RUNS = 10


@dataclass
class SourceHealth:
    """One source's health over its recent collect runs (``RECENT_RUNS`` at most).

    ``error_rate``: share of those runs that failed; ``reject_rate``: share of the items they met that were
    rejected; ``items_per_run`` and ``median_latency_s``: medians over the runs that report them.
    """

    name: str
    kind: str
    enabled: bool
    last_success_at: datetime | None
    last_run_at: datetime | None
    last_run_status: str | None
    last_error: str | None
    runs: int
    items_per_run: float | None
    rejects_by_reason: dict[str, int] = field(default_factory=dict)
    error_rate: float | None = None
    reject_rate: float | None = None
    median_latency_s: float | None = None
    consecutive_failures: int = 0
    degraded: bool = False


def source_health(store: Store, settings: Settings, recent_runs: int = RECENT_RUNS) -> list[SourceHealth]:
    """Health of every collected source (defined in sources.yaml), by name.

    >>> from signals.core.sources import RssSource
    >>> store = Store("sqlite://"); _ = store.migrate()
    >>> with store.session() as s:
    ...     _ = store.sync_sources(s, [RssSource(kind="rss", name="echo", url="http://echo.example/feed.xml")])
    >>> with store.recording("collect", target="echo", source="echo") as run:
    ...     run.count("items", 12); run.reject("http://echo.example/a", "HTTP 404", "http_error")
    >>> [(h.name, h.last_run_status, h.items_per_run, h.rejects_by_reason, h.degraded)
    ...  for h in source_health(store, Settings())]
    [('echo', 'partial', 12.0, {'http_error': 1}, False)]
    """
    threshold = settings.collect.degraded_after_failures
    out: list[SourceHealth] = []
    with store.session() as session:
        sources = session.scalars(select(Source).where(Source.kind.in_(SOURCE_KINDS)).order_by(Source.name))
        for source in sources:
            runs = list(
                session.scalars(
                    select(Run)
                    .where(Run.stage == "collect", Run.source_id == source.id, Run.status != "running")
                    .order_by(Run.id.desc())
                    .limit(recent_runs)
                )
            )
            out.append(_health(source, runs, threshold))
    return out


def _health(source: Source, runs: list[Run], threshold: int) -> SourceHealth:
    rejects: Counter[str] = Counter()
    items: list[float] = []
    latencies: list[float] = []
    met = 0
    for run in runs:
        counts: dict[str, Any] = run.counts or {}
        rejected = {str(k): int(v) for k, v in (counts.get("rejected") or {}).items()}
        rejects.update(rejected)
        if run.status != "failed" or counts.get("items"):
            items.append(float(counts.get("items", 0)))
        if counts.get("latency_median_s") is not None:
            latencies.append(float(counts["latency_median_s"]))
        met += int(counts.get("items", 0)) + sum(rejected.values())
    last = runs[0] if runs else None
    failures = source.consecutive_failures or 0
    return SourceHealth(
        name=source.name,
        kind=source.kind,
        enabled=source.enabled,
        last_success_at=source.last_success_at,
        last_run_at=last.started_at if last else None,
        last_run_status=last.status if last else None,
        last_error=_first_failure(last),
        runs=len(runs),
        items_per_run=statistics.median(items) if items else None,
        rejects_by_reason=dict(rejects.most_common()),
        error_rate=round(sum(r.status == "failed" for r in runs) / len(runs), 3) if runs else None,
        reject_rate=round(sum(rejects.values()) / met, 3) if met else None,
        median_latency_s=round(statistics.median(latencies), 4) if latencies else None,
        consecutive_failures=failures,
        degraded=failures >= threshold,
    )


def _first_failure(run: Run | None) -> str | None:
    if run is None or run.status != "failed":
        return None
    for error in run.errors or []:
        if error.get("code") == "failure":
            return str(error.get("reason"))
    return str((run.errors or [{}])[0].get("reason")) if run.errors else None
