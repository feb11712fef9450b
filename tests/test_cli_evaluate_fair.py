"""``hotspots evaluate``: the equal-area table, the hit-rate curve PNG and rolling origin."""

from __future__ import annotations

import json

from cli_support import run

EVALUATE = ("evaluate", "--sample", "--train-years", "2019,2020", "--test-years", "2021")


def test_the_table_marks_the_short_method_and_scores_all_at_its_share(capsys):
    code, out, err = run(capsys, *EVALUATE)
    assert code == 0, err
    lines = out.splitlines()
    dbscan = next(ln for ln in lines if ln.startswith("-  dbscan"))
    assert "2.20%" in dbscan  # the clusters' share of the 5 %
    assert any(ln.startswith("*  kde") for ln in lines)  # best among the comparable rows
    assert "At dbscan's area share (2.20%), every method:" in out
    block = out.split("At dbscan's area share")[1].splitlines()[2:6]
    assert [ln.split()[0] for ln in block] == ["h3", "kde", "dbscan", "gistar"]


def test_the_curve_is_a_png(capsys, tmp_path):
    path = tmp_path / "hit.png"
    code, _, err = run(capsys, *EVALUATE, "--methods", "h3,kde", "--curve", str(path))
    assert code == 0, err
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5_000


def test_rolling_origin_prints_mean_and_spread(capsys):
    code, out, err = run(
        capsys, "evaluate", "--sample", "--methods", "h3", "--rolling", "2", "--json"
    )
    assert code == 0, err
    doc = json.loads(out)
    assert [s["test_year"] for s in doc["splits"]] == [2020, 2021]
    (row,) = doc["summary"]
    mean = sum(s["hit_rate"] for s in doc["splits"]) / 2
    assert row["method"] == "h3" and abs(row["hit_rate_mean"] - mean) < 1e-12
    code, _, err = run(capsys, *EVALUATE, "--rolling", "2")
    assert code == 2 and "--rolling chooses the years itself" in err


def test_auto_values_are_noted(capsys):
    code, out, err = run(
        capsys, *EVALUATE, "--methods", "dbscan", "--eps", "auto", "--min-samples", "auto", "--json"
    )
    assert code == 0, err
    params = json.loads(out)[0]["params"]
    assert isinstance(params["eps"], float | int) and isinstance(params["min_samples"], int)
    assert f"dbscan: auto eps={params['eps']:g} min_samples={params['min_samples']}" in err
