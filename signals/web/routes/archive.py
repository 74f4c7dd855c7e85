"""The archive: every weekly brief and quarterly report, readable in the browser and downloadable as HTML,
PDF (reports) and .eml (the message as delivered)."""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

from reports.archive import self_contained_html
from reports.outbox import message_for
from signals import pipeline
from signals.core.schema import Brief
from signals.web.pages import page
from signals.web.security import guarded

# An archived brief is a document of its own: its inline styles and data: images may show, nothing else
# loads or runs (sandbox), and it cannot frame or be framed.
ARCHIVE_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'"


@guarded("read")
def archive_list(request: Request) -> Response:
    kind = request.query_params.get("type")
    entries = pipeline.archive(request.app.state.store, kind if kind in ("weekly", "quarterly") else None)
    return page(request, "archive.html.j2", entries=entries, kind=kind)


def _brief(request: Request) -> Brief:
    with request.app.state.store.session() as session:
        brief = session.get(Brief, int(request.path_params["brief_id"]))
        if brief is None:
            raise HTTPException(404, "Aucun document archivé de ce numéro.")
        session.expunge(brief)
        return brief


def _name(brief: Brief, suffix: str) -> str:
    return f"{'brief' if brief.kind == 'weekly' else 'rapport'}-{brief.period}.{suffix}"


@guarded("read")
def read(request: Request) -> Response:
    brief = _brief(request)
    return HTMLResponse(self_contained_html(brief), headers={"content-security-policy": ARCHIVE_CSP})


@guarded("read")
def download(request: Request) -> Response:
    fmt = request.path_params["fmt"]
    store, settings = request.app.state.store, request.app.state.settings
    brief = _brief(request)
    attachment = {"content-security-policy": ARCHIVE_CSP}
    if fmt == "html":
        return Response(
            self_contained_html(brief),
            media_type="text/html; charset=utf-8",
            headers=attachment | {"content-disposition": f'attachment; filename="{_name(brief, "html")}"'},
        )
    if fmt == "pdf" and brief.files.get("pdf") and Path(brief.files["pdf"]).is_file():
        return FileResponse(brief.files["pdf"], media_type="application/pdf", filename=_name(brief, "pdf"))
    if fmt == "eml":
        with store.session() as session:
            row = session.get(Brief, brief.id)
            if row is not None and row.deliveries:
                message = message_for(row.deliveries[0], settings)
                return Response(
                    message.as_bytes(),
                    media_type="message/rfc822",
                    headers={"content-disposition": f'attachment; filename="{_name(brief, "eml")}"'},
                )
    raise HTTPException(404, "Ce format n'existe pas pour ce document.")


routes = [
    Route("/archives", archive_list),
    Route("/archives/{brief_id:int}", read),
    Route("/archives/{brief_id:int}/telecharger.{fmt:str}", download),
]
