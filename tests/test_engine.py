"""The Dask engine against the single-machine functions, on partitioned samples.

A 2-worker ``LocalCluster`` (threads, so it starts in a second) computes every result from a
partitioned dataset; the reference is the single-machine function on the same calls loaded
whole. Counts must be identical, the density within 1e-9 per km².
"""

from __future__ import annotations

import engine_support
import numpy as np
import pandas as pd
import pytest

from benchmarks.synthetic import make_incidents
from hotspots import clusters, density, emerging, engine, evaluate, gistar, grid, temporal
from hotspots.errors import InputError, ParameterError
from hotspots.filters import Filters, apply_filters
from hotspots.ingest.batches import ingest_to_parquet
from hotspots.ingest.partitioned import dataset_files, write_partitioned
from hotspots.sample import sample_paths

KDE_ATOL = 1e-9  # incidents per km²

# the shared fixtures
boundary, client, sample_ds = (
    engine_support.boundary,
    engine_support.client,
    engine_support.sample_ds,
)
sample_files = engine_support.sample_files


def test_the_sample_dataset_has_several_partitions(sample_ds):
    ds, inc = sample_ds
    files = dataset_files(ds)
    assert len(files) >= 4
    assert sum(len(pd.read_parquet(f, columns=["lat"])) for f in files) == len(inc)


@pytest.mark.parametrize("by", [None, ["year", "offense"], ["hour"]])
def test_h3_counts_equal(client, sample_ds, by):
    ds, inc = sample_ds
    pd.testing.assert_frame_equal(engine.count_cells(ds, 9, by=by), grid.count_cells(inc, 9, by=by))


def test_h3_counts_with_the_study_area_filled_equal(client, sample_ds, boundary):
    ds, inc = sample_ds
    got = engine.count_cells(ds, 8, by="year", area=boundary)
    assert (got["count"] == 0).any()
    pd.testing.assert_frame_equal(got, grid.count_cells(inc, 8, by="year", area=boundary))


def test_filters_and_study_area_apply_per_partition(client, sample_ds, boundary):
    ds, inc = sample_ds
    f = Filters(years=[2020], offenses=["theft"], hours=(18, 19, 20, 21), weekdays=())
    area = boundary.geometry.iloc[0].buffer(-0.01)
    src = engine.Source(str(ds), filters=f, boundary=area)
    ref = apply_filters(inc, f, area)
    assert 0 < len(ref) < len(inc) / 10
    assert engine.total_rows(src) == len(ref)
    pd.testing.assert_frame_equal(engine.count_cells(src, 9), grid.count_cells(ref, 9))


def test_temporal_tables_equal(client, sample_ds):
    ds, inc = sample_ds
    pd.testing.assert_frame_equal(engine.hour_weekday_table(ds), temporal.hour_weekday_table(inc))
    for by in (None, "offense"):
        pd.testing.assert_frame_equal(
            engine.monthly_series(ds, by=by), temporal.monthly_series(inc, by=by)
        )
    for total in (True, False):
        pd.testing.assert_frame_equal(
            engine.yearly_by_offense(ds, total=total),
            temporal.yearly_by_offense(inc, total=total),
        )


@pytest.mark.parametrize(
    "kw",
    [
        {},  # the default bandwidth (ArcGIS's rule: its median distance found exactly)
        {"bandwidth": 300.0, "cell": 40.0},
        {"kernel": "gaussian", "bandwidth": 150.0},
    ],
)
def test_kde_equals(client, sample_ds, kw):
    ds, inc = sample_ds
    got, ref = engine.kde(ds, **kw), density.kde(inc, **kw)
    assert got.values.shape == ref.values.shape
    assert (got.x0, got.y0, got.cell) == (ref.x0, ref.y0, ref.cell)
    assert got.bandwidth == pytest.approx(ref.bandwidth, rel=1e-12)
    assert got.n == ref.n == len(inc)
    np.testing.assert_allclose(got.values, ref.values, rtol=0, atol=KDE_ATOL)


