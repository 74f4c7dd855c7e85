"""Test helpers for the collectors: a real HTTP server on 127.0.0.1 serving fixture sites (with the odd
behaviours real sites have), temporary settings and store, and a crawl helper.

Import the fixtures in a test module with ``from tests.sitefixtures import ...``.

Special paths of the server (everything else is a file of the served folder, with ETag and Last-Modified,
answering 304 to a matching If-None-Match / If-Modified-Since):

- ``/_status/<code>/<anything>``: that status, a short HTML body;
- ``/_slow/<ms>/<path>``: waits, then serves ``<path>``;
- ``/_flaky/<n>/<path>``: 503 (Retry-After: 0) the first ``n`` times, then serves ``<path>``;
- ``/_redirect/<path>``: 301 to ``/<path>``;
- ``/_type/<type>/<subtype>/<path>``: serves ``<path>`` with that Content-Type;
- ``/_huge/<bytes>``: that many bytes with a Content-Length; ``/_stream/<bytes>``: the same, chunked;
- ``/_cut/<path>``: announces the file's length and closes halfway;
- ``/_cookie/<path>``: serves ``<path>`` with a cookie scoped to a domain.
"""

from __future__ import annotations

import email.utils
import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from signals.core.settings import CollectSettings, Settings
from signals.core.sources import SourceDef, SourcesFile, Territory
from signals.core.store import Store
from tests import pgserver

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SITES = FIXTURES / "sites"
TERRITORY = Territory(
    name="Val de Test",
    communes=[
        "Lirac-sur-Lirette",
        "Saint-Aubin-des-Prés",
        "Montclar-le-Haut",
        "Fontclaire",
        "Les Essarts-Rouges",
    ],
)


@dataclass
class SiteLog:
    """What the server saw: each request's path and headers, and the most requests it served at once."""

    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    flaky: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def paths(self, prefix: str = "") -> list[str]:
        return [path for path, _ in self.requests if path.startswith(prefix)]

    def headers_of(self, prefix: str) -> list[dict[str, str]]:
        return [headers for path, headers in self.requests if path.startswith(prefix)]


