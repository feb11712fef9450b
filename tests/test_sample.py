"""The bundled SYNTHETIC sample city: reproducible files and the facts built into them.

The trends and counts are computed here independently from the raw files (pandas on the CSV,
a brute-force haversine for distances), not taken from the generator.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from hotspots.errors import InputError
from hotspots.sample import Sample, SamplePaths, load_sample, sample_paths
from hotspots.schema import CATERING_KINDS, EARTH_RADIUS_M, INCIDENT_COLUMNS, VENUE_COLUMNS

GEODATA = Path(__file__).resolve().parent.parent / "geodata"
GENERATED = ("boundary.geojson", "venues.geojson", "venues.csv", "calls.csv", "basemap.pmtiles")
YEARS = ("2019", "2020", "2021")
CATERING_PLACES = ("кафе", "ресторан", "чайхана", "бар")
PUBLIC_PLACES = ("парк", "рынок", "площадь", "автовокзал", "музей-заповедник")
MAUSOLEUM = (43.3077, 68.2714)

# The defective rows documented in geodata/README.md: call id -> rejection reason.
DEFECTS = {
    "100219": "missing_coordinates",  # lat and lon empty
    "100804": "missing_coordinates",  # lat empty
    "103318": "unparseable_coordinates",  # "43.3о5915" (Cyrillic о)
    "105891": "zero_placeholder",  # (0, 0)
    "106002": "zero_placeholder",  # (0, 0)
    "107725": "out_of_range",  # lat 4327.8493
    "107821": "swapped_lat_lon",
    "108021": "unparseable_date",  # 2021-02-30
    "108488": "outside_study_area",
    "108575": "outside_study_area",
    "101000": "duplicate_id",  # the second of two identical rows
}
DUPLICATE_ID = "101000"


def haversine_m(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in metres (broadcasting)."""
    p1, l1, p2, l2 = (np.radians(np.asarray(v, dtype=float)) for v in (lat1, lon1, lat2, lon2))
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin((l2 - l1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a))


def gini(counts: np.ndarray) -> float:
    """Gini coefficient by its definition: mean absolute difference / (2 * mean)."""
    x = np.asarray(counts, dtype=float)
    return float(np.abs(x[:, None] - x[None, :]).sum() / (2 * x.size**2 * x.mean()))


@pytest.fixture(scope="module")
def raw_calls() -> pd.DataFrame:
    """calls.csv exactly as written (all text), with the year and hour cut from the text."""
    calls = pd.read_csv(GEODATA / "calls.csv", dtype=str, keep_default_na=False)
    calls["year"] = calls["datetime"].str[:4]
    calls["hour"] = pd.to_numeric(calls["datetime"].str[11:13])
    return calls


@pytest.fixture(scope="module")
def clean_calls(raw_calls: pd.DataFrame) -> pd.DataFrame:
    """Raw calls without the documented defective rows, with float coordinates."""
    damaged = raw_calls["id"].isin(set(DEFECTS) - {DUPLICATE_ID})
    repeated = raw_calls.duplicated(keep="first")  # the second of the identical pair
    assert repeated.sum() == 1
    calls = raw_calls[~damaged & ~repeated].copy()
    calls["lat"] = calls["lat"].astype(float)
    calls["lon"] = calls["lon"].astype(float)
    return calls


@pytest.fixture(scope="module")
def venues() -> pd.DataFrame:
    return pd.read_csv(GEODATA / "venues.csv", dtype={"venue_id": str})


@pytest.fixture(scope="module")
def boundary() -> shapely.Polygon:
    doc = json.loads((GEODATA / "boundary.geojson").read_text(encoding="utf-8"))
    (feature,) = doc["features"]
    return shapely.geometry.shape(feature["geometry"])


@pytest.fixture(scope="module")
def sample() -> Sample:
    return load_sample()


# --- the files are reproducible ---------------------------------------------------------


