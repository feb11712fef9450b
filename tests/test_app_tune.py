"""The Tune page (AppTest): parameters drive the map and the method comparison together;
saved parameters go into the URL and are shown with every map."""

from __future__ import annotations

import json

import pytest
from app_support import goto, map_args, new_app, run, sample, table_with, texts

from hotspots.evaluate import evaluate


def control(at, kind: str, label: str):
    return [w for w in getattr(at, kind) if w.label == label][0]


def comparison(at):
    return table_with(at, "PAI").set_index("Method")


#: The old fixed numbers, given in the URL (explicit values win over auto).
FIXED_URL = {"res": "9", "bw": "250", "eps": "100", "minpts": "30"}
FIXED_PARAMS = {
    "h3": {"resolution": 9},
    "kde": {"bandwidth": 250.0},
    "dbscan": {"eps": 100.0, "min_samples": 30},
    "gistar": {"resolution": 9},
}


@pytest.mark.parametrize("query", [{}, FIXED_URL], ids=["auto", "fixed"])
def test_comparison_matches_the_library_for_the_same_parameters(query):
    # auto (the default) in the app and in the library are computed from the same training
    # calls; numbers given in the link are used as given
    s = sample()
    at = goto(run(new_app(query)), "tune")
    table = comparison(at)
    ref = evaluate(
        s.calls,
        train_years=[2019, 2020],
        test_years=[2021],
        coverage=0.05,
        params=FIXED_PARAMS if query else None,
        area=s.boundary,
    ).set_index("method")
    for method, label in (
        ("h3", "H3 cells"),
        ("kde", "Kernel density"),
        ("dbscan", "DBSCAN clusters"),
    ):
        assert table.loc[label, "PAI"] == pytest.approx(round(ref.loc[method, "pai"], 2))
        assert table.loc[label, "Hit rate, %"] == pytest.approx(
            round(100 * ref.loc[method, "hit_rate"], 1)
        )
    assert "Fitted on 2019, 2020, tested on 2021" in texts(at)
    if not query:  # the numbers auto took on the training calls are shown
        bw = ref.loc["kde", "params"]["bandwidth"]
        assert f"Kernel density: bandwidth={bw:g}" in texts(at)


def test_parameters_update_map_and_comparison_together():
    at = goto(run(new_app()), "tune")
    before_table, before_map = comparison(at), map_args(at)["script"]
    control(at, "slider", "H3 resolution").set_value(8)
    run(at)
    after_table, after_map = comparison(at), map_args(at)["script"]
    assert after_map != before_map
    assert after_table.loc["H3 cells", "PAI"] != before_table.loc["H3 cells", "PAI"]
    assert "current values not saved" in texts(at)


@pytest.mark.parametrize(
    ("method", "label"),
    [
        ("h3", "H3 cells"),
        ("kde", "Kernel density"),
        ("dbscan", "DBSCAN clusters"),
        ("gistar", "Gi* hot spots"),
    ],
)
def test_the_map_draws_the_areas_the_table_measured(method, label):
    # the areas the method selected at the coverage, numbered: not every cluster or cell
    from hotspots.evaluate import compare, selected_areas

    s = sample()
    comp = compare(
        s.calls,
        train_years=[2019, 2020],
        test_years=[2021],
        coverage=0.05,
        params=views_params().method_params(),
        area=s.boundary,
    )
    areas = selected_areas(comp, method, 0.05)
    hits = int(comp.table.set_index("method").loc[method, "hits_test"])
    assert int(areas["test_calls"].sum()) == hits  # what the table counted
    at = goto(run(new_app()), "tune")
    [r for r in at.radio if r.label == "Method on the map"][0].set_value(method)
    run(at)
    args = map_args(at)
    assert "Areas selected in the comparison" in args["script"] + args["html"]
    assert args["script"].count("var div_icon_") == min(len(areas), 100)  # the rank numbers
    assert f"{label}: the {len(areas)} areas selected at 5 % of the area" in texts(at)
    assert f"({hits:,} of the test period's calls inside)" in texts(at)
    assert comparison(at).loc[label, "Areas"] == len(areas)


def views_params():
    from hotspots.views import Params

    return Params()


def test_saving_puts_the_parameters_in_the_url_and_under_every_map():
    at = goto(run(new_app()), "tune")
    control(at, "slider", "DBSCAN radius (eps), m").set_value(150)
    control(at, "slider", "Bandwidth, m").set_value(400)
    control(at, "selectbox", "Kernel").set_value("gaussian")
    run(at)
    download = [b for b in at.get("download_button")]
    assert download  # JSON of the working parameters
    [b for b in at.button if b.label == "Save parameters"][0].click()
    run(at)
    assert at.query_params["eps"] == "150"
    assert at.query_params["bw"] == "400"
    assert at.query_params["kernel"] == "gaussian"
    at = goto(at, "map")
    assert "bandwidth 400 m (Gaussian) · DBSCAN 150 m" in texts(at)
    # a fresh session opened on that URL gets the same parameters
    fresh = run(new_app(dict(at.query_params)))
    assert "bandwidth 400 m (Gaussian) · DBSCAN 150 m" in texts(fresh)


