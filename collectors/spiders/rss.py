"""RSS and Atom feeds (feedparser), paged with ``rel=next``; optionally each entry's article page, whose
main text (trafilatura) replaces the feed's summary.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import feedparser
from scrapy.http import Response, TextResponse

from collectors.enrich import html_to_text, parse_date
from collectors.extract import ExtractionError, page_text, sniff
from collectors.items import DocumentItem
from collectors.spiders.base import SourceSpider


class RssSpider(SourceSpider):
    """One feed: its entries become documents; with ``follow_articles``, their pages are read too."""

    name = "rss"
    kind = "rss"

    def parse_page(self, response: Response) -> Any:
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        feed = feedparser.parse(
            response.body,
            response_headers={"content-location": response.url, "content-type": content_type},
            sanitize_html=False,  # texts are reduced to plain text anyway; a third faster
            resolve_relative_uris=False,  # links are resolved against the page's URL below
        )
        if not feed.entries:
            if not feed.get("version"):
                found = sniff(response.body, content_type)
                what = {"html": "une page HTML", "json": "un document JSON"}.get(found)
                problem = feed.get("bozo_exception")
                detail = f" ({type(problem).__name__}: {problem})" if problem else ""
                reason = f"{response.url} est {what or 'illisible'}, pas un flux RSS/Atom{detail}"
                self.ledger.page_failed(response.url, reason, "not_a_feed" if what else "malformed_feed")
            return
        if feed.bozo:
            self.ledger.count("feeds_recovered")  # feedparser read past the damage; entries are kept
        items = [self._item(entry, response) for entry in feed.entries]
        urls = list(dict.fromkeys(item.url for item in items if item.url))
        known = self.known(urls)
        follow = getattr(self.source, "follow_articles", False)
        seen: set[str] = set()
        for item in items:
            if item.url in known:
                continue
            if item.url:
                if item.url in seen:
                    self.ledger.count("repeated_in_feed")
                    continue
                seen.add(item.url)
            if follow and item.url:
                yield self.item_request(item.url, self.parse_article, {"item": item})
            else:
                yield item
        next_href = next(
            (link.get("href") for link in feed.feed.get("links", []) if link.get("rel") == "next"), None
        )
        request = self.next_page(response, next_href, all_known=bool(urls) and len(known) == len(urls))
        if request is not None:
            yield request

    def parse_article(self, response: Response, entry: dict[str, Any]) -> Any:
        item: DocumentItem = entry["item"]
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        if not isinstance(response, TextResponse) or sniff(response.body, content_type) != "html":
            return self._keep_summary(
                item, f"la page de l'article n'est pas du HTML ({content_type or 'sans type'})", "not_html"
            )
        try:
            page = page_text(
                response.text, response.url, with_metadata=item.published_at is None, title=item.title
            )
        except ExtractionError as exc:
            return self._keep_summary(item, exc.reason, exc.code)
        if len(page.text) < len(item.text):
            item.problems.append(
                "la page de l'article a moins de texte que le flux : le texte du flux est gardé"
            )
        else:
            item.text = page.text
            self.ledger.count("articles_read")
        if item.published_at is None and page.date:
            item.published_at = parse_date(page.date, self.context.crawl.tz)
        return item

    def _keep_summary(self, item: DocumentItem, reason: str, code: str) -> DocumentItem | None:
        """An article page without readable text: the feed's summary stands in, if there is one."""
        if not item.text:
            self.ledger.reject(item.url or item.title, f"{reason}, et le flux n'a pas de résumé", code)
            return None
        item.problems.append(f"{reason} ; le résumé du flux est gardé")
        self.ledger.count("article_fallbacks")
        return item

    def _item(self, entry: Any, response: Response) -> DocumentItem:
        href = entry.get("link") or next((link.get("href") for link in entry.get("links", [])), None)
        url = response.urljoin(href.strip()) if href else None
        if url and not url.startswith(("http://", "https://")):
            url = None
        contents = entry.get("content") or []
        body = contents[0].get("value", "") if contents else entry.get("summary", "")
        raw_date = entry.get("published") or entry.get("updated") or entry.get("created")
        item = DocumentItem(
            source=self.source.name,
            url=url,
            title=html_to_text(entry.get("title", "") or ""),
            text=html_to_text(body or ""),
            date_text=raw_date,
            published_at=self._date(entry, raw_date),
            territory_hint=self._commune_tag(entry),
            external_id=(entry.get("id") or None),
        )
        if url is None:
            item.problems.append("entrée sans lien")
        return item

    def _date(self, entry: Any, raw: str | None) -> datetime | None:
        parsed = parse_date(raw, self.context.crawl.tz) if raw else None
        if parsed is None:  # feedparser knows a few more historical formats; it reads them as UTC
            struct = entry.get("published_parsed") or entry.get("updated_parsed")
            if struct:
                parsed = datetime(*struct[:6], tzinfo=UTC)
        return parsed

    def _commune_tag(self, entry: Any) -> str | None:
        gazetteer = self.context.crawl.gazetteer
        for tag in entry.get("tags") or []:
            label = tag.get("term") or tag.get("label")
            if gazetteer.canonical(label):
                return str(label)
        return None
