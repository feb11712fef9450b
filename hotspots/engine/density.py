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
from scipy.signal import fftconvolve

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


class Lattice:
    """The fast projection of :func:`hotspots.projection.to_metric` built once on the whole
    data's extent and applied to each partition (the same numbers as on one machine: its
    nodes depend on the extent only; the arithmetic is that of ``projection._lattice``).

    ``exact`` when the extent is too elongated or the interpolation too coarse there, as the
    single-machine path decides.
    """

    def __init__(self, crs: CRS, lat_lo: float, lat_hi: float, lon_lo: float, lon_hi: float):
        self.crs, self.lat_lo, self.lon_lo = crs, lat_lo, lon_lo
        step = max(0.005, math.sqrt((lat_hi - lat_lo) * (lon_hi - lon_lo) / 40_000))
        n_lat = max(2, math.ceil((lat_hi - lat_lo) / step) + 1)
        n_lon = max(2, math.ceil((lon_hi - lon_lo) / step) + 1)
        self.step, self.n_lat, self.n_lon = step, n_lat, n_lon
        self.exact = n_lat * n_lon > 80_000
        self.coef: list[list[np.ndarray]] = []
        if self.exact:
            return
        glat = lat_lo + np.arange(n_lat) * step
        glon = lon_lo + np.arange(n_lon) * step
        mlat, mlon = np.meshgrid(glat, glon, indexing="ij")
        nx, ny = P._exact(mlat.ravel(), mlon.ravel(), crs)
        nx, ny = nx.reshape(n_lat, n_lon), ny.reshape(n_lat, n_lon)
        for v in (nx, ny):
            a = v[:-1, :-1]
            b = v[:-1, 1:] - a
            c = v[1:, :-1] - a
            d = v[1:, 1:] - v[1:, :-1] - v[:-1, 1:] + a
            self.coef.append([m.ravel() for m in (a, b, c, d)])
        clat, clon = np.meshgrid(glat[:-1] + step / 2, glon[:-1] + step / 2, indexing="ij")
        ex, ey = P._exact(clat.ravel(), clon.ravel(), crs)
        err = 0.0
        for (a, b, c, d), e in zip(self.coef, (ex, ey), strict=True):
            err = max(err, float(np.max(np.abs(a + 0.5 * b + 0.5 * c + 0.25 * d - e))))
        self.exact = err > P.FAST_TOLERANCE_M

    def project(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Metric x, y of WGS84 points inside the extent."""
        if self.exact:
            return P._exact(lat, lon, self.crs)
        fu = (lon - self.lon_lo) * (1.0 / self.step)
        fw = (lat - self.lat_lo) * (1.0 / self.step)
        iu = np.minimum(fu.astype(np.int64), self.n_lon - 2)
        iw = np.minimum(fw.astype(np.int64), self.n_lat - 2)
        u = fu - iu
        w = fw - iw
        cell = iw * (self.n_lon - 1) + iu
        out = []
        for a, b, c, d in self.coef:
            out.append(a.take(cell) + u * (b.take(cell) + w * d.take(cell)) + w * c.take(cell))
        return out[0], out[1]


def _project(
    frame: pd.DataFrame, crs: CRS, extent: Lattice | None
) -> tuple[np.ndarray, np.ndarray]:
    """Metric x, y of a partition, as the single-machine path projects the whole data:
    exact below :data:`hotspots.projection.FAST_MIN_POINTS` points, else on the whole data's
    :class:`Lattice` (``extent``)."""
    lat, lon = frame[LAT].to_numpy(dtype=float), frame[LON].to_numpy(dtype=float)
    if extent is None:
        x, y, _ = P.to_metric(lat, lon, crs)
        return x, y
    return extent.project(lat, lon)


def _part_moments(frame: pd.DataFrame, crs: CRS, extent: Lattice | None) -> np.ndarray:
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


def _part_bin(frame, crs, extent, x0, y0, c, rows, cols, step, fine) -> np.ndarray:
    x, y = _project(frame, crs, extent)
    on_grid = (x >= x0) & (x <= x0 + cols * c) & (y <= y0) & (y >= y0 - rows * c)
    x, y = x[on_grid], y[on_grid]
    binned = D.linear_binning(x, y, x0 + c / 2, y0 - c / 2, step, fine).ravel()
    return np.append(binned, float(x.size))


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
        extent = Lattice(crs, lat_lo, lat_hi, lon_lo, lon_hi)
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
    if cell is not None:
        try:
            c = float(cell)
        except (TypeError, ValueError):
            c = float("nan")
        if not 0.5 <= c <= h:
            raise ParameterError(
                f"cell: cell size in metres must be between 0.5 and the bandwidth ({h:g} m), "
                f"got {cell!r}"
            )
        cell = c
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
    width = xmax - xmin + 2 * support
    height = ymax - ymin + 2 * support
    if cell is None:
        c = max(D.AUTO_CELL * h, max(width, height) / D.MAX_SIDE_DEFAULT)
        if c > D.MAX_AUTO_CELL * h * (1 + 1e-9):
            raise ParameterError(D._too_fine(h, rule, width, height, support, given=area is None))
    else:
        c = cell
    cols = max(1, math.ceil(width / c))
    rows = max(1, math.ceil(height / c))
    if rows * cols > D.MAX_CELLS:
        raise ParameterError(
            f"cell: {c:g} m gives a {rows} x {cols} grid (over {D.MAX_CELLS:,} cells); use a "
            "larger cell or a smaller study area"
        )
    x0 = (xmin + xmax) / 2 - cols * c / 2
    y0 = (ymin + ymax) / 2 + rows * c / 2
    over = max(1, math.ceil(D.NODES_PER_BANDWIDTH[kernel] * c / h))
    while over > 1 and ((rows - 1) * over + 1) * ((cols - 1) * over + 1) > D.MAX_FINE_CELLS:
        over -= 1
    step = c / over
    fine = ((rows - 1) * over + 1, (cols - 1) * over + 1)

    flat = map_reduce(
        source,
        partial(_part_bin, x0=x0, y0=y0, c=c, rows=rows, cols=cols, step=step, fine=fine, **args),
        add,
        progress=progress,
    )
    n_on = int(flat[-1])
    binned = flat[:-1].reshape(fine)
    weights = D._kernel_weights(kernel, h, step)
    dens = fftconvolve(binned, weights, mode="same")[::over, ::over]
    dens[dens < weights.max() * 1e-9] = 0.0
    mask = None
    if area is not None:
        gx = x0 + (np.arange(cols) + 0.5) * c
        gy = y0 - (np.arange(rows) + 0.5) * c
        mx, my = np.meshgrid(gx, gy)
        mask = shapely.contains_xy(area, mx, my)
    return D.DensitySurface(
        values=dens * 1e6,
        x0=float(x0),
        y0=float(y0),
        cell=float(c),
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
    if n < 2:
        raise ParameterError(
            "bandwidth: the default rule needs at least 2 incidents; give a bandwidth in metres"
        )
    mx, my = mom[4] / n, mom[5] / n
    d2 = map_reduce(source, partial(_part_d2, mx=mx, my=my, **args), _merge_d2, progress=progress)
    sd = math.sqrt(d2[0] / n)
    dm = _median_distance(
        source, args["crs"], args["extent"], mx, my, math.sqrt(d2[1]), n, progress
    )
    h = 0.9 * min(sd, math.sqrt(1.0 / math.log(2.0)) * dm) * n**-0.2
    if not h > 0:
        raise ParameterError(
            "bandwidth: the incidents are (nearly) all at one place, so the default rule gives "
            "0; give a bandwidth in metres"
        )
    return float(h)


__all__ = ["kde"]
