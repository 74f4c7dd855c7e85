"""The crawl process: ``python -m collectors.crawl JOB.json`` (started by :func:`collectors.run.crawl`).

The job file names the sources, the settings and where to write the outcomes. Sources on the same host
are crawled one after the other (so the per-domain limits hold across sources); different hosts in
parallel, in one Twisted reactor. Everything is written through one :class:`StoreWriter`; a preview opens
no database at all. A job naming a ``frontier_crawl`` makes this process one worker of a crawl shared
through Redis (``collectors.frontier``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from collections.abc import Generator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter

from signals.core.settings import Settings
from signals.core.sources import SourceDef, Territory

log = logging.getLogger(__name__)
_SOURCE_ADAPTER: TypeAdapter[Any] = TypeAdapter(SourceDef)


_SPIDERS = {
    "rss": "collectors.spiders.rss:RssSpider",
    "listing": "collectors.spiders.listing:ListingSpider",
    "consultation": "collectors.spiders.consultation:ConsultationSpider",
    "series": "collectors.spiders.series:SeriesSpider",
    "decidim": "collectors.spiders.decidim:DecidimSpider",
    "opendatasoft": "collectors.spiders.opendatasoft:OpenDataSoftSpider",
    "scdl_deliberations": "collectors.spiders.scdl:ScdlDeliberationsSpider",
    "udata": "collectors.spiders.udata:UdataSpider",
    "icalendar": "collectors.spiders.ical:ICalendarSpider",
    "news_sitemap": "collectors.spiders.sitemap:NewsSitemapSpider",
    "sdmx": "collectors.spiders.sdmx:SdmxSpider",
}
DOCUMENT_KINDS = set(_SPIDERS) - {"series", "udata", "sdmx"}  # kinds that yield documents (opendatasoft may)


def spider_class(kind: str) -> type:
    """The generic spider of a source kind (imported when first needed)."""
    import importlib

    module, name = _SPIDERS[kind].split(":")
    return getattr(importlib.import_module(module), name)


def warm_up(kinds: set[str], articles: bool, preview: bool) -> None:
    """Load the heavy libraries and models before the reactor runs.

    Loaded on first use instead, they would block the reactor for seconds in the middle of the crawl
    (the language model alone takes 1-2 s), and requests in flight would time out.
    """
    from collectors.enrich import detect_language, parse_date

    if kinds & DOCUMENT_KINDS:
        detect_language("Le conseil municipal a voté le budget de la médiathèque intercommunale.", "fr")
        parse_date("le 3 mars 2025", ZoneInfo("UTC"))  # dateparser loads its French data
    if "rss" in kinds:
        import feedparser  # noqa: F401
    if "icalendar" in kinds:
        import icalendar  # noqa: F401
    if "sdmx" in kinds:
        import sdmx  # noqa: F401 - pandas and its readers: seconds
    if kinds & {"listing", "scdl_deliberations", "news_sitemap"} or articles:
        import pypdf  # noqa: F401
        import trafilatura  # noqa: F401
    if not preview:
        import datasketch  # noqa: F401


def host_groups(sources: list[Any]) -> list[list[Any]]:
    """Sources grouped by host, in their given order (one group is crawled sequentially)."""
    groups: dict[str, list[Any]] = {}
    for source in sources:
        groups.setdefault((urlsplit(source.url).hostname or "").lower(), []).append(source)
    return list(groups.values())


def run_job(job: dict[str, Any]) -> list[dict[str, Any]]:
    """Crawl the job's sources and return one outcome (a dict) per source, in the job's order."""
    from scrapy.utils.reactor import install_reactor

    from collectors.context import CrawlContext
    from collectors.enrich import Gazetteer, cache_language_model
    from collectors.settings import TWISTED_REACTOR

    install_reactor(TWISTED_REACTOR)
    settings = Settings(**job["settings"])
    territory = Territory(**(job.get("territory") or {}))
    sources = [_SOURCE_ADAPTER.validate_python(s) for s in job["sources"]]
    preview = bool(job.get("preview"))
    cache_language_model(settings.cache_dir, write=not preview)
    warm_up({s.kind for s in sources}, any(getattr(s, "follow_articles", False) for s in sources), preview)
    gazetteer = Gazetteer(territory.communes)
    if preview:
        crawl = CrawlContext(settings=settings, gazetteer=gazetteer)
        return CrawlProcess(crawl, int(job.get("preview_limit") or 10), log_file=None).run(sources)

    from collectors.neardup import NearDuplicateIndex
    from collectors.storage import StoreWriter
    from signals.core.store import Store

    logs = settings.home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    # A write session: on SQLite it takes the write lock at BEGIN, so that concurrent crawls wait for
    # each other instead of failing on a stale read (the writer ends read-only transactions at once).
    with Store.open(settings) as store, store.session(write=True) as session:
        writer = StoreWriter(store, session)
        crawl = CrawlContext(
            settings=settings,
            gazetteer=gazetteer,
            writer=writer,
            neardup=NearDuplicateIndex(loader=writer.published_between),
        )
        process = CrawlProcess(
            crawl, None, log_file=str(logs / "collect.log"), frontier=job.get("frontier_crawl")
        )
        return process.run(sources)


class CrawlProcess:
    """The sources of a job crawled in one Twisted reactor: same-host sources one after the other, hosts in
    parallel. Each source gets its own Scrapy crawler, ledger and (unless previewing) run record.
    """

    def __init__(
        self, crawl: Any, preview_limit: int | None, log_file: str | None, frontier: str | None = None
    ) -> None:
        from scrapy.crawler import CrawlerRunner
        from scrapy.utils.log import configure_logging

        self.crawl = crawl
        self.preview_limit = preview_limit
        self.log_file = log_file
        self.frontier = frontier  # the shared crawl this process is a worker of
        base = self._scrapy_settings(0)
        configure_logging(base)
        self.runner = CrawlerRunner(base)
        self.outcomes: dict[str, dict[str, Any]] = {}
        self.stopping = False

    def run(self, sources: list[Any]) -> list[dict[str, Any]]:
        from twisted.internet import defer, reactor

        everything = defer.DeferredList(
            [self._group(group) for group in host_groups(sources)], consumeErrors=True
        )
        everything.addBoth(lambda _: reactor.callLater(0, reactor.stop))  # type: ignore[attr-defined]
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._stop_gracefully)
        reactor.run(installSignalHandlers=False)  # type: ignore[attr-defined]
        return [
            self.outcomes.get(s.name) or _failed(s.name, "la collecte ne s'est pas terminée") for s in sources
        ]

    def _stop_gracefully(self, signum: int, _frame: Any) -> None:
        """SIGTERM/SIGINT: close the running spiders (their runs are recorded), start no other source."""
        from twisted.internet import reactor

        self.stopping = True
        reactor.callFromThread(self.runner.stop)  # type: ignore[attr-defined]

    def _scrapy_settings(self, time_budget_s: int) -> dict[str, Any]:
        from collectors.settings import frontier_settings, scrapy_settings

        collect = self.crawl.settings.collect
        values = scrapy_settings(collect, time_budget_s, self.log_file)
        if self.frontier:
            values |= frontier_settings(self.crawl.settings.frontier, self.frontier, collect.download_delay_s)
        if self.log_file is None:  # a preview: only warnings, on stderr
            values["LOG_LEVEL"] = "WARNING"
        return values

    def _group(self, group: list[Any]) -> Any:
        from twisted.internet import defer

        @defer.inlineCallbacks
        def one_after_the_other() -> Generator[Any, Any, None]:
            for source in group:
                yield self._source(source)

        return one_after_the_other()

    def _source(self, source: Any) -> Any:
        from twisted.internet import defer

        from collectors.context import SourceContext
        from collectors.ledger import RunLedger
        from signals.core.store import RunRecorder

        writer = self.crawl.writer

        @defer.inlineCallbacks
        def crawl_and_record() -> Generator[Any, Any, None]:
            if self.stopping:
                self.outcomes[source.name] = _failed(source.name, "collecte interrompue avant cette source")
                return
            try:
                if writer is None:
                    ledger = RunLedger(source.name, RunRecorder(0), limit=self.preview_limit, preview=True)
                    yield self._crawl(SourceContext(source=source, crawl=self.crawl, ledger=ledger))
                    self.outcomes[source.name] = _outcome(source.name, None, ledger)
                    return
                with writer.recording(source.name) as recorder:
                    context = SourceContext(
                        source=source,
                        crawl=self.crawl,
                        ledger=RunLedger(source.name, recorder),
                        resume_safe=writer.last_run_complete(source.name),
                    )
                    context.ledger.limit = context.item_cap or None
                    yield self._crawl(context)
                    if context.ledger.complete and context.validators:
                        writer.save_validators(context.validators)
                    if not context.ledger.interrupted:
                        writer.record_health(source.name, failed=context.ledger.status == "failed")
                self.outcomes[source.name] = _outcome(source.name, recorder.run_id, context.ledger)
            except Exception as exc:  # a bug or a database failure: this source fails, the others go on
                log.exception("source %s: crawl failed", source.name)
                self.outcomes[source.name] = _failed(
                    source.name, f"erreur de collecte : {type(exc).__name__}: {exc}"
                )

        return crawl_and_record()

    def _crawl(self, context: Any) -> Any:
        """One source's Scrapy crawl; its ledger is closed whatever happens."""
        from scrapy import signals as scrapy_signals
        from scrapy.crawler import Crawler
        from scrapy.settings import Settings as ScrapySettings
        from twisted.internet import defer

        @defer.inlineCallbacks
        def crawl() -> Generator[Any, Any, None]:
            values = self._scrapy_settings(context.time_budget_s)
            # above the runner's own settings, which the runner merges into each crawler at "project" priority
            crawler = Crawler(spider_class(context.source.kind), ScrapySettings(values, priority="cmdline"))
            crawler.signals.connect(_on_spider_error, signal=scrapy_signals.spider_error)
            crawler.signals.connect(_on_item_error, signal=scrapy_signals.item_error)
            try:
                yield self.runner.crawl(crawler, context=context)
            except Exception as exc:  # the crawler could not start (bad settings, spider init error)
                context.ledger.recorder.fail(f"erreur du robot de collecte : {type(exc).__name__}: {exc}")
            if context.ledger.close_reason is None:
                context.ledger.close("crawler_error")

        return crawl()


