"""Ingest of the real police files in ../shared/data (skipped when the folder is absent).

Every count asserted here was checked independently, once, with plain pandas / GeoPandas /
pyproj (no hotspots code), e.g. for Vancouver::

    v = pd.read_csv(".../crimedata_csv_AllNeighbourhoods_2020.csv")
    miss = v.X.isna() | v.Y.isna()                      # -> 1 row
    zero = ~miss & ((v.X == 0) | (v.Y == 0))            # -> 3,750 rows (all with X = Y = 0)
    lon, lat = Transformer.from_crs(32610, 4326, always_xy=True).transform(...)  # the rest
    gpd.GeoSeries(points).intersects(neighbourhoods.union_all())  # -> 86 outside, 33,675 in

SOURCE.md says "3,751 rows without usable X/Y (X = Y = 0)": that is 3,750 rows with
X = Y = 0 plus one row whose X and Y are empty, which is ``missing_coordinates`` here.
The other figures (same method): Chicago sample 25,000 rows, no missing coordinates, ids
unique, every ``date`` parses with ``%m/%d/%Y %H:%M``; THEFT 5,948, MOTOR VEHICLE THEFT 996,
RESTAURANT 659, 84 empty premises, years 2017/18/19 = 9,122/9,163/6,715, 1,413 calls at
18 h, 3,629 on Saturdays. Aggravated assaults 148,636 rows, none missing. GMP burglary
92,666 rows, none missing, 36 months, years 2016-2019 = 26,764/33,034/30,198/2,670; 23,458
inside the City of Manchester boundary (intersects), 69,208 outside. Licensed premises 353
rows, 107 without latitude and longitude. Merseyside 7,930 rows, crime ids unique.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import real_file

from hotspots.io import read_boundary, read_incidents, read_venues

CHICAGO = ("chicago_cpd_2017_2019", "chicago_crimes_2017_2019_sample25k.csv")
ASSAULTS = ("chicago_cpd_2017_2019", "chicago_aggravated_assaults_2010_2019.csv")
VANCOUVER = ("vancouver_vpd_2020", "crimedata_csv_AllNeighbourhoods_2020.csv")
NEIGHBOURHOODS = ("vancouver_vpd_2020", "vancouver_neighbourhoods.geojson")
GMP = ("uk_manchester_merseyside", "gmp_burglary_2016_2019.csv")
PREMISES = ("uk_manchester_merseyside", "poi_manchester_city_centre_licensed_premises.csv")
MERSEYSIDE = ("uk_manchester_merseyside", "merseyside_shoplifting_2019_2020.csv")
BNG = ("uk_manchester_merseyside", "manchester_city_boundary_bng.geojson")
WGS = ("uk_manchester_merseyside", "manchester_city_boundary_wgs84.geojson")


def haversine_m(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in metres (R = 6,371,008.8 m)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * np.arcsin(np.sqrt(h))


def utm_inverse(x, y, zone: int) -> tuple[np.ndarray, np.ndarray]:
    """UTM (northern hemisphere, WGS84) to lon/lat by Snyder's series (USGS PP 1395, 8-18ff).

    An implementation independent of PROJ, accurate to well under a millimetre near the
    central meridian.
    """
    a, f, k0 = 6_378_137.0, 1 / 298.257223563, 0.9996
    e2 = f * (2 - f)
    ep2 = e2 / (1 - e2)
    xp = np.asarray(x, dtype=float) - 500_000.0
    m = np.asarray(y, dtype=float) / k0
    mu = m / (a * (1 - e2 / 4 - 3 * e2**2 / 64 - 5 * e2**3 / 256))
    e1 = (1 - np.sqrt(1 - e2)) / (1 + np.sqrt(1 - e2))
    phi1 = (
        mu
        + (3 * e1 / 2 - 27 * e1**3 / 32) * np.sin(2 * mu)
        + (21 * e1**2 / 16 - 55 * e1**4 / 32) * np.sin(4 * mu)
        + (151 * e1**3 / 96) * np.sin(6 * mu)
        + (1097 * e1**4 / 512) * np.sin(8 * mu)
    )
    s, c, t = np.sin(phi1), np.cos(phi1), np.tan(phi1)
    c1, t1 = ep2 * c**2, t**2
    n1 = a / np.sqrt(1 - e2 * s**2)
    r1 = a * (1 - e2) / (1 - e2 * s**2) ** 1.5
    d = xp / (n1 * k0)
    lat = phi1 - (n1 * t / r1) * (
        d**2 / 2
        - (5 + 3 * t1 + 10 * c1 - 4 * c1**2 - 9 * ep2) * d**4 / 24
        + (61 + 90 * t1 + 298 * c1 + 45 * t1**2 - 252 * ep2 - 3 * c1**2) * d**6 / 720
    )
    lon = (
        d
        - (1 + 2 * t1 + c1) * d**3 / 6
        + (5 - 2 * c1 + 28 * t1 - 3 * c1**2 + 8 * ep2 + 24 * t1**2) * d**5 / 120
    ) / c
    return np.degrees(lon) + (zone * 6 - 183), np.degrees(lat)


@pytest.fixture(scope="module")
def vancouver():
    return read_incidents(real_file(*VANCOUVER), crs="EPSG:32610")


def test_chicago_sample() -> None:
    r = read_incidents(real_file(*CHICAGO))
    assert (r.rows, r.n_accepted, r.n_rejected) == (25_000, 25_000, 0)
    assert r.columns.as_dict() == {
        "lat": "latitude",
        "lon": "longitude",
        "time": "date",
        "offense": "primary_type",
        "incident_id": "id",
        "premise": "location_description",
    }
    a = r.accepted
    assert r.time_precision == "minute"
    assert (a["offense"] == "theft").sum() == 5_948
    assert (a["offense"] == "motor_vehicle_theft").sum() == 996
    assert (a["premise"] == "RESTAURANT").sum() == 659
    assert a["premise"].isna().sum() == 84
    assert a["year"].value_counts().sort_index().to_dict() == {
        2017: 9_122,
        2018: 9_163,
        2019: 6_715,
    }
    assert (a["hour"] == 18).sum() == 1_413
    assert (a["weekday"] == 5).sum() == 3_629
    # first data row: 7/19/2017 13:45, 41.7683084, -87.68497621 (SOURCE.md)
    first = a.iloc[0]
    assert first["occurred_at"] == pd.Timestamp("2017-07-19 13:45")
    assert (first["lat"], first["lon"]) == (41.7683084, -87.68497621)


def test_chicago_state_plane_xy_match_the_published_lat_lon() -> None:
    # x/y are Illinois State Plane East (US feet); converting them must land on the
    # published latitude/longitude (SOURCE.md: they reproduce exactly)
    r = read_incidents(real_file(*CHICAGO), crs="EPSG:3435")
    assert (r.columns.x, r.columns.y) == ("x_coordinate", "y_coordinate")
    assert r.n_accepted == 25_000
    ref = pd.read_csv(real_file(*CHICAGO), usecols=["latitude", "longitude"])
    d = haversine_m(r.accepted["lat"], r.accepted["lon"], ref["latitude"], ref["longitude"])
    assert d.max() < 1.0  # metres


def test_vancouver_projected_xy_and_withheld_locations(vancouver) -> None:
    r = vancouver
    assert (r.rows, r.n_accepted, r.n_rejected) == (37_512, 33_761, 3_751)
    assert {k: v for k, v in r.reasons.items() if v} == {
        "zero_placeholder": 3_750,
        "missing_coordinates": 1,
    }
    rej = r.rejected
    zeros = rej[rej["reason"] == "zero_placeholder"]
    assert set(zeros["X"]) == {"0.0"} and set(zeros["Y"]) == {"0.0"}  # raw text kept
    # withheld locations are offences against a person (SOURCE.md data-quality notes)
    assert rej["TYPE"].value_counts().to_dict() == {
        "Offence Against a Person": 3_731,
        "Homicide": 19,
        "Vehicle Collision or Pedestrian Struck (with Injury)": 1,
    }
    assert r.columns.time_parts == {
        "year": "YEAR",
        "month": "MONTH",
        "day": "DAY",
        "hour": "HOUR",
        "minute": "MINUTE",
    }
    first = r.accepted.iloc[0]  # Break and Enter Commercial,2020,6,19,3,40,...,491059.4824
    assert first["occurred_at"] == pd.Timestamp("2020-06-19 03:40")
    assert first["offense"] == "break_and_enter_commercial"


def test_vancouver_conversion_matches_an_independent_utm_inverse(vancouver) -> None:
    raw = pd.read_csv(real_file(*VANCOUVER), usecols=["X", "Y"])
    a = vancouver.accepted
    x = raw["X"].to_numpy()[a["source_row"].to_numpy() - 1]
    y = raw["Y"].to_numpy()[a["source_row"].to_numpy() - 1]
    lon, lat = utm_inverse(x, y, zone=10)
    d = haversine_m(a["lat"], a["lon"], lat, lon)
    assert d.max() < 0.01  # metres, over all 33,761 points
    # the first row (10XX ALBERNI ST) lands at about 49.2848 N, 123.1229 W
    assert (round(a["lat"].iloc[0], 4), round(a["lon"].iloc[0], 4)) == (49.2848, -123.1229)


def test_vancouver_with_the_neighbourhoods_boundary() -> None:
    r = read_incidents(real_file(*VANCOUVER), crs="EPSG:32610", boundary=real_file(*NEIGHBOURHOODS))
    assert r.reasons["outside_study_area"] == 86
    assert r.n_accepted == 33_675
    assert r.n_accepted + r.n_rejected == 37_512


def test_gmp_month_only() -> None:
    r = read_incidents(real_file(*GMP))
    assert (r.rows, r.n_accepted, r.n_rejected) == (92_666, 92_666, 0)
    assert r.time_precision == "month"
    a = r.accepted
    assert a["weekday"].isna().all() and a["hour"].isna().all()
    assert (a["occurred_at"].dt.day == 1).all()
    assert a["year"].value_counts().sort_index().to_dict() == {
        2016: 26_764,
        2017: 33_034,
        2018: 30_198,
        2019: 2_670,
    }
    assert a["occurred_at"].dt.to_period("M").nunique() == 36
    assert set(a["offense"]) == {"burglary"}


def test_manchester_bng_boundary_is_reprojected() -> None:
    b = read_boundary(real_file(*BNG))
    w = read_boundary(real_file(*WGS))  # the same boundary reprojected with R sf
    assert b.crs.to_epsg() == 4326
    np.testing.assert_allclose(b.total_bounds, w.total_bounds, atol=1e-6)
    diff = b.union_all().symmetric_difference(w.union_all()).area / w.union_all().area
    assert diff < 1e-9


def test_gmp_inside_the_city_of_manchester() -> None:
    r = read_incidents(real_file(*GMP), boundary=real_file(*BNG))
    assert (r.n_accepted, r.reasons["outside_study_area"]) == (23_458, 69_208)


def test_manchester_licensed_premises_as_venues() -> None:
    r = read_venues(real_file(*PREMISES))
    assert (r.rows, r.n_accepted, r.n_rejected) == (353, 246, 107)
    assert {k: v for k, v in r.reasons.items() if v} == {"missing_coordinates": 107}
    assert r.columns.name == "PREMISESNAME"
    assert r.accepted["name"].iloc[0] == "Rain Bar"
    assert set(r.accepted["kind"]) == {"unknown"}  # the file has no venue-kind column


def test_merseyside_ids_and_premises() -> None:
    r = read_incidents(real_file(*MERSEYSIDE))
    assert (r.rows, r.n_accepted) == (7_930, 7_930)
    assert r.columns.incident_id == "crime_id" and r.columns.premise == "location"
    assert (r.accepted["premise"] == "On or near Supermarket").sum() == 1_588
    assert r.time_precision == "month"


def test_vancouver_slice_through_a_russian_excel_style_csv(tmp_path: Path, vancouver) -> None:
    # the same rows written with semicolons, decimal commas and cp1251 read back identically
    src = pd.read_csv(real_file(*VANCOUVER), nrows=500, dtype=str, keep_default_na=False)
    p = tmp_path / "vpd.csv"
    src = src.assign(X=src["X"].str.replace(".", ","), Y=src["Y"].str.replace(".", ","))
    src["Город"] = "Ванкувер"  # Cyrillic, so the file is not plain ASCII
    src.to_csv(p, sep=";", index=False, encoding="cp1251")
    ours = read_incidents(p, crs="EPSG:32610")
    assert ours.encoding == "cp1251" and ours.sep == ";"
    head = vancouver.accepted[vancouver.accepted["source_row"] <= 500].reset_index(drop=True)
    assert ours.accepted["source_row"].tolist() == head["source_row"].tolist()
    np.testing.assert_array_equal(ours.accepted["lat"], head["lat"])
    np.testing.assert_array_equal(ours.accepted["lon"], head["lon"])


def test_assaults_scale() -> None:
    # 148,636 rows read and validated in a few seconds (no per-row Python work)
    path = real_file(*ASSAULTS)
    t0 = time.perf_counter()
    r = read_incidents(path)
    elapsed = time.perf_counter() - t0
    assert (r.rows, r.n_accepted) == (148_636, 148_636)
    assert r.accepted["premise"].value_counts().iloc[:2].to_dict() == {
        "street": 70_713,
        "residence": 47_254,
    }
    assert elapsed < 15, f"reading 148,636 rows took {elapsed:.1f} s"


def test_chicago_wide_export_in_blocks_keeps_every_field_of_its_rejected_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chicago's 22-column export, a latitude in every 500 rows spoiled: read in blocks,
    later blocks parse only the mapped columns, and the rejected rows' other 17 fields are
    read back from the file; rejects and accepted rows must be the whole read's, and the
    rejects as many as an independent count of the spoiled cells."""
    import csv

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    from hotspots.ingest.batches import read_in_blocks

    src = real_file("chicago_cpd_2017_2019", "chicago_crimes_2017_2019_sample25k.csv")
    with open(src, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    lat = rows[0].index("latitude")
    for row in rows[500::500]:
        row[lat] = "spoiled"
    spoiled = tmp_path / "chicago_spoiled.csv"
    with open(spoiled, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    text = pacsv.read_csv(
        spoiled, convert_options=pacsv.ConvertOptions(column_types={"latitude": pa.string()})
    )
    expected = pc.sum(pc.equal(text["latitude"], "spoiled")).as_py()
    assert expected > 40

    from hotspots.ingest import skipped

    read_back = []
    rows_of = skipped.SkippedColumns.rows
    monkeypatch.setattr(
        skipped.SkippedColumns, "rows", lambda t, r: read_back.append(r.sum()) or rows_of(t, r)
    )
    whole = read_incidents(spoiled)
    blocks = read_in_blocks(spoiled, block_bytes=256 << 10)
    assert whole.reasons["unparseable_coordinates"] == expected == blocks.n_rejected
    assert sum(read_back) > expected * 0.8  # all but the first blocks' rows were read back
    pd.testing.assert_frame_equal(
        blocks.rejected.reset_index(drop=True), whole.rejected.reset_index(drop=True)
    )
    assert blocks.rejected.shape[1] == 2 + 22 and (blocks.rejected["latitude"] == "spoiled").all()
    cols = ["incident_id", "occurred_at", "lat", "lon", "source_row", "offense"]
    pd.testing.assert_frame_equal(
        pd.DataFrame(blocks.accepted[cols]).reset_index(drop=True),
        pd.DataFrame(whole.accepted[cols]).reset_index(drop=True),
        check_categorical=False,
    )
