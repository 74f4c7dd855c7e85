"""Soak: a year of the service's weekly cycles on the demo territory, on an accelerated clock.

The real service (:class:`signals.service.runner.Service`: lock, job store, job locks, retries, run records) runs on a
:class:`signals.service.simulation.SimulatedScheduler`, whose clock jumps from one due job to the next. Every job runs its
real stage (analysis, brief rendered and delivered to the outbox, quarterly report, outbox retries,
housekeeping) except collection: a source's job stores the demo corpus's items of that source published
up to the simulated time (the crawl itself, a subprocess per source, is measured by ``bench.ingest``).
The year before the first week is loaded first, so that the analysis has its usual history.

Measured: runs, failures, deliveries, database growth, memory (resident size at each week's end and the
peak), time per run by stage and week. The baseline, in the same run, is the stages' own time: what a
plain loop calling them would take; the difference is the service's machinery (scheduling, locks, run
records). Growth is judged against the data's own: the documents stored.

``python -m bench.soak [--quick] [--weeks N]``; figures last, as one JSON line.
"""

from __future__ import annotations

import bisect
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psutil
from sqlalchemy import func, select

from bench.common import emit, parser, peak_rss_mb
from signals.core.clock import SimulatedClock
from signals.core.parsing import slug
from signals.core.schema import Delivery, Document, Run
from signals.core.settings import Settings
from signals.core.sources import dump_sources
from signals.core.store import NewDocument, NewObservation, Store
from signals.demo.generate import DemoCorpus, DemoDocument, generate
from signals.demo.site import sources_file
from signals.demo.territory import FIRST_WEEK, WEEKS
from signals.service import plan
from signals.service.runner import JobOutcome
from signals.service.simulation import simulated_service
from signals.stages.housekeeping import database_bytes

PARIS = ZoneInfo("Europe/Paris")
RECIPIENT = "veille-prospective@val-de-lirette.example"


class DemoFeed:
    """The demo corpus as its sources publish it: what each source has published up to a given time."""

    def __init__(self, corpus: DemoCorpus) -> None:
        self.documents: dict[str, list[DemoDocument]] = defaultdict(list)
        for doc in sorted(corpus.documents, key=lambda d: d.published):
            self.documents[_source_name(doc)].append(doc)
        self.times = {name: [d.published for d in docs] for name, docs in self.documents.items()}
        self.observations = defaultdict(list)
        for obs in sorted(corpus.observations, key=lambda o: o.month):
            self.observations[obs.indicator.replace(".", "-")].append(obs)
        self.documents_fed: dict[str, int] = defaultdict(int)  # items of each source already handed over
        self.observations_fed: dict[str, int] = defaultdict(int)

    def documents_until(self, source: str, moment: datetime) -> list[DemoDocument]:
        end = bisect.bisect_right(self.times.get(source, []), moment)
        start = self.documents_fed[source]
        self.documents_fed[source] = max(end, start)
        return self.documents.get(source, [])[start:end]

    def observations_until(self, source: str, day: date) -> list[Any]:
        """Monthly values are published once their month is over."""
        rows = self.observations.get(source, [])
        published = [o for o in rows if _next_month(o.month) <= day]
        start = self.observations_fed[source]
        self.observations_fed[source] = max(len(published), start)
        return published[start:]


def _source_name(doc: DemoDocument) -> str:
    return f"deliberations-{doc.source}" if doc.kind == "deliberation" else doc.source


def _next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def store_items(
    store: Store, source: str, docs: list[DemoDocument], observations: list[Any]
) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    with store.session() as session:
        for doc in docs:
            new = NewDocument(
                source=source,
                title=doc.title,
                text=doc.text,
                published_at=doc.published,
                url=f"https://demo.example/{source}/{doc.id}",
                territory=doc.commune,
                language="fr",
            )
            _, outcome = store.add_document(session, new)
            counts["new" if outcome == "new" else "duplicates"] += 1
        for obs in observations:
            row = NewObservation(
                series=f"{obs.indicator}/{slug(obs.commune)}",
                period=obs.month,
                value=float(obs.value),
                unit="nuitées" if obs.indicator.endswith("nuitees") else "visiteurs",
                territory=obs.commune,
                source=source,
            )
            counts[f"observations.{store.upsert_observation(session, row)}"] += 1
    return counts


