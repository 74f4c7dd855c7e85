"""``Forecaster``: a combination of competition-winning methods, with a calibrated band, for one series.

``fit(history)`` takes a pandas Series indexed by period dates (daily, weekly, monthly, quarterly or
yearly; no missing period), ``forecast(horizon)`` gives ``ds``, ``yhat``, ``yhat_lower``, ``yhat_upper``,
``to_json``/``from_json`` save and restore it, ``update`` adds observations and refits on a cadence.
``fit_many`` fits a panel of series, lending seasonal profiles to the short ones.

What is fitted, and why (choices depend on the frequency and the length of the history only):

1. **Members** (``members``): ETS, CES, Theta (statsforecast), Prophet and the seasonal naive, each fitted
   on the values as they are, with the frequency's seasonal period once the history holds two whole cycles.
   The seasonal naive is a member, not only the benchmark: on tourism series it is hard to beat
   (Athanasopoulos et al. 2011), and in a median it is the robust anchor that keeps the combination near
   last year's values when the models extrapolate a trend or a growing seasonal swing that does not last.
2. **Short histories** (under two cycles): the seasonal profile of the series' own last cycle, or, when
   it has not one whole cycle, a profile borrowed from similar series (``fit_many`` or
   ``fit(history, profile=...)``; ``seasonality`` says why in that order); the series is divided by it,
   forecast by the members without seasonality, and multiplied back. The members then forecast a level
   without a slope (Theta, a drift method, sits out): under two cycles a trend cannot be told apart from
   the profile's misfit, and extrapolated over a two-year horizon it cost more than the borrowed shape
   gained (``bench.forecast``, short histories).
3. **Combination**: the median of the members' forecasts, step by step. Combining is the most reliable
   gain of the forecasting competitions; the median (rather than the mean) keeps one member's wild
   extrapolation out (Petropoulos & Svetunkov 2020; Makridakis, Spiliotis & Assimakopoulos 2020). With
   five members the median is always one of them, and it departs from last year's values only as far as
   three of the four models agree to.
4. **Rolling origins** (``calibration``): from each of the last cut-offs of the history, every member
   forecasts what followed. The errors give each member's record (``refit_mae``), size the band, and
   (``naive_fallback``, off by default) may hand the series to the seasonal naive where it did better.
5. **Band**: split-conformal on those errors, in logs for positive series, per step ahead.

>>> import numpy as np, pandas as pd
>>> dates = pd.date_range("2016-01-01", periods=96, freq="MS")
>>> summer_peak = np.exp(0.5 * np.cos(2 * np.pi * (dates.month - 7) / 12))
>>> noise = np.exp(np.random.default_rng(0).normal(0, 0.03, 96))
>>> nights = pd.Series(1000 * summer_peak * np.exp(0.05 * np.arange(96) / 12) * noise, index=dates)
>>> forecaster = Forecaster(ForecastConfig(members=("ets", "theta"))).fit(nights)
>>> forecaster.frequency.name, forecaster.fitted_until.date(), forecaster.method
('monthly', datetime.date(2023, 12, 1), 'median(ets,theta)')
>>> errors = forecaster.refit_mae  # on the rolling origins, in logs: the members beat last year's values
>>> errors["combination"] < errors["seasonal_naive"]
True
>>> band = forecaster.forecast(3)
>>> list(band.columns), [d.date().isoformat() for d in band.ds]
(['ds', 'yhat', 'yhat_lower', 'yhat_upper'], ['2024-01-01', '2024-02-01', '2024-03-01'])
>>> bool((band.yhat_lower <= band.yhat).all() and (band.yhat <= band.yhat_upper).all())
True
>>> Forecaster.from_json(forecaster.to_json()).forecast(3).equals(band)
True
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from models.forecasting import calibration
from models.forecasting.calibration import Scale
from models.forecasting.frequency import Frequency
from models.forecasting.members import MEMBERS, Member, make_member, seasonal_naive
from models.forecasting.seasonality import SeasonalProfile, Seasons

FORMAT_VERSION = 2
DEFAULT_MEMBERS = ("ets", "ces", "theta", "prophet", "seasonal_naive")


@dataclass(frozen=True)
class ForecastConfig:
    """Every setting of the forecaster with its default; the same for all series.

    - ``interval_width``: nominal coverage of the band (0.8: four outcomes in five inside).
    - ``members``: the methods combined (``models.forecasting.members.MEMBERS``); ``"arima"`` can be
      added where time allows (it is slow on long monthly series).
    - ``min_points``: shorter histories are refused.
    - ``min_seasonal_cycles``: the members model seasonality themselves from this many whole cycles; below,
      a borrowed or own-cycle profile is used.
    - ``borrow_over_own``: use a borrowed profile even when the short history has a whole cycle of its
      own (off: its own last cycle forecast better on the tourism series, ``seasonality``).
    - ``calibration_horizon``: steps ahead checked on rolling origins (None: the frequency's default
      horizon); beyond it the band grows like the square root of the step.
    - ``calibration_origins``: cut-offs that reach the calibration horizon (None: a whole cycle, at least 8).
    - ``naive_fallback``: forecast with the seasonal naive where it beat the combination on the origins.
      Off by default: choosing per series on a few dozen overlapping errors is noisier than the
      combination's gain (Kourentzes, Barrow & Petropoulos 2019); on the tourism series it lost accuracy.
    - ``refit_every``: new observations ``update`` waits for before refitting (None: 7 days, 4 weeks,
      3 months, 1 quarter, 1 year).
    - ``stored_horizon``: steps kept by ``to_json`` (None: twice the default horizon); a longer forecast
      of a restored forecaster refits from the saved history.
    """

    interval_width: float = 0.8
    members: tuple[str, ...] = DEFAULT_MEMBERS
    min_points: int = 4
    min_seasonal_cycles: float = 2.0
    borrow_over_own: bool = False
    calibration_horizon: int | None = None
    calibration_origins: int | None = None
    naive_fallback: bool = False
    refit_every: int | None = None
    stored_horizon: int | None = None

    def __post_init__(self) -> None:
        if not 0 < self.interval_width < 1:
            raise ValueError(f"interval_width must be between 0 and 1, not {self.interval_width}")
        if not self.members:
            raise ValueError("members: at least one forecasting method is needed")
        for name in self.members:
            make_member(name)  # an unknown name fails here, with the list of known ones
        if self.min_points < 2:
            raise ValueError(f"min_points must be at least 2, not {self.min_points}")

    def horizon_for(self, frequency: Frequency) -> int:
        return self.calibration_horizon or frequency.default_horizon

    def origins_for(self, frequency: Frequency) -> int:
        return self.calibration_origins or max(frequency.season_length, 8)

    def refit_every_for(self, frequency: Frequency) -> int:
        if self.refit_every is not None:
            return self.refit_every
        return {"daily": 7, "weekly": 4, "monthly": 3}.get(frequency.name, 1)

    def stored_for(self, frequency: Frequency) -> int:
        return self.stored_horizon or 2 * frequency.default_horizon


@dataclass(frozen=True)
class _Fitted:
    """What a fit leaves: the point forecast path, the band's half-widths (on ``scale``), the method."""

    path: list[float]
    widths: list[float]
    method: str
    refit_mae: dict[str, float]
    failed: dict[str, str]


