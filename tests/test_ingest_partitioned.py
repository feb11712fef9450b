"""Partitioned storage: `hotspots ingest --partition` writes a dataset that loads as one file."""

from __future__ import annotations

import json

import h3
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from cli_support import run
from conftest import real_file

from hotspots import engine, grid, temporal
from hotspots.errors import InputError, ParameterError
from hotspots.ingest.batches import ingest_to_parquet
from hotspots.ingest.partitioned import (
    DATASET_FILE,
    dataset_files,
    dataset_metadata,
    ingest_partitioned,
    is_dataset,
    partition_keys,
)
from hotspots.ingest.store import INGEST_KEY
from hotspots.io import read_incidents
from hotspots.sample import sample_paths
from hotspots.validation import SeenIds


def _frame(result) -> pd.DataFrame:
    return pd.DataFrame(result.accepted.drop(columns="geometry", errors="ignore"))


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """The sample ingested as one file and as a dataset by month (blocks of 200 kB)."""
    d = tmp_path_factory.mktemp("part")
    calls = sample_paths().calls
    prov = {"source": "sample", "command": "test"}
    one = ingest_to_parquet(calls, d / "one.parquet", block_bytes=200_000, provenance=prov)
    many = ingest_partitioned(calls, d / "ds.parquet", block_bytes=200_000, provenance=prov)
    return d, one, many


def test_the_dataset_loads_as_the_single_file(both):
    d, _, _ = both
    a, b = read_incidents(d / "ds.parquet"), read_incidents(d / "one.parquet")
    pd.testing.assert_frame_equal(_frame(a), _frame(b))
    assert type(a.accepted) is type(b.accepted)  # with points where the schema has them
    assert (a.rows, a.reasons) == (b.rows, b.reasons)
    pd.testing.assert_frame_equal(a.rejected, b.rejected)


def test_one_partition_per_month_holding_that_months_calls(both):
    d, _, _ = both
    inc = read_incidents(d / "one.parquet").accepted
    months = inc["year"].astype(int).astype(str) + "-" + inc["month"].map("{:02d}".format)
    meta = dataset_metadata(d / "ds.parquet")
    assert sorted(f["partition"] for f in meta["files"]) == sorted(
        "ym=" + m for m in months.unique()
    )
    for f in meta["files"]:
        part = pd.read_parquet(d / "ds.parquet" / f["path"], columns=["year", "month"])
        assert len(part) == f["rows"] == int((months == f["partition"][3:]).sum())
        assert part.drop_duplicates().shape[0] == 1


def test_the_whole_report_and_provenance_are_in_the_metadata(both):
    d, one, many = both
    meta = dataset_metadata(d / "ds.parquet")
    assert {k: v for k, v in many.items() if k != "partitions"} == one
    assert meta["report"]["rejected"] == one["rejected"] > 0
    assert meta["provenance"] == {"source": "sample", "command": "test"}
    assert meta["rows"] == one["accepted"]
    # the Arrow schema beside the files carries the same metadata (for pyarrow / dask)
    common = pq.read_schema(d / "ds.parquet" / "_common_metadata").metadata
    assert json.loads(common[INGEST_KEY])["report"] == meta["report"]
    rejects = pd.read_csv(d / "ds.parquet" / "rejects.csv", encoding="utf-8-sig")
    assert len(rejects) == one["rejected"]


def test_seen_ids_take_a_batch_without_accepted_ids():
    """A block may accept no id at all (all rejected); later lookups still work."""
    seen = SeenIds()
    seen.add(SeenIds.hashes(pd.Series(["a", "b"])))
    seen.add(np.array([], dtype=np.uint64))
    found = seen.contains(SeenIds.hashes(pd.Series(["b", "c"])))
    assert found.tolist() == [True, False]


def test_h3_partitions_are_the_coarse_cells():
    frame = pd.DataFrame({"lat": [43.30, 43.31, 51.1], "lon": [68.25, 68.26, 71.4]})
    keys = partition_keys(frame, "h3")
    want = [f"h3={h3.latlng_to_cell(a, b, 3)}" for a, b in zip(frame.lat, frame.lon, strict=True)]
    assert list(keys) == want
    assert keys[0] == keys[1] != keys[2]


def test_month_keys_name_undated_calls():
    frame = pd.DataFrame(
        {"year": pd.array([2019, None, 2020], "Int64"), "month": pd.array([3, None, 12], "Int64")}
    )
    assert list(partition_keys(frame, "month")) == ["ym=2019-03", "ym=unknown", "ym=2020-12"]


