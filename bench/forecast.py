"""Forecast benchmark: rolling-origin MASE and band coverage of ``models.forecast.Forecaster`` against the
seasonal naive, on NAB's ``nyc_taxi`` (daily and weekly sums) and on monthly tourism nights.

``python -m bench.forecast [--quick]``; the figures come last as one JSON line.

Method (Hyndman & Koehler 2006; Tashman 2000):
- Rolling origin: cut-offs evenly spaced from a third of the series to 12 steps before its end. At each
  cut-off every method is fitted on the history only and forecasts 12 steps; the horizon-4 figures use the
  first 4 of them (same cut-offs for both horizons).
- MASE at horizon h: mean absolute error over steps 1..h, divided by the in-sample mean absolute error of
  the seasonal naive (y_t - y_{t-m}) on that cut-off's history, averaged over cut-offs (and communes).
  Seasonal period m: 7 for daily taxi rides, 12 for monthly nights, 1 for weekly taxi rides (29 weeks
  cannot show a yearly cycle, so the seasonal naive there is the naive: last week repeated).
- The seasonal naive (last cycle repeated) is measured on the same cut-offs; so is Prophet as shipped
  (``Prophet()`` with its defaults, only ``daily_seasonality=False``) for reference.
- Coverage: share of the 12 forecast steps inside the band, over all cut-offs (nominal: interval_width).
- Fit time: mean wall time of one ``Forecaster.fit`` (its calibration refits included).

Data: ``nyc_taxi`` (NAB, realKnownCause: New York taxi passengers per 30 minutes, July 2014 - January 2015)
summed per day and per week (W-SUN); days or weeks with missing half-hours are dropped (the first and
last weeks are partial). Tourism: ``synthetic_tourism_nights``, a stand-in for the demo territory's series.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.common import SHARED_DATA, emit, parser, peak_rss_mb, timed
from models.forecast import Forecaster, ForecastConfig, Frequency, quiet_stan

NYC_TAXI = SHARED_DATA / "nab" / "data" / "realKnownCause" / "nyc_taxi.csv"
HORIZONS = (4, 12)
MAX_HORIZON = max(HORIZONS)


def synthetic_tourism_nights(n_communes: int = 12, years: int = 6, seed: int = 0) -> dict[str, pd.Series]:
    """Monthly tourist nights of ``n_communes`` made-up communes: yearly cycle, trend, noise, one anomaly.

    A stand-in for the demo territory generator (same shape: commune name -> monthly Series), to be
    swapped for it. Each commune: a base level (2 000 to 200 000 nights), a yearly cycle peaking in
    summer or in winter (log amplitude 0.2 to 0.8: peak month 1.5 to 5 times the low month), a trend of
    -3 % to +6 % a year, multiplicative log-normal noise of 8 %; commune_05 has one month at 1.8 times.
    """
    rng = np.random.default_rng(seed)
    months = pd.date_range("2019-01-01", periods=12 * years, freq="MS")
    t = np.arange(len(months))
    series = {}
    for i in range(n_communes):
        base, amplitude = rng.uniform(2e3, 2e5), rng.uniform(0.2, 0.8)
        peak_month = rng.choice([6, 7, 1])
        cycle = np.exp(amplitude * np.cos(2 * np.pi * (t % 12 - peak_month) / 12))
        trend = np.exp(rng.uniform(-0.03, 0.06) * t / 12)
        nights = base * cycle * trend * np.exp(rng.normal(0, 0.08, len(t)))
        if i == 5:
            nights[54] *= 1.8  # the planted anomaly (a festival month), as in the demo generator
        series[f"commune_{i:02d}"] = pd.Series(nights, index=months)
    return series


def nyc_taxi(path: Path, rule: str) -> pd.Series:
    """NAB nyc_taxi summed per period (``"D"`` or ``"W"``), complete periods only."""
    if not path.exists():
        sys.exit(f"benchmark data not found: {path} (pass --nyc-taxi PATH; see ../shared/data/README.md)")
    rides = pd.read_csv(path, parse_dates=["timestamp"], index_col="timestamp")["value"]
    groups = rides.resample(rule)
    counts = groups.count()
    return groups.sum()[counts == counts.max()].astype(float)


@dataclass
class DataSet:
    name: str
    series: list[pd.Series]
    period: int  # seasonal period of the naive benchmark and of the MASE scale
    origins: int  # cut-offs per series


def cut_offs(n: int, count: int) -> list[int]:
    """Up to ``count`` history lengths evenly spaced from n/3 to n - MAX_HORIZON."""
    first, last = n // 3, n - MAX_HORIZON
    return sorted({int(round(x)) for x in np.linspace(first, last, count)})


def seasonal_naive(history: np.ndarray, horizon: int, period: int) -> np.ndarray:
    last_cycle = history[-period:]
    return np.array([last_cycle[i % period] for i in range(horizon)])


def prophet_as_shipped(history: pd.Series, horizon: int) -> pd.DataFrame:
    """Prophet with its defaults, on raw values: the reference the issue measured."""
    from prophet import Prophet

    model = Prophet(daily_seasonality=False)
    with quiet_stan():
        model.fit(pd.DataFrame({"ds": history.index, "y": history.to_numpy()}))
    future = Frequency.of(pd.DatetimeIndex(history.index)).future_dates(history.index[-1], horizon)
    return model.predict(pd.DataFrame({"ds": future}))[["ds", "yhat", "yhat_lower", "yhat_upper"]]


def evaluate(data: DataSet, config: ForecastConfig, with_reference: bool) -> dict[str, Any]:
    """Rolling-origin figures of the forecaster, the seasonal naive and (optionally) Prophet as shipped."""
    scaled: dict[str, list[float]] = {}
    inside: dict[str, list[bool]] = {"forecaster": [], "prophet_default": []}
    fit_seconds: list[float] = []
    n_origins = 0

    def add(method: str, horizon: int, value: float) -> None:
        scaled.setdefault(f"{method}_h{horizon}", []).append(value)

    for series in data.series:
        for origin in cut_offs(len(series), data.origins):
            n_origins += 1
            history, actual = series.iloc[:origin], series.iloc[origin:origin + MAX_HORIZON].to_numpy()
            values = history.to_numpy()
            scale = float(np.mean(np.abs(values[data.period:] - values[:-data.period])))
            started = time.perf_counter()
            band = Forecaster(config).fit(history).forecast(MAX_HORIZON)
            fit_seconds.append(time.perf_counter() - started)
            forecasts: dict[str, np.ndarray] = {
                "forecaster": band.yhat.to_numpy(),
                "snaive": seasonal_naive(values, MAX_HORIZON, data.period),
            }
            inside["forecaster"] += list((actual >= band.yhat_lower) & (actual <= band.yhat_upper))
            if with_reference:
                reference = prophet_as_shipped(history, MAX_HORIZON)
                forecasts["prophet_default"] = reference.yhat.to_numpy()
                inside["prophet_default"] += list(
                    (actual >= reference.yhat_lower.to_numpy()) & (actual <= reference.yhat_upper.to_numpy()))
            for method, forecast in forecasts.items():
                for horizon in HORIZONS:
                    add(method, horizon, float(np.mean(np.abs(actual[:horizon] - forecast[:horizon]))) / scale)
    mase = {key: float(np.mean(values)) for key, values in scaled.items()}
    figures: dict[str, Any] = {
        "n_obs": len(data.series[0]),
        "n_series": len(data.series),
        "origins": n_origins,
        "seasonal_period": data.period,
        "coverage": round(float(np.mean(inside["forecaster"])), 3),
        "fit_s": round(float(np.mean(fit_seconds)), 3),
    }
    for horizon in HORIZONS:
        ours, naive = mase[f"forecaster_h{horizon}"], mase[f"snaive_h{horizon}"]
        figures[f"mase_h{horizon}"] = round(ours, 3)
        figures[f"snaive_mase_h{horizon}"] = round(naive, 3)
        figures[f"ratio_h{horizon}"] = round(ours / naive, 3)
        if with_reference:
            figures[f"prophet_default_mase_h{horizon}"] = round(mase[f"prophet_default_h{horizon}"], 3)
            figures[f"prophet_default_ratio_h{horizon}"] = round(mase[f"prophet_default_h{horizon}"] / naive, 3)
    if with_reference:
        figures["prophet_default_coverage"] = round(float(np.mean(inside["prophet_default"])), 3)
    return figures


def data_sets(quick: bool, nyc_taxi_csv: Path, tourism: Callable[[], dict[str, pd.Series]] = synthetic_tourism_nights
              ) -> list[DataSet]:
    """The three data sets; quick keeps 8 cut-offs each and 3 communes (12 communes x 8 cut-offs in full)."""
    communes = list(tourism().values())
    origins = 8 if quick else 20
    return [
        DataSet("nyc_taxi_daily", [nyc_taxi(nyc_taxi_csv, "D")], 7, origins),
        DataSet("nyc_taxi_weekly", [nyc_taxi(nyc_taxi_csv, "W")], 1, origins),
        DataSet("tourism_monthly", communes[:3] if quick else communes, 12, 8),
    ]


def main() -> None:
    cli = parser(__doc__.splitlines()[0])
    cli.add_argument("--nyc-taxi", type=Path, default=NYC_TAXI, help="NAB's nyc_taxi.csv (read-only)")
    args = cli.parse_args()
    logging.getLogger("prophet").setLevel(logging.WARNING)
    results: dict[str, Any] = {"quick": args.quick, "interval_width": ForecastConfig().interval_width}
    with timed(results, "elapsed_s"):
        for data in data_sets(args.quick, args.nyc_taxi):
            figures = evaluate(data, ForecastConfig(), with_reference=not args.quick)
            results[data.name] = figures
            print(f"{data.name:16} origins={figures['origins']:3} m={data.period:2}  "
                  f"MASE h4 {figures['mase_h4']:.3f} vs snaive {figures['snaive_mase_h4']:.3f} "
                  f"(x{figures['ratio_h4']:.2f})  h12 {figures['mase_h12']:.3f} vs {figures['snaive_mase_h12']:.3f} "
                  f"(x{figures['ratio_h12']:.2f})  coverage {figures['coverage']:.2f}  fit {figures['fit_s']:.2f}s",
                  flush=True)
    ratios = [results[d][f"ratio_h{h}"] for d in ("nyc_taxi_daily", "nyc_taxi_weekly", "tourism_monthly")
              for h in HORIZONS]
    results["worst_ratio"] = max(ratios)
    results["target_met"] = max(ratios) <= 0.8
    results["peak_rss_mb"] = round(peak_rss_mb(), 1)
    emit(results)


if __name__ == "__main__":
    main()
