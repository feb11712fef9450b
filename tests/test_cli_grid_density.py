"""``hotspots grid`` and ``hotspots density`` on the bundled sample and the Chicago sample."""

from __future__ import annotations

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from cli_support import CHICAGO, read_any, run
from conftest import real_file
from pyproj import Transformer

from hotspots import grid

# -- grid ------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["geojson", "csv", "parquet"])
def test_grid_sample_counts_every_call_once(capsys, tmp_path, sample, suffix):
    out = tmp_path / f"cells.{suffix}"
    code, text, err = run(capsys, "grid", "--sample", "--resolution", "9", "-o", str(out))
    assert code == 0, err
    res = read_any(out)
    assert res["count"].sum() == len(sample.calls)
    assert res["cell"].is_unique
    assert all(h3.is_valid_cell(c) and h3.get_resolution(c) == 9 for c in res["cell"])
    if suffix != "csv":
        assert res.crs.to_epsg() == 4326
        first = res.iloc[0]
        assert first.geometry.contains(shapely.Point(h3.cell_to_latlng(first["cell"])[::-1]))
    assert f"grid: {len(sample.calls):,} incidents binned into {len(res):,} H3 cells" in text


def test_grid_by_year_and_offense_equals_per_row_h3(capsys, tmp_path, sample):
    out = tmp_path / "cells.csv"
    code, _, err = run(
        capsys, "grid", "--sample", "--resolution", "10", "--by", "year,offense", "-o", str(out)
    )
    assert code == 0, err
    got = pd.read_csv(out)
    assert got.columns.tolist() == ["cell", "year", "offense", "count"]
    calls = sample.calls
    ref = (
        pd.DataFrame(
            {
                "cell": [
                    h3.latlng_to_cell(a, b, 10)
                    for a, b in zip(calls["lat"], calls["lon"], strict=True)
                ],
                "year": calls["year"].astype(int),
                "offense": calls["offense"].astype(str),
            }
        )
        .groupby(["cell", "year", "offense"])
        .size()
        .rename("count")
    )
    pd.testing.assert_series_equal(
        got.set_index(["cell", "year", "offense"])["count"].sort_index(),
        ref.sort_index(),
        check_dtype=False,
    )


def test_grid_filters_and_fill_area(capsys, tmp_path, sample):
    out = tmp_path / "cells.geojson"
    code, text, err = run(
        capsys,
        "grid",
        "--sample",
        "--years",
        "2020",
        "--resolution",
        "9",
        "--fill-area",
        "-o",
        str(out),
    )
    assert code == 0, err
    res = gpd.read_file(out)
    assert res["count"].sum() == int((sample.calls["year"] == 2020).sum())
    area_cells = set(grid.to_str(grid.cells_in_area(sample.boundary, 9)))
    assert area_cells <= set(res["cell"])
    assert (res["count"] == 0).sum() == len(area_cells - set(res.loc[res["count"] > 0, "cell"]))
    assert "of them empty" in text


@pytest.mark.parametrize(
    "args, message",
    [
        (["--resolution", "12"], "resolution"),
        (["--by", "colour"], "--by colour"),
        (["-o", "cells.txt"], "cells.txt"),
    ],
)
def test_grid_user_errors_exit_2(capsys, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "grid", "--sample", *args)
    assert code == 2 and message in err and "Traceback" not in err


def test_grid_fill_area_needs_a_boundary(capsys, tmp_path):
    csv = tmp_path / "calls.csv"
    pd.DataFrame(
        {"lat": [41.88, 41.89], "lon": [-87.63, -87.62], "date": ["2019-01-01"] * 2}
    ).to_csv(csv, index=False)
    code, _, err = run(capsys, "grid", str(csv), "--fill-area")
    assert code == 2 and "--boundary" in err


def test_grid_chicago_counts_equal_raw_file(capsys, tmp_path):
    path = real_file(*CHICAGO)
    out = tmp_path / "chicago.csv"
    code, text, err = run(capsys, "grid", str(path), "--resolution", "8", "-o", str(out))
    assert code == 0, err
    got = pd.read_csv(out).set_index("cell")["count"]
    # independent reference: the raw CSV's coordinates, one h3 call per row
    raw = pd.read_csv(path, usecols=["latitude", "longitude"]).dropna()
    ref = pd.Series(
        [h3.latlng_to_cell(a, b, 8) for a, b in zip(raw["latitude"], raw["longitude"], strict=True)]
    ).value_counts()
    assert got.sum() == len(raw) == 25_000
    pd.testing.assert_series_equal(
        got.sort_index(), ref.sort_index(), check_names=False, check_dtype=False
    )


# -- density ---------------------------------------------------------------------------------


