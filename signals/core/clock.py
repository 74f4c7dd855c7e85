"""The one clock of the service: every "now" of the project comes from :func:`now`.

Records are stamped, weeks resolved and locks aged with this clock, never with ``datetime.now`` directly,
so that the tests and the soak benchmark can run the service on a :class:`SimulatedClock` (weeks of
operation in seconds) by installing it, instead of patching the modules that read the time.

APScheduler has no clock of its own to inject: its scheduler loop and executors call ``datetime.now``.
A :class:`SimulatedClock`, while installed, therefore also stands in for ``datetime`` in those two
APScheduler modules (the same seam APScheduler's own test suite patches); nothing of the project is
patched.

>>> from zoneinfo import ZoneInfo
>>> with SimulatedClock(datetime(2026, 3, 29, 1, 30, tzinfo=UTC)) as clock:
...     clock.advance(timedelta(hours=1))
...     now().isoformat(), today(ZoneInfo("Europe/Paris")).isoformat()
('2026-03-29T02:30:00+00:00', '2026-03-29')
>>> now() > datetime(2026, 3, 30, tzinfo=UTC)  # the system clock again
True
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from importlib import import_module
from typing import Any, Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, time-zone aware."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


_SYSTEM = SystemClock()
_installed: Clock = _SYSTEM


def now(tz: tzinfo = UTC) -> datetime:
    """The current time in ``tz`` (UTC by default), from the installed clock."""
    return _installed.now().astimezone(tz)


def today(tz: tzinfo) -> date:
    """The current date in ``tz`` (the service's zone: a week starts on a local Monday)."""
    return now(tz).date()


# --- a clock that moves only when told ------------------------------------------------------------------

_REAL_DATETIME = datetime
_APSCHEDULER_MODULES = ("apscheduler.schedulers.base", "apscheduler.executors.base")


class _ClockMeta(type):
    """Real datetimes stay instances of the stand-in class (``isinstance`` checks keep working)."""

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, _REAL_DATETIME)

    def __subclasscheck__(cls, subclass: type) -> bool:
        return issubclass(subclass, _REAL_DATETIME)


class _SimulatedDatetime(datetime, metaclass=_ClockMeta):
    """``datetime`` as APScheduler's modules see it while a simulated clock is installed."""

    @classmethod
    def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
        current = _installed.now()
        return current.astimezone(tz) if tz is not None else current.astimezone().replace(tzinfo=None)

    @classmethod
    def utcnow(cls) -> datetime:  # type: ignore[override]
        return _installed.now().astimezone(UTC).replace(tzinfo=None)


class SimulatedClock:
    """A clock that moves only when told (:meth:`set`, :meth:`advance`); ``with clock:`` installs it as the
    process's clock for the block. One simulated clock at a time."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the clock's start must be time-zone aware")
        self.current = start.astimezone(UTC)
        self._patched: list[tuple[Any, Any]] = []

    def now(self) -> datetime:
        return self.current

    def set(self, when: datetime) -> None:
        self.current = when.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self.current += delta

    def __enter__(self) -> SimulatedClock:
        global _installed
        if _installed is not _SYSTEM:
            raise RuntimeError("a simulated clock is already installed")
        _installed = self
        for name in _APSCHEDULER_MODULES:
            module = import_module(name)
            if getattr(module, "datetime", None) is _REAL_DATETIME:
                self._patched.append((module, module.datetime))
                module.datetime = _SimulatedDatetime
        return self

    def __exit__(self, *_exc: object) -> None:
        global _installed
        for module, original in self._patched:
            module.datetime = original
        self._patched.clear()
        _installed = _SYSTEM
