"""Signals in the store: reading their state before a week's analysis, writing the week's updates,
feedback, and the queries the CLI and the reports share.

The state used to analyse week W is derived from the rows of the weeks before W only, so re-analysing an
earlier week gives the same answer as the first time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from signals.core.errors import UserError
from signals.core.lifecycle import (
    CONFIRMED,
    CORE_TERMS,
    DISMISSED,
    NEW,
    RISING,
    SERIES_KINDS,
    STATUSES,
    Tracked,
    Update,
    label_from_keywords,
)
from signals.core.schema import Document, Evidence, Feedback, Run, Signal, SignalWeek, Source

# A verdict and the status it holds the signal in, whatever week is analysed. ``promote`` is a confirmation
# that also puts the signal first in the console; ``hide`` a dismissal that also takes it off the console's
# lists; ``merge`` a dismissal of a signal whose theme another one carries on (see ``merge_signals``).
VERDICTS = {
    "confirm": CONFIRMED,
    "dismiss": DISMISSED,
    "promote": CONFIRMED,
    "hide": DISMISSED,
    "merge": DISMISSED,
}


class SignalNotFound(UserError, LookupError):
    pass


def load_tracked(session: Session, week: date, kinds: tuple[str, ...]) -> list[Tracked]:
    """Signals of these kinds first seen before ``week``, in the state their earlier weeks left them."""
    signals = session.scalars(
        select(Signal)
        .where(Signal.kind.in_(kinds), Signal.first_seen < week)
        .options(selectinload(Signal.feedback))
    ).all()
    if not signals:
        return []
    ids = [s.id for s in signals]
    history: dict[int, list[SignalWeek]] = {}
    for row in session.scalars(
        select(SignalWeek)
        .where(SignalWeek.signal_id.in_(ids), SignalWeek.week < week)
        .order_by(SignalWeek.week)
    ):
        history.setdefault(row.signal_id, []).append(row)
    tracked = []
    for signal in signals:
        rows = history.get(signal.id, [])
        flagged = [r.week for r in rows if r.flagged]
        levels = [float(r.metrics.get("level", 0.0)) for r in rows]
        status = rows[-1].status if rows else signal.status
        dismissed_level = None
        if signal.feedback:  # staff verdicts hold whatever week is analysed
            last = signal.feedback[-1]
            status = VERDICTS.get(last.verdict, status)
            dismissed_level = last.level if last.verdict == "dismiss" else None
        tracked.append(
            Tracked(
                id=signal.id,
                kind=signal.kind,
                key=signal.key,
                subject=signal.subject,
                status=status,
                first_seen=signal.first_seen,
                last_flagged=max(flagged) if flagged else None,
                peak_level=max(levels, default=0.0),
                term_hashes=list(signal.metrics.get("term_hashes", [])),
                dismissed_level=dismissed_level,
                nature=signal.nature,
            )
        )
    by_id = {t.id: t for t in tracked}
    for signal, t in zip(signals, tracked, strict=True):
        t.parent = by_id.get(signal.parent_id) if signal.parent_id else None
    return tracked


def save_updates(session: Session, updates: list[Update], week: date) -> list[Signal]:
    """Write the week's updates: new signals, one SignalWeek row per signal, the latest evidence."""
    saved = []
    for update in updates:
        if update.event == "merged":
            continue
        tracked, candidate = update.signal, update.candidate
        if tracked.id is None:
            assert candidate is not None
            signal = Signal(
                kind=tracked.kind,
                key=_free_key(session, tracked.kind, tracked.key),
                subject=candidate.label,
                first_seen=week,
                last_seen=week,
                status=update.status,
                score=update.score,
                metrics={},
                territory=candidate.metrics.get("territory"),
                parent_id=tracked.parent.id if tracked.parent else None,
            )
            session.add(signal)
            session.flush()
            tracked.id = signal.id
        else:
            signal = session.get(Signal, tracked.id)
            assert signal is not None
        # What the week shows of the signal: a continuing signal's own (wider) view when the analysis
        # followed it, else the theme found this week.
        metrics, evidence = _week_view(update)
        metrics.update(
            level=tracked.level,
            peak_level=tracked.peak_level,
            term_hashes=tracked.term_hashes,
            event=update.event,
        )
        if update.nature:
            metrics["nature"] = update.nature
            signal.nature = update.nature
        row = session.scalar(
            select(SignalWeek).where(SignalWeek.signal_id == signal.id, SignalWeek.week == week)
        )
        if row is None:
            row = SignalWeek(signal_id=signal.id, week=week)
            session.add(row)
        row.flagged, row.status, row.score = update.flagged, update.status, update.score
        row.metrics = metrics
        latest = session.scalar(select(func.max(SignalWeek.week)).where(SignalWeek.signal_id == signal.id))
        if latest is None or week >= latest:
            _apply_latest(session, signal, update, metrics, evidence, week)
        saved.append(signal)
    session.flush()
    return saved


