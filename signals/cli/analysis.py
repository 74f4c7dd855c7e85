"""The analysis and its signals: analyse a week, forecast, list and show signals, give feedback, backtest."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from signals import pipeline
from signals.cli.common import app, busy, err, out, parse_date, progress_bars, settings_from_env
from signals.core.errors import UserError
from signals.core.periods import weeks_between
from signals.core.settings import Settings
from signals.core.store import Store

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
    day = parse_date(as_of, "--as-of")
    settings = settings_from_env()
    with Store.open(settings) as store, progress_bars() as bars:
        result = pipeline.analyze(store, settings, day, refit_topics, progress=bars)
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
        day = parse_date(as_of, "--as-of")
        settings = settings_from_env()
        with Store.open(settings) as store:
            outcome = busy("forecasting…", lambda: pipeline.forecast(store, settings, day))
        out.print(
            f"{outcome.refitted} series forecast refitted, {len(outcome.not_forecast)} not forecastable"
        )
        _series_reasons(outcome.not_forecast)
        return
    if input_path is None or out_path is None or as_of is not None:
        raise UserError("forecasting a file needs both --input and --out (and no --as-of)")
    _forecast_file(input_path, out_path, horizon, jobs, settings_from_env())


def _forecast_file(
    input_path: Path, out_path: Path, horizon: int | None, jobs: int, settings: Settings
) -> None:
    from signals.stages.forecast_file import forecast_file

    interval = settings.series.forecast_interval
    with progress_bars() as bars:
        report = forecast_file(
            input_path,
            out_path,
            horizon,
            interval,
            jobs,
            lambda done, total: bars("forecasting series", done, total),
        )
    out.print(
        f"{out_path}: {report.rows} rows, {len(report.forecast)} series forecast, {len(report.rejected)} refused"
    )
    _series_reasons(report.rejected)
    for number, reason in report.bad_lines:
        err.print(f"  line {number}: {reason}", markup=False, highlight=False)
    if not report.forecast:
        raise typer.Exit(1)


def _series_reasons(reasons: dict[str, str]) -> None:
    """Each series that could not be forecast, by name with its reason, on stderr."""
    for name, reason in reasons.items():
        err.print(f"  series {name}: {reason}", markup=False, highlight=False)


@app.command("list")
def list_(
    status: Annotated[
        str | None, typer.Option(help="new, rising, established, fading, dismissed, confirmed")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False,
) -> None:
    """Signals, most recent first."""
    from signals.core.registry import SignalSummary, list_signals

    settings = settings_from_env()
    with Store.open(settings) as store, store.session() as session:
        try:
            signals = list_signals(session, status)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--status") from None
        rows = [asdict(SignalSummary.of(s)) for s in signals]
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


@app.command()
def show(
    signal_id: Annotated[int, typer.Argument(metavar="ID")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False,
) -> None:
    """A signal with its numbers, weekly history, cited documents and feedback."""
    from signals.core.registry import signal_detail

    settings = settings_from_env()
    with Store.open(settings) as store, store.session() as session:
        detail = signal_detail(session, signal_id)
    if as_json:
        out.print_json(json.dumps(asdict(detail), ensure_ascii=False, default=str))
        return
    m = detail.metrics
    out.print(
        f"[bold]#{detail.id} {detail.subject}[/bold] — {detail.kind}, {detail.status}, score {detail.score:.1f}"
    )
    out.print(f"first seen {detail.first_seen}, last seen {detail.last_seen}")
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
        "history: " + " ".join(f"{h.week}:{h.status}{'*' if h.flagged else ''}" for h in detail.history)
    )
    for e in detail.evidence:
        out.print(f"  - {e.published_at:%Y-%m-%d} {e.source}: {e.title} {e.url or ''}", markup=False)
    for f in detail.feedback:
        out.print(f"  feedback: {f.verdict} by {f.author or '?'} on {f.at:%Y-%m-%d}: {f.note or ''}")


@app.command()
def feedback(
    signal_id: Annotated[int, typer.Argument(metavar="ID")],
    verdict: Annotated[str, typer.Argument(help="confirm or dismiss")],
    note: Annotated[str | None, typer.Option(help="why")] = None,
    author: Annotated[str | None, typer.Option(help="who gives the verdict")] = None,
) -> None:
    """Confirm or dismiss a signal; dismissed themes come back only if they grow markedly."""
    from signals.core.registry import give_feedback

    if verdict not in ("confirm", "dismiss"):
        raise typer.BadParameter("must be confirm or dismiss", param_hint="VERDICT")
    settings = settings_from_env()
    with Store.open(settings) as store, store.session(write=True) as session:
        signal = give_feedback(session, signal_id, verdict, note, author)
        out.print(f"signal {signal.id} ({signal.subject}): {signal.status}")


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
    from signals.stages.backtest import backtest as run_backtest
    from signals.stages.backtest import load_events

    first, last = parse_date(from_, "--from"), parse_date(to, "--to")
    assert first is not None and last is not None
    known = load_events(events) if events else []
    settings = settings_from_env()
    _, communes = pipeline.read_territory(settings)
    total = len(weeks_between(first, last))
    with Store.open(settings) as store, progress_bars() as bars:
        replayed = iter(range(1, total + 1))
        result = run_backtest(
            store,
            settings,
            first,
            last,
            known,
            budget,
            communes,
            out_path,
            progress=lambda _week: bars("replaying weeks", next(replayed), total),
        )
    scores = result.scores()
    if known:
        table = Table(
            "event", "onset", "first flag", "signal kind", "lead (weeks)", "peak week", "weeks before peak"
        )
        for name, d in scores["per_event_detail"].items():
            table.add_row(
                name,
                d["onset"],
                d["first_flag"] or "—",
                d["signal_kind"] or "—",
                str(d["lead_weeks"] if d["lead_weeks"] is not None else "—"),
                d["peak_week"] or "—",
                str(d["weeks_before_peak"] if d["weeks_before_peak"] is not None else "—"),
            )
        out.print(table)
    out.print(
        f"{len(result.flags)} new signals over {len(result.weeks)} weeks (budget {result.budget} a week)"
    )
    print(json.dumps(scores, ensure_ascii=False))
