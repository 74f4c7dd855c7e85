"""An analysed store of many documents for the web benchmark, built in minutes by bulk inserts.

Running the pipeline over 200 000 documents would take hours; the console only reads what the analysis
leaves, so this fills the project's own schema (``signals.core.schema``, migrated by ``Store.migrate``,
its SQLite FTS5 index kept by the migration's triggers) directly, with the volumes a territory's two years
would leave:

- documents over ``weeks`` weeks (a volume that grows slowly), French local news drawn from the demo's banks
  (``signals.demo.specs``: the recurring themes, the emerging ones, their fillers and communes) with the
  demo's writer (``signals.demo.engine.Writer``); each document two articles of one theme and a generic
  sentence, with its sighting, and one in ten seen again at a second source (a wire copy);
- signals of every kind followed over up to 30 weeks, each week's row with the metrics the analysis writes
  (``signals.stages.analysis._explain``: counts, degrees, quadrant, keywords, 26 weekly counts, communes,
  sources), the signal's cited documents (up to several hundred, from its theme's recent documents) and a
  little feedback.

The store is cached as ``<store_dir>/web-<documents>-v<VERSION>.db``: built once into a temporary file and
renamed when complete, so an interrupted build is never reused.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as folder:
...     path = build(Path(folder), documents=600, weeks=12)
...     counts = sqlite3.connect(path).execute("SELECT count(*) FROM documents").fetchone()
>>> counts
(600,)
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import insert

from signals.core.schema import Document, Evidence, Feedback, Sighting, Signal, SignalWeek, Source
from signals.core.store import Store
from signals.demo.engine import Writer
from signals.demo.specs import Theme, load_demo, load_local_news, load_themes

VERSION = 2
ARTICLES_PER_THEME = 150  # distinct articles drawn per theme; documents pair them
BATCH = 5000
SOURCE_KINDS = (("rss", 12), ("listing", 6), ("consultation", 3), ("series", 2), ("import", 1))
SIGNAL_KINDS = ("term_burst",) * 7 + ("emerging_topic",) * 2 + ("anomaly", "forecast_break")
SPARKLINE_WEEKS = 26  # as signals.stages.evidence
RECENT_WEEKS = 4


@dataclass
class Bank:
    """Articles ready to pair, per theme: (title, text) pairs, and the theme's words for keywords."""

    themes: list[Theme]
    articles: list[list[tuple[str, str]]]
    words: list[list[str]]


def _bank(writer: Writer, communes: list[str]) -> Bank:
    news, extra = load_local_news(), load_themes()
    themes = [*news.recurring, *extra.emerging, *extra.decoys, *extra.lasting, *extra.returning]
    articles, words = [], []
    for theme in themes:
        drawn = []
        for _ in range(ARTICLES_PER_THEME):
            commune = communes[int(writer.rng.integers(len(communes)))]
            drawn.append(writer.article(theme, commune, n_theme=3, n_generic=1))
        articles.append(drawn)
        counts = Counter(
            w.strip(".,:;!?«»()").lower()
            for s in theme.sentences + theme.titles
            for w in s.split()
            if len(w) > 6 and "{" not in w
        )
        words.append([w for w, _ in counts.most_common(12)])
    return Bank(themes, articles, words)


def _sources(session: Any) -> list[tuple[int, str]]:
    rows = [
        {"name": f"{kind}-{i + 1:02d}", "kind": kind, "url": f"https://bench.example/{kind}/{i + 1}"}
        for kind, n in SOURCE_KINDS
        for i in range(n)
    ]
    session.execute(insert(Source), rows)
    return [(s.id, s.kind) for s in session.query(Source).order_by(Source.id)]


