"""Watching the numeric series (observations) with the streaming detectors of ``models.anomaly``.

Each series keeps its detector's state in the store, so a weekly run learns only the points that became
available since the previous one and resumes exactly where it stopped. A point becomes available when its
period has ended (plus ``series.publication_lag_days``); the analysis of a week assesses the points that
became available during that week, which makes the result depend only on ``as_of`` (re-analysing an earlier
week replays the series in memory, with the same scores).
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.anomaly import SeriesDetector, config_for
from models.forecast_break import check_forecast_break
from models.forecasting import (  # statsforecast, Prophet load on fit
    ForecastConfig,
    Forecaster,
    Frequency,
    borrowed_profile,
)
from models.forecasting.forecaster import FORMAT_VERSION, too_short
from signals.core.lifecycle import NEW, RISING, THEME_KINDS, Candidate
from signals.core.periods import week_start
from signals.core.schema import TOPIC_VOLUME_SERIES, ModelState, Observation, Signal
from signals.core.settings import Settings

log = logging.getLogger(__name__)

STATE_KIND = "series-detector"
SPARK_POINTS = 24


@dataclass
class Point:
    id: int
    period: date
    end: date  # last day of the period
    value: float


def _points(session: Session, series: str, lag: int) -> tuple[str, list[Point], dict[str, Any]]:
    rows = session.scalars(
        select(Observation).where(Observation.series == series).order_by(Observation.period)
    )
    rows = list(rows)
    frequency = Frequency.nearest([r.period for r in rows])  # irregular series too: they are watched
    lag_days = timedelta(days=lag)
    points = [Point(r.id, r.period, frequency.period_end(r.period) + lag_days, r.value) for r in rows]
    meta = {"unit": rows[0].unit if rows else None, "territory": rows[-1].territory if rows else None}
    return frequency.name, points, meta


def _kind(settings: Settings, series: str, freq: str) -> str:
    """The detector preset: by the series' prefix when one is configured, else by its frequency."""
    for prefix, kind in settings.series.kind_by_prefix.items():
        if series.startswith(prefix):
            return kind
    return settings.series.kind_by_frequency.get(freq, "generic")


def _all_series(session: Session) -> list[str]:
    return list(session.scalars(select(Observation.series).distinct().order_by(Observation.series)))


def watch(session: Session, settings: Settings, as_of: date) -> list[Candidate]:
    """Alerts on the points that became available in the week of ``as_of``: anomalies (one candidate per
    point) and forecast breaks (new points repeatedly outside the band forecast before them)."""
    week = week_start(as_of)
    candidates: list[Candidate] = []
    for series in _all_series(session):
        freq, points, meta = _points(session, series, settings.series.publication_lag_days)
        available = [p for p in points if p.end <= as_of]
        if not available:
            continue
        broken = _forecast_break(session, settings, series, freq, available, meta, week, as_of)
        if broken is not None:
            candidates.append(broken)
        kind = _kind(settings, series, freq)
        scale = _scale(points, settings)
        rises_count = not any(series.startswith(p) for p in settings.series.upward_only_prefixes)
        detector, learned = _detector(session, series, kind, available, week, scale)
        for point in available[learned:]:
            assessment = detector.assess(point.period, scale.forward(point.value))
            detector.update(point.period, scale.forward(point.value))
            if (
                point.end >= week
                and assessment.is_alert
                and (rises_count or point.value > assessment.expected)
            ):
                candidates.append(_candidate(series, freq, point, scale.explain(assessment), available, meta))
        _save(session, series, kind, detector, available, week, scale)
    return candidates


@dataclass(frozen=True)
class Scale:
    """The detectors see log values of positive series: tourism nights and visitor counts vary in proportion
    to their level (a 5 % wobble in August is ten times a 5 % wobble in January), and on the log scale the
    seasonal swings and their noise become additive. Explanations are given back in the series' own units."""

    log: bool

    def forward(self, value: float) -> float:
        return math.log1p(value) if self.log else value

    def back(self, value: float) -> float:
        return math.expm1(value) if self.log else value

    def explain(self, assessment: Any) -> Any:
        if not self.log:
            return assessment
        return replace(
            assessment,
            observed=self.back(assessment.observed),
            expected=self.back(assessment.expected),
            band_low=self.back(assessment.band_low),
            band_high=self.back(assessment.band_high),
        )


def _scale(points: list[Point], settings: Settings) -> Scale:
    return Scale(settings.series.log_positive and bool(points) and all(p.value > 0 for p in points))


