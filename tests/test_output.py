"""``hotspots.output.write_table``: every format round-trips, the CSV drops the geometry,
a GeoPackage written twice holds the second frame only, bad names are one-line errors."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from hotspots.errors import InputError
from hotspots.output import write_table

FRAME = gpd.GeoDataFrame(
    {
        "cell": ["892a100d2c3ffff", "892a100d2c7ffff"],
        "count": [3, 1],
        "lat": [43.3, 43.31],
        "lon": [68.25, 68.26],
    },
    geometry=[Point(68.25, 43.3), Point(68.26, 43.31)],
    crs="EPSG:4326",
)


@pytest.mark.parametrize("suffix", [".geojson", ".json", ".gpkg", ".parquet"])
def test_geometries_round_trip(tmp_path, suffix):
    path = write_table(FRAME, tmp_path / "sub" / f"out{suffix}")  # the folder is made
    back = gpd.read_parquet(path) if suffix == ".parquet" else gpd.read_file(path)
    assert back.crs.to_epsg() == 4326
    assert back["cell"].tolist() == FRAME["cell"].tolist()
    assert back["count"].tolist() == [3, 1]
    assert [(p.x, p.y) for p in back.geometry] == [(68.25, 43.3), (68.26, 43.31)]


def test_csv_drops_the_geometry_and_keeps_the_columns(tmp_path):
    path = write_table(FRAME, tmp_path / "OUT.CSV")  # the suffix in any case
    back = pd.read_csv(path)
    assert back.columns.tolist() == ["cell", "count", "lat", "lon"]
    assert back["count"].tolist() == [3, 1] and back["lat"].tolist() == [43.3, 43.31]


def test_plain_tables_write_csv_and_parquet(tmp_path):
    plain = pd.DataFrame({"venue_id": ["V1", "V2"], "calls": [5, 2]})
    pd.testing.assert_frame_equal(pd.read_csv(write_table(plain, tmp_path / "r.csv")), plain)
    pd.testing.assert_frame_equal(
        pd.read_parquet(write_table(plain, tmp_path / "r.parquet")), plain
    )
    with pytest.raises(InputError, match=r"r\.geojson: \.geojson needs geometries; write \.csv"):
        write_table(plain, tmp_path / "r.geojson")


def test_a_geopackage_written_again_is_replaced_not_appended(tmp_path):
    path = tmp_path / "cells.gpkg"
    write_table(FRAME, path)
    write_table(FRAME.iloc[:1], path)
    assert len(gpd.read_file(path)) == 1


def test_an_unknown_suffix_names_the_ones_that_work(tmp_path):
    with pytest.raises(InputError) as err:
        write_table(FRAME, tmp_path / "cells.shp")
    assert str(err.value) == (
        "cannot write cells.shp: use a name ending in .csv, .geojson, .gpkg, .json, .parquet"
    )
    assert not (tmp_path / "cells.shp").exists()


@pytest.mark.parametrize("suffix", [".csv", ".geojson", ".gpkg", ".parquet"])
def test_a_folder_that_cannot_be_made_is_an_input_error(tmp_path, suffix):
    """Writing below a file (or any OS refusal) is an InputError naming the path, not OSError."""
    (tmp_path / "afile").write_text("x")
    target = tmp_path / "afile" / f"cells{suffix}"
    with pytest.raises(InputError, match=r"cannot write .*afile/cells\.\w+: .*choose a folder"):
        write_table(FRAME, target)


def test_a_driver_error_is_an_input_error(tmp_path, monkeypatch):
    from pyogrio.errors import DataSourceError

    def refuse(*args, **kwargs):
        raise DataSourceError("Failed to create GeoJSON datasource: read-only file system")

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", refuse)
    with pytest.raises(InputError, match="cannot write .*cells.geojson: Failed to create"):
        write_table(FRAME, tmp_path / "cells.geojson")
