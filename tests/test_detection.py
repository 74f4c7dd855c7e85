"""Weak-signal detection on generated corpora with known answers."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from signals import pipeline
from signals.core.schema import Signal, SignalWeek
from signals.demo.synthetic import Decoy, Plant, synthetic_corpus
from signals.demo.themes import DECOYS, EMERGING, PARENTS
from signals.stages.importer import import_file
from tests.conftest import COMMUNES, workspace_settings, write_jsonl

FIRST = date(2025, 1, 6)
ONSET = 30


def _themes_by_week(store) -> dict[date, list[Signal]]:
    with store.session() as session:
        rows = session.execute(
            select(SignalWeek.week, Signal).join(Signal).where(SignalWeek.status == "new")
        ).all()
    out: dict[date, list[Signal]] = {}
    for week, signal in rows:
        out.setdefault(week, []).append(signal)
    return out


def _matches(signal: Signal, patterns: list[str]) -> bool:
    text = " ".join([signal.subject] + [k["term"] for k in signal.metrics.get("keywords", [])])
    return any(re.search(p, text, re.IGNORECASE) for p in patterns)


@pytest.fixture(scope="module")
def planted_store(tmp_path_factory):
    from signals.core.store import Store

    settings = workspace_settings(tmp_path_factory.mktemp("planted"))
    store = Store.open(settings)
    corpus = synthetic_corpus(
        weeks=40,
        per_week=60,
        first_monday=FIRST,
        communes=COMMUNES,
        seed=11,
        plants=[Plant(EMERGING[0], onset=ONSET, start_rate=1.5, growth=1.3, spread_every=2)],
        decoys=[
            Decoy(DECOYS[0], "spike", start=ONSET + 2, weeks=1, rate=12),
            Decoy(EMERGING[5], "steady", rate=0.8),
        ],
    )
    import_file(store, settings, write_jsonl(settings.home.parent / "corpus.jsonl", corpus.records))
    pipeline.replay(store, settings, FIRST + timedelta(weeks=ONSET - 4), FIRST + timedelta(weeks=39, days=6))
    yield store, corpus
    store.close()


def test_planted_theme_is_found_within_two_weeks_and_decoys_are_not(planted_store):
    store, corpus = planted_store
    by_week = _themes_by_week(store)
    planted = corpus.events[0]
    found = [w for w, signals in by_week.items() if any(_matches(s, planted["patterns"]) for s in signals)]
    onset = date.fromisoformat(planted["onset"])
    assert found, f"planted theme never flagged; flagged: {[s.subject for v in by_week.values() for s in v]}"
    assert min(found) <= onset + timedelta(weeks=2)
    others = [
        s.subject for signals in by_week.values() for s in signals if not _matches(s, planted["patterns"])
    ]
    assert others == [], f"false alarms: {others}"


def test_repeated_weeks_update_one_signal(planted_store):
    store, corpus = planted_store
    with store.session() as session:
        planted = [s for s in session.scalars(select(Signal)) if _matches(s, corpus.events[0]["patterns"])]
        assert len(planted) == 1
        statuses = [w.status for w in planted[0].weeks]
    assert statuses[0] == "new" and "rising" in statuses


def test_analysis_has_no_look_ahead(store, settings, tmp_path):
    corpus = synthetic_corpus(
        weeks=36,
        per_week=50,
        first_monday=FIRST,
        communes=COMMUNES,
        seed=5,
        plants=[Plant(EMERGING[3], onset=28, start_rate=1.5, growth=1.3)],
    )
    as_of = FIRST + timedelta(weeks=31, days=6)
    cut = [r for r in corpus.records if r["published_at"][:10] <= as_of.isoformat()]
    import_file(store, settings, write_jsonl(tmp_path / "past.jsonl", cut))
    before = _snapshot(store, settings, as_of)
    import_file(
        store, settings, write_jsonl(tmp_path / "all.jsonl", corpus.records)
    )  # later documents arrive
    after = _snapshot(store, settings, as_of)
    assert before == after and before, "the as-of analysis changed when later documents were stored"


def _snapshot(store, settings, as_of):
    from signals.stages.analysis import detect

    with store.session() as session:
        detection = detect(session, as_of, settings, gazetteer=COMMUNES)
    return [(c.label, c.score, c.metrics["recent_docs"], tuple(c.evidence)) for c in detection.candidates]


def test_a_new_theme_sharing_common_words_with_a_followed_signal_is_raised_on_its_own(
    store, settings, tmp_path
):
    # An epidemic followed for weeks speaks of children and of the regional health agency; a schoolyard
    # turned green ("cour oasis") has its children and its water agency. The schoolyard is its own story,
    # raised as soon as its own documents show it, not taken for a new phrase of the epidemic.
    from signals.stages.backtest import backtest, load_events

    epidemic = next(t for t in PARENTS if t.name == "virus_respiratoire")
    yard = next(t for t in EMERGING if t.name == "cours_oasis")
    corpus = synthetic_corpus(
        weeks=44,
        per_week=200,
        first_monday=FIRST,
        communes=COMMUNES,
        seed=3,
        plants=[
            Plant(epidemic, onset=24, start_rate=5.0, growth=1.3, cap=20.0, spread_every=2),
            Plant(yard, onset=32, start_rate=2.5, growth=1.25, cap=15.0, spread_every=2),
        ],
    )
    import_file(store, settings, write_jsonl(tmp_path / "corpus.jsonl", corpus.records))
    events_file = tmp_path / "events.json"
    events_file.write_text(json.dumps(corpus.events), encoding="utf-8")
    result = backtest(
        store,
        settings,
        FIRST + timedelta(weeks=23),  # from the epidemic's onset to a few weeks after the yard's
        FIRST + timedelta(weeks=36, days=6),
        load_events(events_file),
        gazetteer=COMMUNES,
    )
    detail = result.scores()["per_event_detail"]
    assert detail["virus_respiratoire"]["lead_weeks"] is not None
    assert detail["cours_oasis"]["signal_kind"] == "new", [(f.week, f.label, f.event) for f in result.flags]
    assert detail["cours_oasis"]["lead_weeks"] <= 2, [(f.week, f.label, f.event) for f in result.flags]
