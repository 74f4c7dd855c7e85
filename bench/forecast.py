"""Forecast benchmark: ``models.forecasting`` on the tourism competition's series and the demo territory.

``python -m bench.forecast [--quick] [--data DIR] [--jobs N]``; the figures come last as one JSON line.

Data: ``../shared/data/tourism-dev`` (half of the 2011 tourism forecasting competition: 183 monthly and
213 quarterly series, ``train.csv`` the history, ``test.csv`` the next 24 months or 8 quarters; read in
place, never copied), and the demo territory's monthly tourist nights (12 communes, 48 months: the last
12 held back).

Scoring, as in the competition (Athanasopoulos et al. 2011) and R's ``accuracy``:
- MASE: mean absolute error over the whole horizon divided by the in-sample mean absolute error of the
  seasonal naive (lag 12 or 4) on the training part, averaged over series; ``ratio`` is the forecaster's
  MASE over the seasonal naive's (published anchors: the competition's best about 0.90, AutoETS 0.94).
- MAPE: mean absolute percentage error over the horizon (points whose actual value is 0 left out),
  averaged over series.
- ``coverage80``: share of all held-back points inside the 80 % band (nominal 0.80).
- ``seconds``: wall time to fit and forecast every series of the frequency (``--jobs`` processes).
Baselines in the same run: the seasonal naive (last year repeated) and statsforecast's AutoETS as shipped
(``StatsForecast(models=[AutoETS(season_length=m)])``, raw values, its own 80 % interval).
``--quick``: every 8th series of each frequency (23 monthly, 27 quarterly), under a minute.

Then the same series cut to one and one and a half seasons of history (``bench.pooling``): the seasonal
profile pooled from the other series against the series' own last season, the seasonal naive and the
naive (``--no-short`` skips it; its seconds are not part of ``tourism_seconds``).
"""

from __future__ import annotations

import logging
import re
import time
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.common import emit, parser, peak_rss_mb, shared_data, timed
from bench.pooling import CYCLES, evaluate_short, short_line
from models.forecasting import ForecastConfig, Frequency, fit_many, seasonal_naive
from signals.core.parsing import parse_period

QUICK_EVERY = 8
DEMO_HELD_BACK = 12


@dataclass
class Panel:
    """Series of one frequency: the training histories and the held-back values that follow them."""

    name: str
    frequency: Frequency
    train: dict[str, pd.Series]
    test: dict[str, np.ndarray]


def read_observations(path: Path) -> dict[str, pd.Series]:
    """``series,period,value`` rows as one Series per series, indexed by the periods' first days."""
    rows = pd.read_csv(path, dtype={"series": str, "period": str, "value": float})
    rows["date"] = [pd.Timestamp(parse_period(p)) for p in rows["period"]]
    return {name: group.set_index("date")["value"].sort_index() for name, group in rows.groupby("series")}


def tourism_panels(folder: Path, quick: bool) -> list[Panel]:
    train, test = read_observations(folder / "train.csv"), read_observations(folder / "test.csv")
    panels: dict[str, Panel] = {}
    for name in sorted(train, key=_natural):
        frequency = Frequency.infer(pd.DatetimeIndex(train[name].index))
        panel = panels.setdefault(frequency.name, Panel(frequency.name, frequency, {}, {}))
        panel.train[name], panel.test[name] = train[name], test[name].to_numpy()
    if quick:
        for panel in panels.values():
            keep = list(panel.train)[::QUICK_EVERY]
            panel.train = {k: panel.train[k] for k in keep}
            panel.test = {k: panel.test[k] for k in keep}
    return [panels[name] for name in ("monthly", "quarterly") if name in panels]


def _natural(name: str) -> tuple[str, int]:
    """``tourism.m10`` after ``tourism.m9``: a stable order for the ``--quick`` subset."""
    digits = re.search(r"\d+$", name)
    return (name[: digits.start()], int(digits.group())) if digits else (name, -1)


