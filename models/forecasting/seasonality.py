"""Seasonal profiles for short histories: borrowed from similar series rather than guessed from one cycle.

A commune with a year of tourism nights has seen each month once: no model can tell its seasonality from
its noise, and the seasonal naive repeats that one noisy year. The communes of the same territory (or any
series of the same kind) usually share the shape of their year. A **profile** is that shape: one
multiplicative index per place in the cycle (month, quarter, weekday, week of the year), averaging 1.
A short series is divided by the profile, forecast without seasonality, and multiplied back (classical
decomposition forecasting, as in the Theta method; the pooled indices are the "group seasonal indices"
of Withycombe 1989 and Dekker, van Donselaar & Ouwehand 2004, which beat per-series indices on short
histories).

Which series lend their shape: those with at least two whole cycles. When the short series has a whole
cycle of its own, the lenders most correlated with it over that cycle are kept (the ``neighbours``
closest shapes, a territory's similar communes); otherwise all of them. Their profiles are pooled by the
median, index by index, so that one odd lender does not bend the shape.

When a borrowed profile is used (``Seasons.choose``): when the series has no whole cycle of its own (a
commune with eight months of data), where the alternative is no seasonality at all. From one whole cycle
on, the series' own last cycle is used: on the tourism competition's series cut to one season
(``bench.forecast``), the borrowed shape forecast far worse than the series' own last year, even from
the five most similar series and even shrunk towards the own shape (Miller & Williams 2003): series of
different places and indicators do not share a shape, and one year of a tourism series is little noise
on a strong seasonality. ``borrow_over_own`` switches that for a territory whose communes are known to
share one.

>>> import numpy as np, pandas as pd
>>> from models.forecasting.frequency import Frequency
>>> months = pd.date_range("2020-01-01", periods=36, freq="MS")
>>> summer = 1 + 0.5 * np.cos(2 * np.pi * (months.month - 7) / 12)
>>> lenders = [SeasonalProfile.estimate(k * summer, months, Frequency("monthly")) for k in (100, 300)]
>>> pooled = SeasonalProfile.pool(lenders)
>>> round(float(pooled.indices[6]), 2), round(float(pooled.indices[0]), 2), pooled.lenders  # July, January
(1.5, 0.5, 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.forecasting.frequency import Frequency


@dataclass(frozen=True)
class SeasonalProfile:
    """Multiplicative seasonal indices (mean 1), one per place in the cycle of ``frequency``; ``lenders``:
    how many series it was pooled from (0 for a series' own profile)."""

    frequency: Frequency
    indices: tuple[float, ...]
    lenders: int = 0

    @classmethod
    def estimate(
        cls, values: np.ndarray, dates: pd.DatetimeIndex, frequency: Frequency
    ) -> SeasonalProfile | None:
        """The profile of one series from its whole cycles (each cycle divided by its own mean, so a trend
        does not leak into the shape; cycles pooled by the median). None when it has no whole cycle, a
        non-positive cycle mean, negative values or a season at zero (multiplicative indices would mean
        nothing, or divide by zero)."""
        m = frequency.season_length
        values = np.asarray(values, dtype=float)
        cycles = len(values) // m
        if m < 2 or cycles < 1 or (values < 0).any():
            return None
        recent = values[len(values) - cycles * m :].reshape(cycles, m)
        means = recent.mean(axis=1, keepdims=True)
        if (means <= 0).any():
            return None
        ratios = np.median(recent / means, axis=0)
        if (ratios <= 0).any():
            return None
        positions = frequency.season_position(dates[len(values) - m :])
        indices = np.ones(m)
        indices[positions] = ratios
        return cls(frequency, tuple(float(v) for v in indices / indices.mean()))

    @classmethod
    def pool(
        cls,
        lenders: Sequence[SeasonalProfile],
        values: np.ndarray | None = None,
        dates: pd.DatetimeIndex | None = None,
        neighbours: int = 5,
    ) -> SeasonalProfile:
        """The median profile of ``lenders``; of the ``neighbours`` most similar to ``values`` when the
        borrowing series (observed at ``dates``) has a whole cycle to compare with."""
        if not lenders:
            raise ValueError(
                "emprunter un profil saisonnier demande au moins une série de deux cycles complets"
            )
        frequency = lenders[0].frequency
        chosen = list(lenders)
        own = cls.estimate(values, dates, frequency) if values is not None and dates is not None else None
        if own is not None and len(chosen) > neighbours:
            mine = np.array(own.indices)
            chosen.sort(key=lambda p: -float(np.corrcoef(mine, p.indices)[0, 1]) if np.std(mine) else 0.0)
            chosen = chosen[:neighbours]
        indices = np.median(np.array([p.indices for p in chosen]), axis=0)
        return cls(frequency, tuple(float(v) for v in indices / indices.mean()), len(chosen))

    def at(self, dates: pd.DatetimeIndex) -> np.ndarray:
        """The index of each date."""
        return np.array(self.indices)[self.frequency.season_position(dates)]


@dataclass(frozen=True)
class Seasons:
    """How a history's seasonality is handled: by the members (``period`` > 1, two cycles or more), by a
    profile borrowed from other series (fixed), by the series' own last cycle (re-estimated at each
    cut-off, so that rolling origins do not see the shape of what they forecast), or not at all."""

    period: int
    profile: SeasonalProfile | None
    own: bool
    frequency: Frequency
    values: np.ndarray
    dates: pd.DatetimeIndex

    @classmethod
    def choose(
        cls,
        values: np.ndarray,
        dates: pd.DatetimeIndex,
        frequency: Frequency,
        min_cycles: float,
        borrowed: SeasonalProfile | None,
        borrow_over_own: bool = False,
    ) -> Seasons:
        """The members' seasonality from ``min_cycles`` cycles; below, the series' own last cycle when it
        has one, else the ``borrowed`` profile (``borrow_over_own``: the borrowed one even then)."""
        m = frequency.season_length
        if m > 1 and len(values) >= min_cycles * m:
            return cls(m, None, False, frequency, values, dates)
        own = SeasonalProfile.estimate(values, dates, frequency)
        if borrowed is not None and (own is None or borrow_over_own):
            return cls(1, borrowed, False, frequency, values, dates)
        return cls(1, own, own is not None, frequency, values, dates)

    def profile_until(self, cut: int) -> SeasonalProfile | None:
        """The profile as known from the first ``cut`` values."""
        if not self.own or cut == len(self.values):
            return self.profile
        return SeasonalProfile.estimate(self.values[:cut], self.dates[:cut], self.frequency)

    def method_prefix(self) -> str:
        """How the seasonal shape was obtained, for the forecast's method name ("" when the members model it
        or there is none)."""
        if self.profile is None:
            return ""
        if self.own:
            return "own_profile+"
        return f"pooled_profile({self.profile.lenders})+" if self.profile.lenders else "pooled_profile+"

    def usable_at(self, cut: int) -> bool:
        return self.profile is None or self.profile_until(cut) is not None

    def adjust(self, values: np.ndarray, dates: pd.DatetimeIndex, cut: int) -> np.ndarray:
        profile = self.profile_until(cut)
        return values / profile.at(dates) if profile else values

    def restore(self, forecast: np.ndarray, at: pd.DatetimeIndex, cut: int) -> np.ndarray:
        profile = self.profile_until(cut)
        return forecast * profile.at(at) if profile else forecast
