"""Web console benchmark: latency of the console's main pages under a bounded load from a second process.

The console (``signals web``, uvicorn) runs in its own process over a copy of an analysed database: the
demo's (``var/`` after ``make run``; ``--home`` points elsewhere; skipped when absent) and a generated store
of ``--documents`` documents (200 000; ``bench.web_store``, cached under ``--store-dir``). For each, this
process logs in and
sends, for each page, a fixed number of requests from ``--clients`` concurrent keep-alive connections on
127.0.0.1, stopping early at ``--seconds`` per page. Pages: the signals list, the top signal's page, a
keyword search, the emergence map, and a static file (the style sheet) as the baseline of the server and
the load generator themselves. Figures: p50 and p95 latency per page in milliseconds, and requests per
second, with the load average of the machine (shared: read the figures with it); the last line is one JSON
object. ``--quick`` measures a 10 000-document generated store only, with fewer clients and requests.

``python -m bench.web [--quick] [--home var] [--store-dir /tmp/bench-web-store] [--documents 200000]
[--clients 20]``. Target of the issue: p95 ≤ 200 ms at 20 clients on 2 cores for 200 000 documents.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

from bench.common import emit, free_port, listening, parser
from bench.web_store import build

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT, PASSWORD = "bench", "mot-de-passe-du-banc"
SIGNAL_PAGES = 200  # the week's signals whose pages are asked in turn
SEARCH_WORDS = 20  # the words searched in turn: the leading terms of the strongest signals


def _request(
    conn: http.client.HTTPConnection, method: str, path: str, headers: dict[str, str], body: str | None = None
) -> tuple[int, dict[str, str], bytes]:
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


def _login(port: int) -> str:
    """The session cookie of the bench account."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    _, headers, body = _request(conn, "GET", "/connexion", {})
    cookie = headers["set-cookie"].split(";", 1)[0]
    csrf = re.search(rb'name="csrf" value="([^"]+)"', body).group(1).decode()
    form = urllib.parse.urlencode({"csrf": csrf, "nom": ACCOUNT, "mot_de_passe": PASSWORD, "suite": "/"})
    status, headers, _ = _request(
        conn,
        "POST",
        "/connexion",
        {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
        form,
    )
    if status != 303:
        sys.exit(f"bench account could not log in (HTTP {status})")
    conn.close()
    return headers["set-cookie"].split(";", 1)[0]


def _load(
    port: int, cookie: str, paths: list[str], requests: int, clients: int, seconds: float
) -> dict[str, Any]:
    """``requests`` GETs of ``paths`` in turn from ``clients`` connections (at most ``seconds``): latencies
    in ms. Several paths (the week's signals, several words) so that what the console keeps between
    requests is not simply asked again: a path comes back only after all the others."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    remaining = [requests]
    deadline = time.monotonic() + seconds

    def client() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.monotonic() < deadline:
            with lock:
                if remaining[0] <= 0:
                    break
                remaining[0] -= 1
                path = paths[remaining[0] % len(paths)]
            start = time.perf_counter()
            try:
                status, _, _ = _request(conn, "GET", path, {"Cookie": cookie})
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                status = 0
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                if status == 200:
                    latencies.append(elapsed)
                else:
                    errors += 1
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    if not latencies:
        return {"requests": 0, "errors": errors}
    ordered = sorted(latencies)
    return {
        "requests": len(latencies),
        "errors": errors,
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
        "per_s": round(len(latencies) / wall, 1),
    }


def _prepare(database: Path, folder: Path) -> dict[str, Any]:
    """A copy of the analysed database with the bench account; what to request in it."""
    copy = folder / "signals.db"
    with sqlite3.connect(database) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    from signals.core.accounts import add_user
    from signals.core.store import Store

    store = Store(f"sqlite:///{copy}")
    store.migrate()
    with store.session(write=True) as session:
        add_user(session, ACCOUNT, PASSWORD, "official", actor="bench")
    store.close()
    with sqlite3.connect(copy) as db:
        documents = db.execute("SELECT count(*) FROM documents").fetchone()[0]
        # the week's signals, the one citing the most documents (the heaviest page) first
        week = [
            row[0]
            for row in db.execute(
                "SELECT w.signal_id FROM signal_weeks w WHERE w.week = (SELECT max(week) FROM signal_weeks) "
                "ORDER BY (SELECT count(*) FROM evidence e WHERE e.signal_id = w.signal_id) DESC, "
                "w.score DESC LIMIT ?",
                (SIGNAL_PAGES,),
            )
        ]
        words = [
            row[0]
            for row in db.execute(
                "SELECT DISTINCT json_extract(metrics, '$.keywords[0].term') FROM signals "
                "WHERE kind = 'term_burst' AND json_extract(metrics, '$.keywords[0].term') IS NOT NULL "
                "ORDER BY score DESC LIMIT ?",
                (SEARCH_WORDS,),
            )
        ]
        cited = db.execute(
            "SELECT count(*) FROM evidence WHERE signal_id = ?", (week[0] if week else 0,)
        ).fetchone()
    return {"documents": documents, "signals": week, "cited": cited[0], "words": words or ["commune"]}


def _measure(
    label: str, database: Path, sources: Path, clients: int, requests: int, seconds: float
) -> dict[str, Any]:
    """The pages of the console over a copy of ``database``, each loaded by ``clients`` connections."""
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        folder = Path(tmp)
        found = _prepare(database, folder)
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNALS_") and k != "DATABASE_URL"}
        env.update(
            SIGNALS_HOME=str(folder),
            DATABASE_URL=f"sqlite:///{folder / 'signals.db'}",
            SIGNALS_SOURCES_FILE=str(sources),
            PYTHONPATH=str(ROOT),
        )
        command = [sys.executable, "-m", "signals.cli", "web", "--port", str(port)]
        with listening(command, port, env, folder):
            cookie = _login(port)
            pages = {
                "static": ["/static/console.css"],
                "list": ["/"],
                "signal": [f"/signaux/{i}" for i in found["signals"]],
                "search": ["/recherche?q=" + urllib.parse.quote(w) for w in found["words"]],
                "map": ["/carte"],
            }
            load = os.getloadavg()[0]
            figures.update(
                documents=found["documents"],
                cited=found["cited"],
                signal_pages=len(found["signals"]),
                words=found["words"],
            )
            print(
                f"\n{label}: {found['documents']} documents ({len(found['signals'])} signal pages, the "
                f"heaviest citing {found['cited']}; {len(found['words'])} words searched); "
                f"load average {load:.1f}"
            )
            print(f"{'page':8} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>8} {'errors':>7}")
            for name, paths in pages.items():
                if not paths:
                    continue
                _load(port, cookie, ["/"], min(20, requests), clients, seconds)  # the processes warm
                result = _load(port, cookie, paths, requests, clients, seconds)
                print(
                    f"{name:8} {result.get('p50_ms', '—'):>8} {result.get('p95_ms', '—'):>8} "
                    f"{result.get('per_s', '—'):>8} {result['errors']:>7}"
                )
                for key, value in result.items():
                    figures[f"{name}_{key}"] = value
            figures["load_before"], figures["load_after"] = round(load, 2), round(os.getloadavg()[0], 2)
        shutil.rmtree(folder, ignore_errors=True)
    return figures


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--home", type=Path, default=Path("var"), help="the demo's analysed home (default var)")
    p.add_argument("--store-dir", type=Path, default=Path(tempfile.gettempdir()) / "bench-web-store")
    p.add_argument(
        "--documents", type=int, default=None, help="generated store (default 200000, quick 10000)"
    )
    p.add_argument("--clients", type=int, default=None, help="concurrent connections (default 20, quick 8)")
    p.add_argument("--requests", type=int, default=None, help="requests per page (default 400, quick 60)")
    args = p.parse_args()
    clients = args.clients or (8 if args.quick else 20)
    requests = args.requests or (60 if args.quick else 400)
    documents = args.documents or (10_000 if args.quick else 200_000)
    seconds = 6.0 if args.quick else 60.0
    home = args.home.resolve()
    sources = home / "demo" / "sources.yaml"
    if not sources.is_file():
        sources = ROOT / "sources.yaml"
    targets: list[tuple[str, Path]] = []
    if not args.quick:
        if (home / "signals.db").is_file():
            targets.append(("demo", home / "signals.db"))
        else:
            print(f"no demo database in {home} (run `make run`): measuring the generated store only")
    print(f"generated store of {documents} documents under {args.store_dir} (built once, then reused)")
    targets.append((f"generated_{documents}", build(args.store_dir, documents, quiet=False)))
    figures: dict[str, Any] = {"clients": clients, "requests_per_page": requests, "quick": args.quick}
    print(f"{clients} clients, {requests} requests per page (at most {seconds:.0f} s), nice {os.nice(0)}")
    for label, database in targets:
        for key, value in _measure(label, database, sources, clients, requests, seconds).items():
            figures[f"{label}_{key}"] = value
    emit(figures)


if __name__ == "__main__":
    main()
