"""Accounts, for admins: the list, a new account (or a new password and role), disabling one, and the
audit trail of recent actions."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from signals.core.accounts import ROLES, AccountError, add_user, audit_trail, disable_user, list_users
from signals.web.pages import page
from signals.web.security import form_text, guarded

REFUSED = {
    "name": "Identifiant refusé : de 2 à 60 lettres, chiffres, « . », « _ », « - » ou « @ ».",
    "role": "Rôle inconnu.",
    "password": "Mot de passe trop court : 10 caractères au moins.",
    "unknown": "Ce compte n'existe pas.",
    "self": "Vous ne pouvez pas désactiver votre propre compte.",
    "action": "Action inconnue.",
}


def _page(request: Request, status: int = 200, error: str | None = None) -> Response:
    with request.app.state.store.session() as session:
        accounts, trail = list_users(session), audit_trail(session, 50)
        return page(
            request,
            "users.html.j2",
            status_code=status,
            accounts=accounts,
            trail=trail,
            roles=ROLES,
            error=error,
        )


@guarded("users")
def users(request: Request) -> Response:
    return _page(request)


@guarded("users")
def change(request: Request) -> Response:
    actor, action, name = (
        request.state.user.name,
        form_text(request, "action", 20),
        form_text(request, "nom", 120),
    )
    try:
        with request.app.state.store.session(write=True) as session:
            if action == "ajouter":
                add_user(
                    session,
                    name,
                    form_text(request, "mot_de_passe", 1000),
                    form_text(request, "role", 20),
                    actor=actor,
                )
            elif action == "desactiver":
                if name == actor:
                    raise AccountError("you cannot disable your own account", "self")
                disable_user(session, name, actor=actor)
            else:
                raise AccountError(f"unknown action {action!r}", "action")
    except AccountError as exc:
        return _page(request, 422, REFUSED.get(exc.code, str(exc)))
    return RedirectResponse("/comptes", status_code=303)


routes = [Route("/comptes", users), Route("/comptes", change, methods=["POST"])]
