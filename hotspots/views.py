"""What each page of the app shows, computed from (incidents, filters, params) without Streamlit.

Every number the app displays comes from a function here, so it can be had from Python (the
take-away exports, notebooks and tests use the same functions) and the app only wires widgets
to them. The functions are thin: the analysis itself lives in :mod:`hotspots.grid`,
:mod:`hotspots.clusters`, :mod:`hotspots.gistar`, :mod:`hotspots.venues`,
:mod:`hotspots.temporal` and :mod:`hotspots.evaluate`; this module chooses their inputs
(filters, parameters, suppression of small counts) and packages their results.

>>> from hotspots.sample import load_sample
>>> s = load_sample()                                              # doctest: +SKIP
>>> headline(s.calls, Filters(years=(2021,))).n_calls             # doctest: +SKIP
2829
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots import defaults as _defaults
from hotspots import density as _density
from hotspots.errors import InputError, ParameterError
from hotspots.filters import Filters, apply_filters
from hotspots.schema import (
    HOUR,
    MONTH,
    OCCURRED_AT,
    OFFENSE,
    VENUE_ID,
    WEEKDAY,
    WEEKDAY_NAMES,
    YEAR,
)

#: Kernels offered for the density surface (the field's standard, quartic, first).
KERNELS: tuple[str, ...] = tuple(_density.KERNELS)

#: Share of the busiest cells used for the "calls in the top cells" headline figure.
TOP_CELL_SHARE = 0.05


# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------
#: Fields of :class:`Params` that may be ``"auto"`` (:mod:`hotspots.defaults`), by default.
AUTO_FIELDS: Final = ("resolution", "eps_m", "min_samples", "bandwidth_m")

#: (low, high, unit) of each numeric parameter of :class:`Params`.
PARAM_RANGES: dict[str, tuple[float, float, str]] = {
    "resolution": (7, 11, "H3 resolution"),
    "eps_m": (10.0, 2000.0, "metres"),
    "min_samples": (2, 100_000, "calls"),
    "bandwidth_m": (25.0, 5000.0, "metres"),
    "coverage": (0.001, 0.5, "share of the study area"),
    "venue_radius_m": (5.0, 1000.0, "metres"),
}


@dataclass(frozen=True)
class Params:
    """The analyst's parameters, shown with every map and saved with a view.

    ``resolution``, ``eps_m``, ``min_samples`` and ``bandwidth_m`` default to ``"auto"``:
    :meth:`resolved` computes them from the (filtered) calls by the rules of
    :mod:`hotspots.defaults`, as the CLI and the report do; every view function resolves the
    ones it needs, and a number given always wins.

    Parameters
    ----------
    resolution : int or "auto"
        H3 resolution of the cells (7-11; 9: cells of about 0.1 km², edge ~200 m).
    eps_m : float or "auto"
        DBSCAN neighbourhood radius, metres (10-2000).
    min_samples : int or "auto"
        DBSCAN: calls within ``eps_m`` for a core point, the point itself included
        (2-100,000).
    bandwidth_m : float or "auto"
        Kernel density bandwidth, metres (25-5000).
    kernel : str
        Kernel of the density surface, one of :data:`KERNELS`.
    coverage : float
        Share of the study area each method may flag in the method comparison, (0, 0.5]
        (0.05 = 5 %).
    venue_radius_m : float
        A call is attributed to its nearest venue within this distance, metres (5-1000).
    """

    # the defaults of every entry point (hotspots.defaults: CLI, report, evaluate, notebook)
    resolution: int | str = _defaults.DEFAULT["resolution"]
    eps_m: float | str = _defaults.DEFAULT["eps_m"]
    min_samples: int | str = _defaults.DEFAULT["min_samples"]
    bandwidth_m: float | str = _defaults.DEFAULT["bandwidth_m"]
    kernel: str = _defaults.KERNEL
    coverage: float = _defaults.COVERAGE
    venue_radius_m: float = _defaults.VENUE_RADIUS_M

    def __post_init__(self) -> None:
        for name in AUTO_FIELDS:
            if _defaults.is_auto(getattr(self, name)):
                object.__setattr__(self, name, _defaults.AUTO)
        for name, (lo, hi, unit) in PARAM_RANGES.items():
            value = getattr(self, name)
            if name in AUTO_FIELDS and value == _defaults.AUTO:
                continue
            try:
                ok = lo <= float(value) <= hi and math.isfinite(float(value))
            except (TypeError, ValueError):
                ok = False
            if not ok:
                raise ParameterError(f"{name}: {unit}, between {lo:g} and {hi:g}; got {value!r}")
        for name in ("resolution", "min_samples"):
            if getattr(self, name) == _defaults.AUTO:
                continue
            if int(getattr(self, name)) != float(getattr(self, name)):
                raise ParameterError(f"{name}: a whole number; got {getattr(self, name)!r}")
            object.__setattr__(self, name, int(getattr(self, name)))
        for name in ("eps_m", "bandwidth_m", "coverage", "venue_radius_m"):
            if getattr(self, name) != _defaults.AUTO:
                object.__setattr__(self, name, float(getattr(self, name)))
        if self.kernel not in KERNELS:
            raise ParameterError(f"kernel: one of {', '.join(KERNELS)}; got {self.kernel!r}")

    def as_dict(self) -> dict[str, Any]:
        """Name -> value (lengths in metres), in field order: for JSON, URLs and footers."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Params:
        """Build from :meth:`as_dict` output (unknown keys are an error, missing = default)."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ParameterError(
                f"unknown parameter(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}"
            )
        return cls(**dict(data))

    @property
    def auto_fields(self) -> tuple[str, ...]:
        """The fields that are ``"auto"`` (still to be computed from the calls)."""
        return tuple(n for n in AUTO_FIELDS if getattr(self, n) == _defaults.AUTO)

    def resolved(
        self,
        incidents: pd.DataFrame,
        area: Any = None,
        names: tuple[str, ...] = AUTO_FIELDS,
        *,
        cells: Any = None,
    ) -> Params:
        """These parameters with every ``"auto"`` among ``names`` computed from
        ``incidents`` (:func:`hotspots.defaults.resolve`; ``area``, the study area, for
        ``min_samples``; default the calls' convex hull). Numbers are kept as given.
        ``cells``, a :class:`hotspots.cellindex.CellView` of ``incidents``, gives their cells
        without binning them again (the same numbers).

        Examples
        --------
        >>> from benchmarks.synthetic import make_incidents
        >>> p = Params(eps_m=120).resolved(make_incidents(2000, seed=1))
        >>> p.eps_m, p.auto_fields, isinstance(p.min_samples, int)
        (120.0, (), True)
        """
        want = [n for n in names if n in self.auto_fields]
        if not want:
            return self
        given = {
            n: getattr(self, n) for n in AUTO_FIELDS if n in want or n not in self.auto_fields
        }
        if "min_samples" in want and "eps_m" not in given:  # its rule needs the radius
            given["eps_m"] = _defaults.AUTO
        n_cells = None if cells is None else cells.n_cells
        chosen = _defaults.resolve(incidents, given, area, n_cells=n_cells)
        return replace(self, **{n: chosen.values[n] for n in want})

    def method_params(self) -> dict[str, dict[str, Any]]:
        """The parameters of :func:`hotspots.evaluate.evaluate`'s methods (``"auto"`` kept: the
        evaluation computes it from the training calls)."""
        return {
            "h3": {"resolution": self.resolution},
            "kde": {"bandwidth": self.bandwidth_m},
            "dbscan": {"eps": self.eps_m, "min_samples": self.min_samples},
            "gistar": {"resolution": self.resolution},
        }


def _filtered(incidents: gpd.GeoDataFrame, filters: Filters | None) -> gpd.GeoDataFrame:
    return incidents if filters is None else apply_filters(incidents, filters)


# --------------------------------------------------------------------------------------------
# Filter choices and headline figures
# --------------------------------------------------------------------------------------------
def filter_choices(incidents: pd.DataFrame) -> dict[str, list]:
    """Values the filters can take on this data: ``years`` (ascending), ``offenses`` (most
    frequent first), and the ``hours`` and ``weekdays`` that occur (ascending; empty when the
    source does not record them, as month-only police.uk data)."""

    def present(col: str) -> list[int]:
        if col not in incidents:
            return []
        return sorted(int(v) for v in incidents[col].dropna().astype(int).unique())

    offenses = (
        incidents[OFFENSE].astype("string").dropna().value_counts().index.tolist()
        if OFFENSE in incidents
        else []
    )
    return {
        "years": present(YEAR),
        "offenses": [str(o) for o in offenses],
        "hours": present(HOUR),
        "weekdays": present(WEEKDAY),
    }


@dataclass(frozen=True)
class Headline:
    """The figures printed in large type above a map.

    Attributes
    ----------
    n_calls : int
        Calls passing the filters.
    n_total : int
        Calls in the data set.
    first, last : pandas.Timestamp or None
        First and last call time.
    top_offense : str or None
        Most frequent offense (normalised label) and its share of the calls.
    top_offense_share : float
    peak_weekday, peak_hour : int or None
        Busiest weekday (0 = Monday) and hour (0-23) of the hour x weekday table.
    top_cells_share : float
        Share of the calls in the busiest :data:`TOP_CELL_SHARE` of the non-empty H3 cells
        (at least one cell): how concentrated the calls are.
    n_top_cells : int
    """

    n_calls: int
    n_total: int
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    top_offense: str | None
    top_offense_share: float
    peak_weekday: int | None
    peak_hour: int | None
    top_cells_share: float
    n_top_cells: int


def headline(
    incidents: gpd.GeoDataFrame,
    filters: Filters | None = None,
    params: Params | None = None,
    *,
    cells: Any = None,
) -> Headline:
    """Headline figures of the calls passing ``filters`` (see :class:`Headline`).

    ``cells``, a :class:`hotspots.cellindex.CellView` of the filtered calls (the app's,
    binned once per data set), gives their counts per cell without binning them again.

    Examples
    --------
    >>> from benchmarks.synthetic import make_incidents
    >>> h = headline(make_incidents(500, seed=2))
    >>> h.n_calls, h.n_total
    (500, 500)
    """
    from hotspots.grid import count_cells
    from hotspots.temporal import hour_weekday_table

    params = params or Params()
    sub = _filtered(incidents, filters)
    n = len(sub)
    first = last = None
    top = None
    top_share = math.nan
    peak_day = peak_hour = None
    top_cells_share = math.nan
    n_top = 0
    if n:
        when = sub[OCCURRED_AT]
        first, last = when.min(), when.max()
        counts = sub[OFFENSE].astype("string").value_counts()
        if len(counts):
            top, top_share = str(counts.index[0]), float(counts.iloc[0] / n)
        table = hour_weekday_table(sub)
        if table.to_numpy().sum() > 0:
            flat = int(np.argmax(table.to_numpy()))
            peak_day, peak_hour = divmod(flat, 24)
        res = params.resolved(sub, names=("resolution",), cells=cells).resolution
        if cells is None:
            counts = count_cells(sub, res)["count"].to_numpy()
        else:
            counts = cells.counts(res)
            counts = counts[counts > 0]
        n_top = max(1, int(math.ceil(TOP_CELL_SHARE * len(counts))))
        top_cells_share = float(np.sort(counts)[::-1][:n_top].sum() / n)
    return Headline(
        n_calls=n,
        n_total=len(incidents),
        first=first,
        last=last,
        top_offense=top,
        top_offense_share=top_share,
        peak_weekday=peak_day,
        peak_hour=peak_hour,
        top_cells_share=top_cells_share,
        n_top_cells=n_top,
    )


# --------------------------------------------------------------------------------------------
# Map layers
# --------------------------------------------------------------------------------------------
def cell_layer(
    incidents: gpd.GeoDataFrame,
    filters: Filters | None = None,
    params: Params | None = None,
    *,
    cells: Any = None,
) -> gpd.GeoDataFrame:
    """Calls per H3 cell at ``params.resolution`` with the hexagons: ``cell``, ``count``,
    ``geometry`` (EPSG:4326), busiest first. Every non-empty cell: the map drops those under
    the presenter mode's minimum count when it draws them (:func:`hotspots.maps.add_cells`).
    ``cells``, a :class:`hotspots.cellindex.CellView` of the filtered calls, gives the same
    table from the cells binned once per data set."""
    from hotspots.grid import cells_to_gdf, count_cells

    sub = _filtered(incidents, filters)
    params = (params or Params()).resolved(sub, names=("resolution",), cells=cells)
    if cells is not None:
        return cells.cells_gdf(params.resolution)
    return cells_to_gdf(count_cells(sub, params.resolution))


@dataclass
class DensityLayer:
    """Kernel density surface (calls per km²) and the outlines of its densest areas."""

    surface: Any  # hotspots.density.DensitySurface
    contours: gpd.GeoDataFrame


def density_layer(
    incidents: gpd.GeoDataFrame,
    filters: Filters | None = None,
    params: Params | None = None,
    area: Any = None,
    *,
    max_side: int = 400,
) -> DensityLayer:
    """:func:`hotspots.density.kde` (``params.bandwidth_m``, ``params.kernel``) over the study
    area ``area`` (default: the calls' extent) on a grid of at most ``max_side`` cells a side
    whose cells are a whole number of the convolution's node spacing (:func:`display_cell_m`),
    with the contours of its densest ``params.coverage`` share of
    the area (:meth:`DensitySurface.contours`)."""
    sub = _filtered(incidents, filters)
    if len(sub) == 0:
        raise InputError("no calls to map: widen the filters")
    params = (params or Params()).resolved(sub, area, names=("bandwidth_m",))
    cell = display_cell_m(sub, params.bandwidth_m, area, max_side=max_side, kernel=params.kernel)
    surface = _density.kde(
        sub, bandwidth=params.bandwidth_m, cell=cell, kernel=params.kernel, bounds=area
    )
    return DensityLayer(surface, surface.contours(top_area=params.coverage))


def display_cell_m(
    incidents: pd.DataFrame,
    bandwidth_m: float,
    area: Any = None,
    *,
    max_side: int = 400,
    kernel: str = "quartic",
) -> float:
    """Raster cell (metres) of a density surface drawn on a map.

    :func:`hotspots.density.kde` convolves on nodes spaced at most ``bandwidth /``
    :data:`hotspots.density.NODES_PER_BANDWIDTH` apart (its accuracy guarantee), at least
    ``ceil(NODES_PER_BANDWIDTH * cell / bandwidth)`` nodes per cell. The cell is therefore a
    whole number of that node spacing: the convolution then runs exactly at the spacing the
    guarantee needs, never finer, whatever the extent. (An arbitrary cell rounds the nodes per
    cell up: a city-wide 105.6 m cell at 250 m bandwidth gives 17.6 m nodes instead of 20.8 m,
    1.4 times the nodes and twice the FFT time, for no visible gain.)

    The number of node spacings is the smallest that keeps the longer side of the extent
    (padded by the kernel's support) within ``max_side`` cells, and at least the largest that
    keeps the cell no coarser than the field's bandwidth / 5; but the cell is never coarser
    than bandwidth / 2 (one far-off call must not make the cells kilometre-sized: kde leaves
    such calls out of the surface and says so). A map image needs no finer grid,
    and a city-wide surface at 50 m is a million cells to compute, outline and encode.

    Examples
    --------
    >>> import pandas as pd
    >>> calls = pd.DataFrame({"lat": [43.30, 43.31], "lon": [68.25, 68.26]})
    >>> round(display_cell_m(calls, 250.0), 2)  # 2 nodes of 250 / 12 m: finer than 250 / 5
    41.67
    """
    import shapely

    if kernel not in _density.KERNELS:
        raise ParameterError(f"kernel: one of {', '.join(_density.KERNELS)}; got {kernel!r}")
    if area is not None and not isinstance(area, shapely.Geometry):
        minx, miny, maxx, maxy = area.to_crs("EPSG:4326").total_bounds
    elif area is not None:
        minx, miny, maxx, maxy = area.bounds
    else:
        minx, maxx = float(incidents["lon"].min()), float(incidents["lon"].max())
        miny, maxy = float(incidents["lat"].min()), float(incidents["lat"].max())
    m_per_deg = math.pi * 6_371_008.8 / 180.0
    height = (maxy - miny) * m_per_deg
    width = (maxx - minx) * m_per_deg * math.cos(math.radians((miny + maxy) / 2))
    side = max(height, width) + 2 * _density.SUPPORT[kernel] * bandwidth_m
    node = bandwidth_m / _density.NODES_PER_BANDWIDTH[kernel]
    nodes = max(
        1,
        math.ceil(side / int(max_side) / node - 1e-9),  # at most max_side cells a side
        math.floor(bandwidth_m / 5.0 / node + 1e-9),  # no coarser than bandwidth / 5
    )
    # never coarser than bandwidth / 2, however far apart a few calls lie: kde then leaves
    # far-off calls out with a note instead of drawing kilometre cells
    nodes = min(nodes, max(1, math.floor(bandwidth_m / 2.0 / node + 1e-9)))
    # a hair under the whole number, so kde's ceil() gives exactly `nodes` nodes per cell
    return float(nodes * node * (1.0 - 1e-9))


def cluster_summary(
    incidents: gpd.GeoDataFrame,
    filters: Filters | None = None,
    params: Params | None = None,
    venues: pd.DataFrame | None = None,
    area: Any = None,
) -> gpd.GeoDataFrame:
    """DBSCAN clusters (``params.eps_m``, ``params.min_samples``; ``auto`` ones computed from
    the filtered calls and the study area ``area``, default their convex hull) with their
    summaries (:func:`hotspots.clusters.summarize_clusters`), largest first."""
    from hotspots.clusters import dbscan_labels, summarize_clusters

    sub = _filtered(incidents, filters)
    params = (params or Params()).resolved(sub, area, names=("eps_m", "min_samples"))
    labels = dbscan_labels(sub, eps=params.eps_m, min_samples=params.min_samples)
    return summarize_clusters(sub, labels, venues)


def gistar_summary(
    incidents: gpd.GeoDataFrame,
    filters: Filters | None = None,
    params: Params | None = None,
    area: Any = None,
    *,
    significant_only: bool = True,
) -> gpd.GeoDataFrame:
    """Gi* hot and cold cells (:func:`hotspots.gistar.gistar_cells` at ``params.resolution``)
    of the study area ``area``; only the significant ones (``bin != 0``) by default, which
    keeps the map small (the others are drawn as nothing anyway) and builds only their
    hexagons."""
    from hotspots.gistar import gistar_cells

    sub = _filtered(incidents, filters)
    params = (params or Params()).resolved(sub, area, names=("resolution",))
    return gistar_cells(sub, params.resolution, area=area, significant_only=significant_only)


# --------------------------------------------------------------------------------------------
# Venues
# --------------------------------------------------------------------------------------------
@dataclass
class VenueRanking:
    """The Venues page: ranked table, concentration curve and Gini coefficient.

    Attributes
    ----------
    table : DataFrame
        :func:`hotspots.venues.rank_venues` (per-year ``calls_<year>`` columns, ``trend``).
    curve : DataFrame
        :func:`hotspots.venues.concentration_curve` of the venues' calls.
    gini : float
        Gini coefficient of the calls over venues.
    attribution : DataFrame
        Venue of every filtered call (``venue_id``, ``venue_distance_m``), aligned with
        ``incidents``.
    incidents : GeoDataFrame
        The filtered calls the ranking was made from.
    """

    table: pd.DataFrame
    curve: pd.DataFrame
    gini: float
    attribution: pd.DataFrame
    incidents: gpd.GeoDataFrame

    def top_share(self, share_of_venues: float = 0.1) -> float:
        """Share of the attributed calls at the busiest ``share_of_venues`` of the venues."""
        c = self.curve
        if c.empty or c["share_of_calls"].isna().all():
            return math.nan
        k = max(1, int(math.ceil(share_of_venues * len(c))))
        return float(c["share_of_calls"].iloc[k - 1])


def venue_ranking(
    incidents: gpd.GeoDataFrame,
    venues: pd.DataFrame,
    filters: Filters | None = None,
    params: Params | None = None,
) -> VenueRanking:
    """Rank ``venues`` by the filtered calls within ``params.venue_radius_m`` of them."""
    from hotspots.venues import attribute_to_venues, concentration_curve, gini, rank_venues

    params = params or Params()
    if venues is None or len(venues) == 0:
        raise InputError("no venues: upload a venue file on the Data page")
    sub = _filtered(incidents, filters)
    att = attribute_to_venues(sub, venues, radius=params.venue_radius_m)
    table = rank_venues(sub, venues, att)
    calls = table.set_index(VENUE_ID)["calls"]
    return VenueRanking(
        table=table,
        curve=concentration_curve(calls),
        gini=gini(calls),
        attribution=att,
        incidents=sub,
    )


@dataclass
class VenueDetail:
    """One venue's calls: the rows, and counts by offense, hour (0-23) and weekday (0-6)."""

    venue: pd.Series
    calls: gpd.GeoDataFrame
    by_offense: pd.Series
    by_hour: pd.Series
    by_weekday: pd.Series
    by_year: pd.Series


def venue_detail(ranking: VenueRanking, venues: pd.DataFrame, venue_id: str) -> VenueDetail:
    """The calls attributed to ``venue_id`` in ``ranking`` and their breakdowns."""
    ids = venues[VENUE_ID].astype("string")
    if not (ids == str(venue_id)).any():
        raise InputError(f"no venue with id {venue_id!r}")
    venue = venues.loc[(ids == str(venue_id)).to_numpy()].iloc[0]
    mask = (ranking.attribution[VENUE_ID].astype("string") == str(venue_id)).fillna(False)
    calls = ranking.incidents.loc[mask.to_numpy(dtype=bool)]
    by_offense = calls[OFFENSE].astype("string").value_counts().sort_values(ascending=False)
    hours = calls[HOUR].dropna().astype(int)
    days = calls[WEEKDAY].dropna().astype(int)
    by_hour = hours.value_counts().reindex(range(24), fill_value=0).sort_index()
    by_weekday = days.value_counts().reindex(range(7), fill_value=0).sort_index()
    by_weekday.index = pd.Index(range(7), name="weekday")
    years = ranking.incidents[YEAR].dropna().astype(int)
    year_range = range(int(years.min()), int(years.max()) + 1) if len(years) else range(0)
    by_year = calls[YEAR].dropna().astype(int).value_counts().reindex(year_range, fill_value=0)
    return VenueDetail(venue, calls, by_offense, by_hour, by_weekday, by_year.sort_index())


# --------------------------------------------------------------------------------------------
# Method comparison (Tune page)
# --------------------------------------------------------------------------------------------
#: Months a comparison within a single year holds out as the test period (its last ones).
TEST_MONTHS: Final = 3


@dataclass(frozen=True)
class ComparisonSplit:
    """How the method comparison splits the calls, and its labels.

    Attributes
    ----------
    kwargs : dict
        ``train_years``/``test_years`` or ``train_months``/``test_months`` for
        :func:`hotspots.evaluate.evaluate`.
    train, test : tuple of str
        The periods as text: ``("2019", "2020")`` or ``("2020-01..2020-09",)``.
    """

    kwargs: dict[str, tuple[Any, ...]]
    train: tuple[str, ...]
    test: tuple[str, ...]


def comparison_split(incidents: pd.DataFrame) -> ComparisonSplit:
    """Train on all years but the last and test on the last; with a single year (Vancouver's
    2020 file, or a one-year filter), train on all months but the last :data:`TEST_MONTHS`
    and test on those, as ``hotspots evaluate --train-months/--test-months`` does.

    Raises
    ------
    InputError
        With one year of fewer than ``TEST_MONTHS + 1`` months: there is nothing to predict.
    """
    from hotspots.evaluate import month_runs

    years = sorted(int(y) for y in incidents[YEAR].dropna().unique())
    if len(years) >= 2:
        train, test = tuple(years[:-1]), (years[-1],)
        return ComparisonSplit(
            {"train_years": train, "test_years": test},
            tuple(map(str, train)),
            tuple(map(str, test)),
        )
    dated = incidents[[YEAR, MONTH]].dropna().drop_duplicates()  # a dozen rows at most
    months = sorted(f"{int(y)}-{int(m):02d}" for y, m in dated.itertuples(index=False))
    if len(months) <= TEST_MONTHS:
        raise InputError(
            "the method comparison needs calls from at least two years, or from at least "
            f"{TEST_MONTHS + 1} months of one year (found {', '.join(months) or 'none'}): "
            "widen the year filter"
        )
    train, test = tuple(months[:-TEST_MONTHS]), tuple(months[-TEST_MONTHS:])
    return ComparisonSplit(
        {"train_months": train, "test_months": test},
        tuple(month_runs(train)),
        tuple(month_runs(test)),
    )


def method_comparison(
    incidents: gpd.GeoDataFrame,
    filters: Filters | None = None,
    params: Params | None = None,
    area: Any = None,
    *,
    methods: tuple[str, ...] | None = None,
) -> Any:
    """:func:`compare_methods` as a :class:`hotspots.evaluate.Comparison`: the table, every
    method at the area share of one that fell short, and the fitted methods (for the
    hit-rate curve and the map of the selected areas)."""
    from hotspots.evaluate import METHODS, compare

    params = params or Params()
    sub = _filtered(incidents, filters)
    return compare(
        sub,
        **comparison_split(sub).kwargs,
        coverage=params.coverage,
        methods=methods or METHODS,
        params=params.method_params(),
        area=area,
    )


def rolling_comparison(
    incidents: gpd.GeoDataFrame,
    filters: Filters | None = None,
    params: Params | None = None,
    area: Any = None,
    *,
    n_splits: int = 3,
    period: str | None = None,
    methods: tuple[str, ...] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`hotspots.evaluate.rolling_origin` of the filtered calls with ``params`` (auto
    values computed from each split's training calls), at ``params.coverage``: by year
    (``period=None``) or by consecutive periods such as ``"3M"``; as ``hotspots evaluate
    --rolling N [--period 3M]``. Returns ``(splits, summary)``: mean and spread per method."""
    from hotspots.evaluate import METHODS, rolling_origin

    params = params or Params()
    return rolling_origin(
        _filtered(incidents, filters),
        coverage=params.coverage,
        n_splits=n_splits,
        period=period,
        methods=methods or METHODS,
        params=params.method_params(),
        area=area,
    )


def compare_methods(
    incidents: gpd.GeoDataFrame,
    filters: Filters | None = None,
    params: Params | None = None,
    area: Any = None,
    *,
    methods: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Hit rate, PAI and RRI of every method with ``params``, trained on all years but the
    last and tested on the last (the last months of a single year: :func:`comparison_split`;
    :func:`hotspots.evaluate.evaluate`), at ``params.coverage`` of the study area ``area``.

    The year filter, when set, chooses the years compared; the other filters select the calls.
    """
    from hotspots.evaluate import METHODS, evaluate

    params = params or Params()
    sub = _filtered(incidents, filters)
    return evaluate(
        sub,
        **comparison_split(sub).kwargs,
        coverage=params.coverage,
        methods=methods or METHODS,
        params=params.method_params(),
        area=area,
    )


# --------------------------------------------------------------------------------------------
# Trends
# --------------------------------------------------------------------------------------------
@dataclass
class Trends:
    """The Trends page: calls by year and offense, hour x weekday, month by month, and the
    changes between years that the report and ``hotspots trends`` print.

    ``recent`` is :func:`hotspots.temporal.offense_change` between the last two years of the
    data: the change of the report and of the CLI's year table (``change 2020->2021``).
    ``span`` is the change from the first to the last *full* year
    (:func:`hotspots.temporal.change_years`, the CLI's ``Change 2019 -> 2021``); ``None``
    when it would repeat ``recent`` (two years) or with a single year, as is ``recent`` with a
    single year. ``span_skipped`` names the partial years ``span`` leaves out and ``partial``
    maps every partial year to its months with data.
    """

    yearly: pd.DataFrame
    hour_weekday: pd.DataFrame
    monthly: pd.DataFrame
    monthly_by_offense: pd.DataFrame
    recent: pd.DataFrame | None = None
    span: pd.DataFrame | None = None
    span_skipped: list[int] = field(default_factory=list)
    partial: dict[int, int] = field(default_factory=dict)


def trends(incidents: gpd.GeoDataFrame, filters: Filters | None = None) -> Trends:
    """:func:`hotspots.temporal.yearly_by_offense`, ``hour_weekday_table``,
    ``monthly_series`` and the year-on-year changes (:class:`Trends`) of the filtered calls."""
    from hotspots.temporal import (
        change_years,
        hour_weekday_table,
        monthly_series,
        offense_change,
        partial_years,
        yearly_by_offense,
    )

    sub = _filtered(incidents, filters)
    yearly = yearly_by_offense(sub)
    years = sorted(int(y) for y in yearly["year"].unique()) if len(yearly) else []
    recent = span = None
    skipped: list[int] = []
    if len(years) >= 2:
        recent = offense_change(sub, from_year=years[-2], to_year=years[-1])
        y0, y1, skipped = change_years(yearly)
        y0 = years[0] if y0 is None else y0
        y1 = years[-1] if y1 is None else y1
        if (y0, y1) != (years[-2], years[-1]) and y0 < y1:
            span = offense_change(sub, from_year=y0, to_year=y1)
        else:
            skipped = []
    return Trends(
        yearly=yearly,
        hour_weekday=hour_weekday_table(sub),
        monthly=monthly_series(sub),
        monthly_by_offense=monthly_series(sub, by=OFFENSE),
        recent=recent,
        span=span,
        span_skipped=skipped,
        partial=partial_years(yearly),
    )


def weekday_code(day: int) -> str:
    """0 -> "mon" (the data contract's weekday names)."""
    return WEEKDAY_NAMES[int(day)]


def params_json(
    params: Params, filters: Filters | None = None, resolved: Params | None = None
) -> dict[str, Any]:
    """The saved-parameters document (what the Tune page's download holds): ``parameters``
    as set (``"auto"`` kept, so they fit other data), the ``filters`` and, when given, the
    numbers the auto values took on the filtered calls (``resolved``)."""
    out: dict[str, Any] = {"parameters": params.as_dict()}
    if resolved is not None and params.auto_fields:
        out["resolved"] = {n: getattr(resolved, n) for n in params.auto_fields}
    if filters is not None:
        out["filters"] = {k: list(v) for k, v in asdict(filters).items()}
    return out
