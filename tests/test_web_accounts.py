"""Console accounts: ``signals users add|list|disable`` as a user runs it, passwords stored as argon2id
hashes only, login throttling per account and per address kept in the database, the audit trail."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import select

from signals.core import clock
from signals.core.accounts import Throttled, add_user, authenticate, disable_user
from signals.core.schema import AuditEntry, User
from signals.core.settings import WebSettings
from signals.core.store import Store
from tests.conftest import child_environment, home_environment
from tests.test_cli import run


def test_users_add_list_disable_from_the_command_line(tmp_path, settings):
    Store.open(settings).close()
    home = tmp_path
    added = subprocess.run(
        [
            sys.executable,
            "-m",
            "signals.cli",
            "users",
            "add",
            "camille",
            "--role",
            "analyst",
            "--password-stdin",
        ],
        input="un mot de passe assez long\n",
        capture_output=True,
        text=True,
        cwd=home,
        env=home_environment(settings) | {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(sys.path[0])},
        timeout=300,
    )
    assert added.returncode == 0, added.stderr
    assert "compte camille : analyste" in added.stdout
    listed = run(["users", "list", "--json"], home, home_environment(settings))
    assert [json.loads(line)["role"] for line in listed.stdout.splitlines()] == ["analyst"]
    bad = run(
        ["users", "add", "x", "--role", "chef", "--password-stdin"],
        home,
        home_environment(settings),
    )
    assert bad.returncode != 0 and "--role" in bad.stderr
    disabled = run(["users", "disable", "camille"], home, home_environment(settings))
    assert disabled.returncode == 0
    missing = run(["users", "disable", "personne"], home, home_environment(settings))
    assert missing.returncode == 2 and "erreur : aucun compte 'personne'" in missing.stderr
    store = Store.open(settings)
    with store.session() as session:
        user = session.scalar(select(User))
        assert not user.active and user.password_hash.startswith("$argon2id$")
        assert "un mot de passe" not in user.password_hash
        actions = list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    store.close()
    assert actions == ["user.add", "user.disable"]


def test_short_passwords_unknown_roles_and_odd_names_are_refused(store):
    with store.session(write=True) as session:
        for name, password, role, reason in [
            ("ok-name", "court", "staff", "au moins 10 caractères"),
            ("ok-name", "assez long mot", "chef", "rôle 'chef'"),
            ("a b", "assez long mot", "staff", "nom de compte 'a b'"),
        ]:
            with pytest.raises(ValueError, match=reason):
                add_user(session, name, password, role)


def test_logins_are_throttled_per_account_and_per_address(store):
    limits = WebSettings(login_max_per_user=3, login_max_per_address=5, login_window_min=15)
    with store.session(write=True) as session:
        add_user(session, "dominique", "le bon mot de passe", "staff")
        add_user(session, "sacha", "le bon mot de passe", "staff")
    with store.session(write=True) as session:
        assert authenticate(session, "dominique", "le bon mot de passe", "10.0.0.1", limits) is not None
        for _ in range(3):
            assert authenticate(session, "dominique", "faux", "10.0.0.1", limits) is None
    with store.session(write=True) as session, pytest.raises(Throttled) as caught:
        authenticate(session, "dominique", "le bon mot de passe", "10.0.0.9", limits)
    assert caught.value.retry_at > clock.now() + timedelta(minutes=14)
    # another account from the same address still logs in, until the address itself has failed too often
    with store.session(write=True) as session:
        assert authenticate(session, "sacha", "le bon mot de passe", "10.0.0.1", limits) is not None
        for _ in range(2):
            assert authenticate(session, "inconnu", "faux", "10.0.0.1", limits) is None
    with store.session(write=True) as session, pytest.raises(Throttled):
        authenticate(session, "sacha", "le bon mot de passe", "10.0.0.1", limits)
    with store.session(write=True) as session:  # from elsewhere, sacha is fine
        assert authenticate(session, "sacha", "le bon mot de passe", "10.0.0.2", limits) is not None


def test_a_disabled_account_cannot_log_in(store):
    limits = WebSettings()
    with store.session(write=True) as session:
        add_user(session, "alex", "le bon mot de passe", "official")
        disable_user(session, "alex", actor="admin")
        assert authenticate(session, "alex", "le bon mot de passe", "127.0.0.1", limits) is None
        trail = [
            (a.actor, a.action, a.target) for a in session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]
    assert trail == [
        ("cli", "user.add", "alex"),
        ("admin", "user.disable", "alex"),
        ("alex", "login.failed", "alex"),
    ]


def test_signals_web_serves_the_console_on_the_given_port(tmp_path, settings):
    import urllib.request

    from bench.common import free_port, listening

    Store.open(settings).close()
    port = free_port()
    env = child_environment(settings)
    command = [sys.executable, "-m", "signals.cli", "web", "--port", str(port)]
    with listening(command, port, env, tmp_path, capture=True) as server:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/connexion", timeout=30) as response:
            page = response.read().decode()
        assert "Connexion" in page and "Val de Test" in page
    out, _ = server.communicate(timeout=30)
    assert f"console sur http://127.0.0.1:{port} (Ctrl+C l'arrête)" in out
