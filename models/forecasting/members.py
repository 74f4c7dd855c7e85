"""The forecasting methods combined by ``Forecaster``: one small class per method, one interface.

Why these: the methods that win the forecasting competitions on series like ours (M3, the 2011 tourism
competition, M4) are automatic exponential smoothing (ETS), complex exponential smoothing (CES), the Theta
method and ARIMA, and their combination beats each of them (Makridakis et al. 2020; Petropoulos &
Svetunkov 2020, "A simple combination of univariate models"). We use statsforecast's implementations,
which mirror R's ``forecast`` and ``smooth`` packages (automatic model selection by AICc/MSE, maximum
likelihood); Prophet, the client's library, stays as one member. Every member works on the values as they
are: ETS and CES choose multiplicative seasonality themselves where swings grow with the level.

Interface (``Member``): ``fit(values, dates, season_length, trend)``, ``forecast(horizon)`` and
``forecast_from(history, horizon)``: the forecast of the ``horizon`` steps that follow a shorter history
(the fitted one cut off earlier), **with the parameters fitted on the whole history** and the states
re-run on the shorter one.
That makes rolling-origin errors almost free (a fraction of a millisecond a cut-off for ETS, against a
full model search for a refit); they are slightly optimistic because the parameters have seen the
window, which the calibration checks out of sample (``bench.forecast``).

>>> import numpy as np, pandas as pd
>>> dates = pd.date_range("2020-01-01", periods=48, freq="MS")
>>> values = 100 + 30 * np.cos(2 * np.pi * np.arange(48) / 12)
>>> ets = make_member("ets").fit(values, dates, season_length=12)
>>> bool(np.allclose(ets.forecast(12), values[:12], rtol=0.05))
True
>>> bool(np.allclose(ets.forecast_from(values[:36], 12), values[36:], rtol=0.05))
True
"""

from __future__ import annotations

import logging
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from models.forecasting.frequency import Frequency


class Member(ABC):
    """One forecasting method fitted to one regular series (no gaps, no missing values)."""

    name: ClassVar[str]
    drift: ClassVar[bool] = False  # a method that always extrapolates a trend (it sits out when none may)

    @abstractmethod
    def fit(
        self, values: np.ndarray, dates: pd.DatetimeIndex, season_length: int, trend: bool = True
    ) -> Member:
        """Fit on ``values`` observed at ``dates``; ``season_length`` 1 means no seasonality; ``trend``
        False forecasts a level only (no slope is extrapolated)."""

    @abstractmethod
    def forecast(self, horizon: int) -> np.ndarray:
        """Point forecasts of the ``horizon`` steps after the history."""

    @abstractmethod
    def forecast_from(self, history: np.ndarray, horizon: int) -> np.ndarray:
        """Point forecasts of the ``horizon`` steps after ``history``, the fitted values cut off earlier
        (possibly adjusted otherwise), with the fitted parameters (rolling origins)."""


class SeasonalNaive(Member):
    """The last cycle repeated (the last value when ``season_length`` is 1): the benchmark to beat, and the
    scale of MASE."""

    name = "seasonal_naive"

    def fit(
        self, values: np.ndarray, dates: pd.DatetimeIndex, season_length: int, trend: bool = True
    ) -> SeasonalNaive:
        self.values, self.period = np.asarray(values, dtype=float), season_length
        return self

    def forecast(self, horizon: int) -> np.ndarray:
        return seasonal_naive(self.values, horizon, self.period)

    def forecast_from(self, history: np.ndarray, horizon: int) -> np.ndarray:
        return seasonal_naive(history, horizon, self.period)


