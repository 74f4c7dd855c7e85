"""NAB benchmark of the streaming detector (``models.anomaly.SeriesDetector``, kind "nab").

    python -m bench.nab --results DIR [--quick] [--data PATH] [--workers N]

Runs over the real Numenta Anomaly Benchmark corpus (58 series, read-only under ../shared/data/nab):

- ``riverSeries``: our detector, one pass per series, one setting shared by all series
  (``config_for("nab")``), no labels, no look-ahead (not even the file length).
- ``windowedGaussian``: NAB's own baseline (a rolling z-score: window 6400, step 100, score = 1 - Q(|z|)),
  re-implemented from its published definition as the simple baseline of this run; published: 39.6.
- ``null`` and ``perfect``: sanity anchors of the normalisation (must give 0 and 100).

Scores are computed by ``bench.nab_scoring`` (our implementation of NAB's scoring) and every detector's
results are written in NAB's layout under DIR (``<detector>/<category>/<detector>_<file>.csv`` with
``timestamp,value,anomaly_score,label``) so NAB's own scorer can check them. Scores are written with 12
significant digits (what NAB's published result files hold) and scored exactly as written.
``--quick`` runs every fourth file only (the normalised score is then relative to those files' windows).

Two figures, and which is which:

- **in-sample** (``standard_score``): ``config_for("nab")`` and the threshold optimised on all the files, as
  NAB does. That setting was itself chosen by looking at NAB's scores (``bench/nab_results.md``), so this
  figure cannot be compared with published ones.
- **cross-validated** (``cv_standard_score``): the files are split in two halves (alternating inside each
  category); on each half the setting (among ``CANDIDATES``: the shared setting and the variants its tuning
  compared) and the threshold that score best are chosen, then the *other* half is scored with them; both
  held-out halves are pooled and normalised together. No label of a scored file chose anything.

The figures are printed last as one JSON line.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import replace
from multiprocessing import Pool
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import SHARED_DATA, emit, parser, peak_rss_mb, timed
from bench.nab_corpus import NabFile, load_corpus, write_results
from bench.nab_scoring import PROFILES, STANDARD, CrossValidation, Evaluation, cross_validate, evaluate
from models.anomaly import DetectorConfig, SeriesDetector, config_for

PUBLISHED_STANDARD = {
    "windowedGaussian": 39.6,
    "random": 16.8,
    "numenta": 70.1,
    "contextOSE": 69.9,
    "ARTime": 74.9,
}
WRITTEN_DIGITS = 12


def as_written(scores: np.ndarray) -> np.ndarray:
    """Scores as the results files hold them (12 significant digits), so the files give the same score."""
    return np.array([float(f"{s:.{WRITTEN_DIGITS}g}") for s in scores])


# The settings cross-validation chooses among: the shared setting and the steps of its tuning on NAB
# (bench/nab_results.md: the context scorer, likelihood averaging 20 instead of 10, the rest period).
CANDIDATES: dict[str, DetectorConfig] = {
    "nab": config_for("nab"),
    "averaging_10": replace(config_for("nab"), averaging_window=10),
    "no_rest": replace(config_for("nab"), rest_period=0),
    "no_context": replace(config_for("nab"), components=("level", "seasonal")),
}


def river_series_scores(nab_file: NabFile, setting: str = "nab") -> tuple[np.ndarray, float]:
    """Our detector over one file, point by point (score, then learn); returns scores and seconds."""
    start = time.perf_counter()
    detector = SeriesDetector(CANDIDATES[setting])
    times = nab_file.times.astype("datetime64[us]").tolist()
    scores = np.array([detector.update(t, v) for t, v in zip(times, nab_file.values.tolist(), strict=True)])
    return scores, time.perf_counter() - start


def windowed_gaussian_scores(
    nab_file: NabFile, window: int = 6400, step: int = 100
) -> tuple[np.ndarray, float]:
    """NAB's windowed Gaussian: tail probability of the value under the mean/std of the previous window."""
    start = time.perf_counter()
    values = nab_file.values
    out = np.zeros(len(values))
    buffer = np.empty(window)
    filled = pending = 0
    mean, std = 0.0, 1.0
    for i, v in enumerate(values):
        if filled:
            far = v if v >= mean else 2 * mean - v  # the Gaussian is symmetric: take the upper tail
            out[i] = 1.0 - 0.5 * math.erfc((far - mean) / std / math.sqrt(2.0))
        if filled < window:
            buffer[filled] = v
            filled += 1
            mean, std = float(np.mean(buffer[:filled])), float(np.std(buffer[:filled]))
        else:
            pending += 1
            if pending == step:  # slide by a whole step at once, as NAB does
                buffer = np.concatenate((buffer[step:], values[i - step + 1 : i + 1]))
                pending = 0
                mean, std = float(np.mean(buffer)), float(np.std(buffer))
        std = std or 0.000001
    return out, time.perf_counter() - start


