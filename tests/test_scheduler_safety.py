"""The service's safety with real processes: one instance at a time, a killed instance's lock and work
taken over, a kill -9 in the middle of sending the brief, and a graceful stop."""

from __future__ import annotations

import asyncio
import email
import json
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from bench.common import free_port
from signals.core.clock import SimulatedClock
from signals.core.locks import SERVICE_LOCK, Holder, LockHeld, NamedLock, close_interrupted_runs, lock_states
from signals.core.schema import Brief, Delivery, Document, Run
from signals.core.settings import Settings
from signals.core.sources import SourcesFile, Territory, dump_sources
from signals.core.store import NewDocument, Store
from signals.service import plan
from signals.service.runner import Service
from signals.service.simulation import simulated_service
from tests import pgserver
from tests.conftest import child_environment

PARIS = ZoneInfo("Europe/Paris")
ROOT = Path(__file__).resolve().parents[1]
RECIPIENTS = ["veille@val-de-test.fr", "dgs@val-de-test.fr"]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    dump_sources(
        SourcesFile(territory=Territory(name="Val de Test", communes=["Lirac"])), tmp_path / "sources.yaml"
    )
    return Settings(
        home=tmp_path / "var", sources_file=tmp_path / "sources.yaml", database_url=pgserver.database_url()
    )


def _environment(settings: Settings, **extra: str) -> dict[str, str]:
    env = child_environment(settings) | {"PYTHONPATH": str(ROOT), "SIGNALS_SCHEDULE__HEARTBEAT_S": "0.5"}
    return env | extra


def _wait_for(condition, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def _scheduler_holder(store: Store) -> str | None:
    return next((lock.holder for lock in lock_states(store) if lock.name == SERVICE_LOCK), None)


def _start_service_process(settings: Settings, log: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "signals.cli", "schedule"],
        env=_environment(settings),
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
    store = Store.open(settings)
    try:
        running = _wait_for(lambda: _scheduler_holder(store) is not None or process.poll() is not None)
        assert running and process.poll() is None, log.read_text()
        assert Holder.parse(_scheduler_holder(store)).pid == process.pid
    except BaseException:
        process.kill()  # a failed start leaves no scheduler running after the test
        process.wait(timeout=10)
        raise
    finally:
        store.close()
    return process


def test_a_second_instance_refuses_to_start_and_sigterm_stops_the_first(settings, tmp_path):
    first = _start_service_process(settings, tmp_path / "first.log")
    try:
        second = subprocess.run(
            [sys.executable, "-m", "signals.cli", "schedule"],
            env=_environment(settings),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 2
        assert "un autre planificateur tourne" in second.stderr
        assert f":{first.pid}:" in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=30) == 0, (tmp_path / "first.log").read_text()
    store = Store.open(settings)
    assert _scheduler_holder(store) is None  # released at a graceful stop
    store.close()
    assert "scheduler stopped" in (settings.logs_dir / "scheduler.log").read_text()


def test_the_lock_of_a_killed_instance_is_stale_and_taken_over(settings, tmp_path):
    killed = _start_service_process(settings, tmp_path / "killed.log")
    killed.kill()
    killed.wait(timeout=10)
    with SimulatedClock(datetime.now(UTC)) as clock, simulated_service(settings, clock) as service:
        assert _scheduler_holder(service.store) == str(Holder.this_process())


def test_a_lock_held_on_another_host_is_taken_over_only_when_its_heartbeat_is_old(settings):
    store = Store.open(settings)
    elsewhere = NamedLock(store, SERVICE_LOCK, Holder("other-host", 4242, 0.0))
    elsewhere.acquire()
    here = NamedLock(store, SERVICE_LOCK, stale_after_s=60)
    with pytest.raises(LockHeld, match="other-host:4242"):
        here.acquire()
    with SimulatedClock(datetime.now(UTC) + timedelta(seconds=61)):
        here.acquire()  # its heartbeat is 61 s old: stale
    assert _scheduler_holder(store) == here.holder
    assert not elsewhere.heartbeat()  # the old holder learns it lost the lock
    store.close()


class _SmtpServer:
    """A real SMTP server that holds the first message to ``hold`` without answering (the sender is
    killed meanwhile); a message counts as delivered only once the server has answered 250."""

    def __init__(self, hold: str) -> None:
        self.hold = hold
        self.holding = threading.Event()
        self.accepted: list[tuple[str, str]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        recipient = envelope.rcpt_tos[0]
        if recipient == self.hold and not self.holding.is_set():
            self.holding.set()
            await asyncio.sleep(20)
            return "451 4.3.0 try again later"
        message = email.message_from_bytes(envelope.content)
        self.accepted.append((recipient, message["Message-ID"]))
        return "250 OK"


def test_kill_9_while_sending_the_brief_then_restart_sends_each_email_once(settings, tmp_path):
    port = free_port()
    env = _environment(
        settings,
        SIGNALS_RECIPIENTS=json.dumps(RECIPIENTS),
        SIGNALS_SMTP__HOST="127.0.0.1",
        SIGNALS_SMTP__PORT=str(port),
        SIGNALS_SMTP__STARTTLS="false",
    )
    settings = settings.model_copy(
        update={
            "recipients": RECIPIENTS,
            "smtp": settings.smtp.model_copy(update={"host": "127.0.0.1", "port": port, "starttls": False}),
        }
    )
    store = Store.open(settings)
    with store.session() as session:
        for day in range(1, 15):
            published = datetime(2026, 11, day, 9, tzinfo=PARIS)
            text = f"Le conseil de Lirac a débattu du budget et des travaux de voirie, séance {day}."
            store.add_document(
                session, NewDocument("echo", f"Conseil {day}", text, published, territory="Lirac")
            )
    documents = _count(store, Document)
    server = _SmtpServer(hold=RECIPIENTS[1])
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        monday = datetime(2026, 11, 23, 7, 29, tzinfo=PARIS)
        with (tmp_path / "child.log").open("w") as child_log:
            child = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.scheduler_child",
                    monday.isoformat(),
                    (monday + timedelta(minutes=2)).isoformat(),
                ],
                env=env,
                stderr=child_log,
            )
            held = server.holding.wait(90)
            child.kill()
            child.wait(timeout=10)
        assert held, (tmp_path / "child.log").read_text()
        # Killed with the brief rendered, one e-mail sent and the other being sent.
        with store.session() as session:
            assert {d.recipient: d.status for d in session.scalars(select(Delivery))} == {
                RECIPIENTS[0]: "sent",
                RECIPIENTS[1]: "sending",
            }
        assert [lock.name for lock in lock_states(store)] == ["job:brief", SERVICE_LOCK]

        with (
            SimulatedClock(monday + timedelta(minutes=10)) as clock,
            simulated_service(settings, clock) as service,
        ):
            service.scheduler.advance(clock.current + timedelta(minutes=1))
            next_brief = service.scheduler.get_job("brief").next_run_time

        assert sorted(server.accepted) == sorted(set(server.accepted))
        assert sorted(recipient for recipient, _ in server.accepted) == sorted(RECIPIENTS)
        with store.session() as session:
            assert session.scalar(select(func.count()).select_from(Brief)) == 1
            assert {d.status for d in session.scalars(select(Delivery))} == {"sent"}
            briefs = session.scalars(select(Run).where(Run.stage == "brief").order_by(Run.id)).all()
            assert [(r.status, r.counts["rendered"]) for r in briefs] == [
                ("ok", 1),
                ("ok", 0),
            ]  # rendered once
        assert next_brief == datetime(2026, 11, 30, 7, 30, tzinfo=PARIS)
        assert lock_states(store) == []
        assert _count(store, Document) == documents  # nothing lost
    finally:
        controller.stop()
        store.close()


