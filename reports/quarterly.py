"""The quarterly report for elected officials: the quarter's emerging themes and their trajectory,
indicators compared across communes, data coverage and method. HTML, and PDF rendered by WeasyPrint.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from reports.rendering import render
from signals.periods import parse_quarter
from signals.schema import Document, Evidence, Observation, Run, Signal, SignalWeek
from signals.settings import Settings


@dataclass
class Indicator:
    """One indicator across communes: the quarter's total and the same quarter a year before."""

    series: str
    unit: str | None
    rows: list[dict[str, Any]] = field(default_factory=list)


def _themes(session: Session, start: date, end: date) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Signal, func.max(SignalWeek.score), func.min(SignalWeek.week))
        .join(SignalWeek, SignalWeek.signal_id == Signal.id)
        .where(SignalWeek.week >= start, SignalWeek.week <= end, SignalWeek.flagged.is_(True))
        .group_by(Signal.id)
        .order_by(func.max(SignalWeek.score).desc())
        .options(selectinload(Signal.evidence).selectinload(Evidence.document))
    ).all()
    themes = []
    for signal, best, first in rows:
        weekly = signal.metrics.get("weekly") or []
        themes.append(
            {
                "signal": signal,
                "best_score": best,
                "first_flagged": first,
                "weekly": [int(w["docs"]) for w in weekly],
                "communes": signal.metrics.get("communes", {}),
                "keywords": [k["term"] for k in signal.metrics.get("keywords", [])][:6],
                "documents": [e.document for e in signal.evidence if e.document is not None][:3],
            }
        )
    return themes


def _indicators(session: Session, start: date, end: date) -> list[Indicator]:
    """Per indicator (the series key before '/'), per territory: quarter total vs a year before."""
    last_year = (start.replace(year=start.year - 1), end.replace(year=end.year - 1))
    observations = session.scalars(
        select(Observation).where(
            ((Observation.period >= start) & (Observation.period <= end))
            | ((Observation.period >= last_year[0]) & (Observation.period <= last_year[1]))
        )
    ).all()
    totals: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0, 0.0]))
    units: dict[str, str | None] = {}
    for obs in observations:
        indicator = obs.series.split("/")[0]
        units[indicator] = obs.unit
        slot = 0 if obs.period >= start else 1
        totals[indicator][obs.territory or obs.series][slot] += obs.value
    out = []
    for indicator, by_place in sorted(totals.items()):
        rows = []
        for place, (now, before) in sorted(by_place.items(), key=lambda kv: -kv[1][0]):
            change = (now - before) / before if before else None
            rows.append({"territory": place, "value": now, "previous": before or None, "change": change})
        out.append(Indicator(indicator, units.get(indicator), rows))
    return out


def quarterly_context(session: Session, settings: Settings, label: str, territory: str) -> dict[str, Any]:
    start, end = parse_quarter(label)
    start_utc = datetime.combine(start, datetime.min.time(), tzinfo=settings.tz).astimezone(UTC)
    end_utc = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=settings.tz).astimezone(
        UTC
    )
    documents = (
        session.scalar(
            select(func.count(Document.id)).where(
                Document.published_at >= start_utc, Document.published_at < end_utc
            )
        )
        or 0
    )
    runs = session.scalars(select(Run).where(Run.started_at >= start_utc, Run.started_at < end_utc)).all()
    cpu = sum(r.cpu_s or 0.0 for r in runs)
    return {
        "territory": territory,
        "quarter": label,
        "start": start,
        "end": end,
        "generated_at": datetime.now(UTC).astimezone(settings.tz),
        "themes": _themes(session, start, end),
        "indicators": _indicators(session, start, end),
        "documents": documents,
        "runs": len(runs),
        "failed_runs": sum(1 for r in runs if r.status == "failed"),
        "cpu_s": cpu,
        "energy_wh": cpu * settings.cpu_watts / 3600.0,
        "settings": settings.detection,
    }


def render_quarterly(context: dict[str, Any], folder: Path) -> list[Path]:
    """Write report-YYYYQn.html and .pdf into ``folder``."""
    from weasyprint import HTML

    folder.mkdir(parents=True, exist_ok=True)
    html = render("quarterly.html.j2", context)
    html_path = folder / f"rapport-{context['quarter']}.html"
    html_path.write_text(html, encoding="utf-8")
    pdf_path = html_path.with_suffix(".pdf")
    HTML(string=html, base_url=str(folder)).write_pdf(pdf_path)
    return [html_path, pdf_path]
