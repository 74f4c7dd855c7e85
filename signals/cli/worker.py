"""Workers of the distributed service: ``signals worker collect`` (one per collector machine)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from signals import pipeline
from signals.cli.common import app, err, settings_from_env
from signals.cli.setup import print_outcomes

worker_app = typer.Typer(help="Workers of a service spread over several machines.", no_args_is_help=True)
app.add_typer(worker_app, name="worker")


@worker_app.command("collect")
def worker_collect(
    forever: Annotated[
        bool, typer.Option("--forever", help="after a crawl, wait for the next one (a long-running worker)")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per source, for scripts")] = False,
) -> None:
    """Take requests of the crawl published on the Redis frontier (SIGNALS_FRONTIER__REDIS_URL) by
    `signals collect --workers N`, until none is queued or leased; with --forever, each crawl in turn."""
    settings = settings_from_env()

    def report(crawl_id: str, outcomes: list[Any]) -> None:
        err.print(f"crawl {crawl_id}: this worker's share", highlight=False)
        print_outcomes(outcomes, as_json)

    if not pipeline.collect_as_worker(settings, forever=forever, report=report):
        err.print("no crawl published on the frontier", highlight=False)
