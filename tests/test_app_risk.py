"""The venue-risk panel of the Venues page (AppTest): off until switched on, then the same
factors and fit as the library, the surface on a map, in the page's language."""

from __future__ import annotations

import pytest
from app_support import goto, map_args, new_app, run, sample, table_with, texts

from hotspots.risk import fit_risk, split_offenses


@pytest.fixture(scope="module")
def expected():
    s = sample()
    hool, other = split_offenses(s.calls, ["hooliganism"])
    return fit_risk(hool, s.venues, background=other, area=s.boundary)


def switch_on(at, label: str = "Fit the venue risk model"):
    [w for w in at.toggle if w.label == label][0].set_value(True)
    return run(at)


def test_the_panel_is_off_until_switched_on():
    at = goto(run(new_app()), "venues")
    assert "Venue risk: which kinds of places drive calls" in texts(at)
    assert not [df for df in at.dataframe if "Relative risk" in df.value.columns]
    assert (
        len([e for e in at.get("component_instance") if "st_folium" in e.proto.component_name]) == 1
    )


def test_the_panel_shows_the_librarys_factors_fit_and_surface(expected):
    at = switch_on(goto(run(new_app()), "venues"))
    offense = [w for w in at.selectbox if w.label == "Offense modelled"][0]
    assert offense.value == "hooliganism"
    table = table_with(at, "Relative risk")
    f = expected.factors
    assert len(table) == len(f) > 0
    assert table["Relative risk"].tolist() == [f"{v:.2f}" for v in f["relative_risk"]]
    assert table["95 % CI"].tolist() == [
        f"{a:.2f} – {b:.2f}" for a, b in zip(f["ci_low"], f["ci_high"], strict=True)
    ]
    assert table["Calls"].tolist() == f["calls"].tolist()
    assert "Café" in table["Venue kind"].tolist()
    shown = texts(at)
    assert f"{expected.fit['cells']:,} cells and {expected.fit['calls']:,} calls" in shown
    assert f"AIC {expected.fit['aic']:,.1f}" in shown
    # the risk surface: a second map, with its layer and legend
    args = map_args(at, 1)
    assert "Venue risk (risk terrain)" in args["script"] or "Venue risk" in args["html"]
    assert "Relative risk of the venues" in args["script"] + args["html"]


def test_the_panel_in_russian_and_presenter_mode_hides_small_counts():
    at = new_app({"lang": "ru", "presenter": "1", "k": "5"})
    at = switch_on(goto(run(at), "venues"), "Построить модель риска мест")
    table = table_with(at, "Относительный риск")
    assert "Вид места" in table.columns and len(table) > 0
    # calls in the marked cells can be fewer than K: no count column on a projector
    assert "Вызовов" not in table.columns
    assert "Модель: Отрицательная биномиальная" in texts(at)
