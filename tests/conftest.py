"""Shared fixtures: a temporary service home with a real SQLite database file, and documents to store."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import nullcontext
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from signals.core.settings import Settings
from signals.core.sources import SourcesFile, Territory, dump_sources
from signals.core.store import Store
from tests import pgserver
from tests.pgserver import Databases

COMMUNES = [
    "Lirac-sur-Lirette",
    "Saint-Aubin-des-Prés",
    "Montclar-le-Haut",
    "Fontclaire",
    "Beauvallon-sur-Lirette",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--shift-days",
        type=int,
        default=0,
        help="run the suite with the calendar moved this many days ahead (time-machine: wall clock only, "
        "timers and timeouts unchanged), to find tests that depend on today's date",
    )
    parser.addoption(
        "--store",
        choices=("sqlite", "postgresql"),
        default=os.environ.get("SIGNALS_TEST_STORE", "sqlite"),
        help="the store every test's service home uses: a SQLite file (default) or a database of its own "
        "on PostgreSQL (SIGNALS_TEST_DATABASE_URL, a superuser URL, or a throwaway cluster started here)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests of one engine's own behaviour (``@pytest.mark.store("sqlite")``) run on that store's run only."""
    store = config.getoption("--store")
    kept, other = [], []
    for item in items:
        marker = item.get_closest_marker("store")
        (other if marker and store not in marker.args else kept).append(item)
    if other:
        config.hook.pytest_deselected(items=other)
        items[:] = kept


@pytest.fixture(autouse=True, scope="session")
def _shifted_calendar(request: pytest.FixtureRequest) -> Iterator[None]:
    days = request.config.getoption("--shift-days")
    if not days:
        yield
        return
    import time_machine

    with time_machine.travel(datetime.now(UTC) + timedelta(days=days), tick=True):
        yield


@pytest.fixture(autouse=True, scope="session")
def _postgresql(request: pytest.FixtureRequest) -> Iterator[None]:
    """With ``--store postgresql``: the server that gives each service home a database of its own."""
    if request.config.getoption("--store") != "postgresql":
        yield
        return
    given = os.environ.get("SIGNALS_TEST_DATABASE_URL")
    with nullcontext(given) if given else pgserver.cluster() as admin_url:
        pgserver.active = Databases(admin_url)
        try:
            yield
        finally:
            pgserver.active.close()
            pgserver.active = None


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test reads the developer's settings or writes outside its temporary folder; on the PostgreSQL
    run, settings read from the environment name a database of the test's own."""
    for name in list(os.environ):
        if name.startswith("SIGNALS_") or name == "DATABASE_URL":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    url = pgserver.database_url()
    if url:
        monkeypatch.setenv("SIGNALS_DATABASE_URL", url)
    yield
    if url:
        pgserver.active.drop(url)


def workspace_settings(folder: Path, **overrides: Any) -> Settings:
    """Settings of a service home in ``folder``, with a sources file naming the test territory's communes."""
    sources = folder / "sources.yaml"
    dump_sources(SourcesFile(territory=Territory(name="Val de Test", communes=COMMUNES)), sources)
    # The hashing embedder keeps the topic stage fast; tests/test_embeddings.py covers the e5 model.
    defaults = {"embedding_model": "hashing", "database_url": pgserver.database_url()}
    return Settings(home=folder / "var", sources_file=sources, **(defaults | overrides))


def child_environment(settings: Settings) -> dict[str, str]:
    """This process's environment without its service settings, plus these settings' home and store: what
    a child process started by a test runs with."""
    inherited = {k: v for k, v in os.environ.items() if not (k.startswith("SIGNALS_") or k == "DATABASE_URL")}
    return inherited | home_environment(settings)


def home_environment(settings: Settings) -> dict[str, str]:
    """The environment that gives a child process (or a CLI invocation) these settings' home and store."""
    env = {"SIGNALS_HOME": str(settings.home), "SIGNALS_SOURCES_FILE": str(settings.sources_file)}
    if settings.database_url:
        env["SIGNALS_DATABASE_URL"] = settings.database_url
    return env


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return workspace_settings(tmp_path)


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    store = Store.open(settings)
    yield store
    store.close()


def write_jsonl(path: Path, records: list[dict[str, Any] | str]) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def doc(
    title: str, text: str, day: date, source: str = "echo", commune: str | None = None, **extra: Any
) -> dict:
    """One record in the import format, published at noon on ``day``."""
    record = {
        "title": title,
        "text": text,
        "published_at": f"{day.isoformat()}T12:00:00+01:00",
        "source": source,
    }
    if commune:
        record["commune"] = commune
    record.update(extra)
    return record


def aware(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def mondays(first: date, count: int) -> list[date]:
    return [first + timedelta(weeks=i) for i in range(count)]
