"""Charts of the brief and the report, drawn by Matplotlib without a display (Agg, DejaVu Sans).

The e-mail gets small PNG images (mail clients show PNG attachments referenced by ``cid:``, not SVG),
drawn at twice their display size for sharp rendering on dense screens. The quarterly report gets SVG with
real text (print quality at any zoom; WeasyPrint draws it as vectors and its labels stay searchable).
Every chart is a pure function of its numbers: the same numbers give the same bytes.

>>> png = weekly_bars_png([0, 0, 1, 0, 2, 3, 5, 8], recent=4)
>>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n" and png == weekly_bars_png([0, 0, 1, 0, 2, 3, 5, 8], recent=4)
True
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import matplotlib

from reports import wording

matplotlib.use("Agg")  # no display, no GUI toolkit; set before any figure exists

from matplotlib import dates as mdates  # noqa: E402
from matplotlib import ticker  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from reports.format import fr_number  # noqa: E402

INK, MUTED, GRID = "#1f2933", "#829ab1", "#e4e7eb"
ACCENT, BASE, BAND, FORECAST = "#c62828", "#9fb3c8", "#bcccdc", "#1565c0"
EMAIL_DPI = 192  # twice the 96 px of a CSS inch: crisp on dense screens, still a few kilobytes
_STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "svg.fonttype": "none",  # SVG text stays text (searchable in the PDF)
    "svg.hashsalt": "signaux-faibles",  # stable element ids: same numbers, same bytes
}
_MONTHS = wording.MONTHS_SHORT


@contextmanager
def _figure(width_in: float, height_in: float) -> Iterator[Figure]:
    with matplotlib.rc_context(_STYLE):
        yield Figure(figsize=(width_in, height_in))


def _png(figure: Figure, dpi: int = EMAIL_DPI) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None}, facecolor="white")
    return buffer.getvalue()


def _svg(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(
        buffer,
        format="svg",
        metadata={"Date": None, "Creator": None},
        facecolor="white",
        bbox_inches="tight",
        pad_inches=0.05,
    )  # long tick labels are never cut
    return buffer.getvalue()


def _month_label(value: float, _pos: int | None = None) -> str:
    day = mdates.num2date(value)
    return f"{_MONTHS[day.month - 1]} {day.year % 100:02d}" if day.month == 1 else _MONTHS[day.month - 1]


def _french_axis(axis: matplotlib.axis.Axis) -> None:
    axis.set_major_formatter(ticker.FuncFormatter(lambda v, _p: fr_number(v)))


def _bare(ax: matplotlib.axes.Axes) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="y", color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)


# --- e-mail: small PNG ------------------------------------------------------------------------------------


def weekly_bars_png(
    values: Sequence[float], recent: int = 4, width_px: int = 260, height_px: int = 44
) -> bytes:
    """Documents per week as bars, the last ``recent`` weeks (the tested window) in the accent colour."""
    with _figure(width_px / 96, height_px / 96) as figure:
        ax = figure.add_axes((0, 0.02, 1, 0.96))
        n = len(values)
        colours = [ACCENT if i >= n - recent else BASE for i in range(n)]
        ax.bar(range(n), values, width=0.78, color=colours)
        ax.set_xlim(-0.6, n - 0.4)
        ax.set_ylim(0, max(max(values, default=0), 1) * 1.05)
        ax.axis("off")
        return _png(figure)


def series_png(
    points: Sequence[tuple[date, float]],
    flagged: date,
    band: tuple[float, float] | None,
    width_px: int = 520,
    height_px: int = 130,
) -> bytes:
    """A series' last values, the flagged period marked, with the range the model expected there."""
    with _figure(width_px / 96, height_px / 96) as figure:
        ax = figure.add_axes((0.11, 0.2, 0.84, 0.75))
        days = [p for p, _ in points]
        ax.plot(days, [v for _, v in points], color=BASE, linewidth=1.4, marker="o", markersize=2.2)
        observed = dict(points).get(flagged)
        if band is not None:
            low, high = band
            ax.vlines(flagged, low, high, color=FORECAST, linewidth=5, alpha=0.35)
        if observed is not None:
            ax.plot([flagged], [observed], marker="o", markersize=6, color=ACCENT)
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10)))
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(_month_label))
        _french_axis(ax.yaxis)
        ax.yaxis.set_major_locator(ticker.MaxNLocator(4))
        _bare(ax)
        return _png(figure)


# --- quarterly report: SVG ---------------------------------------------------------------------------------


