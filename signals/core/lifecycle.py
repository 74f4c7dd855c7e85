"""The lifecycle of a signal, week after week: new -> rising -> established / fading; dismissed and
confirmed by staff. Pure functions over small records, so the live analysis and the backtest share them.

- A theme flagged for the first time is **new**; flagged again in a later week, **rising**.
- Not flagged any more but still at half its peak level or more: **established** (it is no longer weak,
  it is there) once it no longer grows strongly; while its theme still grows ``min_growth`` times its
  expected share or more (no longer rare, say), it stays **rising**; below half its peak: **fading**.
- **Dismissed** by staff: it stays dismissed, unless it grows markedly beyond the level at which it was
  dismissed (``dismissed_regrowth`` times), then it is raised again as rising.
- **Confirmed** by staff: it stays confirmed; its numbers keep being updated.
- Repeated weeks update one signal: a week's theme is matched to a tracked signal when most of its recent
  documents are that signal's, or when it shares the signal's label term.
- One story is raised once a week: a theme most of whose documents are those of a signal raised the same
  week, or which holds most of that signal's documents, joins it (``same_story``).
- A theme of terms raises a new signal only when ``min_theme_terms`` of its terms emerge together
  (``names_a_story``): one word growing alone may continue a signal, never open one.

Each raising of a signal has a **nature**, what a reader needs to know of it first:

- **new**: a theme not tracked before;
- **sub-theme**: a theme whose documents lie inside an established signal (tracked for at least
  ``subtheme_min_age_weeks``): they name it, by its leading term; whose leading terms are none of that
  signal's, and which grows as a share of the documents naming it (``signals.stages.membership``): a
  variant within an epidemic, a reform within "retraites". It is raised as its own signal, linked to the
  parent the analysis found (``Candidate.parent``), instead of silently widening the parent;
- **resurgence**: a tracked signal that was quiet (not flagged for ``resurgence_gap_weeks``, or dismissed;
  flags of its comeback while within its past range do not end the quiet) and grows beyond its historical
  range (``resurgence_ratio`` times its peak level so far, or the analysis
  found the theme beyond its range over the window): raised again; a theme never tracked but known in the
  window, back beyond its range, is raised as a resurgence too;
- **event**: a burst that lasts (see ``signals.stages.emergence``): something is going on now, rather than
  emerging; the brief lists events in their own section. A lasting burst of a quiet signal's theme (a
  second plane crash after the first) raises that signal again as an event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from signals.core.settings import DetectionSettings

NEW, RISING, ESTABLISHED, FADING, DISMISSED, CONFIRMED = (
    "new",
    "rising",
    "established",
    "fading",
    "dismissed",
    "confirmed",
)
STATUSES = (NEW, RISING, ESTABLISHED, FADING, DISMISSED, CONFIRMED)
THEME_KINDS = ("term_burst", "emerging_topic")  # themes of documents
SERIES_KINDS = ("anomaly", "forecast_break")  # events of numeric series
MATCH_OVERLAP = 0.5
CORE_TERMS = 3  # a theme's most frequent terms come first in its term list
FOLLOWED_TERMS = (
    2 * CORE_TERMS
)  # a signal is followed by its leading terms: this week's core and the previous
SIMILAR_BOOST = 0.5  # rank boost of a theme fully similar to a confirmed one
FADED = 0.5  # below this share of its peak level a theme has faded
NATURE_NEW, SUBTHEME, RESURGENCE, EVENT = "new", "sub-theme", "resurgence", "event"
NATURES = (NATURE_NEW, SUBTHEME, RESURGENCE, EVENT)
RAISED = ("created", "reopened")  # the updates a reader sees as a new signal this week


@dataclass
class ThemeMeasure:
    """This week's measure of a followed signal's theme (from the documents with its leading terms)."""

    level: float  # recent share of documents
    docs: set[int]  # ids of the theme's documents in the recent weeks
    weekly: list[dict[str, Any]]  # documents per week of the window
    metrics: dict[str, Any] | None = None  # the numbers behind it; None when none of its terms appeared
    evidence: list[int] = field(default_factory=list)  # document ids to cite, most telling first


@dataclass
class Tracked:
    """What the lifecycle needs to know of a signal before this week's analysis."""

    id: int | None
    kind: str
    key: str
    subject: str
    status: str
    first_seen: date
    last_flagged: date | None
    peak_level: float
    term_hashes: list[int]
    dismissed_level: float | None = None
    recent_docs: set[int] = field(default_factory=set)  # this week's documents of its theme
    level: float = 0.0  # this week's level
    view: ThemeMeasure | None = None  # this week's metrics and evidence of its theme, when its terms appeared
    nature: str = NATURE_NEW  # what it was last raised as (new, sub-theme, resurgence, event)
    parent: Tracked | None = None  # the established signal a sub-theme grew inside

    def follow(self, view: ThemeMeasure | None) -> None:
        """Take this week's measure of the signal's theme (none: its terms did not appear at all)."""
        if view is not None:
            self.level, self.recent_docs = view.level, view.docs
            self.view = view if view.metrics is not None else None


