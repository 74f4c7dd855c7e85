"""NAB scoring, written from NAB's published description (README, sweeper and runner of numenta/NAB v1.1).

How a detector is scored on the Numenta Anomaly Benchmark:

- Each labelled anomaly sits in a *window* (10 % of the file length shared among its anomalies). The first
  15 % of each file (at most 750 rows) is *probationary*: nothing there is scored.
- A detection is a row whose anomaly score is >= the threshold. Inside a window only the earliest detection
  counts: it earns ``tp_weight * S(p) / S(-1)`` where ``S(p) = 2 * sigmoid(-5 p) - 1`` is the scaled sigmoid
  and ``p = -(right - i + 1) / width`` runs from -1 (first row of the window: full reward) towards 0 (last
  row: almost nothing). A window with no detection costs ``fn_weight``.
- Each detection outside the windows costs ``fp_weight * S(p)`` with ``p`` its distance past the end of the
  previous window in units of that window's width minus one (so an alarm just after a window is nearly free
  and one far away costs the full weight); before any window it costs ``fp_weight``.
- One threshold per detector and profile is chosen to maximise the corpus score (all files pooled), then
  the raw score is normalised: ``100 * (raw - null) / (perfect - null)`` where the null detector detects
  nothing (every window a miss) and the perfect one detects the first row of every window.

Everything here works on arrays; reading NAB's files is ``bench.nab``'s job.

>>> series = LabelledSeries("toy", n_rows=100, windows=((40, 49),))
>>> perfect = np.zeros(100); perfect[40] = 1.0
>>> round(evaluate([series], [perfect], STANDARD).normalised, 6)
100.0
>>> round(evaluate([series], [np.zeros(100)], STANDARD).normalised, 6)
0.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

PROBATION_PERCENT = 0.15
PROBATION_MAX_ROWS = 5000  # NAB caps the probationary period at 15 % of 5000 rows
OUTSIDE = -1  # window id of a scorable row outside every window
PROBATIONARY = -2  # window id of a row that is never scored
NOTHING_DETECTED = 1.1  # NAB's first threshold: above every score in [0, 1]


@dataclass(frozen=True)
class Profile:
    """One row of NAB's cost matrix (config/profiles.json); true negatives always count 0."""

    name: str
    tp_weight: float
    fp_weight: float
    fn_weight: float


STANDARD = Profile("standard", tp_weight=1.0, fp_weight=0.11, fn_weight=1.0)
REWARD_LOW_FP = Profile("reward_low_FP_rate", tp_weight=1.0, fp_weight=0.22, fn_weight=1.0)
REWARD_LOW_FN = Profile("reward_low_FN_rate", tp_weight=1.0, fp_weight=0.11, fn_weight=2.0)
PROFILES: tuple[Profile, ...] = (STANDARD, REWARD_LOW_FP, REWARD_LOW_FN)


@dataclass(frozen=True)
class LabelledSeries:
    """What scoring needs to know of one data file: its length and its windows as inclusive row ranges."""

    name: str
    n_rows: int
    windows: tuple[tuple[int, int], ...]

    def labels(self) -> np.ndarray:
        """NAB's ``label`` column: 1 for rows inside a window, else 0."""
        out = np.zeros(self.n_rows, dtype=np.int8)
        for left, right in self.windows:
            out[left : right + 1] = 1
        return out


@dataclass(frozen=True)
class Evaluation:
    """A detector's NAB result for one profile."""

    profile: str
    threshold: float
    raw: float
    normalised: float
    per_file_raw: dict[str, float]
    true_positives: int  # windows with a detection
    false_negatives: int  # windows without one
    false_positive_rows: int


def probation_length(n_rows: int, percent: float = PROBATION_PERCENT) -> int:
    """Rows at the start of a file that are never scored (NAB: min(floor(15 % n), 15 % of 5000))."""
    return int(min(math.floor(percent * n_rows), percent * PROBATION_MAX_ROWS))


def scaled_sigmoid(position: float) -> float:
    """NAB's reward curve: ~0.987 at -1 (window start), 0 at 0 (window end), -1 beyond 3 (far after).

    >>> round(scaled_sigmoid(-1.0), 5), scaled_sigmoid(0.0), scaled_sigmoid(3.5)
    (0.98661, 0.0, -1.0)
    """
    if position > 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * position)) - 1.0


