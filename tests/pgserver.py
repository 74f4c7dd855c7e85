"""A throwaway PostgreSQL cluster for the suite's PostgreSQL run (``pytest --store postgresql``).

Debian's ``postgresql`` package gives ``initdb`` and ``pg_ctl``; the cluster lives in a temporary
folder, listens on 127.0.0.1 on a free port and is removed at the end of the session. PostgreSQL
refuses to run as root, so as root the cluster belongs to the ``postgres`` user. Durability is switched
off (``fsync``, ``synchronous_commit``): the cluster dies with the session anyway.
Each test gets a database of its own (``fresh_database``), dropped after it.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from bench.common import free_port

PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def _tool(name: str) -> str:
    for folder in PG_BIN_DIRS:
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} not found: `make postgresql` installs Debian's postgresql package")
    return found


def _as_owner(command: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--", *command] if owner else command


@contextmanager
def cluster() -> Iterator[str]:
    """Start a cluster; yield the URL of its ``postgres`` database as the superuser ``postgres``."""
    folder = Path(tempfile.mkdtemp(prefix="signals-pg-"))
    owner = "postgres" if os.geteuid() == 0 else None
    if owner:
        account = pwd.getpwnam(owner)
        os.chown(folder, account.pw_uid, account.pw_gid)
    data, port = folder / "data", free_port()
    run = {"check": True, "capture_output": True, "text": True}
    initdb = [_tool("initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8"]
    subprocess.run(_as_owner([*initdb, "--locale=C.UTF-8", "--no-sync"], owner), **run)
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
    options += " -c full_page_writes=off -c max_connections=200"
    ctl = [_tool("pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w"]
    try:
        subprocess.run(_as_owner([*ctl, "-o", options, "start"], owner), **run)
    except subprocess.CalledProcessError as exc:
        log = (folder / "log").read_text(errors="replace") if (folder / "log").exists() else ""
        raise RuntimeError(f"PostgreSQL did not start: {exc.stderr}\n{log}") from exc
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_owner([*ctl, "-m", "immediate", "stop"], owner), capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


class Databases:
    """Creates databases on a server given by its superuser URL, and drops them all at the end."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self._admin: Engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self._numbers = itertools.count(1)
        self._created: list[str] = []
        self._migrated: str | None = None

    def create(self, template: str | None = None, empty: bool = False) -> str:
        """A new database migrated to the latest schema (a copy of one migrated once: migrating every
        test's database would cost a second each), or ``empty``, or a copy of the database at URL
        ``template``; its URL."""
        if template is None and not empty:
            template = self._migrated_template()
        name = f"signals_test_{os.getpid()}_{next(self._numbers)}"
        source = make_url(template).database if template else "template0"
        with self._admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}" ENCODING \'UTF8\''))
        self._created.append(name)
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def _migrated_template(self) -> str:
        if self._migrated is None:
            from signals.core.store import Store

            url = self.create(empty=True)
            store = Store(url)
            store.migrate()
            store.close()  # a template database must have no open connection
            self._migrated = url
        return self._migrated

    def drop(self, url: str) -> None:
        name = make_url(url).database
        with self._admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._created.remove(name)

    def close(self) -> None:
        for name in list(self._created):
            self.drop(make_url(self.admin_url).set(database=name).render_as_string(hide_password=False))
        self._admin.dispose()


# The session's server on the PostgreSQL run (set by tests/conftest.py), None on the SQLite run.
active: Databases | None = None


def database_url() -> str | None:
    """A new database for one service home on the PostgreSQL run; None (the home's SQLite file) otherwise."""
    return active.create() if active else None
