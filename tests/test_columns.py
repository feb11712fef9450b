"""Column detection from header names (English, Russian, Kazakh) and explicit column maps."""

from __future__ import annotations

import pytest

from hotspots.columns import ColumnMap, detect_columns, header_key, require_coordinates
from hotspots.errors import InputError

CHICAGO = (
    "id,case_number,date,block,iucr,primary_type,description,location_description,arrest,"
    "domestic,beat,district,ward,community_area,fbi_code,x_coordinate,y_coordinate,year,"
    "updated_on,latitude,longitude,location"
).split(",")
VANCOUVER = "TYPE,YEAR,MONTH,DAY,HOUR,MINUTE,HUNDRED_BLOCK,NEIGHBOURHOOD,X,Y".split(",")
GMP = ["Month", "Crime.type", "Longitude", "Latitude"]
MERSEYSIDE = (
    "Unnamed: 0,...1,crime_id,month,reported_by,falls_within,longitude,latitude,location,"
    "lsoa_code,lsoa_name,crime_type,last_outcome_category,context"
).split(",")
ASSAULTS = ["date", "loc_cat", "longitude", "latitude", "district"]


@pytest.mark.parametrize(
    ("name", "key"),
    [
        (" Primary_Type ", "primarytype"),
        ("Crime.type", "crimetype"),
        ("PRIMARY TYPE", "primarytype"),
        ("\ufeffШирота", "широта"),
        ("Дата и время", "датаивремя"),
        ("x-coordinate", "xcoordinate"),
    ],
)
def test_header_key(name: str, key: str) -> None:
    assert header_key(name) == key


def test_chicago_prefers_lat_lon_over_state_plane_xy() -> None:
    cmap = detect_columns(CHICAGO)
    assert (cmap.lat, cmap.lon, cmap.x, cmap.y) == ("latitude", "longitude", None, None)
    assert cmap.time == "date"
    assert cmap.offense == "primary_type"
    assert cmap.incident_id == "id"
    assert cmap.premise == "location_description"
    assert cmap.time_parts == {}  # "year" is not used when there is a date column


def test_chicago_with_a_crs_uses_xy() -> None:
    cmap = detect_columns(CHICAGO, prefer_xy=True)
    assert (cmap.lat, cmap.lon, cmap.x, cmap.y) == (None, None, "x_coordinate", "y_coordinate")


def test_vancouver_parts_and_xy() -> None:
    cmap = detect_columns(VANCOUVER)
    assert (cmap.x, cmap.y) == ("X", "Y")
    assert cmap.time is None
    assert cmap.time_parts == {
        "year": "YEAR",
        "month": "MONTH",
        "day": "DAY",
        "hour": "HOUR",
        "minute": "MINUTE",
    }
    assert cmap.offense == "TYPE"
    assert cmap.premise is None  # NEIGHBOURHOOD is an area, not a premise


def test_police_uk_month_only() -> None:
    cmap = detect_columns(GMP)
    assert (cmap.lat, cmap.lon, cmap.time, cmap.offense) == (
        "Latitude",
        "Longitude",
        "Month",
        "Crime.type",
    )
    m = detect_columns(MERSEYSIDE)
    assert (m.time, m.offense, m.incident_id, m.premise) == (
        "month",
        "crime_type",
        "crime_id",
        "location",
    )


def test_assaults_loc_cat_is_the_premise() -> None:
    cmap = detect_columns(ASSAULTS)
    assert cmap.premise == "loc_cat"
    assert cmap.offense is None and cmap.incident_id is None


def test_russian_headers_join_date_and_time() -> None:
    cmap = detect_columns(["№", "Дата", "Время", "Вид", "Место", "Широта", "Долгота"])
    assert cmap.time == "Дата+Время"
    assert cmap.time_columns == ["Дата", "Время"]
    assert (cmap.offense, cmap.premise, cmap.lat, cmap.lon) == ("Вид", "Место", "Широта", "Долгота")
    assert cmap.incident_id == "№"


def test_kazakh_headers() -> None:
    cmap = detect_columns(["Күні", "Уақыт", "Түрі", "Орны", "Ендік", "Бойлық"])
    assert cmap.time == "Күні+Уақыт"
    assert (cmap.offense, cmap.premise, cmap.lat, cmap.lon) == ("Түрі", "Орны", "Ендік", "Бойлық")


def test_occur_date_plus_occur_time() -> None:
    cmap = detect_columns(["OCCUR_DATE", "OCCUR_TIME", "Offense", "Lat", "Lng"])
    assert cmap.time == "OCCUR_DATE+OCCUR_TIME"
    assert (cmap.lat, cmap.lon, cmap.offense) == ("Lat", "Lng", "Offense")


