"""The Map page and the sidebar filters (AppTest): counts follow the filters, the URL holds the
view, layers switch, presenter mode hides calls and small cells, the map stays small and safe.

Expected counts are computed here with plain pandas (and h3 directly) on the sample as the
library reads it, independently of the app and of hotspots.views.
"""

from __future__ import annotations

import h3
import numpy as np
import pytest
from app_support import (
    assert_clean,
    fmt_en,
    map_args,
    map_payload_bytes,
    metrics,
    new_app,
    run,
    sample,
    texts,
)


def widget(at, kind: str, label: str):
    found = [w for w in getattr(at, kind) if w.label == label]
    assert found, f"no {kind} labelled {label!r}: {[w.label for w in getattr(at, kind)]}"
    return found[0]


def calls_metric(at) -> int:
    return int(metrics(at)["Calls"].replace(",", ""))


@pytest.fixture(scope="module")
def calls():
    return sample().calls


def test_opens_on_the_sample_with_headline_figures(calls):
    at = run(new_app())
    m = metrics(at)
    assert m["Calls"] == fmt_en(len(calls))
    assert m["Period"] == f"{calls['year'].min()}–{calls['year'].max()}"
    top = calls["offense"].value_counts()
    assert m["Main offense"] == "Theft" and top.index[0] == "theft"
    delta = [x.proto.delta for x in at.metric if x.label == "Main offense"][0]
    assert delta == f"{round(100 * top.iloc[0] / len(calls))}%"
    # peak weekday/hour: the busiest slot of the hour x weekday table
    slots = calls.groupby(["weekday", "hour"]).size()
    day, hour = slots.idxmax()
    assert (
        m["Peak time"] == f"{['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][day]} {hour:02d}:00"
    )
    assert "Source: Bundled sample data" in texts(at)
    assert "H3 resolution 9" in texts(at)  # the parameters are shown with the map
    map_args(at)  # the map is there


@pytest.mark.parametrize("years", [[2019], [2021], [2020, 2021]])
def test_year_filter_changes_the_counts_and_the_map(calls, years):
    at = run(new_app())
    before = map_args(at)["script"]
    widget(at, "multiselect", "Years").set_value(years)
    run(at)
    assert calls_metric(at) == int(calls["year"].isin(years).sum())
    assert map_args(at)["script"] != before
    assert at.query_params["years"] == ",".join(map(str, years))


def test_the_period_of_one_year_is_that_year(calls):
    at = run(new_app({"years": "2021"}))
    assert metrics(at)["Period"] == "2021"  # not "2021–2021"
    at = run(new_app({"years": "2020,2021"}))
    assert metrics(at)["Period"] == "2020–2021"


def test_offense_filter(calls):
    at = run(new_app())
    widget(at, "multiselect", "Offense types").set_value(["hooliganism"])
    run(at)
    assert calls_metric(at) == int((calls["offense"] == "hooliganism").sum())
    assert metrics(at)["Main offense"] == "Hooliganism"
    assert at.query_params["offenses"] == "hooliganism"


def test_hour_range_wraps_past_midnight(calls):
    at = run(new_app())
    widget(at, "selectbox", "From").set_value(22)
    widget(at, "selectbox", "To").set_value(3)
    run(at)
    hours = {22, 23, 0, 1, 2, 3}
    assert calls_metric(at) == int(calls["hour"].isin(hours).sum())
    assert at.query_params["hours"] == "22-3"


def test_weekday_filter(calls):
    at = run(new_app())
    widget(at, "button_group", "Weekdays").set_value([5, 6])
    run(at)
    assert calls_metric(at) == int(calls["weekday"].isin([5, 6]).sum())
    assert at.query_params["days"] == "sat,sun"


def test_the_url_opens_a_filtered_view(calls):
    at = run(
        new_app({"years": "2021", "offenses": "theft,fight", "days": "sat,sun", "hours": "18-23"})
    )
    want = calls[
        (calls["year"] == 2021)
        & calls["offense"].isin(["theft", "fight"])
        & calls["weekday"].isin([5, 6])
        & calls["hour"].between(18, 23)
    ]
    assert calls_metric(at) == len(want)
    assert widget(at, "multiselect", "Years").value == [2021]
    assert widget(at, "multiselect", "Offense types").value == ["theft", "fight"]
    assert "Years: 2021" in texts(at)


def test_reset_clears_the_filters(calls):
    at = run(new_app({"years": "2021", "hours": "8-9"}))
    assert calls_metric(at) < len(calls)
    [b for b in at.button if b.label == "Reset filters"][0].click()
    run(at)
    assert calls_metric(at) == len(calls)
    assert "years" not in at.query_params and "hours" not in at.query_params


@pytest.mark.parametrize(
    "query", [{"years": "abc"}, {"hours": "99-1"}, {"k": "-5", "presenter": "maybe"}]
)
def test_bad_url_values_are_ignored(calls, query):
    at = run(new_app(query))
    assert calls_metric(at) == len(calls)


def test_no_matching_calls_says_so():
    at = run(new_app({"years": "2021", "hours": "3-3", "days": "mon", "offenses": "traffic"}))
    if at.info:  # the sample may or may not hold such a call; either way no traceback
        assert "No calls match the filters." in texts(at)


@pytest.mark.parametrize(
    ("layer", "marker"),
    [
        ("gistar", "Getis-Ord Gi*"),
        ("clusters", "DBSCAN clusters"),
        ("density", "Calls per km²"),
        ("cells", "Calls per cell"),
    ],
)
def test_layers_switch_on_and_off(layer, marker):
    at = run(new_app())
    widget(at, "button_group", "Layers").set_value([layer])
    run(at)
    on = map_args(at)
    assert marker in on["script"] + on["html"] + on["header"]
    others = [x for x in ("gistar", "clusters", "density", "cells") if x != layer]
    widget(at, "button_group", "Layers").set_value(others[:1])
    run(at)
    off = map_args(at)
    assert on["script"] != off["script"]
    assert at.query_params["layers"] == others[0]


