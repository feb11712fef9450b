"""Geometries that one thread may test points against while others do the same.

GEOS's prepared geometries (``shapely.prepare``) build their indexes lazily, on the first
test, and are not safe to share between threads (libgeos/geos#825): four threads testing
points against one shared prepared polygon abort the process within a few hundred rounds on
this project's machine. The Dask engine runs partitions on several threads of a worker, and
the app runs every session on a thread of its own with cached study areas; each such test
therefore uses a prepared copy of its own.
"""

from __future__ import annotations

from typing import Any

import shapely


def own_prepared(geom: Any) -> Any:
    """A prepared copy of ``geom`` for this caller alone (``None`` stays ``None``).

    The copy goes through WKB, which keeps every coordinate exactly; it costs one
    preparation of the geometry, small beside testing a partition's or a table's points.
    """
    if geom is None:
        return None
    copy = shapely.from_wkb(shapely.to_wkb(geom))
    shapely.prepare(copy)
    return copy


__all__ = ["own_prepared"]
