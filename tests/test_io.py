"""The public ingest API: the same calls through every format, encoding and separator."""

from __future__ import annotations

import io
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from hotspots.errors import InputError
from hotspots.io import ColumnMap, read_boundary, read_incidents, read_venues

# five calls; row 4 has no coordinates, row 5 is the (0, 0) placeholder
CALLS = pd.DataFrame(
    {
        "id": ["A1", "A2", "A3", "A4", "A5"],
        "Дата": [
            "19.07.2017 13:45",
            "20.07.2017 08:00",
            "21.07.2017 23:10",
            "22.07.2017",
            "23.07.2017",
        ],
        "Вид": ["Кража", "Хулиганство", "ДТП", "Драка", "Прочее"],
        "Место": ["рынок", "кафе", "улица", "бар", "парк"],
        "Широта": [43.297123, 43.301, 43.289, np.nan, 0.0],
        "Долгота": [68.250456, 68.262, 68.241, np.nan, 0.0],
    }
)
EXPECTED_REASONS = {4: "missing_coordinates", 5: "zero_placeholder"}


def check_calls(result) -> None:
    """What every round trip must give (the values are those of CALLS)."""
    a = result.accepted
    assert result.rows == 5 and result.n_accepted == 3
    assert dict(zip(result.rejected["source_row"], result.rejected["reason"], strict=True)) == (
        EXPECTED_REASONS
    )
    assert a["incident_id"].tolist() == ["A1", "A2", "A3"]
    assert a["offense"].tolist() == ["theft", "hooliganism", "traffic"]
    assert a["premise"].tolist() == ["рынок", "кафе", "улица"]
    assert a["occurred_at"].tolist() == [
        pd.Timestamp("2017-07-19 13:45"),
        pd.Timestamp("2017-07-20 08:00"),
        pd.Timestamp("2017-07-21 23:10"),
    ]
    np.testing.assert_allclose(a["lat"], [43.297123, 43.301, 43.289], atol=1e-9)
    np.testing.assert_allclose(a["lon"], [68.250456, 68.262, 68.241], atol=1e-9)


def _csv_text(sep: str = ",", decimal: str = ".") -> str:
    return CALLS.to_csv(index=False, sep=sep, decimal=decimal, float_format="%.6f")


@pytest.mark.parametrize(
    ("sep", "decimal", "encoding"),
    [
        (",", ".", "utf-8"),
        (",", ".", "utf-8-sig"),
        (";", ",", "utf-8"),  # Excel in a Russian locale: semicolons and decimal commas
        (";", ",", "cp1251"),
        ("\t", ".", "utf-8"),
        ("\t", ",", "cp1251"),
    ],
)
def test_csv_round_trips(tmp_path: Path, sep: str, decimal: str, encoding: str) -> None:
    p = tmp_path / "calls.csv"
    p.write_bytes(_csv_text(sep, decimal).encode(encoding))
    r = read_incidents(p)
    check_calls(r)
    assert r.sep == sep and r.encoding == encoding
    assert r.columns.lat == "Широта" and r.columns.time == "Дата"


def test_xlsx_round_trip(tmp_path: Path) -> None:
    p = tmp_path / "calls.xlsx"
    CALLS.to_excel(p, index=False)
    check_calls(read_incidents(p))


@pytest.mark.parametrize(("suffix", "driver"), [(".geojson", "GeoJSON"), (".gpkg", "GPKG")])
def test_vector_round_trips(tmp_path: Path, suffix: str, driver: str) -> None:
    p = tmp_path / f"calls{suffix}"
    _as_gdf().to_file(p, driver=driver)
    r = read_incidents(p)
    check_calls(r)
    assert (r.columns.lat, r.columns.lon) == ("geometry_lat", "geometry_lon")


def test_geoparquet_round_trip_from_another_crs(tmp_path: Path) -> None:
    p = tmp_path / "calls.parquet"
    utm = _as_gdf().iloc[:4].to_crs("EPSG:32642")  # UTM 42N, Turkestan's zone
    utm.to_parquet(p)
    r = read_incidents(p, crs="EPSG:3857")  # ignored: the file has its own CRS
    a = r.accepted
    assert r.n_accepted == 3 and r.reasons["missing_coordinates"] == 1
    np.testing.assert_allclose(a["lat"], [43.297123, 43.301, 43.289], atol=1e-7)
    np.testing.assert_allclose(a["lon"], [68.250456, 68.262, 68.241], atol=1e-7)


