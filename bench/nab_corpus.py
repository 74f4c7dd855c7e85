"""Reading the NAB corpus (data files and anomaly windows) and writing results in NAB's own layout."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from bench.nab_scoring import LabelledSeries


@dataclass(frozen=True)
class NabFile:
    """One NAB data file: ``category/name.csv`` with its rows and windows."""

    category: str
    name: str
    timestamps: tuple[str, ...]  # as written in the data file
    times: np.ndarray  # datetime64[ns]
    values: np.ndarray
    series: LabelledSeries

    @property
    def relative_path(self) -> str:
        return f"{self.category}/{self.name}.csv"


def load_corpus(root: Path) -> list[NabFile]:
    """All files listed in ``labels/combined_windows.json``, in sorted order, with windows as row ranges."""
    windows_by_file: dict[str, list[list[str]]] = json.loads(
        (root / "labels" / "combined_windows.json").read_text()
    )
    corpus = []
    for relative in sorted(windows_by_file):
        frame = pd.read_csv(root / "data" / relative, dtype={"timestamp": str})
        times = pd.to_datetime(frame["timestamp"]).to_numpy()
        row_of = {t: i for i, t in enumerate(times)}
        windows = []
        for start, end in windows_by_file[relative]:
            try:
                left = row_of[pd.Timestamp(start).to_datetime64()]
                right = row_of[pd.Timestamp(end).to_datetime64()]
            except KeyError as missing:
                raise ValueError(f"{relative}: window limit {missing} is not a row of the file") from None
            windows.append((left, right))
        category, file_name = relative.split("/")
        name = file_name.removesuffix(".csv")
        corpus.append(
            NabFile(
                category=category,
                name=name,
                timestamps=tuple(frame["timestamp"]),
                times=times,
                values=frame["value"].to_numpy(dtype=float),
                series=LabelledSeries(name=relative, n_rows=len(frame), windows=tuple(windows)),
            )
        )
    return corpus


def write_results(folder: Path, detector: str, corpus: list[NabFile], scores: list[np.ndarray]) -> None:
    """Write NAB's results layout: ``<detector>/<category>/<detector>_<file>.csv``.

    Columns ``timestamp,value,anomaly_score,label``; scores with 12 significant digits (as NAB's own
    published results), so callers should score ``bench.nab.as_written`` values.
    """
    for nab_file, file_scores in zip(corpus, scores, strict=True):
        path = folder / detector / nab_file.category / f"{detector}_{nab_file.name}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        labels = nab_file.series.labels()
        with path.open("w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["timestamp", "value", "anomaly_score", "label"])
            for t, v, s, lab in zip(nab_file.timestamps, nab_file.values, file_scores, labels, strict=True):
                writer.writerow([t, f"{v:.12g}", f"{s:.12g}", int(lab)])
