"""Anomaly likelihood: how unusual is the *recent* level of a raw anomaly score, given its own history.

Raw scores of a noisy series are often high; what matters is a stretch of scores higher than this series
usually produces. Following the method Numenta published with its benchmark (Ahmad et al., 2017), the raw
score is averaged over a short window, the distribution of these averages is estimated as a Gaussian over
a long window (re-estimated every ``reestimation_period`` points), and the upper tail probability ``p`` of
the current average is turned into a score on a log scale: ``log(p) / log(1e-10)`` (p = 1e-5 gives 0.5).
A run of extreme tails is reported once: while the previous point was already extreme, ``p`` is raised to
a "warning" level so that one event does not alarm at every point.

>>> likelihood = AnomalyLikelihood(learning_period=20, estimation_samples=20, reestimation_period=10)
>>> scores = [likelihood.update(0.1 if i % 2 else 0.2) for i in range(100)]
>>> max(scores[40:]) < 0.1
True
>>> likelihood.peek(1.0) > 0.5  # a sudden jump of the raw score
True
"""

from __future__ import annotations

import collections
import math
from dataclasses import dataclass

RED_TAIL = 1e-5  # tail probability of an extreme point
WARNING_TAIL = 1e-3  # what a second extreme point in a row is lowered to
LOG_FLOOR = 1e-10
MIN_MEAN = 0.03  # floors of the fitted Gaussian: a series whose raw score is always ~0 must not alarm
MIN_VARIANCE = 0.0003  # on the first blip


@dataclass
class _Gaussian:
    mean: float
    std: float


class AnomalyLikelihood:
    """Turn raw anomaly scores in [0, 1] into log-scaled likelihood scores in [0, 1].

    Parameters
    ----------
    learning_period
        First averaged scores ignored when fitting (the underlying detector is still learning).
    estimation_samples
        Points after the learning period before the first fit; until then the score is 0.5 tail (0.03).
    historic_window
        How many averaged scores the fit looks at.
    reestimation_period
        Refit every that many points.
    averaging_window
        Raw scores averaged into one.
    """

    def __init__(
        self,
        learning_period: int = 375,
        estimation_samples: int = 375,
        historic_window: int = 8640,
        reestimation_period: int = 100,
        averaging_window: int = 10,
    ) -> None:
        self.learning_period = learning_period
        self.estimation_samples = estimation_samples
        self.historic_window = historic_window
        self.reestimation_period = reestimation_period
        self.averaging_window = averaging_window
        self._recent: collections.deque[float] = collections.deque(maxlen=averaging_window)
        self._history: collections.deque[float] = collections.deque(maxlen=historic_window)
        self._seen = 0
        self._fit: _Gaussian | None = None
        self._previous_tail = 1.0

    @property
    def warming_up(self) -> bool:
        return self._seen < self.learning_period + self.estimation_samples

    def _average_with(self, raw: float) -> float:
        window = list(self._recent)[1:] if len(self._recent) == self.averaging_window else list(self._recent)
        window.append(raw)
        return sum(window) / len(window)

    def _refit(self) -> _Gaussian:
        values = list(self._history)[self.learning_period :] or list(self._history)
        mean = sum(values) / len(values)
        variance = sum((v - mean) ** 2 for v in values) / len(values)
        return _Gaussian(max(mean, MIN_MEAN), math.sqrt(max(variance, MIN_VARIANCE)))

    def _fit_for_next(self) -> _Gaussian | None:
        """The Gaussian the next point is judged against (refitted every ``reestimation_period``)."""
        if self.warming_up:
            return None
        if self._fit is None or self._seen % self.reestimation_period == 0:
            return self._refit()
        return self._fit

    def _tail(self, raw: float, fit: _Gaussian | None) -> float:
        if fit is None:
            return 0.5
        z = (self._average_with(raw) - fit.mean) / fit.std
        return 0.5 * math.erfc(z / math.sqrt(2.0))

    @staticmethod
    def _log_score(tail: float) -> float:
        return math.log(tail + LOG_FLOOR) / math.log(LOG_FLOOR)

    def _reported_tail(self, tail: float) -> float:
        return WARNING_TAIL if tail <= RED_TAIL and self._previous_tail <= RED_TAIL else tail

    def peek(self, raw: float) -> float:
        """The score ``update(raw)`` would return, without changing any state."""
        return self._log_score(self._reported_tail(self._tail(raw, self._fit_for_next())))

    def update(self, raw: float) -> float:
        """Score ``raw`` (the raw score of the newest point) and learn it."""
        self._fit = self._fit_for_next()
        tail = self._tail(raw, self._fit)
        score = self._log_score(self._reported_tail(tail))
        self._previous_tail = tail
        self._recent.append(raw)
        self._history.append(sum(self._recent) / len(self._recent))
        self._seen += 1
        return score
