# ruff: noqa: F811 - pytest fixtures imported from tests.sitefixtures are used as arguments
"""How the collectors behave as a whole: preview without storing, politeness (user agent, robots.txt,
per-domain concurrency, retries with backoff, time budget), crashes reported as failed outcomes, no network
beyond the sources' hosts, and source health.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from signals.core.schema import Run, Source
from signals.core.sources import RssSource
from signals.core.store import Store
from signals.stages.health import source_health
from tests.sitefixtures import (  # noqa: F401 - pytest fixtures
    FIXTURES,
    Site,
    collect,
    collect_home,
    crawl_settings,
    dead_url,
    http_site,
    serve_folder,
    sources_from,
)

HOOKS = FIXTURES / "pyhooks"


def test_preview_shows_items_and_stores_nothing(http_site: Site, collect_home: Path) -> None:
    settings = crawl_settings(collect_home)
    sources = sources_from(
        [
            {"name": "presse", "kind": "rss", "url": "{base}/feeds/rss-follow.xml", "follow_articles": True},
            {"name": "communes", "kind": "rss", "url": "{base}/feeds/rss-communes.xml"},
            {"name": "donnees", "kind": "series", "url": "{base}/data/missing.csv", "series": "t.m",
             "columns": {"period": "Mois", "value": "Nuitées", "territory": "Commune"}},
            {"name": "mort", "kind": "rss", "url": dead_url()},
        ],
        http_site.base_url,
    )  # fmt: skip
    outcomes = collect(settings, sources, preview=True, preview_limit=2)

    assert not collect_home.exists()  # no database, no log, no cache: nothing written
    presse = outcomes["presse"]
    assert presse.run_id is None and presse.status == "partial"
    accepted = [i for i in presse.items if "rejected" not in i]
    assert len(accepted) == 2  # stopped at the limit
    assert all(i["title"] and i["date"] and i["text_length"] > 0 and i["url"] for i in accepted)
    communes = [i["commune"] for i in outcomes["communes"].items]
    assert communes == ["Montclar-le-Haut", "Saint-Aubin-des-Prés"]
    assert (
        any("pas de date utilisable" in p for i in outcomes["communes"].items for p in i["problems"]) is False
    )
    rejected = [i for i in outcomes["donnees"].items if i.get("rejected")]
    assert {i["rejected"] for i in rejected} == {"missing_value"} and rejected[0]["problems"][0].startswith(
        "pas de valeur pour 2025-"
    )
    assert outcomes["mort"].status == "failed" and outcomes["mort"].error.startswith(
        "connexion impossible à "
    )


def test_politeness(tmp_path: Path, collect_home: Path) -> None:
    root = tmp_path / "site"
    shutil.copytree(FIXTURES / "sites", root)
    slow = "".join(
        f'<li class="d"><a href="/_slow/300/deliberations/pdf/2025-01{n}.pdf">D {n}</a></li>'
        for n in range(2, 7)
    )
    (root / "lente.html").write_text(f"<html><body><ul>{slow}</ul></body></html>", encoding="utf-8")
    settings = crawl_settings(collect_home, concurrency_per_domain=2, retries=1)
    with serve_folder(root) as site:
        sources = sources_from(
            [
                {"name": "lente", "kind": "listing", "url": "{base}/lente.html", "item_selector": "li.d"},
                {"name": "capricieux", "kind": "rss", "url": "{base}/_flaky/1/feeds/rss-bom.xml"},
                {
                    "name": "budget",
                    "kind": "rss",
                    "url": "{base}/_slow/1200/feeds/rss-paged-1.xml",
                    "time_budget_s": 2,
                },
            ],
            site.base_url,
        )
        outcomes = collect(settings, sources)
    requests = site.log.requests
    assert requests[0][0] == "/robots.txt"
    assert {headers.get("user-agent") for _path, headers in requests} == {settings.collect.user_agent}
    assert site.log.max_in_flight <= 2  # CONCURRENT_REQUESTS_PER_DOMAIN from collect.concurrency_per_domain
    assert outcomes["lente"].counts["new"] == 5
    assert outcomes["capricieux"].status == "ok" and len(site.log.paths("/_flaky/1/")) == 2  # one retry
    budget = outcomes["budget"]
    assert budget.counts["truncated"] == "budget de temps épuisé" and budget.counts.get("new", 0) < 6
    assert budget.counts["complete"] is False


def test_a_crashing_crawl_process_is_a_failed_outcome(
    http_site: Site, collect_home: Path, monkeypatch
) -> None:
    settings = crawl_settings(collect_home)
    monkeypatch.setenv("PYTHONPATH", str(HOOKS))
    monkeypatch.setenv("SIGNALS_TEST_CRASH_AFTER_S", "0.5")
    slow = {"name": "presse", "kind": "rss", "url": "{base}/_slow/3000/feeds/rss-valid.xml"}
    sources = sources_from([slow], http_site.base_url)
    outcome = collect(settings, sources)["presse"]
    assert outcome.status == "failed" and "code 70" in outcome.error and "\n" not in outcome.error
    store = Store.open(settings)
    with store.session() as session:
        source = session.scalar(select(Source).where(Source.name == "presse"))
        runs = session.scalars(select(Run).where(Run.stage == "collect")).all()
    assert source.consecutive_failures == 1
    assert all(r.status == "failed" for r in runs)  # no run left "running"


CRAWL_SCRIPT = """
import json, sys
from pathlib import Path
from tests.sitefixtures import SITES, collect, crawl_settings, serve_folder, sources_from
with serve_folder(SITES) as site:
    sources = sources_from(json.loads(sys.argv[2]), site.base_url)
    outcomes = collect(crawl_settings(Path(sys.argv[1])), sources)
