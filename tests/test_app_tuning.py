"""The app never goes silently empty, and its "From the data" values are the library's."""

from __future__ import annotations

from app_support import goto, new_app, run, sample, table_with, texts

from hotspots import defaults, suggest
from hotspots.evaluate import split_calls
from hotspots.filters import Filters, apply_filters
from hotspots.views import comparison_split

NIGHT_URL = {"years": "2021", "offenses": "hooliganism", "hours": "18-23"}
#: The issue's fixed numbers, given in the link (auto, the default, finds clusters).
FIXED_DBSCAN = {"eps": "100", "minpts": "30"}
NIGHT = Filters(years=(2021,), offenses=("hooliganism",), hours=tuple(range(18, 24)))


def test_the_map_says_why_the_cluster_layer_is_empty():
    night = apply_filters(sample().calls, NIGHT)
    expected = suggest.dbscan_suggestion(night, 100.0, 30).values["min_samples"]
    at = run(new_app({**NIGHT_URL, **FIXED_DBSCAN, "layers": "clusters"}))
    warning = " ".join(w.value for w in at.warning)
    assert "DBSCAN found no cluster: no call has 30 calls within 100 m" in warning
    assert f"Set the minimum calls to {expected}" in warning


def test_tune_offers_a_setting_that_finds_clusters_and_applies_it():
    s = sample()
    night = apply_filters(s.calls, NIGHT)
    train, _ = split_calls(night, **comparison_split(night).kwargs)
    expected = suggest.dbscan_suggestion(train, 100.0, 30).values["min_samples"]
    at = goto(run(new_app({**NIGHT_URL, **FIXED_DBSCAN})), "tune")
    assert table_with(at, "PAI").set_index("Method").loc["DBSCAN clusters", "Areas"] == 0
    assert f"Set the minimum calls to {expected}" in texts(at)
    [b for b in at.button if b.label == f"Use minimum calls = {expected}"][0].click()
    run(at)
    slider = [w for w in at.slider if w.label == "DBSCAN minimum calls"][0]
    assert slider.value == expected
    assert table_with(at, "PAI").set_index("Method").loc["DBSCAN clusters", "Areas"] > 0


def test_from_the_data_sets_the_auto_values_and_shows_their_rules():
    s = sample()
    chosen = defaults.resolve(s.calls, dict.fromkeys(defaults.FIXED, "auto"), s.boundary)
    at = goto(run(new_app({"res": "9", "bw": "250", "eps": "100", "minpts": "30"})), "tune")
    assert not any(w.value for w in at.toggle if w.label == "Auto")  # numbers given
    [b for b in at.button if b.label == "From the data"][0].click()
    run(at)
    assert [w.value for w in at.toggle if w.label == "Auto"] == [True] * 4
    values = {w.label: w.value for w in at.slider}
    assert values["H3 resolution"] == chosen.values["resolution"]
    assert values["DBSCAN radius (eps), m"] == chosen.values["eps_m"]
    assert values["DBSCAN minimum calls"] == chosen.values["min_samples"]
    assert values["Bandwidth, m"] == chosen.values["bandwidth_m"]
    shown = texts(at)
    assert f"DBSCAN radius {chosen.values['eps_m']:.0f} m (knee of" in shown
    assert f"minimum calls {chosen.values['min_samples']} (5 x the calls" in shown


def _sliders(at) -> dict:
    return {w.label: w.value for w in at.slider}


def test_auto_stays_auto_and_follows_the_filters():
    # "From the data" writes no numbers: after a filter change the parameters are computed
    # again from the new calls, and the numbers shown beside the controls follow
    s = sample()
    at = goto(run(new_app({"res": "9", "bw": "250", "eps": "100", "minpts": "30"})), "tune")
    [b for b in at.button if b.label == "From the data"][0].click()
    run(at)
    years = [w for w in at.multiselect if w.label == "Years"][0]
    years.set_value([2021])
    run(at)
    night = apply_filters(s.calls, Filters(years=(2021,)))
    chosen = defaults.resolve(night, dict.fromkeys(defaults.FIXED, "auto"), s.boundary)
    before = defaults.resolve(s.calls, dict.fromkeys(defaults.FIXED, "auto"), s.boundary)
    assert chosen.values != before.values  # the test can tell the two apart
    values = _sliders(at)
    assert values["H3 resolution"] == chosen.values["resolution"]
    assert values["DBSCAN radius (eps), m"] == chosen.values["eps_m"]
    assert values["DBSCAN minimum calls"] == chosen.values["min_samples"]
    assert values["Bandwidth, m"] == chosen.values["bandwidth_m"]
    assert f"minimum calls {chosen.values['min_samples']} (5 x the calls" in texts(at)
    # moving a slider sets that number (auto off for it only), the others stay auto
    [w for w in at.slider if w.label == "DBSCAN minimum calls"][0].set_value(12)
    run(at)
    assert [w.value for w in at.toggle if w.label == "Auto"] == [True, True, True, False]
    assert "DBSCAN " + f"{chosen.values['eps_m']:g} (auto) m, 12 calls" in texts(at)


