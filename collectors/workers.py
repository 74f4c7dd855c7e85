"""Several collector workers on one crawl, through the Redis frontier (``collectors.frontier``).

``signals collect --workers N`` calls :func:`crawl_with_workers`: it publishes the crawl (its id, the
sources, the territory) under ``<prefix>:current``, starts N local worker processes and, once they are all
done, merges their outcomes per source (the run records stay one per worker and source) and retires the
crawl (its keys expire after ``frontier.keep_s``, so a late worker does not crawl it again).
``signals worker collect`` calls :func:`work`: one worker (on any machine sharing the store and Redis) that
joins the published crawl, once or, with ``forever``, each crawl in turn. Each worker seeds the frontier
with the sources' first pages (the shared duplicate filter keeps one) and stops when no request is queued
or leased anywhere.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pydantic import TypeAdapter

from collectors.run import CrawlOutcome, CrawlProgress, crawl
from signals.core import clock
from signals.core.errors import UserError
from signals.core.settings import FrontierSettings, Settings
from signals.core.sources import SourceDef, Territory

log = logging.getLogger(__name__)
_SOURCES: TypeAdapter[list[SourceDef]] = TypeAdapter(list[SourceDef])


def redis_client(frontier: FrontierSettings) -> Any:
    """A client of the frontier's Redis server; a clear error when none is configured or it does not answer."""
    import redis

    if not frontier.redis_url:
        raise UserError(
            "une collecte partagée demande Redis : définir SIGNALS_FRONTIER__REDIS_URL (redis://hôte:6379/0)"
        )
    client = redis.Redis.from_url(frontier.redis_url, socket_connect_timeout=10)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise UserError(f"le serveur Redis de la frontière ne répond pas : {exc}") from None
    return client


def publish_crawl(
    client: Any, frontier: FrontierSettings, sources: list[SourceDef], territory: Territory
) -> str:
    """Make a new crawl of ``sources`` the current one; its id."""
    crawl_id = f"{clock.now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    record = {
        "id": crawl_id,
        "sources": [s.model_dump(mode="json") for s in sources],
        "territory": territory.model_dump(mode="json"),
    }
    client.set(f"{frontier.key_prefix}:current", json.dumps(record, ensure_ascii=False))
    return crawl_id


def current_crawl(client: Any, frontier: FrontierSettings) -> dict[str, Any] | None:
    """The crawl workers should join now, or None."""
    raw = client.get(f"{frontier.key_prefix}:current")
    return json.loads(raw) if raw else None


def retire_crawl(client: Any, frontier: FrontierSettings, crawl_id: str) -> None:
    """The crawl is over: no longer current; its keys expire after ``keep_s``."""
    current = current_crawl(client, frontier)
    if current is not None and current["id"] == crawl_id:
        client.delete(f"{frontier.key_prefix}:current")
    for key in client.scan_iter(match=f"{frontier.key_prefix}:crawl:{crawl_id}:*", count=500):
        client.expire(key, frontier.keep_s)


def crawl_with_workers(
    settings: Settings,
    sources: list[SourceDef],
    workers: int,
    territory: Territory | None = None,
    progress: CrawlProgress | None = None,
) -> list[CrawlOutcome]:
    """Crawl ``sources`` with ``workers`` local worker processes sharing the Redis frontier (and any
    ``signals worker collect`` running elsewhere); one merged outcome per source."""
    client = redis_client(settings.frontier)
    crawl_id = publish_crawl(client, settings.frontier, sources, territory or Territory())
    log.info("shared crawl %s: %d sources, %d local workers", crawl_id, len(sources), workers)
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            shares = list(
                pool.map(
                    lambda n: crawl(
                        settings,
                        sources,
                        territory=territory,
                        progress=progress if n == 0 else None,
                        frontier_crawl=crawl_id,
                    ),
                    range(workers),
                )
            )
    finally:
        retire_crawl(client, settings.frontier, crawl_id)
    return [merge_outcomes([share[i] for share in shares]) for i in range(len(sources))]


def work(
    settings: Settings,
    forever: bool = False,
    report: Callable[[str, list[CrawlOutcome]], None] | None = None,
) -> int:
    """One worker: join the current crawl and take its requests until none is queued or leased; with
    ``forever``, then wait for the next crawl (every ``frontier.poll_s``), and so on. ``report`` hears
    each crawl's outcomes (this worker's share). How many crawls this worker joined."""
    client = redis_client(settings.frontier)
    done: set[str] = set()
    while True:
        record = current_crawl(client, settings.frontier)
        if record is None or record["id"] in done:
            if not forever:
                return len(done)
            time.sleep(settings.frontier.poll_s)
            continue
        sources = _SOURCES.validate_python(record["sources"])
        territory = Territory(**(record.get("territory") or {}))
        outcomes = crawl(settings, sources, territory=territory, frontier_crawl=record["id"])
        done.add(record["id"])
        if report is not None:
            report(record["id"], outcomes)
        if not forever:
            return len(done)


def merge_outcomes(shares: list[CrawlOutcome]) -> CrawlOutcome:
    """One source's outcome from its workers' shares: counts added up (figures such as latencies: the
    largest), the run of the first share, failed only when every share failed, else the worst status.

    >>> a = CrawlOutcome("echo", 1, "ok", {"new": 3, "rejected": {"timeout": 1}, "latency_median_s": 0.2})
    >>> b = CrawlOutcome("echo", 2, "failed", {"new": 2, "rejected": {"http_error": 2}}, "HTTP 500")
    >>> merged = merge_outcomes([a, b])
    >>> merged.status, merged.run_id, merged.counts["new"], sorted(merged.counts["rejected"].items())
    ('partial', 1, 5, [('http_error', 2), ('timeout', 1)])
    >>> merged.counts["latency_median_s"], merged.error
    (0.2, 'HTTP 500')
    """
    counts: dict[str, Any] = {}
    for share in shares:
        for key, value in share.counts.items():
            counts[key] = _merged(counts.get(key), value)
    statuses = [s.status for s in shares]
    status = "failed" if all(s == "failed" for s in statuses) else "ok"
    if status == "ok" and any(s != "ok" for s in statuses):
        status = "partial"
    errors = [s.error for s in shares if s.error]
    return CrawlOutcome(
        source=shares[0].source,
        run_id=next((s.run_id for s in shares if s.run_id is not None), None),
        status=status,
        counts=counts,
        error=errors[0] if errors else None,
    )


def _merged(old: Any, new: Any) -> Any:
    if old is None:
        return new
    if new is None:
        return old
    if isinstance(old, bool) or isinstance(new, bool):
        return bool(old) and bool(new)
    if isinstance(old, dict) and isinstance(new, dict):
        return {k: _merged(old.get(k), new.get(k)) for k in {**old, **new}}
    if isinstance(old, int) and isinstance(new, int):
        return old + new
    if isinstance(old, float | int) and isinstance(new, float | int):
        return max(old, new)
    if isinstance(old, list) and isinstance(new, list):
        return old + new
    return old