def _detector(
    session: Session, series: str, kind: str, available: list[Point], week: date, scale: Scale
) -> tuple[SeriesDetector, int]:
    """The stored detector if it stopped before this week's points, else a fresh one; and how many of the
    available points it has learned, once brought up to the start of the week."""
    state = session.get(ModelState, f"{STATE_KIND}:{series}")
    detector, learned = None, 0
    if state is not None and state.meta.get("kind") == kind and state.meta.get("log") == scale.log:
        count = int(state.meta.get("points", 0))
        known = available[:count]
        if (
            count <= len(available)
            and known
            and known[-1].period.isoformat() == state.meta.get("last_period")
        ):
            detector, learned = SeriesDetector.load(state.state), count
    if detector is None:
        detector = SeriesDetector(config_for(kind))
    for point in available[learned:]:
        if point.end >= week:
            break
        detector.update(point.period, scale.forward(point.value))
        learned += 1
    return detector, learned


def _save(
    session: Session,
    series: str,
    kind: str,
    detector: SeriesDetector,
    available: list[Point],
    week: date,
    scale: Scale,
) -> None:
    """Keep the state only when it moved forward (re-analysing an old week must not rewind it)."""
    key = f"{STATE_KIND}:{series}"
    state = session.get(ModelState, key)
    if state is not None and int(state.meta.get("points", 0)) >= len(available):
        return
    if state is None:
        state = ModelState(key=key, kind=STATE_KIND, state=b"")
        session.add(state)
    state.state = detector.save()
    state.last_point = datetime.combine(available[-1].end, datetime.min.time(), tzinfo=UTC)
    state.meta = {
        "kind": kind,
        "log": scale.log,
        "points": len(available),
        "last_period": available[-1].period.isoformat(),
        "week": week.isoformat(),
    }


def _candidate(
    series: str, freq: str, point: Point, assessment: Any, available: list[Point], meta: dict[str, Any]
) -> Candidate:
    history = [p for p in available if p.period <= point.period][-SPARK_POINTS:]
    direction = "low" if point.value < assessment.expected else "high"
    metrics = {
        "type": "anomaly",
        "series": series,
        "frequency": freq,
        "period": point.period.isoformat(),
        "observed": point.value,
        "expected": round(float(assessment.expected), 2),
        "band_low": round(float(assessment.band_low), 2),
        "band_high": round(float(assessment.band_high), 2),
        "deviation": round(float(assessment.deviation), 2),
        "anomaly_score": round(float(assessment.score), 4),
        "direction": direction,
        "unit": meta["unit"],
        "territory": meta["territory"],
        "points": [{"period": p.period.isoformat(), "value": p.value} for p in history],
    }
    label = " · ".join(
        x for x in (series.split("/")[0], meta["territory"], point.period.strftime("%Y-%m")) if x
    )
    return Candidate(
        kind="anomaly",
        key=f"{series}@{point.period.isoformat()}",
        label=label,
        score=round(10.0 * float(assessment.score) * min(abs(float(assessment.deviation)), 10.0), 3),
        level=abs(float(assessment.deviation)),
        term_hashes=[],
        recent_docs=set(),
        metrics=metrics,
        evidence=[],
        observations=[point.id],
    )


# --- forecasts ----------------------------------------------------------------------------------------

FORECAST_KIND = "series-forecaster"
VOLUME_SERIES = TOPIC_VOLUME_SERIES


def _history(points: list[Point]) -> pd.Series:
    return pd.Series(
        [p.value for p in points], index=pd.DatetimeIndex([pd.Timestamp(p.period) for p in points])
    )


