"""The plan of the service: each stage as a job, which jobs run, and when."""

from __future__ import annotations

import hashlib
import logging
import logging.handlers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from reports.format import fr_date
from signals import pipeline
from signals.core import clock
from signals.core.errors import UserError
from signals.core.settings import WEEKDAYS, ScheduleSettings, Settings
from signals.core.sources import SourceDef
from signals.core.store import Store
from signals.stages.housekeeping import housekeeping

log = logging.getLogger("scheduler")  # the service's log lines keep their name

JOBS_TABLE = "apscheduler_jobs"
STAGE_JOBS = ("analyze", "forecast", "brief", "report", "deliver", "housekeeping")
_ANCHOR = datetime(2024, 1, 1)  # a Monday: start of the interval triggers (cadences of several days)


# --- the stages, as jobs --------------------------------------------------------------------------------


@dataclass
class JobContext:
    settings: Settings
    store: Store
    now: datetime  # when the job started, local time


class StageFailed(RuntimeError):
    """A stage that ended without doing its work (a source that could not be read...)."""


def collect_source(ctx: JobContext, source: str | None) -> None:
    """Collect one source; a source that could not be read fails the job (so that it is retried)."""
    assert source is not None
    (outcome,) = pipeline.collect(ctx.store, ctx.settings, [source])
    if outcome.status == "failed":
        raise StageFailed(f"source {source!r} : {outcome.error}")


def analyze_weeks(ctx: JobContext, _: str | None = None) -> None:
    """Analyse the last complete week, and before it the weeks a downtime skipped (oldest first)."""
    last = pipeline.resolve_week(None, ctx.settings)
    weeks = [last - timedelta(weeks=n) for n in range(ctx.settings.schedule.catch_up_weeks - 1, -1, -1)]
    done = pipeline.analyzed_weeks(ctx.store)
    for week in weeks:
        if week not in done:
            pipeline.analyze(ctx.store, ctx.settings, week + timedelta(days=6))


def send_brief(ctx: JobContext, _: str | None = None) -> None:
    """The last complete week's brief: rendered once, archived, and sent when there are recipients."""
    week = pipeline.resolve_week(None, ctx.settings)
    pipeline.brief(ctx.store, ctx.settings, week, send=bool(ctx.settings.recipients))


def quarterly_report(ctx: JobContext, _: str | None = None) -> None:
    pipeline.quarterly_report(ctx.store, ctx.settings, pipeline.resolve_quarter(None, ctx.settings))


def deliver(ctx: JobContext, _: str | None = None) -> None:
    """Send the deliveries whose retry is due (a brief's own deliveries go out with it)."""
    pipeline.deliver(ctx.store, ctx.settings)


def forecast(ctx: JobContext, _: str | None = None) -> None:
    """Refit the series' forecasts that are due (each series on its own cadence)."""
    pipeline.forecast(ctx.store, ctx.settings)


def tidy(ctx: JobContext, _: str | None = None) -> None:
    housekeeping(ctx.store, ctx.settings)


Stage = Callable[[JobContext, str | None], None]
STAGES: dict[str, Stage] = {
    "collect": collect_source,
    "analyze": analyze_weeks,
    "forecast": forecast,
    "brief": send_brief,
    "report": quarterly_report,
    "deliver": deliver,
    "housekeeping": tidy,
}


# --- the plan: which jobs, when -------------------------------------------------------------------------


@dataclass(frozen=True)
class JobSpec:
    id: str
    trigger: BaseTrigger
    schedule: str  # for people


def plan_jobs(settings: Settings, sources: Sequence[SourceDef]) -> list[JobSpec]:
    """The jobs of the service: one collection per enabled source, then the weekly and quarterly stages.

    >>> from signals.core.sources import RssSource
    >>> feed = RssSource(kind="rss", name="echo", url="https://echo.example/feed.xml", cadence="1h")
    >>> [(job.id, job.schedule) for job in plan_jobs(Settings(), [feed])][:3]
    [('collect:echo', 'toutes les heures à :07'), ('analyze', 'cron 0 6 * * mon'), ('forecast', 'cron 0 7 * * mon')]
    """
    specs = []
    for source in sources:
        if source.enabled:
            trigger, description = collect_trigger(source.name, source.cadence_seconds, settings)
            specs.append(JobSpec(f"collect:{source.name}", trigger, description))
    for stage in STAGE_JOBS:
        expression = getattr(settings.schedule, stage)
        try:
            trigger = CronTrigger.from_crontab(expression, timezone=settings.tz)
        except ValueError as exc:
            raise UserError(f"schedule.{stage} = {expression!r} : expression cron invalide ({exc})") from None
        specs.append(JobSpec(stage, trigger, f"cron {expression}"))
    return specs