def _week_view(update: Update) -> tuple[dict[str, Any], tuple[list[int], list[int]] | None]:
    """(metrics, (document ids, observation ids) to cite or None to keep the current evidence)."""
    view, candidate = update.signal.view, update.candidate
    if view and update.event != "created":
        return dict(view.metrics or {}), (list(view.evidence), [])
    if candidate is not None:
        return dict(candidate.metrics), (list(candidate.evidence), list(candidate.observations))
    return {}, None


def _apply_latest(
    session: Session,
    signal: Signal,
    update: Update,
    metrics: dict[str, Any],
    evidence: tuple[list[int], list[int]] | None,
    week: date,
) -> None:
    """The signal row shows its latest analysed week."""
    signal.status = update.status
    if update.flagged:
        signal.score = update.score
        signal.last_seen = week
        keywords = [k["term"] for k in metrics.get("keywords", [])]
        if keywords and update.status in (NEW, RISING):  # the name sharpens as the theme gathers documents
            signal.subject = label_from_keywords(keywords)
    if metrics.get("recent_docs") is not None or metrics.get("observed") is not None or not signal.metrics:
        signal.metrics = metrics
    else:
        keep = ("level", "peak_level", "event", "nature")
        signal.metrics = dict(signal.metrics) | {k: metrics[k] for k in keep if k in metrics}
    if evidence and (evidence[0] or evidence[1]):
        session.execute(delete(Evidence).where(Evidence.signal_id == signal.id))
        session.add_all(
            Evidence(signal_id=signal.id, document_id=d, rank=r) for r, d in enumerate(evidence[0])
        )
        session.add_all(
            Evidence(signal_id=signal.id, observation_id=o, rank=r) for r, o in enumerate(evidence[1])
        )


def _free_key(session: Session, kind: str, key: str) -> str:
    """A key not yet used by another signal of this kind (``key``, ``key-2``, ...)."""
    candidate, n = key, 1
    while session.scalar(select(Signal.id).where(Signal.kind == kind, Signal.key == candidate)) is not None:
        n += 1
        candidate = f"{key}-{n}"
    return candidate


# --- feedback and queries --------------------------------------------------------------------------------


def get_signal(session: Session, signal_id: int) -> Signal:
    signal = session.get(Signal, signal_id)
    if signal is None:
        raise SignalNotFound(f"aucun signal n° {signal_id} (voir `signals list`)")
    return signal


