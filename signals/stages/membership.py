"""Which documents belong to a theme, and whether a theme grows inside a followed signal (a sub-theme)."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from signals.core.lifecycle import CORE_TERMS, FOLLOWED_TERMS, MATCH_OVERLAP
from signals.core.settings import Settings
from signals.stages.emergence import within_parent
from signals.stages.window import Window


def theme_indicator(
    window: Window, term_columns: np.ndarray, core_terms: int = CORE_TERMS
) -> sparse.csr_matrix:
    """Documents of a theme (terms given core terms first, ``core_terms`` of them): any core term, or two
    of its terms. The same rule finds a new theme's documents and follows a signal from week to week."""
    core = np.asarray(window.terms[:, term_columns[:core_terms]].sum(axis=1)).ravel()
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


def named_documents(window: Window, hashes: list[int]) -> np.ndarray:
    """The documents that name a followed signal: its leading term, its name. A sub-theme names its parent
    (a variant names its epidemic, often with none of the epidemic's other words); two common words shared
    with a signal (children, an agency) do not put a schoolyard inside an epidemic."""
    columns = term_columns(window, hashes[:1])
    if columns.size == 0:
        return np.zeros(window.terms.shape[0], dtype=bool)
    return np.asarray(window.terms[:, columns].sum(axis=1)).ravel() > 0


def followed_documents(
    window: Window, tracked: dict[int, list[int]]
) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Each followed signal's documents (``signal_documents``), and those that name it (``named_documents``)."""
    inside = {i: signal_documents(window, hashes) for i, hashes in tracked.items()}
    return inside, {i: named_documents(window, hashes) for i, hashes in tracked.items()}


def hosts(
    window: Window, indicator: sparse.csr_matrix, parents: dict[int, np.ndarray], recent_weeks: int
) -> set[int]:
    """The followed signals whose documents (``signal_documents``) hold most of the theme's recent ones."""
    recent = (np.asarray(indicator.todense()).ravel() > 0) & window.recent_mask(recent_weeks)
    n = float(recent.sum())
    if n == 0:
        return set()
    return {i for i, p in parents.items() if float((recent & p).sum()) / n >= MATCH_OVERLAP}


def grows_inside(
    window: Window, indicator: sparse.csr_matrix, parents: dict[int, np.ndarray], settings: Settings
) -> int | None:
    """The followed signal (among ``parents``, the hosts of the theme) inside whose documents the theme grows
    as a share (``emergence.within_parent``): a sub-theme of it. None: another phrase of its host, or no
    host at all."""
    params = settings.detection
    member = np.asarray(indicator.todense()).ravel() > 0
    recent = member & window.recent_mask(params.recent_weeks)
    if not recent.any() or not parents:
        return None
    best = max(parents, key=lambda i: float((recent & parents[i]).sum()))
    parent = parents[best]
    counts = window.weekly(sparse.csr_matrix(np.stack([member & parent, parent], axis=1).astype(np.float32)))
    growth, significance, share = within_parent(counts[:, 0], counts[:, 1], params)
    part = share <= params.subtheme_max_share  # all of a signal's documents: its own vocabulary changing
    grows = part and growth >= params.min_growth and significance >= params.min_significance
    return best if grows else None
