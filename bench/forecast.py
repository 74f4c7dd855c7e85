"""Forecast benchmark: rolling-origin MASE and band coverage of ``models.forecast.Forecaster`` against the
seasonal naive, on NAB's ``nyc_taxi`` (daily and weekly sums) and on monthly tourism nights.

``python -m bench.forecast [--quick] [--nyc-taxi PATH]``; the figures come last as one JSON line.

Method (Hyndman & Koehler 2006 for MASE; Tashman 2000 for rolling origins):
- Cut-offs evenly spaced from a third of the series to 12 steps before its end (20 per nyc_taxi series,
  which leaves 9 distinct ones on the 29 weeks; 8 per commune; 8 everywhere with ``--quick``, which also
  keeps 3 communes). At each cut-off every method sees the history only and forecasts 12 steps; the
  horizon-4 figures are its first 4 steps (same cut-offs for both horizons).
- MASE at horizon h: mean absolute error over steps 1..h divided by the in-sample mean absolute error of
  the seasonal naive (|y_t - y_{t-m}|) over that cut-off's history, averaged over cut-offs and series.
  Seasonal period m: 7 for daily rides, 12 for monthly nights, 1 for weekly rides (29 weeks cannot show
  a yearly cycle, so the seasonal naive there is the naive: last week repeated).
- Baseline in the same run: the seasonal naive (last cycle repeated). Without ``--quick``, also Prophet
  as shipped (``Prophet(daily_seasonality=False)`` on raw values, its own 80 % interval) for reference.
- ``coverage``: share of all 12 forecast steps inside the band (nominal: ``interval_width``);
  ``fit_s``: mean wall time of one ``Forecaster.fit`` (its rolling-origin refits included);
  ``naive_fallback_share``: share of cut-offs where the forecaster chose the seasonal naive.
- The forecaster runs with its defaults on every data set (French holidays included, which do not apply
  to New York: nothing is set per data set).

Data: ``nyc_taxi`` (NAB realKnownCause: New York taxi passengers per 30 minutes, July 2014 - January 2015,
read from ../shared/data) summed per day and per week (weeks ending on Sunday); days or weeks with missing
half-hours are dropped (the first and last weeks are partial). Tourism: the demo territory's monthly nights
(12 communes, 48 months, ``demo_tourism_nights``).
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
from models.forecast import ForecastConfig, Forecaster, Frequency, quiet_stan, seasonal_naive

NYC_TAXI = SHARED_DATA / "nab" / "data" / "realKnownCause" / "nyc_taxi.csv"
HORIZONS = (4, 12)
MAX_HORIZON = max(HORIZONS)


def demo_tourism_nights() -> dict[str, pd.Series]:
    """Monthly tourist nights of the demo territory's 12 communes (48 months, with its planted anomaly)."""
    from signals.demo.generate import generate

    series: dict[str, dict[pd.Timestamp, float]] = {}
    for obs in generate().observations:
        if obs.indicator == "tourisme.nuitees":
            series.setdefault(obs.commune, {})[pd.Timestamp(obs.month)] = obs.value
    return {name: pd.Series(values).sort_index() for name, values in series.items()}


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
    period: int  # seasonal period of the naive baseline and of the MASE scale
    origins: int  # cut-offs asked per series


def data_sets(
    quick: bool, nyc_taxi_csv: Path, tourism: Callable[[], dict[str, pd.Series]] = demo_tourism_nights
) -> list[DataSet]:
    communes = list(tourism().values())
    origins = 8 if quick else 20
    return [
        DataSet("nyc_taxi_daily", [nyc_taxi(nyc_taxi_csv, "D")], 7, origins),
        DataSet("nyc_taxi_weekly", [nyc_taxi(nyc_taxi_csv, "W")], 1, origins),
        DataSet("tourism_monthly", communes[:3] if quick else communes, 12, 8),
    ]