@dataclass
class Candidate:
    """An emerging theme found this week, with everything needed to explain it."""

    kind: str  # term_burst | emerging_topic | anomaly | forecast_break
    key: str
    label: str
    score: float
    level: float  # recent share of documents: compared when a dismissed theme grows back
    term_hashes: list[int]  # main terms first
    recent_docs: set[int]  # ids of the theme's documents in the recent weeks
    metrics: dict[str, Any] = field(default_factory=dict)  # the numbers behind it
    evidence: list[int] = field(default_factory=list)  # document ids to cite, most telling first
    observations: list[int] = field(default_factory=list)  # observation ids to cite (series signals)
    # NATURE_NEW: emerging; EVENT: a lasting burst; SUBTHEME: growing inside a signal; RESURGENCE: a known
    # theme back beyond its historical range (the lifecycle also raises quiet signals as resurgences)
    nature: str = NATURE_NEW
    # Followed signals whose documents hold most of this theme's (by two of their leading terms or more);
    # None when the analysis did not say (a theme then continues any signal holding its documents).
    hosts: set[int] | None = None
    # The followed signal the analysis found it growing inside (nature SUBTHEME), by id; None: not said.
    parent: int | None = None


@dataclass
class Update:
    signal: Tracked
    week: date
    flagged: bool
    status: str
    score: float
    candidate: Candidate | None
    event: str  # created | updated | reopened | suppressed | merged | unflagged
    nature: str | None = None  # set when the update raises the signal (created, reopened)

    @property
    def raised(self) -> bool:
        """A reader sees this update as a new signal this week (new, sub-theme, resurgence or event)."""
        return self.event in RAISED and self.candidate is not None


def match(candidate: Candidate, tracked: list[Tracked]) -> Tracked | None:
    """The tracked signal this week's theme continues, if any: one sharing its leading terms first (a
    sub-theme and its parent share documents, the sub-theme's own terms say which one continues), then the
    best document overlap."""
    best, best_rank = None, (False, 0.0, 0.0)
    for signal in tracked:
        if signal.kind != candidate.kind:
            continue
        shared = len(candidate.recent_docs & signal.recent_docs)
        overlap = shared / max(len(candidate.recent_docs), 1)
        named = shares_terms(candidate, signal)
        if not named and candidate.hosts is not None and signal.id not in candidate.hosts and signal.id:
            continue  # its documents only touch the signal's loosest members (one common word)
        # Between a sub-theme and its parent, both holding the theme's documents: the tighter fit.
        fit = shared / max(len(candidate.recent_docs | signal.recent_docs), 1)
        rank = (named, max(overlap, MATCH_OVERLAP) if named else overlap, fit)
        if rank[1] >= MATCH_OVERLAP and rank > best_rank:
            best, best_rank = signal, rank
    return best


def shares_terms(candidate: Candidate, signal: Tracked) -> bool:
    """The theme has the signal's key or one of its leading terms among its core terms."""
    core = set(candidate.term_hashes[:CORE_TERMS])
    return signal.key == candidate.key or bool(core & set(signal.term_hashes[:FOLLOWED_TERMS]))


def is_subtheme(candidate: Candidate, signal: Tracked, week: date, params: DetectionSettings) -> bool:
    """A theme the analysis found growing inside a followed signal's documents (nature SUBTHEME: its own
    terms, a rising share of the signal's documents), matched to an established signal by documents only:
    a new signal, the child of ``signal``. Inside a young signal, it is the signal's vocabulary forming."""
    established = (week - signal.first_seen).days // 7 >= params.subtheme_min_age_weeks
    return (
        candidate.nature == SUBTHEME
        and established
        and signal.status != DISMISSED
        and not shares_terms(candidate, signal)
    )


