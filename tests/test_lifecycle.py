"""The lifecycle rules on small records (no database)."""

from datetime import date, timedelta

from signals.core.lifecycle import Candidate, ThemeMeasure, Tracked, step
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


def test_a_signal_no_longer_flagged_but_still_growing_strongly_is_rising_not_established():
    tracked: list[Tracked] = []
    _week(tracked, [_candidate({1, 2, 3})], 0)
    signal = tracked[0]
    signal.level = 0.03  # not flagged (no longer rare, say), its theme measured at 2.2 times its usual share
    signal.follow(ThemeMeasure(0.03, {1, 2, 3, 4}, [], {"growth": 2.2}))
    assert [(u.flagged, u.status) for u in _week(tracked, [], 1)] == [(False, "rising")]
    signal.follow(ThemeMeasure(0.03, {1, 2, 3, 4}, [], {"growth": 1.3}))  # it holds, no longer growing
    assert _week(tracked, [], 2)[0].status == "established"


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


def test_a_new_theme_inside_an_established_signal_is_a_sub_theme_linked_to_its_parent():
    tracked: list[Tracked] = []
    epidemic = _candidate(set(range(1, 21)), level=0.05, terms=(1, 2, 3), key="virus-respiratoire")
    _week(tracked, [epidemic], 0)
    for n in range(1, 6):  # followed for weeks: established
        _week(tracked, [epidemic], n)
    parent = tracked[0]
    variant = _candidate({18, 19, 20, 21}, level=0.01, terms=(40, 41, 42), key="variant-kappa")
    variant.nature = "sub-theme"  # the analysis found it growing inside the epidemic's documents
    updates = _week(tracked, [epidemic, variant], 6)
    raised = [u for u in updates if u.raised]
    assert [(u.candidate.key, u.nature) for u in raised] == [("variant-kappa", "sub-theme")]
    assert raised[0].signal.parent is parent and raised[0].signal is not parent
    # The next week the variant continues its own signal (its terms), not the parent's.
    again = _week(tracked, [_candidate({19, 20, 21, 22}, level=0.02, terms=(40, 41), key="variant-kappa")], 7)
    assert [(u.event, u.signal.key) for u in again if u.candidate] == [("updated", "variant-kappa")]


def test_a_young_signal_absorbs_a_theme_sharing_its_documents():
    tracked: list[Tracked] = []
    _week(tracked, [_candidate({1, 2, 3, 4})], 0)
    updates = _week(tracked, [_candidate({2, 3, 4}, terms=(40, 41), key="autre")], 1)
    assert [u.event for u in updates] == ["updated"] and len(tracked) == 1


def _quiet_for_weeks(tracked: list[Tracked], peak: float, weeks: int) -> Tracked:
    """A signal raised at ``peak`` in week 0, then quiet until week ``weeks``."""
    _week(tracked, [_candidate({1, 2, 3}, level=peak)], 0)
    signal = tracked[0]
    for n in range(1, weeks):
        signal.level = 0.005
        _week(tracked, [], n)
    return signal


def test_a_quiet_theme_back_beyond_its_historical_range_is_a_resurgence():
    tracked: list[Tracked] = []
    signal = _quiet_for_weeks(tracked, 0.02, 12)
    assert signal.status == "fading"
    within = _week(tracked, [_candidate({30, 31}, level=0.022)], 12)  # back, but within its range
    assert [(u.event, u.raised) for u in within] == [("updated", False)]
    for n in range(13, 22):
        signal.level = 0.005
        _week(tracked, [], n)
    back = _week(tracked, [_candidate({40, 41, 42, 43, 44}, level=0.06)], 22)  # 2.7 x its peak
    assert [(u.event, u.nature, u.raised) for u in back] == [("reopened", "resurgence", True)]
    assert signal.nature == "resurgence" and signal.status == "rising"


def test_a_lasting_burst_is_raised_as_an_event():
    tracked: list[Tracked] = []
    burst = _candidate({1, 2, 3, 4, 5}, key="penurie-carburant")
    burst.nature = "event"
    updates = _week(tracked, [burst], 0)
    assert [(u.event, u.nature) for u in updates] == [("created", "event")]


def test_the_store_keeps_a_sub_themes_nature_and_parent(store):
    from signals.core.registry import load_tracked, save_updates, signal_detail

    tracked: list[Tracked] = []
    epidemic = _candidate(set(range(1, 21)), level=0.05, terms=(1, 2, 3), key="virus-respiratoire")
    variant = _candidate({18, 19, 20, 21}, level=0.01, terms=(40, 41, 42), key="variant-kappa")
    variant.nature = "sub-theme"  # the analysis found it growing inside the epidemic's documents
    with store.session() as session:
        for n in range(7):
            week = W0 + timedelta(weeks=n)
            save_updates(
                session, step(tracked, [epidemic] + ([variant] if n == 6 else []), week, PARAMS), week
            )
    with store.session() as session:
        loaded = {t.key: t for t in load_tracked(session, W0 + timedelta(weeks=7), ("term_burst",))}
        child = loaded["variant-kappa"]
        assert child.nature == "sub-theme" and child.parent is loaded["virus-respiratoire"]
        detail = signal_detail(session, child.id)
        assert detail.nature == "sub-theme" and detail.parent_id == loaded["virus-respiratoire"].id


