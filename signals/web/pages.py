"""Rendering the console's pages: one Jinja2 environment (autoescaped), the French formatting of the reports
(``reports.format``, ``reports.wording``), and what every page knows (the user, the CSRF token, the menu)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from reports import format as fmt
from reports import wording
from reports.wording import KIND_LABELS, ROLE_LABELS, SOURCE_KIND_LABELS, VERDICT_LABELS
from signals import pipeline
from signals.core.accounts import allowed
from signals.core.sources import SourceError
from signals.pipeline.collect import sources_path
from signals.web.security import csrf_token

HERE = Path(__file__).resolve().parent
QUADRANT_LABELS = {
    "weak": "signal faible",
    "strong": "signal fort",
    "latent": "signal latent",
    "well_known": "bien connu",
}
MENU = (
    ("/", "Signaux", "read"),
    ("/carte", "Carte d'émergence", "read"),
    ("/recherche", "Recherche", "read"),
    ("/indicateurs", "Indicateurs", "read"),
    ("/archives", "Archives", "read"),
    ("/sources", "Sources", "sources"),
    ("/comptes", "Comptes", "users"),
)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        auto_reload=False,  # the templates are part of the installed code: no file checked per page
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        date=fmt.fr_date,
        number=fmt.fr_number,
        percent=fmt.fr_percent,
        change=fmt.fr_change,
        week=fmt.week_name,
        quarter=fmt.quarter_name,
        safe_url=fmt.safe_url,
    )
    env.globals.update(
        STATUS=wording.STATUS_LABELS,
        ROLES=ROLE_LABELS,
        VERDICTS=VERDICT_LABELS,
        KINDS=KIND_LABELS,
        SOURCE_KINDS=SOURCE_KIND_LABELS,
        QUADRANTS=QUADRANT_LABELS,
        COLLECT_STATUS=wording.COLLECT_STATUS_LABELS,
        SOURCE_DEGRADED=wording.SOURCE_DEGRADED,
        SOURCE_HEALTHY=wording.SOURCE_HEALTHY,
        SOURCE_NEVER_RUN=wording.SOURCE_NEVER_RUN,
    )
    return env


templates = Jinja2Templates(env=_environment())


_titles: dict[tuple[str, float], dict[str, str]] = {}


def titles(request: Request) -> dict[str, str]:
    """Display names of the sources and series (``SourcesFile.titles``), read from the sources file again
    only when it changed."""
    settings = request.app.state.settings
    path = sources_path(settings)
    try:
        key = (str(path), path.stat().st_mtime)
    except OSError:
        return {}
    if key not in _titles:
        try:
            names = pipeline.read_sources(settings).titles()
        except SourceError:
            names = {}
        _titles.clear()
        _titles[key] = names
    return _titles[key]


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page of the console, with the user, their menu and the session's CSRF token."""
    user = getattr(request.state, "user", None)
    menu = [(href, label) for href, label, need in MENU if user and allowed(user.role, need)]
    base = {
        "user": user,
        "can": (lambda permission: bool(user) and allowed(user.role, permission)),
        "menu": menu,
        "path": request.url.path,
        "csrf": csrf_token(request),
        "territory": request.app.state.territory,
    }
    return templates.TemplateResponse(request, template, base | context, status_code=status_code)


def fragment(template: str, **context: Any) -> Markup:
    """A part of a page that is the same for every reader (no user, no CSRF token), rendered alone so that
    it can be kept between requests (``signals.web.kept``) and placed in its page as it is."""
    return Markup(templates.env.get_template(template).render(**context))