def _as_gdf() -> gpd.GeoDataFrame:
    props = CALLS.drop(columns=["Широта", "Долгота"])
    geoms = [
        None if np.isnan(y) else Point(x, y)
        for x, y in zip(CALLS["Долгота"], CALLS["Широта"], strict=True)
    ]
    return gpd.GeoDataFrame(props, geometry=geoms, crs="EPSG:4326")


def test_upload_stream(tmp_path: Path) -> None:
    buf = io.BytesIO(_csv_text(";", ",").encode("cp1251"))
    buf.name = "звонки.csv"
    r = read_incidents(buf)
    check_calls(r)
    assert r.source == "звонки.csv"


def test_explicit_columns() -> None:
    text = "when;what;n;e\n2020-01-01 10:00;Кража;43,3;68,25\n"
    buf = io.BytesIO(text.encode())
    buf.name = "x.csv"
    r = read_incidents(buf, columns=ColumnMap(lat="n", lon="e", time="when", offense="what"))
    assert r.n_accepted == 1 and r.accepted["offense"].item() == "theft"


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("a,b,c\n1,2,3\n", r"no coordinate columns found in calls.csv \(columns: a, b, c\)"),
        ("", "calls.csv is empty"),
        ("lat,lon\n", "no data rows"),
    ],
)
def test_unusable_files(tmp_path: Path, content: str, match: str) -> None:
    p = tmp_path / "calls.csv"
    p.write_text(content)
    with pytest.raises(InputError, match=match) as err:
        read_incidents(p)
    assert "\n" not in str(err.value)


def test_boundary_from_a_path_and_a_frame(tmp_path: Path) -> None:
    p = tmp_path / "calls.csv"
    p.write_bytes(_csv_text().encode())
    area = gpd.GeoDataFrame(geometry=[box(68.245, 43.29, 68.27, 43.31)], crs="EPSG:4326")
    bpath = tmp_path / "area.geojson"
    area.to_file(bpath, driver="GeoJSON")
    for boundary in (bpath, str(bpath), area, area.geometry.iloc[0]):
        r = read_incidents(p, boundary=boundary)
        assert r.reasons["outside_study_area"] == 1  # A3 at 43.289 N
        assert r.n_accepted == 2


def test_read_boundary_reprojects(tmp_path: Path) -> None:
    square = box(68.2, 43.25, 68.3, 43.35)
    g = gpd.GeoDataFrame({"name": ["x"]}, geometry=[square], crs="EPSG:4326")
    p = tmp_path / "utm.gpkg"
    g.to_crs("EPSG:32642").to_file(p, driver="GPKG")
    b = read_boundary(p)
    assert b.crs.to_epsg() == 4326
    np.testing.assert_allclose(b.total_bounds, square.bounds, atol=1e-3)


def test_read_boundary_errors(tmp_path: Path) -> None:
    pts = gpd.GeoDataFrame(geometry=[Point(0, 0)], crs="EPSG:4326")
    p = tmp_path / "pts.geojson"
    pts.to_file(p, driver="GeoJSON")
    with pytest.raises(InputError, match="no polygons"):
        read_boundary(p)
    bad = tmp_path / "bad.geojson"
    bad.write_text("nope")
    with pytest.raises(InputError, match="cannot read the boundary bad.geojson"):
        read_boundary(bad)


def test_read_venues(tmp_path: Path) -> None:
    p = tmp_path / "venues.csv"
    p.write_text(
        "Название;Тип;Широта;Долгота\nКафе Айгерим;Кафе;43,30;68,25\nЧайхана Самал;чайхана;;\n",
        encoding="cp1251",
    )
    r = read_venues(p)
    assert r.rows == 2 and r.n_accepted == 1
    assert r.accepted[["venue_id", "name", "kind"]].iloc[0].tolist() == [
        "row-1",
        "Кафе Айгерим",
        "cafe",
    ]
    assert r.reasons["missing_coordinates"] == 1
