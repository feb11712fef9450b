"""The one source of the analysis defaults, and the ``auto`` values computed from the data.

Every entry point (``hotspots`` commands, the app's :class:`hotspots.views.Params`, the patrol
plan and report, :mod:`hotspots.evaluate` and the notebook) takes its defaults from here, so
the same calls with the same settings give the same answer everywhere.

``auto`` is the default
-----------------------
The H3 resolution, DBSCAN's ``eps_m`` and ``min_samples`` and the KDE bandwidth default to
``"auto"`` (:data:`DEFAULT`) everywhere: computed from the calls in hand (after the filters)
by the rules below, and shown as the number chosen. An explicit number always wins.

Fixed numbers
-------------
:data:`RESOLUTION` (H3 9, ~0.1 km² cells), :data:`EPS_M` (DBSCAN 100 m), :data:`MIN_SAMPLES`
(30 calls), :data:`BANDWIDTH_M` (KDE 250 m): the fallback where the calls are not in one
process (``--engine dask`` for the H3 resolution: :func:`engine_value`), and the sweep's and
sliders' starting points. :data:`KDE_CELL_M` (50 m raster), :data:`GISTAR_K` (1 ring),
:data:`COVERAGE` (5 % of the study area), :data:`VENUE_RADIUS_M` (50 m) have no auto rule.

``auto`` values (:data:`AUTO`)
------------------------------
Any of ``resolution``, ``eps_m``, ``min_samples`` and ``bandwidth_m`` may be given as
``"auto"``; :func:`resolve` replaces it by a number computed from the (filtered) calls and the
study area, with the rule in words. Explicit numbers are never changed.

``eps_m`` (:func:`auto_eps`)
    The knee of the sorted :data:`KNEE_K`-distance curve (Ester et al. 1996: distance from
    each call to its 4th nearest call, itself counted), found as the point farthest below the
    chord (Kneedle, Satopää et al. 2011) after dropping the farthest 1 % (outliers), clipped
    to [:data:`EPS_MIN_M`, :data:`EPS_MAX_M`] metres.
``min_samples`` (:func:`auto_min_samples`)
    A core point's eps-disc must hold :data:`DENSITY_FACTOR` times the calls it would hold at
    the study area's average density (``n * pi * eps² / A``), at least :data:`MIN_SAMPLES_FLOOR`;
    but never more than the busiest eps-disc of the data holds, so auto always finds a cluster.
``resolution`` (:func:`auto_resolution`)
    The finest H3 resolution (7-11) at which the non-empty cells hold on average at least
    :data:`CALLS_PER_CELL` calls (a lit cell then shows a count, not a single address).
``bandwidth_m`` (:func:`auto_bandwidth`)
    ArcGIS's spatial Silverman rule (:func:`hotspots.density.default_bandwidth`), clipped to
    [:data:`BANDWIDTH_MIN_M`, :data:`BANDWIDTH_MAX_M`].

Examples
--------
>>> from benchmarks.synthetic import make_incidents
>>> chosen = resolve(make_incidents(2000, seed=1), {"eps_m": "auto", "min_samples": 12})
>>> chosen.values["min_samples"], "eps_m" in chosen.auto
(12, True)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

from hotspots.errors import InputError, ParameterError

#: The word that asks for a value computed from the data.
AUTO: Final = "auto"

# fixed defaults ------------------------------------------------------------------------------
RESOLUTION: Final = 9
EPS_M: Final = 100.0
MIN_SAMPLES: Final = 30
BANDWIDTH_M: Final = 250.0
KERNEL: Final = "quartic"
KDE_CELL_M: Final = 50.0
GISTAR_K: Final = 1
COVERAGE: Final = 0.05
VENUE_RADIUS_M: Final = 50.0
PATROL_TOP: Final = 10
CLUSTER_BUFFER_M: Final = 25.0

# rules of the auto values --------------------------------------------------------------------
KNEE_K: Final = 4
EPS_MIN_M: Final = 25.0
EPS_MAX_M: Final = 500.0
DENSITY_FACTOR: Final = 5.0
MIN_SAMPLES_FLOOR: Final = 5
CALLS_PER_CELL: Final = 10.0
RESOLUTIONS: Final = (7, 8, 9, 10, 11)
BANDWIDTH_MIN_M: Final = 50.0
BANDWIDTH_MAX_M: Final = 2000.0
#: k-distances are computed on at most this many calls (a seeded subsample beyond it).
MAX_KNN_POINTS: Final = 50_000

#: The names :func:`resolve` understands, with their fixed numbers.
FIXED: Final[dict[str, Any]] = {
    "resolution": RESOLUTION,
    "eps_m": EPS_M,
    "min_samples": MIN_SAMPLES,
    "bandwidth_m": BANDWIDTH_M,
}

#: The default of every name of :data:`FIXED`: computed from the data.
DEFAULT: Final[dict[str, Any]] = dict.fromkeys(FIXED, AUTO)

#: Each auto rule in one line (English; the app shows its own translation).
RULES: Final[dict[str, str]] = {
    "eps_m": f"knee of the {KNEE_K}-nearest-call distance curve, {EPS_MIN_M:g}-{EPS_MAX_M:g} m",
    "min_samples": (
        f"{DENSITY_FACTOR:g} x the calls an eps-disc holds at the average density, at least "
        f"{MIN_SAMPLES_FLOOR}, at most the busiest disc"
    ),
    "resolution": f"finest H3 resolution with >= {CALLS_PER_CELL:g} calls per non-empty cell",
    "bandwidth_m": "ArcGIS's spatial Silverman rule",
}


def is_auto(value: Any) -> bool:
    """True for ``"auto"`` (any case) and ``None``.

    Examples
    --------
    >>> is_auto("Auto"), is_auto(None), is_auto(100)
    (True, True, False)
    """
    return value is None or (isinstance(value, str) and value.strip().lower() == AUTO)


# helpers -------------------------------------------------------------------------------------
def _xy(incidents: pd.DataFrame, crs: Any = None) -> np.ndarray:
    """Metres on a local sphere-based projection (the evaluation's and DBSCAN's)."""
    from hotspots.clusters import latlon_of
    from hotspots.projection import local_metric_crs, to_metric

    lat, lon = latlon_of(incidents)
    if lat.size == 0:
        raise InputError("no calls to compute auto parameters from: widen the filters")
    if crs is None:
        crs = local_metric_crs(float(np.mean(lat)), float(np.mean(lon)), sphere=True)
    x, y, _ = to_metric(lat, lon, crs)
    return np.column_stack([x, y])


def study_area_m2(incidents: pd.DataFrame, area: Any = None) -> float:
    """Area of the study area (``area`` polygon, else the calls' convex hull), m²."""
    from hotspots.evaluate import study_area

    if area is None:  # the hull of the calls that can be its corners: the same polygon
        incidents = hull_candidates(incidents)
    return study_area(incidents, area).area_m2


#: Margin (degrees, about 0.1 mm) by which a call must lie inside the extreme calls' polygon
#: for :func:`hull_candidates` to drop it: rounding can never turn it into a hull corner.
_HULL_MARGIN_DEG: Final = 1e-9


def hull_candidates(incidents: pd.DataFrame) -> pd.DataFrame:
    """The calls that can be corners of the calls' convex hull (``lat``, ``lon``).

    Akl and Toussaint's (1978) filter: the calls of extreme x, y, x + y and x - y span a
    polygon inside the hull, and a call strictly inside it (by :data:`_HULL_MARGIN_DEG`) is no
    corner. The convex hull of what is left is therefore the hull of all the calls, the same
    polygon, built from a few hundred points instead of every call (GEOS took 1.3 s for the
    multipoint of 500,000 calls).

    Examples
    --------
    >>> calls = pd.DataFrame({"lat": [0.0, 0.0, 1.0, 1.0, 0.5], "lon": [0.0, 1.0, 0.0, 1.0, 0.5]})
    >>> len(hull_candidates(calls))  # the centre is no corner
    4
    """
    import shapely

    from hotspots.clusters import latlon_of

    lat, lon = latlon_of(incidents)
    if lat.size < 64:
        return pd.DataFrame({"lat": lat, "lon": lon})
    # the extreme calls (W, SW, S, SE, E, NE, N, NW) and the polygon they span
    picks = [
        np.argmin(lon), np.argmin(lon + lat), np.argmin(lat), np.argmax(lon - lat),
        np.argmax(lon), np.argmax(lon + lat), np.argmax(lat), np.argmin(lon - lat),
    ]  # fmt: skip
    corners = np.unique(np.column_stack([lon[picks], lat[picks]]), axis=0)
    inner = shapely.convex_hull(shapely.multipoints(corners))
    keep = np.ones(lat.size, dtype=bool)
    if inner.geom_type == "Polygon":
        ring = np.asarray(shapely.get_coordinates(shapely.orient_polygons(inner).exterior))
        inside = np.ones(lat.size, dtype=bool)
        for (x0, y0), (x1, y1) in zip(ring[:-1], ring[1:], strict=True):
            dx, dy = x1 - x0, y1 - y0
            # left of each counter-clockwise edge by more than the margin (times its length)
            inside &= dx * (lat - y0) - dy * (lon - x0) > _HULL_MARGIN_DEG * math.hypot(dx, dy)
        keep = ~inside
    return pd.DataFrame({"lat": lat[keep], "lon": lon[keep]})


def knee(values: np.ndarray, trim: float = 0.01) -> float:
    """Knee of a sorted-ascending curve: the point farthest below its chord (Kneedle).

    The largest ``trim`` share is dropped first, so a few far-off calls do not flatten it.

    Examples
    --------
    >>> knee(np.array([1.0, 1.0, 1.0, 1.0, 2.0, 5.0, 10.0]), trim=0.0)
    2.0
    """
    q = np.sort(np.asarray(values, dtype=float))
    q = q[: max(2, int(math.ceil((1.0 - trim) * q.size)))]
    if q.size == 0:
        raise InputError("no distances to find a knee in")
    if q[-1] == q[0]:
        return float(q[0])
    xs = np.linspace(0.0, 1.0, q.size)
    ys = (q - q[0]) / (q[-1] - q[0])
    return float(q[int(np.argmax(xs - ys))])


def k_distances(xy: np.ndarray, k: int, *, seed: int = 0) -> np.ndarray:
    """Distance from each point to its ``k``-th nearest point (itself counted as the 1st),
    metres; on a seeded subsample of :data:`MAX_KNN_POINTS` points (with ``k`` scaled by the
    sampling share) when there are more."""
    from scipy.spatial import cKDTree

    n = len(xy)
    if n <= k:
        raise InputError(f"auto parameters need more than {k} calls; give the values in metres")
    pts, kk = xy, k
    if n > MAX_KNN_POINTS:
        rng = np.random.default_rng(seed)
        pts = xy[rng.choice(n, MAX_KNN_POINTS, replace=False)]
        kk = max(2, int(round(k * MAX_KNN_POINTS / n)))
    dist, _ = cKDTree(pts).query(pts, k=kk)
    return dist[:, -1]


# the rules -----------------------------------------------------------------------------------
def auto_eps(incidents: pd.DataFrame, *, xy: np.ndarray | None = None) -> float:
    """DBSCAN radius from the knee of the :data:`KNEE_K`-distance curve, metres (see the
    module notes). ``xy``: the calls' metric coordinates (:func:`_xy`) when known already."""
    kd = k_distances(_xy(incidents) if xy is None else xy, KNEE_K)
    return float(np.clip(round(knee(kd)), EPS_MIN_M, EPS_MAX_M))


def busiest_disc(incidents: pd.DataFrame, eps_m: float, at_most: int | None = None) -> int:
    """Calls in the busiest disc of radius ``eps_m`` centred on a call (itself counted): the
    largest ``min_samples`` with which DBSCAN still finds a cluster at this ``eps_m``.

    With ``at_most``, ``min(at_most, busiest)``, which can be known much sooner.

    Exact, without counting every call's disc (branch and bound on two grids): calls in one
    square of side ``eps / sqrt 2`` are all within ``eps`` of each other, so the busiest square
    is a lower bound; a call's disc lies in the 3 x 3 block of ``eps`` cells around it, so the
    block's calls are an upper bound for it. Only the calls whose bound beats the best disc
    found so far are counted, busiest bound first. On 500,000 synthetic calls, with the auto
    rule's cap (:func:`auto_min_samples`): 2.6 s -> 0.03 s; without a cap, 2.5-3.5 times
    faster than counting the disc of every distinct place.

    Examples
    --------
    >>> calls = pd.DataFrame({"lat": [43.3, 43.3, 43.3001, 43.4], "lon": [68.2] * 4})
    >>> busiest_disc(calls, 20.0), busiest_disc(calls, 20.0, at_most=2)
    (3, 2)
    """
    xy = _xy(incidents)
    return busiest_disc_xy(xy, eps_m, at_most)


#: Calls whose discs are counted at a time by :func:`busiest_disc_xy`.
_DISC_CHUNK: Final = 4096


def _cell_keys(xy: np.ndarray, side: float) -> tuple[np.ndarray, int]:
    """One int64 key per point, its square of side ``side``, and the key step of one column
    (a spare row and column either side, so a neighbour's key never wraps)."""
    g = np.floor((xy - xy.min(axis=0)) / side).astype(np.int64)
    width = int(g[:, 1].max()) + 3
    return (g[:, 0] + 1) * width + (g[:, 1] + 1), width


def busiest_disc_xy(xy: np.ndarray, eps_m: float, at_most: int | None = None) -> int:
    """:func:`busiest_disc` on metric coordinates ``xy`` (n x 2, metres)."""
    from scipy.spatial import cKDTree

    n = len(xy)
    if n == 0:
        return 0
    eps = float(eps_m)
    radius = eps * (1 + 1e-9)  # a call exactly eps away counts, whatever the rounding
    cap = n if at_most is None else max(0, min(n, int(at_most)))
    if eps < 0:  # no disc (the caller reports the bad radius)
        return 0
    if not eps > 0:  # a radius of 0: the calls at one and the same place
        return min(cap, int(np.unique(xy, axis=0, return_counts=True)[1].max()))
    # lower bound: the busiest square of side eps / sqrt(2) (a hair less, for rounding)
    squares, _ = _cell_keys(xy, eps / math.sqrt(2.0) * (1 - 1e-9))
    if squares.max() <= 8 * n + 1_000_000:  # a city's grid: counting beats sorting
        best = int(np.bincount(squares).max())
    else:  # calls far apart: only the squares that hold some
        best = int(np.unique(squares, return_counts=True)[1].max())
    if best >= cap:
        return cap
    # upper bound of each call: the calls in the 3 x 3 block of cells (side a hair over the
    # radius) around its cell
    side = radius * (1 + 1e-9)
    key, width = _cell_keys(xy, side)
    cells, inv, counts = np.unique(key, return_inverse=True, return_counts=True)
    block = np.zeros(cells.size, dtype=np.int64)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            near = cells + di * width + dj
            pos = np.minimum(np.searchsorted(cells, near), cells.size - 1)
            block += np.where(cells[pos] == near, counts[pos], 0)
    bound = block[inv.ravel()]
    cand = np.flatnonzero(bound > best)
    if cand.size == 0:
        return best
    cand = cand[np.argsort(-bound[cand], kind="stable")]
    tree = cKDTree(xy)
    for start in range(0, cand.size, _DISC_CHUNK):
        chunk = cand[start : start + _DISC_CHUNK]
        if bound[chunk[0]] <= best:  # busiest bound first: no call left can beat it
            break
        found = tree.query_ball_point(xy[chunk], radius, return_length=True)
        best = max(best, int(found.max()))
        if best >= cap:
            return cap
    return best


def auto_min_samples(
    incidents: pd.DataFrame, eps_m: float, area_m2: float, *, xy: np.ndarray | None = None
) -> int:
    """DBSCAN's ``min_samples`` from the average density (see the module notes). ``xy``: the
    calls' metric coordinates (:func:`_xy`) when known already."""
    n = len(incidents)
    if not area_m2 > 0:
        raise ParameterError("area_m2: the study area in m², > 0")
    expected = n * math.pi * float(eps_m) ** 2 / float(area_m2)
    rule = max(MIN_SAMPLES_FLOOR, int(math.ceil(DENSITY_FACTOR * expected)))
    xy = _xy(incidents) if xy is None else xy
    return int(max(2, busiest_disc_xy(xy, eps_m, at_most=rule)))


def auto_resolution(
    incidents: pd.DataFrame, n_cells: Callable[[int], int] | None = None
) -> int:
    """The finest H3 resolution whose non-empty cells hold :data:`CALLS_PER_CELL` calls on
    average (the coarsest, 7, when none does).

    ``n_cells(resolution)``, when given, is the number of distinct cells of ``incidents`` at
    that resolution, known already (the app's :class:`hotspots.cellindex.CellView`); else
    the calls are binned here."""
    from hotspots import grid
    from hotspots.clusters import latlon_of

    lat, lon = latlon_of(incidents)
    if lat.size == 0:
        raise InputError("no calls to compute auto parameters from: widen the filters")
    if n_cells is None:

        def n_cells(res: int) -> int:
            return int(np.unique(grid.cell_ids(lat, lon, res)).size)

    for res in sorted(RESOLUTIONS, reverse=True):
        if lat.size / n_cells(res) >= CALLS_PER_CELL:
            return int(res)
    return int(min(RESOLUTIONS))


def auto_bandwidth(incidents: pd.DataFrame, *, xy: np.ndarray | None = None) -> float:
    """KDE bandwidth by ArcGIS's spatial Silverman rule, whole metres (clipped). ``xy``: the
    calls' metric coordinates (:func:`_xy`) when known already."""
    from hotspots.density import default_bandwidth

    xy = _xy(incidents) if xy is None else xy
    h = default_bandwidth(xy[:, 0], xy[:, 1])
    return float(np.clip(round(h), BANDWIDTH_MIN_M, BANDWIDTH_MAX_M))


# resolving -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Chosen:
    """Parameters in force: ``values`` (numbers only), which were ``auto`` and by what rule."""

    values: dict[str, Any]
    auto: frozenset[str] = field(default_factory=frozenset)

    def describe(self) -> list[str]:
        """One English line per auto value: ``"eps_m = 58 (auto: knee of ...)"``."""
        return [
            f"{name} = {_fmt(self.values[name])} (auto: {RULES[name]})"
            for name in self.values
            if name in self.auto
        ]


def _fmt(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def resolve(
    incidents: pd.DataFrame,
    values: Mapping[str, Any] | None = None,
    area: Any = None,
    *,
    n_cells: Callable[[int], int] | None = None,
) -> Chosen:
    """Replace every ``"auto"`` in ``values`` by its value computed from ``incidents``.

    Parameters
    ----------
    incidents : DataFrame
        The calls the parameters are for (already filtered), with ``lat``/``lon``.
    values : dict, optional
        Some of ``resolution``, ``eps_m``, ``min_samples``, ``bandwidth_m``: numbers (kept as
        given) or ``"auto"``; a name left out takes its fixed default (:data:`FIXED`).
    area : polygon or GeoDataFrame, optional
        Study area (EPSG:4326) for ``min_samples``; default the calls' convex hull.
    n_cells : callable, optional
        ``n_cells(resolution)``: distinct H3 cells of ``incidents``, when known already
        (:func:`auto_resolution`).

    Returns
    -------
    Chosen
        ``values`` with numbers everywhere, ``auto`` naming the computed ones.
    """
    given = {**FIXED, **dict(values or {})}
    unknown = sorted(set(given) - set(FIXED))
    if unknown:
        raise ParameterError(f"unknown parameter(s) {unknown}; known: {', '.join(FIXED)}")
    auto = {k for k, v in given.items() if is_auto(v)}
    out = dict(given)
    if "resolution" in auto:
        out["resolution"] = auto_resolution(incidents, n_cells)
    # the calls' metric coordinates, projected once for the three rules that need them
    xy = _xy(incidents) if auto & {"bandwidth_m", "eps_m", "min_samples"} else None
    if "bandwidth_m" in auto:
        out["bandwidth_m"] = auto_bandwidth(incidents, xy=xy)
    if "eps_m" in auto:
        out["eps_m"] = auto_eps(incidents, xy=xy)
    if "min_samples" in auto:
        out["min_samples"] = auto_min_samples(
            incidents, float(out["eps_m"]), study_area_m2(incidents, area), xy=xy
        )
    out["resolution"] = int(out["resolution"])
    out["min_samples"] = int(out["min_samples"])
    out["eps_m"] = float(out["eps_m"])
    out["bandwidth_m"] = float(out["bandwidth_m"])
    return Chosen(out, frozenset(auto))


def engine_value(name: str, value: Any) -> tuple[Any, str | None]:
    """The value of ``name`` for a run whose calls are never gathered in one process (the
    Dask engine): an ``auto`` (or absent) value becomes the fixed number, with a note saying
    so; a number is kept (note ``None``).

    Examples
    --------
    >>> engine_value("resolution", "auto")[0], engine_value("resolution", 10)
    (9, (10, None))
    """
    if not is_auto(value):
        return value, None
    fixed = FIXED[name]
    return fixed, (
        f"{name} = {_fmt(fixed)} (the fixed default: auto needs the calls in one process; "
        f"give a number to choose)"
    )


def parse_value(raw: Any, name: str, cast: type = float) -> Any:
    """A command-line value: ``"auto"`` or a number of type ``cast``.

    Examples
    --------
    >>> parse_value("auto", "--eps"), parse_value("120", "--eps")
    ('auto', 120.0)
    """
    if raw is None:
        return None
    if is_auto(raw):
        return AUTO
    try:
        v = cast(float(raw)) if cast is int else cast(raw)
    except (TypeError, ValueError):
        raise InputError(f"{name} takes a number or 'auto', got {raw!r}") from None
    if cast is int and float(raw) != v:
        raise InputError(f"{name} takes a whole number or 'auto', got {raw!r}")
    return v
