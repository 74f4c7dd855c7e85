"""Ingest benchmark: documents per second through parsing, dedup and storage, network excluded.

A local site of RSS feeds is written to a temporary folder: 20k items (3k with ``--quick``) made of real
French news texts (``../shared/data/news-fr-dev``), in two outlets, the second one repeating 10 % of the
first's stories (half word for word, half lightly edited, three hours later). Its pages are then read from
disk, page by page, through the RSS spider's parser and the item pipelines (clean, redact, enrich,
near-duplicates, store) into a fresh SQLite store: the code path of a crawl without the HTTP transfer.

Baseline, measured in the same run: the simplest ingest there is, feedparser and ``Store.add_document``
with one transaction per document, on the first items of the same site.

Per kind (``kinds``): the same news texts (500 with ``--quick``, 5k otherwise) served the way each platform
kind reads them, parsed by its spider and sent through the same item pipelines into a fresh store: Decidim
GraphQL pages of 50 proposals, OpenDataSoft record pages of 100 (as documents, and monthly values as
observations), an SCDL file of one act a row (its object as text, no act fetched), an iCalendar feed of
one event a text, an SDMX-ML message (ten series). Items per second there compare with the same baseline.

Memory: resident size is sampled every 10 % of the items; ``rss_growth_mb`` is its growth over the second
half of the run (flat memory: close to 0 whatever the item count). CPU seconds are printed too: on a shared
machine they are steadier than wall time.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import psutil

from bench.common import emit, parser, peak_rss_mb, shared_data

PAGE = 100
COPY_SHARE = 0.10  # stories the second outlet repeats
HOST = "http://bench.invalid"
PARIS = ZoneInfo("Europe/Paris")


def corpus_file() -> Path:
    """The news corpus; ``BENCH_SHARED_DATA`` may point at the shared data folder from another checkout."""
    override = os.environ.get("BENCH_SHARED_DATA")
    folder = Path(override) / "news-fr-dev" if override else shared_data("news-fr-dev")
    return folder / "corpus.jsonl.gz"


def load_corpus(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """``count`` distinct records of the news corpus (a fixed random sample)."""
    with gzip.open(corpus_file(), "rt", encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines]
    random.Random(seed).shuffle(records)
    seen: set[str] = set()
    sample = []
    for record in records:
        if record["text"] not in seen:
            seen.add(record["text"])
            sample.append(record)
        if len(sample) == count:
            break
    return sample


def write_site(root: Path, items: int) -> dict[str, int]:
    """Feeds of two outlets under ``root``; returns how many items and planted copies it holds."""
    base = round(items / (1 + COPY_SHARE))
    records = load_corpus(base)
    rng = random.Random(11)
    outlets: dict[str, list[dict[str, Any]]] = defaultdict(list)
    planted = Counter()
    for n, record in enumerate(records):
        day = datetime.fromisoformat(record["published_at"]).replace(tzinfo=PARIS)
        published = day + timedelta(hours=6 + n % 14, minutes=n % 60)
        entry = {"id": f"a-{n}", "title": record["title"], "text": record["text"], "published": published}
        outlets["fil-a"].append(entry)
        if len(outlets["fil-b"]) < items - base and rng.random() < COPY_SHARE * 1.2:
            exact = rng.random() < 0.5
            text = (
                record["text"]
                if exact
                else "Selon nos informations, " + record["text"][0].lower() + record["text"][1:]
            )
            planted["exact_copies" if exact else "edited_copies"] += 1
            outlets["fil-b"].append(
                {
                    "id": f"b-{n}",
                    "title": record["title"] + " (reprise)",
                    "text": text,
                    "published": published + timedelta(hours=3),
                }
            )
    for outlet, entries in outlets.items():
        entries.sort(key=lambda e: e["published"], reverse=True)
        folder = root / outlet
        folder.mkdir(parents=True)
        pages = [entries[i : i + PAGE] for i in range(0, len(entries), PAGE)]
        for number, page in enumerate(pages, 1):
            following = f"feed-{number + 1}.xml" if number < len(pages) else None
            (folder / f"feed-{number}.xml").write_text(_rss(outlet, page, following), encoding="utf-8")
    return {"items": sum(len(e) for e in outlets.values()), **planted}


def _rss(outlet: str, entries: list[dict[str, Any]], following: str | None) -> str:
    nxt = f'<atom:link rel="next" href="{following}"/>' if following else ""
    body = "".join(
        f"<item><title>{escape(e['title'])}</title><link>{HOST}/{outlet}/{e['id']}.html</link>"
        f'<guid isPermaLink="false">{e["id"]}</guid><pubDate>{format_datetime(e["published"])}</pubDate>'
        f"<description>{escape(e['text'])}</description></item>"
        for e in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">'
        f"<channel><title>{outlet}</title><link>{HOST}/{outlet}/</link><description>banc</description>"
        f"{nxt}{body}</channel></rss>"
    )


def pages(root: Path) -> Iterator[tuple[str, str, int, bytes]]:
    """(outlet, url, page number, body) of every page, outlet by outlet, following the pages' order."""
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        count = len(list(folder.glob("feed-*.xml")))
        for number in range(1, count + 1):
            yield (
                folder.name,
                f"{HOST}/{folder.name}/feed-{number}.xml",
                number,
                (folder / f"feed-{number}.xml").read_bytes(),
            )


