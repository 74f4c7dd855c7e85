"""What people read: the weekly brief and its delivery, the quarterly report, the archive and feedback."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from reports import wording
from reports.forecasts import ForecastBand
from signals.core import clock
from signals.core.errors import UserError
from signals.core.periods import (
    last_complete_week,
    parse_quarter,
    parse_week,
    quarter_label,
    week_label,
)
from signals.core.schema import Brief
from signals.core.settings import Settings
from signals.core.store import Store
from signals.pipeline.analyze import analyze, analyzed_weeks
from signals.pipeline.collect import read_sources, read_territory

log = logging.getLogger(__name__)


@dataclass
class BriefResult:
    week: date
    brief_id: int
    created: bool
    archive: Path
    out: Path | None = None
    outbox: list[Path] = field(default_factory=list)
    deliveries: dict[str, int] = field(default_factory=dict)


def _archived_row(session: Any, row: Brief | None, kind: str, period: str, fields: dict[str, Any]) -> Brief:
    """The archive's row of a brief or report: a new one, or the existing one rendered again (``--force``)."""
    if row is None:
        row = Brief(kind=kind, period=period, **fields)
        session.add(row)
    else:
        for name, value in fields.items():
            setattr(row, name, value)
    return row


def resolve_week(label: str | None, settings: Settings) -> date:
    if label:
        return parse_week(label)
    return last_complete_week(clock.today(settings.tz))


def brief(
    store: Store,
    settings: Settings,
    week: date,
    out: Path | None = None,
    send: bool = False,
    force: bool = False,
) -> BriefResult:
    """Render the week's brief once (analysing the week first if needed), archive it, and queue/send it;
    ``force`` renders it again and replaces the archived one (deliveries already made are not repeated)."""
    from reports.archive import WRITTEN, restore_html
    from reports.brief import brief_context, render_brief
    from reports.mail import encode_images
    from reports.outbox import deliver_pending, eml_path_for, queue

    if week not in analyzed_weeks(store):
        analyze(store, settings, week + timedelta(days=6))
    sources = read_sources(settings)
    territory, communes = sources.territory.name, sources.territory.communes
    label = week_label(week)
    archive = settings.archive_dir / "briefs" / f"brief-{label}.html"
    with store.recording("brief", target=label) as run, store.session() as session:
        row = session.scalar(select(Brief).where(Brief.kind == "weekly", Brief.period == label))
        created = row is None or force
        if created:
            context = brief_context(
                session, settings, week, territory, communes, _health(store, settings), titles(sources)
            )
            rendered = render_brief(context)
            fields = {
                "subject": rendered.subject,
                "html": rendered.html,
                "text": rendered.text,
                "files": {"html": str(archive)},
                "meta": {
                    "new": len(context["new"]),
                    "images": encode_images(rendered.images),
                    "render_s": round(rendered.seconds, 3),
                },
            }
            row = _archived_row(session, row, "weekly", label, fields)
            session.flush()
            run.count("charts", len(rendered.images))
        if created or not archive.exists():
            restore_html(row, archive)
        run.count("rendered", int(created))
        result = BriefResult(week, row.id, created, archive)
        if out is not None:
            result.out = restore_html(row, out)
        if send:
            if not settings.recipients:
                raise UserError(
                    "aucun destinataire : définir SIGNALS_RECIPIENTS (par exemple '[\"veille@example.fr\"]')"
                )
            deliveries = queue(session, row, settings.recipients)
            if not settings.smtp.host:
                result.outbox = [eml_path_for(d.message_id, settings.outbox_dir) for d in deliveries]
    if send:
        sent = deliver_pending(store, settings)
        done = "sent" if settings.smtp.host else WRITTEN
        result.deliveries = {done: sent.sent, "retrying": sent.retrying, "failed": sent.failed}
    return result


def titles(sources: Any) -> dict[str, str]:
    """Display names of the sources and series of a sources file (``SourcesFile.titles``)."""
    return sources.titles()


def deliver(store: Store, settings: Settings) -> Any:
    """Deliver the due messages of the outbox (retries included); what a crash left is settled first."""
    from reports.outbox import deliver_pending

    with store.recording("deliver") as run:
        result = deliver_pending(store, settings)
        for name in ("sent", "retrying", "failed", "reconciled", "requeued"):
            run.count(name, getattr(result, name))
    return result


