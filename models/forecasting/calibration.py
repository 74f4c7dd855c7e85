"""Rolling-origin errors and the conformal prediction band built from them.

Rolling origins (Tashman 2000): the history is cut at each of its last ``span`` steps and each member
forecasts what followed the cut; comparing with what happened gives, for every step ahead, a sample of
out-of-sample errors. They serve twice: to check that the combination beats the seasonal naive on this
series, and to size the band (split-conformal prediction, Vovk et al. 2005; for forecasts, Stankeviciute
et al. 2021): the band at step ``j`` is the ``width`` quantile of the absolute errors at steps ``j-2 ...
j+2`` (neighbours pooled: a few dozen errors per step instead of a handful), never narrower than an
earlier step's. Errors are measured on the log scale for positive series (``log1p`` for counts with
zeros): tourism nights and document counts err in proportion to their level, so a band in logs is narrow
in the low season and wide at the peak, as the outcomes are.

>>> scale = Scale.choose(np.array([10.0, 20.0, 40.0]))
>>> scale.name, bool(np.isclose(scale.inverse(scale.forward(np.array([5.0])))[0], 5.0))
('log', True)
>>> conformal_quantile(np.arange(1.0, 11.0), 0.8)  # the 9th of 10: ceil((10 + 1) * 0.8)
9.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from models.forecasting.frequency import Frequency
from models.forecasting.members import Member, seasonal_naive
from models.forecasting.seasonality import Seasons

NEIGHBOUR_STEPS = 2


@dataclass(frozen=True)
class Scale:
    """The scale errors are measured on: log, log1p or the values themselves (series with negatives)."""

    name: Literal["log", "log1p", "none"]

    @classmethod
    def choose(cls, values: np.ndarray) -> Scale:
        if (values < 0).any():
            return cls("none")
        return cls("log" if (values > 0).all() else "log1p")

    def forward(self, values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        if self.name == "log":
            return np.log(np.maximum(values, 1e-9))  # a forecast at or below 0 of a positive series
        if self.name == "log1p":
            return np.log1p(np.maximum(values, 0.0))
        return values

    def inverse(self, values: np.ndarray) -> np.ndarray:
        if self.name == "log":
            return np.exp(values)
        if self.name == "log1p":
            return np.maximum(np.expm1(values), 0.0)
        return values


def cut_offs(n: int, horizon: int, origins: int, minimum: int) -> list[int]:
    """History lengths to forecast from: the last ``horizon + origins - 1`` ones, so that step ``horizon``
    is seen from ``origins`` cut-offs and step 1 from all of them; none shorter than ``minimum``."""
    span = horizon + origins - 1
    return [cut for cut in range(n - 1, n - span - 1, -1) if cut >= minimum]


def errors_by_step(
    actual: np.ndarray, forecasts: dict[int, np.ndarray], horizon: int, scale: Scale
) -> list[np.ndarray]:
    """Errors (actual minus forecast, on ``scale``) at each step 1..horizon, over the cut-offs that reach it."""
    by_step: list[list[float]] = [[] for _ in range(horizon)]
    for cut, forecast in forecasts.items():
        seen = actual[cut : cut + horizon]
        errors = scale.forward(seen) - scale.forward(forecast[: len(seen)])
        for step, error in enumerate(errors):
            by_step[step].append(float(error))
    return [np.array(e) for e in by_step]


def conformal_quantile(errors: np.ndarray, width: float) -> float:
    """The split-conformal quantile: the ceil((n+1)·width)-th smallest error (the largest if n is small)."""
    ordered = np.sort(errors)
    rank = min(math.ceil((len(ordered) + 1) * width), len(ordered))
    return float(ordered[rank - 1])


def half_widths(errors: list[np.ndarray], width: float) -> list[float]:
    """Conformal half-width per step from the signed errors per step, neighbours pooled, never shrinking;
    it stops at the first step no error reaches."""
    widths: list[float] = []
    horizon = len(errors)
    for step in range(horizon):
        pooled = np.concatenate(
            [
                np.abs(errors[s])
                for s in range(step - NEIGHBOUR_STEPS, step + NEIGHBOUR_STEPS + 1)
                if 0 <= s < horizon
            ]
        )
        if not len(errors[step]) or not len(pooled):
            break
        widths.append(max(conformal_quantile(pooled, width), widths[-1] if widths else 0.0))
    return widths


def naive_errors(values: np.ndarray, horizon: int, period: int, scale: Scale) -> list[np.ndarray]:
    """For histories too short for rolling origins: in-sample errors of the seasonal naive at each step's
    lag (larger than a model's: the band is then cautious), or one-step changes grown like a random walk
    when not even one lag of history exists."""
    working = scale.forward(values)
    errors: list[np.ndarray] = []
    for step in range(1, horizon + 1):
        lag = period * math.ceil(step / period)
        if lag < len(working) - 1:
            errors.append(working[lag:] - working[:-lag])
        else:
            errors.append(np.diff(working) * math.sqrt(step))
    return errors


def widen(widths: list[float], step: int) -> float:
    """The half-width at ``step``: calibrated up to the last calibrated step, then growing like the square
    root of the step (the spread of a random walk's errors)."""
    calibrated = len(widths)
    if step <= calibrated:
        return widths[step - 1]
    return widths[-1] * math.sqrt(step / calibrated)


@dataclass
class RollingOrigins:
    """Forecasts from the last cut-offs of the history: each member's, their median, the seasonal naive's
    (by cut-off, over ``horizon`` steps)."""

    horizon: int
    by_member: dict[str, dict[int, np.ndarray]]
    combined: dict[int, np.ndarray]
    naive: dict[int, np.ndarray]

    @classmethod
    def run(
        cls,
        members: dict[str, Member],
        values: np.ndarray,
        dates: pd.DatetimeIndex,
        frequency: Frequency,
        seasons: Seasons,
        naive_period: int,
        horizon: int,
        count: int,
        min_points: int,
    ) -> RollingOrigins:
        """Forecasts from the cut-offs that reach ``horizon`` steps ``count`` times (``cut_offs``)."""
        minimum = max(min_points, 2 * seasons.period if seasons.period > 1 else 0, naive_period + 1)
        origins = cls(horizon, {name: {} for name in members}, {}, {})
        for cut in cut_offs(len(values), horizon, count, minimum):
            if not seasons.usable_at(cut):
                continue
            at = frequency.future(dates[cut - 1], horizon)
            looks = _looks_from(members, seasons.adjust(values[:cut], dates[:cut], cut), horizon)
            if not looks:
                continue  # no member could re-run this short a history: the cut-off is not scored
            for name, look in looks.items():
                origins.by_member[name][cut] = seasons.restore(look, at, cut)
            origins.combined[cut] = np.median([origins.by_member[name][cut] for name in looks], axis=0)
            origins.naive[cut] = seasonal_naive(values[:cut], horizon, naive_period)
        return origins


def _looks_from(members: dict[str, Member], history: np.ndarray, horizon: int) -> dict[str, np.ndarray]:
    """Each member's forecast from a shorter ``history``; a member that cannot re-run on it (too short for
    its model) is left out of this cut-off only."""
    looks: dict[str, np.ndarray] = {}
    for name, member in members.items():
        try:
            look = member.forecast_from(history, horizon)
        except Exception:  # noqa: BLE001 - statsforecast raises bare Exceptions on histories too short
            continue
        if np.isfinite(look).all():
            looks[name] = look
    return looks
