"""What the console computed from the store, kept between requests while the data it came from is unchanged.

A key names the value and carries the version of the data it was computed from (e.g.
``registry.signals_version``): a new version is a new key, so nothing is ever invalidated by hand. One
computation per key at a time: requests arriving meanwhile for the same key wait for it and share it, those
for other keys go on.

>>> kept = Kept(size=2)
>>> kept.get(("a", 1), lambda: [1]), kept.get(("a", 1), lambda: [2]), kept.get(("a", 2), lambda: [3])
([1], [1], [3])
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class Kept:
    """The last ``size`` values computed, by key (least recently used dropped first)."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._lock = threading.Lock()  # guards the two dictionaries, never held while computing
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._computing: dict[Hashable, threading.Lock] = {}

    def _kept(self, key: Hashable) -> tuple[bool, Any]:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return True, self._values[key]
            return False, None

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        found, value = self._kept(key)
        if found:
            return value  # type: ignore[no-any-return]
        with self._lock:
            computing = self._computing.setdefault(key, threading.Lock())
        with computing:
            found, value = self._kept(key)  # computed while this request waited
            if found:
                return value  # type: ignore[no-any-return]
            try:
                value = compute()
            except BaseException:
                with self._lock:
                    self._computing.pop(key, None)
                raise
            with self._lock:
                self._values[key] = value
                while len(self._values) > self.size:
                    self._values.popitem(last=False)
                self._computing.pop(key, None)
            return value  # type: ignore[no-any-return]
