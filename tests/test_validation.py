"""Row validation: each rejection reason, their order, dates, coordinates and the result object."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import Polygon, box

from hotspots import schema as S
from hotspots.columns import ColumnMap, detect_columns
from hotspots.errors import InputError, ParameterError
from hotspots.readers import RawTable
from hotspots.validation import (
    REASONS,
    VENUE_REASONS,
    assemble_parts,
    bulk_box,
    parse_datetimes,
    parse_number,
    slash_order,
    validate_incidents,
    validate_venues,
)

# twelve good calls around central Turkestan (lat 43.29-43.31, lon 68.24-68.26)
GOOD_LAT = [f"43.{2900 + 17 * i:04d}" for i in range(12)]
GOOD_LON = [f"68.{2400 + 15 * i:04d}" for i in range(12)]


def calls(**changes: list[str]) -> dict[str, list[str]]:
    """Columns of the twelve good calls, with some columns replaced."""
    cols = {
        "id": [str(100 + i) for i in range(12)],
        "datetime": [f"2020-03-{i + 1:02d} 18:30" for i in range(12)],
        "type": ["Кража", "Драка"] * 6,
        "lat": list(GOOD_LAT),
        "lon": list(GOOD_LON),
    }
    cols.update(changes)
    return cols


def raw(cols: dict[str, list[str]], malformed: list[bool] | None = None) -> RawTable:
    frame = pd.DataFrame(cols, dtype="str")
    mal = np.array(malformed if malformed is not None else [False] * len(frame))
    return RawTable(frame, "calls.csv", malformed=mal)


def run(cols: dict[str, list[str]], **kw):
    table = raw(cols)
    cmap = detect_columns(table.headers, kw.pop("columns", None), prefer_xy="crs" in kw)
    return validate_incidents(table, cmap, **kw)


def reasons_of(result) -> dict[int, str]:
    return dict(zip(result.rejected["source_row"], result.rejected["reason"], strict=True))


def with_row(col: str, row: int, value: str, base: dict | None = None) -> dict:
    cols = calls() if base is None else base
    cols[col] = list(cols[col])
    cols[col][row] = value
    return cols


# One test per reason ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("col", "value", "reason"),
    [
        ("lat", "", "missing_coordinates"),
        ("lat", "NA", "missing_coordinates"),
        ("lon", "  ", "missing_coordinates"),
        ("lon", "null", "missing_coordinates"),
        ("lat", "43.3о5915", "unparseable_coordinates"),  # Cyrillic "о" for a zero
        ("lat", "abc", "unparseable_coordinates"),
        ("lat", "inf", "unparseable_coordinates"),
        ("lon", "0x1A", "unparseable_coordinates"),
        ("lat", "4327.8493", "out_of_range"),  # decimal point lost
        ("lon", "268.25", "out_of_range"),
        ("datetime", "2021-02-30 08:05", "unparseable_date"),
        ("datetime", "", "unparseable_date"),
        ("datetime", "yesterday", "unparseable_date"),
        ("datetime", "1066-10-14 09:00", "unparseable_date"),  # outside 1900-2100
        ("id", "100", "duplicate_id"),  # row 1 (id 100) is above
    ],
)
def test_each_reason(col: str, value: str, reason: str) -> None:
    r = run(with_row(col, 5, value))
    assert reasons_of(r) == {6: reason}
    assert r.rows == 12 and r.n_accepted == 11
    assert r.reasons[reason] == 1 and sum(r.reasons.values()) == 1


def test_zero_placeholder_degrees() -> None:
    cols = with_row("lat", 3, "0", with_row("lon", 3, "0.000"))
    cols = with_row("lat", 4, "51.4779", with_row("lon", 4, "0", cols))  # Greenwich: real
    r = run(cols)
    assert reasons_of(r) == {4: "zero_placeholder"}


def test_swapped_against_the_bulk_of_rows() -> None:
    # (68.2486, 43.2827) is (lon, lat) of a point in town: both values are in range
    cols = with_row("lat", 7, "68.248634", with_row("lon", 7, "43.282663"))
    r = run(cols)
    assert reasons_of(r) == {8: "swapped_lat_lon"}
    assert not (r.accepted["lat"] > 60).any()  # never swapped silently


def test_swapped_with_an_impossible_latitude_is_swapped_not_out_of_range() -> None:
    # Vancouver written as lat=-123.1, lon=49.28: the swap is the useful diagnosis
    lat = [f"49.{2800 + i:04d}" for i in range(12)]
    lon = [f"-123.{1200 + i:04d}" for i in range(12)]
    lat[2], lon[2] = "-123.1201", "49.2801"
    r = run(calls(lat=lat, lon=lon))
    assert reasons_of(r) == {3: "swapped_lat_lon"}


def test_swapped_against_the_study_area() -> None:
    area = box(68.20, 43.25, 68.30, 43.35)
    cols = with_row("lat", 0, "68.25", with_row("lon", 0, "43.30"))
    cols = with_row("lat", 1, "43.40", with_row("lon", 1, "68.25", cols))  # just outside
    r = run(cols, boundary=area)
    assert reasons_of(r) == {1: "swapped_lat_lon", 2: "outside_study_area"}


def test_no_swap_when_the_swapped_pair_is_not_plausible_either() -> None:
    cols = with_row("lat", 0, "10.0", with_row("lon", 0, "20.0"))
    r = run(cols)
    assert r.reasons["swapped_lat_lon"] == 0
    assert r.n_accepted == 12  # a far point is accepted without a study area


def test_bulk_box_is_median_plus_minus_five_robust_sigmas() -> None:
    lat = np.array([43.0, 43.1, 43.2, 43.3, 43.4, 68.0])
    lon = np.array([68.0] * 6)
    lat0, lat_h, lon0, lon_h = bulk_box(lat, lon)
    med = np.median(lat)  # 43.25
    mad = np.median(np.abs(lat - med))  # 0.15
    assert (lat0, lat_h) == pytest.approx((med, 5 * 1.4826 * mad))
    assert (lon0, lon_h) == pytest.approx((68.0, 0.1))  # MAD 0: the 0.1 degree floor


def test_outside_study_area_boundary_and_bbox() -> None:
    area = Polygon([(68.20, 43.25), (68.30, 43.25), (68.30, 43.35), (68.20, 43.35)])
    cols = with_row("lon", 2, "68.35")
    cols = with_row("lat", 3, "43.35", with_row("lon", 3, "68.25", cols))  # on the edge
    r = run(cols, boundary=area)
    assert reasons_of(r) == {3: "outside_study_area"}
    rb = run(cols, bbox=(68.20, 43.25, 68.30, 43.35))
    assert reasons_of(rb) == {3: "outside_study_area"}
    # bbox and boundary together: both must hold
    both = run(cols, boundary=area, bbox=(68.20, 43.25, 68.30, 43.30))
    assert sorted(reasons_of(both)) == [3, 4, *range(7, 13)]  # lat 43.3002+ from row 7


@pytest.mark.parametrize(
    "bbox", [(68.3, 43.2, 68.2, 43.4), (1, 2, 3), ("a", 1, 2, 3), (0, -95, 10, 10)]
)
def test_bad_bbox(bbox) -> None:
    with pytest.raises(ParameterError, match="bbox"):
        run(calls(), bbox=bbox)


def test_malformed_rows_come_first() -> None:
    table = raw(with_row("lat", 0, ""), malformed=[True] + [False] * 11)
    r = validate_incidents(table, detect_columns(table.headers))
    assert reasons_of(r) == {1: "malformed_row"}


def test_reason_order_first_failing_wins() -> None:
    cols = calls()
    cols["datetime"] = ["garbage"] * 12  # every row has a bad date ...
    cols = with_row("lat", 0, "", cols)  # ... so earlier reasons must win
    cols = with_row("lat", 1, "x", cols)
    cols = with_row("lat", 2, "0", with_row("lon", 2, "0", cols))
    cols = with_row("lat", 3, "68.25", with_row("lon", 3, "43.29", cols))
    cols = with_row("lat", 4, "95", cols)
    r = run(cols, bbox=(68.0, 43.0, 68.5, 43.5))
    assert [reasons_of(r)[i] for i in range(1, 7)] == [
        "missing_coordinates",
        "unparseable_coordinates",
        "zero_placeholder",
        "swapped_lat_lon",
        "out_of_range",
        "unparseable_date",
    ]
    assert list(r.reasons) == list(REASONS)


def test_duplicate_keeps_the_first_accepted_occurrence() -> None:
    cols = with_row("id", 4, "100")  # same id as row 1 ...
    cols = with_row("lat", 0, "", cols)  # ... but row 1 is rejected: row 5 is kept
    cols = with_row("id", 8, "100", cols)  # a third occurrence is the duplicate
    r = run(cols)
    assert reasons_of(r) == {1: "missing_coordinates", 9: "duplicate_id"}
    assert r.accepted.loc[r.accepted["source_row"] == 5, "incident_id"].item() == "100"


def test_ids_generated_when_absent_or_empty() -> None:
    cols = with_row("id", 2, "")
    r = run(cols)
    assert r.accepted["incident_id"].iloc[2] == "row-3"
    no_id = {k: v for k, v in calls().items() if k != "id"}
    assert run(no_id).accepted["incident_id"].tolist() == [f"row-{i}" for i in range(1, 13)]


@pytest.mark.parametrize(
    "ids",
    [
        ["0", "7", "10", "99", "100", "123456789012345678", "999999999999999999"],
        ["007", "-0", "-12", "0x1F", "00", "1234567890123456789", "9223372036854775807"],
        [str(10**k) for k in range(19)] + [str(10**k - 1) for k in range(1, 19)],
    ],
)
def test_ids_written_plainly_are_those_the_plain_integer_pattern_matches(ids) -> None:
    # the lengths-and-bounds rule must agree with the regular expression it replaced: a
    # plain id keeps its value as its key across blocks, any other its text's hash
    import re

    from hotspots.validation import _PLAIN_INT, _numbers

    got = _numbers(pd.Series(ids, dtype="str"))
    assert got is not None
    assert got.plain.tolist() == [re.fullmatch(_PLAIN_INT, x) is not None for x in ids]


# Coordinates -----------------------------------------------------------------------------
def test_projected_xy_with_crs_are_converted() -> None:
    x = ["491059.4824", "491068,6829", "0", "491073.0884"]
    y = ["5459122.4178", "5459126.1374", "5459126.1", "0"]
    cols = {"X": x, "Y": y, "Date": ["2020-06-19"] * 4}
    r = run(cols, crs="EPSG:32610")
    assert reasons_of(r) == {3: "zero_placeholder", 4: "zero_placeholder"}  # X or Y = 0
    tr = Transformer.from_crs("EPSG:32610", "EPSG:4326", always_xy=True)
    lon, lat = tr.transform([491059.4824, 491068.6829], [5459122.4178, 5459126.1374])
    np.testing.assert_allclose(r.accepted["lon"], lon, atol=1e-9)
    np.testing.assert_allclose(r.accepted["lat"], lat, atol=1e-9)
    assert r.crs == "EPSG:32610"


def test_projected_xy_without_crs_is_an_input_error() -> None:
    cols = {"X": ["491059.48", "0"], "Y": ["5459122.42", "0"]}
    with pytest.raises(InputError) as err:
        run(cols)
    msg = str(err.value)
    assert "--crs" in msg and "X/Y" in msg and "491059.48" in msg and "\n" not in msg


def test_a_projected_crs_for_degree_columns_is_an_input_error() -> None:
    # police.uk latitude/longitude with --crs EPSG:27700 ("the data is British"): read as
    # metres they would all land beside the grid's origin in the sea off Cornwall, accepted
    with pytest.raises(InputError) as err:
        run(calls(), crs="EPSG:27700")
    msg = str(err.value)
    assert msg.startswith("--crs EPSG:27700 is for projected X/Y, but lat/lon in calls.csv")
    assert "degrees" in msg and "drop --crs" in msg and "\n" not in msg
    # degrees are fine with a geographic CRS, and projected X/Y with their projected CRS
    assert run(calls(), crs="EPSG:4326").n_accepted == 12
    assert run({"X": ["491059.48"], "Y": ["5459122.42"]}, crs="EPSG:32610").n_accepted == 1


def test_xy_in_degrees_need_no_crs() -> None:
    r = run({"x": ["68.25", "68.26"], "y": ["43.30", "43.31"]})
    assert r.accepted["lon"].tolist() == [68.25, 68.26]
    assert r.accepted["lat"].tolist() == [43.30, 43.31]


def test_decimal_commas_in_coordinates() -> None:
    r = run(calls(lat=[v.replace(".", ",") for v in GOOD_LAT]))
    assert r.accepted["lat"].tolist() == [float(v) for v in GOOD_LAT]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("43,2951", 43.2951),
        ("-87.6", -87.6),
        ("\u221287,6", -87.6),  # Unicode minus
        ("491 059,48", 491059.48),
        ("491\u00a0059,48", 491059.48),
        ("1.234,5", 1234.5),
        ("1,234.5", 1234.5),
        ("+3", 3.0),
        (".5", 0.5),
        ("1e3", 1000.0),
    ],
)
def test_parse_number(text: str, value: float) -> None:
    v, missing, bad = parse_number(pd.Series([text]))
    assert v[0] == pytest.approx(value) and not missing[0] and not bad[0]


@pytest.mark.parametrize("text", ["1,234,567", "nan?", "1_000", "0x1A", "inf", "-", "12a"])
def test_parse_number_rejects(text: str) -> None:
    v, missing, bad = parse_number(pd.Series([text]))
    assert np.isnan(v[0]) and (missing[0] or bad[0])


# Dates -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected", "precision"),
    [
        ("2017-07-19 13:45", "2017-07-19 13:45", "minute"),
        ("2017-07-19 13:45:59", "2017-07-19 13:45:59", "minute"),
        ("2017-07-19T13:45:00Z", "2017-07-19 13:45", "minute"),
        ("2017-07-19T13:45:00+06:00", "2017-07-19 07:45", "minute"),  # the UTC instant
        ("2017-07-19", "2017-07-19", "day"),
        ("2017-07-19 13", "2017-07-19 13:00", "hour"),
        ("2016-02", "2016-02-01", "month"),
        ("2016/02/03", "2016-02-03", "day"),
        ("19.07.2017 13:45", "2017-07-19 13:45", "minute"),
        ("19.07.2017", "2017-07-19", "day"),
        ("07.2017", "2017-07-01", "month"),
        ("19-07-2017 13:45", "2017-07-19 13:45", "minute"),
        ("7/19/2017 13:45", "2017-07-19 13:45", "minute"),
        ("07/19/2017 01:45:00 PM", "2017-07-19 13:45", "minute"),
        ("1/2/2017", "2017-01-02", "day"),  # US month-first by default
    ],
)
def test_parse_datetimes(text: str, expected: str, precision: str) -> None:
    occ, prec = parse_datetimes(pd.Series([text]))
    assert occ.iloc[0] == pd.Timestamp(expected)
    assert prec[0] == precision


def test_slashed_day_first_when_the_column_says_so() -> None:
    occ, _ = parse_datetimes(pd.Series(["1/2/2017 10:00", "19/07/2017 13:45", "3/4/2017"]))
    assert occ.tolist() == [
        pd.Timestamp("2017-02-01 10:00"),
        pd.Timestamp("2017-07-19 13:45"),
        pd.Timestamp("2017-04-03"),
    ]


@pytest.mark.parametrize(
    ("values", "order"),
    [
        (["7/19/2017 13:45", "1/2/2017"], "mdy"),
        (["19/7/2017", "1/2/2017"], "dmy"),
        (["1/2/2017", "3/4/2017"], "mdy"),  # cannot tell: US convention
        (["13/12/2017", "12/13/2017"], "mdy"),  # contradicts itself: US convention
    ],
)
def test_slash_order(values: list[str], order: str) -> None:
    assert slash_order(pd.Series(values)) == order


def test_mixed_formats_in_one_column() -> None:
    occ, prec = parse_datetimes(pd.Series(["2016-02", "19.07.2017 13:45", "", "31.02.2017"]))
    assert occ.iloc[0] == pd.Timestamp("2016-02-01")
    assert occ.iloc[1] == pd.Timestamp("2017-07-19 13:45")
    assert occ.iloc[2:].isna().all()
    assert list(prec) == ["month", "minute", None, None]


def test_date_and_time_columns_are_joined() -> None:
    cols = {"Дата": ["19.07.2017", "20.07.2017"], "Время": ["13:45", ""], "Широта": ["43.3"] * 2}
    cols["Долгота"] = ["68.25", "68.26"]
    r = run(cols)
    assert r.columns.time == "Дата+Время"
    assert r.accepted["occurred_at"].iloc[0] == pd.Timestamp("2017-07-19 13:45")
    # an empty time leaves a day-precision date
    assert r.accepted["time_precision"].tolist() == ["minute", "day"]
    assert r.accepted["hour"].iloc[1] is pd.NA
    assert r.time_precision == "mixed"
    assert r.precision_counts == {"minute": 1, "day": 1}


def test_assemble_parts() -> None:
    parts = {
        "year": pd.Series(["2020", "2020", "2020", "2020", "2020", "2020"]),
        "month": pd.Series(["6", "2", "13", "2", "1", "1"]),
        "day": pd.Series(["19", "30", "1", "29", "3", "3"]),
        "hour": pd.Series(["3", "1", "1", "", "6.0", "6.5"]),
        "minute": pd.Series(["40", "0", "0", "", "", "0"]),
    }
    occ, prec = assemble_parts(parts)
    assert occ.iloc[0] == pd.Timestamp("2020-06-19 03:40")
    assert occ.iloc[1:3].isna().all()  # 30 February, month 13
    assert occ.iloc[3] == pd.Timestamp("2020-02-29")  # leap day; hour unknown
    assert occ.iloc[4] == pd.Timestamp("2020-01-03 06:00")  # minute unknown
    assert pd.isna(occ.iloc[5])  # hour 6.5 is not a whole hour
    assert list(prec) == ["minute", None, None, "day", "hour", None]


@pytest.mark.parametrize(
    ("parts", "msg"),
    [({"hour": "24"}, "hour"), ({"minute": "60"}, "minute"), ({"year": "1850"}, "year")],
)
def test_assemble_parts_ranges(parts: dict[str, str], msg: str) -> None:
    base = {"year": "2020", "month": "1", "day": "1", "hour": "1", "minute": "1"}
    base.update(parts)
    occ, prec = assemble_parts({k: pd.Series([v]) for k, v in base.items()})
    assert pd.isna(occ.iloc[0]) and prec[0] is None, msg


def test_month_only_leaves_day_and_hour_unknown() -> None:
    r = run(
        {"Month": ["2016-02", "2016-03"], "Latitude": ["53.6", "53.5"], "Longitude": ["-2.4"] * 2}
    )
    a = r.accepted
    assert a["occurred_at"].tolist() == [pd.Timestamp("2016-02-01"), pd.Timestamp("2016-03-01")]
    assert a["year"].tolist() == [2016, 2016] and a["month"].tolist() == [2, 3]
    assert a["weekday"].isna().all() and a["hour"].isna().all()
    assert r.time_precision == "month"


def test_no_time_column() -> None:
    r = run({"lat": ["43.3"], "lon": ["68.25"]})
    assert r.time_precision == "none" and r.n_accepted == 1
    assert r.accepted["occurred_at"].isna().all()
    assert r.reasons["unparseable_date"] == 0


# The canonical table and the result ------------------------------------------------------
def test_accepted_has_the_contract_columns_and_types() -> None:
    r = run(calls(place=["кафе", ""] * 6), columns=ColumnMap(premise="place"))
    a = r.accepted
    assert tuple(a.columns) == S.INCIDENT_COLUMNS
    assert not isinstance(a, gpd.GeoDataFrame)  # located by lat/lon, no shapely points
    assert {c: str(a[c].dtype) for c in ("year", "month", "weekday", "hour")} == {
        "year": "Int16",
        "month": "Int8",
        "weekday": "Int8",
        "hour": "Int8",
    }
    # few distinct values: categoricals, sorted, with no category that no row has
    for col in ("offense", "offense_raw", "premise", "time_precision"):
        assert isinstance(a[col].dtype, pd.CategoricalDtype), col
        cats = a[col].cat.categories.tolist()
        assert cats == sorted(cats) and set(cats) == set(a[col].dropna()), col
    assert (
        a["premise"].tolist()[:2] == ["кафе", a["premise"].iloc[1]]
        and a["premise"].isna().tolist() == [False, True] * 6
    )
    assert a["lat"].dtype == np.float64 and a["lon"].dtype == np.float64
    assert str(a["occurred_at"].dtype).startswith("datetime64")
    first = a.iloc[0]
    assert first["incident_id"] == "100" and first["source_row"] == 1
    assert first["occurred_at"] == pd.Timestamp("2020-03-01 18:30")
    assert (first["weekday"], first["hour"]) == (6, 18)  # 1 March 2020 was a Sunday
    assert (first["offense"], first["offense_raw"], first["premise"]) == ("theft", "Кража", "кафе")
    assert pd.isna(a["premise"].iloc[1])
    pts = S.incident_points(a)
    assert pts.crs.to_epsg() == 4326
    assert pts.geometry.x.tolist() == a["lon"].tolist()
    assert pts.geometry.y.tolist() == a["lat"].tolist()


def test_report_and_rejects_file(tmp_path: Path) -> None:
    cols = with_row("lat", 0, "", with_row("datetime", 1, "soon"))
    cols["reason"] = ["x"] * 12  # a raw column that clashes with ours
    r = run(cols)
    rep = r.report()
    assert rep["rows"] == 12 and rep["accepted"] == 10 and rep["rejected"] == 2
    assert rep["reasons"]["missing_coordinates"] == 1 and rep["reasons"]["unparseable_date"] == 1
    assert list(rep["reasons"]) == list(REASONS)
    assert rep["columns"] == {
        "lat": "lat",
        "lon": "lon",
        "time": "datetime",
        "offense": "type",
        "incident_id": "id",
    }
    assert rep["time_precision"] == "minute"
    out = r.write_rejects(tmp_path / "sub" / "rejects.csv")
    back = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert back.columns.tolist() == [
        "source_row",
        "reason",
        "id",
        "datetime",
        "type",
        "lat",
        "lon",
        "raw_reason",
    ]
    assert back["source_row"].tolist() == ["1", "2"]
    assert back["reason"].tolist() == ["missing_coordinates", "unparseable_date"]
    assert back["datetime"].tolist() == ["2020-03-01 18:30", "soon"]  # raw text kept


def test_accepted_plus_rejected_partition_the_rows() -> None:
    cols = calls()
    for i, v in enumerate(["", "x", "0", "95", "68.25"]):
        cols = with_row("lat", i, v, cols)
    r = run(cols)
    rows = sorted(r.accepted["source_row"].tolist() + r.rejected["source_row"].tolist())
    assert rows == list(range(1, 13))
    assert r.n_accepted + r.n_rejected == r.rows == 12


# Venues ----------------------------------------------------------------------------------
def test_venues() -> None:
    table = raw(
        {
            "name": ["Кафе Айгерим", "", "Bar X", "Twin"],
            "type": ["Кафе", "Tea House", None, "bar"],
            "id": ["V1", "V2", "V3", "V1"],
            "lat": ["43.30", "43.31", "", "43.32"],
            "lon": ["68.25", "68.26", "68.27", "68.28"],
        }
    )
    cmap = detect_columns(table.headers, kind="venues")
    r = validate_venues(table, cmap)
    assert list(r.reasons) == list(VENUE_REASONS) and "unparseable_date" not in r.reasons
    assert reasons_of(r) == {3: "missing_coordinates", 4: "duplicate_id"}
    a = r.accepted
    assert tuple(a.columns[: len(S.VENUE_COLUMNS) - 1]) == S.VENUE_COLUMNS[:-1]
    assert a["kind"].tolist() == ["cafe", "tea_house"]
    assert a["name"].iloc[0] == "Кафе Айгерим" and pd.isna(a["name"].iloc[1])
    assert r.report()["kind"] == "venues" and "time_precision" not in r.report()


def test_no_rejects_give_an_empty_frame_of_the_raw_columns() -> None:
    """Text or not, a table with nothing rejected gives the rejects' columns (ours first, a
    clashing raw column renamed) with no rows: text columns as ``str``, ``source_row`` as
    int64, as when rows are rejected."""
    cols = calls()
    cols["reason"] = ["x"] * 12
    want_cols = ["source_row", "reason", "id", "datetime", "type", "lat", "lon", "raw_reason"]
    text = run(cols).rejected
    frame = pd.DataFrame(cols, dtype="str").assign(lat=[float(x) for x in GOOD_LAT])
    mixed = validate_incidents(
        RawTable(frame, "calls.csv", malformed=np.zeros(12, bool)),
        detect_columns(list(frame.columns)),
    ).rejected
    some = run(with_row("lat", 0, "", cols)).rejected
    for got in (text, mixed):
        assert got.columns.tolist() == want_cols and len(got) == 0
        assert got.dtypes.astype(str).tolist() == ["int64"] + ["str"] * 7
        assert got.dtypes.astype(str).tolist() == some.dtypes.astype(str).tolist()


def test_an_executor_given_validates_as_threads_of_its_own() -> None:
    """The block reader passes one pool of two threads for the whole file; the result must
    be the same as with the threads validate_incidents starts for itself."""
    from concurrent.futures import ThreadPoolExecutor

    cols = with_row("lat", 3, "", with_row("datetime", 5, "soon", with_row("id", 7, "100")))
    table = raw(cols)
    cmap = detect_columns(table.headers)
    alone = validate_incidents(table, cmap)
    with ThreadPoolExecutor(2) as pool:
        shared = [validate_incidents(table, cmap, executor=pool) for _ in range(3)]
    assert set(reasons_of(alone).values()) == {
        "missing_coordinates",
        "unparseable_date",
        "duplicate_id",
    }
    for got in shared:
        pd.testing.assert_frame_equal(got.accepted, alone.accepted)
        pd.testing.assert_frame_equal(got.rejected, alone.rejected)
        assert got.reasons == alone.reasons
