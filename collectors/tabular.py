"""Tabular open data with French conventions: encodings, delimiters, decimal commas, periods.

Pure functions over bytes and strings, used by the ``series`` spider.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from collectors.enrich import fold

MISSING = {"", "na", "n/a", "nd", "n.d.", "nc", "n.c.", "s", "secret", "-", "--", "null", "none", "nan", "…"}


class TableError(ValueError):
    """A whole file that cannot be read as a table; ``code`` is the reject code."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def decode(body: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Text of a file and the encoding used: the declared one, else UTF-8 (BOM or not), else cp1252.

    >>> decode("Nuitées".encode("cp1252"))
    ('Nuitées', 'cp1252')
    >>> decode(b"\\xef\\xbb\\xbfCommune;Mois")
    ('Commune;Mois', 'utf-8-sig')
    """
    if encoding:
        try:
            return body.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError):
            pass  # a wrong declaration is common; guess instead
    if body.startswith(b"\xef\xbb\xbf"):
        return body[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return body.decode("utf-16"), "utf-16"
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return body.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:  # bytes cp1252 leaves undefined (0x81...): latin-1 maps every byte
        return body.decode("latin-1"), "latin-1"


def sniff_delimiter(text: str) -> str:
    """The delimiter of a CSV text among ``;``, ``,``, tab and ``|``: the one splitting the header best.

    >>> sniff_delimiter("Commune;Mois;Valeur\\nA;2025-01;1,5"), sniff_delimiter("a,b\\n1,2")
    (';', ',')
    """
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if not lines:
        return ";"
    best, best_score = ";", -1
    for candidate in (";", "\t", ",", "|"):
        counts = [len(next(csv.reader([line], delimiter=candidate))) for line in lines]
        # consistent column counts across lines beat a delimiter that merely appears often
        score = counts[0] * 10 - len(set(counts)) if counts[0] > 1 else 0
        if score > best_score:
            best, best_score = candidate, score
    return best


_THOUSANDS_DOT = re.compile(r"^-?\d{1,3}(\.\d{3})+$")


def parse_number(text: str, decimal: str = ",") -> float | None:
    """A number written the French way (or not); None for a missing value marker ("", "NA", "s"...).

    >>> parse_number("1 234,5"), parse_number("1\\u202f234,5"), parse_number("1.234"), parse_number("12.5")
    (1234.5, 1234.5, 1234.0, 12.5)
    >>> parse_number("1,234.5", decimal="."), parse_number("s"), parse_number("12 %")
    (1234.5, None, 12.0)
    """
    value = text.strip()
    if value.casefold() in MISSING:
        return None
    value = re.sub(r"[\s\u00a0\u202f'%€]", "", value)
    if decimal == ",":
        if "," in value:
            value = value.replace(".", "").replace(",", ".")
        elif _THOUSANDS_DOT.match(value):
            value = value.replace(".", "")
    else:
        value = value.replace(",", "")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"{text!r} is not a finite number")
    return number


_MONTHS_FR = {
    "janv": 1, "janvier": 1, "fev": 2, "fevr": 2, "fevrier": 2, "mars": 3, "avr": 4, "avril": 4, "mai": 5,
    "juin": 6, "juil": 7, "juillet": 7, "aout": 8, "sept": 9, "septembre": 9, "oct": 10, "octobre": 10,
    "nov": 11, "novembre": 11, "dec": 12, "decembre": 12,
}  # fmt: skip
_PERIOD_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})"), "ymd"),
    (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$"), "dmy"),
    (re.compile(r"^(\d{4})[-/.]?(\d{2})$"), "ym"),
    (re.compile(r"^(\d{4})-?m(\d{1,2})$", re.I), "ym"),
    (re.compile(r"^(\d{1,2})[/.-](\d{4})$"), "my"),
    (re.compile(r"^(\d{4})[- ]?[tq](\d)$", re.I), "yq"),
    (re.compile(r"^[tq](\d)[- ]?(\d{4})$", re.I), "qy"),
    (re.compile(r"^(\d{4})$"), "y"),
]


def parse_period(text: str) -> date:
    """The first day of the period a cell names: a day, month, quarter or year, in the usual French forms.

    >>> [parse_period(p).isoformat() for p in ("2025-03", "03/2025", "2025-03-15", "mars 2025", "2025-T2")]
    ['2025-03-01', '2025-03-01', '2025-03-15', '2025-03-01', '2025-04-01']
    >>> parse_period("2025"), parse_period("15/03/2025")
    (datetime.date(2025, 1, 1), datetime.date(2025, 3, 15))
    """
    value = text.strip()
    for pattern, form in _PERIOD_PATTERNS:
        match = pattern.match(value)
        if not match:
            continue
        g = [int(x) for x in match.groups()]
        try:
            if form == "ymd":
                return date(g[0], g[1], g[2])
            if form == "dmy":
                return date(g[2], g[1], g[0])
            if form == "ym":
                return date(g[0], g[1], 1)
            if form == "my":
                return date(g[1], g[0], 1)
            if form in ("yq", "qy"):
                year, quarter = (g[0], g[1]) if form == "yq" else (g[1], g[0])
                if 1 <= quarter <= 4:
                    return date(year, 3 * quarter - 2, 1)
            if form == "y":
                return date(g[0], 1, 1)
        except ValueError:
            break
    words = fold(value).split()
    if len(words) == 2 and words[0].rstrip(".") in _MONTHS_FR and words[1].isdigit() and len(words[1]) == 4:
        return date(int(words[1]), _MONTHS_FR[words[0].rstrip(".")], 1)
    raise ValueError(f"{text!r} is not a period (expected e.g. 2025-03, 03/2025, 2025-T1, 2025)")


def dotted(data: Any, path: str | None) -> Any:
    """The value at a dotted path in nested JSON (``links.next``, ``author.name``, ``items.0.id``).

    >>> data = {"links": {"next": "p2"}, "items": [{"id": 7}]}
    >>> dotted(data, "links.next"), dotted(data, "items.0.id")
    ('p2', 7)
    >>> dotted({"a": 1}, "b.c") is None
    True
    """
    if not path:
        return data
    current = data
    for part in path.split("."):
        if isinstance(current, dict):
            current = current.get(part)
        elif (
            isinstance(current, list)
            and part.lstrip("-").isdigit()
            and -len(current) <= int(part) < len(current)
        ):
            current = current[int(part)]
        else:
            return None
        if current is None:
            return None
    return current


def csv_records(
    text: str, delimiter: str | None
) -> tuple[list[str], Iterator[tuple[int, dict[str, str] | None]]]:
    """Header and records of a CSV text; a record of the wrong width comes as (line, None).

    >>> header, rows = csv_records("A;B\\n1;2\\n3\\n", None)
    >>> header, list(rows)
    (['A', 'B'], [(2, {'A': '1', 'B': '2'}), (3, None)])
    """
    sep = delimiter or sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    header: list[str] = []
    for row in reader:
        if any(cell.strip() for cell in row):
            header = [cell.strip() for cell in row]
            break
    if not header:
        raise TableError("empty_table", "no header line")

    def records() -> Iterator[tuple[int, dict[str, str] | None]]:
        try:
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) != len(header):
                    yield reader.line_num, None
                    continue
                yield reader.line_num, dict(zip(header, row, strict=True))
        except csv.Error:
            yield reader.line_num, None

    return header, records()


def json_records(text: str, records_path: str | None) -> list[Any]:
    """Records of a JSON document at ``records_path`` (the whole document when it is a list)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TableError("malformed_json", f"JSON is malformed: {exc}") from None
    records = dotted(data, records_path)
    if not isinstance(records, list):
        where = f"at {records_path!r}" if records_path else "at the top level"
        raise TableError("unexpected_json", f"no list of records {where}")
    return records
