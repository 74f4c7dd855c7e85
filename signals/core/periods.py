"""Weeks, quarters and dates in the territory's time zone.

The service reasons in ISO weeks (Monday to Sunday, local time). A week is identified by its Monday
(``date``) or by its label ``YYYY-Www``; a quarter by ``YYYYQn``. Datetimes are stored in UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_WEEK = re.compile(r"^(\d{4})-?W(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$")


def to_utc(value: datetime, tz: ZoneInfo) -> datetime:
    """Aware UTC datetime; a naive value is read as local time in ``tz``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


def local_date(value: datetime, tz: ZoneInfo) -> date:
    return to_utc(value, tz).astimezone(tz).date()


def week_start(day: date) -> date:
    """Monday of the ISO week containing ``day``."""
    return day - timedelta(days=day.weekday())


def week_of(value: datetime, tz: ZoneInfo) -> date:
    return week_start(local_date(value, tz))


def week_label(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(label: str) -> date:
    """``2025-W03`` -> the Monday of that ISO week. Raises ValueError with the expected format."""
    match = _WEEK.match(label.strip())
    if not match:
        raise ValueError(f"semaine {label!r} : la forme attendue est AAAA-Wss (par exemple 2025-W03)")
    year, week = int(match.group(1)), int(match.group(2))
    try:
        return date.fromisocalendar(year, week, 1)
    except ValueError:
        weeks = date(year, 12, 28).isocalendar()[1] if 1 <= year <= 9999 else 52
        raise ValueError(f"semaine {label!r} : elle n'existe pas ({year} compte {weeks} semaines)") from None


def parse_quarter(label: str) -> tuple[date, date]:
    """``2025Q1`` -> (first day, last day) of the quarter."""
    match = _QUARTER.match(label.strip().upper())
    if not match:
        raise ValueError(f"trimestre {label!r} : la forme attendue est AAAAQn (par exemple 2025Q1)")
    year, q = int(match.group(1)), int(match.group(2))
    start = date(year, 3 * q - 2, 1)
    end = date(year + (q == 4), (3 * q) % 12 + 1, 1) - timedelta(days=1)
    return start, end


def quarter_label(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def end_of_day_utc(day: date, tz: ZoneInfo) -> datetime:
    """The last instant of ``day`` in local time, as aware UTC (the cut-off of an ``--as-of`` analysis)."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz).astimezone(UTC) - timedelta(
        microseconds=1
    )


def start_of_day_utc(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def last_complete_week(today: date) -> date:
    """Monday of the last week that has fully ended before ``today``."""
    return week_start(today) - timedelta(days=7)


def weeks_between(first: date, last: date) -> list[date]:
    """Mondays from the week of ``first`` to the week of ``last``, inclusive."""
    start, stop = week_start(first), week_start(last)
    count = (stop - start).days // 7 + 1
    return [start + timedelta(weeks=i) for i in range(max(count, 0))]
