"""Data coverage of a quarter: documents per source, communes without documents, series complete, weeks
analysed, runs, CPU time and energy (the report's section 4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from signals.core.periods import start_of_day_utc, week_label, weeks_between
from signals.core.schema import TOPIC_VOLUME_SERIES, Document, Observation, Run, Source
from signals.core.settings import Settings


@dataclass
class QuarterCoverage:
    documents: int
    documents_by_source: list[tuple[str, int]]
    communes_without_documents: list[str]
    indicators: int  # tourism nights, visitors... (a series per commune each)
    series: int
    series_complete: int  # series with a value for each month of the quarter
    weeks: int
    weeks_analysed: int
    runs: int
    failed_runs: int
    cpu_s: float
    energy_wh: float


def quarter_coverage(
    session: Session, settings: Settings, start: date, end: date, communes: list[str]
) -> QuarterCoverage:
    start_utc = start_of_day_utc(start, settings.tz)
    end_utc = start_of_day_utc(end + timedelta(days=1), settings.tz)
    in_quarter = (Document.published_at >= start_utc, Document.published_at < end_utc)
    by_source = session.execute(
        select(Source.name, func.count(Document.id))
        .join(Document, Document.source_id == Source.id)
        .where(*in_quarter)
        .group_by(Source.name)
        .order_by(func.count(Document.id).desc())
    ).all()
    seen = set(session.scalars(select(Document.territory).where(*in_quarter).distinct()))
    months = session.execute(  # the indicators' series (a topic's weekly volume is not an indicator)
        select(Observation.series, func.count(func.distinct(Observation.period)))
        .where(
            Observation.period >= start,
            Observation.period <= end,
            Observation.series.not_like(f"{TOPIC_VOLUME_SERIES}/%"),
        )
        .group_by(Observation.series)
    ).all()
    weeks = [w for w in weeks_between(start, end) if w >= start]  # the weeks that begin in the quarter
    labels = [week_label(w) for w in weeks]
    analysed = set(
        session.scalars(
            select(Run.target).where(Run.stage == "analyze", Run.status != "failed", Run.target.in_(labels))
        )
    )
    # The runs behind the report: those of the quarter, and the analyses of its weeks run later.
    runs = session.scalars(
        select(Run).where(
            or_(
                (Run.started_at >= start_utc) & (Run.started_at < end_utc),
                (Run.stage == "analyze") & Run.target.in_(labels),
            )
        )
    ).all()
    cpu = sum(r.cpu_s or 0.0 for r in runs)
    return QuarterCoverage(
        documents=sum(n for _, n in by_source),
        documents_by_source=[(name, n) for name, n in by_source],
        communes_without_documents=[c for c in communes if c not in seen],
        indicators=len({series.split("/", 1)[0] for series, _ in months}),
        series=len(months),
        series_complete=sum(1 for _, n in months if n >= 3),
        weeks=len(weeks),
        weeks_analysed=len(analysed),
        runs=len(runs),
        failed_runs=sum(1 for r in runs if r.status == "failed"),
        cpu_s=cpu,
        energy_wh=cpu * settings.cpu_watts / 3600.0,
    )
