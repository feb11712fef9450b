"""Risk factors from venues at each H3 cell of the study area (Risk Terrain Modeling inputs).

The unit of analysis is the H3 cell (``resolution``, default 10: about 0.015 km², edge ~66 m)
whose centre lies in the study area. Every distance is measured from the cell's centre, in
metres, on an azimuthal equidistant projection of the mean Earth sphere centred on the study
area (the haversine distances of :mod:`hotspots.venues`).

Two measures per venue kind and distance, as RTM operationalises a risk factor (Caplan and
Kennedy, *Risk Terrain Modeling Manual*, 2016), both 0/1 so that their relative risks compare:

``proximity`` (distance ``d`` m)
    1 when a venue of the kind lies within ``d`` metres of the cell's centre.
``density`` (bandwidth ``b`` m)
    1 when the quartic kernel density of the kind's venues at the cell's centre,
    ``sum_j 3 / (pi b²) (1 - d_j² / b²)²`` over the venues within ``b``, lies more than two
    standard deviations above its mean over the study-area cells (RTM's "high density"): a
    cluster of such venues, not a single one.

A *kind* is a venue ``kind`` value (``cafe``, ``bar`` ...) or a group: ``catering`` (cafés,
restaurants, tea houses, bars, pubs, nightclubs) and ``public_space`` (squares, parks, markets,
bus stations, landmarks ...), as :data:`hotspots.schema.CATERING_KINDS` and
:data:`hotspots.schema.PUBLIC_SPACE_KINDS` define them.

The cells' general call density (``background_density``) is the same quartic kernel over calls
of other offense types, in calls per km², after binning them to the cells' centres (a call moves
at most a cell's radius, ~75 m at resolution 10, against a bandwidth of hundreds of metres).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import geopandas as gpd
import h3.api.basic_int as h3i
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy.spatial import cKDTree

from hotspots import grid
from hotspots.errors import InputError, ParameterError
from hotspots.projection import geometry_to_metric, local_metric_crs, to_metric
from hotspots.schema import CATERING_KINDS, KIND, LAT, LON, PUBLIC_SPACE_KINDS
from hotspots.schema import CRS as WGS84

#: Measures of a venue kind at a cell.
MEASURES: tuple[str, ...] = ("proximity", "density")
#: Default distances (proximity) and bandwidths (density), metres.
DEFAULT_DISTANCES: tuple[float, ...] = (50.0, 100.0, 200.0)
#: Kind groups a user may name instead of single kinds.
GROUPS: dict[str, frozenset[str]] = {
    "catering": CATERING_KINDS,
    "public_space": PUBLIC_SPACE_KINDS,
}
#: Default H3 resolution of the risk cells.
DEFAULT_RESOLUTION = 10
#: "High density": more than this many standard deviations above the mean (RTM's convention).
DENSITY_SD = 2.0


@dataclass(frozen=True)
class Factor:
    """One candidate risk factor: a venue kind, a measure and its distance in metres."""

    kind: str
    measure: str
    distance_m: float

    @property
    def name(self) -> str:
        """Column name in the design: ``cafe:proximity:100``."""
        return f"{self.kind}:{self.measure}:{self.distance_m:g}"


@dataclass(frozen=True)
class Cells:
    """The study area's H3 cells: ids, centres (degrees and metres) and areas (m²)."""

    ids: np.ndarray  # uint64
    lat: np.ndarray
    lon: np.ndarray
    x: np.ndarray
    y: np.ndarray
    area_m2: np.ndarray
    resolution: int
    crs: CRS
    area: shapely.Geometry  # the study area, EPSG:4326

    def __len__(self) -> int:
        return int(self.ids.size)


# --------------------------------------------------------------------------------------------
# parameters
# --------------------------------------------------------------------------------------------
def check_distances(distances: Iterable[float] | float) -> tuple[float, ...]:
    """Distances in metres, each in [5, 5000], as sorted unique floats."""
    if isinstance(distances, int | float | np.integer | np.floating):
        distances = [distances]
    try:
        out = sorted({float(d) for d in distances})
    except (TypeError, ValueError):
        raise ParameterError(
            f"distances: give metres such as 50,100,200, got {distances!r}"
        ) from None
    if not out or any(not math.isfinite(d) or d < 5 or d > 5000 for d in out):
        raise ParameterError(f"distances: metres between 5 and 5000, got {out}")
    return tuple(out)