def test_density_sample_geotiff_and_contours(capsys, tmp_path, sample):
    tif, con = tmp_path / "d.tif", tmp_path / "hot.geojson"
    code, text, err = run(
        capsys,
        "density",
        "--sample",
        "--bandwidth",
        "250",
        "--cell",
        "50",
        "-o",
        str(tif),
        "--contours",
        str(con),
        "--top-area",
        "0.05",
    )
    assert code == 0, err
    with rasterio.open(tif) as src:
        data = src.read(1)
        assert src.res == (50.0, 50.0)
        assert src.tags()["kernel"] == "quartic"
        # the surface integrates to the calls (all inside the padded study-area grid)
        assert data.sum() * 0.0025 == pytest.approx(len(sample.calls), rel=0.01)
        inside = int(src.tags()["incidents"])
    assert inside == len(sample.calls)
    hot = gpd.read_file(con)
    assert len(hot) >= 1 and hot.crs.to_epsg() == 4326
    assert hot["hotspot"].tolist() == list(range(1, len(hot) + 1))
    # 5 % of the study area (cells whose centre lies in the boundary), to one cell
    area_km2 = gpd.GeoSeries(sample.boundary.geometry).to_crs(hot.estimate_utm_crs()).area
    assert hot["area_km2"].sum() == pytest.approx(0.05 * area_km2.sum() / 1e6, abs=0.01)
    assert "bandwidth 250 m" in text and "cell 50.0 m" in text


def test_density_default_bandwidth_and_gaussian_with_filters(capsys, tmp_path, sample):
    tif = tmp_path / "g.tif"
    code, text, err = run(
        capsys,
        "density",
        "--sample",
        "--kernel",
        "gaussian",
        "--bandwidth",
        "auto",
        "--offenses",
        "theft",
        "-o",
        str(tif),
    )
    assert code == 0, err
    n = int((sample.calls["offense"] == "theft").sum())
    assert f"density: {n:,} incidents" in text and "(auto: ArcGIS rule)" in text
    # ArcGIS's spatial Silverman rule by hand, on metres about the calls' mean (equirectangular:
    # within a metre of the local projection over a city), rounded to the metre
    theft = sample.calls[sample.calls["offense"] == "theft"]
    lat, lon = theft["lat"].to_numpy(), theft["lon"].to_numpy()
    r = 6_371_008.8
    y = np.radians(lat - lat.mean()) * r
    x = np.radians(lon - lon.mean()) * r * np.cos(np.radians(lat.mean()))
    d = np.hypot(x - x.mean(), y - y.mean())
    sd, dm = np.sqrt(np.mean(d**2)), np.median(d)
    h = 0.9 * min(sd, np.sqrt(1 / np.log(2)) * dm) * n**-0.2
    shown = float(text.split("bandwidth ")[1].split(" m")[0].replace(",", ""))
    assert shown == pytest.approx(h, abs=2.0)
    with rasterio.open(tif) as src:
        assert int(src.tags()["incidents"]) == n
        assert src.tags()["bandwidth_rule"] == "auto"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--bandwidth", "0"], "bandwidth"),
        (["--bandwidth", "100", "--cell", "500"], "cell"),
        (["--top-area", "2"], "top_area"),
        (["-o", "d.png"], "GeoTIFF"),
        (["--years", "1990"], "no incidents"),
    ],
)
def test_density_user_errors_exit_2(capsys, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "density", "--sample", *args)
    assert code == 2 and message in err and "Traceback" not in err


def test_density_chicago_peaks_downtown(capsys, tmp_path):
    path = real_file(*CHICAGO)
    tif, con = tmp_path / "chicago.tif", tmp_path / "chicago.geojson"
    code, text, err = run(
        capsys,
        "density",
        str(path),
        "--bandwidth",
        "400",
        "-o",
        str(tif),
        "--contours",
        str(con),
        "--top-area",
        "0.01",
    )
    assert code == 0, err
    with rasterio.open(tif) as src:
        data = src.read(1)
        assert data.sum() * (src.res[0] / 1000) ** 2 == pytest.approx(25_000, rel=0.01)
        r, c = np.unravel_index(np.argmax(data), data.shape)
        x, y = rasterio.transform.xy(src.transform, r, c)
        lon, lat = Transformer.from_crs(src.crs.to_wkt(), "EPSG:4326", always_xy=True).transform(
            x, y
        )
    # the densest spot of Chicago's 2017-2019 crimes is the Loop / River North / Magnificent
    # Mile, between the river's branches and the lake (checked on the map)
    assert 41.87 <= lat <= 41.91 and -87.65 <= lon <= -87.61
    hot = gpd.read_file(con)
    assert hot.geometry.iloc[0].contains(shapely.Point(lon, lat))
