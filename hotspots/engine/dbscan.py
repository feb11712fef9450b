"""DBSCAN on the engine: on one machine up to a limit, refused above it.

Why not on the partitions
-------------------------
DBSCAN can be split spatially: each spatial partition plus an ``eps``-wide halo of its
neighbours' points decides which of its own points are core (their whole ``eps`` neighbourhood
is there), clusters touching across an edge are merged through their core points in the halo,
and :func:`hotspots.clusters.dbscan_labels` puts a border point in the cluster of its
*nearest* core point, which the halo also holds. So exact labels are reachable in principle.
This engine does not do it yet: the single-machine function's details (unique points weighted
by their duplicates, the cell grid, the projection centred on *all* the points, cluster ids by
size then by smallest point, ties between equidistant core points) must all be reproduced
across partition edges, and a result that is "nearly" the same is not acceptable to an analyst
comparing maps. Until it is built and tested against the single-machine labels, the engine
collects the coordinates (16 bytes per incident) and runs the single-machine DBSCAN when the
filtered dataset holds at most :data:`DBSCAN_MAX_POINTS` incidents, and refuses above that
with a message saying how to narrow the data (years, offenses, a study area).
"""

from __future__ import annotations

from typing import Any, NoReturn

import numpy as np
import pandas as pd

from hotspots.engine.dataset import Source, map_reduce, stack
from hotspots.errors import ParameterError
from hotspots.schema import LAT, LON

#: Most incidents the engine clusters (on the machine running the command): the
#: single-machine DBSCAN's memory is linear, about 0.2 KB per incident, so 20 million need
#: about 4 GiB besides the coordinates.
DBSCAN_MAX_POINTS = 20_000_000


def refuse_dbscan(what: str, n: int, limit: int = DBSCAN_MAX_POINTS) -> NoReturn:
    """Raise the :class:`ParameterError` that explains why the engine does not cluster ``n``
    incidents (over ``limit``) and how to narrow the data."""
    raise ParameterError(
        f"{what}: on the dask engine DBSCAN runs on one machine, up to "
        f"{limit:,} incidents, and {n:,} pass the filters (clustering across "
        "partitions is not exact yet, see hotspots.engine.dbscan); narrow the data with "
        "--years, --offenses or --boundary, or use the H3, Gi* or density maps"
    )


def _part_latlon(frame: pd.DataFrame) -> np.ndarray:
    return np.column_stack([frame[LAT].to_numpy(dtype=float), frame[LON].to_numpy(dtype=float)])


def _count(frame: pd.DataFrame) -> int:
    return len(frame)


def dbscan_labels(
    source: Source | str,
    *,
    eps: float,
    min_samples: int,
    max_points: int = DBSCAN_MAX_POINTS,
    progress: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`hotspots.clusters.dbscan_labels` of a partitioned dataset, on this machine.

    Returns ``(latlon, labels)``: the (n, 2) coordinates in partition order and their labels
    (those of the single-machine function for the same points, which do not depend on the
    row order). Raises :class:`ParameterError` above ``max_points`` incidents.
    """
    from hotspots.clusters import dbscan_labels as single
    from hotspots.engine.dataset import add

    if int(max_points) != max_points or max_points < 1:
        raise ParameterError(f"max_points: a whole number >= 1, got {max_points!r}")
    n = int(map_reduce(source, _count, add, progress=progress))
    if n > max_points:
        refuse_dbscan("dbscan", n=n, limit=int(max_points))
    latlon: Any = map_reduce(source, _part_latlon, stack, progress=progress)
    return latlon, single(latlon, eps=eps, min_samples=min_samples)


__all__ = ["DBSCAN_MAX_POINTS", "dbscan_labels", "refuse_dbscan"]