def refresh_forecasts(
    session: Session, settings: Settings, as_of: date, skipped: list[tuple[str, str]] | None = None
) -> int:
    """Refit the forecaster of each series whose refit is due (its cadence, not every point); returns how
    many were refitted. Each stored forecast keeps its band, so later points are checked against it. A
    series under two seasonal cycles borrows the seasonal profile of the other series of its indicator
    (``family``: the territory's other communes). Series that cannot be forecast (too short, a gap,
    irregular) are listed in ``skipped`` with the reason."""
    skipped = skipped if skipped is not None else []
    fitted = 0
    topics = forecast_topics(session)
    available = _Available(session, settings, as_of)
    for series in _all_series(session):
        if series.startswith(VOLUME_SERIES + "/") and series not in topics:
            continue
        points = available(series)
        if not points:
            continue
        needed = _points_needed([p.period for p in points], settings)
        if len(points) < needed:
            skipped.append(
                (
                    series,
                    f"{too_short(len(points), needed)} (series.forecast_min_points)",
                )
            )
            continue
        key = f"{FORECAST_KIND}:{series}"
        state = session.get(ModelState, key)
        if state is not None and date.fromisoformat(state.meta["as_of"]) > as_of:
            continue  # a later forecast exists: an older --as-of must not overwrite it
        try:
            if state is not None and _saved_format(state) == FORMAT_VERSION:
                forecaster = Forecaster.from_json(state.state.decode("utf-8"))
                new = _history([p for p in points if p.period > forecaster.fitted_until.date()])
                if new.empty or not forecaster.update(new):
                    continue
            else:
                history = _history(points)
                lenders = (_history(available(s)) for s in _all_series(session) if _lends_to(s, series))
                profile = borrowed_profile(history, lenders, _config(settings))
                forecaster = Forecaster(_config(settings)).fit(history, profile)
        except ValueError as exc:  # an irregular or degenerate series: listed, the others go on
            skipped.append((series, str(exc)))
            continue
        _store(session, key, state, forecaster, settings, as_of, points[-1].end)
        fitted += 1
    return fitted


def family(series: str) -> str:
    """The indicator a series measures, the part of its key before the place: ``tourisme.nuitees`` of
    ``tourisme.nuitees/nord``."""
    return series.split("/", 1)[0]


def _lends_to(other: str, series: str) -> bool:
    return other != series and "/" in series and family(other) == family(series)


class _Available:
    """The points of each series available as of a day, read once per run."""

    def __init__(self, session: Session, settings: Settings, as_of: date) -> None:
        self.session, self.lag, self.as_of = session, settings.series.publication_lag_days, as_of
        self.read: dict[str, list[Point]] = {}

    def __call__(self, series: str) -> list[Point]:
        if series not in self.read:
            _, points, _ = _points(self.session, series, self.lag)
            self.read[series] = [p for p in points if p.end <= self.as_of]
        return self.read[series]


def _config(settings: Settings) -> ForecastConfig:
    return ForecastConfig(interval_width=settings.series.forecast_interval)


def _forecaster(settings: Settings) -> Forecaster:
    return Forecaster(_config(settings))


def _store(
    session: Session,
    key: str,
    state: ModelState | None,
    forecaster: Forecaster,
    settings: Settings,
    as_of: date,
    last_point: date,
) -> ModelState:
    """Save a fitted forecaster and its band (the horizon from settings, else its frequency's) under ``key``:
    the one record every reader of a forecast uses (forecast breaks, the quarterly report)."""
    horizon = settings.series.forecast_horizon or forecaster.frequency.default_horizon
    band = forecaster.forecast(horizon)
    if state is None:
        state = ModelState(key=key, kind=FORECAST_KIND, state=b"")
        session.add(state)
    state.state = forecaster.to_json().encode("utf-8")
    state.last_point = datetime.combine(last_point, datetime.min.time(), tzinfo=UTC)
    state.meta = {
        "as_of": as_of.isoformat(),
        "fitted_until": forecaster.fitted_until.date().isoformat(),
        "method": forecaster.method,
        "frequency": forecaster.frequency.name,
        "interval": forecaster.config.interval_width,
        "band": [
            {
                "ds": r.ds.date().isoformat(),
                "yhat": round(float(r.yhat), 3),
                "yhat_lower": round(float(r.yhat_lower), 3),
                "yhat_upper": round(float(r.yhat_upper), 3),
            }
            for r in band.itertuples()
        ],
    }
    return state


def _points_needed(dates: list[date], settings: Settings) -> int:
    """``series.forecast_min_points``, capped at two seasonal cycles of the series' frequency."""
    return Frequency.nearest(dates).min_points(settings.series.forecast_min_points)


def quarter_forecasts(
    session: Session,
    settings: Settings,
    quarter: str,
    histories: dict[str, list[tuple[date, float]]],
    skipped: list[tuple[str, str]] | None = None,
) -> dict[str, dict[str, Any]]:
    """The forecast of each indicator's territory history as of the end of ``quarter`` (the quarterly
    report's), fitted once by this stage and stored under ``forecast:<indicator>@<quarter>``; later calls
    read the stored one. Histories too short (``_points_needed``) get none; a series that cannot be
    forecast is listed in ``skipped`` with its reason."""
    skipped = skipped if skipped is not None else []
    out = {}
    for indicator, history in sorted(histories.items()):
        key = f"{FORECAST_KIND}:{indicator}@{quarter}"
        state = session.get(ModelState, key)
        if state is None:
            if len(history) < _points_needed([d for d, _ in history], settings):
                continue
            series = pd.Series([v for _, v in history], index=pd.DatetimeIndex([d for d, _ in history]))
            try:
                forecaster = _forecaster(settings).fit(series)
            except ValueError as exc:
                skipped.append((indicator, str(exc)))
                continue
            state = _store(session, key, None, forecaster, settings, history[-1][0], history[-1][0])
        out[indicator] = dict(state.meta)
    return out