def give_feedback(
    session: Session, signal_id: int, verdict: str, note: str | None, author: str | None
) -> Signal:
    """Record a staff verdict; a dismissed signal remembers its level to judge a later regrowth."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {sorted(VERDICTS)}, not {verdict!r}")
    signal = get_signal(session, signal_id)
    level = float(signal.metrics.get("level", 0.0)) or float(signal.metrics.get("peak_level", 0.0))
    session.add(Feedback(signal_id=signal.id, verdict=verdict, note=note, author=author, level=level))
    signal.status = VERDICTS[verdict]
    session.flush()
    return signal


def merge_signals(
    session: Session, absorbed_id: int, into_id: int, note: str | None, author: str | None
) -> Signal:
    """Merge two signals of one theme: ``absorbed`` is dismissed (verdict ``merge``) and becomes a child of
    ``into``, which follows the absorbed one's leading terms from now on (the next analysis matches a
    theme naming them to ``into``)."""
    if absorbed_id == into_id:
        raise ValueError("a signal cannot be merged into itself")
    into = get_signal(session, into_id)
    absorbed = get_signal(session, absorbed_id)
    if into.kind != absorbed.kind:
        raise ValueError(f"signals {absorbed_id} and {into_id} are of different kinds: they cannot be merged")
    give_feedback(session, absorbed_id, "merge", note, author)
    absorbed.parent_id = into.id
    own = list(into.metrics.get("term_hashes", []))
    extra = [h for h in absorbed.metrics.get("term_hashes", [])[:CORE_TERMS] if h not in own]
    if extra:
        into.metrics = dict(into.metrics) | {"term_hashes": own[:CORE_TERMS] + extra + own[CORE_TERMS:]}
    session.flush()
    return into


@dataclass
class WeekView:
    """The signals of one analysed week, as the brief and ``signals list`` show them."""

    week: date
    rows: list[tuple[Signal, SignalWeek]]

    def by_status(self, *statuses: str, flagged: bool | None = None) -> list[tuple[Signal, SignalWeek]]:
        return [
            (s, w) for s, w in self.rows if w.status in statuses and (flagged is None or w.flagged == flagged)
        ]


def week_view(session: Session, week: date, kinds: tuple[str, ...] | None = None) -> WeekView:
    query = (
        select(Signal, SignalWeek)
        .join(SignalWeek, SignalWeek.signal_id == Signal.id)
        .where(SignalWeek.week == week)
        .options(selectinload(Signal.evidence).selectinload(Evidence.document).selectinload(Document.source))
        .order_by(SignalWeek.score.desc(), Signal.id)
    )
    if kinds:
        query = query.where(Signal.kind.in_(kinds))
    return WeekView(week, [(s, w) for s, w in session.execute(query).all()])


def flagged_series_weeks(session: Session, first: date, last: date) -> list[tuple[Signal, SignalWeek]]:
    """The weeks from ``first`` to ``last`` in which a series signal (anomaly, forecast break) was raised,
    oldest first."""
    return [
        (signal, row)
        for signal, row in session.execute(
            select(Signal, SignalWeek)
            .join(SignalWeek, SignalWeek.signal_id == Signal.id)
            .where(
                Signal.kind.in_(SERIES_KINDS),
                SignalWeek.flagged.is_(True),
                SignalWeek.week >= first,
                SignalWeek.week <= last,
            )
            .order_by(SignalWeek.week, Signal.id)
        ).all()
    ]


def latest_week(session: Session) -> date | None:
    return session.scalar(select(func.max(SignalWeek.week)))


def signals_version(session: Session) -> tuple[Any, ...]:
    """A value that changes whenever what is known of the signals changes: a stage ran (every analysis
    records its run), a week's rows or cited documents were written, a verdict was given, a signal was
    updated. Cheap (primary keys' maxima and the small signals table), so a reader can check it on every
    request and keep what it computed from the signals until it changes."""
    return tuple(
        session.execute(
            select(
                select(func.max(Run.id)).scalar_subquery(),
                select(func.max(SignalWeek.id)).scalar_subquery(),
                select(func.max(Evidence.id)).scalar_subquery(),
                select(func.max(Feedback.id)).scalar_subquery(),
                select(func.count(Signal.id)).scalar_subquery(),
                select(func.max(Signal.updated_at)).scalar_subquery(),
            )
        ).one()
    )


def list_signals(session: Session, status: str | None = None) -> list[Signal]:
    if status is not None and status not in STATUSES:
        raise ValueError(f"le statut doit être l'un de : {', '.join(STATUSES)}")
    query = select(Signal).order_by(Signal.last_seen.desc(), Signal.score.desc())
    if status:
        query = query.where(Signal.status == status)
    return list(session.scalars(query))


# --- what ``signals list`` and ``signals show`` (and the console to come) show of a signal ---------------


@dataclass
class SignalSummary:
    id: int
    kind: str
    key: str
    subject: str
    status: str
    score: float
    first_seen: date
    last_seen: date
    territory: str | None
    nature: str = "new"
    parent_id: int | None = None

    @classmethod
    def of(cls, signal: Signal) -> SignalSummary:
        return cls(
            signal.id,
            signal.kind,
            signal.key,
            signal.subject,
            signal.status,
            signal.score,
            signal.first_seen,
            signal.last_seen,
            signal.territory,
            signal.nature,
            signal.parent_id,
        )


@dataclass
class HistoryWeek:
    week: date
    status: str
    flagged: bool
    score: float


@dataclass
class CitedDocument:
    title: str
    url: str | None
    published_at: datetime
    source: str
    commune: str | None


@dataclass
class Verdict:
    verdict: str
    note: str | None
    author: str | None
    at: datetime


@dataclass
class SignalDetail(SignalSummary):
    """A signal with the numbers behind it, its weekly history, its cited documents and its feedback."""

    metrics: dict[str, Any] = field(default_factory=dict)
    history: list[HistoryWeek] = field(default_factory=list)
    evidence: list[CitedDocument] = field(default_factory=list)
    feedback: list[Verdict] = field(default_factory=list)
    cited_total: int = 0  # cited documents, of which ``evidence`` holds the first ones


def signal_detail(session: Session, signal_id: int, cited: int | None = None) -> SignalDetail:
    """A signal with its history, verdicts and cited documents (the first ``cited`` of them by rank, or all;
    ``cited_total`` counts them all)."""
    signal = session.scalar(
        select(Signal).where(Signal.id == signal_id).options(selectinload(Signal.feedback))
    )
    if signal is None:
        signal = get_signal(session, signal_id)  # raises SignalNotFound
    # columns only: a week's row carries its metrics, a cited document its text, neither is shown here
    history = session.execute(
        select(SignalWeek.week, SignalWeek.status, SignalWeek.flagged, SignalWeek.score)
        .where(SignalWeek.signal_id == signal.id)
        .order_by(SignalWeek.week)
    )
    documents = (
        select(Document.title, Document.url, Document.published_at, Source.name, Document.territory)
        .join(Evidence, Evidence.document_id == Document.id)
        .join(Source, Source.id == Document.source_id)
        .where(Evidence.signal_id == signal.id)
        .order_by(Evidence.rank, Evidence.id)
        .limit(cited)
    )
    evidence = [CitedDocument(*row) for row in session.execute(documents)]
    total = len(evidence)
    if cited is not None and total == cited:
        total = session.scalar(
            select(func.count(Evidence.id)).where(
                Evidence.signal_id == signal.id, Evidence.document_id.is_not(None)
            )
        )
    return SignalDetail(
        **vars(SignalSummary.of(signal)),
        metrics={k: v for k, v in signal.metrics.items() if k != "term_hashes"},  # internal
        history=[HistoryWeek(*row) for row in history],
        evidence=evidence,
        feedback=[Verdict(f.verdict, f.note, f.author, f.created_at) for f in signal.feedback],
        cited_total=total or 0,
    )
