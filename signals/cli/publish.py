"""What people read: the weekly brief, the quarterly report, the outbox, the archive, the feedback links."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from reports.format import counted, quarter_name, week_name, week_range
from reports.outbox import FAILED, QUEUED, SENDING, SENT
from reports.wording import ARCHIVE_KIND_LABELS, DELIVERY_LABELS
from signals import pipeline
from signals.cli.common import BadValue, app, busy, label, out, settings_from_env
from signals.core.periods import parse_quarter, parse_week
from signals.core.store import Store

# --- reports --------------------------------------------------------------------------------------------


@app.command()
def brief(
    week: Annotated[
        str | None, typer.Option(help="semaine ISO AAAA-Wss (par défaut : la dernière semaine complète)")
    ] = None,
    out_path: Annotated[Path | None, typer.Option("--out", help="écrire aussi le HTML ici")] = None,
    send: Annotated[bool, typer.Option("--send", help="mettre en file et envoyer aux destinataires")] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="la produire à nouveau, à la place de celle archivée (sans second envoi)"
        ),
    ] = False,
) -> None:
    """Produit la note hebdomadaire (une fois par semaine), l'archive, et l'envoie si demandé."""
    settings = settings_from_env()
    try:
        monday = pipeline.resolve_week(week, settings)
    except ValueError as exc:
        raise BadValue(str(exc), param_hint="--week") from None
    with Store.open(settings) as store:
        result = busy(
            "rédaction de la note…", lambda: pipeline.brief(store, settings, monday, out_path, send, force)
        )
    out.print(
        f"note de la {week_name(monday)} : {'produite' if result.created else 'déjà produite'} — {result.archive}"
    )
    if result.out:
        out.print(f"écrite dans {result.out}")
    for path in result.outbox:
        out.print(f"boîte d'envoi : {path}")
    if result.deliveries:
        out.print(
            "envois : "
            + ", ".join(f"{label(DELIVERY_LABELS, k)} : {v}" for k, v in result.deliveries.items())
        )


@app.command()
def report(
    quarter: Annotated[
        str | None, typer.Option(help="AAAAQn (par défaut : le dernier trimestre complet)")
    ] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="dossier du HTML et du PDF")] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="le produire à nouveau depuis la base, à la place de celui archivé"),
    ] = False,
) -> None:
    """Produit le rapport trimestriel destiné aux élus (HTML et PDF)."""
    settings = settings_from_env()
    try:
        label = pipeline.resolve_quarter(quarter, settings)
    except ValueError as exc:
        raise BadValue(str(exc), param_hint="--quarter") from None
    with Store.open(settings) as store:
        result = busy(
            "rédaction du rapport…", lambda: pipeline.quarterly_report(store, settings, label, out_dir, force)
        )
    for path in result.files:
        out.print(f"rapport du {quarter_name(label)} : {path}")


@app.command()
def deliveries(
    status: Annotated[
        str | None,
        typer.Option(help=", ".join(f"{k} ({DELIVERY_LABELS[k]})" for k in (QUEUED, SENDING, SENT, FAILED))),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    send: Annotated[
        bool, typer.Option("--send", help="envoyer d'abord les messages dus (nouvelles tentatives)")
    ] = False,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="remettre d'abord en file les envois en échec")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="un objet JSON par envoi, pour les scripts")
    ] = False,
) -> None:
    """La boîte d'envoi : chaque envoi d'une note par destinataire, avec ses tentatives, ses erreurs et sa destination."""
    settings = settings_from_env()
    with Store.open(settings) as store:
        if retry_failed:
            out.print(f"remis en file : {pipeline.retry_failed(store)}")
        if send:
            result = busy("envoi…", lambda: pipeline.deliver(store, settings))
            done = "envoyés" if settings.smtp.host else "mis en boîte d'envoi"  # one line of 80 columns
            out.print(
                f"{done} : {result.sent}, à réessayer : {result.retrying}, en échec : {result.failed}, "
                f"repris après arrêt : {result.reconciled + result.requeued}"
            )
        rows = pipeline.deliveries(store, status, limit)
    if as_json:
        for r in rows:
            out.print_json(
                data={
                    "id": r.id,
                    "brief": f"{r.kind} {r.period}",
                    "recipient": r.recipient,
                    "status": r.status,
                    "outcome": r.outcome,
                    "attempts": r.attempts,
                    "sent_at": r.sent_at.isoformat() if r.sent_at else None,
                    "location": r.location,
                    "error": r.last_error,
                },
                indent=None,
            )
        return
    # Five narrow columns (80 columns of terminal): where each message went and full errors are in --json.
    table = Table("n°", "document", "destinataire", "état", "quand")
    for r in rows:
        when = r.sent_at if r.sent_at else r.next_attempt_at if r.status in ("queued", "sending") else None
        tries = counted(r.attempts, "tentative", "tentatives")
        error = f"\n{r.last_error[:60]}" if r.status == "failed" and r.last_error else ""
        table.add_row(
            str(r.id),
            _document(r.kind, r.period),
            r.recipient,
            f"{label(DELIVERY_LABELS, r.outcome)} ({tries}){error}",
            f"{when.astimezone(settings.tz):%d/%m %H:%M}" if when else "—",
        )
    out.print(table)


@app.command("archive")
def archive_(
    kind: Annotated[
        str | None, typer.Option(help="weekly (notes hebdomadaires) ou quarterly (rapports trimestriels)")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    as_json: Annotated[
        bool, typer.Option("--json", help="un objet JSON par entrée, pour les scripts")
    ] = False,
) -> None:
    """Chaque note et rapport archivés avec leurs fichiers et leurs envois (--json : avec les chemins et les objets)."""
    settings = settings_from_env()
    with Store.open(settings) as store:
        entries = pipeline.archive(store, kind, limit)
    if as_json:
        for e in entries:
            out.print_json(
                data={
                    "kind": e.kind,
                    "period": e.period,
                    "created": e.created_at.isoformat(),
                    "subject": e.subject,
                    "files": {n: str(p) for n, p in e.files.items()},
                    "sizes": e.sizes,
                    "deliveries": e.deliveries,
                },
                indent=None,
            )
        return
    # fits 80 columns: each file by its kind and size (``--json`` gives the paths and the subject)
    table = Table("document", "créé le", "envois", "fichiers")
    table.columns[2].no_wrap = True
    for e in entries:
        files = "\n".join(
            f"{name} {size / 1024:.0f} Ko" if size is not None else f"{name} manquant"
            for name, size in e.sizes.items()
        )
        table.add_row(
            _document(e.kind, e.period),
            f"{e.created_at.astimezone(settings.tz):%d/%m/%Y %H:%M}",
            "\n".join(f"{label(DELIVERY_LABELS, k)} : {v}" for k, v in e.deliveries.items()) or "—",
            files,
        )
    out.print(table)


@app.command("serve-feedback")
def serve_feedback(
    host: Annotated[str, typer.Option(help="adresse d'écoute")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8765,
) -> None:
    """Sert les liens « confirmer / écarter » de la note (SIGNALS_PUBLIC_URL : l'adresse que les lecteurs atteignent)."""
    settings = settings_from_env()
    with Store.open(settings) as store:
        server = pipeline.feedback_server(store, settings, host, port)
        out.print(
            f"réception des avis sur {server.url} (les liens mènent à "
            f"{settings.public_url or 'aucune adresse : définir SIGNALS_PUBLIC_URL'})"
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.httpd.server_close()


def _document(kind: str, period: str) -> str:
    """A brief or report in words, short enough for a table: 'note du 16 au 22 novembre 2026', 'rapport du
    3e trimestre 2026'.

    >>> _document("weekly", "2026-W47"), _document("quarterly", "2026Q3"), _document("weekly", "2026-W99")
    ('note du 16 au 22 novembre 2026', 'rapport du 3e trimestre 2026', 'note hebdomadaire 2026-W99')
    """
    try:
        if kind == "weekly":
            return f"note {week_range(parse_week(period))}"
        if kind == "quarterly":
            parse_quarter(period)
            return f"rapport du {quarter_name(period)}"
    except ValueError:
        pass
    return f"{label(ARCHIVE_KIND_LABELS, kind)} {period}"
