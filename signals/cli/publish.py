"""What people read: the weekly brief, the quarterly report, the outbox, the archive, the feedback links."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from signals import pipeline
from signals.cli.common import app, busy, out, settings_from_env
from signals.core.store import Store

# --- reports --------------------------------------------------------------------------------------------


@app.command()
def brief(
    week: Annotated[str | None, typer.Option(help="ISO week YYYY-Www (default: last complete week)")] = None,
    out_path: Annotated[Path | None, typer.Option("--out", help="also write the HTML here")] = None,
    send: Annotated[bool, typer.Option("--send", help="queue and deliver to the recipients")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="render it again, replacing the archived one (no second delivery)")
    ] = False,
) -> None:
    """Render the weekly brief (once per week), archive it, optionally send it."""
    settings = settings_from_env()
    try:
        monday = pipeline.resolve_week(week, settings)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--week") from None
    with Store.open(settings) as store:
        result = busy(
            "rendering the brief…", lambda: pipeline.brief(store, settings, monday, out_path, send, force)
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
    force: Annotated[
        bool, typer.Option("--force", help="render it again from the store, replacing the archived one")
    ] = False,
) -> None:
    """Render the quarterly report for elected officials (HTML and PDF)."""
    settings = settings_from_env()
    try:
        label = pipeline.resolve_quarter(quarter, settings)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--quarter") from None
    with Store.open(settings) as store:
        result = busy(
            "rendering the report…", lambda: pipeline.quarterly_report(store, settings, label, out_dir, force)
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
    as_json: Annotated[
        bool, typer.Option("--json", help="one JSON object per delivery, for scripts")
    ] = False,
) -> None:
    """The outbox: each brief's delivery per recipient, with attempts, errors and where it went."""
    settings = settings_from_env()
    with Store.open(settings) as store:
        if retry_failed:
            out.print(f"queued again: {pipeline.retry_failed(store)}")
        if send:
            result = busy("delivering…", lambda: pipeline.deliver(store, settings))
            done = "sent" if settings.smtp.host else "written to the outbox"
            out.print(
                f"{done}: {result.sent}, retrying: {result.retrying}, failed: {result.failed}, "
                f"recovered after a crash: {result.reconciled + result.requeued}"
            )
        rows = pipeline.deliveries(store, status, limit)
    if as_json:
        for r in rows:
            out.print_json(
                data={
                    "id": r.id,
                    "brief": f"{r.kind} {r.period}",
                    "recipient": r.recipient,
                    "status": r.status,
                    "outcome": r.outcome,
                    "attempts": r.attempts,
                    "sent_at": r.sent_at.isoformat() if r.sent_at else None,
                    "location": r.location,
                    "error": r.last_error,
                },
                indent=None,
            )
        return
    # Five narrow columns (80 columns of terminal): where each message went and full errors are in --json.
    table = Table("id", "brief", "recipient", "status", "when")
    for r in rows:
        when = r.sent_at if r.sent_at else r.next_attempt_at if r.status in ("queued", "sending") else None
        tries = f"{r.attempts} tr{'ies' if r.attempts > 1 else 'y'}"
        error = f"\n{r.last_error[:60]}" if r.status == "failed" and r.last_error else ""
        table.add_row(
            str(r.id),
            f"{r.kind} {r.period}",
            r.recipient,
            f"{r.outcome} ({tries}){error}",
            f"{when.astimezone(settings.tz):%d/%m %H:%M}" if when else "—",
        )
    out.print(table)


@app.command("archive")
def archive_(
    kind: Annotated[str | None, typer.Option(help="weekly or quarterly")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per entry, for scripts")] = False,
) -> None:
    """Every archived brief and report with its files and deliveries (--json: with paths and subjects)."""
    settings = settings_from_env()
    with Store.open(settings) as store:
        entries = pipeline.archive(store, kind, limit)
    if as_json:
        for e in entries:
            out.print_json(
                data={
                    "kind": e.kind,
                    "period": e.period,
                    "created": e.created_at.isoformat(),
                    "subject": e.subject,
                    "files": {n: str(p) for n, p in e.files.items()},
                    "sizes": e.sizes,
                    "deliveries": e.deliveries,
                },
                indent=None,
            )
        return
    # fits 80 columns: each file by its kind and size (``--json`` gives the paths and the subject)
    table = Table("kind", "period", "created", "deliveries", "files")
    table.columns[3].no_wrap = True
    for e in entries:
        files = "\n".join(
            f"{name} {size / 1024:.0f} KB" if size is not None else f"{name} missing"
            for name, size in e.sizes.items()
        )
        table.add_row(
            e.kind,
            e.period,
            f"{e.created_at.astimezone(settings.tz):%Y-%m-%d %H:%M}",
            "\n".join(f"{k}: {v}" for k, v in e.deliveries.items()) or "—",
            files,
        )
    out.print(table)


@app.command("serve-feedback")
def serve_feedback(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8765,
) -> None:
    """Serve the brief's confirm/dismiss links (set SIGNALS_PUBLIC_URL to the address readers reach)."""
    settings = settings_from_env()
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
