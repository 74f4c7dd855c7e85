"""Confirm / dismiss links of the brief, and the small web endpoint that records them.

A link carries a token, an HMAC of the signal's id and the verdict under a secret key, so that nobody can
forge a verdict on another signal by editing a link. The key is ``settings.feedback_secret``, else a
random key created once in ``home/feedback.key`` (readable by its owner only).

The web console (``signals web``) serves the same links (``answer`` below); this small stdlib server
stays for installations that expose only the links.

Opening a link (GET) only shows a page with a button: mail security scanners and link previews open every
link of a message, and must not confirm or dismiss anything. The button posts the verdict (POST), which is
recorded through ``signals.core.registry.give_feedback`` like ``signals feedback ID confirm|dismiss``.

>>> key = b"k" * 32
>>> t = token(key, 12, "confirm")
>>> verify(key, 12, "confirm", t), verify(key, 13, "confirm", t), verify(key, 12, "dismiss", t)
(True, False, False)
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from reports import wording
from reports.rendering import render
from signals.core.keys import kept_key
from signals.core.registry import VERDICTS, SignalNotFound, get_signal, give_feedback
from signals.core.settings import Settings
from signals.core.store import Store

log = logging.getLogger(__name__)

_ROUTE = re.compile(r"^/feedback/(\d{1,12})/(confirm|dismiss)$")
MAX_BODY = 8192
MAX_NOTE = 2000
AUTHOR = "lien du brief"
HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    # the pages load nothing and may post only to this server; the token in the URL stays here
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def secret_key(settings: Settings) -> bytes:
    """The signing key: the configured secret, else the one kept in ``home/feedback.key`` (created once)."""
    if settings.feedback_secret is not None:
        return settings.feedback_secret.get_secret_value().encode()
    return kept_key(settings.home / "feedback.key")


def token(key: bytes, signal_id: int, verdict: str) -> str:
    return hmac.new(key, f"{signal_id}:{verdict}".encode(), hashlib.sha256).hexdigest()[:32]


def verify(key: bytes, signal_id: int, verdict: str, candidate: str) -> bool:
    return hmac.compare_digest(token(key, signal_id, verdict), candidate)


LOCAL_ENDPOINT = "http://127.0.0.1:8765"  # ``signals serve-feedback`` with its defaults


def feedback_base(settings: Settings) -> str:
    """Where the links point: ``public_url`` when the service is exposed; else the console on this machine
    when its port is configured (``web.port``: it serves the same links); else the endpoint served here by
    ``signals serve-feedback``. Readers on the service's own network can reach the last two."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    if settings.web.port is not None:
        host = "127.0.0.1" if settings.web.host in ("0.0.0.0", "::", "") else settings.web.host
        return f"http://{host}:{settings.web.port}"
    return LOCAL_ENDPOINT


def feedback_link(settings: Settings, signal_id: int, verdict: str, key: bytes | None = None) -> str:
    """The signed one-click link of a verdict (a page with one button: nothing is recorded on opening)."""
    key = key if key is not None else secret_key(settings)
    return f"{feedback_base(settings)}/feedback/{signal_id}/{verdict}?t={token(key, signal_id, verdict)}"


# --- the endpoint ----------------------------------------------------------------------------------------


@dataclass
class FeedbackPage:
    status: HTTPStatus
    html: str


class FeedbackServer:
    """A minimal HTTP server recording verdicts from the brief's links (stdlib, one thread per request).

    ``serve_forever()`` in the foreground (``signals serve-feedback``), or ``start()`` / ``stop()`` in a
    background thread. Put it behind the authority's reverse proxy (TLS) at ``settings.public_url``.
    """

    def __init__(self, store: Store, settings: Settings, host: str = "127.0.0.1", port: int = 8765) -> None:
        self.store, self.settings, self.key = store, settings, secret_key(settings)
        self.httpd = ThreadingHTTPServer((host, port), _handler(self._respond))
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def start(self) -> FeedbackServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join()

    def _respond(
        self, method: str, path: str, query: dict[str, list[str]], form: dict[str, list[str]]
    ) -> FeedbackPage:
        if path == "/health" and method == "GET":
            return FeedbackPage(HTTPStatus.OK, "ok")
        match = _ROUTE.match(path)
        if match is None:
            return feedback_page(HTTPStatus.NOT_FOUND, wording.PAGE_NOT_FOUND)
        given = (form if method == "POST" else query).get("t", [""])[0]
        note = form.get("note", [""])[0] if method == "POST" else None
        return answer(self.store, self.key, int(match.group(1)), match.group(2), given, note)


def answer(
    store: Store,
    key: bytes,
    signal_id: int,
    verdict: str,
    given: str,
    note: str | None,
    author: str = AUTHOR,
    **extra: Any,
) -> FeedbackPage:
    """The page of a signed link: on GET (``note`` None) a page with one button, on POST the verdict
    recorded (once). A link whose token does not match is refused. ``extra`` goes to the template (the
    console adds its CSRF token)."""
    if not verify(key, signal_id, verdict, given):
        return feedback_page(HTTPStatus.FORBIDDEN, wording.LINK_INVALID)
    posted = note is not None
    with store.session(write=posted) as session:
        try:
            signal = get_signal(session, signal_id)
        except SignalNotFound:
            return feedback_page(HTTPStatus.NOT_FOUND, wording.NO_SUCH_SIGNAL.format(signal_id=signal_id))
        if not posted:
            return feedback_page(HTTPStatus.OK, None, signal=signal, verdict=verdict, token=given, **extra)
        note = (note or "").strip()[:MAX_NOTE] or None
        already = bool(signal.feedback) and signal.feedback[-1].verdict == verdict
        if not already:  # a second click on the same button records nothing more
            give_feedback(session, signal_id, verdict, note, author)
        log.info("feedback %s on signal %s recorded from a brief link", verdict, signal_id)
        return feedback_page(HTTPStatus.OK, None, signal=signal, verdict=verdict, done=True, already=already)


def feedback_page(status: HTTPStatus, message: str | None, **context: Any) -> FeedbackPage:
    values = {
        "message": message,
        "signal": None,
        "verdict": None,
        "token": "",
        "done": False,
        "already": False,
        "verdicts": VERDICTS,
        "csrf": None,
    } | context
    return FeedbackPage(status, render("feedback.html.j2", values))


def _handler(respond: Callable[..., FeedbackPage]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "signaux-faibles"
        sys_version = ""

        def do_GET(self) -> None:  # noqa: N802 (the stdlib's naming)
            self._answer("GET", {})

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._send(FeedbackPage(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, wording.REQUEST_TOO_LONG))
                return
            body = self.rfile.read(length).decode("utf-8", "replace")
            self._answer("POST", parse_qs(body, max_num_fields=10))

        def _answer(self, method: str, form: dict[str, list[str]]) -> None:
            url = urlsplit(self.path)
            try:
                page = respond(method, url.path, parse_qs(url.query, max_num_fields=10), form)
            except Exception:  # the reader sees a plain error page; the log has the traceback
                log.exception("feedback endpoint failed on %s %s", method, url.path)
                page = FeedbackPage(HTTPStatus.INTERNAL_SERVER_ERROR, wording.VERDICT_NOT_SAVED)
            self._send(page)

        def _send(self, page: FeedbackPage) -> None:
            body = page.html.encode("utf-8")
            self.send_response(page.status)
            for name, value in HEADERS.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            # never log the query string: it holds the token
            log.info("%s %s", self.command, urlsplit(self.path).path)

    return Handler