def cut_offs(n: int, count: int) -> list[int]:
    """Up to ``count`` history lengths evenly spaced from n/3 to n - MAX_HORIZON."""
    return sorted({int(round(x)) for x in np.linspace(n // 3, n - MAX_HORIZON, count)})


def prophet_as_shipped(history: pd.Series, horizon: int) -> pd.DataFrame:
    """Prophet with its defaults on raw values: the reference the issue measured."""
    from prophet import Prophet

    model = Prophet(daily_seasonality=False)
    with quiet_stan():
        model.fit(pd.DataFrame({"ds": history.index, "y": history.to_numpy()}))
    future = Frequency.of(pd.DatetimeIndex(history.index)).future_dates(history.index[-1], horizon)
    return model.predict(pd.DataFrame({"ds": future}))


def inside(actual: np.ndarray, band: pd.DataFrame) -> list[bool]:
    return list((actual >= band.yhat_lower.to_numpy()) & (actual <= band.yhat_upper.to_numpy()))


def evaluate(data: DataSet, config: ForecastConfig, with_reference: bool) -> dict[str, Any]:
    """Rolling-origin figures of the forecaster, the seasonal naive and (optionally) Prophet as shipped."""
    scaled_errors: dict[tuple[str, int], list[float]] = {}
    covered: dict[str, list[bool]] = {"forecaster": [], "prophet_default": []}
    fit_seconds: list[float] = []
    naive_used: list[bool] = []
    for series in data.series:
        for origin in cut_offs(len(series), data.origins):
            history, actual = series.iloc[:origin], series.iloc[origin : origin + MAX_HORIZON].to_numpy()
            values = history.to_numpy()
            scale = float(np.mean(np.abs(values[data.period :] - values[: -data.period])))
            started = time.perf_counter()
            forecaster = Forecaster(config).fit(history)
            fit_seconds.append(time.perf_counter() - started)
            naive_used.append(forecaster.method == "seasonal_naive")
            band = forecaster.forecast(MAX_HORIZON)
            covered["forecaster"] += inside(actual, band)
            forecasts = {
                "forecaster": band.yhat.to_numpy(),
                "snaive": seasonal_naive(values, MAX_HORIZON, data.period),
            }
            if with_reference:
                reference = prophet_as_shipped(history, MAX_HORIZON)
                covered["prophet_default"] += inside(actual, reference)
                forecasts["prophet_default"] = reference.yhat.to_numpy()
            for method, forecast in forecasts.items():
                for h in HORIZONS:
                    error = float(np.mean(np.abs(actual[:h] - forecast[:h]))) / scale
                    scaled_errors.setdefault((method, h), []).append(error)
    mase = {key: float(np.mean(errors)) for key, errors in scaled_errors.items()}
    figures: dict[str, Any] = {
        "n_obs": len(data.series[0]),
        "n_series": len(data.series),
        "origins": len(fit_seconds),
        "seasonal_period": data.period,
        "coverage": round(float(np.mean(covered["forecaster"])), 3),
        "fit_s": round(float(np.mean(fit_seconds)), 3),
        "naive_fallback_share": round(float(np.mean(naive_used)), 3),
    }
    methods = ["forecaster", "snaive"] + (["prophet_default"] if with_reference else [])
    names = {"forecaster": "mase", "snaive": "snaive_mase", "prophet_default": "prophet_default_mase"}
    for h in HORIZONS:
        for method in methods:
            figures[f"{names[method]}_h{h}"] = round(mase[method, h], 3)
        figures[f"ratio_h{h}"] = round(mase["forecaster", h] / mase["snaive", h], 3)
        if with_reference:
            figures[f"prophet_default_ratio_h{h}"] = round(mase["prophet_default", h] / mase["snaive", h], 3)
    if with_reference:
        figures["prophet_default_coverage"] = round(float(np.mean(covered["prophet_default"])), 3)
    return figures


def summary_line(name: str, f: dict[str, Any]) -> str:
    return (
        f"{name:16} origins={f['origins']:3} m={f['seasonal_period']:2}  "
        f"MASE h4 {f['mase_h4']:.3f} vs snaive {f['snaive_mase_h4']:.3f} (x{f['ratio_h4']:.2f})  "
        f"h12 {f['mase_h12']:.3f} vs {f['snaive_mase_h12']:.3f} (x{f['ratio_h12']:.2f})  "
        f"coverage {f['coverage']:.2f}  fit {f['fit_s']:.2f}s  "
        f"naive used {f['naive_fallback_share']:.0%}"
    )


def main() -> None:
    cli = parser(__doc__.splitlines()[0])
    cli.add_argument("--nyc-taxi", type=Path, default=NYC_TAXI, help="NAB's nyc_taxi.csv (read-only)")
    args = cli.parse_args()
    logging.getLogger("prophet").setLevel(logging.WARNING)
    config = ForecastConfig()
    results: dict[str, Any] = {"quick": args.quick, "interval_width": config.interval_width}
    with timed(results, "elapsed_s"):
        for data in data_sets(args.quick, args.nyc_taxi):
            results[data.name] = evaluate(data, config, with_reference=not args.quick)
            print(summary_line(data.name, results[data.name]), flush=True)
    names = ("nyc_taxi_daily", "nyc_taxi_weekly", "tourism_monthly")
    ratios = [results[name][f"ratio_h{h}"] for name in names for h in HORIZONS]
    results["worst_ratio"] = max(ratios)
    results["target_met"] = max(ratios) <= 0.8
    results["peak_rss_mb"] = round(peak_rss_mb(), 1)
    emit(results)


if __name__ == "__main__":
    main()
