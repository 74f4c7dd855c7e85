"""What a spider and the item pipelines need to know about the crawl they are part of.

A :class:`CrawlContext` is shared by every source of one crawl process (settings, gazetteer, store writer,
near-duplicate index); a :class:`SourceContext` belongs to one source's crawl (its definition and ledger).
Spiders receive the source context as their ``context`` argument; pipelines read it from the spider.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from collectors.enrich import Gazetteer
from collectors.ledger import RunLedger
from signals.core import clock
from signals.core.settings import Settings
from signals.core.sources import SourceDef

if TYPE_CHECKING:
    from collectors.neardup import NearDuplicateIndex
    from collectors.storage import StoreWriter


@dataclass
class CrawlContext:
    """Shared by all sources of a crawl process. In a preview, nothing touches the store."""

    settings: Settings
    gazetteer: Gazetteer
    writer: StoreWriter | None = None
    neardup: NearDuplicateIndex | None = None
    started_at: datetime = field(default_factory=lambda: clock.now())

    @property
    def tz(self) -> ZoneInfo:
        return self.settings.tz

    @property
    def preview(self) -> bool:
        return self.writer is None


@dataclass
class SourceContext:
    """One source's crawl: its definition, its ledger, and what it may rely on from earlier runs."""

    source: SourceDef
    crawl: CrawlContext
    ledger: RunLedger
    resume_safe: bool = False  # the last run was complete: paging may stop at a page of known items
    validators: dict[str, tuple[str | None, str | None, int]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def preview(self) -> bool:
        return self.crawl.preview

    @property
    def item_cap(self) -> int:
        cap = self.source.item_cap
        return self.crawl.settings.collect.item_cap if cap is None else cap

    @property
    def time_budget_s(self) -> int:
        return self.source.budget_s(self.crawl.settings.collect.time_budget_s)

    def known(self, urls: list[str]) -> set[str]:
        """Which of these URLs are already stored (never in a preview: it shows what the source yields)."""
        if self.crawl.writer is None or not urls:
            return set()
        return self.crawl.writer.known_urls(urls)

    def newest_date(self) -> date | None:
        """The latest day this source's stored data covers (never in a preview: it shows the whole source)."""
        if self.crawl.writer is None:
            return None
        return self.crawl.writer.newest_date(self.name)

    def cache_key(self, url: str) -> str:
        """Validators are kept per source and URL: a page unchanged for one source may be new to another."""
        return f"{url}#{self.name}"

    def cached_validators(self, url: str) -> tuple[str | None, str | None]:
        if self.crawl.writer is None:
            return None, None
        return self.crawl.writer.validators(self.cache_key(url))
