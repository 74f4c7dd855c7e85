"""Weekly analysis: which themes are emerging as of a date, with the numbers and documents behind them.

``detect`` reads only documents published up to the end of the ``as_of`` day (no look-ahead): the same
stored data up to that day gives the same result, whatever was stored after it. It writes nothing but the
per-document term cache, which depends on each document alone.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from scipy import sparse
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.terms import TermExtractor, normalise, term_hash
from signals.core.lifecycle import (
    CORE_TERMS,
    EVENT,
    FOLLOWED_TERMS,
    NATURE_NEW,
    RESURGENCE,
    SUBTHEME,
    Candidate,
    ThemeMeasure,
    label_from_keywords,
)
from signals.core.parsing import slug
from signals.core.schema import Document
from signals.core.settings import Settings
from signals.stages.emergence import Scores, quadrant, score_terms
from signals.stages.evidence import by_name, cite_documents, weekly_counts
from signals.stages.grouping import group_terms, own_terms
from signals.stages.keywords import distinct_keywords, word_preference
from signals.stages.membership import followed_documents, grows_inside, hosts, term_columns, theme_indicator
from signals.stages.window import Window, load_window

log = logging.getLogger(__name__)

MAX_KEYWORDS = 8


@dataclass
class Detection:
    week: date
    as_of: date
    documents: int
    candidates: list[Candidate]
    tracked: dict[int, ThemeMeasure] = field(default_factory=dict)  # signal id -> its theme now
    topic_candidates: list[Candidate] = field(default_factory=list)  # emerging topics (kind emerging_topic)
    topic_volumes: tuple[list[date], np.ndarray, np.ndarray, list[int]] | None = None  # weeks, counts, totals


# --- scoring --------------------------------------------------------------------------------------------


def _spread(window: Window, indicator: sparse.spmatrix, recent: np.ndarray) -> tuple[np.ndarray, ...]:
    """Distinct communes and sources of each column among the recent documents."""
    rec = sparse.diags(recent.astype(np.float32)) @ indicator
    communes = np.asarray(((rec.T @ window.communes) > 0).sum(axis=1)).ravel()
    sources = np.asarray(((rec.T @ window.sources) > 0).sum(axis=1)).ravel()
    return communes, sources


def score_columns(window: Window, indicator: sparse.csr_matrix, settings: Settings) -> Scores:
    """Emergence scores of each column of a documents x columns indicator (terms, themes, topics)."""
    params = settings.detection
    recent = window.recent_mask(params.recent_weeks)
    counts = window.weekly(indicator)
    communes, sources = _spread(window, indicator, recent)
    places_counts, places_totals = _places_per_week(window, indicator)
    available = max(
        int((np.asarray(window.communes[recent].sum(axis=0)).ravel() > 0).sum()),
        int((np.asarray(window.sources[recent].sum(axis=0)).ravel() > 0).sum()),
    )
    return score_terms(
        counts, window.totals, np.maximum(communes, sources), params, places_counts, places_totals, available
    )


def _places_per_week(window: Window, indicator: sparse.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Distinct places (communes and sources) per week mentioning each column, and in all."""
    n_weeks = len(window.weeks)
    n_places = window.week_places.shape[1] // max(n_weeks, 1)
    seen = ((indicator.T @ window.week_places) > 0).astype(np.float32)  # columns x (week, place), sparse
    by_week = sparse.csr_matrix(  # (week, place) -> week
        (
            np.ones(n_weeks * n_places, dtype=np.float32),
            (np.arange(n_weeks * n_places), np.repeat(np.arange(n_weeks), n_places)),
        ),
        shape=(n_weeks * n_places, n_weeks),
    )
    counts = np.asarray((seen @ by_week).todense(), dtype=float).T
    totals = (np.asarray(window.week_places.sum(axis=0)).ravel() > 0).reshape(n_weeks, n_places).sum(axis=1)
    return counts, totals.astype(float)