def test_another_phrase_of_an_established_signal_continues_it():
    tracked: list[Tracked] = []
    epidemic = _candidate(set(range(1, 21)), level=0.05, terms=(1, 2, 3), key="virus-respiratoire")
    for n in range(6):
        _week(tracked, [epidemic], n)
    phrase = _candidate(
        {5, 6, 7, 8}, level=0.02, terms=(60, 61), key="depistage-gratuit"
    )  # not growing inside
    updates = _week(tracked, [phrase], 6)
    assert [(u.event, u.signal.key) for u in updates] == [("updated", "virus-respiratoire")]


def test_a_new_lasting_burst_of_a_quiet_signal_raises_it_again_as_an_event():
    tracked: list[Tracked] = []
    _week(tracked, [_candidate({1, 2, 3}, level=0.02, key="crash-avion")], 0)
    for n in range(1, 10):
        tracked[0].level = 0.001
        _week(tracked, [], n)
    crash = _candidate({50, 51, 52}, level=0.015, key="crash-avion")  # below its old peak, but a burst
    crash.nature = "event"
    updates = _week(tracked, [crash], 10)
    assert [(u.event, u.nature, u.raised) for u in updates] == [("reopened", "event", True)]


def test_a_theme_only_loosely_inside_a_signal_is_not_absorbed_by_it():
    tracked: list[Tracked] = []
    for n in range(6):  # "attentats de paris", whose loosest members are any document on the square
        _week(tracked, [_candidate(set(range(1, 31)), level=0.05, key="attentats-de-paris")], n)
    square = _candidate({25, 26, 27, 28}, level=0.01, terms=(70, 71), key="nuit-debout")
    square.hosts = set()  # the analysis: two of the signal's leading terms in none of its documents
    updates = _week(tracked, [square], 6)
    assert [(u.event, u.signal.key) for u in updates if u.candidate] == [("created", "nuit-debout")]


def test_one_story_found_twice_in_a_week_is_raised_once():
    # A crash's pilot and its victims: two themes of the week, most of the smaller one's documents inside
    # the other's (though not most of the larger one's inside the smaller), make one signal, not two.
    tracked: list[Tracked] = []
    updates = _week(
        tracked,
        [
            _candidate({5, 6, 7}, score=30, terms=(20, 21), key="copilote"),
            _candidate({1, 2, 3, 4, 5, 6}, score=20, terms=(10, 11), key="crash-victimes"),
            _candidate({40, 41, 42}, score=10, terms=(30, 31), key="autre-histoire"),
        ],
        0,
    )
    assert [(u.event, u.signal.key) for u in updates if u.raised] == [
        ("created", "copilote"),
        ("created", "autre-histoire"),
    ]
    assert [u.event for u in updates if u.candidate and u.candidate.key == "crash-victimes"] == ["merged"]
    assert len(tracked) == 2


def test_a_single_word_growing_alone_raises_nothing_but_continues_a_signal():
    tracked: list[Tracked] = []
    assert _week(tracked, [_candidate({1, 2, 3}, terms=(10,), key="explique")], 0) == []
    assert tracked == []
    _week(tracked, [_candidate({1, 2, 3}, terms=(10, 11), key="cour-oasis")], 1)
    updates = _week(tracked, [_candidate({2, 3, 4}, terms=(10,), key="oasis")], 2)
    assert [u.event for u in updates] == ["updated"] and len(tracked) == 1


def test_a_quiet_theme_coming_back_slowly_is_a_resurgence_once_beyond_its_range():
    tracked: list[Tracked] = []
    _quiet_for_weeks(tracked, 0.02, 12)
    for n, level in ((12, 0.01), (13, 0.015), (14, 0.02)):  # its comeback, still within its past range
        updates = _week(tracked, [_candidate({30 + n, 31 + n}, level=level)], n)
        assert [(u.event, u.raised) for u in updates] == [("updated", False)]
    back = _week(tracked, [_candidate({40, 41, 42, 43, 44}, level=0.05)], 15)  # 2.5 x its peak
    assert [(u.event, u.nature, u.raised) for u in back] == [("reopened", "resurgence", True)]


def test_a_sub_theme_is_linked_to_the_signal_the_analysis_found_it_inside():
    tracked: list[Tracked] = []
    epidemic = _candidate(set(range(1, 21)), level=0.05, terms=(1, 2, 3), key="virus-respiratoire")
    schools = _candidate(set(range(50, 70)), level=0.05, terms=(7, 8, 9), key="rentree-scolaire")
    for n in range(6):  # both followed for weeks: established
        _week(tracked, [epidemic, schools], n)
    parent = next(s for s in tracked if s.key == "virus-respiratoire")
    # The variant's documents name the epidemic; most are not among the epidemic's recent ones.
    variant = _candidate({19, 20, 80, 81, 82}, level=0.01, terms=(40, 41, 42), key="variant-kappa")
    variant.nature, variant.parent = "sub-theme", parent.id
    raised = [u for u in _week(tracked, [variant], 6) if u.raised]
    assert [(u.candidate.key, u.nature) for u in raised] == [("variant-kappa", "sub-theme")]
    assert raised[0].signal.parent is parent


def test_a_quiet_theme_bursting_far_beyond_its_past_range_is_a_resurgence_not_an_event():
    tracked: list[Tracked] = []
    _week(tracked, [_candidate({1, 2, 3}, level=0.02, key="regie-publique")], 0)
    for n in range(1, 10):
        tracked[0].level = 0.001
        _week(tracked, [], n)
    wave = _candidate({50, 51, 52, 53, 54}, level=0.08, key="regie-publique")  # 4 x its old peak
    wave.nature = "event"
    updates = _week(tracked, [wave], 10)
    assert [(u.event, u.nature, u.raised) for u in updates] == [("reopened", "resurgence", True)]
