"""Delivery through a real SMTP server on 127.0.0.1 (aiosmtpd): the message as received, STARTTLS and login,
retries and failures, and crashes injected in a separate process at each step of a delivery."""

from __future__ import annotations

import datetime as dt
import email
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select

from bench.common import free_port
from reports.outbox import DeliveryHooks, deliver_pending, journal_for, queue, requeue
from signals import pipeline
from signals.core.schema import Brief, Delivery, Document, Evidence
from signals.core.settings import Settings
from signals.core.store import Store
from tests.conftest import child_environment
from tests.reportfixtures import HOSTILE_URL, REPO, WEEK, Inbox, analysed_home


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


def _smtp_settings(tmp_path_factory, name: str, port: int, **smtp) -> Settings:
    values = {"host": "127.0.0.1", "port": port, "starttls": False, "backoff_s": 60.0} | smtp
    return analysed_home(tmp_path_factory, name, smtp=values)


def _brief(settings: Settings) -> None:
    """Render and queue the week's brief without sending it."""
    with Store.open(settings) as store:
        pipeline.brief(store, settings, WEEK)
        with store.session() as session:
            queue(session, session.scalar(select(Brief)), settings.recipients)


def _statuses(settings: Settings) -> list[tuple[str, int, str | None]]:
    with Store.open(settings) as store, store.session() as session:
        return [
            (d.status, d.attempts, d.last_error)
            for d in session.scalars(select(Delivery).order_by(Delivery.id))
        ]


def test_the_received_brief_parses_with_both_parts_its_images_and_links_to_cited_documents(
    tmp_path_factory, smtp_server
):
    inbox, port = smtp_server
    settings = _smtp_settings(tmp_path_factory, "smtp-ok", port)
    with Store.open(settings) as store:
        result = pipeline.brief(store, settings, WEEK, send=True)
        with store.session() as session:
            cited = {
                d.url
                for d in session.scalars(select(Document).join(Evidence, Evidence.document_id == Document.id))
            }
    assert result.deliveries == {"sent": 2, "retrying": 0, "failed": 0}
    assert len(inbox.messages) == 2
    assert sorted(rcpt[0] for _, rcpt in inbox.envelopes) == sorted(settings.recipients)

    message = email.message_from_bytes(inbox.messages[0], policy=policy.default)
    assert message.get_content_type() == "multipart/alternative"
    plain, related = message.get_payload()
    assert plain.get_content_type() == "text/plain" and related.get_content_type() == "multipart/related"
    assert plain.get_content_charset() == "utf-8"
    for header in ("Date", "Message-ID", "List-Unsubscribe", "List-Id", "Subject"):
        assert message[header], header
    assert "Veille prospective" in message["Subject"] and "é" in plain.get_content()

    html_part = message.get_body(("html",))
    html = html_part.get_content()
    images = {
        str(p["Content-ID"]).strip("<>"): p.get_content()
        for p in related.iter_parts()
        if p.get_content_maintype() == "image"
    }
    referenced = set(re.findall(r'src="cid:([^"]+)"', html))
    assert referenced and referenced == set(images)  # every image resolves, none is unused
    assert all(data.startswith(b"\x89PNG\r\n\x1a\n") for data in images.values())
    assert 'style="' in html and "<style" not in html  # CSS inlined for mail clients

    links = set(re.findall(r'href="([^"]+)"', html))
    web_cited = {u for u in cited if u.startswith("https://")}
    shown = {u for u in web_cited if u in html}
    assert shown and shown <= links  # cited documents are linked...
    assert HOSTILE_URL in cited and not any(u.startswith("javascript:") for u in links)  # ...never a script
    assert "https://presse.example.fr/article/" in plain.get_content()


def test_starttls_and_login_are_used_when_configured(tmp_path_factory):
    ssl_context, cafile = _self_signed_tls(tmp_path_factory.mktemp("tls"))
    inbox, logins = Inbox(), []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, session.ssl is not None))
        return AuthResult(success=auth_data.login == b"veille" and auth_data.password == b"s3cret")

    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=ssl_context,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
        server_hostname="localhost",
    )
    controller.start()
    try:
        settings = _smtp_settings(
            tmp_path_factory,
            "smtp-tls",
            controller.port,
            host="localhost",
            starttls=True,
            username="veille",
            password="s3cret",
            cafile=str(cafile),
        )
        with Store.open(settings) as store:
            result = pipeline.brief(store, settings, WEEK, send=True)
    finally:
        controller.stop()
    assert result.deliveries["sent"] == 2 and len(inbox.messages) == 2
    assert logins and all(login == (b"veille", True) for login in logins)  # logged in, over TLS


def test_a_failing_server_leads_to_retries_then_a_recorded_failure_not_a_loss(tmp_path_factory, smtp_server):
    inbox, port = smtp_server
    inbox.reply = "451 4.3.0 Mailbox temporarily unavailable"
    settings = _smtp_settings(tmp_path_factory, "smtp-451", port, max_attempts=3, backoff_s=60.0)
    _brief(settings)
    now = datetime.now(UTC)
    with Store.open(settings) as store:
        first = deliver_pending(store, settings, now)
        early = deliver_pending(store, settings, now + timedelta(seconds=30))  # before the backoff: nothing
        second = deliver_pending(store, settings, now + timedelta(seconds=61))
        third = deliver_pending(store, settings, now + timedelta(seconds=61 + 121))
    assert (first.retrying, early.retrying + early.failed, second.retrying, third.failed) == (2, 0, 2, 2)
    assert inbox.refused == 6 and inbox.messages == []
    assert all(s == "failed" and a == 3 and "451" in e for s, a, e in _statuses(settings))

    inbox.reply = None  # the server is fixed; the failed deliveries are still there to be sent
    with Store.open(settings) as store:
        assert requeue(store) == 2
        assert deliver_pending(store, settings).sent == 2
        assert deliver_pending(store, settings).sent == 0
    assert len(inbox.messages) == 2


