"""Nothing leaked, nothing lost (issue 10): what the project writes is safe to open and never
destroys what it read.

* No CSV written by the library, the command line or the app holds a cell that a spreadsheet
  would run as a formula (OWASP "CSV injection"): text starting with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return gets a leading ``'``; numbers stay numbers.
* No output overwrites an input (also through a symlink or a hard link), nor another output.
* Every file is written whole or not at all: an interrupted writer leaves the previous file.
"""

from __future__ import annotations

import ast
import csv
import os
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from cli_support import run
from shapely.geometry import Point

from hotspots.output import (
    FORMULA_START,
    atomic_write,
    csv_bytes,
    escape_formula,
    safe_csv_frame,
    write_csv,
    write_table,
)

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "geodata"

#: Text that runs in Excel / LibreOffice when a CSV cell starts with it.
PAYLOADS = ['=HYPERLINK("http://x","y")', "+1", "@SUM(A1)", "-2+3", "=cmd|' /C calc'!A0"]


# --------------------------------------------------------------------------------------------
# The rule
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-", "'-"),
        ("-12.5", "-12.5"),  # a plain negative number stays a number
        ("-3", "-3"),
        ("-1,5", "-1,5"),
        ("-2e3", "-2e3"),
        ("Cafe = bar", "Cafe = bar"),  # only the first character matters
        ("кафе", "кафе"),
        ("", ""),
        (-7, -7),
        (2.5, 2.5),
        (None, None),
    ],
)
def test_escape_formula(value, expected):
    assert escape_formula(value) == expected


def test_safe_frame_quotes_text_and_names_and_keeps_numbers():
    frame = pd.DataFrame(
        {
            "name": ["=HYPERLINK(1)", "Bar", None],
            "kind": pd.Categorical(["@x", "cafe", "cafe"]),
            "label": pd.array(["+1", "-5", "ok"], dtype="string"),
            "calls": [-3, 0, 7],
            "share": [-0.5, np.nan, 1.0],
            "flag": [True, False, True],
            "=bad header": [1, 2, 3],
        }
    )
    before = frame.copy()
    safe = safe_csv_frame(frame)
    assert safe["name"].tolist()[:2] == ["'=HYPERLINK(1)", "Bar"] and pd.isna(safe["name"][2])
    assert safe["kind"].tolist() == ["'@x", "cafe", "cafe"]
    assert safe["label"].tolist() == ["'+1", "-5", "ok"]
    for col in ("calls", "share", "flag"):  # numeric columns: the same values and dtype
        pd.testing.assert_series_equal(safe[col], frame[col])
    assert "'=bad header" in safe.columns
    pd.testing.assert_frame_equal(frame, before)  # the input is not modified


def test_safe_frame_drops_the_geometry():
    gdf = gpd.GeoDataFrame({"name": ["=x"]}, geometry=[Point(68.25, 43.3)], crs=4326)
    assert safe_csv_frame(gdf).columns.tolist() == ["name"]


def test_csv_bytes_and_write_csv(tmp_path):
    frame = pd.DataFrame({"offense": ["@SUM(A1)", "theft"], "n": [-2, 3]})
    data = csv_bytes(frame)
    assert data.startswith(b"\xef\xbb\xbf")  # BOM for spreadsheet programs (Cyrillic)
    assert data.decode("utf-8-sig") == "offense,n\n'@SUM(A1),-2\ntheft,3\n"
    assert csv_bytes(frame, bom=False) == data[3:]
    path = write_csv(frame, tmp_path / "sub" / "t.csv", encoding="utf-8-sig")
    assert path.read_bytes() == data
    assert pd.read_csv(path, encoding="utf-8-sig")["n"].tolist() == [-2, 3]


# --------------------------------------------------------------------------------------------
# Every CSV the CLI writes, on input seeded with formulas
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> dict[str, Path]:
    """Sample calls and venues whose offense types, premises, venue names and kinds are
    spreadsheet formulas, plus a few rows that ingest rejects."""
    folder = tmp_path_factory.mktemp("seeded")
    calls = pd.read_csv(SAMPLE / "calls.csv", dtype=str)
    calls = calls[calls["datetime"] >= "2020-01-01"].head(3000).reset_index(drop=True)
    top = calls["type"].value_counts().index[: len(PAYLOADS)]
    calls["type"] = calls["type"].replace(dict(zip(top, PAYLOADS, strict=True)))
    calls.loc[calls.index % 3 == 0, "place"] = '=HYPERLINK("http://evil")'
    bad = calls.head(4).copy()
    bad["lat"] = ["abc", "", "999", "-2+3"]  # rejected rows carry the payloads too
    bad["id"] = ["=1+1", "+2", "@3", "-4"]
    pd.concat([calls, bad]).to_csv(folder / "calls.csv", index=False)
    venues = pd.read_csv(SAMPLE / "venues.csv", dtype=str)
    venues["name"] = [PAYLOADS[i % len(PAYLOADS)] for i in range(len(venues))]
    venues.loc[venues.index % 2 == 0, "kind"] = "@kind"
    venues.to_csv(folder / "venues.csv", index=False)
    shutil.copy(SAMPLE / "boundary.geojson", folder / "boundary.geojson")
    return {"calls": folder / "calls.csv", "venues": folder / "venues.csv", "dir": folder}


