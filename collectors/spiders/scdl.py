"""Deliberations published under the SCDL « Délibérations » schema: a CSV file with one act per row
(collectivity, SIRET, number, adoption date, subject matter from the ACTES nomenclature, object, budget,
votes, link to the act). Each act becomes one document dated by its adoption; when ``DELIB_URL`` links the
act (PDF or HTML page), its text is read as the listing kind reads a linked document, else the row's
object is the text.

Rows are checked against the schema (``collectors.scdl``): a row breaking a required column is rejected
with the column and the reason; an optional cell that breaks its type is noted on the document. A file
without the schema's required columns fails with the missing columns named. Acts already stored (their
link known) are not fetched again.
"""

from __future__ import annotations

from typing import Any

from scrapy.http import Request, Response
from twisted.python.failure import Failure

from collectors import scdl
from collectors.enrich import parse_date
from collectors.items import DocumentItem
from collectors.spiders.base import describe_failure
from collectors.spiders.listing import ListingSpider
from collectors.tabular import WRONG_WIDTH, TableError, csv_records, decode


class ScdlDeliberationsSpider(ListingSpider):
    """One SCDL file; every row checked on its own."""

    name = "scdl_deliberations"
    kind = "scdl_deliberations"

    def parse_page(self, response: Response) -> Any:
        text, encoding = decode(response.body, self.source.encoding)
        if self.source.encoding and encoding != self.source.encoding:
            self.ledger.count("encoding_guessed")
        try:
            header, rows = csv_records(text, self.source.delimiter)
        except TableError as exc:
            self.ledger.page_failed(response.url, f"{response.url} : {exc.reason}", exc.code)
            return
        missing = scdl.missing_columns(header)
        if missing:
            self.ledger.page_failed(
                response.url,
                f"{response.url} ne suit pas le schéma SCDL, colonnes manquantes : {', '.join(missing)} "
                f"(trouvées : {', '.join(header[:10])})",
                "schema_changed",
            )
            return
        acts = []
        for line, row in rows:
            where = f"{response.url} ligne {line}"
            if row is None:
                self.ledger.reject(where, WRONG_WIDTH, "malformed_row")
                continue
            act, reason = scdl.read_act(row)
            if act is None:
                self.ledger.reject(where, reason, "schema_violation")
                continue
            acts.append((where, act, act.url(response.url)))
        known = self.known([url for _, _, url in acts if url and self.source.read_documents])
        for where, act, url in acts:
            if url in known:
                continue
            entry = self._entry_of(act, url, where)
            if url and self.source.read_documents:
                yield Request(
                    url,
                    callback=self.parse_document,
                    errback=self.act_unreadable,
                    cb_kwargs={"entry": entry},
                )
            else:
                yield self._row_document(entry)

    @staticmethod
    def _entry_of(act: scdl.Act, url: str | None, where: str) -> dict[str, Any]:
        cells = act.cells
        extra: dict[str, Any] = {
            "collectivity": cells["COLL_NOM"],
            "siret": cells["COLL_SIRET"],
            "matter_code": cells["DELIB_MATIERE_CODE"],
            "matter": cells["DELIB_MATIERE_NOM"],
        }
        if cells.get("BUDGET_ANNEE") and not any(p.startswith("BUDGET_ANNEE") for p in act.problems):
            extra["budget_year"] = cells["BUDGET_ANNEE"]
        if act.votes:
            extra["votes"] = act.votes
        return {
            "url": url,
            "title": cells["DELIB_OBJET"],
            "date": act.adopted.isoformat(),
            "number": cells["DELIB_ID"],
            "row": where,
            "scdl": extra,
            "problems": act.problems,
        }

    def _commune(self, collectivity: str) -> str:
        """The commune a collectivity's name holds ("Commune de Fontclaire"), else the name itself."""
        return self.context.crawl.gazetteer.detect(collectivity) or collectivity

    def _row_document(self, entry: dict[str, Any], problem: str | None = None) -> DocumentItem:
        """The act from its row alone: its object as title and text."""
        scdl_extra = entry["scdl"]
        item = DocumentItem(
            source=self.source.name,
            url=None,
            title=entry["title"],
            text=f"{entry['title']}. {scdl_extra['matter']}.",
            published_at=parse_date(entry["date"], self.context.crawl.tz),
            territory_hint=self._commune(scdl_extra["collectivity"]),
            external_id=f"{scdl_extra['siret']}/{entry['number']}",
            problems=list(entry["problems"]) + ([problem] if problem else []),
        )
        item.extra = {"document": "row", "number": entry["number"], "date": entry["date"]} | scdl_extra
        return item

    def parse_document(self, response: Response, entry: dict[str, Any]) -> Any:
        item = super().parse_document(response, entry)
        if item is None:
            return None
        item.extra |= entry["scdl"] | {"number": entry["number"], "date": entry["date"]}
        item.external_id = f"{entry['scdl']['siret']}/{entry['number']}"
        item.territory_hint = self._commune(entry["scdl"]["collectivity"])
        item.problems.extend(entry["problems"])
        return item

    def act_unreadable(self, failure: Failure) -> Any:
        """The linked act cannot be fetched: the act is kept from its row, with the reason noted."""
        entry = failure.request.cb_kwargs["entry"]  # type: ignore[attr-defined]
        code, reason, _ = describe_failure(failure, entry["url"])
        self.ledger.count("acts_unreadable")
        return self._row_document(entry, f"acte non lu ({code}) : {reason}")
