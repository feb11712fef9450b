# ruff: noqa: F811  (the store fixtures are imported from store_support)
"""Reading calls from a database (a table or a query, PostGIS geometry or lat/lon columns):
the same detection and validation as the file with the same rows, from Python and the CLI."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from cli_support import run
from sqlalchemy import create_engine
from store_support import postgis  # noqa: F401  (fixture)

from hotspots.errors import InputError
from hotspots.io import read_incidents
from hotspots.sample import sample_paths
from hotspots.store.database import DatabaseSource


@pytest.fixture(scope="module")
def calls_file():
    return sample_paths().calls


@pytest.fixture(scope="module")
def from_file(calls_file):
    return read_incidents(calls_file)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path, calls_file):
    """A database whose table ``calls`` holds the sample file's rows as text, as loaded."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'police.sqlite'}"
    else:
        url = request.getfixturevalue("postgis").new()
    raw = pd.read_csv(calls_file, dtype=str, keep_default_na=False)
    engine = create_engine(url)
    raw.to_sql("calls", engine, index=False)
    engine.dispose()
    return url


def _rows(result) -> pd.DataFrame:
    """The accepted calls as a set (a table has no row order unless the query sorts)."""
    cols = ["incident_id", "occurred_at", "offense", "lat", "lon"]
    return result.accepted[cols].sort_values(cols).reset_index(drop=True)


def _same_validation(a, b) -> None:
    assert (a.rows, len(a.accepted), a.reasons) == (b.rows, len(b.accepted), b.reasons)
    pd.testing.assert_frame_equal(_rows(a), _rows(b))


def test_a_table_is_validated_like_the_file(db_url, from_file):
    got = read_incidents(DatabaseSource(db_url, table="calls"))
    _same_validation(got, from_file)
    assert got.source.startswith("calls @ ")


def test_a_query_reads_its_rows_only(db_url, from_file):
    query = "SELECT * FROM calls WHERE type = 'Кража' ORDER BY CAST(id AS INTEGER)"
    got = read_incidents(DatabaseSource(db_url, query=query))
    expected = from_file.accepted[from_file.accepted["offense_raw"] == "Кража"]
    assert len(got.accepted) == len(expected) > 0
    assert set(got.accepted["incident_id"]) == set(expected["incident_id"])


def test_postgis_points_in_another_crs_come_back_in_degrees(postgis, from_file):  # noqa: F811
    url = postgis.new()
    acc = from_file.accepted
    pts = gpd.GeoDataFrame(
        {"call_id": acc["incident_id"], "occurred": acc["occurred_at"].astype(str),
         "kind": acc["offense_raw"]},
        geometry=gpd.points_from_xy(acc["lon"], acc["lat"]),
        crs="EPSG:4326",
    ).to_crs("EPSG:32642")  # UTM 42N, metres: the reader must bring them back to WGS84
    engine = create_engine(url)
    pts.to_postgis("cad_calls", engine)
    engine.dispose()
    got = read_incidents(DatabaseSource(url, table="cad_calls"))
    assert len(got.accepted) == len(acc)
    np.testing.assert_allclose(got.accepted["lat"], acc["lat"], atol=1e-7)
    np.testing.assert_allclose(got.accepted["lon"], acc["lon"], atol=1e-7)
    assert got.columns.lat == "geometry_lat"


def test_cli_validate_reads_a_table(capsys, db_url, from_file):
    code, out, err = run(capsys, "validate", db_url, "--table", "calls", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert (report["rows"], report["accepted"]) == (from_file.rows, len(from_file.accepted))
    assert report["reasons"] == from_file.reasons


def test_every_command_reads_a_database(capsys, tmp_path, db_url):
    from_db, from_csv = tmp_path / "db.csv", tmp_path / "file.csv"
    code, _, err = run(capsys, "grid", db_url, "--query", "SELECT * FROM calls", "-o", from_db)
    assert code == 0, err
    code, _, err = run(capsys, "grid", sample_paths().calls, "-o", from_csv)
    assert code == 0, err
    pd.testing.assert_frame_equal(pd.read_csv(from_db), pd.read_csv(from_csv))


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["{url}", "--table", "no_such_table"], "cannot read no_such_table"),
        (["{url}"], "--table NAME or --query"),
        (["{url}", "--table", "calls; DROP TABLE calls"], "--table takes a table name"),
        (["{file}", "--table", "calls"], "give a postgresql:// INPUT"),
    ],
)
def test_database_mistakes_are_one_line(capsys, db_url, args, match):
    argv = [a.format(url=db_url, file=sample_paths().calls) for a in args]
    code, out, err = run(capsys, "validate", *argv)
    assert code == 2 and match in err and err.count("\n") == 1


def test_unreachable_server_is_an_input_error(tmp_path):
    url = f"postgresql://nobody@/none?host={tmp_path}&port=1"
    with pytest.raises(InputError, match="cannot read calls"):
        read_incidents(DatabaseSource(url, table="calls"))
