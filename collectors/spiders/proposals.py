"""What the proposals platforms share (the JSON consultation API, Decidim): reading counts, and the monthly
series of proposals, votes and comments computed from every stored proposal of a source.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from collectors.storage import StoreWriter
from signals.core.parsing import slug
from signals.core.store import NewObservation

FIGURES = ("votes", "comments")


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
        votes and comments (``<series>.proposals/<commune>``...); recomputed in full, so always consistent."""
        prefix = self.source.series or self.source.name
        totals: dict[tuple[str, str | None, date], float] = defaultdict(float)
        for document in writer.documents_of(self.source.name):
            local = document.published_at.astimezone(self.context.crawl.tz)
            month = date(local.year, local.month, 1)
            totals[("proposals", document.territory, month)] += 1
            for figure in FIGURES:
                totals[(figure, document.territory, month)] += (document.extra or {}).get(figure) or 0
        units = {"proposals": "propositions", "votes": "votes", "comments": "commentaires"}
        for (measure, territory, month), value in sorted(
            totals.items(), key=lambda kv: (kv[0][0], kv[0][1] or "", kv[0][2])
        ):
            series = f"{prefix}.{measure}" + (f"/{slug(territory)}" if territory else "")
            outcome = writer.upsert_observation(
                NewObservation(series, month, value, units[measure], territory, self.source.name)
            )
            self.ledger.count("observations")
            self.ledger.count(f"observations_{outcome}")