def test_generator_reproduces_the_committed_files_byte_for_byte(tmp_path: Path) -> None:
    script = GEODATA / "make_sample.py"
    subprocess.run([sys.executable, str(script), "--out", str(tmp_path)], check=True)
    made = sorted(p.name for p in tmp_path.iterdir())
    assert made == sorted(GENERATED)
    for name in GENERATED:
        assert (tmp_path / name).read_bytes() == (GEODATA / name).read_bytes(), name


def test_sample_paths_point_at_the_committed_files() -> None:
    paths = sample_paths()
    assert isinstance(paths, SamplePaths)
    assert paths.calls == GEODATA / "calls.csv"
    assert paths.venues == GEODATA / "venues.geojson"
    assert paths.boundary == GEODATA / "boundary.geojson"


def test_sample_paths_missing_files_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "calls.csv").write_text("id\n", encoding="utf-8")
    with pytest.raises(InputError, match="venues.geojson, boundary.geojson") as err:
        sample_paths(tmp_path)
    assert "\n" not in str(err.value)


# --- the study area and the venues ------------------------------------------------------


def test_boundary_is_a_city_outline_not_a_rectangle(boundary: shapely.Polygon) -> None:
    assert boundary.is_valid and boundary.geom_type == "Polygon"
    min_lon, min_lat, max_lon, max_lat = boundary.bounds
    width = haversine_m(43.297, min_lon, 43.297, max_lon)
    height = haversine_m(min_lat, 68.25, max_lat, 68.25)
    assert 7000 < width < 10000 and 7000 < height < 10000
    assert len(boundary.exterior.coords) > 20
    assert boundary.area < 0.9 * shapely.box(*boundary.bounds).area
    assert boundary.contains(shapely.Point(68.25, 43.297))
    assert boundary.contains(shapely.Point(MAUSOLEUM[1], MAUSOLEUM[0]))


def test_about_two_hundred_catering_venues(venues: pd.DataFrame) -> None:
    catering = venues[venues["kind"].isin(CATERING_KINDS)]
    assert 180 <= len(catering) <= 220
    assert set(catering["kind"]) == {"cafe", "restaurant", "tea_house", "bar"}
    assert venues["venue_id"].is_unique and venues["name"].is_unique


@pytest.mark.parametrize(
    ("kind", "least"), [("square", 1), ("park", 3), ("market", 1), ("bus_station", 1)]
)
def test_public_spaces_present(venues: pd.DataFrame, kind: str, least: int) -> None:
    assert (venues["kind"] == kind).sum() >= least


def test_mausoleum_is_where_it_is(venues: pd.DataFrame) -> None:
    (row,) = venues[venues["kind"] == "landmark"].itertuples()
    assert "Ясави" in row.name
    assert haversine_m(row.lat, row.lon, *MAUSOLEUM) < 50


def test_venues_inside_the_boundary(venues: pd.DataFrame, boundary: shapely.Polygon) -> None:
    assert shapely.contains_xy(boundary, venues["lon"], venues["lat"]).all()


def test_venue_csv_and_geojson_agree(venues: pd.DataFrame) -> None:
    doc = json.loads((GEODATA / "venues.geojson").read_text(encoding="utf-8"))
    props = pd.DataFrame([f["properties"] for f in doc["features"]])
    pd.testing.assert_frame_equal(props, venues, check_dtype=False)
    xy = np.array([f["geometry"]["coordinates"] for f in doc["features"]])
    np.testing.assert_array_equal(xy, venues[["lon", "lat"]].to_numpy())


@pytest.mark.parametrize("name", ["Alibek's Coffee", 'Кафе "Жібек жолы"', "Ресторан «Ордабасы»"])
def test_names_that_exercise_escaping_survive_the_csv(venues: pd.DataFrame, name: str) -> None:
    assert name in set(venues["name"])


# --- the calls: trends and counts (from the raw CSV) -------------------------------------


