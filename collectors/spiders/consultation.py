"""Consultation platforms with a JSON API (Decidim-like): each proposal becomes a document with its votes,
comments and number of authors (never their names); monthly totals become observations.

Every page is read at each run (votes and comments change on old proposals); a proposal already stored
has its figures refreshed.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from typing import Any

from scrapy.http import Response

from collectors.enrich import html_to_text, parse_date
from collectors.extract import sniff
from collectors.items import DocumentItem
from collectors.spiders.base import SourceSpider
from collectors.storage import StoreWriter
from collectors.tabular import dotted
from signals.core.parsing import slug
from signals.core.store import NewObservation

FIGURES = ("votes", "comments")


def count_authors(value: Any) -> int:
    """How many authors a proposal's author field names (a list, one object, a name, or nothing).

    >>> count_authors([{"name": "A"}, {"name": "B"}]), count_authors({"name": "A"}), count_authors(None)
    (2, 1, 0)
    """
    if value is None or value == "":
        return 0
    if isinstance(value, list):
        return len(value)
    return 1


def to_count(value: Any) -> int | None:
    """A non-negative count from JSON (number, or text such as "12" or "12 votes"); None when absent.

    >>> to_count(12), to_count("12 votes"), to_count(None), to_count(-3)
    (12, 12, None, None)
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return int(value) if value >= 0 else None
    digits = "".join(c for c in str(value).split(" ")[0] if c.isdigit())
    return int(digits) if digits else None


class ConsultationSpider(SourceSpider):
    """One platform's proposals API, paged with ``next_path``."""

    name = "consultation"
    kind = "consultation"

    def parse_page(self, response: Response) -> Any:
        try:
            data = json.loads(response.body.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            found = sniff(response.body, response.headers.get(b"Content-Type", b"").decode("latin-1"))
            detail = f"an {found.upper()} document" if found in ("html", "xml") else f"malformed JSON ({exc})"
            self.ledger.page_failed(response.url, f"{response.url} is {detail}"[:300], "malformed_json")
            return
        records = dotted(data, self.source.items_path)
        if not isinstance(records, list):
            self.ledger.page_failed(
                response.url,
                f"no list of proposals at {self.source.items_path!r} in {response.url}",
                "unexpected_json",
            )
            return
        for position, record in enumerate(records, 1):
            item = self._item(record, f"{response.url} proposal {position}")
            if item is not None:
                yield item
        next_href = dotted(data, self.source.next_path) if self.source.next_path else None
        request = self.next_page(response, next_href if isinstance(next_href, str) else None)
        if request is not None:
            yield request

    def _item(self, record: Any, where: str) -> DocumentItem | None:
        if not isinstance(record, dict):
            self.ledger.reject(
                where, f"proposal is a {type(record).__name__}, not an object", "malformed_record"
            )
            return None
        fields = self.source.fields
        ident = dotted(record, fields.get("id"))
        if ident is None or isinstance(ident, dict | list):
            self.ledger.reject(where, f"proposal has no id at {fields.get('id')!r}", "no_id")
            return None
        url = dotted(record, fields["url"]) if "url" in fields else None
        if not isinstance(url, str) and self.source.url_template:
            url = self.source.url_template.format(id=ident)
        raw_date = dotted(record, fields.get("published_at"))
        extra: dict[str, Any] = {
            "kind": "proposal",
            "authors": count_authors(dotted(record, self.source.authors_path)),
        }
        problems = []
        for figure in FIGURES:
            raw = dotted(record, fields.get(figure))
            extra[figure] = to_count(raw)
            if raw is not None and extra[figure] is None:
                problems.append(f"{figure} {str(raw)[:30]!r} is not a count")
        scope = dotted(record, fields.get("territory"))
        return DocumentItem(
            source=self.source.name,
            url=url if isinstance(url, str) else None,
            title=html_to_text(str(dotted(record, fields.get("title")) or "")),
            text=html_to_text(str(dotted(record, fields.get("text")) or "")),
            date_text=str(raw_date) if raw_date is not None else None,
            published_at=parse_date(raw_date, self.context.crawl.tz) if raw_date is not None else None,
            territory_hint=scope if isinstance(scope, str) else None,
            external_id=str(ident),
            extra=extra,
            problems=problems,
        )

    def summarise(self, writer: StoreWriter) -> None:
        """Monthly observations per commune from every stored proposal of the platform: number of proposals,
        votes and comments (``<series>.proposals/<commune>``...); recomputed in full, so always consistent."""
        prefix = self.source.series or self.source.name
        totals: dict[tuple[str, str | None, date], float] = defaultdict(float)
        for document in writer.documents_of(self.source.name):
            local = document.published_at.astimezone(self.context.crawl.tz)
            month = date(local.year, local.month, 1)
            totals[("proposals", document.territory, month)] += 1
            for figure in FIGURES:
                totals[(figure, document.territory, month)] += (document.extra or {}).get(figure) or 0
        units = {"proposals": "propositions", "votes": "votes", "comments": "commentaires"}
        for (measure, territory, month), value in sorted(
            totals.items(), key=lambda kv: (kv[0][0], kv[0][1] or "", kv[0][2])
        ):
            series = f"{prefix}.{measure}" + (f"/{slug(territory)}" if territory else "")
            outcome = writer.upsert_observation(
                NewObservation(series, month, value, units[measure], territory, self.source.name)
            )
            self.ledger.count("observations")
            self.ledger.count(f"observations_{outcome}")
