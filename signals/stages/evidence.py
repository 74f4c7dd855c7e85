"""What a theme shows a reader: the documents to cite, its places by name, its weekly counts."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
from scipy import sparse

from signals.stages.window import Window

SPARKLINE_WEEKS = 26


def cite_documents(
    window: Window, member_rows: np.ndarray, recent_rows: np.ndarray, term_columns: np.ndarray, n: int
) -> list[int]:
    """Documents to cite: the theme's first document naming it (its leading term, the first of
    ``term_columns``: a document with two of its looser words may be about something else), then recent
    ones from as many places as possible."""
    if member_rows.size == 0:
        return []
    naming = member_rows[np.asarray(window.terms[member_rows][:, term_columns[:1]].sum(axis=1)).ravel() > 0]
    earliest = naming if naming.size else member_rows
    first = int(earliest[np.argmin(window.week_of_doc[earliest])])
    strength = np.asarray(window.terms[:, term_columns].sum(axis=1)).ravel()
    order = sorted(recent_rows.tolist(), key=lambda r: (-window.week_of_doc[r], -strength[r]))
    chosen = [first]
    seen_places: set[int] = set(window.communes[first].indices.tolist())
    for row in order:  # one per commune first
        places = set(window.communes[row].indices.tolist())
        if row not in chosen and not places <= seen_places:
            chosen.append(row)
            seen_places |= places
        if len(chosen) >= n:
            break
    for row in order:
        if len(chosen) >= n:
            break
        if row not in chosen:
            chosen.append(row)
    return [int(window.doc_ids[r]) for r in chosen[:n]]


def by_name(indicator: sparse.csr_matrix, rows: np.ndarray, names: list[str]) -> dict[str, int]:
    counts = np.asarray(indicator[rows].sum(axis=0)).ravel() if rows.size else np.zeros(len(names))
    return dict(Counter({names[i]: int(c) for i, c in enumerate(counts) if c > 0}).most_common())


def weekly_counts(window: Window, counts: np.ndarray, totals: np.ndarray) -> list[dict[str, Any]]:
    start = max(len(window.weeks) - SPARKLINE_WEEKS, 0)
    return [
        {"week": window.weeks[i].isoformat(), "docs": int(counts[i]), "total": int(totals[i])}
        for i in range(start, len(window.weeks))
    ]
