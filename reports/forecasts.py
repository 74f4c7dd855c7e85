"""Forecasts shown in the quarterly report, behind one small function type.

The report asks ``forecast(key, history, horizon)`` for each indicator and draws what comes back. The
default, ``forecast_on_the_fly``, fits ``models.forecasting.Forecaster`` on the history it is given (under a
second per monthly series); a forecast kept by the analysis (a stored model state) can be plugged in
instead by passing another function with the same signature to ``quarterly_context``.

>>> from datetime import date
>>> history = [(date(2024 + m // 12, m % 12 + 1, 1), 100.0 + 10 * (m % 12)) for m in range(8)]
>>> forecast_on_the_fly("x", history, 3) is None  # fewer than MIN_POINTS observations: no forecast
True
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

log = logging.getLogger(__name__)
MIN_POINTS = 12  # a year of monthly values before a forecast is shown to elected officials


@dataclass
class ForecastBand:
    """Expected values of the next periods with their band (``interval`` of outcomes fall inside)."""

    periods: list[date]
    yhat: list[float]
    lower: list[float]
    upper: list[float]
    interval: float
    method: str  # how it was forecast, for the method note (e.g. "median(ets,ces,theta,prophet)")


ForecastFn = Callable[[str, Sequence[tuple[date, float]], int], "ForecastBand | None"]


def forecast_on_the_fly(key: str, history: Sequence[tuple[date, float]], horizon: int) -> ForecastBand | None:
    """Fit a forecaster on ``history`` (period, value) and forecast ``horizon`` periods; None when the
    history is too short (``MIN_POINTS``) or the fit fails (the report then shows the history alone)."""
    if len(history) < MIN_POINTS:
        return None
    import pandas as pd

    from models.forecasting import Forecaster, quiet_stan

    series = pd.Series([v for _, v in history], index=pd.DatetimeIndex([d for d, _ in history]))
    try:
        with quiet_stan():
            forecaster = Forecaster().fit(series)
            band = forecaster.forecast(horizon)
    except (ValueError, RuntimeError) as exc:
        log.warning("no forecast for %s: %s", key, exc)
        return None
    return ForecastBand(
        periods=[d.date() for d in band.ds],
        yhat=[float(v) for v in band.yhat],
        lower=[float(v) for v in band.yhat_lower],
        upper=[float(v) for v in band.yhat_upper],
        interval=forecaster.config.interval_width,
        method=forecaster.method,
    )
