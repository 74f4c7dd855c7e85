"""The quarterly report for elected officials: the quarter's emerging themes and their trajectory, indicators
with their forecasts and uncertainty bands, the communes compared on the same indicators (barometer), data
coverage and method. One self-contained HTML file (charts as SVG) and the PDF that WeasyPrint prints from it.

``quarterly_context`` reads the store into plain data (and asks ``forecast`` for each indicator);
``render_quarterly`` draws the charts and writes the files.
"""

from __future__ import annotations

import base64
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from time import perf_counter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from reports import charts, wording
from reports.brief import CitedDocument
from reports.coverage import quarter_coverage
from reports.extract import Quote, key_sentences
from reports.forecasts import ForecastBand, ForecastFn
from reports.format import quarter_name
from reports.indicators import combine, indicator_histories, month_of, total
from reports.phrases import clean_keywords, same_theme, subject_form
from reports.rendering import render, write_pdf
from signals.core import clock
from signals.core.lifecycle import THEME_KINDS
from signals.core.periods import parse_quarter, quarter_label, start_of_day_utc
from signals.core.registry import flagged_series_weeks
from signals.core.schema import (
    Document,
    Evidence,
    Signal,
    SignalWeek,
)
from signals.core.settings import Settings

MAX_THEMES = 8
MIN_BASE_SHARE = 0.02  # a commune below 2 % of the territory's value a year before: no percentage shown
MIN_BASE = 20  # ...nor below 20 (votes, proposals): +2 600 % from 3 to 81 says nothing
BAROMETER_LIMIT = 0.5  # the barometer charts share one scale, ±50 %
HISTORY_MONTHS = 36  # shown on the indicator charts
FORECAST_MONTHS = 6
# Units whose monthly value is a level or a rate, not a count: averaged, never summed, across months.


@dataclass
class ThemeView:
    """An emerging theme of the quarter: how it went, what it rests on."""

    id: int
    subject: str
    status: str
    status_label: str
    first_flagged: date
    path: list[tuple[date, str]]  # each change of status during the quarter
    weeks: list[date]
    docs: list[int]  # documents per week up to the quarter's last analysed week
    docs_in_quarter: int
    metrics: dict[str, Any]
    keywords: list[str]
    quotes: list[Quote]
    documents: list[CitedDocument]
    chart: str = ""  # data: URI of the trajectory chart


@dataclass
class SeriesEvent:
    """An anomaly or forecast break flagged on a series during the quarter."""

    id: int
    kind: str
    series: str
    territory: str | None
    period: date
    observed: float
    expected: float
    band_low: float
    band_high: float
    unit: str | None


@dataclass
class BarometerRow:
    territory: str
    value: float | None
    previous: float | None
    change: float | None  # None when there is no comparison, or the base is too small (``small_base``)
    share: float | None  # of the territory's total
    small_base: bool = False  # a year before, too small a value for a percentage to mean anything


@dataclass
class IndicatorView:
    """One indicator (the series key before '/'): the territory's history and forecast, and each commune."""

    key: str
    title: str  # what readers see: "Nuitées touristiques"
    unit: str | None
    averaged: bool
    history: list[tuple[date, float]]  # monthly, the territory's total (or average), up to the quarter's end
    value: float | None  # the quarter
    previous: float | None  # the same quarter a year before
    change: float | None
    forecast: ForecastBand | None
    next_quarter: tuple[float, float, float] | None  # expected, low, high of the next quarter
    rows: list[BarometerRow] = field(default_factory=list)
    events: list[SeriesEvent] = field(default_factory=list)
    suppressed: int = 0  # communes whose change is not shown (small base)
    chart: str = ""
    barometer_chart: str = ""

    def row(self, place: str) -> BarometerRow | None:
        return next((r for r in self.rows if r.territory == place), None)


# --- themes ----------------------------------------------------------------------------------------------


