"""The data the spiders yield, before the item pipelines clean, enrich, deduplicate and store it.

Dataclasses (Scrapy handles them as items through itemadapter): typed and cheap to create.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass
class DocumentItem:
    """A text found at a source: an article, a deliberation, a proposal.

    ``published_at`` is set by the spider when the source gives a machine date; otherwise ``date_text``
    holds what the source wrote and the enrichment pipeline parses it. ``problems`` collects what an analyst
    should know about the item (shown by ``signals sources test``).
    """

    source: str
    url: str | None
    title: str
    text: str
    published_at: datetime | None = None
    date_text: str | None = None
    territory: str | None = None
    territory_hint: str | None = None  # a label the source attaches (feed category, API scope)
    language: str | None = None
    external_id: str | None = None
    refresh: bool = False  # figures that change (votes, comments): refreshed when the external id is stored
    extra: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    same_as: int | None = None  # a stored document this one nearly repeats (near-duplicate pipeline)
    fingerprint: Any = None  # the near-duplicate signature, reused when the document is stored


@dataclass
class ObservationItem:
    """One number of a series for a period (a row of an open-data table, an aggregate of a platform)."""

    source: str
    series: str
    period: date
    value: float
    unit: str | None = None
    territory: str | None = None
    row: str = ""  # where it came from ("<url> line 12"), for rejects
    problems: list[str] = field(default_factory=list)
