"""What guards every page: security headers, the session's user and role, the CSRF token of every form.

CSRF: the synchronizer token pattern, bound to the session. The session (a cookie signed by Starlette's
``SessionMiddleware`` with itsdangerous, HttpOnly, SameSite=Lax, Secure when configured) holds a random
token; every form carries it in a hidden field, and a POST whose field does not match is refused (403)
before anything else runs.

Pages that read or write the store are plain functions: ``guarded`` runs them, with the account lookup, in
Starlette's thread pool, so a slow query holds one worker thread and never the event loop that serves every
other request.
"""

from __future__ import annotations

import hmac
import inspect
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from signals.core.accounts import Account, allowed, get_account

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",  # the brief's signed links carry their token in the URL
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
    "cross-origin-opener-policy": "same-origin",
}
MAX_FORM_BYTES = 256 * 1024  # a source definition is the largest form
Endpoint = Callable[[Request], Awaitable[Response]] | Callable[[Request], Response]


class SecurityHeaders:
    """Adds the headers above to every response (a route may set its own CSP, e.g. for an archived brief),
    and ``Cache-Control: no-store`` to pages (not to static assets)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k.encode(), v.encode()) for k, v in HEADERS.items() if k.encode() not in present]
                if not static and b"cache-control" not in present:
                    extra.append((b"cache-control", b"no-store"))
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token matched the session's (else 403, nothing done)."""
    length = int(request.headers.get("content-length") or 0)
    if length > MAX_FORM_BYTES:
        raise HTTPException(413, "Formulaire trop volumineux.")
    form = await request.form(max_files=0, max_fields=50)
    given, expected = str(form.get("csrf") or ""), str(request.session.get("csrf") or "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(403, "Formulaire expiré ou invalide : rechargez la page et recommencez.")
    return form


def client_address(request: Request) -> str:
    return request.client.host if request.client else "?"


def viewer(request: Request) -> Account | None:
    """The logged-in account of this request (an account disabled since its login has no session)."""
    name = request.session.get("user")
    if not name:
        return None
    with request.app.state.store.session() as session:
        account = get_account(session, str(name))
    if account is None:
        request.session.clear()
    return account


def guarded(permission: str) -> Callable[[Endpoint], Callable[[Request], Awaitable[Response]]]:
    """An endpoint for logged-in accounts whose role has ``permission``: others are sent to the login page
    (GET) or refused (403). A POST's CSRF token is checked first; the form is in ``request.state.form``.
    A plain (not ``async``) endpoint runs in the thread pool, the account lookup with it."""

    def wrap(endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
        asynchronous = inspect.iscoroutinefunction(endpoint)

        def admitted(request: Request) -> Response | None:
            """``None`` when the request may go on (``request.state.user`` set), else the answer."""
            account = viewer(request)
            if account is None:
                if request.method == "GET":
                    return RedirectResponse(f"/connexion?suite={request.url.path}", status_code=303)
                raise HTTPException(401, "Connectez-vous d'abord.")
            if not allowed(account.role, permission):
                raise HTTPException(403, "Votre rôle ne permet pas cette action.")
            request.state.user = account
            return None

        def in_thread(request: Request) -> Response:
            return admitted(request) or endpoint(request)  # type: ignore[return-value]

        async def handler(request: Request) -> Response:
            if request.method == "POST":
                request.state.form = await checked_form(request)
            if not asynchronous:
                return await run_in_threadpool(in_thread, request)
            refused = await run_in_threadpool(admitted, request)
            return refused or await endpoint(request)  # type: ignore[misc]

        handler.__name__ = endpoint.__name__
        handler.__doc__ = endpoint.__doc__
        return handler

    return wrap


def form_text(request: Request, name: str, limit: int = 2000) -> str:
    value: Any = request.state.form.get(name) or ""
    return str(value).strip()[:limit]
