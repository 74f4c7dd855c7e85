"""Consultation platforms with a JSON API (Decidim-like): each proposal becomes a document with its votes,
comments and number of authors (never their names); monthly totals become observations.

Every page is read at each run (votes and comments change on old proposals); a proposal already stored
has its figures refreshed.
"""

from __future__ import annotations

from typing import Any

from scrapy.http import Response

from collectors.enrich import html_to_text, parse_date
from collectors.items import DocumentItem
from collectors.spiders.base import SourceSpider
from collectors.spiders.proposals import FIGURE_WORDS, FIGURES, ProposalSeries, count_authors, to_count
from collectors.tabular import dotted


class ConsultationSpider(ProposalSeries, SourceSpider):
    """One platform's proposals API, paged with ``next_path``."""

    name = "consultation"
    kind = "consultation"

    def parse_page(self, response: Response) -> Any:
        data = self.json_page(response)
        if data is None:
            return
        records = dotted(data, self.source.items_path)
        if not isinstance(records, list):
            self.ledger.page_failed(
                response.url,
                f"pas de liste de propositions en {self.source.items_path!r} dans {response.url}",
                "unexpected_json",
            )
            return
        for position, record in enumerate(records, 1):
            item = self._item(record, f"{response.url} proposition {position}")
            if item is not None:
                yield item
        next_href = dotted(data, self.source.next_path) if self.source.next_path else None
        request = self.next_page(response, next_href if isinstance(next_href, str) else None)
        if request is not None:
            yield request

    def _item(self, record: Any, where: str) -> DocumentItem | None:
        if not isinstance(record, dict):
            self.ledger.reject(
                where, f"la proposition est un {type(record).__name__}, pas un objet", "malformed_record"
            )
            return None
        fields = self.source.fields
        ident = dotted(record, fields.get("id"))
        if ident is None or isinstance(ident, dict | list):
            self.ledger.reject(
                where, f"la proposition n'a pas d'identifiant en {fields.get('id')!r}", "no_id"
            )
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
                problems.append(f"{FIGURE_WORDS[figure]} : {str(raw)[:30]!r} n'est pas un nombre")
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
