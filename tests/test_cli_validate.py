"""``hotspots validate``: the report, --json, --rejects and one-line errors with status 2."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from cli_support import run

CSV = (
    "id,date,type,lat,lon\n"
    "1,2020-01-01 10:00,Кража,43.30,68.25\n"
    "2,2020-01-02 11:00,Драка,,68.26\n"
    "3,2020-01-03 12:00,ДТП,0,0\n"
    "4,2020-13-01 12:00,ДТП,43.31,68.26\n"
    "1,2020-01-04 12:00,ДТП,43.31,68.27\n"
)


@pytest.fixture
def calls(tmp_path: Path) -> Path:
    p = tmp_path / "calls.csv"
    p.write_text(CSV, encoding="utf-8")
    return p


def test_text_report(calls: Path, capsys) -> None:
    code, out, err = run(capsys, "validate", str(calls))
    assert code == 0 and err == ""
    assert "calls.csv (incidents): 5 rows, 1 accepted, 4 rejected" in out
    lines = {ln.split()[0]: ln.split()[1] for ln in out.splitlines() if ln.startswith("  ")}
    assert lines["missing_coordinates"] == "1"
    assert lines["zero_placeholder"] == "1"
    assert lines["unparseable_date"] == "1"
    assert lines["duplicate_id"] == "1"
    assert lines["out_of_range"] == "0"
    assert lines["time"] == "date" and lines["offense"] == "type"
    assert "Time precision: minute" in out


def test_json_report_and_rejects(calls: Path, tmp_path: Path, capsys) -> None:
    rejects = tmp_path / "rej.csv"
    code, out, _ = run(capsys, "validate", str(calls), "--json", "--rejects", str(rejects))
    assert code == 0
    rep = json.loads(out)  # one JSON object, nothing else
    assert (rep["rows"], rep["accepted"], rep["rejected"]) == (5, 1, 4)
    assert rep["reasons"]["duplicate_id"] == 1
    assert sum(rep["reasons"].values()) == rep["rejected"]
    assert rep["rejects_file"] == str(rejects)
    back = pd.read_csv(rejects, dtype=str, keep_default_na=False)
    assert back["source_row"].tolist() == ["2", "3", "4", "5"]
    assert back["reason"].tolist() == [
        "missing_coordinates",
        "zero_placeholder",
        "unparseable_date",
        "duplicate_id",
    ]


def test_column_flags_and_bbox(tmp_path: Path, capsys) -> None:
    p = tmp_path / "odd.csv"
    p.write_text("n;e;when;what\n43,30;68,25;19.07.2017 13:45;Кража\n43,40;68,25;20.07.2017;x\n")
    argv = ["validate", str(p), "--lat", "n", "--lon", "e", "--time", "when", "--type", "what"]
    code, out, _ = run(capsys, *argv, "--bbox", "68.2,43.25,68.3,43.35", "--json")
    rep = json.loads(out)
    assert code == 0 and rep["accepted"] == 1 and rep["reasons"]["outside_study_area"] == 1
    assert rep["columns"]["offense"] == "what"
    assert rep["time_precision"] == "minute"  # of the accepted row


def test_projected_with_crs(tmp_path: Path, capsys) -> None:
    p = tmp_path / "v.csv"
    p.write_text(
        "TYPE,YEAR,MONTH,DAY,HOUR,MINUTE,X,Y\nMischief,2020,6,19,3,40,491059.48,5459122.42\n"
    )
    code, _, err = run(capsys, "validate", str(p))
    assert code == 2 and "--crs" in err and len(err.strip().splitlines()) == 1
    code, out, _ = run(capsys, "validate", str(p), "--crs", "EPSG:32610", "--json")
    assert code == 0 and json.loads(out)["accepted"] == 1


def test_venues_flag(tmp_path: Path, capsys) -> None:
    p = tmp_path / "premises.csv"
    p.write_text("PREMISESNAME,latitude,longitude\nRain Bar,53.4746719,-2.245182\nX,,\n")
    code, out, _ = run(capsys, "validate", str(p), "--venues", "--json")
    rep = json.loads(out)
    assert code == 0 and rep["kind"] == "venues"
    assert (rep["accepted"], rep["reasons"]["missing_coordinates"]) == (1, 1)
    assert "unparseable_date" not in rep["reasons"]


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("a,b,c\n1,2,3\n", "no coordinate columns found in bad.csv (columns: a, b, c)"),
        ("", "bad.csv is empty"),
        ("lat,lon\n", "no data rows"),
    ],
)
def test_unusable_file_exits_2_with_one_line(tmp_path: Path, capsys, content, needle) -> None:
    p = tmp_path / "bad.csv"
    p.write_text(content)
    code, out, err = run(capsys, "validate", str(p))
    assert code == 2 and out == ""
    assert err.startswith("error: ") and needle in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--lat", "nope"], "column 'nope' given with --lat"),
        (["--crs", "EPSG:99999999"], "--crs"),
        (["--bbox", "1,2,3"], "--bbox"),
        (["--encoding", "klingon"], "unknown encoding"),
        (["--name", "x"], "--venues"),
    ],
)
def test_bad_flags(calls: Path, capsys, args: list[str], needle: str) -> None:
    code, _, err = run(capsys, "validate", str(calls), *args)
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1


def test_no_input(capsys) -> None:
    code, _, err = run(capsys, "validate")
    assert code == 2 and "--sample" in err


def test_sample(capsys) -> None:
    # the bundled sample with its boundary: the defects listed in geodata/README.md
    code, out, _ = run(capsys, "validate", "--sample", "--json")
    rep = json.loads(out)
    assert code == 0 and (rep["rows"], rep["accepted"], rep["rejected"]) == (8692, 8681, 11)
    assert rep["reasons"]["outside_study_area"] == 2


def test_analysis_commands_note_the_rejected_rows(calls: Path, capsys) -> None:
    # CSV above: row 2 has no lat, row 3 is (0, 0), row 4 is month 13, row 5 repeats id 1
    code, out, err = run(capsys, "trends", str(calls), "--json")
    assert code == 0 and json.loads(out)["n_incidents"] == 1  # stdout is the JSON alone
    assert err == (
        "note: 4 of 5 rows of " + str(calls) + " rejected (missing_coordinates 1, "
        "zero_placeholder 1, unparseable_date 1, duplicate_id 1); "
        f"`hotspots validate {calls}` lists them\n"
    )
    # a failed run prints its error only
    code, _, err = run(capsys, "trends", str(calls), "--from-year", "1999")
    assert code == 2 and err.startswith("error: from_year") and err.count("\n") == 1


@pytest.mark.parametrize("command", ["grid", "gistar", "clusters", "trends"])
def test_filters_that_keep_nothing_are_one_line_errors(command: str, capsys) -> None:
    # the sample's calls are from 2019-2021 (geodata/README.md)
    code, out, err = run(capsys, command, "--sample", "--years", "1990", "--hours", "1-3")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("error: no calls pass the filters (years 1990; hours 1-3)")
    assert "the data covers 2019-2021" in err


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (
            ("--hours", "18-23"),
            "does not record hours (its dates are to the day or the month); drop --hours",
        ),
        (
            ("--weekdays", "sat"),
            "does not record weekdays (its dates are to the day or the month); drop --weekdays",
        ),
        (("--hours", "1", "--weekdays", "sun"), "does not record hours or weekdays"),
    ],
)
def test_hour_filters_on_month_only_data_say_the_data_has_no_hours(
    tmp_path: Path, capsys, flags: tuple[str, ...], says: str
) -> None:
    # police.uk style: a Month column and nothing finer, as Greater Manchester publishes
    p = tmp_path / "month_only.csv"
    p.write_text(
        "Month,Latitude,Longitude,Crime type\n2019-05,53.48,-2.24,Burglary\n"
        "2019-06,53.47,-2.25,Burglary\n"
    )
    code, out, err = run(capsys, "grid", str(p), *flags)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert says in err and "widen" not in err


def test_a_file_with_no_usable_row_is_a_one_line_error(tmp_path: Path, capsys) -> None:
    p = tmp_path / "bad.csv"
    p.write_text("lat,lon,date\n,,2020-01-01\n0,0,2020-01-01\n")
    code, _, err = run(capsys, "grid", str(p))
    assert code == 2 and err.count("\n") == 1
    assert "all 2 rows were rejected" in err and f"hotspots validate {p}" in err


def test_console_script_has_no_traceback(tmp_path: Path) -> None:
    # end to end in a fresh interpreter, as a user runs it
    p = tmp_path / "calls.csv"
    p.write_text("a;b\n1;2\n")
    proc = subprocess.run(
        [sys.executable, "-c", "from hotspots.cli import main; main()", "validate", str(p)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip() == (
        "error: no coordinate columns found in calls.csv (columns: a, b); "
        "name them with --lat/--lon or --x/--y --crs EPSG:...."
    )


def test_the_note_names_a_validate_command_that_reproduces_the_rejections(
    tmp_path: Path, capsys
) -> None:
    # Vancouver style: UTM X/Y (needs --crs), a withheld X = Y = 0 row, and a row outside the
    # --bbox; the note's command must need no more flags than the run had
    p = tmp_path / "v.csv"
    p.write_text(
        "TYPE,YEAR,MONTH,DAY,HOUR,MINUTE,X,Y\n"
        "Mischief,2020,6,19,3,40,491059.48,5459122.42\n"
        "Mischief,2020,6,19,3,41,0,0\n"
        "Mischief,2020,6,19,3,42,491159.48,5459222.42\n"
        "Theft,2020,6,20,4,10,540000.00,5459122.42\n"  # ~49 km east: outside the box
    )
    bbox = "-123.3,49.1,-122.9,49.4"
    code, _, err = run(capsys, "grid", p, "--crs", "EPSG:32610", f"--bbox={bbox}")
    assert code == 0
    assert "2 of 4 rows" in err and "zero_placeholder 1, outside_study_area 1" in err
    command = err.split("`")[1]
    assert command == f"hotspots validate {p} --crs EPSG:32610 --bbox={bbox}"
    code, out, _ = run(capsys, *command.split()[1:], "--json")
    rep = json.loads(out)
    assert code == 0 and (rep["accepted"], rep["rejected"]) == (2, 2)
    assert rep["reasons"]["zero_placeholder"] == rep["reasons"]["outside_study_area"] == 1


def test_the_venue_note_names_the_venue_file(tmp_path: Path, capsys) -> None:
    venues = tmp_path / "premises.csv"
    venues.write_text("PREMISESNAME,latitude,longitude\nRain Bar,43.30,68.25\nX,,\n")
    calls = tmp_path / "calls.csv"
    calls.write_text("date,lat,lon\n2020-01-01 10:00,43.3001,68.2501\n")
    code, _, err = run(capsys, "venues", calls, "--venues", venues)
    assert code == 0
    assert (
        "note: 1 of 2 rows of the venue file rejected (missing_coordinates 1); "
        f"`hotspots validate {venues} --venues` lists them"
    ) in err


def _state_plane_file(tmp_path: Path) -> tuple[Path, list[float], list[float]]:
    """Chicago-style X/Y in Illinois State Plane East feet (EPSG:3435) and their degrees."""
    from pyproj import Transformer

    x, y = [1161120.0, 1170260.0, 1192487.0], [1858829.0, 1924854.0, 1853027.0]
    p = tmp_path / "chicago_xy.csv"
    p.write_text(
        "date,x_coordinate,y_coordinate\n"
        + "".join(
            f"2019-06-0{i + 1} 10:00,{a},{b}\n" for i, (a, b) in enumerate(zip(x, y, strict=True))
        )
    )
    lon, lat = Transformer.from_crs("EPSG:3435", "EPSG:4326", always_xy=True).transform(x, y)
    return p, list(lon), list(lat)


def test_validate_prints_where_the_points_are(tmp_path: Path, capsys) -> None:
    p, lon, lat = _state_plane_file(tmp_path)
    code, out, _ = run(capsys, "validate", p, "--crs", "EPSG:3435")
    assert code == 0 and "warning" not in out
    assert (
        f"Accepted points lie within lat {min(lat):.4f}..{max(lat):.4f}, "
        f"lon {min(lon):.4f}..{max(lon):.4f}"
    ) in out
    code, out, _ = run(capsys, "validate", p, "--crs", "EPSG:3435", "--json")
    ext = json.loads(out)["extent"]
    assert ext["min_lat"] == pytest.approx(min(lat)) and ext["max_lon"] == pytest.approx(max(lon))
    assert "crs_warning" not in json.loads(out)


def test_a_wrong_projected_crs_is_flagged(tmp_path: Path, capsys) -> None:
    # State Plane feet read as UTM zone 10N convert to valid degrees in the Pacific off
    # Mexico (about 17 N, 117 W): every row is accepted, so say where they landed
    p, _, _ = _state_plane_file(tmp_path)
    code, out, _ = run(capsys, "validate", p, "--crs", "EPSG:32610")
    warning = next(line for line in out.splitlines() if line.startswith("warning: "))
    assert code == 0 and warning.startswith(
        "warning: 3 of 3 accepted points lie outside the area where EPSG:32610 "
        "(WGS 84 / UTM zone 10N) is used (lon -126..-120, lat 0..84)"
    )
    assert "check --crs" in warning
    code, _, err = run(capsys, "grid", p, "--crs", "EPSG:32610")
    assert code == 0 and "note: 3 of 3 accepted points lie outside" in err
    code, _, err = run(capsys, "grid", p, "--crs", "EPSG:3435")
    assert code == 0 and "outside the area" not in err


def test_validate_says_which_analysis_columns_were_not_found(tmp_path: Path, capsys) -> None:
    # a Russian export whose date and article headers are not among the known names: the
    # date is found by its values, the article ("188 ч.2", not words) is not an offense
    p = tmp_path / "export.csv"
    p.write_text(
        "№ п/п;Дата и время регистрации;Статья УК;Координата X;Координата Y\n"
        "1;01.02.2020 10:15;188 ч.2;68,2456;43,3012\n",
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "validate", p)
    assert code == 0
    assert "  not found: offense (--type); name the column with the flag" in out
    assert re.search(r"^  time +Дата и время регистрации$", out, re.M)
    code, out, _ = run(
        capsys, "validate", p, "--time", "Дата и время регистрации", "--type", "Статья УК", "--json"
    )
    rep = json.loads(out)
    assert "columns_not_found" not in rep and rep["time_precision"] == "minute"
    code, out, _ = run(capsys, "validate", p, "--json")
    rep = json.loads(out)
    assert rep["columns_not_found"] == {"offense": "--type"}
    assert rep["columns"]["time"] == "Дата и время регистрации"
