"""Scale-out benchmark, on this machine and loopback only, bounded in size.

1. Ingest into PostgreSQL against SQLite: the collectors' code path (``bench.ingest``: RSS pages of real
   French news, parsing, near-duplicates, storage) into a fresh SQLite file and into a fresh database of a
   throwaway PostgreSQL cluster (Debian's ``postgresql``; or ``--database-url``, a superuser URL), same run.
2. A 20k-page loopback site (2k with ``--quick``) crawled by 1 against 3 workers sharing a Redis frontier.
3. A backfill prepared by 1 against 2 Dask workers (``signals prepare --workers``): terms and e5 embeddings
   of N documents of the news corpus (50k asked, the corpus's 48k distinct texts; 300 with ``--quick``);
   scaling efficiency = t1 / (2 × t2) (a Dask worker computes on one core, so 2 workers are the machine's
   2 cores), the single-process path (torch on both cores) as the baseline, and the CPU seconds (user +
   system) of each path, workers included, which the load of a shared machine changes less than the wall
   time.
4. A projection, with its arithmetic, of the machines needed for 1M new documents a week over a
   50M-document history, from the measured rates.
"""

from __future__ import annotations

import json
import os
import resource
import tempfile
import time
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import emit, parser
from bench.frontier import measure as measure_crawl
from bench.ingest import load_corpus, run_pipeline, write_site

WEEK_DOCS, HISTORY_DOCS = 1_000_000, 50_000_000


def ingest(items: int, database_url: str | None) -> dict[str, Any]:
    from tests.pgserver import Databases, cluster

    with tempfile.TemporaryDirectory(prefix="bench-distributed-") as folder:
        root = Path(folder) / "site"
        site = write_site(root, items)
        (Path(folder) / "sqlite").mkdir()
        sqlite = run_pipeline(root, Path(folder) / "sqlite", site["items"])
        print(f"ingest into SQLite: {sqlite['docs_per_s']} documents/s", flush=True)
        with nullcontext(database_url) if database_url else cluster() as admin:
            databases = Databases(admin)
            try:
                (Path(folder) / "pg").mkdir()
                postgres = run_pipeline(root, Path(folder) / "pg", site["items"], databases.create())
            finally:
                databases.close()
        print(f"ingest into PostgreSQL: {postgres['docs_per_s']} documents/s", flush=True)
    return {
        "items": site["items"],
        "sqlite_docs_per_s": sqlite["docs_per_s"],
        "postgresql_docs_per_s": postgres["docs_per_s"],
        "sqlite_docs_per_cpu_s": sqlite["docs_per_cpu_s"],
        "postgresql_docs_per_cpu_s": postgres["docs_per_cpu_s"],
    }


def stored_features(settings: Any) -> dict[tuple[str, str], bytes]:
    """Every stored feature (terms, vectors), keyed by its document's content hash (ids differ between
    stores): what must be identical whichever path prepared it."""
    from sqlalchemy import select

    from signals.core.schema import Document, DocumentFeatures
    from signals.core.store import Store

    with Store.open(settings, migrate=False) as store, store.session() as session:
        rows = session.execute(
            select(Document.content_hash, DocumentFeatures.kind, DocumentFeatures.data).join(
                DocumentFeatures, DocumentFeatures.document_id == Document.id
            )
        )
        return {(digest, kind): data for digest, kind, data in rows}


