"""Emergence scoring of terms or topics from their weekly document counts.

A weak signal is a theme that is still **rare**, **significantly growing** and **spreading**:

- *growth and significance*: the theme's share of the recent weeks' documents is compared with its expected
  share, an exponentially weighted (EWMA) average of the earlier weeks (never below its long-run average over
  the whole history read, so that a theme that recurs now and then is not new each time). The recent count is tested against
  a negative-binomial law with that mean and the EWMA excess variance of the weekly shares (a Poisson law
  when the baseline shows no over-dispersion), so that themes that were already bursty do not alarm;
- *persistence*: documents in at least ``min_active_weeks`` of the recent weeks, and the growth and the test
  are computed with the busiest recent week cut down to the second busiest (a one-week spike is an event, not
  an emerging theme);
- *rarity*: recent share at most ``max_recent_share``;
- *novelty against the season*: a theme whose share one year earlier, in the same weeks, was already
  comparable is seasonal, not emerging;
- *diffusion*: in at least ``min_spread`` distinct communes or sources recently (or in every place that
  published recently, when fewer than ``min_spread`` did: one outlet cannot show diffusion).

*Sequential evidence* (``poisson_cusum``): a slow rise may stay under the test of the recent weeks while
its evidence accumulates week after week. Page's CUSUM of the Poisson log-likelihood ratio of each week's
count (the smallest rise worth a signal: ``min_growth`` times the baseline, and at least ``min_recent_docs``
documents over ``recent_weeks``) against the baseline, run over the weeks after the baseline and reset at
0, crosses its threshold ``h = ln(cusum_arl_weeks)`` at most once per ``cusum_arl_weeks`` weeks on average
while the theme keeps its baseline rate (Lorden, 1971: the in-control run length of a CUSUM of likelihood
ratios is at least ``e^h``). No single week may carry more than ``h / min_active_weeks`` of it (a one-off
story is no rise). A theme whose CUSUM crosses passes the significance test; it must pass every other test
of a weak signal (rarity, growth, persistence, diffusion, season).

A **lasting event** is a burst rather than an emergence: each of the last ``event_weeks`` weeks is
significantly above the baseline on its own (the same test, week by week, at ``event_significance``), the
recent weeks together are as significant as a weak signal must be (``min_significance``, busiest week cut:
two small weeks in a row are no event) and the burst spreads; it need not be rare now, but it was before (expected share at most ``max_recent_share``:
everyday words swell with any big news). A one-week spike fails the test of its second week. A theme that passes
both tests is shown as emerging (the weak signal says more); a burst too large to be rare, or whose growth
does not hold once its busiest week is cut, as an event (or as a resurgence when it is also one: a known
theme's past says more than its burst).

A **resurgence** is a known theme back beyond its historical range: it had faded (its expected share below
half the highest share it had in any ``recent_weeks`` weeks of the baseline, as the lifecycle calls a
signal fading: an everyday word never fades), its recent share is at least ``resurgence_ratio`` times that
highest share, and the recent count (busiest week cut) is significant under a Poisson law at
that highest rate. The ordinary test
cannot see it: a theme that already had a wave carries that wave in its baseline's variance.

Degrees of visibility (DoV, time-weighted frequency) and diffusion (DoD, time-weighted share of places)
follow Yoon (2012, "Detecting weak signals for long-term business opportunities using text mining of Web
news", Expert Systems with Applications 39); their growth and the medians over all terms give the four
quadrants of the emergence map: weak (rare, growing), strong (frequent, growing), latent (rare, not growing),
well-known (frequent, not growing).

Everything here is vectorised over terms: rows are weeks (oldest first, the analysed week last), columns
are terms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from signals.core.lifecycle import FADED
from signals.core.settings import DetectionSettings

PERIOD_WEEKS = 4  # DoV / DoD are computed on 4-week periods


@dataclass
class Scores:
    """Per-term arrays (one value per column of the counts)."""

    recent: np.ndarray  # documents in the recent weeks
    expected: np.ndarray  # expected documents in the recent weeks under the baseline
    share: np.ndarray  # recent share of documents
    baseline_share: np.ndarray
    growth: np.ndarray  # share / baseline share
    significance: np.ndarray  # -log10 p of the recent count under the baseline law
    active_weeks: np.ndarray
    last_year_share: np.ndarray  # NaN when the history does not reach one year back
    spread: np.ndarray  # distinct places (communes or sources) recently
    dov: np.ndarray
    dod: np.ndarray
    dov_growth: np.ndarray
    dod_growth: np.ndarray
    weak: np.ndarray  # bool: passes every test
    score: np.ndarray  # ranking score (0 when neither weak nor an event)
    event: np.ndarray | None = None  # bool: a lasting burst (each of the last event_weeks weeks elevated)
    run_weeks: np.ndarray | None = None  # consecutive elevated weeks up to the analysed one
    resurgent: np.ndarray | None = None  # bool: a known theme back beyond its historical range
    historical_share: np.ndarray | None = None  # highest share in any recent_weeks weeks of the baseline
    cusum: np.ndarray | None = None  # the sequential test's statistic at the analysed week (nats)
    sequential: np.ndarray | None = None  # bool: weak by the sequential test only (the recent test missed it)

    def medians(self) -> tuple[float, float]:
        """The emergence map's axes split: median degree of visibility and median growth of all terms."""
        if self.dov.size == 0:
            return 0.0, 1.0
        return float(np.median(self.dov)), float(np.median(self.dov_growth))

    def quadrants(self) -> list[str]:
        """Emergence-map quadrant of each term."""
        mids = self.medians()
        return [quadrant(float(x), float(y), mids) for x, y in zip(self.dov, self.dov_growth, strict=True)]


