"""The weekly analysis: topics, themes and series of a week become signals, and the forecasts are refreshed."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from signals.core import clock
from signals.core.lifecycle import NATURE_NEW, SERIES_KINDS, STATUSES, THEME_KINDS, Update, step
from signals.core.periods import (
    parse_week,
    week_label,
    week_start,
    weeks_between,
)
from signals.core.registry import load_tracked, save_updates
from signals.core.schema import Run
from signals.core.settings import Settings
from signals.core.store import Store
from signals.pipeline.collect import read_territory
from signals.pipeline.progress import Progress

log = logging.getLogger(__name__)


@dataclass
class AnalysisResult:
    week: date
    as_of: date
    documents: int
    run_id: int
    statuses: dict[str, int] = field(default_factory=dict)
    new: list[str] = field(default_factory=list)


ANALYSING = "analyse de la semaine"  # progress step: topics, themes, signals, series
ANALYSIS_PARTS = 4


def analyze(
    store: Store,
    settings: Settings,
    as_of: date | None = None,
    refit_topics: bool = False,
    progress: Progress | None = None,
) -> AnalysisResult:
    """Detect this week's emerging themes from data published up to ``as_of`` and update the signals.

    The topic model is extended with the week's documents; ``refit_topics`` fits it again on the whole
    window instead (on demand: after a change of embedding model, or when topics have drifted).
    ``progress`` hears each part done (topics, themes, signals, series)."""
    from signals.stages.analysis import (
        detect,
    )  # numpy/scipy/river/bertopic: loaded only by the stages that need them
    from signals.stages.series import watch as watch_series
    from signals.stages.topics import record_volumes, topic_labels, update_topics

    as_of = as_of or clock.today(settings.tz)
    week = week_start(as_of)
    parts = iter(range(1, ANALYSIS_PARTS + 1))

    def done() -> None:
        if progress is not None:
            progress(ANALYSING, next(parts), ANALYSIS_PARTS)

    if progress is not None:
        progress(ANALYSING, 0, ANALYSIS_PARTS)
    with store.recording("analyze", target=week_label(week)) as run, store.session() as session:
        topics = update_topics(session, settings, as_of, refit_topics) if settings.topics.enabled else None
        done()
        tracked = load_tracked(session, week, THEME_KINDS)
        _, communes = read_territory(settings)
        hashes = {t.id: t.term_hashes for t in tracked if t.id is not None}
        detection = detect(
            session,
            as_of,
            settings,
            hashes,
            gazetteer=communes,
            topic_model_id=topics.model_id if topics else None,
        )
        done()
        for signal in tracked:
            signal.follow(detection.tracked.get(signal.id or -1))
        candidates = detection.candidates + _new_topics(detection, tracked, settings)
        updates = step(tracked, candidates, week, settings.detection)
        save_updates(session, updates, week)
        if topics is not None and topics.model_id is not None and detection.topic_volumes is not None:
            weeks, counts, totals, numbers = detection.topic_volumes
            labels = topic_labels(session, topics.model_id)
            run.count(
                "topic_volumes",
                record_volumes(
                    store,
                    session,
                    topics.model_id,
                    weeks,
                    counts,
                    totals,
                    numbers,
                    labels,
                    as_of,
                    backfill=topics.refitted,
                ),
            )
        done()
        alerts = watch_series(session, settings, as_of)
        past_alerts = load_tracked(session, week, SERIES_KINDS)
        series_updates = step(past_alerts, alerts, week, settings.detection, follow_unflagged=False)
        save_updates(session, series_updates, week)
        updates += series_updates
        done()
        result = AnalysisResult(week, as_of, detection.documents, run.run_id)
        result.statuses = _count_statuses(updates)
        result.new = [
            f"{u.candidate.label} ({u.nature})" if u.nature not in (None, NATURE_NEW) else u.candidate.label
            for u in updates
            if u.raised and u.candidate
        ]
        run.count("documents", detection.documents)
        run.count("candidates", len(detection.candidates))
        if topics is not None:
            run.count("embedded", topics.embedded)
            run.count("topics", topics.topics)
            run.count("new_topics", len(topics.new_topics))
        run.count("series_alerts", len(alerts))
        for status, n in result.statuses.items():
            run.count(f"signals.{status}", n)
    return result


@dataclass
class ForecastOutcome:
    """What a forecast run did: how many series were refitted, and each series that could not be forecast
    with the reason (too short, a gap, irregular spacing)."""

    refitted: int
    not_forecast: dict[str, str] = field(default_factory=dict)


def forecast(store: Store, settings: Settings, as_of: date | None = None) -> ForecastOutcome:
    """Refit the series' forecasters that are due (on their cadence); short series borrow the seasonal
    profile of their indicator's other series."""
    from signals.stages.series import refresh_forecasts

    as_of = as_of or clock.today(settings.tz)
    with store.recording("forecast", target=as_of.isoformat()) as run, store.session() as session:
        skipped: list[tuple[str, str]] = []
        fitted = refresh_forecasts(session, settings, as_of, skipped)
        run.count("refitted", fitted)
        # Not an input error: irregular series (a consultation's counters, read when it changes) are watched
        # for anomalies but have no forecast. Counted, named in the log and in the outcome.
        if skipped:
            run.count("not_forecastable", len(skipped))
            log.info("%d series not forecast: %s", len(skipped), "; ".join(f"{s} ({r})" for s, r in skipped))
    return ForecastOutcome(fitted, dict(skipped))


def _new_topics(detection: Any, tracked: list[Any], settings: Settings) -> list[Any]:
    """Emerging topics that are not already a theme of the week or a followed signal (those carry their
    topic in their numbers instead)."""
    taken = [c.recent_docs for c in detection.candidates] + [
        t.recent_docs for t in tracked if t.kind != "emerging_topic"
    ]
    kept = []
    for candidate in detection.topic_candidates:
        docs = candidate.recent_docs
        overlap = max((len(docs & other) / max(len(docs), 1) for other in taken), default=0.0)
        if overlap < settings.topics.attach_overlap:
            kept.append(candidate)
    return kept


def _count_statuses(updates: list[Update]) -> dict[str, int]:
    counts = {s: 0 for s in STATUSES}
    for update in updates:
        if update.event != "merged":
            counts[update.status] += 1
    return {k: v for k, v in counts.items() if v}


def analyzed_weeks(store: Store) -> set[date]:
    """The weeks whose analysis ran to the end: one run record per week, whether it found signals or not
    (the one answer to "has this week been analysed", for the brief, the replay and the scheduler)."""
    with store.session() as session:
        labels = session.scalars(
            select(Run.target).where(Run.stage == "analyze", Run.status.in_(("ok", "partial")))
        ).all()
    return {parse_week(label) for label in labels if label}


def replay(
    store: Store,
    settings: Settings,
    first: date,
    last: date,
    skip_done: bool = True,
    progress: Progress | None = None,
) -> list[AnalysisResult]:
    """Analyse each week from ``first`` to ``last`` in order (as of each Sunday), so lifecycles build up."""
    done = analyzed_weeks(store) if skip_done else set()
    weeks = [w for w in weeks_between(first, last) if w not in done]
    results = []
    for n, week in enumerate(weeks, 1):
        results.append(analyze(store, settings, min(week + timedelta(days=6), last)))
        if progress is not None:
            progress("analyse des semaines", n, len(weeks))
    return results