def cpu_seconds() -> float:
    """User and system CPU seconds of this process and of its ended children (a local cluster's worker
    processes, once it is closed)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def backfill(documents: int) -> dict[str, Any]:
    """Seconds to prepare the same imported backfill in this process, on 1 and on 2 Dask workers."""
    from signals import pipeline
    from signals.core.settings import Settings
    from signals.core.sources import SourcesFile, Territory, dump_sources
    from signals.core.store import Store
    from signals.stages.importer import import_file
    from signals.stages.topics import embedder_for

    records = load_corpus(documents)
    start = datetime(2025, 1, 6, 8, tzinfo=UTC)  # a year that is over
    with tempfile.TemporaryDirectory(prefix="bench-backfill-") as folder:
        corpus = Path(folder) / "backfill.jsonl"
        with corpus.open("w", encoding="utf-8") as out:
            for i, record in enumerate(records):  # a year of publications, in order
                published = start + timedelta(minutes=i * 525_600 // len(records))
                line = {"title": record["title"], "text": record["text"], "source": "archive"}
                out.write(
                    json.dumps(line | {"published_at": published.isoformat()}, ensure_ascii=False) + "\n"
                )
        as_of = (start + timedelta(days=364)).date()
        sources = Path(folder) / "sources.yaml"
        dump_sources(SourcesFile(territory=Territory(name="Banc d'essai")), sources)
        seconds: dict[str, float] = {}
        cpu: dict[str, float] = {}
        features: dict[str, dict[tuple[str, str], bytes]] = {}
        for label, workers in (("in_process", 0), ("workers_1", 1), ("workers_2", 2)):
            home = Path(folder) / "home"  # one home: the e5 weights are generated once, in its cache
            settings = Settings(
                home=home,
                database_url=f"sqlite:///{Path(folder) / f'{label}.db'}",
                sources_file=sources,
            )
            settings.detection.lookback_weeks = 53
            with Store.open(settings) as store:
                import_file(store, settings, corpus)
                if label == "in_process":  # the model's weights are generated on first use: not timed
                    embedder_for(settings)
                began, cpu_began = time.perf_counter(), cpu_seconds()
                counts = pipeline.prepare(store, settings, as_of=as_of, workers=workers)
                seconds[label] = round(time.perf_counter() - began, 2)
                cpu[label] = round(cpu_seconds() - cpu_began, 1)
            features[label] = stored_features(settings)
            print(
                f"backfill {label}: {counts} in {seconds[label]} s, {cpu[label]} CPU s "
                f"(load {os.getloadavg()[0]:.1f})",
                flush=True,
            )
    efficiency = seconds["workers_1"] / (2 * seconds["workers_2"])
    return {
        "documents": counts["embedded"],
        "seconds": seconds,
        "cpu_seconds": cpu,
        "docs_per_s_2_workers": round(counts["embedded"] / seconds["workers_2"], 1),
        "docs_per_s_in_process": round(counts["embedded"] / seconds["in_process"], 1),
        "scaling_efficiency_2_workers": round(efficiency, 3),
        # the work the second worker adds (its start-up, coordination): on cores nobody else uses, the
        # wall-time efficiency above tends to this; on a shared machine the wall times follow the load
        "cpu_scaling_efficiency_2_workers": round(cpu["workers_1"] / cpu["workers_2"], 3),
        "identical_to_in_process": all(features[k] == features["in_process"] for k in features),
    }


def projection(ingest_figures: dict[str, Any], backfill_figures: dict[str, Any]) -> dict[str, Any]:
    """Machines like this one (2 cores) for 1M new documents a week over a 50M-document history."""
    week_s = 7 * 24 * 3600
    ingest_rate = ingest_figures["postgresql_docs_per_s"]  # one collector process, storing
    # one machine: the faster of its two Dask workers and one process (whose embedder uses both cores)
    prepare_rate = max(backfill_figures["docs_per_s_2_workers"], backfill_figures["docs_per_s_in_process"])
    ingest_share = WEEK_DOCS / ingest_rate / week_s  # of one process, all week long
    prepare_share = WEEK_DOCS / prepare_rate / week_s  # of one 2-core machine
    backfill_days = HISTORY_DOCS / prepare_rate / 86_400  # one machine, preparing the history once
    arithmetic = [
        f"ingest: {WEEK_DOCS:,} documents / {ingest_rate} per s = {WEEK_DOCS / ingest_rate / 3600:.1f} h a week "
        f"= {ingest_share:.1%} of one collector process (network time excluded)",
        f"preparation: {WEEK_DOCS:,} / {prepare_rate} per s = {WEEK_DOCS / prepare_rate / 3600:.1f} h a week "
        f"= {prepare_share:.1%} of one 2-core machine",
        f"history: {HISTORY_DOCS:,} / {prepare_rate} per s = {backfill_days:.0f} days on one machine, "
        f"{backfill_days / 10:.1f} days on 10",
    ]
    for line in arithmetic:
        print("projection:", line, flush=True)
    return {
        "collector_process_share": round(ingest_share, 4),
        "preparation_machine_share": round(prepare_share, 4),
        "history_backfill_machine_days": round(backfill_days, 1),
        "arithmetic": arithmetic,
    }


def main() -> None:
    p = parser(__doc__.split("\n", 1)[0])
    p.add_argument(
        "--database-url", help="superuser URL of a PostgreSQL server (default: a throwaway cluster)"
    )
    p.add_argument("--documents", type=int, help="backfill size (default 50000, 300 with --quick)")
    args = p.parse_args()
    ingest_figures = ingest(600 if args.quick else 20_000, args.database_url)
    backfill_figures = backfill(args.documents or (300 if args.quick else 50_000))
    emit(
        {
            "benchmark": "distributed",
            "quick": args.quick,
            "cores": os.cpu_count(),
            "load_avg_1m": round(os.getloadavg()[0], 2),
            "ingest": ingest_figures,
            "crawl": measure_crawl(500 if args.quick else 20_000),
            "backfill": backfill_figures,
            "projection": projection(ingest_figures, backfill_figures),
        }
    )


if __name__ == "__main__":
    main()