def test_the_json_download_holds_the_parameters():
    from hotspots.views import Params, params_json

    doc = params_json(Params(eps_m=150.0), None)
    assert json.loads(json.dumps(doc))["parameters"]["eps_m"] == 150.0
    assert Params.from_dict(doc["parameters"]) == Params(eps_m=150.0)


def test_one_year_is_compared_by_months_as_the_cli_does():
    # a one-year filter (or a one-year file such as Vancouver 2020): January-September
    # predicts October-December, as `hotspots evaluate --train-months/--test-months`
    s = sample()
    at = goto(run(new_app({"years": "2021", "bw": "250"})), "tune")
    assert "Fitted on 2021-01..2021-09, tested on 2021-10..2021-12" in texts(at)
    months = [f"2021-{m:02d}" for m in range(1, 13)]
    ref = evaluate(
        s.calls[s.calls["year"] == 2021],
        train_months=months[:9],
        test_months=months[9:],
        coverage=0.05,
        params={"kde": {"bandwidth": 250.0}},
        methods=["kde"],
        area=s.boundary,
    ).iloc[0]
    table = comparison(at)
    assert table.loc["Kernel density", "PAI"] == pytest.approx(round(ref["pai"], 2))


def test_too_few_months_explain_why_there_is_no_comparison(tmp_path, monkeypatch):
    # a file of one year and two months: nothing to fit on and predict
    calls = tmp_path / "calls.csv"
    calls.write_text(
        "date,type,latitude,longitude\n"
        "2023-05-01 22:10,theft,43.2970,68.2510\n"
        "2023-06-02 23:40,fight,43.2980,68.2520\n"
    )
    monkeypatch.setenv("HOTSPOTS_CALLS", str(calls))
    at = goto(run(new_app()), "tune")
    assert "at least two years, or from at least 4 months of one year" in texts(at)
    assert not [df for df in at.dataframe if "PAI" in df.value.columns]


def test_coverage_and_min_samples_drive_the_comparison():
    at = goto(run(new_app()), "tune")
    before = comparison(at)
    control(at, "select_slider", "Coverage (share of the area)").set_value(0.1)
    control(at, "slider", "DBSCAN minimum calls").set_value(60)
    run(at)
    after = comparison(at)
    assert after.loc["H3 cells", "Area, %"] > before.loc["H3 cells", "Area, %"]
    assert after.loc["H3 cells", "Area, %"] <= 10.0
    assert after.loc["DBSCAN clusters", "Areas"] != before.loc["DBSCAN clusters", "Areas"]
    assert "at most 10 % of the area" in texts(at)


def test_revert_goes_back_to_the_saved_parameters():
    at = goto(run(new_app({"res": "10"})), "tune")
    assert control(at, "slider", "H3 resolution").value == 10
    control(at, "slider", "H3 resolution").set_value(8)
    run(at)
    assert "current values not saved" in texts(at)
    [b for b in at.button if b.label == "Back to the saved ones"][0].click()
    run(at)
    assert control(at, "slider", "H3 resolution").value == 10
    assert "current values not saved" not in texts(at)


def _columns(at, column: str) -> dict:
    shown = [d for d in at.dataframe if column in d.value.columns][0]
    return json.loads(shown.proto.columns)


def test_comparison_numbers_use_the_language_decimal_mark_and_show_every_column():
    s = sample()
    ref = evaluate(
        s.calls,
        train_years=[2019, 2020],
        test_years=[2021],
        coverage=0.05,
        params={"dbscan": {"eps": 100.0, "min_samples": 30}},
        methods=["dbscan"],
        area=s.boundary,
    ).set_index("method")
    at = goto(run(new_app({"lang": "ru", **FIXED_URL})), "tune")
    table = table_with(at, "PAI").set_index("Метод")
    assert list(table.columns) == [
        "Доля попаданий, %",
        "PAI",
        "PEI",
        "RRI",
        "Площадь, %",
        "Участков",
        "Сравним",
    ]
    row = table.loc["Кластеры DBSCAN"]
    pai = f"{ref.loc['dbscan', 'pai']:.2f}".replace(".", ",")
    hit = f"{100 * ref.loc['dbscan', 'hit_rate']:.1f}".replace(".", ",")
    assert row["PAI"] == pai and row["Доля попаданий, %"] == hit  # "13,69", not "13.69"
    # DBSCAN flags 2.2 % of the 5 %: the highest PAI, but not comparable, so never "best"
    assert row["Сравним"] == "нет"
    kde = table.loc["Ядерная плотность"]
    assert f"PAI {kde['PAI']} ({kde['Доля попаданий, %']} %" in at.success[0].value
    for col in table.columns[:-1]:
        assert all("." not in v for v in table[col]), f"{col}: a decimal point in Russian"
    assert _columns(at, "PAI")["PAI"]["alignment"] == "right"
    # English: numbers with printf formats (they sort as numbers)
    en = goto(run(new_app({"lang": "en"})), "tune")
    cols = _columns(en, "PAI")
    assert cols["PAI"]["type_config"]["format"] == "%,.2f"
    assert cols["Hit rate, %"]["type_config"]["format"] == "%,.1f"
    assert cols["Areas"]["type_config"]["format"] == "%,d"
