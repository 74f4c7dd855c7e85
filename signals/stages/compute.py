"""Where the per-document work of a large backfill runs: in this process, or on Dask workers.

Preparing documents (terms, embeddings) is the one step whose cost grows with the history: a backfill of
a region's archive is hundreds of thousands of documents. ``batches`` maps a function over batches in
order, either here (``Local``) or on a Dask cluster (``Distributed``: a local cluster of N worker
processes by default, or the scheduler at ``settings.compute.scheduler`` for a real cluster). The batches
are the same on both paths and each is computed by the same code, so the stored results are identical;
the caller reads and writes the store, the workers only compute (they need the project installed, not
the database).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

from signals.core.settings import Settings

log = logging.getLogger(__name__)

In = TypeVar("In")
Out = TypeVar("Out")


class Mapper(Protocol):
    workers: int

    def map(self, function: Callable[[In], Out], batches: Sequence[In]) -> Iterator[Out]: ...


class Local:
    """Each batch in turn, in this process."""

    workers = 1

    def map(self, function: Callable[[In], Out], batches: Sequence[In]) -> Iterator[Out]:
        return map(function, batches)


class Distributed:
    """Batches on the workers of a Dask cluster, results in the order of the batches."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.workers = max(1, len(client.scheduler_info().get("workers", {})))

    def map(self, function: Callable[[In], Out], batches: Sequence[In]) -> Iterator[Out]:
        # pure=False: two equal batches are still two tasks (a backfill never has them, a test might).
        futures = self.client.map(function, list(batches), pure=False)
        for future in futures:
            yield future.result()


@contextmanager
def batches(settings: Settings, workers: int | None = None) -> Iterator[Mapper]:
    """The mapper the settings ask for: ``workers`` (or ``settings.compute.workers``) > 0 starts a local
    Dask cluster of that many processes; ``settings.compute.scheduler`` joins a running one."""
    wanted = settings.compute.workers if workers is None else workers
    address = settings.compute.scheduler
    if not address and wanted <= 0:
        yield Local()
        return
    from dask.distributed import Client, LocalCluster

    if address:
        log.info("preparing on the Dask cluster at %s", address)
        with Client(address) as client:
            yield Distributed(client)
        return
    # One thread per process: the models run their own native code, and processes keep them apart.
    with (
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
        client.wait_for_workers(wanted)  # all of them counted: each round gives every worker its batches
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
