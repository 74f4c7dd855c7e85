"""HTML listings (deliberations, minutes, urban-planning notices): items found with the source's CSS
selectors, each linking to a page (main text by trafilatura) or a PDF file (text by pypdf); paged with
``next_selector``. The listing's date and number of each item are kept.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlsplit

from parsel import Selector, SelectorList
from scrapy.http import HtmlResponse, Response, TextResponse

from collectors.enrich import html_to_text, parse_date
from collectors.extract import ExtractionError, page_text, pdf_date, pdf_text, sniff
from collectors.items import DocumentItem
from collectors.spiders.base import SourceSpider, empty_response

DATE_TAKEN = "date tirée"  # the lead of the problem noted when a document's date comes from elsewhere
MIN_PAGE_CHARS = 80  # less main text than this on a linked page: an error page, not a document
_NUMBER = re.compile(r"\b(?:n[°º o]|num[ée]ro|no\.)\s*:?\s*([A-Z0-9][\w./-]*\w)", re.I)


def deliberation_number(*texts: str) -> str | None:
    """The number of a deliberation as written after "n°" (listing text, title, or first lines).

    >>> deliberation_number("Délibération n° 2025-012 : budget"), deliberation_number("Numéro : DEL_2025/3")
    ('2025-012', 'DEL_2025/3')
    >>> deliberation_number("Sans numéro") is None
    True
    """
    for text in texts:
        match = _NUMBER.search(text or "")
        if match:
            return match.group(1)
    return None


class ListingSpider(SourceSpider):
    """One listing: pages of items, each item a link to a document (HTML page or PDF)."""

    name = "listing"
    kind = "listing"

    def parse_page(self, response: Response) -> Any:
        if not isinstance(response, TextResponse):
            found = sniff(response.body, response.headers.get(b"Content-Type", b"").decode("latin-1"))
            self.ledger.page_failed(
                response.url, f"{response.url} n'est pas une page HTML ({found})", "not_html"
            )
            return
        page = int(response.meta.get("page", 1))
        try:
            nodes = response.css(self.source.item_selector)
        except Exception as exc:  # cssselect raises several types for a bad selector
            self.ledger.page_failed(
                response.url, f"item_selector `{self.source.item_selector}` invalide : {exc}", "bad_selector"
            )
            return
        if not nodes:
            selector = self.source.item_selector
            reason = (
                f"le sélecteur `{selector}` ne trouve rien sur {response.url} ; vérifier la page de liste"
            )
            if page == 1:
                self.ledger.page_failed(response.url, reason, "selector_empty")
            else:
                self.ledger.count("empty_pages")
            return
        entries = [entry for n, node in enumerate(nodes, 1) if (entry := self._entry(node, n, response))]
        urls = list(dict.fromkeys(entry["url"] for entry in entries))
        known = self.known(urls)
        seen: set[str] = set()
        for entry in entries:
            if entry["url"] in known or entry["url"] in seen:
                continue
            seen.add(entry["url"])
            yield self.item_request(entry["url"], self.parse_document, entry)
        next_href = self._select(response, self.source.next_selector, first=True)
        request = self.next_page(response, next_href, all_known=bool(urls) and len(known) == len(urls))
        if request is not None:
            yield request

    def parse_document(self, response: Response, entry: dict[str, Any]) -> Any:
        url = entry["url"]
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        if not response.body.strip():
            self.ledger.reject(url, empty_response(url), "empty_response")
            return None
        found = sniff(response.body, content_type)
        if found == "html" and not isinstance(response, TextResponse):  # an HTML page served as a file
            response = HtmlResponse(url=response.url, body=response.body)
        item = DocumentItem(
            source=self.source.name, url=url, title=entry["title"], text="", date_text=entry["date"]
        )
        fallback_date: str | None = None
        try:
            if found == "pdf":
                content = pdf_text(
                    response.body, max_chars=self.context.crawl.settings.collect.max_text_chars
                )
                item.text, item.problems = content.text, list(content.problems)
                item.title = item.title or (content.title or "")
                fallback_date = pdf_date(content.created)
            elif found in ("html", "text") and isinstance(response, TextResponse):
                page = page_text(
                    response.text, url, with_metadata=True, title=item.title or None, min_chars=MIN_PAGE_CHARS
                )
                item.text = page.text
                item.title = item.title or (page.title or "")
                fallback_date = page.date
            else:
                self.ledger.reject(
                    url,
                    f"{url} n'est ni une page HTML ni un PDF ({content_type or found})",
                    "unsupported_type",
                )
                return None
        except ExtractionError as exc:
            self.ledger.reject(url, f"{url} : {exc.reason}", exc.code)
            return None
        item.title = item.title or _file_title(url)
        if entry["date"]:
            item.published_at = parse_date(entry["date"], self.context.crawl.tz)
        if item.published_at is None and fallback_date:
            item.published_at = parse_date(fallback_date, self.context.crawl.tz)
            item.problems.append(f"{DATE_TAKEN} du document lui-même ({fallback_date})")
        number = entry["number"] or deliberation_number(item.title, item.text[:500])
        item.extra = {"document": found} | ({"number": number} if number else {})
        if item.published_at is not None:
            item.extra["date"] = item.published_at.date().isoformat()
        return item

    # the listing's fields

    def _entry(self, node: Selector, position: int, response: Response) -> dict[str, Any] | None:
        href = self._select(node, self.source.link_selector, first=True)
        where = f"{response.url} élément {position}"
        if not href:
            self.ledger.reject(
                where, f"élément sans lien (link_selector `{self.source.link_selector}`)", "no_link"
            )
            return None
        url = response.urljoin(href.strip())
        if not url.startswith(("http://", "https://")):
            self.ledger.reject(
                where, f"l'élément pointe vers {href[:80]!r}, pas vers une page web", "bad_url"
            )
            return None
        title = self._select(node, self.source.title_selector) if self.source.title_selector else None
        if title is None:
            title = html_to_text(" ".join(node.css("a ::text").getall()))
        number = self._select(node, self.source.number_selector)
        return {
            "url": url,
            "title": " ".join((title or "").split()),
            "date": self._select(node, self.source.date_selector),
            "number": (deliberation_number(number) or number.strip(" :°")) if number else None,
        }

    def _select(
        self, node: Selector | SelectorList | Response, selector: str | None, first: bool = False
    ) -> str | None:
        """Text matched by a CSS selector (``::text`` / ``::attr()`` or elements), or None.

        ``first``: only the first match (a link), else all matches joined (a title split by tags).
        """
        if not selector:
            return None
        try:
            matches = node.css(selector)
            values = matches[:1].getall() if first else matches.getall()
        except Exception:  # an invalid sub-selector: the field is missing, not the item
            self.ledger.count("bad_field_selector")
            return None
        text = " ".join(html_to_text(v) if "<" in v else v for v in values).strip()
        return " ".join(text.split()) or None


def _file_title(url: str) -> str:
    name = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    return name.rsplit(".", 1)[0].replace("_", " ").replace("-", " ").strip() or url
