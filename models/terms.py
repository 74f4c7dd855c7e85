"""Key terms of a text: words and short phrases (1 to 3 words), French first, computed once per document.

A document's terms are kept as a sorted array of 32-bit hashes (``TermExtractor.hashes``), cheap to store
and to count over hundreds of thousands of documents; the readable form of a hash is recovered from the
few recent documents that matter (``TermExtractor.surfaces``).

Phrases are built from consecutive content words, allowing one stop word in between, so "punaises de lit"
and "cours d'école" are terms. Light normalisation (case, elision, French plural) makes "Punaises", "punaise"
and "punaises" one term.

>>> ex = TermExtractor()
>>> sorted(ex.terms("Des punaises de lit, à l'école."))
['lit', 'punaise', 'punaise lit', 'école']
>>> bool((ex.hashes("Punaise de lit") == ex.hashes("les punaises de lits")).all())
True
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from functools import lru_cache

import numpy as np
from stop_words import get_stop_words

VERSION = "terms-v2"  # change when extraction changes: stored hashes are recomputed
_SENTENCE = re.compile(r"[.,!?;:()\[\]«»\"…\n]+")
# A word has at least one letter ("cop21", "a380" are words; "2015" is not), hyphenated parts kept together.
_PART = r"[^\W_]*[^\W\d_][^\W_]*"
_WORD = re.compile(rf"{_PART}(?:-{_PART})*", re.UNICODE)
_ELISION = re.compile(r"\b(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu)['’]", re.IGNORECASE)
# Words frequent in any local news that carry no theme; the lists of stop-words cover the rest.
_EXTRA_STOP = frozenset(
    """
    selon ainsi notamment plusieurs également déjà encore afin lors dont entre très toute toutes tous fait
    faire être sera seront peut peuvent doit depuis vers chez sous sans aussi année années ans jour jours
    semaine semaines mois hier aujourd demain prochain prochaine prochaines dernier dernière heure heures mme
    monsieur madame the and
    """.split()
)
# Calendar words: every date in a text would otherwise make a phrase that is "new" each week.
_CALENDAR = frozenset(
    """
    lundi mardi mercredi jeudi vendredi samedi dimanche janvier février mars avril mai juin juillet août
    septembre octobre novembre décembre matin soir midi après-midi soirée matinée week-end 1er monday tuesday
    wednesday thursday friday saturday sunday january february march april june july august september october
    november december
    """.split()
)


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    return (
        frozenset(get_stop_words("french")) | frozenset(get_stop_words("english")) | _EXTRA_STOP | _CALENDAR
    )


def normalise(word: str) -> str:
    """Lower case and a light French plural rule, per hyphenated part: 'Vélos-Cargos' -> 'vélo-cargo'."""
    parts = []
    for part in word.lower().split("-"):
        if len(part) > 3 and part.endswith("s") and not part.endswith(("ss", "us", "is")):
            part = part[:-1]
        elif len(part) > 4 and part.endswith("aux"):
            part = part[:-3] + "al"
        parts.append(part)
    return "-".join(parts)


def term_hash(term: str) -> int:
    return zlib.crc32(term.encode("utf-8"))


class TermExtractor:
    """Words and phrases of a text, as normalised strings or 32-bit hashes.

    Parameters: ``max_n`` longest phrase in words; ``max_chars`` only the beginning of long texts (minutes
    of 50 pages) is read, the title and lead carry the theme; ``min_length`` shortest word kept.
    """

    def __init__(
        self, max_n: int = 3, max_chars: int = 4000, min_length: int = 3, extra_stop: Iterable[str] = ()
    ) -> None:
        self.max_n = max_n
        self.max_chars = max_chars
        self.min_length = min_length
        extra = {w.lower() for phrase in extra_stop for w in _WORD.findall(_ELISION.sub(" ", phrase))}
        self._stop = stop_words() | extra
        # Cache key of the stored hashes: the extraction version and the extra stop words.
        digest = zlib.crc32(" ".join(sorted(extra)).encode("utf-8"))
        self.version = VERSION if not extra else f"{VERSION}-{digest:08x}"

    def _spans(self, text: str) -> Iterator[list[tuple[str, str, int]]]:
        """Per sentence, its words as (normalised, surface, number of stop words skipped before it)."""
        # "d'école" -> "d école": the elided word counts as a skipped stop word ("cours d'école" is a phrase)
        text = _ELISION.sub(lambda m: f" {m.group(0)[:-1]} ", text[: self.max_chars])
        for sentence in _SENTENCE.split(text):
            words: list[tuple[str, str, int]] = []
            gap = 0
            for match in _WORD.finditer(sentence):
                surface = match.group(0)
                lower = surface.lower()
                if lower in self._stop or len(lower) < self.min_length:
                    gap += 1
                    continue
                words.append((normalise(lower), lower, gap))
                gap = 0
            if words:
                yield words

    def _ngrams(self, text: str) -> Iterator[tuple[str, str]]:
        """(normalised term, surface phrase) pairs; a phrase may span one skipped stop word per join."""
        for words in self._spans(text):
            for i in range(len(words)):
                norm, surface = words[i][0], words[i][1]
                yield norm, surface
                for j in range(i + 1, min(i + self.max_n, len(words))):
                    if words[j][2] > 1:
                        break
                    joiner = " … " if words[j][2] else " "
                    norm = f"{norm} {words[j][0]}"
                    surface = f"{surface}{joiner}{words[j][1]}"
                    yield norm, surface

    def terms(self, text: str) -> set[str]:
        return {norm for norm, _ in self._ngrams(text)}

    def hashes(self, text: str) -> np.ndarray:
        """Sorted unique uint32 hashes of the text's terms (what is stored per document)."""
        return np.unique(np.fromiter((term_hash(t) for t in self.terms(text)), dtype=np.uint32))

    def surfaces(self, texts: Iterable[str], wanted: set[int]) -> dict[int, str]:
        """Most frequent readable form of each wanted hash in these texts ('punaises … lit' -> 'punaises de lit')."""
        seen: dict[int, Counter[str]] = {}
        for text in texts:
            for norm, surface in self._ngrams(text):
                h = term_hash(norm)
                if h in wanted:
                    seen.setdefault(h, Counter())[_restore(surface, text[: self.max_chars])] += 1
        return {h: counts.most_common(1)[0][0] for h, counts in seen.items()}


def _restore(surface: str, text: str) -> str:
    """Replace the '…' of a phrase by the words actually found between its words in the text
    ('cours … école' -> "cours d'école")."""
    parts = surface.split(" … ")
    pattern = r"[^.,;:!?]{1,10}?".join(re.escape(p) for p in parts) if len(parts) > 1 else re.escape(surface)
    match = re.search(pattern, text, re.IGNORECASE)
    return match.group(0).lower() if match else surface.replace(" … ", " ")


def encode(hashes: np.ndarray) -> bytes:
    return np.asarray(hashes, dtype=np.uint32).tobytes()


def decode(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.uint32)
