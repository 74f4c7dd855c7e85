"""Downloader middlewares: retries with backoff, conditional requests, response accounting, and the
per-domain delay shared by the workers of a shared crawl."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import task


def _context(crawler: Any) -> Any:
    return getattr(crawler.spider, "context", None)


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries (``RETRY_TIMES``, ``RETRY_HTTP_CODES``), each one waiting longer than the last.

    The wait is ``RETRY_BACKOFF_BASE_S * 2 ** (attempt - 1)``, or the server's ``Retry-After`` when longer,
    capped at ``RETRY_BACKOFF_MAX_S``. It delays only the retried request, not the rest of the crawl.
    """

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE_S", 1.0)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX_S", 60.0)

    async def process_request(self, request: Request) -> None:
        delay = request.meta.get("retry_delay")
        if delay:
            from twisted.internet import reactor

            await maybe_deferred_to_future(task.deferLater(reactor, delay))

    def process_response(self, request: Request, response: Response) -> Request | Response:
        result = super().process_response(request, response)
        if isinstance(result, Request):
            result.meta["retry_delay"] = self.delay(result, response)
        return result

    def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            result.meta["retry_delay"] = self.delay(result, None)
        return result

    def delay(self, retry: Request, response: Response | None) -> float:
        attempt = int(retry.meta.get("retry_times", 1))
        wait = self.base * 2 ** (attempt - 1)
        header = response.headers.get(b"Retry-After") if response is not None else None
        if header and header.strip().isdigit():
            wait = max(wait, float(header))
        return min(wait, self.cap)


class ConditionalRequestMiddleware:
    """ETag / Last-Modified for a source's pages: an unchanged page answers 304 and is not read again.

    Requests marked ``meta["conditional"]`` carry the validators stored for their URL. Validators seen in
    this crawl are kept in the source context and stored only when the crawl completes, so a page is
    never skipped next time while some of its items are still to be fetched.
    """

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> ConditionalRequestMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        context = _context(self.crawler)
        if context is None or not request.meta.get("conditional"):
            return
        etag, last_modified = context.cached_validators(request.url)
        if etag:
            request.headers.setdefault(b"If-None-Match", etag)
        if last_modified:
            request.headers.setdefault(b"If-Modified-Since", last_modified)

    def process_response(self, request: Request, response: Response) -> Response:
        context = _context(self.crawler)
        if context is not None and request.meta.get("conditional") and response.status == 200:
            etag = response.headers.get(b"ETag")
            last_modified = response.headers.get(b"Last-Modified")
            if etag or last_modified:
                context.validators[context.cache_key(request.url)] = (
                    etag.decode("latin-1")[:300] if etag else None,
                    last_modified.decode("latin-1")[:100] if last_modified else None,
                    response.status,
                )
        return response


class AccountingMiddleware:
    """Every response's latency and size, for the run record (median latency is a health figure)."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> AccountingMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        context = _context(self.crawler)
        if context is not None:
            latency = request.meta.get("download_latency")
            if latency is not None:
                context.ledger.latency(float(latency))
            context.ledger.count("bytes", len(response.body))
        return response


class DomainGateMiddleware:
    """The download delay of a domain held across every worker of a shared crawl (``collectors.frontier``).

    Before a request leaves, the worker takes the domain's gate: a Redis key ``<prefix>:gate:<host>`` set
    only if absent, expiring after ``FRONTIER_DOMAIN_DELAY_S`` (Redis's clock); while another worker holds
    it, this one waits for it to expire. So all workers together start at most one request per domain per
    delay, the rate one worker keeps alone. The workers' own Scrapy delay is then 0 (the gate replaces
    it); each still keeps its ``CONCURRENT_REQUESTS_PER_DOMAIN`` and AutoThrottle, and fetches robots.txt
    itself (through the gate too). With no delay (loopback tests, benchmarks) there is no gate.
    """

    def __init__(self, crawler: Any) -> None:
        from scrapy_redis.connection import get_redis_from_settings

        settings = crawler.settings
        self.delay_ms = int(settings.getfloat("FRONTIER_DOMAIN_DELAY_S", 0.0) * 1000)
        self.prefix = settings.get("FRONTIER_GATE_PREFIX", "signals:gate")
        self.server = get_redis_from_settings(settings) if self.delay_ms > 0 else None

    @classmethod
    def from_crawler(cls, crawler: Any) -> DomainGateMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        if self.server is None:
            return
        from twisted.internet import reactor

        key = f"{self.prefix}:{(urlsplit(request.url).hostname or '').lower()}"
        while not self.server.set(key, 1, px=self.delay_ms, nx=True):
            left_ms = self.server.pttl(key)
            await maybe_deferred_to_future(task.deferLater(reactor, max(left_ms, 1) / 1000))
