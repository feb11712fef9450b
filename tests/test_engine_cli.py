"""``hotspots evaluate`` and ``hotspots clusters`` with ``--engine dask``: the same output as
the single-machine commands on the same calls (a partitioned sample against the one file)."""

from __future__ import annotations

import json

import engine_support
import pandas as pd
import pytest
from cli_support import run

from hotspots.sample import sample_paths

client, sample_files = engine_support.client, engine_support.sample_files  # fixtures

SPLIT = ("--train-years", "2019,2020", "--test-years", "2021")
# the fixed numbers on both sides: the engine takes a default auto as these (auto needs the
# calls in one process), one machine would compute its own from the training calls
FIXED = ("--resolution", "9", "--bandwidth", "250", "--eps", "100", "--min-samples", "30")


def _dask(client) -> tuple[str, ...]:
    return ("--engine", "dask", "--scheduler", client.scheduler.address)


def test_evaluate_json_equals_the_single_machine_one(client, sample_files, capsys):
    """All four methods: DBSCAN falls short of 5 % on the sample, so each row carries the
    methods scored at its area share (``equal_area``), as on one machine."""
    ds, one = sample_files
    code, out, err = run(capsys, "evaluate", ds, *SPLIT, *FIXED, "--json", *_dask(client))
    assert code == 0, err
    assert "dashboard" in err
    code, ref, err = run(capsys, "evaluate", one, *SPLIT, *FIXED, "--json")
    assert code == 0, err
    got, want = json.loads(out), json.loads(ref)
    assert [r["method"] for r in got] == ["h3", "kde", "dbscan", "gistar"]
    assert "equal_area" in next(r for r in got if r["method"] == "dbscan")
    assert got == want


def test_evaluate_table_by_months_on_a_boundary_equals(client, sample_files, capsys):
    ds, one = sample_files
    args = (
        "--boundary",
        sample_paths().boundary,
        "--train-months",
        "2021-01..2021-03",
        "--test-months",
        "2021-04",
        "--methods",
        "h3,kde",
        "--resolution",
        "8",
        "--bandwidth",
        "250",
        "--coverage",
        "0.1",
    )
    code, out, err = run(capsys, "evaluate", ds, *args, *_dask(client))
    assert code == 0, err
    code, ref, err = run(capsys, "evaluate", one, *args)
    assert code == 0, err
    assert out.replace(ds.name, "X") == ref.replace(one.name, "X")
    assert "fit on 2021-01..2021-03, test on 2021-04" in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--sweep",), "--sweep is not offered with --engine dask"),
        (("--resolution", "auto"), "--resolution auto needs the calls in one process"),
    ],
)
def test_evaluate_on_the_engine_refuses_in_one_line(client, sample_files, capsys, extra, message):
    code, _, err = run(
        capsys, "evaluate", sample_files[0], *SPLIT, "--methods", "h3", *extra, *_dask(client)
    )
    assert code == 2
    assert message in err and "Traceback" not in err


def _labels(path) -> pd.DataFrame:
    return pd.read_csv(path).sort_values("incident_id").reset_index(drop=True)


def test_clusters_equal_the_single_machine_ones(client, sample_files, capsys, tmp_path):
    """The summary (one outline per cluster) and every call's label are those of one
    machine; the labels file lists the calls in partition order."""
    ds, one = sample_files
    args = ("--eps", "150", "--min-samples", "10", "--years", "2020,2021")
    outs = []
    for name, where, engine_args in (("X", ds, _dask(client)), ("X", one, ())):
        folder = tmp_path / where.name.replace(".", "_")
        folder.mkdir()
        code, out, err = run(
            capsys,
            "clusters",
            where,
            *args,
            "-o",
            folder / "c.csv",
            "--labels",
            folder / "l.csv",
            *engine_args,
        )
        assert code == 0, err
        outs.append(out.replace(str(folder), "DIR").replace(where.name, name))
    assert outs[0] == outs[1]
    dask_dir, one_dir = (tmp_path / w.name.replace(".", "_") for w in (ds, one))
    got, want = pd.read_csv(dask_dir / "c.csv"), pd.read_csv(one_dir / "c.csv")
    assert len(got) > 5
    # the centroids are means: summed in another row order, equal to 1e-12 degrees
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=0, atol=1e-12)
    labels, ref_labels = _labels(dask_dir / "l.csv"), _labels(one_dir / "l.csv")
    assert labels["incident_id"].is_unique
    pd.testing.assert_frame_equal(labels, ref_labels)


def test_hdbscan_runs_on_the_gathered_calls(client, sample_files, capsys):
    """HDBSCAN runs on the calls gathered from the partitions too. (A LocalCluster of worker
    processes, the default without --scheduler, is not started here: a spawned worker re-runs
    the test process's __main__, which is app.py once an AppTest ran in it.)"""
    ds, one = sample_files
    args = ("--method", "hdbscan", "--min-samples", "10", "--years", "2021", "--top", "3")
    code, out, err = run(capsys, "clusters", ds, *args, *_dask(client))
    assert code == 0, err
    assert "dashboard" in err
    code, ref, err = run(capsys, "clusters", one, *args)
    assert code == 0, err
    assert out.replace(ds.name, "X") == ref.replace(one.name, "X")
    assert "HDBSCAN" in out


def test_clusters_above_the_limit_are_refused(client, sample_files, capsys, monkeypatch):
    from hotspots import engine

    monkeypatch.setattr(engine, "DBSCAN_MAX_POINTS", 1000)
    code, _, err = run(capsys, "clusters", sample_files[0], *_dask(client))
    assert code == 2
    assert "up to 1,000 incidents" in err and "--years" in err