def same_story(candidate: Candidate, raised: list[Tracked]) -> Tracked | None:
    """A signal raised this week that tells the same story as the theme: most of the documents of one
    are the other's (a crash's victims and its pilot, a strike and its blockades). The story is raised
    once, under its best-ranked theme."""
    for signal in raised:
        if signal.kind != candidate.kind:
            continue
        shared = len(candidate.recent_docs & signal.recent_docs)
        if shared >= MATCH_OVERLAP * max(min(len(candidate.recent_docs), len(signal.recent_docs)), 1):
            return signal
    return None


def names_a_story(candidate: Candidate, params: DetectionSettings) -> bool:
    """Enough to raise a new signal: a theme of terms needs ``min_theme_terms`` terms emerging together (a
    story brings its names, places and phrases at once; one word growing alone is a turn of phrase, a
    transcript's new formula or a passing mention); topics and series alerts are not made of terms."""
    return candidate.kind != "term_burst" or len(candidate.term_hashes) >= params.min_theme_terms


def label_from_keywords(ranked: list[str]) -> str:
    """The best keyword, and the next one when it adds something: 'vélos-cargos · assistance électrique'."""
    label = ranked[0]
    if len(ranked) > 1 and ranked[1] not in label and label not in ranked[1]:
        label = f"{label} · {ranked[1]}"
    return label


def similarity(a: list[int], b: list[int], top: int = 8) -> float:
    """Jaccard similarity of two themes' main terms."""
    sa, sb = set(a[:top]), set(b[:top])
    return len(sa & sb) / max(len(sa | sb), 1)


def rank_score(candidate: Candidate, confirmed: list[Tracked]) -> float:
    """The candidate's score, raised when it resembles themes that staff confirmed."""
    boost = max((similarity(candidate.term_hashes, s.term_hashes) for s in confirmed), default=0.0)
    return candidate.score * (1.0 + SIMILAR_BOOST * boost)


def step(
    tracked: list[Tracked],
    candidates: list[Candidate],
    week: date,
    params: DetectionSettings,
    follow_unflagged: bool = True,
) -> list[Update]:
    """This week's updates: one per candidate (new or matched signal) and, with ``follow_unflagged``, one per
    other tracked signal (a past anomaly of a series is not followed: it happened once)."""
    updates: list[Update] = []
    touched: dict[int, Update] = {}
    confirmed = [s for s in tracked if s.status == CONFIRMED]
    for candidate in sorted(candidates, key=lambda c: -c.score):
        score = rank_score(candidate, confirmed)
        signal = match(candidate, tracked)
        parent = None
        named = next((s for s in tracked if candidate.parent and s.id == candidate.parent), None)
        if named is not None:  # the analysis said inside which signal it grows
            if (signal is None or signal is named) and is_subtheme(candidate, named, week, params):
                parent, signal = named, None
        elif signal is not None and is_subtheme(candidate, signal, week, params):
            parent, signal = signal, None
        if signal is None:
            signal = same_story(candidate, [u.signal for u in touched.values() if u.event in RAISED])
        if signal is None and not names_a_story(candidate, params):
            continue
        if signal is None:
            nature = (
                SUBTHEME
                if parent is not None
                else (NATURE_NEW if candidate.nature == SUBTHEME else candidate.nature)
            )
            signal = Tracked(
                None,
                candidate.kind,
                candidate.key,
                candidate.label,
                NEW,
                week,
                week,
                candidate.level,
                candidate.term_hashes,
                recent_docs=candidate.recent_docs,
                level=candidate.level,
                nature=nature,
                parent=parent,
            )
            tracked.append(signal)  # a second theme of the week may continue it
            update = Update(signal, week, True, NEW, score, candidate, "created", nature)
            touched[id(signal)] = update
            updates.append(update)
            continue
        if id(signal) in touched:  # a second theme of the week on the same signal: one update only
            updates.append(
                Update(signal, week, False, touched[id(signal)].status, score, candidate, "merged")
            )
            continue
        update = _continue(signal, candidate, score, week, params)
        touched[id(signal)] = update
        updates.append(update)
    for signal in tracked:
        if follow_unflagged and id(signal) not in touched and signal.id is not None:
            updates.append(_unflagged(signal, week, params))
    return updates


