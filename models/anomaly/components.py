"""Streaming anomaly scorers, River-style (``learn_one`` / ``score_one`` on a dict ``{"y": value, ...}``).

Each one looks at a series from one angle; ``SeriesDetector`` combines them:

- ``RangeBreak``: the value leaves the range seen so far (a new extreme, beyond a small tolerance).
- ``LevelDeviation``: distance to a slowly moving level, in units of its spread (spikes, level shifts).
- ``SeasonalResidual``: distance to the running mean of the point's own phase (same hour, same month...),
  so a regular cycle is expected and only departures from it score.

Scores are in [0, 1]: ``deviation_score(z) = 1 - exp(-z / 3)`` for the two deviation scorers (z = 3 gives
0.63, z = 6 gives 0.86), 0 or 1 for ``RangeBreak``.
"""

from __future__ import annotations

import math
from typing import Any

from river import base, stats

Z_CAP = 50.0  # a deviation of 50 spreads is already certain; capping keeps later arithmetic finite


def deviation_score(z: float) -> float:
    """Map a deviation in spreads (>= 0) to [0, 1).

    >>> deviation_score(0.0), round(deviation_score(3.0), 3)
    (0.0, 0.632)
    """
    return 1.0 - math.exp(-min(z, Z_CAP) / 3.0)


def _spread(variance: float, expected: float, count_data: bool) -> float:
    """Standard deviation, floored by the Poisson spread sqrt(expected) for counts (few points lie)."""
    spread = math.sqrt(max(variance, 0.0))
    if count_data:
        spread = max(spread, math.sqrt(max(expected, 1.0)))
    return spread


class RangeBreak(base.AnomalyDetector):
    """Scores 1 when a value falls outside the range seen so far, widened by ``tolerance`` of its width.

    A new extreme is the one anomaly people always label; after a break, breaks are ignored for
    ``refractory`` points so that a climb to a new level alarms once, not at every step.

    >>> detector = RangeBreak(tolerance=0.1, refractory=2)
    >>> for y in [10, 13, 11, 12, 10]:
    ...     detector.learn_one({"y": y})
    >>> detector.score_one({"y": 13.2}), detector.score_one({"y": 14})
    (0.0, 1.0)
    """

    def __init__(self, tolerance: float = 0.02, refractory: int = 150) -> None:
        self.tolerance = tolerance
        self.refractory = refractory
        self._low: float | None = None
        self._high: float | None = None
        self._seen = 0
        self._last_break = -(10**9)

    def _outside(self, y: float) -> bool:
        if self._low is None or self._high is None or self._high <= self._low:
            return False
        margin = self.tolerance * (self._high - self._low)
        return y > self._high + margin or y < self._low - margin

    def score_one(self, x: dict[str, Any]) -> float:
        resting = self._seen - self._last_break <= self.refractory
        return 1.0 if self._outside(x["y"]) and not resting else 0.0

    def learn_one(self, x: dict[str, Any]) -> None:
        y = x["y"]
        if self._outside(y):
            self._last_break = self._seen
        self._low = y if self._low is None else min(self._low, y)
        self._high = y if self._high is None else max(self._high, y)
        self._seen += 1


class LevelDeviation(base.AnomalyDetector):
    """Deviation from an exponentially weighted level, in units of the weighted standard deviation.

    Parameters
    ----------
    fading_factor
        Weight of each new point in the level and spread (River ``stats.EWMean`` / ``stats.EWVar``):
        0.001 remembers about a thousand points, 0.1 about ten.
    count_data
        Floor the spread at sqrt(level), the Poisson noise of counts.

    >>> detector = LevelDeviation(fading_factor=0.1)
    >>> for y in [10, 11, 9, 10, 11, 9, 10]:
    ...     detector.learn_one({"y": y})
    >>> detector.score_one({"y": 10.2}) < 0.2 < 0.9 < detector.score_one({"y": 30})
    True
    """

    def __init__(self, fading_factor: float = 0.001, count_data: bool = False) -> None:
        self.fading_factor = fading_factor
        self.count_data = count_data
        self._mean = stats.EWMean(fading_factor)
        self._var = stats.EWVar(fading_factor)
        self._seen = 0

    def expected(self) -> float:
        return self._mean.get() if self._seen else 0.0

    def spread(self) -> float:
        return _spread(self._var.get(), self.expected(), self.count_data)

    def deviation(self, y: float) -> float:
        """Signed deviation of ``y`` in spreads (0 while nothing is known)."""
        spread = self.spread()
        if not self._seen or spread == 0.0:
            return 0.0
        return max(-Z_CAP, min(Z_CAP, (y - self.expected()) / spread))

    def score_one(self, x: dict[str, Any]) -> float:
        return deviation_score(abs(self.deviation(x["y"])))

    def learn_one(self, x: dict[str, Any]) -> None:
        self._mean.update(x["y"])
        self._var.update(x["y"])
        self._seen += 1