class FixtureHandler(SimpleHTTPRequestHandler):
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".xml": "application/xml",
        ".json": "application/json",
        ".csv": "text/csv",
        ".pdf": "application/pdf",
    }

    def __init__(self, *args: Any, log: SiteLog, **kwargs: Any) -> None:
        self.site_log = log
        super().__init__(*args, **kwargs)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base class signature
        pass

    def do_GET(self) -> None:  # noqa: N802 - base class name
        log = self.site_log
        with log.lock:
            log.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            log.in_flight += 1
            log.max_in_flight = max(log.max_in_flight, log.in_flight)
        try:
            self._route()
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with log.lock:
                log.in_flight -= 1

    def _route(self) -> None:
        parts = self.path.lstrip("/").split("/")
        head = parts[0]
        if head == "_status":
            return self._reply(
                int(parts[1]), b"<html><body><p>Erreur du serveur</p></body></html>", "text/html"
            )
        if head == "_slow":
            time.sleep(int(parts[1]) / 1000)
            return self._file("/".join(parts[2:]))
        if head == "_flaky":
            key = "/".join(parts[2:])
            with self.site_log.lock:
                seen = self.site_log.flaky.get(key, 0)
                self.site_log.flaky[key] = seen + 1
            if seen < int(parts[1]):
                return self._reply(503, b"busy", "text/plain", {"Retry-After": "0"})
            return self._file(key)
        if head == "_redirect":
            return self._reply(301, b"", "text/plain", {"Location": "/" + "/".join(parts[1:])})
        if head == "_type":
            return self._file("/".join(parts[3:]), content_type=f"{parts[1]}/{parts[2]}")
        if head in ("_huge", "_stream"):
            return self._huge(int(parts[1]), chunked=head == "_stream")
        if head == "_cut":
            data = (self._root / "/".join(parts[1:])).read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return None
        if head == "_cookie":
            return self._file(
                "/".join(parts[1:]), extra={"Set-Cookie": "consent=1; Domain=mairie-test.fr; Path=/"}
            )
        return self._file(self.path.lstrip("/").split("?", 1)[0])

    @property
    def _root(self) -> Path:
        return Path(self.directory)

    def _file(
        self, relative: str, content_type: str | None = None, extra: dict[str, str] | None = None
    ) -> None:
        path = (self._root / relative).resolve()
        if not path.is_file() or self._root.resolve() not in path.parents:
            return self._reply(404, b"<html><body><h1>Introuvable</h1></body></html>", "text/html")
        data = path.read_bytes()
        stat = path.stat()
        etag = '"' + hashlib.sha1(data).hexdigest()[:16] + '"'
        modified = email.utils.formatdate(stat.st_mtime, usegmt=True)
        if self.headers.get("If-None-Match") == etag:
            return self._reply(304, b"", None, {"ETag": etag})
        if self.headers.get("If-None-Match") is None and self.headers.get("If-Modified-Since") == modified:
            return self._reply(304, b"", None, {"Last-Modified": modified})
        headers = {"ETag": etag, "Last-Modified": modified, **(extra or {})}
        return self._reply(200, data, content_type or self.guess_type(str(path)), headers)

    def _reply(
        self, status: int, body: bytes, content_type: str | None, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _huge(self, size: int, chunked: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(size))
        self.end_headers()
        block = b"<!-- " + b"x" * 65_000 + b" -->"
        sent = 0
        while sent < size:
            piece = block[: min(len(block), size - sent)]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            sent += len(piece)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")


@dataclass
class Site:
    base_url: str
    root: Path
    log: SiteLog

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"


@contextmanager
def serve_folder(root: Path) -> Iterator[Site]:
    """Serve a folder on a free port of 127.0.0.1 in a background thread."""
    log = SiteLog()
    with serving(partial(FixtureHandler, directory=str(root), log=log), root, log) as site:
        yield site


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # several crawl processes connect at once (the default, 5, drops connections)


@contextmanager
def serving(handler: Any, root: Path, log: SiteLog) -> Iterator[Site]:
    """Serve with ``handler`` (a request handler class or factory) on a free port of 127.0.0.1, in a
    background thread, until the block ends."""
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{server.server_address[1]}", root, log)
    finally:
        server.shutdown()
        server.server_close()


def dead_url(path: str = "feed.xml") -> str:
    """A URL on a 127.0.0.1 port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/{path}"


@pytest.fixture
def http_site() -> Iterator[Site]:
    """The fixture sites (tests/fixtures/sites) on a real HTTP server, for one test."""
    with serve_folder(SITES) as site:
        yield site


def crawl_settings(home: Path, **collect: Any) -> Settings:
    """Settings of a test crawl: home in a temporary folder; no delay (loopback), no retry, short timeouts."""
    knobs: dict[str, Any] = {
        "download_delay_s": 0,
        "autothrottle": False,
        "concurrency_per_domain": 8,
        "retries": 0,
        "timeout_s": 2,
        "max_page_bytes": 1_000_000,
        "max_text_chars": 20_000,
        "time_budget_s": 60,
    }
    return Settings(
        home=home, database_url=pgserver.database_url(), collect=CollectSettings(**(knobs | collect))
    )


@pytest.fixture
def collect_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary SIGNALS_HOME, with no configuration file of the developer's leaking in."""
    home = tmp_path / "home"
    monkeypatch.setenv("SIGNALS_HOME", str(home))
    monkeypatch.delenv("SIGNALS_CONFIG", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    return home


def sources_from(entries: list[dict[str, Any]], base_url: str) -> list[SourceDef]:
    """Source definitions from YAML-like entries whose URLs may start with ``{base}``."""
    resolved = [{**e, "url": e["url"].replace("{base}", base_url)} for e in entries]
    return SourcesFile.model_validate({"sources": resolved}).sources


def load_cases(name: str) -> list[dict[str, Any]]:
    """A case file of tests/fixtures: source entries with what the crawl must store and reject."""
    return yaml.safe_load((FIXTURES / name).read_text(encoding="utf-8"))


def collect(
    settings: Settings, sources: list[SourceDef], territory: Territory = TERRITORY, **kwargs: Any
) -> dict:
    """Sync the sources, crawl them, and return the outcomes by source name."""
    from collectors.run import crawl

    if not kwargs.get("preview"):
        store = Store.open(settings)
        with store.session() as session:
            store.sync_sources(session, sources)
        store.close()
    return {o.source: o for o in crawl(settings, sources, territory=territory, **kwargs)}
