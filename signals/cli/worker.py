"""Workers of the distributed service: ``signals worker collect`` (one per collector machine)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from signals import pipeline
from signals.cli.common import app, err, settings_from_env
from signals.cli.setup import print_outcomes

worker_app = typer.Typer(
    help="Les processus d'un service réparti sur plusieurs machines.", no_args_is_help=True
)
app.add_typer(worker_app, name="worker")


@worker_app.command("collect")
def worker_collect(
    forever: Annotated[
        bool, typer.Option("--forever", help="après une collecte, attendre la suivante (processus permanent)")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="un objet JSON par source, pour les scripts")
    ] = False,
) -> None:
    """Prend les requêtes de la collecte publiée sur la frontière Redis (SIGNALS_FRONTIER__REDIS_URL) par `signals collect --workers N`, jusqu'à ce qu'aucune ne soit en file ou en cours ; avec --forever, chaque collecte à son tour."""
    settings = settings_from_env()

    def report(crawl_id: str, outcomes: list[Any]) -> None:
        err.print(f"collecte {crawl_id} : la part de ce processus", highlight=False)
        print_outcomes(outcomes, as_json)

    if not pipeline.collect_as_worker(settings, forever=forever, report=report):
        err.print("aucune collecte publiée sur la frontière", highlight=False)
