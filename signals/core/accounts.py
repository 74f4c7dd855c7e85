"""Console accounts: roles and what each may do, passwords (argon2id through argon2-cffi), logins
throttled per account and per address (attempts are stored, so a restart forgets nothing), and the audit
trail of every action.

Roles are cumulative: officials read; staff also give feedback on signals; analysts also edit and collect
sources; admins also manage accounts.

>>> allowed("staff", "feedback"), allowed("official", "feedback"), allowed("admin", "sources")
(True, False, True)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from signals.core import clock
from signals.core.errors import UserError
from signals.core.schema import AuditEntry, LoginAttempt, User
from signals.core.settings import WebSettings

ROLES = ("official", "staff", "analyst", "admin")
# the least role each permission needs
PERMISSIONS = {"read": "official", "feedback": "staff", "sources": "analyst", "users": "admin"}
MIN_PASSWORD = 10
_NAME = re.compile(r"^[\w.@-]{2,60}$", re.UNICODE)
_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Checked when the account does not exist: the answer takes as long as a real check."""
    return _hasher.hash("not a password of anyone")


class AccountError(UserError, ValueError):
    """A refused account change; ``code`` (name, role, password, unknown) says which rule, for the console's
    own words."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class Throttled(UserError, PermissionError):
    """Too many failed logins for this account or from this address: wait until ``retry_at``."""

    def __init__(self, retry_at: datetime) -> None:
        super().__init__(f"trop de connexions échouées ; réessayer après {retry_at:%H:%M} UTC")
        self.retry_at = retry_at


def allowed(role: str, permission: str) -> bool:
    return role in ROLES and ROLES.index(role) >= ROLES.index(PERMISSIONS[permission])


@dataclass
class Account:
    """An account as the console and ``signals users list`` show it (never its hash)."""

    name: str
    role: str
    active: bool
    created_at: datetime
    last_login_at: datetime | None


def _account(user: User) -> Account:
    return Account(user.name, user.role, user.active, user.created_at, user.last_login_at)


def add_user(session: Session, name: str, password: str, role: str, actor: str = "cli") -> Account:
    """Create an account, or reset the password and role of an existing one (enabling it again)."""
    if not _NAME.match(name):
        raise AccountError(
            f"nom de compte {name!r} : de 2 à 60 lettres, chiffres, '.', '_', '-' ou '@'", "name"
        )
    if role not in ROLES:
        raise AccountError(f"rôle {role!r} : l'un de {', '.join(ROLES)}", "role")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"mot de passe de {name!r} : au moins {MIN_PASSWORD} caractères", "password")
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        user = User(name=name, role=role, password_hash=_hasher.hash(password), active=True)
        session.add(user)
        audit(session, actor, "user.add", name, {"role": role})
    else:
        user.role, user.password_hash, user.active = role, _hasher.hash(password), True
        audit(session, actor, "user.reset", name, {"role": role})
    session.flush()
    return _account(user)


def list_users(session: Session) -> list[Account]:
    return [_account(u) for u in session.scalars(select(User).order_by(User.name))]


def disable_user(session: Session, name: str, actor: str = "cli") -> Account:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise AccountError(f"aucun compte {name!r} (voir `signals users list`)", "unknown")
    user.active = False
    audit(session, actor, "user.disable", name)
    session.flush()
    return _account(user)


def get_account(session: Session, name: str) -> Account | None:
    """The active account of this name, or None (disabled accounts lose their sessions at once)."""
    user = session.scalar(select(User).where(User.name == name, User.active.is_(True)))
    return _account(user) if user else None


def _failures(session: Session, column: Any, value: str, since: datetime) -> tuple[int, datetime | None]:
    count, oldest = session.execute(
        select(func.count(), func.min(LoginAttempt.at)).where(
            column == value, LoginAttempt.success.is_(False), LoginAttempt.at >= since
        )
    ).one()
    return int(count), oldest


def check_throttle(session: Session, name: str, address: str, limits: WebSettings) -> None:
    """Raise ``Throttled`` when this account or this address failed too often within the window."""
    window = timedelta(minutes=limits.login_window_min)
    since = clock.now() - window
    for column, value, limit in (
        (LoginAttempt.name, name, limits.login_max_per_user),
        (LoginAttempt.address, address, limits.login_max_per_address),
    ):
        count, oldest = _failures(session, column, value, since)
        if count >= limit and oldest is not None:
            raise Throttled(oldest + window)


def authenticate(
    session: Session, name: str, password: str, address: str, limits: WebSettings
) -> Account | None:
    """The account when the password is right, else None; every try is recorded and audited.

    Raises ``Throttled`` (before checking the password) when too many tries failed recently.
    """
    name = name.strip()[:120]
    try:
        check_throttle(session, name, address, limits)
    except Throttled:
        audit(session, name or "?", "login.throttled", name, address=address)
        raise
    user = session.scalar(select(User).where(User.name == name))
    ok = False
    try:
        ok = _hasher.verify(user.password_hash if user else _dummy_hash(), password) and bool(
            user and user.active
        )
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    session.add(LoginAttempt(name=name, address=address[:64], success=ok))
    audit(session, name or "?", "login" if ok else "login.failed", name, address=address)
    if not ok or user is None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = clock.now()
    session.flush()
    return _account(user)


def audit(
    session: Session,
    actor: str,
    action: str,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
    address: str | None = None,
) -> None:
    """Record who did what, when, on which object (in the caller's unit of work)."""
    session.add(
        AuditEntry(
            actor=actor[:120],
            action=action,
            target=target and target[:250],
            detail=detail or {},
            address=address and address[:64],
        )
    )


def audit_trail(session: Session, limit: int = 100, actor: str | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    return list(session.scalars(query))
