"""The health of the service at a glance (``signals status``): is the scheduler alive, when did each stage
last succeed, which sources are degraded, what e-mail waits in the outbox, how big is the database.

``problems`` lists what an operator should act on, in French (``signals status`` prints them);
``signals status --check`` exits non-zero when there is any (for a container health check or a monitoring
probe).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from signals.core import clock
from signals.core.locks import JOB_PREFIX, SERVICE_LOCK, LockState, lock_states, process_alive
from signals.core.schema import Delivery, Run
from signals.core.settings import Settings
from signals.core.store import Store
from signals.stages.health import source_health
from signals.stages.housekeeping import database_bytes

STAGES = ("collect", "import", "analyze", "brief", "report", "housekeeping", "deliver")
WEEKLY_STAGES = ("analyze", "brief")  # a week without one of them is a problem
_NONE_SUCCEEDED = {"analyze": "aucune analyse réussie", "brief": "aucune note produite"}  # in ``problems``
_OK = ("ok", "partial")


@dataclass
class StageStatus:
    stage: str
    last_success_at: datetime | None
    last_run_at: datetime | None
    last_status: str | None
    failed_last_week: int


@dataclass
class ServiceStatus:
    checked_at: datetime
    scheduler: LockState | None  # None: no scheduler holds the lock
    jobs_running: list[str]
    stages: list[StageStatus]
    degraded_sources: list[str]
    deliveries: dict[str, int]  # unsent deliveries by status: queued, sending, failed
    oldest_unsent_at: datetime | None
    interrupted_runs: int  # runs still marked running whose process is gone
    database_bytes: int | None
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def service_status(store: Store, settings: Settings, now: datetime | None = None) -> ServiceStatus:
    """Everything ``signals status`` shows, read from the database.

    >>> store = Store("sqlite://"); _ = store.migrate()
    >>> status = service_status(store, Settings())
    >>> status.scheduler is None, status.problems
    (True, ['aucun planificateur ne tourne'])
    """
    now = now or clock.now()
    locks = lock_states(store)
    scheduler = next((lock for lock in locks if lock.name == SERVICE_LOCK), None)
    with store.session() as session:
        stages = [_stage(session, stage, now) for stage in STAGES]
        deliveries = dict(
            session.execute(
                select(Delivery.status, func.count())
                .where(Delivery.status != "sent")
                .group_by(Delivery.status)
            ).all()
        )
        oldest = session.scalar(select(func.min(Delivery.created_at)).where(Delivery.status != "sent"))
        running = session.execute(select(Run.pid).where(Run.status == "running")).scalars().all()
    status = ServiceStatus(
        checked_at=now,
        scheduler=scheduler,
        jobs_running=[
            lock.name.removeprefix(JOB_PREFIX) for lock in locks if lock.name.startswith(JOB_PREFIX)
        ],
        stages=[s for s in stages if s.last_run_at is not None],
        degraded_sources=[h.name for h in source_health(store, settings) if h.degraded and h.enabled],
        deliveries={str(k): int(v) for k, v in deliveries.items()},
        oldest_unsent_at=oldest,
        interrupted_runs=sum(1 for pid in running if pid is None or not process_alive(pid)),
        database_bytes=database_bytes(store),
    )
    status.problems = _problems(status, settings, now)
    return status


def _stage(session: Any, stage: str, now: datetime) -> StageStatus:
    last = session.execute(
        select(Run.started_at, Run.status).where(Run.stage == stage).order_by(Run.id.desc()).limit(1)
    ).first()
    success = session.scalar(select(func.max(Run.started_at)).where(Run.stage == stage, Run.status.in_(_OK)))
    failed = session.scalar(
        select(func.count())
        .select_from(Run)
        .where(Run.stage == stage, Run.status == "failed", Run.started_at >= now - timedelta(days=7))
    )
    return StageStatus(stage, success, last[0] if last else None, last[1] if last else None, int(failed or 0))


def _problems(status: ServiceStatus, settings: Settings, now: datetime) -> list[str]:
    problems = []
    lock = status.scheduler
    if lock is None:
        problems.append("aucun planificateur ne tourne")
    elif lock.alive is False:
        problems.append(f"le planificateur {lock.holder} est mort (son verrou est périmé)")
    elif (now - lock.heartbeat_at).total_seconds() > settings.schedule.lock_stale_s:
        age = (now - lock.heartbeat_at).total_seconds()
        problems.append(f"dernier signe de vie du planificateur il y a {age:.0f} s")
    if status.degraded_sources:
        problems.append("sources dégradées : " + ", ".join(status.degraded_sources))
    for stage in status.stages:
        if stage.stage in WEEKLY_STAGES and stage.last_success_at is not None:
            days = (now - stage.last_success_at).total_seconds() / 86400
            if days > 8:
                problems.append(f"{_NONE_SUCCEEDED[stage.stage]} depuis {days:.0f} jours")
    if status.deliveries.get("failed"):
        failed = status.deliveries["failed"]
        problems.append(
            f"{failed} e-mail{'s' if failed > 1 else ''} en échec définitif (voir la boîte d'envoi)"
        )
    return problems


def recent_runs(store: Store, limit: int = 20, stage: str | None = None) -> list[Run]:
    """The last stage runs, newest first (detached: read after the session closes)."""
    query = select(Run).order_by(Run.id.desc()).limit(limit)
    if stage:
        query = query.where(Run.stage == stage)
    with store.session() as session:
        rows = list(session.scalars(query))
        session.expunge_all()
    return rows
