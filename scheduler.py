"""The long-running service: every stage on its cadence, one instance at a time, safe across restarts.

Jobs: one collection per enabled source (on the source's ``cadence``), then ``analyze``, ``brief``,
``report``, ``deliver`` and ``housekeeping`` on the crontab expressions of the ``schedule`` settings
(``signals.settings.ScheduleSettings``). APScheduler keeps them in the service's own database; every job
calls the module-level :func:`run_job` with its id, and :class:`Service` runs the stage.

Safety:

- one instance: the ``scheduler`` lock (``signals.service``), renewed by a heartbeat. A crashed
  instance's lock is stale (its pid is gone on this host, or its heartbeat is old on another host): the
  next instance takes it over; while it is alive, a second instance refuses to start;
- one stage at a time: a single worker thread (SQLite has one writer; the machine is modest), and a job
  never overlaps itself (``max_instances=1``);
- downtime: run times stay in the job store (a restart does not recompute them), so the runs missed
  while the service was down are coalesced into one catch-up run per job; the analysis then replays the
  weeks it missed, oldest first (at most ``catch_up_weeks``);
- crash (kill -9, power cut): a running job holds the lock ``job:<id>``. At start, the jobs a dead
  instance left unfinished run again at once, and the runs it left ``running`` are marked failed. Stages
  are idempotent (documents deduplicated, a brief rendered once per week, one delivery per brief and
  recipient with a stable Message-ID), so re-running one loses nothing and sends nothing twice;
- failure: a failed job is recorded as a failed run (the next brief's coverage counts it) and tried
  again with exponential backoff before its next turn; it never stops the other jobs;
- SIGTERM: no new stage starts and the current one finishes (for at most ``stop_timeout_s``; past that,
  or at a second signal, the process exits, the database rolls the stage back, and it runs again at the
  next start). SIGHUP re-reads the sources and the schedule.

``signals schedule`` (or ``python scheduler.py``) runs the service in the foreground; ``signals schedule
--list`` shows every job and its next run. :class:`SimulatedScheduler` and :class:`SimulatedClock` run the
same service on a controlled clock, for the tests and the soak benchmark.
"""

from __future__ import annotations

import hashlib
import logging
import logging.handlers
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import import_module
from types import FrameType
from typing import Any

from apscheduler.executors.base import BaseExecutor
from apscheduler.executors.base import run_job as _apscheduler_run_job
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_RUNNING, BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import func, select

from signals import pipeline
from signals.errors import UserError
from signals.housekeeping import housekeeping
from signals.periods import week_label
from signals.schema import Run
from signals.service import (
    JOB_PREFIX,
    SERVICE_LOCK,
    Holder,
    NamedLock,
    close_interrupted_runs,
    drop_lock,
    job_lock_name,
    lock_states,
)
from signals.settings import ScheduleSettings, Settings, load_settings
from signals.sources import SourceDef
from signals.store import Store

log = logging.getLogger("scheduler")

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
        raise StageFailed(f"source {source!r}: {outcome.error}")


def analyze_weeks(ctx: JobContext, _: str | None = None) -> None:
    """Analyse the last complete week, and before it the weeks a downtime skipped (oldest first)."""
    last = pipeline.resolve_week(None, ctx.settings)
    weeks = [last - timedelta(weeks=n) for n in range(ctx.settings.schedule.catch_up_weeks - 1, -1, -1)]
    with ctx.store.session() as session:
        done = set(
            session.scalars(
                select(Run.target).where(Run.stage == "analyze", Run.status.in_(("ok", "partial")))
            )
        )
    for week in weeks:
        if week_label(week) not in done:
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


def run_job(job_id: str) -> None:
    """What every stored job calls (APScheduler stores this function by reference)."""
    if _RUNNING is None:
        raise RuntimeError(f"job {job_id!r} fired outside a running service")
    _RUNNING.execute(job_id)


_RUNNING: Service | None = None


# --- the plan: which jobs, when -------------------------------------------------------------------------


@dataclass(frozen=True)
class JobSpec:
    id: str
    trigger: BaseTrigger
    schedule: str  # for people


