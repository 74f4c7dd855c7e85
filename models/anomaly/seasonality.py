"""Seasonal phases: which slot of a cycle a timestamp falls in, so each slot learns its own normal value.

A daily series of web traffic is low every night; a monthly tourism series is high every August. Comparing
a point with the running mean of its own phase (same hour, same month...) instead of the overall mean keeps
the regular cycle from looking anomalous.

>>> from datetime import datetime
>>> phase_of(datetime(2024, 8, 15), "month_of_year")
8
>>> phase_of(datetime(2024, 8, 17, 14, 30), "weekend_hour")  # a Saturday afternoon
38
>>> phase_of(datetime(2024, 8, 17), "none")
0
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

Seasonality = Literal[
    "none", "hour_of_day", "weekend_hour", "hour_of_week", "day_of_week", "week_of_year", "month_of_year"
]
SEASONALITIES: tuple[str, ...] = (
    "none",
    "hour_of_day",
    "weekend_hour",
    "hour_of_week",
    "day_of_week",
    "week_of_year",
    "month_of_year",
)


def phase_of(t: datetime | date, seasonality: Seasonality) -> int:
    """The phase (cycle slot) of ``t``: an int, the same for every point that should look alike."""
    if seasonality == "none":
        return 0
    if seasonality == "month_of_year":
        return t.month
    if seasonality == "week_of_year":
        return min(t.isocalendar()[1], 52)  # ISO week 53 shares week 52's slot
    if seasonality == "day_of_week":
        return t.weekday()
    hour = t.hour if isinstance(t, datetime) else 0
    if seasonality == "hour_of_day":
        return hour
    if seasonality == "weekend_hour":
        return 24 * (t.weekday() >= 5) + hour
    if seasonality == "hour_of_week":
        return 24 * t.weekday() + hour
    raise ValueError(f"unknown seasonality {seasonality!r}; choose one of {', '.join(SEASONALITIES)}")
