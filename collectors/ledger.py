"""What one source's crawl did: counts, rejects with their reasons, latencies, why it stopped.

The ledger feeds the source's run record (a ``RunRecorder`` from the store) and, for a preview, the list
of items shown to the analyst. Spiders, middlewares and pipelines all report to it.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

from signals.core.store import RunRecorder

# Close reasons of a Scrapy spider that mean the source was read to its end.
FINISHED = "finished"
TRUNCATING_REASONS = {
    "item_cap": "plafond d'éléments atteint",
    "closespider_timeout": "budget de temps épuisé",
    "preview_limit": "limite de l'aperçu atteinte",
}
_MAX_LATENCIES = 10_000  # a sample is enough for a median and a 95th percentile


class RunLedger:
    """Accounting of one source's crawl.

    Parameters
    ----------
    source
        The source's name.
    recorder
        Where counts and rejects go (the run record's recorder; a detached one for previews).
    limit
        Items accepted before the crawl stops (the item cap, or the preview's limit); None for no limit.
    preview
        Keep a summary of every item (and reject) for display.

    >>> ledger = RunLedger("echo", RunRecorder(0), limit=1)
    >>> ledger.take(), ledger.take()
    (True, False)
    >>> ledger.page_failed("http://h/feed.xml", "HTTP 404", "http_error")
    >>> ledger.close("finished")
    >>> ledger.status, ledger.error
    ('failed', 'HTTP 404')
    """

    def __init__(
        self, source: str, recorder: RunRecorder, limit: int | None = None, preview: bool = False
    ) -> None:
        self.source = source
        self.recorder = recorder
        self.limit = limit or None
        self.preview = preview
        self.accepted = 0
        self.pages_ok: set[str] = set()
        self.page_failures: list[str] = []
        self.transient_rejects = 0
        self.latencies: list[float] = []
        self.preview_items: list[dict[str, Any]] = []
        self.close_reason: str | None = None

    # what the crawl reports

    def count(self, key: str, n: int = 1) -> None:
        self.recorder.count(key, n)

    def reject(self, item: str, reason: str, code: str, *, transient: bool = False) -> None:
        """An item refused: counted by code, its reason logged and kept in the run record."""
        self.recorder.reject(item, reason, code)
        if transient:
            self.transient_rejects += 1
        if self.preview:
            self.preview_items.append(
                {
                    "url": item,
                    "title": None,
                    "date": None,
                    "commune": None,
                    "text_length": 0,
                    "rejected": code,
                    "problems": [reason],
                }
            )

    def page_ok(self, url: str) -> None:
        """A page was received (it may still turn out unreadable: see ``page_failed``)."""
        self.pages_ok.add(url)
        self.count("pages")

    def page_failed(self, url: str, reason: str, code: str, *, transient: bool = False) -> None:
        """A listing page, feed page, API page or file that could not be read at all."""
        self.reject(url, reason, code, transient=transient)
        self.pages_ok.discard(url)
        self.page_failures.append(reason)

    def latency(self, seconds: float) -> None:
        self.count("responses")
        if len(self.latencies) < _MAX_LATENCIES:
            self.latencies.append(seconds)

    def take(self) -> bool:
        """Count one more accepted item; False once the limit is reached (the item is not to be kept)."""
        if self.limit is not None and self.accepted >= self.limit:
            return False
        self.accepted += 1
        return True

    @property
    def full(self) -> bool:
        return self.limit is not None and self.accepted >= self.limit

    def show(self, entry: dict[str, Any]) -> None:
        """Keep an accepted item's summary for the preview."""
        if self.preview:
            self.preview_items.append(entry)

    # the end of the crawl

    def close(self, reason: str) -> None:
        """Record why the crawl stopped, latency figures, and whether the source was read completely."""
        self.close_reason = reason
        if self.latencies:
            ordered = sorted(self.latencies)
            self.recorder.counts["latency_median_s"] = round(statistics.median(ordered), 4)
            rank = max(math.ceil(0.95 * len(ordered)) - 1, 0)  # nearest-rank percentile
            self.recorder.counts["latency_p95_s"] = round(ordered[rank], 4)
        if reason in TRUNCATING_REASONS:
            self.recorder.counts["truncated"] = TRUNCATING_REASONS[reason]
        if not self.pages_ok and self.page_failures:
            self.recorder.fail(self.page_failures[0])
        elif reason not in TRUNCATING_REASONS and reason != FINISHED:
            self.recorder.fail(f"collecte interrompue ({reason})")
        self.recorder.counts["complete"] = self.complete

    @property
    def complete(self) -> bool:
        """Read to the end with nothing left to retry: the next run may rely on what this one stored."""
        return (
            self.close_reason == FINISHED
            and not self.page_failures
            and self.transient_rejects == 0
            and self.recorder.failure is None
        )

    @property
    def interrupted(self) -> bool:
        return self.close_reason not in (None, FINISHED, *TRUNCATING_REASONS)

    @property
    def status(self) -> str:
        return self.recorder.status

    @property
    def error(self) -> str | None:
        return self.recorder.failure

    def summary(self) -> dict[str, Any]:
        return self.recorder.summary()