_FEED: DemoFeed | None = None


def collect_from_feed(ctx: plan.JobContext, source: str | None) -> None:
    """The soak's collection stage: the source's items published up to now, recorded as a collect run."""
    assert _FEED is not None and source is not None
    with ctx.store.recording("collect", target=source, source=source) as run:
        docs = _FEED.documents_until(source, ctx.now)
        observations = _FEED.observations_until(source, ctx.now.date())
        for key, n in store_items(ctx.store, source, docs, observations).items():
            run.count(key, n)
        run.count("items", len(docs) + len(observations))


@dataclass
class WeekFigures:
    week: int
    documents: int
    rss_mb: float
    database_mb: float
    wall_s: float
    jobs: int
    stage_s: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))


def soak(weeks: int, home: Path) -> dict[str, Any]:
    global _FEED
    started = time.perf_counter()
    corpus = generate()
    _FEED = DemoFeed(corpus)
    first_week = FIRST_WEEK + timedelta(weeks=WEEKS - weeks)
    start = datetime.combine(first_week, datetime.min.time(), tzinfo=PARIS)
    dump_sources(sources_file("http://127.0.0.1:9"), home / "sources.yaml")
    settings = Settings(home=home, sources_file=home / "sources.yaml", recipients=[RECIPIENT])
    store = Store.open(settings)
    from signals import pipeline

    for source in pipeline.sync_sources(store, settings).sources:  # the year before: history
        store_items(
            store,
            source.name,
            _FEED.documents_until(source.name, start),
            _FEED.observations_until(source.name, start.date()),
        )
    history = _count(store, Document)
    database_start = database_bytes(store) or 0
    store.close()
    prepared_s = time.perf_counter() - started

    plan.STAGES["collect"] = collect_from_feed
    figures: list[WeekFigures] = []
    current = WeekFigures(0, 0, 0.0, 0.0, 0.0, 0)
    failures: list[str] = []

    def on_job(outcome: JobOutcome) -> None:
        current.stage_s[outcome.stage].append(outcome.wall_s)
        current.jobs += 1
        if outcome.error:
            failures.append(f"{outcome.job_id}: {outcome.error}")

    process = psutil.Process()
    with (
        SimulatedClock(start) as clock,
        simulated_service(settings, clock, on_job) as service,
    ):
        assert service.store is not None
        for week in range(1, weeks + 1):
            current = WeekFigures(week, 0, 0.0, 0.0, 0.0, 0)
            tick = time.perf_counter()
            service.scheduler.advance(start + timedelta(weeks=week))
            current.wall_s = time.perf_counter() - tick
            current.documents = _count(service.store, Document)
            current.rss_mb = process.memory_info().rss / 2**20
            current.database_mb = (database_bytes(service.store) or 0) / 2**20
            figures.append(current)
            print(
                f"week {week:2d} ({first_week + timedelta(weeks=week - 1)}): {current.jobs} jobs in "
                f"{current.wall_s:.1f} s, {current.documents} documents, RSS {current.rss_mb:.0f} MB, "
                f"database {current.database_mb:.1f} MB",
                flush=True,
            )
        with service.store.session() as session:
            runs = dict(session.execute(select(Run.status, func.count()).group_by(Run.status)).all())
            sent = session.scalar(select(func.count()).select_from(Delivery).where(Delivery.status == "sent"))
    return _summary(
        figures, weeks, history, database_start, runs, int(sent or 0), failures, settings, prepared_s
    )