def trajectory_svg(weeks: Sequence[date], docs: Sequence[float], shaded: tuple[date, date]) -> bytes:
    """A theme's documents per week, its quarter shaded."""
    with _figure(6.6, 1.7) as figure:
        ax = figure.add_axes((0.07, 0.2, 0.92, 0.75))
        ax.axvspan(shaded[0], shaded[1], color=GRID, alpha=0.6, linewidth=0)
        ax.bar(weeks, docs, width=5.5, color=ACCENT)
        ax.set_ylabel(wording.DOCUMENTS_PER_WEEK)
        ax.xaxis.set_major_locator(mdates.MonthLocator())
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(_month_label))
        ax.yaxis.set_major_locator(ticker.MaxNLocator(4, integer=True))
        _bare(ax)
        return _svg(figure)


@dataclass
class ForecastLine:
    """What a forecast chart shows: the history, the forecast with its band, flagged periods."""

    history: Sequence[tuple[date, float]]
    periods: Sequence[date] = ()
    yhat: Sequence[float] = ()
    lower: Sequence[float] = ()
    upper: Sequence[float] = ()
    interval: float = 0.8
    flagged: Sequence[date] = ()
    unit: str | None = None


def forecast_svg(line: ForecastLine) -> bytes:
    """History, the forecast and its uncertainty band (the ``interval`` share of outcomes fall inside)."""
    with _figure(6.6, 2.3) as figure:
        ax = figure.add_axes((0.1, 0.22, 0.88, 0.72))
        days = [p for p, _ in line.history]
        values = [v for _, v in line.history]
        ax.plot(days, values, color=INK, linewidth=1.3, label=wording.OBSERVED)
        if line.periods:
            # the band starts at the last observation, so history and forecast join
            joined = [days[-1], *line.periods] if days else list(line.periods)
            start = [values[-1]] if values else []
            ax.fill_between(
                joined,
                start + list(line.lower),
                start + list(line.upper),
                color=BAND,
                alpha=0.7,
                linewidth=0,
                label=wording.FORECAST_BAND.format(percent=round(line.interval * 100)),
            )
            ax.plot(
                joined,
                start + list(line.yhat),
                color=FORECAST,
                linewidth=1.3,
                linestyle="--",
                label=wording.FORECAST,
            )
        flagged = [(d, v) for d, v in line.history if d in set(line.flagged)]
        if flagged:
            ax.plot(
                [d for d, _ in flagged],
                [v for _, v in flagged],
                linestyle="none",
                marker="o",
                markersize=5,
                color=ACCENT,
                label=wording.FLAGGED_ANOMALY,
            )
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10)))
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(_month_label))
        _french_axis(ax.yaxis)
        ax.yaxis.set_major_locator(ticker.MaxNLocator(5))
        if line.unit:
            ax.set_ylabel(line.unit)
        ax.legend(loc="upper left", frameon=False, ncols=4, fontsize=7, bbox_to_anchor=(0, 1.12))
        _bare(ax)
        return _svg(figure)


def barometer_svg(
    labels: Sequence[str],
    changes: Sequence[float | None],
    title: str,
    limit: float | None = None,
) -> bytes:
    """Change on the same quarter of last year, one bar per commune (no bar: no comparison possible).

    ``limit`` (a fraction, e.g. 0.5 for ±50 %) fixes the scale, so that the charts of several indicators
    compare; a bar beyond it is cut at the edge and its value written beside it."""
    height = 0.5 + 0.19 * len(labels)
    with _figure(3.2, height) as figure:
        ax = figure.add_axes((0.45, 0.35 / height, 0.5, 1 - 0.75 / height))
        shown = [0.0 if c is None else c * 100 for c in changes]
        colours = [MUTED if c is None else (ACCENT if c < 0 else FORECAST) for c in changes]
        positions = list(range(len(labels)))[::-1]
        if limit:
            edge = limit * 100
            clipped = [max(-edge, min(edge, v)) for v in shown]
            ax.barh(positions, clipped, color=colours, height=0.7)
            ax.set_xlim(-edge * 1.05, edge * 1.05)
            for y, v, c in zip(positions, shown, clipped, strict=True):
                if v != c:
                    ax.text(
                        c,
                        y,
                        f" {v:+.0f} % ".replace("-", "−"),
                        va="center",
                        fontsize=6,
                        ha="right" if v > 0 else "left",
                        color="white",
                    )
        else:
            ax.barh(positions, shown, color=colours, height=0.7)
        ax.set_yticks(positions, labels=list(labels), fontsize=7)
        ax.axvline(0, color=INK, linewidth=0.6)
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _p: f"{v:+.0f} %".replace("-", "−")))
        ax.xaxis.set_major_locator(ticker.MaxNLocator(3))
        ax.tick_params(axis="x", labelsize=6.5)
        # the title over the whole width, wrapped: a long title never widens one chart of the row
        figure.text(0.02, 1 - 0.04 / height, textwrap.fill(title, 52), ha="left", va="top", fontsize=8)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        return _svg(figure)
