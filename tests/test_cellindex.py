"""The per-data-set cell index (hotspots.cellindex): the cells and counts of a filtered subset,
taken from cells binned once for the whole data set, are those computed from scratch on the
filtered frame; and the faster auto-parameter helpers (hotspots.defaults) give the numbers of
their plain definitions.

Expectations are independent of the code under test: ``h3.latlng_to_cell`` call by call and
pandas counts, brute-force pairwise distances, and GEOS's convex hull of every call.
"""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pytest
import shapely

from hotspots import defaults, grid, views
from hotspots.cellindex import CellIndex
from hotspots.errors import InputError
from hotspots.filters import Filters, apply_filters, filter_mask

FILTERS = [
    Filters(),
    Filters(years=(2021,)),
    Filters(years=(2019, 2020), offenses=("theft",)),
    Filters(hours=tuple(range(18, 24)), weekdays=(5, 6)),
    Filters(years=(2020,), offenses=("hooliganism",), hours=(2,)),
]


def brute_counts(frame: pd.DataFrame, res: int) -> pd.DataFrame:
    """Calls per cell by h3 itself, one call at a time; busiest first, ties by cell id."""
    cells = [h3.latlng_to_cell(a, b, res) for a, b in zip(frame["lat"], frame["lon"], strict=True)]
    counts = pd.Series(cells, dtype=object).value_counts()
    out = pd.DataFrame({"cell": counts.index.astype(str), "count": counts.to_numpy()})
    return out.sort_values(["count", "cell"], ascending=[False, True]).reset_index(drop=True)


@pytest.fixture(scope="module")
def index(sample):
    return CellIndex(sample.calls)


@pytest.mark.parametrize("f", FILTERS, ids=lambda f: str(f))
@pytest.mark.parametrize("res", [8, 9, 10])
def test_counts_of_a_filtered_view_are_those_of_the_filtered_frame(sample, index, f, res):
    sub = apply_filters(sample.calls, f)
    view = index.subset(filter_mask(sample.calls, f))
    got = view.count_cells(res)
    want = brute_counts(sub, res)
    assert got["cell"].tolist() == want["cell"].tolist()
    assert got["count"].tolist() == want["count"].tolist()
    assert got["count"].dtype == np.int64 and got["count"].sum() == len(sub) == view.n_calls
    assert view.n_cells(res) == len(want)
    # and exactly grid.count_cells, the library's own table, column for column
    pd.testing.assert_frame_equal(got, grid.count_cells(sub, res))


def test_hexagons_are_those_of_cells_to_gdf_also_when_reused(sample, index):
    # the first view draws some hexagons; a wider one reuses them and draws the rest
    for f in (Filters(years=(2021,), offenses=("hooliganism",)), Filters(years=(2020, 2021))):
        sub = apply_filters(sample.calls, f)
        got = index.subset(filter_mask(sample.calls, f)).cells_gdf(9)
        want = grid.cells_to_gdf(grid.count_cells(sub, 9))
        assert got.crs == want.crs
        pd.testing.assert_frame_equal(
            pd.DataFrame(got.drop(columns="geometry")), pd.DataFrame(want.drop(columns="geometry"))
        )
        assert shapely.equals_exact(got.geometry.values, want.geometry.values, 0).all()


def test_a_filter_that_keeps_nothing_gives_no_cells(sample, index):
    view = index.subset(np.zeros(len(sample.calls), dtype=bool))
    assert view.n_calls == 0 and view.n_cells(9) == 0
    assert view.count_cells(9).empty and len(view.cells_gdf(9)) == 0


def test_a_mask_of_another_data_set_is_refused(index):
    with pytest.raises(InputError, match="same data set"):
        index.subset(np.ones(3, dtype=bool))


@pytest.mark.parametrize("f", FILTERS[1:3], ids=lambda f: str(f))
def test_views_give_the_same_numbers_with_the_index(sample, index, f):
    sub = apply_filters(sample.calls, f)
    view = index.subset(filter_mask(sample.calls, f))
    assert defaults.auto_resolution(sub, view.n_cells) == defaults.auto_resolution(sub)
    assert views.headline(sub, cells=view) == views.headline(sub)
    p = views.Params()
    a, b = views.cell_layer(sub, params=p, cells=view), views.cell_layer(sub, params=p)
    assert a["cell"].tolist() == b["cell"].tolist()
    assert a["count"].tolist() == b["count"].tolist()
    assert p.resolved(sub, cells=view) == p.resolved(sub)


# the busiest eps-disc, by branch and bound ---------------------------------------------
def brute_busiest(xy: np.ndarray, eps: float) -> int:
    d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
    return int((d <= eps * (1 + 1e-9)).sum(1).max())


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_busiest_disc_by_branch_and_bound_is_the_brute_force_one(seed):
    rng = np.random.default_rng(seed)
    # a spread, a knot, exact duplicates and calls on the grid lines of eps (0, 50, 100 m)
    xy = np.concatenate(
        [
            rng.uniform(0, 2000, (500, 2)),
            rng.normal(700, 15, (80, 2)),
            np.repeat([[1500.0, 300.0]], 12, axis=0),
            np.array([[0.0, 0.0], [50.0, 0.0], [100.0, 0.0], [50.0, 50.0], [0.0, 50.0]]),
        ]
    )
    for eps in (0.0, 10.0, 50.0, 120.0):  # 0: the calls at one place (the duplicates)
        want = brute_busiest(xy, eps)
        assert defaults.busiest_disc_xy(xy, eps) == want
        for cap in (1, 5, want - 1, want, want + 7):
            assert defaults.busiest_disc_xy(xy, eps, at_most=cap) == min(cap, want)


def test_two_calls_exactly_eps_apart_share_a_disc():
    xy = np.array([[0.0, 0.0], [30.0, 40.0], [200.0, 0.0]])  # 50 m apart, the third far
    assert defaults.busiest_disc_xy(xy, 50.0) == 2
    assert defaults.busiest_disc_xy(xy, 49.99) == 1


# the convex hull from its candidate corners ---------------------------------------------
def test_the_hull_of_the_candidates_is_the_hull_of_every_call(sample):
    rng = np.random.default_rng(4)
    square = pd.DataFrame(
        {
            # calls on the square's edges (collinear), its corners twice, and inside
            "lat": np.concatenate([rng.uniform(43, 44, 300), [43, 43, 44, 44, 43, 43.5]]),
            "lon": np.concatenate([rng.uniform(68, 69, 300), [68, 69, 68, 69, 68, 68]]),
        }
    )
    for calls in (sample.calls, apply_filters(sample.calls, FILTERS[4]), square):
        every = shapely.convex_hull(shapely.multipoints(calls[["lon", "lat"]].to_numpy()))
        cand = defaults.hull_candidates(calls)
        assert len(cand) <= len(calls)
        assert shapely.equals_exact(
            shapely.convex_hull(shapely.multipoints(cand[["lon", "lat"]].to_numpy())), every, 0
        )
    assert len(defaults.hull_candidates(sample.calls)) < len(sample.calls) / 10


def test_warm_bins_every_auto_resolution_once(sample):
    index = CellIndex(sample.calls)
    index.warm()
    assert sorted(index._levels) == sorted(defaults.RESOLUTIONS)
    level = index.level(9)
    index.warm()  # again: nothing binned anew
    assert index.level(9) is level
    pd.testing.assert_frame_equal(
        index.subset(None).count_cells(7), grid.count_cells(sample.calls, 7)
    )