def _themes(
    session: Session, settings: Settings, start: date, end: date, titles: dict[str, str]
) -> list[ThemeView]:
    flagged = session.execute(
        select(SignalWeek.signal_id, func.max(SignalWeek.score))
        .join(Signal, Signal.id == SignalWeek.signal_id)
        .where(
            Signal.kind.in_(THEME_KINDS),
            SignalWeek.week >= start,
            SignalWeek.week <= end,
            SignalWeek.flagged.is_(True),
        )
        .group_by(SignalWeek.signal_id)
        .order_by(func.max(SignalWeek.score).desc())
        .limit(MAX_THEMES)
    ).all()
    ids = [signal_id for signal_id, _ in flagged]
    signals = {
        s.id: s
        for s in session.scalars(
            select(Signal)
            .where(Signal.id.in_(ids))
            .options(
                selectinload(Signal.evidence).selectinload(Evidence.document).selectinload(Document.source)
            )
        )
    }
    rows: dict[int, list[SignalWeek]] = defaultdict(list)
    for row in session.scalars(
        select(SignalWeek)
        .where(SignalWeek.signal_id.in_(ids), SignalWeek.week <= end)
        .order_by(SignalWeek.week)
    ):
        rows[row.signal_id].append(row)
    themes: list[ThemeView] = []
    for i in ids:  # two names of one theme (a theme and its topic) are one theme of the report
        theme = _theme(session, settings, signals[i], rows[i], start, end, titles)
        if not any(same_theme(theme.subject, t.subject) for t in themes):
            themes.append(theme)
    return themes


def _theme(
    session: Session,
    settings: Settings,
    signal: Signal,
    rows: list[SignalWeek],
    start: date,
    end: date,
    titles: dict[str, str],
) -> ThemeView:
    last = rows[-1]  # the signal as the quarter's last analysed week saw it
    metrics = dict(last.metrics or {})
    weekly = metrics.get("weekly") or []
    weeks = [date.fromisoformat(w["week"]) for w in weekly]
    docs = [int(w["docs"]) for w in weekly]
    path: list[tuple[date, str]] = []
    for row in rows:
        if row.week >= start and (not path or path[-1][1] != row.status):
            path.append((row.week, row.status))
    # evidence from the quarter only, as an ``--as-of`` analysis would have seen it
    since, until = (
        start_of_day_utc(start, settings.tz),
        start_of_day_utc(end + timedelta(days=1), settings.tz),
    )
    cited = [
        e.document
        for e in signal.evidence
        if e.document is not None and since <= _utc(e.document.published_at) < until
    ][: settings.detection.cited_documents]
    if len(cited) < settings.detection.cited_documents:  # the signal cites later documents: the quarter's own
        cited += _documents_naming(
            session, signal.subject, since, until, settings.detection.cited_documents - len(cited), cited
        )
    texts = [d.text for d in cited]
    subject = subject_form(signal.subject, texts)
    terms = [k["term"] for k in metrics.get("keywords", [])]
    keywords = [shown for _, shown in clean_keywords(terms, texts, subject)]
    return ThemeView(
        id=signal.id,
        subject=subject,
        status=last.status,
        status_label=wording.STATUS_LABELS.get(last.status, last.status),
        first_flagged=min(r.week for r in rows if r.flagged and r.week >= start),
        path=path,
        weeks=weeks,
        docs=docs,
        docs_in_quarter=sum(n for w, n in zip(weeks, docs, strict=True) if w >= start),
        metrics=metrics,
        keywords=keywords,
        quotes=key_sentences(texts, [*terms[:6], subject], limit=2) if terms else [],
        documents=[
            CitedDocument(
                d.title, d.url, wording.display_name(d.source.name, titles), d.published_at, d.territory
            )
            for d in cited
        ],
    )


def _documents_naming(
    session: Session, label: str, since: datetime, until: datetime, limit: int, taken: list[Document]
) -> list[Document]:
    """Documents published between ``since`` and ``until`` whose title names the signal's leading phrase
    (its words in order, glue words between them allowed), the latest first."""
    phrase = label.split(" · ")[0].strip()
    if not phrase or limit <= 0:
        return []
    return list(
        session.scalars(
            select(Document)
            .where(
                Document.published_at >= since,
                Document.published_at < until,
                Document.title.ilike(
                    "%" + "%".join(phrase.split()) + "%"
                ),  # 'punaises lit': 'Punaises de lit
                Document.id.not_in([d.id for d in taken]),
            )
            .options(selectinload(Document.source))
            .order_by(Document.published_at.desc())
            .limit(limit)
        )
    )


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# --- indicators and barometer ----------------------------------------------------------------------------