def null_scores(nab_file: NabFile) -> tuple[np.ndarray, float]:
    return np.zeros(nab_file.series.n_rows), 0.0


def perfect_scores(nab_file: NabFile) -> tuple[np.ndarray, float]:
    """Detects the first row of every window and nothing else (uses the labels: an anchor, not a detector)."""
    scores = np.zeros(nab_file.series.n_rows)
    for left, _ in nab_file.series.windows:
        scores[left] = 1.0
    return scores, 0.0


DETECTORS = {
    "riverSeries": river_series_scores,
    "windowedGaussian": windowed_gaussian_scores,
    "null": null_scores,
    "perfect": perfect_scores,
}


def _run_one(args: tuple[str, NabFile]) -> tuple[np.ndarray, float]:
    name, nab_file = args
    if name.startswith("riverSeries:"):
        return river_series_scores(nab_file, name.split(":", 1)[1])
    return DETECTORS[name](nab_file)


def cross_validated(corpus: list[NabFile], workers: int, nab_scores: list[np.ndarray]) -> CrossValidation:
    """The standard profile's cross-validated score over ``CANDIDATES`` (the shared setting's scores are
    already computed)."""
    by_setting = {"nab": nab_scores}
    for setting in CANDIDATES:
        if setting != "nab":
            by_setting[setting] = run_detector(f"riverSeries:{setting}", corpus, workers)[0]
            print(f"  setting {setting} scored", flush=True)
    return cross_validate([f.series for f in corpus], by_setting, STANDARD)


def run_detector(name: str, corpus: list[NabFile], workers: int) -> tuple[list[np.ndarray], list[float]]:
    """Scores (as written) and seconds per file; files are independent, so they run in parallel."""
    jobs = [(name, f) for f in corpus]
    if workers > 1:
        with Pool(workers) as pool:
            results = pool.map(_run_one, jobs, chunksize=1)
    else:
        results = [_run_one(job) for job in jobs]
    return [as_written(scores) for scores, _ in results], [seconds for _, seconds in results]


def evaluate_all(corpus: list[NabFile], scores: list[np.ndarray]) -> dict[str, Evaluation]:
    series = [f.series for f in corpus]
    return {profile.name: evaluate(series, scores, profile) for profile in PROFILES}


def summary_line(name: str, evaluations: dict[str, Evaluation]) -> str:
    std = evaluations["standard"]
    return (
        f"{name:18s} standard {std.normalised:6.2f}"
        f"  low_FP {evaluations['reward_low_FP_rate'].normalised:6.2f}"
        f"  low_FN {evaluations['reward_low_FN_rate'].normalised:6.2f}  threshold {std.threshold:.6f}"
        f"  windows hit {std.true_positives}/{std.true_positives + std.false_negatives}"
        f"  FP rows {std.false_positive_rows}"
    )


def write_summary(folder: Path, all_evaluations: dict[str, dict[str, Evaluation]]) -> None:
    """``final_results.json`` and ``thresholds.json`` in NAB's shapes."""
    final = {d: {p: e.normalised for p, e in ev.items()} for d, ev in all_evaluations.items()}
    thresholds = {
        d: {p: {"threshold": e.threshold, "score": e.raw} for p, e in ev.items()}
        for d, ev in all_evaluations.items()
    }
    (folder / "final_results.json").write_text(json.dumps(final, indent=2, sort_keys=True))
    (folder / "thresholds.json").write_text(json.dumps(thresholds, indent=2, sort_keys=True))


