"""Presenter privacy: what a published map, table or file may say about individual calls.

Presenter outputs (slides, printed plans, the app's presenter mode) are seen by people who
must not be able to read a caller's or a victim's address off them. The rules, applied by
:mod:`hotspots.patrol`, :mod:`hotspots.maps`, :mod:`hotspots.report` and the app in presenter
mode, all live here:

- **At least K calls.** A shape, count, bar or tooltip stands for at least ``k`` calls, or it
  is not shown: :func:`suppress_counts` writes counts below ``k`` as ``"< k"``,
  :func:`generalise_outlines` drops hotspots of fewer than ``k`` calls.
- **Shapes from a grid, never from the calls.** A cluster's outline (a convex hull of its
  calls buffered by 25 m: each hull vertex is the centre of an arc, so fitting circles to the
  outline gives back the calls to within a metre) is replaced by the union of the cells of a
  fixed lattice of longitudes and latitudes whose centres lie inside it. Every vertex of the
  published outline is then a lattice corner, the same for every data set.
- **Coordinates to about 100 m.** Published coordinates are rounded to
  :func:`coordinate_decimals` decimals of a degree (``precision_m=100``: 3 decimals, a step of
  0.001° = 111 m of latitude, 81 m of longitude at 43° N), and the lattice of the outlines
  has the same step, so every coordinate of an outline is such a rounded value too (as
  data.police.uk snaps every crime to an anonymous "map point").
- **Density only where K calls are.** A kernel-density surface is masked (set to 0) where
  fewer than ``k`` calls fall within the bandwidth of a cell's centre (:func:`mask_density`,
  :func:`counts_within_bandwidth`) and where it is lower than ``k`` times the density one
  call gives at its own position (:func:`density_floor`): a lone call draws no heat and no
  contour.

Every function is vectorised over calls (no Python loop per call); distances are in metres.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from hotspots.errors import ParameterError
from hotspots.projection import geometry_to_metric, local_metric_crs, to_metric
from hotspots.schema import CRS

#: Precision of published coordinates and size of the outline lattice, metres.
PRECISION_M: Final = 100.0
#: Metres in a degree of latitude (mean Earth radius 6,371,008.8 m).
M_PER_DEGREE: Final = 6_371_008.8 * math.pi / 180.0
#: Kernel density at a call's own position, per call and per m², times the squared bandwidth:
#: quartic 3 / pi, Gaussian (bandwidth = sigma) 1 / (2 pi).
_PEAK_TIMES_H2: Final = {"quartic": 3.0 / math.pi, "gaussian": 1.0 / (2.0 * math.pi)}


def _check_k(k: Any) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ParameterError(f"k must be a whole number of calls >= 1, got {k!r}")
    return int(k)


def _check_metres(name: str, value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = float("nan")
    if not math.isfinite(v) or v <= 0:
        raise ParameterError(f"{name} must be a number of metres > 0, got {value!r}")
    return v


# --------------------------------------------------------------------------------------------
# Counts
# --------------------------------------------------------------------------------------------


def fewer_than(k: int) -> str:
    """The text that stands for a suppressed count: ``"< 5"``."""
    return f"< {_check_k(k)}"


def suppress_counts(counts: pd.Series | np.ndarray, k: int) -> pd.Series:
    """Counts as text, those below ``k`` (zero included) written ``"< k"``.

    Parameters
    ----------
    counts : Series or array of int
        Calls per row (venue, year, offense ...). Missing values stay missing.
    k : int
        The minimum count K (>= 1; 1 shows every count).

    Returns
    -------
    pandas.Series of string
        Same index as ``counts`` (a plain range for an array).

    Examples
    --------
    >>> suppress_counts(pd.Series([12, 4, 0, 5]), 5).tolist()
    ['12', '< 5', '< 5', '5']
    """
    k = _check_k(k)
    s = pd.Series(counts) if not isinstance(counts, pd.Series) else counts
    values = pd.to_numeric(s, errors="coerce")
    text = values.round().astype("Int64").astype("string")
    return text.mask(values < k, fewer_than(k)).astype("string")


def hide_small(counts: pd.Series | np.ndarray, k: int) -> pd.Series:
    """Counts with those below ``k`` set to missing (for charts: no bar rather than a small
    one).

    Examples
    --------
    >>> hide_small(pd.Series([7, 2, 5]), 5).tolist()
    [7.0, nan, 5.0]
    """
    k = _check_k(k)
    values = pd.to_numeric(pd.Series(counts), errors="coerce").astype("float64")
    return values.where(values >= k)


# --------------------------------------------------------------------------------------------
# Coordinates
# --------------------------------------------------------------------------------------------


def coordinate_decimals(precision_m: float = PRECISION_M) -> int:
    """Decimals of a degree whose step is nearest ``precision_m`` (on a log scale).

    The step is measured on latitude (111,195 m a degree); a degree of longitude is shorter
    by cos(latitude), so the east-west step is smaller (81 m at 43° N for 3 decimals).

    Examples
    --------
    >>> coordinate_decimals(100.0), coordinate_decimals(10.0), coordinate_decimals(1000.0)
    (3, 4, 2)
    """
    p = _check_metres("precision_m", precision_m)
    return int(np.clip(round(math.log10(M_PER_DEGREE / p)), 0, 7))


def round_coordinates(
    values: pd.Series | np.ndarray | float, *, precision_m: float = PRECISION_M
) -> np.ndarray:
    """Latitudes or longitudes rounded to :func:`coordinate_decimals` decimals.

    Examples
    --------
    >>> round_coordinates(np.array([43.297512, 68.251049])).tolist()
    [43.298, 68.251]
    """
    d = coordinate_decimals(precision_m)
    return np.round(np.asarray(values, dtype=float), d)


def round_centres(
    frame: pd.DataFrame,
    columns: tuple[str, str] = ("centroid_lat", "centroid_lon"),
    *,
    precision_m: float = PRECISION_M,
) -> pd.DataFrame:
    """A copy of ``frame`` with its coordinate ``columns`` rounded (:func:`round_coordinates`)."""
    out = frame.copy()
    for col in columns:
        if col in out:
            out[col] = round_coordinates(out[col].to_numpy(dtype=float), precision_m=precision_m)
    return out


# --------------------------------------------------------------------------------------------
# Outlines
# --------------------------------------------------------------------------------------------


def _lattice_candidates(
    geoms: np.ndarray, step: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row, column index (longitude) and row index (latitude) of every lattice cell that
    meets the bounding box of each geometry."""
    b = shapely.bounds(geoms)
    i0 = np.floor(b[:, 0] / step).astype(np.int64)
    i1 = np.floor(b[:, 2] / step).astype(np.int64)
    j0 = np.floor(b[:, 1] / step).astype(np.int64)
    j1 = np.floor(b[:, 3] / step).astype(np.int64)
    ni, nj = i1 - i0 + 1, j1 - j0 + 1
    per = ni * nj
    row = np.repeat(np.arange(len(geoms)), per)
    local = np.arange(per.sum()) - np.repeat(np.cumsum(per) - per, per)
    i = i0[row] + local // nj[row]
    j = j0[row] + local % nj[row]
    return row, i, j


