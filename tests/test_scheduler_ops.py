"""Operating the service: housekeeping, the status summary, the CLI commands, structured logs."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from signals.cli import app
from signals.core.clock import SimulatedClock
from signals.core.logs import configure_logging
from signals.core.schema import Brief, Delivery, HttpCache, Run
from signals.core.settings import Settings
from signals.core.sources import RssSource, SourcesFile, Territory, dump_sources
from signals.core.store import Store
from signals.service import plan
from signals.service.simulation import simulated_service
from signals.stages.housekeeping import housekeeping
from signals.stages.status import service_status

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    feed = RssSource(kind="rss", name="echo", url="http://127.0.0.1:9/feed.xml", cadence="1h")
    sources = SourcesFile(territory=Territory(name="Val de Test", communes=["Lirac"]), sources=[feed])
    dump_sources(sources, tmp_path / "sources.yaml")
    return Settings(home=tmp_path / "var", sources_file=tmp_path / "sources.yaml")


@pytest.fixture
def quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stages that do nothing (no crawl of the test sources), for the tests that replace only one."""
    for stage in plan.STAGES:
        monkeypatch.setitem(plan.STAGES, stage, lambda ctx, argument: None)


def test_housekeeping_prunes_old_records_summarises_them_and_vacuums(settings):
    store = Store.open(settings)
    now = datetime(2026, 11, 22, 3, 30, tzinfo=UTC)
    old, recent = now - timedelta(days=500), now - timedelta(days=10)
    with store.session() as session:
        for i in range(3000):  # enough pages for the freed space to call for a VACUUM
            session.add(
                Run(
                    stage="collect",
                    target="echo",
                    status="ok" if i % 3 else "failed",
                    started_at=old,
                    cpu_s=0.5,
                )
            )
        session.add(Run(stage="analyze", target="2026-W46", status="ok", started_at=recent))
        session.add(HttpCache(url="https://gone.example/page", fetched_at=old))
        session.add(HttpCache(url="https://echo.example/feed.xml", fetched_at=recent))
    settings.logs_dir.mkdir(parents=True)
    (settings.logs_dir / "collect.log").write_text("x" * 2048)
    settings.schedule.log_max_mb = 1 / 1024  # 1 KiB

    result = housekeeping(store, settings, now)

    assert (result.http_cache_deleted, result.runs_deleted, result.logs_rotated) == (1, 3000, 1)
    if store.engine.dialect.name == "sqlite":  # PostgreSQL maintains itself (autovacuum)
        assert result.vacuumed and result.database_bytes_after < result.database_bytes_before
    else:
        assert not result.vacuumed
    archive = [json.loads(line) for line in result.runs_archive.read_text().splitlines()]
    assert sorted((a["stage"], a["status"], a["runs"]) for a in archive) == [
        ("collect", "failed", 1000),
        ("collect", "ok", 2000),
    ]
    assert {a["month"] for a in archive} == {f"{old:%Y-%m}"}
    with store.session() as session:
        kept = session.execute(select(Run.stage, Run.status)).all()
        assert sorted(kept) == [("analyze", "ok"), ("housekeeping", "ok")]
        assert session.scalars(select(HttpCache.url)).all() == ["https://echo.example/feed.xml"]
    assert (settings.logs_dir / "collect.log.1").stat().st_size == 2048
    store.close()


def test_status_shows_the_running_scheduler_last_successes_and_the_outbox(settings, quiet, monkeypatch):
    monkeypatch.setitem(plan.STAGES, "collect", lambda ctx, source: _record(ctx, "collect", source))
    monkeypatch.setitem(plan.STAGES, "analyze", lambda ctx, _: _record(ctx, "analyze", "2026-W46"))
    monkeypatch.setitem(plan.STAGES, "brief", lambda ctx, _: _queue_brief(ctx))
    monday = datetime(2026, 11, 23, 5, 0, tzinfo=PARIS)
    with SimulatedClock(monday) as clock, simulated_service(settings, clock) as service:
        service.scheduler.advance(monday + timedelta(hours=3))
        service.heartbeat()
        status = service_status(service.store, settings)
        assert status.scheduler is not None and status.scheduler.alive
        stages = {s.stage: s for s in status.stages}
        assert stages["analyze"].last_success_at == datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
        assert stages["collect"].last_run_at == datetime(2026, 11, 23, 6, 7, tzinfo=UTC)
        assert status.deliveries == {"queued": 1}
        assert status.database_bytes and status.database_bytes > 0
        assert status.problems == []
    with Store.open(settings) as store:  # an hour after the service stopped, on the same clock
        later = service_status(store, settings, now=clock.current + timedelta(hours=1))
    assert later.problems == ["aucun planificateur ne tourne"]