def _continue(
    signal: Tracked, candidate: Candidate, score: float, week: date, params: DetectionSettings
) -> Update:
    # The signal's own measure (all its terms) is usually the wider view; a theme found this week adds to it.
    signal.level = max(signal.level, candidate.level)
    signal.recent_docs = signal.recent_docs | candidate.recent_docs
    if signal.status == DISMISSED:
        threshold = params.dismissed_regrowth * (signal.dismissed_level or 0.0)
        if candidate.level < threshold or signal.dismissed_level is None:
            return Update(signal, week, False, DISMISSED, score, candidate, "suppressed")
        return _reopen(signal, candidate, score, week)
    if _resurges(signal, candidate, week, params):  # beyond its range, burst or not: it says more
        return _reopen(signal, candidate, score, week)
    if _quiet(signal, week, params) and candidate.nature == EVENT:  # a new burst of a known theme
        return _reopen(signal, candidate, score, week, EVENT)
    status = CONFIRMED if signal.status == CONFIRMED else (NEW if signal.first_seen == week else RISING)
    signal.status = status
    if not _quiet(signal, week, params):
        # A quiet theme coming back within its past range is the start of its comeback: it stays quiet
        # until the comeback passes that range (a resurgence) or bursts (an event).
        signal.last_flagged = week
    signal.peak_level = max(signal.peak_level, candidate.level)
    # Its terms: the core it was found with (its identity), this week's core (its vocabulary evolves), the rest.
    signal.term_hashes = list(
        dict.fromkeys(
            signal.term_hashes[:CORE_TERMS]
            + candidate.term_hashes[:CORE_TERMS]
            + signal.term_hashes[CORE_TERMS:FOLLOWED_TERMS]
            + candidate.term_hashes
            + signal.term_hashes
        )
    )[:40]
    return Update(signal, week, True, status, score, candidate, "updated")


def _quiet(signal: Tracked, week: date, params: DetectionSettings) -> bool:
    """Not flagged for ``resurgence_gap_weeks`` (confirmed signals are followed, never raised again)."""
    if signal.status == CONFIRMED or signal.last_flagged is None:
        return False
    return (week - signal.last_flagged).days // 7 >= params.resurgence_gap_weeks


def _resurges(signal: Tracked, candidate: Candidate, week: date, params: DetectionSettings) -> bool:
    """A quiet signal flagged again far beyond its historical range: beyond the signal's own peak, or
    beyond the theme's range over the analysed window (the analysis found it resurgent: its peak may be
    older than the signal's history)."""
    beyond = candidate.level >= params.resurgence_ratio * signal.peak_level or candidate.nature == RESURGENCE
    return _quiet(signal, week, params) and beyond


def _reopen(
    signal: Tracked, candidate: Candidate, score: float, week: date, nature: str = RESURGENCE
) -> Update:
    """Raise a dismissed or quiet signal again: a resurgence, or a new lasting event of a known theme (a
    second plane crash after the first)."""
    signal.status = RISING
    signal.last_flagged = week
    signal.peak_level = max(signal.peak_level, candidate.level)
    signal.nature = nature
    return Update(signal, week, True, RISING, score, candidate, "reopened", nature)


def still_growing(signal: Tracked, params: DetectionSettings) -> bool:
    """This week's measure of the signal's theme still grows as strongly as a weak signal must (``min_growth``
    times its expected share): not flagged (no longer rare, say), yet not settled either."""
    metrics = signal.view.metrics if signal.view is not None else None
    return bool(metrics) and float(metrics.get("growth") or 0.0) >= params.min_growth


def _unflagged(signal: Tracked, week: date, params: DetectionSettings) -> Update:
    """A tracked signal not flagged this week: still growing strongly, it is rising; otherwise its level
    against its peak decides (established when it holds, fading below half its peak)."""
    if signal.status in (DISMISSED, CONFIRMED):
        status = signal.status
    elif signal.first_seen > week:
        status = signal.status
    elif signal.level <= 0 or signal.level < FADED * signal.peak_level:
        status = FADING
    else:
        status = RISING if still_growing(signal, params) else ESTABLISHED
    signal.status = status
    signal.peak_level = max(signal.peak_level, signal.level)
    return Update(signal, week, False, status, 0.0, None, "unflagged")
