"""The service: its runs, its schedule, its health, and the demo territory end to end."""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any

import typer
from rich.table import Table

from reports.format import counted, fr_date
from reports.wording import DELIVERY_LABELS, JOB_STATE_LABELS, RUN_STATUS_LABELS, STAGE_LABELS
from signals import pipeline
from signals.cli.common import app, json_lines, label, out, progress_bars, settings_from_env, verbosity
from signals.core.logs import configure_logging
from signals.core.settings import Settings
from signals.core.store import Store


@app.command()
def runs(
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    stage: Annotated[
        str | None, typer.Option(help=", ".join(f"{k} ({v})" for k, v in STAGE_LABELS.items()))
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="un objet JSON par exécution (comptes, erreurs, durées), pour les scripts"
        ),
    ] = False,
) -> None:
    """Les dernières exécutions des étapes, avec leur résultat et leur nombre d'erreurs (--json : leurs comptes et leurs erreurs)."""
    from signals.stages.status import recent_runs

    settings = settings_from_env()
    with Store.open(settings) as store:
        rows = recent_runs(store, limit, stage)
        if as_json:
            json_lines(
                {
                    "id": r.id,
                    "stage": r.stage,
                    "target": r.target,
                    "status": r.status,
                    "started": r.started_at,
                    "finished": r.finished_at,
                    "cpu_s": r.cpu_s,
                    "counts": r.counts,
                    "errors": r.errors,
                    "error_count": r.error_count,
                }
                for r in rows
            )
            return
        table = Table("n°", "étape", "objet", "résultat", "début", "durée", "err.")  # fits 80 columns
        for r in rows:
            duration = (r.finished_at - r.started_at).total_seconds() if r.finished_at else None
            target = r.target or ""
            table.add_row(
                str(r.id),
                label(STAGE_LABELS, r.stage),
                target if len(target) <= 20 else "…" + target[-19:],
                label(RUN_STATUS_LABELS, r.status),
                f"{r.started_at.astimezone(settings.tz):%d/%m %H:%M}",
                f"{duration:.0f} s" if duration is not None else "—",
                str(r.error_count),
            )
    out.print(table)


# --- the service ----------------------------------------------------------------------------------------


@app.command()
def schedule(
    list_jobs: Annotated[
        bool, typer.Option("--list", help="afficher chaque tâche et sa prochaine exécution, puis s'arrêter")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="sortie JSON (avec --list)")] = False,
) -> None:
    """Lance le planificateur (le service permanent) au premier plan ; SIGTERM ou Ctrl+C l'arrête."""
    from signals.service.plan import list_jobs as planned_jobs
    from signals.service.runner import Service

    settings = settings_from_env()
    if list_jobs:
        jobs = planned_jobs(settings)
        if as_json:
            out.print_json(json.dumps([vars(j) for j in jobs], ensure_ascii=False, default=str))
            return
        table = Table(
            "tâche", "calendrier", "prochaine exécution", "état", title=f"heures : {settings.timezone}"
        )
        for job in jobs:
            when = (
                fr_date(job.next_run_at.astimezone(settings.tz), "EEE dd/MM/y HH:mm")
                if job.next_run_at
                else "—"
            )
            table.add_row(_job_name(job.id), job.schedule, when, label(JOB_STATE_LABELS, job.state))
        out.print(table)
        return
    level = logging.DEBUG if verbosity() >= 2 else logging.INFO
    configure_logging(settings, level, log_file="scheduler.log")
    raise typer.Exit(Service(settings).run_forever())


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="sortie JSON")] = False,
    check: Annotated[
        bool, typer.Option("--check", help="sortir avec le code 1 en cas de problème (pour les sondes)")
    ] = False,
) -> None:
    """Santé du service : planificateur, dernier succès par étape, sources dégradées, boîte d'envoi, taille de la base."""
    from signals.stages.status import service_status

    settings = settings_from_env()
    with Store.open(settings) as store:
        state = service_status(store, settings)
    if as_json:
        out.print_json(json.dumps(state.as_dict(), ensure_ascii=False, default=str))
    else:
        _print_status(state, settings)
    if check and state.problems:
        raise typer.Exit(1)


