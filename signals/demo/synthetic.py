"""Generated corpora with known answers, for tests and benchmarks: a background of ordinary local news,
emerging themes planted with an onset, a growth speed and a spread, and decoys that must not alarm
(one-off spikes, seasonal themes, rare but steady themes).

Records are in the ``signals import`` format; ``events`` is the ground truth in the ``backtest --events``
format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from signals.demo import content as C
from signals.demo.themes import ThemeSpec

PARIS = ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class Plant:
    """An emerging theme: from ``onset`` (week index), ``start_rate`` documents a week, growing by ``growth``
    each week up to ``cap``; it reaches a new commune every ``spread_every`` weeks."""

    theme: ThemeSpec
    onset: int
    start_rate: float = 1.0
    growth: float = 1.15
    cap: float = 8.0
    spread_every: int = 3

    def rate(self, week: int) -> float:
        return (
            0.0 if week < self.onset else min(self.cap, self.start_rate * self.growth ** (week - self.onset))
        )


@dataclass(frozen=True)
class Decoy:
    """A theme that must not raise a weak signal.

    kind ``spike``: ``rate`` documents a week during ``weeks`` weeks from ``start``; ``seasonal``: the same every
    52 weeks; ``steady``: ``rate`` documents every week from the start.
    """

    theme: ThemeSpec
    kind: str
    start: int = 0
    weeks: int = 1
    rate: float = 10.0


@dataclass
class SyntheticCorpus:
    records: list[dict[str, Any]]
    events: list[dict[str, Any]]
    decoys: list[str] = field(default_factory=list)


def synthetic_corpus(
    weeks: int,
    per_week: float,
    plants: list[Plant],
    decoys: list[Decoy] = (),  # type: ignore[assignment]
    first_monday: date = date(2024, 1, 1),
    communes: list[str] | None = None,
    sources: tuple[str, ...] = ("echo", "gazette", "radio", "participer"),
    seed: int = 7,
    unique: bool = False,
) -> SyntheticCorpus:
    """A corpus of about ``weeks * per_week`` background documents plus the planted and decoy ones.

    The texts come from small banks of sentences, so at high volume two documents can be identical (the
    store keeps one); ``unique`` gives each a file number so every record is a document.
    """
    rng = np.random.default_rng(seed)
    communes = communes or [c.name for c in _communes()]
    recurring_p = np.array([t.weight for t in C.RECURRING])
    recurring_p /= recurring_p.sum()
    records: list[dict[str, Any]] = []

    def emit(
        theme_title: str, sentences: list[str], commune: str, week: int, source: str | None = None
    ) -> None:
        day = first_monday + timedelta(weeks=week, days=int(rng.integers(0, 7)))
        moment = datetime.combine(day, time(int(rng.integers(6, 21)), int(rng.integers(0, 60))), tzinfo=PARIS)
        records.append(
            {
                "id": f"s{len(records):07d}",
                "title": theme_title.format(commune=commune),
                "text": " ".join(s.format(commune=commune) for s in sentences)
                + (f" Dossier n° {len(records)}." if unique else ""),
                "published_at": moment.isoformat(),
                "source": source or str(sources[int(rng.integers(0, len(sources)))]),
                "commune": commune,
                "lang": "fr",
            }
        )

    def background_sentences(n: int) -> list[str]:
        theme = C.RECURRING[int(rng.choice(len(C.RECURRING), p=recurring_p))]
        chosen = rng.choice(len(theme.sentences), size=min(n, len(theme.sentences)), replace=False)
        return [_plain(theme.sentences[i], rng) for i in chosen] + [
            _plain(C.GENERIC[int(rng.integers(0, len(C.GENERIC)))], rng)
        ]

    def themed(spec: ThemeSpec, commune: str, week: int) -> None:
        picked = rng.choice(len(spec.sentences), size=2, replace=False)
        sentences = [spec.sentences[i] for i in picked] + background_sentences(1)[:1]
        emit(spec.titles[int(rng.integers(0, len(spec.titles)))], sentences, commune, week)

    for week in range(weeks):
        for _ in range(int(rng.poisson(per_week))):
            theme = C.RECURRING[int(rng.choice(len(C.RECURRING), p=recurring_p))]
            emit(
                _plain(theme.titles[int(rng.integers(0, len(theme.titles)))], rng),
                background_sentences(3),
                communes[int(rng.integers(0, len(communes)))],
                week,
            )
        for plant in plants:
            reached = _reached(plant, week, communes)
            for _ in range(int(rng.poisson(plant.rate(week)))):
                themed(plant.theme, reached[int(rng.integers(0, len(reached)))], week)
        for decoy in decoys:
            if _decoy_active(decoy, week):
                for _ in range(int(rng.poisson(decoy.rate))):
                    themed(decoy.theme, communes[int(rng.integers(0, len(communes)))], week)
    records.sort(key=lambda r: r["published_at"])
    events = [
        {
            "name": p.theme.name,
            "onset": (first_monday + timedelta(weeks=p.onset)).isoformat(),
            "patterns": list(p.theme.patterns),
            "kind": "gradual",
        }
        for p in plants
    ]
    return SyntheticCorpus(records, events, [d.theme.name for d in decoys])


def _reached(plant: Plant, week: int, communes: list[str]) -> list[str]:
    if week < plant.onset:
        return []
    start = sum(map(ord, plant.theme.name)) % len(communes)  # deterministic, unlike hash()
    count = 1 + (week - plant.onset) // plant.spread_every
    return [communes[(start + i) % len(communes)] for i in range(min(count, len(communes)))]


def _decoy_active(decoy: Decoy, week: int) -> bool:
    if decoy.kind == "steady":
        return True
    offset = week - decoy.start
    if decoy.kind == "seasonal":
        offset %= 52
    return 0 <= offset < decoy.weeks


def _plain(template: str, rng: np.random.Generator) -> str:
    """A demo-bank template with its fillers, other than the commune, drawn at random."""
    values = {key: options[int(rng.integers(0, len(options)))] for key, options in C.FILLERS.items()}
    values["commune"] = "{commune}"
    return template.format(**values)


def _communes() -> list[Any]:
    from signals.demo.territory import COMMUNES

    return list(COMMUNES)
