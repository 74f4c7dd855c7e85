"""What keeps one service instance safe: named locks held by a process, and the runs dead processes left.

A lock is a row of the ``service_locks`` table: its name, its holder (host, pid and the process's start
time, which tells a reused pid apart), and a heartbeat the holder renews. A lock is *stale*, and can be
taken over, when its holder is a process of this host that no longer exists, or, for a holder on another
host, when its heartbeat is older than ``stale_after_s``. Taking a stale lock over is a conditional
update, so that of two processes racing for it only one wins.

The scheduler holds the lock ``scheduler`` while it runs, and one lock ``job:<job id>`` while a job runs:
a job lock left behind names a job its dead holder did not finish.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psutil
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from signals.core import clock
from signals.core.errors import UserError
from signals.core.schema import Run, ServiceLock
from signals.core.store import Store

log = logging.getLogger(__name__)

SERVICE_LOCK = "scheduler"
JOB_PREFIX = "job:"
_NAME_LENGTH = 80  # service_locks.name
_START_TOLERANCE_S = 1.0  # process start times are read at about 10 ms resolution


@dataclass(frozen=True)
class Holder:
    """A process, identified across hosts and pid reuse.

    >>> me = Holder.this_process()
    >>> Holder.parse(str(me)) == me, me.alive()
    (True, True)
    >>> Holder(me.host, me.pid, me.started - 3600).alive()  # same pid, older process: gone
    False
    >>> Holder("elsewhere", 1, 0.0).alive() is None  # another host: cannot tell
    True
    """

    host: str
    pid: int
    started: float  # the process's start time, seconds since the epoch

    @classmethod
    def this_process(cls) -> Holder:
        return cls(socket.gethostname(), os.getpid(), round(psutil.Process().create_time(), 2))

    @classmethod
    def parse(cls, text: str) -> Holder:
        host, pid, started = text.rsplit(":", 2)
        return cls(host, int(pid), float(started))

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{self.started:.2f}"

    def alive(self) -> bool | None:
        """Whether the process still runs; None when it is on another host."""
        if self.host != socket.gethostname():
            return None
        return process_alive(self.pid, self.started)


def process_alive(pid: int, started: float | None = None) -> bool:
    """Whether process ``pid`` exists and (when ``started`` is given) is the one that started then."""
    try:
        created = psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
    except psutil.AccessDenied:  # exists, owned by someone else
        return True
    return started is None or abs(created - started) <= _START_TOLERANCE_S


class LockHeld(UserError):
    """The lock is held by a live process (or one of another host whose heartbeat is recent)."""

    def __init__(self, name: str, holder: str, heartbeat_at: datetime) -> None:
        age = (clock.now() - heartbeat_at).total_seconds()
        super().__init__(
            f"{name!r} est déjà pris par {holder} (dernier signe de vie il y a {age:.0f} s) : "
            "un autre planificateur tourne ; l'arrêter d'abord, ou attendre que son verrou soit périmé"
        )
        self.name, self.holder, self.heartbeat_at = name, holder, heartbeat_at


@dataclass
class LockState:
    name: str
    holder: str
    acquired_at: datetime
    heartbeat_at: datetime
    alive: bool | None  # None: on another host


def job_lock_name(job_id: str) -> str:
    """The lock name of a job; long ids keep a readable prefix and a hash (the column holds 80 chars).

    >>> job_lock_name("analyze")
    'job:analyze'
    >>> len(job_lock_name("collect:" + "x" * 200))
    80
    """
    name = JOB_PREFIX + job_id
    if len(name) <= _NAME_LENGTH:
        return name
    digest = hashlib.sha1(job_id.encode()).hexdigest()[:12]
    return name[: _NAME_LENGTH - 13] + "#" + digest


class NamedLock:
    """A lock in the database, held by this process.

    >>> store = Store("sqlite://"); _ = store.migrate()
    >>> lock = NamedLock(store, "scheduler")
    >>> lock.acquire(); lock.heartbeat()
    True
    >>> NamedLock(store, "scheduler", holder=Holder("other-host", 7, 0.0)).acquire()
    Traceback (most recent call last):
    ...
    signals.core.locks.LockHeld: 'scheduler' est déjà pris par ... un autre planificateur tourne ; ...
    >>> lock.release(); [s.name for s in lock_states(store)]
    []
    """

    def __init__(
        self, store: Store, name: str, holder: Holder | None = None, stale_after_s: float = 300.0
    ) -> None:
        self.store = store
        self.name = name
        self.holder = str(holder or Holder.this_process())
        self.stale_after_s = stale_after_s

    def acquire(self) -> None:
        """Take the lock, taking it over if stale; raises :class:`LockHeld` otherwise."""
        now = clock.now()
        try:
            with self.store.session(write=True) as session:
                row = session.get(ServiceLock, self.name)
                if row is None:
                    session.add(
                        ServiceLock(
                            name=self.name,
                            holder=self.holder,
                            pid=os.getpid(),
                            acquired_at=now,
                            heartbeat_at=now,
                        )
                    )
                    return
                if row.holder == self.holder:
                    row.heartbeat_at = now
                    return
                if not self._stale(row, now):
                    raise LockHeld(self.name, row.holder, row.heartbeat_at)
                taken = session.execute(
                    update(ServiceLock)
                    .where(ServiceLock.name == self.name, ServiceLock.holder == row.holder)
                    .values(holder=self.holder, pid=os.getpid(), acquired_at=now, heartbeat_at=now)
                ).rowcount
                if not taken:
                    raise LockHeld(self.name, "un processus qui vient de le reprendre", now)
                log.warning("lock %r taken over from %s (stale)", self.name, row.holder)
        except IntegrityError:  # another process inserted it between our read and our insert
            raise LockHeld(self.name, "un processus qui vient de le prendre", now) from None

    def _stale(self, row: ServiceLock, now: datetime) -> bool:
        alive = Holder.parse(row.holder).alive()
        if alive is not None:
            return not alive
        return (now - row.heartbeat_at).total_seconds() > self.stale_after_s

    def heartbeat(self) -> bool:
        """Renew the lock; False when it is no longer ours (taken over: the caller must stop)."""
        with self.store.session() as session:
            renewed = session.execute(
                update(ServiceLock)
                .where(ServiceLock.name == self.name, ServiceLock.holder == self.holder)
                .values(heartbeat_at=clock.now())
            ).rowcount
        return bool(renewed)

    def release(self) -> None:
        with self.store.session() as session:
            session.execute(
                delete(ServiceLock).where(ServiceLock.name == self.name, ServiceLock.holder == self.holder)
            )


def lock_states(store: Store, prefix: str = "") -> list[LockState]:
    """The locks held now (whose name starts with ``prefix``), with whether their holder is alive."""
    with store.session() as session:
        rows = session.scalars(
            select(ServiceLock).where(ServiceLock.name.startswith(prefix)).order_by(ServiceLock.name)
        ).all()
        return [
            LockState(r.name, r.holder, r.acquired_at, r.heartbeat_at, Holder.parse(r.holder).alive())
            for r in rows
        ]


def drop_lock(store: Store, name: str) -> None:
    """Remove a lock whatever its holder (a job lock its dead holder left, once handled)."""
    with store.session() as session:
        session.execute(delete(ServiceLock).where(ServiceLock.name == name))


def close_interrupted_runs(store: Store) -> list[Run]:
    """Runs left ``running`` by a process of this host that no longer exists are marked failed.

    A process is the run's when it exists and had started before the run did (a pid can be reused).
    Returns the closed runs (detached), so that the caller can redo their work.
    """
    closed: list[Run] = []
    with store.session(write=True) as session:
        for run in session.scalars(select(Run).where(Run.status == "running")):
            if run.pid is None or _ran_it(run.pid, run.started_at):
                continue
            reason = f"interrompue : le processus {run.pid} s'est arrêté avant la fin de cette exécution"
            run.status = "failed"
            run.finished_at = clock.now()
            run.errors = [*(run.errors or []), {"item": "run", "reason": reason, "code": "interrupted"}]
            run.error_count = (run.error_count or 0) + 1
            closed.append(run)
    if closed:
        log.warning(
            "%d interrupted runs marked failed: %s", len(closed), ", ".join(_label(r) for r in closed)
        )
    return closed


def _ran_it(pid: int, run_started: datetime) -> bool:
    if pid == os.getpid():
        return True
    try:
        created = datetime.fromtimestamp(psutil.Process(pid).create_time(), UTC)
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
    except psutil.AccessDenied:
        return True
    return created <= run_started + timedelta(seconds=_START_TOLERANCE_S)


def _label(run: Run) -> str:
    return f"#{run.id} {run.stage}" + (f" {run.target}" if run.target else "")