print(json.dumps({name: outcome.counts for name, outcome in outcomes.items()}))
"""


def isolated_network() -> list[str]:
    """A command prefix running in a network namespace with only a loopback, when the system allows it."""
    if (
        shutil.which("unshare")
        and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0
    ):
        return ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$0" "$@"']
    return []


def test_no_network_beyond_the_sources(tmp_path: Path) -> None:
    """A crawl using every library (feedparser, trafilatura, pypdf, dateparser, langid, tldextract through
    a cookie) connects to nothing but the source's host: run with no network at all (a namespace with
    only a loopback, when permitted) and with a guard that records any other connection or lookup."""
    journal = tmp_path / "network.log"
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": f"{HOOKS}{os.pathsep}{root}", "SIGNALS_TEST_NETWORK_LOG": str(journal)}
    env.pop("SIGNALS_CONFIG", None)
    control = subprocess.run(
        [
            sys.executable,
            "-c",
            "import tldextract; tldextract.TLDExtract(cache_dir=None)('www.mairie-test.fr')",
        ],
        env={**env, "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "https://publicsuffix.org/list/x.dat"},
        capture_output=True,
    )
    assert control.returncode == 0 and "publicsuffix.org" in journal.read_text()  # the guard sees attempts
    journal.unlink()

    entries = [
        {"name": "cookie", "kind": "rss", "url": "{base}/_cookie/feeds/rss-follow.xml",
         "follow_articles": True},
        {"name": "deliberations", "kind": "listing", "url": "{base}/deliberations/page-2.html",
         "item_selector": "li.deliberation", "date_selector": ".date::text"},
        {"name": "dates", "kind": "rss", "url": "{base}/feeds/rss-odd-dates.xml"},
    ]  # fmt: skip
    script = [sys.executable, "-c", CRAWL_SCRIPT, str(tmp_path / "home"), json.dumps(entries)]
    result = subprocess.run(
        isolated_network() + script, capture_output=True, text=True, cwd=root, env=env, timeout=180
    )
    assert result.returncode == 0, result.stderr[-3000:]
    counts = json.loads(result.stdout.strip().splitlines()[-1])
    assert counts["cookie"]["articles_read"] == 3 and counts["deliberations"]["new"] == 2
    assert counts["dates"]["new"] == 5
    assert not journal.exists(), journal.read_text()


def test_source_health_marks_repeated_failures_degraded(collect_home: Path) -> None:
    settings = crawl_settings(collect_home, degraded_after_failures=3)
    store = Store.open(settings)
    with store.session() as session:
        store.sync_sources(
            session,
            [
                RssSource(kind="rss", name=n, url=f"http://{n}.example/feed.xml")
                for n in ("stable", "en-panne")
            ],
        )
    from collectors.storage import StoreWriter

    for run, (items, latency) in enumerate([(10, 0.2), (14, 0.4), (12, 0.3)]):
        with store.session() as session:
            writer = StoreWriter(store, session)
            with writer.recording("stable") as recorder:
                recorder.count("items", items)
                recorder.counts["latency_median_s"] = latency
                if run == 0:
                    recorder.reject("http://stable.example/a", "HTTP 404", "http_error")
            writer.record_health("stable", failed=False)
            with writer.recording("en-panne") as recorder:
                recorder.reject("http://en-panne.example/feed.xml", "cannot connect", "unreachable")
                recorder.fail("cannot connect to http://en-panne.example/feed.xml")
            writer.record_health("en-panne", failed=True)
        health = {h.name: h for h in source_health(store, settings)}
        assert health["en-panne"].degraded is (run == 2)  # degraded at the third failure in a row

    stable, broken = health["stable"], health["en-panne"]
    assert (stable.items_per_run, stable.median_latency_s, stable.error_rate) == (12.0, 0.3, 0.0)
    assert stable.rejects_by_reason == {"http_error": 1} and stable.reject_rate == round(1 / 37, 3)
    assert stable.last_success_at is not None and not stable.degraded
    assert broken.error_rate == 1.0 and broken.consecutive_failures == 3 and broken.last_success_at is None
    assert broken.last_error == "cannot connect to http://en-panne.example/feed.xml"
    assert broken.rejects_by_reason == {"unreachable": 3} and broken.last_run_status == "failed"
