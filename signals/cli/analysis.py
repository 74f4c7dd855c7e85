"""The analysis and its signals: analyse a week, forecast, list and show signals, give feedback, backtest."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from reports.format import capfirst, counted, fr_date, fr_number, fr_ratio, fr_signed, week_name
from reports.wording import KIND_LABELS, STATUS_LABELS, VERDICT_LABELS, display_name
from signals import pipeline
from signals.cli.common import (
    BadValue,
    app,
    busy,
    err,
    label,
    out,
    parse_date,
    progress_bars,
    settings_from_env,
)
from signals.core.errors import UserError
from signals.core.lifecycle import STATUSES
from signals.core.periods import weeks_between
from signals.core.settings import Settings
from signals.core.store import Store

# --- analysis and signals -------------------------------------------------------------------------------


@app.command()
def analyze(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="analyser les données publiées jusqu'à cette date")
    ] = None,
    refit_topics: Annotated[
        bool, typer.Option("--refit-topics", help="réajuster le modèle de sujets sur toute la fenêtre")
    ] = False,
) -> None:
    """Détecte les thèmes émergents de la semaine de --as-of (par défaut : aujourd'hui) et met à jour les signaux."""
    day = parse_date(as_of, "--as-of")
    settings = settings_from_env()
    with Store.open(settings) as store, progress_bars() as bars:
        result = pipeline.analyze(store, settings, day, refit_topics, progress=bars)
    statuses = (
        ", ".join(f"{label(STATUS_LABELS, k)} : {v}" for k, v in result.statuses.items()) or "aucun signal"
    )
    out.print(
        f"{capfirst(week_name(result.week))} (données au {fr_date(result.as_of)}) : "
        f"{counted(result.documents, 'document', 'documents')} — {statuses}"
    )
    for subject in result.new:
        out.print(f"  {STATUS_LABELS['new']} : {subject}")


@app.command("forecast")
def forecast_(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="prévoir à partir des données jusqu'à cette date")
    ] = None,
    input_path: Annotated[
        Path | None, typer.Option("--input", help="prévoir les séries de ce CSV (series,period,value)")
    ] = None,
    out_path: Annotated[
        Path | None, typer.Option("--out", help="écrire ici les prévisions de --input")
    ] = None,
    horizon: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="périodes à prévoir (par défaut : 28 jours, 13 semaines, 24 mois, 8 trimestres, 4 ans)",
        ),
    ] = None,
    jobs: Annotated[int, typer.Option(min=1, help="processus pour --input")] = max(
        1, min(2, os.cpu_count() or 1)
    ),
) -> None:
    """Réajuste les prévisions enregistrées qui sont dues, ou avec --input/--out prévoit un fichier CSV (sans base de données)."""
    if input_path is None and out_path is None:
        day = parse_date(as_of, "--as-of")
        settings = settings_from_env()
        with Store.open(settings) as store:
            outcome = busy("prévision…", lambda: pipeline.forecast(store, settings, day))
        out.print(
            f"{counted(outcome.refitted, 'prévision réajustée', 'prévisions réajustées')}, "
            f"{counted(len(outcome.not_forecast), 'série non prévisible', 'séries non prévisibles')}"
        )
        _series_reasons(outcome.not_forecast)
        return
    if input_path is None or out_path is None or as_of is not None:
        raise UserError("prévoir un fichier demande --input et --out (et pas --as-of)")
    _forecast_file(input_path, out_path, horizon, jobs, settings_from_env())


def _forecast_file(
    input_path: Path, out_path: Path, horizon: int | None, jobs: int, settings: Settings
) -> None:
    from signals.stages.forecast_file import forecast_file

    interval = settings.series.forecast_interval
    with progress_bars() as bars:
        report = forecast_file(
            input_path,
            out_path,
            horizon,
            interval,
            jobs,
            lambda done, total: bars("prévision des séries", done, total),
        )
    out.print(
        f"{out_path} : {counted(report.rows, 'ligne', 'lignes')}, "
        f"{counted(len(report.forecast), 'série prévue', 'séries prévues')}, "
        f"{counted(len(report.rejected), 'série refusée', 'séries refusées')}"
    )
    _series_reasons(report.rejected)
    for number, reason in report.bad_lines:
        err.print(f"  ligne {number} : {reason}", markup=False, highlight=False)
    if not report.forecast:
        raise typer.Exit(1)