class _Statsforecast(Member):
    """A statsforecast model: ``build(season_length, trend)`` makes it, its own ``forward`` gives rolling
    origins."""

    build: ClassVar[Callable[[int, bool], Any]]

    def fit(
        self, values: np.ndarray, dates: pd.DatetimeIndex, season_length: int, trend: bool = True
    ) -> _Statsforecast:
        self.values = np.asarray(values, dtype=float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence notes of the model search: the AICc decides
            self.model = type(self).build(season_length, trend).fit(self.values)
        return self

    def forecast(self, horizon: int) -> np.ndarray:
        return np.asarray(self.model.predict(horizon)["mean"], dtype=float)

    def forecast_from(self, history: np.ndarray, horizon: int) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.asarray(
                self.model.forward(np.asarray(history, dtype=float), horizon)["mean"], dtype=float
            )


def _ets(season_length: int, trend: bool) -> Any:
    from statsforecast.models import AutoETS

    return AutoETS(season_length=season_length, model="ZZZ" if trend else "ZNZ")


def _ces(season_length: int, trend: bool) -> Any:
    from statsforecast.models import AutoCES

    return AutoCES(season_length=season_length)  # no trend component: level and its "potential"


def _theta(season_length: int, trend: bool) -> Any:
    from statsforecast.models import AutoTheta

    return AutoTheta(season_length=season_length)


def _arima(season_length: int, trend: bool) -> Any:
    from statsforecast.models import AutoARIMA

    # R's rule: approximate the likelihood during the search on long or highly seasonal series
    if trend:
        return AutoARIMA(season_length=season_length, approximation=None)
    return AutoARIMA(season_length=season_length, approximation=None, max_d=1, allowdrift=False)


class ETS(_Statsforecast):
    """Automatic exponential smoothing (Hyndman et al. 2002, 2008): error, trend (damped or not) and
    seasonality, additive or multiplicative, chosen by AICc."""

    name = "ets"
    build = staticmethod(_ets)


class CES(_Statsforecast):
    """Complex exponential smoothing (Svetunkov, Kourentzes & Ord 2022): level and trend as one complex
    variable, no trend/no-trend decision to get wrong; seasonality chosen by AICc."""

    name = "ces"
    build = staticmethod(_ces)


class Theta(_Statsforecast):
    """The Theta method (Assimakopoulos & Nikolopoulos 2000), winner of M3, with its optimised and dynamic
    variants (Fiorucci et al. 2016) chosen by in-sample error; classical seasonal decomposition first."""

    name = "theta"
    drift = True
    build = staticmethod(_theta)


class ARIMA(_Statsforecast):
    """Automatic ARIMA (Hyndman & Khandakar 2008, stepwise). Accurate on long monthly series but 5 to 20
    times slower than ETS there, so it is not a default member (see ``ForecastConfig.members``)."""

    name = "arima"
    build = staticmethod(_arima)


class ProphetMember(Member):
    """Prophet (Taylor & Letham 2018), the client's library, used as its authors advise for series whose
    seasonal swings grow with the level: multiplicative seasonality on the values as they are (additive
    when values go negative), its default yearly Fourier order (capped at the Nyquist limit: 2 for
    quarters), a weekly cycle and French public holidays for daily data, the yearly cycle of daily data
    from two years on.

    Its extrapolated slope is damped by ``damping`` a step (Gardner & McKenzie 1985): a slope fitted on
    the last changepoint segment would otherwise run on for ever. ``forecast_from(history)`` keeps the
    fitted seasonality and trend up to the end of ``history`` and extrapolates the trend from there
    (Prophet has no cheap way to re-run on a shorter history); its fitted trend there has seen a little of
    what follows, so its rolling-origin errors are more optimistic than the other members'.
    """

    name = "prophet"

    def __init__(self, damping: float = 0.9, holidays_country: str | None = "FR") -> None:
        self.damping, self.holidays_country = damping, holidays_country

    def fit(
        self, values: np.ndarray, dates: pd.DatetimeIndex, season_length: int, trend: bool = True
    ) -> ProphetMember:
        from prophet import Prophet

        values = np.asarray(values, dtype=float)
        self.non_negative = bool((values >= 0).all())
        self.frequency = Frequency.infer(dates) if len(dates) > 1 else Frequency("monthly")
        daily = self.frequency.name == "daily"
        seasonal = season_length > 1 and (not daily or len(values) >= 2 * 365)
        self.model = Prophet(
            growth="linear" if trend else "flat",
            weekly_seasonality=3 if daily and season_length > 1 else False,
            yearly_seasonality=min(10, int(self.frequency.per_year // 2)) if seasonal else False,
            daily_seasonality=False,
            seasonality_mode="multiplicative" if self.non_negative else "additive",
            uncertainty_samples=0,
        )
        if daily and self.holidays_country:
            self.model.add_country_holidays(country_name=self.holidays_country)
        with quiet_stan():
            self.model.fit(pd.DataFrame({"ds": dates, "y": values}))
            fitted = self.model.predict(pd.DataFrame({"ds": dates}))
        self.dates, self.trend = dates, fitted["trend"].to_numpy()
        self._terms = _terms(fitted)
        self._ahead = np.zeros((0, 2))
        return self

    def forecast(self, horizon: int) -> np.ndarray:
        return self._from(len(self.dates), horizon)

    def forecast_from(self, history: np.ndarray, horizon: int) -> np.ndarray:
        return self._from(len(history), horizon)

    def _from(self, cut: int, horizon: int) -> np.ndarray:
        slope = float(self.trend[cut - 1] - self.trend[max(cut - 2, 0)])
        damped = self.trend[cut - 1] + slope * np.cumsum(self.damping ** np.arange(1, horizon + 1))
        terms = self._terms_after(cut, horizon)
        forecast = damped * (1 + terms[:, 0]) + terms[:, 1]
        return np.maximum(forecast, 0.0) if self.non_negative else forecast

    def _terms_after(self, cut: int, horizon: int) -> np.ndarray:
        """Multiplicative and additive terms (seasonality, holidays) of the ``horizon`` periods after
        ``cut``: from the in-sample fit inside the history (rolling origins), predicted beyond it (once)."""
        beyond = cut + horizon - len(self.dates)
        if beyond > len(self._ahead):
            with quiet_stan():
                future = pd.DataFrame({"ds": self.frequency.future(self.dates[-1], beyond)})
                self._ahead = _terms(self.model.predict(future))
        return np.concatenate([self._terms, self._ahead])[cut : cut + horizon]


def _terms(predicted: pd.DataFrame) -> np.ndarray:
    return predicted[["multiplicative_terms", "additive_terms"]].to_numpy()


MEMBERS: dict[str, type[Member]] = {m.name: m for m in (ETS, CES, Theta, ARIMA, ProphetMember, SeasonalNaive)}


def make_member(name: str) -> Member:
    """A new, unfitted member by name (``ets``, ``ces``, ``theta``, ``arima``, ``prophet``,
    ``seasonal_naive``)."""
    if name not in MEMBERS:
        raise ValueError(f"unknown forecasting member {name!r}: expected one of {', '.join(MEMBERS)}")
    return MEMBERS[name]()


def seasonal_naive(history: np.ndarray, horizon: int, period: int) -> np.ndarray:
    """The seasonal-naive forecast: the last ``period`` values of ``history`` repeated over ``horizon`` steps.

    >>> seasonal_naive(np.array([1.0, 5.0, 2.0, 6.0]), 3, period=2).tolist()
    [2.0, 6.0, 2.0]
    """
    return np.resize(np.asarray(history, dtype=float)[-period:], horizon)


def _not_short_yearly_warning(record: logging.LogRecord) -> bool:
    """Drop Prophet's warning about yearly seasonality on under 730 days: two cycles are what is asked."""
    return not record.getMessage().startswith("Yearly seasonality is enabled with less than 730 days")


@contextmanager
def quiet_stan() -> Iterator[None]:
    """Silence cmdstanpy's two INFO lines per fit and Prophet's INFO notes, restoring both afterwards."""
    import cmdstanpy

    prophet_logger = logging.getLogger("prophet")
    level = prophet_logger.level
    prophet_logger.setLevel(logging.WARNING)
    prophet_logger.addFilter(_not_short_yearly_warning)
    try:
        with cmdstanpy.disable_logging():
            yield
    finally:
        prophet_logger.removeFilter(_not_short_yearly_warning)
        prophet_logger.setLevel(level)
