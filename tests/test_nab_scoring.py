"""Our NAB scorer on tiny synthetic files whose scores can be worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from bench.nab_scoring import (
    REWARD_LOW_FN,
    STANDARD,
    LabelledSeries,
    cross_validate,
    evaluate,
    file_score,
    halves,
    probation_length,
    scaled_sigmoid,
    sweep,
)

# 200 rows: the first 30 are probationary (15 %), one window over rows 100..119.
TOY = LabelledSeries("toy.csv", n_rows=200, windows=((100, 119),))


def detections(*rows: int, n: int = 200) -> np.ndarray:
    scores = np.zeros(n)
    scores[list(rows)] = 1.0
    return scores


def raw(scores: np.ndarray, series: LabelledSeries = TOY, threshold: float = 1.0) -> float:
    return file_score(series, scores, threshold, STANDARD)[0]


def test_perfect_detector_scores_100_and_null_scores_0():
    assert evaluate([TOY], [detections(100)], STANDARD).normalised == pytest.approx(100.0)
    assert evaluate([TOY], [np.zeros(200)], STANDARD).normalised == pytest.approx(0.0)


def test_reward_is_the_scaled_sigmoid_of_the_position_in_the_window():
    assert scaled_sigmoid(-1.0) == pytest.approx(0.98661, abs=1e-5)
    assert scaled_sigmoid(0.0) == 0.0
    assert scaled_sigmoid(3.5) == -1.0
    # Row 110 is at position -(119 - 110 + 1) / 20 = -0.5, rewarded S(-0.5) / S(-1).
    assert raw(detections(110)) == pytest.approx(scaled_sigmoid(-0.5) / scaled_sigmoid(-1.0))


def test_early_detection_in_a_window_earns_more_than_late_and_only_the_first_counts():
    early, middle, late = raw(detections(101)), raw(detections(110)), raw(detections(119))
    assert 1.0 > early > middle > late > 0.0
    assert raw(detections(101, 110, 119)) == pytest.approx(early)


def test_a_missed_window_costs_the_false_negative_weight():
    assert raw(np.zeros(200)) == -STANDARD.fn_weight
    assert file_score(TOY, np.zeros(200), 1.0, REWARD_LOW_FN)[0] == -2.0


def test_false_positives_cost_more_far_from_a_window_than_just_after_it():
    hit = raw(detections(100))
    before_window = raw(detections(100, 50)) - hit
    just_after = raw(detections(100, 121)) - hit
    far_after = raw(detections(100, 190)) - hit
    assert before_window == pytest.approx(-STANDARD.fp_weight)
    assert -STANDARD.fp_weight < far_after < just_after < 0.0


def test_probationary_rows_are_not_scored():
    assert probation_length(200) == 30
    assert raw(detections(100, 10)) == raw(detections(100))


def test_threshold_is_optimised_on_the_pooled_corpus():
    scores = np.zeros(200)
    scores[105] = 0.9  # the anomaly
    scores[60] = 0.5  # a weaker false alarm
    result = evaluate([TOY], [scores], STANDARD)
    assert result.threshold == 0.9
    assert result.false_positive_rows == 0 and result.true_positives == 1


def test_sweep_agrees_with_scoring_each_file_at_every_threshold():
    rng = np.random.default_rng(0)
    other = LabelledSeries("other.csv", n_rows=300, windows=((50, 69), (200, 239)))
    series = [TOY, other]
    scores = [np.round(rng.random(200), 2), np.round(rng.random(300), 2)]
    result = sweep(series, scores, STANDARD)
    for threshold, total in zip(result.thresholds, result.scores, strict=True):
        by_file = sum(file_score(s, a, threshold, STANDARD)[0] for s, a in zip(series, scores, strict=True))
        assert total == pytest.approx(by_file)


def test_scores_must_match_the_file_length():
    with pytest.raises(ValueError, match="scores for 200 rows"):
        evaluate([TOY], [np.zeros(10)], STANDARD)


def test_halves_alternate_inside_each_category():
    names = ["b/1.csv", "a/1.csv", "a/2.csv", "b/2.csv", "a/3.csv"]
    first, second = halves(names)
    assert sorted(first + second) == [0, 1, 2, 3, 4]
    assert {names[i].split("/")[0] for i in first} == {names[i].split("/")[0] for i in second} == {"a", "b"}


def test_cross_validation_scores_each_half_with_what_the_other_half_chose():
    series = [LabelledSeries(f"c/{i}.csv", n_rows=200, windows=((100, 119),)) for i in range(4)]
    first, second = [0, 2], [1, 3]
    # "lucky" detects the windows of the first half only (at a late row of the others: by chance),
    # "steady" detects every window a little late.
    lucky = [detections(100) if i in first else detections(60) for i in range(4)]
    steady = [detections(110) for _ in range(4)]
    cv = cross_validate(series, {"lucky": lucky, "steady": steady}, STANDARD, (first, second))
    chosen = {f.chosen_on: f.setting for f in cv.folds}
    assert chosen == {("c/0.csv", "c/2.csv"): "lucky", ("c/1.csv", "c/3.csv"): "steady"}
    in_sample = evaluate(series, steady, STANDARD).normalised  # the best single setting on all files
    held_out = {f.setting: f.held_out_normalised for f in cv.folds}
    assert held_out["lucky"] < 0 < held_out["steady"]  # lucky misses every window of the other half
    assert cv.normalised < in_sample
