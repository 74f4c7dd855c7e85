"""Which emerging terms tell one story: groups of terms whose recent documents overlap, without the common
words that only bridge two stories, and without the words of a group that are mostly elsewhere."""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from signals.core.lifecycle import MATCH_OVERLAP

# Two emerging terms belong to one theme when they share at least LINK_MIN_DOCS recent documents and their
# documents overlap (Jaccard) or one's are mostly inside the other's (containment).
LINK_MIN_DOCS = 2
LINK_JACCARD = 0.1
LINK_CONTAINMENT = 0.5
BRIDGE_CANDIDATES = 10  # the commonest terms of a group tried as bridges between two stories


def group_terms(recent_terms: sparse.csr_matrix) -> list[np.ndarray]:
    """Groups of terms whose recent documents overlap: connected groups of the co-occurrence graph, less the
    words that only bridge two stories (``_without_bridges``)."""
    n = recent_terms.shape[1]
    if n == 0:
        return []
    binary = (recent_terms > 0).astype(np.float32).tocsc()
    co = (binary.T @ binary).toarray()
    size = np.diag(co)
    union = size[:, None] + size[None, :] - co
    jaccard = co / np.maximum(union, 1.0)
    containment = co / np.maximum(np.minimum(size[:, None], size[None, :]), 1.0)
    linked = (co >= LINK_MIN_DOCS) & ((jaccard >= LINK_JACCARD) | (containment >= LINK_CONTAINMENT))
    np.fill_diagonal(linked, False)
    _, label = connected_components(sparse.csr_matrix(linked), directed=False)
    groups = [np.flatnonzero(label == g) for g in np.unique(label)]
    return [part for group in groups for part in _without_bridges(group, linked, binary, size)]


def _without_bridges(
    group: np.ndarray, linked: np.ndarray, binary: sparse.csc_matrix, size: np.ndarray
) -> list[np.ndarray]:
    """A group split where a few of its common words are all that join two stories (a market and a
    tiers-lieu that both "open"; a schoolyard and an epidemic that share "children" and an "agency"). The
    commonest words are set aside one after another until the rest falls into parts of two terms or more
    whose documents (nearly) never meet; each word set aside then goes back to the part holding most of its
    documents, and a word split between stories joins none. A story whose parts share their documents stays
    whole: no set-aside splits it."""
    if group.size < 4:
        return [group]
    aside: list[int] = []
    for word in group[np.argsort(-size[group])][:BRIDGE_CANDIDATES]:
        aside.append(int(word))
        rest = group[~np.isin(group, aside)]
        _, label = connected_components(sparse.csr_matrix(linked[np.ix_(rest, rest)]), directed=False)
        parts = [rest[label == k] for k in np.unique(label)]
        stories = [p for p in parts if p.size >= 2]
        if len(stories) < 2:
            continue
        documents = [np.asarray(binary[:, p].sum(axis=1)).ravel() > 0 for p in stories]
        if any(
            int((a & b).sum()) >= LINK_MIN_DOCS for i, a in enumerate(documents) for b in documents[i + 1 :]
        ):
            continue
        back: list[list[int]] = [[] for _ in stories]
        for w in aside:
            held = np.asarray(binary[:, w].todense()).ravel() > 0
            shares = [float((held & d).sum()) / max(float(held.sum()), 1.0) for d in documents]
            if max(shares) > MATCH_OVERLAP:  # most of them
                back[int(np.argmax(shares))].append(w)
        parts = [np.concatenate([p, b]).astype(p.dtype) for p, b in zip(stories, back, strict=True)] + [
            p for p in parts if p.size < 2
        ]
        return [q for p in parts for q in _without_bridges(p, linked, binary, size)]
    return [group]


def own_terms(recent_terms: sparse.csr_matrix, term_columns: np.ndarray) -> np.ndarray:
    """The group's terms most of whose recent documents hold another of its terms. A word shared with
    another story ("agence" of a water agency's schoolyard and of a health agency's epidemic) is mostly
    elsewhere: it may describe the theme, never lead it (its leading terms decide its documents, and which
    followed signal it continues)."""
    binary = (recent_terms > 0).astype(np.float32).tocsc()
    per_doc = np.asarray(binary.sum(axis=1)).ravel()
    with_other = np.asarray(binary.T @ (per_doc >= 2).astype(np.float32)).ravel()
    own = with_other >= MATCH_OVERLAP * np.maximum(np.asarray(binary.sum(axis=0)).ravel(), 1.0)
    return term_columns[own]
