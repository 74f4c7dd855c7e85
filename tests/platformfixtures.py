"""A real HTTP server on 127.0.0.1 for the platform connectors' tests: the fixture server of
``tests.sitefixtures`` (files, odd statuses) plus platform APIs mounted under a prefix, each answering as
the platform documents it (``signals.demo.platforms``) or misbehaving in one way:

- ``POST /<prefix>/api``: a Decidim GraphQL endpoint;
- ``GET /<prefix>/api/explore/v2.1/...``: an OpenDataSoft portal;
- ``/_limit/<n>/<prefix>/...``: 429 with ``Retry-After: 1`` the first ``n`` times, then the platform.

A mounted platform is any object with ``answer(...)``; ``Misbehaving`` wraps one with a fixed answer.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from tests.sitefixtures import FixtureHandler, Site, SiteLog, serving


@dataclass
class Mounts:
    """Platforms by URL prefix, and how many times each rate-limited path was asked."""

    apis: dict[str, Any] = field(default_factory=dict)
    limited: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class PlatformHandler(FixtureHandler):
    # Persistent connections, as the platforms keep them: over HTTP/1.0 each answer closes the connection,
    # and a POST sent on a pooled connection the server has closed fails (only GETs are resent by Twisted).
    protocol_version = "HTTP/1.1"

    def __init__(self, *args: Any, mounts: Mounts, **kwargs: Any) -> None:
        self.mounts = mounts
        super().__init__(*args, **kwargs)

    def do_POST(self) -> None:  # noqa: N802 - base class name
        length = int(self.headers.get("Content-Length") or 0)
        self._body = self.rfile.read(length) if length else b""
        self.do_GET()

    def _route(self) -> None:
        path, _, query = self.path.partition("?")
        parts = path.lstrip("/").split("/")
        if parts[0] == "_limit":
            key = "/".join(parts[2:])
            with self.mounts.lock:
                seen = self.mounts.limited.get(key, 0)
                self.mounts.limited[key] = seen + 1
            if seen < int(parts[1]):
                return self._reply(
                    429, b'{"error_code": "TooManyRequests"}', "application/json", {"Retry-After": "1"}
                )
            parts = parts[2:]
            self.path = "/" + "/".join(parts) + (f"?{query}" if query else "")
        api = self.mounts.apis.get(parts[0])
        if api is None:
            return super()._route()
        rest = "/" + "/".join(parts[1:])
        if self.command == "POST":
            status, payload = api.answer(getattr(self, "_body", b""))
        else:
            status, payload = api.answer(rest, query)
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
        ctype = "text/html" if isinstance(payload, bytes) else "application/json; charset=utf-8"
        return self._reply(status, body, ctype)


@dataclass
class Misbehaving:
    """A platform answering ``respond(call_number, *request)`` instead of (or around) a well-behaved one."""

    respond: Callable[..., tuple[int, Any]]
    calls: int = 0

    def answer(self, *request: Any) -> tuple[int, Any]:
        self.calls += 1
        return self.respond(self.calls, *request)


@contextmanager
def serve_platforms(root: Path, apis: dict[str, Any]) -> Iterator[Site]:
    """Serve ``root``'s files and the given platform APIs (by URL prefix) on a free port of 127.0.0.1."""
    log = SiteLog()
    mounts = Mounts(apis=apis)
    with serving(partial(PlatformHandler, directory=str(root), log=log, mounts=mounts), root, log) as site:
        yield site
