"""Kernel density of incidents: a surface in incidents per km², by binning and FFT convolution.

Method
------
1. Incidents are projected to a local metric CRS (:func:`hotspots.projection.local_metric_crs`,
   an azimuthal equidistant projection of the WGS84 ellipsoid centred on the data or the study
   area) with :func:`hotspots.projection.to_metric`'s fast path (within 1 cm of pyproj).
2. They are *linearly binned* (cloud-in-cell): each point's unit mass is shared between the four
   surrounding grid nodes in proportion to its bilinear weights.
3. The binned counts are convolved (``scipy.signal.fftconvolve``) with the kernel sampled at the
   grid offsets, normalised so that its discrete sum times the node area is exactly 1; the
   surface therefore integrates to the number of incidents on the grid.

Linear binning is the same as replacing the kernel by its bilinear interpolant between grid
nodes: for an isolated point the error at the peak is about (node spacing / bandwidth)² of the
peak for the quartic kernel. To keep it below 1 % whatever cell the user asks for, the
convolution runs on nodes ``oversample`` times finer than the output cell (at least 12 nodes per
bandwidth for the quartic kernel, 6 per sigma for the Gaussian) and the output takes the fine
value at each cell centre.

Kernels (d: distance to the incident, h: bandwidth in metres)

- ``"quartic"`` (biweight, ArcGIS and CrimeStat's default):
  K(d) = 3 / (pi h²) * (1 - d²/h²)² for d < h, else 0.
- ``"gaussian"``: sigma = h, K(d) = exp(-d² / 2h²) / (2 pi h²), truncated at 4 h (it keeps
  99.97 % of the mass; the discrete normalisation restores the rest).

Default bandwidth (:func:`default_bandwidth`): ArcGIS Kernel Density's spatial variant of
Silverman's rule, h = 0.9 * min(SD, sqrt(1 / ln 2) * Dm) * n^-0.2, with SD the standard
distance and Dm the median distance to the mean centre, in metres on the local projection.
Default cell: it follows the bandwidth, never the data's extent: h / 5, enlarged up to h / 2
when needed so that the grid has at most 1000 cells per side. A cell wider than the bandwidth
samples the kernel too coarsely (twenty calls once "integrated" to 28), so the automatic cell
never exceeds h / 2.
Grid extent: the bounds (or the incidents' extent) padded by the kernel's support radius
(h for quartic, 4 h for Gaussian), so no incident's kernel falls off the grid.

Far-off incidents: without bounds, when a few incidents far from the others would make the grid
wider than 1000 cells of h / 2 (one call 500 km away, a mistyped coordinate), the fewest of them
that must go (the farthest from the median centre; at most 5 % of the incidents) are left out
of the surface and counted in :attr:`DensitySurface.outliers` with the distance beyond which
they lie; :meth:`DensitySurface.notes` says so in words. Nothing is lost silently: ``n +
off_grid + outliers`` is the number of incidents given, and the surface integrates to ``n``.
When that is not enough (a 5 m bandwidth over a whole city), :class:`ParameterError` names the
bandwidth and the extent, and the smallest bandwidth that fits.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy import ndimage
from scipy.signal import fftconvolve

from hotspots.errors import InputError, ParameterError
from hotspots.projection import (
    centre_of,
    geometry_to_metric,
    local_metric_crs,
    to_lonlat,
    to_metric,
)
from hotspots.schema import CRS as WGS84
from hotspots.schema import LAT, LON

Kernel = Literal["quartic", "gaussian"]
KERNELS = ("quartic", "gaussian")

MIN_BANDWIDTH_M, MAX_BANDWIDTH_M = 1.0, 100_000.0
MAX_SIDE_DEFAULT = 1000  # cells per side when the cell size is chosen automatically
AUTO_CELL = 1 / 5  # the automatic cell, in bandwidths ...
MAX_AUTO_CELL = 1 / 2  # ... enlarged up to this (larger cells sample the kernel too coarsely)
MAX_OUTLIER_SHARE = 0.05  # at most this share of the incidents left out as far-off outliers
MAX_CELLS = 16_000_000  # output cells (4000 x 4000)
MAX_FINE_CELLS = 16_000_000  # convolution nodes, limits the oversampling
NODES_PER_BANDWIDTH = {"quartic": 12.0, "gaussian": 6.0}
SUPPORT = {"quartic": 1.0, "gaussian": 4.0}  # support radius in bandwidths

Bounds = tuple[float, float, float, float]


# --------------------------------------------------------------------------------------------
# The surface
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class DensitySurface:
    """A kernel density surface on a regular grid of a metric CRS.

    Attributes
    ----------
    values : ndarray (rows, cols)
        Density at the cell centres, incidents per km²; row 0 is the northern edge.
    x0, y0 : float
        Top-left corner of the grid (metres on ``crs``).
    cell : float
        Cell size, metres.
    crs : pyproj.CRS or None
        The metric CRS of the grid (None when plain x/y were given without a CRS).
    bandwidth : float
        Kernel bandwidth, metres (sigma for the Gaussian kernel).
    kernel : str
        ``"quartic"`` or ``"gaussian"``.
    n : int
        Number of incidents binned (those on the grid).
    area_mask : ndarray of bool or None
        Cells whose centre lies in the study area (when one was given): the reference area
        for :meth:`top_area_mask`.
    bandwidth_rule : str
        ``"given"`` or the name of the rule that chose the bandwidth.
    """

    values: np.ndarray
    x0: float
    y0: float
    cell: float
    crs: CRS | None
    bandwidth: float
    kernel: str
    n: int
    area_mask: np.ndarray | None = None
    bandwidth_rule: str = "given"
    outliers: int = 0
    outlier_distance_m: float = 0.0
    off_grid: int = 0

    @property
    def n_input(self) -> int:
        """Incidents given: ``n`` on the surface + ``outliers`` + ``off_grid``."""
        return self.n + self.outliers + self.off_grid

    def notes(self) -> list[str]:
        """Sentences on the incidents not on the surface (empty when all are on it).

        Examples
        --------
        >>> x = np.r_[np.zeros(19), 500_000.0]; y = np.zeros(20)
        >>> kde((x, y), bandwidth=250.0).notes()  # doctest: +NORMALIZE_WHITESPACE
        ['1 of 20 incidents lies 500.0 km or more from the median centre of the others and
          was left out of the surface (a grid reaching it would be too coarse for the 250 m
          bandwidth); the surface holds the other 19']
        """
        out = []
        if self.outliers:
            one = self.outliers == 1
            out.append(
                f"{self.outliers:,} of {self.n_input:,} incidents "
                f"{'lies' if one else 'lie'} "
                f"{math.floor(self.outlier_distance_m / 100) / 10:,.1f} km or more from the median "
                f"centre of the others and {'was' if one else 'were'} left out of the surface "
                f"(a grid reaching {'it' if one else 'them'} would be too coarse for the "
                f"{self.bandwidth:,.0f} m bandwidth); the surface holds the other "
                f"{self.n_input - self.outliers:,}"
            )
        if self.off_grid:
            out.append(
                f"{self.off_grid:,} of {self.n_input:,} incidents "
                f"{'lies' if self.off_grid == 1 else 'lie'} outside the mapped extent "
                f"(the bounds given) and {'is' if self.off_grid == 1 else 'are'} not on the "
                "surface"
            )
        return out

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols)."""
        return self.values.shape  # type: ignore[return-value]

    @property
    def bounds(self) -> Bounds:
        """(xmin, ymin, xmax, ymax) of the grid, metres on ``crs``."""
        rows, cols = self.shape
        return (self.x0, self.y0 - rows * self.cell, self.x0 + cols * self.cell, self.y0)

    @property
    def transform(self):
        """The grid's affine transform (rasterio/affine ``Affine``): pixel -> metres on ``crs``.

        Built directly: ``rasterio.transform.from_origin`` multiplies two ``Affine`` with the
        deprecated ``*`` operator.
        """
        from rasterio.transform import Affine

        return Affine(self.cell, 0.0, self.x0, 0.0, -self.cell, self.y0)

    @property
    def cell_area_km2(self) -> float:
        return self.cell * self.cell / 1e6

    def total(self) -> float:
        """Integral of the surface (sum of values times the cell area): incidents."""
        return float(self.values.sum() * self.cell_area_km2)

    def cell_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """x, y of the cell centres (metres on ``crs``), arrays of :attr:`shape`."""
        rows, cols = self.shape
        x = self.x0 + (np.arange(cols) + 0.5) * self.cell
        y = self.y0 - (np.arange(rows) + 0.5) * self.cell
        return np.meshgrid(x, y)

    def cell_centres_lonlat(self) -> tuple[np.ndarray, np.ndarray]:
        """lon, lat (WGS84 degrees) of the cell centres, arrays of :attr:`shape`."""
        crs = self._need_crs("cell_centres_lonlat")
        x, y = self.cell_centres()
        lon, lat = to_lonlat(x.ravel(), y.ravel(), crs)
        return lon.reshape(self.shape), lat.reshape(self.shape)

    def value_at(self, lat: float | np.ndarray, lon: float | np.ndarray) -> float | np.ndarray:
        """Density (incidents per km²) at WGS84 points, bilinear between cell centres.

        Points off the grid get NaN.
        """
        crs = self._need_crs("value_at")
        scalar = np.ndim(lat) == 0
        x, y, _ = to_metric(np.atleast_1d(lat), np.atleast_1d(lon), crs)
        xmin, ymin, xmax, ymax = self.bounds
        col = (x - self.x0) / self.cell - 0.5
        row = (self.y0 - y) / self.cell - 0.5
        out = ndimage.map_coordinates(self.values, [row, col], order=1, mode="nearest")
        out[(x < xmin) | (x > xmax) | (y < ymin) | (y > ymax)] = np.nan
        return float(out[0]) if scalar else out

    def top_area_mask(self, fraction: float) -> np.ndarray:
        """Cells holding the densest ``fraction`` of the area (the study area when known).

        Parameters
        ----------
        fraction : float
            Share of the area, 0 < fraction <= 1 (0.05: the densest 5 %). Cells of zero
            density are never included, so the mask can be smaller on sparse maps.

        Returns
        -------
        ndarray of bool, :attr:`shape`
        """
        if not (isinstance(fraction, int | float) and 0 < fraction <= 1):
            raise ParameterError(
                f"top_area: share of the area must be > 0 and <= 1 (0.05 = 5 %), got {fraction!r}"
            )
        ref = self.area_mask if self.area_mask is not None else np.ones(self.shape, dtype=bool)
        flat = np.where(ref, self.values, -np.inf).ravel()
        k = int(round(fraction * int(ref.sum())))
        mask = np.zeros(flat.size, dtype=bool)
        if k > 0:
            top = np.argpartition(flat, flat.size - k)[flat.size - k :]
            mask[top] = True
        mask &= flat > 0
        return mask.reshape(self.shape)

    def contours(self, top_area: float = 0.05) -> gpd.GeoDataFrame:
        """Polygons of the densest ``top_area`` share of the area, EPSG:4326.

        The polygons follow the cell edges of :meth:`top_area_mask` (so their area is exactly
        the share asked for); one row per connected hotspot (4-connectivity).

        Returns
        -------
        geopandas.GeoDataFrame
            ``hotspot`` (1 = most incidents), ``incidents`` (integral of the surface over the
            polygon), ``area_km2``, ``peak`` and ``threshold`` (incidents per km²: the highest
            value and the lowest value kept), ``top_area``, ``geometry``.
        """
        from rasterio.features import shapes

        crs = self._need_crs("contours")
        mask = self.top_area_mask(top_area)
        labels, count = ndimage.label(mask)
        columns = ["hotspot", "incidents", "area_km2", "peak", "threshold", "top_area"]
        if count == 0:
            return gpd.GeoDataFrame(
                {c: pd.Series(dtype=float) for c in columns}, geometry=[], crs=WGS84
            )
        idx = np.arange(1, count + 1)
        sums = ndimage.sum_labels(self.values, labels, idx) * self.cell_area_km2
        cells = ndimage.sum_labels(mask, labels, idx)
        peaks = ndimage.maximum(self.values, labels, idx)
        geoms: dict[int, list] = {}
        for geom, value in shapes(labels.astype(np.int32), mask=mask, transform=self.transform):
            geoms.setdefault(int(value), []).append(shapely.geometry.shape(geom))
        polys = [shapely.union_all(geoms[i]) for i in idx]
        frame = gpd.GeoDataFrame(
            {
                "incidents": sums,
                "area_km2": cells * self.cell_area_km2,
                "peak": peaks,
                "threshold": float(self.values[mask].min()),
                "top_area": float(top_area),
            },
            geometry=polys,
            crs=crs,
        )
        frame = frame.sort_values("incidents", ascending=False, kind="stable")
        frame.insert(0, "hotspot", np.arange(1, count + 1))
        return frame.reset_index(drop=True).to_crs(WGS84)

    def to_geotiff(self, path: str | Path, *, provenance: Mapping[str, Any] | None = None) -> Path:
        """Write the surface as a single-band float32 GeoTIFF (incidents per km²).

        The grid's own metric CRS is written (its WKT: a local azimuthal equidistant
        projection), so GIS software such as QGIS places and reprojects it on the fly; no
        resampling is done. Tags record the unit, kernel, bandwidth and incident count, and
        ``provenance`` (:meth:`hotspots.provenance.Provenance.as_dict`), when given, as JSON
        under the tag ``hotspots_provenance``.
        """
        import rasterio

        crs = self._need_crs("to_geotiff")
        path = Path(path)
        if path.suffix.lower() not in (".tif", ".tiff"):
            raise InputError(f"cannot write {path.name}: a density surface is a .tif GeoTIFF")
        path.parent.mkdir(parents=True, exist_ok=True)
        rows, cols = self.shape
        from hotspots.output import atomic_write  # an interrupted write leaves no half file

        with atomic_write(path) as tmp, rasterio.open(
            tmp,
            "w",
            driver="GTiff",
            height=rows,
            width=cols,
            count=1,
            dtype="float32",
            crs=rasterio.crs.CRS.from_wkt(crs.to_wkt()),
            transform=self.transform,
            compress="deflate",
        ) as dst:
            dst.write(self.values.astype(np.float32), 1)
            dst.update_tags(
                units="incidents per km2",
                kernel=self.kernel,
                bandwidth_m=f"{self.bandwidth:.3f}",
                bandwidth_rule=self.bandwidth_rule,
                cell_m=f"{self.cell:.3f}",
                incidents=str(self.n),
                **(
                    {}
                    if provenance is None
                    else {
                        "hotspots_provenance": json.dumps(
                            dict(provenance), ensure_ascii=False, default=str
                        )
                    }
                ),
            )
            dst.set_band_description(1, "kernel density, incidents per km2")
        return path

    def _need_crs(self, what: str) -> CRS:
        if self.crs is None:
            raise ParameterError(f"{what}: the surface has no CRS; pass crs= to kde()")
        return self.crs


# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------


def default_bandwidth(x: np.ndarray, y: np.ndarray) -> float:
    """ArcGIS's spatial variant of Silverman's rule of thumb, metres.

    h = 0.9 * min(SD, sqrt(1 / ln 2) * Dm) * n^-0.2, with SD the standard distance
    (sqrt of the mean squared distance to the mean centre) and Dm the median distance to the
    mean centre, both in metres.

    Examples
    --------
    >>> x = np.array([0.0, 100.0, 0.0, 100.0]); y = np.array([0.0, 0.0, 100.0, 100.0])
    >>> round(default_bandwidth(x, y), 2)  # SD = Dm = 70.71: 0.9 * 70.71 * 4^-0.2
    48.23
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = x.size
    check_rule_input(n)
    dx, dy = x - x.mean(), y - y.mean()
    d2 = dx * dx + dy * dy
    return arcgis_rule(math.sqrt(d2.mean()), float(np.median(np.sqrt(d2))), n)


def check_rule_input(n: int) -> None:
    """The default rule needs two incidents or more."""
    if n < 2:
        raise ParameterError(
            "bandwidth: the default rule needs at least 2 incidents; give a bandwidth in metres"
        )


def arcgis_rule(sd: float, dm: float, n: int) -> float:
    """h = 0.9 * min(SD, sqrt(1 / ln 2) * Dm) * n^-0.2 (metres), from the standard distance
    ``sd`` and the median distance ``dm`` to the mean centre of ``n`` incidents."""
    h = 0.9 * min(sd, math.sqrt(1.0 / math.log(2.0)) * dm) * n**-0.2
    if not h > 0:
        raise ParameterError(
            "bandwidth: the incidents are (nearly) all at one place, so the default rule gives "
            "0; give a bandwidth in metres"
        )
    return float(h)


def _check_bandwidth(bandwidth: float) -> float:
    try:
        h = float(bandwidth)
    except (TypeError, ValueError):
        h = float("nan")
    if not MIN_BANDWIDTH_M <= h <= MAX_BANDWIDTH_M:
        raise ParameterError(
            f"bandwidth: kernel radius in metres must be between {MIN_BANDWIDTH_M:g} and "
            f"{MAX_BANDWIDTH_M:g}, got {bandwidth!r}"
        )
    return h


# --------------------------------------------------------------------------------------------
# The estimator
# --------------------------------------------------------------------------------------------


def _kernel_weights(kernel: str, h: float, step: float) -> np.ndarray:
    """Kernel sampled at the grid offsets, normalised so that sum * step² == 1 (per m²)."""
    radius = int(math.floor(SUPPORT[kernel] * h / step))
    off = np.arange(-radius, radius + 1) * step
    d2 = off[:, None] ** 2 + off[None, :] ** 2
    if kernel == "quartic":
        u = np.clip(1.0 - d2 / (h * h), 0.0, None)
        k = 3.0 / (math.pi * h * h) * u * u
    else:
        k = np.exp(-d2 / (2 * h * h)) / (2 * math.pi * h * h)
        k[d2 > (SUPPORT[kernel] * h) ** 2] = 0.0
    return k / (k.sum() * step * step)


def linear_binning(
    x: np.ndarray, y: np.ndarray, x_first: float, y_first: float, step: float, shape: tuple
) -> np.ndarray:
    """Cloud-in-cell binning onto nodes at (x_first + j step, y_first - i step).

    Each point's unit mass goes to the 4 surrounding nodes with bilinear weights; mass that
    would fall outside the node array goes to the nearest edge node (so it is conserved).
    """
    rows, cols = shape
    fx = (x - x_first) / step
    fy = (y_first - y) / step
    ix = np.floor(fx)
    iy = np.floor(fy)
    tx = fx - ix
    ty = fy - iy
    ix = ix.astype(np.int64)
    iy = iy.astype(np.int64)
    sx = 1.0 - tx
    sy = 1.0 - ty
    size = rows * cols
    inside = ix.size == 0 or (
        ix.min() >= 0 and iy.min() >= 0 and ix.max() <= cols - 2 and iy.max() <= rows - 2
    )
    if inside:  # the usual case (the grid is padded): no clipping needed
        base = iy * cols + ix
        w00 = sy * sx
        w01 = sy - w00  # sy tx
        w10 = sx - w00  # ty sx
        w11 = tx - w01  # ty tx
        out = np.bincount(base, weights=w00, minlength=size)
        base += 1
        out += np.bincount(base, weights=w01, minlength=size)
        base += cols
        out += np.bincount(base, weights=w11, minlength=size)
        base -= 1
        out += np.bincount(base, weights=w10, minlength=size)
        return out.reshape(rows, cols)
    ix0, ix1 = np.clip(ix, 0, cols - 1), np.clip(ix + 1, 0, cols - 1)
    iy0, iy1 = np.clip(iy, 0, rows - 1) * cols, np.clip(iy + 1, 0, rows - 1) * cols
    out = np.bincount(iy0 + ix0, weights=sy * sx, minlength=size)
    out += np.bincount(iy0 + ix1, weights=sy * tx, minlength=size)
    out += np.bincount(iy1 + ix0, weights=ty * sx, minlength=size)
    out += np.bincount(iy1 + ix1, weights=ty * tx, minlength=size)
    return out.reshape(rows, cols)


def check_cell(cell: float | None, h: float) -> float | None:
    """``cell`` (metres) checked against the bandwidth ``h``: 0.5 m up to ``h``; ``None``
    stays ``None`` (the automatic cell)."""
    if cell is None:
        return None
    try:
        c = float(cell)
    except (TypeError, ValueError):
        c = float("nan")
    if not 0.5 <= c <= h:
        raise ParameterError(
            f"cell: cell size in metres must be between 0.5 and the bandwidth ({h:g} m), "
            f"got {cell!r}"
        )
    return c


@dataclass(frozen=True)
class Grid:
    """The raster of a density surface and its convolution nodes.

    ``rows`` x ``cols`` cells of ``cell`` metres, the north-west corner at (``x0``, ``y0``);
    the nodes are ``over`` times finer (``step`` metres apart, ``fine`` of them), every cell
    centre a node. Made by :meth:`around` from an extent; points are binned onto the nodes
    (:meth:`bin`, which adds up over parts of the points) and the sum convolved once
    (:meth:`density`).
    """

    x0: float
    y0: float
    cell: float
    rows: int
    cols: int
    over: int

    @property
    def step(self) -> float:
        return self.cell / self.over

    @property
    def fine(self) -> tuple[int, int]:
        return ((self.rows - 1) * self.over + 1, (self.cols - 1) * self.over + 1)

    @classmethod
    def around(
        cls,
        extent: tuple[float, float, float, float],
        h: float,
        kernel: str,
        cell: float | None,
        *,
        rule: str = "given",
        given: bool = True,
    ) -> Grid:
        """The grid over ``extent`` (xmin, ymin, xmax, ymax metres) padded by the kernel's
        support: cells of ``cell`` metres, or bandwidth / 5 enlarged to at most 1000 a side
        (``rule`` and ``given`` word the message when even h / 2 cannot cover it)."""
        xmin, ymin, xmax, ymax = extent
        support = SUPPORT[kernel] * h
        width = xmax - xmin + 2 * support
        height = ymax - ymin + 2 * support
        if cell is None:
            c = max(AUTO_CELL * h, max(width, height) / MAX_SIDE_DEFAULT)
            if c > MAX_AUTO_CELL * h * (1 + 1e-9):
                raise ParameterError(_too_fine(h, rule, width, height, support, given=given))
        else:
            c = cell
        cols = max(1, math.ceil(width / c))
        rows = max(1, math.ceil(height / c))
        if rows * cols > MAX_CELLS:
            raise ParameterError(
                f"cell: {c:g} m gives a {rows} x {cols} grid (over {MAX_CELLS:,} cells); use a "
                "larger cell or a smaller study area"
            )
        # nodes `over` times finer than the cells; every cell centre is a node
        over = max(1, math.ceil(NODES_PER_BANDWIDTH[kernel] * c / h))
        while over > 1 and ((rows - 1) * over + 1) * ((cols - 1) * over + 1) > MAX_FINE_CELLS:
            over -= 1
        # centre the grid on the padded extent
        x0 = (xmin + xmax) / 2 - cols * c / 2
        y0 = (ymin + ymax) / 2 + rows * c / 2
        return cls(x0, y0, c, rows, cols, over)

    def on_grid(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The points inside the grid's cells."""
        c = self.cell
        inside = (
            (x >= self.x0)
            & (x <= self.x0 + self.cols * c)
            & (y <= self.y0)
            & (y >= self.y0 - self.rows * c)
        )
        return (x, y) if inside.all() else (x[inside], y[inside])

    def bin(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Linear binning of points on the grid onto the nodes (:func:`linear_binning`)."""
        c = self.cell
        return linear_binning(x, y, self.x0 + c / 2, self.y0 - c / 2, self.step, self.fine)

    def density(self, binned: np.ndarray, kernel: str, h: float) -> np.ndarray:
        """The binned nodes convolved with the kernel, sampled at the cell centres, per km²."""
        weights = _kernel_weights(kernel, h, self.step)
        dens = fftconvolve(binned, weights, mode="same")[:: self.over, :: self.over]
        # FFT round-off leaves ~1e-17 noise where the density is 0
        dens[dens < weights.max() * 1e-9] = 0.0
        return dens * 1e6  # per m² -> per km²

    def area_mask(self, area: shapely.Geometry) -> np.ndarray:
        """Cells whose centre lies in ``area`` (a polygon in the grid's metres)."""
        gx = self.x0 + (np.arange(self.cols) + 0.5) * self.cell
        gy = self.y0 - (np.arange(self.rows) + 0.5) * self.cell
        mx, my = np.meshgrid(gx, gy)
        return shapely.contains_xy(area, mx, my)


def _input_points(
    data, crs: CRS | None, bounds
) -> tuple[np.ndarray, np.ndarray, CRS | None, shapely.Geometry | None]:
    """Metric x, y of the incidents, the CRS, and the study-area polygon in that CRS."""
    area = None
    if isinstance(bounds, gpd.GeoSeries | gpd.GeoDataFrame):
        area = shapely.union_all(bounds.to_crs(WGS84).geometry.values)
    elif isinstance(bounds, shapely.Geometry):
        area = bounds
    if area is not None and (area.is_empty or area.geom_type not in ("Polygon", "MultiPolygon")):
        raise InputError("bounds: the study area must be a non-empty polygon (EPSG:4326)")
    if isinstance(data, pd.DataFrame):
        if LAT not in data.columns or LON not in data.columns:
            raise InputError("kde: the incidents need 'lat' and 'lon' columns (WGS84 degrees)")
        lat = data[LAT].to_numpy(dtype=float)
        lon = data[LON].to_numpy(dtype=float)
        if not (np.isfinite(lat).all() and np.isfinite(lon).all()):
            raise InputError("kde: some incidents have no coordinates; drop them first")
        if crs is None:
            if area is not None:
                c = area.centroid
                crs = local_metric_crs(c.y, c.x)
            elif lat.size:
                crs = local_metric_crs(*centre_of(lat, lon))
            else:
                raise InputError("kde: no incidents to map")
        x, y, crs = to_metric(lat, lon, crs, fast=True)
    else:
        arr = data
        if isinstance(arr, tuple | list) and len(arr) == 2:
            x, y = (np.asarray(a, dtype=float).ravel() for a in arr)
        else:
            arr = np.asarray(arr, dtype=float)
            if arr.ndim != 2 or arr.shape[1] != 2:
                raise InputError("kde: give incidents (a frame with lat/lon) or metric (x, y)")
            x, y = arr[:, 0], arr[:, 1]
        if x.shape != y.shape or not (np.isfinite(x).all() and np.isfinite(y).all()):
            raise InputError("kde: x and y must be finite arrays of one length (metres)")
        crs = CRS.from_user_input(crs) if crs is not None else None
    if area is not None:
        if crs is None:
            raise ParameterError("bounds: a study-area polygon needs crs= for metric x/y input")
        area = geometry_to_metric(area, crs)
    return x, y, crs, area


def kde(
    incidents_or_xy,
    *,
    bandwidth: float | None = None,
    cell: float | None = None,
    kernel: Kernel = "quartic",
    bounds: Bounds | shapely.Geometry | gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    crs: CRS | str | None = None,
) -> DensitySurface:
    """Kernel density surface of incidents, in incidents per km².

    Parameters
    ----------
    incidents_or_xy : DataFrame with ``lat``/``lon``, or (x, y) arrays / an (n, 2) array
        Incidents in WGS84 degrees (canonical frames), or points already in metres on ``crs``.
    bandwidth : float, optional
        Kernel radius in metres (the quartic kernel's support radius; the Gaussian's sigma),
        1 to 100 000. Default: :func:`default_bandwidth` (ArcGIS's rule).
    cell : float, optional
        Output cell size in metres, 0.5 m up to ``bandwidth``. Default: bandwidth / 5, enlarged
        so the grid has at most 1000 cells per side.
    kernel : {"quartic", "gaussian"}
        See the module docstring.
    bounds : (xmin, ymin, xmax, ymax) in metres on ``crs``, or a study-area polygon
        Extent to map (padded by the kernel's support radius). A polygon (EPSG:4326 shapely
        geometry, GeoSeries or GeoDataFrame) also becomes the reference area of
        :meth:`DensitySurface.top_area_mask`. Default: the incidents' extent.
    crs : pyproj CRS or str, optional
        Metric CRS of the grid. Default for lat/lon input: a local azimuthal equidistant CRS
        centred on the data (or the study area).

    Returns
    -------
    DensitySurface
        Integrates to the number of incidents on the grid (exactly up to rounding when no
        incident lies within a bandwidth of the grid's edge, as with the default extent).

    Examples
    --------
    >>> s = kde((np.array([0.0]), np.array([0.0])), bandwidth=100.0, cell=8.0)
    >>> round(float(s.values.max()), 1)  # at the point: 3 / (pi 100²) per m² = 95.5 per km²
    95.5
    """
    if kernel not in KERNELS:
        raise ParameterError(f"kernel: use 'quartic' or 'gaussian', got {kernel!r}")
    metric_bbox = None
    if bounds is not None and not isinstance(
        bounds, shapely.Geometry | gpd.GeoSeries | gpd.GeoDataFrame
    ):
        try:
            metric_bbox = tuple(float(v) for v in bounds)  # type: ignore[union-attr]
            assert len(metric_bbox) == 4
            assert metric_bbox[0] < metric_bbox[2] and metric_bbox[1] < metric_bbox[3]
        except (TypeError, ValueError, AssertionError):
            raise ParameterError(
                "bounds: give (xmin, ymin, xmax, ymax) in metres with xmin < xmax and "
                f"ymin < ymax, or a study-area polygon; got {bounds!r}"
            ) from None
        if crs is None and isinstance(incidents_or_xy, pd.DataFrame):
            raise ParameterError("bounds: a metric box needs crs= (the CRS of its metres)")
    x, y, crs_, area = _input_points(incidents_or_xy, crs, None if metric_bbox else bounds)

    rule = "given"
    if bandwidth is None:
        h = _check_bandwidth(default_bandwidth(x, y))
        rule = "arcgis-silverman"
    else:
        h = _check_bandwidth(bandwidth)
    support = SUPPORT[kernel] * h

    cell = check_cell(cell, h)
    n_given = int(x.size)
    keep = None
    outlier_d = 0.0
    if metric_bbox is not None:
        xmin, ymin, xmax, ymax = metric_bbox
    elif area is not None:
        xmin, ymin, xmax, ymax = area.bounds
    elif x.size:
        keep, outlier_d = _core(x, y, h, support, cell)
        if keep is not None:
            x, y = x[keep], y[keep]
        xmin, ymin, xmax, ymax = x.min(), y.min(), x.max(), y.max()
    else:
        raise InputError("kde: no incidents to map")
    g = Grid.around((xmin, ymin, xmax, ymax), h, kernel, cell, rule=rule, given=area is None)
    x, y = g.on_grid(x, y)
    values = g.density(g.bin(x, y), kernel, h)
    mask = None if area is None else g.area_mask(area)
    return DensitySurface(
        values=values,
        x0=float(g.x0),
        y0=float(g.y0),
        cell=float(g.cell),
        crs=crs_,
        bandwidth=h,
        kernel=kernel,
        n=int(x.size),
        area_mask=mask,
        bandwidth_rule=rule,
        outliers=0 if keep is None else int(n_given - keep.sum()),
        outlier_distance_m=float(outlier_d),
        off_grid=int(n_given - (0 if keep is None else n_given - keep.sum()) - x.size),
    )


def _fits(span: float, support: float, cell: float | None, h: float) -> bool:
    """Whether a data span (metres) fits the grid: 1000 cells of at most h / 2 (automatic
    cell) or the ``MAX_CELLS`` budget along one side (given cell)."""
    if cell is None:
        return span + 2 * support <= MAX_SIDE_DEFAULT * MAX_AUTO_CELL * h
    return span + 2 * support <= math.sqrt(MAX_CELLS) * float(cell)


def _core(
    x: np.ndarray, y: np.ndarray, h: float, support: float, cell: float | None
) -> tuple[np.ndarray | None, float]:
    """The incidents the grid covers when no bounds are given.

    All of them when their extent fits (:func:`_fits`); else the fewest far-off ones are left
    out (farthest from the median centre first, at most :data:`MAX_OUTLIER_SHARE` of them, and
    one of ten or more incidents). Returns (mask of those kept or None when all are, the
    distance in metres from the median centre of the nearest of those left out).
    """
    if _fits(max(np.ptp(x), np.ptp(y)), support, cell, h):
        return None, 0.0
    n = x.size
    k_max = max(int(MAX_OUTLIER_SHARE * n), 1 if n >= 10 else 0)
    if k_max == 0:
        return None, 0.0
    d = np.hypot(x - np.median(x), y - np.median(y))
    order = np.argsort(d, kind="stable")

    def fits_without(k: int) -> bool:
        kept = order[: n - k]
        return _fits(max(np.ptp(x[kept]), np.ptp(y[kept])), support, cell, h)

    if not fits_without(k_max):
        return None, 0.0  # not a few outliers: the caller says the grid is too large
    lo, hi = 1, k_max  # the fewest k that fits (fits_without is monotone in k)
    while lo < hi:
        mid = (lo + hi) // 2
        if fits_without(mid):
            hi = mid
        else:
            lo = mid + 1
    keep = np.zeros(n, dtype=bool)
    keep[order[: n - lo]] = True
    return keep, float(d[order[n - lo]])


def _too_fine(h: float, rule: str, width: float, height: float, support: float, given: bool):
    """The message when an automatic grid cannot cover the extent: it names the bandwidth
    (set or chosen by the rule), the extent and the smallest bandwidth that fits."""
    span = max(width, height) - 2 * support
    # span + 2 s h <= side * h / 2  <=>  h >= span / (side / 2 - 2 s)
    s = support / h
    need = span / (MAX_SIDE_DEFAULT * MAX_AUTO_CELL - 2 * s)
    which = f"{h:,.0f} m" if rule == "given" else f"{h:,.0f} m (the default rule's)"
    what = "the incidents spread" if given else "the study area spans"
    return (
        f"bandwidth: {which} is too small for a map of this size: {what} over "
        f"{(width - 2 * support) / 1000:,.1f} x {(height - 2 * support) / 1000:,.1f} km, and "
        f"a grid of at most {MAX_SIDE_DEFAULT:,} cells across, each at most half the bandwidth, "
        f"covers {(MAX_SIDE_DEFAULT * MAX_AUTO_CELL - 2 * s) * h / 1000:,.1f} km; use a "
        f"bandwidth of at least {math.ceil(need):,} m, or map a smaller area"
    )
