"""Short histories in ``bench.forecast``: tourism series cut to under a season, one, or one and a half.

A commune with a year of data is what pooling is for (``models.forecasting.seasonality``). Each tourism
series is cut to its last ``cycles`` seasons of training data and
forecast over the competition's horizon in four ways (months: 9, 12, 18; quarters: 4, 6):

- ``borrowed``: the forecaster with the seasonal profile pooled from the *other* series of the panel
  (their whole training histories, which end where the short one ends, as a territory's communes would;
  a series never lends to itself), the five most similar over the short series' last cycle when it has
  one; used even where the short series has a whole cycle of its own (``borrow_over_own``);
- ``alone``: the forecaster without lenders: its own last cycle, or no seasonality under one cycle;
- ``snaive``: the short history's last season repeated (from one season on); ``naive``: its last value.

What the forecaster ships given lenders (``shipped``) is ``borrowed`` under one season, ``alone`` from
one season on.

MASE is scaled by the full training part's in-sample seasonal-naive error (the short history has too few
seasons for its own scale), so the figures compare methods on the same series, not with the full-history
table. ``coverage80``: share of held-back points inside the shipped forecast's 80 % band.
"""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

import pandas as pd

from models.forecasting import ForecastConfig, Forecaster, SeasonalProfile, seasonal_naive

if TYPE_CHECKING:
    from bench.forecast import Panel

CYCLES = {"monthly": (0.75, 1.0, 1.5), "quarterly": (1.0, 1.5)}  # 3 quarters: under min_points


def _fit_pair(
    name: str, short: pd.Series, profile: SeasonalProfile | None, horizon: int
) -> tuple[str, pd.DataFrame, pd.DataFrame, str]:
    """The forecasts of one short history with the borrowed profile (even where it has a whole cycle of
    its own) and alone (its own last cycle, or no seasonality under one cycle)."""
    borrowing = Forecaster(ForecastConfig(borrow_over_own=True)).fit(short, profile)
    alone = Forecaster(ForecastConfig()).fit(short)
    return name, borrowing.forecast(horizon), alone.forecast(horizon), borrowing.method


def evaluate_short(panel: Panel, cycles: float, jobs: int) -> dict[str, Any]:
    """MASE of the borrowed-profile, alone, seasonal-naive and naive forecasts from ``cycles`` seasons of
    history, and of what the forecaster ships given lenders (borrowed under one cycle, alone from one on)."""
    from bench.forecast import coverage, scores

    m = panel.frequency.season_length
    keep = round(cycles * m)
    horizon = max(len(a) for a in panel.test.values())
    lenders = {
        name: SeasonalProfile.estimate(s.to_numpy(), pd.DatetimeIndex(s.index), panel.frequency)
        for name, s in panel.train.items()
    }
    work = []
    for name, history in panel.train.items():
        short = history.iloc[-keep:]
        others = [p for other, p in lenders.items() if other != name and p is not None]
        profile = SeasonalProfile.pool(others, short.to_numpy(), pd.DatetimeIndex(short.index))
        work.append((name, short, profile, horizon))
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(_fit_pair, *zip(*work, strict=True), chunksize=4))
    seconds = time.perf_counter() - started
    borrowed = {name: band for name, band, _, _ in results}
    alone = {name: band for name, _, band, _ in results}
    shipped = borrowed if keep < m else alone
    shorts = {name: s.iloc[-keep:].to_numpy() for name, s in panel.train.items()}
    points = {
        "borrowed": {name: band.yhat.to_numpy() for name, band in borrowed.items()},
        "alone": {name: band.yhat.to_numpy() for name, band in alone.items()},
        "naive": {name: seasonal_naive(s, horizon, 1) for name, s in shorts.items()},
    }
    if keep >= m:
        points["snaive"] = {name: seasonal_naive(s, horizon, m) for name, s in shorts.items()}
    mase = {name: scores(panel, forecasts)[0] for name, forecasts in points.items()}
    ours = mase["borrowed" if keep < m else "alone"]
    bands = {name: (b.yhat_lower.to_numpy(), b.yhat_upper.to_numpy()) for name, b in shipped.items()}
    return {
        "history": keep,
        "shipped": "borrowed" if keep < m else "alone",
        **{f"mase_{name}": round(value, 3) for name, value in mase.items()},
        "ratio_shipped_naive": round(ours / mase["naive"], 3),
        "ratio_shipped_snaive": round(ours / mase["snaive"], 3) if "snaive" in mase else None,
        "coverage80": round(coverage(panel, bands), 3),
        "seconds": round(seconds, 1),
        "shapes": sorted({method.split("+")[0] for *_, method in results}),
    }


def short_line(name: str, f: dict[str, Any]) -> str:
    snaive = f"snaive {f['mase_snaive']:.3f}  " if "mase_snaive" in f else ""
    return (
        f"{name:9} {f['history']:2} pts  MASE borrowed {f['mase_borrowed']:.3f}  alone {f['mase_alone']:.3f}  "
        f"{snaive}naive {f['mase_naive']:.3f}  ships {f['shipped']}  cov80 {f['coverage80']:.3f}  "
        f"{f['seconds']:.0f}s"
    )