def _job_name(job_id: str) -> str:
    """A job in words: 'analyse', 'collecte echo' (``collect:echo``).

    >>> _job_name("collect:echo"), _job_name("housekeeping")
    ('collecte echo', 'entretien')
    """
    stage, _, source = job_id.partition(":")
    return f"{label(STAGE_LABELS, stage)} {source}".rstrip()


def _print_status(state: Any, settings: Settings) -> None:
    def local(moment: Any) -> str:
        return f"{moment.astimezone(settings.tz):%d/%m/%Y %H:%M}" if moment else "jamais"

    lock = state.scheduler
    if lock is None:
        out.print("planificateur : arrêté")
    else:
        age = (state.checked_at - lock.heartbeat_at).total_seconds()
        alive = {True: "en vie", False: "mort", None: "sur une autre machine"}[lock.alive]
        out.print(
            f"planificateur : {lock.holder} ({alive}), depuis le {local(lock.acquired_at)}, "
            f"dernier signe de vie il y a {age:.0f} s"
        )
    if state.jobs_running:
        out.print("en cours : " + ", ".join(_job_name(j) for j in state.jobs_running))
    table = Table("étape", "dernier succès", "dernière exécution", "résultat", "échecs (7 jours)")
    for s in state.stages:
        table.add_row(
            label(STAGE_LABELS, s.stage),
            local(s.last_success_at),
            local(s.last_run_at),
            label(RUN_STATUS_LABELS, s.last_status),
            str(s.failed_last_week),
        )
    out.print(table)
    out.print("sources dégradées : " + (", ".join(state.degraded_sources) or "aucune"))
    unsent = (
        ", ".join(f"{label(DELIVERY_LABELS, k)} : {v}" for k, v in sorted(state.deliveries.items()))
        or "aucun"
    )
    oldest = (
        f" (le plus ancien en attente : {local(state.oldest_unsent_at)})" if state.oldest_unsent_at else ""
    )
    out.print(f"e-mails non envoyés : {unsent}{oldest}")
    if state.interrupted_runs:
        out.print(
            f"exécutions interrompues (closes au prochain démarrage du planificateur) : {state.interrupted_runs}"
        )
    size = (
        f"{state.database_bytes / 2**20:.1f} Mio".replace(".", ",")
        if state.database_bytes is not None
        else "inconnue"
    )
    out.print(f"base de données : {size}")
    for problem in state.problems:
        out.print(f"[red]problème :[/red] {problem}", highlight=False)


@app.command()
def demo() -> None:
    """Crée le territoire de démonstration, le sert sur 127.0.0.1, le collecte, l'analyse et rédige la note."""
    settings = settings_from_env()
    with progress_bars() as progress:
        result = pipeline.run_demo(settings, progress=progress)
    out.print(f"territoire de démonstration servi sur {result.base_url} (site : {result.site})")
    ok = sum(1 for o in result.collected if o.status != "failed")
    out.print(
        f"sources collectées : {ok}/{len(result.collected)} ; "
        f"{counted(result.analyses, 'semaine analysée', 'semaines analysées')}"
    )
    out.print(f"vérité terrain : {result.ground_truth}")
    out.print(f"note archivée : {result.brief.archive}")
    for path in result.brief.outbox:
        out.print(f"e-mail de la note dans la boîte d'envoi : {path}")
        out.print(f"  (aperçu HTML : {path.with_suffix('.html')})")
    out.print(
        f"console web : `signals web`, puis http://127.0.0.1:8000 "
        f"(identifiant {result.console_user}, mot de passe {result.console_password})"
    )
    out.print(f"terminé en {result.seconds:.0f} s")
