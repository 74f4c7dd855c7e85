"""The scheduler on a controlled clock: local times across clock changes, downtime caught up once, retries
with backoff, and the plan following the sources. Stages are replaced by recorders: what is tested here
is when jobs run, with APScheduler's own logic and the real job store."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from reports.brief import coverage
from signals.core.clock import SimulatedClock
from signals.core.periods import week_start
from signals.core.schema import Run
from signals.core.settings import Settings
from signals.core.sources import RssSource, SeriesSource, SourcesFile, Territory, dump_sources
from signals.core.store import Store
from signals.service import plan
from signals.service.simulation import simulated_service

PARIS = ZoneInfo("Europe/Paris")


def _sources(path: Path, cadences: dict[str, str]) -> Path:
    sources = []
    for name, cadence in cadences.items():
        if name.startswith("tourisme"):
            sources.append(
                SeriesSource(
                    kind="series",
                    name=name,
                    url=f"http://127.0.0.1:9/{name}.csv",
                    cadence=cadence,
                    series="tourisme.nuitees",
                    columns={"period": "Mois", "value": "Nuitées"},
                )
            )
        else:
            sources.append(
                RssSource(kind="rss", name=name, url=f"http://127.0.0.1:9/{name}.xml", cadence=cadence)
            )
    dump_sources(
        SourcesFile(territory=Territory(name="Val de Test", communes=["Lirac"]), sources=sources), path
    )
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    sources = _sources(tmp_path / "sources.yaml", {"echo": "1h", "tourisme-nuitees": "1w"})
    return Settings(home=tmp_path / "var", sources_file=sources)


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, datetime]]:
    """Every stage replaced by a recorder of (job id, local time of the run)."""
    seen: list[tuple[str, datetime]] = []

    def recorder(stage: str) -> plan.Stage:
        def record(ctx: plan.JobContext, argument: str | None) -> None:
            seen.append((f"{stage}:{argument}" if argument else stage, ctx.now))

        return record

    for stage in plan.STAGES:
        monkeypatch.setitem(plan.STAGES, stage, recorder(stage))
    return seen


def _times(runs: list[tuple[str, datetime]], job: str) -> list[str]:
    return [when.isoformat() for name, when in runs if name == job]


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        # Clocks go forward on Sunday 29 March 2026: 07:30 is 06:30 UTC before, 05:30 UTC after.
        ("2026-03-20", ["2026-03-23T07:30:00+01:00", "2026-03-30T07:30:00+02:00"]),
        # Clocks go back on Sunday 25 October 2026.
        ("2026-10-16", ["2026-10-19T07:30:00+02:00", "2026-10-26T07:30:00+01:00"]),
    ],
)
def test_monday_brief_fires_at_local_time_across_a_clock_change(settings, runs, start, expected):
    first = datetime.fromisoformat(start).replace(tzinfo=PARIS)
    with SimulatedClock(first) as clock, simulated_service(settings, clock) as service:
        service.scheduler.advance(first + timedelta(days=14))
    assert _times(runs, "brief") == expected
    assert [t[11:16] for t in _times(runs, "analyze")] == ["06:00", "06:00"]
    # Hourly collection keeps its minute in local time, 23 or 25 runs on the day of the change.
    change = "2026-03-29" if start.startswith("2026-03") else "2026-10-25"
    on_that_day = [t for t in _times(runs, "collect:echo") if t.startswith(change)]
    assert len(on_that_day) == (23 if change.endswith("03-29") else 25)
    assert {t[14:16] for t in on_that_day} == {_times(runs, "collect:echo")[0][14:16]}


def test_ten_days_of_downtime_give_exactly_one_catch_up_run_per_job(settings, runs):
    monday = datetime(2026, 9, 21, tzinfo=PARIS)
    with SimulatedClock(monday) as clock:
        with simulated_service(settings, clock) as service:
            service.scheduler.advance(monday + timedelta(days=3))
            planned = {job.id for job in service.scheduler.get_jobs()}
        before = len(runs)
        # Down from Thursday 24 September to Sunday 4 October: every job missed at least one run
        # (240 hourly collections, a Monday analysis and brief, a Sunday housekeeping, the quarterly report).
        clock.advance(timedelta(days=10))
        restart = clock.current
        with simulated_service(settings, clock) as service:
            service.scheduler.advance(restart)
            catch_up = Counter(name for name, _ in runs[before:])
            assert catch_up == Counter({job: 1 for job in planned})
            assert {when for _, when in runs[before:]} == {restart.astimezone(PARIS)}
            # Then the cadences resume: two hours bring two runs of each hourly job, nothing else.
            service.scheduler.advance(restart + timedelta(hours=2))
    after = Counter(name for name, _ in runs[before + len(planned) :])
    assert after == Counter({"collect:echo": 2, "deliver": 2})


def test_a_failing_job_is_retried_with_backoff_and_counted_in_the_brief_coverage(settings, runs, monkeypatch):
    failures = iter([True, True])

    def flaky_analysis(ctx: plan.JobContext, _: str | None) -> None:
        runs.append(("analyze", ctx.now))
        if next(failures, False):
            raise RuntimeError("database unavailable")

    monkeypatch.setitem(plan.STAGES, "analyze", flaky_analysis)
    monday = datetime(2026, 6, 15, 5, 0, tzinfo=PARIS)
    with SimulatedClock(monday) as clock:
        with simulated_service(settings, clock) as service:
            service.scheduler.advance(monday + timedelta(hours=3))
            next_analysis = service.scheduler.get_job("analyze").next_run_time
        # First try at 06:00, then 5 and 10 minutes later (doubling); the third try succeeds.
        assert [t[11:16] for t in _times(runs, "analyze")] == ["06:00", "06:05", "06:15"]
        assert next_analysis == datetime(2026, 6, 22, 6, 0, tzinfo=PARIS)
        # The other jobs ran as planned meanwhile.
        assert _times(runs, "brief") == ["2026-06-15T07:30:00+02:00"]
        store = Store.open(settings)
        with store.session() as session:
            failed = session.scalars(select(Run).where(Run.stage == "analyze", Run.status == "failed")).all()
            assert [r.errors[0]["reason"] for r in failed] == ["RuntimeError: database unavailable"] * 2
            week = week_start(monday.date()) - timedelta(weeks=1)
            assert coverage(session, settings, week, []).failed_runs == 2
        store.close()


def test_retries_are_bounded_then_the_job_waits_for_its_next_turn(settings, runs, monkeypatch):
    settings.schedule.retry_attempts = 2

    def dead_source(ctx: plan.JobContext, source: str | None) -> None:
        runs.append((f"collect:{source}", ctx.now))
        raise plan.StageFailed(f"source {source!r}: HTTP 503")

    monkeypatch.setitem(plan.STAGES, "collect", dead_source)
    start = datetime(2026, 6, 16, 10, 0, tzinfo=PARIS)
    with SimulatedClock(start) as clock, simulated_service(settings, clock) as service:
        service.scheduler.advance(start + timedelta(hours=2))
    times = [datetime.fromisoformat(t) for t in _times(runs, "collect:echo")]
    minutes = [(t - times[0]) / timedelta(minutes=1) for t in times]
    # Two early retries (5, then 10 minutes later), then the next hourly turn, where it starts over.
    assert minutes[:6] == [0, 5, 15, 60, 65, 75]


def test_the_plan_follows_the_sources_file_and_keeps_unchanged_jobs_times(settings, runs, tmp_path):
    start = datetime(2026, 6, 16, 10, 0, tzinfo=PARIS)
    with SimulatedClock(start) as clock:
        with simulated_service(settings, clock) as service:
            weekly = service.scheduler.get_job("collect:tourisme-nuitees").next_run_time
            brief = service.scheduler.get_job("brief").next_run_time
        _sources(settings.sources_file, {"echo": "30m", "gazette": "1d"})  # one changed, one new, one gone
        with simulated_service(settings, clock) as service:
            jobs = {job.id: job for job in service.scheduler.get_jobs()}
            assert set(jobs) == {"collect:echo", "collect:gazette", *plan.STAGE_JOBS}
            assert jobs["brief"].next_run_time == brief
            assert jobs["collect:echo"].next_run_time - start <= timedelta(minutes=30)
            assert jobs["collect:gazette"].next_run_time.astimezone(PARIS).hour == 4
    assert weekly.astimezone(PARIS).strftime("%a %H") == "Mon 04"
