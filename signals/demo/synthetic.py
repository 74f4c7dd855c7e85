"""Generated corpora with known answers, for tests and benchmarks: a background of ordinary local news,
emerging themes planted with an onset, a growth speed and a spread, and decoys that must not alarm
(one-off spikes, seasonal themes, rare but steady themes).

A recipe over ``signals.demo.engine``: the background comes from the demo's local news
(``data/local_news.toml``), the themes from ``data/themes.toml`` (``signals.demo.themes``). Records are in
the ``signals import`` format; ``events`` is the ground truth in the ``backtest --events`` format.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from signals.demo.engine import Writer, expected_rate, in_window, spread_along, spread_steps, weights
from signals.demo.specs import Theme, load_local_news


@dataclass(frozen=True)
class Plant:
    """An emerging theme: from ``onset`` (week index), ``start_rate`` documents a week, growing by ``growth``
    each week up to ``cap``, until week ``until`` (excluded; None: to the end); it reaches a new commune
    every ``spread_every`` weeks. ``name`` and ``kind`` are its event in the ground truth (default: the
    theme's name, "gradual"; "sub-theme" for a variant, "resurgence" for a theme's second wave)."""

    theme: Theme
    onset: int
    start_rate: float = 1.0
    growth: float = 1.15
    cap: float = 8.0
    spread_every: int = 3
    until: int | None = None
    name: str | None = None
    kind: str = "gradual"

    def rate(self, week: int) -> float:
        if self.until is not None and week >= self.until:
            return 0.0
        return expected_rate(self, week)


@dataclass(frozen=True)
class Decoy:
    """A theme that must not raise a weak signal.

    kind ``spike``: ``rate`` documents a week during ``weeks`` weeks from ``start``; ``seasonal``: the same every
    52 weeks; ``steady``: ``rate`` documents every week from the start.
    """

    theme: Theme
    kind: str
    start: int = 0
    weeks: int = 1
    rate: float = 10.0

    def active(self, week: int) -> bool:
        if self.kind == "steady":
            return True
        return in_window(week, self.start, self.weeks, 52 if self.kind == "seasonal" else None)


@dataclass
class SyntheticCorpus:
    records: list[dict[str, Any]]
    events: list[dict[str, Any]]
    decoys: list[str] = field(default_factory=list)


def synthetic_corpus(
    weeks: int,
    per_week: float,
    plants: Sequence[Plant],
    decoys: Sequence[Decoy] = (),
    first_monday: date = date(2024, 1, 1),
    communes: Sequence[str] | None = None,
    sources: tuple[str, ...] = ("echo", "gazette", "radio", "participer"),
    seed: int = 7,
    unique: bool = False,
    lasting_events: bool = False,
) -> SyntheticCorpus:
    """A corpus of about ``weeks * per_week`` background documents plus the planted and decoy ones.

    The texts come from small banks of sentences, so at high volume two documents can be identical (the
    store keeps one); ``unique`` gives each a file number so every record is a document. With
    ``lasting_events``, spikes of two weeks or more are lasting events (kind "event") in the ground truth,
    no longer decoys.
    """
    news = load_local_news()
    rng = np.random.default_rng(seed)
    w = Writer(rng, news.fillers, news.generic)
    if not communes:
        from signals.demo.territory import COMMUNES

        communes = [c.name for c in COMMUNES]
    recurring_p = weights([t.weight for t in news.recurring])
    records: list[dict[str, Any]] = []

    def emit(title: str, sentences: list[str], commune: str, week: int) -> None:
        moment = w.moment(first_monday + timedelta(weeks=week))
        text = " ".join(s.format(commune=commune) for s in sentences)
        records.append(
            {
                "id": f"s{len(records):07d}",
                "title": title.format(commune=commune),
                "text": text + (f" Dossier n° {len(records)}." if unique else ""),
                "published_at": moment.isoformat(),
                "source": w.pick(sources),
                "commune": commune,
                "lang": "fr",
            }
        )

    def background_sentences(n: int) -> list[str]:
        # Templates keep their {commune} field: the commune is drawn after the text, then filled in.
        theme = w.pick(news.recurring, recurring_p)
        chosen = [w.fill(theme.sentences[i], polish=False) for i in w.some(len(theme.sentences), n)]
        return chosen + [w.fill(w.pick(news.generic), polish=False)]

    def themed(theme: Theme, commune: str, week: int) -> None:
        sentences = [theme.sentences[i] for i in w.some(len(theme.sentences), 2)]
        sentences += background_sentences(1)[:1]
        emit(w.pick(theme.titles), sentences, commune, week)

    for week in range(weeks):
        for _ in range(int(rng.poisson(per_week))):
            theme = w.pick(news.recurring, recurring_p)
            emit(w.fill(w.pick(theme.titles), polish=False), background_sentences(3), w.pick(communes), week)
        for plant in plants:
            start = sum(map(ord, plant.theme.name)) % len(communes)  # deterministic, unlike hash()
            reached = spread_along(communes, start, spread_steps(plant, week))
            for _ in range(int(rng.poisson(plant.rate(week)))):
                themed(plant.theme, w.pick(reached), week)
        for decoy in decoys:
            if decoy.active(week):
                for _ in range(int(rng.poisson(decoy.rate))):
                    themed(decoy.theme, w.pick(communes), week)
    records.sort(key=lambda r: r["published_at"])
    events = [
        {
            "name": p.name or p.theme.name,
            "onset": (first_monday + timedelta(weeks=p.onset)).isoformat(),
            "patterns": list(p.theme.patterns),
            "kind": p.kind,
        }
        for p in plants
    ]
    lasting = [d for d in decoys if lasting_events and d.kind == "spike" and d.weeks >= 2]
    events += [
        {
            "name": d.theme.name,
            "onset": (first_monday + timedelta(weeks=d.start)).isoformat(),
            "patterns": list(d.theme.patterns),
            "kind": "event",
        }
        for d in lasting
    ]
    return SyntheticCorpus(records, events, [d.theme.name for d in decoys if d not in lasting])
