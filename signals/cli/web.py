"""The web console and its accounts: ``signals web`` and ``signals users add|list|disable``."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.table import Table

from signals.cli.common import app, out, settings_from_env
from signals.core.accounts import ROLES, add_user, disable_user, list_users
from signals.core.store import Store

users_app = typer.Typer(help="Accounts of the web console.", no_args_is_help=True)
app.add_typer(users_app, name="users")


@app.command()
def web(
    host: Annotated[str | None, typer.Option(help="address to listen on (default: web.host)")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="default: web.port, else 8000")] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, max=64, help="processes serving it (default: web.workers)")
    ] = None,
) -> None:
    """Serve the web console. The brief's links land on it once SIGNALS_WEB__PORT names its port (or
    SIGNALS_PUBLIC_URL the address its readers reach)."""
    import uvicorn

    from signals.web.app import create_app, session_key

    settings = settings_from_env()
    host = host or settings.web.host
    port = port or settings.web.port or 8000
    workers = workers or settings.web.workers
    out.print(f"console on http://{host}:{port} (Ctrl+C stops it)")
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
    return typer.prompt(f"password for {name}", hide_input=True, confirmation_prompt=True)


@users_app.command("add")
def users_add(
    name: str,
    role: Annotated[str, typer.Option(help=", ".join(ROLES))] = "staff",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from the first line of stdin")
    ] = False,
) -> None:
    """Create an account (or give an existing one a new password and role, enabling it again)."""
    if role not in ROLES:
        raise typer.BadParameter(f"one of {', '.join(ROLES)}", param_hint="--role")
    password = _password(password_stdin, name)
    with Store.open(settings_from_env()) as store, store.session(write=True) as session:
        account = add_user(session, name, password, role)
    out.print(f"account {account.name}: {account.role}")


@users_app.command("list")
def users_list(
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per account")] = False,
) -> None:
    """The accounts, their role and last login."""
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
    table = Table("name", "role", "active", "last login")
    for a in accounts:
        when = f"{a.last_login_at.astimezone(settings.tz):%Y-%m-%d %H:%M}" if a.last_login_at else "never"
        table.add_row(a.name, a.role, "yes" if a.active else "no", when)
    out.print(table)


@users_app.command("disable")
def users_disable(name: str) -> None:
    """Disable an account (its sessions end at once; `users add` enables it again)."""
    with Store.open(settings_from_env()) as store, store.session(write=True) as session:
        disable_user(session, name)
    out.print(f"account {name}: disabled")