def quadrant(dov: float, dov_growth: float, mids: tuple[float, float]) -> str:
    """weak (rare, growing), strong (frequent, growing), latent (rare, flat), well_known (frequent, flat)."""
    frequent, growing = dov > mids[0], dov_growth > mids[1]
    if growing:
        return "strong" if frequent else "weak"
    return "well_known" if frequent else "latent"


def score_terms(
    counts: np.ndarray,
    totals: np.ndarray,
    spread: np.ndarray,
    params: DetectionSettings,
    places_counts: np.ndarray | None = None,
    places_totals: np.ndarray | None = None,
    available_places: int | None = None,
) -> Scores:
    """Score each column of ``counts`` (weeks x terms, documents per week) against its own history.

    ``totals``: documents per week (all terms). ``spread``: distinct places of each term in the recent weeks.
    ``places_counts`` / ``places_totals``: distinct places per week per term / in all (for the DoD);
    when omitted, the DoD uses the document counts. ``available_places``: distinct places that published in
    the recent weeks (the diffusion required is at most that).

    >>> counts = np.zeros((30, 2)); totals = np.full(30, 100.0)
    >>> counts[:, 0] = 5                      # a stable theme
    >>> counts[-4:, 1] = [1, 2, 3, 4]         # a new, growing one
    >>> s = score_terms(counts, totals, spread=np.array([5, 3]), params=DetectionSettings())
    >>> s.weak.tolist()
    [False, True]
    """
    counts = np.asarray(counts, dtype=float)
    totals = np.asarray(totals, dtype=float)
    weeks, _ = counts.shape
    r = min(params.recent_weeks, weeks)
    gap = min(params.baseline_gap_weeks, max(weeks - r - 1, 0))
    recent, base = counts[-r:], counts[: weeks - r - gap]
    n_recent, n_base = totals[-r:], totals[: weeks - r - gap]
    c_recent = recent.sum(axis=0)
    total_recent = max(float(n_recent.sum()), 1.0)
    share = c_recent / total_recent

    # EWMA baseline over the weeks before the recent window and the gap that separates them (age 1 = the
    # last baseline week): a theme rising slowly over a few weeks is not absorbed into its own baseline.
    highest = _highest_share(base, n_base, r)
    ages = np.arange(base.shape[0], 0, -1, dtype=float)
    w = 0.5 ** ((ages - 1) / params.ewma_halflife_weeks)
    weighted_docs = float((w * n_base).sum())
    ewma_share = ((w[:, None] * base).sum(axis=0) + params.prior_docs) / (weighted_docs + 1.0)
    # A theme that comes back now and then is expected at its long-run rate even after a quiet spell.
    long_run = (base.sum(axis=0) + params.prior_docs) / (float(n_base.sum()) + 1.0)
    base_share = np.maximum(ewma_share, long_run)
    expected = base_share * total_recent

    # Excess variance of the weekly shares beyond what Poisson noise explains.
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = np.where(n_base[:, None] > 0, base / np.maximum(n_base[:, None], 1.0), 0.0)
    if base.shape[0] >= 2 and w.sum() > 0:
        mean_share = (w[:, None] * shares).sum(axis=0) / w.sum()
        var_share = (w[:, None] * (shares - mean_share) ** 2).sum(axis=0) / w.sum()
        mean_docs = max(weighted_docs / w.sum(), 1.0)
        excess_per_doc2 = np.maximum(var_share - mean_share / mean_docs, 0.0)
    else:
        excess_per_doc2 = np.zeros_like(expected)
    excess = excess_per_doc2 * float((n_recent**2).sum())
    # The tests use the recent count with its busiest week cut down to the second busiest: no single week
    # (a one-off story) can carry a signal on its own.
    ordered = np.sort(recent, axis=0)
    robust = c_recent - ordered[-1] + (ordered[-2] if r >= 2 else 0.0)
    significance = _upper_tail_significance(robust, expected, excess)
    run = _elevated_run(recent, n_recent, base_share, excess_per_doc2, params)
    beyond = _upper_tail_significance(robust, highest * total_recent, np.zeros_like(highest))

    if params.cusum_arl_weeks:
        cusum = poisson_cusum(counts[weeks - r - gap :], totals[weeks - r - gap :], base_share, params)
        accumulated = cusum >= np.log(params.cusum_arl_weeks)
    else:
        cusum, accumulated = np.zeros_like(base_share), np.zeros_like(base_share, dtype=bool)
    growth = robust / total_recent / np.maximum(base_share, 1e-12)
    active = (recent > 0).sum(axis=0)
    last_year = _last_year_share(counts, totals, r)

    dov, dov_growth = _degree(counts, totals, params.time_weight)
    if places_counts is not None and places_totals is not None:
        dod, dod_growth = _degree(places_counts, places_totals, params.time_weight)
    else:
        dod, dod_growth = dov, dov_growth

    seasonal = np.nan_to_num(last_year, nan=0.0) >= params.seasonal_ratio * share
    min_spread = min(params.min_spread, available_places) if available_places else params.min_spread
    spreading = np.asarray(spread) >= max(min_spread, 1)
    weak = (
        (c_recent >= params.min_recent_docs)
        & ((significance >= params.min_significance) | accumulated)
        & (growth >= params.min_growth)
        & (share <= params.max_recent_share)
        & (active >= min(params.min_active_weeks, r))
        & spreading
        & ~seasonal
    )
    burst = recent[-min(params.event_weeks, r) :].sum(axis=0)
    was_rare = base_share <= params.max_recent_share  # everyday words burst with any big news
    event = (
        (run >= params.event_weeks)
        & (burst >= params.min_recent_docs)
        & (significance >= params.min_significance)  # the evidence any signal needs, over the recent weeks
        & was_rare
        & spreading
        & ~seasonal
    )
    resurgent = (
        (base.sum(axis=0) >= params.min_recent_docs)
        & was_rare
        & (highest > 0)
        & (base_share <= FADED * highest)  # it had faded: an everyday word never has
        & (share >= params.resurgence_ratio * highest)
        & (beyond >= params.min_significance)
        & (active >= min(params.min_active_weeks, r))
        & spreading
        & ~seasonal
    )
    sequential = weak & (significance < params.min_significance)
    strength = np.log2(1.0 + growth) * (1.0 + np.log2(np.maximum(spread, 1)))
    evidence = np.where(resurgent & ~weak, np.maximum(significance, beyond), significance)
    evidence = np.where(sequential, np.maximum(evidence, cusum / np.log(10.0)), evidence)
    score = np.where(weak | event | resurgent, np.minimum(evidence, 30.0) * strength, 0.0)
    return Scores(
        c_recent,
        expected,
        share,
        base_share,
        growth,
        significance,
        active,
        last_year,
        np.asarray(spread),
        dov,
        dod,
        dov_growth,
        dod_growth,
        weak,
        score,
        event,
        run,
        resurgent,
        highest,
        cusum,
        sequential,
    )