def _cells(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return [cell for row in csv.reader(f) for cell in row]


def _dangerous(cells: list[str]) -> list[str]:
    return [c for c in cells if c.startswith(FORMULA_START) and escape_formula(c) != c]


CLI_CSVS = {
    "grid": (
        ["grid", "--by", "offense,offense_raw,premise", "-o", "{out}/cells.csv"],
        ["cells.csv"],
    ),
    "clusters": (
        [
            "clusters",
            "--venues",
            "{venues}",
            "--eps",
            "150",
            "--min-samples",
            "5",
            "-o",
            "{out}/clusters.csv",
            "--labels",
            "{out}/labels.csv",
        ],
        ["clusters.csv", "labels.csv"],
    ),
    "venues": (
        ["venues", "--venues", "{venues}", "-o", "{out}/ranking.csv", "--curve", "{out}/curve.csv"],
        ["ranking.csv", "curve.csv"],
    ),
    "gistar": (["gistar", "-o", "{out}/gi.csv"], ["gi.csv"]),
    "emerging": (["emerging", "--period", "month", "-o", "{out}/em.csv"], ["em.csv"]),
    "report": (
        ["report", "--venues", "{venues}", "--method", "clusters", "--eps", "150", "-o", "{out}"],
        ["patrol.csv"],
    ),
    "report --presenter": (
        [
            "report",
            "--venues",
            "{venues}",
            "--presenter",
            "--min-count",
            "3",
            "-o",
            "{out}",
        ],
        ["patrol.csv"],
    ),
}


@pytest.mark.parametrize("name", list(CLI_CSVS))
def test_no_cli_csv_cell_runs_as_a_formula(name, seeded, tmp_path, capsys, monkeypatch):
    # the report's CSV needs no browser: skip Chromium (the run then ends with status 2)
    monkeypatch.setenv("HOTSPOTS_CHROMIUM", str(tmp_path / "no-chromium"))
    args, files = CLI_CSVS[name]
    out = tmp_path / "out"
    out.mkdir()
    args = [a.format(out=out, venues=seeded["venues"]) for a in args]
    code, text, err = run(capsys, args[0], seeded["calls"], *args[1:])
    assert code == (2 if name.startswith("report") else 0), err
    quoted = 0
    for f in files:
        cells = _cells(out / f)
        assert _dangerous(cells) == [], f
        quoted += sum(c.startswith("'") and c[1:].startswith(FORMULA_START) for c in cells)
    if name not in ("gistar", "emerging"):  # tables with text from the input
        assert quoted > 0, "the payloads did not reach the file: the test tests nothing"


def test_cli_csv_numbers_stay_numbers(seeded, tmp_path, capsys):
    code, _, err = run(
        capsys,
        "clusters",
        seeded["calls"],
        "--eps",
        "150",
        "--min-samples",
        "5",
        "-o",
        tmp_path / "clusters.csv",
        "--labels",
        tmp_path / "labels.csv",
    )
    assert code == 0, err
    labels = pd.read_csv(tmp_path / "labels.csv")
    assert labels["cluster"].dtype.kind == "i" and (labels["cluster"] == -1).any()  # noise
    assert labels["lat"].dtype.kind == "f" and labels["lon"].dtype.kind == "f"
    summary = pd.read_csv(tmp_path / "clusters.csv")
    assert summary["n_incidents"].dtype.kind == "i"
    assert summary["n_incidents"].sum() == (labels["cluster"] >= 0).sum()


def test_rejects_csv_has_no_formula(seeded, tmp_path, capsys):
    code, _, err = run(capsys, "validate", seeded["calls"], "--rejects", tmp_path / "rejects.csv")
    assert code == 0, err
    cells = _cells(tmp_path / "rejects.csv")
    assert any(c.startswith("'=") for c in cells)
    assert _dangerous(cells) == []


def test_app_patrol_csv_has_no_formula(seeded):
    """The Export page's patrol.csv comes from report.build_report_bundle like the CLI's."""
    from hotspots.io import read_incidents, read_venues
    from hotspots.patrol import PatrolParams
    from hotspots.report import build_report_bundle

    calls = read_incidents(seeded["calls"]).accepted
    venues = read_venues(seeded["venues"]).accepted
    for presenter in (False, True):
        bundle = build_report_bundle(
            calls,
            venues,
            None,
            source="seeded",
            params=PatrolParams(method="clusters", eps=150),
            presenter=presenter,
            files=("patrol.csv",),
        )
        path = seeded["dir"] / f"patrol_{presenter}.csv"
        path.write_bytes(bundle.files["patrol.csv"])
        cells = _cells(path)
        assert _dangerous(cells) == []
        assert any(c.startswith("'") for c in cells)


def _to_csv_calls(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "to_csv"
        and not _made_safe(node.func.value)
    ]


def _made_safe(receiver: ast.expr) -> bool:
    """``safe_csv_frame(frame).to_csv(...)`` is the safe writer too (e.g. batch by batch)."""
    if not isinstance(receiver, ast.Call):
        return False
    f = receiver.func
    return (isinstance(f, ast.Name) and f.id == "safe_csv_frame") or (
        isinstance(f, ast.Attribute) and f.attr == "safe_csv_frame"
    )


#: Where ``DataFrame.to_csv`` may still be called: the safe writer itself, and the ingest's
#: rejects writer until the ingest rebuild routes it through ``output.write_csv``.
TO_CSV_ALLOWED = {"hotspots/output.py"}


def test_every_csv_goes_through_the_safe_writer():
    """The app's downloads (venue ranking, rejected rows, patrol plan) and every library
    writer use hotspots.output (csv_bytes / write_csv / write_table, or
    ``safe_csv_frame(frame).to_csv``), never a bare to_csv."""
    files = [
        ROOT / "app.py",
        *(ROOT / "app_pages").rglob("*.py"),
        *(ROOT / "hotspots").rglob("*.py"),
    ]
    raw = {
        str(f.relative_to(ROOT)): lines
        for f in files
        if str(f.relative_to(ROOT)) not in TO_CSV_ALLOWED and (lines := _to_csv_calls(f))
    }
    assert raw == {}


# --------------------------------------------------------------------------------------------
# Outputs never overwrite inputs
# --------------------------------------------------------------------------------------------


@pytest.fixture
def calls_dir(tmp_path, monkeypatch) -> Path:
    """A folder with calls.csv (300 sample calls), venues.csv and boundary.geojson; cwd."""
    calls = pd.read_csv(SAMPLE / "calls.csv", dtype=str).head(300)
    calls.to_csv(tmp_path / "calls.csv", index=False)
    shutil.copy(SAMPLE / "venues.csv", tmp_path / "venues.csv")
    shutil.copy(SAMPLE / "boundary.geojson", tmp_path / "boundary.geojson")
    (tmp_path / "D").mkdir()
    shutil.copy(tmp_path / "calls.csv", tmp_path / "D" / "patrol.csv")
    os.symlink(tmp_path / "calls.csv", tmp_path / "link.csv")
    os.link(tmp_path / "calls.csv", tmp_path / "hard.csv")
    monkeypatch.chdir(tmp_path)
    return tmp_path


OVERWRITES = {
    "grid -o INPUT": ["grid", "calls.csv", "-o", "calls.csv"],
    "grid -o ./INPUT": ["grid", "calls.csv", "-o", "./D/../calls.csv"],
    "grid -o symlink to INPUT": ["grid", "calls.csv", "-o", "link.csv"],
    "grid INPUT via symlink": ["grid", "link.csv", "-o", "calls.csv"],
    "grid -o hard link to INPUT": ["grid", "calls.csv", "-o", "hard.csv"],
    "validate --rejects INPUT": ["validate", "calls.csv", "--rejects", "calls.csv"],
    "validate --rejects symlink": ["validate", "calls.csv", "--rejects", "link.csv"],
    "clusters --labels = -o": ["clusters", "calls.csv", "-o", "c.csv", "--labels", "./c.csv"],
    "clusters --labels INPUT": ["clusters", "calls.csv", "--labels", "calls.csv"],
    "venues -o --venues": ["venues", "calls.csv", "--venues", "venues.csv", "-o", "venues.csv"],
    "venues --curve INPUT": [
        "venues",
        "calls.csv",
        "--venues",
        "venues.csv",
        "--curve",
        "link.csv",
    ],
    "grid -o --boundary": [
        "grid",
        "calls.csv",
        "--boundary",
        "boundary.geojson",
        "-o",
        "boundary.geojson",
    ],
    "density --contours --boundary": [
        "density",
        "calls.csv",
        "--boundary",
        "boundary.geojson",
        "-o",
        "d.tif",
        "--contours",
        "boundary.geojson",
    ],
    "gistar -o INPUT": ["gistar", "calls.csv", "-o", "link.csv"],
    "emerging -o INPUT": ["emerging", "calls.csv", "-o", "hard.csv"],
    "report -o DIR with DIR/patrol.csv": ["report", "D/patrol.csv", "-o", "D"],
    "report -o DIR with --venues DIR/patrol.csv": [
        "report",
        "calls.csv",
        "--venues",
        "D/patrol.csv",
        "-o",
        "D",
    ],
}


@pytest.mark.parametrize("case", list(OVERWRITES))
def test_output_that_is_an_input_is_refused(case, calls_dir, capsys):
    before = {p: p.read_bytes() for p in calls_dir.rglob("*") if p.is_file()}
    code, out, err = run(capsys, *OVERWRITES[case])
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1, err
    assert lines[0].startswith("error: ") and "would overwrite the" in lines[0]
    assert "choose another output path" in lines[0]
    assert out == ""  # refused before any work
    after = {p: p.read_bytes() for p in calls_dir.rglob("*") if p.is_file()}
    assert after == before  # nothing written, nothing changed


def test_sample_files_are_inputs_too(tmp_path, capsys, monkeypatch):
    """``--sample`` reads geodata/: an output there is refused (a copy stands in for it)."""
    import hotspots.sample

    copy = tmp_path / "geodata"
    shutil.copytree(SAMPLE, copy)
    monkeypatch.setattr(hotspots.sample, "SAMPLE_DIR", copy)
    before = (copy / "boundary.geojson").read_bytes()
    code, out, err = run(
        capsys,
        "density",
        "--sample",
        "-o",
        tmp_path / "d.tif",
        "--contours",
        copy / "boundary.geojson",
    )
    assert code == 2 and "would overwrite the input" in err and "sample's boundary" in err
    assert (copy / "boundary.geojson").read_bytes() == before and out == ""


def test_distinct_outputs_are_written(calls_dir, capsys):
    code, _, err = run(
        capsys, "clusters", "calls.csv", "--min-samples", "5", "-o", "c.csv", "--labels", "l.csv"
    )
    assert code == 0, err
    assert (calls_dir / "c.csv").exists() and (calls_dir / "l.csv").exists()


# --------------------------------------------------------------------------------------------
# Whole files or none
# --------------------------------------------------------------------------------------------


class Boom(Exception):
    pass


@pytest.mark.parametrize("exc", [Boom, KeyboardInterrupt])
@pytest.mark.parametrize("existing", [True, False])
def test_interrupted_write_leaves_the_old_file(tmp_path, exc, existing):
    target = tmp_path / "plan.html"
    if existing:
        target.write_text("old")
    with pytest.raises(exc), atomic_write(target) as tmp:
        tmp.write_text("half a fi")
        raise exc()
    assert list(tmp_path.iterdir()) == ([target] if existing else [])
    if existing:
        assert target.read_text() == "old"


@pytest.mark.parametrize("suffix", [".csv", ".geojson", ".gpkg", ".parquet"])
def test_write_table_interrupted_midway_keeps_the_previous_file(tmp_path, suffix, monkeypatch):
    frame = gpd.GeoDataFrame(
        {"cell": ["a", "b"], "count": [3, 1]},
        geometry=[Point(68.25, 43.3), Point(68.26, 43.31)],
        crs=4326,
    )
    target = write_table(frame, tmp_path / f"out{suffix}")
    before = target.read_bytes()

    def half_then_fail(self, path, *args, **kwargs):
        Path(path).write_bytes(b"half a file")
        raise Boom("disk full")

    for name in ("to_csv", "to_parquet", "to_file"):
        monkeypatch.setattr(pd.DataFrame, name, half_then_fail, raising=False)
        monkeypatch.setattr(gpd.GeoDataFrame, name, half_then_fail)
    with pytest.raises(Boom):
        write_table(frame.assign(count=[9, 9]), target)
    assert target.read_bytes() == before
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left behind


def test_writes_replace_the_file_whole(tmp_path):
    target = tmp_path / "t.csv"
    target.write_text("old,content\n1,2\n")
    write_csv(pd.DataFrame({"a": [1]}), target)
    assert target.read_text() == "a\n1\n"
    assert list(tmp_path.iterdir()) == [target]
