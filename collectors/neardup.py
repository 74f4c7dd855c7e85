"""Near-duplicate documents (the same wire story in two outlets), found with MinHash LSH (datasketch).

Only documents published within a few days of each other, from different sources, are compared: a wire
copy appears within hours, while two deliberations of one council may share most of their template. The
index holds day buckets of documents and is bounded: buckets are loaded on demand (from the store, through
a loader) and the least recently used are dropped, so memory stays flat however long the crawl.
"""

from __future__ import annotations

import re
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from datasketch import LeanMinHash, MinHash, MinHashLSH

_WORDS = re.compile(r"[^\W_]+")
_SCHEME = "affine32"
_PREFETCH = timedelta(days=14)  # days loaded around a missing one

# (document id, source name, publication day, text) of stored documents published in [first, last]
Loader = Callable[[date, date], Iterable[tuple[int, str, date, str]]]


def _crc32(data: bytes) -> int:
    # Stable across processes (unlike hash()) and much faster than datasketch's default SHA-1.
    return zlib.crc32(data)


@dataclass
class _Entry:
    source: str
    day: date
    signature: MinHash


class NearDuplicateIndex:
    """Find the stored document a new text nearly repeats.

    Parameters
    ----------
    threshold
        Estimated Jaccard similarity of word shingles above which two texts are the same story.
    window_days
        Only documents published this many days apart (or less) are compared.
    capacity
        Documents kept in memory (whole day buckets are evicted, least recently used first).
    loader
        Reads stored documents of a day range, so a new process also finds older copies; None: memory only.
    shingle
        Words per shingle.
    min_words
        Shorter texts are never matched (their similarity is too noisy; exact copies are caught elsewhere).
    max_chars
        Only the beginning of long texts is compared (a wire copy repeats the story from its start).

    >>> index = NearDuplicateIndex()
    >>> story = ("Le conseil municipal de Fontclaire a adopté hier soir le budget de la nouvelle piscine "
    ...          "intercommunale, dont les travaux commenceront au printemps prochain selon le maire, qui "
    ...          "promet une ouverture avant l'été et des tarifs réduits pour les familles du territoire.")
    >>> day = datetime(2025, 3, 1)
    >>> sig = index.signature(story)
    >>> index.find(sig, "echo", day) is None
    True
    >>> index.add(1, sig, "echo", day)
    >>> index.find(index.signature("Selon nos informations, " + story), "radio", day)
    1
    >>> index.find(index.signature("Selon nos informations, " + story), "echo", day) is None  # same source
    True
    """

    def __init__(
        self,
        threshold: float = 0.8,
        window_days: int = 3,
        capacity: int = 5_000,
        loader: Loader | None = None,
        num_perm: int = 64,
        shingle: int = 3,
        min_words: int = 25,
        max_chars: int = 20_000,
    ) -> None:
        self.threshold = threshold
        self.window = timedelta(days=window_days)
        self.capacity = capacity
        self.loader = loader
        self.num_perm = num_perm
        self.shingle = shingle
        self.min_words = min_words
        self.max_chars = max_chars
        # Candidates from a lower LSH threshold (bands tuned for recall: a pair at the threshold is found
        # ~95 % of the time, not ~50 %), then verified against the real threshold.
        self._lsh = MinHashLSH(threshold=max(0.1, threshold - 0.2), num_perm=num_perm)
        self._entries: dict[int, _Entry] = {}
        self._buckets: OrderedDict[date, list[int]] = OrderedDict()  # loaded days, least recent first
        # one permutation set for every signature (datasketch would otherwise regenerate it each time)
        self._permutations = MinHash(num_perm=num_perm, hashfunc=_crc32, scheme=_SCHEME).permutations

    def __len__(self) -> int:
        return len(self._entries)

    def signature(self, text: str) -> MinHash | None:
        """MinHash of the text's word shingles; None when the text is too short to compare."""
        words = _WORDS.findall(text[: self.max_chars].casefold())
        if len(words) < self.min_words:
            return None
        n = self.shingle
        shingles = {" ".join(words[i : i + n]).encode("utf-8") for i in range(len(words) - n + 1)}
        signature = MinHash(
            num_perm=self.num_perm, hashfunc=_crc32, permutations=self._permutations, scheme=_SCHEME
        )
        signature.update_batch(list(shingles))
        return LeanMinHash(signature)  # hash values only: a third of the memory of a MinHash

    def find(self, signature: MinHash | None, source: str, published: datetime) -> int | None:
        """Id of a document from another source, published within the window, that this text repeats."""
        if signature is None:
            return None
        day = published.date()
        self._ensure_loaded(day - self.window, day + self.window)
        best: tuple[float, int] | None = None
        for key in self._lsh.query(signature):
            entry = self._entries.get(key)
            if entry is None or entry.source == source or abs(entry.day - day) > self.window:
                continue
            similarity = signature.jaccard(entry.signature)
            if similarity >= self.threshold and (best is None or similarity > best[0]):
                best = (similarity, key)
        return best[1] if best else None

    def add(self, doc_id: int, signature: MinHash | None, source: str, published: datetime) -> None:
        """Remember a newly stored document."""
        if signature is None or doc_id in self._entries:
            return
        day = published.date()
        self._ensure_loaded(day, day)
        self._insert(doc_id, _Entry(source, day, signature))
        self._evict()

    # internals

    def _insert(self, doc_id: int, entry: _Entry) -> None:
        self._entries[doc_id] = entry
        self._lsh.insert(doc_id, entry.signature, check_duplication=False)
        self._buckets.setdefault(entry.day, []).append(doc_id)

    def _ensure_loaded(self, first: date, last: date) -> None:
        days = _days(first, last)
        missing = [d for d in days if d not in self._buckets]
        for d in days:
            if d in self._buckets:
                self._buckets.move_to_end(d)
        if not missing:
            return
        if self.loader is not None:  # one query for a few weeks rather than one per new day
            wider = [d for d in _days(first - _PREFETCH, last + _PREFETCH) if d not in self._buckets]
            missing = sorted(set(missing) | set(wider))
        for d in missing:
            self._buckets[d] = []
        if self.loader is not None:
            for run_first, run_last in _runs(missing):
                for doc_id, source, day, text in self.loader(run_first, run_last):
                    signature = self.signature(text)
                    if signature is not None and doc_id not in self._entries and day in self._buckets:
                        self._insert(doc_id, _Entry(source, day, signature))
        self._evict()

    def _evict(self) -> None:
        while len(self._entries) > self.capacity and len(self._buckets) > 1:
            _day, ids = self._buckets.popitem(last=False)
            for doc_id in ids:
                if self._entries.pop(doc_id, None) is not None:
                    self._lsh.remove(doc_id)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive days grouped into (first, last) ranges, so the loader runs one query per range."""
    runs: list[tuple[date, date]] = []
    for d in sorted(days):
        if runs and d - runs[-1][1] == timedelta(days=1):
            runs[-1] = (runs[-1][0], d)
        else:
            runs.append((d, d))
    return runs
