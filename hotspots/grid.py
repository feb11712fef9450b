"""H3 cells: fast binning of incidents, counts per cell, hexagons, study-area cells, k-rings.

Binning a million points with ``h3.latlng_to_cell`` in a Python loop takes about a second, so
:func:`cell_ids` computes H3's own geometry in NumPy instead and calls H3 once per *cell*, not
once per point:

1. each point goes to its nearest icosahedron face (largest dot product of unit vectors with
   the 20 face centres, as H3 does);
2. it is projected gnomonically onto that face's plane and scaled to the hexagonal lattice of
   the resolution (class III resolutions rotated by asin(sqrt(3/28)), as H3 does);
3. it is snapped to the nearest lattice point (the nearest of the three corners of the lattice
   triangle holding it);
4. ``h3.latlng_to_cell`` is called for one representative point of every distinct
   (face, lattice point) and the result is given to every point of that group.

A point whose nearest face or nearest lattice point is a near tie (within 1e-6 of a lattice unit,
i.e. a few micrometres at resolution 9, where rounding could decide differently from H3's C
code) is binned by ``h3.latlng_to_cell`` itself, so the result is H3's own, point for point
(tests compare them on random points of the whole globe at every resolution 0-15). The face
centres and axes are derived from H3's 12 resolution-0 pentagons (the icosahedron's vertices).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Literal

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from h3.api import basic_int as h3i

from hotspots.errors import InputError, ParameterError
from hotspots.schema import CRS, LAT, LON

#: Resolutions offered for hotspot maps (0.005 km² to 5 km² cells).
MIN_RESOLUTION, MAX_RESOLUTION = 7, 11

_CHUNK = 1 << 16  # points per block: keeps the (block x 60) projection matrix ~30 MB
_TIE = 1e-6  # squared lattice units: below this a point is binned by h3 itself
_FACE_TIE = 1e-12  # dot-product difference between the two nearest faces
_SQRT3_2 = np.sqrt(3.0) / 2.0


def check_resolution(resolution: int, low: int = MIN_RESOLUTION, high: int = MAX_RESOLUTION) -> int:
    """Validate an H3 resolution; return it as ``int`` or raise :class:`ParameterError`."""
    try:
        res = int(resolution)
    except (TypeError, ValueError):
        res = None
    if res is None or res != resolution or not low <= res <= high:
        raise ParameterError(
            f"resolution: H3 resolution must be a whole number from {low} to {high} "
            f"(9: cells of ~0.1 km², edge ~200 m), got {resolution!r}"
        )
    return res


# --------------------------------------------------------------------------------------------
# Icosahedron geometry, derived from H3's own pentagons (the icosahedron's 12 vertices)
# --------------------------------------------------------------------------------------------


def _unit_vectors(lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    cos_lat = np.cos(lat)
    return np.stack([cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)], axis=-1)


@lru_cache(maxsize=1)
def _faces() -> tuple[np.ndarray, float]:
    """Face centres and per-face lattice axes: a (3, 60) matrix [centres | e1 | e2] and the
    gnomonic length of one resolution-0 lattice unit.

    The i-axis of a face points to one of its vertices (H3's pentagons sit two lattice units
    from the face centre along the axes); which vertex does not matter, the triangular lattice
    being invariant under rotations by 60 degrees. ``e2 = centre x e1`` makes angles grow
    counter-clockwise seen from outside the sphere, as in H3.
    """
    pent = np.array([h3.cell_to_latlng(c) for c in h3.get_pentagons(0)])
    verts = _unit_vectors(pent[:, 0], pent[:, 1])
    # faces: triples of mutually adjacent vertices (adjacent vertices: cos 63.4 deg = 0.447)
    faces = [
        t
        for t in itertools.combinations(range(12), 3)
        if min(verts[t[0]] @ verts[t[1]], verts[t[0]] @ verts[t[2]], verts[t[1]] @ verts[t[2]])
        > 0.4
    ]
    assert len(faces) == 20
    tri = verts[np.array(faces)]
    centre = tri.sum(axis=1)
    centre /= np.linalg.norm(centre, axis=1, keepdims=True)
    v0 = tri[:, 0]
    cos_cv = np.einsum("ij,ij->i", centre, v0)
    e1 = v0 - cos_cv[:, None] * centre
    e1 /= np.linalg.norm(e1, axis=1, keepdims=True)
    e2 = np.cross(centre, e1)
    # gnomonic distance centre -> vertex is two resolution-0 lattice units ((3 - sqrt 5) / 2)
    unit0 = float(np.tan(np.arccos(cos_cv[0])) / 2.0)
    return np.concatenate([centre, e1, e2], axis=0).T.copy(), unit0


@lru_cache(maxsize=16)
def _projection_matrix(resolution: int) -> np.ndarray:
    """(3, 60) matrix: dot with face centres, then the scaled lattice x and y axes."""
    mat, unit0 = _faces()
    centre, e1, e2 = mat[:, :20], mat[:, 20:40], mat[:, 40:]
    if resolution % 2:  # class III: the lattice is rotated by -asin(sqrt(3/28))
        a = np.arcsin(np.sqrt(3.0 / 28.0))
        e1, e2 = np.cos(a) * e1 + np.sin(a) * e2, -np.sin(a) * e1 + np.cos(a) * e2
    scale = np.sqrt(7.0) ** resolution / unit0
    return np.concatenate([centre, e1 * scale, e2 * scale], axis=1)


def _lattice_keys(
    lat: np.ndarray, lon: np.ndarray, resolution: int
) -> tuple[np.ndarray, np.ndarray]:
    """Packed (face, lattice u, lattice v) key per point, and a mask of near ties."""
    mat = _projection_matrix(resolution)
    centres = mat[:, :20]
    n = lat.size
    keys = np.empty(n, dtype=np.int64)
    tie = np.empty(n, dtype=bool)
    for start in range(0, n, _CHUNK):
        sl = slice(start, min(start + _CHUNK, n))
        la, lo = np.radians(lat[sl]), np.radians(lon[sl])
        cos_la = np.cos(la)
        px, py, pz = cos_la * np.cos(lo), cos_la * np.sin(lo), np.sin(la)
        # Faces that can be nearest for some point of the block: with rho the largest angle
        # from the block's first point m, a face f can beat m's nearest face only when
        # angle(m, f) <= angle(m, nearest) + 2 rho. A city block has a single candidate.
        m = np.array([px[0], py[0], pz[0]])
        cos_rho = float(np.min(px * m[0] + py * m[1] + pz * m[2]))
        rho = float(np.arccos(np.clip(cos_rho, -1.0, 1.0)))
        ang = np.arccos(np.clip(m @ centres, -1.0, 1.0))
        cand = np.flatnonzero(ang <= ang.min() + 2.0 * rho + 1e-7)
        if cand.size == 1:
            f = int(cand[0])
            cols = mat[:, [f, 20 + f, 40 + f]]
            best = px * cols[0, 0] + py * cols[1, 0] + pz * cols[2, 0]
            x = (px * cols[0, 1] + py * cols[1, 1] + pz * cols[2, 1]) / best
            y = (px * cols[0, 2] + py * cols[1, 2] + pz * cols[2, 2]) / best
            face = np.full(best.size, f, dtype=np.int64)
            face_tie = np.zeros(best.size, dtype=bool)
        else:
            sub = mat[:, np.concatenate([cand, 20 + cand, 40 + cand])]
            proj = np.stack([px, py, pz], axis=1) @ sub
            c = cand.size
            dots = proj[:, :c]
            which = np.argmax(dots, axis=1)[:, None]
            best = np.take_along_axis(dots, which, axis=1)
            face_tie = (dots > best - _FACE_TIE).sum(axis=1) > 1
            best = best[:, 0]
            x = np.take_along_axis(proj[:, c : 2 * c], which, axis=1)[:, 0] / best
            y = np.take_along_axis(proj[:, 2 * c :], which, axis=1)[:, 0] / best
            face = cand[which[:, 0]].astype(np.int64)
        # x, y: gnomonic coordinates in lattice units. Lattice basis a = (1, 0),
        # b = (1/2, sqrt(3)/2); p = u a + v b lies in the rhombus (fu, fv) + [0, 1)^2, in
        # its lower triangle (corners (0,0) (1,0) (0,1)) or upper one ((1,1) (1,0) (0,1)).
        v = y / _SQRT3_2
        u = x - v / 2.0
        fu, fv = np.floor(u), np.floor(v)
        du, dv = u - fu, v - fv
        upper = du + dv >= 1.0
        # squared distance to corner (cu, cv): eu^2 + eu ev + ev^2 with e = d - c
        sh = upper.astype(float)
        eu, ev = du - sh, dv - sh
        d_a = eu * eu + eu * ev + ev * ev  # (0,0) or (1,1)
        eu = du - 1.0
        d_b = eu * eu + eu * dv + dv * dv  # (1,0)
        ev = dv - 1.0
        d_c = du * du + du * ev + ev * ev  # (0,1)
        lo_ab = np.minimum(d_a, d_b)
        first = np.minimum(lo_ab, d_c)
        second = np.minimum(np.maximum(d_a, d_b), np.maximum(lo_ab, d_c))
        pick_a = (d_a <= d_b) & (d_a <= d_c)
        pick_b = ~pick_a & (d_b <= d_c)
        pick_c = ~pick_a & ~pick_b
        iu = fu.astype(np.int64) + (pick_a & upper) + pick_b
        iv = fv.astype(np.int64) + (pick_a & upper) + pick_c
        keys[sl] = (face << 52) | ((iu + (1 << 25)) << 26) | (iv + (1 << 25))
        tie[sl] = face_tie | (second - first < _TIE)
    return keys, tie


def _check_coords(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lat = np.ascontiguousarray(lat, dtype=float).ravel()
    lon = np.ascontiguousarray(lon, dtype=float).ravel()
    if lat.shape != lon.shape:
        raise InputError(f"lat and lon differ in length ({lat.size} vs {lon.size})")
    bad = ~(np.isfinite(lat) & np.isfinite(lon)) | (np.abs(lat) > 90)
    if bad.any():
        raise InputError(
            f"{int(bad.sum())} point(s) have missing or impossible coordinates "
            f"(first at position {int(np.argmax(bad))}); drop them before binning"
        )
    return lat, lon


def _codes(lat: np.ndarray, lon: np.ndarray, resolution: int) -> tuple[np.ndarray, np.ndarray]:
    """Group code per point and the H3 cell (uint64) of every code.

    Points of one (face, lattice point) share a code; near ties get codes of their own.
    """
    keys, tie = _lattice_keys(lat, lon, resolution)
    if tie.any():  # near ties: a group of their own each, binned by h3 itself
        keys[tie] = -1 - np.arange(int(tie.sum()), dtype=np.int64)
    codes, uniques = pd.factorize(keys)
    codes = codes.astype(np.int64, copy=False)
    rep = np.empty(uniques.size, dtype=np.int64)
    rep[codes] = np.arange(codes.size)  # any member of a group represents it
    rep_lat, rep_lon = lat[rep].tolist(), lon[rep].tolist()
    cells = np.fromiter(
        (h3i.latlng_to_cell(a, b, resolution) for a, b in zip(rep_lat, rep_lon, strict=True)),
        dtype=np.uint64,
        count=uniques.size,
    )
    return codes, cells


def cell_ids(
    lat: Sequence[float] | np.ndarray, lon: Sequence[float] | np.ndarray, resolution: int
) -> np.ndarray:
    """H3 cell of every point, as ``uint64`` integers (``h3.latlng_to_cell``'s result).

    Parameters
    ----------
    lat, lon : array_like
        WGS84 degrees, same length, finite.
    resolution : int
        H3 resolution, 0-15 (this low-level helper allows all of them).

    Returns
    -------
    numpy.ndarray of uint64
        Cell ids in the input order; :func:`to_str` turns them into H3 strings.

    Examples
    --------
    >>> ids = cell_ids([41.8781], [-87.6298], 9)
    >>> to_str(ids)[0] == h3.latlng_to_cell(41.8781, -87.6298, 9)
    True
    """
    res = check_resolution(resolution, 0, 15)
    lat, lon = _check_coords(lat, lon)
    if lat.size == 0:
        return np.empty(0, dtype=np.uint64)
    codes, cells = _codes(lat, lon, res)
    return cells[codes]


def to_str(ids: Iterable[int] | np.ndarray) -> np.ndarray:
    """H3 integer ids to their hexadecimal string form (object array)."""
    ids = np.asarray(ids, dtype=np.uint64).ravel()
    return np.array([format(int(i), "x") for i in ids], dtype=object)


def to_int(cells: Iterable[str | int] | np.ndarray) -> np.ndarray:
    """H3 ids (hexadecimal strings or integers) to ``uint64`` integers."""
    arr = np.asarray(cells if not isinstance(cells, str) else [cells])
    if arr.dtype.kind in "ui":
        return arr.astype(np.uint64).ravel()
    try:
        return np.array([int(str(c), 16) for c in arr.ravel()], dtype=np.uint64)
    except ValueError as exc:
        raise InputError(f"not an H3 cell id: {exc}") from None


# --------------------------------------------------------------------------------------------
# Counts
# --------------------------------------------------------------------------------------------


def count_cells(
    incidents: pd.DataFrame,
    resolution: int = 9,
    by: str | Sequence[str] | None = None,
    *,
    area: shapely.Geometry | gpd.GeoDataFrame | gpd.GeoSeries | None = None,
) -> pd.DataFrame:
    """Number of incidents per H3 cell, optionally split by columns such as year and offense.

    Parameters
    ----------
    incidents : pandas.DataFrame
        Canonical incidents (only ``lat``, ``lon`` and the ``by`` columns are used).
    resolution : int
        H3 resolution, 7-11 (7: ~5 km² cells, 9: ~0.1 km², 11: ~0.002 km²).
    by : str or list of str, optional
        Columns to split the counts by (e.g. ``["year", "offense"]``). Rows whose ``by``
        value is missing are counted under <NA>.
    area : polygon or GeoDataFrame, optional
        Study area (EPSG:4326). Its cells (centre inside, :func:`cells_in_area`) are added with
        ``count`` 0 where no incident fell, once for every combination of ``by`` values seen.

    Returns
    -------
    pandas.DataFrame
        ``cell`` (H3 string id), the ``by`` columns, ``count`` (int64); sorted by the ``by``
        columns, then by count (descending) and cell. The counts sum to ``len(incidents)``.

    Examples
    --------
    >>> df = pd.DataFrame({"lat": [41.8781, 41.8781, 41.80], "lon": [-87.6298, -87.6298, -87.6]})
    >>> count_cells(df, 9)["count"].tolist()
    [2, 1]
    """
    res = check_resolution(resolution)
    by = [by] if isinstance(by, str) else list(by or [])
    missing = [c for c in [LAT, LON, *by] if c not in incidents.columns]
    if missing:
        raise InputError(f"count_cells: the incidents lack the column(s) {', '.join(missing)}")
    lat, lon = _check_coords(incidents[LAT].to_numpy(), incidents[LON].to_numpy())
    if lat.size:
        codes, cells = _codes(lat, lon, res)
    else:
        codes, cells = np.empty(0, dtype=np.int64), np.empty(0, dtype=np.uint64)
    # merge codes that map to the same cell (a cell cut by a face edge, or ties)
    cell_codes, cell_uniques = pd.factorize(cells)
    point_cell = cell_codes[codes]
    if not by:
        counts = np.bincount(point_cell, minlength=cell_uniques.size)
        out = pd.DataFrame({"cell": cell_uniques.astype(np.uint64), "count": counts})
    else:
        frame = pd.DataFrame({"_c": point_cell})
        for col in by:
            frame[col] = incidents[col].to_numpy()
        g = frame.groupby(["_c", *by], dropna=False, sort=False, observed=True).size()
        out = g.rename("count").reset_index()
        out.insert(0, "cell", cell_uniques.astype(np.uint64)[out.pop("_c").to_numpy()])
    if area is not None:
        out = _fill_area(out, cells_in_area(area, res), by)
    out["cell"] = to_str(out["cell"].to_numpy())
    out["count"] = out["count"].astype(np.int64)
    out = out[["cell", *by, "count"]]
    out = out.sort_values([*by, "count", "cell"], ascending=[True] * len(by) + [False, True])
    return out.reset_index(drop=True)


def _fill_area(out: pd.DataFrame, area_cells: np.ndarray, by: list[str]) -> pd.DataFrame:
    """Add zero-count rows for the area cells absent from ``out`` (per ``by`` combination)."""
    if by:
        combos = out[by].drop_duplicates()
        grid = combos.merge(pd.DataFrame({"cell": area_cells}), how="cross")
    else:
        grid = pd.DataFrame({"cell": area_cells})
    merged = grid.merge(out, on=["cell", *by], how="outer")
    merged["count"] = merged["count"].fillna(0)
    return merged


# --------------------------------------------------------------------------------------------
# Geometry
# --------------------------------------------------------------------------------------------


def cell_polygons(cells: Iterable[str | int] | np.ndarray) -> np.ndarray:
    """Hexagon (or pentagon) polygons of H3 cells, EPSG:4326 lon/lat, as shapely objects."""
    ids = to_int(cells)
    rings = [h3i.cell_to_boundary(int(c)) for c in ids]  # one call per cell, not per point
    out = np.empty(len(rings), dtype=object)
    sizes = np.fromiter((len(r) for r in rings), dtype=np.int64, count=len(rings))
    for size in np.unique(sizes):
        pick = np.flatnonzero(sizes == size)
        coords = np.array([rings[i] for i in pick], dtype=float)[:, :, ::-1]  # (lat,lng) -> xy
        coords = np.concatenate([coords, coords[:, :1]], axis=1)  # close the rings
        out[pick] = shapely.polygons(shapely.linearrings(coords))
    return out


def cells_to_gdf(df: pd.DataFrame, cell_col: str = "cell") -> gpd.GeoDataFrame:
    """Attach the cell hexagons to a table of H3 cells.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per cell (string or integer ids in ``cell_col``) and any other columns.
    cell_col : str
        Column holding the H3 ids; kept as it is (strings stay strings, integers integers).

    Returns
    -------
    geopandas.GeoDataFrame
        The rows of ``df`` with hexagon ``geometry`` in EPSG:4326.
    """
    if cell_col not in df.columns:
        raise InputError(f"cells_to_gdf: no column {cell_col!r} of H3 cell ids")
    geoms = cell_polygons(df[cell_col].to_numpy()) if len(df) else np.empty(0, dtype=object)
    frame = pd.DataFrame(df).reset_index(drop=True)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=CRS), crs=CRS)


def cells_in_area(
    area: shapely.Geometry | gpd.GeoDataFrame | gpd.GeoSeries,
    resolution: int,
    contain: Literal["center", "overlap", "full"] = "center",
) -> np.ndarray:
    """H3 cells covering a study area (for zero-count cells in statistics).

    Parameters
    ----------
    area : shapely Polygon/MultiPolygon, GeoSeries or GeoDataFrame
        The study area; shapely geometries are read as EPSG:4326 lon/lat, frames are
        reprojected. Several polygons are merged.
    resolution : int
        H3 resolution, 0-15.
    contain : {"center", "overlap", "full"}
        Which cells: centre inside the area (H3's polyfill, the default), any overlap, or
        entirely inside.

    Returns
    -------
    numpy.ndarray of uint64
        Sorted cell ids (:func:`to_str` for strings).
    """
    res = check_resolution(resolution, 0, 15)
    if contain not in ("center", "overlap", "full"):
        raise ParameterError(f"contain: use 'center', 'overlap' or 'full', got {contain!r}")
    if isinstance(area, gpd.GeoSeries | gpd.GeoDataFrame):
        geom = shapely.union_all(area.to_crs(CRS).geometry.values)
    else:
        geom = area
    if geom is None or shapely.is_empty(geom) or geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise InputError("the study area must be a non-empty polygon or multipolygon")
    shape = h3.geo_to_h3shape(shapely.geometry.mapping(geom))
    cells = h3.h3shape_to_cells_experimental(shape, res, contain=contain)
    return np.sort(to_int(cells)) if cells else np.empty(0, dtype=np.uint64)


# --------------------------------------------------------------------------------------------
# Neighbours
# --------------------------------------------------------------------------------------------


def neighbour_rings(cells: Sequence[str | int] | np.ndarray, k: int) -> sp.csr_matrix:
    """Grid distance between cells up to ``k`` rings, as a sparse matrix aligned with ``cells``.

    Entry (i, j) is the ring number (1..k) of ``cells[j]`` around ``cells[i]``; cells further
    away, absent from ``cells``, and the diagonal are not stored. Symmetric.

    Parameters
    ----------
    cells : sequence of H3 ids (strings or integers), all of one resolution, unique
    k : int
        Number of rings (>= 1); ring 1 holds the 6 touching cells.
    """
    if int(k) != k or k < 1:
        raise ParameterError(f"k: number of neighbour rings must be a whole number >= 1, got {k}")
    k = int(k)
    ids = to_int(cells)
    n = ids.size
    order = np.argsort(ids)
    sorted_ids = ids[order]
    if n and np.any(sorted_ids[1:] == sorted_ids[:-1]):
        raise InputError("neighbour_rings: the cells must be unique")
    rows, cols, dist = [], [], []
    id_list = ids.tolist()
    for d in range(1, k + 1):
        # one C call per cell and ring; the lookups below are vectorised
        rings = [_ring(c, d) for c in id_list]
        lens = np.fromiter((len(r) for r in rings), dtype=np.int64, count=n)
        flat = np.fromiter(itertools.chain.from_iterable(rings), dtype=np.uint64, count=lens.sum())
        src = np.repeat(np.arange(n, dtype=np.int64), lens)
        pos = np.minimum(np.searchsorted(sorted_ids, flat), max(n - 1, 0))
        hit = sorted_ids[pos] == flat if n else np.zeros(0, dtype=bool)
        rows.append(src[hit])
        cols.append(order[pos[hit]])
        dist.append(np.full(int(hit.sum()), d, dtype=np.int8))
    if not rows:
        return sp.csr_matrix((n, n), dtype=np.int8)
    return sp.csr_matrix(
        (np.concatenate(dist), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
    )


def _ring(cell: int, d: int) -> list[int]:
    """Cells exactly ``d`` steps from ``cell`` (disk difference if H3 refuses the ring)."""
    try:
        return h3i.grid_ring(cell, d)
    except h3.H3BaseException:  # pentagon distortion in older H3 versions
        return list(set(h3i.grid_disk(cell, d)) - set(h3i.grid_disk(cell, d - 1)))


def ring_weights(
    cells: Sequence[str | int] | np.ndarray, k: int = 1, include_self: bool = True
) -> sp.csr_matrix:
    """Binary k-ring spatial weights (float64 CSR) aligned with ``cells``.

    w_ij = 1 when ``cells[j]`` lies within ``k`` rings of ``cells[i]`` (and w_ii = 1 when
    ``include_self``, as Gi* needs), else 0.
    """
    rings = neighbour_rings(cells, k)
    w = (rings > 0).astype(np.float64)
    if include_self:
        w = w + sp.identity(rings.shape[0], dtype=np.float64, format="csr")
    return sp.csr_matrix(w)


# --------------------------------------------------------------------------------------------
# Areas
# --------------------------------------------------------------------------------------------


def cell_area_m2(resolution: int) -> float:
    """Average area of an H3 hexagon at ``resolution`` (0-15), square metres."""
    return float(h3.average_hexagon_area(check_resolution(resolution, 0, 15), unit="m^2"))


def cell_areas_m2(cells: Iterable[str | int] | np.ndarray) -> np.ndarray:
    """Exact area of each H3 cell, square metres."""
    return np.array([h3i.cell_area(int(c), unit="m^2") for c in to_int(cells)], dtype=float)
