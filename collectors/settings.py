"""Scrapy settings of the collectors: the project's components, and the politeness knobs derived from
``signals.core.settings.CollectSettings`` (so the service has one place for them, ``signals.yaml``).

The module-level names are the project's static settings (what ``scrapy`` reads from a settings module);
:func:`scrapy_settings` returns them completed with the values of one source's crawl.
"""

from __future__ import annotations

import sys
from typing import Any

from signals.core.settings import CollectSettings, FrontierSettings

BOT_NAME = "signaux-faibles"
# Not the asyncio reactor (Scrapy's default): with it, Scrapy 2.19's downloader schedules downloads as
# asyncio tasks that start later, so with no download delay a slot's whole queue leaves at once and
# CONCURRENT_REQUESTS_PER_DOMAIN is not enforced (seen on the fixture server). Twisted's own reactor runs
# them at once and the limit holds.
TWISTED_REACTOR = (
    "twisted.internet.epollreactor.EPollReactor"
    if sys.platform.startswith("linux")
    else "twisted.internet.selectreactor.SelectReactor"
)
SPIDER_MODULES = ["collectors.spiders"]
NEWSPIDER_MODULE = "collectors.spiders"

# Item pipelines, in order: validate and clean, redact personal data, enrich (date, commune, language),
# find near-duplicates, store (or keep for the preview).
ITEM_PIPELINES = {
    "collectors.pipelines.CleanPipeline": 100,
    "collectors.pipelines.PrivacyPipeline": 200,
    "collectors.pipelines.EnrichPipeline": 300,
    "collectors.pipelines.NearDuplicatePipeline": 400,
    "collectors.pipelines.StorePipeline": 900,
}
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "collectors.middlewares.BackoffRetryMiddleware": 550,
    "collectors.middlewares.ConditionalRequestMiddleware": 650,  # after redirects: validators of final URLs
    "collectors.middlewares.AccountingMiddleware": 950,  # closest to the network: sees every response
}
EXTENSIONS = {"scrapy.extensions.telnet.TelnetConsole": None}  # no listening port in a service
LOG_FORMATTER = "collectors.pipelines.ItemLogFormatter"
DEFAULT_DROPITEM_LOG_LEVEL = "DEBUG"  # the ledger logs each reject once, with its reason
LOG_LEVEL = "INFO"

RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_BACKOFF_BASE_S = 1.0  # first retry waits this long, doubling after each failure
RETRY_BACKOFF_MAX_S = 60.0  # cap, also on the server's Retry-After
REDIRECT_MAX_TIMES = 5
CONCURRENT_REQUESTS = 16
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,application/json;q=0.9,*/*;q=0.8",
    "Accept-Language": "fr,en;q=0.5",
}


def scrapy_settings(
    collect: CollectSettings, time_budget_s: int = 0, log_file: str | None = None
) -> dict[str, Any]:
    """Scrapy settings of one source's crawl: the static ones above and the service's politeness knobs.

    >>> s = scrapy_settings(CollectSettings(download_delay_s=0, autothrottle=False), time_budget_s=60)
    >>> s["DOWNLOAD_DELAY"], s["AUTOTHROTTLE_ENABLED"], s["CLOSESPIDER_TIMEOUT"], s["ROBOTSTXT_OBEY"]
    (0.0, False, 60, True)
    """
    static = {name: value for name, value in globals().items() if name.isupper()}
    derived: dict[str, Any] = {
        "USER_AGENT": collect.user_agent,
        "ROBOTSTXT_OBEY": collect.obey_robots,
        "CONCURRENT_REQUESTS_PER_DOMAIN": collect.concurrency_per_domain,
        "DOWNLOAD_DELAY": float(collect.download_delay_s),
        "RANDOMIZE_DOWNLOAD_DELAY": collect.download_delay_s > 0,
        "AUTOTHROTTLE_ENABLED": collect.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(float(collect.download_delay_s), 1.0),
        "DOWNLOAD_TIMEOUT": collect.timeout_s,
        "DNS_TIMEOUT": collect.timeout_s,
        "RETRY_TIMES": collect.retries,
        "DOWNLOAD_MAXSIZE": collect.max_page_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "CLOSESPIDER_TIMEOUT": time_budget_s or 0,
    }
    if log_file:
        derived |= {"LOG_FILE": log_file, "LOG_FILE_APPEND": True}
    return static | derived


def frontier_settings(frontier: FrontierSettings, crawl_id: str, download_delay_s: float) -> dict[str, Any]:
    """Scrapy settings of a worker of the shared crawl ``crawl_id`` (``collectors.frontier``), on top of
    :func:`scrapy_settings`: scrapy-redis's scheduler, leased queue and duplicate filter, and the domain
    gate in place of the worker's own download delay.

    >>> s = frontier_settings(FrontierSettings(redis_url="redis://r:6379/0"), "c1", 0.5)
    >>> s["SCHEDULER_QUEUE_KEY"], s["DOWNLOAD_DELAY"], s["FRONTIER_DOMAIN_DELAY_S"]
    ('signals:crawl:c1:%(spider)s:requests', 0.0, 0.5)
    """
    keys = f"{frontier.key_prefix}:crawl:{crawl_id}:%(spider)s"
    return {
        "SCHEDULER": "collectors.frontier.FrontierScheduler",
        "SCHEDULER_QUEUE_CLASS": "collectors.frontier.LeasedQueue",
        "SCHEDULER_SERIALIZER": "collectors.requestcodec",  # data only, never a pickle (requestcodec)
        "SCHEDULER_QUEUE_KEY": f"{keys}:requests",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_DUPEFILTER_KEY": f"{keys}:seen",
        "SCHEDULER_PERSIST": True,  # other workers go on after this one closes; the crawl's keys expire
        "REDIS_URL": frontier.redis_url,
        "FRONTIER_LEASE_S": frontier.lease_s,
        "FRONTIER_HEARTBEAT_S": frontier.heartbeat_s,
        "FRONTIER_DOMAIN_DELAY_S": float(download_delay_s),
        "FRONTIER_GATE_PREFIX": f"{frontier.key_prefix}:gate",
        "DOWNLOAD_DELAY": 0.0,
        "RANDOMIZE_DOWNLOAD_DELAY": False,
        "DOWNLOADER_MIDDLEWARES": DOWNLOADER_MIDDLEWARES
        | {"collectors.middlewares.DomainGateMiddleware": 990},  # last before the network
    }
