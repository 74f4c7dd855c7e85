"""``fit_many``: forecasters for a panel of series (a territory's communes, a file of indicators).

Two things need the whole panel: histories without a whole seasonal cycle borrow the seasonal profile of
the longer series of the same frequency (``models.forecasting.seasonality``), and the fits spread over processes (``n_jobs``). A
series that cannot be forecast is reported with its reason, and the others are still fitted.

>>> import numpy as np, pandas as pd
>>> months = pd.date_range("2019-01-01", periods=48, freq="MS")
>>> summer = 1 + 0.5 * np.cos(2 * np.pi * (months.month - 7) / 12)
>>> panel = {"long": pd.Series(1000 * summer, index=months),
...          "eight months": pd.Series(200 * summer[-8:], index=months[-8:]),
...          "three": pd.Series([1.0, 2.0, 3.0], index=months[:3])}
>>> fits = fit_many(panel, ForecastConfig(members=("ets", "theta")))
>>> fits.failures
{'three': 'trop courte : une prévision demande au moins 4 observations, la série en a 3'}
>>> short = fits.forecasters["eight months"]
>>> band = short.forecast(12)
>>> int(band.ds.dt.month[band.yhat.idxmax()]), short.method  # the borrowed summer peak
(7, 'pooled_profile(1)+median(ets)')
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field

import pandas as pd

from models.forecasting.forecaster import ForecastConfig, Forecaster, check_history, clean
from models.forecasting.frequency import Frequency
from models.forecasting.seasonality import SeasonalProfile


@dataclass
class PanelFit:
    """The fitted forecasters by series name, and the series that could not be fitted with the reason."""

    forecasters: dict[str, Forecaster] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)


def fit_many(
    histories: Mapping[str, pd.Series],
    config: ForecastConfig | None = None,
    neighbours: int = 5,
    n_jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> PanelFit:
    """Fit one ``Forecaster`` per series; short ones borrow the profile of their ``neighbours`` most
    similar series of the same frequency. ``progress(done, total)`` is called after each fit."""
    config = config or ForecastConfig()
    result = PanelFit()
    checked: dict[str, tuple[pd.Series, Frequency]] = {}
    for name, history in histories.items():
        try:
            series = clean(history)
            checked[name] = (series, check_history(series, config))
        except (ValueError, TypeError) as exc:
            result.failures[name] = str(exc)
    profiles = _profiles(checked, config, neighbours)
    jobs = [(name, series, config, profiles.get(name)) for name, (series, _) in checked.items()]
    done = 0
    if n_jobs > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=n_jobs) as pool:
            futures = [pool.submit(_fit_one, *job) for job in jobs]
            for future in as_completed(futures):
                done += 1
                _collect(result, *future.result())
                if progress:
                    progress(done, len(jobs))
    else:
        for job in jobs:
            done += 1
            _collect(result, *_fit_one(*job))
            if progress:
                progress(done, len(jobs))
    result.forecasters = {name: result.forecasters[name] for name in checked if name in result.forecasters}
    return result


def _profiles(
    checked: Mapping[str, tuple[pd.Series, Frequency]], config: ForecastConfig, neighbours: int
) -> dict[str, SeasonalProfile]:
    """A pooled profile for each short seasonal series that has lenders of its frequency."""
    lenders: dict[Frequency, list[SeasonalProfile]] = {}
    short: list[str] = []
    for name, (series, frequency) in checked.items():
        if needs_profile(series, frequency, config):
            short.append(name)
        elif (profile := _lender(series, frequency, config)) is not None:
            lenders.setdefault(frequency, []).append(profile)
    pooled: dict[str, SeasonalProfile] = {}
    for name in short:
        series, frequency = checked[name]
        if lenders.get(frequency):
            pooled[name] = SeasonalProfile.pool(
                lenders[frequency], series.to_numpy(), pd.DatetimeIndex(series.index), neighbours
            )
    return pooled


def needs_profile(series: pd.Series, frequency: Frequency, config: ForecastConfig) -> bool:
    """A seasonal series too short for the members to model its seasonality (under two cycles)."""
    m = frequency.season_length
    return m > 1 and len(series) < config.min_seasonal_cycles * m


def _lender(series: pd.Series, frequency: Frequency, config: ForecastConfig) -> SeasonalProfile | None:
    """The profile a series of ``frequency`` lends: from two whole cycles or more, else none."""
    if frequency.season_length < 2 or needs_profile(series, frequency, config):
        return None
    return SeasonalProfile.estimate(series.to_numpy(), pd.DatetimeIndex(series.index), frequency)


def borrowed_profile(
    history: pd.Series,
    others: Iterable[pd.Series],
    config: ForecastConfig | None = None,
    neighbours: int = 5,
) -> SeasonalProfile | None:
    """The seasonal profile a short ``history`` borrows from ``others`` (a territory's other communes, the
    series of the same indicator): pooled from those of its frequency with two whole cycles or more, the
    ``neighbours`` most similar kept. None when ``history`` models its own seasonality or no series lends.
    Series that cannot be read (irregular, gaps) lend nothing."""
    config = config or ForecastConfig()
    try:
        series = clean(history)
        frequency = Frequency.infer(pd.DatetimeIndex(series.index))
    except (ValueError, TypeError):
        return None
    if not needs_profile(series, frequency, config):
        return None
    lenders = []
    for other in others:
        try:
            lender = clean(other)
            profile = _lender(lender, check_history(lender, config), config)
        except (ValueError, TypeError):
            continue
        if profile is not None and profile.frequency.name == frequency.name:
            lenders.append(profile)
    if not lenders:
        return None
    return SeasonalProfile.pool(lenders, series.to_numpy(), pd.DatetimeIndex(series.index), neighbours)


def _fit_one(
    name: str, series: pd.Series, config: ForecastConfig, profile: SeasonalProfile | None
) -> tuple[str, Forecaster | None, str | None]:
    try:
        return name, Forecaster(config).fit(series, profile), None
    except (ValueError, TypeError) as exc:
        return name, None, str(exc)


def _collect(result: PanelFit, name: str, forecaster: Forecaster | None, error: str | None) -> None:
    if forecaster is not None:
        result.forecasters[name] = forecaster
    else:
        result.failures[name] = error or "pas de prévision"
