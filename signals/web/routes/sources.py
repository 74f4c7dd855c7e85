"""Sources, for analysts: the health table, the editor (validate a definition, preview what it yields now
with nothing stored, save it into the sources file keeping the previous version) and a collection of one
source on demand."""

from __future__ import annotations

import threading
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from signals import pipeline
from signals.core import clock
from signals.core.accounts import audit
from signals.core.schema import Run
from signals.core.source_editing import definition_yaml, parse_definition, save_definition
from signals.core.sources import SourceError
from signals.pipeline.collect import sources_path
from signals.stages.health import source_health
from signals.web.pages import page
from signals.web.security import client_address, form_text, guarded

PREVIEW_ITEMS = 10
NEW = "nouvelle"
EXAMPLE = "name: nouvelle-source\nkind: rss\nurl: https://exemple.fr/flux.xml\ncadence: 1d\n"


@guarded("sources")
def sources(request: Request) -> Response:
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
def editor(request: Request) -> Response:
    name = request.path_params["name"]
    saved = request.query_params.get("precedente") if request.query_params.get("enregistre") else None
    return page(
        request,
        "source_edit.html.j2",
        name=name,
        text=_current(request, name),
        outcome=None,
        error=None,
        saved=saved,
    )


@guarded("sources")
async def submit(request: Request) -> Response:
    """``action``: ``apercu`` (validate and preview, nothing stored) or ``enregistrer`` (validate and
    save, then back to the saved source's page)."""
    settings, store = request.app.state.settings, request.app.state.store
    actor, address = request.state.user.name, client_address(request)
    name, action = request.path_params["name"], form_text(request, "action", 20)
    text = form_text(request, "definition", 20000)
    if action not in ("apercu", "enregistrer"):
        raise HTTPException(400, "Action inconnue.")
    try:
        definition = parse_definition(text)
        if action == "apercu":
            outcome = await run_in_threadpool(
                pipeline.preview_definition, settings, definition, PREVIEW_ITEMS
            )
            with store.session(write=True) as session:
                audit(session, actor, "source.preview", definition.name, {"status": outcome.status}, address)
            return page(
                request, "source_edit.html.j2", name=name, text=text, outcome=outcome, error=None, saved=None
            )
        backup = save_definition(sources_path(settings), definition, None if name == NEW else name)
    except SourceError as exc:
        return page(
            request,
            "source_edit.html.j2",
            status_code=422,
            name=name,
            text=text,
            outcome=None,
            error=str(exc),
            saved=None,
        )
    previous = backup.name if backup else ""
    renamed = name if name not in (NEW, definition.name) else None
    with store.session(write=True) as session:
        audit(
            session,
            actor,
            "source.save",
            definition.name,
            {"previous": previous, "renamed_from": renamed},
            address,
        )
    query = urllib.parse.urlencode({"enregistre": 1, "precedente": previous})
    return RedirectResponse(f"/sources/{definition.name}?{query}", status_code=303)


# A collection asked from the console runs in a thread of the console process that received the form; any
# process of the console follows it through the store's run records (``signals web --workers`` serves the
# console from several processes), so the form carries the last run known before it started.
STARTING_S = 120.0  # how long a collection may take to record its run before the page says it did not start


@dataclass
class Collection:
    """A collection of one source started by this console process."""

    started: datetime
    after: int  # the source's last run before it: its own run comes after
    thread: threading.Thread | None = None
    error: str | None = None  # what stopped it before it could record its run

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()


@dataclass
class Outcome:
    """Where a collection stands, as its run record says."""

    running: bool
    elapsed: float
    status: str | None = None
    counts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def _collect_in_background(app: Any, name: str, job: Collection) -> None:
    try:
        pipeline.collect(app.store, app.settings, [name])
    except Exception as exc:  # shown on the page; the run record has the details
        job.error = f"{type(exc).__name__}: {exc}"


