"""The analysed period as matrices: documents over weeks, places and terms, read from the store up to a day.

What a week's analysis starts from (``load_window``), and the per-document term cache it reads
(``ensure_term_features``: each document's terms computed once, as it arrives).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from typing import Any

import numpy as np
from scipy import sparse
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from models.terms import TermExtractor, decode, encode
from signals.core.periods import end_of_day_utc, start_of_day_utc, week_start
from signals.core.schema import Document, DocumentFeatures, Sighting, Source
from signals.core.settings import Settings
from signals.stages.compute import Local, Mapper, store_missing_features


@dataclass
class Window:
    """The documents of the analysed period, as matrices over weeks, places and terms."""

    weeks: list[date]  # Mondays, oldest first; the last one is the analysed week
    doc_ids: np.ndarray
    week_of_doc: np.ndarray
    terms: sparse.csr_matrix  # documents x terms (binary)
    term_hashes: np.ndarray  # hash of each term column
    communes: sparse.csr_matrix  # documents x communes
    commune_names: list[str]
    sources: sparse.csr_matrix  # documents x sources (every sighting)
    source_names: list[str]

    @property
    def totals(self) -> np.ndarray:
        return np.bincount(self.week_of_doc, minlength=len(self.weeks)).astype(float)

    def weekly(self, indicator: sparse.spmatrix) -> np.ndarray:
        """Documents per week (rows) for each column of a documents x columns indicator."""
        by_week = sparse.csr_matrix(
            (np.ones(len(self.doc_ids)), (self.week_of_doc, np.arange(len(self.doc_ids)))),
            shape=(len(self.weeks), len(self.doc_ids)),
        )
        return np.asarray((by_week @ indicator).todense(), dtype=float)

    @cached_property
    def week_places(self) -> sparse.csr_matrix:
        """documents x (week, place): where and when each document appeared (places: communes, then
        sources), so the distinct places of any column per week are one product away."""
        places = sparse.hstack([self.communes, self.sources]).tocsr().tocoo()
        n_places = self.communes.shape[1] + self.sources.shape[1]
        columns = self.week_of_doc[places.row] * n_places + places.col
        return sparse.csr_matrix(
            (np.ones(places.nnz, dtype=np.float32), (places.row, columns)),
            shape=(len(self.doc_ids), len(self.weeks) * n_places),
        )

    def recent_mask(self, recent_weeks: int) -> np.ndarray:
        return self.week_of_doc >= len(self.weeks) - recent_weeks


# --- the per-document term cache ------------------------------------------------------------------------


@dataclass(frozen=True)
class TermsBatch:
    """The encoded terms of one batch of (title, text) pairs; picklable, for a Dask worker."""

    extractor: TermExtractor

    def __call__(self, texts: list[tuple[str, str]]) -> list[bytes]:
        return [encode(self.extractor.hashes(f"{t}. {x}")) for t, x in texts]


def ensure_term_features(
    session: Session,
    extractor: TermExtractor,
    until_utc: Any,
    batch: int = 500,
    mapper: Mapper | None = None,
) -> int:
    """Compute and store the terms of documents that have none yet (published up to ``until_utc``), in
    batches, here or on the ``mapper``'s workers (``signals.stages.compute``)."""
    return store_missing_features(
        session, extractor.version, TermsBatch(extractor), mapper or Local(), batch, batch, until_utc
    )


# --- loading the window ---------------------------------------------------------------------------------


def load_window(session: Session, as_of: date, settings: Settings, extractor: TermExtractor) -> Window:
    tz = settings.tz
    last_week = week_start(as_of)
    n_weeks = settings.detection.lookback_weeks
    weeks = [last_week - timedelta(weeks=n_weeks - 1 - i) for i in range(n_weeks)]
    start, cutoff = start_of_day_utc(weeks[0], tz), end_of_day_utc(as_of, tz)
    in_window = and_(Document.published_at >= start, Document.published_at <= cutoff)

    ensure_term_features(session, extractor, cutoff)
    rows = session.execute(
        select(Document.id, Document.published_at, Document.territory, DocumentFeatures.data)
        .join(
            DocumentFeatures,
            and_(DocumentFeatures.document_id == Document.id, DocumentFeatures.kind == extractor.version),
        )
        .where(in_window)
        .order_by(Document.id)
    ).all()
    doc_ids = np.array([r[0] for r in rows], dtype=np.int64)
    week_of_doc = np.array(
        [(week_start(r[1].astimezone(tz).date()) - weeks[0]).days // 7 for r in rows], dtype=np.int64
    )
    hashes = [decode(r[3]) for r in rows]
    lengths = np.array([len(h) for h in hashes], dtype=np.int64)
    flat = np.concatenate(hashes) if hashes else np.zeros(0, dtype=np.uint32)
    term_hashes, columns = _factorize_sorted(flat)
    doc_rows = np.repeat(np.arange(len(rows)), lengths)
    terms = sparse.csr_matrix(
        (np.ones(len(flat), dtype=np.float32), (doc_rows, columns)), shape=(len(rows), len(term_hashes))
    )

    commune_names = sorted({r[2] for r in rows if r[2]})
    commune_index = {name: i for i, name in enumerate(commune_names)}
    pairs = [(i, commune_index[r[2]]) for i, r in enumerate(rows) if r[2]]
    communes = _indicator(pairs, len(rows), len(commune_names))

    row_of = {int(d): i for i, d in enumerate(doc_ids)}
    sightings = session.execute(
        select(Sighting.document_id, Source.name)
        .join(Source, Source.id == Sighting.source_id)
        .join(Document, Document.id == Sighting.document_id)
        .where(in_window)
    ).all()
    source_names = sorted({name for _, name in sightings})
    source_index = {name: i for i, name in enumerate(source_names)}
    pairs = [(row_of[d], source_index[n]) for d, n in sightings if d in row_of]
    sources = _indicator(pairs, len(rows), len(source_names))
    return Window(
        weeks, doc_ids, week_of_doc, terms, term_hashes, communes, commune_names, sources, source_names
    )


def _indicator(pairs: list[tuple[int, int]], n_rows: int, n_cols: int) -> sparse.csr_matrix:
    if not pairs:
        return sparse.csr_matrix((n_rows, n_cols), dtype=np.float32)
    rows, cols = np.array(pairs, dtype=np.int64).T
    matrix = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n_rows, n_cols))
    matrix.data[:] = 1.0  # a pair given twice (a document seen twice at a source) counts once
    return matrix


def _factorize_sorted(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct values, index of each value among them): np.unique's answer by hashing, several
    times faster on the millions of term occurrences of a large window."""
    import pandas as pd

    codes, uniques = pd.factorize(values, sort=False)
    order = np.argsort(uniques)
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return np.asarray(uniques)[order], rank[codes]