def _series_reasons(reasons: dict[str, str]) -> None:
    """Each series that could not be forecast, by name with its reason, on stderr."""
    for name, reason in reasons.items():
        err.print(f"  série {name} : {reason}", markup=False, highlight=False)


@app.command("list")
def list_(
    status: Annotated[
        str | None, typer.Option(help=", ".join(f"{s} ({STATUS_LABELS[s]})" for s in STATUSES))
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="sortie JSON")] = False,
) -> None:
    """Les signaux, les plus récents d'abord."""
    from signals.core.registry import SignalSummary, list_signals

    settings = settings_from_env()
    with Store.open(settings) as store, store.session() as session:
        try:
            signals = list_signals(session, status)
        except ValueError as exc:
            raise BadValue(str(exc), param_hint="--status") from None
        rows = [asdict(SignalSummary.of(s)) for s in signals]
    if as_json:
        out.print_json(json.dumps(rows, ensure_ascii=False, default=str))
        return
    table = Table("n°", "type", "statut", "score", "apparu", "dernier", "sujet")
    for r in rows:
        table.add_row(
            str(r["id"]),
            label(KIND_LABELS, r["kind"]),
            label(STATUS_LABELS, r["status"]),
            fr_number(r["score"], 1),
            f"{r['first_seen']:%d/%m/%Y}",
            f"{r['last_seen']:%d/%m/%Y}",
            r["subject"],
        )
    out.print(table)


@app.command()
def show(
    signal_id: Annotated[int, typer.Argument(metavar="ID")],
    as_json: Annotated[bool, typer.Option("--json", help="sortie JSON")] = False,
) -> None:
    """Un signal avec ses chiffres, son historique par semaine, ses documents cités et les avis donnés."""
    from signals.core.registry import signal_detail

    settings = settings_from_env()
    with Store.open(settings) as store, store.session() as session:
        detail = signal_detail(session, signal_id)
    if as_json:
        out.print_json(json.dumps(asdict(detail), ensure_ascii=False, default=str))
        return
    m = detail.metrics
    out.print(
        f"[bold]n° {detail.id} {detail.subject}[/bold] — {label(KIND_LABELS, detail.kind)}, "
        f"{label(STATUS_LABELS, detail.status)}, score {fr_number(detail.score, 1)}",
        highlight=False,
    )
    out.print(
        f"apparu le {fr_date(detail.first_seen)}, vu pour la dernière fois le {fr_date(detail.last_seen)}"
    )
    if "recent_docs" in m:
        out.print(
            f"{counted(m['recent_docs'], 'document', 'documents')} en {counted(m.get('recent_weeks') or 0, 'semaine', 'semaines')} "
            f"pour {_number(m.get('expected_docs'))} attendus (croissance {fr_ratio(m.get('growth'))}, "
            f"significativité {_number(m.get('significance'))}), diffusion {_number(m.get('spread'))}",
            highlight=False,
        )
        out.print("communes : " + ", ".join(f"{k} ({v})" for k, v in m.get("communes", {}).items()))
        out.print("mots-clés : " + ", ".join(k["term"] for k in m.get("keywords", [])))
    if "observed" in m:
        out.print(
            f"{display_name(m['series'], _titles(settings))}, {m['period']} : {_number(m['observed'])} "
            f"{m.get('unit') or ''} observés pour {_number(m['expected'])} attendus (plage habituelle de "
            f"{_number(m['band_low'])} à {_number(m['band_high'])}), écart {fr_signed(m['deviation'])}",
            highlight=False,
        )
    out.print(
        "historique (* : signalé) : "
        + ", ".join(
            f"{h.week:%d/%m/%Y} {label(STATUS_LABELS, h.status)}{'*' if h.flagged else ''}"
            for h in detail.history
        ),
        highlight=False,
    )
    for e in detail.evidence:
        out.print(f"  - {e.published_at:%d/%m/%Y} {e.source} : {e.title} {e.url or ''}", markup=False)
    for f in detail.feedback:
        out.print(
            f"  avis : {label(VERDICT_LABELS, f.verdict)} par {f.author or '?'} le {f.at:%d/%m/%Y} : {f.note or ''}",
            markup=False,
        )


