"""``hotspots evaluate``: the equal-area table, the hit-rate curve PNG and rolling origin."""

from __future__ import annotations

import json

from cli_support import run

EVALUATE = ("evaluate", "--sample", "--train-years", "2019,2020", "--test-years", "2021")


def test_the_table_marks_the_short_method_and_scores_all_at_its_share(capsys):
    # the case: DBSCAN at the old fixed 100 m / 30 calls covers 2.20 % of the sample
    code, out, err = run(capsys, *EVALUATE, "--eps", "100", "--min-samples", "30")
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


def test_rolling_origin_by_consecutive_periods(capsys):
    # the sample spans 2019-01..2021-12: three 6-month test periods end with 2021-12
    code, out, err = run(
        capsys,
        "evaluate",
        "--sample",
        "--methods",
        "h3",
        "--resolution",
        "9",
        "--rolling",
        "3",
        "--period",
        "6M",
        "--json",
    )
    assert code == 0, err
    doc = json.loads(out)
    assert [s["test_period"] for s in doc["splits"]] == [
        "2020-07..2020-12",
        "2021-01..2021-06",
        "2021-07..2021-12",
    ]
    (row,) = doc["summary"]
    rates = [s["hit_rate"] for s in doc["splits"]]
    mean = sum(rates) / 3
    sd = (sum((r - mean) ** 2 for r in rates) / 2) ** 0.5  # ddof 1
    assert abs(row["hit_rate_mean"] - mean) < 1e-12 and abs(row["hit_rate_sd"] - sd) < 1e-12
    # each period is one evaluation trained on every month before it
    from hotspots.evaluate import evaluate
    from hotspots.sample import load_sample

    s = load_sample()
    months = [f"{y}-{m:02d}" for y in (2019, 2020) for m in range(1, 13)] + [
        f"2021-{m:02d}" for m in range(1, 7)
    ]
    ref = evaluate(
        s.calls,
        train_months=months,
        test_months=[f"2021-{m:02d}" for m in range(7, 13)],
        coverage=0.05,
        methods=["h3"],
        params={"h3": {"resolution": 9}},
        area=s.boundary,
    ).iloc[0]
    assert doc["splits"][2]["hit_rate"] == ref["hit_rate"] and doc["splits"][2]["pai"] == ref["pai"]
    code, _, err = run(capsys, "evaluate", "--sample", "--rolling", "9", "--period", "6M")
    assert code == 2 and "use fewer --rolling splits or a shorter --period" in err
    code, _, err = run(capsys, *EVALUATE, "--period", "3M")
    assert code == 2 and "add --rolling N" in err


def test_auto_is_the_default_and_noted(capsys):
    code, out, err = run(capsys, *EVALUATE, "--methods", "kde,dbscan", "--json")
    assert code == 0, err
    rows = {r["method"]: r["params"] for r in json.loads(out)}
    assert f"kde: auto bandwidth={rows['kde']['bandwidth']:g}" in err
    assert "(computed from the training calls)" in err