def row_rewards(series: LabelledSeries, profile: Profile) -> tuple[np.ndarray, np.ndarray]:
    """Per row: what a detection there is worth, and the id of the window it belongs to.

    Window ids are 0.. for windows, ``OUTSIDE`` elsewhere, ``PROBATIONARY`` in the probationary period.
    """
    n = series.n_rows
    reward = np.empty(n)
    window_id = np.full(n, OUTSIDE, dtype=np.int64)
    max_tp = scaled_sigmoid(-1.0)
    previous_right: int | None = None
    previous_width = 0.0
    start = 0
    for wid, (left, right) in enumerate(sorted(series.windows)):
        _fill_after_window(reward, start, left, previous_right, previous_width, profile)
        width = float(right - left + 1)
        rows = np.arange(left, right + 1)
        position = -(right - rows + 1) / width
        reward[left : right + 1] = [scaled_sigmoid(p) * profile.tp_weight / max_tp for p in position]
        window_id[left : right + 1] = wid
        previous_right, previous_width, start = right, width, right + 1
    _fill_after_window(reward, start, n, previous_right, previous_width, profile)
    window_id[: probation_length(n)] = PROBATIONARY
    return reward, window_id


def _fill_after_window(
    reward: np.ndarray,
    start: int,
    stop: int,
    previous_right: int | None,
    previous_width: float,
    profile: Profile,
) -> None:
    """False-positive cost of rows [start, stop): full weight before any window, else by distance past it."""
    if start >= stop:
        return
    if previous_right is None:
        reward[start:stop] = -profile.fp_weight
        return
    span = max(previous_width - 1.0, 1.0)  # NAB divides by width - 1; a 1-row window would divide by 0
    distance = (np.arange(start, stop) - previous_right) / span
    reward[start:stop] = [scaled_sigmoid(d) * profile.fp_weight for d in distance]


@dataclass(frozen=True)
class Sweep:
    """Corpus score for every candidate threshold, highest threshold first (``NOTHING_DETECTED`` first)."""

    thresholds: np.ndarray
    scores: np.ndarray

    def best(self) -> tuple[float, float]:
        """(threshold, raw score) of the best threshold; ties go to the highest threshold, as in NAB."""
        i = int(np.argmax(self.scores))
        return float(self.thresholds[i]), float(self.scores[i])


def sweep(series: Sequence[LabelledSeries], scores: Sequence[np.ndarray], profile: Profile) -> Sweep:
    """Score the pooled corpus at every distinct anomaly score used as threshold (detection: score >= t)."""
    anomaly, reward, window = [], [], []
    offset = 0
    n_windows = 0
    for s, a in zip(series, scores, strict=True):
        a = np.asarray(a, dtype=float)
        if a.shape != (s.n_rows,):
            raise ValueError(f"{s.name}: {a.shape[0]} scores for {s.n_rows} rows")
        r, w = row_rewards(s, profile)
        keep = w != PROBATIONARY
        anomaly.append(a[keep])
        reward.append(r[keep])
        window.append(np.where(w[keep] >= 0, w[keep] + offset, OUTSIDE))
        offset += len(s.windows)
        n_windows += len(set(w[keep][w[keep] >= 0].tolist()))
    a = np.concatenate(anomaly)
    r = np.concatenate(reward)
    w = np.concatenate(window)
    order = np.argsort(-a, kind="stable")
    a, r, w = a[order], r[order], w[order]

    # Score after detecting the first k rows (in descending anomaly order): FP costs add up; a window's
    # contribution moves from -fn_weight to the best reward among its detected rows (its earliest one).
    gain = np.where(w == OUTSIDE, r, 0.0)
    inside = np.flatnonzero(w >= 0)
    if inside.size:
        best = {}
        for i in inside:
            wid = w[i]
            old = best.get(wid, -profile.fn_weight)
            if r[i] > old:
                best[wid] = r[i]
                gain[i] += r[i] - old
    after = -profile.fn_weight * n_windows + np.cumsum(gain)
    last_of_value = np.flatnonzero(np.append(a[1:] != a[:-1], True))
    thresholds = np.concatenate(([NOTHING_DETECTED], a[last_of_value]))
    totals = np.concatenate(([-profile.fn_weight * n_windows], after[last_of_value]))
    return Sweep(thresholds=thresholds, scores=totals)


def file_score(
    series: LabelledSeries, scores: np.ndarray, threshold: float, profile: Profile
) -> tuple[float, int, int, int]:
    """Raw score of one file at a fixed threshold, with (windows detected, windows missed, FP rows)."""
    reward, window = row_rewards(series, profile)
    detected = (np.asarray(scores) >= threshold) & (window != PROBATIONARY)
    fp = detected & (window == OUTSIDE)
    total = float(reward[fp].sum())
    hits = misses = 0
    for wid in sorted(set(window[window >= 0].tolist())):
        in_window = detected & (window == wid)
        if in_window.any():
            total += float(reward[in_window].max())
            hits += 1
        else:
            total -= profile.fn_weight
            misses += 1
    return total, hits, misses, int(fp.sum())