def _count(store: Store, table: Any) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def _summary(
    figures: list[WeekFigures],
    weeks: int,
    history: int,
    database_start: int,
    runs: dict[str, int],
    sent: int,
    failures: list[str],
    settings: Settings,
    prepared_s: float,
) -> dict[str, Any]:
    # The first week pays the imports and the analysis's catch-up of missed weeks: the trend starts after.
    steady = figures[1:] if len(figures) > 2 else figures
    span = max(1, len(steady) // 4)
    early, late = steady[:span], steady[-span:]

    def mean_ms(rows: list[WeekFigures], stage: str) -> float | None:
        values = [v for row in rows for v in row.stage_s.get(stage, [])]
        return round(1000 * statistics.fmean(values), 2) if values else None

    stages = sorted({stage for row in figures for stage in row.stage_s})
    per_run = {
        stage: {
            "early_ms": mean_ms(early, stage),
            "late_ms": mean_ms(late, stage),
            "all_ms": mean_ms(figures, stage),
        }
        for stage in stages
    }
    stage_total = sum(v for row in figures for values in row.stage_s.values() for v in values)
    service_total = sum(row.wall_s for row in figures)
    jobs = sum(row.jobs for row in figures)
    documents_early = statistics.fmean(row.documents for row in early)
    documents_late = statistics.fmean(row.documents for row in late)

    def per_1k_documents(rows: list[WeekFigures], stage: str) -> float | None:
        ms = mean_ms(rows, stage)
        return round(ms / (statistics.fmean(row.documents for row in rows) / 1000), 1) if ms else None

    return {
        "weeks": weeks,
        "jobs": jobs,
        "runs_recorded": sum(runs.values()),
        "runs_by_status": runs,
        "job_failures": len(failures),
        "failures_sample": failures[:3],
        "deliveries_sent": sent,
        "outbox_files": len(list(settings.outbox_dir.glob("*.eml"))),
        "documents_history": history,
        "documents_end": figures[-1].documents,
        "database_mb_start": round(database_start / 2**20, 2),
        "database_mb_end": round(figures[-1].database_mb, 2),
        "database_mb_per_week": round((figures[-1].database_mb - database_start / 2**20) / weeks, 3),
        "rss_mb_week_2": round(steady[0].rss_mb, 1),
        "rss_mb_last_week": round(figures[-1].rss_mb, 1),
        "rss_mb_max_week_end": round(max(row.rss_mb for row in figures), 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "per_run_by_stage": per_run,
        "trend_weeks": [early[0].week, early[-1].week, late[0].week, late[-1].week],
        "documents_ratio_late_vs_early": round(documents_late / documents_early, 3),
        "analyze_ms_per_1k_documents": [
            per_1k_documents(early, "analyze"),
            per_1k_documents(late, "analyze"),
        ],
        "by_week": {
            "documents": [row.documents for row in figures],
            "rss_mb": [round(row.rss_mb) for row in figures],
            "wall_s": [round(row.wall_s, 1) for row in figures],
            "analyze_ms": [round(1000 * sum(row.stage_s.get("analyze", [0.0]))) for row in figures],
        },
        "week_wall_s_early": round(statistics.fmean(row.wall_s for row in early), 2),
        "week_wall_s_late": round(statistics.fmean(row.wall_s for row in late), 2),
        "baseline_stages_s": round(stage_total, 1),
        "service_s": round(service_total, 1),
        "machinery_ms_per_job": round(1000 * (service_total - stage_total) / max(jobs, 1), 2),
        "machinery_ms_per_job_early_late": [_machinery_ms(early), _machinery_ms(late)],
        "prepare_s": round(prepared_s, 1),
    }


def _machinery_ms(rows: list[WeekFigures]) -> float:
    """Time per job outside the stages: scheduling, job store, locks, run bookkeeping."""
    stages = sum(v for row in rows for values in row.stage_s.values() for v in values)
    return round(1000 * (sum(row.wall_s for row in rows) - stages) / max(sum(row.jobs for row in rows), 1), 2)


def main() -> None:
    args = parser(__doc__.splitlines()[0])
    args.add_argument("--weeks", type=int, default=None, help="simulated weeks (default 52, quick 3)")
    args.add_argument("--home", type=Path, default=None, help="keep the service's folder here")
    options = args.parse_args()
    weeks = options.weeks or (3 if options.quick else 52)
    if not 1 <= weeks <= WEEKS - 1:
        raise SystemExit(f"--weeks must be between 1 and {WEEKS - 1}")
    home = options.home or Path(tempfile.mkdtemp(prefix="signals-soak-"))
    try:
        figures = soak(weeks, home)
    finally:
        if options.home is None:
            shutil.rmtree(home, ignore_errors=True)
    emit(figures)


if __name__ == "__main__":
    main()
