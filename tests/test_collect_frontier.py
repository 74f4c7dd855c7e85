"""The crawl frontier shared through Redis: several collector workers on one crawl lose no request when one
is killed, store every page once, keep a domain's delay between them, and `signals collect --workers N`
reports per source like the single-process collect. Real redis-server, HTTP server, store (both stores)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import select
from typer.testing import CliRunner

from bench.frontier import generated_site, site_source, stored
from collectors.run import prepare_job
from collectors.workers import publish_crawl, retire_crawl
from signals.cli import app
from signals.core.errors import UserError
from signals.core.schema import Run
from signals.core.settings import FrontierSettings, Settings
from signals.core.sources import SourcesFile, Territory, dump_sources
from signals.core.store import Store
from tests.conftest import home_environment
from tests.redisserver import redis_server
from tests.sitefixtures import crawl_settings

WAIT_S = 300  # the workers of one test, on a loaded machine


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


def _settings(home: Path, redis_url: str, prefix: str, **collect: object) -> Settings:
    # a loaded machine runs three crawl processes and the server: patient, as a real crawl is
    settings = crawl_settings(home, **({"timeout_s": 30, "retries": 2} | collect))
    settings.frontier = FrontierSettings(redis_url=redis_url, key_prefix=prefix, lease_s=3, heartbeat_s=1)
    return settings


def _start_workers(folder: Path, settings: Settings, source: object, count: int) -> tuple[str, list]:
    """``count`` crawl processes, workers of one published crawl of ``source``."""
    with Store.open(settings) as store, store.session() as session:
        store.sync_sources(session, [source])
    client = redis.Redis.from_url(settings.frontier.redis_url)
    crawl_id = publish_crawl(client, settings.frontier, [source], Territory())
    processes = []
    for n in range(count):
        (folder / f"w{n}").mkdir()
        job = prepare_job(folder / f"w{n}", settings, [source], frontier_crawl=crawl_id)
        processes.append(
            subprocess.Popen(job.command, env=job.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        )
    return crawl_id, processes


def _runs(settings: Settings) -> list[Run]:
    with Store.open(settings, migrate=False) as store, store.session() as session:
        return list(session.scalars(select(Run).where(Run.stage == "collect")).all())


def _leased_by(client: redis.Redis, prefix: str, pid: int) -> int:
    """Requests the worker process ``pid`` holds leased right now."""
    keys = [k for k in client.scan_iter(match=f"{prefix}:crawl:*:leased:*:{pid}:*")]
    return sum(client.zcard(k) for k in keys)


def _open_once_started(settings: Settings, count: int, opened: threading.Event) -> None:
    """Opens the site once ``count`` workers have started their crawl: on a loaded machine, one that
    starts late would otherwise find the crawl already done by the others."""
    deadline = time.monotonic() + WAIT_S
    while len(_runs(settings)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    opened.set()


def test_a_worker_killed_mid_crawl_loses_nothing_and_every_page_is_stored_once(tmp_path, redis_url):
    articles, prefix = 300, "kill"
    settings = _settings(tmp_path / "home", redis_url, prefix)
    client = redis.Redis.from_url(redis_url)
    opened = threading.Event()
    with generated_site(articles, delay_s=0.02, opened=opened) as (base_url, log):
        source = site_source(base_url, articles)
        crawl_id, workers = _start_workers(tmp_path, settings, source, 3)
        try:
            _open_once_started(settings, len(workers), opened)
            victim, deadline = None, time.monotonic() + WAIT_S
            while victim is None:  # a worker frozen while it holds requests, mid-crawl, then killed
                assert time.monotonic() < deadline, "the crawl never got going"
                assert len(log.paths("/article/")) < articles, "no worker held a request mid-crawl"
                if len(log.paths("/article/")) >= 40:
                    for worker in (w for w in workers if w.poll() is None):
                        os.kill(worker.pid, signal.SIGSTOP)
                        if _leased_by(client, prefix, worker.pid):
                            victim = worker
                            break
                        os.kill(worker.pid, signal.SIGCONT)
                time.sleep(0.05)
            held = _leased_by(client, prefix, victim.pid)
            victim.kill()
            victim.wait()
            for worker in (w for w in workers if w is not victim):
                _, err = worker.communicate(timeout=WAIT_S)
                assert worker.returncode == 0, err.decode()[-3000:]
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.kill()
                    worker.wait()
            retire_crawl(client, settings.frontier, crawl_id)
        served = log.paths("/article/")

    assert held > 0 and _leased_by(client, prefix, victim.pid) == 0  # its leases went back to the others
    counts = stored(settings)
    assert counts == {"documents": articles, "urls": articles, "sightings": articles}
    assert len(set(served)) == articles and len(served) >= articles
    with Store.open(settings, migrate=False) as store, store.session() as session:
        runs = session.scalars(select(Run).where(Run.stage == "collect")).all()
    finished = [r for r in runs if r.pid != victim.pid]
    assert len(finished) == 2 and all(r.status == "ok" for r in finished)
    assert sum(r.counts.get("new", 0) for r in runs) <= articles


def test_workers_together_keep_a_domains_download_delay(tmp_path, redis_url):
    articles, delay = 40, 0.25
    settings = _settings(
        tmp_path / "home", redis_url, "polite", download_delay_s=delay, concurrency_per_domain=2
    )
    opened = threading.Event()  # the site answers once both workers are crawling: they start together
    with generated_site(articles, opened=opened) as (base_url, log):
        source = site_source(base_url, articles)
        crawl_id, workers = _start_workers(tmp_path, settings, source, 2)
        try:
            _open_once_started(settings, len(workers), opened)
            for worker in workers:
                _, err = worker.communicate(timeout=WAIT_S)
                assert worker.returncode == 0, err.decode()[-3000:]
        finally:
            retire_crawl(redis.Redis.from_url(redis_url), settings.frontier, crawl_id)
        times = sorted(t for t, _ in log.requests)

    assert stored(settings)["documents"] == articles
    runs = _runs(settings)
    shares = [r.counts.get("items", 0) for r in runs]
    assert len(shares) == 2 and min(shares) > 0, shares  # both workers downloaded
    # Whoever sent them, requests reached the site at one worker's rate at most: one per delay on average,
    # never two closer than half the delay (one Scrapy worker randomises its delay between 0.5 and 1.5 x;
    # a request may leave its worker a little after taking the gate, so arrivals jitter by that much).
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    assert len(times) >= articles + 1
    assert sum(gaps) / len(gaps) >= delay * 0.95 and min(gaps) >= delay / 2, gaps


def test_collect_with_two_workers_reports_each_source_like_one_process(tmp_path, redis_url):
    articles = 60
    settings = _settings(tmp_path / "home", redis_url, "cli")
    runner = CliRunner()
    with generated_site(articles) as (base_url, _log):
        sources = tmp_path / "sources.yaml"
        dump_sources(
            SourcesFile(territory=Territory(name="Val de Test"), sources=[site_source(base_url, articles)]),
            sources,
        )
        settings.sources_file = sources
        env = home_environment(settings) | {
            "SIGNALS_FRONTIER__REDIS_URL": redis_url,
            "SIGNALS_FRONTIER__KEY_PREFIX": "cli",
            "SIGNALS_COLLECT__DOWNLOAD_DELAY_S": "0",
            "SIGNALS_COLLECT__AUTOTHROTTLE": "false",
            "SIGNALS_EMBEDDING_MODEL": "hashing",
        }
        result = runner.invoke(app, ["collect", "--workers", "2", "--json"], env=env)
        assert result.exit_code == 0, result.output
        again = runner.invoke(app, ["collect", "--workers", "2"], env=env)
        assert again.exit_code == 0, again.output

    (first,) = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert first["source"] == "presse-generee" and first["status"] == "ok"
    assert first["counts"]["new"] == articles and first["counts"]["items"] == articles
    # nothing new the second time: the source succeeded with 0 new documents
    assert re.search(r"presse-generee +│ réussie +│ 0 ", again.output), again.output
    assert stored(settings)["documents"] == articles
    with Store.open(settings, migrate=False) as store, store.session() as session:
        runs = session.scalars(select(Run).where(Run.stage == "collect")).all()
    assert len(runs) == 4 and sum(r.counts.get("new", 0) for r in runs) == articles


def test_a_worker_with_no_published_crawl_says_so(tmp_path, redis_url):
    env = {"SIGNALS_HOME": str(tmp_path / "home"), "SIGNALS_FRONTIER__REDIS_URL": redis_url}
    env["SIGNALS_FRONTIER__KEY_PREFIX"] = "idle"
    result = CliRunner().invoke(app, ["worker", "collect"], env=env)
    assert result.exit_code == 0 and "aucune collecte publiée sur la frontière" in result.output
    missing = CliRunner().invoke(
        app, ["collect", "--workers", "2"], env={"SIGNALS_HOME": str(tmp_path / "h")}
    )
    assert isinstance(missing.exception, UserError) and "SIGNALS_FRONTIER__REDIS_URL" in str(
        missing.exception
    )
