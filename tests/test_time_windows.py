"""Time windows at ingest (hotspots.timeaware.windows): from/to columns found by their values
under neutral names, parsed by the ingest parser, kept through ``hotspots ingest``'s
GeoParquet, and used by the hour filter, the hour x weekday table and the patrol plan's peak
hours (hand-computed aoristic weights)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from cli_support import CHICAGO, run
from conftest import real_file

from hotspots import schema as S
from hotspots.columns import ColumnMap
from hotspots.filters import Filters, apply_filters
from hotspots.io import read_incidents
from hotspots.timeaware import aoristic

# c1 id, c2/c3 lat/lon, c4 from (day-first dotted, the main time too), c5 to, c6 offense.
# 2024-01-01 is a Monday.
ROWS = [
    ("1", "43.300", "68.250", "01.01.2024 18:00", "02.01.2024 08:00", "burglary"),  # 14 h
    ("2", "43.301", "68.251", "02.01.2024 20:00", "02.01.2024 23:00", "burglary"),  # 3 h
    ("3", "43.302", "68.252", "03.01.2024 16:00", "03.01.2024 20:00", "theft"),  # 4 h
    ("4", "43.303", "68.253", "04.01.2024 22:30", "04.01.2024 22:30", "burglary"),  # exact
    ("5", "43.304", "68.254", "20.12.2023 09:00", "09.01.2024 09:00", "theft"),  # 20 days
    ("6", "43.305", "68.255", "05.01.2024 12:00", "04.01.2024 08:00", "theft"),  # reversed
    ("7", "43.306", "68.256", "06.01.2024 19:10", "", "burglary"),  # no end: its own hour
    ("8", "43.307", "68.257", "06.01.2024", "06.01.2024", "theft"),  # the whole Saturday
    ("9", "43.308", "68.258", "07.01.2024 01:00", "junk", "burglary"),  # end does not parse
    ("10", "43.309", "68.259", "08.01.2024 02:00", "08.01.2024 06:00", "burglary"),  # 4 h
]


def write_csv(path, rows=ROWS, header=("c1", "c2", "c3", "c4", "c5", "c6")):
    lines = [",".join(header)] + [",".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def windows_csv(tmp_path):
    return write_csv(tmp_path / "burglary.csv")


def test_neutral_names_found_by_values(windows_csv):
    res = read_incidents(windows_csv)
    assert (res.columns.occurred_from, res.columns.occurred_to) == ("c4", "c5")
    assert "by values" in res.detection["time_window"]
    assert res.n_accepted == len(ROWS)  # a bad window never rejects a row
    inc = res.accepted
    assert inc[S.OCCURRED_FROM].dtype == "datetime64[ns]"
    assert inc[S.OCCURRED_FROM].iloc[0] == pd.Timestamp("2024-01-01 18:00")  # day first
    assert inc[S.OCCURRED_TO].iloc[0] == pd.Timestamp("2024-01-02 08:00")
    # a date alone as the end is the end of that day
    assert inc[S.OCCURRED_TO].iloc[7] == pd.Timestamp("2024-01-07 00:00")
    assert pd.isna(inc[S.OCCURRED_TO].iloc[6]) and pd.isna(inc[S.OCCURRED_TO].iloc[8])
    # reversed (no. 6) kept in the table, counted as unknown time with the 20-day window
    assert inc[S.OCCURRED_TO].iloc[5] < inc[S.OCCURRED_FROM].iloc[5]
    assert res.report()["time_windows"] == {
        "usable": 6,
        "too_long": 1,
        "reversed": 1,
        "missing": 2,
    }


def test_named_columns_win_and_names_break_ties(tmp_path):
    # two candidate ends with the same values: the one named like an end is taken
    rows = [r[:5] + (r[4],) + r[5:] for r in ROWS]
    path = write_csv(tmp_path / "two.csv", rows, ("c1", "c2", "c3", "c4", "c5", "конец", "c6"))
    assert read_incidents(path).columns.occurred_to == "конец"
    res = read_incidents(path, columns=ColumnMap(occurred_from="c4", occurred_to="c5"))
    assert (res.columns.occurred_from, res.columns.occurred_to) == ("c4", "c5")
    assert res.detection["time_window"] == "c4 -> c5: given"


@pytest.mark.parametrize(
    ("shift", "header"),
    [
        (pd.Timedelta(days=30), "c5"),  # a month after on most rows: not a window
        (pd.Timedelta(0), "c5"),  # a copy of the start: no window either
        (pd.Timedelta(hours=5), "reported_date"),  # a report time follows the incident
    ],
)
def test_columns_that_are_not_a_window(tmp_path, shift, header):
    start = pd.Timestamp("2024-01-01 18:00") + pd.to_timedelta(np.arange(12) * 7, unit="h")
    end = start + shift
    rows = [
        (str(i), f"43.3{i:02d}", f"68.2{i:02d}", s.strftime("%Y-%m-%d %H:%M"),
         e.strftime("%Y-%m-%d %H:%M"), "theft")
        for i, (s, e) in enumerate(zip(start, end, strict=True))
    ]  # fmt: skip
    path = write_csv(tmp_path / "calls.csv", rows, ("c1", "c2", "c3", "c4", header, "c6"))
    res = read_incidents(path)
    assert res.columns.occurred_from is None and S.OCCURRED_FROM not in res.accepted
    assert "time_windows" not in res.report()


def test_real_chicago_sample_has_no_window():
    res = read_incidents(real_file(*CHICAGO))
    assert res.columns.occurred_from is None
    assert list(res.accepted.columns) == list(S.INCIDENT_COLUMNS)  # nothing changes


def test_ingest_parquet_round_trip(capsys, tmp_path, windows_csv):
    out = tmp_path / "calls.parquet"
    code, said, err = run(capsys, "ingest", windows_csv, "-o", out)
    assert code == 0, err
    assert "time windows (from/to) kept: 6 usable; unknown time: 1 over a week, 1 ending" in said
    schema = pq.read_schema(out)
    assert str(schema.field(S.OCCURRED_FROM).type).startswith("timestamp")
    assert str(schema.field(S.OCCURRED_TO).type).startswith("timestamp")
    direct, stored = read_incidents(windows_csv), read_incidents(out)
    assert "ingested" in stored.detection  # loaded, not validated again
    for col in (S.OCCURRED_FROM, S.OCCURRED_TO):
        pd.testing.assert_series_equal(
            stored.accepted[col].reset_index(drop=True),
            direct.accepted[col].reset_index(drop=True),
            check_dtype=False,
        )
    assert (stored.columns.occurred_from, stored.columns.occurred_to) == ("c4", "c5")
    assert stored.report()["time_windows"] == direct.report()["time_windows"]


def test_ingest_flags_name_the_window(capsys, tmp_path, windows_csv):
    out = tmp_path / "named.parquet"
    code, _, err = run(
        capsys, "ingest", windows_csv, "-o", out, "--from-col", "c4", "--to-col", "c5"
    )
    assert code == 0, err
    assert read_incidents(out).columns.occurred_to == "c5"
    code, _, err = run(capsys, "ingest", windows_csv, "-o", out, "--to-col", "nope")
    assert code == 2 and "--to-col" in err and err.count("\n") == 1


# hand computation: the share of each window in 18:00-24:00 (any weekday)
# 1: Mon 18 -> Tue 08, 14 h, 6 in -> 6/14     2: 20 -> 23, all in -> 1
# 3: 16 -> 20, 2 of 4 in -> 1/2               4: exact 22:30 -> 1
# 5: 20 days, 6: reversed -> unknown (NaN)    7, 9: no end -> the recorded hour (19, 1)
# 8: Saturday 00 -> 24 -> 6/24                10: 02 -> 06 -> 0
SHARES = [6 / 14, 1.0, 0.5, 1.0, np.nan, np.nan, np.nan, 6 / 24, np.nan, 0.0]


def test_hour_filter_weights_equal_a_hand_computation(windows_csv):
    inc = read_incidents(windows_csv).accepted
    share = aoristic.hours_share(inc[S.OCCURRED_FROM], inc[S.OCCURRED_TO], range(18, 24))
    np.testing.assert_allclose(share, SHARES, atol=1e-12)
    # kept: at least half the window in the hours (2, 3, 4), or no window and hour 19 (7)
    kept = apply_filters(inc, Filters(hours=tuple(range(18, 24))))
    assert kept[S.SOURCE_ROW].tolist() == [2, 3, 4, 7]


def test_trends_hour_weekday_uses_the_weights(capsys, windows_csv):
    code, out, err = run(capsys, "trends", windows_csv, "--json")
    assert code == 0, err
    hw = json.loads(out)["hour_weekday"]
    assert (hw["aoristic"], hw["window_too_long"], hw["window_reversed"]) == (6, 1, 1)
    c = hw["counts"]
    assert c["mon"][18] == pytest.approx(1 / 14, abs=1e-6)  # no. 1
    assert c["tue"][20] == pytest.approx(1 / 3, abs=1e-6)  # no. 2 only
    assert c["tue"][7] == pytest.approx(1 / 14, abs=1e-6)
    assert c["wed"][16] == pytest.approx(1 / 4, abs=1e-6)
    assert c["thu"][22] == pytest.approx(1.0, abs=1e-6)
    assert c["sat"][5] == pytest.approx(1 / 24, abs=1e-6)  # no. 8
    assert c["sat"][19] == pytest.approx(1 + 1 / 24, abs=1e-6)  # no. 7 (recorded) + no. 8
    assert c["sun"][1] == pytest.approx(1.0, abs=1e-6)  # no. 9: no end, recorded hour
    assert c["mon"][3] == pytest.approx(1 / 4, abs=1e-6)  # no. 10
    # usable windows (6) and the two without an end count 1 each; 2 are unknown
    assert sum(map(sum, c.values())) == pytest.approx(8.0, abs=168 * 5e-7)  # 6 decimals
    assert hw["unknown"] == 2
    code, out, err = run(capsys, "trends", windows_csv)
    assert code == 0, err
    assert "6 incidents with a from/to window" in out and "1 windows over a week" in out


def test_patrol_peak_hours_from_ingested_windows(capsys, tmp_path):
    from hotspots.patrol import PatrolParams, patrol_plan

    # ten burglaries left at 18:00 and found at 06:00 (recorded at 18:00) and three at 02:00
    # exactly, all in one spot: by the recorded hours a 3-hour peak holds 18:00 (10 calls; the
    # earliest such window, 16-19, on ties); by
    # the windows each of 18..05 holds 10/12 and 00-03, 01-04, 02-05 hold 2.5 + 3 = 5.5
    rows = [
        (str(i), "43.3000", "68.2500", f"{i + 1:02d}.02.2024 18:00", f"{i + 2:02d}.02.2024 06:00",
         "burglary")
        for i in range(10)
    ] + [
        (str(10 + i), "43.3000", "68.2500", f"{i + 1:02d}.03.2024 02:00",
         f"{i + 1:02d}.03.2024 02:00", "burglary")
        for i in range(3)
    ]  # fmt: skip
    csv = write_csv(tmp_path / "left.csv", rows, ("id", "lat", "lon", "c4", "c5", "offense"))
    out = tmp_path / "left.parquet"
    code, _, err = run(capsys, "ingest", csv, "-o", out)
    assert code == 0, err
    inc = read_incidents(out).accepted
    params = PatrolParams(method="cells", top=1, min_count=5, peak_window_h=3)
    plan = patrol_plan(inc, params=params)
    assert plan["peak_hours"].iloc[0] == "00:00–03:00"
    assert plan["peak_hours_pct"].iloc[0] == pytest.approx(100 * 5.5 / 13, abs=1e-6)
    plain = patrol_plan(inc.drop(columns=[S.OCCURRED_FROM, S.OCCURRED_TO]), params=params)
    assert plain["peak_hours"].iloc[0] == "16:00–19:00"  # without windows nothing changes
    assert plain["peak_hours_pct"].iloc[0] == pytest.approx(100 * 10 / 13, abs=1e-6)


def test_dask_engine_uses_the_windows_too(tmp_path, windows_csv):
    from hotspots import engine
    from hotspots.engine.dataset import Source
    from hotspots.ingest.partitioned import ingest_partitioned
    from hotspots.temporal import hour_weekday_table

    ds = tmp_path / "ds"
    ingest_partitioned(windows_csv, ds, partition_by="month", rows_per_file=3)
    inc = read_incidents(windows_csv).accepted
    want, got = hour_weekday_table(inc), engine.hour_weekday_table(ds)
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), atol=1e-12)
    keys = ("unknown", "aoristic", "too_long", "reversed")
    assert [got.attrs[k] for k in keys] == [want.attrs[k] for k in keys] == [2, 6, 1, 1]
    # the hour filter per partition keeps the calls the in-memory filter keeps
    evening = Filters(hours=tuple(range(18, 24)))
    n = engine.hour_weekday_table(Source(str(ds), filters=evening)).to_numpy().sum()
    kept = apply_filters(inc, evening)
    assert n == pytest.approx(hour_weekday_table(kept).to_numpy().sum(), abs=1e-9)


def test_app_upload_keeps_the_windows_for_the_trends_heatmap():
    from app_support import chart_with, goto, new_app, run, texts

    at = goto(run(new_app()), "data")
    data = "\n".join([",".join(("c1", "c2", "c3", "c4", "c5", "c6"))] + [",".join(r) for r in ROWS])
    [w for w in at.file_uploader if w.label == "Calls file"][0].set_value(
        ("burglary.csv", (data + "\n").encode(), "text/csv")
    )
    at = run(at)
    shown = texts(at)
    assert "time windows (from/to): 6 usable, 2 of unknown time" in shown
    assert "2 without both ends" in shown
    at = goto(at, "trends")
    heat = chart_with(at, "day")
    cell = heat[(heat["day"] == "Mon") & (heat["hour"] == 18)]["count"].iloc[0]
    assert cell == pytest.approx(1 / 14, abs=1e-9)  # no. 1's weight, not a whole call
    sat = heat[(heat["day"] == "Sat") & (heat["hour"] == 19)]["count"].iloc[0]
    assert sat == pytest.approx(1 + 1 / 24, abs=1e-9)
    assert heat["count"].sum() == pytest.approx(8.0, abs=1e-9)
    shown = texts(at)
    assert "6 calls have a from/to time window" in shown
    assert "1 windows longer than a week and 1 ending before they start" in shown


def test_a_pair_named_as_a_window_may_be_mostly_long(tmp_path):
    # three of four windows over a week: not a window by values, but date_from/date_to say so
    rows = [
        ("1", "43.300", "68.250", "2024-01-01 18:00", "2024-01-02 08:00", "burglary"),
        ("2", "43.301", "68.251", "2023-12-01 00:00", "2024-01-02 08:00", "burglary"),
        ("3", "43.302", "68.252", "2023-12-02 00:00", "2024-01-03 08:00", "burglary"),
        ("4", "43.303", "68.253", "2023-12-03 00:00", "2024-01-04 08:00", "burglary"),
        ("5", "43.304", "68.254", "2023-12-04 00:00", "2024-01-05 08:00", "burglary"),
        ("6", "43.305", "68.255", "2023-12-05 00:00", "2024-01-05 08:00", "burglary"),
    ]
    header = ("id", "lat", "lon", "date_from", "date_to", "offense")
    res = read_incidents(write_csv(tmp_path / "named.csv", rows, header))
    assert (res.columns.occurred_from, res.columns.occurred_to) == ("date_from", "date_to")
    assert "by name and values" in res.detection["time_window"]
    assert res.report()["time_windows"]["too_long"] == 5
    neutral = ("id", "lat", "lon", "c4", "c5", "offense")
    assert read_incidents(write_csv(tmp_path / "n.csv", rows, neutral)).columns.occurred_to is None


def test_app_mapping_form_names_the_window():
    from app_support import goto, new_app, run, texts

    # long windows under neutral names: not found by values; named in the form instead
    rows = [
        (str(i), f"43.30{i}", f"68.25{i}", f"2023-12-0{i + 1} 00:00", f"2024-01-0{i + 1} 08:00",
         "burglary")
        for i in range(6)
    ]  # fmt: skip
    data = "\n".join([",".join(("id", "lat", "lon", "c4", "c5", "offense"))])
    data += "\n" + "\n".join(",".join(r) for r in rows) + "\n"
    at = goto(run(new_app()), "data")
    [w for w in at.file_uploader if w.label == "Calls file"][0].set_value(
        ("long.csv", data.encode(), "text/csv")
    )
    at = run(at)
    assert "time windows (from/to)" not in texts(at)
    for label, column in (("Window from (earliest time)", "c4"), ("Window to (latest time)", "c5")):
        [w for w in at.selectbox if w.label == label][0].set_value(column)
    [b for b in at.button if b.label == "Load the calls"][0].click()
    at = run(at)
    assert "time windows (from/to): 0 usable, 6 of unknown time" in texts(at)