def _cell_boxes(i: np.ndarray, j: np.ndarray, decimals: int) -> np.ndarray:
    """Lattice cells as boxes; corners are rounded decimals, so neighbours share them exactly."""
    step = 10.0**-decimals
    x0, x1 = np.round(i * step, decimals), np.round((i + 1) * step, decimals)
    y0, y1 = np.round(j * step, decimals), np.round((j + 1) * step, decimals)
    return shapely.box(x0, y0, x1, y1)


def lattice_cells(geoms: Any, *, precision_m: float = PRECISION_M) -> pd.DataFrame:
    """The lattice cells that stand for each (multi)polygon: those whose centre lies inside it,
    or, for a shape smaller than a cell, the cell holding its representative point.

    Parameters
    ----------
    geoms : array-like of shapely geometries
        Polygons in EPSG:4326 (longitude, latitude).
    precision_m : float
        Lattice step, metres (:func:`coordinate_decimals`: 100 m -> 0.001°).

    Returns
    -------
    DataFrame
        ``row`` (position in ``geoms``), ``i`` and ``j`` (the cell's longitude and latitude
        index: it spans ``i * step .. (i + 1) * step``).
    """
    g = np.asarray(geoms, dtype=object)
    d = coordinate_decimals(precision_m)
    step = 10.0**-d
    row, i, j = _lattice_candidates(g, step)
    inside = shapely.contains_xy(g[row], (i + 0.5) * step, (j + 0.5) * step)
    cells = pd.DataFrame({"row": row[inside], "i": i[inside], "j": j[inside]})
    empty = np.setdiff1d(np.arange(len(g)), cells["row"].to_numpy())
    if len(empty):
        pts = shapely.point_on_surface(g[empty])
        extra = pd.DataFrame(
            {
                "row": empty,
                "i": np.floor(shapely.get_x(pts) / step).astype(np.int64),
                "j": np.floor(shapely.get_y(pts) / step).astype(np.int64),
            }
        )
        cells = pd.concat([cells, extra], ignore_index=True)
    return cells.sort_values(["row", "j", "i"], kind="stable").reset_index(drop=True)


