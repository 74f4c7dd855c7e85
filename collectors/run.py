"""Entry point of the collectors for the pipeline and the CLI: :func:`crawl`.

Each call runs the crawl in a subprocess (``python -m collectors.crawl``): Twisted's reactor cannot be
restarted in a process, and a crash or a hang of a crawl must not take the caller down. Whatever happens,
the caller gets one :class:`CrawlOutcome` per source, never an exception.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from signals.core import clock
from signals.core.settings import Settings
from signals.core.sources import SourceDef, Territory

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
START_MARGIN_S = 120  # process start-up, robots.txt, closing: on top of the sources' time budgets
POLL_S = 1.0  # how often the caller hears how many sources are done
# (sources done, sources in all): called while the crawl runs, from its run records
CrawlProgress = Callable[[int, int], None]


@dataclass
class CrawlOutcome:
    """What the crawl of one source did.

    ``status``: ok, partial (some items rejected, or cut by the item cap / time budget) or failed (nothing
    could be read: dead host, HTTP error, unreadable feed, crashed process); ``error`` says why in one line.
    ``counts``: the run record's counts (items, new, duplicates, near_duplicates, observations, rejected by
    code, pages, latency_median_s...). ``items``: for a preview, one summary per item (title, date, commune,
    text_length, url, problems; rejected items carry ``rejected``: their code).
    """

    source: str
    run_id: int | None
    status: str
    counts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    items: list[dict[str, Any]] = field(default_factory=list)


def crawl(
    settings: Settings,
    sources: list[SourceDef],
    *,
    preview: bool = False,
    preview_limit: int = 10,
    territory: Territory | None = None,
    progress: CrawlProgress | None = None,
    frontier_crawl: str | None = None,
) -> list[CrawlOutcome]:
    """Collect the given sources (already synced into the database, except for a preview).

    With ``preview``, nothing is stored (no documents, runs or HTTP validators; the database is not even
    opened) and each source stops after ``preview_limit`` items. ``progress`` hears how many sources
    are done while the crawl runs. With ``frontier_crawl``, the crawl process is one worker of that
    crawl shared through Redis (``collectors.workers``): it gets the outcomes of its own share.
    """
    if not sources:
        return []
    store = None
    if not preview:
        try:
            from signals.core.locks import close_interrupted_runs
            from signals.core.store import Store

            store = Store.open(settings)
            close_interrupted_runs(store)  # runs a dead process left open, whatever the stage
        except Exception as exc:  # no database, no crawl: say so for every source
            return [
                _failed(s.name, f"base de données indisponible : {type(exc).__name__}: {exc}")
                for s in sources
            ]
    try:
        return _crawl_in_subprocess(
            settings, sources, preview, preview_limit, territory, store, progress, frontier_crawl
        )
    finally:
        if store is not None:
            store.close()


@dataclass
class CrawlJob:
    """A crawl ready to start: the command of the crawl process, its environment, where it writes."""

    command: list[str]
    env: dict[str, str]
    output: Path


def prepare_job(
    folder: Path,
    settings: Settings,
    sources: list[SourceDef],
    preview: bool = False,
    preview_limit: int = 10,
    territory: Territory | None = None,
    frontier_crawl: str | None = None,
) -> CrawlJob:
    """Write the job file of a crawl process into ``folder`` (a worker of the shared crawl
    ``frontier_crawl``, when given: ``collectors.workers``)."""
    job_file, output = folder / "job.json", folder / "outcomes.json"
    job = {
        "settings": _settings_payload(settings),
        "sources": [s.model_dump(mode="json") for s in sources],
        "territory": (territory or Territory()).model_dump(mode="json"),
        "preview": preview,
        "preview_limit": preview_limit,
        "output": str(output),
        "frontier_crawl": frontier_crawl,
    }
    job_file.write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH")) if p)
    return CrawlJob([sys.executable, "-m", "collectors.crawl", str(job_file)], env, output)


def _crawl_in_subprocess(
    settings: Settings,
    sources: list[SourceDef],
    preview: bool,
    preview_limit: int,
    territory: Territory | None,
    store: Any,
    progress: CrawlProgress | None = None,
    frontier_crawl: str | None = None,
) -> list[CrawlOutcome]:
    with tempfile.TemporaryDirectory(prefix="signals-crawl-") as folder:
        job = prepare_job(Path(folder), settings, sources, preview, preview_limit, territory, frontier_crawl)
        timeout = crawl_timeout(settings, sources)
        process = subprocess.Popen(
            job.command, env=job.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        stderr, reason = _wait(process, timeout, store if progress else None, progress, len(sources))
        for line in (stderr or "").splitlines()[-50:]:
            log.debug("crawl: %s", line)
        found: dict[str, CrawlOutcome] = {}
        if reason is None and process.returncode == 0 and job.output.is_file():
            try:
                found = {
                    o["source"]: CrawlOutcome(**o) for o in json.loads(job.output.read_text(encoding="utf-8"))
                }
            except (ValueError, TypeError, KeyError) as exc:
                reason = f"résultats de la collecte illisibles : {exc}"
        if reason is None and len(found) < len(sources):
            last = _last_line(stderr)
            reason = (
                f"le processus de collecte a échoué : {last}"
                if last
                else f"le processus de collecte s'est arrêté avec le code {process.returncode}"
            )
        if reason is not None:
            log.error("crawl of %s failed: %s", ", ".join(s.name for s in sources), reason)
        missing = [s.name for s in sources if s.name not in found]
        if missing and store is not None:
            found |= close_runs_of(
                store, process.pid, missing, reason or "le processus de collecte s'est arrêté avant la fin"
            )
        return [found.get(s.name) or _failed(s.name, reason or "aucun résultat") for s in sources]


def _wait(
    process: subprocess.Popen[str],
    timeout: float | None,
    store: Any,
    progress: CrawlProgress | None,
    total: int,
) -> tuple[str, str | None]:
    """The crawl process's error output once it ended, and why it was killed (past ``timeout``); with a
    ``store`` and ``progress``, how many sources are done is reported every ``POLL_S`` meanwhile."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
        step = left
        if store is not None and progress is not None:
            step = POLL_S if left is None else min(POLL_S, left)
        try:
            _stdout, stderr = process.communicate(timeout=step)  # retrying after a timeout loses no output
            return stderr, None
        except subprocess.TimeoutExpired:
            if deadline is not None and time.monotonic() >= deadline:
                process.kill()
                _stdout, stderr = process.communicate()
                return (
                    stderr,
                    f"processus de collecte arrêté au bout de {timeout:.0f} s (budgets de temps dépassés)",
                )
            if store is not None and progress is not None:
                progress(_sources_done(store, process.pid), total)