def detect(
    session: Session,
    as_of: date,
    settings: Settings,
    tracked: dict[int, list[int]] | None = None,
    gazetteer: list[str] | tuple[str, ...] = (),
    topic_model_id: int | None = None,
) -> Detection:
    """Emerging themes as of the end of ``as_of``.

    ``tracked``: term hashes of open signals, to measure their current level. ``gazetteer``: the territory's
    commune names, which are places, not themes (they never make a term). ``topic_model_id``: the topic
    model whose document topics give emerging topics, each theme's topic, and the topics' weekly volumes.
    """
    params = settings.detection
    extractor = TermExtractor(extra_stop=gazetteer)
    window = load_window(session, as_of, settings, extractor)
    detection = Detection(week=window.weeks[-1], as_of=as_of, documents=len(window.doc_ids), candidates=[])
    if len(window.doc_ids) == 0:
        return detection
    recent = window.recent_mask(params.recent_weeks)
    df = np.asarray(window.terms.sum(axis=0)).ravel()
    recent_df = np.asarray(window.terms[recent].sum(axis=0)).ravel()
    columns = np.flatnonzero((df >= params.min_term_docs) & (recent_df >= params.min_recent_docs))
    mids = (0.0, 1.0)
    if columns.size:
        scores = score_columns(window, window.terms[:, columns].tocsc().tocsr(), settings)
        mids = scores.medians()
        assert scores.event is not None and scores.resurgent is not None and scores.sequential is not None
        # Weak terms make themes among themselves, as the bursts and returns of known terms do among
        # theirs: in a week of big news, hundreds of bursting terms would join every emerging one. Terms
        # weak by their accumulated evidence only (the sequential test) group apart too: joined to the
        # week's emerging terms, they would bind unrelated stories into one theme.
        sequential, burst = scores.sequential, (scores.event | scores.resurgent) & ~scores.weak
        kinds = (scores.weak & ~sequential, sequential, burst)
        # Leading terms of the signals already followed: a group that mixes them with new terms may hold a
        # new theme inside a known one (a variant within an epidemic), tried on the new terms alone.
        owned = np.array(sorted({h for hs in (tracked or {}).values() for h in hs[:FOLLOWED_TERMS]}))
        groups = [
            columns[mask][group]
            for mask in kinds
            for group in group_terms(window.terms[recent][:, columns[mask]])
        ]
        shared = (scores, columns, settings, extractor, mids, followed_documents(window, tracked or {}))
        for terms in groups:
            fresh = terms[~np.isin(window.term_hashes[terms], owned)]
            if 0 < fresh.size < terms.size:
                inside = _theme(session, window, fresh, *shared, fresh=True)
                if inside is not None:
                    detection.candidates.append(inside)
            whole = None if fresh.size == terms.size else False
            candidate = _theme(session, window, terms, *shared, fresh=whole)
            if candidate is not None:
                detection.candidates.append(candidate)
    detection.candidates.sort(key=lambda c: -c.score)
    for signal_id, hashes in (tracked or {}).items():
        detection.tracked[signal_id] = _follow(session, window, hashes, settings, extractor, mids)
    if topic_model_id is not None:
        _topics(session, window, detection, topic_model_id, settings, extractor, mids)
    log.info(
        "as of %s: %d documents, %d emerging themes", as_of, len(window.doc_ids), len(detection.candidates)
    )
    return detection


