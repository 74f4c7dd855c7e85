"""Replaying the weekly analysis over stored data, and scoring it against known events.

``backtest`` runs the week-by-week analysis from ``first`` to ``last`` as it would have run live (each week
sees only data published up to its Sunday), with the lifecycle kept in memory: the live signals are not
touched. A reader takes only so many new signals a week: the ``budget`` best-ranked new signals of each
week are the ones scored: signals raised this week, whatever their nature (new, sub-theme, resurgence,
event), ranked together by score. A flagged signal matches an event when most of its cited documents match
one of the event's patterns.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from signals.core.errors import UserError
from signals.core.lifecycle import Tracked, step
from signals.core.periods import end_of_day_utc, start_of_day_utc, week_start, weeks_between
from signals.core.schema import Document
from signals.core.settings import Settings
from signals.core.store import Store

EARLY_WEEKS = 4  # a signal up to this many weeks before an event's onset still detects it (a run-up)


@dataclass
class Event:
    name: str
    onset: date
    patterns: list[re.Pattern[str]]
    kind: str | None = None

    def matches(self, text: str) -> bool:
        return any(p.search(text) for p in self.patterns)


def load_events(path: Path) -> list[Event]:
    """Read ``[{"name", "onset", "patterns": [...]}, ...]``; a bad file or entry is a one-line error."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"fichier d'événements {path} introuvable") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"fichier d'événements {path} : JSON invalide ({exc})") from None
    if not isinstance(raw, list):
        raise UserError(f"fichier d'événements {path} : une liste JSON d'événements est attendue")
    events = []
    for i, item in enumerate(raw):
        where = f"fichier d'événements {path}, entrée {i + 1}"
        if not isinstance(item, dict) or not {"name", "onset", "patterns"} <= set(item):
            raise UserError(f"{where} : name, onset et patterns sont requis")
        try:
            onset = date.fromisoformat(str(item["onset"]))
        except ValueError:
            raise UserError(
                f"{where} : onset {item['onset']!r} n'est pas une date ISO (AAAA-MM-JJ)"
            ) from None
        try:
            patterns = [re.compile(str(p), re.IGNORECASE) for p in item["patterns"]]
        except re.error as exc:
            raise UserError(f"{where} : motif invalide ({exc})") from None
        if not patterns:
            raise UserError(f"{where} : aucun motif")
        events.append(Event(str(item["name"]), onset, patterns, item.get("kind")))
    return events


@dataclass
class Flag:
    week: date
    label: str
    score: float
    evidence: list[int]
    event: str | None
    nature: str = "new"  # new, sub-theme, resurgence or event (signals.core.lifecycle.NATURES)


@dataclass
class BacktestResult:
    first: date
    last: date
    budget: int
    weeks: list[date]
    flags: list[Flag]
    events: list[Event]
    per_event: dict[str, date | None] = field(default_factory=dict)
    detail: dict[str, dict[str, Any]] = field(default_factory=dict)

    def scores(self) -> dict[str, Any]:
        """recall, median lead (weeks after onset), false alerts per week, precision, and per event."""
        in_range = [e for e in self.events if self.first <= e.onset <= self.last]
        leads = [self.detail[e.name]["lead_weeks"] for e in in_range if self.per_event.get(e.name)]
        matched = [f for f in self.flags if f.event]
        false = [f for f in self.flags if not f.event]
        return {
            "recall": round(len(leads) / len(in_range), 3) if in_range else None,
            "median_lead_weeks": statistics.median(leads) if leads else None,
            "false_alerts_per_week": round(len(false) / max(len(self.weeks), 1), 3),
            "precision": round(len(matched) / len(self.flags), 3) if self.flags else None,
            "weeks": len(self.weeks),
            "flagged": len(self.flags),
            "events": len(in_range),
            "budget": self.budget,
            "per_event": {
                e.name: (self.per_event[e.name].isoformat() if self.per_event.get(e.name) else None)
                for e in in_range
            },
            "per_event_detail": {e.name: self.detail[e.name] for e in in_range},
        }


