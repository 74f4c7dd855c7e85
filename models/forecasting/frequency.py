"""The sampling frequency of a series: one concept for the whole project.

A series is daily, weekly, monthly, quarterly or yearly. Everything that depends on it is here: inferring
it from the period dates, its seasonal period (the cycle the seasonal naive repeats and the models
capture), its default forecast horizon, the dates that follow a history, the last day of a period, the
periods missing from a history, and each date's place in the seasonal cycle (for pooled seasonal profiles).

Monthly, quarterly and yearly periods are named by a date inside them: their first day (``start``, what
the importer stores), their last day (``end``) or another fixed day of the month (``day``); the anchor is
kept so that forecasts continue the way the history is written.

>>> import pandas as pd
>>> quarters = Frequency.infer(pd.to_datetime(["2024-01-01", "2024-04-01", "2024-07-01"]))
>>> quarters.name, quarters.season_length, quarters.default_horizon
('quarterly', 4, 8)
>>> quarters.future(pd.Timestamp("2024-07-01"), 2).strftime("%Y-%m-%d").tolist()
['2024-10-01', '2025-01-01']
>>> quarters.period_end(pd.Timestamp("2024-04-01").date())
datetime.date(2024, 6, 30)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import numpy as np
import pandas as pd

Name = Literal["daily", "weekly", "monthly", "quarterly", "yearly"]
Anchor = Literal["start", "end", "day"]

# name: (nominal days per step, months per step or 0, seasonal period, default horizon,
#        spacing range in days accepted by ``infer``, longest spacing ``nearest`` still calls it so)
_TABLE: dict[str, tuple[float, int, int, int, tuple[float, float], float]] = {
    "daily": (1.0, 0, 7, 28, (0.5, 1.5), 1.0),
    "weekly": (7.0, 0, 52, 13, (6.0, 8.0), 7.0),
    "monthly": (365.25 / 12, 1, 12, 24, (27.0, 32.0), 31.0),
    "quarterly": (365.25 / 4, 3, 4, 8, (85.0, 95.0), 92.0),
    "yearly": (365.25, 12, 1, 4, (360.0, 370.0), float("inf")),
}
NAMES: tuple[str, ...] = tuple(_TABLE)
_ADJECTIVES = {
    "daily": "quotidienne",
    "weekly": "hebdomadaire",
    "monthly": "mensuelle",
    "quarterly": "trimestrielle",
    "yearly": "annuelle",
}  # of a series, in the reasons readers see


@dataclass(frozen=True)
class Frequency:
    """A sampling frequency: ``name`` (daily ... yearly) and, for calendar months, the day ``anchor``.

    - ``season_length``: steps per seasonal cycle: a week of days, a year of weeks, months or quarters;
      1 for yearly data (no cycle a model could learn).
    - ``default_horizon``: steps forecast unless asked otherwise: 28 days, 13 weeks, 24 months,
      8 quarters, 4 years (the horizons of the forecasting competitions and of the reports' readers).
    """

    name: Name
    anchor: Anchor = "start"

    def __post_init__(self) -> None:
        if self.name not in _TABLE:
            raise ValueError(f"unknown frequency {self.name!r}: expected one of {', '.join(NAMES)}")

    @property
    def step_days(self) -> float:
        """Nominal length of one step in days (a month is 30.44)."""
        return _TABLE[self.name][0]

    @property
    def months(self) -> int:
        """Calendar months per step (0 for daily and weekly)."""
        return _TABLE[self.name][1]

    @property
    def season_length(self) -> int:
        return _TABLE[self.name][2]

    @property
    def default_horizon(self) -> int:
        return _TABLE[self.name][3]

    @property
    def adjective(self) -> str:
        """The French adjective of a series of this frequency: ``mensuelle``."""
        return _ADJECTIVES[self.name]

    def min_points(self, configured: int) -> int:
        """Points a history needs before it is forecast: the configured minimum, but never more than two
        seasonal cycles (at least 4 points), so that quarterly figures get a forecast after two years and
        yearly ones after four, not after twelve points.

        >>> [Frequency(n).min_points(12) for n in ("daily", "weekly", "monthly", "quarterly", "yearly")]
        [12, 12, 12, 8, 4]
        """
        return min(configured, max(2 * self.season_length, 4))

    @property
    def per_year(self) -> float:
        """Steps per year (365.25, 52.18, 12, 4 or 1)."""
        return 365.25 / self.step_days

    # -- inference ----------------------------------------------------------------------------------------

    @classmethod
    def infer(cls, dates: Sequence[date] | pd.DatetimeIndex) -> Frequency:
        """The frequency of regularly spaced period dates, from their median spacing (so a missing period or
        two do not change it). Irregular spacing raises ``ValueError`` naming the spacing found.

        >>> Frequency.infer(pd.to_datetime(["2024-01-31", "2024-02-29", "2024-03-31"]))
        Frequency(name='monthly', anchor='end')
        """
        index = _index(dates)
        spacing = _median_spacing(index)
        for name, (*_, (low, high), _longest) in _TABLE.items():
            if low <= spacing <= high:
                return cls(name, _anchor(index) if _TABLE[name][1] else "start")  # type: ignore[arg-type]
        raise ValueError(
            f"périodes espacées de {spacing:g} jours : la série n'est ni quotidienne, ni hebdomadaire, ni "
            "mensuelle, ni trimestrielle, ni annuelle ; l'agréger d'abord à l'une de ces fréquences "
            "(par exemple une somme par mois)"
        )

    @classmethod
    def nearest(cls, dates: Sequence[date] | pd.DatetimeIndex) -> Frequency:
        """The frequency closest to the usual spacing, for any series (irregular ones included): the first
        whose longest period holds the median spacing. For watching and dating points, not for forecasting.
        Fewer than two dates: monthly (the usual case of the observations).

        >>> Frequency.nearest(pd.to_datetime(["2025-01-01", "2025-02-16", "2025-04-03"])).name
        'quarterly'
        """
        index = _index(dates)
        if len(index) < 2:
            return cls("monthly")
        spacing = _median_spacing(index)
        name = next(n for n, row in _TABLE.items() if spacing <= row[5])
        return cls(name, _anchor(index) if _TABLE[name][1] else "start")  # type: ignore[arg-type]

    # -- calendar -----------------------------------------------------------------------------------------

    def future(self, last: pd.Timestamp, horizon: int) -> pd.DatetimeIndex:
        """The ``horizon`` period dates that follow ``last``."""
        return self.shift(last, np.arange(1, horizon + 1))

    def shift(self, origin: pd.Timestamp, steps: np.ndarray) -> pd.DatetimeIndex:
        """The period dates ``steps`` steps after (or before, when negative) ``origin``."""
        origin = pd.Timestamp(origin)
        if not self.months:
            return pd.DatetimeIndex([origin + pd.Timedelta(days=self.step_days * int(s)) for s in steps])
        months = [int(s) * self.months for s in steps]
        if self.anchor == "start":
            dates = [origin + pd.offsets.MonthBegin(m) if m else origin for m in months]
        elif self.anchor == "end":
            dates = [origin + pd.offsets.MonthEnd(m) if m else origin for m in months]
        else:
            dates = [origin + pd.DateOffset(months=m) for m in months]
        return pd.DatetimeIndex(dates).as_unit("ns")

    def steps_between(self, first: pd.Timestamp, later: pd.Timestamp) -> int:
        """How many steps separate two period dates (rounded: months count by calendar)."""
        if not self.months:
            return round((later - first).days / self.step_days)
        return round(((later.year - first.year) * 12 + later.month - first.month) / self.months)

    def missing(self, dates: pd.DatetimeIndex) -> pd.DatetimeIndex:
        """The period dates absent between the first and the last of ``dates`` (sorted)."""
        if len(dates) < 2:
            return pd.DatetimeIndex([])
        grid = self.shift(dates[0], np.arange(self.steps_between(dates[0], dates[-1]) + 1))
        return grid.difference(pd.DatetimeIndex(dates).as_unit("ns"))

    def period_end(self, start: date) -> date:
        """The last day of the period that starts on ``start``."""
        if self.name == "daily":
            return start
        if self.name == "weekly":
            return start + timedelta(days=6)
        year, month = divmod(start.month - 1 + self.months, 12)
        return date(start.year + year, month + 1, 1) - timedelta(days=1)

    def season_position(self, dates: pd.DatetimeIndex) -> np.ndarray:
        """Each date's place in the seasonal cycle, 0 ... season_length - 1 (day of week, ISO week of the
        year with week 53 folded onto 52, month, quarter; always 0 for yearly data)."""
        if self.name == "daily":
            return dates.dayofweek.to_numpy()
        if self.name == "weekly":
            return np.minimum(dates.isocalendar().week.to_numpy().astype(int), 52) - 1
        if self.name == "monthly":
            return dates.month.to_numpy() - 1
        if self.name == "quarterly":
            return (dates.month.to_numpy() - 1) // 3
        return np.zeros(len(dates), dtype=int)


def _index(dates: Sequence[date] | pd.DatetimeIndex) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(list(dates))).sort_values()


def _median_spacing(index: pd.DatetimeIndex) -> float:
    if len(index) < 2:
        raise ValueError("fréquence impossible à déterminer pour une série de moins de 2 périodes")
    return float(np.median(np.diff(index.values).astype("timedelta64[s]").astype(float))) / 86400


def _anchor(index: pd.DatetimeIndex) -> Anchor:
    if (index.day == 1).all():
        return "start"
    return "end" if index.is_month_end.all() else "day"
