"""``signals forecast --input --out``: forecasting a CSV file of several series, bad series reported by name
with their reason, periods written the way the input writes them; the CLI as a real process."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from signals.core.errors import UserError
from signals.stages.forecast_file import forecast_file


def seasonal(periods: int, seed: int, cycle: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(periods)
    return 1000 * (1 + 0.4 * np.cos(2 * np.pi * t / cycle)) * np.exp(rng.normal(0, 0.05, periods))


def write_observations(path: Path, rows: list[tuple[str, str, str]], delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(["series", "period", "value"])
        writer.writerows(rows)
    return path


def sample_file(path: Path) -> Path:
    """Monthly nights (YYYY-MM), quarterly visitors (2019T1), yearly totals, and three bad series."""
    months = pd.date_range("2020-01-01", periods=36, freq="MS")
    quarters = pd.period_range("2015Q1", periods=24, freq="Q")
    rows = [
        ("nuitees/nord", d.strftime("%Y-%m"), f"{v:.1f}")
        for d, v in zip(months, seasonal(36, 1, 12), strict=True)
    ]
    rows += [
        ("visiteurs/sud", f"{q.year}T{q.quarter}", f"{v:.1f}")
        for q, v in zip(quarters, seasonal(24, 2, 4), strict=True)
    ]
    rows += [("total/annuel", str(2010 + i), str(500 + 20 * i)) for i in range(10)]
    gap = [("nuitees/trou", d.strftime("%Y-%m"), "100") for d in months if d.month != 6 or d.year != 2021]
    rows += gap
    rows += [("nuitees/court", "2022-01", "5"), ("nuitees/court", "2022-02", "6")]
    rows += [
        ("nuitees/texte", d.strftime("%Y-%m"), "beaucoup" if i == 5 else "100") for i, d in enumerate(months)
    ]
    return write_observations(path, rows)


def read_forecasts(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"series": str, "period": str})


def test_each_good_series_is_forecast_and_each_bad_one_has_its_reason(tmp_path: Path) -> None:
    out = tmp_path / "forecasts.csv"
    report = forecast_file(sample_file(tmp_path / "train.csv"), out)
    assert set(report.forecast) == {"nuitees/nord", "visiteurs/sud", "total/annuel"}
    assert report.rejected["nuitees/trou"].startswith(
        "trou dans la série mensuelle, périodes manquantes (1) : 2021-06-01 ; "
    )
    assert report.rejected["nuitees/court"].startswith("trop courte : une prévision demande au moins")
    assert "valeur non numérique 'beaucoup'" in report.rejected["nuitees/texte"]
    table = read_forecasts(out)
    assert list(table.columns) == ["series", "period", "forecast", "lo80", "hi80"]
    by_series = {name: group for name, group in table.groupby("series")}
    assert by_series["nuitees/nord"].period.tolist()[:2] == ["2023-01", "2023-02"]
    assert len(by_series["nuitees/nord"]) == 24  # the monthly default horizon
    assert by_series["visiteurs/sud"].period.tolist()[:3] == ["2021T1", "2021T2", "2021T3"]
    assert len(by_series["visiteurs/sud"]) == 8
    assert by_series["total/annuel"].period.tolist() == ["2020", "2021", "2022", "2023"]
    assert (table.lo80 <= table.forecast).all() and (table.forecast <= table.hi80).all()
    assert report.rows == len(table)


def test_a_given_horizon_and_band_width_are_used(tmp_path: Path) -> None:
    weeks = pd.date_range("2023-01-02", periods=60, freq="W-MON")
    rows = [
        ("visites", f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}", f"{v:.2f}")
        for d, v in zip(weeks, seasonal(60, 3, 4), strict=True)
    ]
    out = tmp_path / "out.csv"
    report = forecast_file(write_observations(tmp_path / "in.csv", rows), out, horizon=5, interval=0.9)
    table = read_forecasts(out)
    assert list(table.columns) == ["series", "period", "forecast", "lo90", "hi90"]
    assert table.period.tolist() == ["2024-W09", "2024-W10", "2024-W11", "2024-W12", "2024-W13"]
    assert report.forecast == {"visites": report.forecast["visites"]} and not report.rejected


def test_a_semicolon_file_with_decimal_commas_and_daily_periods_is_read(tmp_path: Path) -> None:
    days = pd.date_range("2024-01-01", periods=70, freq="D")
    values = seasonal(70, 4, 7)
    rows = [
        ("passages", d.strftime("%d/%m/%Y"), f"{v:.2f}".replace(".", ","))
        for d, v in zip(days, values, strict=True)
    ]
    out = tmp_path / "out.csv"
    forecast_file(write_observations(tmp_path / "in.csv", rows, delimiter=";"), out)
    table = read_forecasts(out)
    assert len(table) == 28 and table.period.iloc[0] == "11/03/2024"  # the day after 10 March


def test_a_file_without_the_columns_is_refused_with_what_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "wrong.csv"
    path.write_text("serie,date,valeur\nx,2024-01,1\n", encoding="utf-8")
    with pytest.raises(UserError, match="manquantes : series, period, value"):
        forecast_file(path, tmp_path / "out.csv")
    with pytest.raises(UserError, match="fichier introuvable"):
        forecast_file(tmp_path / "absent.csv", tmp_path / "out.csv")


def test_cli_round_trip(tmp_path: Path) -> None:
    train, out = sample_file(tmp_path / "train.csv"), tmp_path / "forecasts.csv"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SIGNALS_")}
    environment |= {"SIGNALS_HOME": str(tmp_path / "var"), "COLUMNS": "200"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "signals.cli",
            "forecast",
            "--input",
            str(train),
            "--out",
            str(out),
            "--horizon",
            "3",
        ],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "3 séries prévues, 3 séries refusées" in result.stdout
    assert "série nuitees/trou : trou dans la série mensuelle" in result.stderr
    assert "série nuitees/court : trop courte : " in result.stderr
    table = read_forecasts(out)
    assert table.groupby("series").size().to_dict() == {
        "nuitees/nord": 3,
        "total/annuel": 3,
        "visiteurs/sud": 3,
    }
    refused = subprocess.run(
        [sys.executable, "-m", "signals.cli", "forecast", "--input", str(train)],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert refused.returncode == 2 and "prévoir un fichier demande --input et --out" in refused.stderr