def test_a_permanent_refusal_fails_at_once(tmp_path_factory, smtp_server):
    inbox, port = smtp_server
    inbox.reply = "550 5.1.1 No such user"
    settings = _smtp_settings(tmp_path_factory, "smtp-550", port, max_attempts=5)
    _brief(settings)
    with Store.open(settings) as store:
        result = deliver_pending(store, settings)
    assert result.failed == 2 and result.retrying == 0
    assert all(s == "failed" and a == 1 and "550" in e for s, a, e in _statuses(settings))


CRASHING_SENDER = """
import os, sys
from reports.outbox import DeliveryHooks, deliver_pending
from signals.core.settings import load_settings
from signals.core.store import Store

settings = load_settings()
store = Store.open(settings)
deliver_pending(store, settings, hooks=DeliveryHooks(**{sys.argv[1]: lambda msg_id: os._exit(17)}))
os._exit(0)
"""


def _crash_in_subprocess(settings: Settings, point: str) -> int:
    env = child_environment(settings)
    env |= {
        "PYTHONPATH": str(REPO),
        "SIGNALS_SMTP__HOST": "127.0.0.1",
        "SIGNALS_SMTP__PORT": str(settings.smtp.port),
        "SIGNALS_SMTP__STARTTLS": "false",
    }
    done = subprocess.run(
        [sys.executable, "-c", CRASHING_SENDER, point],
        env=env,
        cwd=settings.home.parent,
        timeout=60,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 17, done.stderr[-2000:]
    return done.returncode


@pytest.mark.parametrize("point", ["claimed", "journaled"])
def test_a_crash_at_any_step_neither_loses_nor_duplicates_the_brief(tmp_path_factory, smtp_server, point):
    inbox, port = smtp_server
    settings = _smtp_settings(tmp_path_factory, f"crash-{point}", port)
    _brief(settings)
    _crash_in_subprocess(settings, point)  # dies on the first message
    expected_before = 0 if point == "claimed" else 1
    assert len(inbox.messages) == expected_before
    assert [s for s, _, _ in _statuses(settings)] == ["sending", "queued"]

    with Store.open(settings) as store:  # the restart
        result = deliver_pending(store, settings)
        again = deliver_pending(store, settings)
    assert len(inbox.messages) == 2  # each recipient once
    ids = [email.message_from_bytes(m, policy=policy.default)["Message-ID"] for m in inbox.messages]
    assert len(set(ids)) == 2
    assert [s for s, _, _ in _statuses(settings)] == ["sent", "sent"]
    if point == "journaled":  # accepted before the crash: recorded from the journal, not sent again
        assert (result.reconciled, result.sent) == (1, 1)
    else:  # claimed by the dead process, never sent: queued again and sent
        assert (result.requeued, result.sent) == (1, 2)
    assert again.sent == again.reconciled == 0


def test_the_window_between_the_servers_reply_and_the_journal_resends_with_the_same_message_id(
    tmp_path_factory, smtp_server
):
    """The one window the sender cannot close: the copy sent again carries the same Message-ID, which
    lets the receiving side drop it."""
    inbox, port = smtp_server
    settings = _smtp_settings(tmp_path_factory, "crash-accepted", port)
    _brief(settings)
    _crash_in_subprocess(settings, "accepted")
    with Store.open(settings) as store:
        deliver_pending(store, settings)
    received = [email.message_from_bytes(m, policy=policy.default) for m in inbox.messages]
    assert len(received) == 3
    first_recipient = [m["Message-ID"] for m in received if m["To"] == received[0]["To"]]
    assert len(first_recipient) == 2 and first_recipient[0] == first_recipient[1]
    assert len(journal_for(settings).accepted()) == 2


def test_a_delivery_claimed_by_a_live_process_is_left_to_it(tmp_path_factory, smtp_server):
    inbox, port = smtp_server
    settings = _smtp_settings(tmp_path_factory, "claim-live", port)
    _brief(settings)
    seen = []

    def second_sender(msg_id: str) -> None:  # while this process holds its claim, another pass runs
        with Store.open(settings) as other:
            seen.append(deliver_pending(other, settings))

    with Store.open(settings) as store:
        deliver_pending(store, settings, hooks=DeliveryHooks(claimed=second_sender))
    assert len(inbox.messages) == 2
    # the nested pass found the first delivery claimed (left alone) and sent the other one
    assert seen[0].requeued == 0 and seen[0].sent == 1
    assert [s for s, _, _ in _statuses(settings)] == ["sent", "sent"]


def _self_signed_tls(folder: Path):
    """A server TLS context for 'localhost' and the CA file that trusts it."""
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    # A validity that does not depend on the day the test runs: OpenSSL checks it against the real clock,
    # also when the suite runs with the calendar shifted (make test-shifted).
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2100, 1, 1, tzinfo=dt.UTC))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context, cert_file
