"""Watching monthly series: a planted break is flagged in the week its month ends, clean seasonal series
are not, and the stored detector state gives the same answers as a replay."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import select

from models.forecasting import Frequency
from signals import pipeline
from signals.core.schema import ModelState, Run, Signal
from signals.core.store import NewObservation

SEASON = [0.35, 0.4, 0.6, 0.85, 1.0, 1.3, 2.1, 2.3, 1.2, 0.8, 0.45, 0.65]


def _month(i: int) -> date:
    year, month = divmod(10 + i, 12)  # from November 2022
    return date(2022 + year, month + 1, 1)


def _load(store, drop_at: int | None = 44) -> None:
    rng = np.random.default_rng(4)
    with store.session() as session:
        for name, level in (("nord", 3000.0), ("sud", 12000.0), ("est", 800.0)):
            for i in range(48):
                value = level * SEASON[_month(i).month - 1] * rng.lognormal(0, 0.05)
                if name == "sud" and i == drop_at:
                    value *= 0.45
                store.upsert_observation(
                    session,
                    NewObservation(
                        f"tourisme.nuitees/{name}", _month(i), round(value), "nuitées", name.capitalize()
                    ),
                )


def _alerts(store) -> list[tuple[date, str]]:
    with store.session() as session:
        return sorted(
            (s.first_seen, s.key) for s in session.scalars(select(Signal).where(Signal.kind == "anomaly"))
        )


def test_planted_drop_is_flagged_in_its_week_and_clean_series_are_not(store, settings):
    _load(store)
    pipeline.replay(store, settings, date(2026, 5, 4), date(2026, 10, 4))
    assert _alerts(store) == [(date(2026, 7, 27), "tourisme.nuitees/sud@2026-07-01")]
    with store.session() as session:
        signal = session.scalars(select(Signal).where(Signal.kind == "anomaly")).one()
        metrics, observation = signal.metrics, signal.evidence[0].observation
    assert metrics["direction"] == "low" and metrics["observed"] < metrics["band_low"] < metrics["expected"]
    assert observation.period == date(2026, 7, 1) and math.isclose(observation.value, metrics["observed"])
    assert signal.territory == "Sud"


def test_stored_state_resumes_exactly_and_old_weeks_replay_the_same(store, settings):
    _load(store)
    parts = []
    pipeline.analyze(store, settings, date(2026, 7, 5), progress=lambda *s: parts.append(s))  # stores state
    # `signals analyze` draws its bar from this: topics, themes, signals, series
    assert parts == [("analyse de la semaine", n, 4) for n in range(5)]
    with store.session() as session:
        saved = {s.key: s.meta["points"] for s in session.scalars(select(ModelState))}
    assert saved and all(points == 44 for points in saved.values())  # up to June 2026
    pipeline.analyze(store, settings, date(2026, 8, 2))  # resumes from the stored state
    resumed = _alerts(store)
    pipeline.analyze(store, settings, date(2026, 8, 2))  # again: nothing doubles
    assert _alerts(store) == resumed == [(date(2026, 7, 27), "tourisme.nuitees/sud@2026-07-01")]


def test_no_drop_no_alert(store, settings):
    _load(store, drop_at=None)
    steps = []
    pipeline.replay(store, settings, date(2026, 5, 4), date(2026, 10, 4), progress=lambda *s: steps.append(s))
    assert _alerts(store) == []
    # the replay tells how far it got, week by week (the CLI draws its bar from it)
    assert steps == [("analyse des semaines", n, 22) for n in range(1, 23)]
    again = []
    pipeline.replay(store, settings, date(2026, 5, 4), date(2026, 10, 4), progress=lambda *s: again.append(s))
    assert again == []  # every week already analysed: nothing to do, nothing reported


def test_frequency_and_period_end():
    assert Frequency.nearest([date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]).name == "monthly"
    assert Frequency.nearest([date(2026, 1, 5), date(2026, 1, 12)]).name == "weekly"
    assert Frequency("monthly").period_end(date(2026, 2, 1)) == date(2026, 2, 28)
    assert Frequency("weekly").period_end(date(2026, 1, 5)) == date(2026, 1, 11)


def test_forecasts_are_refitted_on_their_cadence_and_a_lasting_break_is_flagged(store, settings):
    from signals.stages.series import stored_forecast

    _load(store, drop_at=None)
    with store.session() as session:  # from October 2026 on, "nord" runs at a third of its usual level
        for month in (date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1)):
            store.upsert_observation(
                session,
                NewObservation(
                    "tourisme.nuitees/nord",
                    month,
                    round(3000 * SEASON[month.month - 1] / 3),
                    "nuitées",
                    "Nord",
                ),
            )
        for i in range(14):  # a consultation's vote counter, read every 46 days: watched, never forecast
            day = date(2025, 1, 1) + timedelta(days=46 * i)
            store.upsert_observation(
                session, NewObservation("participer.votes/x", day, 10.0 * i, "votes", None)
            )
    assert pipeline.forecast(store, settings, date(2026, 10, 4)).refitted == 3  # one fit per series
    with store.session() as session:
        run = session.scalars(select(Run).where(Run.stage == "forecast")).one()
    assert (run.status, run.counts["not_forecastable"], run.error_count) == ("ok", 1, 0)
    assert pipeline.forecast(store, settings, date(2026, 10, 11)).refitted == 0  # not due yet
    with store.session() as session:
        band = stored_forecast(session, "tourisme.nuitees/nord")
    assert band["fitted_until"] == "2026-09-01" and len(band["band"]) == Frequency("monthly").default_horizon
    assert all(b["yhat_lower"] <= b["yhat"] <= b["yhat_upper"] for b in band["band"])
    pipeline.replay(store, settings, date(2026, 10, 5), date(2027, 2, 7))
    with store.session() as session:
        breaks = session.scalars(select(Signal).where(Signal.kind == "forecast_break")).all()
    assert [(s.key, s.first_seen) for s in breaks] == [
        ("tourisme.nuitees/nord@2026-09-01", date(2026, 12, 28))
    ]
    metrics = breaks[0].metrics
    assert (
        metrics["outside"] >= 3
        and metrics["direction"] == "low"
        and metrics["observed"] < metrics["band_low"]
    )


def test_a_short_series_borrows_its_communes_seasonal_shape_and_bad_ones_are_named(store, settings):
    """A commune with eight months of nights is forecast with the seasonal profile of the indicator's other
    communes (and says so), one with a year with its own last year; a commune with a missing month and
    one with four months get their reasons."""
    from signals.stages.series import stored_forecast

    settings.series.forecast_min_points = 8
    _load(store, drop_at=None)  # nord, sud, est: 48 months to October 2026
    rng = np.random.default_rng(5)
    with store.session() as session:
        for i in range(48):
            month = _month(i)
            value = round(1500 * SEASON[month.month - 1] * rng.lognormal(0, 0.05))
            for name, kept in (("ouest", i >= 39), ("annee", i >= 35), ("trou", i != 40), ("neuf", i >= 43)):
                if kept:
                    store.upsert_observation(
                        session, NewObservation(f"tourisme.nuitees/{name}", month, value, "nuitées", name)
                    )
            if i >= 39:  # the same eight months, of an indicator no other series measures
                store.upsert_observation(
                    session, NewObservation("musee.entrees/ouest", month, value, "", None)
                )
    outcome = pipeline.forecast(store, settings, date(2026, 10, 4))  # data up to September
    assert outcome.not_forecast["tourisme.nuitees/trou"].startswith(
        "trou dans la série mensuelle, périodes manquantes (1) : 2026-03-01"
    )
    assert outcome.not_forecast["tourisme.nuitees/neuf"].startswith(
        "trop courte : une prévision demande au moins"
    )
    assert set(outcome.not_forecast) == {"tourisme.nuitees/trou", "tourisme.nuitees/neuf"}
    with store.session() as session:
        methods = {s: stored_forecast(session, s)["method"] for s in ("tourisme.nuitees/ouest",
                   "tourisme.nuitees/annee", "musee.entrees/ouest", "tourisme.nuitees/nord")}  # fmt: skip
        pooled = pd.DataFrame(stored_forecast(session, "tourisme.nuitees/ouest")["band"])
    members = "median(ets,ces,theta,prophet,seasonal_naive)"
    level = "median(ets,ces,prophet,seasonal_naive)"  # under two years: no slope, Theta sits out
    assert methods == {
        "tourisme.nuitees/ouest": "pooled_profile(3)+" + level,  # nord, sud and est lent their shape
        "tourisme.nuitees/annee": "own_profile+" + level,
        "musee.entrees/ouest": members,  # nothing to borrow from: no seasonality
        "tourisme.nuitees/nord": members,
    }
    peak, low = pooled.loc[pooled.yhat.idxmax(), "ds"], pooled.loc[pooled.yhat.idxmin(), "ds"]
    assert peak[5:7] in ("07", "08") and low[5:7] in ("01", "02")  # the territory's August peak
    with store.session() as session:
        run = session.scalars(select(Run).where(Run.stage == "forecast")).one()
    assert run.counts["not_forecastable"] == 2


def test_quarterly_figures_are_forecast_by_the_stage_after_two_years(store, settings):
    """Quarterly series need two years (8 quarters), not twelve points: the minimum is capped at two
    seasonal cycles; a year and a half is still named as too short, with the number it needs."""
    from signals.stages.series import stored_forecast

    with store.session() as session:
        for i in range(9):
            quarter = date(2024 + (i // 4), 3 * (i % 4) + 1, 1)
            value = 1000.0 + 400 * (quarter.month == 7) + 10 * i
            store.upsert_observation(
                session, NewObservation("tourisme.sejours/lac", quarter, value, "", "Lac")
            )
            if i >= 3:
                store.upsert_observation(
                    session, NewObservation("tourisme.sejours/mont", quarter, value, "", "Mont")
                )
    outcome = pipeline.forecast(store, settings, date(2026, 4, 5))  # the 9th quarter is 2026Q1
    assert outcome.not_forecast == {
        "tourisme.sejours/mont": "trop courte : une prévision demande au moins 8 observations, la série en a 6 "
        "(series.forecast_min_points)"
    }
    with store.session() as session:
        band = pd.DataFrame(stored_forecast(session, "tourisme.sejours/lac")["band"])
    assert len(band) == 8 and band.ds.str[5:7].tolist()[:4] == ["04", "07", "10", "01"]
