"""One running instance of the service: its lock, its jobs, its recovery, its retries and its stop."""

from __future__ import annotations

import logging
import logging.handlers
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import FrameType

from apscheduler.executors.base import BaseExecutor
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_RUNNING, BaseScheduler
from sqlalchemy import func, select

from signals import pipeline
from signals.core import clock
from signals.core.errors import UserError
from signals.core.locks import (
    JOB_PREFIX,
    SERVICE_LOCK,
    Holder,
    NamedLock,
    close_interrupted_runs,
    drop_lock,
    job_lock_name,
    lock_states,
)
from signals.core.schema import Run
from signals.core.settings import Settings, load_settings
from signals.core.store import Store
from signals.service.plan import JOBS_TABLE, STAGES, JobContext, JobSpec, StageFailed, plan_jobs

log = logging.getLogger("scheduler")  # the service's log lines keep their name


def run_job(job_id: str) -> None:
    """What every stored job calls (APScheduler stores this function by reference)."""
    if _RUNNING is None:
        raise RuntimeError(f"job {job_id!r} fired outside a running service")
    _RUNNING.execute(job_id)


_RUNNING: Service | None = None


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
        """Take the lock (raises :class:`signals.core.locks.LockHeld` if another instance runs), close the runs
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
        now = clock.now(self.settings.tz)
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
        now = clock.now(self.settings.tz)
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
        now = clock.now(self.settings.tz)
        outcome = JobOutcome(job_id, stage, now, 0.0, self._attempts.get(job_id, 0) + 1)
        job_lock = NamedLock(store, job_lock_name(job_id), self.holder)
        try:
            job_lock.acquire()  # left behind if this process dies: the next start runs the job again
        except Exception as exc:  # the database is away or busy: like a failure of the stage
            outcome.error = f"tâche non démarrée : {type(exc).__name__}: {exc}"[:500]
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
                raise StageFailed(f"tâche inconnue : {job_id!r}")
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
