"""Near-repeat analysis: the Knox test as Ratcliffe's Near Repeat Calculator defines it.

Every pair of incidents falls in one distance band (metres) and one time band (calendar days
between them). The observed count of pairs per band pair is compared with the counts after
Monte Carlo permutations of the days among the locations (space and time kept, their link
broken). Knox ratio = observed / expected (the mean over the runs); p = (1 + runs with a count
>= observed) / (1 + runs).

Band edges (as the calculator): distance bands given as ``(100, 200, 300)`` are
``[0, 100]``, ``(100, 200]``, ``(200, 300]`` metres; time bands given as ``(7, 14)`` are
``0-7`` and ``8-14`` calendar days (the days between the two dates, whole days). Pairs farther
apart than the last band in space or in time are not counted.

Only pairs within the largest distance band can count, so the pairs come once from a KD-tree
(``query_pairs``); each run is one pass over the pairs in a compiled kernel
(:mod:`hotspots.timeaware.paircount`: numba, or NumPy gathers and one ``np.bincount``), the
runs spread over threads: no Python loop over pairs or incidents.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from hotspots.errors import InputError, ParameterError
from hotspots.schema import LAT, LON, OCCURRED_AT, TIME_PRECISION
from hotspots.timeaware.paircount import pair_counter

#: Default distance bands, metres (upper edges).
DISTANCE_BANDS = (100.0, 200.0, 300.0, 400.0)
#: Default time bands, calendar days (upper edges).
TIME_BANDS = (7, 14, 21, 28)
#: Default number of Monte Carlo permutations (Ratcliffe's calculator offers 19 to 999).
PERMUTATIONS = 999
#: Most pairs held in memory (about 12 bytes each, plus two work arrays of the same size).
MAX_PAIRS = 60_000_000

#: Columns of :func:`knox_test`'s table, in order.
COLUMNS = (
    "distance_lo",
    "distance_hi",
    "time_lo",
    "time_hi",
    "observed",
    "expected",
    "knox_ratio",
    "p",
    "near_repeat",
)


def check_distance_bands(bands: Sequence[float] | str) -> np.ndarray:
    """Upper edges of the distance bands in metres: positive, finite, strictly increasing.

    A string ``"100,200,300"`` is read as a comma list.

    Examples
    --------
    >>> check_distance_bands("100,200").tolist()
    [100.0, 200.0]
    """
    values = _parse(bands, "distance_bands", "metres")
    try:
        edges = np.asarray([float(v) for v in values], dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(
            f"distance_bands: numbers of metres expected, e.g. 100,200,300, got {bands!r}"
        ) from None
    if not np.all(np.isfinite(edges)) or edges[0] <= 0 or np.any(np.diff(edges) <= 0):
        raise ParameterError(
            f"distance_bands: increasing metres > 0 expected, e.g. 100,200,300, got {bands!r}"
        )
    return edges


def check_time_bands(bands: Sequence[int] | str) -> np.ndarray:
    """Upper edges of the time bands in whole days: >= 0, strictly increasing.

    Examples
    --------
    >>> check_time_bands("7,14,21").tolist()
    [7, 14, 21]
    """
    values = _parse(bands, "time_bands", "days")
    try:
        floats = [float(v) for v in values]
    except (TypeError, ValueError):
        floats = [math.nan]
    if not all(math.isfinite(v) and v == int(v) for v in floats):
        raise ParameterError(
            f"time_bands: whole numbers of days expected, e.g. 7,14,21, got {bands!r}"
        )
    edges = np.asarray(floats, dtype=np.int64)
    if edges[0] < 0 or np.any(np.diff(edges) <= 0):
        raise ParameterError(
            f"time_bands: increasing whole days >= 0 expected, e.g. 7,14,21, got {bands!r}"
        )
    return edges


def _parse(bands: Sequence | str, name: str, unit: str) -> list:
    if isinstance(bands, str):
        values: list = [v.strip() for v in bands.split(",") if v.strip()]
    else:
        values = list(np.atleast_1d(np.asarray(bands, dtype=object)))
    if not values:
        raise ParameterError(f"{name}: at least one band edge in {unit} is needed")
    if len(values) > 50:
        raise ParameterError(f"{name}: at most 50 bands, got {len(values)}")
    return values


def _check_permutations(permutations: int) -> int:
    if isinstance(permutations, bool) or int(permutations) != permutations:
        raise ParameterError(f"permutations must be a whole number, got {permutations!r}")
    if not 1 <= int(permutations) <= 99_999:
        raise ParameterError(f"permutations must be within 1-99999, got {permutations!r}")
    return int(permutations)


def _check_jobs(n_jobs: int) -> int:
    if isinstance(n_jobs, bool) or int(n_jobs) != n_jobs or n_jobs == 0 or n_jobs < -1:
        raise ParameterError(f"n_jobs must be -1 (every core) or a number >= 1, got {n_jobs!r}")
    return (os.cpu_count() or 1) if n_jobs == -1 else int(n_jobs)


def _check_alpha(alpha: float) -> float:
    a = float(alpha)
    if not 0 < a < 1:
        raise ParameterError(f"alpha (significance level) must be within (0, 1), got {alpha!r}")
    return a


def close_pairs(
    x: np.ndarray, y: np.ndarray, max_distance: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair ``i < j`` of points at most ``max_distance`` metres apart, and its distance.

    Parameters
    ----------
    x, y : ndarray
        Coordinates in metres (a projected CRS).
    max_distance : float
        Largest distance in metres.

    Returns
    -------
    i, j : ndarray of int32
        Indices of the two points, ``i < j``.
    d : ndarray of float64
        Their euclidean distance, metres (``<= max_distance``).
    """
    pts = np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])
    if len(pts) < 2:
        empty = np.empty(0, dtype=np.int32)
        return empty, empty, np.empty(0)
    tree = cKDTree(pts)
    # the search radius is a hair larger, so that the band edges depend on the distance
    # computed below alone (not on the tree's own rounding)
    radius = max_distance * (1 + 1e-9)
    n_pairs = _estimate_pairs(tree, pts, radius)
    if n_pairs > MAX_PAIRS:
        raise ParameterError(
            f"distance_bands: about {n_pairs:,} pairs of incidents lie within "
            f"{max_distance:g} m (at most {MAX_PAIRS:,}); use a smaller largest band, or "
            "filter the incidents"
        )
    pairs = tree.query_pairs(radius, output_type="ndarray")
    i = pairs[:, 0].astype(np.int32)
    j = pairs[:, 1].astype(np.int32)
    del pairs
    d = np.hypot(pts[i, 0] - pts[j, 0], pts[i, 1] - pts[j, 1])
    keep = d <= max_distance
    swap = i > j
    i, j = np.where(swap, j, i), np.where(swap, i, j)
    return i[keep], j[keep], d[keep]


