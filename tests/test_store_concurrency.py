"""Concurrent writers on one store: several processes storing the same documents and observations at
once (as collector workers of overlapping sources do) lose nothing and duplicate nothing, on SQLite and on
PostgreSQL (the suite's `--store postgresql` run)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from signals.core.schema import Document, Observation, Sighting
from signals.core.store import Store
from tests.conftest import child_environment

REPO = Path(__file__).resolve().parents[1]
DOCUMENTS, MONTHS, WRITERS = 240, 24, 3

# One collector-like writer: its own source, the same articles as the others (same URLs, same texts), in
# batches, starting at the same instant as the others so that their transactions overlap.
WRITER = """
import json, sys, time
from datetime import UTC, date, datetime, timedelta
from signals.core.settings import load_settings
from signals.core.store import NewDocument, NewObservation, Store
from collectors.storage import StoreWriter

source, start, documents, months = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
store = Store.open(load_settings(), migrate=False)
time.sleep(max(0.0, start - time.time()))
outcomes = {}
with store.session(write=True) as session:  # as collectors/crawl.py opens it
    writer = StoreWriter(store, session, batch_size=40, max_age_s=60)
    for i in range(documents):
        day = datetime(2026, 1, 1, 12, tzinfo=UTC) + timedelta(hours=i)
        url = f"https://presse.example.fr/article/{i}"
        doc = NewDocument(source=source, title=f"Article {i}", text=f"Texte de l'article {i}.", published_at=day, url=url)
        _, outcome = writer.add_document(doc)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if i % 10 == 0:
            month = date(2024 + (i // 10) // 12, (i // 10) % 12 + 1, 1)
            writer.upsert_observation(NewObservation("tourisme.nuitees", month, float(i), source=source))
    writer.commit()
print(json.dumps(outcomes))
"""


def test_writers_storing_the_same_items_at_once_store_each_once_with_every_sighting(settings):
    with Store.open(settings) as store, store.session() as session:  # migrated, sources declared
        for n in range(WRITERS):
            store.source_id(session, f"echo-{n}")
    env = child_environment(settings)
    env["PYTHONPATH"] = str(REPO)
    start = time.time() + 3.0
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, f"echo-{n}", str(start), str(DOCUMENTS), str(MONTHS)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(WRITERS)
    ]
    results = [w.communicate(timeout=240) for w in writers]
    for writer, (_, err) in zip(writers, results, strict=True):
        assert writer.returncode == 0, err[-3000:]
    outcomes = [json.loads(out) for out, _ in results]
    assert sum(o.get("new", 0) for o in outcomes) == DOCUMENTS  # each article is new for exactly one writer
    assert all(sum(o.values()) == DOCUMENTS for o in outcomes)  # and every writer saw all of them

    with Store.open(settings, migrate=False) as store, store.session() as session:
        assert session.scalar(select(func.count()).select_from(Document)) == DOCUMENTS
        per_document = session.execute(
            select(Sighting.document_id, func.count()).group_by(Sighting.document_id)
        ).all()
        assert len(per_document) == DOCUMENTS and {n for _, n in per_document} == {WRITERS}
        assert session.scalar(select(func.count()).select_from(Observation)) == MONTHS
