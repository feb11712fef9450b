"""The venue-risk map layer: which cells are drawn, tooltips, presenter mode, escaping."""

from __future__ import annotations

import pandas as pd
import pytest

from hotspots import grid
from hotspots.errors import InputError, ParameterError
from hotspots.maps import base_map, map_html
from hotspots.maps.risk import add_risk, factor_label, risk_map


@pytest.fixture()
def surface():
    ids = grid.cell_ids([43.297] * 4, [68.25, 68.252, 68.254, 68.256], 10)
    return pd.DataFrame(
        {
            "cell": grid.to_str(ids),
            "lat": [43.297] * 4,
            "lon": [68.25, 68.252, 68.254, 68.256],
            "count": [7, 2, 0, 1],
            "risk": [3.5, 2.0, 1.0, 1.0],
            "expected": [6.1, 2.2, 0.4, 0.9],
            "background": [10.0, 8.0, 1.0, 2.0],
            "factors": ["bar:proximity:100; cafe:density:200", "cafe:density:200", "", ""],
        }
    )


def test_risk_layer_draws_the_cells_with_a_factor_and_says_which(surface):
    m = base_map((43.297, 68.25))
    layer = add_risk(m, surface, lang="en")
    assert layer.stats == {"risk_cells_shown": 2, "risk_cells_dropped": 0}
    html = map_html(m)
    assert "Relative risk of the venues" in html
    assert "Bar: within 100 m, Café: high density, 200 m bandwidth" in html
    assert "3.50" in html and "6.10" in html


def test_expected_calls_draw_every_cell(surface):
    m = base_map((43.297, 68.25))
    assert add_risk(m, surface, value="expected").stats["risk_cells_shown"] == 4
    assert "Expected calls per cell" in map_html(m)


def test_presenter_mode_writes_small_counts_as_fewer_than_k(surface):
    m = base_map((43.297, 68.25))
    add_risk(m, surface, min_count=5)
    html = map_html(m)
    assert "fewer than 5" in html  # the cell of 2 calls
    assert '"count":7' in html and '"count":2' not in html


def test_venue_kinds_from_the_data_are_escaped(surface):
    hostile = surface.assign(factors=["<img src=x onerror=alert(1)>:proximity:50", "", "", ""])
    hostile.loc[1, "risk"] = 1.0
    m = base_map((43.297, 68.25))
    add_risk(m, hostile)
    html = map_html(m)
    assert "<img src=x" not in html
    # escaped once for HTML, then written into the script as JSON (& as \u0026)
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in html


def test_labels_in_kazakh_and_russian():
    assert factor_label("cafe:proximity:100", "ru") == "Кафе: в пределах 100 м"
    assert factor_label("park:density:200", "kk").endswith("жоғары тығыздық, радиусы 200 м")


def test_standalone_map_is_offline(surface):
    html = map_html(risk_map(surface, lang="kk"))
    assert "Орындардың салыстырмалы қаупі" in html
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html


def test_bad_arguments(surface):
    m = base_map((43.297, 68.25))
    with pytest.raises(ParameterError):
        add_risk(m, surface, value="z")
    with pytest.raises(InputError):
        add_risk(m, surface.drop(columns="risk"))
