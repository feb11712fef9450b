"""Mistakes users make on the command line: every one is a single ``error:`` line, status 2.

Output paths are checked before the input is read, so a bad ``-o`` costs nothing and leaves
no half-written files; click's own usage errors (missing file, bad integer, missing option)
are one line too instead of click's multi-line usage text.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from cli_support import run


def _one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["grid", "-o", "cells.shp"], ["--output cells.shp", ".geojson", ".csv"]),
        (["grid", "-o", "cells.xlsx"], ["--output cells.xlsx", ".gpkg"]),
        (["density", "-o", "d.png"], ["GeoTIFF", ".tif"]),
        (["density", "-o", "d.tif", "--contours", "c.txt"], ["--contours c.txt", ".geojson"]),
        (["clusters", "--labels", "labels.geojson"], ["--labels labels.geojson", ".csv"]),
        (["venues", "--curve", "curve.geojson"], ["--curve curve.geojson", ".csv"]),
        (["validate", "--rejects", "rejects.xlsx"], ["--rejects rejects.xlsx", ".csv"]),
        (["gistar", "-o", "gi.txt"], ["--output gi.txt"]),
        (["emerging", "-o", "em.shp"], ["--output em.shp"]),
    ],
)
def test_bad_output_suffix_is_refused_before_any_work(args, needles, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, args[0], "--sample", *args[1:])
    line = _one_error_line(err)
    assert code == 2
    for needle in needles:
        assert needle in line
    assert out == ""  # nothing computed, nothing printed
    assert list(tmp_path.iterdir()) == []  # and nothing written (d.tif neither)


@pytest.mark.parametrize(
    "args",
    [
        ["grid", "--sample", "-o", "afile.csv/cells.geojson"],
        ["validate", "--sample", "--rejects", "afile.csv/rejects.csv"],
        ["report", "--sample", "-o", "afile.csv/out"],
    ],
)
def test_output_below_a_file_is_refused(args, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile.csv").write_text("x\n")
    code, out, err = run(capsys, *args)
    line = _one_error_line(err)
    assert code == 2 and "afile.csv is a file, not a folder" in line and out == ""


def test_read_only_output_folder_is_refused(tmp_path, capsys):
    if os.geteuid() != 0:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        try:
            code, out, err = run(capsys, "grid", "--sample", "-o", ro / "cells.geojson")
        finally:
            ro.chmod(0o755)
    else:  # root writes anywhere (CI runs as root): run the console script as 'nobody'
        code, out, err = _as_nobody("grid", "--sample", "-o", "{ro}/cells.geojson")
    line = _one_error_line(err)
    assert code == 2 and "no permission to write" in line and out == ""


def _as_nobody(*args: str) -> tuple[int, str, str]:
    """Run ``hotspots *args`` as user nobody in a fresh world-readable folder holding a
    read-only folder ``ro`` (``{ro}`` in ``args`` is its path)."""
    setpriv = shutil.which("setpriv")
    assert setpriv, "util-linux's setpriv is needed to drop root for this test"
    base = Path(tempfile.mkdtemp(prefix="hotspots-ro-"))
    try:
        base.chmod(0o755)
        ro = base / "ro"
        ro.mkdir(mode=0o555)
        ro.chmod(0o555)
        script = Path(sys.executable).with_name("hotspots")
        cmd = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", str(script)]
        cmd += [a.replace("{ro}", str(ro)) for a in args]
        env = {**os.environ, "HOME": str(base), "MPLCONFIGDIR": str(base)}
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=base, env=env, timeout=300)
        assert not any(ro.iterdir())  # nothing was written
        return done.returncode, done.stdout, done.stderr
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_missing_output_folders_are_created(tmp_path, capsys):
    target = tmp_path / "new" / "sub" / "cells.csv"
    code, _, _ = run(capsys, "grid", "--sample", "-o", target)
    assert code == 0 and target.exists()


def test_a_failing_write_is_one_line(tmp_path, capsys, monkeypatch):
    """A write that fails after the checks (disk full, permission) is not a traceback."""
    from hotspots import validation

    def full(self, path):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(validation.IngestResult, "write_rejects", full)
    code, _, err = run(capsys, "validate", "--sample", "--rejects", tmp_path / "r.csv")
    line = _one_error_line(err)
    assert code == 2 and "No space left on device" in line and "r.csv" in line


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["validate", "missing.csv"], ["INPUT", "missing.csv", "does not exist"]),
        (["validate", "afolder"], ["INPUT", "afolder", "directory"]),
        (["grid", "--sample", "--resolution", "abc"], ["--resolution", "abc", "integer"]),
        (["evaluate", "--sample"], ["--train-years"]),
        (["clusters", "--sample", "--method", "kmeans"], ["--method", "kmeans"]),
        (["grid", "--sample", "--boundary", "nope.geojson"], ["--boundary", "nope.geojson"]),
        (["report", "--sample", "-o", "afile.csv"], ["--output", "afile.csv"]),
        (["nonsense"], ["nonsense"]),
    ],
)
def test_usage_errors_are_one_line(args, needles, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afolder").mkdir()
    (tmp_path / "afile.csv").write_text("x\n")
    code, _, err = run(capsys, *args)
    line = _one_error_line(err)
    assert code == 2 and "Usage:" not in err and "--help" in line
    for needle in needles:
        assert needle in line


def test_years_that_are_not_numbers_name_the_value(capsys):
    code, out, err = run(capsys, "grid", "--sample", "--years", "2019,abc")
    line = _one_error_line(err)
    assert code == 2 and out == ""
    assert line == "error: --years takes whole years such as 2019,2020 or 2019-2021, got 'abc'"


@pytest.mark.parametrize("value", ["2", "0", "-0.1", "nan"])
def test_density_top_area_is_checked_before_the_surface_is_printed(value, tmp_path, capsys):
    code, out, err = run(
        capsys, "density", "--sample", "--top-area", value, "-o", tmp_path / "d.tif"
    )
    line = _one_error_line(err)
    assert code == 2 and "top_area" in line and "> 0 and <= 1" in line
    assert out == "" and not (tmp_path / "d.tif").exists()


def test_an_offense_that_matches_nothing_lists_the_offenses(capsys):
    # the sample's offense labels (geodata/README.md): theft, hooliganism, fight, ...
    code, out, err = run(capsys, "grid", "--sample", "--offenses", "hooliganizm")
    line = _one_error_line(err)
    assert code == 2 and out == ""
    assert "no call has offense hooliganizm; the offenses in the data: " in line
    listed = line.split("the offenses in the data: ")[1].split(", ")
    assert {"theft", "hooliganism", "fight"} <= set(listed)


def test_a_misspelt_offense_among_good_ones_is_noted(capsys):
    code, out, err = run(capsys, "grid", "--sample", "--offenses", "theft,hooliganizm")
    assert code == 0 and out.startswith("grid: ")
    notes = [ln for ln in err.splitlines() if "--offenses" in ln]
    assert notes and notes[0].startswith(
        "note: --offenses hooliganizm matched no call of sample (check the spelling); "
        "the offenses in the data: "
    )
    # a raw value in any case is a match, not a misspelling
    code, _, err = run(capsys, "grid", "--sample", "--offenses", "THEFT")
    assert code == 0 and "matched no call" not in err


def test_grid_by_a_column_the_data_lacks_is_one_line(tmp_path, capsys):
    p = tmp_path / "month_only.csv"
    p.write_text("Month,Latitude,Longitude\n2019-05,53.48,-2.24\n2019-06,53.47,-2.25\n")
    code, out, err = run(capsys, "grid", p, "--by", "year,hour", "-o", tmp_path / "c.csv")
    line = _one_error_line(err)
    assert code == 2 and out == "" and not (tmp_path / "c.csv").exists()
    assert line.startswith("error: --by hour: ") and "drop it from --by" in line
    code, out, _ = run(capsys, "grid", p, "--by", "year,month", "-o", tmp_path / "c.csv")
    assert code == 0 and len(pd.read_csv(tmp_path / "c.csv")) == 2


def test_a_file_with_no_usable_row_names_the_reasons(tmp_path, capsys):
    # calls in Turkestan checked against a box around Chicago: every row is outside
    p = tmp_path / "calls.csv"
    p.write_text("lat,lon,date\n43.30,68.25,2020-01-01\n43.31,68.26,2020-01-02\n0,0,2020-01-03\n")
    code, out, err = run(capsys, "grid", p, "--bbox=-88,41.6,-87.5,42.1")
    line = _one_error_line(err)
    assert code == 2 and out == ""
    assert "all 3 rows were rejected (zero_placeholder 1, outside_study_area 2)" in line
    assert f"`hotspots validate {p} --bbox=-88,41.6,-87.5,42.1` says why" in line


def test_years_take_a_range_like_hours_do(capsys, sample):
    # the sample holds 2019-2021 (geodata/README.md)
    code, out, _ = run(capsys, "grid", "--sample", "--years", "2019-2020")
    n = int((sample.calls["year"].isin([2019, 2020])).sum())
    assert code == 0 and out.startswith(f"grid: {n:,} incidents")
    code, _, err = run(capsys, "grid", "--sample", "--years", "2021-2019")
    assert code == 2 and "got '2021-2019'" in _one_error_line(err)


def test_year_filter_on_a_file_without_dates_says_to_name_the_date_column(tmp_path, capsys):
    p = tmp_path / "export.csv"
    p.write_text("Статья УК,lat,lon\n188 ч.2,43.30,68.25\n")  # no column holds dates
    code, out, err = run(capsys, "grid", p, "--years", "2020")
    line = _one_error_line(err)
    assert code == 2 and out == ""
    assert "the calls have no dates" in line and "name the date column with --time" in line
    # a date column under a name no list holds is found by its values
    q = tmp_path / "export2.csv"
    q.write_text("Дата и время регистрации,lat,lon\n01.02.2020 10:15,43.30,68.25\n")
    code, out, _ = run(capsys, "grid", q, "--years", "2020")
    assert code == 0 and out.startswith("grid: 1 incidents")


def test_hotspots_without_a_command_prints_the_help(capsys):
    code, out, err = run(capsys)
    text = out + err
    assert code == 2 and text.startswith("Usage: hotspots [OPTIONS] COMMAND")
    assert "\nCommands:\n" in text and "error:" not in text


# --- running out of memory: one line naming the input, never a traceback ------------------


def _calls_file(tmp_path: Path) -> Path:
    sample = Path(__file__).resolve().parent.parent / "geodata" / "calls.csv"
    p = tmp_path / "calls.csv"
    p.write_text("".join(sample.read_text(encoding="utf-8").splitlines(True)[:300]))
    return p


def _no_memory(*args, **kwargs):
    raise MemoryError


@pytest.mark.parametrize("command", ["grid", "validate", "clusters", "trends", "report"])
def test_memory_error_reading_the_input_is_one_line(command, tmp_path, capsys, monkeypatch):
    from hotspots import io

    monkeypatch.setattr(io, "read_incidents", _no_memory)
    calls = _calls_file(tmp_path)
    extra = ["-o", tmp_path / "out"] if command == "report" else []
    code, out, err = run(capsys, command, calls, *extra)
    line = _one_error_line(err)
    mb = f"({calls.stat().st_size / 2**20:,.0f} MB)"
    assert code == 2 and out == ""
    assert line.startswith(f"error: not enough memory to read {calls} {mb}; ")
    assert "split the file" in line


def test_memory_error_reading_the_venues_names_them(tmp_path, capsys, monkeypatch):
    from hotspots import io

    monkeypatch.setattr(io, "read_venues", _no_memory)
    venues = tmp_path / "venues.csv"
    venues.write_text("name,kind,lat,lon\nBar,bar,43.3,68.25\n")
    code, _, err = run(capsys, "venues", _calls_file(tmp_path), "--venues", venues)
    line = _one_error_line(err)
    assert code == 2 and f"not enough memory to read {venues}" in line


def test_memory_error_in_the_analysis_names_the_command(tmp_path, capsys, monkeypatch):
    import hotspots.grid

    monkeypatch.setattr(hotspots.grid, "count_cells", _no_memory)
    calls = _calls_file(tmp_path)
    code, out, err = run(capsys, "grid", calls)
    line = _one_error_line(err)
    assert code == 2 and line.startswith(
        f"error: not enough memory to run `hotspots grid` on {calls}"
    )


def test_memory_error_anywhere_else_is_one_line(capsys, monkeypatch):
    import hotspots.cli

    monkeypatch.setattr(hotspots.cli.cli, "main", _no_memory)
    code, out, err = run(capsys, "grid", "--sample")
    line = _one_error_line(err)
    assert code == 2 and line.startswith("error: not enough memory")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_dev_zero_is_one_line():
    """A device that never ends: the console script, its memory capped at 1.5 GB."""
    import resource

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (1500 * 2**20, 1500 * 2**20))

    script = Path(sys.executable).with_name("hotspots")
    done = subprocess.run(
        [str(script), "validate", "/dev/zero"],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=cap,
    )
    line = _one_error_line(done.stderr)
    assert done.returncode == 2 and "/dev/zero" in line


# --- report without Chromium: the other files, one line, status 2 ---------------------------

NEED_CHROMIUM = ["briefing.png", "report.html", "report.pdf"]
NO_CHROMIUM = ["patrol.csv", "patrol.geojson", "patrol.html", "briefing.html"]


@pytest.mark.parametrize("broken", ["missing", "fails to start"])
def test_report_without_chromium_writes_the_other_files(broken, tmp_path, capsys, monkeypatch):
    import json

    if broken == "missing":
        exe, reason = tmp_path / "no-chromium", f"Chromium not found at {tmp_path / 'no-chromium'}"
    else:
        exe, reason = tmp_path / "chromium", f"Chromium at {tmp_path / 'chromium'} could not start"
        exe.write_text("#!/bin/sh\nexit 1\n")
        exe.chmod(0o755)
    monkeypatch.setenv("HOTSPOTS_CHROMIUM", str(exe))
    out = tmp_path / "out"
    code, text, err = run(capsys, "report", "--sample", "-o", out, "--tiles", "none")
    # the run's notes (rows rejected at ingest ...) come first, then one error line
    assert "Traceback" not in err and all(ln.startswith("note: ") for ln in err.splitlines()[:-1])
    line = _one_error_line(err.splitlines()[-1])
    assert code == 2
    assert line.startswith(f"error: {', '.join(NEED_CHROMIUM)} not written: {reason}")
    assert line.endswith(
        "install Debian's chromium (apt-get install chromium) or set HOTSPOTS_CHROMIUM to its path"
    )
    assert sorted(p.name for p in out.iterdir()) == sorted(NO_CHROMIUM)  # no temporary files
    assert "8681 calls from sample" in text
    for name in NO_CHROMIUM:
        assert f"{out / name}" in text and (out / name).stat().st_size > 0
    assert len(pd.read_csv(out / "patrol.csv", encoding="utf-8-sig")) == 10
    assert len(json.loads((out / "patrol.geojson").read_text())["features"]) == 10
    assert (out / "briefing.html").read_text().rstrip().endswith("</html>")


def test_render_says_why_chromium_is_unavailable(tmp_path, monkeypatch):
    from hotspots.errors import InputError
    from hotspots.render import BrowserUnavailable, launch_browser

    exe = tmp_path / "chromium"
    exe.write_text("#!/bin/sh\nexit 1\n")
    exe.chmod(0o755)
    monkeypatch.setenv("HOTSPOTS_CHROMIUM", str(exe))
    with pytest.raises(BrowserUnavailable) as info, launch_browser():
        pass
    assert isinstance(info.value, InputError) and "could not start" in info.value.reason
    assert len(str(info.value).splitlines()) == 1


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Debian's chromium")
def test_report_when_chromium_fails_on_the_page(tmp_path, capsys, monkeypatch):
    """Chromium starts but the render fails (a crash, a timeout): the same four files."""
    from playwright.sync_api import Error

    from hotspots import briefing

    def crash(*args, **kwargs):
        raise Error("Target crashed\nBrowser logs: ...")

    monkeypatch.setattr(briefing, "briefing_png", crash)
    out = tmp_path / "out"
    code, _, err = run(capsys, "report", "--sample", "-o", out, "--tiles", "none")
    line = _one_error_line(err.splitlines()[-1])
    assert code == 2 and "Traceback" not in err
    assert line.startswith(
        f"error: {', '.join(NEED_CHROMIUM)} not written: Chromium failed while rendering "
        "(Target crashed)"
    )
    assert sorted(p.name for p in out.iterdir()) == sorted(NO_CHROMIUM)
