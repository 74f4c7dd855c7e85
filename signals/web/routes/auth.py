"""Logging in and out: passwords checked by ``signals.core.accounts``, throttled, audited."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from signals.core.accounts import Throttled, audit, authenticate
from signals.web.pages import page
from signals.web.security import checked_form, client_address, guarded, viewer


def _next(target: str | None) -> str:
    """Only a path of this site (never ``//host`` or a scheme) is followed after login."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


async def login(request: Request) -> Response:
    request.state.user = viewer(request)
    if request.method == "GET":
        if request.state.user is not None:
            return RedirectResponse("/", status_code=303)
        return page(request, "login.html.j2", suite=_next(request.query_params.get("suite")), error=None)
    form = await checked_form(request)
    name, password = str(form.get("nom") or "")[:120], str(form.get("mot_de_passe") or "")[:1000]
    suite = _next(str(form.get("suite") or ""))
    app = request.app.state
    error, status = None, 401
    with app.store.session(write=True) as session:
        try:
            account = authenticate(session, name, password, client_address(request), app.settings.web)
        except Throttled as exc:
            account, status = None, 429
            error = (
                "Trop de tentatives de connexion échouées. Réessayez après "
                f"{exc.retry_at.astimezone(app.settings.tz):%H:%M}."
            )
    if account is None:
        error = error or "Identifiant ou mot de passe incorrect."
        return page(request, "login.html.j2", status_code=status, suite=suite, error=error, nom=name)
    request.session.clear()  # a new session at login (its CSRF token too)
    request.session["user"] = account.name
    return RedirectResponse(suite, status_code=303)


@guarded("read")
async def logout(request: Request) -> Response:
    with request.app.state.store.session(write=True) as session:
        audit(session, request.state.user.name, "logout", address=client_address(request))
    request.session.clear()
    return RedirectResponse("/connexion", status_code=303)


routes = [
    Route("/connexion", login, methods=["GET", "POST"]),
    Route("/deconnexion", logout, methods=["POST"]),
]
