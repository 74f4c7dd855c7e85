"""The stages of the service, and the one place that wires collectors, models and reports together.

Each stage is a function over (store, settings) that records its run; the CLI and the scheduler call the
same functions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from signals.errors import UserError
from signals.lifecycle import SERIES_KINDS, STATUSES, THEME_KINDS, Update, step
from signals.periods import (
    last_complete_week,
    parse_quarter,
    parse_week,
    quarter_label,
    week_label,
    week_start,
)
from signals.registry import load_tracked, save_updates
from signals.schema import Brief, SignalWeek
from signals.settings import Settings
from signals.sources import SourcesFile, load_sources
from signals.store import Store

log = logging.getLogger(__name__)


# --- sources and collection -----------------------------------------------------------------------------


def read_sources(settings: Settings) -> SourcesFile:
    return load_sources(settings.sources_file)


def sync_sources(store: Store, settings: Settings) -> SourcesFile:
    sources = read_sources(settings)
    with store.session(write=True) as session:
        store.sync_sources(session, sources.sources)
    return sources


def collect(store: Store, settings: Settings, names: list[str] | None = None) -> list[Any]:
    """Collect the enabled sources (or the named ones, enabled or not); one outcome per source."""
    from collectors.run import crawl

    sources = sync_sources(store, settings)
    chosen = [sources.get(n) for n in names] if names else [s for s in sources.sources if s.enabled]
    if not chosen:
        raise UserError(f"no enabled source in {settings.sources_file}")
    outcomes = crawl(settings, chosen, territory=sources.territory)
    if any(o.counts.get("new") for o in outcomes):
        prepare(store, settings)
    return outcomes


def prepare(store: Store, settings: Settings, as_of: date | None = None) -> dict[str, int]:
    """The per-document work, done as documents arrive rather than all on analysis day: the terms and
    embedding of each document of the analysis window (up to ``as_of``, default today), computed once."""
    from models.terms import TermExtractor
    from signals.analysis import ensure_term_features
    from signals.periods import end_of_day_utc, start_of_day_utc
    from signals.topics import embedder_for, ensure_embeddings

    _, communes = _territory(settings)
    day = as_of or datetime.now(settings.tz).date()
    now = end_of_day_utc(day, settings.tz)
    since = start_of_day_utc(day, settings.tz) - timedelta(weeks=settings.detection.lookback_weeks)
    with store.recording("prepare") as run, store.session() as session:
        counts = {"terms": ensure_term_features(session, TermExtractor(extra_stop=communes), now)}
        if settings.topics.enabled:
            counts["embedded"] = ensure_embeddings(session, embedder_for(settings), now, since)
        for key, n in counts.items():
            run.count(key, n)
    return counts


def preview_source(settings: Settings, name: str, limit: int = 10) -> Any:
    """What a source yields now, stored nowhere."""
    from collectors.run import crawl

    sources = read_sources(settings)
    return crawl(
        settings, [sources.get(name)], preview=True, preview_limit=limit, territory=sources.territory
    )[0]


def import_path(store: Store, settings: Settings, path: Path, encoding: str = "utf-8") -> Any:
    from signals.importer import import_file

    return import_file(store, settings, path, encoding)


# --- analysis -------------------------------------------------------------------------------------------


@dataclass
class AnalysisResult:
    week: date
    as_of: date
    documents: int
    run_id: int
    statuses: dict[str, int] = field(default_factory=dict)
    new: list[str] = field(default_factory=list)


def analyze(
    store: Store, settings: Settings, as_of: date | None = None, refit_topics: bool = False
) -> AnalysisResult:
    """Detect this week's emerging themes from data published up to ``as_of`` and update the signals.

    The topic model is extended with the week's documents; ``refit_topics`` fits it again on the whole
    window instead (on demand: after a change of embedding model, or when topics have drifted)."""
    from signals.analysis import (
        detect,
    )  # numpy/scipy/river/bertopic: loaded only by the stages that need them
    from signals.series import watch as watch_series
    from signals.topics import record_volumes, topic_labels, update_topics

    as_of = as_of or datetime.now(settings.tz).date()
    week = week_start(as_of)
    with store.recording("analyze", target=week_label(week)) as run, store.session() as session:
        topics = update_topics(session, settings, as_of, refit_topics) if settings.topics.enabled else None
        tracked = load_tracked(session, week, THEME_KINDS)
        _, communes = _territory(settings)
        hashes = {t.id: t.term_hashes for t in tracked if t.id is not None}
        detection = detect(
            session,
            as_of,
            settings,
            hashes,
            gazetteer=communes,
            topic_model_id=topics.model_id if topics else None,
        )
        for signal in tracked:
            measure = detection.tracked.get(signal.id or -1)
            if measure:
                signal.level, signal.recent_docs = measure["level"], measure["docs"]
                signal.view = measure if "metrics" in measure else None
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
        alerts = watch_series(session, settings, as_of)
        past_alerts = load_tracked(session, week, SERIES_KINDS)
        series_updates = step(past_alerts, alerts, week, settings.detection, follow_unflagged=False)
        save_updates(session, series_updates, week)
        updates += series_updates
        result = AnalysisResult(week, as_of, detection.documents, run.run_id)
        result.statuses = _count_statuses(updates)
        result.new = [u.candidate.label for u in updates if u.event == "created" and u.candidate]
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


def forecast(store: Store, settings: Settings, as_of: date | None = None) -> int:
    """Refit the series' forecasters that are due (on their cadence); returns how many were refitted."""
    from signals.series import refresh_forecasts

    as_of = as_of or datetime.now(settings.tz).date()
    with store.recording("forecast", target=as_of.isoformat()) as run, store.session() as session:
        skipped: list[tuple[str, str]] = []
        fitted = refresh_forecasts(session, settings, as_of, skipped)
        run.count("refitted", fitted)
        # Not an input error: irregular series (a consultation's counters, read when it changes) are watched
        # for anomalies but have no forecast. Counted, and named in the log.
        if skipped:
            run.count("not_forecastable", len(skipped))
            log.info("%d series not forecast: %s", len(skipped), "; ".join(f"{s} ({r})" for s, r in skipped))
    return fitted


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
    with store.session() as session:
        return set(session.scalars(select(SignalWeek.week).distinct()))


