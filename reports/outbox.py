"""The outbox: each brief is rendered once, queued once per recipient, and delivered once.

Deliveries are rows of the database (``signals.core.schema.Delivery``), one per brief and recipient, each with a
Message-ID derived from both (``reports.mail.message_id``). With an SMTP server configured, messages go
through it (STARTTLS and login when configured); without one, each message is written as an ``.eml`` file
named by its Message-ID into ``var/outbox/``.

How a message is delivered, and what a crash at each point leaves behind
--------------------------------------------------------------------------
1. **Claim** (committed): ``queued`` -> ``sending`` by a conditional UPDATE, so two processes (the
   scheduler and a ``signals brief --send``) never both take it; ``attempts`` + 1; ``location`` records the
   claimant (``claimed by HOST pid PID``) and ``next_attempt_at`` the end of its lease
   (``smtp.claim_timeout_s``). *Crash after the claim, before the server accepted:* the message was not
   delivered. At restart the row is still ``sending``; its claimant is a dead process of this host, so it
   is put back in the queue at once (a claimant on another host, or still alive, gets until the end of its
   lease) and sent again: no loss, no duplicate.
2. **Send**: the SMTP transaction (or the ``.eml`` file, written to a temporary name and renamed: a file
   that exists is complete, and an existing file is never written twice).
3. **Journal**: right after the server's 250 reply to the message data, its Message-ID is appended to a
   local journal (``var/outbox/accepted.journal``) and fsync'ed, before anything else (even QUIT).
   *Crash after the journal, before the commit:* at restart, ``reconcile`` finds the Message-ID of the
   ``sending`` row in the journal and marks it ``sent`` without sending it again.
4. **Commit**: ``sent``, with the time and where to.

What the sender alone cannot close: a crash in the microseconds between the server's 250 and the fsync of
the journal line, or a connection lost after the data was sent but before the 250 was read. The server may
then have the message although we have no proof of it, and it will be sent again after the restart. Both
copies carry the same Message-ID, which receiving servers and mail clients use to drop duplicates (e.g.
Dovecot/Sieve ``duplicate``, Gmail's threading); this window is as small as it can be made from our side.

Failures: a temporary one (connection refused, timeout, 4xx reply) is retried with exponential backoff
(``smtp.backoff_s`` doubling, at most ``smtp.max_backoff_s``) up to ``smtp.max_attempts`` attempts; a
permanent one (5xx reply: unknown recipient, refused login, a server without the STARTTLS that the settings
require) marks the delivery ``failed`` at once. A failed delivery keeps its brief and its error; ``requeue``
(``signals deliveries --retry-failed``) puts it back once the cause is fixed. Nothing is ever deleted.

The journal only grows (about 100 bytes per message); it is read at each delivery pass.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from reports.mail import build_message, decode_images, message_id, preview_html
from signals.core import clock
from signals.core.schema import Brief, Delivery
from signals.core.settings import Settings
from signals.core.store import Store

log = logging.getLogger(__name__)

JOURNAL_NAME = "accepted.journal"
QUEUED, SENDING, SENT, FAILED = "queued", "sending", "sent", "failed"
_CLAIM_PREFIX = "claimed by "


class DeliveryConfigError(RuntimeError):
    """The settings cannot work with this server (retrying will not help)."""


@dataclass
class DeliveryResult:
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    skipped: int = 0  # claimed meanwhile by another process
    reconciled: int = 0  # found delivered in the journal after a crash
    requeued: int = 0  # abandoned by a crashed process, back in the queue


@dataclass
class DeliveryHooks:
    """Points inside the delivery of one message where tests inject a crash (production passes none)."""

    claimed: Callable[[str], None] | None = None  # claim committed, nothing sent yet
    accepted: Callable[[str], None] | None = None  # the server replied 250; not yet in the journal
    journaled: Callable[[str], None] | None = None  # in the journal; not yet committed as sent


class AcceptedJournal:
    """Durable local record of the Message-IDs the server accepted (one line each, fsync'ed).

    >>> import tempfile
    >>> journal = AcceptedJournal(Path(tempfile.mkdtemp()) / "accepted.journal")
    >>> journal.record("<a@x>", "smtp://mail:587"); journal.accepted()
    {'<a@x>': 'smtp://mail:587'}
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def record(self, msg_id: str, location: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = f"{msg_id}\t{clock.now().isoformat()}\t{location}\n".encode()
        # One write() on an O_APPEND file: lines of concurrent writers never interleave.
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def accepted(self) -> dict[str, str]:
        """Message-ID -> where it went, from complete lines (a line torn by a crash proves nothing)."""
        if not self.path.exists():
            return {}
        found = {}
        for line in self.path.read_bytes().decode("utf-8", "replace").splitlines(keepends=True):
            parts = line.rstrip("\n").split("\t")
            if line.endswith("\n") and len(parts) == 3:
                found[parts[0]] = parts[2]
        return found


def journal_for(settings: Settings) -> AcceptedJournal:
    return AcceptedJournal(settings.outbox_dir / JOURNAL_NAME)


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
    """The delivery's message, the same at every attempt (the brief's HTML, text, charts and date)."""
    brief = delivery.brief
    return build_message(
        brief.subject,
        brief.html,
        brief.text,
        settings.smtp.sender,
        delivery.recipient,
        delivery.message_id,
        brief.created_at.astimezone(settings.tz),
        images=decode_images((brief.meta or {}).get("images", {})),
        unsubscribe=settings.smtp.unsubscribe,
        list_id=brief.kind,
    )


def deliver_pending(
    store: Store, settings: Settings, now: datetime | None = None, hooks: DeliveryHooks | None = None
) -> DeliveryResult:
    """Reconcile what a crash left behind, then deliver every due message; one failure stops nothing."""
    now = now or clock.now()
    hooks = hooks or DeliveryHooks()
    journal = journal_for(settings)
    result = DeliveryResult()
    reconcile(store, settings, now, result)
    accepted_before = journal.accepted()  # read once a pass: what this pass sends, it commits itself
    with store.session() as session:
        due = session.scalars(
            select(Delivery.id)
            .where(
                Delivery.status == QUEUED,
                or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now),
            )
            .order_by(Delivery.id)
        ).all()
    for delivery_id in due:
        claimed = _claim(store, settings, delivery_id, now)
        if claimed is None:
            result.skipped += 1
            continue
        message, recipient = claimed
        msg_id = str(message["Message-ID"])
        already = accepted_before.get(msg_id)
        if already is not None:  # accepted before (e.g. a failed delivery requeued by hand): never twice
            _mark_sent(store, delivery_id, already)
            result.reconciled += 1
            continue
        if hooks.claimed:
            hooks.claimed(msg_id)

        handed_over: list[str] = []
        accepted = _on_acceptance(journal, hooks, delivery_id, msg_id, handed_over)
        try:
            _send(message, recipient, settings, accepted)
        except Exception as exc:  # any failure of one message is recorded; the others go on
            if not handed_over:
                _record_failure(store, settings, delivery_id, exc, now, result)
                continue
            log.warning("delivery %s: error after the server accepted it, ignored: %s", delivery_id, exc)
        _mark_sent(store, delivery_id, handed_over[0])
        result.sent += 1
    return result


def _on_acceptance(
    journal: AcceptedJournal, hooks: DeliveryHooks, delivery_id: int, msg_id: str, handed_over: list[str]
) -> Callable[[str], None]:
    """What runs right after the transport accepted the message: note it, then journal it (fsync'ed)."""

    def accepted(location: str) -> None:
        handed_over.append(location)
        if hooks.accepted:
            hooks.accepted(msg_id)
        try:
            journal.record(msg_id, location)
        except OSError as exc:  # the commit that follows still records it; only a crash now would resend
            log.error("delivery %s: journal %s not written (%s)", delivery_id, journal.path, exc)
        if hooks.journaled:
            hooks.journaled(msg_id)

    return accepted


def reconcile(
    store: Store, settings: Settings, now: datetime, result: DeliveryResult | None = None
) -> DeliveryResult:
    """Settle the ``sending`` rows a crash left: delivered (in the journal, or its ``.eml`` exists) ->
    ``sent``; abandoned by a dead process of this host, or past its lease -> back in the queue."""
    result = result or DeliveryResult()
    accepted = journal_for(settings).accepted()
    with store.session(write=True) as session:
        for delivery in session.scalars(select(Delivery).where(Delivery.status == SENDING)):
            location = accepted.get(delivery.message_id)
            if location is None and not settings.smtp.host:
                eml = eml_path_for(delivery.message_id, settings.outbox_dir)
                location = str(eml) if eml.exists() else None
            if location is not None:
                delivery.status, delivery.sent_at, delivery.location = SENT, now, location
                delivery.last_error = None
                result.reconciled += 1
                log.warning("delivery %s: accepted before a crash, now recorded as sent", delivery.id)
            elif _abandoned(delivery, now):
                log.warning(
                    "delivery %s: interrupted while sending (%s); queued again",
                    delivery.id,
                    delivery.location,
                )
                delivery.last_error = f"interrompu pendant l'envoi ({delivery.location})"
                delivery.status, delivery.next_attempt_at, delivery.location = QUEUED, None, None
                result.requeued += 1
    return result


def requeue(store: Store, delivery_ids: list[int] | None = None) -> int:
    """Put failed deliveries (all, or these) back in the queue with a fresh count of attempts."""
    with store.session(write=True) as session:
        query = select(Delivery).where(Delivery.status == FAILED)
        if delivery_ids:
            query = query.where(Delivery.id.in_(delivery_ids))
        rows = session.scalars(query).all()
        for delivery in rows:
            delivery.status, delivery.attempts, delivery.next_attempt_at = QUEUED, 0, None
        return len(rows)


# --- the steps -------------------------------------------------------------------------------------------


def _claimant() -> str:
    return f"{_CLAIM_PREFIX}{socket.gethostname()} pid {os.getpid()}"


def _claim(
    store: Store, settings: Settings, delivery_id: int, now: datetime
) -> tuple[EmailMessage, str] | None:
    """Take a due delivery for this process (committed), or None if another process took it first."""
    with store.session() as session:
        taken = session.execute(
            update(Delivery)
            .where(
                Delivery.id == delivery_id,
                Delivery.status == QUEUED,
                or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now),
            )
            .values(
                status=SENDING,
                attempts=Delivery.attempts + 1,
                location=_claimant(),
                next_attempt_at=now + timedelta(seconds=settings.smtp.claim_timeout_s),
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if taken != 1:
            return None
        delivery = session.get_one(Delivery, delivery_id)
        return message_for(delivery, settings), delivery.recipient


def _mark_sent(store: Store, delivery_id: int, location: str) -> None:
    with store.session(write=True) as session:
        delivery = session.get_one(Delivery, delivery_id)
        delivery.status, delivery.sent_at, delivery.location = SENT, clock.now(), location
        delivery.next_attempt_at, delivery.last_error = None, None


def _record_failure(
    store: Store, settings: Settings, delivery_id: int, exc: Exception, now: datetime, result: DeliveryResult
) -> None:
    permanent = is_permanent(exc)
    with store.session(write=True) as session:
        delivery = session.get_one(Delivery, delivery_id)
        delivery.last_error = f"{type(exc).__name__}: {exc}"[:500]
        delivery.location = None
        if permanent or delivery.attempts >= settings.smtp.max_attempts:
            delivery.status, delivery.next_attempt_at = FAILED, None
            result.failed += 1
        else:
            delay = min(settings.smtp.backoff_s * 2 ** (delivery.attempts - 1), settings.smtp.max_backoff_s)
            delivery.status, delivery.next_attempt_at = QUEUED, now + timedelta(seconds=delay)
            result.retrying += 1
        attempts = delivery.attempts
    log.warning(
        "delivery %s failed (attempt %d, %s): %s",
        delivery_id,
        attempts,
        "permanent" if permanent else "will retry",
        exc,
    )


def is_permanent(exc: BaseException) -> bool:
    """A 5xx reply or a settings problem: the same attempt would fail the same way."""
    if isinstance(exc, DeliveryConfigError):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def _abandoned(delivery: Delivery, now: datetime) -> bool:
    """Was this ``sending`` row left by a process that will never finish it?"""
    claim = (delivery.location or "").removeprefix(_CLAIM_PREFIX).split(" pid ")
    if len(claim) == 2 and claim[0] == socket.gethostname() and claim[1].isdigit():
        if not _process_alive(int(claim[1])):
            return True
    return delivery.next_attempt_at is None or delivery.next_attempt_at <= now


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (ended, not yet reaped by its parent) is dead for us
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


# --- transports ------------------------------------------------------------------------------------------


def _send(message: EmailMessage, recipient: str, settings: Settings, accepted: Callable[[str], None]) -> None:
    """Hand the message over; ``accepted(location)`` runs as soon as the transport has it."""
    if not settings.smtp.host:
        accepted(str(write_eml(message, settings.outbox_dir)))
    else:
        _smtp_send(message, recipient, settings, accepted)


def _smtp_send(
    message: EmailMessage, recipient: str, settings: Settings, accepted: Callable[[str], None]
) -> None:
    smtp = settings.smtp
    assert smtp.host is not None
    location = f"smtp://{smtp.host}:{smtp.port}"
    context = ssl.create_default_context(cafile=str(smtp.cafile) if smtp.cafile else None)
    client: smtplib.SMTP
    if smtp.ssl:
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout_s, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s)
    try:
        client.ehlo()
        if smtp.starttls and not smtp.ssl:
            if not client.has_extn("starttls"):
                raise DeliveryConfigError(
                    f"{smtp.host}:{smtp.port} does not offer STARTTLS; use the submission port of a server "
                    "that does, or set SIGNALS_SMTP__STARTTLS=false on a trusted network only"
                )
            client.starttls(context=context)
            client.ehlo()
        if smtp.username and smtp.password is not None:
            client.login(smtp.username, smtp.password.get_secret_value())
        client.send_message(message, to_addrs=[recipient])
        accepted(location)  # first thing after the 250: nothing between it and the journal can fail
    finally:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()  # the message is accepted or not whatever QUIT says


def eml_path_for(msg_id: str, folder: Path) -> Path:
    name = msg_id.strip("<>").replace("@", "_at_").replace("/", "_")
    return folder / f"{name}.eml"


def eml_path(message: EmailMessage, folder: Path) -> Path:
    return eml_path_for(str(message["Message-ID"]), folder)


def write_eml(message: EmailMessage, folder: Path) -> Path:
    """Write the message once: an existing file means it was already delivered to the outbox.

    A browser preview (``.html``, charts inlined) is written first, so an ``.eml`` that exists has one.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = eml_path(message, folder)
    if path.exists():
        return path
    path.with_suffix(".html").write_text(preview_html(message), encoding="utf-8")
    temporary = path.with_suffix(".eml.tmp")
    with open(temporary, "wb") as handle:
        handle.write(bytes(message))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)  # last: an .eml that exists is complete
    _fsync_folder(folder)
    return path


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