def demo_panel() -> Panel:
    """Monthly tourist nights of the demo territory's 12 communes (with its planted anomaly)."""
    from signals.demo.generate import generate

    series: dict[str, dict[pd.Timestamp, float]] = {}
    for obs in generate().observations:
        if obs.indicator == "tourisme.nuitees":
            series.setdefault(obs.commune, {})[pd.Timestamp(obs.month)] = obs.value
    full = {name: pd.Series(values).sort_index() for name, values in series.items()}
    return Panel(
        "demo_monthly",
        Frequency("monthly"),
        {name: s.iloc[:-DEMO_HELD_BACK] for name, s in full.items()},
        {name: s.iloc[-DEMO_HELD_BACK:].to_numpy() for name, s in full.items()},
    )


def scores(panel: Panel, forecasts: dict[str, np.ndarray]) -> tuple[float, float]:
    """MASE (training part's in-sample seasonal-naive scale) and MAPE, averaged over series."""
    m = panel.frequency.season_length
    mase, mape = [], []
    for name, actual in panel.test.items():
        history = panel.train[name].to_numpy()
        error = np.abs(actual - forecasts[name][: len(actual)])
        mase.append(float(np.mean(error)) / float(np.mean(np.abs(history[m:] - history[:-m]))))
        nonzero = actual != 0
        mape.append(100 * float(np.mean(error[nonzero] / np.abs(actual[nonzero]))))
    return float(np.mean(mase)), float(np.mean(mape))


def coverage(panel: Panel, bands: dict[str, tuple[np.ndarray, np.ndarray]]) -> float:
    inside = [
        (actual >= bands[name][0][: len(actual)]) & (actual <= bands[name][1][: len(actual)])
        for name, actual in panel.test.items()
    ]
    return float(np.mean(np.concatenate(inside)))


def run_forecaster(panel: Panel, jobs: int) -> dict[str, Any]:
    horizon = max(len(a) for a in panel.test.values())
    started = time.perf_counter()
    fits = fit_many(panel.train, ForecastConfig(), n_jobs=jobs)
    bands = {name: f.forecast(horizon) for name, f in fits.forecasters.items()}
    seconds = time.perf_counter() - started
    missing = set(panel.train) - set(bands)
    if missing:  # scored as the seasonal naive would be, so that a failure cannot flatter the figures
        logging.warning("not forecast: %s", {name: fits.failures.get(name) for name in missing})
    m = panel.frequency.season_length
    point = {
        name: bands[name].yhat.to_numpy() if name in bands else seasonal_naive(s.to_numpy(), horizon, m)
        for name, s in panel.train.items()
    }
    intervals = {
        name: (bands[name].yhat_lower.to_numpy(), bands[name].yhat_upper.to_numpy())
        if name in bands
        else (point[name], point[name])
        for name in panel.train
    }
    mase, mape = scores(panel, point)
    methods = Counter(f.method for f in fits.forecasters.values())
    return {
        "mase": mase,
        "mape": mape,
        "coverage80": coverage(panel, intervals),
        "seconds": seconds,
        "methods": dict(methods.most_common()),
        "not_forecast": len(missing),
    }


