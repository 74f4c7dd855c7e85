"""The emergence tests on count matrices: growth, significance, persistence, rarity, season, spread."""

import numpy as np
from scipy import stats

from signals.core.settings import DetectionSettings
from signals.stages.emergence import poisson_cusum, score_terms

PARAMS = DetectionSettings()
WEEKS = 60


def _score(columns: dict[str, np.ndarray], spread: int = 3, params: DetectionSettings = PARAMS):
    counts = np.stack(list(columns.values()), axis=1).astype(float)
    totals = np.full(WEEKS, 200.0)
    scores = score_terms(counts, totals, np.full(counts.shape[1], spread), params)
    return dict(zip(columns, scores.weak, strict=True)), scores


def _series(recent: list[int], base: float = 0.0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = rng.poisson(base, WEEKS).astype(float)
    values[-len(recent) :] = recent
    return values


def test_growing_new_theme_is_weak_and_ordinary_ones_are_not():
    weak, scores = _score(
        {
            "emerging": _series([1, 2, 3, 5]),
            "stable": _series([6, 4, 5, 6], base=5.0),
            "noise": _series([1, 0, 2, 1], base=0.8, seed=3),
        }
    )
    assert weak == {"emerging": True, "stable": False, "noise": False}
    assert scores.growth[0] > 10 and scores.significance[0] > PARAMS.min_significance


def test_one_week_spike_is_an_event_not_a_weak_signal():
    weak, _ = _score({"spike": _series([0, 0, 12, 0])})
    assert weak == {"spike": False}


def test_frequent_theme_is_not_rare():
    weak, scores = _score({"big": _series([20, 30, 40, 50])})
    assert not weak["big"] and scores.share[0] > PARAMS.max_recent_share


def test_seasonal_theme_is_not_new():
    season = np.zeros(WEEKS)
    season[WEEKS - 52 - 4 : WEEKS - 52] = [2, 3, 4, 3]  # the same weeks a year earlier
    season[-4:] = [2, 3, 4, 3]
    weak, scores = _score({"christmas": season})
    assert not weak["christmas"] and scores.last_year_share[0] > 0


def test_theme_in_one_place_only_is_not_spreading():
    weak, _ = _score({"local": _series([1, 2, 3, 5])}, spread=1)
    assert weak == {"local": False}


def test_bursty_history_lowers_significance():
    calm = _series([2, 3, 3, 4], base=0.3, seed=1)
    bursty = calm.copy()
    bursty[10:14] = [6, 8, 0, 7]  # earlier bursts of the same size
    _, scores = _score({"calm": calm, "bursty": bursty})
    assert scores.significance[1] < scores.significance[0]


def test_emergence_map_quadrants():
    _, scores = _score(
        {
            "weak": _series([1, 2, 3, 5]),
            "strong": _series([20, 30, 40, 50], base=2.0),
            "well_known": _series([20, 20, 20, 20], base=20.0),
            "latent": _series([1, 0, 1, 0], base=0.5),
        }
    )
    assert list(scores.quadrants()) == ["weak", "strong", "well_known", "latent"]


def test_a_burst_lasting_two_weeks_is_an_event_and_a_one_week_spike_is_not():
    _, scores = _score(
        {
            "shortage": _series([0, 0, 25, 18]),  # sudden, and still there the next week
            "spike": _series([0, 0, 0, 25]),  # this week only
            "spike_gone": _series([0, 0, 25, 0]),  # last week only
            "ordinary": _series([6, 4, 5, 6], base=5.0),
        }
    )
    assert scores.event is not None
    assert scores.event.tolist() == [True, False, False, False]
    assert scores.score[0] > 0 and scores.score[1] == scores.score[2] == 0
    assert scores.run_weeks is not None and scores.run_weeks[0] == 2


def test_two_small_weeks_in_a_row_are_no_event_without_the_evidence_any_signal_needs():
    _, scores = _score(
        {
            "small": _series([0, 0, 6, 6], base=0.5, seed=1),  # each week above its baseline, not much more
            "shortage": _series([0, 0, 10, 9], base=1.0, seed=1),
        }
    )
    assert scores.event is not None and scores.run_weeks is not None
    assert scores.run_weeks.tolist() == [2, 2]
    assert scores.event.tolist() == [False, True]
    assert scores.significance[0] < PARAMS.min_significance <= scores.significance[1]


def test_a_frequent_lasting_burst_is_an_event_though_not_rare():
    _, scores = _score({"big": _series([0, 0, 60, 50], base=0.5)})
    assert scores.event is not None and scores.event[0] and not scores.weak[0]
    assert scores.share[0] > PARAMS.max_recent_share


def test_one_outlet_cannot_show_diffusion_so_it_is_not_required():
    counts = _series([1, 2, 3, 5])[:, None]
    one = score_terms(counts, np.full(WEEKS, 200.0), np.array([1]), PARAMS, available_places=1)
    many = score_terms(counts, np.full(WEEKS, 200.0), np.array([1]), PARAMS, available_places=3)
    assert one.weak[0] and not many.weak[0]


def test_an_everyday_word_swelling_with_big_news_is_no_event_nor_resurgence():
    _, scores = _score({"everyday": _series([60, 55, 90, 85], base=40.0)})  # 20 % of documents, then more
    assert scores.event is not None and scores.resurgent is not None
    assert not scores.event[0] and not scores.resurgent[0]


def test_a_faded_theme_back_far_beyond_its_past_peak_is_resurgent():
    wave = np.zeros(WEEKS)
    wave[10:16] = [2, 3, 4, 4, 3, 2]  # a first wave, long gone
    wave[-4:] = [8, 12, 15, 18]  # back at four times its past peak
    again = np.zeros(WEEKS)
    again[10:16] = [2, 3, 4, 4, 3, 2]
    again[-4:] = [2, 3, 4, 3]  # back, but within its past range
    _, scores = _score({"wave": wave, "again": again})
    assert scores.resurgent is not None and scores.resurgent.tolist() == [True, False]
    assert scores.historical_share is not None and scores.historical_share[0] > 0


SEQUENTIAL = DetectionSettings(cusum_arl_weeks=1e5)  # the sequential test on (off by default)


def test_a_slow_rise_crosses_the_sequential_test_before_the_recent_weeks_test_would():
    # One or two documents a week for eight weeks of a theme never seen: no four weeks of it are
    # significant once the busiest week is cut, but the evidence accumulated week after week is.
    rise = np.zeros(WEEKS)
    rise[-8:] = [1, 1, 1, 0, 0, 1, 1, 2]
    weak, scores = _score({"rise": rise}, params=SEQUENTIAL)
    assert scores.significance[0] < PARAMS.min_significance  # the recent weeks' test alone misses it
    assert _score({"rise": rise})[0] == {"rise": False}  # as it does with the sequential test off
    assert scores.cusum is not None and scores.cusum[0] >= np.log(1e5)
    assert weak == {"rise": True} and scores.sequential is not None and scores.sequential[0]
    earlier, _ = _score(
        {"rise": np.concatenate([[0.0], rise[:-1]])}, params=SEQUENTIAL
    )  # one week earlier: not yet
    assert earlier == {"rise": False}


def test_no_single_week_carries_the_sequential_test():
    weak, scores = _score({"spike": _series([0, 0, 0, 9])}, params=SEQUENTIAL)
    assert scores.cusum is not None and scores.cusum[0] < np.log(1e5)
    assert weak == {"spike": False}


def _first_crossings(counts: np.ndarray, totals: np.ndarray, share: float, params) -> np.ndarray:
    """Whether each column's CUSUM crossed its threshold in any week (the statistic week after week)."""
    h = np.log(params.cusum_arl_weeks)
    crossed = np.zeros(counts.shape[1], dtype=bool)
    for t in range(1, counts.shape[0] + 1):
        crossed |= poisson_cusum(counts[:t], totals[:t], np.full(counts.shape[1], share), params) >= h
    return crossed


def test_a_stationary_theme_rarely_crosses_the_sequential_test():
    # In control the CUSUM crosses within T weeks with probability at most T / ARL0 (Ville's inequality for
    # the likelihood ratio from each start week, summed over the starts): checked on simulated themes.
    rng = np.random.default_rng(12)
    weeks, themes, totals = 104, 2000, np.full(104, 200.0)
    for share, arl in ((0.01, 500.0), (0.002, 500.0), (0.01, 1e5)):
        params = DetectionSettings(cusum_arl_weeks=arl)
        counts = rng.poisson(share * totals[:, None], size=(weeks, themes)).astype(float)
        crossed = _first_crossings(counts, totals, share, params)
        # at most the bound, give or take the sampling noise of 2000 themes (binomial, 1 in 1000)
        assert crossed.sum() <= stats.binom.ppf(0.999, themes, weeks / arl)
    params = DetectionSettings(cusum_arl_weeks=500.0)  # a theme doubling for 20 weeks crosses, most often
    counts = rng.poisson(0.02 * totals[:20, None], size=(20, 200)).astype(float)
    assert _first_crossings(counts, totals[:20], 0.01, params).mean() > 0.5
