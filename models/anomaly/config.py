"""Detector settings per kind of series, with documented defaults.

A kind names a family of series that share one setting (never one series): high-frequency metrics
("nab", "generic"), monthly indicators such as tourism nights ("monthly"), weekly topic volumes
("weekly", "weekly_seasonal"). ``config_for(kind)`` returns the preset; any field can be overridden with
``dataclasses.replace`` or by building ``DetectorConfig(**values)`` from the service's settings file.

>>> config_for("monthly").seasonality
'month_of_year'
>>> config_for("weekly").count_data
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from models.anomaly.seasonality import SEASONALITIES, Seasonality

Component = Literal["level", "seasonal", "context"]
COMPONENTS: tuple[str, ...] = ("level", "seasonal", "context")
DriftDetectorName = Literal["adwin", "page_hinkley", "none"]


@dataclass(frozen=True)
class DetectorConfig:
    """Every knob of ``SeriesDetector``; the defaults are the shared NAB setting (high-frequency metrics).

    Scorers
      ``components``: scorers combined (max): "level" (distance to a slow moving level), "seasonal"
      (distance to the mean of the point's phase), "context" (the current value level never followed the
      recent sequence of levels: ``SequenceNovelty`` with ``context_levels`` slots of the range seen so
      far, contexts up to ``context_order`` points, at most ``context_memory`` contexts kept; needs
      ``likelihood``, as its raw score is high on any noisy series). Use only "seasonal" for a strongly
      seasonal series scored without ``likelihood``: the level scorer alone would alarm on the cycle.
      ``seasonality`` (phase of a timestamp, see ``seasonality.phase_of``), ``level_fading`` (weight of a
      new point in the level, 0.001: ~1000 points of memory), ``phase_rate`` (weight of a new point in its
      phase's mean), ``residual_fading`` (weight in the residuals' mean and spread), ``count_data`` (floor
      spreads at the Poisson noise sqrt(expected)).
      ``range_break``: also score 1 for a value outside the range seen so far by more than
      ``range_tolerance`` of its width, at most once per ``range_refractory`` points.
    Post-processing
      ``likelihood``: pass each deviation score through ``AnomalyLikelihood`` (``learning_period``,
      ``estimation_samples``, ``historic_window``, ``reestimation_period``, ``averaging_window`` for the
      deviation scorers, ``context_averaging_window`` for the context scorer), which makes the score
      relative to the series' own noise; needs a few hundred points, so short series (monthly, weekly) use
      the deviation scores directly. Averaging deviation scores over 20 points makes a lasting departure
      count more than one noisy point; 20 and 10 were chosen on NAB (Numenta's detector uses 10).
    Alerts and explanations
      ``alert_threshold``: a score at or above it is an alert (0.5 = tail probability 1e-5 with the
      likelihood; 0.75 = a deviation of about 4.2 spreads without it); no alert during the first
      ``warmup`` points (1000: three to four days of 5-minute data, so every phase has been seen a few
      times; NAB is scored on the scores, which ``warmup`` does not change). ``band_sigmas``: width
      of the expected band shown with an alert. ``rest_period``: after a score at or above
      ``alert_threshold``, the next ``rest_period`` points score 0 (one event, one alert; their
      components still explain them), as CAD OSE does; 30 was chosen on NAB.
    Change detection
      ``drift_detector`` on standardised residuals ("adwin" with ``drift_delta``, "page_hinkley" with
      ``drift_threshold``, or "none") reports level shifts of at least ``drift_min_change`` spreads.
    """

    components: tuple[Component, ...] = ("level", "seasonal", "context")
    seasonality: Seasonality = "weekend_hour"
    level_fading: float = 0.001
    phase_rate: float = 0.05
    residual_fading: float = 0.01
    count_data: bool = False
    context_levels: int = 16
    context_order: int = 6
    context_memory: int = 10_000
    range_break: bool = True
    range_tolerance: float = 0.02
    range_refractory: int = 30
    likelihood: bool = True
    learning_period: int = 150
    estimation_samples: int = 150
    historic_window: int = 8640
    reestimation_period: int = 100
    averaging_window: int = 20
    context_averaging_window: int = 10
    alert_threshold: float = 0.5
    rest_period: int = 30
    warmup: int = 1000
    band_sigmas: float = 3.0
    drift_detector: DriftDetectorName = "adwin"
    drift_delta: float = 0.002
    drift_threshold: float = 50.0
    drift_min_change: float = 0.5

    def __post_init__(self) -> None:
        if self.seasonality not in SEASONALITIES:
            known = ", ".join(SEASONALITIES)
            raise ValueError(f"unknown seasonality {self.seasonality!r}; choose one of {known}")
        unknown = set(self.components) - set(COMPONENTS)
        if unknown or not self.components:
            raise ValueError(f"components must be a non-empty subset of {COMPONENTS}: {self.components}")
        if "context" in self.components and not self.likelihood:
            raise ValueError("the context component needs likelihood=True (its raw score is not calibrated)")
        if self.drift_detector not in ("adwin", "page_hinkley", "none"):
            raise ValueError(f"drift_detector must be adwin, page_hinkley or none: {self.drift_detector!r}")


_SHORT_SERIES = dict(likelihood=False, range_break=False, alert_threshold=0.75, rest_period=0)

SERIES_KINDS: dict[str, DetectorConfig] = {
    # High-frequency metrics (minutes to hours): the setting measured on NAB, shared by its 58 series.
    "nab": DetectorConfig(),
    "generic": DetectorConfig(),
    # Monthly indicators (tourism nights...): a yearly cycle of 12 phases, a few years of history.
    "monthly": DetectorConfig(
        components=("seasonal",),
        seasonality="month_of_year",
        phase_rate=0.3,
        residual_fading=0.1,
        level_fading=0.1,
        warmup=24,
        **_SHORT_SERIES,
    ),
    # Weekly topic volumes without a yearly cycle: counts around a level that moves slowly.
    "weekly": DetectorConfig(
        components=("level",),
        seasonality="none",
        level_fading=0.1,
        residual_fading=0.1,
        count_data=True,
        warmup=8,
        **_SHORT_SERIES,
    ),
    # Weekly document counts of a topic: bursty (council sittings, one-off stories), so only a large
    # departure from a slowly moving level, after half a year of history, is an alert.
    "topic_volume": DetectorConfig(
        components=("level",),
        seasonality="none",
        level_fading=0.05,
        residual_fading=0.05,
        count_data=True,
        warmup=26,
        **(_SHORT_SERIES | {"alert_threshold": 0.85}),
    ),
    # Weekly volumes with a yearly cycle (52 phases): needs at least two years before it judges.
    "weekly_seasonal": DetectorConfig(
        components=("seasonal",),
        seasonality="week_of_year",
        phase_rate=0.3,
        residual_fading=0.1,
        level_fading=0.1,
        count_data=True,
        warmup=104,
        **_SHORT_SERIES,
    ),
}


def config_for(kind: str) -> DetectorConfig:
    """The preset of a series kind (see ``SERIES_KINDS``)."""
    try:
        return SERIES_KINDS[kind]
    except KeyError:
        known = ", ".join(sorted(SERIES_KINDS))
        raise ValueError(f"unknown series kind {kind!r}; known kinds: {known}") from None