def plan_jobs(settings: Settings, sources: Sequence[SourceDef]) -> list[JobSpec]:
    """The jobs of the service: one collection per enabled source, then the weekly and quarterly stages.

    >>> from signals.sources import RssSource
    >>> feed = RssSource(kind="rss", name="echo", url="https://echo.example/feed.xml", cadence="1h")
    >>> [(job.id, job.schedule) for job in plan_jobs(Settings(), [feed])][:3]
    [('collect:echo', 'every hour at :07'), ('analyze', 'cron 0 6 * * mon'), ('forecast', 'cron 0 7 * * mon')]
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
            raise UserError(f"schedule.{stage} = {expression!r}: {exc}") from None
        specs.append(JobSpec(stage, trigger, f"cron {expression}"))
    return specs


def collect_trigger(name: str, cadence_s: int, settings: Settings) -> tuple[BaseTrigger, str]:
    """When a source is collected: wall-clock times in the service's zone (so clock changes move nothing),
    at a minute offset stable per source; an interval when the cadence does not divide a day or a week.

    >>> [collect_trigger("echo", s, Settings())[1] for s in (1800, 3600, 6 * 3600, 86400, 7 * 86400, 3 * 86400)]
    ['every 30 min from :07', 'every hour at :07', 'every 6 h at :07', 'daily at 04:07', 'mon at 04:07', 'every 3 days from 04:07']
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
        return CronTrigger(minute=f"{first}/{every}", timezone=tz), f"every {every} min from :{first:02d}"
    if cadence_s < 86400 and 86400 % cadence_s == 0 and cadence_s % 3600 == 0:
        hours = cadence_s // 3600
        trigger = CronTrigger(hour=f"*/{hours}", minute=offset, timezone=tz)
        return trigger, (
            f"every hour at :{offset:02d}" if hours == 1 else f"every {hours} h at :{offset:02d}"
        )
    if cadence_s == 86400:
        return CronTrigger(hour=day_minute // 60, minute=day_minute % 60, timezone=tz), f"daily at {at}"
    if cadence_s == 7 * 86400:
        trigger = CronTrigger(
            day_of_week=plan.collect_weekday, hour=day_minute // 60, minute=day_minute % 60, timezone=tz
        )
        return trigger, f"{plan.collect_weekday} at {at}"
    start = _ANCHOR.replace(hour=day_minute // 60, minute=day_minute % 60, tzinfo=tz)
    every = f"{cadence_s // 86400} days from {at}" if cadence_s % 86400 == 0 else f"{cadence_s} s"
    return IntervalTrigger(seconds=cadence_s, start_date=start, timezone=tz), f"every {every}"


# --- the service ----------------------------------------------------------------------------------------


@dataclass
class JobOutcome:
    job_id: str
    stage: str
    started_at: datetime  # the service's clock
    wall_s: float
    attempt: int
    error: str | None = None
    retry_at: datetime | None = None  # when a failed job is tried again early


class ServiceScheduler(BackgroundScheduler):
    """APScheduler's background scheduler with one worker thread, and a loop that outlives a database
    error (APScheduler lets an error while updating a job end its thread)."""

    def _create_default_executor(self) -> BaseExecutor:
        return ThreadPoolExecutor(max_workers=1)

    def _process_jobs(self) -> float | None:
        try:
            return super()._process_jobs()
        except Exception:
            log.exception("scheduler loop error; trying again in %.0f s", self.jobstore_retry_interval)
            return self.jobstore_retry_interval


class Service:
    """One instance of the service: its lock, its jobs, its recovery and its stop.

    ``scheduler``: a :class:`ServiceScheduler` (default) or a :class:`SimulatedScheduler`. ``on_job`` is
    called after every job with its :class:`JobOutcome` (the soak benchmark measures with it).
    """

    def __init__(
        self,
        settings: Settings,
        scheduler: BaseScheduler | None = None,
        on_job: Callable[[JobOutcome], None] | None = None,
    ) -> None:
        self.settings = settings
        self.scheduler = scheduler if scheduler is not None else ServiceScheduler()
        self.on_job = on_job
        self.holder = Holder.this_process()
        self.store: Store | None = None
        self.lock: NamedLock | None = None
        self._stopping = threading.Event()
        self._busy = threading.Condition()
        self._running: set[str] = set()
        self._attempts: dict[str, int] = {}

    # start and stop

    def start(self) -> None:
        """Take the lock (raises :class:`signals.service.LockHeld` if another instance runs), close the runs
        a dead instance left, schedule the jobs, run again the jobs it left unfinished, and start."""
        global _RUNNING
        if _RUNNING is not None:
            raise RuntimeError("a service already runs in this process")
        store = Store.open(self.settings)
        lock = NamedLock(store, SERVICE_LOCK, self.holder, self.settings.schedule.lock_stale_s)
        try:
            lock.acquire()
        except BaseException:
            store.close()
            raise
        self.store, self.lock = store, lock
        _RUNNING = self
        try:
            close_interrupted_runs(store)
            self.scheduler.configure(
                jobstores={"default": SQLAlchemyJobStore(engine=store.engine, tablename=JOBS_TABLE)},
                job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
                timezone=self.settings.tz,
            )
            self.scheduler.start(paused=True)
            specs = self.sync_jobs()
            self._rerun_unfinished(specs)
            self.scheduler.resume()
        except BaseException:
            if self.scheduler.running:
                self.scheduler.shutdown(wait=False)
            self._release()
            raise
        log.info("scheduler started: %d jobs", len(specs), extra={"holder": str(self.holder)})

    def sync_jobs(self) -> list[JobSpec]:
        """Make the stored jobs those of the plan. A job whose schedule did not change keeps its stored next
        run time, even past (that is how downtime is caught up, once); a changed one is rescheduled."""
        assert self.store is not None
        now = datetime.now(self.settings.tz)
        sources = pipeline.sync_sources(self.store, self.settings).sources
        specs = plan_jobs(self.settings, sources)
        wanted = {spec.id for spec in specs}
        for job in self.scheduler.get_jobs():
            if job.id not in wanted:
                self.scheduler.remove_job(job.id)
                log.info("job %s removed (no longer planned)", job.id)
        for spec in specs:
            job = self.scheduler.get_job(spec.id)
            if job is not None and job.func is run_job and repr(job.trigger) == repr(spec.trigger):
                continue
            missed = job.next_run_time if job is not None and job.next_run_time else None
            next_run = missed if missed and missed <= now else spec.trigger.get_next_fire_time(None, now)
            self.scheduler.add_job(
                run_job,
                spec.trigger,
                args=[spec.id],
                id=spec.id,
                name=spec.id,
                replace_existing=True,
                next_run_time=next_run,
            )
        return specs

    def _rerun_unfinished(self, specs: list[JobSpec]) -> None:
        """Jobs whose lock a dead instance left (interrupted, or not started at its stop) run now."""
        assert self.store is not None
        by_lock = {job_lock_name(spec.id): spec.id for spec in specs}
        now = datetime.now(self.settings.tz)
        for lock in lock_states(self.store, JOB_PREFIX):  # none is ours: no job of ours ran yet
            job_id = by_lock.get(lock.name)
            if job_id is not None:
                log.warning("job %s was left unfinished by %s: running it again now", job_id, lock.holder)
                self.scheduler.modify_job(job_id, next_run_time=now)
            drop_lock(self.store, lock.name)

    def reload(self) -> None:
        """Re-read the settings and the sources file, and reschedule what changed (SIGHUP)."""
        try:
            self.settings = load_settings()
            log.info("reloaded: %d jobs planned", len(self.sync_jobs()))
        except (UserError, ValueError) as exc:
            log.error("reload failed, the schedule is unchanged: %s", exc)

    def heartbeat(self) -> bool:
        """Renew the instance's lock; False if another instance took it over (this one must stop)."""
        assert self.lock is not None
        return self.lock.heartbeat()

    def stop(self, timeout: float | None = None) -> bool:
        """No new stage starts; wait for the running one (``timeout`` seconds at most), then shut down and
        release the lock. False when the stage did not finish in time: the caller should then exit, the
        database rolls the stage back, and it runs again at the next start."""
        self._stopping.set()
        if self.scheduler.state == STATE_RUNNING:
            self.scheduler.pause()
        with self._busy:
            if not self._busy.wait_for(lambda: not self._running, timeout):
                log.error("stage %s still running after %s s", ", ".join(sorted(self._running)), timeout)
                return False
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)  # queued jobs return at once: they run at the next start
        self._release()
        log.info("scheduler stopped")
        return True

    def _release(self) -> None:
        global _RUNNING
        if self.lock is not None:
            try:
                self.lock.release()
            except Exception as exc:  # the lock then goes stale and the next instance takes it over
                log.warning("could not release the lock: %s", exc)
        if self.store is not None:
            self.store.close()
        self.store, self.lock = None, None
        if _RUNNING is self:
            _RUNNING = None

    def run_forever(self) -> int:
        """Start, renew the lock until SIGTERM/SIGINT, then stop gracefully; returns the exit status."""
        stop, reload = threading.Event(), threading.Event()

        def on_stop(signum: int, _frame: FrameType | None) -> None:
            if stop.is_set():
                log.critical(
                    "second signal: exiting now; the running stage rolls back and runs at next start"
                )
                os._exit(128 + signum)
            log.info("signal %s: stopping after the running stage", signal.Signals(signum).name)
            stop.set()

        signal.signal(signal.SIGTERM, on_stop)
        signal.signal(signal.SIGINT, on_stop)
        signal.signal(signal.SIGHUP, lambda _signum, _frame: reload.set())
        self.start()
        status = 0
        try:
            while not stop.wait(self.settings.schedule.heartbeat_s):
                if reload.is_set():
                    reload.clear()
                    self.reload()
                try:
                    if not self.heartbeat():
                        log.critical("the lock was taken over by another instance: stopping")
                        status = 1
                        break
                except Exception as exc:  # the database is busy or away: try at the next beat
                    log.warning("heartbeat failed: %s", exc)
        finally:
            if not self.stop(self.settings.schedule.stop_timeout_s):
                log.critical(
                    "exiting with a stage unfinished: it rolls back and runs again at the next start"
                )
                logging.shutdown()
                os._exit(1)
        return status

    # jobs

    def execute(self, job_id: str) -> JobOutcome | None:
        """Run one job: under its job lock, timed, logged; a failure is recorded and retried early."""
        assert self.store is not None
        store = self.store
        stage, _, argument = job_id.partition(":")
        now = datetime.now(self.settings.tz)
        outcome = JobOutcome(job_id, stage, now, 0.0, self._attempts.get(job_id, 0) + 1)
        job_lock = NamedLock(store, job_lock_name(job_id), self.holder)
        try:
            job_lock.acquire()  # left behind if this process dies: the next start runs the job again
        except Exception as exc:  # the database is away or busy: like a failure of the stage
            outcome.error = f"job not started: {type(exc).__name__}: {exc}"[:500]
            log.error("job %s: %s", job_id, outcome.error)
            outcome.retry_at = self._retry_early(job_id, outcome.attempt, now)
            return outcome
        if self._stopping.is_set():
            log.info("job %s not started (stopping): it runs at the next start", job_id)
            return None
        with self._busy:
            self._running.add(job_id)
        started = time.perf_counter()
        last_run = _last_run_id(store)
        try:
            work = STAGES.get(stage)
            if work is None:
                raise StageFailed(f"unknown job {job_id!r}")
            work(JobContext(self.settings, store, now), argument or None)
        except Exception as exc:
            outcome.error = f"{type(exc).__name__}: {exc}"[:500]
            log.error("job %s failed: %s", job_id, outcome.error, exc_info=not isinstance(exc, UserError))
            self._record_failure(stage, argument or None, outcome.error, last_run)
            outcome.retry_at = self._retry_early(job_id, outcome.attempt, now)
        else:
            self._attempts.pop(job_id, None)
        finally:
            outcome.wall_s = round(time.perf_counter() - started, 4)
            job_lock.release()
            with self._busy:
                self._running.discard(job_id)
                self._busy.notify_all()
        log.info(
            "job %s %s in %.2f s",
            job_id,
            "failed" if outcome.error else "done",
            outcome.wall_s,
            extra={
                "job": job_id,
                "stage": stage,
                "duration_s": outcome.wall_s,
                "attempt": outcome.attempt,
                "status": "failed" if outcome.error else "ok",
                "retry_at": outcome.retry_at,
            },
        )
        if self.on_job is not None:
            self.on_job(outcome)
        return outcome

    def _record_failure(self, stage: str, target: str | None, error: str, after_run: int) -> None:
        """A failed run, unless the stage recorded its own failure (collectors and stages do)."""
        assert self.store is not None
        try:
            with self.store.session() as session:
                recorded = session.scalar(
                    select(func.count()).select_from(Run).where(Run.id > after_run, Run.status == "failed")
                )
            if not recorded:
                source = target if stage == "collect" else None
                with self.store.recording(stage, target=target, source=source) as run:
                    run.fail(error)
        except Exception as exc:  # the database may be what failed; the log keeps the failure
            log.error("could not record the failure of %s: %s", stage, exc)

    def _retry_early(self, job_id: str, attempt: int, now: datetime) -> datetime | None:
        """Bring the job's next run forward by the backoff delay (doubling, bounded); after
        ``retry_attempts`` failures in a row, it waits for its next turn."""
        plan = self.settings.schedule
        if attempt > plan.retry_attempts:
            self._attempts.pop(job_id, None)
            log.error("job %s failed %d times in a row: next try at its next turn", job_id, attempt)
            return None
        self._attempts[job_id] = attempt
        at = now + timedelta(seconds=min(plan.retry_backoff_s * 2 ** (attempt - 1), plan.retry_max_delay_s))
        try:
            job = self.scheduler.get_job(job_id)
            if job is None or job.next_run_time is None:
                return None
            if at < job.next_run_time:
                self.scheduler.modify_job(job_id, next_run_time=at)
                return at
            return job.next_run_time
        except Exception as exc:  # the job store is the database: the job keeps its next turn
            log.error("could not bring job %s forward: %s", job_id, exc)
            return None


def _last_run_id(store: Store) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.max(Run.id))) or 0)


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
    now = datetime.now(settings.tz)
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


