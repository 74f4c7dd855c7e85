"""Setting up and feeding the service: the database, the settings, the sources, collection and import."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.table import Table

from reports.format import counted
from reports.wording import (
    COLLECT_STATUS_LABELS,
    IMPORT_OUTCOME_LABELS,
    SOURCE_DEGRADED,
    SOURCE_HEALTHY,
    SOURCE_NEVER_RUN,
)
from signals import pipeline
from signals.cli.common import (
    BadValue,
    app,
    busy,
    err,
    json_lines,
    label,
    out,
    parse_date,
    progress_bars,
    settings_from_env,
    sources_app,
)
from signals.core.errors import UserError
from signals.core.store import Store

# --- setup ----------------------------------------------------------------------------------------------


@app.command()
def init() -> None:
    """Crée la base de données ou la met à jour vers le dernier schéma."""
    settings = settings_from_env()
    with Store.open(settings) as store:
        out.print(
            f"base de données prête : {settings.public_view()['database_url']} (schéma {store.revision()})"
        )


@app.command()
def config() -> None:
    """Affiche les réglages en vigueur (secrets masqués)."""
    out.print(yaml.safe_dump(settings_from_env().public_view(), allow_unicode=True, sort_keys=False), end="")


# --- sources and collection -----------------------------------------------------------------------------


@sources_app.command("list")
def sources_list() -> None:
    """Les sources du fichier des sources."""
    settings = settings_from_env()
    sources = pipeline.read_sources(settings)
    table = Table("nom", "type", "active", "rythme", "territoire", "url", title=sources.territory.name)
    for s in sources.sources:
        table.add_row(s.name, s.kind, "oui" if s.enabled else "non", s.cadence, s.territory or "—", s.url)
    out.print(table)


@sources_app.command("kinds")
def sources_kinds(
    as_json: Annotated[bool, typer.Option("--json", help="en JSON")] = False,
) -> None:
    """Les types de source, chacun avec ses options (ce qu'une entrée de sources.yaml peut préciser)."""
    from signals.core.source_editing import describe_kinds

    kinds = describe_kinds()
    if as_json:
        out.print_json(json.dumps(kinds, ensure_ascii=False, default=str))
        return
    for kind in kinds:
        summary = kind["summary"].replace("``", "")
        out.print(textwrap.fill(f"{kind['kind']} : {summary}", 80), highlight=False, markup=False)
        table = Table("option", "défaut", "description", width=80)
        for option in kind["options"]:
            default = (
                "(obligatoire)" if option["required"] else json.dumps(option["default"], ensure_ascii=False)
            )
            table.add_row(option["name"], default, option["description"])
        out.print(table)


@sources_app.command("test")
def sources_test(
    name: str,
    limit: Annotated[int, typer.Option(min=1, max=200, help="éléments à afficher")] = 10,
) -> None:
    """Interroge une source et montre ce qu'elle donne, sans rien enregistrer."""
    settings = settings_from_env()
    outcome = busy(f"interrogation de {name}…", lambda: pipeline.preview_source(settings, name, limit))
    table = Table(
        "date",
        "commune",
        "car.",
        "titre",
        "problèmes",
        title=f"{name} : {label(COLLECT_STATUS_LABELS, outcome.status)}",
    )
    for item in outcome.items:
        table.add_row(
            str(item.get("date") or "—")[:16],
            item.get("commune") or "—",
            str(item.get("text_length", 0)),
            (item.get("title") or "")[:70],
            ", ".join(item.get("problems") or []) or "",
        )
    out.print(table)
    if outcome.counts:
        out.print("comptes : " + json.dumps(outcome.counts, ensure_ascii=False))
    if outcome.error:
        raise UserError(f"source {name!r} : {outcome.error}")


@sources_app.command("health")
def sources_health(
    as_json: Annotated[
        bool, typer.Option("--json", help="un objet JSON par source, tous les chiffres, pour les scripts")
    ] = False,
) -> None:
    """Par source : état, dernier succès, éléments par collecte, taux d'échec (--json : rejets, latence, dernière erreur)."""
    from dataclasses import asdict

    from signals.stages.health import source_health

    settings = settings_from_env()
    with Store.open(settings) as store:
        rows = source_health(store, settings)
    if as_json:
        json_lines(asdict(h) for h in rows)
        return
    table = Table("source", "état", "dernier succès", "éléments/collecte", "échecs")  # fits 80 columns
    for h in rows:
        table.add_row(
            h.name,
            f"[red]{SOURCE_DEGRADED}[/red]"
            if h.degraded
            else (SOURCE_HEALTHY if h.runs else SOURCE_NEVER_RUN),
            f"{h.last_success_at.astimezone(settings.tz):%Y-%m-%d %H:%M}" if h.last_success_at else "jamais",
            f"{h.items_per_run:g}" if h.items_per_run is not None else "—",
            f"{h.error_rate:.0%}" if h.error_rate is not None else "—",
        )
    out.print(table)


@app.command()
def collect(
    source: Annotated[
        list[str] | None, typer.Option("--source", "-s", help="seulement cette source (répétable)")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="un objet JSON par source (tous ses comptes), pour les scripts")
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=0,
            help="processus qui se partagent la collecte par Redis (SIGNALS_FRONTIER__REDIS_URL) ; 0 : un seul processus",
        ),
    ] = 0,
) -> None:
    """Collecte les sources actives (ou celles indiquées) dans la base."""
    settings = settings_from_env()
    with Store.open(settings) as store:
        with progress_bars() as bars:
            outcomes = pipeline.collect(store, settings, source, progress=bars, workers=workers)
    print_outcomes(outcomes, as_json)
    if outcomes and all(o.status == "failed" for o in outcomes):
        raise typer.Exit(1)


