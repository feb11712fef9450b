"""The Venues page (AppTest): ranking with per-year counts and trends, concentration curve,
one venue's detail and map. Expected counts come from a brute-force nearest-venue search."""

from __future__ import annotations

import numpy as np
import pytest
from app_support import goto, map_args, metrics, new_app, run, sample, table_with, texts

R = 6_371_008.8


def nearest_within(calls, venues, radius):
    """venue_id of every call's nearest venue within ``radius`` m (haversine, brute force)."""
    la1, lo1 = (
        np.radians(calls["lat"].to_numpy())[:, None],
        np.radians(calls["lon"].to_numpy())[:, None],
    )
    la2, lo2 = (
        np.radians(venues["lat"].to_numpy())[None],
        np.radians(venues["lon"].to_numpy())[None],
    )
    a = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    d = 2 * R * np.arcsin(np.sqrt(a))
    j = d.argmin(axis=1)
    ok = d[np.arange(len(j)), j] <= radius
    return np.where(ok, venues["venue_id"].to_numpy()[j], None)


@pytest.fixture(scope="module")
def attribution():
    s = sample()
    return nearest_within(s.calls, s.venues, 50.0)


def ranking(at):
    return table_with(at, "Ratio to peers")


def test_ranking_counts_calls_within_the_radius(attribution):
    s = sample()
    at = goto(run(new_app()), "venues")
    m = metrics(at)
    assert m["Venues"] == f"{len(s.venues):,}"
    assert m["Calls at venues"] == f"{int((attribution != None).sum()):,}"  # noqa: E711
    table = ranking(at)
    ids, counts = np.unique(attribution[attribution != None], return_counts=True)  # noqa: E711
    top = ids[np.argmax(counts)]
    name = s.venues.set_index("venue_id").loc[top, "name"]
    assert table.iloc[0]["Name"] == name and table.iloc[0]["Calls"] == counts.max()
    # per-year columns sum to the venue's calls
    years = [c for c in table.columns if c in ("2019", "2020", "2021")]
    assert years == ["2019", "2020", "2021"]
    assert (table[years].sum(axis=1) == table["Calls"]).all()


def test_radius_changes_the_attribution():
    s = sample()
    at = goto(run(new_app()), "venues")
    [w for w in at.slider if w.label == "Attribution radius, m"][0].set_value(100)
    run(at)
    want = nearest_within(s.calls, s.venues, 100.0)
    assert metrics(at)["Calls at venues"] == f"{int((want != None).sum()):,}"  # noqa: E711
    assert at.query_params["radius"] == "100"


def test_a_venue_detail_shows_its_calls_and_place(attribution):
    s = sample()
    at = goto(run(new_app()), "venues")
    table = ranking(at)
    second = s.venues.set_index("name").loc[table.iloc[1]["Name"]]
    vid = second["venue_id"] if np.ndim(second["venue_id"]) == 0 else second["venue_id"].iloc[0]
    pick = [w for w in at.selectbox if w.label == "Venue"][0]
    pick.set_value(vid)
    run(at)
    assert at.query_params["venue"] == vid
    n = int((attribution == vid).sum())
    assert metrics(at)["Calls"] == f"{n:,}"
    assert metrics(at)["Rank"] == f"2 / {len(s.venues)}"
    args = map_args(at)
    assert args["script"]  # its map, centred on it
    lat = float(s.venues.set_index("venue_id").loc[vid, "lat"])
    assert f"{lat:.4f}"[:6] in args["script"]


def test_kind_filter_narrows_the_table():
    at = goto(run(new_app()), "venues")
    [w for w in at.multiselect if w.label == "Venue kinds"][0].set_value(["tea_house"])
    run(at)
    kinds = set(ranking(at)["Kind"])
    assert kinds == {"Tea house"}


def test_concentration_curve_and_gini_are_reported():
    at = goto(run(new_app()), "venues")
    gini = float(metrics(at)["Gini coefficient"])
    assert 0 < gini < 1
    assert f"(Gini {gini:.2f};" in texts(at)
    assert len(at.get("vega_lite_chart")) == 4  # curve + offense/hour/weekday


def test_a_venue_without_peers_has_no_ratio_to_peers():
    s = sample()
    at = goto(run(new_app()), "venues")
    table = ranking(at).set_index("Name")
    kinds = s.venues["kind"].value_counts()
    alone = s.venues[s.venues["kind"].isin(kinds[kinds == 1].index)]
    assert {"bus_station", "square", "market"} <= set(alone["kind"])
    for name in alone["name"]:
        assert table.loc[name, "Ratio to peers"] == "—"  # not 1: it has no peers
    shared = s.venues[s.venues["kind"] == "cafe"]["name"].iloc[0]
    assert float(table.loc[shared, "Ratio to peers"]) > 0
    # its detail says "—" too
    bus = alone[alone["kind"] == "bus_station"]["venue_id"].iloc[0]
    [w for w in at.selectbox if w.label == "Venue"][0].set_value(bus)
    run(at)
    assert metrics(at)["Ratio to peers"] == "—"


def test_presenter_mode_note_under_the_venue_map():
    at = goto(run(new_app({"presenter": "1"})), "venues")
    assert "Individual calls are hidden in presenter mode" in texts(at)
    at = goto(run(new_app()), "venues")
    assert "Individual calls are hidden in presenter mode" not in texts(at)


def test_ranking_columns_have_widths_that_fit_the_page_in_russian():
    import json

    at = goto(run(new_app({"lang": "ru"})), "venues")
    table = at.dataframe[0]
    shown = list(table.value.columns)
    assert shown == [
        "Место",
        "Название",
        "Тип",
        "Вызовов",
        "2019",
        "2020",
        "2021",
        "Тренд",
        "Вызовов в год (тренд)",
        "К медиане своего типа",
    ]
    config = json.loads(table.proto.columns)
    widths = [config[c]["width"] for c in shown]  # every column sized, none auto
    # the grid at 1440 px gets 978 px (the browser test checks it does not scroll sideways)
    assert sum(widths) <= 960


# --- presenter mode -----------------------------------------------------------------------
def test_presenter_ranking_writes_counts_below_k_as_less_than_k(attribution):
    s = sample()
    k = 5
    ids, n = np.unique(attribution[attribution != None], return_counts=True)  # noqa: E711
    per_venue = dict(zip(ids, n, strict=True))
    counts = [int(per_venue.get(v, 0)) for v in s.venues["venue_id"]]
    expected = sorted(str(c) if c >= k else f"< {k}" for c in counts)
    at = goto(run(new_app({"presenter": "1", "k": str(k)})), "venues")
    table = ranking(at)
    assert sorted(table["Calls"].astype(str)) == expected
    assert any(c < k for c in counts if c > 0)  # the sample has small venues to hide
    small = table["Calls"] == f"< {k}"
    assert (table.loc[small, "Ratio to peers"] == "—").all()


def test_presenter_detail_of_a_small_venue_shows_no_count_nor_chart(attribution):
    s = sample()
    k = 5
    ids, n = np.unique(attribution[attribution != None], return_counts=True)  # noqa: E711
    small = str(ids[(n > 0) & (n < k)][0])
    at = goto(run(new_app({"presenter": "1", "k": str(k), "venue": small})), "venues")
    assert metrics(at)["Calls"] == f"< {k}"
    # only the concentration curve is drawn: no chart of the venue's few calls
    assert len(at.get("vega_lite_chart")) == 1
    name = s.venues.set_index("venue_id").loc[small, "name"]
    assert name in texts(at)