def check_measures(measures: Iterable[str] | str) -> tuple[str, ...]:
    """``proximity`` and/or ``density``."""
    if isinstance(measures, str):
        measures = [m.strip() for m in measures.split(",") if m.strip()]
    out = tuple(dict.fromkeys(measures))
    bad = [m for m in out if m not in MEASURES]
    if bad or not out:
        raise ParameterError(f"measures: use proximity and/or density, got {list(out)}")
    return out


def venue_kinds(venues: pd.DataFrame) -> np.ndarray:
    """The venues' kinds as lower-case strings ("" when missing)."""
    if KIND not in venues:
        raise InputError("venues need a 'kind' column (cafe, bar, park ...)")
    return venues[KIND].astype("string").fillna("").str.strip().str.lower().to_numpy(dtype=object)


def resolve_kinds(venues: pd.DataFrame, kinds: Sequence[str] | None = None) -> list[str]:
    """The kinds to model: ``kinds`` (kind values or group names) checked against the venues,
    or every kind present in ``venues`` (sorted)."""
    present = venue_kinds(venues)
    have = sorted({k for k in present if k})
    if kinds is None or len(kinds) == 0:
        if not have:
            raise InputError("the venues have no kind: give a 'kind' column (cafe, bar ...)")
        return have
    out = [str(k).strip().lower() for k in kinds if str(k).strip()]
    unknown = [k for k in out if k not in GROUPS and k not in have]
    if unknown:
        raise InputError(
            f"--kinds: no venue of kind {', '.join(unknown)}; the venues have {', '.join(have)} "
            f"(or the groups {', '.join(GROUPS)})"
        )
    return list(dict.fromkeys(out))


def kind_mask(venues: pd.DataFrame, kind: str) -> np.ndarray:
    """Which venues belong to ``kind`` (a kind value or a group of :data:`GROUPS`)."""
    kinds = venue_kinds(venues)
    if kind in GROUPS:
        return np.isin(kinds, sorted(GROUPS[kind]))
    return kinds == kind


# --------------------------------------------------------------------------------------------
# cells
# --------------------------------------------------------------------------------------------


def study_cells(
    area: shapely.Geometry, *, resolution: int = DEFAULT_RESOLUTION, max_cells: int = 200_000
) -> Cells:
    """The H3 cells whose centre lies in ``area`` (EPSG:4326), with centres and areas.

    Parameters
    ----------
    area : shapely Polygon or MultiPolygon, EPSG:4326
    resolution : int
        H3 resolution 7-12 (9: ~0.1 km² cells, 10: ~0.015 km², 11: ~0.002 km²).
    max_cells : int
        Refuse a grid larger than this (a city at resolution 12, a country at 10).

    Examples
    --------
    >>> sq = shapely.box(68.24, 43.29, 68.26, 43.30)
    >>> c = study_cells(sq, resolution=9)
    >>> len(c)  # about 1.6 km x 1.1 km of ~0.1 km² cells
    15
    """
    res = grid.check_resolution(resolution, 7, 12)
    minx, miny, maxx, maxy = area.bounds
    crs = local_metric_crs((miny + maxy) / 2, (minx + maxx) / 2, sphere=True)
    expected = float(shapely.area(geometry_to_metric(area, crs))) / grid.cell_area_m2(res)
    if expected > max_cells:
        raise ParameterError(
            f"resolution: {res} gives about {expected:,.0f} cells over the study area (at most "
            f"{max_cells:,}); choose a coarser resolution"
        )
    ids = grid.cells_in_area(area, res)
    if ids.size == 0:
        raise InputError(
            f"the study area holds no H3 cell centre at resolution {res}: use a finer resolution"
        )
    centres = np.array([h3i.cell_to_latlng(int(c)) for c in ids], dtype=float).reshape(-1, 2)
    lat, lon = centres[:, 0], centres[:, 1]
    x, y, _ = to_metric(lat, lon, crs)
    areas = grid.cell_areas_m2(ids)
    return Cells(ids, lat, lon, x, y, areas, res, crs, area)


