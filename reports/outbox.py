"""The outbox: each brief is queued once per recipient and delivered once.

Deliveries live in the database. Without an SMTP server, a message is written as an ``.eml`` file named by
its Message-ID into ``var/outbox/`` (written to a temporary name, then renamed: a file that exists is
complete, and an existing file is never written twice). With SMTP, a delivery is marked ``sending`` before
the transaction and ``sent`` after; failures are retried with exponential backoff up to ``max_attempts``.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from reports.mail import build_message, message_id
from signals.schema import Brief, Delivery
from signals.settings import Settings
from signals.store import Store

log = logging.getLogger(__name__)


@dataclass
class DeliveryResult:
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    skipped: int = 0


def queue(session: Session, brief: Brief, recipients: list[str]) -> list[Delivery]:
    """One delivery per recipient for this brief (existing ones are kept as they are)."""
    existing = {d.recipient: d for d in brief.deliveries}
    for recipient in recipients:
        if recipient not in existing:
            delivery = Delivery(
                brief_id=brief.id,
                recipient=recipient,
                message_id=message_id(brief.kind, brief.period, recipient),
            )
            session.add(delivery)
            existing[recipient] = delivery
    session.flush()
    return [existing[r] for r in recipients]


def message_for(delivery: Delivery, settings: Settings) -> EmailMessage:
    brief = delivery.brief
    return build_message(
        brief.subject,
        brief.html,
        brief.text,
        settings.smtp.sender,
        delivery.recipient,
        delivery.message_id,
        brief.created_at.astimezone(settings.tz),
    )


def deliver_pending(store: Store, settings: Settings, now: datetime | None = None) -> DeliveryResult:
    """Deliver every due delivery; one failing message does not stop the others."""
    now = now or datetime.now(UTC)
    result = DeliveryResult()
    with store.session() as session:
        due = session.scalars(
            select(Delivery.id)
            .where(
                Delivery.status.in_(("queued", "sending")),
                or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now),
            )
            .order_by(Delivery.id)
        ).all()
    for delivery_id in due:
        with store.session() as session:
            delivery = session.get(Delivery, delivery_id)
            assert delivery is not None
            message = message_for(delivery, settings)
            delivery.attempts += 1
            delivery.status = "sending"
        try:
            location = _send(message, delivery.recipient, settings)
        except Exception as exc:  # any failure of one message is recorded and retried later
            with store.session() as session:
                delivery = session.get(Delivery, delivery_id)
                assert delivery is not None
                delivery.last_error = f"{type(exc).__name__}: {exc}"[:500]
                if delivery.attempts >= settings.smtp.max_attempts:
                    delivery.status = "failed"
                    result.failed += 1
                else:
                    delivery.status = "queued"
                    delay = settings.smtp.backoff_s * 2 ** (delivery.attempts - 1)
                    delivery.next_attempt_at = now + timedelta(seconds=delay)
                    result.retrying += 1
            log.warning("delivery %s to %s failed: %s", delivery_id, delivery.recipient, exc)
            continue
        with store.session() as session:
            delivery = session.get(Delivery, delivery_id)
            assert delivery is not None
            delivery.status, delivery.sent_at, delivery.location = "sent", datetime.now(UTC), location
            delivery.last_error = None
        result.sent += 1
    return result


def _send(message: EmailMessage, recipient: str, settings: Settings) -> str:
    if not settings.smtp.host:
        return str(write_eml(message, settings.outbox_dir))
    smtp = settings.smtp
    context = ssl.create_default_context()
    client_class = smtplib.SMTP_SSL if smtp.ssl else smtplib.SMTP
    kwargs = {"context": context} if smtp.ssl else {}
    with client_class(smtp.host, smtp.port, timeout=smtp.timeout_s, **kwargs) as client:
        if smtp.starttls and not smtp.ssl:
            client.ehlo()
            if client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
        if smtp.username and smtp.password is not None:
            client.login(smtp.username, smtp.password.get_secret_value())
        client.send_message(message, to_addrs=[recipient])
    return f"smtp://{smtp.host}:{smtp.port}"


def eml_path(message: EmailMessage, folder: Path) -> Path:
    name = str(message["Message-ID"]).strip("<>").replace("@", "_at_").replace("/", "_")
    return folder / f"{name}.eml"


def write_eml(message: EmailMessage, folder: Path) -> Path:
    """Write the message once: an existing file means it was already delivered to the outbox."""
    folder.mkdir(parents=True, exist_ok=True)
    path = eml_path(message, folder)
    if path.exists():
        return path
    html = message.get_body(("html",))
    if html is not None:  # a copy of the HTML part, to look at the message in a browser
        preview = path.with_suffix(".html")
        preview.write_text(html.get_content(), encoding="utf-8")
    temporary = path.with_suffix(".eml.tmp")
    temporary.write_bytes(bytes(message))
    os.replace(temporary, path)  # last: an .eml that exists is complete
    return path
