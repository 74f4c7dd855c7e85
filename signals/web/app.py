"""The console's application: settings and store in ``app.state``, middlewares, routes, static assets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from signals.core.keys import kept_key
from signals.core.settings import Settings
from signals.core.sources import SourceError
from signals.core.store import Store
from signals.pipeline import read_territory
from signals.web.kept import Kept
from signals.web.pages import HERE, page
from signals.web.routes import routes
from signals.web.security import SecurityHeaders, viewer

ERROR_TITLES = {
    401: "Connexion requise",
    403: "Accès refusé",
    404: "Page introuvable",
    413: "Trop volumineux",
}


def session_key(settings: Settings) -> str:
    if settings.web.session_secret is not None:
        return settings.web.session_secret.get_secret_value()
    return kept_key(settings.home / "web.key").decode()


async def _error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "Erreur interne."
    if not hasattr(request.state, "user"):
        try:
            request.state.user = viewer(request)
        except Exception:  # an error page never fails for want of a user
            request.state.user = None
    title = ERROR_TITLES.get(status, "Erreur")
    return page(request, "error.html.j2", status_code=status, title=title, message=detail)


def create_app(settings: Settings, store: Store | None = None) -> Starlette:
    """The console over ``store`` (opened from ``settings`` when not given, and closed with the app)."""
    owned = store is None
    the_store = store if store is not None else Store.open(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        if owned:
            the_store.close()

    app = Starlette(
        routes=[*routes, Mount("/static", StaticFiles(directory=HERE / "static"), name="static")],
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(
                SessionMiddleware,
                secret_key=session_key(settings),
                session_cookie="veille_session",
                max_age=int(settings.web.session_hours * 3600),
                same_site="lax",
                https_only=settings.web.secure_cookies,
            ),
        ],
        exception_handlers={HTTPException: _error, 500: _error},
        lifespan=lifespan,
    )
    app.state.settings, app.state.store = settings, the_store
    app.state.kept = Kept()  # what pages computed from the store, until the data changes
    app.state.collections = {}  # source name -> signals.web.routes.sources.Collection
    try:
        app.state.territory = read_territory(settings)[0]
    except SourceError:
        app.state.territory = "Territoire"
    return app
