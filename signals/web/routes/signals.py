"""Signals: this week's list with its filters, the emergence map, keyword search, a signal's page and the
staff's actions on it (confirm, dismiss, promote, hide, merge), each with a note and its author."""

from __future__ import annotations

from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from signals.core.accounts import audit
from signals.core.lifecycle import STATUSES
from signals.core.registry import (
    VERDICTS,
    SignalNotFound,
    give_feedback,
    merge_signals,
    signal_detail,
)
from signals.core.search import search_documents
from signals.web.charts import emergence_map, weekly_chart
from signals.web.listing import Filters, Row, display_subject, filtered, kept_week_rows
from signals.web.pages import QUADRANT_LABELS, SOURCE_KIND_LABELS, fragment, page, titles
from signals.web.security import client_address, form_text, guarded


def _filters(request: Request) -> Filters:
    q = request.query_params
    return Filters(
        commune=q.get("commune", "")[:120],
        source_kind=q.get("type_source", "") if q.get("type_source") in SOURCE_KIND_LABELS else "",
        status=q.get("statut", "") if q.get("statut") in STATUSES else "",
        quadrant=q.get("quadrant", "") if q.get("quadrant") in QUADRANT_LABELS else "",
        hidden=q.get("masques") == "1",
    )


@guarded("read")
def signal_list(request: Request) -> Response:
    filters, kept = _filters(request), request.app.state.kept
    with request.app.state.store.session() as session:
        key, week, rows = kept_week_rows(kept, session, titles(request))
    shown = filtered(rows, filters)
    communes = sorted({c for r in rows for c in r.communes})
    cards = kept.get((key, "cards", filters.key), lambda: fragment("_cards.html.j2", rows=shown))
    return page(
        request,
        "signals.html.j2",
        week=week,
        rows=shown,
        cards=cards,
        total=len(rows),
        filters=filters,
        communes=communes,
        statuses=STATUSES,
    )


def _placed(rows: list[Row]) -> list[tuple[int, str, float, float, str]]:
    """The signals the emergence map shows: those of a quadrant with their visibility, hidden ones left out."""
    return [
        (
            r.signal.id,
            r.subject,
            float(r.week.metrics["dov"]),
            float(r.week.metrics["dov_growth"]),
            r.quadrant,
        )
        for r in rows
        if not r.hidden and r.quadrant in QUADRANT_LABELS and "dov" in r.week.metrics
    ]


@guarded("read")
def emergence(request: Request) -> Response:
    kept = request.app.state.kept
    with request.app.state.store.session() as session:
        key, week, rows = kept_week_rows(kept, session, titles(request))
    drawn = kept.get((key, "map"), lambda: fragment("_map.html.j2", chart=emergence_map(_placed(rows))))
    return page(request, "map.html.j2", week=week, drawn=drawn)


@guarded("read")
def search(request: Request) -> Response:
    text = request.query_params.get("q", "")[:200]
    with request.app.state.store.session() as session:
        hits = search_documents(session, text) if text.strip() else []
        return page(request, "search.html.j2", q=text, hits=hits)


CITED_SHOWN = 100  # cited documents on a signal's page; the others on request (?documents=tous)


def _signal_id(request: Request) -> int:
    return int(request.path_params["signal_id"])


@guarded("read")
def signal_page(request: Request) -> Response:
    signal_id, kept, names = _signal_id(request), request.app.state.kept, titles(request)
    every = request.query_params.get("documents") == "tous"
    with request.app.state.store.session() as session:
        key, _, rows = kept_week_rows(kept, session, names)
        try:
            detail = kept.get(
                (key, "signal", signal_id, every),
                lambda: signal_detail(session, signal_id, None if every else CITED_SHOWN),
            )
        except SignalNotFound:
            raise HTTPException(404, f"Aucun signal n° {signal_id}.") from None
    metrics = detail.metrics

    def body() -> Markup:
        chart = None
        if metrics.get("weekly"):
            chart = weekly_chart(
                metrics["weekly"], metrics.get("expected_docs"), int(metrics.get("recent_weeks") or 4)
            )
        return fragment("_signal.html.j2", s=detail, chart=chart, names=names)

    others = [
        (r.signal.id, r.subject) for r in rows if r.signal.id != detail.id and r.signal.kind == detail.kind
    ]
    return page(
        request,
        "signal.html.j2",
        s=detail,
        subject=display_subject(detail.kind, detail.subject, metrics, names),
        body=kept.get((key, "signal-page", signal_id, every), body),
        others=others,
        done=request.query_params.get("fait") if request.query_params.get("fait") in VERDICTS else None,
    )


@guarded("feedback")
def act(request: Request) -> Response:
    signal_id = _signal_id(request)
    action = form_text(request, "action", 20)
    note = form_text(request, "note") or None
    author = request.state.user.name
    if action not in VERDICTS:
        raise HTTPException(400, "Action inconnue.")
    with request.app.state.store.session(write=True) as session:
        try:
            if action == "merge":
                into = form_text(request, "cible", 12)
                if not into.isdigit():
                    raise HTTPException(400, "Choisissez le signal dans lequel fusionner celui-ci.")
                merge_signals(session, signal_id, int(into), note, author)
                detail = {"into": int(into)}
            else:
                give_feedback(session, signal_id, action, note, author)
                detail = {}
        except SignalNotFound:
            raise HTTPException(404, f"Aucun signal n° {signal_id}.") from None
        except ValueError:
            raise HTTPException(
                400, "Seuls deux signaux distincts de même nature peuvent être fusionnés."
            ) from None
        audit(
            session,
            author,
            f"signal.{action}",
            f"signal:{signal_id}",
            detail | {"note": note},
            client_address(request),
        )
    return RedirectResponse(f"/signaux/{signal_id}?fait={action}", status_code=303)


routes = [
    Route("/", signal_list),
    Route("/carte", emergence),
    Route("/recherche", search),
    Route("/signaux/{signal_id:int}", signal_page),
    Route("/signaux/{signal_id:int}/avis", act, methods=["POST"]),
]