def test_kde_on_a_study_area_equals(client, sample_ds, boundary):
    ds, inc = sample_ds
    got = engine.kde(ds, bandwidth=250.0, cell=50.0, bounds=boundary)
    ref = density.kde(inc, bandwidth=250.0, cell=50.0, bounds=boundary)
    np.testing.assert_array_equal(got.area_mask, ref.area_mask)
    np.testing.assert_allclose(got.values, ref.values, rtol=0, atol=KDE_ATOL)


def test_kde_of_many_points_uses_the_whole_extent_lattice(client, tmp_path):
    """Above 50,000 points the projection is interpolated on a lattice of the data's extent:
    each partition must use the whole extent's lattice, not its own."""
    inc = make_incidents(60_000, seed=5, years=(2019, 2019))
    write_partitioned((inc.iloc[i : i + 20_000] for i in range(0, 60_000, 20_000)), tmp_path / "d")
    assert len(dataset_files(tmp_path / "d")) == 12
    got = engine.kde(tmp_path / "d", bandwidth=200.0)
    ref = density.kde(inc, bandwidth=200.0)
    assert got.values.shape == ref.values.shape
    np.testing.assert_allclose(got.values, ref.values, rtol=0, atol=KDE_ATOL)


def test_kde_refuses_far_off_incidents_without_a_study_area(client, tmp_path):
    inc = make_incidents(200, seed=2)
    far = inc.iloc[:1].copy()
    far["lat"] += 3.0
    write_partitioned([inc, far], tmp_path / "d")
    with pytest.raises(ParameterError, match="--boundary"):
        engine.kde(tmp_path / "d", bandwidth=100.0)


@pytest.mark.parametrize("kw", [{}, {"k": 2, "fdr": True}])
def test_gistar_equals(client, sample_ds, kw):
    ds, inc = sample_ds
    got, ref = engine.gistar_cells(ds, 9, **kw), gistar.gistar_cells(inc, 9, **kw)
    assert (got["bin"] != 0).any()
    pd.testing.assert_frame_equal(pd.DataFrame(got), pd.DataFrame(ref))


def test_gistar_on_a_study_area_equals(client, sample_ds, boundary):
    ds, inc = sample_ds
    got = engine.gistar_cells(ds, 8, area=boundary)
    ref = gistar.gistar_cells(inc, 8, area=boundary)
    pd.testing.assert_frame_equal(pd.DataFrame(got), pd.DataFrame(ref))


@pytest.mark.parametrize("kw", [{}, {"period": "month", "time_window": 2}])
def test_emerging_equals(client, sample_ds, kw):
    ds, inc = sample_ds
    got, ref = engine.emerging_hotspots(ds, 9, **kw), emerging.emerging_hotspots(inc, 9, **kw)
    assert got.attrs["periods"] == ref.attrs["periods"]
    assert (got["category"] != "No Pattern Detected").any()
    pd.testing.assert_frame_equal(pd.DataFrame(got), pd.DataFrame(ref))


def test_evaluate_by_years_equals(client, sample_ds):
    ds, inc = sample_ds
    kw = {"train_years": [2019, 2020], "test_years": [2021], "coverage": 0.05}
    got = engine.evaluate(ds, **kw)
    # the engine never gathers the calls: its default (auto) is the fixed number
    fixed = {"h3": {"resolution": 9}, "kde": {"bandwidth": 250.0}, "gistar": {"resolution": 9}}
    ref = evaluate.evaluate(inc, methods=["h3", "kde", "gistar"], params=fixed, **kw)
    assert (got["hits_test"] > 0).all()
    # issue 11's columns come from the engine's own aggregates, not left empty
    assert {"pei", "comparable", "coverage", "best"} <= set(got.columns)
    assert got["pei"].notna().all() and got["best"].sum() == 1
    pd.testing.assert_frame_equal(got, ref)


