"""Geometry of the console's SVG charts, drawn by the templates as plain SVG elements (no script, no style
sheet inside: the page's Content-Security-Policy allows neither inline code nor inline styles).

>>> chart = weekly_chart([{"week": "2025-07-07", "docs": 2}, {"week": "2025-07-14", "docs": 6}], 1.0, 2)
>>> [round(b.height) for b in chart.bars], chart.top
([53, 160], 6)
>>> points = emergence_points([(1, "a", 0.01, 2.0, "weak"), (2, "b", 0.10, 0.5, "well_known")])
>>> [(p.id, p.x < WIDTH / 2, p.y < 210) for p in points]
[(1, True, True), (2, False, False)]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from reports.format import week_name

WIDTH, HEIGHT, PAD = 640, 220, 30


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    label: str
    recent: bool


@dataclass
class WeeklyChart:
    bars: list[Bar]
    top: int
    band: list[tuple[float, float]] = field(default_factory=list)  # polygon of the expected range
    expected_y: float | None = None
    ticks: list[tuple[float, int]] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT


def weekly_chart(weekly: list[dict], expected_docs: float | None, recent_weeks: int) -> WeeklyChart:
    """Documents per week as bars; over the recent weeks, the count the baseline expected per week and its
    Poisson range (two standard deviations), which the analysis tests the recent weeks against."""
    docs = [int(w.get("docs", 0)) for w in weekly]
    per_week = (expected_docs or 0.0) / max(recent_weeks, 1) if expected_docs is not None else None
    high = per_week + 2 * math.sqrt(per_week) if per_week else 0.0
    top = max(1, math.ceil(max([*docs, high], default=1)))
    plot_h, plot_w = HEIGHT - 2 * PAD, WIDTH - 2 * PAD
    step = plot_w / max(len(docs), 1)

    def y(value: float) -> float:
        return HEIGHT - PAD - plot_h * value / top

    bars = [
        Bar(
            PAD + i * step + step * 0.1,
            y(v),
            step * 0.8,
            plot_h * v / top,
            v,
            week_name(str(w.get("week", ""))),
            i >= len(docs) - recent_weeks,
        )
        for i, (v, w) in enumerate(zip(docs, weekly, strict=True))
    ]
    chart = WeeklyChart(bars, top, ticks=[(y(t), t) for t in sorted({0, top // 2, top})])
    if per_week is not None and docs:
        low = max(per_week - 2 * math.sqrt(per_week), 0.0)
        x0, x1 = PAD + (len(docs) - recent_weeks) * step, PAD + len(docs) * step
        chart.band = [(x0, y(high)), (x1, y(high)), (x1, y(low)), (x0, y(low))]
        chart.expected_y = y(per_week)
    return chart


@dataclass
class MapPoint:
    id: int
    subject: str
    x: float
    y: float
    quadrant: str
    dov: float
    growth: float


@dataclass
class EmergenceMap:
    points: list[MapPoint]
    mid_x: float
    mid_y: float
    width: int = WIDTH
    height: int = 420


def emergence_points(signals: list[tuple[int, str, float, float, str]]) -> list[MapPoint]:
    return emergence_map(signals).points


def emergence_map(signals: list[tuple[int, str, float, float, str]]) -> EmergenceMap:
    """Signals (id, subject, degree of visibility, its growth, quadrant) on the emergence map. The quadrant
    is the analysis' own (``signals.stages.emergence.quadrant``: split at the medians of all the week's
    terms, which are not kept); inside its quadrant a signal is placed by its visibility and growth (log
    scales) relative to the other signals, so the picture never contradicts the classification."""
    height = 420
    mid_x, mid_y = WIDTH / 2, height / 2
    if not signals:
        return EmergenceMap([], mid_x, mid_y, height=height)
    xs = [math.log10(max(dov, 1e-6)) for _, _, dov, _, _ in signals]
    ys = [-math.log2(max(growth, 1e-3)) for _, _, _, growth, _ in signals]  # growing: up, smaller y
    margin = 16

    def spreader(values: list[float]) -> Callable[[float, float, float], float]:
        lo, hi = min(values), max(values)

        def spread(value: float, low: float, high: float) -> float:
            share = 0.5 if hi - lo < 1e-9 else (value - lo) / (hi - lo)
            return low + margin + (high - low - 2 * margin) * share

        return spread

    spread_x, spread_y = spreader(xs), spreader(ys)
    points = []
    for (sid, subject, dov, growth, quadrant), x, y in zip(signals, xs, ys, strict=True):
        right = quadrant in ("strong", "well_known")
        top = quadrant in ("strong", "weak")
        px = spread_x(x, mid_x, WIDTH - PAD) if right else spread_x(x, PAD, mid_x)
        py = spread_y(y, PAD, mid_y) if top else spread_y(y, mid_y, height - PAD)
        points.append(MapPoint(sid, subject, px, py, quadrant, dov, growth))
    return EmergenceMap(points, mid_x, mid_y, height=height)
