"""The crawl frontier shared through Redis: a generated loopback site crawled by 1 worker against 3.

A small threaded HTTP server on 127.0.0.1 generates a press site: listing pages of 50 articles each,
linked by "next" links, and the article pages (French text, each one unique). One ``listing`` source reads
it all (no item cap, no time budget). The same crawl runs with 1 then 3 worker processes sharing a
throwaway ``redis-server`` (``collectors.workers.crawl_with_workers``, what ``signals collect --workers N``
runs), each into a fresh database of a throwaway PostgreSQL cluster (the store several workers need;
``--store sqlite``: fresh SQLite files, whose writers take turns). Reported: wall time, pages/s, documents stored, duplicates (a
document stored twice, or a page missing: must be 0), requests the server answered.

Politeness: the site is one loopback domain with no download delay (so no per-domain gate) and 8
requests at a time per worker; a real site's delay would bound every worker count to the same rate.
The machine has 2 cores: 3 workers share them with the server, Redis and the SQLite writer.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from functools import partial
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from bench.common import emit, parser

PER_PAGE = 50
COMMUNES = ["Lirac-sur-Lirette", "Saint-Aubin-des-Prés", "Montclar-le-Haut", "Fontclaire"]


class SiteLog:
    """Every request the generated site answered: (monotonic time, path)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[tuple[float, str]] = []

    def paths(self, prefix: str) -> list[str]:
        with self.lock:
            return [path for _, path in self.requests if path.startswith(prefix)]


