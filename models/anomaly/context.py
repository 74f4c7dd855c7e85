"""Sequence novelty: has the series ever gone from its recent *pattern* of values to the current one?

Deviation scorers see a value far from what is usual; they miss a series that stays within its usual
range but moves through it in a new way (a daily shape broken, a slow drift into a rarely visited region,
a regular oscillation that starts or stops). ``SequenceNovelty`` remembers which value levels followed
each recent sequence of levels, in the spirit of the Contextual Anomaly Detector (CAD OSE) published with
the Numenta Anomaly Benchmark, but with a streaming quantiser (no look-ahead at the series' range):

- each value is quantised into ``levels`` equal slots of the range seen so far (the value included);
- for every order ``k`` in 1..``order``, the last ``k`` levels form a context, and the context's memory
  holds the set of levels that have followed it;
- the score is the share of orders whose context was never seen, or never followed by the current level.

The raw score is high for any noisy series, so ``SeriesDetector`` passes it through ``AnomalyLikelihood``:
what counts is a burst of novelty beyond the series' own usual rate. Memory is bounded: at most
``memory`` contexts are kept, the least recently used ones are forgotten first.
"""

from __future__ import annotations

import collections
from typing import Any

from river import base


class SequenceNovelty(base.AnomalyDetector):
    """Share of recent-context orders under which the current value level is new, in [0, 1].

    Parameters
    ----------
    levels
        Slots the range seen so far is cut into (at most 62, so a context's followers fit one int mask).
    order
        Longest context, in points.
    memory
        Most contexts kept (all orders together); the least recently used are forgotten first.

    >>> detector = SequenceNovelty(levels=4, order=3)
    >>> for i in range(200):
    ...     detector.learn_one({"y": [0, 1, 2, 3][i % 4]})  # a regular saw tooth
    >>> detector.score_one({"y": 0})  # what always follows 1, 2, 3
    0.0
    >>> detector.score_one({"y": 2})  # a value seen often, but never after 1, 2, 3
    1.0
    """

    MAX_LEVELS = 62

    def __init__(self, levels: int = 16, order: int = 6, memory: int = 10_000) -> None:
        if not 2 <= levels <= self.MAX_LEVELS:
            raise ValueError(f"levels must be between 2 and {self.MAX_LEVELS}: {levels}")
        self.levels = levels
        self.order = order
        self.memory = memory
        self._low: float | None = None
        self._high: float | None = None
        self._recent: collections.deque[int] = collections.deque(maxlen=order)
        # key: a context of k levels written as a base-``levels`` number, tagged with k; value: a bit mask
        # of the levels that followed it
        self._followers: collections.OrderedDict[int, int] = collections.OrderedDict()

    def _level(self, y: float) -> int:
        low = y if self._low is None else min(self._low, y)
        high = y if self._high is None else max(self._high, y)
        if high == low:
            return 0
        return min(self.levels - 1, int(self.levels * (y - low) / (high - low)))

    def _contexts(self) -> list[int]:
        """Keys of the contexts of orders 1.. available (most recent level last)."""
        keys = []
        code = 0
        for k, level in enumerate(reversed(self._recent), start=1):
            code = code + level * self.levels ** (k - 1)
            keys.append(code * (self.order + 1) + k)
        return keys

    def score_one(self, x: dict[str, Any]) -> float:
        bit = 1 << self._level(x["y"])
        novel = sum(1 for key in self._contexts() if not self._followers.get(key, 0) & bit)
        return novel / self.order

    def learn_one(self, x: dict[str, Any]) -> None:
        y = x["y"]
        level = self._level(y)
        for key in self._contexts():
            self._followers[key] = self._followers.get(key, 0) | (1 << level)
            self._followers.move_to_end(key)
        while len(self._followers) > self.memory:
            self._followers.popitem(last=False)
        self._low = y if self._low is None else min(self._low, y)
        self._high = y if self._high is None else max(self._high, y)
        self._recent.append(level)

    @property
    def n_contexts(self) -> int:
        """Contexts held in memory."""
        return len(self._followers)
