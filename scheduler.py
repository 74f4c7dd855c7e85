"""The long-running service: APScheduler runs each stage on its cadence, with a persistent job store.

Jobs are module-level functions (APScheduler stores them by reference) that open the store, call the
pipeline stage, and close it; each stage records its own run. ``python scheduler.py`` (or
``signals schedule``) starts it in the foreground.
"""

from __future__ import annotations

import logging
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from signals import pipeline
from signals.settings import Settings, load_settings
from signals.store import Store

log = logging.getLogger("scheduler")


def _with_store(work: Any) -> Any:
    settings = load_settings()
    store = Store.open(settings)
    try:
        return work(store, settings)
    finally:
        store.close()


def job_collect(source: str) -> None:
    _with_store(lambda store, settings: pipeline.collect(store, settings, [source]))


def job_analyze() -> None:
    _with_store(lambda store, settings: pipeline.analyze(store, settings))


def job_brief() -> None:
    def work(store: Store, settings: Settings) -> None:
        pipeline.brief(store, settings, pipeline.resolve_week(None, settings), send=bool(settings.recipients))

    _with_store(work)


def job_report() -> None:
    _with_store(
        lambda store, settings: pipeline.quarterly_report(
            store, settings, pipeline.resolve_quarter(None, settings)
        )
    )


def build(settings: Settings, scheduler: BaseScheduler | None = None) -> BaseScheduler:
    """A scheduler with every job, its jobs stored in the service's database."""
    scheduler = scheduler or BlockingScheduler(timezone=settings.timezone)
    scheduler.configure(
        jobstores={"default": SQLAlchemyJobStore(url=settings.db_url, tablename="apscheduler_jobs")},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 24 * 3600},
        timezone=settings.timezone,
    )
    for source in pipeline.read_sources(settings).sources:
        if source.enabled:
            scheduler.add_job(
                job_collect,
                IntervalTrigger(seconds=source.cadence_seconds),
                args=[source.name],
                id=f"collect:{source.name}",
                replace_existing=True,
            )
    scheduler.add_job(
        job_analyze, CronTrigger(day_of_week="mon", hour=6, minute=0), id="analyze", replace_existing=True
    )
    scheduler.add_job(
        job_brief, CronTrigger(day_of_week="mon", hour=7, minute=30), id="brief", replace_existing=True
    )
    scheduler.add_job(
        job_report, CronTrigger(month="1,4,7,10", day=1, hour=8), id="report", replace_existing=True
    )
    return scheduler


def main() -> None:
    settings = load_settings()
    Store.open(settings).close()  # the database exists and is up to date before jobs run
    scheduler = build(settings)
    log.info("scheduler starting with %d jobs", len(scheduler.get_jobs()))
    scheduler.start()


if __name__ == "__main__":
    main()
