"""Shared fixtures: a temporary service home with a real SQLite database file, and documents to store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from signals.core.settings import Settings
from signals.core.sources import SourcesFile, Territory, dump_sources
from signals.core.store import Store

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


@pytest.fixture(autouse=True, scope="session")
def _shifted_calendar(request: pytest.FixtureRequest) -> Iterator[None]:
    days = request.config.getoption("--shift-days")
    if not days:
        yield
        return
    import time_machine

    with time_machine.travel(datetime.now(UTC) + timedelta(days=days), tick=True):
        yield


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's settings or writes outside its temporary folder."""
    for name in list(__import__("os").environ):
        if name.startswith("SIGNALS_") or name == "DATABASE_URL":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def workspace_settings(folder: Path, **overrides: Any) -> Settings:
    """Settings of a service home in ``folder``, with a sources file naming the test territory's communes."""
    sources = folder / "sources.yaml"
    dump_sources(SourcesFile(territory=Territory(name="Val de Test", communes=COMMUNES)), sources)
    # The hashing embedder keeps the topic stage fast; tests/test_embeddings.py covers the e5 model.
    return Settings(home=folder / "var", sources_file=sources, **({"embedding_model": "hashing"} | overrides))


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
