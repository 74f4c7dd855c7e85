"""Scale: one weekly incremental analysis of 10k new documents over a 200k-document history, against a full
refit of the topic model on the same data, in the same run; wall time and peak memory.

The weekly analysis is the service's own (``signals.pipeline.analyze``): topic assignment and extension, term
emergence over the 60-week window, series watching. The new documents' terms and vectors are computed as they
arrive (``signals.pipeline.prepare``, run after each collection), timed apart (``new_docs_prepare_s``). The refit
is the same analysis with the topic model fitted again on the whole window (``--refit-topics``), run on a copy
of the same database. Each runs in its own process with its libraries already loaded (as in the long-running
service): wall time and the process's own peak memory.

Embeddings: the history's 200k documents are embedded with the lexical ``hashing`` embedder, because the
default e5 model would take about an hour for them on 2 cores; the topic clustering's cost depends on the
number of documents, not on where the vectors come from. The default model's throughput is measured on real
French texts in the same run, and the time it would add to the weekly run is given (``e5_week_embedding_s``):
in service, documents are embedded as they arrive, not all on Monday.

    python -m bench.scale [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from datetime import date, timedelta
from pathlib import Path
from tempfile import mkdtemp

from bench.common import emit, parser, peak_rss_mb
from signals import pipeline
from signals.core.settings import Settings
from signals.core.sources import SourcesFile, Territory, dump_sources
from signals.core.store import Store
from signals.demo.synthetic import Plant, synthetic_corpus
from signals.demo.territory import COMMUNES
from signals.demo.themes import EMERGING
from signals.stages.importer import import_file

FIRST = date(2025, 1, 6)


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    return path


def e5_throughput(n: int) -> dict[str, float]:
    """The default embedder on real titles and leads (news-fr-dev) or, without it, on the demo's texts."""
    from bench.embedding import measure_throughput
    from models.embeddings import make_embedder, prepare_text

    texts = (
        _real_texts(n)
        or [
            prepare_text(r["title"], r["text"])
            for r in synthetic_corpus(weeks=4, per_week=n // 4 + 1, plants=[], seed=3).records
        ][:n]
    )
    embedder = make_embedder("e5-int8", cache_dir=Path(mkdtemp(prefix="bench-e5-")))
    figures, _ = measure_throughput(embedder, texts)
    return figures


def _real_texts(n: int) -> list[str]:
    import gzip

    from bench.common import SHARED_DATA
    from models.embeddings import prepare_text

    path = SHARED_DATA / "news-fr-dev" / "corpus.jsonl.gz"
    if not path.exists():
        return []
    texts = []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            texts.append(prepare_text(record["title"], record["text"]))
            if len(texts) >= n:
                break
    return texts


def _settings(home: Path) -> Settings:
    return Settings(home=home / "var", sources_file=home / "sources.yaml", embedding_model="hashing")


def run_step(step: str, home: Path, as_of: date) -> dict[str, float]:
    """One stage in its own process, as the weekly job runs: its wall time and its own peak memory."""
    import subprocess
    import sys

    command = [
        sys.executable,
        "-m",
        "bench.scale",
        "--step",
        step,
        "--home",
        str(home),
        "--as-of",
        as_of.isoformat(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=3600)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _step(step: str, home: Path, as_of: date) -> None:
    # The weekly analysis runs inside the long-running service (scheduler.py), which has loaded its
    # libraries once: load them before the clock starts, as that process has (BERTopic alone takes 5-8 s).
    import bertopic  # noqa: F401

    import signals.stages.analysis  # noqa: F401
    import signals.stages.series  # noqa: F401
    import signals.stages.topics  # noqa: F401

    settings = _settings(home)
    store = Store.open(settings)
    started = time.perf_counter()
    profile = os.environ.get("BENCH_SCALE_PROFILE")  # a file to write this step's profile to
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        result = profiler.runcall(pipeline.analyze, store, settings, as_of, refit_topics=step == "refit")
        profiler.dump_stats(f"{profile}.{step}")
    else:
        result = pipeline.analyze(store, settings, as_of, refit_topics=step == "refit")
    store.close()
    print(
        json.dumps(
            {
                "window_docs": result.documents,
                "seconds": round(time.perf_counter() - started, 1),
                "peak_rss_mb": round(peak_rss_mb(), 1),
            }
        )
    )


def main() -> None:
    p = parser("Weekly incremental analysis vs full refit, at scale")
    p.add_argument("--step", choices=["analyze", "refit"], help=argparse.SUPPRESS)
    p.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--as-of", type=date.fromisoformat, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.step:
        _step(args.step, args.home, args.as_of)
        return
    weeks, per_week = (21, 1000) if args.quick else (21, 10_000)
    home = Path(mkdtemp(prefix="bench-scale-"))
    communes = [c.name for c in COMMUNES]
    dump_sources(
        SourcesFile(territory=Territory(name="Banc d'essai", communes=communes)), home / "sources.yaml"
    )
    settings = _settings(home)
    store = Store.open(settings)
    figures: dict = {"quick": args.quick}

    started = time.perf_counter()
    plants = [
        Plant(theme, onset=weeks - 4 + i % 3, start_rate=per_week / 400, growth=1.3, cap=per_week / 50)
        for i, theme in enumerate(EMERGING[:4])
    ]
    records = synthetic_corpus(
        weeks, per_week, plants, first_monday=FIRST, communes=communes, seed=5, unique=True
    ).records
    last_week = FIRST + timedelta(weeks=weeks - 1)
    history = [r for r in records if r["published_at"][:10] < last_week.isoformat()]
    new = [r for r in records if r["published_at"][:10] >= last_week.isoformat()]
    import_file(store, settings, _write(home / "history.jsonl", history))
    figures["setup_import_s"] = round(time.perf_counter() - started, 1)
    # The history as the service would have it: analysed week after week, topics fitted.
    first = run_step("analyze", home, last_week - timedelta(days=1))
    figures["history_first_analysis_s"] = first["seconds"]

    import_file(store, settings, _write(home / "new.jsonl", new))
    started = time.perf_counter()  # as in service: each document's terms and vector as it arrives
    pipeline.prepare(store, settings, last_week + timedelta(days=6))
    figures["new_docs_prepare_s"] = round(time.perf_counter() - started, 1)
    store.close()
    # The refit runs on a copy of the same state, so neither run finds the other's work done.
    refit_home = Path(mkdtemp(prefix="bench-scale-refit-"))
    shutil.copytree(home, refit_home, dirs_exist_ok=True)
    as_of = last_week + timedelta(days=6)
    incremental = run_step("analyze", home, as_of)
    refit = run_step("refit", refit_home, as_of)
    figures.update(
        history_docs=len(history),
        new_docs=len(new),
        window_docs=incremental["window_docs"],
        incremental_s=incremental["seconds"],
        incremental_peak_rss_mb=incremental["peak_rss_mb"],
        refit_s=refit["seconds"],
        refit_peak_rss_mb=refit["peak_rss_mb"],
        speedup=round(refit["seconds"] / max(incremental["seconds"], 1e-9), 1),
    )
    e5 = e5_throughput(200 if args.quick else 1000)
    figures["e5_embedding"] = e5
    figures["embedding_docs_per_s"] = e5["docs_per_s"]
    figures["e5_week_embedding_s"] = round(len(new) / max(e5["docs_per_s"], 1e-9), 1)
    figures["peak_rss_mb"] = incremental["peak_rss_mb"]  # the weekly run's; the refit's is refit_peak_rss_mb
    print(
        f"history {len(history)} documents, new week {len(new)}: incremental {figures['incremental_s']} s "
        f"({figures['incremental_peak_rss_mb']} MB), full refit {figures['refit_s']} s "
        f"({figures['refit_peak_rss_mb']} MB), x{figures['speedup']}; e5-int8 {e5['docs_per_s']} documents/s"
    )
    emit(figures)


if __name__ == "__main__":
    main()
