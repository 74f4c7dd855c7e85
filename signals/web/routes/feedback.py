"""The brief's signed confirm/dismiss links (``reports.feedback.feedback_link``), served by the console:
the same URLs, tokens and pages as ``signals serve-feedback``. The signed token is the authority (a reader
of the e-mail need not log in); when a logged-in account follows the link, the verdict carries its name."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from reports.feedback import AUTHOR, HEADERS, answer, secret_key
from signals.core.accounts import audit
from signals.web.security import checked_form, client_address, csrf_token, viewer


async def feedback(request: Request) -> Response:
    app = request.app.state
    signal_id, verdict = int(request.path_params["signal_id"]), request.path_params["verdict"]
    account = viewer(request)
    if request.method == "POST":
        form = await checked_form(request)
        given, note = str(form.get("t") or ""), str(form.get("note") or "")
    else:
        given, note = request.query_params.get("t", ""), None
    author = account.name if account else AUTHOR
    result = answer(
        app.store, secret_key(app.settings), signal_id, verdict, given, note, author, csrf=csrf_token(request)
    )
    if note is not None and result.status == 200:
        with app.store.session(write=True) as session:
            audit(
                session,
                author,
                f"signal.{verdict}",
                f"signal:{signal_id}",
                {"via": "brief link"},
                client_address(request),
            )
    headers = {k.lower(): v for k, v in HEADERS.items() if k != "Content-Type"}
    return HTMLResponse(result.html, status_code=int(result.status), headers=headers)


routes = [Route("/feedback/{signal_id:int}/{verdict:str}", feedback, methods=["GET", "POST"])]