def test_evaluate_by_months_on_a_study_area_equals(client, sample_ds, boundary):
    ds, inc = sample_ds
    kw = {
        "train_months": ["2021-01", "2021-02", "2021-03"],
        "test_months": ["2021-04"],
        "coverage": 0.1,
        "area": boundary,
        "params": {"h3": {"resolution": 8}, "kde": {"bandwidth": 300.0}},
    }
    got = engine.evaluate(ds, methods=["h3", "kde"], **kw)
    ref = evaluate.evaluate(inc, methods=["h3", "kde"], **kw)
    pd.testing.assert_frame_equal(got, ref)


def test_evaluate_of_a_short_method_at_equal_area_equals(client, sample_ds, boundary):
    """A method that cannot fill the coverage is marked not comparable and never best; PEI's
    best possible hit rate (test calls per cell or raster cell) is added over partitions."""
    ds, inc = sample_ds
    kw = {
        "train_months": ["2021-01"],
        "test_months": ["2021-02"],
        "coverage": 0.2,
        "area": boundary,
        "params": {
            "h3": {"resolution": 10},
            "kde": {"bandwidth": 150.0, "cell": 30.0},
            "gistar": {"resolution": 8, "k": 2},
        },
    }
    got = engine.evaluate(ds, **kw)
    ref = evaluate.evaluate(inc, methods=["h3", "kde", "gistar"], **kw)
    assert not got["comparable"].all() and not got.loc[~got["comparable"], "best"].any()
    assert (got["pei"] < 1).all()
    pd.testing.assert_frame_equal(got, ref)


def test_evaluate_refuses_auto_values(client, sample_ds):
    with pytest.raises(ParameterError, match="auto needs the calls in one process"):
        engine.evaluate(
            sample_ds[0],
            train_years=[2019],
            test_years=[2020],
            coverage=0.05,
            methods=["h3"],
            params={"h3": {"resolution": "auto"}},
        )


def test_evaluate_with_dbscan_and_its_equal_area_rows_equal(client, sample_ds):
    """DBSCAN is fitted on the gathered coordinates of both splits; it falls short of the
    coverage on the sample, so every method is also scored at its area share."""
    ds, inc = sample_ds
    kw = {"train_years": [2019, 2020], "test_years": [2021], "coverage": 0.05}
    # the fixed numbers on both sides (the engine takes a default auto as these)
    kw["params"] = {
        "h3": {"resolution": 9},
        "kde": {"bandwidth": 250.0},
        "dbscan": {"eps": 100.0, "min_samples": 30},
        "gistar": {"resolution": 9},
    }
    methods = ["h3", "kde", "dbscan", "gistar"]
    got = engine.compare(ds, methods=methods, **kw)
    ref = evaluate.compare(inc, methods=methods, **kw)
    assert not got.table.set_index("method").loc["dbscan", "comparable"]
    assert len(got.at_share) == 4 and set(got.at_share["reference"]) == {"dbscan"}
    pd.testing.assert_frame_equal(got.table, ref.table)
    pd.testing.assert_frame_equal(got.at_share, ref.at_share)


def test_evaluate_refuses_dbscan_above_its_limit(client, sample_ds):
    with pytest.raises(ParameterError, match="up to 1,000 incidents"):
        engine.compare(
            sample_ds[0],
            train_years=[2019],
            test_years=[2020],
            coverage=0.05,
            methods=["h3", "dbscan"],
            dbscan_max_points=1000,
        )


def test_dbscan_on_one_machine_below_the_limit(client, sample_ds):
    ds, inc = sample_ds
    latlon, labels = engine.dbscan_labels(ds, eps=150, min_samples=10)
    # labels do not depend on row order: compare per point with the single-machine run
    ref = clusters.dbscan_labels(inc, eps=150, min_samples=10)
    got = pd.DataFrame({"lat": latlon[:, 0], "lon": latlon[:, 1], "label": labels})
    want = pd.DataFrame({"lat": inc["lat"], "lon": inc["lon"], "label": ref})
    key = ["lat", "lon", "label"]
    pd.testing.assert_frame_equal(
        got.sort_values(key).reset_index(drop=True), want.sort_values(key).reset_index(drop=True)
    )
    assert labels.max() > 5