def print_outcomes(outcomes: list[Any], as_json: bool) -> None:
    """Each source's counts: a table, or one JSON object a source."""
    if as_json:
        json_lines(
            {"source": o.source, "status": o.status, "counts": o.counts, "error": o.error} for o in outcomes
        )
    else:
        _print_outcomes(outcomes)


def _print_outcomes(outcomes: list[Any]) -> None:
    """Fits 80 columns: the counts in a table, each error whole on its own line below."""
    table = Table("source", "résultat", "nouv.", "doubl.", "obs.", "rejetés")
    for o in outcomes:
        c = o.counts
        rejected = c.get("rejected", {})
        table.add_row(
            o.source,
            label(COLLECT_STATUS_LABELS, o.status),
            str(c.get("new", 0)),
            str(c.get("duplicates", 0)),
            str(c.get("observations", 0)),
            str(sum(rejected.values()) if isinstance(rejected, dict) else rejected),
        )
    out.print(table)
    for o in outcomes:
        if o.error:
            out.print(f"{o.source} : {o.error}")


@app.command()
def prepare(
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="préparer la fenêtre d'analyse qui finit à cette date (AAAA-MM-JJ)"),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=0,
            help="processus de calcul Dask (0 : ce processus) ; par défaut SIGNALS_COMPUTE__WORKERS",
        ),
    ] = None,
) -> None:
    """Calcule les termes et les plongements des documents qui n'en ont pas encore (après un gros import)."""
    settings = settings_from_env()
    day = parse_date(as_of, "--as-of")
    with Store.open(settings) as store:
        counts = busy("préparation des documents…", lambda: pipeline.prepare(store, settings, day, workers))
    out.print(
        f"termes calculés pour {counted(counts['terms'], 'document', 'documents')}, "
        f"plongements pour {counts.get('embedded', 0)}"
    )


@app.command("import")
def import_(
    path: Path,
    encoding: Annotated[str, typer.Option(help="encodage du fichier")] = "utf-8",
) -> None:
    """Importe des documents (JSON Lines) ou des observations (CSV). Sans doublon si on le relance ; les lignes invalides sont signalées et ignorées."""
    import codecs

    try:
        codecs.lookup(encoding)
    except LookupError:
        raise BadValue(f"encodage inconnu : {encoding!r}", param_hint="--encoding") from None
    settings = settings_from_env()
    with Store.open(settings) as store:
        report = busy(f"import de {path}…", lambda: pipeline.import_path(store, settings, path, encoding))
    outcomes = (
        ", ".join(f"{label(IMPORT_OUTCOME_LABELS, k)} : {v}" for k, v in sorted(report.outcomes.items()))
        or "rien"
    )
    lines = counted(report.lines, "ligne", "lignes") + (" d'" if report.kind[:1] in "aeiou" else " de ")
    out.print(f"{path} : {lines}{report.kind} — {outcomes} ; rejetées : {len(report.rejected)}")
    for number, reason in report.rejected[:50]:
        err.print(f"  ligne {number} : {reason}", markup=False, highlight=False)
    if len(report.rejected) > 50:
        err.print(f"  … et {len(report.rejected) - 50} autres (voir `signals runs`)")
    if report.lines and report.imported == 0:
        raise typer.Exit(1)
