"""Kernel density on the engine: per-partition linear binning onto the common grid, one FFT.

:func:`hotspots.density.kde` bins every point onto a grid of nodes and convolves once. Binning
adds up (a node's mass is the sum of its points' bilinear weights), so here each partition is
binned on its own onto the *same* grid and the node arrays are added; one FFT convolution of
the sum gives the surface. The grid is the one the single-machine function would choose:

1. pass 1 over the partitions: number of points, latitude/longitude extent (the local
   projection's centre and, above :data:`hotspots.projection.FAST_MIN_POINTS` points, the
   lattice of the fast projection, both of the whole extent, not a partition's);
2. pass 2: the metric extent, and for the default bandwidth the sums behind the standard
   distance; the median distance to the mean centre is found exactly by a histogram of the
   distances (pass 3) and the values of the bin holding the median (pass 4);
3. pass 5: binning, then the convolution.

The result equals the single-machine surface up to floating-point summation order (within
1e-9 of it). One difference: without a study area, when a few far-off incidents would make the
grid too wide, the single-machine function leaves them out (it sorts every distance); the
engine refuses instead and asks for a study area (``--boundary``) or a larger bandwidth.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from hotspots import density as D
from hotspots import projection as P
from hotspots.engine.dataset import Source, add, map_reduce, stack
from hotspots.errors import InputError, ParameterError
from hotspots.schema import LAT, LON

#: Bins of the distance histogram that locates the median distance (pass 3).
_HIST_BINS = 1 << 16


def _part_extent(frame: pd.DataFrame) -> np.ndarray:
    lat, lon = frame[LAT].to_numpy(dtype=float), frame[LON].to_numpy(dtype=float)
    if lat.size == 0:
        return np.array([0.0, np.inf, -np.inf, np.inf, -np.inf])
    return np.array([lat.size, lat.min(), lat.max(), lon.min(), lon.max()], dtype=float)


def _merge_extent(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.array(
        [a[0] + b[0], min(a[1], b[1]), max(a[2], b[2]), min(a[3], b[3]), max(a[4], b[4])]
    )


def _project(
    frame: pd.DataFrame, crs: CRS, extent: P.Lattice | None
) -> tuple[np.ndarray, np.ndarray]:
    """Metric x, y of a partition, as the single-machine path projects the whole data:
    exact below :data:`hotspots.projection.FAST_MIN_POINTS` points, else on the whole data's
    :class:`hotspots.projection.Lattice` (``extent``)."""
    lat, lon = frame[LAT].to_numpy(dtype=float), frame[LON].to_numpy(dtype=float)
    if extent is None:
        x, y, _ = P.to_metric(lat, lon, crs)
        return x, y
    return extent.project(lat, lon)


def _part_moments(frame: pd.DataFrame, crs: CRS, extent: P.Lattice | None) -> np.ndarray:
    x, y = _project(frame, crs, extent)
    if x.size == 0:
        return np.array([np.inf, -np.inf, np.inf, -np.inf, 0.0, 0.0])
    return np.array([x.min(), x.max(), y.min(), y.max(), x.sum(), y.sum()])


def _merge_moments(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.array(
        [
            min(a[0], b[0]),
            max(a[1], b[1]),
            min(a[2], b[2]),
            max(a[3], b[3]),
            a[4] + b[4],
            a[5] + b[5],
        ]
    )


def _distances(frame, crs, extent, mx, my) -> np.ndarray:
    x, y = _project(frame, crs, extent)
    dx, dy = x - mx, y - my
    return dx * dx + dy * dy


def _part_d2(frame, crs, extent, mx, my) -> np.ndarray:
    d2 = _distances(frame, crs, extent, mx, my)
    return np.array([d2.sum(), d2.max() if d2.size else 0.0])


def _merge_d2(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.array([a[0] + b[0], max(a[1], b[1])])


def _part_hist(frame, crs, extent, mx, my, top) -> np.ndarray:
    d = np.sqrt(_distances(frame, crs, extent, mx, my))
    idx = np.minimum((d / top * _HIST_BINS).astype(np.int64), _HIST_BINS - 1)
    return np.bincount(idx, minlength=_HIST_BINS)


def _part_in_bins(frame, crs, extent, mx, my, top, bins) -> np.ndarray:
    d = np.sqrt(_distances(frame, crs, extent, mx, my))
    idx = np.minimum((d / top * _HIST_BINS).astype(np.int64), _HIST_BINS - 1)
    return d[np.isin(idx, bins)]


def _median_distance(source, crs, extent, mx, my, top, n, progress) -> float:
    """Exact median of the distances to (mx, my): a histogram, then the values of the bins
    holding the middle ranks (as ``np.median``: the mean of the two middle values)."""
    if top <= 0:
        return 0.0
    args = {"crs": crs, "extent": extent, "mx": mx, "my": my, "top": top}
    hist = map_reduce(source, partial(_part_hist, **args), add, progress=progress)
    cum = np.cumsum(hist)
    ranks = sorted({(n - 1) // 2, n // 2})
    bins = np.searchsorted(cum, np.array(ranks) + 1)  # bin holding rank r: cum[b] > r
    values = np.sort(
        map_reduce(source, partial(_part_in_bins, bins=bins, **args), stack, progress=progress)
    )
    before = np.concatenate([[0], cum])[bins.min()]
    picked = [values[r - before] for r in ranks]
    return float(np.mean(picked)) if len(picked) > 1 else float(picked[0])


def _part_bin(frame, crs, extent, grid: D.Grid) -> np.ndarray:
    """The partition's points on ``grid`` binned onto its nodes, and their number last."""
    x, y = grid.on_grid(*_project(frame, crs, extent))
    return np.append(grid.bin(x, y).ravel(), float(x.size))


