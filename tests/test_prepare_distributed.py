"""Preparing a backfill on Dask workers stores exactly what the single-process path stores."""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from bench.distributed import stored_features
from signals import pipeline
from signals.cli import app
from signals.core.schema import Run
from signals.core.store import Store
from signals.demo.synthetic import synthetic_corpus
from signals.stages.compute import batches
from signals.stages.importer import import_file
from tests.conftest import COMMUNES, home_environment, workspace_settings, write_jsonl

FIRST = date(2026, 1, 5)
AS_OF = FIRST + timedelta(weeks=12, days=6)


def _imported_home(folder: Path, corpus: Path):
    settings = workspace_settings(folder)
    with Store.open(settings) as store:
        import_file(store, settings, corpus)
    return settings


def test_two_dask_workers_prepare_the_same_terms_and_vectors_as_one_process(tmp_path):
    records = synthetic_corpus(
        weeks=13, per_week=60, plants=[], first_monday=FIRST, communes=COMMUNES
    ).records
    corpus = write_jsonl(tmp_path / "corpus.jsonl", records)
    here = _imported_home(tmp_path / "here", corpus)
    spread = _imported_home(tmp_path / "spread", corpus)

    with Store.open(here) as store:
        alone = pipeline.prepare(store, here, AS_OF, workers=0)
    with Store.open(spread) as store:
        shared = pipeline.prepare(store, spread, AS_OF, workers=2)

    features = stored_features(here)
    stored = len({digest for digest, _ in features})
    assert alone == shared and alone["terms"] == stored > 700 and alone["embedded"] > 0
    assert len(features) == alone["terms"] + alone["embedded"]
    assert stored_features(spread) == features
    with Store.open(spread, migrate=False) as store, store.session() as session:
        run = session.scalars(select(Run).where(Run.stage == "prepare")).one()
        assert run.status == "ok" and run.counts["workers"] == 2


def test_the_cli_prepares_once_and_refuses_a_negative_worker_count(tmp_path):
    records = synthetic_corpus(weeks=4, per_week=20, plants=[], first_monday=FIRST, communes=COMMUNES).records
    settings = _imported_home(tmp_path / "home", write_jsonl(tmp_path / "corpus.jsonl", records))
    runner, env = CliRunner(), home_environment(settings) | {"SIGNALS_EMBEDDING_MODEL": "hashing"}

    first = runner.invoke(app, ["prepare", "--as-of", "2026-02-01", "--workers", "0"], env=env)
    assert first.exit_code == 0, first.output
    assert re.search(
        r"^termes calculés pour [1-9]\d* documents, plongements pour [1-9]\d*$", first.output, re.M
    )
    again = runner.invoke(app, ["prepare", "--as-of", "2026-02-01"], env=env)
    assert again.exit_code == 0 and re.search(
        r"^termes calculés pour 0 document, plongements pour 0$", again.output, re.M
    )

    refused = runner.invoke(app, ["prepare", "--workers", "-1"], env=env)
    assert refused.exit_code == 2 and "--workers" in refused.output


def test_a_local_cluster_keeps_batches_in_order_on_one_thread_each_without_dasks_malloc_setting(tmp_path):
    settings = workspace_settings(tmp_path)
    with batches(settings, workers=1) as mapper:
        # more batches than are kept in flight at once: taken as the worker needs them, returned in order
        assert list(mapper.map(sum, ([i, i] for i in range(20)))) == [2 * i for i in range(20)]
        assert mapper.workers == 1 and mapper.task_threads == 1
        # Dask's MALLOC_TRIM_THRESHOLD_ turns glibc's adaptive mmap threshold off: page faults galore
        environment = mapper.client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
        assert list(environment.values()) == [None]
