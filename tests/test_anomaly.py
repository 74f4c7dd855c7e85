"""SeriesDetector on synthetic series: planted anomalies are flagged, cycles are not, state resumes."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np
import pytest

from models.anomaly import DetectorConfig, SeriesDetector, config_for
from models.anomaly.context import SequenceNovelty

START = datetime(2024, 1, 1)


def five_minute_series(n: int, seed: int = 0) -> tuple[list[datetime], np.ndarray]:
    """A metric with a daily cycle (288 points a day) and Gaussian noise."""
    rng = np.random.default_rng(seed)
    i = np.arange(n)
    values = 50 + 10 * np.sin(2 * math.pi * i / 288) + rng.normal(0, 1, n)
    return [START + timedelta(minutes=5 * k) for k in range(n)], values


def monthly_series(years: int, seed: int = 0) -> tuple[list[datetime], np.ndarray]:
    """Tourism-like nights: a strong summer peak, a slow trend, noise."""
    rng = np.random.default_rng(seed)
    season = np.array([20, 22, 30, 40, 55, 75, 100, 100, 60, 40, 25, 20], dtype=float)
    months = [datetime(2015 + k // 12, k % 12 + 1, 1) for k in range(12 * years)]
    values = np.array([season[k % 12] * (1 + 0.02 * k / 12) for k in range(12 * years)])
    return months, values + rng.normal(0, 2, len(values))


def weekly_counts(weeks: int, seasonal: bool, seed: int = 0) -> tuple[list[datetime], np.ndarray]:
    """Weekly topic volumes: Poisson counts around 15, with a yearly cycle if ``seasonal``."""
    rng = np.random.default_rng(seed)
    k = np.arange(weeks)
    rate = 15 + (10 * np.sin(2 * math.pi * k / 52) if seasonal else np.zeros(weeks))
    return [START + timedelta(weeks=int(w)) for w in k], rng.poisson(rate).astype(float)


def run(detector: SeriesDetector, times: list[datetime], values: np.ndarray) -> list[float]:
    return [detector.update(t, float(v)) for t, v in zip(times, values, strict=True)]


def alerts(config: DetectorConfig, times: list[datetime], values: np.ndarray) -> list[int]:
    """Indices whose assessment (made before learning the point) is an alert."""
    detector = SeriesDetector(config)
    found = []
    for i, (t, v) in enumerate(zip(times, values, strict=True)):
        if detector.assess(t, float(v)).is_alert:
            found.append(i)
        detector.learn(t, float(v))
    return found


def test_spike_in_a_daily_metric_is_flagged_at_once_and_explained():
    times, values = five_minute_series(2000)
    values[1500] += 25
    detector = SeriesDetector(config_for("nab"))
    run(detector, times[:1500], values[:1500])
    assessment = detector.assess(times[1500], values[1500])
    assert assessment.is_alert
    assert assessment.observed > assessment.band_high
    assert assessment.deviation > 3
    assert alerts(config_for("nab"), times, values) == [1500]


def test_level_shift_is_flagged_within_a_few_points_and_reported_as_a_shift():
    times, values = five_minute_series(3500)
    values[2500:] += 8  # within the range already seen: only the deviation scorers can catch it
    found = alerts(config_for("nab"), times, values)
    assert found and 2500 <= found[0] <= 2510
    detector = SeriesDetector(config_for("nab"))
    run(detector, times, values)
    first_shift = detector.level_shifts[0]
    assert 2500 <= first_shift.index <= 2600
    assert first_shift.after > first_shift.before


def test_clean_daily_metric_raises_no_alert_and_no_level_shift():
    times, values = five_minute_series(3000, seed=1)
    assert alerts(config_for("nab"), times, values) == []
    detector = SeriesDetector(config_for("nab"))
    run(detector, times, values)
    assert detector.level_shifts == []


def test_monthly_series_with_yearly_cycle_is_not_flagged_but_an_off_season_value_is():
    times, values = monthly_series(years=8)
    assert alerts(config_for("monthly"), times, values) == []
    off_season = values.copy()
    off_season[84] = 100  # a summer-level January: within the usual range, wrong for its month
    assert alerts(config_for("monthly"), times, off_season) == [84]
    seasonality_blind = replace(config_for("monthly"), components=("level",), seasonality="none")
    assert alerts(seasonality_blind, times, off_season) == [], "only the seasonal view can see this one"


def test_monthly_spike_and_level_shift_are_flagged_within_bounded_delay():
    times, values = monthly_series(years=8)
    spiked = values.copy()
    spiked[75] += 40  # April of year 7: 40 more than usual
    assert alerts(config_for("monthly"), times, spiked) == [75]
    shifted = values.copy()
    shifted[72:] *= 1.5  # demand jumps by half from year 7 on
    found = alerts(config_for("monthly"), times, shifted)
    assert found and 72 <= found[0] <= 74


def test_weekly_topic_counts_are_quiet_until_a_burst():
    times, counts = weekly_counts(156, seasonal=False)
    assert alerts(config_for("weekly"), times, counts) == []
    counts[120] = 60
    assert alerts(config_for("weekly"), times, counts) == [120]


def test_weekly_counts_with_a_yearly_cycle_are_not_flagged():
    times, counts = weekly_counts(52 * 4, seasonal=True, seed=3)
    assert alerts(config_for("weekly_seasonal"), times, counts) == []


@pytest.mark.parametrize(
    "kind, make",
    [
        ("nab", lambda: five_minute_series(1500, seed=2)),
        ("monthly", lambda: monthly_series(years=6)),
        ("weekly", lambda: weekly_counts(120, seasonal=False)),
    ],
)
def test_saved_state_resumes_exactly_like_one_uninterrupted_pass(kind, make):
    times, values = make()
    values = values.copy()
    values[len(values) * 3 // 4] += 30  # something worth scoring after the resume
    uninterrupted = run(SeriesDetector(config_for(kind)), times, values)
    split = len(values) // 2
    first_run = SeriesDetector(config_for(kind))
    first_half = run(first_run, times[:split], values[:split])
    second_run = SeriesDetector.load(first_run.save())
    second_half = run(second_run, times[split:], values[split:])
    assert first_half + second_half == uninterrupted
    assert second_run.n_seen == len(values)


def test_score_does_not_learn():
    times, values = five_minute_series(800)
    detector = SeriesDetector(config_for("nab"))
    run(detector, times[:700], values[:700])
    before = detector.score(times[700], 99.0)
    assert detector.score(times[700], 99.0) == before
    assert detector.update(times[700], 99.0) == before
    assert detector.n_seen == 701


def test_bad_settings_and_states_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="unknown seasonality"):
        DetectorConfig(seasonality="fortnightly")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown series kind"):
        config_for("hourly-ish")
    with pytest.raises(ValueError, match="not a SeriesDetector state"):
        SeriesDetector.load(b"\x80\x05N.")  # a pickled None


def sawtooth_series(
    n: int, period: int = 12, change_at: int | None = None
) -> tuple[list[datetime], np.ndarray]:
    """A 5-minute metric climbing from 0 to 11 and dropping back every ``period`` points; from
    ``change_at`` on it climbs twice as fast (same values, same range, same mean: a new *pattern*)."""
    values = []
    for i in range(n):
        step = 2 if change_at is not None and i >= change_at else 1
        values.append(float((i * step) % period))
    return [START + timedelta(minutes=5 * k) for k in range(n)], np.array(values)


def test_sequence_novelty_scores_a_known_pattern_0_and_a_new_transition_1():
    detector = SequenceNovelty(levels=12, order=4)
    _, values = sawtooth_series(600)
    for y in values:
        detector.learn_one({"y": y})
    assert detector.score_one({"y": 0.0}) == 0.0  # the saw tooth's drop after 11
    assert detector.score_one({"y": 5.0}) == 1.0  # a value seen often, never right after 11
    with pytest.raises(ValueError, match="levels"):
        SequenceNovelty(levels=100)


def test_sequence_novelty_memory_stays_bounded():
    detector = SequenceNovelty(levels=16, order=6, memory=500)
    rng = np.random.default_rng(0)
    for y in rng.normal(size=3000):  # white noise: every context is new
        detector.learn_one({"y": float(y)})
    assert detector.n_contexts == 500


def test_a_pattern_break_within_the_usual_range_is_flagged_only_with_the_context_scorer():
    times, values = sawtooth_series(4000, change_at=3000)
    with_context = alerts(config_for("nab"), times, values)
    assert with_context and 3000 <= with_context[0] <= 3030
    deviation_only = replace(config_for("nab"), components=("level", "seasonal"))
    assert [i for i in alerts(deviation_only, times, values) if i >= 3000] == []
    clean_times, clean = sawtooth_series(4000)
    assert alerts(config_for("nab"), clean_times, clean) == []


def test_an_alert_is_followed_by_a_rest_period_then_alerts_again():
    times, values = five_minute_series(2000)
    values[1500] += 25
    values[1520] += 35  # a higher new extreme, within the first one's rest period
    values[1700] += 60  # an even higher one, well after it
    config = replace(config_for("nab"), range_refractory=5)  # so only the rest period can silence 1520
    assert alerts(config, times, values) == [1500, 1700]
    assert alerts(replace(config, rest_period=0), times, values) == [1500, 1520, 1700]
    detector = SeriesDetector(config)
    run(detector, times[:1520], values[:1520])
    silenced = detector.assess(times[1520], values[1520])
    assert silenced.resting and silenced.score == 0.0 and silenced.components["range"] == 1.0


def test_the_context_scorer_needs_the_likelihood():
    with pytest.raises(ValueError, match="needs likelihood"):
        replace(config_for("monthly"), components=("seasonal", "context"))
