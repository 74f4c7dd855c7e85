"""Which documents belong to a theme, and whether a theme grows inside a followed signal (a sub-theme)."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from signals.core.lifecycle import CORE_TERMS, FOLLOWED_TERMS, MATCH_OVERLAP
from signals.core.settings import Settings
from signals.stages.emergence import within_parent
from signals.stages.window import Window


def theme_indicator(window: Window, term_columns: np.ndarray) -> sparse.csr_matrix:
    """Documents of a theme (terms given core terms first): any core term, or two of its terms. The same
    rule finds a new theme's documents and follows a signal from week to week."""
    core = np.asarray(window.terms[:, term_columns[:CORE_TERMS]].sum(axis=1)).ravel()
    hits = np.asarray(window.terms[:, term_columns].sum(axis=1)).ravel()
    member = ((core >= 1) | (hits >= 2)).astype(np.float32)
    return sparse.csr_matrix(member[:, None])


def term_columns(window: Window, hashes: list[int]) -> np.ndarray:
    """Columns of the window's terms with these hashes (in their order; absent ones left out)."""
    wanted = np.array(hashes, dtype=np.uint32)
    positions = np.minimum(np.searchsorted(window.term_hashes, wanted), max(len(window.term_hashes) - 1, 0))
    found = (
        window.term_hashes[positions] == wanted if len(window.term_hashes) else np.zeros(len(wanted), bool)
    )
    return positions[found]


def signal_documents(window: Window, hashes: list[int]) -> np.ndarray:
    """The documents firmly inside a followed signal: two of its leading terms or more (one common word
    among them would make any document on children or on the town hall the signal's)."""
    columns = term_columns(window, hashes)[:FOLLOWED_TERMS]
    return np.asarray(window.terms[:, columns].sum(axis=1)).ravel() >= 2


def grows_inside(
    window: Window, indicator: sparse.csr_matrix, parents: list[np.ndarray], settings: Settings
) -> bool | None:
    """A theme whose recent documents lie mostly inside a followed signal's must grow as a share of that
    signal's documents (``emergence.within_parent``): True, a sub-theme; False, another phrase of the
    signal. None: it lies inside no followed signal."""
    params = settings.detection
    member = np.asarray(indicator.todense()).ravel() > 0
    recent = member & window.recent_mask(params.recent_weeks)
    if not recent.any() or not parents:
        return None
    overlaps = [float((recent & p).sum()) / float(recent.sum()) for p in parents]
    best = int(np.argmax(overlaps))
    if overlaps[best] < MATCH_OVERLAP:
        return None
    parent = parents[best]
    counts = window.weekly(sparse.csr_matrix(np.stack([member & parent, parent], axis=1).astype(np.float32)))
    growth, significance, share = within_parent(counts[:, 0], counts[:, 1], params)
    part = share <= params.subtheme_max_share  # all of a signal's documents: its own vocabulary changing
    return part and growth >= params.min_growth and significance >= params.min_significance
