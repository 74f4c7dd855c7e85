"""Readable keywords of a theme: distinct phrases, most frequent first, and which names a theme best."""

from __future__ import annotations

import re


def words(term: str) -> int:
    """Content words of a keyword ("punaises de lit": 2; "vélos-cargos": 1)."""
    return len([w for w in re.split(r"[\s'’]+", term) if len(w) > 3 or "-" in w]) or 1


def distinct_keywords(ranked: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """Distinct keywords, most frequent first; a word only ever seen inside a longer kept phrase goes."""
    kept: list[tuple[str, float]] = []
    for term, n in sorted(ranked, key=lambda t: (-t[1], -words(t[0]))):
        if not term:
            continue
        if any(term in other and m >= n for other, m in kept):
            continue
        kept = [(o, m) for o, m in kept if not (o in term and n >= m)]
        kept.append((term, n))
    return sorted(kept, key=lambda t: (-t[1], -words(t[0])))


LABEL_PREFERENCE = {1: 0.9, 2: 1.0, 3: 0.85}  # two-word phrases name a theme best ("punaises de lit")


def word_preference(term: str) -> float:
    return LABEL_PREFERENCE.get(words(term), 0.8)