# --- a controlled clock, for tests and the soak benchmark -------------------------------------------------


_REAL_DATETIME = datetime


class _ClockMeta(type):
    """Real datetimes stay instances of the patched class (``isinstance`` checks keep working)."""

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, _REAL_DATETIME)

    def __subclasscheck__(cls, subclass: type) -> bool:
        return issubclass(subclass, _REAL_DATETIME)


class _SimulatedDatetime(datetime, metaclass=_ClockMeta):
    clock: SimulatedClock | None = None

    @classmethod
    def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
        assert cls.clock is not None
        current = cls.clock.current
        return current.astimezone(tz) if tz is not None else current.astimezone().replace(tzinfo=None)

    @classmethod
    def utcnow(cls) -> datetime:  # type: ignore[override]
        assert cls.clock is not None
        return cls.clock.current.replace(tzinfo=None)


class SimulatedClock:
    """A clock that moves only when told. While installed (``with clock:``), ``datetime.now()`` returns its
    time in APScheduler's scheduler and executors (the module attributes its own test-suite patches) and in
    the modules that stamp the service's records (run records, locks, deliveries, briefs).

    >>> with SimulatedClock(datetime(2026, 3, 29, 1, 30, tzinfo=UTC)) as clock:
    ...     clock.advance(timedelta(hours=1))
    ...     from signals import schema
    ...     schema._now().isoformat()
    '2026-03-29T02:30:00+00:00'
    """

    MODULES = (
        "apscheduler.schedulers.base",
        "apscheduler.executors.base",
        "signals.schema",
        "signals.store",
        "signals.service",
        "signals.status",
        "signals.housekeeping",
        "signals.pipeline",
        "signals.periods",
        "reports.brief",
        "reports.quarterly",
        "reports.outbox",
        __name__,
    )

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the clock's start must be time-zone aware")
        self.current = start.astimezone(UTC)
        self._patched: list[tuple[Any, Any]] = []

    def set(self, when: datetime) -> None:
        self.current = when.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self.current += delta

    def __enter__(self) -> SimulatedClock:
        if _SimulatedDatetime.clock is not None:
            raise RuntimeError("a simulated clock is already installed")
        _SimulatedDatetime.clock = self
        for name in self.MODULES:
            module = import_module(name)
            if getattr(module, "datetime", None) is _REAL_DATETIME:
                self._patched.append((module, module.datetime))
                module.datetime = _SimulatedDatetime
        return self

    def __exit__(self, *_exc: object) -> None:
        for module, original in self._patched:
            module.datetime = original
        self._patched.clear()
        _SimulatedDatetime.clock = None


