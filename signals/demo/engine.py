"""The engine of the generated corpora: texts drawn from banks, themes that grow and spread, dated moments.

The demo territory (``signals.demo.generate``) and the synthetic corpus (``signals.demo.synthetic``) are
two recipes over this engine and the banks of ``signals.demo.specs``: the demo publishes through outlets,
councils and a consultation platform, the synthetic corpus emits import records. Both draw from one
seeded numpy generator in a fixed order, so each machine produces the same documents.

The French embedding corpus (``bench.french_corpus``) reads its banks through ``signals.demo.specs`` but
keeps its own ten-line loop on ``random.Random``: its texts are what the embedding benchmark and tests
were measured on, and drawing them here would change every text and those figures.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

import numpy as np

from signals.demo.specs import Theme

PARIS = ZoneInfo("Europe/Paris")

_CONTRACTIONS = {" à le ": " au ", " à les ": " aux ", " de le ": " du ", " de les ": " des "}
_ELISIONS = re.compile("|".join(_CONTRACTIONS))

Item = TypeVar("Item")


class Writer:
    """Draws texts from the banks with one random generator.

    >>> w = Writer(np.random.default_rng(1), {"rue": ("rue de le Moulin",)}, ("Voilà.",))
    >>> w.fill("travaux {rue} à {commune}", "Fontclaire")
    'Travaux rue du Moulin à Fontclaire'
    >>> w.fill("travaux {rue} à {commune}", polish=False)
    'travaux rue de le Moulin à {commune}'
    """

    def __init__(
        self, rng: np.random.Generator, fillers: Mapping[str, Sequence[str]], generic: Sequence[str]
    ) -> None:
        self.rng = rng
        self.fillers = fillers
        self.generic = generic

    def pick(self, items: Sequence[Item], p: np.ndarray | None = None) -> Item:
        return items[int(self.rng.choice(len(items), p=p))]

    def some(self, count: int, size: int) -> np.ndarray:
        """``size`` distinct indexes below ``count`` (all of them if fewer)."""
        return self.rng.choice(count, size=min(size, count), replace=False)

    def fill(self, template: str, commune: str = "{commune}", polish: bool = True) -> str:
        """The template with every filler drawn. ``polish`` contracts "à le" into "au" and capitalises;
        the synthetic corpus keeps the raw text and its ``{commune}`` field, filled later."""
        values = {key: self.pick(options) for key, options in self.fillers.items()}
        values["commune"] = commune
        text = template.format(**values)
        if not polish:
            return text
        text = _ELISIONS.sub(lambda m: _CONTRACTIONS[m.group(0)], text)
        return text[0].upper() + text[1:]

    def article(self, theme: Theme, commune: str, n_theme: int = 3, n_generic: int = 1) -> tuple[str, str]:
        """A title and a text: ``n_theme`` sentences of the theme, ``n_generic`` generic ones among them."""
        title = self.fill(self.pick(theme.titles), commune)
        sentences = [self.fill(theme.sentences[i], commune) for i in self.some(len(theme.sentences), n_theme)]
        for _ in range(n_generic):
            sentences.insert(
                int(self.rng.integers(1, len(sentences) + 1)), self.fill(self.pick(self.generic), commune)
            )
        return title, " ".join(sentences)

    def moment(self, monday: date) -> datetime:
        """A time of day, between 6:00 and 21:00, in the week starting ``monday``."""
        day = monday + timedelta(days=int(self.rng.integers(0, 7)))
        clock = time(int(self.rng.integers(6, 21)), int(self.rng.integers(0, 60)))
        return datetime.combine(day, clock, tzinfo=PARIS)


class Growing(Protocol):
    """A theme that appears at ``onset`` (a week index) and grows, then spreads to new communes."""

    @property
    def onset(self) -> int: ...
    @property
    def start_rate(self) -> float: ...
    @property
    def growth(self) -> float: ...
    @property
    def cap(self) -> float: ...
    @property
    def spread_every(self) -> int: ...


def expected_rate(theme: Growing, week: int) -> float:
    """Expected documents per week: ``start_rate`` at onset, times ``growth`` each week, up to ``cap``."""
    if week < theme.onset:
        return 0.0
    return min(theme.cap, theme.start_rate * theme.growth ** (week - theme.onset))


def spread_steps(theme: Growing, week: int) -> int:
    """How many communes the theme has reached beyond its first one by ``week`` (-1 before its onset)."""
    return -1 if week < theme.onset else (week - theme.onset) // theme.spread_every


def spread_by_neighbours(origin: str, neighbours: Mapping[str, Sequence[str]], steps: int) -> list[str]:
    """The origin, then ``steps`` more communes in breadth-first order of the neighbour graph."""
    if steps < 0:
        return []
    reached = [origin]
    frontier = list(neighbours[origin])
    while steps > 0 and frontier:
        slug = frontier.pop(0)
        if slug not in reached:
            reached.append(slug)
            steps -= 1
            frontier.extend(n for n in neighbours[slug] if n not in reached)
    return reached


def spread_along(communes: Sequence[str], start: int, steps: int) -> list[str]:
    """``steps + 1`` communes read around the list from ``start`` (at most all of them)."""
    count = min(steps + 1, len(communes))
    return [communes[(start + i) % len(communes)] for i in range(count)]


def in_window(week: int, start: int, weeks: int, period: int | None = None) -> bool:
    """Whether ``week`` falls in the ``weeks`` weeks from ``start`` (again every ``period`` weeks)."""
    offset = week - start
    if period:
        offset %= period
    return 0 <= offset < weeks


def weights(values: Sequence[Any]) -> np.ndarray:
    """Probabilities proportional to ``values``."""
    p = np.array(values, dtype=float)
    return p / p.sum()
