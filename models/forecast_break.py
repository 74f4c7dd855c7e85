"""Forecast breaks: new observations falling outside their forecast band again and again.

One observation outside the band is an anomaly (it happens, by construction, to one in five with an 80 %
band); ``k`` of the last ``n`` outside is a break: the series no longer behaves as its history said. The
check is pure: a band (``Forecaster.forecast`` output: ``ds``, ``yhat``, ``yhat_lower``, ``yhat_upper``)
and observations in, a ``BreakCheck`` out, carrying every number a signal needs to explain itself (the
series, the dates, the expected value and band, the observed value, the deviation).

>>> import pandas as pd
>>> band = pd.DataFrame({"ds": pd.date_range("2025-01-06", periods=4, freq="W-MON"),
...                      "yhat": [100.0] * 4, "yhat_lower": [90.0] * 4, "yhat_upper": [110.0] * 4})
>>> observed = pd.Series([104.0, 131.0, 126.0, 140.0], index=band.ds)
>>> check = check_forecast_break(band, observed, k=3, n=4, series="topic:canicule")
>>> check.is_break, check.outside, [p.deviation for p in check.points]
(True, 3, [4.0, 31.0, 26.0, 40.0])
>>> check.explanation()["points"][1]
{'date': '2025-01-13', 'observed': 131.0, 'expected': 100.0, 'lower': 90.0, 'upper': 110.0, \
'deviation': 31.0, 'relative_deviation': 0.31, 'band_widths': 3.1, 'outside': True}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class BandPoint:
    """One observation against its forecast: expected value, band, observed value."""

    date: pd.Timestamp
    observed: float
    expected: float
    lower: float
    upper: float

    @property
    def outside(self) -> bool:
        return not self.lower <= self.observed <= self.upper

    @property
    def deviation(self) -> float:
        """Observed minus expected, in the series' unit."""
        return self.observed - self.expected

    @property
    def relative_deviation(self) -> float | None:
        """Deviation as a share of the expected value (None when nothing was expected)."""
        return self.deviation / abs(self.expected) if self.expected else None

    @property
    def band_widths(self) -> float | None:
        """Deviation in half-widths of the band on its side: beyond 1 means outside."""
        half = (self.upper if self.deviation >= 0 else self.lower) - self.expected
        return self.deviation / abs(half) if half else None

    def explanation(self) -> dict[str, Any]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 4)

        return {
            "date": self.date.date().isoformat(),
            "observed": self.observed,
            "expected": self.expected,
            "lower": self.lower,
            "upper": self.upper,
            "deviation": self.deviation,
            "relative_deviation": rounded(self.relative_deviation),
            "band_widths": rounded(self.band_widths),
            "outside": self.outside,
        }


@dataclass(frozen=True)
class BreakCheck:
    """The last ``n`` observations with a forecast, and whether at least ``k`` fell outside the band."""

    series: str | None
    k: int
    n: int
    points: tuple[BandPoint, ...]

    @property
    def outside(self) -> int:
        return sum(point.outside for point in self.points)

    @property
    def is_break(self) -> bool:
        return self.outside >= self.k

    @property
    def anomalies(self) -> tuple[BandPoint, ...]:
        """The observations outside their band (each one an anomaly, together maybe a break)."""
        return tuple(point for point in self.points if point.outside)

    def explanation(self) -> dict[str, Any]:
        """The numbers behind the verdict, JSON-ready, for the signal's evidence."""
        return {
            "series": self.series,
            "rule": f"{self.k} of the last {self.n} outside the band",
            "is_break": self.is_break,
            "outside": self.outside,
            "points": [point.explanation() for point in self.points],
        }


def check_forecast_break(
    band: pd.DataFrame, observed: pd.Series, k: int = 3, n: int = 5, series: str | None = None
) -> BreakCheck:
    """Check the last ``n`` observations that have a forecast; a break when ``k`` or more are outside.

    ``band`` has one row per forecast date (``ds``, ``yhat``, ``yhat_lower``, ``yhat_upper``);
    ``observed`` is indexed by the same dates. Observations without a forecast row are ignored, and so
    are missing values. Fewer than ``k`` matched observations can never make a break.
    """
    if not 1 <= k <= n:
        raise ValueError(f"need 1 <= k <= n, got k={k}, n={n}")
    missing = {"ds", "yhat", "yhat_lower", "yhat_upper"} - set(band.columns)
    if missing:
        raise ValueError(f"band lacks columns {sorted(missing)}; pass Forecaster.forecast(...) output")
    rows = band.assign(ds=pd.to_datetime(band["ds"])).set_index("ds")
    values = observed.dropna()
    values.index = pd.to_datetime(values.index)
    matched = values[values.index.isin(rows.index)].sort_index().iloc[-n:]
    points = tuple(
        BandPoint(
            pd.Timestamp(date),
            float(value),
            float(rows.at[date, "yhat"]),
            float(rows.at[date, "yhat_lower"]),
            float(rows.at[date, "yhat_upper"]),
        )
        for date, value in matched.items()
    )
    return BreakCheck(series, k, n, points)