def test_columns_as_the_operations_centre_exports_them(raw_calls: pd.DataFrame) -> None:
    assert list(raw_calls.columns[:6]) == ["id", "datetime", "type", "place", "lat", "lon"]
    assert 6000 <= len(raw_calls) <= 9000
    assert set(raw_calls["year"]) == set(YEARS)


def test_thefts_fall_every_year(raw_calls: pd.DataFrame) -> None:
    n = raw_calls[raw_calls["type"] == "Кража"].groupby("year").size()
    assert n["2019"] > n["2020"] > n["2021"]
    assert n["2021"] / n["2019"] < 0.8  # a real fall, not noise


@pytest.mark.parametrize(
    "places", [None, CATERING_PLACES + PUBLIC_PLACES, ("кафе",)], ids=["all", "public", "cafe"]
)
def test_hooliganism_rises_every_year(raw_calls: pd.DataFrame, places) -> None:
    h = raw_calls[raw_calls["type"] == "Хулиганство"]
    if places is not None:
        h = h[h["place"].isin(places)]
    n = h.groupby("year").size()
    assert n["2019"] < n["2020"] < n["2021"]


def test_about_four_hundred_cafe_calls(raw_calls: pd.DataFrame) -> None:
    assert 350 <= (raw_calls["place"] == "кафе").sum() <= 450


def test_cafe_calls_are_at_cafes(clean_calls: pd.DataFrame, venues: pd.DataFrame) -> None:
    at_cafe = clean_calls[clean_calls["place"] == "кафе"]
    cafes = venues[venues["kind"] == "cafe"]
    d = haversine_m(
        at_cafe["lat"].to_numpy()[:, None],
        at_cafe["lon"].to_numpy()[:, None],
        cafes["lat"].to_numpy()[None, :],
        cafes["lon"].to_numpy()[None, :],
    )
    assert (d.min(axis=1) <= 40).all()


def test_calls_concentrate_on_a_minority_of_venues(
    clean_calls: pd.DataFrame, venues: pd.DataFrame
) -> None:
    catering = venues[venues["kind"].isin(CATERING_KINDS)]
    calls = clean_calls[clean_calls["place"].isin(CATERING_PLACES)]
    d = haversine_m(
        calls["lat"].to_numpy()[:, None],
        calls["lon"].to_numpy()[:, None],
        catering["lat"].to_numpy()[None, :],
        catering["lon"].to_numpy()[None, :],
    )
    near = d.argmin(axis=1)[d.min(axis=1) <= 50]
    counts = np.bincount(near, minlength=len(catering))
    assert counts.sum() == len(calls)  # every catering call has a venue within 50 m
    assert gini(counts) > 0.5
    top = np.sort(counts)[::-1][: int(0.2 * len(counts))]
    assert top.sum() / counts.sum() > 0.5  # the top fifth takes most calls


def test_evening_and_weekend_peaks(clean_calls: pd.DataFrame) -> None:
    by_hour = clean_calls.groupby("hour").size()
    assert 17 <= by_hour.idxmax() <= 22
    assert by_hour.loc[2:5].mean() < 0.5 * by_hour.mean()
    disorder = clean_calls["type"].isin(["Хулиганство", "Драка", "Нарушение общественного порядка"])
    by_hour = clean_calls[disorder].groupby("hour").size()
    assert by_hour.loc[18:23].mean() > 1.5 * by_hour.mean()
    day = pd.to_datetime(clean_calls["datetime"], format="%Y-%m-%d %H:%M").dt.day_of_week
    per_day = day.value_counts()
    assert per_day[[4, 5]].min() > 1.15 * per_day[[0, 1, 2, 3]].max()


def test_thefts_by_day_and_at_the_market_and_bus_station(clean_calls: pd.DataFrame) -> None:
    theft = clean_calls["type"] == "Кража"
    daytime = clean_calls["hour"].between(8, 18)
    assert daytime[theft].mean() > 0.6 > daytime[~theft].mean()
    hubs = clean_calls["place"].isin(["рынок", "автовокзал"])
    assert hubs[theft].mean() > 3 * hubs[~theft].mean()


