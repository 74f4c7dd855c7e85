"""The lifecycle rules on small records (no database)."""

from datetime import date, timedelta

from signals.core.lifecycle import Candidate, Tracked, step
from signals.core.settings import DetectionSettings

W0 = date(2026, 3, 2)
PARAMS = DetectionSettings()


def _candidate(docs: set[int], level: float = 0.02, score: float = 10.0, terms=(1, 2, 3), key="cour-oasis"):
    return Candidate(
        kind="term_burst",
        key=key,
        label=key.replace("-", " "),
        score=score,
        level=level,
        term_hashes=list(terms),
        recent_docs=docs,
    )


def _week(tracked: list[Tracked], candidates: list[Candidate], n: int):
    for signal in tracked:  # what the analysis measures of each tracked signal before the step
        signal.level = max(
            (c.level for c in candidates if c.recent_docs & signal.recent_docs), default=signal.level
        )
    updates = step(tracked, candidates, W0 + timedelta(weeks=n), PARAMS)
    for update in updates:
        if update.signal.id is None:
            update.signal.id = 100 + len(tracked)  # as the registry does when it saves
    return updates


def test_new_then_rising_then_established_then_fading():
    tracked: list[Tracked] = []
    first = _week(tracked, [_candidate({1, 2, 3})], 0)
    assert [(u.event, u.status) for u in first] == [("created", "new")]
    second = _week(tracked, [_candidate({2, 3, 4, 5}, level=0.04)], 1)
    assert [(u.event, u.status) for u in second] == [("updated", "rising")]
    assert len(tracked) == 1  # the same theme again is the same signal
    tracked[0].level = 0.03  # still there, no longer flagged
    assert _week(tracked, [], 2)[0].status == "established"
    tracked[0].level = 0.01  # below half its peak
    assert _week(tracked, [], 3)[0].status == "fading"


def test_a_theme_matching_by_its_terms_continues_the_signal():
    tracked: list[Tracked] = []
    _week(tracked, [_candidate({1, 2}, terms=(10, 11, 12))], 0)
    updates = _week(tracked, [_candidate({50, 51}, terms=(11, 99), key="ilots-de-fraicheur")], 1)
    assert [u.event for u in updates] == ["updated"] and len(tracked) == 1


def test_two_themes_of_one_week_on_the_same_signal_make_one_update():
    tracked: list[Tracked] = []
    _week(tracked, [_candidate({1, 2, 3, 4})], 0)
    updates = _week(
        tracked, [_candidate({1, 2}, score=9), _candidate({3, 4}, score=5, key="autre", terms=(7,))], 1
    )
    assert sorted(u.event for u in updates) == ["merged", "updated"]


def test_dismissed_stays_dismissed_unless_it_grows_markedly():
    tracked: list[Tracked] = []
    _week(tracked, [_candidate({1, 2, 3}, level=0.02)], 0)
    tracked[0].status, tracked[0].dismissed_level = "dismissed", 0.02
    held = _week(tracked, [_candidate({1, 2, 3, 4}, level=0.03)], 1)
    assert [(u.event, u.flagged, u.status) for u in held] == [("suppressed", False, "dismissed")]
    back = _week(tracked, [_candidate({1, 2, 3, 4, 5, 6}, level=0.05)], 2)  # > 2 x the dismissed level
    assert [(u.event, u.flagged, u.status) for u in back] == [("reopened", True, "rising")]


def test_confirmed_themes_raise_the_rank_of_similar_ones():
    tracked: list[Tracked] = []
    _week(tracked, [_candidate({1, 2}, terms=(1, 2, 3))], 0)
    tracked[0].status = "confirmed"
    similar = _candidate({7, 8}, score=10.0, terms=(2, 3, 40), key="similaire")
    other = _candidate({9, 10}, score=10.0, terms=(50, 51, 52), key="autre")
    updates = {u.candidate.key: u for u in _week(tracked, [similar, other], 1) if u.candidate}
    assert updates["similaire"].score > updates["autre"].score == 10.0
    assert tracked[0].status == "confirmed"