def kde(
    source: Source | str,
    *,
    bandwidth: float | None = None,
    cell: float | None = None,
    kernel: D.Kernel = "quartic",
    bounds: Any = None,
    crs: CRS | str | None = None,
    progress: bool = False,
) -> D.DensitySurface:
    """:func:`hotspots.density.kde` of a partitioned dataset, on the current Dask client.

    Parameters
    ----------
    source : Source or path
        The partitioned dataset (and its filters, study area).
    bandwidth, cell, kernel, crs
        As :func:`hotspots.density.kde` (metres; the default bandwidth is ArcGIS's rule,
        computed exactly over all partitions).
    bounds : study-area polygon (EPSG:4326 shapely geometry, GeoSeries, GeoDataFrame), optional
        As :func:`hotspots.density.kde`; a metric box is not taken here.
    progress : bool
        Dask's progress bar on the terminal.

    Returns
    -------
    DensitySurface
        The single-machine surface (within 1e-9 of it).
    """
    if kernel not in D.KERNELS:
        raise ParameterError(f"kernel: use 'quartic' or 'gaussian', got {kernel!r}")
    if (
        bounds is not None
        and not isinstance(bounds, shapely.Geometry)
        and not hasattr(bounds, "geometry")
    ):
        raise ParameterError("bounds: the engine takes a study-area polygon, not a metric box")
    ext = map_reduce(source, _part_extent, _merge_extent, progress=progress)
    n_given = int(ext[0])
    if n_given == 0:
        raise InputError("kde: no incidents to map")
    lat_lo, lat_hi, lon_lo, lon_hi = (float(v) for v in ext[1:])
    area = None
    if crs is None:
        if bounds is not None:
            geom = _area_4326(bounds)
            crs = P.local_metric_crs(geom.centroid.y, geom.centroid.x)
        else:
            crs = P.local_metric_crs((lat_lo + lat_hi) / 2, (lon_lo + lon_hi) / 2)
    elif not isinstance(crs, CRS):
        crs = CRS.from_user_input(crs)
    if bounds is not None:
        area = P.geometry_to_metric(_area_4326(bounds), crs)
    extent = None
    if n_given >= P.FAST_MIN_POINTS:
        extent = P.Lattice(crs, lat_lo, lat_hi, lon_lo, lon_hi)
    args = {"crs": crs, "extent": extent}

    rule = "given"
    if bandwidth is None or area is None:
        mom = map_reduce(source, partial(_part_moments, **args), _merge_moments, progress=progress)
    if bandwidth is None:
        h = D._check_bandwidth(_default_bandwidth(source, args, mom, n_given, progress))
        rule = "arcgis-silverman"
    else:
        h = D._check_bandwidth(bandwidth)
    support = D.SUPPORT[kernel] * h
    cell = D.check_cell(cell, h)
    if area is not None:
        xmin, ymin, xmax, ymax = area.bounds
    else:
        xmin, xmax, ymin, ymax = (float(v) for v in mom[:4])
        if not D._fits(max(xmax - xmin, ymax - ymin), support, cell, h):
            raise ParameterError(
                f"bandwidth: the incidents spread over {(xmax - xmin) / 1000:,.1f} x "
                f"{(ymax - ymin) / 1000:,.1f} km, too wide a grid for {h:,.0f} m; on the dask "
                "engine give a study area (--boundary) or a larger bandwidth (far-off "
                "incidents are left out only on one machine)"
            )
    g = D.Grid.around((xmin, ymin, xmax, ymax), h, kernel, cell, rule=rule, given=area is None)
    flat = map_reduce(source, partial(_part_bin, grid=g, **args), add, progress=progress)
    n_on = int(flat[-1])
    values = g.density(flat[:-1].reshape(g.fine), kernel, h)
    mask = None if area is None else g.area_mask(area)
    return D.DensitySurface(
        values=values,
        x0=float(g.x0),
        y0=float(g.y0),
        cell=float(g.cell),
        crs=crs,
        bandwidth=h,
        kernel=kernel,
        n=n_on,
        area_mask=mask,
        bandwidth_rule=rule,
        outliers=0,
        outlier_distance_m=0.0,
        off_grid=n_given - n_on,
    )


def _area_4326(bounds: Any) -> shapely.Geometry:
    if isinstance(bounds, shapely.Geometry):
        area = bounds
    else:
        area = shapely.union_all(bounds.to_crs("EPSG:4326").geometry.values)
    if area.is_empty or area.geom_type not in ("Polygon", "MultiPolygon"):
        raise InputError("bounds: the study area must be a non-empty polygon (EPSG:4326)")
    return area


def _default_bandwidth(source, args, mom, n: int, progress: bool) -> float:
    """ArcGIS's rule (:func:`hotspots.density.default_bandwidth`) over all partitions."""
    D.check_rule_input(n)
    mx, my = mom[4] / n, mom[5] / n
    d2 = map_reduce(source, partial(_part_d2, mx=mx, my=my, **args), _merge_d2, progress=progress)
    sd = math.sqrt(d2[0] / n)
    dm = _median_distance(
        source, args["crs"], args["extent"], mx, my, math.sqrt(d2[1]), n, progress
    )
    return D.arcgis_rule(sd, dm, n)


__all__ = ["kde"]
