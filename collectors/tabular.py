"""Tabular open data with French conventions: encodings, delimiters, records (cells: ``signals.core.parsing``).

Pure functions over bytes and strings, used by the ``series`` spider.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

WRONG_WIDTH = "la ligne n'a pas le nombre de cellules de l'en-tête"  # a record (line, None) of csv_records


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
        raise TableError("empty_table", "pas de ligne d'en-tête")

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
        raise TableError("malformed_json", f"JSON mal formé : {exc}") from None
    records = dotted(data, records_path)
    if not isinstance(records, list):
        where = f"en {records_path!r}" if records_path else "au premier niveau"
        raise TableError("unexpected_json", f"pas de liste d'enregistrements {where}")
    return records