def _record(ctx: plan.JobContext, stage: str, target: str | None) -> None:
    with ctx.store.recording(stage, target=target) as run:
        run.count("items", 3)


def _queue_brief(ctx: plan.JobContext) -> None:
    with ctx.store.session() as session:
        brief = Brief(kind="weekly", period="2026-W47", subject="Veille", html="<p>", text="")
        session.add(brief)
        session.flush()
        session.add(Delivery(brief_id=brief.id, recipient="veille@example.fr", message_id="<1@x>"))


def test_cli_lists_jobs_with_their_next_run_and_status_check_fails_without_a_scheduler(settings, monkeypatch):
    monkeypatch.setenv("SIGNALS_HOME", str(settings.home))
    monkeypatch.setenv("SIGNALS_SOURCES_FILE", str(settings.sources_file))
    runner = CliRunner()
    listed = runner.invoke(app, ["schedule", "--list", "--json"])
    assert listed.exit_code == 0, listed.output
    jobs = {job["id"]: job for job in json.loads(listed.output)}
    assert set(jobs) == {"collect:echo", *plan.STAGE_JOBS}
    assert {job["state"] for job in jobs.values()} == {"not scheduled yet"}
    next_brief = datetime.fromisoformat(jobs["brief"]["next_run_at"]).astimezone(PARIS)
    assert (next_brief.strftime("%a %H:%M"), next_brief > datetime.now(PARIS)) == ("Mon 07:30", True)

    with SimulatedClock(datetime(2026, 1, 5, tzinfo=PARIS)) as clock, simulated_service(settings, clock):
        pass  # the jobs are now stored, with the run times of that (simulated) day
    listed = runner.invoke(app, ["schedule", "--list", "--json"])
    jobs = {job["id"]: job for job in json.loads(listed.output)}
    assert jobs["brief"]["state"] == "scheduled"
    assert jobs["brief"]["next_run_at"].startswith("2026-01-05 07:30")

    checked = runner.invoke(app, ["status", "--check"])
    assert checked.exit_code == 1
    assert "problème : aucun planificateur ne tourne" in checked.output


def test_service_logs_are_json_lines_with_the_job_fields(settings, quiet):
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    settings = settings.model_copy(update={"log_json": True})
    try:
        configure_logging(settings, logging.INFO, log_file="scheduler.log")
        start = datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)
        with SimulatedClock(start) as clock, simulated_service(settings, clock) as service:
            service.scheduler.advance(start + timedelta(minutes=15))
    finally:
        for handler in root.handlers:
            if handler not in handlers:
                handler.close()
        root.handlers[:], root.level = handlers, level
    lines = [json.loads(line) for line in (settings.logs_dir / "scheduler.log").read_text().splitlines()]
    deliver = next(line for line in lines if line.get("job") == "deliver")
    assert (deliver["stage"], deliver["status"], deliver["attempt"]) == ("deliver", "ok", 1)
    assert deliver["message"].startswith("job deliver done in")


def test_a_run_of_every_stage_is_recorded_even_when_it_fails_before_recording(settings, quiet, monkeypatch):
    def broken(ctx: plan.JobContext, _: str | None) -> None:
        raise OSError("disk full")

    monkeypatch.setitem(plan.STAGES, "housekeeping", broken)
    sunday = datetime(2026, 11, 22, 3, 0, tzinfo=PARIS)
    with SimulatedClock(sunday) as clock, simulated_service(settings, clock) as service:
        service.scheduler.advance(sunday + timedelta(minutes=31))
        with service.store.session() as session:
            failed = session.execute(
                select(Run.stage, Run.status, func.count()).group_by(Run.stage, Run.status)
            ).all()
    assert ("housekeeping", "failed", 1) in failed


def test_schedule_settings_come_from_the_environment_and_are_checked(monkeypatch):
    from pydantic import ValidationError

    monkeypatch.setenv("SIGNALS_SCHEDULE__BRIEF", "0 8 * * tue")
    assert Settings().schedule.brief == "0 8 * * tue"
    for bad in ({"brief": "30 7 * mon"}, {"collect_at": "25:00"}, {"collect_weekday": "lundi"}):
        with pytest.raises(ValidationError):
            Settings(schedule=bad)
