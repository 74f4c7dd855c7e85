"""Streaming anomaly detection for numeric series (observations, topic volumes): pure, River-based.

Scorers: distance to a level, distance to the point's seasonal phase, novelty of the value after its
recent sequence of values (``SequenceNovelty``), new extremes; each calibrated on the series' own history
by ``AnomalyLikelihood`` for high-frequency series.

``SeriesDetector(config_for(kind))`` scores each new point in [0, 1] before learning it, explains it
(``assess``), reports level shifts and saves/loads its state so runs resume exactly.
"""

from models.anomaly.config import SERIES_KINDS, DetectorConfig, config_for
from models.anomaly.detector import Assessment, SeriesDetector
from models.anomaly.drift import LevelShift

__all__ = ["SERIES_KINDS", "Assessment", "DetectorConfig", "LevelShift", "SeriesDetector", "config_for"]