class Forecaster:
    """Median of ETS, CES, Theta, Prophet and the seasonal naive for one daily ... yearly series, with a conformal band.

    A fit costs one model search per member (about 0.3 s for a monthly series of 25 years, 0.1 s for a
    quarterly one, on one core) plus rolling origins that re-run the fitted models (a few milliseconds).

    >>> import numpy as np, pandas as pd
    >>> days = pd.date_range("2024-01-01", periods=120, freq="D")
    >>> visits = pd.Series(100 + 20 * (days.dayofweek >= 5) + np.arange(120) % 3, index=days)
    >>> forecaster = Forecaster(ForecastConfig(members=("ets", "theta"))).fit(visits)
    >>> band = forecaster.forecast(7)
    >>> band.ds.dt.day_name().iloc[[0, 4]].tolist(), bool(band.yhat.iloc[4] > band.yhat.iloc[0] + 10)
    (['Tuesday', 'Saturday'], True)
    >>> forecaster.update(pd.Series([101.0, 103.0], index=band.ds[:2]))  # fewer than refit_every: kept
    False
    """

    def __init__(self, config: ForecastConfig | None = None) -> None:
        self.config = config or ForecastConfig()
        self._history: pd.Series | None = None  # fitted history, then observations added by ``update``
        self._until: pd.Timestamp | None = None
        self._frequency: Frequency | None = None
        self._scale: Scale | None = None
        self._profile: SeasonalProfile | None = None  # borrowed profile, kept for refits
        self._fitted: _Fitted | None = None

    # -- public interface -------------------------------------------------------------------------------

    def fit(self, history: pd.Series, profile: SeasonalProfile | None = None) -> Forecaster:
        """Fit on ``history`` (values indexed by period dates; missing values dropped) and calibrate.

        ``profile``: a seasonal profile borrowed from similar series, used when the history holds fewer
        than ``min_seasonal_cycles`` cycles (see ``fit_many``). Raises ``ValueError`` for a history too
        short, irregular or with missing periods, saying which.
        """
        series = clean(history)
        self._frequency = check_history(series, self.config)
        self._scale = Scale.choose(series.to_numpy())
        self._profile = profile
        self._history, self._until = series, pd.Timestamp(series.index[-1])
        self._fitted = self._fit(series, self.config.stored_for(self._frequency))
        return self

    def forecast(self, horizon: int) -> pd.DataFrame:
        """The ``horizon`` periods after the fitted history: ``ds``, ``yhat``, ``yhat_lower``, ``yhat_upper``.

        ``yhat`` is the combined point forecast; ``interval_width`` of outcomes fall inside the band.
        """
        fitted, frequency, scale = self._state()
        if horizon < 1:
            raise ValueError(f"horizon must be at least 1, not {horizon}")
        if horizon > len(fitted.path):  # longer than stored: refit the same history (deterministic)
            assert self._history is not None
            history = self._history[self._history.index <= self.fitted_until]
            fitted = self._fitted = self._fit(history, horizon)
        working = scale.forward(np.array(fitted.path[:horizon]))
        half = np.array([calibration.widen(fitted.widths, step) for step in range(1, horizon + 1)])
        return pd.DataFrame(
            {
                "ds": frequency.future(self.fitted_until, horizon),
                "yhat": np.array(fitted.path[:horizon]),
                "yhat_lower": scale.inverse(working - half),
                "yhat_upper": scale.inverse(working + half),
            }
        )

    def update(self, observations: pd.Series) -> bool:
        """Add new observations; refit once ``refit_every`` have arrived since the last fit.

        Returns True when it refitted. Until then ``forecast`` keeps the band of the last fit, which is
        what new observations are checked against (``models.forecast_break``).
        """
        _, frequency, _ = self._state()
        assert self._history is not None
        new = clean(observations)
        history = pd.concat([self._history[~self._history.index.isin(new.index)], new]).sort_index()
        if int((history.index > self.fitted_until).sum()) >= self.config.refit_every_for(frequency):
            self.fit(history, self._profile)
            return True
        self._history = history
        return False

    @property
    def frequency(self) -> Frequency:
        return self._state()[1]

    @property
    def method(self) -> str:
        """``median(ets,ces,...)`` (the members that fitted), or ``seasonal_naive`` where it did better. A
        short history's seasonal shape is named first: ``pooled_profile(5)+median(...)`` when it was
        borrowed from 5 similar series, ``own_profile+median(...)`` when taken from its own last cycle."""
        return self._state()[0].method

    @property
    def refit_mae(self) -> dict[str, float]:
        """Mean absolute error (log scale for positive series) of each member, of their combination and of
        the seasonal naive on the rolling origins; empty when the history was too short for them."""
        return dict(self._state()[0].refit_mae)

    @property
    def failed(self) -> dict[str, str]:
        """Members that could not be fitted on this series, with the reason (the others were combined)."""
        return dict(self._state()[0].failed)

    @property
    def fitted_until(self) -> pd.Timestamp:
        """Date of the last period of the fitted history."""
        self._state()
        assert self._until is not None
        return self._until

    def to_json(self) -> str:
        """The fitted state as JSON: history, forecast path and band widths; ``from_json`` restores it."""
        fitted, frequency, scale = self._state()
        assert self._history is not None
        return json.dumps(
            {
                "format": FORMAT_VERSION,
                "config": asdict(self.config),
                "frequency": asdict(frequency),
                "scale": scale.name,
                "profile": list(self._profile.indices) if self._profile else None,
                "profile_lenders": self._profile.lenders if self._profile else 0,
                "until": self.fitted_until.isoformat(),
                "history": {
                    "dates": [d.isoformat() for d in self._history.index],
                    "values": self._history.tolist(),
                },
                "fitted": asdict(fitted),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Forecaster:
        data = json.loads(text)
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"forecaster saved in format {data.get('format')!r}, expected {FORMAT_VERSION}")
        forecaster = cls(ForecastConfig(**(data["config"] | {"members": tuple(data["config"]["members"])})))
        frequency = forecaster._frequency = Frequency(**data["frequency"])
        forecaster._scale = Scale(data["scale"])
        if data["profile"]:
            lenders = int(data.get("profile_lenders", 0))
            forecaster._profile = SeasonalProfile(frequency, tuple(data["profile"]), lenders)
        forecaster._until = pd.Timestamp(data["until"])
        forecaster._history = pd.Series(
            data["history"]["values"], dtype=float, index=pd.DatetimeIndex(data["history"]["dates"])
        )
        forecaster._history.index = forecaster._history.index.as_unit("ns")
        forecaster._fitted = _Fitted(**data["fitted"])
        return forecaster

    # -- fitting ------------------------------------------------------------------------------------------

    def _fit(self, series: pd.Series, horizon: int) -> _Fitted:
        """Members, combination, rolling origins and band for ``series``, forecast ``horizon`` steps."""
        assert self._frequency is not None and self._scale is not None
        frequency, scale, config = self._frequency, self._scale, self.config
        values, dates = series.to_numpy(), pd.DatetimeIndex(series.index)
        n, m = len(values), frequency.season_length
        seasons = Seasons.choose(
            values, dates, frequency, config.min_seasonal_cycles, self._profile, config.borrow_over_own
        )
        trend = seasons.profile is None  # a profile from under two cycles: its misfit would look like a slope
        names = tuple(name for name in config.members if trend or not MEMBERS[name].drift)
        members, failed = _fit_members(names, seasons.adjust(values, dates, n), dates, seasons.period, trend)
        naive_period = m if n >= m else 1
        origins = calibration.RollingOrigins.run(
            members,
            values,
            dates,
            frequency,
            seasons,
            naive_period,
            config.horizon_for(frequency),
            config.origins_for(frequency),
            config.min_points,
        )

        def errors(forecasts: dict[int, np.ndarray]) -> list[np.ndarray]:
            return calibration.errors_by_step(values, forecasts, origins.horizon, scale)

        def mae(forecasts: dict[int, np.ndarray]) -> float:
            return float(np.mean(np.abs(np.concatenate(errors(forecasts)))))

        refit_mae = {name: mae(f) for name, f in origins.by_member.items() if f}
        if origins.naive:
            refit_mae |= {"combination": mae(origins.combined), "seasonal_naive": mae(origins.naive)}
        use_naive = not members or (
            config.naive_fallback
            and bool(origins.naive)
            and refit_mae["seasonal_naive"] < refit_mae["combination"]
        )
        if use_naive:
            method, path = "seasonal_naive", seasonal_naive(values, horizon, naive_period)
            chosen = origins.naive
        else:
            method = seasons.method_prefix() + f"median({','.join(members)})"
            future = frequency.future(dates[-1], horizon)
            looks = [seasons.restore(m.forecast(horizon), future, n) for m in members.values()]
            path, chosen = np.median(looks, axis=0), origins.combined
        if chosen:
            widths = calibration.half_widths(errors(chosen), config.interval_width)
        else:  # too short for rolling origins: the seasonal naive's in-sample errors, a cautious band
            naive_errors = calibration.naive_errors(values, origins.horizon, naive_period, scale)
            widths = calibration.half_widths(naive_errors, config.interval_width)
        return _Fitted([float(v) for v in path], widths, method, refit_mae, failed)

    def _state(self) -> tuple[_Fitted, Frequency, Scale]:
        if self._fitted is None or self._frequency is None or self._scale is None:
            raise RuntimeError("the forecaster is not fitted yet: call fit(history) first")
        return self._fitted, self._frequency, self._scale


def _fit_members(
    names: tuple[str, ...], values: np.ndarray, dates: pd.DatetimeIndex, season: int, trend: bool
) -> tuple[dict[str, Member], dict[str, str]]:
    """Fit each named member; one that fails is left out with its reason (the others still combine)."""
    members: dict[str, Member] = {}
    failed: dict[str, str] = {}
    for name in names:
        try:
            member = make_member(name).fit(values, dates, season, trend)
            if not np.isfinite(member.forecast(1)).all():
                raise ValueError("prévision non finie")
            members[name] = member
        except Exception as exc:  # noqa: BLE001 - a library's numerical failure on one series must not stop the rest
            failed[name] = f"{type(exc).__name__}: {exc}"
    return members, failed


def clean(series: pd.Series) -> pd.Series:
    """Float values on a sorted, de-duplicated DatetimeIndex (the last value of a duplicate wins)."""
    if not isinstance(series.index, pd.DatetimeIndex):
        raise TypeError("a forecast needs a pandas Series indexed by timestamps (DatetimeIndex)")
    values = pd.to_numeric(series, errors="coerce").astype(float)
    values = values[np.isfinite(values.to_numpy())]
    values.index = pd.DatetimeIndex(values.index).as_unit("ns")  # one resolution: saved == restored
    return values[~values.index.duplicated(keep="last")].sort_index()


GAP_ADVICE = "les compléter ou prévoir à partir de la dernière période complète"  # after a gap's periods


def too_short(count: int, needed: int) -> str:
    """Why a series of ``count`` observations cannot be forecast (in French: what readers see).

    >>> too_short(3, 4)
    'trop courte : une prévision demande au moins 4 observations, la série en a 3'
    """
    return f"trop courte : une prévision demande au moins {needed} observations, la série en a {count}"


def check_history(series: pd.Series, config: ForecastConfig) -> Frequency:
    """The frequency of a cleaned history, or ``ValueError`` saying (in French) why it cannot be forecast."""
    if len(series) < config.min_points:
        raise ValueError(too_short(len(series), config.min_points))
    frequency = Frequency.infer(pd.DatetimeIndex(series.index))
    missing = frequency.missing(pd.DatetimeIndex(series.index))
    if len(missing):
        shown = ", ".join(d.date().isoformat() for d in missing[:3]) + (", ..." if len(missing) > 3 else "")
        raise ValueError(
            f"trou dans la série {frequency.adjective}, périodes manquantes ({len(missing)}) : {shown} ; "
            + GAP_ADVICE
        )
    return frequency