def test_few_calls_are_drawn_and_presenter_mode_hides_them(calls):
    query = {"years": "2021", "offenses": "fight", "days": "sun"}
    n = int(
        ((calls["year"] == 2021) & (calls["offense"] == "fight") & (calls["weekday"] == 6)).sum()
    )
    assert 0 < n < 2000
    at = run(new_app(query))
    assert f"{n} of {n} calls shown" in texts(at)
    widget(at, "toggle", "Presenter mode").set_value(True)
    run(at)
    shown = texts(at)
    assert "calls shown" not in shown
    assert "Individual calls are hidden in presenter mode" in shown
    assert not at.header  # clean screen: no page header
    assert at.query_params["presenter"] == "1"


def test_presenter_mode_suppresses_cells_under_k(calls):
    k = 40
    at = run(new_app({"presenter": "1", "k": str(k), "layers": "cells"}))
    pairs = zip(calls["lat"], calls["lon"], strict=True)
    cells = np.array([h3.latlng_to_cell(a, b, 9) for a, b in pairs])
    _, counts = np.unique(cells, return_counts=True)
    hidden = int((counts < k).sum())
    assert hidden > 0
    assert f"{hidden} cells with fewer than {k} calls hidden" in texts(at)
    assert f"{int((counts >= k).sum())} cells shown" in texts(at)
    # K is a sidebar control in presenter mode
    widget(at, "number_input", "Hide cells with fewer calls than").set_value(k + 60)
    run(at)
    assert f"{int((counts < k + 60).sum())} cells with fewer than {k + 60} calls hidden" in texts(
        at
    )


def test_map_is_offline_and_small():
    at = run(new_app({"layers": "cells,density,clusters,gistar,venues,calls"}))
    args = map_args(at)
    # the vendored assets, served by the app itself (app_pages.mapview.ASSETS_URL)
    from app_pages.mapview import ASSETS_URL
    from hotspots.assets import ASSET_ROOT

    links = args["js_links"] + args["css_links"]
    assert links and all(u.startswith(ASSETS_URL + "/") for u in links)
    assert all((ASSET_ROOT / u[len(ASSETS_URL) + 1 :]).is_file() for u in links)
    assert "cdn" not in args["header"].lower()
    assert map_payload_bytes(args) < 5_000_000


HOSTILE = "<img src=x onerror=alert(1)>"


def test_hostile_venue_names_are_escaped_on_the_map(tmp_path, monkeypatch):
    path = tmp_path / "venues.csv"
    path.write_text(
        "venue_id,name,kind,lat,lon\n"
        f'H1,"{HOSTILE}",cafe,43.2972,68.2509\n'
        'H2,"`${alert(2)}` <script>alert(3)</script>",bar,43.2990,68.2520\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("HOTSPOTS_VENUES", str(path))
    at = run(new_app({"layers": "venues"}))
    script = map_args(at)["script"]
    assert HOSTILE not in script and "<script>alert(3)" not in script
    # the name reaches the page escaped once (HTML entities, inside a JSON string literal)
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in script
    assert "${alert(2)}" not in script
    assert "2 venues" in texts(at)
    assert "Bundled sample data + venues.csv" in texts(at)


def test_a_missing_env_file_falls_back_to_the_sample(monkeypatch, calls):
    monkeypatch.setenv("HOTSPOTS_CALLS", "/nonexistent/calls.csv")
    at = new_app()
    at.run()
    assert_clean(at)
    assert any("does not exist" in e.value for e in at.error)
    assert calls_metric(at) == len(calls)


def _geojson_layers(script: str) -> list[dict]:
    """Every FeatureCollection the map script adds to a GeoJSON layer (``.addData({...})``)."""
    import json
    import re

    dec = json.JSONDecoder()
    return [dec.raw_decode(script[m.end() :])[0] for m in re.finditer(r"\.addData\(", script)]


def _layer_with(docs: list[dict], prop: str) -> list[dict]:
    return [f for d in docs for f in d["features"] if prop in (f.get("properties") or {})]


def _flat(coords) -> list[float]:
    if isinstance(coords, (int, float)):
        return [coords]
    return [v for c in coords for v in _flat(c)]


def test_presenter_map_draws_lattice_clusters_and_contours_of_k_calls():
    k = 300
    layers = "clusters,density"
    shown = _geojson_layers(map_args(run(new_app({"layers": layers})))["script"])
    hulls = _layer_with(shown, "n_incidents")
    xy = np.array([v for f in hulls for v in _flat(f["geometry"]["coordinates"])])
    assert hulls and not np.allclose(xy, np.round(xy, 3), atol=1e-9)  # analyst: the hulls
    at = run(new_app({"presenter": "1", "k": str(k), "layers": layers}))
    docs = _geojson_layers(map_args(at)["script"])
    clusters = _layer_with(docs, "n_incidents")
    assert clusters and all(f["properties"]["n_incidents"] >= k for f in clusters)
    for f in clusters:  # outlines of 0.001° lattice cells, never the calls' hull
        xy = np.array(_flat(f["geometry"]["coordinates"]))
        assert np.allclose(xy, np.round(xy, 3), atol=1e-9)
    contours = _layer_with(docs, "incidents")
    assert contours and all(
        float(f["properties"]["incidents"].replace(",", "")) >= k for f in contours
    )
    assert f"{len(clusters)} clusters" in texts(at)
