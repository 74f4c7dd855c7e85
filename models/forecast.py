"""Forecasts of observation series and topic counts: Prophet, corrected where it lags, with calibrated bands.

One ``Forecaster`` per series (a commune's tourism nights, a rising topic's weekly document count). ``fit``
takes the history (a pandas Series indexed by timestamps), ``forecast(horizon)`` returns the next ``horizon``
periods with an expected value and a prediction band, ``to_json``/``from_json`` save and restore it, and
``update`` adds new observations and refits only on a cadence (``ForecastConfig.refit_every``).

What is fitted, and why (every choice depends on the series' frequency and length only, never on the data
set; the defaults are in ``ForecastConfig``):

1. **Transform.** Positive series are modelled in logs, counts with zeros in ``log1p``: seasonal swings
   and noise of tourism nights or document counts grow with their level (multiplicative), which additive
   Prophet in logs captures; back-transformed, the point forecast is a median, the right target for
   absolute errors (MASE). Prophet's ``minmax`` scaling keeps its priors meaningful on log values.
2. **Prophet** with seasonalities the history can support: weekly for daily data after two weeks, yearly
   after two years, with a Fourier order capped below the Nyquist limit of the sampling (5 for monthly
   data: higher harmonics alias and make the fit slow and unstable), public holidays of
   ``holidays_country`` (French by default, from the offline ``holidays`` package) for daily data.
3. **Damped trend.** Prophet extrapolates its last slope for ever; the slope's contribution is damped by
   ``trend_damping`` per step (damped trend, Gardner & McKenzie 1985), which protects short histories
   against a slope fitted on a few points.
4. **Residual smoothing.** Prophet's seasonal shape and level are fixed over the history, so it lags a
   level shift or a change of the weekly profile. A robust exponential smoothing of its in-sample residuals
   (level and seasonal state, additive Holt-Winters without trend; errors clipped at
   ``residual_clip_mads`` robust standard deviations so that one holiday or outlier does not propagate,
   after Gelper, Fried & Croux 2010) adds the recent systematic error to the forecast.
5. **Rolling-origin refits.** The forecaster is refitted at up to ``calibration_origins`` earlier cut-offs
   of the history and forecasts what followed each of them. Those out-of-sample errors choose the
   residual smoothing weights (from ``smoothing_grid``) and decide, as a safety net, whether the seasonal
   naive (the last cycle repeated) forecasts this series better than the model: then it is used and
   ``method`` says so. With ``naive_fallback=False`` the model is always used.
6. **Calibrated band.** Prophet's own interval assumes its model is right and undercovers out of sample.
   The band is a split-conformal one instead: at each step, the ``interval_width`` quantile of the
   refits' absolute errors (steps pooled with their neighbours, never narrower than an earlier step).
   A history too short for refits falls back on the errors of the seasonal naive over the same lag,
   which are larger: the band is then conservative.

>>> import numpy as np, pandas as pd
>>> dates = pd.date_range("2019-01-01", periods=60, freq="MS")
>>> summer_peak = np.exp(0.5 * np.cos(2 * np.pi * (dates.month - 7) / 12))
>>> nights = pd.Series(1000 * summer_peak * np.exp(0.05 * np.arange(60) / 12), index=dates)  # +5 %/year
>>> forecaster = Forecaster().fit(nights)
>>> forecaster.frequency.name, forecaster.fitted_until.date(), forecaster.method
('monthly', datetime.date(2023, 12, 1), 'prophet')
>>> errors = forecaster.refit_mae  # on the refits, in logs: the model beat last year's values
>>> errors["prophet"] < errors["seasonal_naive"]
True
>>> band = forecaster.forecast(3)
>>> list(band.columns), [d.date().isoformat() for d in band.ds]
(['ds', 'yhat', 'yhat_lower', 'yhat_upper'], ['2024-01-01', '2024-02-01', '2024-03-01'])
>>> bool((band.yhat_lower <= band.yhat).all() and (band.yhat <= band.yhat_upper).all())
True
>>> restored = Forecaster.from_json(forecaster.to_json())
>>> restored.forecast(3).equals(band)
True
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import cmdstanpy
import numpy as np
import pandas as pd
from prophet import Prophet
from prophet.serialize import model_from_json, model_to_json

FORMAT_VERSION = 1
_DAYS_PER_YEAR = 365.25
_NEIGHBOUR_STEPS = 2  # calibration errors of steps j-2..j+2 are pooled for step j


def _not_short_yearly_warning(record: logging.LogRecord) -> bool:
    """Drop Prophet's warning about yearly seasonality on under 730 days: 24 monthly points span 700 days,
    and two full cycles are what this module asks for (``min_seasonal_cycles``)."""
    return not record.getMessage().startswith("Yearly seasonality is enabled with less than 730 days")


@contextmanager
def quiet_stan() -> Iterator[None]:
    """Silence cmdstanpy's two INFO lines per fit and Prophet's INFO notes, restoring both afterwards."""
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


@dataclass(frozen=True)
class Frequency:
    """Sampling frequency of a series: its name, pandas-style code and nominal step in days.

    ``code`` is ``D`` (daily), ``W`` (weekly), ``MS`` / ``ME`` (monthly on the first / last day of the
    month) or ``M`` (monthly on another day).

    >>> Frequency.of(pd.DatetimeIndex(["2024-01-31", "2024-02-29", "2024-03-31"])).future_dates(
    ...     pd.Timestamp("2024-03-31"), 2).strftime("%Y-%m-%d").tolist()
    ['2024-04-30', '2024-05-31']
    """

    code: str

    @property
    def name(self) -> str:
        return {"D": "daily", "W": "weekly"}.get(self.code, "monthly")

    @property
    def step_days(self) -> float:
        return {"D": 1.0, "W": 7.0}.get(self.code, _DAYS_PER_YEAR / 12)

    @property
    def per_year(self) -> float:
        """Observations per year (365.25, 52.18 or 12)."""
        return _DAYS_PER_YEAR / self.step_days

    @classmethod
    def of(cls, index: pd.DatetimeIndex) -> Frequency:
        """Infer daily, weekly or monthly sampling from the median spacing of the timestamps."""
        if len(index) < 2:
            raise ValueError("cannot infer the frequency of a series with fewer than 2 timestamps")
        spacing = float(np.median(np.diff(index.values).astype("timedelta64[s]").astype(float))) / 86400
        if 0.5 <= spacing <= 1.5:
            return cls("D")
        if 6 <= spacing <= 8:
            return cls("W")
        if 27 <= spacing <= 32:
            if (index.day == 1).all():
                return cls("MS")
            return cls("ME" if index.is_month_end.all() else "M")
        raise ValueError(
            f"series spaced by {spacing:g} days: only daily, weekly or monthly series can be forecast; "
            "resample it first (e.g. series.resample('W').sum())"
        )

    def future_dates(self, last: pd.Timestamp, horizon: int) -> pd.DatetimeIndex:
        """The ``horizon`` timestamps that follow ``last``."""
        steps = range(1, horizon + 1)
        if self.code in ("D", "W"):
            dates = [last + pd.Timedelta(days=self.step_days * i) for i in steps]
        elif self.code in ("MS", "ME"):
            offset = pd.offsets.MonthBegin if self.code == "MS" else pd.offsets.MonthEnd
            dates = [last + offset(i) for i in steps]
        else:
            dates = [last + pd.DateOffset(months=i) for i in steps]
        return pd.DatetimeIndex(dates).as_unit("ns")


@dataclass(frozen=True)
class ForecastConfig:
    """Every setting of the forecaster with its default; the same for all series.

    Settings left at ``None`` are chosen by frequency (see ``horizon_for`` and ``refit_every_for``).

    - ``interval_width``: nominal coverage of the prediction band (0.8: four observations in five inside).
    - ``holidays_country``: public holidays modelled in daily series (ISO code for the ``holidays``
      package, offline); ``None`` for none. Weekly and monthly sums smear a holiday over its period.
    - ``transform``: ``"auto"`` models positive series in logs and non-negative counts in ``log1p``;
      ``"none"`` keeps values as they are.
    - ``changepoint_prior_scale``: flexibility of Prophet's trend (Prophet's default, 0.05).
    - ``weekly_fourier_order`` / ``yearly_fourier_order``: Prophet's defaults (3, 10), capped below the
      Nyquist limit of the sampling (yearly order 5 for monthly data).
    - ``min_seasonal_cycles``: a seasonality is fitted once the history covers this many of its cycles.
    - ``trend_damping``: per-step damping of the extrapolated trend slope (1 = Prophet's linear trend,
      0 = the trend stays at its last value).
    - ``level_smoothing`` / ``seasonal_smoothing``: smoothing weights of the residual level and seasonal
      states when the history is too short for refits (0.2: a level remembers about 5 observations, a
      seasonal phase about 5 cycles); 0 turns the correction off.
    - ``smoothing_grid``: the weights tried for each state on the refits (0: off, 0.5: fast).
    - ``residual_clip_mads``: residual errors beyond this many robust standard deviations are clipped
      (None: no clipping).
    - ``naive_fallback``: forecast with the seasonal naive when it beat the model on the refits.
    - ``calibration_origins``: earlier cut-offs refitted to choose and calibrate (each costs one fit).
    - ``calibration_horizon``: steps calibrated from those refits (None: 14 days, 13 weeks, 12 months);
      beyond it the band grows like the square root of the step.
    - ``refit_every``: new observations ``update`` waits for before refitting (None: 7 days, 4 weeks,
      3 months).
    """

    interval_width: float = 0.8
    holidays_country: str | None = "FR"
    transform: Literal["auto", "none"] = "auto"
    changepoint_prior_scale: float = 0.05
    weekly_fourier_order: int = 3
    yearly_fourier_order: int = 10
    min_seasonal_cycles: float = 2.0
    trend_damping: float = 0.9
    level_smoothing: float = 0.2
    seasonal_smoothing: float = 0.2
    residual_clip_mads: float | None = 2.0
    smoothing_grid: tuple[float, ...] = (0.0, 0.2, 0.5)
    naive_fallback: bool = True
    calibration_origins: int = 8
    calibration_horizon: int | None = None
    refit_every: int | None = None

    def __post_init__(self) -> None:
        if not 0 < self.interval_width < 1:
            raise ValueError(f"interval_width must be between 0 and 1, not {self.interval_width}")
        for name, value in [
            ("trend_damping", self.trend_damping),
            ("level_smoothing", self.level_smoothing),
            ("seasonal_smoothing", self.seasonal_smoothing),
            *(("smoothing_grid", v) for v in self.smoothing_grid),
        ]:
            if not 0 <= value <= 1:
                raise ValueError(f"{name} must be between 0 and 1, not {value}")

    def default_smoothing(self) -> _Smoothing:
        return _Smoothing(self.level_smoothing, self.seasonal_smoothing, self.residual_clip_mads)

    def smoothing_candidates(self, period: int) -> list[_Smoothing]:
        """The default first (it wins ties), then every pair of weights of the grid."""
        seasonal = self.smoothing_grid if period > 1 else (0.0,)
        return [self.default_smoothing()] + [
            _Smoothing(level, season, self.residual_clip_mads)
            for level in self.smoothing_grid
            for season in seasonal
        ]

    def horizon_for(self, frequency: Frequency) -> int:
        if self.calibration_horizon is not None:
            return self.calibration_horizon
        return {"D": 14, "W": 13}.get(frequency.code, 12)

    def refit_every_for(self, frequency: Frequency) -> int:
        if self.refit_every is not None:
            return self.refit_every
        return {"D": 7, "W": 4}.get(frequency.code, 3)


@dataclass(frozen=True)
class _Transform:
    """Log, log1p or identity, chosen once from the fitted history and kept for its forecasts."""

    name: Literal["log", "log1p", "none"]

    @classmethod
    def choose(cls, values: np.ndarray, config: ForecastConfig) -> _Transform:
        if config.transform == "none" or (values < 0).any():
            return cls("none")
        return cls("log" if (values > 0).all() else "log1p")

    def forward(self, values: np.ndarray) -> np.ndarray:
        return {"log": np.log, "log1p": np.log1p}.get(self.name, np.asarray)(values)

    def inverse(self, values: np.ndarray) -> np.ndarray:
        if self.name == "log":
            return np.exp(values)
        if self.name == "log1p":
            return np.maximum(np.expm1(values), 0.0)
        return values


@dataclass
class _Seasonality:
    """The seasonalities a history supports, and the seasonal period (in steps) of the residual state."""

    weekly_order: int
    yearly_order: int
    residual_period: int

    @classmethod
    def choose(cls, n: int, frequency: Frequency, config: ForecastConfig) -> _Seasonality:
        span_days = n * frequency.step_days
        weekly = (
            config.weekly_fourier_order
            if (frequency.code == "D" and span_days >= config.min_seasonal_cycles * 7)
            else 0
        )
        nyquist = int((frequency.per_year - 1) // 2)
        yearly = (
            min(config.yearly_fourier_order, nyquist)
            if (span_days >= config.min_seasonal_cycles * _DAYS_PER_YEAR - frequency.step_days / 2)
            else 0
        )
        if weekly:
            period = 7
        elif yearly and frequency.code != "D":
            period = round(frequency.per_year)
        else:
            period = 1
        return cls(weekly, yearly, period)


def naive_period(n: int, frequency: Frequency) -> int:
    """The seasonal naive's period for a history of ``n`` steps: the natural cycle (a week of days, a year
    of weeks or months) once one whole cycle is known, else 1 (the last value repeated).

    It does not wait for the two cycles Prophet's seasonality needs: with 13 to 23 months of history, last
    year's month is still a far better guess for a seasonal series than last month.

    >>> naive_period(16, Frequency("MS")), naive_period(11, Frequency("MS")), naive_period(29, Frequency("W"))
    (12, 1, 1)
    """
    cycle = 7 if frequency.code == "D" else round(frequency.per_year)
    return cycle if n >= cycle else 1


@dataclass(frozen=True)
class _Smoothing:
    """Residual smoother settings: level and seasonal weights, clipping in robust standard deviations."""

    level: float
    seasonal: float
    clip_mads: float | None  # None: no clipping


@dataclass
class _ResidualState:
    """Robust exponential smoothing of Prophet's in-sample residuals: a level and ``period`` seasonal terms.

    ``season[0]`` is the term of the first step after the history.
    """

    level: float = 0.0
    season: list[float] = field(default_factory=lambda: [0.0])

    @classmethod
    def smooth(cls, residuals: np.ndarray, period: int, settings: _Smoothing) -> _ResidualState:
        """Run the smoother over ``residuals``."""
        mad = float(np.median(np.abs(residuals - np.median(residuals)))) * 1.4826
        clip = settings.clip_mads * mad if settings.clip_mads is not None and mad > 0 else math.inf
        level, season = 0.0, np.zeros(period)
        for t, r in enumerate(residuals):
            phase = t % period
            error = min(max(float(r) - level - float(season[phase]), -clip), clip)
            level += settings.level * error
            if period > 1:
                season[phase] += settings.seasonal * error
        n = len(residuals)
        return cls(level, [float(season[(n + i) % period]) for i in range(period)])

    def correction(self, horizon: int) -> np.ndarray:
        period = len(self.season)
        return np.array([self.level + self.season[i % period] for i in range(horizon)])


Method = Literal["prophet", "seasonal_naive"]


class _Core:
    """One fitted point forecaster in the transformed space: Prophet, its damped trend, residual state.

    ``method`` is ``"seasonal_naive"`` when the refits chose it: ``point`` then repeats ``last_cycle``.
    ``residuals`` (in-sample, kept in memory only) let ``smooth`` try other smoothing weights without
    refitting Prophet.
    """

    def __init__(
        self,
        model: Prophet,
        frequency: Frequency,
        trend_last: float,
        damping: float,
        residual: _ResidualState,
        last_cycle: list[float],
        method: Method = "prophet",
        residuals: np.ndarray | None = None,
    ) -> None:
        self.model, self.frequency, self.trend_last = model, frequency, trend_last
        self.damping, self.residual, self.last_cycle = damping, residual, last_cycle
        self.method, self.residuals = method, residuals

    @classmethod
    def fit(
        cls, values: pd.Series, frequency: Frequency, config: ForecastConfig, smoothing: _Smoothing
    ) -> _Core:
        seasonality = _Seasonality.choose(len(values), frequency, config)
        model = Prophet(
            growth="linear",
            changepoint_prior_scale=config.changepoint_prior_scale,
            weekly_seasonality=seasonality.weekly_order or False,
            yearly_seasonality=seasonality.yearly_order or False,
            daily_seasonality=False,
            scaling="minmax",
            uncertainty_samples=0,
            interval_width=config.interval_width,
        )
        if frequency.code == "D" and config.holidays_country:
            model.add_country_holidays(country_name=config.holidays_country)
        frame = pd.DataFrame({"ds": values.index, "y": values.to_numpy()})
        with quiet_stan():
            model.fit(frame)
        fitted = model.predict(frame[["ds"]])
        actual, period = values.to_numpy(), seasonality.residual_period
        core = cls(
            model,
            frequency,
            float(fitted["trend"].iloc[-1]),
            config.trend_damping,
            _ResidualState(),
            actual[-naive_period(len(actual), frequency) :].tolist(),
            residuals=actual - fitted["yhat"].to_numpy(),
        )
        core.residual = core.smooth(smoothing, period)
        return core

    def smooth(self, smoothing: _Smoothing, period: int) -> _ResidualState:
        assert self.residuals is not None, "residuals are not saved: smooth before saving"
        return _ResidualState.smooth(self.residuals, period, smoothing)

    @property
    def last(self) -> pd.Timestamp:
        return pd.Timestamp(self.model.history["ds"].iloc[-1])

    def base(self, horizon: int) -> tuple[pd.DatetimeIndex, np.ndarray]:
        """Future dates and Prophet's forecast with its trend slope damped (no residual correction)."""
        dates = self.frequency.future_dates(self.last, horizon)
        predicted = self.model.predict(pd.DataFrame({"ds": dates}))
        trend = predicted["trend"].to_numpy()
        increments = np.diff(np.concatenate([[self.trend_last], trend]))
        damped = self.trend_last + np.cumsum(increments * self.damping ** np.arange(1, horizon + 1))
        return dates, predicted["yhat"].to_numpy() - trend + damped

    def point(self, horizon: int) -> tuple[pd.DatetimeIndex, np.ndarray]:
        if self.method == "seasonal_naive":
            dates = self.frequency.future_dates(self.last, horizon)
            return dates, seasonal_naive(np.array(self.last_cycle), horizon, len(self.last_cycle))
        dates, base = self.base(horizon)
        return dates, base + self.residual.correction(horizon)

    def to_dict(self) -> dict[str, Any]:
        return {
            "prophet": model_to_json(self.model),
            "trend_last": self.trend_last,
            "damping": self.damping,
            "residual": asdict(self.residual),
            "last_cycle": self.last_cycle,
            "method": self.method,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], frequency: Frequency) -> _Core:
        return cls(
            model_from_json(data["prophet"]),
            frequency,
            data["trend_last"],
            data["damping"],
            _ResidualState(**data["residual"]),
            data["last_cycle"],
            data["method"],
        )