class GeneratedSite(BaseHTTPRequestHandler):
    """``/list/N.html`` (N from 1 to pages // PER_PAGE, rounded up) and ``/article/I.html``; anything
    else 404 (robots.txt included: everything allowed). ``opened``: listing pages wait (up to a minute) until
    this event is set, so that the workers started meanwhile begin together."""

    def __init__(
        self,
        *args: Any,
        articles: int,
        log: SiteLog,
        delay_s: float = 0.0,
        opened: threading.Event | None = None,
        **kwargs: Any,
    ) -> None:
        self.articles, self.site_log, self.delay_s, self.opened = articles, log, delay_s, opened
        super().__init__(*args, **kwargs)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base class signature
        pass

    def do_GET(self) -> None:  # noqa: N802 - base class name
        with self.site_log.lock:
            self.site_log.requests.append((time.monotonic(), self.path))
        if self.delay_s:
            time.sleep(self.delay_s)
        if self.opened is not None and self.path.startswith("/list/"):
            self.opened.wait(60)
        kind, _, name = self.path.lstrip("/").partition("/")
        number = name.removesuffix(".html")
        body = None
        if number.isdigit():
            if kind == "list":
                body = self._listing(int(number))
            elif kind == "article" and 1 <= int(number) <= self.articles:
                body = _article(int(number))
        status = 200 if body is not None else 404
        data = (body or "<html><body><p>Introuvable</p></body></html>").encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _listing(self, page: int) -> str | None:
        last = -(-self.articles // PER_PAGE)
        if not 1 <= page <= last:
            return None
        first = (page - 1) * PER_PAGE + 1
        items = "".join(
            f'<li class="article"><a href="/article/{i}.html">Dossier {i}</a>'
            f'<span class="date">{1 + i % 28} mars 2026</span></li>'
            for i in range(first, min(first + PER_PAGE, self.articles + 1))
        )
        following = f'<a class="suivant" href="/list/{page + 1}.html">Suivant</a>' if page < last else ""
        return f"<html><body><h1>Actualités, page {page}</h1><ul>{items}</ul>{following}</body></html>"


def _article(i: int) -> str:
    commune = COMMUNES[i % len(COMMUNES)]
    paragraphs = "".join(
        f"<p>Le conseil municipal de {commune} a examiné le dossier numéro {i}, point {n} : la rénovation "
        f"de l'école, le budget de la médiathèque et l'aménagement des berges de la Lirette ({i * 7 + n}).</p>"
        for n in range(1, 4)
    )
    return (
        f"<html><head><title>Dossier {i}</title></head><body><article><h1>Dossier {i}</h1>"
        f"{paragraphs}</article></body></html>"
    )


@contextmanager
def generated_site(
    articles: int, delay_s: float = 0.0, opened: threading.Event | None = None
) -> Iterator[tuple[str, SiteLog]]:
    """The generated site on a free port of 127.0.0.1: (base URL, request log)."""
    from tests.sitefixtures import serving

    log = SiteLog()
    handler = partial(GeneratedSite, articles=articles, log=log, delay_s=delay_s, opened=opened)
    with serving(handler, Path("."), log) as site:  # type: ignore[arg-type]
        yield site.base_url, log


def site_source(base_url: str, articles: int, name: str = "presse-generee") -> Any:
    """The listing source that reads the whole generated site."""
    from signals.core.sources import SourcesFile

    entry = {
        "name": name,
        "kind": "listing",
        "url": f"{base_url}/list/1.html",
        "item_selector": "li.article",
        "title_selector": "a::text",
        "date_selector": ".date::text",
        "next_selector": "a.suivant::attr(href)",
        "max_pages": -(-articles // PER_PAGE) + 1,
        "item_cap": 0,
        "time_budget_s": 0,
    }
    return SourcesFile.model_validate({"sources": [entry]}).sources[0]


def stored(settings: Any) -> dict[str, int]:
    """Documents, distinct URLs and sightings in the store."""
    from sqlalchemy import func, select

    from signals.core.schema import Document, Sighting
    from signals.core.store import Store

    with Store.open(settings, migrate=False) as store, store.session() as session:
        return {
            "documents": int(session.scalar(select(func.count(Document.id))) or 0),
            "urls": int(session.scalar(select(func.count(func.distinct(Document.url)))) or 0),
            "sightings": int(session.scalar(select(func.count(Sighting.id))) or 0),
        }


def crawl_once(
    folder: Path, redis_url: str, articles: int, workers: int, database_url: str | None
) -> dict[str, Any]:
    """One crawl of a fresh generated site by ``workers`` processes into a fresh store (``database_url``,
    else a SQLite file)."""
    from collectors.workers import crawl_with_workers
    from signals.core.settings import CollectSettings, FrontierSettings, Settings
    from signals.core.store import Store

    home = folder / f"workers-{workers}"
    collect = CollectSettings(
        download_delay_s=0, autothrottle=False, concurrency_per_domain=8, retries=1, timeout_s=30
    )
    settings = Settings(
        home=home,
        collect=collect,
        frontier=FrontierSettings(redis_url=redis_url, key_prefix=f"bench{workers}"),
        embedding_model="hashing",
        database_url=database_url,
    )
    with generated_site(articles) as (base_url, log):
        source = site_source(base_url, articles)
        with Store.open(settings) as store, store.session() as session:
            store.sync_sources(session, [source])
        began = time.perf_counter()
        (outcome,) = crawl_with_workers(settings, [source], workers)
        seconds = time.perf_counter() - began
        answered = len(log.paths("/article/"))
    counts = stored(settings)
    missing = articles - counts["urls"]
    figures = {
        "workers": workers,
        "seconds": round(seconds, 2),
        "pages_per_s": round(counts["documents"] / seconds, 1),
        "documents": counts["documents"],
        "duplicates": counts["documents"] - counts["urls"] + max(counts["sightings"] - counts["urls"], 0),
        "missing": missing,
        "article_requests": answered,
        "status": outcome.status,
        "new": outcome.counts.get("new", 0),
    }
    print(f"{workers} worker(s): {figures}", flush=True)
    return figures


def measure(articles: int, store: str = "postgresql") -> dict[str, Any]:
    """The generated site of ``articles`` pages crawled by 1 worker, then by 3, into ``store``."""
    from tests.pgserver import Databases, cluster
    from tests.redisserver import redis_server

    with (
        tempfile.TemporaryDirectory(prefix="bench-frontier-") as folder,
        redis_server() as redis_url,
        cluster() if store == "postgresql" else nullcontext(None) as admin,
    ):
        databases = Databases(admin) if admin else None
        try:
            one = crawl_once(Path(folder), redis_url, articles, 1, databases.create() if databases else None)
            three = crawl_once(
                Path(folder), redis_url, articles, 3, databases.create() if databases else None
            )
        finally:
            if databases is not None:
                databases.close()
    return {
        "store": store,
        "pages": articles,
        "listing_pages": -(-articles // PER_PAGE),
        "one_worker": one,
        "three_workers": three,
        "speedup_3_workers": round(one["seconds"] / three["seconds"], 2),
        "every_page_once": all(r["missing"] == 0 and r["duplicates"] == 0 for r in (one, three)),
        "politeness": "one loopback domain, no download delay (no per-domain gate), 8 requests at a time per worker",
    }


def main() -> None:
    p = parser(__doc__.split("\n", 1)[0])
    p.add_argument("--store", choices=("postgresql", "sqlite"), default="postgresql")
    p.add_argument(
        "--pages", type=int, help="articles of the generated site (default 20000, 500 with --quick)"
    )
    args = p.parse_args()
    figures = measure(args.pages or (500 if args.quick else 20_000), args.store)
    emit(
        {
            "benchmark": "frontier",
            "quick": args.quick,
            "cores": os.cpu_count(),
            "load_avg_1m": round(os.getloadavg()[0], 2),
        }
        | figures
    )


if __name__ == "__main__":
    main()
