"""Level-shift reporting: River's ADWIN or Page-Hinkley on standardised residuals.

An anomaly score says "this point is unusual"; a level shift says "the series now lives elsewhere". The
detector watches residuals (observed minus expected, in spreads) so a seasonal cycle is not a shift, and
records each shift with the mean residual before and after it.

>>> shifts = LevelShiftDetector("adwin", delta=0.002)
>>> for i in range(400):
...     _ = shifts.update(i, i, (0.0 if i < 200 else 4.0) + (0.5 if i % 2 else -0.5))
>>> first = shifts.shifts[0]
>>> 200 <= first.index < 240, round(first.after, 1)
(True, 3.0)
"""

from __future__ import annotations

import collections
from dataclasses import dataclass
from typing import Any

from river import drift

MAX_SHIFTS_KEPT = 20


@dataclass(frozen=True)
class LevelShift:
    """A detected change of level: where it was found (``index``, ``at``) and the mean residual (in
    spreads) before and after it (ADWIN: its window mean before the change and the part it keeps)."""

    index: int
    at: Any
    before: float
    after: float


class LevelShiftDetector:
    """Feed ``update(index, at, residual)``; ``shifts`` lists the last ``MAX_SHIFTS_KEPT`` shifts found
    whose mean residual moved by at least ``min_change`` spreads."""

    def __init__(
        self, name: str = "adwin", delta: float = 0.002, threshold: float = 50.0, min_change: float = 0.0
    ) -> None:
        self.name = name
        self.min_change = min_change
        if name == "adwin":
            self._detector: Any = drift.ADWIN(delta=delta)
        elif name == "page_hinkley":
            self._detector = drift.PageHinkley(threshold=threshold)
        else:
            raise ValueError(f"unknown drift detector {name!r}: use adwin or page_hinkley")
        self._recent: collections.deque[float] = collections.deque(maxlen=50)
        self.shifts: collections.deque[LevelShift] = collections.deque(maxlen=MAX_SHIFTS_KEPT)

    def _mean_estimate(self) -> float:
        """ADWIN's window mean (it drops the old part of its window on a change); else a recent mean."""
        if self.name == "adwin":
            return float(self._detector.estimation)
        return sum(self._recent) / len(self._recent) if self._recent else 0.0

    def update(self, index: int, at: Any, residual: float) -> LevelShift | None:
        """Learn the residual of point ``index`` (time ``at``); return the shift it reveals, if any."""
        before = self._mean_estimate()
        self._detector.update(residual)
        self._recent.append(residual)
        if not self._detector.drift_detected:
            return None
        after = (
            self._mean_estimate()
            if self.name == "adwin"
            else sum(list(self._recent)[-5:]) / min(5, len(self._recent))
        )
        if abs(after - before) < self.min_change:
            return None  # a change the detector is sure of, but too small to report
        shift = LevelShift(index=index, at=at, before=before, after=after)
        self.shifts.append(shift)
        self._recent.clear()
        return shift