def cell_index(cells: Cells, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Position in ``cells`` of the cell holding each point; -1 outside the study cells."""
    lat = np.asarray(lat, dtype=float)
    if lat.size == 0:
        return np.empty(0, dtype=np.int64)
    ids = grid.cell_ids(lat, np.asarray(lon, dtype=float), cells.resolution)
    pos = np.searchsorted(cells.ids, ids)
    pos = np.minimum(pos, cells.ids.size - 1)
    return np.where(cells.ids[pos] == ids, pos, -1).astype(np.int64)


def cell_counts(cells: Cells, incidents: pd.DataFrame) -> np.ndarray:
    """Calls per study cell (calls outside the study cells are not counted)."""
    if len(incidents) == 0:
        return np.zeros(len(cells), dtype=np.int64)
    pos = cell_index(cells, incidents[LAT].to_numpy(float), incidents[LON].to_numpy(float))
    return np.bincount(pos[pos >= 0], minlength=len(cells)).astype(np.int64)


# --------------------------------------------------------------------------------------------
# kernels and factors
# --------------------------------------------------------------------------------------------
def quartic_sum(
    x: np.ndarray,
    y: np.ndarray,
    px: np.ndarray,
    py: np.ndarray,
    bandwidth: float,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Quartic kernel density at (x, y) of the points (px, py), per km² (all in metres).

    ``sum_j w_j 3 / (pi h²) (1 - d_j² / h²)²`` over the points within ``h``, times 1e6.

    Examples
    --------
    >>> round(float(quartic_sum(np.r_[0.0], np.r_[0.0], np.r_[0.0], np.r_[0.0], 100.0)[0]), 2)
    95.49
    """
    out = np.zeros(len(x))
    if len(px) == 0 or len(x) == 0:
        return out
    h = float(bandwidth)
    w = np.ones(len(px)) if weights is None else np.asarray(weights, dtype=float)
    # the structured-array output keeps pairs at distance 0 (a venue on a cell centre)
    pairs = cKDTree(np.column_stack([x, y])).sparse_distance_matrix(
        cKDTree(np.column_stack([px, py])), h, output_type="ndarray"
    )
    d2 = pairs["v"] ** 2 / (h * h)
    k = 3.0 / (math.pi * h * h) * (1.0 - d2) ** 2 * w[pairs["j"]]
    out += np.bincount(pairs["i"], weights=k, minlength=len(x))
    return out * 1e6


def _within(cells: Cells, vx: np.ndarray, vy: np.ndarray, d: float) -> np.ndarray:
    if len(vx) == 0:
        return np.zeros(len(cells), dtype=bool)
    dist, _ = cKDTree(np.column_stack([vx, vy])).query(
        np.column_stack([cells.x, cells.y]), k=1, distance_upper_bound=np.nextafter(d, np.inf)
    )
    return dist <= d


def high_density(values: np.ndarray, sd: float = DENSITY_SD) -> np.ndarray:
    """Cells whose density exceeds the mean by more than ``sd`` standard deviations."""
    v = np.asarray(values, dtype=float)
    s = v.std()
    if not s > 0:
        return np.zeros(v.size, dtype=bool)
    return v > v.mean() + sd * s


def venue_factors(
    cells: Cells,
    venues: pd.DataFrame,
    *,
    kinds: Sequence[str] | None = None,
    distances: Iterable[float] = DEFAULT_DISTANCES,
    measures: Iterable[str] = MEASURES,
) -> tuple[pd.DataFrame, list[Factor]]:
    """The 0/1 risk factors of every kind, measure and distance at every study cell.

    Parameters
    ----------
    cells : Cells
        From :func:`study_cells`.
    venues : DataFrame
        Canonical venues (``kind``, ``lat``, ``lon``); venues outside the study area count too
        (a bar across the boundary still draws people to a cell inside it).
    kinds : sequence of str, optional
        Kinds or groups (``catering``, ``public_space``); default every kind of ``venues``.
    distances : iterable of float
        Proximity distances and density bandwidths, metres (5-5000).
    measures : iterable of str
        ``proximity`` and/or ``density``.

    Returns
    -------
    design : DataFrame
        One row per cell (in ``cells`` order), one int8 column per factor (:attr:`Factor.name`).
    factors : list of Factor
        The columns' factors, in order (kinds, then measures, then distances).
    """
    dists = check_distances(distances)
    meas = check_measures(measures)
    chosen = resolve_kinds(venues, kinds)
    vlat = venues[LAT].to_numpy(dtype=float, na_value=np.nan)
    vlon = venues[LON].to_numpy(dtype=float, na_value=np.nan)
    ok = np.isfinite(vlat) & np.isfinite(vlon)
    vx = np.full(len(venues), np.nan)
    vy = np.full(len(venues), np.nan)
    if ok.any():
        vx[ok], vy[ok], _ = to_metric(vlat[ok], vlon[ok], cells.crs)
    columns: dict[str, np.ndarray] = {}
    factors: list[Factor] = []
    for kind in chosen:  # a handful of kinds x distances: vectorised over cells and venues
        sel = kind_mask(venues, kind) & ok
        for measure in meas:
            for d in dists:
                f = Factor(kind, measure, d)
                if measure == "proximity":
                    col = _within(cells, vx[sel], vy[sel], d)
                else:
                    col = high_density(quartic_sum(cells.x, cells.y, vx[sel], vy[sel], d))
                columns[f.name] = col.astype(np.int8)
                factors.append(f)
    return pd.DataFrame(columns, index=pd.RangeIndex(len(cells))), factors


def background_density(cells: Cells, incidents: pd.DataFrame, bandwidth: float) -> np.ndarray:
    """Quartic kernel density of ``incidents`` at the cells' centres, calls per km².

    The calls are first counted per H3 cell at the cells' resolution and placed at their
    cell's centre (calls outside the study area included, so cells near the boundary see their
    whole neighbourhood).
    """
    h = float(bandwidth)
    if not (math.isfinite(h) and 10 <= h <= 10_000):
        raise ParameterError(f"background_bandwidth: metres between 10 and 10000, got {bandwidth}")
    if len(incidents) == 0:
        return np.zeros(len(cells))
    ids = grid.cell_ids(
        incidents[LAT].to_numpy(float), incidents[LON].to_numpy(float), cells.resolution
    )
    occupied, counts = np.unique(ids, return_counts=True)
    centres = np.array([h3i.cell_to_latlng(int(c)) for c in occupied], dtype=float).reshape(-1, 2)
    px, py, _ = to_metric(centres[:, 0], centres[:, 1], cells.crs)
    return quartic_sum(cells.x, cells.y, px, py, h, weights=counts.astype(float))


# --------------------------------------------------------------------------------------------
# exposure
# --------------------------------------------------------------------------------------------
def exposure_from(cells: Cells, table: pd.DataFrame, column: str) -> np.ndarray:
    """Population or footfall per study cell from a cell table or a polygon layer.

    Parameters
    ----------
    table : DataFrame or GeoDataFrame
        Either a table with a ``cell`` column of H3 ids at the cells' resolution and the
        ``column`` value of each cell, or polygons (GeoDataFrame, any CRS) with ``column``
        holding each polygon's total (people, visits): a cell gets its share of the polygon
        holding its centre, in proportion to area (the value spread evenly over the polygon).
    column : str
        The value column (>= 0).

    Returns
    -------
    numpy.ndarray
        The exposure of every cell (NaN where no row or polygon covers it).
    """
    if column not in table:
        raise InputError(
            f"the exposure file has no column {column!r}: name it with --exposure-column"
        )
    values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float)
    if np.any(values[np.isfinite(values)] < 0):
        raise InputError(f"exposure {column!r}: values must be >= 0 (people, visits)")
    out = np.full(len(cells), np.nan)
    if isinstance(table, gpd.GeoDataFrame) and table.geometry.name in table:
        polys = table.to_crs(WGS84).geometry.to_numpy()
        tree = shapely.STRtree(polys)
        pts = shapely.points(cells.lon, cells.lat)
        pi, gi = tree.query(pts, predicate="within")
        # a centre on the shared edge of two polygons: the first one
        first = np.unique(pi, return_index=True)[1]
        pi, gi = pi[first], gi[first]
        poly_area = shapely.area(geometry_to_metric(polys, cells.crs))
        with np.errstate(divide="ignore", invalid="ignore"):
            out[pi] = values[gi] * cells.area_m2[pi] / poly_area[gi]
        return out
    if "cell" not in table:
        raise InputError(
            "the exposure file needs a 'cell' column of H3 ids or polygons (GeoJSON, GPKG)"
        )
    ids = grid.to_int(table["cell"].astype(str).to_numpy())
    res = {h3i.get_resolution(int(c)) for c in ids[:1000]}
    if res and res != {cells.resolution}:
        raise InputError(
            f"the exposure cells are at H3 resolution {sorted(res)}, the model's at "
            f"{cells.resolution}: give --resolution {sorted(res)[0]}"
        )
    pos = np.searchsorted(cells.ids, ids)
    pos = np.minimum(pos, len(cells) - 1)
    hit = cells.ids[pos] == ids
    out[pos[hit]] = values[hit]
    return out