def _number(value: float | int | None) -> str:
    """A figure of a signal's numbers in French: '3', '2,5' (one decimal when it has one), '—' for none.

    >>> _number(3), _number(2.54), _number(None)
    ('3', '2,5', '—')
    """
    if isinstance(value, float) and not value.is_integer():
        return fr_number(value, 1)
    return fr_number(value)


def _titles(settings: Settings) -> dict[str, str]:
    """Display names of the series, from the sources file (none when it cannot be read)."""
    from signals.core.sources import SourceError

    try:
        return pipeline.titles(pipeline.read_sources(settings))
    except SourceError:
        return {}


@app.command()
def feedback(
    signal_id: Annotated[int, typer.Argument(metavar="ID")],
    verdict: Annotated[str, typer.Argument(help="confirm (confirmer) ou dismiss (écarter)")],
    note: Annotated[str | None, typer.Option(help="pourquoi")] = None,
    author: Annotated[str | None, typer.Option(help="qui donne l'avis")] = None,
) -> None:
    """Confirme ou écarte un signal ; un thème écarté ne revient que s'il progresse nettement."""
    from signals.core.registry import give_feedback

    if verdict not in ("confirm", "dismiss"):
        raise BadValue("confirm ou dismiss attendu", param_hint="VERDICT")
    settings = settings_from_env()
    with Store.open(settings) as store, store.session(write=True) as session:
        signal = give_feedback(session, signal_id, verdict, note, author)
        out.print(f"signal n° {signal.id} ({signal.subject}) : {label(STATUS_LABELS, signal.status)}")


@app.command()
def backtest(
    from_: Annotated[str, typer.Option("--from", help="première semaine (une date de cette semaine)")],
    to: Annotated[str, typer.Option("--to", help="dernier jour")],
    events: Annotated[Path | None, typer.Option(help="liste JSON de {name, onset, patterns}")] = None,
    budget: Annotated[
        int | None, typer.Option(min=1, help="nouveaux signaux qu'un lecteur prend par semaine")
    ] = None,
    out_path: Annotated[
        Path | None, typer.Option("--out", help="écrire ici les signalements de chaque semaine (JSON Lines)")
    ] = None,
) -> None:
    """Rejoue l'analyse hebdomadaire sur les données enregistrées et la note au regard d'événements connus (une ligne JSON à la fin)."""
    from signals.stages.backtest import backtest as run_backtest
    from signals.stages.backtest import load_events

    first, last = parse_date(from_, "--from"), parse_date(to, "--to")
    assert first is not None and last is not None
    known = load_events(events) if events else []
    settings = settings_from_env()
    _, communes = pipeline.read_territory(settings)
    total = len(weeks_between(first, last))
    with Store.open(settings) as store, progress_bars() as bars:
        replayed = iter(range(1, total + 1))
        result = run_backtest(
            store,
            settings,
            first,
            last,
            known,
            budget,
            communes,
            out_path,
            progress=lambda _week: bars("rejeu des semaines", next(replayed), total),
        )
    scores = result.scores()
    if known:
        table = Table(
            "événement",
            "début",
            "1er signalement",
            "type de signal",
            "avance (sem.)",
            "pic",
            "sem. avant le pic",
        )
        for name, d in scores["per_event_detail"].items():
            table.add_row(
                name,
                d["onset"],
                d["first_flag"] or "—",
                label(KIND_LABELS, d["signal_kind"]),
                str(d["lead_weeks"] if d["lead_weeks"] is not None else "—"),
                d["peak_week"] or "—",
                str(d["weeks_before_peak"] if d["weeks_before_peak"] is not None else "—"),
            )
        out.print(table)
    out.print(
        f"{counted(len(result.flags), 'nouveau signal', 'nouveaux signaux')} en "
        f"{counted(len(result.weeks), 'semaine', 'semaines')} (budget : {result.budget} par semaine)"
    )
    print(json.dumps(scores, ensure_ascii=False))