# --- the sample through the ordinary readers ---------------------------------------------


def test_load_sample_gives_canonical_frames(sample: Sample) -> None:
    assert set(INCIDENT_COLUMNS) <= set(sample.calls.columns)
    assert set(VENUE_COLUMNS) <= set(sample.venues.columns)
    assert sample.venues.crs == sample.boundary.crs == "EPSG:4326"
    calls = sample.calls  # located by lat/lon (no point geometries)
    assert calls["lat"].between(-90, 90).all() and calls["lon"].between(-180, 180).all()
    assert len(sample.boundary) == 1


def test_every_row_is_accepted_or_rejected(sample: Sample, raw_calls: pd.DataFrame) -> None:
    r = sample.result
    assert r.rows == len(raw_calls)
    assert len(sample.calls) + len(r.rejected) == len(raw_calls)
    assert len(r.rejected) == len(DEFECTS)


def test_defective_rows_rejected_with_the_documented_reasons(
    sample: Sample, raw_calls: pd.DataFrame
) -> None:
    rejected = sample.result.rejected
    got = dict(zip(rejected["id"].astype(str), rejected["reason"], strict=True))
    assert got == DEFECTS
    # each rejected row carries its 1-based data-row number (the later one of the duplicates)
    rows = {i: int(raw_calls.index[raw_calls["id"] == i][-1]) + 1 for i in DEFECTS}
    assert dict(zip(rejected["id"].astype(str), rejected["source_row"], strict=True)) == rows
    expected_counts = pd.Series(DEFECTS).value_counts().to_dict()
    assert {k: n for k, n in sample.result.reasons.items() if n} == expected_counts
    # the duplicate: the first of the two identical rows is kept
    kept = sample.calls[sample.calls["incident_id"] == DUPLICATE_ID]
    first = raw_calls.index[raw_calls["id"] == DUPLICATE_ID][0] + 1
    assert kept["source_row"].tolist() == [first]


def test_accepted_calls_lie_inside_the_boundary(sample: Sample, boundary) -> None:
    assert shapely.contains_xy(boundary, sample.calls["lon"], sample.calls["lat"]).all()


def test_offenses_normalised_with_the_raw_counts(sample: Sample, clean_calls) -> None:
    english = {
        "Кража": "theft",
        "Хулиганство": "hooliganism",
        "Драка": "fight",
        "Нарушение общественного порядка": "public_order",
        "ДТП": "traffic",
        "Прочее": "other",
    }
    want = clean_calls.assign(offense=clean_calls["type"].map(english))
    want = want.groupby(["year", "offense"]).size()
    got = sample.calls.assign(
        year=sample.calls["year"].astype(str), offense=sample.calls["offense"].astype(str)
    )
    got = got.groupby(["year", "offense"]).size()
    pd.testing.assert_series_equal(got, want, check_names=False)


def test_premises_carried_over(sample: Sample) -> None:
    counts = sample.calls["premise"].astype(str).value_counts()  # only premises some call has
    assert 350 <= counts["кафе"] <= 450
    assert set(CATERING_PLACES + PUBLIC_PLACES) <= set(counts.index)


def test_sample_venues_match_the_file(sample: Sample, venues: pd.DataFrame) -> None:
    assert sorted(sample.venues["venue_id"]) == sorted(venues["venue_id"])
    assert (sample.venues["kind"].value_counts() == venues["kind"].value_counts()).all()


def test_without_a_boundary_only_the_outside_rows_are_accepted_too(raw_calls) -> None:
    from hotspots import io

    result = io.read_incidents(sample_paths().calls)
    outside = {i for i, reason in DEFECTS.items() if reason == "outside_study_area"}
    assert set(result.rejected["id"].astype(str)) == set(DEFECTS) - outside
    assert len(result.accepted) == len(raw_calls) - len(DEFECTS) + len(outside)
