"""``hotspots aoristic``: weights from from/to columns of a file, unknown windows reported."""

from __future__ import annotations

import json

import pytest
from cli_support import run

CSV = (
    "id,date,date_from,date_to,offense,lat,lon\n"
    "1,2024-01-02 08:00,2024-01-01 18:00,2024-01-02 08:00,burglary,43.30,68.25\n"
    "2,2024-01-03 07:00,2024-01-03 01:00,2024-01-03 07:00,burglary,43.30,68.26\n"
    "3,2024-01-09 09:00,2023-12-20 09:00,2024-01-09 09:00,burglary,43.31,68.25\n"
    "4,2024-01-04 22:30,2024-01-04 22:30,2024-01-04 22:30,burglary,43.31,68.26\n"
)


def test_json_weights_unknown_and_peak(capsys, tmp_path):
    path = tmp_path / "burglary.csv"
    path.write_text(CSV, encoding="utf-8")
    code, out, err = run(capsys, "aoristic", path, "--peak-width", "6", "--json")
    assert code == 0, err
    res = json.loads(out)
    assert (res["used"], res["unknown_time"]) == (3, 1)
    w = res["weights"]
    assert w["mon"][18] == pytest.approx(1 / 14, abs=1e-6)
    assert w["wed"][1] == pytest.approx(1 / 6, abs=1e-6)
    assert w["thu"][22] == 1.0  # an exact time
    assert sum(map(sum, w.values())) == pytest.approx(3.0, abs=1e-5)
    # 6-hour windows by hand: 22-04h holds 6/14 (no. 1) + 1 (no. 4) + 3/6 (no. 2) = 1.93 of
    # 3; 18-24h holds 6/14 + 1 = 1.43, 01-07h 6/14 + 1 = 1.43
    assert res["peak"]["start_hour"] == 22 and res["peak"]["hours"] == 6
    assert res["peak"]["share"] == pytest.approx((6 / 14 + 1 + 3 / 6) / 3, abs=1e-5)


def test_text_and_missing_columns(capsys, tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text(CSV.replace("date_from", "left").replace("date_to", "found"), encoding="utf-8")
    # names that say nothing: the window is found by its values
    code, out, err = run(capsys, "aoristic", path)
    assert code == 0, err
    assert "unknown time (window over 168 h): 1" in out and "peak hours: " in out
    code, out, err = run(capsys, "aoristic", path, "--from", "left", "--to", "found")
    assert code == 0, err
    assert "unknown time (window over 168 h): 1" in out
    # no window at all: one line naming the flags
    plain = tmp_path / "plain.csv"
    rows = [line.split(",") for line in CSV.splitlines()]
    plain.write_text("\n".join(",".join(r[:2] + r[4:]) for r in rows) + "\n", encoding="utf-8")
    code, out, err = run(capsys, "aoristic", plain)
    assert code == 2 and "--from-col and --to-col" in err and err.count("\n") == 1