def main() -> None:
    p = parser(__doc__.split("\n\n")[0])
    p.add_argument("--results", type=Path, required=True, help="folder for results in NAB's layout")
    p.add_argument("--data", type=Path, default=SHARED_DATA / "nab", help="NAB corpus (data/, labels/)")
    p.add_argument("--workers", type=int, default=2, help="processes running series in parallel")
    args = p.parse_args()
    if not (args.data / "labels" / "combined_windows.json").exists():
        raise SystemExit(f"NAB corpus not found under {args.data} (see ../shared/data/nab/PROVENANCE.md)")

    figures: dict[str, Any] = {"quick": args.quick}
    with timed(figures, "time_total_s"):
        corpus = load_corpus(args.data)
        if args.quick:
            corpus = corpus[::4]
        all_evaluations = {}
        seconds_by_detector = {}
        for name in DETECTORS:
            with timed(figures, f"time_{name}_s"):
                scores, seconds = run_detector(name, corpus, args.workers)
            write_results(args.results, name, corpus, scores)
            if name == "riverSeries":
                river_scores = scores
            all_evaluations[name] = evaluate_all(corpus, scores)
            seconds_by_detector[name] = seconds
            print(summary_line(name, all_evaluations[name]), flush=True)
        write_summary(args.results, all_evaluations)
        with timed(figures, "time_cross_validation_s"):
            cv = cross_validated(corpus, args.workers, river_scores)
        print(
            f"riverSeries        standard in-sample {all_evaluations['riverSeries']['standard'].normalised:.2f}"
            f"  cross-validated {cv.normalised:.2f}",
            flush=True,
        )
        for fold in cv.folds:
            print(
                f"  chosen on {len(fold.chosen_on)} files: {fold.setting}, threshold {fold.threshold:.6f},"
                f" in-sample {fold.chosen_normalised:.2f}, held-out half {fold.held_out_normalised:.2f}"
            )

    ours, baseline = all_evaluations["riverSeries"], all_evaluations["windowedGaussian"]
    rows = [f.series.n_rows for f in corpus]
    seconds = seconds_by_detector["riverSeries"]
    figures.update(
        {
            "standard_score": round(ours["standard"].normalised, 2),
            "standard_score_is": "in-sample: setting and threshold chosen on these same files",
            "cv_standard_score": round(cv.normalised, 2),
            "cv_folds": [
                {
                    "setting": f.setting,
                    "threshold": f.threshold,
                    "chosen_on_files": len(f.chosen_on),
                    "in_sample": round(f.chosen_normalised, 2),
                    "held_out": round(f.held_out_normalised, 2),
                }
                for f in cv.folds
            ],
            "reward_low_FP_rate_score": round(ours["reward_low_FP_rate"].normalised, 2),
            "reward_low_FN_rate_score": round(ours["reward_low_FN_rate"].normalised, 2),
            "baseline": "windowedGaussian (NAB's rolling z-score baseline, published standard 39.6)",
            "baseline_standard_score": round(baseline["standard"].normalised, 2),
            "baseline_reward_low_FP_rate_score": round(baseline["reward_low_FP_rate"].normalised, 2),
            "baseline_reward_low_FN_rate_score": round(baseline["reward_low_FN_rate"].normalised, 2),
            "null_standard_score": round(all_evaluations["null"]["standard"].normalised, 2),
            "perfect_standard_score": round(all_evaluations["perfect"]["standard"].normalised, 2),
            "standard_threshold": ours["standard"].threshold,
            "windows_detected": ours["standard"].true_positives,
            "windows_total": ours["standard"].true_positives + ours["standard"].false_negatives,
            "false_positive_rows": ours["standard"].false_positive_rows,
            "n_series": len(corpus),
            "n_points": sum(rows),
            "per_series_ms_mean": round(1000 * sum(seconds) / len(seconds), 1),
            "per_series_ms_max": round(1000 * max(seconds), 1),
            "us_per_point": round(1e6 * sum(seconds) / sum(rows), 1),
            "published_standard": PUBLISHED_STANDARD,
            "results_dir": str(args.results),
            "peak_rss_mb": round(peak_rss_mb(), 1),
        }
    )
    emit(figures)


if __name__ == "__main__":
    main()