def _series_events(session: Session, start: date, end: date) -> list[SeriesEvent]:
    rows = flagged_series_weeks(session, start, end)
    events: dict[int, SeriesEvent] = {}
    for signal, row in rows:
        m = row.metrics or {}
        if signal.id in events or "observed" not in m:
            continue
        events[signal.id] = SeriesEvent(
            signal.id,
            signal.kind,
            str(m.get("series", "")),
            m.get("territory"),
            date.fromisoformat(str(m["period"])[:10]),
            float(m["observed"]),
            float(m["expected"]),
            float(m["band_low"]),
            float(m["band_high"]),
            m.get("unit"),
        )
    return list(events.values())


def _indicators(
    session: Session,
    start: date,
    end: date,
    communes: list[str],
    events: list[SeriesEvent],
    forecast: ForecastFn,
    titles: dict[str, str],
) -> list[IndicatorView]:
    """Per indicator: monthly values per territory up to the quarter's end, the quarter against the same
    quarter a year before, the territory's forecast, and the barometer rows."""
    last_year = (start.replace(year=start.year - 1), end.replace(year=end.year - 1))
    out = []
    for indicator, data in indicator_histories(session, end).items():
        averaged, by_place, history = data.averaged, data.by_place, data.territory
        value, previous = total(history, start, end, averaged), total(history, *last_year, averaged)
        # forecast from the quarter's data (a month or two may still be unpublished), never from later data
        band = forecast(indicator, FORECAST_MONTHS) if history and history[-1][0] >= start else None
        next_quarter = _next_quarter(band, end, averaged) if band is not None else None
        rows = []
        places = sorted(set(by_place) | set(communes))
        for place in places:
            months = sorted(by_place.get(place, {}).items())
            now, before = total(months, start, end, averaged), total(months, *last_year, averaged)
            small = bool(
                not averaged
                and before is not None
                and (before < MIN_BASE or bool(previous) and before < MIN_BASE_SHARE * previous)
            )
            rows.append(
                BarometerRow(
                    place,
                    now,
                    before,
                    (now - before) / before if now is not None and before and not small else None,
                    now / value if now is not None and value and not averaged else None,
                    small,
                )
            )
        rows.sort(key=lambda r: (r.value is None, -(r.value or 0.0)))
        out.append(
            IndicatorView(
                key=indicator,
                title=wording.display_name(indicator, titles),
                unit=data.unit,
                averaged=averaged,
                history=history,
                value=value,
                previous=previous,
                change=(value - previous) / previous if value is not None and previous else None,
                forecast=band,
                next_quarter=next_quarter,
                rows=rows,
                events=[e for e in events if e.series.split("/", 1)[0] == indicator],
                suppressed=sum(1 for r in rows if r.small_base),
            )
        )
    return out


def _next_quarter(band: ForecastBand, end: date, averaged: bool) -> tuple[float, float, float] | None:
    """Expected value and band of the quarter after ``end``, if the forecast covers its three months.

    Summing the monthly bounds gives a band wider than the quarter's own (errors of months partly cancel):
    a cautious band, said so in the method note."""
    first = month_of(end + timedelta(days=1))
    months = {first, month_of(first + timedelta(days=32)), month_of(first + timedelta(days=63))}
    picked = [i for i, p in enumerate(band.periods) if month_of(p) in months]
    if len(picked) != 3:
        return None
    return tuple(combine([getattr(band, k)[i] for i in picked], averaged) for k in ("yhat", "lower", "upper"))  # type: ignore[return-value]


