"""The web console and its accounts: ``signals web`` and ``signals users add|list|disable``."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.table import Table

from reports.wording import ROLE_LABELS
from signals.cli.common import BadValue, app, label, out, settings_from_env
from signals.core.accounts import ROLES, add_user, disable_user, list_users
from signals.core.store import Store

users_app = typer.Typer(help="Les comptes de la console web.", no_args_is_help=True)
app.add_typer(users_app, name="users")


@app.command()
def web(
    host: Annotated[str | None, typer.Option(help="adresse d'écoute (par défaut : web.host)")] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="par défaut : web.port, sinon 8000")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, max=64, help="processus qui la servent (par défaut : web.workers)")
    ] = None,
) -> None:
    """Sert la console web. Les liens de la note y mènent dès que SIGNALS_WEB__PORT donne son port (ou SIGNALS_PUBLIC_URL l'adresse que ses lecteurs atteignent)."""
    import uvicorn

    from signals.web.app import create_app, session_key

    settings = settings_from_env()
    host = host or settings.web.host
    port = port or settings.web.port or 8000
    workers = workers or settings.web.workers
    out.print(f"console sur http://{host}:{port} (Ctrl+C l'arrête)")
    options: dict[str, Any] = {"host": host, "port": port, "log_level": "warning", "server_header": False}
    if workers == 1:
        uvicorn.run(create_app(settings), **options)
        return
    session_key(settings)  # the session cookie's key, created once before the processes read it
    # each process builds its own app from the same environment (uvicorn restarts one that dies)
    uvicorn.run(f"{__name__}:console_from_environment", factory=True, workers=workers, **options)


def console_from_environment() -> Any:
    """The console's application built from the environment's settings: each process of ``signals web
    --workers N`` calls it."""
    from signals.web import create_app

    return create_app(settings_from_env())


def _password(password_stdin: bool, name: str) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt(
        f"mot de passe de {name}",
        hide_input=True,
        confirmation_prompt="Répétez le mot de passe",
    )


@users_app.command("add")
def users_add(
    name: str,
    role: Annotated[str, typer.Option(help=", ".join(f"{r} ({ROLE_LABELS[r]})" for r in ROLES))] = "staff",
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin", help="lire le mot de passe sur la première ligne de l'entrée standard"
        ),
    ] = False,
) -> None:
    """Crée un compte (ou donne à un compte existant un nouveau mot de passe et un rôle, en le réactivant)."""
    if role not in ROLES:
        raise BadValue(f"l'un de : {', '.join(ROLES)}", param_hint="--role")
    password = _password(password_stdin, name)
    with Store.open(settings_from_env()) as store, store.session(write=True) as session:
        account = add_user(session, name, password, role)
    out.print(f"compte {account.name} : {label(ROLE_LABELS, account.role)}")


@users_app.command("list")
def users_list(
    as_json: Annotated[bool, typer.Option("--json", help="un objet JSON par compte")] = False,
) -> None:
    """Les comptes, leur rôle et leur dernière connexion."""
    settings = settings_from_env()
    with Store.open(settings) as store, store.session() as session:
        accounts = list_users(session)
    if as_json:
        for a in accounts:
            print(
                json.dumps(
                    {
                        "name": a.name,
                        "role": a.role,
                        "active": a.active,
                        "last_login": a.last_login_at.isoformat() if a.last_login_at else None,
                    }
                )
            )
        return
    table = Table("nom", "rôle", "actif", "dernière connexion")
    for a in accounts:
        when = f"{a.last_login_at.astimezone(settings.tz):%d/%m/%Y %H:%M}" if a.last_login_at else "jamais"
        table.add_row(a.name, label(ROLE_LABELS, a.role), "oui" if a.active else "non", when)
    out.print(table)


@users_app.command("disable")
def users_disable(name: str) -> None:
    """Désactive un compte (ses sessions prennent fin aussitôt ; `users add` le réactive)."""
    with Store.open(settings_from_env()) as store, store.session(write=True) as session:
        disable_user(session, name)
    out.print(f"compte {name} : désactivé")
