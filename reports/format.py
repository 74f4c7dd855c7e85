"""French formatting for reports: dates, numbers, weeks, sparklines (Jinja2 filters)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent

LOCALE = "fr_FR"
_BARS = "▁▂▃▄▅▆▇█"


def fr_date(value: date | datetime | str | None, pattern: str = "d MMMM y") -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        return format_datetime(value, pattern, locale=LOCALE)
    return format_date(value, pattern, locale=LOCALE)


def fr_number(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=LOCALE)


def fr_percent(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return format_percent(value, format="#,##0." + "0" * digits + " %", locale=LOCALE)


def fr_change(value: float | None, digits: int = 1) -> str:
    """A relative change with its sign: '+12,5 %', '−3,0 %'.

    >>> fr_change(0.125), fr_change(-0.03), fr_change(None)
    ('+12,5 %', '−3,0 %', '—')
    """
    if value is None:
        return "—"
    text = fr_percent(abs(value), digits)
    return ("−" if value < 0 else "+") + text


def fr_ratio(value: float | None) -> str:
    """A growth factor: '×10,9'."""
    if value is None:
        return "—"
    return "×" + format_decimal(value, format="#,##0.0" if value < 100 else "#,##0", locale=LOCALE)


def week_range(monday: date) -> str:
    sunday = monday + timedelta(days=6)
    if monday.month == sunday.month:
        return f"du {monday.day} au {fr_date(sunday)}"
    return f"du {fr_date(monday, 'd MMMM')} au {fr_date(sunday)}"


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


FILTERS: dict[str, Any] = {
    "fr_date": fr_date,
    "fr_number": fr_number,
    "fr_percent": fr_percent,
    "fr_ratio": fr_ratio,
    "fr_change": fr_change,
    "week_range": week_range,
    "sparkline": sparkline,
    "safe_url": safe_url,
}