class DeferredExecutor(BaseExecutor):
    """Keeps submitted jobs until :meth:`drain` runs them in the caller's thread: after the scheduler has
    stored their next run time, as with a worker thread."""

    def __init__(self) -> None:
        super().__init__()
        self._queue: list[tuple[Any, list[datetime]]] = []

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        self._queue.append((job, run_times))

    def drain(self) -> int:
        ran = 0
        while self._queue:
            job, run_times = self._queue.pop(0)
            events = _apscheduler_run_job(job, job._jobstore_alias, run_times, self._logger.name)
            self._run_job_success(job.id, events)
            ran += 1
        return ran


class SimulatedScheduler(BaseScheduler):
    """A scheduler without a thread of its own: :meth:`advance` moves its :class:`SimulatedClock` to each
    due run time in turn and runs what is due there, with APScheduler's own logic (coalescing, instances,
    next run times), as the real scheduler would have done in that time."""

    def __init__(self, clock: SimulatedClock, **options: Any) -> None:
        self.clock = clock
        super().__init__(**options)

    def _create_default_executor(self) -> BaseExecutor:
        return DeferredExecutor()

    def wakeup(self) -> None:
        """Nothing to wake: :meth:`advance` looks for due jobs itself."""

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)

    def advance(self, until: datetime) -> int:
        """Run every job due up to ``until``, in order, the clock following; returns the jobs run."""
        executor = self._lookup_executor("default")
        assert isinstance(executor, DeferredExecutor)
        ran, last_due = 0, None
        while self.state == STATE_RUNNING:
            due = self._next_due()
            if due is None or due > until:
                break
            self.clock.set(max(due, self.clock.current))
            self._process_jobs()
            done = executor.drain()
            if not done and due == last_due:
                raise RuntimeError(f"no job ran at {due} although one is due")
            ran, last_due = ran + done, due
        if until > self.clock.current:
            self.clock.set(until)
        return ran

    def _next_due(self) -> datetime | None:
        with self._jobstores_lock:
            times = [store.get_next_run_time() for store in self._jobstores.values()]
        return min((t for t in times if t is not None), default=None)


