"""French formatting for reports: dates, numbers, weeks, sparklines (Jinja2 filters)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from typing import Any
from urllib.parse import urlsplit

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import NumberPattern, format_percent, parse_pattern

LOCALE = "fr_FR"
# Parsed once: pages print hundreds of numbers and dates, and Babel would parse the locale's name (and a
# number's pattern) again for each.
_FR = Locale.parse(LOCALE)
_BARS = "▁▂▃▄▅▆▇█"
_PLURAL = _FR.plural_form


@cache
def _number_pattern(pattern: str) -> NumberPattern:
    return parse_pattern(pattern)


@lru_cache(maxsize=8192)  # a page prints the same dates and numbers to every reader
def fr_date(value: date | datetime | str | None, pattern: str = "d MMMM y") -> str:
    """A date in French, the first of the month written « 1er ».

    >>> fr_date(date(2026, 7, 1)), fr_date(date(2026, 7, 14), "d MMMM"), fr_date("2026-11-01", "MMMM y")
    ('1er juillet 2026', '14 juillet', 'novembre 2026')
    """
    if value is None:
        return "—"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        text = format_datetime(value, pattern, locale=_FR)
    else:
        text = format_date(value, pattern, locale=_FR)
    if value.day == 1 and pattern.startswith("d ") and text.startswith("1 "):
        text = "1er" + text[1:]
    return text


def fr_day(value: date) -> str:
    """The day of the month alone: '1er', '16'."""
    return "1er" if value.day == 1 else str(value.day)


def quarter_name(label: str) -> str:
    """'2026Q3' -> '3e trimestre 2026' ('1er trimestre' for the first).

    >>> quarter_name("2026Q3"), quarter_name("2025q1")
    ('3e trimestre 2026', '1er trimestre 2025')
    """
    year, q = label.upper().split("Q")
    return f"{'1er' if q == '1' else q + 'e'} trimestre {year}"


def week_name(monday: date | str) -> str:
    """'semaine du 16 au 22 novembre 2026'.

    >>> week_name(date(2026, 11, 16)), week_name(date(2026, 6, 29))
    ('semaine du 16 au 22 novembre 2026', 'semaine du 29 juin au 5 juillet 2026')
    >>> week_name(date(2026, 6, 1)), week_name(date(2026, 10, 26))  # the first of the month: 1er
    ('semaine du 1er au 7 juin 2026', 'semaine du 26 octobre au 1er novembre 2026')
    """
    if isinstance(monday, str):
        monday = date.fromisoformat(monday[:10])
    return "semaine " + week_range(monday)


@lru_cache(maxsize=8192)
def fr_number(value: float | int | None, digits: int = 0) -> str:
    """A number in French: '1 234', '3,14' (a narrow no-break space between thousands).

    >>> fr_number(1234.5), fr_number(3.14159, 2), fr_number(None)
    ('1\u202f234', '3,14', '—')
    """
    if value is None:
        return "—"
    return _number_pattern("#,##0" + ("." + "0" * digits if digits else "")).apply(value, _FR)


def fr_percent(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return format_percent(value, format="#,##0." + "0" * digits + " %", locale=_FR)


def fr_change(value: float | None, digits: int = 1) -> str:
    """A relative change with its sign: '+12,5 %', '−3,0 %'.

    >>> fr_change(0.125), fr_change(-0.03), fr_change(None)
    ('+12,5 %', '−3,0 %', '—')
    """
    if value is None:
        return "—"
    return _with_sign(value, fr_percent(abs(value), digits))


def fr_signed(value: float, digits: int = 1) -> str:
    """A number with its sign: '+2,3', '−1,0'.

    >>> fr_signed(2.34), fr_signed(-1.0)
    ('+2,3', '−1,0')
    """
    return _with_sign(value, fr_number(abs(value), digits))


def _with_sign(value: float, text: str) -> str:
    return ("−" if value < 0 else "+") + text


def fr_ratio(value: float | None) -> str:
    """A growth factor: '×10,9'."""
    if value is None:
        return "—"
    return "×" + _number_pattern("#,##0.0" if value < 100 else "#,##0").apply(value, _FR)


def week_range(monday: date) -> str:
    """'du 16 au 22 novembre 2026'; across two years, both years."""
    sunday = monday + timedelta(days=6)
    if monday.month == sunday.month:
        return f"du {fr_day(monday)} au {fr_date(sunday)}"
    first = fr_date(monday, "d MMMM" if monday.year == sunday.year else "d MMMM y")
    return f"du {first} au {fr_date(sunday)}"


def plural(count: int | float, one: str, many: str) -> str:
    """The form of a noun for ``count`` by the French plural rule (CLDR, through Babel): 0 and 1 take the
    singular, as do 1,5 and other values below 2.

    >>> plural(0, "signal", "signaux"), plural(1, "commune", "communes"), plural(2, "signal", "signaux")
    ('signal', 'commune', 'signaux')
    """
    return one if _PLURAL(abs(count)) == "one" else many


def counted(count: int | float, one: str, many: str) -> str:
    """'1 commune', '3 communes', '1 624 documents'."""
    return f"{fr_number(count)} {plural(count, one, many)}"


def sparkline(values: list[float] | list[int]) -> str:
    """Unicode bars, one per value: '▁▁▂▃▅█'."""
    if not values:
        return ""
    top = max(values)
    if top <= 0:
        return _BARS[0] * len(values)
    return "".join(_BARS[min(int(v / top * (len(_BARS) - 1) + 0.5), len(_BARS) - 1)] for v in values)


def safe_url(value: str | None) -> str | None:
    """The URL if it is a web address (http, https), else None: a document's link never runs script.

    >>> safe_url("https://echo.example/a?b=1"), safe_url(" JavaScript:alert(1)"), safe_url("data:text/html,x")
    ('https://echo.example/a?b=1', None, None)
    """
    if not value:
        return None
    value = value.strip()
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    return value if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def capfirst(text: str) -> str:
    """A capital on the first letter only (Jinja's ``capitalize`` lowers the rest: 'Lirac' would go).

    >>> capfirst("punaises de lit à Lirac-sur-Lirette")
    'Punaises de lit à Lirac-sur-Lirette'
    """
    return text[:1].upper() + text[1:]


FILTERS: dict[str, Any] = {
    "capfirst": capfirst,
    "fr_date": fr_date,
    "fr_number": fr_number,
    "fr_percent": fr_percent,
    "fr_ratio": fr_ratio,
    "fr_change": fr_change,
    "week_range": week_range,
    "week_name": week_name,
    "quarter_name": quarter_name,
    "plural": plural,
    "counted": counted,
    "fr_day": fr_day,
    "sparkline": sparkline,
    "safe_url": safe_url,
}