def run_autoets(panel: Panel, jobs: int) -> dict[str, Any]:
    """statsforecast's AutoETS as shipped, through its own panel API, native 80 % interval."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    horizon = max(len(a) for a in panel.test.values())
    frame = pd.concat(
        pd.DataFrame({"unique_id": name, "ds": s.index, "y": s.to_numpy()}) for name, s in panel.train.items()
    )
    freq = {"monthly": "MS", "quarterly": "QS"}[panel.frequency.name]
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        engine = StatsForecast(
            models=[AutoETS(season_length=panel.frequency.season_length)], freq=freq, n_jobs=jobs
        )
        result = engine.forecast(df=frame, h=horizon, level=[80])
    seconds = time.perf_counter() - started
    by_series = {name: group for name, group in result.groupby("unique_id")}
    point = {name: by_series[name]["AutoETS"].to_numpy() for name in panel.train}
    bands = {
        name: (by_series[name]["AutoETS-lo-80"].to_numpy(), by_series[name]["AutoETS-hi-80"].to_numpy())
        for name in panel.train
    }
    mase, mape = scores(panel, point)
    return {"mase": mase, "mape": mape, "coverage80": coverage(panel, bands), "seconds": seconds}


def evaluate(panel: Panel, jobs: int, with_autoets: bool) -> dict[str, Any]:
    m = panel.frequency.season_length
    horizon = max(len(a) for a in panel.test.values())
    naive = {name: seasonal_naive(s.to_numpy(), horizon, m) for name, s in panel.train.items()}
    snaive_mase, snaive_mape = scores(panel, naive)
    ours = run_forecaster(panel, jobs)
    figures: dict[str, Any] = {
        "n_series": len(panel.train),
        "horizon": horizon,
        "mase": round(ours["mase"], 3),
        "snaive_mase": round(snaive_mase, 3),
        "ratio": round(ours["mase"] / snaive_mase, 3),
        "mape": round(ours["mape"], 2),
        "snaive_mape": round(snaive_mape, 2),
        "coverage80": round(ours["coverage80"], 3),
        "seconds": round(ours["seconds"], 1),
        "methods": ours["methods"],
        "not_forecast": ours["not_forecast"],
    }
    if with_autoets:
        ets = run_autoets(panel, jobs)
        figures |= {
            "autoets_mase": round(ets["mase"], 3),
            "autoets_ratio": round(ets["mase"] / snaive_mase, 3),
            "autoets_mape": round(ets["mape"], 2),
            "autoets_coverage80": round(ets["coverage80"], 3),
            "autoets_seconds": round(ets["seconds"], 1),
        }
    return figures


def summary_line(name: str, f: dict[str, Any]) -> str:
    line = (
        f"{name:13} n={f['n_series']:3} h={f['horizon']:2}  MASE {f['mase']:.3f} vs snaive "
        f"{f['snaive_mase']:.3f} (x{f['ratio']:.3f})  MAPE {f['mape']:.1f} vs {f['snaive_mape']:.1f}  "
        f"coverage80 {f['coverage80']:.3f}  {f['seconds']:.1f}s"
    )
    if "autoets_ratio" in f:
        line += (
            f"  | AutoETS x{f['autoets_ratio']:.3f} coverage80 {f['autoets_coverage80']:.3f} "
            f"{f['autoets_seconds']:.1f}s"
        )
    return line


def main() -> None:
    cli = parser(__doc__.splitlines()[0])
    cli.add_argument("--data", type=Path, default=None, help="tourism-dev folder (train.csv, test.csv)")
    cli.add_argument("--jobs", type=int, default=2, help="processes for the fits (default 2)")
    cli.add_argument(
        "--no-short", action="store_true", help="skip the short histories (pooled seasonal profiles)"
    )
    args = cli.parse_args()
    logging.getLogger("prophet").setLevel(logging.WARNING)
    folder = args.data or shared_data("tourism-dev")
    results: dict[str, Any] = {"quick": args.quick, "interval_width": ForecastConfig().interval_width}
    with timed(results, "elapsed_s"):
        tourism_data = tourism_panels(folder, args.quick)
        for panel in [*tourism_data, demo_panel()]:
            results[panel.name] = evaluate(panel, args.jobs, with_autoets=panel.name != "demo_monthly")
            print(summary_line(panel.name, results[panel.name]), flush=True)
        if not args.no_short:
            results["short"] = {}
            for panel in tourism_data:
                for cycles in CYCLES[panel.name]:
                    short = evaluate_short(panel, cycles, args.jobs)
                    results["short"][f"{panel.name}_{short['history']}"] = short
                    print(short_line(panel.name, short), flush=True)
    tourism = [results[name] for name in ("monthly", "quarterly") if name in results]
    results["tourism_seconds"] = round(sum(f["seconds"] for f in tourism), 1)
    results["targets_met"] = all(
        f["ratio"] <= 0.90 and 0.77 <= f["coverage80"] <= 0.85 for f in tourism
    ) and (args.quick or results["tourism_seconds"] <= 120)
    results["peak_rss_mb"] = round(peak_rss_mb(), 1)
    emit(results)


if __name__ == "__main__":
    main()