def _elevated_run(
    recent: np.ndarray,
    n_recent: np.ndarray,
    base_share: np.ndarray,
    excess_per_doc2: np.ndarray,
    params: DetectionSettings,
) -> np.ndarray:
    """Consecutive recent weeks, up to the analysed one, each significantly above the baseline on its own
    (and ``min_growth`` times its expected count)."""
    expected = base_share[None, :] * n_recent[:, None]
    excess = excess_per_doc2[None, :] * (n_recent[:, None] ** 2)
    significance = _upper_tail_significance(recent, expected, excess)
    elevated = (significance >= params.event_significance) & (recent >= params.min_growth * expected)
    run = np.zeros(recent.shape[1], dtype=int)
    going = np.ones(recent.shape[1], dtype=bool)
    for week in range(recent.shape[0] - 1, -1, -1):
        going &= elevated[week]
        run += going
    return run


def poisson_cusum(
    counts: np.ndarray, totals: np.ndarray, base_share: np.ndarray, params: DetectionSettings
) -> np.ndarray:
    """Page's one-sided CUSUM of each column's weekly counts (rows oldest first) at the last week, in nats.

    In control, a column's count of week t is Poisson with mean ``base_share * totals[t]``; the alternative
    is the smallest rise worth a signal: ``min_growth`` times that, and at least the rate that gives
    ``min_recent_docs`` documents over ``recent_weeks`` of this many documents. Each week adds the
    log-likelihood ratio ``x ln(l1/l0) - (l1 - l0)``, at most ``h / min_active_weeks`` (``h`` the threshold,
    ``ln(cusum_arl_weeks)``), and the sum is reset at 0 whenever it falls below.

    >>> params = DetectionSettings(cusum_arl_weeks=1e5)
    >>> slow = np.zeros((8, 1)); slow[-3:, 0] = [2, 3, 3]
    >>> stats_ = poisson_cusum(slow, np.full(8, 60.0), np.array([7e-4]), params)
    >>> bool(stats_[0] >= np.log(params.cusum_arl_weeks))
    True
    """
    counts = np.asarray(counts, dtype=float)
    totals = np.asarray(totals, dtype=float)
    if counts.shape[0] == 0:
        return np.zeros(counts.shape[1])
    mean_docs = max(float(totals.mean()), 1.0)
    floor = params.min_recent_docs / (params.recent_weeks * mean_docs)  # share worth a signal
    l0 = np.maximum(base_share, 1e-12)[None, :] * totals[:, None]
    l1 = np.maximum(params.min_growth * base_share, floor)[None, :] * totals[:, None]
    step = counts * np.log(np.maximum(l1, 1e-12) / np.maximum(l0, 1e-12)) - (l1 - l0)
    h = np.log(params.cusum_arl_weeks or 1e5)
    step = np.minimum(step, h / max(params.min_active_weeks, 1))
    statistic = np.zeros(counts.shape[1])
    for week in step:
        statistic = np.maximum(statistic + week, 0.0)
    return statistic


