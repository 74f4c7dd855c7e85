"""``SeriesDetector``: one streaming anomaly detector per series, resumable across runs.

It scores each new point before learning it, so a run can score today's points and a later run can pick up
exactly where it stopped: ``save()`` after the last point, ``SeriesDetector.load(data)`` next time, and the
scores are those of one uninterrupted pass.

>>> from datetime import datetime, timedelta
>>> detector = SeriesDetector(config_for("weekly"))
>>> start = datetime(2024, 1, 1)
>>> for week in range(30):
...     _ = detector.update(start + timedelta(weeks=week), 20 + (week * 7) % 5)
>>> assessment = detector.assess(start + timedelta(weeks=30), 60)
>>> assessment.is_alert, assessment.observed, round(assessment.expected, 1)
(True, 60, 22.0)
>>> restored = SeriesDetector.load(detector.save())
>>> restored.score(start + timedelta(weeks=30), 60) == detector.score(start + timedelta(weeks=30), 60)
True
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from models.anomaly.components import LevelDeviation, RangeBreak, SeasonalResidual
from models.anomaly.config import DetectorConfig, config_for
from models.anomaly.context import SequenceNovelty
from models.anomaly.drift import LevelShift, LevelShiftDetector
from models.anomaly.likelihood import AnomalyLikelihood
from models.anomaly.seasonality import phase_of

STATE_VERSION = 2
Timestamp = datetime | date


@dataclass(frozen=True)
class Assessment:
    """The numbers behind a score, so an alert explains itself.

    ``expected`` is what the series usually shows at this time (its phase's mean, or its level),
    ``band_low``/``band_high`` the usual range (``band_sigmas`` spreads around it), ``deviation`` the
    distance of ``observed`` from ``expected`` in spreads, ``components`` each scorer's own score,
    ``resting`` whether the score was silenced by a recent alert (``rest_period``).
    """

    at: Any
    observed: float
    score: float
    is_alert: bool
    expected: float
    band_low: float
    band_high: float
    deviation: float
    components: dict[str, float]
    resting: bool = False


class SeriesDetector:
    """Anomaly score in [0, 1] for each new point of one series, from River scorers and their likelihood.

    Verbs: ``score(t, x)`` (before learning), ``learn(t, x)``, ``update(t, x)`` (score then learn),
    ``assess(t, x)`` (score with its explanation), ``save()`` / ``load(data)``. Points are taken in the
    order given (one series, oldest first); ``t`` (``datetime`` or ``date``) only sets the seasonal phase.
    """

    def __init__(self, config: DetectorConfig | None = None) -> None:
        self.config = config or config_for("generic")
        c = self.config
        self._level = (
            LevelDeviation(c.level_fading, count_data=c.count_data) if "level" in c.components else None
        )
        self._seasonal = (
            SeasonalResidual(c.phase_rate, c.residual_fading, count_data=c.count_data)
            if "seasonal" in c.components
            else None
        )
        self._context = (
            SequenceNovelty(c.context_levels, c.context_order, c.context_memory)
            if "context" in c.components
            else None
        )
        self._range = RangeBreak(c.range_tolerance, c.range_refractory) if c.range_break else None
        self._likelihoods = (
            {
                name: AnomalyLikelihood(
                    c.learning_period,
                    c.estimation_samples,
                    c.historic_window,
                    c.reestimation_period,
                    c.context_averaging_window if name == "context" else c.averaging_window,
                )
                for name in c.components
            }
            if c.likelihood
            else {}
        )
        self._shifts = (
            LevelShiftDetector(c.drift_detector, c.drift_delta, c.drift_threshold, c.drift_min_change)
            if c.drift_detector != "none"
            else None
        )
        self.n_seen = 0
        self._last_alert: int | None = None  # index of the last point scored at or above the threshold

    # --- scoring -------------------------------------------------------------------------------------

    def _features(self, t: Timestamp, x: float) -> dict[str, Any]:
        return {"y": float(x), "phase": phase_of(t, self.config.seasonality)}

    def _raw_scores(self, features: dict[str, Any]) -> dict[str, float]:
        raw = {}
        if self._level is not None:
            raw["level"] = self._level.score_one(features)
        if self._seasonal is not None:
            raw["seasonal"] = self._seasonal.score_one(features)
        if self._context is not None:
            raw["context"] = self._context.score_one(features)
        return raw

    def _resting(self) -> bool:
        """Whether the next point falls within ``rest_period`` points after the last alert."""
        return self._last_alert is not None and self.n_seen - self._last_alert <= self.config.rest_period

    def _combine(self, raw: dict[str, float], features: dict[str, Any], learn: bool) -> tuple[float, dict]:
        if self._likelihoods:
            likelihoods = self._likelihoods
            parts = {
                name: likelihoods[name].update(value) if learn else likelihoods[name].peek(value)
                for name, value in raw.items()
            }
        else:
            parts = dict(raw)
        if self._range is not None:
            parts["range"] = self._range.score_one(features)
        return (0.0 if self._resting() else max(parts.values())), parts

    def score(self, t: Timestamp, x: float) -> float:
        """Anomaly score of a new point, in [0, 1], without learning it."""
        features = self._features(t, x)
        return self._combine(self._raw_scores(features), features, learn=False)[0]

    def learn(self, t: Timestamp, x: float) -> None:
        """Learn a new point (after scoring it, or instead of it)."""
        self.update(t, x)

    def update(self, t: Timestamp, x: float) -> float:
        """Score a new point, then learn it; returns the score."""
        features = self._features(t, x)
        score, _ = self._combine(self._raw_scores(features), features, learn=True)
        if score >= self.config.alert_threshold:
            self._last_alert = self.n_seen
        if self._shifts is not None and self.n_seen >= self.config.warmup:
            self._watch_level(t, features)
        for scorer in (self._level, self._seasonal, self._context, self._range):
            if scorer is not None:
                scorer.learn_one(features)
        self.n_seen += 1
        return score

    def _watch_level(self, t: Timestamp, features: dict[str, Any]) -> None:
        """Feed the shift detector one kind of residual only: seasonal ones (for known phases) if the
        detector has a seasonal scorer, else deviations from the level."""
        assert self._shifts is not None
        if self._seasonal is not None:
            y, phase = features["y"], features["phase"]
            if self._seasonal.knows(phase):
                self._shifts.update(self.n_seen, t, self._seasonal.deviation(y, phase))
        elif self._level is not None:
            self._shifts.update(self.n_seen, t, self._level.deviation(features["y"]))

    # --- explanations --------------------------------------------------------------------------------

    def _expectation(self, features: dict[str, Any]) -> tuple[float, float, float]:
        """(expected value, spread, deviation in spreads) from the seasonal scorer when it knows the phase,
        else from the level."""
        y, phase = features["y"], features["phase"]
        if self._seasonal is not None and (self._level is None or self._seasonal.knows(phase)):
            seasonal = self._seasonal
            return seasonal.expected(phase, y), seasonal.spread(phase), seasonal.deviation(y, phase)
        assert self._level is not None
        return self._level.expected(), self._level.spread(), self._level.deviation(y)

    def assess(self, t: Timestamp, x: float) -> Assessment:
        """Score a new point with the numbers that explain it (no learning)."""
        features = self._features(t, x)
        score, parts = self._combine(self._raw_scores(features), features, learn=False)
        expected, spread, deviation = self._expectation(features)
        half_band = self.config.band_sigmas * spread
        return Assessment(
            at=t,
            observed=x,
            score=score,
            is_alert=self.n_seen >= self.config.warmup and score >= self.config.alert_threshold,
            expected=expected,
            band_low=expected - half_band,
            band_high=expected + half_band,
            deviation=deviation,
            components=parts,
            resting=self._resting(),
        )

    @property
    def level_shifts(self) -> list[LevelShift]:
        """Level shifts found so far (the most recent ones)."""
        return list(self._shifts.shifts) if self._shifts is not None else []

    # --- persistence ---------------------------------------------------------------------------------

    def save(self) -> bytes:
        """The whole state, to store and resume from with ``load``."""
        return pickle.dumps({"version": STATE_VERSION, "detector": self}, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def load(cls, data: bytes) -> SeriesDetector:
        """Restore a detector saved by ``save`` (only load states this service wrote: it is a pickle)."""
        state = pickle.loads(data)
        if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
            raise ValueError("not a SeriesDetector state of this version; rebuild it from the series")
        detector = state["detector"]
        if not isinstance(detector, cls):
            raise ValueError("the saved state is not a SeriesDetector")
        return detector
