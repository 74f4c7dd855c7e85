"""Forecasts as the quarterly report shows them: one band per indicator, read from what the forecast stage
stored (the report never fits a model: ``signals.stages.series.quarter_forecasts`` does, once per quarter).

The report asks ``forecast(indicator, months)`` and draws what comes back (None: no forecast, the history
is shown alone, and the method note says why).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass
class ForecastBand:
    """Expected values of the next periods with their band (``interval`` of outcomes fall inside)."""

    periods: list[date]
    yhat: list[float]
    lower: list[float]
    upper: list[float]
    interval: float
    method: str  # how it was forecast, for the method note (e.g. "median(ets,ces,theta,prophet)")

    @classmethod
    def from_stored(cls, meta: dict[str, Any], steps: int) -> ForecastBand:
        """The first ``steps`` periods of a stored forecast (``signals.stages.series`` writes its meta).

        >>> meta = {"method": "median(ets,theta)", "interval": 0.8, "band": [
        ...     {"ds": "2026-10-01", "yhat": 10.0, "yhat_lower": 8.0, "yhat_upper": 12.5},
        ...     {"ds": "2026-11-01", "yhat": 11.0, "yhat_lower": 8.5, "yhat_upper": 13.0}]}
        >>> band = ForecastBand.from_stored(meta, 1)
        >>> band.periods, band.upper, band.method
        ([datetime.date(2026, 10, 1)], [12.5], 'median(ets,theta)')
        """
        rows = meta["band"][:steps]
        return cls(
            periods=[date.fromisoformat(r["ds"]) for r in rows],
            yhat=[float(r["yhat"]) for r in rows],
            lower=[float(r["yhat_lower"]) for r in rows],
            upper=[float(r["yhat_upper"]) for r in rows],
            interval=float(meta.get("interval", 0.8)),
            method=str(meta["method"]),
        )


ForecastFn = Callable[[str, int], "ForecastBand | None"]
