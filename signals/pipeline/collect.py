"""Sources and collection: what the collectors fetch, and the per-document work done as it arrives."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from signals.core import clock
from signals.core.errors import UserError
from signals.core.settings import Settings
from signals.core.sources import SourcesFile, load_sources
from signals.core.store import Store
from signals.pipeline.progress import Progress

log = logging.getLogger(__name__)
COLLECTING = "collecte des sources"  # progress steps (French: the command shows them as bars)
PREPARING = "préparation des nouveaux documents (termes, plongements)"


def sources_path(settings: Settings) -> Path:
    """The sources file the commands read: the configured one; when none is configured and
    ``sources.yaml`` is absent from the working folder, the one ``signals demo`` wrote into the home."""
    configured = settings.sources_file
    if configured.is_file() or "sources_file" in settings.model_fields_set:
        return configured
    demo = settings.demo_dir / "sources.yaml"
    return demo if demo.is_file() else configured


def read_sources(settings: Settings) -> SourcesFile:
    """The sources file, validated; a missing or invalid file is an error that names it."""
    return load_sources(sources_path(settings))


def sync_sources(store: Store, settings: Settings) -> SourcesFile:
    sources = read_sources(settings)
    with store.session(write=True) as session:
        store.sync_sources(session, sources.sources)
    return sources


def collect(
    store: Store,
    settings: Settings,
    names: list[str] | None = None,
    progress: Progress | None = None,
    workers: int = 0,
) -> list[Any]:
    """Collect the enabled sources (or the named ones, enabled or not); one outcome per source.
    ``progress`` hears how many sources are done, then the preparation of the new documents.
    With ``workers``, that many local worker processes share the crawl through the Redis frontier
    (``settings.frontier``), with any ``signals worker collect`` running elsewhere."""
    from collectors.run import crawl
    from collectors.workers import crawl_with_workers, redis_client

    if workers:
        redis_client(settings.frontier)  # no Redis: say so before anything starts
    step = progress or (lambda *_: None)
    sources = sync_sources(store, settings)
    chosen = [sources.get(n) for n in names] if names else [s for s in sources.sources if s.enabled]
    if not chosen:
        raise UserError(f"aucune source active dans {sources_path(settings)}")
    step(COLLECTING, 0, len(chosen))
    done = lambda finished, n: step(COLLECTING, finished, n)  # noqa: E731
    if workers:
        outcomes = crawl_with_workers(settings, chosen, workers, territory=sources.territory, progress=done)
    else:
        outcomes = crawl(settings, chosen, territory=sources.territory, progress=done)
    step(COLLECTING, len(chosen), len(chosen))
    if any(o.counts.get("new") for o in outcomes):
        step(PREPARING, 0, 1)
        prepare(store, settings)
        step(PREPARING, 1, 1)
    return outcomes


def collect_as_worker(
    settings: Settings, forever: bool = False, report: Callable[[str, list[Any]], None] | None = None
) -> int:
    """One collector worker of the crawls published on the Redis frontier (``signals worker collect``):
    the current crawl, or each crawl in turn with ``forever``; ``report`` hears each crawl's outcomes
    (this worker's share). How many crawls it joined. The documents are prepared by the collect that
    published the crawl."""
    from collectors.workers import work

    return work(settings, forever=forever, report=report)


def prepare(
    store: Store, settings: Settings, as_of: date | None = None, workers: int | None = None
) -> dict[str, int]:
    """The per-document work, done as documents arrive rather than all on analysis day: the terms and
    embedding of each document of the analysis window (up to ``as_of``, default today), computed once;
    on ``workers`` Dask processes (default ``settings.compute``) for a large backfill."""
    from models.terms import TermExtractor
    from signals.core.periods import end_of_day_utc, start_of_day_utc
    from signals.stages.compute import batches
    from signals.stages.topics import ensure_embeddings
    from signals.stages.window import ensure_term_features

    _, communes = read_territory(settings)
    day = as_of or clock.today(settings.tz)
    now = end_of_day_utc(day, settings.tz)
    since = start_of_day_utc(day, settings.tz) - timedelta(weeks=settings.detection.lookback_weeks)
    with store.recording("prepare") as run, batches(settings, workers) as mapper, store.session() as session:
        run.count("workers", mapper.workers)
        extractor = TermExtractor(extra_stop=communes)
        counts = {"terms": ensure_term_features(session, extractor, now, mapper=mapper)}
        if settings.topics.enabled:
            counts["embedded"] = ensure_embeddings(session, settings, now, since, mapper=mapper)
        for key, n in counts.items():
            run.count(key, n)
    return counts


def preview_source(settings: Settings, name: str, limit: int = 10) -> Any:
    """What a source of the sources file yields now, stored nowhere."""
    return preview_definition(settings, read_sources(settings).get(name), limit)


def preview_definition(settings: Settings, source: Any, limit: int = 10) -> Any:
    """What a source definition (saved or not) yields now, stored nowhere (``sources test``)."""
    from collectors.run import crawl

    territory = read_sources(settings).territory if sources_path(settings).is_file() else None
    return crawl(settings, [source], preview=True, preview_limit=limit, territory=territory)[0]


def import_path(store: Store, settings: Settings, path: Path, encoding: str = "utf-8") -> Any:
    from signals.stages.importer import import_file

    return import_file(store, settings, path, encoding)


def read_territory(settings: Settings) -> tuple[str, list[str]]:
    """The territory's name and communes, from the sources file. A missing or invalid file is an error
    naming it (``SourceError``): a report never goes out under a placeholder name."""
    sources = read_sources(settings)
    return sources.territory.name, sources.territory.communes