@contextmanager
def simulated_service(
    settings: Settings, clock: SimulatedClock, on_job: Callable[[JobOutcome], None] | None = None
) -> Iterator[Service]:
    """A started service on a simulated scheduler (``service.scheduler.advance(...)`` moves time on);
    stopped at the end of the block."""
    service = Service(settings, SimulatedScheduler(clock), on_job)
    service.start()
    try:
        yield service
    finally:
        if service.store is not None:
            service.stop()


# --- logs and entry point -------------------------------------------------------------------------------


def configure_service_logging(settings: Settings, verbose: int = 0) -> None:
    """Job lines at INFO on stderr and into ``logs/scheduler.log`` (rotated by size); one JSON object per
    line with ``SIGNALS_LOG_JSON=true``."""
    from signals.logs import JsonFormatter

    formatter: logging.Formatter = (
        JsonFormatter()
        if settings.log_json
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    if not any(
        isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler) for h in root.handlers
    ):
        root.addHandler(logging.StreamHandler(sys.stderr))
    for handler in root.handlers:
        handler.setFormatter(formatter)
    settings.logs_dir.mkdir(parents=True, exist_ok=True)
    path = settings.logs_dir / "scheduler.log"
    if not any(getattr(h, "baseFilename", None) == str(path.resolve()) for h in root.handlers):
        rotating = logging.handlers.RotatingFileHandler(
            path,
            maxBytes=int(settings.schedule.log_max_mb * 2**20),
            backupCount=settings.schedule.log_backups,
            encoding="utf-8",
        )
        rotating.setFormatter(formatter)
        root.addHandler(rotating)
    root.setLevel(logging.DEBUG if verbose >= 2 else logging.INFO)
    for noisy in (
        "alembic",
        "apscheduler",
        "cmdstanpy",
        "prophet",
        "numba",
        "matplotlib",
        "fontTools",
        "weasyprint",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def main() -> None:
    """``python scheduler.py``: the service in the foreground (the same as ``signals schedule``)."""
    try:
        settings = load_settings()
        configure_service_logging(settings)
        sys.exit(Service(settings).run_forever())
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    # Run as the module ``scheduler`` (not ``__main__``): stored jobs refer to ``scheduler:run_job``.
    import scheduler as _module

    _module.main()
