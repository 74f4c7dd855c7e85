"""Behaviour of models.forecasting (Forecaster, Frequency, fit_many) and models.forecast_break on generated
series: every frequency, pooled short histories, refused histories with their reasons, saved state."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.forecast_break import check_forecast_break
from models.forecasting import ForecastConfig, Forecaster, Frequency, SeasonalProfile, fit_many


def monthly_nights(seed: int, months: int = 60) -> pd.Series:
    """Tourist nights: summer peak, slight growth, 10 % multiplicative noise."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2018-01-01", periods=months, freq="MS")
    t = np.arange(months)
    level = 5000 * np.exp(0.6 * np.cos(2 * np.pi * (t % 12 - 7) / 12) + 0.03 * t / 12)
    return pd.Series(level * np.exp(rng.normal(0, 0.1, months)), index=dates)


def daily_visits(seed: int, days: int = 140) -> pd.Series:
    """Visits with a weekend rise and 5 % noise."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=days, freq="D")
    weekend = 1 + 0.4 * (dates.dayofweek >= 5)
    return pd.Series(200 * weekend * np.exp(rng.normal(0, 0.05, days)), index=dates)


def inside(band: pd.DataFrame, actual: pd.Series) -> np.ndarray:
    values = actual.to_numpy()
    return (values >= band.yhat_lower.to_numpy()) & (values <= band.yhat_upper.to_numpy())


def test_band_covers_held_back_points_near_its_nominal_rate() -> None:
    hits = []
    for seed in range(6):
        series = monthly_nights(seed)
        history, held_back = series.iloc[:48], series.iloc[48:]
        hits.extend(inside(Forecaster().fit(history).forecast(12), held_back))
    coverage = float(np.mean(hits))  # 72 held-back months, nominal 0.8
    assert 0.65 <= coverage <= 0.95, coverage


def test_wider_nominal_coverage_gives_a_wider_band() -> None:
    history = daily_visits(1)
    narrow = Forecaster(ForecastConfig(interval_width=0.5)).fit(history).forecast(14)
    wide = Forecaster(ForecastConfig(interval_width=0.95)).fit(history).forecast(14)
    assert ((wide.yhat_upper - wide.yhat_lower) > (narrow.yhat_upper - narrow.yhat_lower)).all()
    assert np.allclose(wide.yhat, narrow.yhat)


def test_forecast_follows_the_weekly_and_yearly_cycles() -> None:
    daily = Forecaster().fit(daily_visits(2)).forecast(14)
    weekend = daily.ds.dt.dayofweek >= 5
    assert daily.yhat[weekend].min() > daily.yhat[~weekend].max()
    monthly = Forecaster().fit(monthly_nights(3)).forecast(12)
    assert monthly.ds.dt.month[monthly.yhat.idxmax()] in (7, 8, 9)  # generated peak: August
    assert monthly.ds.dt.month[monthly.yhat.idxmin()] in (1, 2, 3)  # generated low: February


def test_planted_break_is_detected_and_clean_continuation_is_not() -> None:
    series = daily_visits(4, days=154)
    history, future = series.iloc[:140], series.iloc[140:]
    band = Forecaster().fit(history).forecast(14)
    clean = check_forecast_break(band, future, k=3, n=5, series="visits")
    shifted = future.copy()
    shifted.iloc[8:] *= 1.6  # a new regime from the 9th day on
    broken = check_forecast_break(band, shifted, k=3, n=5, series="visits")
    assert not clean.is_break
    assert broken.is_break and broken.outside == 5
    first = broken.explanation()["points"][0]
    assert first["date"] == shifted.index[9].date().isoformat()
    assert first["observed"] == pytest.approx(shifted.iloc[9])
    assert first["deviation"] == pytest.approx(shifted.iloc[9] - band.yhat.iloc[9])
    assert first["band_widths"] > 1 and first["outside"]


def test_break_rule_counts_k_of_the_last_n_matched_observations() -> None:
    dates = pd.date_range("2025-01-01", periods=6, freq="MS")
    band = pd.DataFrame({"ds": dates, "yhat": 10.0, "yhat_lower": 8.0, "yhat_upper": 12.0})
    observed = pd.Series([20.0, 20.0, 10.0, 10.0, 13.0, 10.0], index=dates)
    assert not check_forecast_break(band, observed, k=2, n=3).is_break  # last 3: only 13 is outside
    assert check_forecast_break(band, observed, k=1, n=3).is_break
    check = check_forecast_break(band, observed, k=3, n=6)
    assert check.outside == 3 and check.is_break
    assert [p.deviation for p in check.anomalies] == [10.0, 10.0, 3.0]
    unmatched = pd.Series([50.0, 50.0], index=pd.to_datetime(["2024-01-01", "2030-01-01"]))
    assert check_forecast_break(band, unmatched, k=1, n=5).points == ()
    with pytest.raises(ValueError):
        check_forecast_break(band, observed, k=4, n=3)


def test_save_and_load_give_identical_forecasts() -> None:
    for series in (daily_visits(5), monthly_nights(5)):
        forecaster = Forecaster().fit(series)
        restored = Forecaster.from_json(forecaster.to_json())
        pd.testing.assert_frame_equal(restored.forecast(20), forecaster.forecast(20), check_exact=True)
        assert restored.method == forecaster.method and restored.fitted_until == forecaster.fitted_until


def test_update_refits_on_its_cadence_only() -> None:
    series = monthly_nights(6, months=40)
    forecaster = Forecaster(ForecastConfig(refit_every=3)).fit(series.iloc[:36])
    first_band = forecaster.forecast(4)
    assert forecaster.update(series.iloc[36:38]) is False
    assert forecaster.update(series.iloc[36:38]) is False  # the same observations again count once
    assert forecaster.fitted_until == series.index[35]
    pd.testing.assert_frame_equal(forecaster.forecast(4), first_band)
    assert forecaster.update(series.iloc[38:39]) is True
    assert forecaster.fitted_until == series.index[38]
    restored = Forecaster.from_json(forecaster.to_json())
    assert restored.update(series.iloc[39:40]) is False  # counted from the saved history


@pytest.mark.parametrize(
    ("dates", "name", "anchor", "following"),
    [
        (pd.date_range("2024-02-27", periods=5, freq="D"), "daily", "start", ["2024-03-03", "2024-03-04"]),
        (
            pd.date_range("2024-01-07", periods=5, freq="W-SUN"),
            "weekly",
            "start",
            ["2024-02-11", "2024-02-18"],
        ),
        (pd.date_range("2024-01-01", periods=5, freq="MS"), "monthly", "start", ["2024-06-01", "2024-07-01"]),
        (pd.date_range("2024-01-31", periods=5, freq="ME"), "monthly", "end", ["2024-06-30", "2024-07-31"]),
        (
            pd.DatetimeIndex(["2024-01-15", "2024-02-15", "2024-03-15"]),
            "monthly",
            "day",
            ["2024-04-15", "2024-05-15"],
        ),
        (
            pd.date_range("2023-01-01", periods=5, freq="QS"),
            "quarterly",
            "start",
            ["2024-04-01", "2024-07-01"],
        ),
        (pd.date_range("2023-03-31", periods=5, freq="QE"), "quarterly", "end", ["2024-06-30", "2024-09-30"]),
        (pd.date_range("2019-01-01", periods=5, freq="YS"), "yearly", "start", ["2024-01-01", "2025-01-01"]),
    ],
)
def test_frequency_is_inferred_and_continued(
    dates: pd.DatetimeIndex, name: str, anchor: str, following: list[str]
) -> None:
    frequency = Frequency.infer(dates)
    assert (frequency.name, frequency.anchor) == (name, anchor)
    assert frequency.future(dates[-1], 2).strftime("%Y-%m-%d").tolist() == following


def test_each_frequency_has_its_cycle_and_default_horizon() -> None:
    expected = {
        "daily": (7, 28),
        "weekly": (52, 13),
        "monthly": (12, 24),
        "quarterly": (4, 8),
        "yearly": (1, 4),
    }
    assert {n: (Frequency(n).season_length, Frequency(n).default_horizon) for n in expected} == expected


def test_a_missing_period_does_not_change_the_inferred_frequency_but_is_found() -> None:
    dates = pd.date_range("2024-01-01", periods=10, freq="W-MON").delete(4)
    frequency = Frequency.infer(dates)
    assert frequency.name == "weekly"
    assert frequency.missing(dates).strftime("%Y-%m-%d").tolist() == ["2024-01-29"]


def test_irregular_spacing_and_short_histories_are_refused_with_their_reason() -> None:
    every_46_days = pd.date_range("2024-01-01", periods=8, freq="46D")
    with pytest.raises(ValueError, match="espacées de 46 jours"):
        Frequency.infer(every_46_days)
    assert Frequency.nearest(every_46_days).name == "quarterly"  # still dated, for watching
    with pytest.raises(
        ValueError, match="trop courte : une prévision demande au moins 4 observations, la série en a 3"
    ):
        Forecaster().fit(pd.Series([1.0, 2.0, 3.0], index=pd.date_range("2024-01-01", periods=3)))
    with pytest.raises(TypeError, match="DatetimeIndex"):
        Forecaster().fit(pd.Series([1.0, 2.0, 3.0, 4.0, 5.0]))


def test_a_series_with_a_gap_is_refused_naming_the_missing_period() -> None:
    series = monthly_nights(10, months=36).drop(pd.Timestamp("2019-05-01"))
    with pytest.raises(
        ValueError, match=r"trou dans la série mensuelle, périodes manquantes \(1\) : 2019-05-01 ; "
    ):
        Forecaster().fit(series)


def generated(name: str, seed: int) -> pd.Series:
    """A positive series of each frequency with its cycle (weekday, week of year, month, quarter) and a
    gentle rise, 5 % noise."""
    rng = np.random.default_rng(seed)
    length, freq = {"daily": (120, "D"), "weekly": (156, "W-MON"), "monthly": (72, "MS"),
                    "quarterly": (40, "QS"), "yearly": (20, "YS")}[name]  # fmt: skip
    dates = pd.date_range("2015-01-05", periods=length, freq=freq)
    frequency = Frequency(name)
    position = frequency.season_position(dates)
    cycle = (
        1 + 0.4 * np.cos(2 * np.pi * position / frequency.season_length) if frequency.season_length > 1 else 1
    )
    level = 1000 * (1 + 0.02 * np.arange(length) / max(frequency.season_length, 1))
    return pd.Series(level * cycle * np.exp(rng.normal(0, 0.05, length)), index=dates)


@pytest.mark.parametrize("name", ["daily", "weekly", "monthly", "quarterly", "yearly"])
def test_each_frequency_is_forecast_over_its_default_horizon(name: str) -> None:
    history = generated(name, seed=11)
    forecaster = Forecaster().fit(history)
    frequency = forecaster.frequency
    band = forecaster.forecast(frequency.default_horizon)
    assert frequency.name == name
    assert band.ds.tolist() == frequency.future(history.index[-1], frequency.default_horizon).tolist()
    assert np.isfinite(band[["yhat", "yhat_lower", "yhat_upper"]].to_numpy()).all()
    assert ((band.yhat_lower <= band.yhat) & (band.yhat <= band.yhat_upper)).all()
    if frequency.season_length > 1:  # the generated cycle peaks at position 0 of each cycle
        peaks = band.yhat.to_numpy()[frequency.season_position(pd.DatetimeIndex(band.ds)) == 0]
        assert peaks.mean() > band.yhat.mean()
    else:  # a rising yearly series is not forecast to fall back
        assert band.yhat.mean() > history.iloc[:-4].mean()


def test_a_short_history_borrows_the_seasonal_shape_of_the_panel() -> None:
    long = {f"commune {i}": monthly_nights(20 + i) for i in range(4)}
    short = monthly_nights(30, months=60).iloc[-9:]  # a commune with 9 months of data: no whole year
    fits = fit_many({**long, "new commune": short}, ForecastConfig(members=("ets", "theta")))
    band = fits.forecasters["new commune"].forecast(12)
    months = band.ds.dt.month
    assert months[band.yhat.idxmax()] in (7, 8, 9) and months[band.yhat.idxmin()] in (1, 2, 3)
    # a level without a slope under two cycles: Theta, a drift method, sits out
    assert fits.forecasters["new commune"].method == "pooled_profile(4)+median(ets)"
    restored = Forecaster.from_json(fits.forecasters["new commune"].to_json())
    assert restored.update(monthly_nights(31, months=60).iloc[-9:].shift(3, freq="MS").iloc[-3:])
    assert restored.method == "own_profile+median(ets)"  # a whole year of its own: its own shape
    assert not fits.failures
    alone = Forecaster(ForecastConfig(members=("ets", "theta"))).fit(short)  # nothing to borrow: no cycle
    assert alone.method == "median(ets,theta)"


def test_a_panel_reports_each_bad_series_and_fits_the_others() -> None:
    gap = monthly_nights(12, months=30).drop(pd.Timestamp("2019-03-01"))
    panel = {"fine": monthly_nights(12), "gap": gap, "short": monthly_nights(12, months=3)}
    fits = fit_many(panel, ForecastConfig(members=("ets",)))
    assert list(fits.forecasters) == ["fine"]
    assert fits.failures["gap"].startswith("trou dans la série mensuelle, périodes manquantes (1)")
    assert fits.failures["short"].startswith("trop courte : ")


def test_a_forecaster_saved_in_the_old_format_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="format 1"):
        Forecaster.from_json('{"format": 1}')


def test_counts_with_zeros_get_a_non_negative_band() -> None:
    rng = np.random.default_rng(7)
    weeks = pd.date_range("2024-01-07", periods=30, freq="W-SUN")
    counts = pd.Series(rng.poisson(1.5, 30).astype(float), index=weeks)
    assert (counts == 0).any()
    band = Forecaster().fit(counts).forecast(8)
    assert (band.yhat_lower >= 0).all() and (band.yhat_lower <= band.yhat_upper).all()


def test_seasonal_naive_takes_over_where_it_forecasts_better_when_asked() -> None:
    rng = np.random.default_rng(8)
    weeks = pd.date_range("2023-01-01", periods=48, freq="W-SUN")  # under a year: the naive is last week's
    # a level that jumps up or down and stays, with no noise: last week's value is the best forecast
    jumps = (rng.random(48) < 0.2) * rng.choice([-300, 300], 48)
    steps = pd.Series(3000 + np.cumsum(jumps), index=weeks, dtype=float)
    fallback = ForecastConfig(members=("theta",), naive_fallback=True)  # Theta's drift loses on steps
    assert Forecaster(fallback).fit(steps).method == "seasonal_naive"
    assert Forecaster(ForecastConfig(members=("theta",))).fit(steps).method == "median(theta)"
    seasonal = ForecastConfig(members=("ets",), naive_fallback=True)
    assert Forecaster(seasonal).fit(monthly_nights(9)).method == "median(ets)"


def test_a_history_of_one_to_two_years_is_forecast_with_its_own_last_year_shape() -> None:
    """Two cycles are needed to model a seasonality; with one, the last year gives the shape (not last
    month's level repeated)."""
    history, actual = monthly_nights(4, months=18), monthly_nights(4, months=30).iloc[18:]
    forecaster = Forecaster().fit(history)
    band = forecaster.forecast(12)
    assert forecaster.method.startswith("own_profile+median(")
    assert band.ds.dt.month[band.yhat.idxmax()] in (7, 8, 9)
    assert band.ds.dt.month[band.yhat.idxmin()] in (1, 2, 3)
    assert float(np.mean(inside(band, actual))) >= 0.5


def test_a_series_with_a_season_at_zero_lends_no_profile_and_is_still_forecast() -> None:
    """A campsite closed from November to March: a multiplicative shape with zeros would divide by zero."""
    months = pd.date_range("2020-01-01", periods=48, freq="MS")
    open_season = np.where((months.month >= 4) & (months.month <= 10), 1.0, 0.0)
    campsite = pd.Series(500 * open_season * (1 + 0.1 * np.sin(np.arange(48))), index=months)
    assert SeasonalProfile.estimate(campsite.to_numpy(), months, Frequency("monthly")) is None
    short = campsite.iloc[-10:]
    fits = fit_many({"campsite": campsite, "new campsite": short}, ForecastConfig(members=("ets",)))
    assert not fits.failures and fits.forecasters["new campsite"].method == "median(ets)"
    assert np.isfinite(fits.forecasters["new campsite"].forecast(12).yhat).all()