def test_cli_app_and_report_resolve_the_same_auto_values(capsys, tmp_path, monkeypatch):
    # the same filtered calls, no settings given: the CLI commands, the app (its map caption
    # and the report it exports) and `hotspots report` use the same numbers
    import json

    from cli_support import run as cli

    # no browser for the report's PNG/PDF (exit 2, the other files written) and no basemap:
    # the numbers are what is tested, and the test stays fast
    monkeypatch.setenv("HOTSPOTS_CHROMIUM", str(tmp_path / "no-chromium"))
    monkeypatch.setenv("HOTSPOTS_TILES", "none")
    s = sample()
    f = Filters(years=(2021,), offenses=("theft",))
    sub = apply_filters(s.calls, f)
    chosen = defaults.resolve(sub, dict.fromkeys(defaults.FIXED, "auto"), s.boundary).values
    flags = ("--sample", "--years", "2021", "--offenses", "theft")

    # CLI
    code, out, err = cli(capsys, "clusters", *flags, "--top", "0")
    assert code == 0, err
    assert f"DBSCAN eps {chosen['eps_m']:g} m, min_samples {chosen['min_samples']}" in out
    code, out, err = cli(capsys, "grid", *flags)
    assert code == 0 and f"(resolution {chosen['resolution']})" in out
    code, out, err = cli(capsys, "density", *flags, "-o", str(tmp_path / "d.tif"))
    assert code == 0 and f"bandwidth {chosen['bandwidth_m']:,.0f} m (auto" in out
    code, out, err = cli(
        capsys, "report", *flags, "--method", "clusters", "-o", str(tmp_path / "rep")
    )
    assert code == 2 and "not written: Chromium" in err  # the plan files are written
    assert f"min_samples = {chosen['min_samples']:g}" in err  # the numbers auto took
    prov = json.loads((tmp_path / "rep" / "patrol.geojson").read_text())["provenance"]
    assert prov["parameters"]["eps_m"] == chosen["eps_m"]
    assert prov["parameters"]["min_samples"] == chosen["min_samples"]
    assert prov["parameters"]["auto"] == "eps_m, min_samples"

    # the app: the numbers shown under the map, and the Tune page's controls
    at = run(new_app({"years": "2021", "offenses": "theft", "layers": "clusters"}))
    line = (
        f"H3 resolution {chosen['resolution']} (auto) · bandwidth "
        f"{chosen['bandwidth_m']:,.0f} (auto) m (quartic) · DBSCAN {chosen['eps_m']:g} (auto) m, "
        f"{chosen['min_samples']} (auto) calls"
    )
    assert line in texts(at)
    at = goto(at, "tune")
    values = _sliders(at)
    assert values["DBSCAN radius (eps), m"] == chosen["eps_m"]
    assert values["DBSCAN minimum calls"] == chosen["min_samples"]
    assert values["H3 resolution"] == chosen["resolution"]
    assert values["Bandwidth, m"] == chosen["bandwidth_m"]
    # ... and the report the app exports
    at = goto(at, "export")
    at.multiselect(key="export_files").set_value(["patrol.geojson"])
    at.radio(key="export_method").set_value("clusters")
    run(at)
    at.button(key="export_make").click()
    run(at)
    _, bundle = at.session_state["export_bundle"]
    assert bundle is not None, texts(at)
    assert bundle.provenance.parameters["eps_m"] == chosen["eps_m"]
    assert bundle.provenance.parameters["min_samples"] == chosen["min_samples"]
    assert bundle.provenance.parameters["auto"] == "eps_m, min_samples"


def test_tune_shows_rolling_origin_by_quarters_as_the_library():
    # several consecutive splits in the app: mean ± spread per method, the CLI's numbers
    from hotspots.views import Params, rolling_comparison

    s = sample()
    at = goto(run(new_app({"lang": "en"})), "tune")
    at.number_input(key="w:tune_roll_n:en").set_value(2)
    at.selectbox(key="w:tune_roll_period:en").set_value("3M")
    run(at)
    at.button(key="w:tune_roll_run").click()
    run(at)
    table = table_with(at, "Splits").set_index("Method")
    splits, summary = rolling_comparison(
        s.calls, params=Params(), area=s.boundary, n_splits=2, period="3M"
    )
    assert list(dict.fromkeys(splits["test_period"])) == ["2021-07..2021-09", "2021-10..2021-12"]
    h3 = summary.set_index("method").loc["h3"]
    assert table.loc["H3 cells", "Splits"] == 2
    assert table.loc["H3 cells", "PAI"] == f"{h3['pai_mean']:.2f} ± {h3['pai_sd']:.2f}"
    assert "Tested on 2021-07..2021-09, 2021-10..2021-12" in texts(at)
