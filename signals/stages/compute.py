"""Where the per-document work of a large backfill runs: in this process, or on Dask workers.

Preparing documents (terms, embeddings) is the one step whose cost grows with the history: a backfill of
a region's archive is hundreds of thousands of documents. A ``Mapper`` maps a function over batches in
order, either here (``Local``) or on a Dask cluster (``Distributed``: a local cluster of N worker
processes by default, or the scheduler at ``settings.compute.scheduler`` for a real cluster). The batches
are the same on both paths and each is computed by the same code, so the stored results are identical;
the caller reads and writes the store, the workers only compute (they need the project installed, not
the database).

What keeps the workers busy (``python -m bench.distributed`` measures it): batches are read from the store
page by page while earlier ones are computed (``pages``, ``each_batch``), a few batches per worker stay in
flight instead of rounds that wait for their slowest batch, each task uses one thread (a worker process is
one core), and a local cluster's workers keep glibc's own memory trimming (Dask's default
``MALLOC_TRIM_THRESHOLD_`` turns every large temporary of the embedder into page faults: four times the
system time).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import tee
from typing import Any, Protocol, TypeVar

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from signals.core.schema import Document, DocumentFeatures
from signals.core.settings import Settings

log = logging.getLogger(__name__)

In = TypeVar("In")
Out = TypeVar("Out")
Row = TypeVar("Row")

# Batches queued per worker thread beyond the one it computes: it never waits for the next one.
AHEAD = 2


class Mapper(Protocol):
    workers: int  # batches computed at once
    task_threads: int | None  # threads one batch may use (None: every core of this process)

    def map(self, function: Callable[[In], Out], batches: Iterable[In]) -> Iterator[Out]: ...


class Local:
    """Each batch in turn, in this process (the embedder spreads a batch over its cores)."""

    workers = 1
    task_threads = None

    def map(self, function: Callable[[In], Out], batches: Iterable[In]) -> Iterator[Out]:
        return map(function, batches)


class Distributed:
    """Batches on the worker threads of a Dask cluster, results in the order of the batches.

    Batches are taken from ``batches`` only as workers need them: at most ``AHEAD + 1`` per worker
    thread are submitted and not yet returned, so a backfill of any size holds a bounded number of texts
    in memory and the caller's reading and writing overlap the workers' computing."""

    task_threads = 1

    def __init__(self, client: Any) -> None:
        self.client = client
        workers = client.scheduler_info().get("workers", {}).values()
        self.workers = max(1, sum(w.get("nthreads", 1) for w in workers))

    def map(self, function: Callable[[In], Out], batches: Iterable[In]) -> Iterator[Out]:
        pending: deque[Any] = deque()
        for batch in batches:
            # pure=False: two equal batches are still two tasks (a backfill never has them, a test might).
            pending.append(self.client.submit(function, batch, pure=False))
            if len(pending) > self.workers * (AHEAD + 1):
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def each_batch(
    mapper: Mapper,
    function: Callable[[In], Out],
    batches: Iterable[Sequence[Row]],
    inputs: Callable[[Sequence[Row]], In],
) -> Iterator[tuple[Sequence[Row], Out]]:
    """(batch of rows, ``function`` of its ``inputs``) for each batch, in order, computed by ``mapper``;
    the rows stay here (only the inputs travel to a worker)."""
    ahead, behind = tee(batches)
    return zip(behind, mapper.map(function, map(inputs, ahead)), strict=True)


def store_missing_features(
    session: Session,
    kind: str,
    function: Callable[[list[tuple[str, str]]], list[bytes]],
    mapper: Mapper,
    batch: int,
    page: int,
    until_utc: Any,
    since_utc: Any = None,
) -> int:
    """Compute and store the feature ``kind`` of the documents published up to ``until_utc`` (and from
    ``since_utc``) that have none yet: ``function`` of ``batch`` documents' (title, text) pairs at a time,
    computed by ``mapper``, gives each one's stored bytes. The documents are read ``page`` at a time while
    earlier batches are computed. How many documents."""
    period = [Document.published_at <= until_utc]
    if since_utc is not None:
        period.append(Document.published_at >= since_utc)
    missing = (
        select(Document.id, Document.title, Document.text)
        .outerjoin(
            DocumentFeatures, and_(DocumentFeatures.document_id == Document.id, DocumentFeatures.kind == kind)
        )
        .where(DocumentFeatures.document_id.is_(None), *period)
        .order_by(Document.id)
    )

    def pairs(rows: Sequence[Any]) -> list[tuple[str, str]]:
        return [(title, text) for _, title, text in rows]

    done = 0
    rows = pages(session, missing, Document.id, page)
    for chunk, blobs in each_batch(mapper, function, rounds(rows, batch), pairs):
        session.add_all(
            DocumentFeatures(document_id=i, kind=kind, data=data)
            for (i, _, _), data in zip(chunk, blobs, strict=True)
        )
        done += len(chunk)
    session.flush()
    return done


def pages(session: Any, statement: Any, key: Any, size: int = 1000) -> Iterator[Any]:
    """The rows of ``statement`` (ordered by the unique column ``key``, the rows' first value), read
    ``size`` at a time after the last key seen: rows stored meanwhile by the caller do not shift pages."""
    last = None
    while True:
        page = statement if last is None else statement.where(key > last)
        rows = session.execute(page.limit(size)).all()
        yield from rows
        if len(rows) < size:
            return
        last = rows[-1][0]


@contextmanager
def batches(settings: Settings, workers: int | None = None) -> Iterator[Mapper]:
    """The mapper the settings ask for: ``workers`` (or ``settings.compute.workers``) > 0 starts a local
    Dask cluster of that many processes; ``settings.compute.scheduler`` joins a running one."""
    wanted = settings.compute.workers if workers is None else workers
    address = settings.compute.scheduler
    if not address and wanted <= 0:
        yield Local()
        return
    import dask
    from dask.distributed import Client, LocalCluster

    if address:
        log.info("preparing on the Dask cluster at %s", address)
        with Client(address) as client:
            yield Distributed(client)
        return
    # One thread per process: the models run their own native code, and processes keep them apart.
    # Dask's nannies set MALLOC_TRIM_THRESHOLD_ in each worker's environment, which also turns off glibc's
    # adaptive mmap threshold: unset, so the workers allocate as this process does.
    with (
        dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}),
        LocalCluster(
            n_workers=wanted,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
            memory_limit=settings.compute.worker_memory,
        ) as cluster,
        Client(cluster) as client,
    ):
        client.wait_for_workers(wanted)  # all of them counted: each keeps its share of batches in flight
        log.info("preparing on a local Dask cluster of %d workers", wanted)
        yield Distributed(client)


def rounds(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Consecutive chunks of ``size`` rows (the last one shorter)."""
    chunk: list[Any] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