def _highest_share(base: np.ndarray, n_base: np.ndarray, r: int) -> np.ndarray:
    """Highest share of each column over any ``r`` consecutive baseline weeks (0 with fewer weeks)."""
    if base.shape[0] < r:
        return np.zeros(base.shape[1])
    counts = np.cumsum(np.vstack([np.zeros((1, base.shape[1])), base]), axis=0)
    totals = np.cumsum(np.concatenate([[0.0], n_base]))
    windows = (counts[r:] - counts[:-r]) / np.maximum(totals[r:] - totals[:-r], 1.0)[:, None]
    return windows.max(axis=0)


def _upper_tail_significance(observed: np.ndarray, mean: np.ndarray, excess_var: np.ndarray) -> np.ndarray:
    """-log10 P(X >= observed): negative binomial with the excess variance, Poisson without."""
    k = np.maximum(observed - 1, 0)
    poisson = stats.poisson.logsf(k, mean)
    over = excess_var > 1e-12
    size = np.where(over, mean**2 / np.maximum(excess_var, 1e-12), 1.0)
    prob = size / (size + mean)
    negbin = stats.nbinom.logsf(k, size, prob)
    logp = np.where(over, negbin, poisson)
    logp = np.where(observed > 0, logp, 0.0)
    return -logp / np.log(10.0)