class SeasonalResidual(base.AnomalyDetector):
    """Deviation from the running mean of the point's phase, scaled by the spread of such residuals.

    ``x`` carries the value and its phase: ``{"y": 12.0, "phase": 8}`` (see ``seasonality.phase_of``).

    Parameters
    ----------
    phase_rate
        Weight of a new point in its phase's mean: low for many points per phase (a 5-minute series
        visits each hour 12 times a day), high for one point per phase and year (monthly series).
    fading_factor
        Weight of a new residual in the residuals' mean and spread.
    count_data
        Floor the spread at sqrt(expected value), the Poisson noise of counts.

    >>> detector = SeasonalResidual(phase_rate=0.3, fading_factor=0.1)
    >>> for year in range(5):
    ...     for month, y in enumerate([5, 5, 6, 8, 12, 20, 30, 30, 15, 8, 5, 5], start=1):
    ...         noise = (7 * month + 3 * year) % 5 - 2
    ...         detector.learn_one({"y": y + noise, "phase": month})
    >>> detector.score_one({"y": 31, "phase": 7}) < 0.2  # a usual summer peak
    True
    >>> detector.score_one({"y": 31, "phase": 1}) > 0.9  # the same value in January
    True
    """

    def __init__(
        self, phase_rate: float = 0.05, fading_factor: float = 0.01, count_data: bool = False
    ) -> None:
        self.phase_rate = phase_rate
        self.fading_factor = fading_factor
        self.count_data = count_data
        self._phase_mean: dict[int, float] = {}
        self._phase_visits: dict[int, int] = {}
        self._residual_mean = stats.EWMean(fading_factor)
        self._residual_var = stats.EWVar(fading_factor)
        self._residuals_seen = 0

    def expected(self, phase: int, y: float | None = None) -> float:
        """Expected value for ``phase``: its running mean plus the usual residual (trend lag)."""
        base_value = self._phase_mean.get(phase, y if y is not None else 0.0)
        return base_value + (self._residual_mean.get() if self._residuals_seen else 0.0)

    def spread(self, phase: int) -> float:
        return _spread(self._residual_var.get(), self.expected(phase), self.count_data)

    def knows(self, phase: int) -> bool:
        """Whether ``phase`` has been visited often enough (3 times) for its mean to mean something."""
        return self._phase_visits.get(phase, 0) >= 3

    def deviation(self, y: float, phase: int) -> float:
        """Signed deviation of ``y`` from its phase's expectation, in spreads (0 for a phase not known)."""
        if not self.knows(phase) or not self._residuals_seen:
            return 0.0
        spread = self.spread(phase)
        if spread == 0.0:
            return 0.0
        return max(-Z_CAP, min(Z_CAP, (y - self.expected(phase)) / spread))

    def score_one(self, x: dict[str, Any]) -> float:
        return deviation_score(abs(self.deviation(x["y"], x["phase"])))

    def learn_one(self, x: dict[str, Any]) -> None:
        y, phase = x["y"], x["phase"]
        visits = self._phase_visits.get(phase, 0) + 1
        self._phase_visits[phase] = visits
        base_value = self._phase_mean.get(phase)
        if base_value is None:
            self._phase_mean[phase] = y  # a first visit defines the phase; it says nothing of residuals
            return
        if self.knows(phase):
            residual = y - base_value
            self._residual_mean.update(residual)
            self._residual_var.update(residual)
            self._residuals_seen += 1
        # A plain average over the first visits, then exponential forgetting: a phase's mean is not left
        # resting on its first, noisy value.
        rate = max(self.phase_rate, 1.0 / visits)
        self._phase_mean[phase] = base_value + rate * (y - base_value)
