"""The service: its runs, its schedule, its health, and the demo territory end to end."""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any

import typer
from rich.table import Table

from signals import pipeline
from signals.cli.common import app, json_lines, out, progress_bars, settings_from_env, verbosity
from signals.core.logs import configure_logging
from signals.core.settings import Settings
from signals.core.store import Store


@app.command()
def runs(
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    stage: Annotated[str | None, typer.Option(help="collect, import, analyze, brief, report...")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="one JSON object per run (counts, errors, timings), for scripts")
    ] = False,
) -> None:
    """Recent stage runs with their status and number of errors (--json: their counts and errors)."""
    from signals.stages.status import recent_runs

    settings = settings_from_env()
    with Store.open(settings) as store:
        rows = recent_runs(store, limit, stage)
        if as_json:
            json_lines(
                {
                    "id": r.id,
                    "stage": r.stage,
                    "target": r.target,
                    "status": r.status,
                    "started": r.started_at,
                    "finished": r.finished_at,
                    "cpu_s": r.cpu_s,
                    "counts": r.counts,
                    "errors": r.errors,
                    "error_count": r.error_count,
                }
                for r in rows
            )
            return
        table = Table("id", "stage", "target", "status", "started", "time", "errors")  # fits 80 columns
        for r in rows:
            duration = (r.finished_at - r.started_at).total_seconds() if r.finished_at else None
            target = r.target or ""
            table.add_row(
                str(r.id),
                r.stage,
                target if len(target) <= 20 else "…" + target[-19:],
                r.status,
                f"{r.started_at.astimezone(settings.tz):%m-%d %H:%M}",
                f"{duration:.0f} s" if duration is not None else "—",
                str(r.error_count),
            )
    out.print(table)


# --- the service ----------------------------------------------------------------------------------------


@app.command()
def schedule(
    list_jobs: Annotated[
        bool, typer.Option("--list", help="show every job and its next run, then exit")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output (with --list)")] = False,
) -> None:
    """Run the scheduler (the long-running service) in the foreground; stop it with SIGTERM or Ctrl-C."""
    from signals.service.plan import list_jobs as planned_jobs
    from signals.service.runner import Service

    settings = settings_from_env()
    if list_jobs:
        jobs = planned_jobs(settings)
        if as_json:
            out.print_json(json.dumps([vars(j) for j in jobs], ensure_ascii=False, default=str))
            return
        table = Table("job", "schedule", "next run", "state", title=f"times in {settings.timezone}")
        for job in jobs:
            when = f"{job.next_run_at.astimezone(settings.tz):%a %Y-%m-%d %H:%M}" if job.next_run_at else "—"
            table.add_row(job.id, job.schedule, when, job.state)
        out.print(table)
        return
    level = logging.DEBUG if verbosity() >= 2 else logging.INFO
    configure_logging(settings, level, log_file="scheduler.log")
    raise typer.Exit(Service(settings).run_forever())


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False,
    check: Annotated[
        bool, typer.Option("--check", help="exit 1 when there is a problem (for probes)")
    ] = False,
) -> None:
    """Health of the service: scheduler, last success per stage, degraded sources, outbox, database size."""
    from signals.stages.status import service_status

    settings = settings_from_env()
    with Store.open(settings) as store:
        state = service_status(store, settings)
    if as_json:
        out.print_json(json.dumps(state.as_dict(), ensure_ascii=False, default=str))
    else:
        _print_status(state, settings)
    if check and state.problems:
        raise typer.Exit(1)


def _print_status(state: Any, settings: Settings) -> None:
    def local(moment: Any) -> str:
        return f"{moment.astimezone(settings.tz):%Y-%m-%d %H:%M}" if moment else "never"

    lock = state.scheduler
    if lock is None:
        out.print("scheduler: not running")
    else:
        age = (state.checked_at - lock.heartbeat_at).total_seconds()
        alive = {True: "alive", False: "dead", None: "on another host"}[lock.alive]
        out.print(
            f"scheduler: {lock.holder} ({alive}), since {local(lock.acquired_at)}, heartbeat {age:.0f} s ago"
        )
    if state.jobs_running:
        out.print("running: " + ", ".join(state.jobs_running))
    table = Table("stage", "last success", "last run", "last status", "failed (7 days)")
    for s in state.stages:
        table.add_row(
            s.stage,
            local(s.last_success_at),
            local(s.last_run_at),
            s.last_status or "—",
            str(s.failed_last_week),
        )
    out.print(table)
    out.print("degraded sources: " + (", ".join(state.degraded_sources) or "none"))
    unsent = ", ".join(f"{k}: {v}" for k, v in sorted(state.deliveries.items())) or "none"
    oldest = f" (oldest queued {local(state.oldest_unsent_at)})" if state.oldest_unsent_at else ""
    out.print(f"unsent e-mails: {unsent}{oldest}")
    if state.interrupted_runs:
        out.print(f"interrupted runs (closed at the next scheduler start): {state.interrupted_runs}")
    size = f"{state.database_bytes / 2**20:.1f} MiB" if state.database_bytes is not None else "unknown"
    out.print(f"database: {size}")
    for problem in state.problems:
        out.print(f"[red]problem:[/red] {problem}")


@app.command()
def demo() -> None:
    """Generate the demo territory, serve it on 127.0.0.1, collect, analyse, and write the brief."""
    settings = settings_from_env()
    with progress_bars() as progress:
        result = pipeline.run_demo(settings, progress=progress)
    out.print(f"demo territory served at {result.base_url} (site: {result.site})")
    ok = sum(1 for o in result.collected if o.status != "failed")
    out.print(f"collected {ok}/{len(result.collected)} sources; {result.analyses} weeks analysed")
    out.print(f"ground truth: {result.ground_truth}")
    out.print(f"brief archived: {result.brief.archive}")
    for path in result.brief.outbox:
        out.print(f"brief e-mail in the outbox: {path}")
        out.print(f"  (HTML preview: {path.with_suffix('.html')})")
    out.print(
        f"web console: `signals web`, then http://127.0.0.1:8000 "
        f"(user {result.console_user}, password {result.console_password})"
    )
    out.print(f"done in {result.seconds:.0f} s")
