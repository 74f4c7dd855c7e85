"""The ``signals`` command: a thin layer over ``signals.pipeline`` and the store.

Every command has ``--help``; a problem the user can fix ends the command with a one-line message and a
non-zero exit status, never a traceback.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
import yaml
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from signals import pipeline
from signals.errors import UserError
from signals.periods import weeks_between
from signals.settings import Settings, load_settings
from signals.store import Store

app = typer.Typer(
    help="Veille prospective : détection de signaux faibles sur un territoire.",
    no_args_is_help=True,
    add_completion=False,
)
sources_app = typer.Typer(help="Sources: list, preview, health.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")
out = Console(soft_wrap=True)  # paths and URLs stay whole, to be copied
err = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")


class _State:
    verbose: int = 0


@app.callback()
def _main(
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="more log output")] = 0,
) -> None:
    _State.verbose = verbose


def _settings() -> Settings:
    try:
        settings = load_settings()
    except (ValidationError, FileNotFoundError, ValueError) as exc:
        raise UserError(f"invalid settings: {exc}".splitlines()[0]) from None
    _configure_logging(settings)
    return settings


def _configure_logging(settings: Settings) -> None:
    level = logging.WARNING - 10 * min(_State.verbose, 2)
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_json:
        from signals.logs import JsonFormatter

        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for noisy in ("cmdstanpy", "prophet", "numba", "matplotlib", "fontTools", "weasyprint", "scrapy"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def _parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option) from None


def _busy(message: str, work: Callable[[], T]) -> T:
    """Run long work behind a spinner (only on a terminal)."""
    if not err.is_terminal:
        return work()
    with err.status(message):
        return work()


# --- setup ----------------------------------------------------------------------------------------------


@app.command()
def init() -> None:
    """Create the database or upgrade it to the latest schema."""
    settings = _settings()
    with Store.open(settings) as store:
        out.print(f"database ready: {settings.public_view()['database_url']} (schema {store.revision()})")


@app.command()
def config() -> None:
    """Show the effective settings (secrets masked)."""
    out.print(yaml.safe_dump(_settings().public_view(), allow_unicode=True, sort_keys=False), end="")


# --- sources and collection -----------------------------------------------------------------------------


@sources_app.command("list")
def sources_list() -> None:
    """The sources of the sources file."""
    settings = _settings()
    sources = pipeline.read_sources(settings)
    table = Table("name", "kind", "enabled", "cadence", "territory", "url", title=sources.territory.name)
    for s in sources.sources:
        table.add_row(s.name, s.kind, "yes" if s.enabled else "no", s.cadence, s.territory or "—", s.url)
    out.print(table)


@sources_app.command("test")
def sources_test(
    name: str,
    limit: Annotated[int, typer.Option(min=1, max=200, help="items to show")] = 10,
) -> None:
    """Fetch a source and show what it yields, storing nothing."""
    settings = _settings()
    outcome = _busy(f"fetching {name}…", lambda: pipeline.preview_source(settings, name, limit))
    table = Table("date", "commune", "chars", "title", "problems", title=f"{name}: {outcome.status}")
    for item in outcome.items:
        table.add_row(
            str(item.get("date") or "—")[:16],
            item.get("commune") or "—",
            str(item.get("text_length", 0)),
            (item.get("title") or "")[:70],
            ", ".join(item.get("problems") or []) or "",
        )
    out.print(table)
    if outcome.counts:
        out.print("counts: " + json.dumps(outcome.counts, ensure_ascii=False))
    if outcome.error:
        raise UserError(f"source {name!r}: {outcome.error}")


@sources_app.command("health")
def sources_health() -> None:
    """Per source: last success, items per run, rejects, error rate, latency, degraded."""
    from signals.health import source_health

    settings = _settings()
    with Store.open(settings) as store:
        rows = source_health(store, settings)
    table = Table(
        "source", "kind", "last success", "last run", "items/run", "rejects", "error rate", "latency", "state"
    )
    for h in rows:
        table.add_row(
            h.name,
            h.kind,
            f"{h.last_success_at.astimezone(settings.tz):%Y-%m-%d %H:%M}" if h.last_success_at else "never",
            h.last_run_status or "—",
            f"{h.items_per_run:g}" if h.items_per_run is not None else "—",
            ", ".join(f"{k}: {v}" for k, v in h.rejects_by_reason.items()) or "0",
            f"{h.error_rate:.0%}" if h.error_rate is not None else "—",
            f"{h.median_latency_s:.2f} s" if h.median_latency_s is not None else "—",
            "[red]degraded[/red]" if h.degraded else ("healthy" if h.runs else "never run"),
        )
    out.print(table)


@app.command()
def collect(
    source: Annotated[
        list[str] | None, typer.Option("--source", "-s", help="only this source (repeatable)")
    ] = None,
) -> None:
    """Collect the enabled sources (or the given ones) into the store."""
    settings = _settings()
    with Store.open(settings) as store:
        outcomes = _busy("collecting…", lambda: pipeline.collect(store, settings, source))
    _print_outcomes(outcomes)
    if outcomes and all(o.status == "failed" for o in outcomes):
        raise typer.Exit(1)


def _print_outcomes(outcomes: list[Any]) -> None:
    table = Table("source", "status", "new", "duplicates", "observations", "rejected", "error")
    for o in outcomes:
        c = o.counts
        rejected = c.get("rejected", {})
        table.add_row(
            o.source,
            o.status,
            str(c.get("new", 0)),
            str(c.get("duplicates", 0)),
            str(c.get("observations", 0)),
            str(sum(rejected.values()) if isinstance(rejected, dict) else rejected),
            o.error or "",
        )
    out.print(table)


@app.command("import")
def import_(
    path: Path,
    encoding: Annotated[str, typer.Option(help="text encoding of the file")] = "utf-8",
) -> None:
    """Import documents (JSON Lines) or observations (CSV). Idempotent; bad lines are reported and skipped."""
    import codecs

    try:
        codecs.lookup(encoding)
    except LookupError:
        raise typer.BadParameter(f"unknown encoding {encoding!r}", param_hint="--encoding") from None
    settings = _settings()
    with Store.open(settings) as store:
        report = _busy(f"importing {path}…", lambda: pipeline.import_path(store, settings, path, encoding))
    outcomes = ", ".join(f"{k}: {v}" for k, v in sorted(report.outcomes.items())) or "nothing"
    out.print(f"{path}: {report.lines} {report.kind} lines — {outcomes}; rejected: {len(report.rejected)}")
    for number, reason in report.rejected[:50]:
        err.print(f"  line {number}: {reason}", markup=False, highlight=False)
    if len(report.rejected) > 50:
        err.print(f"  … and {len(report.rejected) - 50} more (see `signals runs`)")
    if report.lines and report.imported == 0:
        raise typer.Exit(1)


# --- analysis and signals -------------------------------------------------------------------------------


@app.command()
def analyze(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="analyse with data published up to this date")
    ] = None,
    refit_topics: Annotated[
        bool, typer.Option("--refit-topics", help="fit the topic model again on the whole window")
    ] = False,
) -> None:
    """Detect emerging themes for the week of --as-of (default: today) and update the signals."""
    day = _parse_date(as_of, "--as-of")
    settings = _settings()
    with Store.open(settings) as store:
        result = _busy("analysing…", lambda: pipeline.analyze(store, settings, day, refit_topics))
    statuses = ", ".join(f"{k}: {v}" for k, v in result.statuses.items()) or "no signal"
    out.print(f"week of {result.week} (as of {result.as_of}): {result.documents} documents — {statuses}")
    for label in result.new:
        out.print(f"  new: {label}")


@app.command("forecast")
def forecast_(
    as_of: Annotated[str | None, typer.Option("--as-of", help="forecast from data up to this date")] = None,
    input_path: Annotated[
        Path | None, typer.Option("--input", help="forecast the series of this CSV (series,period,value)")
    ] = None,
    out_path: Annotated[
        Path | None, typer.Option("--out", help="write the forecasts of --input here")
    ] = None,
    horizon: Annotated[
        int | None,
        typer.Option(
            min=1, help="periods ahead (default: 28 days, 13 weeks, 24 months, 8 quarters, 4 years)"
        ),
    ] = None,
    jobs: Annotated[int, typer.Option(min=1, help="processes for --input")] = max(
        1, min(2, os.cpu_count() or 1)
    ),
) -> None:
    """Refit the stored forecasts that are due, or with --input/--out forecast a CSV file (no database)."""
    if input_path is None and out_path is None:
        day = _parse_date(as_of, "--as-of")
        settings = _settings()
        with Store.open(settings) as store:
            fitted = _busy("forecasting…", lambda: pipeline.forecast(store, settings, day))
        out.print(f"{fitted} series forecast refitted")
        return
    if input_path is None or out_path is None or as_of is not None:
        raise UserError("forecasting a file needs both --input and --out (and no --as-of)")
    _forecast_file(input_path, out_path, horizon, jobs, _settings())


def _forecast_file(
    input_path: Path, out_path: Path, horizon: int | None, jobs: int, settings: Settings
) -> None:
    from signals.forecast_file import forecast_file

    def run(progress: Callable[[int, int], None] | None) -> Any:
        interval = settings.series.forecast_interval
        return forecast_file(input_path, out_path, horizon, interval, jobs, progress)

    if err.is_terminal:
        from rich.progress import Progress

        with Progress(console=err, transient=True) as bar:
            task = bar.add_task("forecasting series", total=None)
            report = run(lambda done, total: bar.update(task, completed=done, total=total))
    else:
        report = run(None)
    out.print(
        f"{out_path}: {report.rows} rows, {len(report.forecast)} series forecast, {len(report.rejected)} refused"
    )
    for name, reason in report.rejected.items():
        err.print(f"  series {name}: {reason}", markup=False, highlight=False)
    for number, reason in report.bad_lines:
        err.print(f"  line {number}: {reason}", markup=False, highlight=False)
    if not report.forecast:
        raise typer.Exit(1)


@app.command("list")
def list_(
    status: Annotated[
        str | None, typer.Option(help="new, rising, established, fading, dismissed, confirmed")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False,
) -> None:
    """Signals, most recent first."""
    from signals.registry import list_signals

    settings = _settings()
    with Store.open(settings) as store, store.session() as session:
        try:
            signals = list_signals(session, status)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--status") from None
        rows = [_signal_summary(s) for s in signals]
    if as_json:
        out.print_json(json.dumps(rows, ensure_ascii=False, default=str))
        return
    table = Table("id", "kind", "status", "score", "first seen", "last seen", "subject")
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["kind"],
            r["status"],
            f"{r['score']:.1f}",
            str(r["first_seen"]),
            str(r["last_seen"]),
            r["subject"],
        )
    out.print(table)


def _signal_summary(signal: Any) -> dict[str, Any]:
    return {
        "id": signal.id,
        "kind": signal.kind,
        "key": signal.key,
        "subject": signal.subject,
        "status": signal.status,
        "score": signal.score,
        "first_seen": signal.first_seen,
        "last_seen": signal.last_seen,
        "territory": signal.territory,
    }


@app.command()
def show(
    signal_id: Annotated[int, typer.Argument(metavar="ID")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False,
) -> None:
    """A signal with its numbers, weekly history, cited documents and feedback."""
    from signals.registry import get_signal

    settings = _settings()
    with Store.open(settings) as store, store.session() as session:
        signal = get_signal(session, signal_id)
        data = _signal_summary(signal) | {
            "metrics": {k: v for k, v in signal.metrics.items() if k != "term_hashes"},
            "history": [
                {"week": w.week, "status": w.status, "flagged": w.flagged, "score": w.score}
                for w in signal.weeks
            ],
            "evidence": [
                {
                    "title": e.document.title,
                    "url": e.document.url,
                    "published_at": e.document.published_at,
                    "source": e.document.source.name,
                    "commune": e.document.territory,
                }
                for e in signal.evidence
                if e.document is not None
            ],
            "feedback": [
                {"verdict": f.verdict, "note": f.note, "author": f.author, "at": f.created_at}
                for f in signal.feedback
            ],
        }
    if as_json:
        out.print_json(json.dumps(data, ensure_ascii=False, default=str))
        return
    m = data["metrics"]
    out.print(
        f"[bold]#{data['id']} {data['subject']}[/bold] — {data['kind']}, {data['status']}, score {data['score']:.1f}"
    )
    out.print(f"first seen {data['first_seen']}, last seen {data['last_seen']}")
    if "recent_docs" in m:
        out.print(
            f"{m['recent_docs']} documents in {m.get('recent_weeks')} weeks for {m.get('expected_docs')} expected "
            f"(growth ×{m.get('growth')}, significance {m.get('significance')}), spread {m.get('spread')}"
        )
        out.print("communes: " + ", ".join(f"{k} ({v})" for k, v in m.get("communes", {}).items()))
        out.print("keywords: " + ", ".join(k["term"] for k in m.get("keywords", [])))
    if "observed" in m:
        out.print(
            f"{m['series']} {m['period']}: observed {m['observed']:g} {m.get('unit') or ''} for {m['expected']:g} "
            f"expected (usual range {m['band_low']:g} to {m['band_high']:g}), deviation {m['deviation']:+.1f}"
        )
    out.print(
        "history: "
        + " ".join(f"{h['week']}:{h['status']}{'*' if h['flagged'] else ''}" for h in data["history"])
    )
    for e in data["evidence"]:
        out.print(
            f"  - {e['published_at']:%Y-%m-%d} {e['source']}: {e['title']} {e['url'] or ''}", markup=False
        )
    for f in data["feedback"]:
        out.print(
            f"  feedback: {f['verdict']} by {f['author'] or '?'} on {f['at']:%Y-%m-%d}: {f['note'] or ''}"
        )


@app.command()
def feedback(
    signal_id: Annotated[int, typer.Argument(metavar="ID")],
    verdict: Annotated[str, typer.Argument(help="confirm or dismiss")],
    note: Annotated[str | None, typer.Option(help="why")] = None,
    author: Annotated[str | None, typer.Option(help="who gives the verdict")] = None,
) -> None:
    """Confirm or dismiss a signal; dismissed themes come back only if they grow markedly."""
    from signals.registry import give_feedback

    if verdict not in ("confirm", "dismiss"):
        raise typer.BadParameter("must be confirm or dismiss", param_hint="VERDICT")
    settings = _settings()
    with Store.open(settings) as store, store.session(write=True) as session:
        signal = give_feedback(session, signal_id, verdict, note, author)
        out.print(f"signal {signal.id} ({signal.subject}): {signal.status}")


# --- reports --------------------------------------------------------------------------------------------


@app.command()
def brief(
    week: Annotated[str | None, typer.Option(help="ISO week YYYY-Www (default: last complete week)")] = None,
    out_path: Annotated[Path | None, typer.Option("--out", help="also write the HTML here")] = None,
    send: Annotated[bool, typer.Option("--send", help="queue and deliver to the recipients")] = False,
) -> None:
    """Render the weekly brief (once per week), archive it, optionally send it."""
    settings = _settings()
    try:
        monday = pipeline.resolve_week(week, settings)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--week") from None
    with Store.open(settings) as store:
        result = _busy(
            "rendering the brief…", lambda: pipeline.brief(store, settings, monday, out_path, send)
        )
    out.print(
        f"brief {monday.isocalendar()[0]}-W{monday.isocalendar()[1]:02d}: "
        f"{'rendered' if result.created else 'already rendered'} — {result.archive}"
    )
    if result.out:
        out.print(f"written to {result.out}")
    for path in result.outbox:
        out.print(f"outbox: {path}")
    if result.deliveries:
        out.print("deliveries: " + ", ".join(f"{k}: {v}" for k, v in result.deliveries.items()))


@app.command()
def report(
    quarter: Annotated[str | None, typer.Option(help="YYYYQn (default: last complete quarter)")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="folder for the HTML and PDF")] = None,
) -> None:
    """Render the quarterly report for elected officials (HTML and PDF)."""
    settings = _settings()
    try:
        label = pipeline.resolve_quarter(quarter, settings)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--quarter") from None
    with Store.open(settings) as store:
        result = _busy(
            "rendering the report…", lambda: pipeline.quarterly_report(store, settings, label, out_dir)
        )
    for path in result.files:
        out.print(f"report {label}: {path}")


@app.command()
def deliveries(
    status: Annotated[str | None, typer.Option(help="queued, sending, sent or failed")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    send: Annotated[bool, typer.Option("--send", help="deliver the due messages first (retries)")] = False,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="queue the failed deliveries again first")
    ] = False,
) -> None:
    """The outbox: each brief's delivery per recipient, with attempts, errors and where it went."""
    settings = _settings()
    with Store.open(settings) as store:
        if retry_failed:
            out.print(f"queued again: {pipeline.retry_failed(store)}")
        if send:
            result = _busy("delivering…", lambda: pipeline.deliver(store, settings))
            out.print(
                f"sent: {result.sent}, retrying: {result.retrying}, failed: {result.failed}, "
                f"recovered after a crash: {result.reconciled + result.requeued}"
            )
        rows = pipeline.deliveries(store, status, limit)
    table = Table("id", "brief", "recipient", "status", "attempts", "next attempt", "sent", "where / error")
    for r in rows:
        when = r.next_attempt_at if r.status in ("queued", "sending") else None
        table.add_row(
            str(r.id),
            f"{r.kind} {r.period}",
            r.recipient,
            r.status,
            str(r.attempts),
            f"{when.astimezone(settings.tz):%Y-%m-%d %H:%M}" if when else "—",
            f"{r.sent_at.astimezone(settings.tz):%Y-%m-%d %H:%M}" if r.sent_at else "—",
            (r.last_error if r.status != "sent" and r.last_error else r.location or "")[-70:],
        )
    out.print(table)