def _theme(
    session: Session,
    window: Window,
    term_columns: np.ndarray,
    term_scores: Scores,
    scored: np.ndarray,
    settings: Settings,
    extractor: TermExtractor,
    mids: tuple[float, float],
    parents: tuple[dict[int, np.ndarray], dict[int, np.ndarray]] | None = None,
    fresh: bool | None = False,
) -> Candidate | None:
    """The theme of a group of emerging terms, if weak, a lasting event or a resurgence, with the followed
    signals that hold its documents (``parents``: each one's documents, and those naming it). ``fresh``
    True: a group's terms that no followed signal leads with; inside a signal, it must grow within the
    documents naming it (a sub-theme), else it is another phrase of it. None: a group of such terms only,
    a sub-theme when it grows so, else a theme like any other."""
    params = settings.detection
    recent = window.recent_mask(params.recent_weeks)
    own = set(own_terms(window.terms[recent][:, term_columns], term_columns).tolist())
    position = {int(c): i for i, c in enumerate(scored)}
    recent_counts = {int(c): float(term_scores.recent[position[int(c)]]) for c in term_columns}
    # How characteristic a term is of the new theme: novel terms (high growth) name it better than common words.
    novelty = {
        int(c): min(float(np.log2(1.0 + term_scores.growth[position[int(c)]])), 6.0) for c in term_columns
    }

    # Readable keywords, from the recent documents with any of the theme's terms; core terms first.
    touching = np.flatnonzero(np.asarray(window.terms[:, term_columns].sum(axis=1)).ravel() > 0)
    texts = document_texts(session, window.doc_ids[touching[recent[touching]]])
    surfaces = extractor.surfaces(texts, {int(window.term_hashes[c]) for c in term_columns})
    column_of = {surfaces.get(int(window.term_hashes[c]), ""): int(c) for c in term_columns}
    keywords = distinct_keywords([(text, recent_counts[c]) for text, c in column_of.items()])
    if not keywords:
        return None
    # The theme's own words first (a word mostly in other documents names another story too), then most
    # documents, novel terms before common words, then the longer (more specific) term.
    keywords.sort(
        key=lambda kn: (
            column_of[kn[0]] not in own,
            -kn[1] * novelty[column_of[kn[0]]] * word_preference(kn[0]),
            -len(kn[0]),
        )
    )
    core = [column_of[k] for k, _ in keywords]
    ranked = core + [int(c) for c in term_columns if int(c) not in core]
    # Its own words lead it and are its terms (what a signal is followed by, and matched on, week after
    # week); a word mostly in other documents stays among its keywords and counts as one of its words.
    leading = [c for c in ranked if c in own] or ranked
    ordered = np.array(leading + [c for c in ranked if c not in leading])

    indicator = theme_indicator(window, ordered, min(CORE_TERMS, len(leading)))
    explained = _explain(session, window, indicator, settings, mids, keywords)
    if not (explained.weak or explained.event or explained.resurgent):
        return None
    holders, named = parents or ({}, {})
    host_ids = hosts(window, indicator, holders, params.recent_weeks)
    parent = None
    if fresh is not False:
        inside = hosts(window, indicator, named, params.recent_weeks)
        if inside:
            parent = grows_inside(window, indicator, {i: named[i] for i in inside}, settings)
        if parent is None and fresh and (host_ids or inside):
            return None  # another phrase of a followed signal
    label = label_from_keywords(
        [k for k, _ in keywords if column_of[k] in leading] or [k for k, _ in keywords]
    )
    return Candidate(
        kind="term_burst",
        label=label,
        key=slug(label) or "theme",
        term_hashes=[int(window.term_hashes[c]) for c in leading],
        score=explained.score,
        level=explained.level,
        recent_docs=explained.recent_docs,
        metrics=explained.metrics,
        evidence=cite_documents(
            window, explained.member_rows, explained.recent_rows, ordered, params.cited_documents
        ),
        nature=SUBTHEME if parent is not None else _nature(explained),
        hosts=host_ids,
        parent=parent,
    )


@dataclass
class Explanation:
    """A theme's numbers this week (for the documents of an indicator column)."""

    metrics: dict[str, Any]
    member_rows: np.ndarray
    recent_rows: np.ndarray
    recent_docs: set[int]
    level: float
    score: float
    weak: bool
    event: bool = False  # a lasting burst
    resurgent: bool = False  # a known theme back beyond its historical range