def _estimate_pairs(tree: cKDTree, pts: np.ndarray, radius: float, k: int = 2000) -> int:
    """Pairs within ``radius`` estimated from the neighbours of ``k`` evenly spaced points
    (exact when there are at most ``k`` points): a guard before the pairs fill the memory."""
    step = max(1, len(pts) // k)
    probe = pts[::step]
    found = tree.query_ball_point(probe, radius, return_length=True).sum() - len(probe)
    return int(found * (len(pts) / len(probe)) / 2)


def knox_test(
    x: np.ndarray,
    y: np.ndarray,
    days: np.ndarray,
    *,
    distance_bands: Sequence[float] | str = DISTANCE_BANDS,
    time_bands: Sequence[int] | str = TIME_BANDS,
    permutations: int = PERMUTATIONS,
    seed: int | None = 0,
    alpha: float = 0.05,
    n_jobs: int = -1,
    compiled: bool | None = None,
) -> pd.DataFrame:
    """Knox test of space-time clustering over distance x time bands (near repeats).

    Parameters
    ----------
    x, y : ndarray
        Incident coordinates in metres (a projected CRS).
    days : ndarray of int
        Incident dates as whole days (e.g. days since 1970-01-01); pairs are counted by
        ``|days_i - days_j|``, the calendar-day difference.
    distance_bands : sequence of float or str
        Upper edges of the distance bands, metres, increasing; ``(100, 200)`` gives
        ``[0, 100]`` and ``(100, 200]``.
    time_bands : sequence of int or str
        Upper edges of the time bands, whole days, increasing; ``(7, 14)`` gives ``0-7`` and
        ``8-14`` days.
    permutations : int
        Monte Carlo runs (1-99999). Run ``r`` assigns the days in the order of the ``r``-th
        ``numpy.random.default_rng(seed).permutation(n)``.
    seed : int or None
        Seed of the permutations; the same seed gives the same expected counts and p-values.
    alpha : float
        Significance level of the near-repeat zone.
    n_jobs : int
        Threads running the permutations (-1: one per CPU core). The result does not depend
        on it.
    compiled : bool, optional
        Count with the numba kernel (default when numba is installed) or NumPy (``False``);
        the counts are the same.

    Returns
    -------
    pandas.DataFrame
        One row per band pair, distance bands outer, time bands inner: ``distance_lo``,
        ``distance_hi`` (metres), ``time_lo``, ``time_hi`` (days, inclusive), ``observed``
        (pairs), ``expected`` (mean over the runs), ``knox_ratio`` (observed / expected, NaN
        when expected is 0), ``p`` and ``near_repeat`` (``p <= alpha`` and ratio > 1).
        ``attrs`` holds ``n_incidents``, ``n_pairs`` (pairs within the largest distance band),
        ``permutations``, ``seed`` and ``alpha``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([0.0, 50.0, 5000.0]); y = np.zeros(3); days = np.array([0, 3, 40])
    >>> t = knox_test(x, y, days, distance_bands=(100,), time_bands=(7, 14), permutations=9)
    >>> t[["distance_hi", "time_hi", "observed"]].values.tolist()
    [[100.0, 7.0, 1.0], [100.0, 14.0, 0.0]]
    """
    d_edges = check_distance_bands(distance_bands)
    t_edges = check_time_bands(time_bands)
    runs = _check_permutations(permutations)
    alpha = _check_alpha(alpha)
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    days_arr = np.asarray(days)
    if not (x.shape == y.shape == days_arr.shape) or x.ndim != 1:
        raise ParameterError("x, y and days must be 1-d arrays of the same length")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise InputError("incidents without coordinates: drop them before the Knox test")
    if days_arr.size and not np.issubdtype(days_arr.dtype, np.integer):
        if not np.all(np.isfinite(days_arr.astype(float))):
            raise InputError("incidents without a date: drop them before the Knox test")
    day = days_arr.astype(np.int64)
    day = (day - (day.min() if day.size else 0)).astype(np.int32)  # small ints: faster gathers
    n_d, n_t = d_edges.size, t_edges.size
    i, j, dist = close_pairs(x, y, float(d_edges[-1]))
    # distance band per pair (searchsorted 'left': d == 100 falls in [0, 100])
    dband = np.searchsorted(d_edges, dist, side="left")
    del dist
    # pairs are counted per whole-day difference up to the last edge + 1 ("beyond"), then
    # summed into the time bands with a 0/1 matrix (day difference -> band, "beyond" last)
    cap = int(t_edges[-1]) + 1
    lut = np.searchsorted(t_edges, np.arange(cap + 1), side="left")
    to_band = np.zeros((cap + 1, n_t + 1), dtype=np.int64)
    to_band[np.arange(cap + 1), lut] = 1
    counter = pair_counter(i, j, dband, n_d, cap, compiled=compiled)

    def count(order_days: np.ndarray) -> np.ndarray:
        return (counter(order_days) @ to_band)[:, :n_t].ravel()

    observed = count(day)
    rng = np.random.default_rng(seed)
    total = np.zeros(n_d * n_t, dtype=np.float64)
    at_least = np.zeros(n_d * n_t, dtype=np.int64)
    workers = _check_jobs(n_jobs)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        done = 0
        while done < runs:  # a batch of runs at a time: one per thread, in the seed's order
            k = min(workers, runs - done)
            batch = [day[rng.permutation(day.size)] for _ in range(k)]
            for sim in pool.map(count, batch):
                total += sim
                at_least += sim >= observed
            done += k
    obs = observed.astype(np.int64)
    expected = total / runs
    p = (1.0 + at_least) / (1.0 + runs)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(expected > 0, obs / np.where(expected > 0, expected, 1.0), np.nan)
    d_lo = np.concatenate([[0.0], d_edges[:-1]])
    t_lo = np.concatenate([[0], t_edges[:-1] + 1])
    out = pd.DataFrame(
        {
            "distance_lo": np.repeat(d_lo, n_t),
            "distance_hi": np.repeat(d_edges, n_t),
            "time_lo": np.tile(t_lo, n_d).astype(np.int64),
            "time_hi": np.tile(t_edges, n_d).astype(np.int64),
            "observed": obs,
            "expected": expected,
            "knox_ratio": ratio,
            "p": p,
            "near_repeat": (p <= alpha) & (np.nan_to_num(ratio, nan=0.0) > 1.0),
        }
    )
    out.attrs.update(
        n_incidents=int(x.size),
        n_pairs=int(i.size),
        permutations=runs,
        seed=seed,
        alpha=alpha,
    )
    return out


def incident_days(incidents: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Calendar days (since 1970-01-01) of the incidents, and which ones have a known day.

    An incident dated to the month only (``time_precision == "month"``, e.g. police.uk) or
    without a date has no day; it cannot be paired in time.
    """
    if OCCURRED_AT not in incidents:
        raise InputError("incidents need an 'occurred_at' date column for the Knox test")
    when = pd.to_datetime(incidents[OCCURRED_AT], errors="coerce")
    known = when.notna().to_numpy().copy()
    if TIME_PRECISION in incidents:
        month_only = incidents[TIME_PRECISION].astype("string") == "month"
        known &= ~month_only.fillna(False).to_numpy(dtype=bool)
    days = np.zeros(len(incidents), dtype=np.int64)
    values = when.to_numpy(dtype="datetime64[ns]")
    days[known] = values[known].astype("datetime64[D]").astype(np.int64)
    return days, known


def near_repeat(
    incidents: pd.DataFrame,
    *,
    distance_bands: Sequence[float] | str = DISTANCE_BANDS,
    time_bands: Sequence[int] | str = TIME_BANDS,
    permutations: int = PERMUTATIONS,
    seed: int | None = 0,
    alpha: float = 0.05,
    n_jobs: int = -1,
) -> pd.DataFrame:
    """Knox test (:func:`knox_test`) on canonical incidents: ``lat``/``lon`` projected to a
    local metric CRS, ``occurred_at`` as calendar days.

    Incidents without a known day (month-only dates) are left out; their number is in
    ``attrs["unknown_day"]``.

    Raises
    ------
    InputError
        Fewer than two incidents with a known day (e.g. month-only police.uk data).
    """
    from hotspots.clusters import latlon_of
    from hotspots.projection import to_metric

    days, known = incident_days(incidents)
    if int(known.sum()) < 2:
        raise InputError(
            "the Knox test needs at least two incidents dated to the day; "
            f"{int((~known).sum()):,} have a month only or no date"
        )
    sub = incidents.loc[known, [LAT, LON]] if not known.all() else incidents[[LAT, LON]]
    lat, lon = latlon_of(sub)
    x, y, _ = to_metric(lat, lon)
    out = knox_test(
        x,
        y,
        days[known],
        distance_bands=distance_bands,
        time_bands=time_bands,
        permutations=permutations,
        seed=seed,
        alpha=alpha,
        n_jobs=n_jobs,
    )
    out.attrs["unknown_day"] = int((~known).sum())
    return out


def heat_table(result: pd.DataFrame, value: str = "knox_ratio") -> pd.DataFrame:
    """``result``'s ``value`` as a distance band (rows) x time band (columns) table, labelled
    ``"0-100"`` (metres) and ``"0-7"`` (days) as the calculator's output."""
    rows = [
        _band_label(lo, hi)
        for lo, hi in zip(result["distance_lo"], result["distance_hi"], strict=True)
    ]
    cols = [f"{lo}-{hi}" for lo, hi in zip(result["time_lo"], result["time_hi"], strict=True)]
    frame = pd.DataFrame({"distance": rows, "time": cols, value: result[value].to_numpy()})
    wide = frame.pivot(index="distance", columns="time", values=value)
    return wide.loc[list(dict.fromkeys(rows)), list(dict.fromkeys(cols))]


def _band_label(lo: float, hi: float) -> str:
    return f"{lo:g}-{hi:g}"


def json_records(result: pd.DataFrame) -> list[dict]:
    """The table as the CLI's ``--json``: ``distance_band`` ([lo, hi] metres), ``time_band``
    ([lo, hi] days), ``observed``, ``expected``, ``knox_ratio`` (None when undefined), ``p``,
    ``near_repeat``. A result suppressed for presenters
    (:func:`hotspots.privacy.suppress_knox`) has ``"< k"`` for small counts, without ratio or
    p (None)."""
    out = []
    for r in result.itertuples(index=False):
        ratio = None if not math.isfinite(r.knox_ratio) else round(float(r.knox_ratio), 6)
        p = None if not math.isfinite(r.p) else round(float(r.p), 6)
        observed = r.observed if isinstance(r.observed, str) else int(r.observed)
        out.append(
            {
                "distance_band": [float(r.distance_lo), float(r.distance_hi)],
                "time_band": [int(r.time_lo), int(r.time_hi)],
                "observed": observed,
                "expected": round(float(r.expected), 6),
                "knox_ratio": ratio,
                "p": p,
                "near_repeat": bool(r.near_repeat),
            }
        )
    return out
