"""The web console for tests: the analysed home of ``tests.reportfixtures`` (brief sent, report rendered)
with one account per role, served by uvicorn on a free port of 127.0.0.1 in a thread; and a small HTTP
client (urllib, a cookie jar) that logs in and posts forms with their CSRF token."""

from __future__ import annotations

import http.cookiejar
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn

from bench.common import free_port
from signals.core.accounts import add_user
from signals.core.settings import Settings
from signals.core.sources import SourcesFile, Territory, dump_sources
from signals.core.store import Store
from signals.web import create_app
from tests.conftest import COMMUNES
from tests.reportfixtures import published

PASSWORD = "mot-de-passe-de-test"
ROLES = ("official", "staff", "analyst", "admin")


@dataclass
class Console:
    url: str
    settings: Settings
    store: Store

    def client(self) -> Client:
        return Client(self.url)


@contextmanager
def serve(settings: Settings, store: Store) -> Iterator[str]:
    """The console on a free port of 127.0.0.1 (uvicorn in a thread) until the block ends."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, store), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the console did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def console(tmp_path_factory: Any, name: str, site_url: str | None = None) -> Iterator[Console]:
    """The published home with one account per role (named after it) served by the console; with
    ``site_url``, its sources file names one RSS feed of that site."""
    with published(tmp_path_factory, name) as (settings, store, _brief, _report):
        feeds = (
            [{"name": "echo-test", "kind": "rss", "url": f"{site_url}/feeds/rss-valid.xml"}]
            if site_url
            else []
        )
        sources = SourcesFile.model_validate(
            {"territory": Territory(name="Val de Test", communes=COMMUNES), "sources": feeds}
        )
        dump_sources(sources, settings.sources_file)
        with store.session(write=True) as session:
            for role in ROLES:
                add_user(session, role, PASSWORD, role)
        with serve(settings, store) as url:
            yield Console(url, settings, store)


class Client:
    """A browser without JavaScript: cookies kept, redirects followed, errors returned as pages."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.last_url = ""  # where the last request landed, redirects followed

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, fields: dict[str, str], csrf: bool = True) -> tuple[int, str]:
        if csrf and "csrf" not in fields:
            fields = fields | {"csrf": self.csrf()}
        data = urllib.parse.urlencode(fields).encode()
        return self._open(urllib.request.Request(self.base + path, data=data))

    def csrf(self, path: str = "/connexion") -> str:
        _, html = self.get(path)
        match = re.search(r'name="csrf" value="([^"]+)"', html)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, name: str, password: str = PASSWORD) -> tuple[int, str]:
        return self.post("/connexion", {"nom": name, "mot_de_passe": password, "suite": "/"})

    def _open(self, request: urllib.request.Request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=60) as response:
                self.last_url = response.geturl()
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            self.last_url = exc.geturl()
            return exc.code, exc.read().decode("utf-8", "replace")