def lattice_outlines(geoms: Any, *, precision_m: float = PRECISION_M) -> np.ndarray:
    """Each (multi)polygon replaced by the union of its :func:`lattice_cells`.

    Every vertex of the result is a lattice corner (a coordinate with
    :func:`coordinate_decimals` decimals); straight runs are one edge (no collinear vertex).

    Examples
    --------
    >>> hull = shapely.Point(68.2505, 43.3005).buffer(0.0012)
    >>> out = lattice_outlines([hull])[0]
    >>> sorted({round(x, 3) == x for x, _ in out.exterior.coords})
    [True]
    """
    g = np.asarray(geoms, dtype=object)
    d = coordinate_decimals(precision_m)
    cells = lattice_cells(g, precision_m=precision_m)
    boxes = _cell_boxes(cells["i"].to_numpy(), cells["j"].to_numpy(), d)
    out = np.empty(len(g), dtype=object)
    starts = np.searchsorted(cells["row"].to_numpy(), np.arange(len(g) + 1))
    for r in range(len(g)):  # one union per outline (a few dozen), not per call
        out[r] = shapely.union_all(boxes[starts[r] : starts[r + 1]])
    # union keeps the corners of every box along a straight edge: drop collinear vertices
    return shapely.simplify(out, 0.0)


def areas_m2(geoms: Any) -> np.ndarray:
    """Areas of EPSG:4326 polygons, m² (in a local metric CRS centred on them)."""
    g = np.asarray(geoms, dtype=object)
    if len(g) == 0:
        return np.zeros(0)
    c = shapely.centroid(shapely.union_all(g))
    crs = local_metric_crs(float(shapely.get_y(c)), float(shapely.get_x(c)))
    return shapely.area(geometry_to_metric(g, crs))


def generalise_outlines(
    outlines: gpd.GeoDataFrame,
    k: int,
    *,
    count_col: str = "n_incidents",
    precision_m: float = PRECISION_M,
) -> gpd.GeoDataFrame:
    """Hotspot outlines fit to publish: rows of fewer than ``k`` calls dropped, every shape
    replaced by its lattice cells (:func:`lattice_outlines`), centres and areas recomputed.

    Parameters
    ----------
    outlines : GeoDataFrame
        One (multi)polygon per hotspot, e.g. from
        :func:`hotspots.clusters.summarize_clusters` (buffered convex hulls of the calls), with
        the calls per hotspot in ``count_col``.
    k : int
        Minimum calls per published hotspot.
    count_col : str
        Column of calls per hotspot.
    precision_m : float
        Lattice step and rounding of the centres, metres (100 m: 0.001°).

    Returns
    -------
    GeoDataFrame
        EPSG:4326, the rows kept in their order; ``centroid_lat``/``centroid_lon`` (when
        present) are the new outline's centre rounded as :func:`round_coordinates`;
        ``area_m2``/``area_km2`` (when present) the new outline's area.

    Examples
    --------
    >>> hulls = gpd.GeoDataFrame({"n_incidents": [40, 3]},
    ...     geometry=[shapely.Point(68.25, 43.30).buffer(0.002),
    ...               shapely.Point(68.26, 43.31).buffer(0.001)], crs="EPSG:4326")
    >>> out = generalise_outlines(hulls, 5)
    >>> len(out), out.geometry.iloc[0].geom_type
    (1, 'Polygon')
    """
    k = _check_k(k)
    gdf = outlines.to_crs(CRS) if outlines.crs is not None else outlines.set_crs(CRS)
    n = pd.to_numeric(gdf[count_col], errors="coerce").fillna(0).to_numpy()
    gdf = gdf[n >= k].copy()
    geoms = lattice_outlines(gdf.geometry.values, precision_m=precision_m)
    gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=CRS))
    if {"centroid_lat", "centroid_lon"} <= set(gdf.columns):
        c = shapely.centroid(geoms)
        gdf["centroid_lat"] = round_coordinates(shapely.get_y(c), precision_m=precision_m)
        gdf["centroid_lon"] = round_coordinates(shapely.get_x(c), precision_m=precision_m)
    if "area_m2" in gdf.columns or "area_km2" in gdf.columns:
        area = areas_m2(geoms)
        if "area_m2" in gdf.columns:
            gdf["area_m2"] = area
        if "area_km2" in gdf.columns:
            gdf["area_km2"] = area / 1e6
    return gdf


