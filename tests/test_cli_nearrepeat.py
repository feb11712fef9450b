"""``hotspots nearrepeat``: the issue's command line and JSON fields, against the library and a
brute-force count on real Vancouver burglaries."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from cli_support import run
from conftest import real_file

VANCOUVER = ("vancouver_vpd_2020", "crimedata_csv_AllNeighbourhoods_2020.csv")
BURGLARY = "Break and Enter Residential/Other"


def test_json_fields_and_counts_on_vancouver_burglaries(capsys):
    path = real_file(*VANCOUVER)
    args = ("--distance-bands", "100,200,300,400", "--time-bands", "7,14,21,28")
    code, out, err = run(
        capsys, "nearrepeat", path, "--crs", "EPSG:32610", "--offenses", BURGLARY,
        *args, "--permutations", "99", "--json",
    )  # fmt: skip
    assert code == 0, err
    rows = json.loads(out)
    assert len(rows) == 16
    assert set(rows[0]) == {
        "distance_band", "time_band", "observed", "expected", "knox_ratio", "p", "near_repeat"
    }  # fmt: skip
    assert rows[0]["distance_band"] == [0.0, 100.0] and rows[0]["time_band"] == [0, 7]
    assert rows[5]["distance_band"] == [100.0, 200.0] and rows[5]["time_band"] == [8, 14]
    # observed pairs within 100 m and 7 days, counted here from the raw file (UTM metres)
    raw = pd.read_csv(path)
    raw = raw[(raw["TYPE"] == BURGLARY) & (raw["X"] > 0)]
    days = pd.to_datetime(raw[["YEAR", "MONTH", "DAY"]].rename(columns=str.lower))
    d = days.to_numpy().astype("datetime64[D]").astype(np.int64)
    x, y = raw["X"].to_numpy(), raw["Y"].to_numpy()
    dist = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    close = (dist <= 100) & (np.abs(d[:, None] - d[None, :]) <= 7)
    # the reader projects lat/lon again (UTM -> WGS84 -> local metric): centimetres, so no
    # pair sits on an edge here; count each pair once
    assert rows[0]["observed"] == int(np.triu(close, 1).sum())
    for r in rows:
        assert r["p"] == round(r["p"] * 100) / 100  # (1 + k) / 100 with 99 runs
        if r["expected"] > 0:
            assert abs(r["knox_ratio"] - r["observed"] / r["expected"]) < 1e-4
    assert rows[0]["near_repeat"] and rows[0]["knox_ratio"] > 1.5


def test_text_table_marks_the_near_repeat_zone(capsys):
    code, out, err = run(capsys, "nearrepeat", "--sample", "--permutations", "19")
    assert code == 0, err
    assert "distance m" in out and "0-100" in out and "8-14" in out
    assert "Near-repeat zone" in out or "No near-repeat band pair" in out


def test_bad_bands_are_one_line_and_exit_2(capsys):
    code, out, err = run(capsys, "nearrepeat", "--sample", "--distance-bands", "200,100")
    assert code == 2 and out == "" and "distance_bands" in err and err.count("\n") == 1
