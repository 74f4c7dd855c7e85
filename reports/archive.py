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
from signals.core.schema import Brief


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
                deliveries=dict(Counter(d.status for d in brief.deliveries)),
            )
        )
    return entries