def null_and_perfect(series: Sequence[LabelledSeries], profile: Profile) -> tuple[float, float]:
    """Raw scores of the null detector (every window missed) and the perfect one (every window at once).

    Windows that end inside the probationary period are never scored, so they count in neither.
    """
    n_windows = sum(1 for s in series for _, right in s.windows if right >= probation_length(s.n_rows))
    return -profile.fn_weight * n_windows, profile.tp_weight * n_windows


def evaluate(series: Sequence[LabelledSeries], scores: Sequence[np.ndarray], profile: Profile) -> Evaluation:
    """Optimise the threshold on the pooled corpus, score each file with it and normalise as NAB does."""
    threshold, _ = sweep(series, scores, profile).best()
    per_file: dict[str, float] = {}
    hits = misses = fps = 0
    for s, a in zip(series, scores, strict=True):
        raw, h, m, f = file_score(s, a, threshold, profile)
        per_file[s.name] = raw
        hits, misses, fps = hits + h, misses + m, fps + f
    raw_total = sum(per_file.values())
    null, perfect = null_and_perfect(series, profile)
    normalised = 100.0 * (raw_total - null) / (perfect - null) if perfect != null else 0.0
    return Evaluation(
        profile=profile.name,
        threshold=threshold,
        raw=raw_total,
        normalised=normalised,
        per_file_raw=per_file,
        true_positives=hits,
        false_negatives=misses,
        false_positive_rows=fps,
    )


# --- cross-validation: settings and threshold chosen on one half of the files, scored on the other -------


@dataclass(frozen=True)
class Fold:
    """One direction of the cross-validation: what was chosen on ``chosen_on`` and how it scored on the
    held-out files."""

    chosen_on: tuple[str, ...]  # file names the setting and threshold were chosen on
    setting: str
    threshold: float
    chosen_normalised: float  # in-sample score on the files it was chosen on
    held_out_normalised: float  # score on the other half, with that setting and threshold


@dataclass(frozen=True)
class CrossValidation:
    """Both held-out halves pooled and normalised together: a figure no label of a scored file tuned."""

    profile: str
    normalised: float
    folds: tuple[Fold, ...]


def halves(names: Sequence[str]) -> tuple[list[int], list[int]]:
    """Two halves of the files, alternating inside each category (``category/name``, sorted), so both
    halves hold every kind of series."""
    first: list[int] = []
    second: list[int] = []
    by_category: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        by_category.setdefault(name.split("/")[0], []).append(i)
    flip = False
    for category in sorted(by_category):
        for i in sorted(by_category[category], key=lambda i: names[i]):
            (second if flip else first).append(i)
            flip = not flip
    return sorted(first), sorted(second)


def cross_validate(
    series: Sequence[LabelledSeries],
    scores_by_setting: dict[str, Sequence[np.ndarray]],
    profile: Profile,
    split: tuple[Sequence[int], Sequence[int]] | None = None,
) -> CrossValidation:
    """For each half: the setting (among ``scores_by_setting``) and threshold that score best on it, then
    the other half scored at that threshold with that setting's scores; the two held-out halves are pooled
    and normalised as one corpus.

    >>> a = LabelledSeries("a/1", n_rows=100, windows=((40, 49),))
    >>> b = LabelledSeries("a/2", n_rows=100, windows=((60, 69),))
    >>> good = [np.eye(100)[40], np.eye(100)[60]]
    >>> cv = cross_validate([a, b], {"good": good, "null": [np.zeros(100)] * 2}, STANDARD)
    >>> round(cv.normalised, 6), [f.setting for f in cv.folds]
    (100.0, ['good', 'good'])
    """
    first, second = split or halves([s.name for s in series])
    folds = []
    held_out_raw = 0.0
    for chosen_on, held_out in ((first, second), (second, first)):
        train = [series[i] for i in chosen_on]
        best: tuple[float, str, float] | None = None
        for name, scores in scores_by_setting.items():
            result = evaluate(train, [scores[i] for i in chosen_on], profile)
            if best is None or result.normalised > best[0]:
                best = (result.normalised, name, result.threshold)
        assert best is not None
        chosen_normalised, setting, threshold = best
        test = [series[i] for i in held_out]
        raw = sum(
            file_score(s, scores_by_setting[setting][i], threshold, profile)[0]
            for s, i in zip(test, held_out, strict=True)
        )
        null, perfect = null_and_perfect(test, profile)
        held_out_raw += raw
        folds.append(
            Fold(
                tuple(s.name for s in train),
                setting,
                threshold,
                chosen_normalised,
                100.0 * (raw - null) / (perfect - null) if perfect != null else 0.0,
            )
        )
    null, perfect = null_and_perfect(series, profile)
    normalised = 100.0 * (held_out_raw - null) / (perfect - null) if perfect != null else 0.0
    return CrossValidation(profile.name, normalised, tuple(folds))