def replay(
    store: Store, settings: Settings, first: date, last: date, skip_done: bool = True
) -> list[AnalysisResult]:
    """Analyse each week from ``first`` to ``last`` in order (as of each Sunday), so lifecycles build up."""
    done = analyzed_weeks(store) if skip_done else set()
    results = []
    week = week_start(first)
    while week <= week_start(last):
        if week not in done:
            results.append(analyze(store, settings, min(week + timedelta(days=6), last)))
        week += timedelta(weeks=1)
    return results


# --- briefs and delivery --------------------------------------------------------------------------------


@dataclass
class BriefResult:
    week: date
    brief_id: int
    created: bool
    archive: Path
    out: Path | None = None
    outbox: list[Path] = field(default_factory=list)
    deliveries: dict[str, int] = field(default_factory=dict)


def resolve_week(label: str | None, settings: Settings) -> date:
    if label:
        return parse_week(label)
    return last_complete_week(datetime.now(settings.tz).date())


def brief(
    store: Store, settings: Settings, week: date, out: Path | None = None, send: bool = False
) -> BriefResult:
    """Render the week's brief once (analysing the week first if needed), archive it, and queue/send it."""
    from reports.archive import restore_html
    from reports.brief import brief_context, render_brief
    from reports.mail import encode_images
    from reports.outbox import deliver_pending, eml_path_for, queue

    if week not in analyzed_weeks(store):
        analyze(store, settings, week + timedelta(days=6))
    territory, communes = _territory(settings)
    label = week_label(week)
    archive = settings.archive_dir / "briefs" / f"brief-{label}.html"
    with store.recording("brief", target=label) as run, store.session() as session:
        row = session.scalar(select(Brief).where(Brief.kind == "weekly", Brief.period == label))
        created = row is None
        if row is None:
            context = brief_context(session, settings, week, territory, communes, _health(store, settings))
            rendered = render_brief(context)
            row = Brief(
                kind="weekly",
                period=label,
                subject=rendered.subject,
                html=rendered.html,
                text=rendered.text,
                files={"html": str(archive)},
                meta={
                    "new": len(context["new"]),
                    "images": encode_images(rendered.images),
                    "render_s": round(rendered.seconds, 3),
                },
            )
            session.add(row)
            session.flush()
            run.count("charts", len(rendered.images))
        if created or not archive.exists():
            restore_html(row, archive)
        run.count("rendered", int(created))
        result = BriefResult(week, row.id, created, archive)
        if out is not None:
            result.out = restore_html(row, out)
        if send:
            if not settings.recipients:
                raise UserError("no recipients: set SIGNALS_RECIPIENTS (e.g. '[\"veille@example.fr\"]')")
            deliveries = queue(session, row, settings.recipients)
            if not settings.smtp.host:
                result.outbox = [eml_path_for(d.message_id, settings.outbox_dir) for d in deliveries]
    if send:
        sent = deliver_pending(store, settings)
        result.deliveries = {"sent": sent.sent, "retrying": sent.retrying, "failed": sent.failed}
    return result


def deliver(store: Store, settings: Settings) -> Any:
    """Deliver the due messages of the outbox (retries included); what a crash left is settled first."""
    from reports.outbox import deliver_pending

    with store.recording("deliver") as run:
        result = deliver_pending(store, settings)
        for name in ("sent", "retrying", "failed", "reconciled", "requeued"):
            run.count(name, getattr(result, name))
    return result


def deliveries(store: Store, status: str | None = None, limit: int = 50) -> list[Any]:
    from reports.outbox import delivery_rows

    with store.session() as session:
        return delivery_rows(session, status, limit)


