"""``hotspots.output.write_table``: every format round-trips, the CSV drops the geometry,
a GeoPackage written twice holds the second frame only, bad names are one-line errors."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq
import pytest
from shapely.geometry import Point

from hotspots.errors import InputError
from hotspots.output import read_provenance, write_table

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


PROV = {
    "source": "calls.csv",
    "filters": "years 2021",
    "parameters": {"resolution": 9},
    "made_at": "2026-11-29T10:00:00",
    "tool": "hotspots",
    "version": "0.1.0",
}


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".parquet"])
def test_provenance_is_stored_where_the_format_has_room(tmp_path, suffix):
    path = write_table(FRAME, tmp_path / f"cells{suffix}", provenance=PROV)
    assert read_provenance(path) == PROV
    # the file still reads as before, geometries and all
    back = gpd.read_parquet(path) if suffix == ".parquet" else gpd.read_file(path)
    assert back["count"].tolist() == [3, 1] and back.crs.to_epsg() == 4326


def test_provenance_in_the_raw_files(tmp_path):
    # independent of read_provenance: GeoJSON's "description" member, Parquet's schema metadata
    gj = write_table(FRAME, tmp_path / "c.geojson", provenance=PROV)
    assert json.loads(json.loads(gj.read_text(encoding="utf-8"))["description"]) == PROV
    pq_path = write_table(FRAME, tmp_path / "c.parquet", provenance=PROV)
    meta = pq.read_schema(pq_path).metadata
    assert json.loads(meta[b"hotspots_provenance"]) == PROV and b"geo" in meta  # GeoParquet kept


def test_no_provenance_when_none_is_given_or_in_csv(tmp_path):
    assert read_provenance(write_table(FRAME, tmp_path / "c.gpkg")) is None
    assert read_provenance(write_table(FRAME, tmp_path / "c.geojson")) is None
    assert read_provenance(write_table(FRAME, tmp_path / "c.parquet")) is None
    assert read_provenance(write_table(FRAME, tmp_path / "c.csv", provenance=PROV)) is None


def test_csv_quotes_text_that_would_run_as_a_formula(tmp_path):
    """OWASP CSV injection: text cells (and names) starting with = + - @ are quoted, numbers
    and plain negative numbers are kept."""
    frame = pd.DataFrame(
        {"name": ['=HYPERLINK("x")', "+1", "@SUM(A1)", "-2+3", "-12.5"], "calls": [-1, 0, 1, 2, 3]}
    )
    back = pd.read_csv(write_table(frame, tmp_path / "t.csv"), dtype={"name": str})
    assert back["name"].tolist() == ['\'=HYPERLINK("x")', "'+1", "'@SUM(A1)", "'-2+3", "-12.5"]
    assert back["calls"].tolist() == [-1, 0, 1, 2, 3]


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg"])
def test_layer_is_named_after_the_file_not_its_temporary_name(tmp_path, suffix):
    import pyogrio

    path = write_table(FRAME, tmp_path / f"cells{suffix}")
    assert pyogrio.list_layers(path)[0][0] == "cells"
    assert list(tmp_path.iterdir()) == [path]