def _last_year_share(counts: np.ndarray, totals: np.ndarray, r: int, slack: int = 2) -> np.ndarray:
    """Highest share of an r-week window one year earlier, shifted by up to ``slack`` weeks either way
    (a Christmas market or a summer festival does not fall on the same weeks every year)."""
    weeks = counts.shape[0]
    best = np.full(counts.shape[1], np.nan)
    for shift in range(-slack, slack + 1):
        stop = weeks - 52 + shift
        start = stop - r
        if start < 0 or stop > weeks - r:
            continue
        share = counts[start:stop].sum(axis=0) / max(float(totals[start:stop].sum()), 1.0)
        best = np.fmax(best, share)
    return best


def _degree(counts: np.ndarray, totals: np.ndarray, time_weight: float) -> tuple[np.ndarray, np.ndarray]:
    """Time-weighted degree (Yoon 2012) of the last period, and its growth over the previous periods.

    Per 4-week period j of n: degree_j = (count_j / total_j) * (1 - time_weight * (n - j)). The growth is the
    ratio of the last period's degree to the mean of the earlier ones (smoothed so a new term is finite).
    """
    weeks = counts.shape[0]
    n = max(weeks // PERIOD_WEEKS, 1)
    usable = n * PERIOD_WEEKS
    per_c = counts[weeks - usable :].reshape(n, PERIOD_WEEKS, -1).sum(axis=1)
    per_t = totals[weeks - usable :].reshape(n, PERIOD_WEEKS).sum(axis=1)
    weights = np.clip(1.0 - time_weight * (n - 1 - np.arange(n)), 0.0, 1.0)
    degree = per_c / np.maximum(per_t[:, None], 1.0) * weights[:, None]
    last = degree[-1]
    earlier = degree[:-1].mean(axis=0) if n > 1 else np.zeros_like(last)
    floor = 1.0 / max(float(per_t.mean()), 1.0)
    return last, (last + floor) / (earlier + floor)


def within_parent(
    inside: np.ndarray, parent: np.ndarray, params: DetectionSettings
) -> tuple[float, float, float]:
    """Growth and significance of a theme's share *of its parent's documents* (weekly counts, oldest first).

    A sub-theme is a part of a known theme that grows faster than the whole: a variant takes over an
    epidemic's news. Another phrase of the same theme keeps its share of the parent's documents, however
    fast the parent grows. The recent share (busiest week cut down to the second busiest, as above) is
    compared with the share before the gap by a binomial test. Returns growth, significance and the recent
    share; with fewer than ``min_recent_docs`` parent documents before the gap there is nothing to compare
    with (growth and significance 0).

    >>> parent = np.full(30, 20.0)
    >>> variant = np.zeros(30); variant[-4:] = [2, 5, 8, 12]
    >>> phrase = np.full(30, 6.0)
    >>> [round(g, 1) > 2 for g, _, _ in (within_parent(variant, parent, DetectionSettings()),
    ...                                   within_parent(phrase, parent, DetectionSettings()))]
    [True, False]
    """
    weeks = len(parent)
    r = min(params.recent_weeks, weeks)
    gap = min(params.baseline_gap_weeks, max(weeks - r - 1, 0))
    recent_in, recent_all = inside[-r:], parent[-r:]
    ordered = np.sort(recent_in)
    cut = float(ordered[-1] - (ordered[-2] if r >= 2 else 0.0))
    k = float(recent_in.sum()) - cut
    n = max(float(recent_all.sum()) - cut, 1.0)
    base_in, base_all = float(inside[: weeks - r - gap].sum()), float(parent[: weeks - r - gap].sum())
    if base_all < params.min_recent_docs or k <= 0:
        return 0.0, 0.0, k / n
    base_share = (base_in + params.prior_docs) / (base_all + 1.0)
    growth = k / n / base_share
    significance = -float(stats.binom.logsf(max(k - 1, 0), int(round(n)), min(base_share, 1.0))) / np.log(10)
    return growth, significance, k / n