def retry_failed(store: Store, ids: list[int] | None = None) -> int:
    from reports.outbox import requeue

    return requeue(store, ids)


def archive(store: Store, kind: str | None = None, limit: int = 100) -> list[Any]:
    from reports.archive import archive_entries

    with store.session() as session:
        return archive_entries(session, kind, limit)


def feedback_server(store: Store, settings: Settings, host: str, port: int) -> Any:
    from reports.feedback import FeedbackServer

    return FeedbackServer(store, settings, host, port)


def _territory(settings: Settings) -> tuple[str, list[str]]:
    try:
        sources = read_sources(settings)
    except UserError:
        return "Territoire", []
    return sources.territory.name, sources.territory.communes


def _health(store: Store, settings: Settings) -> list[Any]:
    from signals.health import source_health

    return source_health(store, settings)


# --- quarterly report ---------------------------------------------------------------------------------


@dataclass
class ReportResult:
    quarter: str
    files: list[Path]


def resolve_quarter(label: str | None, settings: Settings) -> str:
    """The given quarter (validated), or the last complete one."""
    if label:
        parse_quarter(label)
        return label.upper().replace("-", "")
    today = datetime.now(settings.tz).date()
    first_of_quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    return quarter_label(first_of_quarter - timedelta(days=1))


def quarterly_report(store: Store, settings: Settings, label: str, out: Path | None = None) -> ReportResult:
    """Render the quarter's report once (HTML and PDF), archive it, and copy it into ``out`` if given."""
    import shutil

    from reports.quarterly import print_pdf, quarterly_context, render_quarterly

    territory, communes = _territory(settings)
    folder = settings.archive_dir / "reports"
    with store.recording("report", target=label) as run, store.session() as session:
        row = session.scalar(select(Brief).where(Brief.kind == "quarterly", Brief.period == label))
        if row is None:
            context = quarterly_context(session, settings, label, territory, communes)
            rendered = render_quarterly(context, folder)
            row = Brief(
                kind="quarterly",
                period=label,
                subject=f"Rapport trimestriel {label} — {territory}",
                html=rendered.html,
                files={"html": str(rendered.html_path), "pdf": str(rendered.pdf_path)},
                meta={"themes": len(context["themes"]), "render_s": round(rendered.seconds, 3)},
            )
            session.add(row)
            run.count("rendered")
        files = [Path(row.files["html"]), Path(row.files["pdf"])]
        if not files[0].exists():
            files[0].parent.mkdir(parents=True, exist_ok=True)
            files[0].write_text(row.html, encoding="utf-8")
        if not files[1].exists():
            print_pdf(row.html, files[1])
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            files = [Path(shutil.copy2(f, out / f.name)) for f in files]
        run.count("files", len(files))
    return ReportResult(label, files)


# --- demo -----------------------------------------------------------------------------------------------


@dataclass
class DemoResult:
    base_url: str
    site: Path
    sources_file: Path
    ground_truth: Path
    collected: list[Any]
    analyses: int
    brief: BriefResult
    seconds: float = 0.0


def demo_settings(settings: Settings) -> Settings:
    """The demo territory runs on loopback: no politeness delay, its own sources file, a demo recipient."""
    collect = settings.collect.model_copy(
        update={"download_delay_s": 0.0, "autothrottle": False, "concurrency_per_domain": 16}
    )
    return settings.model_copy(
        update={
            "sources_file": settings.demo_dir / "sources.yaml",
            "collect": collect,
            "recipients": settings.recipients or ["veille-prospective@val-de-lirette.example"],
        }
    )


def run_demo(settings: Settings, history_weeks: int = 52) -> DemoResult:
    """Generate and serve the demo territory, collect it, analyse its last weeks, and send the brief."""
    import time

    from signals.demo import build_site, ground_truth_path
    from signals.demo.server import serve
    from signals.demo.site import sources_file
    from signals.demo.territory import LAST_DAY
    from signals.sources import dump_sources

    started = time.perf_counter()
    settings = demo_settings(settings)
    store = Store.open(settings)
    site = build_site(settings.demo_dir)
    with serve(site, settings.demo_port) as base_url:
        dump_sources(sources_file(base_url), settings.sources_file)
        collected = collect(store, settings)
    failed = [o for o in collected if o.status == "failed"]
    if failed:
        log.warning(
            "demo: %d sources failed: %s", len(failed), ", ".join(f"{o.source} ({o.error})" for o in failed)
        )
    last_week = week_start(LAST_DAY)
    analyses = replay(store, settings, last_week - timedelta(weeks=history_weeks - 1), LAST_DAY)
    forecast(store, settings, LAST_DAY)
    result = brief(store, settings, last_week, send=True)
    store.close()
    return DemoResult(
        base_url,
        site,
        settings.sources_file,
        ground_truth_path(settings.demo_dir),
        collected,
        len(analyses),
        result,
        time.perf_counter() - started,
    )