def _conformal_quantile(errors: np.ndarray, width: float) -> float:
    """The split-conformal quantile: the ceil((n+1)·width)-th smallest error (the largest if n is small)."""
    ordered = np.sort(errors)
    rank = min(math.ceil((len(ordered) + 1) * width), len(ordered))
    return float(ordered[rank - 1])


class Forecaster:
    """Prophet forecaster of one daily, weekly or monthly series, with a calibrated prediction band.

    ``fit(history)`` costs one Prophet fit plus one per calibration origin: about 0.2 s for a weekly series,
    0.8 s for a monthly one and 1.5 s for a daily one with holidays, on a 2-core machine.

    >>> import numpy as np, pandas as pd
    >>> days = pd.date_range("2024-01-01", periods=120, freq="D")
    >>> visits = pd.Series(100 + 20 * (days.dayofweek >= 5) + np.arange(120) % 3, index=days)
    >>> forecaster = Forecaster(ForecastConfig(calibration_origins=3)).fit(visits)
    >>> band = forecaster.forecast(7)
    >>> band.ds.dt.day_name().iloc[[0, 4]].tolist(), bool(band.yhat.iloc[4] > band.yhat.iloc[0] + 10)
    (['Tuesday', 'Saturday'], True)
    >>> forecaster.update(pd.Series([101.0, 103.0], index=band.ds[:2]))  # fewer than refit_every: kept
    False
    """

    def __init__(self, config: ForecastConfig | None = None) -> None:
        self.config = config or ForecastConfig()
        self._history: pd.Series | None = None  # fitted history, then observations added by ``update``
        self._frequency: Frequency | None = None
        self._transform: _Transform | None = None
        self._core: _Core | None = None
        self._quantiles: list[float] = []
        self._smoothing = self.config.default_smoothing()
        self._refit_mae: dict[str, float] = {}

    # -- public interface -------------------------------------------------------------------------------

    def fit(self, history: pd.Series) -> Forecaster:
        """Fit on ``history`` (values indexed by timestamps; missing values are dropped) and calibrate."""
        series = _clean(history)
        if len(series) < 4:
            raise ValueError(f"a forecast needs at least 4 observations, got {len(series)}")
        self._frequency = Frequency.of(pd.DatetimeIndex(series.index))
        self._transform = _Transform.choose(series.to_numpy(), self.config)
        working = pd.Series(self._transform.forward(series.to_numpy()), index=series.index)
        default = self.config.default_smoothing()
        self._core = _Core.fit(working, self._frequency, self.config, default)
        self._calibrate(working, self._core)
        self._history = series
        return self

    def forecast(self, horizon: int) -> pd.DataFrame:
        """The ``horizon`` periods after the fitted history: ``ds``, ``yhat``, ``yhat_lower``, ``yhat_upper``.

        ``yhat`` is the expected (median) value, the band holds ``interval_width`` of outcomes.
        """
        core, transform = self._fitted()
        if horizon < 1:
            raise ValueError(f"horizon must be at least 1, not {horizon}")
        dates, yhat = core.point(horizon)
        half_width = np.array([self._half_width(step) for step in range(1, horizon + 1)])
        return pd.DataFrame(
            {
                "ds": dates,
                "yhat": transform.inverse(yhat),
                "yhat_lower": transform.inverse(yhat - half_width),
                "yhat_upper": transform.inverse(yhat + half_width),
            }
        )

    def update(self, observations: pd.Series) -> bool:
        """Add new observations; refit once ``refit_every`` have arrived since the last fit.

        Returns True when it refitted. Until then ``forecast`` keeps the band of the last fit, which is
        what new observations are checked against (``models.forecast_break``).
        """
        self._fitted()
        assert self._history is not None and self._frequency is not None
        new = _clean(observations)
        history = pd.concat([self._history[~self._history.index.isin(new.index)], new]).sort_index()
        if int((history.index > self.fitted_until).sum()) >= self.config.refit_every_for(self._frequency):
            self.fit(history)
            return True
        self._history = history
        return False

    @property
    def frequency(self) -> Frequency:
        if self._frequency is None:
            raise RuntimeError("the forecaster is not fitted yet: call fit(history) first")
        return self._frequency

    @property
    def method(self) -> Method:
        """``"prophet"``, or ``"seasonal_naive"`` when the naive beat the model on the refits."""
        return self._fitted()[0].method

    @property
    def refit_mae(self) -> dict[str, float]:
        """Mean absolute error (transformed space) of each method on the refits; empty without refits."""
        return dict(self._refit_mae)

    @property
    def fitted_until(self) -> pd.Timestamp:
        """Timestamp of the last observation of the fitted history."""
        return self._fitted()[0].last

    def to_json(self) -> str:
        """The fitted state as JSON (Prophet's own serialisation inside); ``from_json`` restores it."""
        core, transform = self._fitted()
        assert self._history is not None and self._frequency is not None
        return json.dumps(
            {
                "format": FORMAT_VERSION,
                "config": asdict(self.config),
                "frequency": self._frequency.code,
                "transform": transform.name,
                "history": {
                    "dates": [d.isoformat() for d in self._history.index],
                    "values": self._history.tolist(),
                },
                "core": core.to_dict(),
                "quantiles": self._quantiles,
                "smoothing": asdict(self._smoothing),
                "refit_mae": self._refit_mae,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Forecaster:
        data = json.loads(text)
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"forecaster saved in format {data.get('format')!r}, expected {FORMAT_VERSION}")
        config = data["config"] | {"smoothing_grid": tuple(data["config"]["smoothing_grid"])}
        forecaster = cls(ForecastConfig(**config))
        forecaster._frequency = Frequency(data["frequency"])
        forecaster._transform = _Transform(data["transform"])
        forecaster._history = pd.Series(
            data["history"]["values"], dtype=float, index=pd.DatetimeIndex(data["history"]["dates"])
        )
        forecaster._core = _Core.from_dict(data["core"], forecaster._frequency)
        forecaster._quantiles = data["quantiles"]
        forecaster._smoothing = _Smoothing(**data["smoothing"])
        forecaster._refit_mae = data["refit_mae"]
        return forecaster

    # -- calibration ------------------------------------------------------------------------------------

    def _calibrate(self, working: pd.Series, core: _Core) -> None:
        """Choose the residual smoothing and the method of ``core`` and the band, from rolling-origin refits.

        Without refits (short history): the default smoothing, Prophet, and seasonal-naive errors.
        """
        assert self._frequency is not None
        horizon = self.config.horizon_for(self._frequency)
        period = self._period(len(working))
        runs = self._refits(working, horizon)
        self._smoothing, self._refit_mae = self.config.default_smoothing(), {}
        if not runs:
            self._quantiles = self._quantiles_of(self._naive_errors(working.to_numpy(), horizon), horizon)
            return
        actual = working.to_numpy()
        truth = [actual[origin : origin + len(base)] for origin, _, base in runs]
        best: tuple[float, _Smoothing, list[np.ndarray]] | None = None
        for candidate in self.config.smoothing_candidates(period):
            predicted = [
                base + refit.smooth(candidate, period).correction(len(base)) for _, refit, base in runs
            ]
            mae = float(np.mean(np.abs(np.concatenate(truth) - np.concatenate(predicted))))
            if best is None or mae < best[0]:
                best = (mae, candidate, predicted)
        assert best is not None
        model_mae, self._smoothing, predicted = best
        naive = [
            seasonal_naive(actual[:origin], len(base), naive_period(origin, self._frequency))
            for origin, _, base in runs
        ]
        naive_mae = float(np.mean(np.abs(np.concatenate(truth) - np.concatenate(naive))))
        self._refit_mae = {"prophet": model_mae, "seasonal_naive": naive_mae}
        core.residual = core.smooth(self._smoothing, period)
        if self.config.naive_fallback and naive_mae < model_mae:
            core.method, predicted = "seasonal_naive", naive
        errors: list[list[float]] = [[] for _ in range(horizon)]
        for real, forecast in zip(truth, predicted, strict=True):
            for step, error in enumerate(np.abs(real - forecast)):
                errors[step].append(float(error))
        self._quantiles = self._quantiles_of([np.array(e) for e in errors], horizon)

    def _quantiles_of(self, errors: list[np.ndarray], horizon: int) -> list[float]:
        """Conformal half-width per step from errors per step, neighbouring steps pooled, never shrinking."""
        quantiles: list[float] = []
        for step in range(1, horizon + 1):
            pooled = [
                e
                for s in range(step - _NEIGHBOUR_STEPS, step + _NEIGHBOUR_STEPS + 1)
                if 1 <= s <= horizon
                for e in errors[s - 1]
            ]
            if not pooled:
                break
            quantiles.append(
                max(
                    _conformal_quantile(np.array(pooled), self.config.interval_width),
                    quantiles[-1] if quantiles else 0.0,
                )
            )
        return quantiles

    def _refits(self, working: pd.Series, horizon: int) -> list[tuple[int, _Core, np.ndarray]]:
        """Cores refitted at earlier cut-offs, with their base forecasts: (cut-off, core, base).

        Cut-offs are spaced by a quarter of the calibration horizon and only keep histories long enough to
        get the same seasonalities and seasonal naive as the full one, so the errors are those of the same
        kinds of forecast.
        """
        assert self._frequency is not None
        n, frequency = len(working), self._frequency
        full = _Seasonality.choose(n, frequency, self.config)
        minimum = next(m for m in range(4, n + 1) if _Seasonality.choose(m, frequency, self.config) == full)
        minimum = max(minimum, naive_period(n, frequency))  # and the same seasonal naive as the forecast's
        spacing = max(1, horizon // 4)
        origins = [n - horizon - i * spacing for i in range(self.config.calibration_origins)]
        origins = [o for o in origins if o >= minimum]
        if not origins:  # too short to look a whole horizon ahead: shorter looks from the earliest cut-offs
            origins = list(range(minimum, n, spacing))[: self.config.calibration_origins]
        runs = []
        for origin in origins:
            core = _Core.fit(working.iloc[:origin], frequency, self.config, self.config.default_smoothing())
            runs.append((origin, core, core.base(min(horizon, n - origin))[1]))
        return runs

    def _naive_errors(self, values: np.ndarray, horizon: int) -> list[np.ndarray]:
        """Fallback for short histories: in-sample errors of the seasonal-naive forecast at each step."""
        assert self._frequency is not None
        period = naive_period(len(values), self._frequency)
        errors: list[np.ndarray] = []
        for step in range(1, horizon + 1):
            lag = period * math.ceil(step / period)
            if lag < len(values) - 1:
                errors.append(np.abs(values[lag:] - values[:-lag]))
            else:  # not even one lag of history: one-step changes grown like a random walk
                errors.append(np.abs(np.diff(values)) * math.sqrt(step))
        return errors

    def _period(self, n: int) -> int:
        assert self._frequency is not None
        return _Seasonality.choose(n, self._frequency, self.config).residual_period

    def _half_width(self, step: int) -> float:
        calibrated = len(self._quantiles)
        if step <= calibrated:
            return self._quantiles[step - 1]
        return self._quantiles[-1] * math.sqrt(step / calibrated)

    def _fitted(self) -> tuple[_Core, _Transform]:
        if self._core is None or self._transform is None:
            raise RuntimeError("the forecaster is not fitted yet: call fit(history) first")
        return self._core, self._transform


def seasonal_naive(history: np.ndarray, horizon: int, period: int) -> np.ndarray:
    """The seasonal-naive forecast: the last ``period`` values of ``history`` repeated over ``horizon`` steps.

    >>> seasonal_naive(np.array([1.0, 5.0, 2.0, 6.0]), 3, period=2).tolist()
    [2.0, 6.0, 2.0]
    """
    return np.resize(np.asarray(history, dtype=float)[-period:], horizon)


def _clean(series: pd.Series) -> pd.Series:
    """Float values on a sorted, de-duplicated DatetimeIndex (the last value of a duplicate wins)."""
    if not isinstance(series.index, pd.DatetimeIndex):
        raise TypeError("a forecast needs a pandas Series indexed by timestamps (DatetimeIndex)")
    clean = series.astype(float).dropna()
    clean.index = clean.index.as_unit("ns")  # one resolution, so saved and restored forecasts are identical
    return clean[~clean.index.duplicated(keep="last")].sort_index()
