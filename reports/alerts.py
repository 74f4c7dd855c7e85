"""Alerts on series in the brief: an anomaly stays news until what came next is known, then it retires.

A series alert of an earlier week is shown with the values published since ("what happened next"), and its
chart goes on past the flagged value; once ``STALE_AFTER`` later values are known, or a newer alert on the
same series exists, it leaves the brief (the quarterly report keeps it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from reports.format import fr_date
from signals.core.schema import Observation

STALE_AFTER = 2  # later values: by then the reader knows whether the break lasted


@dataclass
class FollowUp:
    """What the series did after the flagged value."""

    values: list[tuple[date, float]]  # the values published since, oldest first
    back_in_band: bool | None  # the last of them inside the usual range (None: no later value yet)


def later_values(session: Session, series: str, after: date, until: date) -> list[tuple[date, float]]:
    """The series' values of the periods after ``after`` up to ``until`` (the brief's week end)."""
    rows = session.execute(
        select(Observation.period, Observation.value)
        .where(Observation.series == series, Observation.period > after, Observation.period <= until)
        .order_by(Observation.period)
    ).all()
    return [(p, float(v)) for p, v in rows]


def follow_up(metrics: dict, later: list[tuple[date, float]]) -> FollowUp:
    if not later:
        return FollowUp([], None)
    low, high = metrics.get("band_low"), metrics.get("band_high")
    inside = None if low is None or high is None else float(low) <= later[-1][1] <= float(high)
    return FollowUp(later, inside)


def is_stale(this_week: bool, later: list[tuple[date, float]]) -> bool:
    """An alert of an earlier week whose next values are known."""
    return not this_week and len(later) >= STALE_AFTER


def period_name(value: date | str) -> str:
    """A monthly period as readers say it: 'juillet 2026'."""
    return fr_date(value, "MMMM y")
