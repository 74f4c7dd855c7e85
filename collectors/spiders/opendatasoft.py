"""OpenDataSoft portals through the Explore API v2.1: the records of one dataset
(``/api/explore/v2.1/catalog/datasets/{dataset}/records``, answered as ``{"total_count", "results"}``),
paged with ``limit`` (at most 100) and ``offset`` (``offset + limit`` at most 10 000), or the whole dataset
from its JSON export (``/exports/json``, no such cap). Filters are ODSQL (``where``, ``order_by``).

Records become observations (``fields``: period, value, territory, series) or documents (title, text,
date, id, url, territory). With a ``date_field``, records are read in its order, from the newest day
already stored on (``date_field >= date'YYYY-MM-DD'``): each run reads only what is new or revised.

A mapped field absent from the dataset's records (its schema changed) fails the source with the field
named; the portal's own errors (``{"error_code", "message"}``) are reported with their message.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any
from urllib.parse import urlencode

from scrapy.http import Request, Response

from collectors.enrich import html_to_text, parse_date
from collectors.items import DocumentItem
from collectors.spiders.base import SourceSpider, portal_error
from collectors.spiders.series import ObservationRows

MAX_WINDOW = 10_000  # offset + limit of the records endpoint
_API_ERRORS = [400, 404]  # answered with a JSON body naming the problem


def records_url(base: str, dataset: str, params: dict[str, Any], export: bool = False) -> str:
    """The records (or JSON export) URL of a dataset on a portal.

    >>> records_url("https://data.example.fr/", "nuitees", {"limit": 100, "offset": 0})
    'https://data.example.fr/api/explore/v2.1/catalog/datasets/nuitees/records?limit=100&offset=0'
    """
    endpoint = "exports/json" if export else "records"
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{base.rstrip('/')}/api/explore/v2.1/catalog/datasets/{dataset}/{endpoint}?{query}"


def _field(record: dict[str, Any], name: str) -> Any:
    return record.get(name)


class OpenDataSoftSpider(ObservationRows, SourceSpider):
    """One dataset of a portal, page after page (or its export)."""

    name = "opendatasoft"
    kind = "opendatasoft"

    async def start(self) -> AsyncIterator[Request]:
        self.params = self.query()
        yield self.records_request(0, page=1)

    def query(self) -> dict[str, Any]:
        """``where`` and ``order_by`` of every request: the source's filter and the incremental bound."""
        source = self.source
        clauses = [f"({source.where})"] if source.where else []
        since: date | None = self.context.newest_date() if source.date_field else None
        if since is not None:
            clauses.append(f"{source.date_field} >= date'{since.isoformat()}'")
            self.ledger.count("incremental")
        return {"where": " and ".join(clauses) or None, "order_by": source.date_field}

    def records_request(self, offset: int, page: int) -> Request:
        source = self.source
        params = dict(self.params)
        if not source.export:
            params |= {"limit": source.page_size, "offset": offset}
        return Request(
            records_url(source.url, source.dataset, params, export=source.export),
            callback=self.read_page,
            errback=self.page_error,
            meta={"page": page, "offset": offset, "handle_httpstatus_list": [304, *_API_ERRORS]},
        )

    def parse_page(self, response: Response) -> Any:
        data = self.json_page(response)
        if data is None:
            return
        if response.status in _API_ERRORS:
            message = data.get("message") if isinstance(data, dict) else None
            reason = portal_error(response.url, response.status, message or data)
            code = "schema_changed" if "unknown field" in str(message).lower() else "api_error"
            self.ledger.page_failed(response.url, reason, code)
            return
        if self.source.export:
            records, total = data, None
        else:
            records, total = (
                (data.get("results"), data.get("total_count")) if isinstance(data, dict) else (None, None)
            )
            if not isinstance(total, int) or isinstance(total, bool):
                self.ledger.page_failed(
                    response.url, f"{response.url} : 'total_count' n'est pas un nombre", "unexpected_json"
                )
                return
        if not isinstance(records, list):
            what = "l'export n'est pas une liste" if self.source.export else "'results' n'est pas une liste"
            self.ledger.page_failed(response.url, f"{response.url} : {what}", "unexpected_json")
            return
        offset = int(response.meta["offset"])
        if not self.source.export and len(records) > self.source.page_size:
            self.ledger.reject(
                response.url,
                f"{len(records)} enregistrements sur une page demandée pour {self.source.page_size} : coupée là",
                "page_oversized",
            )
            records = records[: self.source.page_size]
        if offset == 0 and records and not self._schema_holds(records[0], response.url):
            return
        for position, record in enumerate(records, offset + 1):
            item = self._item(record, f"{response.url} enregistrement {position}")
            if item is not None:
                yield item
        request = self._next(response, offset + len(records), total, bool(records))
        if request is not None:
            yield request

    def _schema_holds(self, record: Any, url: str) -> bool:
        """The first record has every mapped field (else the dataset's schema changed: the source fails)."""
        if not isinstance(record, dict):
            return True  # rejected on its own
        missing = [name for name in self.source.fields.values() if name not in record]
        if missing:
            found = ", ".join(sorted(record)[:12])
            self.ledger.page_failed(
                url,
                f"le jeu de données {self.source.dataset!r} n'a plus de champ {missing[0]!r} (champs : {found})",
                "schema_changed",
            )
            return False
        return True

    def _next(self, response: Response, offset: int, total: int | None, progressed: bool) -> Request | None:
        if total is None or offset >= total or not progressed:
            return None
        page = int(response.meta["page"])
        if offset + self.source.page_size > MAX_WINDOW:
            self.ledger.reject(
                response.url,
                f"{total} enregistrements : l'API records s'arrête à {MAX_WINDOW} ; mettre export: true",
                "window_exceeded",
            )
            return None
        if not self.may_follow(page):
            if not self.ledger.full:
                self.ledger.reject(
                    response.url, f"enregistrements restants après max_pages ({page})", "max_pages"
                )
            return None
        return self.records_request(offset, page + 1)

    def _item(self, record: Any, where: str) -> Any:
        if not isinstance(record, dict):
            self.ledger.reject(
                where, f"l'enregistrement est un {type(record).__name__}, pas un objet", "malformed_record"
            )
            return None
        source = self.source
        if source.mode == "observations":
            return self.observation(record, where, _field, source.fields, source.series, source.unit, ".")
        return self._document(record, where)

    def _document(self, record: dict[str, Any], where: str) -> DocumentItem | None:
        fields = self.source.fields
        values = {key: record.get(name) for key, name in fields.items()}
        bad = [
            fields[k]
            for k in ("title", "text", "url", "territory")
            if k in fields and isinstance(values[k], dict | list)
        ]
        if bad:
            self.ledger.reject(where, f"le champ {bad[0]!r} n'est pas du texte", "malformed_record")
            return None
        raw_date = values.get("date")
        url = values.get("url")
        return DocumentItem(
            source=self.source.name,
            url=url if isinstance(url, str) else None,
            title=html_to_text(str(values.get("title") or "")),
            text=html_to_text(str(values.get("text") or "")),
            date_text=str(raw_date) if raw_date is not None else None,
            published_at=parse_date(raw_date, self.context.crawl.tz) if isinstance(raw_date, str) else None,
            territory_hint=values["territory"] if isinstance(values.get("territory"), str) else None,
            external_id=str(values["id"]) if values.get("id") is not None else None,
            extra={"kind": "record", "dataset": self.source.dataset},
        )