def test_bad_parameters_and_existing_outputs_are_refused(tmp_path):
    calls = sample_paths().calls
    with pytest.raises(ParameterError, match="partition_by"):
        ingest_partitioned(calls, tmp_path / "x", partition_by="week")
    (tmp_path / "x").mkdir()
    with pytest.raises(InputError, match="exists"):
        ingest_partitioned(calls, tmp_path / "x")
    assert not is_dataset(tmp_path / "x")
    with pytest.raises(InputError, match="not a dataset"):
        read_incidents(tmp_path / "x")


def test_a_failed_ingest_leaves_nothing(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError):
        ingest_partitioned(bad, tmp_path / "ds")
    assert list(tmp_path.iterdir()) == [bad]


def test_cli_ingest_partition_then_grid(tmp_path, capsys):
    code, out, err = run(capsys, "ingest", "--sample", "--partition", "-o", tmp_path / "ds.parquet")
    assert code == 0, err
    assert "by month" in out and "rejects.csv" in out
    code, out, err = run(capsys, "ingest", "--sample", "-o", tmp_path / "one.parquet")
    assert code == 0, err
    for name in ("ds.parquet", "one.parquet"):
        code, out, err = run(
            capsys, "grid", tmp_path / name, "--by", "year", "-o", tmp_path / f"{name}.csv"
        )
        assert code == 0, err
    a = pd.read_csv(tmp_path / "ds.parquet.csv")
    b = pd.read_csv(tmp_path / "one.parquet.csv")
    pd.testing.assert_frame_equal(a, b)


def test_cli_engine_dask_needs_a_dataset(tmp_path, capsys):
    code, out, err = run(capsys, "ingest", "--sample", "-o", tmp_path / "one.parquet")
    code, out, err = run(capsys, "grid", tmp_path / "one.parquet", "--engine", "dask")
    assert code == 2
    assert "--partition" in err and "Traceback" not in err
    code, out, err = run(capsys, "grid", tmp_path / "one.parquet", "--scheduler", "tcp://x:1")
    assert code == 2 and "--engine dask" in err


def test_cli_trends_json_on_a_cluster_equals(tmp_path, capsys):
    """The whole command on a running cluster (a 2-worker LocalCluster of threads here:
    worker processes take minutes to start on a loaded 2-core machine)."""
    run(capsys, "ingest", "--sample", "--partition", "-o", tmp_path / "ds.parquet")
    code, single, err = run(capsys, "trends", tmp_path / "ds.parquet", "--json")
    assert code == 0, err
    with engine.connect(n_workers=2, processes=False) as client:
        address = client.scheduler.address
        code, dask, err = run(
            capsys,
            "trends",
            tmp_path / "ds.parquet",
            "--json",
            "--engine",
            "dask",
            "--scheduler",
            address,
        )
    assert code == 0, err
    assert "dashboard http" in err
    assert json.loads(dask) == json.loads(single)


def test_real_chicago_ten_years_partitioned(tmp_path):
    """148k aggravated assaults over ten years: 120 monthly partitions; counts on the engine
    equal those of the file ingested whole."""
    path = real_file("chicago_cpd_2017_2019", "chicago_aggravated_assaults_2010_2019.csv")
    ingest_partitioned(path, tmp_path / "ds")
    ingest_to_parquet(path, tmp_path / "one.parquet")
    inc = read_incidents(tmp_path / "one.parquet").accepted
    assert len(inc) > 100_000
    assert len(dataset_files(tmp_path / "ds")) >= 120
    assert (tmp_path / "ds" / DATASET_FILE).is_file()
    with engine.connect(n_workers=2, processes=False):
        pd.testing.assert_frame_equal(
            engine.count_cells(tmp_path / "ds", 8, by="year"), grid.count_cells(inc, 8, by="year")
        )
        pd.testing.assert_frame_equal(
            engine.yearly_by_offense(tmp_path / "ds"), temporal.yearly_by_offense(inc)
        )
    assert np.isfinite(inc["lat"]).all()


def test_cli_ingest_partitions_a_large_input_by_itself(tmp_path, capsys, monkeypatch):
    """Inputs over the threshold (1 GiB; lowered here to the sample's size) become a dataset
    without --partition, and the user is told."""
    import hotspots.ingest.partitioned as P

    monkeypatch.setattr(P, "AUTO_PARTITION_BYTES", 1000)
    code, out, err = run(capsys, "ingest", "--sample", "-o", tmp_path / "calls.parquet")
    assert code == 0, err
    assert is_dataset(tmp_path / "calls.parquet")
    assert "partitioned by month" in err
    code, out, err = run(
        capsys, "ingest", "--sample", "--venues", "--partition", "-o", tmp_path / "v.parquet"
    )
    assert code == 2 and "only a calls text file" in err
