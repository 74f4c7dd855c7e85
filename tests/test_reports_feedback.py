"""The confirm / dismiss links and their endpoint over real HTTP on 127.0.0.1: signed links, a page on GET,
the verdict recorded on POST (once), forged or unknown links refused."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

import pytest

from reports.feedback import FeedbackServer, feedback_link, secret_key
from signals.core.registry import give_feedback
from signals.core.schema import Feedback, Signal
from signals.core.settings import Settings


def _signal(store) -> int:
    from datetime import date

    with store.session() as session:
        signal = Signal(
            kind="term_burst",
            key="velo-cargo",
            subject="vélo-cargo <b>",
            first_seen=date(2025, 1, 6),
            last_seen=date(2025, 1, 6),
            metrics={"level": 0.1},
        )
        session.add(signal)
        session.flush()
        return signal.id


@pytest.fixture
def served(settings, store):
    settings = settings.model_copy(update={"public_url": "https://veille.example.fr/"})
    signal_id = _signal(store)
    server = FeedbackServer(store, settings, "127.0.0.1", 0).start()
    yield settings, store, server, signal_id
    server.stop()


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _post(url: str, fields: dict[str, str]) -> tuple[int, str]:
    data = urllib.parse.urlencode(fields).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _local(server: FeedbackServer, link: str) -> tuple[str, str]:
    """The link's path on the test server, and its token."""
    parts = urllib.parse.urlsplit(link)
    return server.url + parts.path, urllib.parse.parse_qs(parts.query)["t"][0]


def _verdicts(store) -> list[tuple[str, str | None, str | None]]:
    with store.session() as session:
        return [(f.verdict, f.note, f.author) for f in session.query(Feedback).order_by(Feedback.id)]


def test_a_signed_link_shows_a_form_and_the_post_records_the_verdict_once(served):
    settings, store, server, signal_id = served
    link = feedback_link(settings, signal_id, "dismiss")
    assert link.startswith(f"https://veille.example.fr/feedback/{signal_id}/dismiss?t=")
    url, token = _local(server, link)
    status, page = _get(f"{url}?t={token}")
    assert status == 200 and "Écarter ce signal" in page and "vélo-cargo &lt;b&gt;" in page
    assert _verdicts(store) == []  # a link opened by a mail scanner records nothing
    assert _post(url, {"t": token, "note": "hors sujet"})[0] == 200
    status, page = _post(url, {"t": token})
    assert status == 200 and "déjà enregistré" in page
    assert _verdicts(store) == [("dismiss", "hors sujet", "lien du brief")]
    with store.session() as session:
        assert session.get(Signal, signal_id).status == "dismissed"


def test_forged_or_unknown_links_are_refused(served):
    settings, store, server, signal_id = served
    url, token = _local(server, feedback_link(settings, signal_id, "confirm"))
    other = url.replace(f"/{signal_id}/", f"/{signal_id + 1}/")
    assert _post(other, {"t": token})[0] == 403  # the token of one signal does not open another
    assert _post(url.replace("/confirm", "/dismiss"), {"t": token})[0] == 403  # nor the other verdict
    assert _post(url, {"t": "0" * 32})[0] == 403
    assert _get(url)[0] == 403
    unknown = feedback_link(settings, 999, "confirm")
    assert _get("{}?t={}".format(*_local(server, unknown)))[0] == 404
    assert _get(server.url + "/admin")[0] == 404
    assert _verdicts(store) == []


def test_the_key_is_created_once_and_kept(tmp_path):
    settings = Settings(home=tmp_path / "var")
    first = secret_key(settings)
    assert len(first) == 64 and secret_key(settings) == first
    assert (tmp_path / "var" / "feedback.key").stat().st_mode & 0o077 == 0
    configured = Settings(home=tmp_path / "var", feedback_secret="autre-clé")
    assert secret_key(configured) == "autre-clé".encode()


def test_without_a_public_url_the_links_point_to_the_local_endpoint(settings, store):
    signal_id = _signal(store)
    link = feedback_link(settings, signal_id, "confirm")
    assert link.startswith(f"http://127.0.0.1:8765/feedback/{signal_id}/confirm?t=")  # signed, one click
    with store.session() as session:
        give_feedback(session, signal_id, "confirm", None, None)
    assert _verdicts(store) == [("confirm", None, None)]