def test_dbscan_refused_above_the_limit(client, sample_ds):
    with pytest.raises(ParameterError, match="up to 1,000 incidents"):
        engine.dbscan_labels(sample_ds[0], eps=150, min_samples=10, max_points=1000)


def test_the_engine_reads_only_a_dataset(client, sample_ds, tmp_path):
    ingest_to_parquet(sample_paths().calls, tmp_path / "one.parquet")
    with pytest.raises(InputError, match="--partition"):
        engine.count_cells(tmp_path / "one.parquet", 9)


def test_cli_grid_on_a_running_scheduler_equals(client, sample_ds, tmp_path, capsys):
    """``--engine dask --scheduler ADDRESS`` computes on an existing cluster (here the
    module's, reached in-process) and writes the single-machine table."""
    from cli_support import run

    ds, inc = sample_ds
    address = client.scheduler.address
    code, out, err = run(
        capsys,
        "grid",
        ds,
        "--engine",
        "dask",
        "--scheduler",
        address,
        "--by",
        "year",
        "-o",
        tmp_path / "g.csv",
    )
    assert code == 0, err
    assert f"computing on {address}; dashboard" in err
    # the calls are never gathered: the default auto resolution is the fixed 9, said so
    assert "resolution = 9 (the fixed default: auto needs the calls in one process" in err
    got = pd.read_csv(tmp_path / "g.csv", dtype={"cell": str})
    want = grid.count_cells(inc, 9, by="year")
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    # an auto asked for cannot be had on the engine: one line asking for a number
    code, _, err = run(
        capsys, "grid", ds, "--engine", "dask", "--scheduler", address, "--resolution", "auto"
    )
    assert code == 2 and "--resolution auto needs the calls in one process" in err


def test_open_dataset_as_dask_frames(client, sample_ds):
    ds, inc = sample_ds
    ddf = engine.open_dataset(ds, ["lat", "lon", "year"])
    assert ddf.npartitions >= 4
    got = ddf.compute().sort_values(["lat", "lon", "year"]).reset_index(drop=True)
    want = inc[["lat", "lon", "year"]].sort_values(["lat", "lon", "year"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(pd.DataFrame(got), pd.DataFrame(want), check_dtype=False)
    gdf = engine.open_dataset(ds, ["lon"], geometry=True).compute()
    assert gdf.crs.to_epsg() == 4326
    np.testing.assert_array_equal(gdf.geometry.x.to_numpy(), gdf["lon"].to_numpy())


def test_the_apps_overview_equals_the_views_of_the_loaded_calls(client, sample_ds, boundary):
    """What the app shows of a dataset it does not load (hotspots.engine.overview)."""
    from hotspots import views
    from hotspots.engine import overview

    ds, inc = sample_ds
    assert overview.dataset_rows(ds) == len(inc) and overview.is_big(ds, len(inc) - 1)
    assert not overview.is_big(ds, len(inc)) and overview.dataset_rows(ds / "nothing") is None
    assert overview.filter_choices(str(ds)) == views.filter_choices(inc)
    src = engine.Source(str(ds), filters=Filters(years=[2021]))
    ref = apply_filters(inc, Filters(years=[2021]))
    p = views.Params(resolution=8, bandwidth_m=300.0)
    pd.testing.assert_frame_equal(
        pd.DataFrame(overview.cell_layer(src, 8)), pd.DataFrame(views.cell_layer(ref, params=p))
    )
    for area in (None, boundary):
        got = overview.density_layer(src, bandwidth_m=300.0, area=area)
        want = views.density_layer(ref, params=p, area=area)
        np.testing.assert_allclose(got.surface.values, want.surface.values, rtol=0, atol=KDE_ATOL)
        assert len(got.contours) == len(want.contours) > 0
    tables = overview.trend_tables(src)
    pd.testing.assert_frame_equal(tables.yearly, temporal.yearly_by_offense(ref))
    pd.testing.assert_frame_equal(tables.monthly, temporal.monthly_series(ref, by="offense"))
    summary = overview.stored_summary(ds)
    assert len(summary.accepted) == 0 and summary.rows >= len(inc)
