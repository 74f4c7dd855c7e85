"""Tabular open data (CSV with French conventions, or JSON) mapped to observations by the source's
``columns``: each row gives a period, a value and optionally a territory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from collectors.items import ObservationItem
from collectors.spiders.base import SourceSpider
from collectors.tabular import (
    WRONG_WIDTH,
    TableError,
    csv_records,
    decode,
    dotted,
    json_records,
)
from signals.core.parsing import parse_number, parse_period, slug


class ObservationRows:
    """Mixin of a spider reading rows of a table into observations (the series and open-data kinds)."""

    source: Any
    ledger: Any
    context: Any

    def observation(
        self,
        row: dict[str, Any],
        where: str,
        get: Any,
        columns: dict[str, str],
        prefix: str,
        unit: str | None,
        decimal: str = ",",
    ) -> ObservationItem | None:
        """The observation of one row, whose ``columns`` name its period, value, and optionally its territory
        and ``series`` (a column whose value ends the series key); None (rejected with a reason) otherwise."""
        source = self.source
        raw_period, raw_value = get(row, columns["period"]), get(row, columns["value"])
        try:
            period = parse_period(str(raw_period if raw_period is not None else ""))
        except ValueError as exc:
            self.ledger.reject(where, str(exc), "bad_period")
            return None
        try:
            value = (
                raw_value
                if isinstance(raw_value, int | float) and not isinstance(raw_value, bool)
                else (parse_number(str(raw_value if raw_value is not None else ""), decimal))
            )
        except ValueError as exc:
            self.ledger.reject(where, str(exc), "bad_value")
            return None
        if value is None:
            self.ledger.reject(
                where, f"pas de valeur pour {period:%Y-%m} ({str(raw_value)!r})", "missing_value"
            )
            return None
        territory = source.territory
        if "territory" in columns:
            label = str(get(row, columns["territory"]) or "").strip()
            territory = self.context.crawl.gazetteer.canonical(label) or label or territory
        series = prefix
        if "series" in columns:
            part = slug(str(get(row, columns["series"]) or ""))
            series += f".{part}" if part else ""
        series += f"/{slug(territory)}" if territory else ""
        return ObservationItem(
            source=source.name,
            series=series,
            period=period,
            value=float(value),
            unit=unit,
            territory=territory,
            row=where,
        )


class SeriesSpider(ObservationRows, SourceSpider):
    """One data file; every row is checked on its own (a bad row is rejected, the others are kept)."""

    name = "series"
    kind = "series"

    def parse_page(self, response: Response) -> Any:
        return self.read_table(response, self.source.format)

    def read_table(self, response: Response, fmt: str) -> Any:
        """Observations of a table file (``fmt``: csv or json), row by row."""
        source = self.source
        text, encoding = decode(response.body, source.encoding)
        if source.encoding and encoding != source.encoding:
            self.ledger.count("encoding_guessed")
        try:
            if fmt == "json":
                records = json_records(text, source.records_path)
                rows: Iterator[tuple[str, dict[str, Any] | None]] = (
                    (f"{response.url} enregistrement {n}", r if isinstance(r, dict) else None)
                    for n, r in enumerate(records, 1)
                )
                get = dotted
            else:
                header, csv_rows = csv_records(text, source.delimiter)
                missing = [name for name in source.columns.values() if name not in header]
                if missing:
                    raise TableError(
                        "missing_column",
                        f"colonnes absentes de l'en-tête de {response.url} : {missing} (trouvées : {header[:12]})",
                    )
                rows = ((f"{response.url} ligne {line}", row) for line, row in csv_rows)
                get = _cell
        except TableError as exc:
            self.ledger.page_failed(
                response.url,
                exc.reason if response.url in exc.reason else f"{response.url} : {exc.reason}",
                exc.code,
            )
            return
        for where, row in rows:
            if row is None:
                self.ledger.reject(where, WRONG_WIDTH, "malformed_row")
                continue
            item = self._observation(row, where, get)
            if item is not None:
                yield item

    def _observation(self, row: dict[str, Any], where: str, get: Any) -> ObservationItem | None:
        source = self.source
        return self.observation(row, where, get, source.columns, source.series, source.unit, source.decimal)


def _cell(row: dict[str, str], column: str) -> str | None:
    return row.get(column)