def deliveries(store: Store, status: str | None = None, limit: int = 50) -> list[Any]:
    from reports.archive import delivery_rows

    with store.session() as session:
        return delivery_rows(session, status, limit)


def retry_failed(store: Store, ids: list[int] | None = None) -> int:
    from reports.outbox import requeue

    return requeue(store, ids)


def archive(store: Store, kind: str | None = None, limit: int = 100) -> list[Any]:
    from reports.archive import archive_entries

    with store.session() as session:
        return archive_entries(session, kind, limit)


def feedback_server(store: Store, settings: Settings, host: str, port: int) -> Any:
    from reports.feedback import FeedbackServer

    return FeedbackServer(store, settings, host, port)


def _health(store: Store, settings: Settings) -> list[Any]:
    from signals.stages.health import source_health

    return source_health(store, settings)


# --- quarterly report ---------------------------------------------------------------------------------


@dataclass
class ReportResult:
    quarter: str
    files: list[Path]


def resolve_quarter(label: str | None, settings: Settings) -> str:
    """The given quarter (validated), or the last complete one."""
    if label:
        parse_quarter(label)
        return label.upper().replace("-", "")
    today = clock.today(settings.tz)
    first_of_quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    return quarter_label(first_of_quarter - timedelta(days=1))


def _quarter_forecasts(store: Store, settings: Settings, label: str, run: Any) -> dict[str, dict[str, Any]]:
    """Each indicator's forecast as of the quarter's end, fitted once by the forecast stage and stored."""
    from reports.indicators import indicator_histories
    from signals.stages.series import quarter_forecasts

    _, end = parse_quarter(label)
    skipped: list[tuple[str, str]] = []
    with store.session(write=True) as session:
        histories = {key: h.territory for key, h in indicator_histories(session, end).items()}
        stored = quarter_forecasts(session, settings, label, histories, skipped)
    for indicator, reason in skipped:
        log.info("quarter %s: no forecast for %s (%s)", label, indicator, reason)
    run.count("forecasts", len(stored))
    return stored


def quarterly_report(
    store: Store, settings: Settings, label: str, out: Path | None = None, force: bool = False
) -> ReportResult:
    """Render the quarter's report once (HTML and PDF), archive it, and copy it into ``out`` if given;
    ``force`` renders it again from the store and replaces the archived one."""
    import shutil

    from reports.format import quarter_name
    from reports.quarterly import quarterly_context, render_quarterly
    from reports.rendering import write_pdf

    territory, communes = read_territory(settings)
    sources = read_sources(settings)
    folder = settings.archive_dir / "reports"
    archived = select(Brief).where(Brief.kind == "quarterly", Brief.period == label)
    with store.recording("report", target=label) as run:
        with store.session() as session:
            done = session.scalar(archived) is not None and not force
        # the forecasts first, written by the stage in a session of their own (not inside the report's)
        stored = {} if done else _quarter_forecasts(store, settings, label, run)

        def forecast(indicator: str, steps: int) -> ForecastBand | None:
            return ForecastBand.from_stored(stored[indicator], steps) if indicator in stored else None

        with store.session() as session:
            row = session.scalar(archived)
            if row is None or force:
                context = quarterly_context(
                    session, settings, label, territory, communes, forecast, titles=titles(sources)
                )
                rendered = render_quarterly(context, folder)
                fields = {
                    "subject": wording.REPORT_SUBJECT.format(
                        quarter=quarter_name(label), territory=territory
                    ),
                    "html": rendered.html,
                    "files": {"html": str(rendered.html_path), "pdf": str(rendered.pdf_path)},
                    "meta": {"themes": len(context["themes"]), "render_s": round(rendered.seconds, 3)},
                }
                row = _archived_row(session, row, "quarterly", label, fields)
                run.count("rendered")
            files = [Path(row.files["html"]), Path(row.files["pdf"])]
            if not files[0].exists():
                files[0].parent.mkdir(parents=True, exist_ok=True)
                files[0].write_text(row.html, encoding="utf-8")
            if not files[1].exists():
                write_pdf(row.html, files[1])
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            files = [Path(shutil.copy2(f, out / f.name)) for f in files]
        run.count("files", len(files))
    return ReportResult(label, files)
