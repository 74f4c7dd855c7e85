"""A throwaway Redis server for the shared crawl frontier's tests (Debian's ``redis-server``, which
``make test`` installs when missing): 127.0.0.1, a free port, a temporary folder, no persistence.
A server that cannot start is an error, never a skipped test."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.common import free_port, stop

START_TIMEOUT_S = 20.0


@contextmanager
def redis_server() -> Iterator[str]:
    """Start a server; yield its URL (``redis://127.0.0.1:PORT/0``); stop it and remove its folder."""
    import redis

    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(binary).exists():
        raise RuntimeError("redis-server not found: `make redis` installs Debian's redis-server package")
    folder = Path(tempfile.mkdtemp(prefix="signals-redis-"))
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--save", ""]
    command += ["--appendonly", "no", "--logfile", str(folder / "log")]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (folder / "log").read_text(errors="replace") if (folder / "log").exists() else ""
                    raise RuntimeError(f"redis-server did not start on port {port}: {log[-2000:]}") from None
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        stop(process, 10)
        shutil.rmtree(folder, ignore_errors=True)
