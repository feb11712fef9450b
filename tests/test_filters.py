"""hotspots.filters: parsing the filter flags and selecting incidents (hand-made cases)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from hotspots.filters import (
    Filters,
    apply_filters,
    filter_mask,
    format_hours,
    parse_hours,
    parse_weekdays,
    within_area,
)


@pytest.mark.parametrize(
    ("spec", "hours"),
    [
        ("18-23", (18, 19, 20, 21, 22, 23)),
        ("22-3", (0, 1, 2, 3, 22, 23)),  # wraps past midnight
        ("8,9, 10", (8, 9, 10)),
        ("5,5,4-5", (4, 5)),
        ("", ()),
    ],
)
def test_parse_hours(spec, hours):
    assert parse_hours(spec) == hours


@pytest.mark.parametrize("spec", ["x", "1-x", "3-1-2", "24", "20-25", "-1"])
def test_parse_hours_rejects_with_a_message(spec):
    with pytest.raises(ValueError, match="0-23|0 to 23") as exc:
        parse_hours(spec)
    assert "\n" not in str(exc.value) and "invalid literal" not in str(exc.value)


@pytest.mark.parametrize(
    ("spec", "days"),
    [
        ("sat,sun", (5, 6)),
        ("mon-fri", (0, 1, 2, 3, 4)),
        ("fri-mon", (0, 4, 5, 6)),  # wraps past Sunday
        (["Saturday", "0"], (0, 5)),
        # Russian and Kazakh, as analysts in Turkestan write them
        ("пт,сб", (4, 5)),
        ("Пн-Пт", (0, 1, 2, 3, 4)),
        ("суббота, воскресенье", (5, 6)),
        ("жм-жс", (4, 5, 6)),  # жұма .. жексенбі
        ("Сенбі,дс", (0, 5)),
        ("ср", (2,)),  # Wednesday in both languages
    ],
)
def test_parse_weekdays(spec, days):
    assert parse_weekdays(spec) == days


@pytest.mark.parametrize("spec", ["funday", "7", "mon-xyz", "пятн", "сс-zz"])
def test_parse_weekdays_rejects(spec):
    with pytest.raises(ValueError, match="weekday"):
        parse_weekdays(spec)


@given(st.sets(st.integers(0, 23)))
def test_format_hours_round_trips_through_parse_hours(hours):
    assert parse_hours(format_hours(hours)) == tuple(sorted(hours))


def test_format_hours_collapses_runs():
    assert format_hours([2019, 2020, 2021, 2023]) == "2019-2021,2023"


def incidents() -> gpd.GeoDataFrame:
    """Five calls: (year, offense, raw label, hour, weekday); <NA> hour/weekday on the last."""
    frame = pd.DataFrame(
        {
            "year": pd.array([2019, 2020, 2020, 2021, 2021], dtype="Int64"),
            "offense": ["theft", "fight", "motor_vehicle_theft", "theft", "theft"],
            "offense_raw": ["Кража", "Драка", "MOTOR VEHICLE THEFT", "кража ", "Кража"],
            "hour": pd.array([23, 2, 12, 22, None], dtype="Int64"),
            "weekday": pd.array([5, 6, 0, 4, None], dtype="Int64"),
            "lat": [43.30, 43.31, 43.32, 43.33, 43.34],
            "lon": [68.25, 68.26, 68.27, 68.28, 68.29],
        }
    )
    return gpd.GeoDataFrame(
        frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs="EPSG:4326"
    )


@pytest.mark.parametrize(
    ("filters", "kept"),
    [
        (None, [0, 1, 2, 3, 4]),
        (Filters(), [0, 1, 2, 3, 4]),
        (Filters(years=[2020, 2021]), [1, 2, 3, 4]),
        (Filters(offenses=["THEFT"]), [0, 3, 4]),  # the label, any case
        (Filters(offenses=["кража"]), [0, 3, 4]),  # the raw value, stripped, any case
        (Filters(offenses=["motor vehicle theft"]), [2]),
        (Filters(hours=parse_hours("22-3")), [0, 1, 3]),  # unknown hour: dropped
        (Filters(weekdays=parse_weekdays("sat,sun")), [0, 1]),
        (Filters(years=[2021], hours=[22]), [3]),
    ],
)
def test_filter_mask(filters, kept):
    mask = filter_mask(incidents(), filters)
    assert np.flatnonzero(mask).tolist() == kept
    assert apply_filters(incidents(), filters).index.tolist() == kept


def test_filters_check_their_ranges_and_describe_themselves():
    with pytest.raises(ValueError, match="0 and 23"):
        Filters(hours=[24])
    with pytest.raises(ValueError, match="Monday"):
        Filters(weekdays=[7])
    f = Filters(years=[2021, 2019, 2019], hours=[18, 19, 20], weekdays=[6, 5])
    assert f.years == (2019, 2021)
    assert f.describe() == "years 2019, 2021; hours 18-20; weekdays sat, sun"
    assert Filters().describe() == "all incidents"


def test_within_area_counts_the_boundary_as_inside():
    g = incidents()
    # a box whose west edge passes through call 1 (lon 68.26) and holds calls 2 and 3
    box = shapely.box(68.26, 43.30, 68.285, 43.335)
    assert within_area(g, box).tolist() == [False, True, True, True, False]
    frame = gpd.GeoDataFrame(geometry=[box], crs="EPSG:4326")
    assert within_area(g, frame).tolist() == [False, True, True, True, False]
    assert apply_filters(g, Filters(years=[2020]), area=box).index.tolist() == [1, 2]