def test_runs_left_running_by_a_killed_process_are_marked_interrupted(settings):
    code = (
        "import sys, time\n"
        "from signals.core.settings import load_settings\n"
        "from signals.core.store import Store\n"
        "store = Store.open(load_settings())\n"
        "with store.recording('analyze', target='2026-W47'):\n"
        "    print('ready', flush=True); time.sleep(60)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], env=_environment(settings), stdout=subprocess.PIPE, text=True
    )
    assert child.stdout.readline().strip() == "ready"
    child.kill()
    child.wait(timeout=10)
    store = Store.open(settings)
    with store.recording("import", target="still running here"):
        closed = close_interrupted_runs(store)
    assert [(r.stage, r.target, r.pid) for r in closed] == [("analyze", "2026-W47", child.pid)]
    with store.session() as session:
        statuses = dict(session.execute(select(Run.stage, Run.status)).all())
        reason = session.scalar(select(Run.errors).where(Run.stage == "analyze"))[-1]
    assert statuses == {"analyze": "failed", "import": "ok"}
    assert reason["code"] == "interrupted" and str(child.pid) in reason["reason"]
    store.close()


def _count(store: Store, table) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_stop_lets_the_running_stage_finish_and_the_queued_job_runs_at_the_next_start(settings, monkeypatch):
    started, release = threading.Event(), threading.Event()
    done: list[str] = []

    def slow_analysis(ctx: plan.JobContext, _: str | None) -> None:
        started.set()
        assert release.wait(20)
        done.append("analyze")

    monkeypatch.setitem(plan.STAGES, "analyze", slow_analysis)
    monkeypatch.setitem(plan.STAGES, "brief", lambda ctx, _: done.append("brief"))
    service = Service(settings)  # the real background scheduler, one worker thread
    service.start()
    now = datetime.now(settings.tz)
    service.scheduler.modify_job("analyze", next_run_time=now)
    assert started.wait(20)
    service.scheduler.modify_job("brief", next_run_time=now)
    assert _wait_for(lambda: service.scheduler.get_job("brief").next_run_time > now)  # submitted, queued
    assert service.stop(timeout=0.2) is False  # the analysis is still running
    stopped: list[bool] = []
    stopper = threading.Thread(target=lambda: stopped.append(service.stop(timeout=20)))
    stopper.start()
    release.set()
    stopper.join(30)
    assert stopped == [True]
    assert done == ["analyze"]  # the queued brief did not start once stopping
    with SimulatedClock(datetime.now(UTC)) as clock, simulated_service(settings, clock) as again:
        again.scheduler.advance(clock.current)
    assert done == ["analyze", "brief"]