def test_datetime_column_wins_and_is_not_joined() -> None:
    cmap = detect_columns(["date", "datetime", "time", "lat", "lon"])
    assert cmap.time == "datetime"


def test_lone_time_column_is_a_datetime() -> None:
    assert detect_columns(["time", "lat", "long"]).time == "time"


@pytest.mark.parametrize(
    "headers", [["LATITUDE ", " Longitude"], ["lat", "lng"], ["Lat", "LONG"], ["y", "x"]]
)
def test_coordinate_names_any_case(headers: list[str]) -> None:
    cmap = detect_columns(headers)
    assert (cmap.lat or cmap.y) == headers[0]
    assert (cmap.lon or cmap.x) == headers[1]


def test_explicit_columns_win_and_are_matched_loosely() -> None:
    headers = ["Широта", "Долгота", "shir", "dolg", "Статья", "Когда"]
    cmap = detect_columns(
        headers, ColumnMap(lat="SHIR", lon="dolg", time="когда", offense="Статья")
    )
    assert (cmap.lat, cmap.lon, cmap.time, cmap.offense) == ("shir", "dolg", "Когда", "Статья")


def test_explicit_date_plus_time() -> None:
    cmap = detect_columns(["d", "t", "lat", "lon"], ColumnMap(time="d+t"))
    assert cmap.time_columns == ["d", "t"]


def test_explicit_missing_column_names_flag_and_columns() -> None:
    with pytest.raises(InputError) as err:
        detect_columns(["a", "b"], ColumnMap(lat="широта"), source="calls.csv")
    msg = str(err.value)
    assert "--lat" in msg and "calls.csv" in msg and "a, b" in msg
    assert "\n" not in msg


def test_explicit_type_flag_named_in_error() -> None:
    with pytest.raises(InputError, match="--type"):
        detect_columns(["lat", "lon"], ColumnMap(offense="kind_of_crime"))


@pytest.mark.parametrize(
    ("headers", "found"),
    [
        (["a", "b", "c"], None),
        (["latitude", "b"], "latitude"),
        (["x", "label"], "x"),
    ],
)
def test_require_coordinates_message(headers: list[str], found: str | None) -> None:
    cmap = detect_columns(headers)
    with pytest.raises(InputError) as err:
        require_coordinates(cmap, headers, "calls.csv")
    msg = str(err.value)
    assert msg.startswith("no coordinate columns found in calls.csv")
    assert f"(columns: {', '.join(headers)})" in msg
    assert "--lat/--lon" in msg and "--x/--y --crs" in msg
    if found:
        assert f"only {found} found" in msg


def test_venue_columns() -> None:
    cmap = detect_columns(["venue_id", "name", "kind", "lat", "lon"], kind="venues")
    assert (cmap.venue_id, cmap.name, cmap.kind) == ("venue_id", "name", "kind")
    assert cmap.time is None and cmap.offense is None
    prems = detect_columns(
        ["PREMISESNAME", "CASEREFERENCE", "latitude", "longitude"], kind="venues"
    )
    assert prems.name == "PREMISESNAME"
    assert prems.kind is None and prems.venue_id is None
    ru = detect_columns(["Название", "Тип", "Широта", "Долгота"], kind="venues")
    assert (ru.name, ru.kind) == ("Название", "Тип")


def test_one_column_is_used_once() -> None:
    # "type" would suit both offense and kind-like roles; "title" both name and offense
    cmap = detect_columns(["title", "type", "lat", "lon"])
    assert cmap.offense == "type"
    assert cmap.as_dict() == {"lat": "lat", "lon": "lon", "offense": "type"}


def test_bad_kind() -> None:
    with pytest.raises(ValueError, match="kind"):
        detect_columns(["lat", "lon"], kind="places")


@pytest.mark.parametrize(
    ("headers", "advice"),
    [
        # a semicolon file read with --sep ',': the whole header is one column
        (["дата;тип;широта;долгота"], "the header is one column holding ';': give --sep ';'"),
        (["date\ttype\tlat\tlon"], "the header is one column holding tab: give --sep tab"),
        # a title line above the header (the title became the only column name)
        (
            ["Отчёт за 2020 год", "Unnamed: 1"],
            "if a title line comes first, delete it so the column names are line 1; "
            "name them with --lat/--lon",
        ),
    ],
)
def test_require_coordinates_says_why_there_is_one_column(headers, advice) -> None:
    with pytest.raises(InputError) as err:
        require_coordinates(detect_columns(headers), headers, "calls.csv")
    assert advice in str(err.value) and "\n" not in str(err.value)
