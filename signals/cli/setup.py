"""Setting up and feeding the service: the database, the settings, the sources, collection and import."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.table import Table

from signals import pipeline
from signals.cli.common import (
    app,
    busy,
    err,
    json_lines,
    out,
    parse_date,
    progress_bars,
    settings_from_env,
    sources_app,
)
from signals.core.errors import UserError
from signals.core.store import Store

# --- setup ----------------------------------------------------------------------------------------------


@app.command()
def init() -> None:
    """Create the database or upgrade it to the latest schema."""
    settings = settings_from_env()
    with Store.open(settings) as store:
        out.print(f"database ready: {settings.public_view()['database_url']} (schema {store.revision()})")


@app.command()
def config() -> None:
    """Show the effective settings (secrets masked)."""
    out.print(yaml.safe_dump(settings_from_env().public_view(), allow_unicode=True, sort_keys=False), end="")


# --- sources and collection -----------------------------------------------------------------------------


@sources_app.command("list")
def sources_list() -> None:
    """The sources of the sources file."""
    settings = settings_from_env()
    sources = pipeline.read_sources(settings)
    table = Table("name", "kind", "enabled", "cadence", "territory", "url", title=sources.territory.name)
    for s in sources.sources:
        table.add_row(s.name, s.kind, "yes" if s.enabled else "no", s.cadence, s.territory or "—", s.url)
    out.print(table)


@sources_app.command("kinds")
def sources_kinds(
    as_json: Annotated[bool, typer.Option("--json", help="as JSON")] = False,
) -> None:
    """The kinds of source, each with its options (what a sources.yaml entry may say)."""
    from signals.core.source_editing import describe_kinds

    kinds = describe_kinds()
    if as_json:
        out.print_json(json.dumps(kinds, ensure_ascii=False, default=str))
        return
    for kind in kinds:
        summary = kind["summary"].replace("``", "")
        out.print(textwrap.fill(f"{kind['kind']}: {summary}", 80), highlight=False, markup=False)
        table = Table("option", "default", "description", width=80)
        for option in kind["options"]:
            default = (
                "(required)" if option["required"] else json.dumps(option["default"], ensure_ascii=False)
            )
            table.add_row(option["name"], default, option["description"])
        out.print(table)


@sources_app.command("test")
def sources_test(
    name: str,
    limit: Annotated[int, typer.Option(min=1, max=200, help="items to show")] = 10,
) -> None:
    """Fetch a source and show what it yields, storing nothing."""
    settings = settings_from_env()
    outcome = busy(f"fetching {name}…", lambda: pipeline.preview_source(settings, name, limit))
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
def sources_health(
    as_json: Annotated[
        bool, typer.Option("--json", help="one JSON object per source, every figure, for scripts")
    ] = False,
) -> None:
    """Per source: state, last success, items per run, error rate (--json: rejects, latency, last error)."""
    from dataclasses import asdict

    from signals.stages.health import source_health

    settings = settings_from_env()
    with Store.open(settings) as store:
        rows = source_health(store, settings)
    if as_json:
        json_lines(asdict(h) for h in rows)
        return
    table = Table("source", "state", "last success", "items/run", "errors")  # fits 80 columns
    for h in rows:
        table.add_row(
            h.name,
            "[red]degraded[/red]" if h.degraded else ("healthy" if h.runs else "never run"),
            f"{h.last_success_at.astimezone(settings.tz):%Y-%m-%d %H:%M}" if h.last_success_at else "never",
            f"{h.items_per_run:g}" if h.items_per_run is not None else "—",
            f"{h.error_rate:.0%}" if h.error_rate is not None else "—",
        )
    out.print(table)


@app.command()
def collect(
    source: Annotated[
        list[str] | None, typer.Option("--source", "-s", help="only this source (repeatable)")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="one JSON object per source (all its counts), for scripts")
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=0,
            help="worker processes sharing the crawl through Redis (SIGNALS_FRONTIER__REDIS_URL); 0: one process",
        ),
    ] = 0,
) -> None:
    """Collect the enabled sources (or the given ones) into the store."""
    settings = settings_from_env()
    with Store.open(settings) as store:
        with progress_bars() as bars:
            outcomes = pipeline.collect(store, settings, source, progress=bars, workers=workers)
    print_outcomes(outcomes, as_json)
    if outcomes and all(o.status == "failed" for o in outcomes):
        raise typer.Exit(1)


def print_outcomes(outcomes: list[Any], as_json: bool) -> None:
    """Each source's counts: a table, or one JSON object a source."""
    if as_json:
        json_lines(
            {"source": o.source, "status": o.status, "counts": o.counts, "error": o.error} for o in outcomes
        )
    else:
        _print_outcomes(outcomes)


def _print_outcomes(outcomes: list[Any]) -> None:
    """Fits 80 columns: the counts in a table, each error whole on its own line below."""
    table = Table("source", "status", "new", "dup.", "obs.", "rejected")
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
        )
    out.print(table)
    for o in outcomes:
        if o.error:
            out.print(f"{o.source}: {o.error}")


@app.command()
def prepare(
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="prepare the analysis window ending on this date (YYYY-MM-DD)"),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=0,
            help="Dask worker processes (0: this process); default SIGNALS_COMPUTE__WORKERS",
        ),
    ] = None,
) -> None:
    """Compute the terms and embeddings of documents that have none yet (after a large import)."""
    settings = settings_from_env()
    day = parse_date(as_of, "--as-of")
    with Store.open(settings) as store:
        counts = busy("preparing documents…", lambda: pipeline.prepare(store, settings, day, workers))
    out.print(f"{counts['terms']} documents given their terms, {counts.get('embedded', 0)} embedded")


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
    settings = settings_from_env()
    with Store.open(settings) as store:
        report = busy(f"importing {path}…", lambda: pipeline.import_path(store, settings, path, encoding))
    outcomes = ", ".join(f"{k}: {v}" for k, v in sorted(report.outcomes.items())) or "nothing"
    out.print(f"{path}: {report.lines} {report.kind} lines — {outcomes}; rejected: {len(report.rejected)}")
    for number, reason in report.rejected[:50]:
        err.print(f"  line {number}: {reason}", markup=False, highlight=False)
    if len(report.rejected) > 50:
        err.print(f"  … and {len(report.rejected) - 50} more (see `signals runs`)")
    if report.lines and report.imported == 0:
        raise typer.Exit(1)