# --------------------------------------------------------------------------------------------
# Density
# --------------------------------------------------------------------------------------------


def counts_within_bandwidth(
    surface: Any, lat: np.ndarray, lon: np.ndarray, radius_m: float | None = None
) -> np.ndarray:
    """Calls within ``radius_m`` (default: the surface's bandwidth) of every cell centre.

    Parameters
    ----------
    surface : DensitySurface
        From :func:`hotspots.density.kde` (``cell_centres()`` in metres on ``crs``).
    lat, lon : array of float
        The calls, degrees (non-finite ones are skipped).
    radius_m : float, optional
        Search radius, metres.

    Returns
    -------
    ndarray of int, the surface's shape
    """
    r = _check_metres("radius_m", surface.bandwidth if radius_m is None else radius_m)
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    ok = np.isfinite(lat) & np.isfinite(lon)
    cx, cy = surface.cell_centres()
    if not ok.any():
        return np.zeros(np.shape(cx), dtype=np.int64)
    x, y, _ = to_metric(lat[ok], lon[ok], surface.crs)
    tree = cKDTree(np.column_stack([x, y]))
    found = tree.query_ball_point(
        np.column_stack([np.ravel(cx), np.ravel(cy)]), r, return_length=True
    )
    return np.asarray(found, dtype=np.int64).reshape(np.shape(cx))


def density_floor(surface: Any, k: int) -> float:
    """``k`` times the density one call gives at its own position, calls per km².

    With the quartic kernel a cell above this value has at least ``k`` calls within the
    bandwidth (each adds at most that peak); with the Gaussian kernel, at least ``k`` calls'
    worth of kernel weight. Masking below it needs only the surface, not the calls.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> round(density_floor(SimpleNamespace(bandwidth=250.0, kernel="quartic"), 5), 1)
    76.4
    """
    k = _check_k(k)
    h = _check_metres("bandwidth", surface.bandwidth)
    peak = _PEAK_TIMES_H2.get(str(surface.kernel), _PEAK_TIMES_H2["quartic"]) / (h * h)
    return k * peak * 1e6


def mask_density(values: np.ndarray, counts: np.ndarray, k: int) -> np.ndarray:
    """Density with cells of fewer than ``k`` calls within the bandwidth set to 0.

    Examples
    --------
    >>> mask_density(np.array([[3.0, 9.0]]), np.array([[1, 6]]), 5).tolist()
    [[0.0, 9.0]]
    """
    k = _check_k(k)
    v = np.asarray(values, dtype=float)
    return np.where(np.asarray(counts) >= k, v, 0.0)


def maskable(surface: Any) -> bool:
    """Whether :func:`private_surface` can mask ``surface``: it needs its ``values``, its
    ``bandwidth`` (metres) and ``kernel``. A surface that cannot be masked is not published."""
    return all(hasattr(surface, a) for a in ("values", "bandwidth", "kernel"))


def private_surface(
    surface: Any,
    k: int,
    *,
    lat: np.ndarray | None = None,
    lon: np.ndarray | None = None,
) -> Any:
    """A copy of the density surface fit to publish: 0 below :func:`density_floor`, and, when
    the calls are given, where fewer than ``k`` of them lie within the bandwidth.

    Parameters
    ----------
    surface : DensitySurface
    k : int
        Minimum calls.
    lat, lon : array of float, optional
        The calls the surface was made from.

    Returns
    -------
    DensitySurface
        The same grid with masked ``values`` (``dataclasses.replace``).
    """
    if not maskable(surface):
        raise ParameterError(
            "the density surface has no bandwidth or kernel: make it with hotspots.density.kde"
        )
    values = np.nan_to_num(np.asarray(surface.values, dtype=float), nan=0.0)
    values = np.where(values >= density_floor(surface, k), values, 0.0)
    if lat is not None and lon is not None and getattr(surface, "crs", None) is not None:
        values = mask_density(values, counts_within_bandwidth(surface, lat, lon), k)
    if dataclasses.is_dataclass(surface):
        return dataclasses.replace(surface, values=values)
    out = copy.copy(surface)
    out.values = values
    return out


