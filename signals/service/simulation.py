"""The same service on a controlled clock, for the tests and the soak benchmark: weeks in seconds."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from apscheduler.executors.base import BaseExecutor
from apscheduler.executors.base import run_job as _apscheduler_run_job
from apscheduler.schedulers.base import STATE_RUNNING, BaseScheduler

from signals.core.clock import SimulatedClock
from signals.core.settings import Settings
from signals.service.runner import JobOutcome, Service


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
