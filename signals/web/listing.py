"""This week's signals as the console lists them: the analysed week's rows (as ``registry.week_view`` reads
them for the brief, without loading the cited documents' text), with what the filters look at (communes,
kinds of sources, quadrant) and the staff's last verdict (promoted signals first, hidden ones left out
unless asked for). ``kept_week_rows`` keeps them between requests until the signals change
(``registry.signals_version``): the list, the map and every signal page read the same rows."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import astuple, dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from reports.alerts import period_name
from signals.core.lifecycle import SERIES_KINDS
from signals.core.registry import latest_week, signals_version
from signals.core.schema import Document, Evidence, Feedback, Signal, SignalWeek, Source
from signals.web.kept import Kept


@dataclass
class Filters:
    commune: str = ""
    source_kind: str = ""
    status: str = ""
    quadrant: str = ""
    hidden: bool = False

    @property
    def key(self) -> tuple[str | bool, ...]:
        return astuple(self)

    @property
    def active(self) -> bool:
        return bool(self.commune or self.source_kind or self.status or self.quadrant)


def display_subject(kind: str, subject: str, metrics: dict, titles: dict[str, str]) -> str:
    """What readers call a signal: a theme by its words, a series event by the series' display name, its
    place and its period (as the brief names them)."""
    if kind not in SERIES_KINDS or not metrics.get("series"):
        return subject
    indicator = str(metrics["series"]).split("/", 1)[0]
    name = titles.get(indicator, indicator)
    where = f" — {metrics['territory']}" if metrics.get("territory") else ""
    when = f" ({period_name(str(metrics['period']))})" if metrics.get("period") else ""
    return f"{name}{where}{when}"


@dataclass
class Row:
    signal: Signal
    week: SignalWeek
    communes: list[str]
    source_kinds: list[str]
    quadrant: str | None
    verdict: str | None
    subject: str = ""
    weekly: list[int] = field(default_factory=list)

    @property
    def promoted(self) -> bool:
        return self.verdict == "promote"

    @property
    def hidden(self) -> bool:
        return self.verdict in ("hide", "merge")


def _last_verdicts(session: Session, ids: list[int]) -> dict[int, str]:
    verdicts: dict[int, str] = {}
    for signal_id, verdict in session.execute(
        select(Feedback.signal_id, Feedback.verdict).where(Feedback.signal_id.in_(ids)).order_by(Feedback.id)
    ):
        verdicts[signal_id] = verdict
    return verdicts


def week_rows(
    session: Session, titles: dict[str, str], week: date | None = None
) -> tuple[date | None, list[Row]]:
    """The rows of ``week`` (default: the last analysed week), promoted first, then by score."""
    week = week or latest_week(session)
    if week is None:
        return None, []
    pairs = session.execute(
        select(Signal, SignalWeek)
        .join(SignalWeek, SignalWeek.signal_id == Signal.id)
        .where(SignalWeek.week == week)
        .order_by(SignalWeek.score.desc(), Signal.id)
    ).all()
    ids = [s.id for s, _ in pairs]
    verdicts = _last_verdicts(session, ids)
    # where the cited documents come from (their places and kinds of source), without loading their text
    places: dict[int, set[str]] = {}
    kinds: dict[int, set[str]] = {}
    for signal_id, territory, kind in session.execute(
        select(Evidence.signal_id, Document.territory, Source.kind)
        .join(Document, Document.id == Evidence.document_id)
        .join(Source, Source.id == Document.source_id)
        .where(Evidence.signal_id.in_(ids))
        .distinct()
    ):
        if territory:
            places.setdefault(signal_id, set()).add(territory)
        kinds.setdefault(signal_id, set()).add(kind)
    rows = []
    for signal, row in pairs:
        metrics = row.metrics or {}
        communes = list(metrics.get("communes") or {}) or sorted(places.get(signal.id, ()))
        if signal.territory and signal.territory not in communes:
            communes.append(signal.territory)
        rows.append(
            Row(
                signal,
                row,
                communes,
                sorted(kinds.get(signal.id, ())),
                metrics.get("quadrant"),
                verdicts.get(signal.id),
                display_subject(signal.kind, signal.subject, metrics, titles),
                [int(w.get("docs", 0)) for w in metrics.get("weekly") or []],
            )
        )
    rows.sort(key=lambda r: (not r.promoted, -r.week.score, r.signal.id))
    return week, rows


def filtered(rows: list[Row], filters: Filters) -> list[Row]:
    return [
        r
        for r in rows
        if (filters.hidden or not r.hidden)
        and (not filters.commune or filters.commune in r.communes)
        and (not filters.source_kind or filters.source_kind in r.source_kinds)
        and (not filters.status or r.week.status == filters.status)
        and (not filters.quadrant or r.quadrant == filters.quadrant)
    ]


def kept_week_rows(
    kept: Kept, session: Session, titles: dict[str, str]
) -> tuple[Hashable, date | None, list[Row]]:
    """The last analysed week's rows, computed once per version of the signals and of the display names;
    with the key they are kept under (what is computed from them is kept under keys that extend it)."""
    key = ("week_rows", signals_version(session), tuple(titles.items()))
    week, rows = kept.get(key, lambda: week_rows(session, titles))
    return key, week, rows
