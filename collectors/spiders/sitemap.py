"""Press sites without feeds, through their (news) sitemaps: a sitemap index or sitemap (``.xml`` or
``.xml.gz``), or the ``Sitemap:`` lines of a robots.txt, read with Scrapy's sitemap support
(``scrapy.utils.sitemap``: a hardened lxml parser, entries with ``loc`` and ``lastmod``); each article is
fetched and its main text extracted as the listing kind does (trafilatura), dated by the page, else by
the sitemap's ``lastmod``.

Not a subclass of Scrapy's ``SitemapSpider``: it has no place for the source's accounting (pages, rejects
with reasons), the known-URL skip or the item cap, which every kind here shares. Child sitemaps are read
newest first, each once (an index listing itself, or two indexes listing each other, stop there), at most
``max_pages`` of them.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from lxml import etree
from scrapy.http import Response
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from collectors.enrich import parse_date
from collectors.spiders.listing import DATE_TAKEN, ListingSpider


class NewsSitemapSpider(ListingSpider):
    """One site's sitemaps, then its articles."""

    name = "news_sitemap"
    kind = "news_sitemap"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sitemaps_seen: set[str] = {self.source.url}

    def parse_page(self, response: Response) -> Any:
        if response.url.endswith("/robots.txt"):
            yield from self._children(
                response, list(sitemap_urls_from_robots(response.body, base_url=response.url))
            )
            return
        body = response.body
        if body[:2] == b"\x1f\x8b":
            try:
                body = gunzip(body, max_size=self.context.crawl.settings.collect.max_page_bytes)
            except ValueError:  # Scrapy's "decompressed size over the limit" (a ValueError)
                self.ledger.page_failed(
                    response.url,
                    f"{response.url} dépasse la taille maximale une fois décompressé",
                    "too_large",
                )
                return
            except OSError as exc:
                self.ledger.page_failed(
                    response.url, f"{response.url} : gzip endommagé ({exc})", "malformed_sitemap"
                )
                return
        try:
            sitemap = Sitemap(body)
        except (etree.XMLSyntaxError, StopIteration) as exc:
            self.ledger.page_failed(
                response.url, f"{response.url} n'est pas du XML : {exc}"[:300], "malformed_sitemap"
            )
            return
        entries = list(sitemap)
        if sitemap.type == "sitemapindex":
            yield from self._children(response, [e["loc"] for e in self._newest(entries)])
        elif sitemap.type == "urlset":
            yield from self._articles(response, entries)
        else:
            self.ledger.page_failed(
                response.url,
                f"{response.url} n'est pas un sitemap (élément racine <{sitemap.type}>)",
                "malformed_sitemap",
            )

    def _newest(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted(entries, key=lambda e: e.get("lastmod") or "", reverse=True)

    def _children(self, response: Response, urls: list[str]) -> Any:
        follow = [re.compile(pattern) for pattern in self.source.follow]
        for url in urls:
            url = response.urljoin(url)
            if url in self.sitemaps_seen:
                self.ledger.reject(
                    url,
                    f"le sitemap {url} est de nouveau listé (une boucle) : pas lu deux fois",
                    "sitemap_loop",
                )
                continue
            if not any(pattern.search(url) for pattern in follow):
                self.ledger.count("sitemaps_not_followed")
                continue
            if len(self.sitemaps_seen) >= self.source.max_pages:
                self.ledger.reject(
                    url, f"plus de max_pages ({self.source.max_pages}) sitemaps : pas lu", "max_pages"
                )
                return
            self.sitemaps_seen.add(url)
            yield self.page_request(url, page=len(self.sitemaps_seen))

    def _articles(self, response: Response, entries: list[dict[str, Any]]) -> Any:
        pattern = re.compile(self.source.url_pattern) if self.source.url_pattern else None
        oldest = (
            self.context.crawl.started_at - timedelta(days=self.source.since_days)
            if self.source.since_days
            else None
        )
        chosen = []
        for entry in self._newest(entries):
            url = response.urljoin(entry["loc"])
            if not url.startswith(("http://", "https://")) or (pattern and not pattern.search(url)):
                self.ledger.count("urls_not_articles")
                continue
            modified = (
                parse_date(entry.get("lastmod"), self.context.crawl.tz) if entry.get("lastmod") else None
            )
            if oldest is not None and modified is not None and modified < oldest:
                self.ledger.count("too_old")
                continue
            chosen.append(
                {"url": url, "title": "", "date": None, "number": None, "lastmod": entry.get("lastmod")}
            )
        known = self.known([entry["url"] for entry in chosen])
        for entry in chosen:
            if entry["url"] not in known:
                yield self.item_request(entry["url"], self.parse_document, entry)

    def parse_document(self, response: Response, entry: dict[str, Any]) -> Any:
        item = super().parse_document(response, entry)
        if item is None:
            return None
        if item.published_at is None and entry["lastmod"]:
            item.published_at = parse_date(entry["lastmod"], self.context.crawl.tz)
            item.problems = [p for p in item.problems if not p.startswith(DATE_TAKEN)]
            item.problems.append(f"{DATE_TAKEN} du lastmod du sitemap")
        item.extra = {"kind": "article"} | ({"date": item.extra["date"]} if "date" in item.extra else {})
        return item
