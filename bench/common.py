"""Helpers shared by every benchmark: timing, peak memory, and the final JSON line.

Each benchmark runs as ``python -m bench.NAME [--quick]`` and prints its figures last as one JSON line,
so a caller can take ``tail -n 1`` of its output.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def _find_shared_data() -> Path:
    """``shared/data`` beside the repository, found from the nearest ancestor that has one (so a git
    worktree nested deeper than the main checkout finds it too); the main checkout's place otherwise."""
    here = Path(__file__).resolve()
    for folder in here.parents[1:]:
        if (folder / "shared" / "data").is_dir():
            return folder / "shared" / "data"
    return here.parents[2] / "shared" / "data"


SHARED_DATA = _find_shared_data()


def shared_data(name: str) -> Path:
    """Folder of a real data set under ../shared/data (read-only, never copied into the repository)."""
    path = SHARED_DATA / name
    if not path.exists():
        sys.exit(f"benchmark data not found: {path} (see ../shared/data/README.md)")
    return path


@contextmanager
def listening(
    command: list[str],
    port: int,
    env: dict[str, str],
    cwd: Path,
    capture: bool = False,
    seconds: float = 120.0,
) -> Iterator[Any]:
    """A server process started with ``command``, once it accepts connections on 127.0.0.1:``port``;
    terminated (then killed after 20 s) when the block ends. ``capture``: its stdout is a pipe (for a short
    output). A server that exits or never listens raises ``RuntimeError`` with the end of its stderr."""
    import socket

    stdout = subprocess.PIPE if capture else subprocess.DEVNULL
    server = subprocess.Popen(command, env=env, cwd=cwd, stdout=stdout, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + seconds
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    server.kill()
                    raise RuntimeError(
                        f"{command[-3:]} did not start: {server.communicate()[1][-2000:]}"
                    ) from None
                time.sleep(0.2)
        yield server
    finally:
        stop(server, 20)


def stop(process: subprocess.Popen, timeout: float) -> None:
    """Stop a child process: politely (SIGTERM), then killed if it has not ended within ``timeout``."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now, for a throwaway server."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


@contextmanager
def timed(results: dict[str, Any], key: str) -> Iterator[None]:
    """Store the wall time of the block, in seconds, under ``results[key]``."""
    start = time.perf_counter()
    try:
        yield
    finally:
        results[key] = round(time.perf_counter() - start, 3)


def parser(description: str) -> argparse.ArgumentParser:
    """An argument parser with the ``--quick`` flag every benchmark has."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="small variant that finishes in under a minute")
    return p


def emit(figures: dict[str, Any]) -> None:
    """Print the benchmark's figures as the last line of output: one JSON object."""
    sys.stdout.flush()
    print(json.dumps(figures, ensure_ascii=False, sort_keys=True, default=str), flush=True)


def scores_line(label: str, scores: dict[str, Any]) -> str:
    """One line of a backtest's scores (``BacktestResult.scores()``), as the detection benchmarks print them."""
    return (
        f"  {label:9} recall {scores['recall']}  median lead {scores['median_lead_weeks']}  "
        f"false alerts/week {scores['false_alerts_per_week']}  precision {scores['precision']}"
    )