def quarterly_context(
    session: Session,
    settings: Settings,
    label: str,
    territory: str,
    communes: list[str],
    forecast: ForecastFn,
    titles: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Everything the report shows, as plain data; ``forecast`` gives each indicator's stored forecast (the
    forecast stage fits them; the report never does), ``titles`` the display names of sources and series
    (``SourcesFile.titles``)."""
    titles = titles or {}
    start, end = parse_quarter(label)
    communes = communes or []
    events = _series_events(session, start, end)
    indicators = _indicators(session, start, end, communes, events, forecast, titles)
    themes = _themes(session, settings, start, end, titles)
    return {
        "territory": territory,
        "quarter": label,
        "quarter_name": quarter_name(label),
        "next_quarter_name": quarter_name(quarter_label(end + timedelta(days=1))),
        "titles": titles,
        "themes_by_place": _themes_by_place(themes),
        "start": start,
        "end": end,
        "generated_at": clock.now().astimezone(settings.tz),
        "themes": themes,
        "indicators": indicators,
        "places": barometer_places(indicators),
        "events": events,
        "coverage": quarter_coverage(session, settings, start, end, communes),
        "settings": settings.detection,
        "cpu_watts": settings.cpu_watts,
        "status_labels": wording.STATUS_LABELS,
        "forecast_months": FORECAST_MONTHS,
        "min_base": MIN_BASE,
    }


def quarter_indicators(
    session: Session, label: str, communes: list[str], forecast: ForecastFn, titles: dict[str, str]
) -> list[IndicatorView]:
    """The quarter's indicators with their anomalies, forecasts and commune barometer, charts drawn: the
    report's numbers, for the web console."""
    start, end = parse_quarter(label)
    indicators = _indicators(
        session, start, end, communes, _series_events(session, start, end), forecast, titles
    )
    draw_indicators(indicators, end)
    return indicators


def _themes_by_place(themes: list[ThemeView]) -> dict[str, list[tuple[int, str]]]:
    """Which themes touch which commune: commune -> (theme number in the report, subject)."""
    places: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for n, theme in enumerate(themes, start=1):
        for place in theme.metrics.get("communes") or {}:
            places[place].append((n, theme.subject))
    return dict(places)


# --- rendering -------------------------------------------------------------------------------------------


@dataclass
class RenderedReport:
    html: str
    html_path: Path
    pdf_path: Path
    seconds: float

    @property
    def files(self) -> list[Path]:
        return [self.html_path, self.pdf_path]


def _svg_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def _draw(context: dict[str, Any]) -> None:
    start, end = context["start"], context["end"]
    for theme in context["themes"]:
        if theme.weeks:
            theme.chart = _svg_uri(
                charts.trajectory_svg(theme.weeks, theme.docs, (start, end + timedelta(days=1)))
            )
    draw_indicators(context["indicators"], end)


def barometer_places(indicators: list[IndicatorView]) -> list[str]:
    """The communes of the barometer, in its order (the table's rows and every chart's bars)."""
    return sorted({r.territory for ind in indicators for r in ind.rows})


def draw_indicators(indicators: list[IndicatorView], end: date) -> None:
    """Each indicator's forecast chart and barometer chart (SVG ``data:`` URIs), as the report shows them."""
    first_shown = date(end.year - HISTORY_MONTHS // 12, end.month, 1)
    places = barometer_places(indicators)
    for ind in indicators:
        band = ind.forecast
        line = charts.ForecastLine(
            history=[(m, v) for m, v in ind.history if m >= first_shown],
            periods=band.periods if band else [],
            yhat=band.yhat if band else [],
            lower=band.lower if band else [],
            upper=band.upper if band else [],
            interval=band.interval if band else 0.8,
            flagged=[month_of(e.period) for e in ind.events],
            unit=ind.unit,
        )
        ind.chart = _svg_uri(charts.forecast_svg(line)) if ind.history else ""
        # every chart has a row for each commune of the table, in its order: charts of one size, that compare
        changes = [row.change if (row := ind.row(place)) else None for place in places]
        if any(c is not None for c in changes):
            ind.barometer_chart = _svg_uri(
                charts.barometer_svg(
                    places,
                    changes,
                    wording.YEAR_ON_YEAR.format(indicator=ind.title),
                    limit=BAROMETER_LIMIT,
                )
            )


def render_quarterly(context: dict[str, Any], folder: Path) -> RenderedReport:
    """Write ``rapport-YYYYQn.html`` (self-contained) and ``rapport-YYYYQn.pdf`` into ``folder``."""

    started = perf_counter()
    _draw(context)
    folder.mkdir(parents=True, exist_ok=True)
    html = render("quarterly.html.j2", context)
    html_path = folder / f"rapport-{context['quarter']}.html"
    html_path.write_text(html, encoding="utf-8")
    pdf_path = html_path.with_suffix(".pdf")
    write_pdf(html, pdf_path)
    return RenderedReport(html, html_path, pdf_path, perf_counter() - started)
