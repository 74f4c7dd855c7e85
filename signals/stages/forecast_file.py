"""Forecasting from a file, no database: ``signals forecast --input TRAIN.csv --out FORECASTS.csv``.

Input: the importer's observation columns ``series,period,value`` (``,`` or ``;`` separated, a ``;`` file
writes decimals with a comma; more columns are ignored), several series in one file, periods in any of
the importer's forms (``2025-03``, ``2025-03-14``, ``2025-W10``, ``2025Q1``, ``2025-T1``, ``2025`` ...).
Output: ``series,period,forecast,lo80,hi80`` (the band's columns named after its width), one row per
series and period ahead, periods written the way the input writes them.

Each series is forecast for its frequency's horizon (28 days, 13 weeks, 24 months, 8 quarters, 4 years)
unless one is given, by ``models.forecasting.fit_many`` (short series borrow the seasonal profile of the
longer ones of the file). A series that cannot be forecast (too short, a gap, a value that is not a
number, two values for one period) is listed with its reason in the report and the others are still
forecast: nothing is skipped silently.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from models.forecasting import ForecastConfig, Frequency, fit_many
from models.forecasting.forecaster import GAP_ADVICE
from signals.core.errors import UserError
from signals.core.parsing import parse_number, parse_period

COLUMNS = ("series", "period", "value")


@dataclass
class FileForecastReport:
    """What ``forecast_file`` did: series forecast (with their method), series refused (with the reason),
    lines that belong to no series, rows written."""

    forecast: dict[str, str] = field(default_factory=dict)
    rejected: dict[str, str] = field(default_factory=dict)
    bad_lines: list[tuple[int, str]] = field(default_factory=list)
    rows: int = 0


@dataclass
class _SeriesRows:
    periods: list[str] = field(default_factory=list)
    dates: list[date] = field(default_factory=list)
    values: list[float | None] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    problem: str | None = None


def forecast_file(
    input_path: Path,
    out_path: Path,
    horizon: int | None = None,
    interval: float = 0.8,
    n_jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
    encoding: str = "utf-8-sig",
) -> FileForecastReport:
    """Forecast every series of ``input_path`` and write the forecasts to ``out_path``.

    ``horizon``: periods ahead for every series (None: each frequency's default). ``interval``: nominal
    coverage of the band. ``progress(done, total)`` is called after each series is fitted. Raises
    ``UserError`` when the file itself cannot be used (missing, empty, wrong columns).
    """
    if horizon is not None and horizon < 1:
        raise UserError(f"--horizon doit valoir au moins 1, pas {horizon}")
    report = FileForecastReport()
    rows = read_series(input_path, report, encoding)
    histories: dict[str, pd.Series] = {}
    for name, series in rows.items():
        problem = series.problem or _gap_or_missing(series)
        if problem:
            report.rejected[name] = problem
        else:
            histories[name] = pd.Series(series.values, index=pd.DatetimeIndex(series.dates), dtype=float)
    fits = fit_many(histories, ForecastConfig(interval_width=interval), n_jobs=n_jobs, progress=progress)
    report.rejected |= fits.failures
    low, high = f"lo{round(100 * interval)}", f"hi{round(100 * interval)}"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["series", "period", "forecast", low, high])
    for name in rows:  # in the input's order
        forecaster = fits.forecasters.get(name)
        if forecaster is None:
            continue
        steps = horizon or forecaster.frequency.default_horizon
        band = forecaster.forecast(steps)
        write_period = period_writer(rows[name].periods[-1], rows[name].dates[-1], forecaster.frequency)
        for row in band.itertuples():
            writer.writerow(
                [
                    name,
                    write_period(row.ds.date()),
                    _number(row.yhat),
                    _number(row.yhat_lower),
                    _number(row.yhat_upper),
                ]
            )
            report.rows += 1
        report.forecast[name] = forecaster.method
    out_path.write_text(buffer.getvalue(), encoding="utf-8")
    report.rejected = {name: report.rejected[name] for name in rows if name in report.rejected}
    return report


def read_series(
    path: Path, report: FileForecastReport, encoding: str = "utf-8-sig"
) -> dict[str, _SeriesRows]:
    """The file's rows grouped by series, in order of first appearance. A bad value or period marks its
    series as refused (with the line); a line without a series name is listed in ``report.bad_lines``."""
    try:
        text = path.read_text(encoding=encoding)
    except FileNotFoundError:
        raise UserError(f"{path} : fichier introuvable") from None
    except UnicodeDecodeError as exc:
        raise UserError(
            f"{path} : pas un texte {encoding} valide ({exc.reason} à l'octet {exc.start}) ; fournir le fichier en UTF-8"
        ) from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise UserError(f"{path} : fichier vide ; en-tête attendu : {','.join(COLUMNS)}")
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    header = [h.strip().lower() for h in next(csv.reader([lines[0]], delimiter=delimiter))]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise UserError(
            f"{path} : colonnes {header}, attendues : {','.join(COLUMNS)} (manquantes : {', '.join(missing)})"
        )
    where = {c: header.index(c) for c in COLUMNS}
    series: dict[str, _SeriesRows] = {}
    for number, row in enumerate(csv.reader(lines[1:], delimiter=delimiter), start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {c: row[i].strip() if i < len(row) else "" for c, i in where.items()}
        if not cells["series"]:
            report.bad_lines.append((number, "pas de nom de série"))
            continue
        rows = series.setdefault(cells["series"], _SeriesRows())
        if rows.problem:
            continue
        rows.problem = _add(
            rows, number, cells["period"], cells["value"], decimal="," if delimiter == ";" else "."
        )
    return series


def _add(rows: _SeriesRows, number: int, period: str, value: str, decimal: str) -> str | None:
    """Add one line to its series; the reason the series cannot be used, if this line shows one."""
    try:
        day = parse_period(period)
    except ValueError as exc:
        return f"ligne {number} : période incorrecte : {exc}"
    try:
        number_value = parse_number(value, decimal=decimal)
    except ValueError:
        return f"ligne {number} : valeur non numérique {value!r} pour la période {period}"
    if day in rows.dates:
        first = rows.lines[rows.dates.index(day)]
        return f"ligne {number} : période {period} donnée deux fois (aussi ligne {first})"
    rows.periods.append(period)
    rows.dates.append(day)
    rows.values.append(number_value)
    rows.lines.append(number)
    return None


def _gap_or_missing(rows: _SeriesRows) -> str | None:
    """Missing values inside a series are gaps too: say which periods."""
    empty = [p for p, v in zip(rows.periods, rows.values, strict=True) if v is None]
    if empty:
        shown = ", ".join(empty[:3]) + (", ..." if len(empty) > 3 else "")
        return f"trou, valeurs manquantes ({len(empty)}) : {shown} ; {GAP_ADVICE}"
    return None


# --- periods written like the input's ------------------------------------------------------------------


def period_writer(sample: str, day: date, frequency: Frequency) -> Callable[[date], str]:
    """A function writing a period's first day the way ``sample`` (the period of ``day``) is written; the
    ISO-like form of the frequency when the sample's form is not recognised (``mars 2025`` -> ``2025-05``).

    >>> from models.forecasting import Frequency
    >>> write = period_writer("2024T3", date(2024, 7, 1), Frequency("quarterly"))
    >>> write(date(2024, 10, 1)), write(date(2025, 1, 1))
    ('2024T4', '2025T1')
    >>> period_writer("2025-W09", date(2025, 2, 24), Frequency("weekly"))(date(2025, 3, 3))
    '2025-W10'
    """
    sample = sample.strip()
    for candidate in _candidates(frequency):
        if candidate(day) == sample:
            return candidate
    return _candidates(frequency)[0]


def _candidates(frequency: Frequency) -> list[Callable[[date], str]]:
    """The forms the importer reads, for this frequency, the ISO-like one first."""

    def strf(fmt: str) -> Callable[[date], str]:
        return lambda d: d.strftime(fmt)

    days = [strf("%Y-%m-%d"), strf("%d/%m/%Y")]
    if frequency.name == "weekly":
        weeks = [
            lambda d, sep=sep, w=w: f"{d.isocalendar()[0]}{sep}{w}{d.isocalendar()[1]:02d}"
            for sep in ("-", "")
            for w in ("W", "w")
        ]
        return [*weeks, *days]
    if frequency.name == "monthly":
        return [strf(f) for f in ("%Y-%m", "%Y%m", "%Y/%m", "%Y.%m", "%m/%Y", "%m-%Y", "%m.%Y")] + days
    if frequency.name == "quarterly":
        quarters = [
            lambda d, sep=sep, q=q: f"{d.year}{sep}{q}{(d.month - 1) // 3 + 1}"
            for q in ("Q", "T", "q", "t")
            for sep in ("", "-", " ")
        ] + [
            lambda d, sep=sep, q=q: f"{q}{(d.month - 1) // 3 + 1}{sep}{d.year}"
            for q in ("Q", "T", "q", "t")
            for sep in ("", "-", " ")
        ]
        return [quarters[1], *quarters, *days]  # ISO-like first: 2025-Q1
    if frequency.name == "yearly":
        return [strf("%Y"), *days]
    return days


def _number(value: float) -> str:
    return f"{value:.10g}"