def private_contours(
    surface: Any, k: int, top_area: float, *, count_col: str = "incidents"
) -> gpd.GeoDataFrame:
    """Contours of a :func:`private_surface` (its densest ``top_area`` share) holding at least
    ``k`` calls; their numbers run 1.. again."""
    frame = surface.contours(top_area=top_area)
    frame = frame[pd.to_numeric(frame[count_col], errors="coerce") >= _check_k(k)].copy()
    if "hotspot" in frame:
        frame["hotspot"] = np.arange(1, len(frame) + 1)
    return frame.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------


#: Columns of a venue ranking (:func:`hotspots.venues.rank_venues`) that are counts of calls.
_COUNT_PREFIXES: Final = ("calls_", "offense_")
#: Columns of a venue ranking computed from its counts: they would give a small count back.
_DERIVED: Final = ("share_of_all_calls", "peer_ratio", "trend_per_year")


def count_columns(table: pd.DataFrame) -> list[str]:
    """The columns of a venue ranking that count calls: ``calls``, ``calls_<year>``,
    ``offense_<key>``."""
    return [c for c in table.columns if c == "calls" or str(c).startswith(_COUNT_PREFIXES)]


def suppress_venue_ranking(table: pd.DataFrame, k: int) -> pd.DataFrame:
    """A venue ranking as presenter mode may show it: no count below ``k``.

    Every count column (:func:`count_columns`) becomes text with counts below ``k`` written
    "< k" (:func:`suppress_counts`); for a venue of fewer than ``k`` calls the figures derived
    from its count (``share_of_all_calls``, ``peer_ratio``, ``trend_per_year``) are missing and
    its ``trend`` is ``"n/a"``; ``trend_per_year`` is also missing when one of its years has
    fewer than ``k`` calls. The rank and the order are kept.

    Examples
    --------
    >>> t = pd.DataFrame({"rank": [1, 2], "calls": [12, 3], "calls_2021": [12, 3],
    ...                   "peer_ratio": [2.0, 0.5], "trend": ["rising", "falling"]})
    >>> out = suppress_venue_ranking(t, 5)
    >>> out["calls"].tolist(), out["peer_ratio"].tolist(), out["trend"].tolist()
    (['12', '< 5'], [2.0, nan], ['rising', 'n/a'])
    """
    k = _check_k(k)
    out = table.copy()
    calls = pd.to_numeric(out["calls"], errors="coerce").fillna(0).to_numpy()
    small = calls < k
    years = [c for c in out.columns if str(c).startswith("calls_")]
    small_year = (
        (out[years].apply(pd.to_numeric, errors="coerce").fillna(0).to_numpy() < k).any(axis=1)
        if years
        else small
    )
    for col in _DERIVED:
        if col in out:
            hide = small | small_year if col == "trend_per_year" else small
            out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64").mask(hide)
    if "trend" in out:
        out["trend"] = out["trend"].astype(object).where(~small, "n/a")
    for col in count_columns(out):
        out[col] = suppress_counts(out[col], k)
    return out


# --------------------------------------------------------------------------------------------
# Near repeats
# --------------------------------------------------------------------------------------------


def suppress_knox(result: pd.DataFrame, k: int) -> pd.DataFrame:
    """A Knox test result (:func:`hotspots.timeaware.nearrepeat.near_repeat`) as presenter
    mode may show it: no pair count below ``k``.

    ``observed`` becomes text with counts below ``k`` written "< k" (:func:`suppress_counts`);
    for those band pairs the figures that would give the count back (``knox_ratio`` =
    observed / expected, and ``p``) are missing and ``near_repeat`` is False. ``expected``
    (a mean over permutations) stays. The total of pairs (``attrs["n_pairs"]``) is dropped
    (``None``): with the shown counts it would give a lone suppressed count back by
    subtraction. ``attrs["min_count"]`` is ``k``.

    Examples
    --------
    >>> r = pd.DataFrame({"observed": [12, 3], "expected": [6.0, 2.0], "knox_ratio": [2.0, 1.5],
    ...                   "p": [0.01, 0.2], "near_repeat": [True, False]})
    >>> out = suppress_knox(r, 5)
    >>> out["observed"].tolist(), out["knox_ratio"].tolist(), out["near_repeat"].tolist()
    (['12', '< 5'], [2.0, nan], [True, False])
    """
    k = _check_k(k)
    out = result.copy()
    small = pd.to_numeric(out["observed"], errors="coerce").fillna(0).to_numpy() < k
    for col in ("knox_ratio", "p"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64").mask(small)
    out["near_repeat"] = out["near_repeat"].astype(bool) & ~small
    out["observed"] = suppress_counts(out["observed"], k)
    out.attrs = dict(result.attrs, n_pairs=None, min_count=k)
    return out
