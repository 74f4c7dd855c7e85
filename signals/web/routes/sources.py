"""Sources, for analysts: the health table, the editor (validate a definition, preview what it yields now
with nothing stored, save it into the sources file keeping the previous version) and a collection of one
source on demand."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from signals import pipeline
from signals.core.accounts import audit
from signals.core.sources import SourceError, definition_yaml, parse_definition, save_definition
from signals.pipeline.collect import sources_path
from signals.stages.health import source_health
from signals.web.pages import page
from signals.web.security import client_address, form_text, guarded

PREVIEW_ITEMS = 10
NEW = "nouvelle"
EXAMPLE = "name: nouvelle-source\nkind: rss\nurl: https://exemple.fr/flux.xml\ncadence: 1d\n"


@guarded("sources")
async def sources(request: Request) -> Response:
    settings, store = request.app.state.settings, request.app.state.store
    health = source_health(store, settings)
    try:
        defined, problem = pipeline.read_sources(settings).sources, None
    except SourceError as exc:
        defined, problem = [], str(exc)
    return page(request, "sources.html.j2", health=health, defined=defined, problem=problem)


def _current(request: Request, name: str) -> str:
    if name == NEW:
        return EXAMPLE
    try:
        return definition_yaml(pipeline.read_sources(request.app.state.settings).get(name))
    except SourceError as exc:
        raise HTTPException(404, str(exc)) from None


@guarded("sources")
async def editor(request: Request) -> Response:
    name = request.path_params["name"]
    return page(
        request,
        "source_edit.html.j2",
        name=name,
        text=_current(request, name),
        outcome=None,
        error=None,
        saved=None,
    )


@guarded("sources")
async def submit(request: Request) -> Response:
    """``action``: ``apercu`` (validate and preview, nothing stored) or ``enregistrer`` (validate and
    save)."""
    settings = request.app.state.settings
    name, action = request.path_params["name"], form_text(request, "action", 20)
    text = form_text(request, "definition", 20000)
    outcome, saved, error = None, None, None
    try:
        definition = parse_definition(text)
        if action == "apercu":
            outcome = await run_in_threadpool(
                pipeline.preview_definition, settings, definition, PREVIEW_ITEMS
            )
        elif action == "enregistrer":
            backup = save_definition(sources_path(settings), definition, None if name == NEW else name)
            saved = str(backup) if backup else ""
            with request.app.state.store.session(write=True) as session:
                audit(
                    session,
                    request.state.user.name,
                    "source.save",
                    definition.name,
                    {"previous": saved, "renamed_from": name if name not in (NEW, definition.name) else None},
                    client_address(request),
                )
        else:
            raise HTTPException(400, "Action inconnue.")
    except SourceError as exc:
        error = str(exc)
    status = 422 if error else 200
    return page(
        request,
        "source_edit.html.j2",
        status_code=status,
        name=name,
        text=text,
        outcome=outcome,
        error=error,
        saved=saved,
    )


@guarded("sources")
async def collect(request: Request) -> Response:
    settings, store = request.app.state.settings, request.app.state.store
    name = request.path_params["name"]
    try:
        pipeline.read_sources(settings).get(name)
    except SourceError as exc:
        raise HTTPException(404, str(exc)) from None
    with store.session(write=True) as session:
        audit(session, request.state.user.name, "source.collect", name, address=client_address(request))
    outcomes = await run_in_threadpool(pipeline.collect, store, settings, [name])
    return page(request, "collected.html.j2", name=name, outcomes=outcomes)


routes = [
    Route("/sources", sources),
    Route("/sources/{name:str}", editor),
    Route("/sources/{name:str}", submit, methods=["POST"]),
    Route("/sources/{name:str}/collecter", collect, methods=["POST"]),
]