def collect_trigger(name: str, cadence_s: int, settings: Settings) -> tuple[BaseTrigger, str]:
    """When a source is collected: wall-clock times in the service's zone (so clock changes move nothing),
    at a minute offset stable per source; an interval when the cadence does not divide a day or a week.

    >>> [collect_trigger("echo", s, Settings())[1] for s in (1800, 3600, 6 * 3600, 86400, 7 * 86400, 3 * 86400)]
    ['toutes les 30 min à partir de :07', 'toutes les heures à :07', 'toutes les 6 h à :07', 'chaque jour à 04:07', 'le lundi à 04:07', 'tous les 3 jours à partir de 04:07']
    """
    plan: ScheduleSettings = settings.schedule
    offset = int(hashlib.sha1(name.encode()).hexdigest(), 16) % plan.collect_spread_minutes
    hour, minute = (int(part) for part in plan.collect_at.split(":"))
    day_minute = (hour * 60 + minute + offset) % (24 * 60)
    at = f"{day_minute // 60:02d}:{day_minute % 60:02d}"
    tz = settings.tz
    if cadence_s < 3600 and 3600 % cadence_s == 0 and cadence_s % 60 == 0:
        every = cadence_s // 60
        first = offset % every
        return CronTrigger(
            minute=f"{first}/{every}", timezone=tz
        ), f"toutes les {every} min à partir de :{first:02d}"
    if cadence_s < 86400 and 86400 % cadence_s == 0 and cadence_s % 3600 == 0:
        hours = cadence_s // 3600
        trigger = CronTrigger(hour=f"*/{hours}", minute=offset, timezone=tz)
        return trigger, (
            f"toutes les heures à :{offset:02d}" if hours == 1 else f"toutes les {hours} h à :{offset:02d}"
        )
    if cadence_s == 86400:
        return CronTrigger(hour=day_minute // 60, minute=day_minute % 60, timezone=tz), f"chaque jour à {at}"
    if cadence_s == 7 * 86400:
        trigger = CronTrigger(
            day_of_week=plan.collect_weekday, hour=day_minute // 60, minute=day_minute % 60, timezone=tz
        )
        return (
            trigger,
            f"le {fr_date(_ANCHOR + timedelta(days=WEEKDAYS.index(plan.collect_weekday)), 'EEEE')} à {at}",
        )
    start = _ANCHOR.replace(hour=day_minute // 60, minute=day_minute % 60, tzinfo=tz)
    every = (
        f"tous les {cadence_s // 86400} jours à partir de {at}"
        if cadence_s % 86400 == 0
        else f"toutes les {cadence_s} s"
    )
    return IntervalTrigger(seconds=cadence_s, start_date=start, timezone=tz), every


# --- listing the jobs -----------------------------------------------------------------------------------


@dataclass
class JobInfo:
    id: str
    schedule: str
    next_run_at: datetime | None
    state: str  # scheduled | not scheduled yet | paused | no longer planned


def list_jobs(settings: Settings) -> list[JobInfo]:
    """Every planned job with its next run: the stored one when the service has run, else the one it
    would get now. Reads the job store without scheduling anything (safe beside a running service)."""
    with Store.open(settings) as store:
        specs = plan_jobs(settings, pipeline.read_sources(settings).sources)
        jobstore = SQLAlchemyJobStore(engine=store.engine, tablename=JOBS_TABLE)
        jobstore.start(BackgroundScheduler(timezone=settings.tz), "default")
        stored = {job.id: job for job in jobstore.get_all_jobs()}
    now = clock.now(settings.tz)
    jobs = []
    for spec in specs:
        job = stored.pop(spec.id, None)
        if job is None:
            jobs.append(
                JobInfo(
                    spec.id, spec.schedule, spec.trigger.get_next_fire_time(None, now), "not scheduled yet"
                )
            )
        else:
            state = "scheduled" if job.next_run_time else "paused"
            jobs.append(JobInfo(spec.id, spec.schedule, job.next_run_time, state))
    jobs += [JobInfo(j.id, str(j.trigger), j.next_run_time, "no longer planned") for j in stored.values()]
    return jobs
