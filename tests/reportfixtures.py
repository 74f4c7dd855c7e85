"""A store ready for reports, built once per test session and copied for each test module: a synthetic
territory with a planted theme (whose documents carry hostile markup), monthly indicator series with one
anomaly, four analysed weeks; and the real components the report tests use (SMTP server on loopback)."""

from __future__ import annotations

import asyncio
import csv
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select

from signals import pipeline
from signals.core.schema import Document, Evidence
from signals.core.settings import Settings
from signals.core.store import Store
from signals.demo.synthetic import Plant, synthetic_corpus
from signals.demo.themes import EMERGING
from signals.stages.importer import import_file
from tests import pgserver
from tests.conftest import COMMUNES, workspace_settings, write_jsonl

FIRST = date(2025, 1, 6)
WEEK = FIRST + timedelta(weeks=29)  # the brief's week (2025-W31)
QUARTER = "2025Q3"
HOSTILE_TITLE = "<script>window.__pwned=1</script>"
HOSTILE_TEXT = '<img src=x onerror="window.__pwned=2">'
HOSTILE_URL = "javascript:window.__pwned=3"
ANOMALY = (COMMUNES[1], date(2025, 7, 1))  # tourism nights halved that month
REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"


def _observations(path: Path) -> Path:
    """Monthly tourism nights and visitors of three communes, Oct 2021 to Sep 2025 (four years: the series
    detector watches a monthly series once it has seen three summers), summer peaks, 5 % noise."""
    rng = np.random.default_rng(5)
    rows = []
    for c, commune in enumerate(COMMUNES[:3]):
        for m in range(48):
            month = date(2021 + (9 + m) // 12, (9 + m) % 12 + 1, 1)
            season = 1.0 + 0.8 * (month.month in (7, 8)) + 0.3 * (month.month in (6, 9))
            nights = round((4000 + 1500 * c) * season * (1 + 0.01 * m) * rng.lognormal(0, 0.05))
            if (commune, month) == ANOMALY:
                nights //= 2
            rows.append(
                ("tourisme.nuitees/" + commune.lower(), month.isoformat(), nights, "nuitées", commune)
            )
            rows.append(
                (
                    "tourisme.visiteurs/" + commune.lower(),
                    month.isoformat(),
                    nights // 3,
                    "visiteurs",
                    commune,
                )
            )
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["series", "period", "value", "unit", "territory"])
        writer.writerows(rows)
    return path


def _build(folder: Path) -> None:
    settings = workspace_settings(folder)
    store = Store.open(settings)
    corpus = synthetic_corpus(
        weeks=32,
        per_week=40,
        first_monday=FIRST,
        communes=COMMUNES,
        seed=21,
        plants=[Plant(EMERGING[0], onset=26, start_rate=2.0, growth=1.3)],
    )
    for i, record in enumerate(corpus.records):
        record["url"] = f"https://presse.example.fr/article/{i}"
        if "punaises de lit" in record["text"].lower():  # every document of the planted theme is hostile
            record["title"] += " " + HOSTILE_TITLE
            record["text"] = f"Les punaises de lit {HOSTILE_TEXT} inquiètent les habitants. " + record["text"]
    import_file(store, settings, write_jsonl(folder / "corpus.jsonl", corpus.records))
    import_file(store, settings, _observations(folder / "observations.csv"))
    pipeline.replay(store, settings, WEEK - timedelta(weeks=3), WEEK + timedelta(days=6))
    # A collector let a script URL through: the reports must still never make it a link.
    with store.session() as session:
        cited = session.scalars(
            select(Evidence.document_id)
            .where(Evidence.document_id.is_not(None))
            .order_by(Evidence.signal_id, Evidence.rank)
            .limit(1)
        ).one()
        session.get(Document, cited).url = HOSTILE_URL
    store.close()
    if settings.database_url:  # the PostgreSQL run: copies are made from this database
        (folder / "database-url").write_text(settings.database_url)


def analysed_home(tmp_path_factory: Any, name: str, **overrides: Any) -> Settings:
    """A private copy of the session's analysed store, as settings (recipients and overrides applied)."""
    template = tmp_path_factory.getbasetemp() / "reports-template"
    if not (template / "ready").exists():
        shutil.rmtree(template, ignore_errors=True)
        template.mkdir()
        _build(template)
        (template / "ready").touch()
    folder = tmp_path_factory.mktemp(name)
    shutil.copytree(template, folder, dirs_exist_ok=True)
    template_database = template / "database-url"
    if template_database.exists():
        overrides = {"database_url": pgserver.active.create(template_database.read_text())} | overrides
    values = {
        "home": folder / "var",
        "sources_file": folder / "sources.yaml",
        "recipients": ["veille@example.fr", "élus@example.fr"],
        "embedding_model": "hashing",  # as the template was built
    }
    return Settings(**(values | overrides))


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps what it accepts; ``reply`` makes it refuse every message instead."""

    messages: list[bytes] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    refused: int = 0
    reply: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd API)
        await asyncio.sleep(0)
        with self.lock:
            if self.reply:
                self.refused += 1
                return self.reply
            self.messages.append(envelope.original_content or envelope.content)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 2.0.0 Message accepted for delivery"


@contextmanager
def published(tmp_path_factory: Any, name: str) -> Iterator[tuple[Settings, Store, Any, Any]]:
    """An analysed home whose brief of ``WEEK`` was sent and whose ``QUARTER`` report was rendered."""
    settings = analysed_home(tmp_path_factory, name)
    store = Store.open(settings)
    try:
        brief = pipeline.brief(store, settings, WEEK, send=True)
        report = pipeline.quarterly_report(store, settings, QUARTER)
        yield settings, store, brief, report
    finally:
        store.close()
