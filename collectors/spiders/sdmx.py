"""Statistical series through SDMX (INSEE's BDM and other SDMX 2.1 REST services): a data query's answer in
SDMX-ML, read with the ``sdmx1`` library (generic or structure-specific data, without the data structure
definition), or in SDMX-CSV (one observation a row); each observation becomes an observation of the
project, its period from ``TIME_PERIOD``, its value from ``OBS_VALUE`` scaled by ``UNIT_MULT``.

The series key ends with the value of ``key`` (INSEE: ``IDBANK``), or with the territory it is mapped to in
``territories``. Each run asks from the newest stored period on (SDMX's ``startPeriod``). An SDMX error
message fails the source with its text; a series without its key, or an observation without a period or a
value, is rejected with the name of what is missing.
"""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlencode

from lxml import etree
from scrapy.http import Request, Response

from collectors.spiders.base import SourceSpider
from collectors.spiders.series import ObservationRows
from collectors.tabular import TableError, csv_records, decode

PERIOD, VALUE, MULTIPLIER = "TIME_PERIOD", "OBS_VALUE", "UNIT_MULT"
SDMX_ERROR = "erreur SDMX"  # the lead of the reason of an SDMX error message
MISSING_STATUS = {"M", "O", "L"}  # SDMX observation status codes for a missing value


def _text(value: Any) -> str:
    """A key or attribute value as text (sdmx1 wraps them in KeyValue / AttributeValue objects)."""
    inner = getattr(value, "value", value)
    return str(getattr(inner, "id", inner))


def error_message(body: bytes) -> str | None:
    """The code and text of an SDMX-ML error message (which sdmx1 does not read), None for other messages.

    >>> error_message(b'<m:Error xmlns:m="m" xmlns:c="c"><m:ErrorMessage code="100"><c:Text>NoRecordsFound'
    ...               b'</c:Text></m:ErrorMessage></m:Error>')
    '100: NoRecordsFound'
    """
    if b"ErrorMessage" not in body[:4000]:
        return None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError:
        return None
    for element in root.iter("{*}ErrorMessage"):
        texts = " ".join(t.text or "" for t in element.iter("{*}Text")).strip()
        return f"{element.get('code', '?')}: {texts or 'sans texte'}"
    return None


def ml_rows(body: bytes) -> Iterator[dict[str, str]]:
    """One dict a observation of an SDMX-ML data message: series key and attributes, period, value,
    observation attributes. Raises ValueError with the message's text for an SDMX error message."""
    import sdmx

    error = error_message(body)
    if error:
        raise ValueError(f"{SDMX_ERROR} {error}")
    logging.getLogger("sdmx").setLevel(logging.ERROR)  # "no structure" warnings: expected here
    message = sdmx.read_sdmx(io.BytesIO(body))
    for dataset in getattr(message, "data", []):
        for key, observations in dataset.series.items():
            base = {name: _text(value) for name, value in key.values.items()}
            base |= {name: _text(value) for name, value in getattr(key, "attrib", {}).items()}
            for obs in observations:
                row = dict(base)
                row |= {name: _text(value) for name, value in obs.dimension.values.items()}
                row |= {name: _text(value) for name, value in obs.attached_attribute.items()}
                row[VALUE] = "" if obs.value is None else str(obs.value)
                yield row


class SdmxSpider(ObservationRows, SourceSpider):
    """One SDMX data query."""

    name = "sdmx"
    kind = "sdmx"

    async def start(self) -> AsyncIterator[Request]:
        url = self.source.url
        since = self.context.newest_date()
        if since is not None:
            url += ("&" if "?" in url else "?") + urlencode({"startPeriod": f"{since:%Y-%m}"})
            self.ledger.count("incremental")
        yield self.page_request(url, page=1)

    def parse_page(self, response: Response) -> Any:
        try:
            rows = self._rows(response)
        except TableError as exc:
            self.ledger.page_failed(response.url, f"{response.url} : {exc.reason}"[:300], exc.code)
            return
        for position, row in enumerate(rows, 1):
            item = self._observation(row, f"{response.url} observation {position}")
            if item is not None:
                yield item

    def _rows(self, response: Response) -> list[dict[str, str]]:
        if self.source.format == "csv":
            text, _ = decode(response.body)
            header, records = csv_records(text, ",")
            missing = [name for name in (PERIOD, VALUE, self.source.key) if name not in header]
            if missing:
                raise TableError("schema_changed", f"colonnes absentes du SDMX-CSV : {', '.join(missing)}")
            return [row if row is not None else {} for _, row in records]
        try:
            return list(ml_rows(response.body))
        except ValueError as exc:
            if str(exc).startswith(SDMX_ERROR):
                raise TableError("sdmx_error", str(exc)) from None
            detail = str(exc)
        except Exception as exc:  # sdmx1 raises several types (AssertionError, RuntimeError, XMLParseError)
            detail = f"{type(exc).__name__}: {exc}"
        raise TableError("malformed_sdmx", f"pas un message de données SDMX-ML ({detail})")

    def _observation(self, row: dict[str, str], where: str) -> Any:
        source = self.source
        code = row.get(source.key)
        if not code:
            self.ledger.reject(where, f"observation sans {source.key} (la clé de la série)", "schema_changed")
            return None
        if row.get("OBS_STATUS") in MISSING_STATUS or row.get(VALUE, "").lower() in ("", "nan", "na"):
            self.ledger.reject(
                where,
                f"pas de valeur pour {row.get(PERIOD)} (statut {row.get('OBS_STATUS') or '-'})",
                "missing_value",
            )
            return None
        scale = row.get(MULTIPLIER, "0") if source.unit_multiplier else "0"
        try:
            row = row | {VALUE: str(float(row[VALUE]) * 10 ** int(scale or 0))}
        except ValueError:
            self.ledger.reject(
                where,
                f"{VALUE} {row[VALUE][:30]!r} ou {MULTIPLIER} {scale!r} n'est pas un nombre",
                "bad_value",
            )
            return None
        territory = source.territories.get(code)
        columns = {"period": PERIOD, "value": VALUE} | (
            {"territory": "_territory"} if territory else {"series": source.key}
        )
        return self.observation(
            row | {"_territory": territory or ""}, where, dict.get, columns, source.series, source.unit, "."
        )
