"""The demo territory, end to end: generated, served on 127.0.0.1, collected, analysed, briefed."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from signals.core.periods import (
    week_start,
)
from signals.core.settings import Settings
from signals.core.store import Store
from signals.pipeline.analyze import forecast, replay
from signals.pipeline.collect import collect
from signals.pipeline.progress import Progress
from signals.pipeline.publish import BriefResult, brief

log = logging.getLogger(__name__)


DEMO_USER = "demo"  # the web console's demo account


@dataclass
class DemoResult:
    base_url: str
    site: Path
    sources_file: Path
    ground_truth: Path
    collected: list[Any]
    analyses: int
    brief: BriefResult
    seconds: float = 0.0
    console_user: str = DEMO_USER
    console_password: str = ""


def demo_account(store: Store, settings: Settings) -> str:
    """The web console's demo account (an admin, to show every page): its password is drawn once and kept
    in ``demo/console-password`` (owner only); a later demo keeps the account as it is."""
    import secrets

    from signals.core.accounts import add_user, get_account

    path = settings.demo_dir / "console-password"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(12), encoding="utf-8")
    password = path.read_text(encoding="utf-8").strip()
    with store.session(write=True) as session:
        if get_account(session, DEMO_USER) is None:
            add_user(session, DEMO_USER, password, "admin", actor="demo")
    return password


def demo_settings(settings: Settings) -> Settings:
    """The demo territory runs on loopback: no politeness delay, its own sources file, a demo recipient."""
    collect = settings.collect.model_copy(
        update={"download_delay_s": 0.0, "autothrottle": False, "concurrency_per_domain": 16}
    )
    return settings.model_copy(
        update={
            "sources_file": settings.demo_dir / "sources.yaml",
            "collect": collect,
            "recipients": settings.recipients or ["veille-prospective@val-de-lirette.example"],
        }
    )


def run_demo(settings: Settings, history_weeks: int = 52, progress: Progress | None = None) -> DemoResult:
    """Generate and serve the demo territory, collect it, analyse its last weeks, and send the brief."""
    step = progress or (lambda *_: None)
    import time

    from signals.core.sources import dump_sources
    from signals.demo import build_site, ground_truth_path
    from signals.demo.server import serve
    from signals.demo.site import sources_file
    from signals.demo.territory import LAST_DAY

    started = time.perf_counter()
    settings = demo_settings(settings)
    store = Store.open(settings)
    step("création du territoire de démonstration", 0, 1)
    site = build_site(settings.demo_dir)
    with serve(site, settings.demo_port) as base_url:
        dump_sources(sources_file(base_url), settings.sources_file)
        collected = collect(store, settings, progress=progress)
    failed = [o for o in collected if o.status == "failed"]
    if failed:
        log.warning(
            "demo: %d sources failed: %s", len(failed), ", ".join(f"{o.source} ({o.error})" for o in failed)
        )
    last_week = week_start(LAST_DAY)
    analyses = replay(
        store, settings, last_week - timedelta(weeks=history_weeks - 1), LAST_DAY, progress=progress
    )
    step("prévision des séries", 0, 1)
    forecast(store, settings, LAST_DAY)
    step("rédaction de la note", 0, 1)
    result = brief(store, settings, last_week, send=True)
    password = demo_account(store, settings)
    store.close()
    return DemoResult(
        base_url,
        site,
        settings.sources_file,
        ground_truth_path(settings.demo_dir),
        collected,
        len(analyses),
        result,
        time.perf_counter() - started,
        console_password=password,
    )