@app.command("archive")
def archive_(
    kind: Annotated[str | None, typer.Option(help="weekly or quarterly")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
) -> None:
    """Every archived brief and report with its files and deliveries."""
    settings = _settings()
    with Store.open(settings) as store:
        entries = pipeline.archive(store, kind, limit)
    table = Table("kind", "period", "created", "files", "deliveries", "subject")
    for e in entries:
        files = "\n".join(
            f"{path} ({size / 1024:.0f} KB)" if size is not None else f"{path} (missing)"
            for path, size in ((e.files[n], e.sizes[n]) for n in e.files)
        )
        table.add_row(
            e.kind,
            e.period,
            f"{e.created_at.astimezone(settings.tz):%Y-%m-%d %H:%M}",
            files,
            ", ".join(f"{k}: {v}" for k, v in e.deliveries.items()) or "—",
            e.subject,
        )
    out.print(table)


@app.command("serve-feedback")
def serve_feedback(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8765,
) -> None:
    """Serve the brief's confirm/dismiss links (set SIGNALS_PUBLIC_URL to the address readers reach)."""
    settings = _settings()
    with Store.open(settings) as store:
        server = pipeline.feedback_server(store, settings, host, port)
        out.print(
            f"feedback endpoint on {server.url} (links point to {settings.public_url or 'nowhere: set SIGNALS_PUBLIC_URL'})"
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.httpd.server_close()


@app.command()
def runs(
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    stage: Annotated[str | None, typer.Option(help="collect, import, analyze, brief, report...")] = None,
) -> None:
    """Recent stage runs with their counts and errors."""
    from sqlalchemy import select

    from signals.schema import Run

    settings = _settings()
    with Store.open(settings) as store, store.session() as session:
        query = select(Run).order_by(Run.id.desc()).limit(limit)
        if stage:
            query = query.where(Run.stage == stage)
        rows = session.scalars(query).all()
        table = Table("id", "stage", "target", "status", "started", "duration", "cpu s", "counts", "errors")
        for r in rows:
            duration = (r.finished_at - r.started_at).total_seconds() if r.finished_at else None
            counts = ", ".join(f"{k}={v}" for k, v in (r.counts or {}).items() if k != "wall_s")
            first_error = f"{r.error_count}: {r.errors[0]['reason'][:60]}" if r.errors else str(r.error_count)
            table.add_row(
                str(r.id),
                r.stage,
                (r.target or "")[-40:],
                r.status,
                f"{r.started_at.astimezone(settings.tz):%Y-%m-%d %H:%M}",
                f"{duration:.1f} s" if duration is not None else "—",
                f"{r.cpu_s:.1f}" if r.cpu_s is not None else "—",
                counts[:80],
                first_error,
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
    import scheduler  # the service sits above the pipeline: imported only by this command

    settings = _settings()
    if list_jobs:
        jobs = scheduler.list_jobs(settings)
        if as_json:
            out.print_json(json.dumps([vars(j) for j in jobs], ensure_ascii=False, default=str))
            return
        table = Table("job", "schedule", "next run", "state", title=f"times in {settings.timezone}")
        for job in jobs:
            when = f"{job.next_run_at.astimezone(settings.tz):%a %Y-%m-%d %H:%M}" if job.next_run_at else "—"
            table.add_row(job.id, job.schedule, when, job.state)
        out.print(table)
        return
    scheduler.configure_service_logging(settings, _State.verbose)
    raise typer.Exit(scheduler.Service(settings).run_forever())


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False,
    check: Annotated[
        bool, typer.Option("--check", help="exit 1 when there is a problem (for probes)")
    ] = False,
) -> None:
    """Health of the service: scheduler, last success per stage, degraded sources, outbox, database size."""
    from signals.status import service_status

    settings = _settings()
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
def backtest(
    from_: Annotated[str, typer.Option("--from", help="first week (a date in it)")],
    to: Annotated[str, typer.Option("--to", help="last day")],
    events: Annotated[Path | None, typer.Option(help="JSON list of {name, onset, patterns}")] = None,
    budget: Annotated[int | None, typer.Option(min=1, help="new signals a reader takes per week")] = None,
    out_path: Annotated[
        Path | None, typer.Option("--out", help="write the weekly flags (JSON Lines) here")
    ] = None,
) -> None:
    """Replay the weekly analysis over stored data and score it against known events (JSON line last)."""
    from signals.backtest import backtest as run_backtest
    from signals.backtest import load_events

    first, last = _parse_date(from_, "--from"), _parse_date(to, "--to")
    assert first is not None and last is not None
    known = load_events(events) if events else []
    settings = _settings()
    _, communes = pipeline._territory(settings)
    with Store.open(settings) as store:
        if err.is_terminal:
            from rich.progress import Progress

            with Progress(console=err, transient=True) as progress:
                task = progress.add_task("replaying weeks", total=len(weeks_between(first, last)))
                result = run_backtest(
                    store,
                    settings,
                    first,
                    last,
                    known,
                    budget,
                    communes,
                    out_path,
                    progress=lambda _week: progress.advance(task),
                )
        else:
            result = run_backtest(store, settings, first, last, known, budget, communes, out_path)
    scores = result.scores()
    if known:
        table = Table("event", "onset", "first flag", "lead (weeks)", "peak week", "weeks before peak")
        for name, d in scores["per_event_detail"].items():
            table.add_row(
                name,
                d["onset"],
                d["first_flag"] or "—",
                str(d["lead_weeks"] if d["lead_weeks"] is not None else "—"),
                d["peak_week"] or "—",
                str(d["weeks_before_peak"] if d["weeks_before_peak"] is not None else "—"),
            )
        out.print(table)
    out.print(
        f"{len(result.flags)} new signals over {len(result.weeks)} weeks (budget {result.budget} a week)"
    )
    print(json.dumps({k: v for k, v in scores.items() if k != "per_event_detail"}, ensure_ascii=False))


@app.command()
def demo() -> None:
    """Generate the demo territory, serve it on 127.0.0.1, collect, analyse, and write the brief."""
    settings = _settings()
    result = _busy("running the demo…", lambda: pipeline.run_demo(settings))
    out.print(f"demo territory served at {result.base_url} (site: {result.site})")
    ok = sum(1 for o in result.collected if o.status != "failed")
    out.print(f"collected {ok}/{len(result.collected)} sources; {result.analyses} weeks analysed")
    out.print(f"ground truth: {result.ground_truth}")
    out.print(f"brief archived: {result.brief.archive}")
    for path in result.brief.outbox:
        out.print(f"brief e-mail in the outbox: {path}")
        out.print(f"  (HTML preview: {path.with_suffix('.html')})")
    out.print(f"done in {result.seconds:.0f} s")


def main() -> None:
    """Entry point: user errors become one line on stderr and exit status 2."""
    try:
        app()
    except UserError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
