"""The app never goes silently empty, and its "From the data" values are the library's."""

from __future__ import annotations

from app_support import goto, new_app, run, sample, table_with, texts

from hotspots import defaults, suggest
from hotspots.evaluate import split_calls
from hotspots.filters import Filters, apply_filters
from hotspots.views import comparison_split

NIGHT_URL = {"years": "2021", "offenses": "hooliganism", "hours": "18-23"}
NIGHT = Filters(years=(2021,), offenses=("hooliganism",), hours=tuple(range(18, 24)))


def test_the_map_says_why_the_cluster_layer_is_empty():
    night = apply_filters(sample().calls, NIGHT)
    expected = suggest.dbscan_suggestion(night, 100.0, 30).values["min_samples"]
    at = run(new_app({**NIGHT_URL, "layers": "clusters"}))
    warning = " ".join(w.value for w in at.warning)
    assert "DBSCAN found no cluster: no call has 30 calls within 100 m" in warning
    assert f"Set the minimum calls to {expected}" in warning


def test_tune_offers_a_setting_that_finds_clusters_and_applies_it():
    s = sample()
    night = apply_filters(s.calls, NIGHT)
    train, _ = split_calls(night, **comparison_split(night).kwargs)
    expected = suggest.dbscan_suggestion(train, 100.0, 30).values["min_samples"]
    at = goto(run(new_app(NIGHT_URL)), "tune")
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
    at = goto(run(new_app()), "tune")
    [b for b in at.button if b.label == "From the data"][0].click()
    run(at)
    values = {w.label: w.value for w in at.slider}
    assert values["H3 resolution"] == chosen.values["resolution"]
    assert values["DBSCAN radius (eps), m"] == chosen.values["eps_m"]
    assert values["DBSCAN minimum calls"] == chosen.values["min_samples"]
    assert values["Bandwidth, m"] == chosen.values["bandwidth_m"]
    shown = texts(at)
    assert f"DBSCAN radius {chosen.values['eps_m']:.0f} m (knee of" in shown
    assert f"minimum calls {chosen.values['min_samples']} (5 x the calls" in shown
