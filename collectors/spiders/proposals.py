"""What the proposals platforms share (the JSON consultation API, Decidim): reading counts, and the monthly
series of proposals, votes and comments computed from every stored proposal of a source.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from collectors.storage import StoreWriter
from signals.core.parsing import slug
from signals.core.store import NewObservation

FIGURES = ("votes", "comments")
FIGURE_WORDS = {"proposals": "propositions", "votes": "votes", "comments": "commentaires"}  # also the units


def count_authors(value: Any) -> int:
    """How many authors a proposal's author field names (a list, one object, a name, or nothing).

    >>> count_authors([{"name": "A"}, {"name": "B"}]), count_authors({"name": "A"}), count_authors(None)
    (2, 1, 0)
    """
    if value is None or value == "":
        return 0
    if isinstance(value, list):
        return len(value)
    return 1


def to_count(value: Any) -> int | None:
    """A non-negative count from JSON (number, or text such as "12" or "12 votes"); None when absent.

    >>> to_count(12), to_count("12 votes"), to_count(None), to_count(-3)
    (12, 12, None, None)
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return int(value) if value >= 0 else None
    digits = "".join(c for c in str(value).split(" ")[0] if c.isdigit())
    return int(digits) if digits else None


class ProposalSeries:
    """Mixin of a proposals spider: its ``summarise`` step (run by the store pipeline at the end)."""

    context: Any
    source: Any
    ledger: Any

    def summarise(self, writer: StoreWriter) -> None:
        """Monthly observations per commune from every stored proposal of the platform: number of proposals,
        votes and comments (``<series>.proposals/<commune>``...); recomputed in full, so always consistent.
        A month of the platform's life without a commune's proposal is a count of 0 for that commune, not a
        gap: the series stay regular for the forecasts (the month in progress is assessed once it ends)."""
        prefix = self.source.series or self.source.name
        totals: dict[tuple[str, str | None, date], float] = defaultdict(float)
        communes: set[str | None] = set()
        for document in writer.documents_of(self.source.name):
            month = _month(document.published_at.astimezone(self.context.crawl.tz))
            communes.add(document.territory)
            totals[("proposals", document.territory, month)] += 1
            for figure in FIGURES:
                totals[(figure, document.territory, month)] += (document.extra or {}).get(figure) or 0
        if totals:
            first = min(month for _, _, month in totals)
            now = _month(self.context.crawl.started_at.astimezone(self.context.crawl.tz))
            month = first
            while month <= now:
                for measure in ("proposals", *FIGURES):
                    for territory in communes:
                        totals[(measure, territory, month)] += 0  # a month without a proposal counts 0
                month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        for (measure, territory, month), value in sorted(
            totals.items(), key=lambda kv: (kv[0][0], kv[0][1] or "", kv[0][2])
        ):
            series = f"{prefix}.{measure}" + (f"/{slug(territory)}" if territory else "")
            outcome = writer.upsert_observation(
                NewObservation(series, month, value, FIGURE_WORDS[measure], territory, self.source.name)
            )
            self.ledger.count("observations")
            self.ledger.count(f"observations_{outcome}")


def _month(moment: datetime) -> date:
    return date(moment.year, moment.month, 1)
