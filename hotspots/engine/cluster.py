"""Where the engine computes: an existing Dask cluster, or a :class:`LocalCluster` started here.

>>> with connect(n_workers=2, processes=False) as client:       # doctest: +SKIP
...     counts = engine.count_cells("calls.parquet", 9)
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from typing import Any

from hotspots.errors import InputError, ParameterError


def _check_workers(n_workers: int, threads_per_worker: int) -> None:
    for name, value in (("n_workers", n_workers), ("threads_per_worker", threads_per_worker)):
        if int(value) != value or value < 1:
            raise ParameterError(f"{name}: a whole number >= 1, got {value!r}")


@contextlib.contextmanager
def connect(
    scheduler: str | None = None,
    *,
    n_workers: int = 2,
    threads_per_worker: int = 1,
    processes: bool = True,
    memory_limit: str | int | None = "auto",
    say: Callable[[str], Any] | None = None,
) -> Iterator[Any]:
    """A :class:`distributed.Client` on ``scheduler``, or on a new ``LocalCluster``.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler, e.g. ``"tcp://10.0.0.5:8786"``. When omitted a
        ``LocalCluster`` of ``n_workers`` is started and closed on exit.
    n_workers, threads_per_worker : int
        Size of the local cluster (ignored with ``scheduler``).
    processes : bool
        Local workers in processes (True, as on a real cluster) or threads of this process.
    memory_limit : str or int, optional
        Per local worker (``"4GiB"``); ``"auto"`` shares the machine's memory.
    say : callable, optional
        Called with one line naming the cluster and its dashboard address.

    Yields
    ------
    distributed.Client
        The default scheduler of every Dask computation inside the ``with`` block.
    """
    from distributed import Client, LocalCluster

    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise InputError(
                f"--scheduler {scheduler}: cannot reach the Dask scheduler ({exc}); check the "
                "address, or leave --scheduler out to start a local cluster"
            ) from None
    else:
        _check_workers(n_workers, threads_per_worker)
        cluster = LocalCluster(
            n_workers=int(n_workers),
            threads_per_worker=int(threads_per_worker),
            processes=processes,
            memory_limit=memory_limit,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        )
        client = Client(cluster)
    try:
        if say is not None:
            where = scheduler or f"a local cluster of {n_workers} workers"
            say(f"dask: computing on {where}; dashboard {client.dashboard_link}")
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


__all__ = ["connect"]
