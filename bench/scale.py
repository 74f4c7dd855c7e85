"""Scale: one weekly incremental analysis of 10k new documents over a 200k-document history, against a full
refit of the topic model on the same data, in the same run; wall time and peak memory.

The weekly analysis is the service's own (``signals.pipeline.analyze``): embeddings of the new documents,
topic assignment and extension, term emergence over the 60-week window, series watching. The refit fits the
topic model on the whole window again, then runs the same detection.

Embeddings: the history's 200k documents are embedded with the lexical ``hashing`` embedder, because the
default e5 model would take about an hour for them on 2 cores; the topic clustering's cost depends on the
number of documents, not on where the vectors come from. The default model's throughput is measured on real
French texts in the same run, and the time it would add to the weekly run is given (``e5_week_embedding_s``):
in service, documents are embedded as they arrive, not all on Monday.

    python -m bench.scale [--quick]
"""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from pathlib import Path
from tempfile import mkdtemp

from bench.common import emit, parser, peak_rss_mb
from signals import pipeline
from signals.demo.synthetic import Plant, synthetic_corpus
from signals.demo.territory import COMMUNES
from signals.demo.themes import EMERGING
from signals.importer import import_file
from signals.settings import Settings
from signals.sources import SourcesFile, Territory, dump_sources
from signals.store import Store

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


def main() -> None:
    args = parser("Weekly incremental analysis vs full refit, at scale").parse_args()
    weeks, per_week = (21, 1000) if args.quick else (21, 10_000)
    home = Path(mkdtemp(prefix="bench-scale-"))
    communes = [c.name for c in COMMUNES]
    dump_sources(
        SourcesFile(territory=Territory(name="Banc d'essai", communes=communes)), home / "sources.yaml"
    )
    settings = Settings(home=home / "var", sources_file=home / "sources.yaml", embedding_model="hashing")
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

    started = time.perf_counter()  # the history as the service would have it: analysed, topics fitted
    pipeline.analyze(store, settings, last_week - timedelta(days=1))
    figures["history_first_analysis_s"] = round(time.perf_counter() - started, 1)

    import_file(store, settings, _write(home / "new.jsonl", new))
    as_of = last_week + timedelta(days=6)
    started = time.perf_counter()
    incremental = pipeline.analyze(store, settings, as_of)
    figures["incremental_s"] = round(time.perf_counter() - started, 1)
    figures["incremental_rss_mb"] = round(peak_rss_mb(), 1)

    started = time.perf_counter()
    with store.session() as session:
        from signals.analysis import detect
        from signals.topics import update_topics

        refit = update_topics(session, settings, as_of, refit=True)
        detect(session, as_of, settings, gazetteer=communes, topic_model_id=refit.model_id)
    figures["refit_s"] = round(time.perf_counter() - started, 1)
    store.close()

    figures.update(
        history_docs=len(history),
        new_docs=len(new),
        window_docs=incremental.documents,
        topics_after_refit=refit.topics,
        speedup=round(figures["refit_s"] / max(figures["incremental_s"], 1e-9), 1),
    )
    e5 = e5_throughput(200 if args.quick else 1000)
    figures["e5_embedding"] = e5
    figures["embedding_docs_per_s"] = e5["docs_per_s"]
    figures["e5_week_embedding_s"] = round(len(new) / max(e5["docs_per_s"], 1e-9), 1)
    figures["peak_rss_mb"] = round(peak_rss_mb(), 1)
    print(
        f"history {len(history)} documents, new week {len(new)}: incremental {figures['incremental_s']} s, "
        f"full refit {figures['refit_s']} s (x{figures['speedup']}), peak RSS {figures['peak_rss_mb']} MB; "
        f"e5-int8 {e5['docs_per_s']} documents/s"
    )
    emit(figures)


if __name__ == "__main__":
    main()