def run_pipeline(root: Path, home: Path, total: int, database_url: str | None = None) -> dict[str, Any]:
    """The collectors' code path over the site's pages into a fresh store (a SQLite file in ``home``, or
    the empty database at ``database_url``); figures of the run."""
    from scrapy.exceptions import DropItem
    from scrapy.http import Request, XmlResponse

    from collectors import pipelines as p
    from collectors.context import CrawlContext, SourceContext
    from collectors.enrich import Gazetteer
    from collectors.items import DocumentItem
    from collectors.ledger import RunLedger
    from collectors.neardup import NearDuplicateIndex
    from collectors.spiders.rss import RssSpider
    from collectors.storage import StoreWriter
    from signals.core.settings import Settings
    from signals.core.sources import RssSource
    from signals.core.store import Store

    settings = Settings(home=home, database_url=database_url or f"sqlite:///{home / 'pipeline.db'}")
    store = Store.open(settings)
    sources = {
        name: RssSource(kind="rss", name=name, url=f"{HOST}/{name}/feed-1.xml") for name in ("fil-a", "fil-b")
    }
    with store.session() as session:
        store.sync_sources(session, list(sources.values()))
    stages: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    memory: dict[str, float] = {}
    process = psutil.Process()
    done, next_mark = 0, 0.1
    wall0, cpu0 = time.perf_counter(), time.process_time()
    with store.session() as session:
        writer = StoreWriter(store, session)
        crawl = CrawlContext(
            settings=settings,
            gazetteer=Gazetteer(
                ["Paris", "Lyon", "Marseille", "Toulouse", "Nice", "Nantes", "Strasbourg", "Lille"]
            ),
            writer=writer,
            neardup=NearDuplicateIndex(loader=writer.published_between),
        )
        current: dict[str, Any] = {}
        for outlet, url, number, body in pages(root):
            if current.get("name") != outlet:
                if current:
                    _finish(current, counts)
                current = {"name": outlet, "recording": writer.recording(outlet)}
                recorder = current["recording"].__enter__()
                context = SourceContext(
                    source=sources[outlet], crawl=crawl, ledger=RunLedger(outlet, recorder)
                )
                spider = RssSpider(context=context)
                holder = SimpleNamespace(spider=spider)
                chain = [
                    cls(holder)
                    for cls in (
                        p.CleanPipeline,
                        p.PrivacyPipeline,
                        p.EnrichPipeline,
                        p.NearDuplicatePipeline,
                        p.StorePipeline,
                    )
                ]
                current["context"] = context
            started = time.perf_counter()
            response = XmlResponse(url, body=body, request=Request(url, meta={"page": number}))
            outputs = [o for o in spider.parse_page(response) if isinstance(o, DocumentItem)]
            stages["parse"] += time.perf_counter() - started
            for item in outputs:
                for stage in chain:
                    started = time.perf_counter()
                    try:
                        item = stage.process_item(item)
                    except DropItem:
                        break
                    finally:
                        stages[type(stage).__name__.removesuffix("Pipeline").lower()] += (
                            time.perf_counter() - started
                        )
                done += 1
                if done >= next_mark * total:
                    memory[f"{round(next_mark * 100)}%"] = round(process.memory_info().rss / 2**20, 1)
                    next_mark += 0.1
        _finish(current, counts)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    store.close()
    marks = list(memory.values())
    return {
        "items": done,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "docs_per_s": round(done / wall, 1),
        "docs_per_cpu_s": round(done / cpu, 1),
        "stage_s": {k: round(v, 2) for k, v in stages.items()},
        "outcomes": {k: counts[k] for k in ("new", "duplicates", "near_duplicates", "seen") if counts[k]},
        "rss_mb_by_progress": memory,
        "rss_growth_mb": round(marks[-1] - marks[len(marks) // 2 - 1], 1) if len(marks) >= 4 else None,
    }


def _finish(current: dict[str, Any], counts: Counter[str]) -> None:
    ledger = current["context"].ledger
    ledger.close("finished")
    counts.update(
        {k: v for k, v in ledger.recorder.counts.items() if isinstance(v, int) and not isinstance(v, bool)}
    )
    current["recording"].__exit__(None, None, None)


def kind_pages(kind: str, records: list[dict[str, Any]]) -> tuple[dict[str, Any], list[tuple[dict, bytes]]]:
    """A source definition of ``kind`` and its pages (request meta, body), made of the corpus records."""
    import csv
    import io

    from signals.demo.platforms import cursor

    stamp = [
        (datetime.fromisoformat(r["published_at"]).replace(tzinfo=PARIS) + timedelta(hours=9)).isoformat()
        for r in records
    ]
    if kind == "decidim":
        out = []
        for start in range(0, len(records), 50):
            chunk = range(start, min(start + 50, len(records)))
            nodes = [{"node": {"id": str(i), "title": {"translation": records[i]["title"]},
                               "body": {"translation": records[i]["text"]}, "publishedAt": stamp[i],
                               "voteCount": i % 40, "totalCommentsCount": i % 7, "authorsCount": 1,
                               "scope": {"name": {"translation": "Lyon"}}}} for i in chunk]  # fmt: skip
            info = {"hasNextPage": chunk.stop < len(records), "endCursor": cursor(chunk.stop)}
            connection = {"pageInfo": info, "edges": nodes}
            body = {"data": {"space": {"slug": "banc", "components": [{"id": "1", "proposals": connection}]}}}
            meta = {"page": start // 50 + 1, "component": None, "cursors": ()}
            out.append((meta, json.dumps(body).encode()))
        return {"kind": "decidim", "space_id": "1", "page_size": 50}, out
    if kind.startswith("opendatasoft"):
        documents = kind == "opendatasoft-documents"
        rows = [
            {"recordid": f"r{i}", "titre": r["title"], "description": r["text"], "date": stamp[i]}
            if documents
            else {
                "mois": f"{2000 + i // 1200}-{i // 100 % 12 + 1:02d}-01",
                "commune": f"c{i % 100}",
                "valeur": i,
            }
            for i, r in enumerate(records)
        ]
        fields = (
            {"id": "recordid", "title": "titre", "text": "description", "date": "date"}
            if documents
            else {"period": "mois", "value": "valeur", "territory": "commune"}
        )
        source = {"kind": "opendatasoft", "dataset": "banc", "fields": fields}
        source |= {"mode": "documents"} if documents else {"series": "banc.valeur"}
        pages = [
            (
                {"page": n // 100 + 1, "offset": n},
                json.dumps({"total_count": len(rows), "results": rows[n : n + 100]}).encode(),
            )
            for n in range(0, len(rows), 100)
        ]
        return source, pages
    if kind == "icalendar":

        def fold(text: str) -> str:  # RFC 5545 escapes, on one line
            return text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")

        events = "".join(
            f"BEGIN:VEVENT\r\nUID:e{i}\r\nDTSTART:{stamp[i][:10].replace('-', '')}\r\n"
            f"CREATED:{stamp[i][:10].replace('-', '')}T080000Z\r\nSUMMARY:{fold(r['title'])}\r\n"
            f"DESCRIPTION:{fold(r['text'])}\r\nLOCATION:Lyon\r\nEND:VEVENT\r\n"
            for i, r in enumerate(records)
        )
        body = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//banc//FR\r\n{events}END:VCALENDAR\r\n"
        return {"kind": "icalendar"}, [({"page": 1}, body.encode())]
    if kind == "sdmx":
        obs = "".join(
            f'<Obs TIME_PERIOD="{2000 + i // 12}-{i % 12 + 1:02d}" OBS_VALUE="{i}" OBS_STATUS="A"/>'
            for i in range(len(records) // 10)
        )
        ns = " ".join(
            f'xmlns:{p}="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/{n}"'
            for p, n in (("m", "message"), ("c", "common"), ("ss", "data/structurespecific"))
        )
        series = "".join(f'<Series IDBANK="{n:09d}" FREQ="M" UNIT_MULT="0">{obs}</Series>' for n in range(10))
        body = (
            f'<?xml version="1.0"?><m:StructureSpecificData {ns}><m:Header><m:ID>B</m:ID><m:Test>false</m:Test>'
            '<m:Prepared>2025-01-01T00:00:00</m:Prepared><m:Sender id="B"/>'
            '<m:Structure structureID="B" dimensionAtObservation="TIME_PERIOD"><c:StructureUsage>'
            '<Ref agencyID="B" id="B" version="1.0"/></c:StructureUsage></m:Structure></m:Header>'
            f'<m:DataSet ss:structureRef="B">{series}</m:DataSet></m:StructureSpecificData>'
        )
        return {"kind": "sdmx", "series": "banc.sdmx"}, [({"page": 1}, body.encode())]
    buffer = io.StringIO()
    out_csv = csv.writer(buffer)
    out_csv.writerow(
        [
            "COLL_NOM",
            "COLL_SIRET",
            "DELIB_ID",
            "DELIB_DATE",
            "DELIB_MATIERE_CODE",
            "DELIB_MATIERE_NOM",
            "DELIB_OBJET",
        ]
    )
    for i, r in enumerate(records):
        out_csv.writerow(
            ["Ville de Lyon", "21690123100011", f"D{i}", stamp[i][:10], "9.1", "Autres", r["title"][:300]]
        )
    return {"kind": "scdl_deliberations", "read_documents": False}, [
        ({"page": 1}, buffer.getvalue().encode())
    ]


def run_kind(kind: str, records: list[dict[str, Any]], home: Path) -> dict[str, Any]:
    """Items per second of one kind's spider and the item pipelines, into a fresh store."""
    from scrapy.exceptions import DropItem
    from scrapy.http import Request, TextResponse

    from collectors import pipelines as p
    from collectors.context import CrawlContext, SourceContext
    from collectors.crawl import spider_class
    from collectors.enrich import Gazetteer
    from collectors.items import DocumentItem, ObservationItem
    from collectors.ledger import RunLedger
    from collectors.neardup import NearDuplicateIndex
    from collectors.storage import StoreWriter
    from signals.core.settings import Settings
    from signals.core.sources import SourcesFile
    from signals.core.store import Store

    definition, pages = kind_pages(kind, records)
    source = SourcesFile.model_validate(
        {"sources": [{"name": kind, "url": f"{HOST}/{kind}", **definition}]}
    ).sources[0]
    settings = Settings(home=home, database_url=f"sqlite:///{home / f'{kind}.db'}")
    store = Store.open(settings)
    with store.session() as session:
        store.sync_sources(session, [source])
    done = 0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    with store.session() as session:
        writer = StoreWriter(store, session)
        crawl = CrawlContext(
            settings=settings,
            gazetteer=Gazetteer(["Paris", "Lyon", "Marseille"]),
            writer=writer,
            neardup=NearDuplicateIndex(loader=writer.published_between),
        )
        with writer.recording(kind) as recorder:
            context = SourceContext(source=source, crawl=crawl, ledger=RunLedger(kind, recorder))
            spider = spider_class(source.kind)(context=context)
            spider.params = {}  # the query of the next requests, built at start by the OpenDataSoft spider
            holder = SimpleNamespace(spider=spider)
            chain = [cls(holder) for cls in (p.CleanPipeline, p.PrivacyPipeline, p.EnrichPipeline, p.NearDuplicatePipeline, p.StorePipeline)]  # fmt: skip
            for meta, body in pages:
                url = f"{HOST}/{kind}/{meta['page']}"
                response = TextResponse(url, body=body, encoding="utf-8", request=Request(url, meta=meta))
                for item in spider.parse_page(response):
                    if not isinstance(item, DocumentItem | ObservationItem):
                        continue
                    for stage in chain:
                        try:
                            item = stage.process_item(item)
                        except DropItem:
                            break
                    done += 1
            chain[-1].close_spider()  # the monthly series of a proposals kind, and the last commit
            context.ledger.close("finished")
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    store.close()
    return {"items": done, "items_per_s": round(done / wall, 1), "items_per_cpu_s": round(done / cpu, 1)}


KINDS = (
    "decidim", "opendatasoft-documents", "opendatasoft-observations", "scdl_deliberations", "icalendar", "sdmx"
)  # fmt: skip


def run_baseline(root: Path, home: Path, limit: int) -> dict[str, Any]:
    """feedparser + Store.add_document, one transaction per document, on the first ``limit`` items."""
    import feedparser

    from signals.core.settings import Settings
    from signals.core.store import NewDocument, Store

    settings = Settings(home=home, database_url=f"sqlite:///{home / 'baseline.db'}")
    store = Store.open(settings)
    done = 0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for outlet, _url, _number, body in pages(root):
        for entry in feedparser.parse(body).entries:
            published = datetime(*entry.published_parsed[:6], tzinfo=ZoneInfo("UTC"))
            with store.session() as session:
                store.add_document(
                    session,
                    NewDocument(
                        source=outlet,
                        title=entry.title,
                        text=entry.summary,
                        published_at=published,
                        url=entry.link,
                    ),
                )
            done += 1
            if done >= limit:
                break
        if done >= limit:
            break
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    store.close()
    return {"items": done, "docs_per_s": round(done / wall, 1), "docs_per_cpu_s": round(done / cpu, 1)}


def main() -> None:
    args = parser(__doc__.split("\n", 1)[0]).parse_args()
    items = 3_000 if args.quick else 20_000
    baseline_items = 1_000 if args.quick else 3_000
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as folder:
        root, home = Path(folder) / "site", Path(folder) / "home"
        home.mkdir()
        started = time.perf_counter()
        site = write_site(root, items)
        print(f"site: {site} in {time.perf_counter() - started:.1f} s", flush=True)
        baseline = run_baseline(root, home, baseline_items)
        print(f"baseline: {baseline}", flush=True)
        result = run_pipeline(root, home, site["items"])
        print(f"pipeline: {result}", flush=True)
        records = load_corpus(500 if args.quick else 5_000, seed=3)
        kinds = {}
        for kind in KINDS:
            kinds[kind] = run_kind(kind, records, home)
            print(f"{kind}: {kinds[kind]}", flush=True)
    figures = {
        "benchmark": "ingest",
        "quick": args.quick,
        "cores": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),  # other work on the machine slows wall-clock figures
        "site": site,
        "docs_per_s": result["docs_per_s"],
        "docs_per_cpu_s": result["docs_per_cpu_s"],
        "baseline_docs_per_s": baseline["docs_per_s"],
        "baseline_docs_per_cpu_s": baseline["docs_per_cpu_s"],
        "baseline_items": baseline["items"],
        "kinds": kinds,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        **{k: v for k, v in result.items() if k not in ("docs_per_s", "docs_per_cpu_s")},
    }
    emit(figures)


if __name__ == "__main__":
    main()