def _budget_s(settings: Any, name: str) -> int:
    """The source's time budget per run (0: none), the general one when it left the file meanwhile."""
    try:
        return pipeline.read_sources(settings).get(name).budget_s(settings.collect.time_budget_s)
    except SourceError:
        return settings.collect.time_budget_s


def _live(run: Run, budget_s: int) -> bool:
    """A run still going: recorded as running, and not older than the source's time budget allows (a crawl
    process killed outright leaves its run "running" until the scheduler's next start closes it)."""
    if run.status != "running":
        return False
    return not budget_s or clock.now().timestamp() - run.started_at.timestamp() < budget_s + STARTING_S


def _last_collect_run(session: Any, name: str, after: int = 0) -> Run | None:
    query = select(Run).where(Run.stage == "collect", Run.target == name, Run.id > after)
    return session.scalars(query.order_by(Run.id.desc()).limit(1)).first()


@guarded("sources")
def collect(request: Request) -> Response:
    """Start collecting one source now (once at a time per source) and follow it on its page."""
    app = request.app.state
    name = request.path_params["name"]
    try:
        budget_s = pipeline.read_sources(app.settings).get(name).budget_s(app.settings.collect.time_budget_s)
    except SourceError as exc:
        raise HTTPException(404, str(exc)) from None
    with app.store.session() as session:
        latest = _last_collect_run(session, name)
    job = app.collections.get(name)
    if latest is not None and _live(latest, budget_s):  # started by any process, here or elsewhere
        after, asked = latest.id - 1, latest.started_at.timestamp()
    elif job is not None and job.running:  # started here, its run not recorded yet
        after, asked = job.after, job.started.timestamp()
    else:
        job = Collection(clock.now(), latest.id if latest else 0)
        job.thread = threading.Thread(target=_collect_in_background, args=(app, name, job), daemon=True)
        app.collections[name] = job
        with app.store.session(write=True) as session:
            audit(session, request.state.user.name, "source.collect", name, address=client_address(request))
        job.thread.start()
        after, asked = job.after, job.started.timestamp()
    query = urllib.parse.urlencode({"apres": after, "depuis": round(asked, 3)})
    return RedirectResponse(f"/sources/{name}/collecte?{query}", status_code=303)


def _outcome(request: Request, name: str) -> Outcome:
    try:
        after = int(request.query_params.get("apres", ""))
        asked = float(request.query_params.get("depuis", ""))
    except ValueError:
        raise HTTPException(404, "Aucune collecte de cette source lancée depuis la console.") from None
    now = clock.now().timestamp()
    with request.app.state.store.session() as session:
        run = _last_collect_run(session, name, after)
    if run is None:
        job = request.app.state.collections.get(name)
        if job is not None and job.error and job.started.timestamp() >= asked - 1:
            return Outcome(False, now - asked, "failed", error=job.error)
        if now - asked < STARTING_S:
            return Outcome(True, max(0.0, now - asked))
        return Outcome(False, now - asked, "failed", error="la collecte n’a pas démarré")
    if run.status == "running":
        if not _live(run, _budget_s(request.app.state.settings, name)):
            return Outcome(False, now - asked, "failed", error="la collecte ne s’est pas terminée à temps")
        return Outcome(True, max(0.0, now - run.started_at.timestamp()))
    reasons = [e.get("reason") for e in (run.errors or []) if isinstance(e, dict) and e.get("reason")]
    error = reasons[-1] if run.status == "failed" and reasons else None
    return Outcome(False, now - asked, run.status, dict(run.counts or {}), error)


@guarded("sources")
def collection(request: Request) -> Response:
    """Where a collection of the source stands: the page reloads itself while it runs (no script)."""
    name = request.path_params["name"]
    return page(request, "collected.html.j2", name=name, job=_outcome(request, name))


routes = [
    Route("/sources", sources),
    Route("/sources/{name:str}", editor),
    Route("/sources/{name:str}", submit, methods=["POST"]),
    Route("/sources/{name:str}/collecter", collect, methods=["POST"]),
    Route("/sources/{name:str}/collecte", collection),
]