def _explain(
    session: Session,
    window: Window,
    indicator: sparse.csr_matrix,
    settings: Settings,
    mids: tuple[float, float],
    keywords: list[tuple[str, float]],
) -> Explanation:
    """Counts, growth, significance, diffusion, degrees and quadrant of the theme whose documents are
    ``indicator``; the same numbers for a new theme and for a signal followed from week to week."""
    params = settings.detection
    theme = score_columns(window, indicator, settings)
    recent = window.recent_mask(params.recent_weeks)
    member_rows = np.flatnonzero(np.asarray(indicator.todense()).ravel() > 0)
    recent_rows = member_rows[recent[member_rows]]
    counts = window.weekly(indicator)[:, 0]
    first = window.weeks[int(window.week_of_doc[member_rows].min())].isoformat() if member_rows.size else None
    metrics = {
        "recent_docs": int(theme.recent[0]),
        "expected_docs": round(float(theme.expected[0]), 2),
        "share": round(float(theme.share[0]), 5),
        "baseline_share": round(float(theme.baseline_share[0]), 6),
        "growth": round(float(theme.growth[0]), 2),
        "significance": round(float(theme.significance[0]), 2),
        "active_weeks": int(theme.active_weeks[0]),
        "spread": int(theme.spread[0]),
        "communes": by_name(window.communes, recent_rows, window.commune_names),
        "sources": by_name(window.sources, recent_rows, window.source_names),
        "dov": round(float(theme.dov[0]), 5),
        "dod": round(float(theme.dod[0]), 5),
        "dov_growth": round(float(theme.dov_growth[0]), 2),
        "dod_growth": round(float(theme.dod_growth[0]), 2),
        "quadrant": quadrant(float(theme.dov[0]), float(theme.dov_growth[0]), mids),
        "keywords": [{"term": k, "docs": int(n)} for k, n in keywords[:MAX_KEYWORDS]],
        "weekly": weekly_counts(window, counts, window.totals),
        "first_week": first,
        "recent_weeks": params.recent_weeks,
        "elevated_weeks": int(theme.run_weeks[0]) if theme.run_weeks is not None else 0,
        "cusum": round(float(theme.cusum[0]), 2) if theme.cusum is not None else None,
        "historical_share": round(float(theme.historical_share[0]), 5)
        if theme.historical_share is not None
        else None,
    }
    return Explanation(
        metrics,
        member_rows,
        recent_rows,
        {int(i) for i in window.doc_ids[recent_rows]},
        float(theme.share[0]),
        round(float(theme.score[0]), 3),
        bool(theme.weak[0]),
        bool(theme.event[0]) if theme.event is not None else False,
        bool(theme.resurgent[0]) if theme.resurgent is not None else False,
    )


def _nature(explained: Explanation) -> str:
    """Weak signal first (it says the most); then a known theme back beyond its historical range (a burst
    or not: its past says more); then a lasting burst."""
    if explained.weak:
        return NATURE_NEW
    return RESURGENCE if explained.resurgent else EVENT


def document_texts(session: Session, ids: np.ndarray) -> list[str]:
    if ids.size == 0:
        return []
    rows = session.execute(
        select(Document.title, Document.text).where(Document.id.in_([int(i) for i in ids]))
    )
    return [f"{t}. {x}" for t, x in rows]


def _follow(
    session: Session,
    window: Window,
    hashes: list[int],
    settings: Settings,
    extractor: TermExtractor,
    mids: tuple[float, float],
) -> ThemeMeasure:
    """This week's view of a tracked signal, from the documents with any of its leading terms."""
    columns = term_columns(window, hashes)
    if columns.size == 0:
        counts = np.zeros(len(window.weeks))
        return ThemeMeasure(0.0, set(), weekly_counts(window, counts, window.totals))
    indicator = theme_indicator(window, columns[:FOLLOWED_TERMS])
    recent = window.recent_mask(settings.detection.recent_weeks)
    members = np.flatnonzero((np.asarray(indicator.todense()).ravel() > 0) & recent)
    keywords = _keyword_counts(session, window, columns[:FOLLOWED_TERMS], members, extractor)
    explained = _explain(session, window, indicator, settings, mids, keywords)
    evidence = (
        cite_documents(
            window, explained.member_rows, explained.recent_rows, columns, settings.detection.cited_documents
        )
        if explained.recent_rows.size
        else []
    )
    return ThemeMeasure(
        explained.level, explained.recent_docs, explained.metrics["weekly"], explained.metrics, evidence
    )