def _documents(
    store: Store,
    rng: np.random.Generator,
    bank: Bank,
    communes: list[str],
    documents: int,
    first: date,
    weeks: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Insert the documents and sightings; returns each document's id, week and theme."""
    growth = np.linspace(0.8, 1.2, weeks)
    week_of = np.sort(rng.choice(weeks, size=documents, p=growth / growth.sum()))
    # themes: the recurring ones everywhere, the others in bursts of a few months
    n_themes = len(bank.themes)
    recurring = len(load_local_news().recurring)
    theme_of = rng.integers(0, recurring, size=documents)
    burst_starts = rng.integers(0, max(weeks - 8, 1), size=n_themes)
    bursty = rng.random(documents) < 0.3
    candidates = rng.integers(recurring, n_themes, size=documents)
    in_burst = (week_of >= burst_starts[candidates]) & (week_of < burst_starts[candidates] + 20)
    theme_of = np.where(bursty & in_burst, candidates, theme_of)
    with store.session() as session:
        sources = _sources(session)
    generic = load_local_news().generic
    ids = np.arange(1, documents + 1)
    for start in range(0, documents, BATCH):
        docs, sightings = [], []
        for i in range(start, min(start + BATCH, documents)):
            theme = int(theme_of[i])
            pool = bank.articles[theme]
            a, b = pool[int(rng.integers(len(pool)))], pool[int(rng.integers(len(pool)))]
            title, body = a
            text = f"{body} {generic[int(rng.integers(len(generic)))]} {b[1]}"
            commune = communes[int(rng.integers(len(communes)))]
            source_id, kind = sources[int(rng.integers(len(sources)))]
            published = datetime.combine(
                first + timedelta(weeks=int(week_of[i]), days=int(rng.integers(7))),
                datetime.min.time(),
                tzinfo=UTC,
            ) + timedelta(minutes=int(rng.integers(6 * 60, 21 * 60)))
            url = f"https://bench.example/{kind}/{source_id}/{i + 1}"
            docs.append(
                {
                    "id": i + 1,
                    "source_id": source_id,
                    "url": url,
                    "title": title,
                    "text": text,
                    "published_at": published,
                    "collected_at": published + timedelta(hours=2),
                    "language": "fr",
                    "territory": commune,
                    "content_hash": hashlib.sha256(f"{i}:{text}".encode()).hexdigest(),
                    "extra": {},
                }
            )
            sightings.append(
                {
                    "document_id": i + 1,
                    "source_id": source_id,
                    "url": url,
                    "territory": commune,
                    "seen_at": published,
                }
            )
            if rng.random() < 0.1:  # a wire copy at another source
                other, other_kind = sources[int(rng.integers(len(sources)))]
                if other != source_id:
                    sightings.append(
                        {
                            "document_id": i + 1,
                            "source_id": other,
                            "url": f"https://bench.example/{other_kind}/{other}/copie-{i + 1}",
                            "territory": commune,
                            "seen_at": published + timedelta(hours=5),
                        }
                    )
        with store.session() as session:
            session.execute(insert(Document), docs)
            session.execute(insert(Sighting), sightings)
    return ids, week_of, theme_of


def _signals(
    store: Store,
    rng: np.random.Generator,
    bank: Bank,
    docs: tuple[np.ndarray, np.ndarray, np.ndarray],
    communes: list[str],
    first: date,
    weeks: int,
    count: int,
) -> None:
    ids, week_of, theme_of = docs
    totals = np.bincount(week_of, minlength=weeks)
    by_theme_week = np.zeros((len(bank.themes), weeks), dtype=int)
    np.add.at(by_theme_week, (theme_of, week_of), 1)
    quadrants = ("weak", "strong", "latent", "well_known")
    statuses = ("new", "rising", "confirmed", "fading", "dismissed")
    with store.session() as session:
        source_names = [n for (n,) in session.query(Source.name)]
    signal_rows, week_rows, evidence_rows, feedback_rows = [], [], [], []
    for n in range(count):
        kind = SIGNAL_KINDS[int(rng.integers(len(SIGNAL_KINDS)))]
        theme = int(rng.integers(len(bank.themes)))
        words = bank.words[theme] or [bank.themes[theme].name]
        chosen = [words[int(i)] for i in rng.choice(len(words), size=min(3, len(words)), replace=False)]
        length = int(rng.integers(2, 31))
        # a third of the signals are in the last analysed week, the list's volume
        last = weeks - 1 if n % 3 == 0 else int(rng.integers(min(length, weeks - 1), weeks))
        start = max(last - length + 1, min(SPARKLINE_WEEKS, last))  # every signal has a week at least
        share = float(rng.uniform(0.02, 0.6))
        signal_id = n + 1
        territory = (
            communes[int(rng.integers(len(communes)))] if kind in ("anomaly", "forecast_break") else None
        )
        metrics: dict[str, Any] = {}
        for week in range(start, last + 1):
            lo = max(week - SPARKLINE_WEEKS + 1, 0)
            weekly = [
                {
                    "week": (first + timedelta(weeks=w)).isoformat(),
                    "docs": int(by_theme_week[theme, w] * share),
                    "total": int(totals[w]),
                }
                for w in range(lo, week + 1)
            ]
            recent = sum(x["docs"] for x in weekly[-RECENT_WEEKS:])
            metrics = {
                "recent_docs": recent,
                "expected_docs": round(recent * float(rng.uniform(0.3, 0.9)), 2),
                "share": round(recent / max(sum(x["total"] for x in weekly[-RECENT_WEEKS:]), 1), 5),
                "growth": round(float(rng.uniform(1.0, 6.0)), 2),
                "significance": round(float(rng.uniform(2.0, 12.0)), 2),
                "active_weeks": int(sum(1 for x in weekly if x["docs"])),
                "spread": int(rng.integers(1, len(communes) + 1)),
                "communes": {
                    c: int(rng.integers(1, 40))
                    for c in rng.choice(communes, size=int(rng.integers(1, 6)), replace=False)
                },
                "sources": {
                    s: int(rng.integers(1, 30)) for s in rng.choice(source_names, size=3, replace=False)
                },
                "dov": round(float(rng.uniform(0.001, 0.2)), 5),
                "dod": round(float(rng.uniform(0.001, 0.2)), 5),
                "dov_growth": round(float(rng.uniform(0.2, 4.0)), 2),
                "dod_growth": round(float(rng.uniform(0.2, 4.0)), 2),
                "quadrant": quadrants[int(rng.integers(4))],
                "keywords": [{"term": w, "docs": int(rng.integers(5, 400))} for w in chosen],
                "weekly": weekly,
                "first_week": (first + timedelta(weeks=start)).isoformat(),
                "recent_weeks": RECENT_WEEKS,
                "elevated_weeks": int(rng.integers(0, 5)),
                "historical_share": round(float(rng.uniform(0.0, 0.05)), 5),
            }
            week_rows.append(
                {
                    "signal_id": signal_id,
                    "week": first + timedelta(weeks=week),
                    "flagged": bool(rng.random() < 0.7),
                    "status": statuses[min(week - start, len(statuses) - 1) if rng.random() < 0.8 else 0],
                    "score": round(float(rng.uniform(0.5, 20.0)), 3),
                    "metrics": metrics,
                }
            )
        signal_rows.append(
            {
                "id": signal_id,
                "kind": kind,
                "key": f"{kind}:{'-'.join(chosen)}:{n}",
                "subject": " · ".join(chosen),
                "territory": territory,
                "status": week_rows[-1]["status"],
                "score": week_rows[-1]["score"],
                "first_seen": first + timedelta(weeks=start),
                "last_seen": first + timedelta(weeks=last),
                "metrics": metrics,
                "nature": "new",
            }
        )
        # cited documents: the theme's recent documents, up to several hundred for the largest signals
        recent = ids[(theme_of == theme) & (week_of > last - 8) & (week_of <= last)]
        cited = int(min(recent.size, rng.choice([5, 20, 60, 200, 600], p=[0.4, 0.25, 0.2, 0.1, 0.05])))
        for rank, document in enumerate(rng.choice(recent, size=cited, replace=False) if cited else []):
            evidence_rows.append({"signal_id": signal_id, "document_id": int(document), "rank": rank})
        if rng.random() < 0.15:
            for _ in range(int(rng.integers(1, 4))):
                feedback_rows.append(
                    {
                        "signal_id": signal_id,
                        "verdict": ("confirm", "dismiss", "promote")[int(rng.integers(3))],
                        "note": "Vu en réunion de veille.",
                        "author": "equipe",
                        "created_at": datetime.combine(
                            first + timedelta(weeks=last), datetime.min.time(), tzinfo=UTC
                        ),
                    }
                )
    with store.session() as session:
        session.execute(insert(Signal), signal_rows)
        for start in range(0, len(week_rows), BATCH):
            session.execute(insert(SignalWeek), week_rows[start : start + BATCH])
        for start in range(0, len(evidence_rows), BATCH):
            session.execute(insert(Evidence), evidence_rows[start : start + BATCH])
        if feedback_rows:
            session.execute(insert(Feedback), feedback_rows)


def build(
    store_dir: Path, documents: int = 200_000, weeks: int = 104, seed: int = 0, quiet: bool = True
) -> Path:
    """The cached store of ``documents`` documents under ``store_dir`` (built now if missing)."""
    store_dir.mkdir(parents=True, exist_ok=True)
    path = store_dir / f"web-{documents}-w{weeks}-v{VERSION}.db"
    if path.is_file():
        return path
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    news = load_local_news()
    communes = [c.name for c in load_demo().communes]
    writer = Writer(rng, news.fillers, news.generic)
    bank = _bank(writer, communes)
    first = date(2024, 12, 2)  # a Monday, two years before the demo's clock
    store = Store(f"sqlite:///{partial}")
    try:
        store.migrate()
        docs = _documents(store, rng, bank, communes, documents, first, weeks)
        if not quiet:
            print(f"  {documents} documents in {time.perf_counter() - started:.0f} s", flush=True)
        _signals(store, rng, bank, docs, communes, first, weeks, count=max(30, documents // 500))
        with store.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    finally:
        store.close()
    with sqlite3.connect(partial) as db:  # one file: the write-ahead log folded in
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for suffix in ("-wal", "-shm"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
    partial.rename(path)
    if not quiet:
        print(f"  store built in {time.perf_counter() - started:.0f} s: {path}", flush=True)
    return path
