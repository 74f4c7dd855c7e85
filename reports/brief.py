"""The weekly brief: what is emerging this week, why the service thinks so, and what it rests on.

``brief_context`` gathers everything from the store into plain data; ``render_brief`` draws the charts and
lays the data out with the templates, so the HTML e-mail, its plain-text part and the archive show the same
facts. Every sentence of a signal's summary is quoted from a cited document (``reports.extract``); the
numbers are the analysis' own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from time import perf_counter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reports import charts, wording
from reports.alerts import FollowUp, follow_up, is_stale, later_values, period_name
from reports.extract import Quote, key_sentences
from reports.feedback import feedback_link, secret_key
from reports.format import plural, week_name
from reports.mail import content_id, inline_css, with_data_uris
from reports.phrases import agrees, clean_keywords, same_theme, subject_form
from reports.rendering import render
from signals.core import clock
from signals.core.lifecycle import CONFIRMED, ESTABLISHED, EVENT, FADING, NEW, RISING, SERIES_KINDS
from signals.core.periods import start_of_day_utc, week_label
from signals.core.registry import flagged_series_weeks, week_view
from signals.core.schema import Document, Run, Signal, SignalWeek
from signals.core.settings import Settings


@dataclass
class CitedDocument:
    title: str
    url: str | None
    source: str
    published: datetime
    commune: str | None


@dataclass
class SignalCard:
    """One signal as a reader sees it: its subject, its numbers, its documents, how to give feedback."""

    id: int
    kind: str
    subject: str
    status: str
    status_label: str
    score: float
    metrics: dict[str, Any]
    weekly: list[float]  # documents per week, or the series' last values
    weekly_totals: list[int]
    documents: list[CitedDocument]
    confirm: str
    dismiss: str
    quotes: list[Quote] = field(default_factory=list)  # sentences of the cited documents (extractive summary)
    points: list[tuple[date, float]] = field(default_factory=list)  # a series' last values
    chart: str | None = None  # Content-ID of its chart, set by ``render_brief``
    chart_alt: str = ""
    keywords: list[tuple[str, int]] = field(default_factory=list)  # as written in the documents, documents
    topic: list[str] = field(default_factory=list)  # the topic's words, when they agree with the signal
    series_title: str = ""  # a series' display name ("Nuitées touristiques")
    period: str = ""  # a series' flagged period ("juillet 2026")
    follow: FollowUp | None = None  # a series' values since the flagged one
    nature: str = "new"  # what it was raised as: new, sub-theme, resurgence, event

    @property
    def is_series(self) -> bool:
        return self.kind in SERIES_KINDS


@dataclass
class RenderedBrief:
    """The brief as sent: ``html`` has its CSS inlined and its charts as ``cid:`` references to ``images``."""

    subject: str
    html: str
    text: str
    images: dict[str, bytes]
    seconds: float = 0.0

    def archive_html(self) -> str:
        """One self-contained file for a browser: the charts as ``data:`` URIs."""
        return with_data_uris(self.html, self.images)


@dataclass
class Coverage:
    documents_week: int
    documents_analysed: int
    sources_ok: list[str] = field(default_factory=list)
    sources_failed: list[tuple[str, str]] = field(default_factory=list)
    degraded: list[str] = field(default_factory=list)
    communes_without_data: list[str] = field(default_factory=list)
    runs: int = 0
    failed_runs: int = 0
    cpu_s: float = 0.0
    energy_wh: float = 0.0


def _card(
    settings: Settings,
    signal: Signal,
    week_row: SignalWeek,
    key: bytes | None,
    until: datetime,
    titles: dict[str, str],
) -> SignalCard:
    """The card of a signal as of ``until`` (the end of the reported period): documents published later
    are not cited, even when the signal cites them today."""
    metrics = dict(week_row.metrics or {})
    weekly = metrics.get("weekly") or [{"docs": p["value"], "total": 0} for p in metrics.get("points", [])]
    cited = [
        e.document
        for e in signal.evidence
        if e.document is not None and _utc(e.document.published_at) < until
    ][: settings.detection.cited_documents]
    documents = [
        CitedDocument(
            d.title, d.url, wording.display_name(d.source.name, titles), d.published_at, d.territory
        )
        for d in cited
    ]
    texts = [d.text for d in cited]
    docs_of = {k["term"]: int(k.get("docs", 0)) for k in metrics.get("keywords", [])}
    subject = subject_form(signal.subject, texts) if signal.kind not in SERIES_KINDS else signal.subject
    shown = clean_keywords(list(docs_of), texts, subject)
    keywords = [(shown_term, docs_of[term]) for term, shown_term in shown]
    topic_metrics = metrics.get("topic") or {}
    topic_words = list(topic_metrics.get("keywords", []))
    agreeing = agrees(topic_words, float(topic_metrics.get("share", 0.0)), subject, [k for k, _ in shown])
    topic = [form for _, form in clean_keywords(topic_words, texts, limit=5)] if agreeing else []
    card = SignalCard(
        id=signal.id,
        kind=signal.kind,
        subject=subject,
        status=week_row.status,
        status_label=wording.STATUS_LABELS.get(week_row.status, week_row.status),
        score=week_row.score,
        metrics=metrics,
        weekly=[w["docs"] for w in weekly],
        weekly_totals=[int(w["total"]) for w in weekly],
        documents=documents,
        confirm=feedback_link(settings, signal.id, "confirm", key),
        dismiss=feedback_link(settings, signal.id, "dismiss", key),
        # the analysis' own terms choose the sentences (as folded words), the phrase as written too
        quotes=key_sentences(texts, [*list(docs_of)[:6], subject]) if docs_of else [],
        points=[(date.fromisoformat(p["period"][:10]), float(p["value"])) for p in metrics.get("points", [])],
        keywords=keywords,
        topic=topic,
        nature=str(metrics.get("nature") or signal.nature),
    )
    if card.is_series:
        indicator = str(metrics.get("series", "")).split("/", 1)[0]
        card.series_title = wording.display_name(indicator, titles)
        card.period = period_name(str(metrics["period"])) if metrics.get("period") else ""
        where = metrics.get("territory")
        card.subject = f"{card.series_title} — {where}" if where else card.series_title
    return card


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def coverage(
    session: Session, settings: Settings, week: date, communes: list[str], health: list[Any] | None = None
) -> Coverage:
    """Data coverage of the week: documents, sources, communes, runs, CPU time and energy."""
    tz = settings.tz
    start = datetime.combine(week, datetime.min.time(), tzinfo=tz).astimezone(UTC)
    end = start + timedelta(days=7)
    docs_week = (
        session.scalar(
            select(func.count(Document.id)).where(Document.published_at >= start, Document.published_at < end)
        )
        or 0
    )
    analysis = session.scalar(
        select(Run)
        .where(Run.stage == "analyze", Run.target == week_label(week))
        .order_by(Run.id.desc())
        .limit(1)
    )
    analysed = int((analysis.counts or {}).get("documents", 0)) if analysis else 0
    # The runs behind this brief: the week before its analysis, up to now.
    since = (analysis.started_at if analysis else clock.now()) - timedelta(days=7)
    runs = session.scalars(select(Run).where(Run.started_at >= since)).all()
    cov = Coverage(documents_week=int(docs_week), documents_analysed=analysed, runs=len(runs))
    for run in runs:
        cov.cpu_s += run.cpu_s or 0.0
        if run.status == "failed":
            cov.failed_runs += 1
        if run.stage == "collect" and run.target:
            if run.status == "failed":
                reason = run.errors[0]["reason"] if run.errors else wording.RUN_FAILED
                cov.sources_failed.append((run.target, reason))
            elif run.target not in cov.sources_ok:
                cov.sources_ok.append(run.target)
    cov.energy_wh = cov.cpu_s * settings.cpu_watts / 3600.0
    recent_start = start - timedelta(weeks=settings.detection.recent_weeks - 1)
    seen = set(
        session.scalars(
            select(Document.territory)
            .where(Document.published_at >= recent_start, Document.published_at < end)
            .distinct()
        )
    )
    cov.communes_without_data = [c for c in communes if c not in seen]
    if health:
        cov.degraded = [h.name for h in health if getattr(h, "degraded", False)]
    return cov


def _series_alerts(
    session: Session, settings: Settings, week: date, key: bytes | None, titles: dict[str, str]
) -> list[SignalCard]:
    """Alerts on series from the last ``series.brief_weeks`` weeks, this week's first: a monthly indicator's
    break is news until its next values are known (``reports.alerts``); one alert per series, the newest."""
    since = week - timedelta(weeks=settings.series.brief_weeks - 1)
    until = start_of_day_utc(week + timedelta(days=7), settings.tz)
    rows = sorted(
        flagged_series_weeks(session, since, week), key=lambda r: (r[1].week, r[1].score), reverse=True
    )
    cards, seen = [], set()
    for signal, row in rows:
        series = str((row.metrics or {}).get("series", ""))
        if series in seen or "period" not in (row.metrics or {}):
            continue
        seen.add(series)
        flagged = date.fromisoformat(str(row.metrics["period"])[:10])
        later = later_values(session, series, flagged, week + timedelta(days=6))
        if is_stale(row.week == week, later):
            continue
        card = _card(settings, signal, row, key, until, titles)
        card.follow = follow_up(card.metrics, later)
        card.points = card.points + later  # the chart goes on past the flagged value
        card.status, card.status_label = (
            (NEW, wording.STATUS_LABELS[NEW])
            if row.week == week
            else ("past", wording.EARLIER_ALERT.format(week=week_name(row.week)))
        )
        cards.append(card)
    return cards


def _changes(session: Session, week: date, rows: list[tuple[Signal, SignalWeek]]) -> list[tuple[str, str]]:
    """What changed since last week: each theme whose status moved, as (subject, new status label)."""
    before = {s.id: w.status for s, w in week_view(session, week - timedelta(days=7)).rows}
    changed = []
    for signal, row in rows:
        if signal.kind in SERIES_KINDS or before.get(signal.id) == row.status:
            continue
        if row.status in (NEW, RISING, FADING, CONFIRMED) and (row.flagged or row.status != NEW):
            changed.append((signal.id, row.status))
    return changed


def _one_card_a_theme(sections: list[list[SignalCard]]) -> None:
    """Two signals under two names of one theme (a theme and the topic of the same documents: 'punaises de
    lit' and 'punaises · lit') are shown once, the first in the brief's order."""
    shown: list[str] = []
    for cards in sections:
        kept = []
        for card in cards:
            if not any(same_theme(card.subject, other) for other in shown):
                kept.append(card)
                shown.append(card.subject)
        cards[:] = kept


def brief_context(
    session: Session,
    settings: Settings,
    week: date,
    territory: str,
    communes: list[str],
    health: list[Any] | None = None,
    titles: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Everything the brief shows, as of the end of ``week``; ``titles`` are the display names of sources
    and series (``SourcesFile.titles``)."""
    titles = titles or {}
    view = week_view(session, week)
    key = secret_key(settings)
    until = start_of_day_utc(week + timedelta(days=7), settings.tz)
    cards: dict[str, list[SignalCard]] = {
        status: [] for status in (NEW, RISING, ESTABLISHED, FADING, CONFIRMED)
    }
    for signal, row in view.rows:
        if signal.kind in SERIES_KINDS:
            continue
        # a rising signal no longer flagged (no longer rare) is still growing strongly: shown as rising
        shown = row.flagged or row.status in (RISING, ESTABLISHED, FADING, CONFIRMED)
        if row.status in cards and shown and (row.status == FADING or "recent_docs" in (row.metrics or {})):
            cards[row.status].append(_card(settings, signal, row, key, until, titles))
    _one_card_a_theme([cards[status] for status in (NEW, RISING, CONFIRMED, ESTABLISHED, FADING)])
    size = settings.detection.brief_size
    # Lasting events (a shortage going on) have their own section; they share the budget with new signals.
    events = [c for c in cards[NEW] if c.nature == EVENT]
    cards[NEW] = [c for c in cards[NEW] if c.nature != EVENT]
    by_id = {c.id: c for group in [*cards.values(), events] for c in group}
    changes = [(by_id[i], status) for i, status in _changes(session, week, view.rows) if i in by_id]
    return {
        "territory": territory,
        "week": week,
        "week_label": week_label(week),
        "week_name": week_name(week),
        "changes": changes,
        "generated_at": clock.now().astimezone(settings.tz),
        "new": cards[NEW][:size],
        "more_new": max(len(cards[NEW]) - size, 0),
        "events": events[:size],
        "rising": cards[RISING][:size],
        "established": cards[ESTABLISHED],
        "fading": cards[FADING],
        "confirmed": cards[CONFIRMED],
        "series": _series_alerts(session, settings, week, key, titles),
        "coverage": coverage(session, settings, week, communes, health),
        "settings": settings.detection,
        "cpu_watts": settings.cpu_watts,
        "feedback_url": settings.public_url,
        "sources_titles": titles,
    }


def _chart(card: SignalCard, recent_weeks: int) -> tuple[bytes, str] | None:
    """The card's chart (PNG) and its text alternative, or None when there is nothing to draw."""
    if card.is_series and card.points:
        m = card.metrics
        flagged = date.fromisoformat(str(m["period"])[:10])
        band = (m["band_low"], m["band_high"]) if m.get("band_low") is not None else None
        alt = wording.ALT_SERIES.format(series=card.subject, count=len(card.points), period=card.period)
        return charts.series_png(card.points, flagged, band), alt
    if not card.is_series and card.weekly:
        values = ", ".join(f"{v:g}" for v in card.weekly)
        return charts.weekly_bars_png(card.weekly, recent_weeks), wording.ALT_WEEKLY.format(values=values)
    return None


def brief_subject(context: dict[str, Any]) -> str:
    """'Veille prospective — <territoire> — semaine du 16 au 22 novembre 2026 : <main signal> (+ 2 autres
    signaux)': the week's main signal named, new before rising before this week's series alerts."""
    subject = wording.BRIEF_SUBJECT.format(territory=context["territory"], week=context["week_name"])
    fresh = [c for c in context["series"] if c.status == NEW]
    leads = context["new"] + context["rising"] + fresh
    if not leads:
        return subject + wording.SUBJECT_NOTHING
    others = len(leads) - 1
    subject += wording.SUBJECT_MAIN.format(signal=leads[0].subject)
    if others:
        subject += wording.SUBJECT_MORE.format(count=others, signals=plural(others, *wording.OTHER_SIGNALS))
    return subject


def render_brief(context: dict[str, Any]) -> RenderedBrief:
    """Subject, HTML (CSS inlined, charts as ``cid:`` images), plain text and the charts of the brief."""
    started = perf_counter()
    images: dict[str, bytes] = {}
    sections = ("new", "events", "rising", "established", "series")
    for n, card in enumerate(c for section in sections for c in context[section]):
        drawn = _chart(card, context["settings"].recent_weeks)
        if drawn is not None:
            card.chart = content_id(f"chart-{n + 1}-signal-{card.id}", context["week_label"])
            images[card.chart], card.chart_alt = drawn
    context["subject"] = subject = brief_subject(context)
    html = inline_css(render("brief.html.j2", context))
    text = render("brief.txt.j2", context)
    return RenderedBrief(subject, html, text, images, perf_counter() - started)
