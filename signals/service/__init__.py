"""The long-running service: every stage on its cadence, one instance at a time, safe across restarts.

Jobs: one collection per enabled source (on the source's ``cadence``), then ``analyze``, ``brief``,
``report``, ``deliver`` and ``housekeeping`` on the crontab expressions of the ``schedule`` settings
(``signals.core.settings.ScheduleSettings``). APScheduler keeps them in the service's own database; every job
calls the module-level :func:`run_job` with its id, and :class:`Service` runs the stage.

Safety:

- one instance: the ``scheduler`` lock (``signals.core.locks``), renewed by a heartbeat. A crashed
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