def _outcome(name: str, run_id: int | None, ledger: Any) -> dict[str, Any]:
    return {
        "source": name,
        "run_id": run_id,
        "status": ledger.status,
        "counts": ledger.summary(),
        "error": ledger.error,
        "items": ledger.preview_items,
    }


def _failed(name: str, reason: str) -> dict[str, Any]:
    return {"source": name, "run_id": None, "status": "failed", "counts": {}, "error": reason, "items": []}


def _on_spider_error(failure: Any, response: Any, spider: Any) -> None:
    """A parser raised: the page is lost, the crawl goes on (Scrapy logs the traceback)."""
    spider.context.ledger.reject(
        response.url,
        f"erreur d'analyse de {response.url} : {failure.getErrorMessage()}"[:400],
        "spider_error",
    )


def _on_item_error(item: Any, response: Any, spider: Any, failure: Any) -> None:
    where = getattr(item, "url", None) or getattr(item, "row", None) or getattr(item, "title", "élément")
    spider.context.ledger.reject(
        str(where), f"erreur de traitement : {failure.getErrorMessage()}"[:400], "processing_error"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("job", type=Path, help="job file written by collectors.run")
    args = parser.parse_args(argv)
    job = json.loads(args.job.read_text(encoding="utf-8"))
    outcomes = run_job(job)
    output = Path(job["output"])
    partial = output.with_suffix(".partial")
    partial.write_text(json.dumps(outcomes, ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(partial, output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