def backtest(
    store: Store,
    settings: Settings,
    first: date,
    last: date,
    events: list[Event],
    budget: int | None = None,
    gazetteer: list[str] | None = None,
    out: Path | None = None,
    progress: Callable[[date], None] | None = None,
) -> BacktestResult:
    """Replay the weekly analysis from ``first`` to ``last`` and score it against ``events``."""
    from signals.stages.analysis import detect

    if last < first:
        raise UserError(f"--to {last} est antérieur à --from {first}")
    budget = budget or settings.detection.brief_size
    weeks = weeks_between(first, last)
    tracked: list[Tracked] = []
    result = BacktestResult(first, last, budget, weeks, [], events)
    writer = out.open("w", encoding="utf-8") if out else None
    try:
        for week in weeks:
            as_of = min(week + timedelta(days=6), last)
            with store.session() as session:
                for i, signal in enumerate(tracked):
                    signal.id = i + 1  # in-memory ids for measuring the tracked themes
                detection = detect(
                    session,
                    as_of,
                    settings,
                    {s.id: s.term_hashes for s in tracked if s.id},
                    gazetteer=gazetteer or (),
                )
                for signal in tracked:
                    signal.follow(detection.tracked.get(signal.id or -1))
                updates = step(tracked, detection.candidates, week, settings.detection)
                new = sorted((u for u in updates if u.raised), key=lambda u: -u.score)[:budget]
                texts = _texts(session, [d for u in new for d in u.candidate.evidence])  # type: ignore[union-attr]
            for update in new:
                candidate = update.candidate
                assert candidate is not None
                flag = Flag(
                    week,
                    candidate.label,
                    update.score,
                    candidate.evidence,
                    _matching_event(events, [texts.get(d, "") for d in candidate.evidence], week),
                    update.nature or "new",
                )
                result.flags.append(flag)
                if writer:
                    writer.write(
                        json.dumps(
                            {
                                "week": week.isoformat(),
                                "label": flag.label,
                                "score": flag.score,
                                "event": flag.event,
                                "nature": flag.nature,
                                "evidence": flag.evidence,
                            },
                            ensure_ascii=False,
                        )
                        + "\n"
                    )
            if progress:
                progress(week)
    finally:
        if writer:
            writer.close()
    _score_events(store, settings, result)
    return result


def _texts(session: Any, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(Document.id, Document.title, Document.text).where(Document.id.in_(ids)))
    return {i: f"{t}\n{x}" for i, t, x in rows}


def _matching_event(events: list[Event], texts: list[str], week: date | None = None) -> str | None:
    """The event whose patterns match most (more than half) of the cited documents. Between events that
    match as many (a variant's documents also name its epidemic; a theme's second wave has the first's
    words), the latest one already begun by ``week`` (give or take the run-up) is the one it announces."""
    matched = []
    for event in events:
        count = sum(1 for t in texts if event.matches(t))
        if count * 2 > len(texts):
            matched.append((count, event))
    if not matched:
        return None
    best = max(count for count, _ in matched)
    tied = [e for count, e in matched if count == best]
    begun = [e for e in tied if week is None or e.onset <= week + timedelta(weeks=EARLY_WEEKS)]
    return (max(begun, key=lambda e: e.onset) if begun else min(tied, key=lambda e: e.onset)).name


def _score_events(store: Store, settings: Settings, result: BacktestResult) -> None:
    """First matching flag per event (from a few weeks before its onset), lead after onset, and how long
    before the event's peak week (most matching documents, as a share of the week) it came."""
    peaks = _peaks(store, settings, result)
    for event in result.events:
        onset_week = week_start(event.onset)
        hits = sorted(
            (
                f
                for f in result.flags
                if f.event == event.name and f.week >= onset_week - timedelta(weeks=EARLY_WEEKS)
            ),
            key=lambda f: f.week,
        )
        found = hits[0].week if hits else None
        result.per_event[event.name] = found
        peak = peaks.get(event.name)
        result.detail[event.name] = {
            "onset": event.onset.isoformat(),
            "kind": event.kind,
            "first_flag": found.isoformat() if found else None,
            "signal_kind": hits[0].nature if hits else None,
            "lead_weeks": (found - onset_week).days // 7 if found else None,
            "peak_week": peak.isoformat() if peak else None,
            "weeks_before_peak": (peak - found).days // 7 if found and peak else None,
        }


def _peaks(store: Store, settings: Settings, result: BacktestResult) -> dict[str, date]:
    tz = settings.tz
    shares: dict[str, dict[date, list[int]]] = {e.name: {} for e in result.events}
    with store.session() as session:
        rows = session.execute(
            select(Document.published_at, Document.title, Document.text).where(
                Document.published_at >= start_of_day_utc(result.first - timedelta(weeks=EARLY_WEEKS), tz),
                Document.published_at <= end_of_day_utc(result.last, tz),
            )
        )
        totals: dict[date, int] = {}
        for published, title, text in rows:
            week = week_start(published.astimezone(tz).date())
            totals[week] = totals.get(week, 0) + 1
            body = f"{title}\n{text}"
            for event in result.events:
                if event.matches(body):
                    shares[event.name].setdefault(week, [0])[0] += 1
    return {
        name: max(weeks, key=lambda w: weeks[w][0] / max(totals.get(w, 1), 1))
        for name, weeks in shares.items()
        if weeks
    }
