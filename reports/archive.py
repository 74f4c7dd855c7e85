"""The archive: every weekly brief and quarterly report is kept, as a database row and as files.

The row (``signals.core.schema.Brief``) holds what was rendered, once: the HTML as sent (charts as ``cid:``
references, their PNG in ``meta["images"]``), the plain text, and the paths of the archived files (a
self-contained HTML for a browser; the PDF of a report). A lost file is rewritten from the row.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from reports.mail import decode_images, with_data_uris
from reports.outbox import SENT
from signals.core.schema import Brief, Delivery


@dataclass
class ArchiveEntry:
    """One archived brief or report, as ``signals archive`` lists it."""

    id: int
    kind: str
    period: str
    created_at: datetime
    subject: str
    files: dict[str, Path]
    sizes: dict[str, int | None]  # bytes; None when the file is missing
    deliveries: dict[str, int] = field(default_factory=dict)  # status -> count


def self_contained_html(brief: Brief) -> str:
    """The brief's HTML for a browser: its charts as ``data:`` URIs."""
    return with_data_uris(brief.html, decode_images((brief.meta or {}).get("images", {})))


def restore_html(brief: Brief, path: Path) -> Path:
    """Rewrite an archived HTML file from the database row (atomically: a file that exists is whole)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(self_contained_html(brief), encoding="utf-8")
    temporary.replace(path)
    return path


def archive_entries(session: Session, kind: str | None = None, limit: int = 100) -> list[ArchiveEntry]:
    query = (
        select(Brief).options(selectinload(Brief.deliveries)).order_by(Brief.period.desc(), Brief.id.desc())
    )
    if kind:
        query = query.where(Brief.kind == kind)
    entries = []
    for brief in session.scalars(query.limit(limit)):
        files = {name: Path(path) for name, path in (brief.files or {}).items()}
        entries.append(
            ArchiveEntry(
                id=brief.id,
                kind=brief.kind,
                period=brief.period,
                created_at=brief.created_at,
                subject=brief.subject,
                files=files,
                sizes={name: path.stat().st_size if path.exists() else None for name, path in files.items()},
                deliveries=dict(Counter(delivery_outcome(d.status, d.location) for d in brief.deliveries)),
            )
        )
    return entries


# --- the outbox as people read it ---------------------------------------------------------------------


@dataclass
class DeliveryRow:
    """One delivery as ``signals deliveries`` shows it."""

    id: int
    kind: str
    period: str
    recipient: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    sent_at: datetime | None
    location: str | None
    last_error: str | None
    message_id: str = field(repr=False, default="")

    @property
    def outcome(self) -> str:
        """The status as a person should read it: a message only written to the outbox was not sent."""
        return delivery_outcome(self.status, self.location)


WRITTEN = "written to the outbox"


def delivery_outcome(status: str, location: str | None) -> str:
    """'sent' only when a mail server accepted the message; an ``.eml`` file is 'written to the outbox'.

    >>> delivery_outcome("sent", "smtp://mail:587"), delivery_outcome("sent", "/var/outbox/a.eml")
    ('sent', 'written to the outbox')
    """
    if status == SENT and location and not location.startswith(("smtp://", "smtps://")):
        return WRITTEN
    return status


def delivery_rows(session: Session, status: str | None = None, limit: int = 50) -> list[DeliveryRow]:
    query = select(Delivery, Brief).join(Brief, Brief.id == Delivery.brief_id).order_by(Delivery.id.desc())
    if status:
        query = query.where(Delivery.status == status)
    return [
        DeliveryRow(
            d.id,
            b.kind,
            b.period,
            d.recipient,
            d.status,
            d.attempts,
            d.next_attempt_at,
            d.sent_at,
            d.location,
            d.last_error,
            d.message_id,
        )
        for d, b in session.execute(query.limit(limit)).all()
    ]
