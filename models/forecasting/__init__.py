"""Forecasting of observation series and topic counts (pure computation: no project imports, no I/O).

- ``frequency``: the one frequency concept (daily ... yearly): inference, seasonal period, horizons, dates.
- ``members``: the methods combined (ETS, CES, Theta, ARIMA from statsforecast; Prophet; seasonal naive).
- ``seasonality``: seasonal profiles pooled across series, for short histories.
- ``calibration``: rolling-origin errors and the conformal band.
- ``forecaster``: ``Forecaster`` (one series) and ``ForecastConfig``.
- ``panel``: ``fit_many`` (a panel of series, short ones borrowing a profile).
"""

from models.forecasting.forecaster import DEFAULT_MEMBERS, ForecastConfig, Forecaster
from models.forecasting.frequency import Frequency
from models.forecasting.members import quiet_stan, seasonal_naive
from models.forecasting.panel import PanelFit, borrowed_profile, fit_many
from models.forecasting.seasonality import SeasonalProfile

__all__ = [
    "DEFAULT_MEMBERS",
    "ForecastConfig",
    "Forecaster",
    "Frequency",
    "PanelFit",
    "SeasonalProfile",
    "borrowed_profile",
    "fit_many",
    "quiet_stan",
    "seasonal_naive",
]