def stored_quarter_forecasts(session: Session, quarter: str) -> dict[str, dict[str, Any]]:
    """The indicators' forecasts that ``quarter_forecasts`` stored for ``quarter``, read only (nothing is
    fitted): what the web console shows beside the quarter's report."""
    prefix, suffix = f"{FORECAST_KIND}:", f"@{quarter}"
    rows = session.scalars(select(ModelState).where(ModelState.key.like(f"{prefix}%{suffix}")))
    return {row.key[len(prefix) : -len(suffix)]: dict(row.meta) for row in rows if row.key.endswith(suffix)}


def _saved_format(state: ModelState) -> int | None:
    """The format a stored forecaster was saved in: one saved by an older version is refitted, not read."""
    try:
        return json.loads(state.state.decode("utf-8")).get("format")
    except (ValueError, AttributeError):
        return None


def forecast_topics(session: Session) -> set[str]:
    """Volume series of the topics of new or rising themes: the topics worth a forecast."""
    from signals.stages.topics import topic_volume_series

    keys = set()
    for signal in session.scalars(
        select(Signal).where(Signal.status.in_((NEW, RISING)), Signal.kind.in_(THEME_KINDS))
    ):
        topic = (signal.metrics or {}).get("topic") or {}
        if "number" in topic and topic.get("model_id") is not None:
            keys.add(topic_volume_series(topic["model_id"], topic["number"]))
    return keys


def stored_forecast(session: Session, series: str) -> dict[str, Any] | None:
    """The last stored forecast of a series: fitted_until, method, and its band (for reports)."""
    state = session.get(ModelState, f"{FORECAST_KIND}:{series}")
    return dict(state.meta) if state is not None else None


def _forecast_break(
    session: Session,
    settings: Settings,
    series: str,
    freq: str,
    available: list[Point],
    meta: dict[str, Any],
    week: date,
    as_of: date,
) -> Candidate | None:
    """A break when ``break_k`` of the last ``break_n`` points since the forecast fell outside its band,
    one of them this week. Only a forecast made before these points (as of an earlier day) is used."""
    stored = stored_forecast(session, series)
    if stored is None or date.fromisoformat(stored["as_of"]) > as_of:
        return None
    fitted_until = date.fromisoformat(stored["fitted_until"])
    after = [p for p in available if p.period > fitted_until]
    if not after or after[-1].end < week:
        return None
    band = pd.DataFrame(stored["band"])
    check = check_forecast_break(
        band, _history(after), settings.series.break_k, settings.series.break_n, series
    )
    if not check.is_break or not any(
        pd.Timestamp(p.period) == check.anomalies[-1].date for p in after if p.end >= week
    ):
        return None
    last = check.anomalies[-1]
    point = next(p for p in after if pd.Timestamp(p.period) == last.date)
    metrics = {
        "type": "forecast_break",
        "series": series,
        "frequency": freq,
        "period": point.period.isoformat(),
        "observed": point.value,
        "expected": round(last.expected, 2),
        "band_low": round(last.lower, 2),
        "band_high": round(last.upper, 2),
        "deviation": round(last.band_widths or 0.0, 2),  # in half-widths of the band
        "direction": "low" if point.value < last.expected else "high",
        "outside": check.outside,
        "checked": len(check.points),
        "forecast_from": stored["fitted_until"],
        "unit": meta["unit"],
        "territory": meta["territory"],
        "break": check.explanation(),
        "points": [{"period": p.period.isoformat(), "value": p.value} for p in available[-SPARK_POINTS:]],
    }
    label = " · ".join(x for x in (series.split("/")[0], meta["territory"], "rupture de prévision") if x)
    return Candidate(
        kind="forecast_break",
        key=f"{series}@{stored['fitted_until']}",
        label=label,
        score=round(10.0 * check.outside, 3),
        level=float(check.outside),
        term_hashes=[],
        recent_docs=set(),
        metrics=metrics,
        evidence=[],
        observations=[p.id for p in after if pd.Timestamp(p.period) in {a.date for a in check.anomalies}],
    )