def _keyword_counts(
    session: Session, window: Window, columns: np.ndarray, rows: np.ndarray, extractor: TermExtractor
) -> list[tuple[str, float]]:
    """Readable terms of these columns with their number of documents among ``rows``."""
    if rows.size == 0:
        return []
    counts = np.asarray(window.terms[rows][:, columns].sum(axis=0)).ravel()
    surfaces = extractor.surfaces(
        document_texts(session, window.doc_ids[rows]), {int(window.term_hashes[c]) for c in columns}
    )
    return distinct_keywords(
        [
            (surfaces.get(int(window.term_hashes[c]), ""), float(n))
            for c, n in zip(columns, counts, strict=True)
            if n
        ]
    )


# --- topics ---------------------------------------------------------------------------------------------


def _topics(
    session: Session,
    window: Window,
    detection: Detection,
    model_id: int,
    settings: Settings,
    extractor: TermExtractor,
    mids: tuple[float, float],
) -> None:
    """Emerging topics, the topic of each theme and followed signal, and the topics' weekly volumes."""
    from signals.stages.topics import document_topics, topic_labels

    of_doc = document_topics(session, model_id, window.doc_ids)
    labels = topic_labels(session, model_id)
    numbers = sorted(int(n) for n in set(of_doc.tolist()) - {-1})
    if not numbers:
        return
    column = {n: i for i, n in enumerate(numbers)}
    rows = np.flatnonzero(of_doc >= 0)
    indicator = sparse.csr_matrix(
        (np.ones(rows.size, dtype=np.float32), (rows, [column[int(n)] for n in of_doc[rows]])),
        shape=(len(window.doc_ids), len(numbers)),
    )
    detection.topic_volumes = (window.weeks, window.weekly(indicator), window.totals, numbers)

    def topic_of(doc_ids: set[int]) -> dict[str, Any] | None:
        positions = np.flatnonzero(np.isin(window.doc_ids, list(doc_ids)))
        found = [int(n) for n in of_doc[positions] if n >= 0]
        if not found:
            return None
        number, count = Counter(found).most_common(1)[0]
        topic = labels.get(number)
        return {
            "model_id": model_id,
            "number": number,
            "label": topic.label if topic else str(number),
            "share": round(count / len(found), 2),
            "keywords": list(topic.keywords[:6]) if topic else [],
        }

    for candidate in detection.candidates:
        candidate.metrics["topic"] = topic_of(candidate.recent_docs)
    for view in detection.tracked.values():
        if view.metrics is not None:
            view.metrics["topic"] = topic_of(view.docs)

    scores = score_columns(window, indicator, settings)
    for j in np.flatnonzero(scores.weak):
        number = numbers[j]
        topic = labels.get(number)
        keywords = [(k, float(scores.recent[j])) for k in (topic.keywords if topic else [])[:MAX_KEYWORDS]]
        if not keywords:
            continue
        explained = _explain(session, window, indicator[:, [j]], settings, mids, keywords)
        hashes = [term_hash(" ".join(normalise(w) for w in k.split())) for k, _ in keywords[:FOLLOWED_TERMS]]
        member_columns = term_columns(window, hashes)  # keyword order: the first names it
        explained.metrics["topic"] = {
            "model_id": model_id,
            "number": number,
            "label": topic.label if topic else str(number),
            "share": 1.0,
            "keywords": list(topic.keywords[:6]) if topic else [],
        }
        detection.topic_candidates.append(
            Candidate(
                kind="emerging_topic",
                label=label_from_keywords([k for k, _ in keywords]),
                key=f"topic-{model_id}-{number}",
                term_hashes=hashes,
                score=explained.score,
                level=explained.level,
                recent_docs=explained.recent_docs,
                metrics=explained.metrics,
                evidence=cite_documents(
                    window,
                    explained.member_rows,
                    explained.recent_rows,
                    member_columns,
                    settings.detection.cited_documents,
                ),
            )
        )
