"""Indicators as the quarterly report shows and the forecast stage forecasts them: the series' monthly values
per place and for the whole territory (summed, or averaged for rates and averages).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from signals.core.schema import TOPIC_VOLUME_SERIES, Observation

_AVERAGED_UNITS = ("%", "/", "indice", "index", "µg", "moyenne", "taux", "°")


def averaged_unit(unit: str | None) -> bool:
    return bool(unit) and any(marker in unit.lower() for marker in _AVERAGED_UNITS)


def month_of(day: date) -> date:
    return day.replace(day=1)


def combine(values: list[float], averaged: bool) -> float:
    return sum(values) / len(values) if averaged else sum(values)


def total(months: list[tuple[date, float]], first: date, last: date, averaged: bool) -> float | None:
    """The months' values from ``first`` to ``last`` combined, or None when there is none."""
    inside = [v for m, v in months if first <= m <= last]
    return combine(inside, averaged) if inside else None


@dataclass
class IndicatorHistory:
    """An indicator's monthly values per place and for the whole territory (summed, or averaged for rates
    and averages), up to a day."""

    unit: str | None
    averaged: bool
    by_place: dict[str, dict[date, float]]
    territory: list[tuple[date, float]]


def indicator_histories(session: Session, end: date) -> dict[str, IndicatorHistory]:
    """Every indicator (the series key before '/') with its monthly history up to ``end``: what the
    report shows and what the forecast stage forecasts for it."""
    observations = session.execute(
        select(
            Observation.series, Observation.period, Observation.value, Observation.unit, Observation.territory
        ).where(Observation.period <= end, Observation.series.not_like(f"{TOPIC_VOLUME_SERIES}/%"))
    ).all()
    # indicator -> territory -> month -> values
    values: dict[str, dict[str, dict[date, list[float]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    units: dict[str, str | None] = {}
    for series, period, value, unit, territory in observations:
        indicator = series.split("/", 1)[0]
        units.setdefault(indicator, unit)
        values[indicator][territory or series.split("/", 1)[-1]][month_of(period)].append(value)
    out = {}
    for indicator in sorted(values):
        averaged = averaged_unit(units[indicator])
        by_place = {
            place: {m: combine(v, averaged) for m, v in months.items()}
            for place, months in values[indicator].items()
        }
        territory: dict[date, list[float]] = defaultdict(list)
        for months in by_place.values():
            for month, value in months.items():
                territory[month].append(value)
        history = sorted((m, combine(v, averaged)) for m, v in territory.items())
        out[indicator] = IndicatorHistory(units[indicator], averaged, by_place, history)
    return out