def _sources_done(store: Any, pid: int) -> int:
    """Sources whose run the crawl process ``pid`` has closed."""
    from sqlalchemy import func

    from signals.core.schema import Run

    with store.session() as session:
        done = session.scalar(
            select(func.count(Run.id)).where(Run.stage == "collect", Run.pid == pid, Run.status != "running")
        )
    return int(done or 0)


def crawl_timeout(settings: Settings, sources: list[SourceDef]) -> float | None:
    """Seconds the crawl process may take: the longest chain of same-host budgets, plus a margin."""
    from collectors.crawl import host_groups

    longest = 0.0
    for group in host_groups(sources):
        budgets = [s.budget_s(settings.collect.time_budget_s) for s in group]
        if any(b == 0 for b in budgets):
            return None  # a source without a budget: no limit
        longest = max(longest, float(sum(budgets)))
    return longest + START_MARGIN_S


def close_runs_of(store: Any, pid: int, names: list[str], reason: str) -> dict[str, CrawlOutcome]:
    """The runs a dead crawl process left open: failed, with the reason; their sources' health updated."""
    from signals.core.schema import Run, Source

    outcomes: dict[str, CrawlOutcome] = {}
    try:
        with store.session(write=True) as session:
            runs = session.scalars(
                select(Run).where(Run.stage == "collect", Run.status == "running", Run.pid == pid)
            ).all()
            for run in runs:
                _mark_failed(session, run, reason)
                if run.target in names:
                    outcomes[run.target] = CrawlOutcome(
                        run.target, run.id, "failed", dict(run.counts or {}), reason
                    )
            for name in names:
                source = session.scalar(select(Source).where(Source.name == name))
                if source is not None:
                    source.consecutive_failures = (source.consecutive_failures or 0) + 1
    except Exception as exc:  # the database itself may be what failed
        log.error("could not record the failed crawl: %s", exc)
    return outcomes


def _mark_failed(session: Any, run: Any, reason: str) -> None:
    run.status = "failed"
    run.finished_at = clock.now()
    run.errors = [*(run.errors or []), {"item": "run", "reason": reason[:500], "code": "failure"}]
    run.error_count = (run.error_count or 0) + 1


def _settings_payload(settings: Settings) -> dict[str, Any]:
    data = settings.model_dump(mode="json", exclude={"smtp"})
    data["home"] = str(settings.home.resolve())
    data["database_url"] = settings.db_url
    return data


def _last_line(text: str | None) -> str | None:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1][:300] if lines else None


def _failed(name: str, reason: str) -> CrawlOutcome:
    return CrawlOutcome(source=name, run_id=None, status="failed", counts={}, error=reason)
