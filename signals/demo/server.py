"""A real HTTP server for the demo territory's sites, on 127.0.0.1 only: files, and the platforms the
site holds (a Decidim GraphQL endpoint, an OpenDataSoft portal: ``signals.demo.platforms``)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from signals.demo.platforms import mounted, route


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves files (with Last-Modified and If-Modified-Since support) without logging each request."""

    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".xml": "application/xml",
        ".json": "application/json",
        ".csv": "text/csv; charset=windows-1252",
    }

    # Persistent connections, as real platforms keep them (a POST on a connection an HTTP/1.0 server has
    # closed after its previous answer would fail: clients resend only GETs).
    protocol_version = "HTTP/1.1"

    def __init__(self, *args: Any, apis: dict[str, Any], **kwargs: Any) -> None:
        self.apis = apis
        super().__init__(*args, **kwargs)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - signature of the base class
        pass

    def do_GET(self) -> None:  # noqa: N802 - name of the base class
        if not self._platform(b""):
            super().do_GET()

    def do_POST(self) -> None:  # noqa: N802 - name of the base class
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if not self._platform(body):
            self.send_error(405, "only the platforms' APIs accept POST")

    def _platform(self, body: bytes) -> bool:
        answer = route(self.apis, self.command, self.path, body)
        if answer is None:
            return False
        status, payload = answer
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        return True


@contextmanager
def serve(root: Path, port: int = 0) -> Iterator[str]:
    """Serve ``root`` on 127.0.0.1 in a background thread; yields the base URL. ``port=0``: a free port."""
    handler = partial(_QuietHandler, directory=str(root), apis=mounted(root))
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as exc:
        raise RuntimeError(
            f"cannot serve the demo on 127.0.0.1:{port}: {exc.strerror}; set SIGNALS_DEMO_PORT to a free port"
        ) from None
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="demo-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
