"""What every source spider shares: page requests with paging, item requests, and failure accounting.

A spider says what to request and how to parse; everything it cannot read is reported to the source's
ledger with a reject code and a one-line reason, and the crawl goes on.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any, ClassVar

import scrapy
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
    UnsupportedURLSchemeError,
)
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import defer, error
from twisted.python.failure import Failure

from collectors.context import SourceContext
from collectors.extract import sniff

NOT_MODIFIED = 304


class SourceSpider(scrapy.Spider):
    """Base of the generic spiders; one instance crawls one source entry given as ``context``.

    Subclasses implement ``parse_page(response)`` for the source's pages (feed, listing, API page, file)
    and call :meth:`next_page` to follow pagination.
    """

    kind: ClassVar[str] = ""

    def __init__(self, context: SourceContext, **kwargs: Any) -> None:
        super().__init__(name=context.name, **kwargs)
        self.context = context
        self.source = context.source
        self.ledger = context.ledger
        self._stopping = False

    async def start(self) -> AsyncIterator[Request]:
        yield self.page_request(self.source.url, page=1)

    # requests

    def page_request(self, url: str, page: int) -> Request:
        """A page of the source (feed, listing, API page, data file), conditional when not previewing."""
        return Request(
            url,
            callback=self.read_page,
            errback=self.page_error,
            meta={"page": page, "conditional": not self.context.preview, "handle_httpstatus_list": [304]},
        )

    def item_request(self, url: str, callback: Callable[..., Any], entry: dict[str, Any]) -> Request:
        """A page or file one item links to (an article, a PDF); ``entry`` is what the page said of it."""
        return Request(url, callback=callback, errback=self.item_error, cb_kwargs={"entry": entry})

    def read_page(self, response: Response) -> Any:
        if response.status == NOT_MODIFIED:
            self.ledger.page_ok(response.url)
            self.ledger.count("not_modified")
            return None
        if not response.body.strip():
            self.ledger.page_failed(response.url, empty_response(response.url), "empty_response")
            return None
        self.ledger.page_ok(response.url)
        return self.parse_page(response)

    def parse_page(self, response: Response) -> Any:
        raise NotImplementedError

    def json_page(self, response: Response) -> Any:
        """The JSON document of a page; None (the page counted as failed, with its reason) when it is not."""
        try:
            data = json.loads(response.body.decode("utf-8-sig"))
            if data is None:
                raise json.JSONDecodeError("le document vaut null", "null", 0)
            return data
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            found = sniff(response.body, response.headers.get(b"Content-Type", b"").decode("latin-1"))
            detail = (
                f"un document {found.upper()}" if found in ("html", "xml") else f"un JSON mal formé ({exc})"
            )
            self.ledger.page_failed(response.url, f"{response.url} est {detail}"[:300], "malformed_json")
            return None

    def next_page(self, response: Response, href: str | None, all_known: bool = False) -> Request | None:
        """The request of the next page, unless paging should stop here."""
        if not href:
            return None
        if self.ledger.full:
            return None
        if all_known and self.context.resume_safe:
            # newest first and the last run was complete: older pages are stored already
            self.ledger.count("stopped_at_known_page")
            return None
        page = int(response.meta.get("page", 1))
        if not self.may_follow(page):
            return None
        return self.page_request(response.urljoin(href), page + 1)

    def may_follow(self, page: int) -> bool:
        """Whether a page after ``page`` may be asked for (item cap not reached, ``max_pages`` not reached)."""
        if self.ledger.full:
            return False
        if page >= self.source.max_pages:
            self.ledger.count("max_pages_reached")
            return False
        return True

    def known(self, urls: list[str]) -> set[str]:
        known = self.context.known(urls)
        if known:
            self.ledger.count("known", len(known))
        return known

    # failures

    def page_error(self, failure: Failure) -> None:
        url = failure.request.url if hasattr(failure, "request") else self.source.url  # type: ignore[attr-defined]
        code, reason, transient = describe_failure(failure, url)
        self.ledger.page_failed(url, reason, code, transient=transient)

    def item_error(self, failure: Failure) -> None:
        url = failure.request.url if hasattr(failure, "request") else "?"  # type: ignore[attr-defined]
        code, reason, transient = describe_failure(failure, url)
        self.ledger.reject(url, reason, code, transient=transient)

    def closed(self, reason: str) -> None:
        """Scrapy's end of crawl: the ledger records why (finished, item cap, time budget, shutdown)."""
        self.ledger.close(reason)

    def stop(self, reason: str) -> None:
        """Close this spider (item cap, preview limit); pending requests are dropped."""
        if not self._stopping:
            self._stopping = True
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=reason))


def empty_response(url: str) -> str:
    """The reason of a page or file received empty."""
    return f"réponse vide de {url}"


def portal_error(url: str, status: int, message: object) -> str:
    """The reason of an API's error answer (HTTP 4xx with a JSON body), with the portal's own message."""
    return f"{url} : HTTP {status}, le portail répond : {str(message)[:200]}"


def describe_failure(failure: Failure, url: str) -> tuple[str, str, bool]:
    """(reject code, one-line reason, transient?) of a failed request; transient ones are retried next run."""
    exc = failure.value
    if isinstance(exc, HttpError):
        status = exc.response.status
        return "http_error", f"erreur HTTP {status} sur {url}", status >= 500 or status in (408, 429)
    if isinstance(exc, IgnoreRequest) and "robots" in str(exc).lower():
        return "robots", f"{url} est interdite aux robots par le robots.txt du site", False
    if isinstance(exc, DownloadTimeoutError | error.TimeoutError | TimeoutError):
        return "timeout", f"pas de réponse complète de {url} dans le délai imparti", True
    if isinstance(
        exc,
        DownloadConnectionRefusedError
        | CannotResolveHostError
        | error.ConnectionRefusedError
        | error.DNSLookupError
        | error.ConnectError,
    ):
        return "unreachable", f"connexion impossible à {url} : {exc.__class__.__name__}", True
    if isinstance(exc, DownloadCancelledError | defer.CancelledError):
        return (
            "too_large",
            f"{url} dépasse la taille maximale ({str(exc)[:120] or 'téléchargement annulé'})",
            False,
        )
    if isinstance(
        exc, ResponseDataLossError | error.ConnectionLost | error.ConnectionDone | DownloadFailedError
    ):
        return "connection_lost", f"connexion perdue pendant la lecture de {url}", True
    if isinstance(exc, UnsupportedURLSchemeError):
        return "bad_url", f"adresse non prise en charge : {url}", False
    if isinstance(exc, IgnoreRequest):
        return "ignored", f"{url} laissée de côté : {exc}", False
    return (
        "download_error",
        f"échec du téléchargement de {url} : {exc.__class__.__name__}: {str(exc)[:200]}",
        True,
    )
