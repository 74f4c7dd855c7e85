# ruff: noqa: F811 - pytest fixtures imported from tests.sitefixtures are used as arguments
"""Incremental collection: conditional requests, stored URLs skipped, updated figures, and a crawl killed
in the middle that resumes without duplicates or losses.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from pathlib import Path

from sqlalchemy import func, select

from collectors.run import prepare_job
from signals.core.schema import Document, Observation, Run, Sighting, Source
from signals.core.store import Store
from tests.sitefixtures import (  # noqa: F401 - pytest fixtures
    SITES,
    TERRITORY,
    collect,
    collect_home,
    crawl_settings,
    serve_folder,
    sources_from,
)


def count(store: Store, model: type) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)))


def feed(items: list[tuple[int, str]]) -> str:
    body = "".join(
        f"<item><title>Article {n}</title><link>/articles/{page}</link><guid>g{n}</guid>"
        f"<pubDate>Tue, 11 Mar 2025 10:0{n % 10}:00 +0100</pubDate>"
        f"<description>Résumé {n}.</description></item>"
        for n, page in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{body}</channel></rss>'


def test_second_runs_ask_only_for_what_changed(tmp_path: Path, collect_home: Path) -> None:
    root = tmp_path / "site"
    shutil.copytree(SITES / "articles", root / "articles")
    shutil.copytree(SITES / "api", root / "api")
    (root / "feed.xml").write_text(feed([(1, "ok.html"), (2, "latin1.html")]), encoding="utf-8")
    settings = crawl_settings(collect_home)
    with serve_folder(root) as site:
        sources = sources_from(
            [
                {"name": "presse", "kind": "rss", "url": "{base}/feed.xml", "follow_articles": True},
                {"name": "participer", "kind": "consultation", "url": "{base}/api/proposals-1.json"},
            ],
            site.base_url,
        )
        first = collect(settings, sources)
        assert first["presse"].counts["new"] == 2 and first["participer"].counts["new"] == 4

        second = collect(settings, sources)  # nothing changed: the pages answer 304
        assert second["presse"].status == "ok" and second["presse"].counts["not_modified"] == 1
        assert second["participer"].counts["not_modified"] == 1  # page 1 unchanged: nothing more to ask
        assert "new" not in second["presse"].counts
        conditional = site.log.headers_of("/feed.xml")[-1]
        assert conditional.get("if-none-match", "").startswith('"')
        assert len(site.log.paths("/articles/ok.html")) == 1  # never fetched again

        (root / "feed.xml").write_text(
            feed([(3, "broken.html"), (1, "ok.html"), (2, "latin1.html")]), "utf-8"
        )
        data = json.loads((root / "api/proposals-1.json").read_text(encoding="utf-8"))
        data["data"][0]["votes_count"] = 40
        (root / "api/proposals-1.json").write_text(json.dumps(data), encoding="utf-8")
        third = collect(settings, sources)

    assert third["presse"].counts["new"] == 1 and third["presse"].counts["known"] == 2
    assert len(site.log.paths("/articles/ok.html")) == 1 and len(site.log.paths("/articles/broken.html")) == 1
    assert third["participer"].counts["updated"] == 1 and "new" not in third["participer"].counts
    store = Store.open(settings)
    assert count(store, Document) == 7 and count(store, Sighting) == 7
    with store.session() as session:
        votes = session.scalar(
            select(Observation.value).where(
                Observation.series == "participer.votes/fontclaire", Observation.period == date_2025_03()
            )
        )
        proposal = session.scalar(select(Document).where(Document.external_id == "1"))
        assert proposal.extra["votes"] == 40
    assert votes == 40.0  # the monthly total follows the updated proposal


def date_2025_03():  # noqa: ANN201 - tiny helper
    from datetime import date

    return date(2025, 3, 1)


def test_a_killed_crawl_resumes_without_duplicates(tmp_path: Path, collect_home: Path) -> None:
    root = tmp_path / "site"
    (root / "articles").mkdir(parents=True)
    items = []
    for n in range(30):
        (root / "articles" / f"{n}.html").write_text(
            f"<html><body><article><h1>Article {n}</h1><p>Le conseil de Fontclaire a examiné le dossier {n} "
            f"de voirie, puis celui de l'école numéro {n}, avant de voter le budget {n}.</p>"
            "</article></body></html>",
            encoding="utf-8",
        )
        items.append((n, f"../_slow/250/articles/{n}.html"))
    (root / "feed.xml").write_text(feed(items).replace("/articles/../", "/"), encoding="utf-8")
    settings = crawl_settings(collect_home, concurrency_per_domain=2)
    with serve_folder(root) as site:
        sources = sources_from(
            [{"name": "lent", "kind": "rss", "url": "{base}/feed.xml", "follow_articles": True}],
            site.base_url,
        )
        store = Store.open(settings)
        with store.session() as session:
            store.sync_sources(session, sources)
        job = prepare_job(tmp_path, settings, sources, territory=TERRITORY)
        process = subprocess.Popen(
            job.command, env=job.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        while count(store, Document) < 3 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
        process.send_signal(signal.SIGKILL)
        process.wait()
        stored_before = count(store, Document)
        assert 3 <= stored_before < 30, "the crawl was not killed in the middle"

        outcome = collect(settings, sources)["lent"]

    assert outcome.status == "ok"
    assert outcome.counts["new"] == 30 - stored_before and outcome.counts["known"] == stored_before
    assert count(store, Document) == 30 and count(store, Sighting) == 30
    with store.session() as session:
        runs = session.scalars(select(Run).where(Run.target == "lent").order_by(Run.id)).all()
        source = session.scalar(select(Source).where(Source.name == "lent"))
    assert [r.status for r in runs] == ["failed", "ok"]
    assert runs[0].errors[-1]["reason"].startswith("interrompue : le processus ")
    assert source.consecutive_failures == 0 and source.last_success_at is not None
