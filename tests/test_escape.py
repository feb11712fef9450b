"""Escaping of data-derived strings (hotspots.escape)."""

from __future__ import annotations

import html

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from hotspots.escape import escape_frame_strings, escape_series, escape_text

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(1)</script>",
    "`${alert(1)}`",
    '"><svg onload=alert(1)>',
    "'; alert(1); //",
    "trailing backslash \\",
    "\\u0061 not an escape",
    "Café «Ордабасы» & Co",
]
# Characters that must never survive: they open markup, attributes, template literals or escapes.
FORBIDDEN = ("<", ">", '"', "'", "`", "${", "\\")


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings_lose_every_active_character(text: str) -> None:
    out = escape_text(text)
    for bad in FORBIDDEN:
        assert bad not in out


@pytest.mark.parametrize("text", HOSTILE)
def test_the_browser_shows_the_original_text(text: str) -> None:
    # html.unescape is what an HTML parser does to text: the user reads the original.
    assert html.unescape(escape_text(text)) == text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a & b", "a &amp; b"),
        ("<b>", "&lt;b&gt;"),
        ("`x`", "&#96;x&#96;"),
        ("${x}", "&#36;{x}"),
        ("$5", "$5"),  # a lone dollar is harmless and stays readable
        ("it's", "it&#x27;s"),
        ('say "hi"', "say &quot;hi&quot;"),
        ("a\\b", "a&#92;b"),
    ],
)
def test_known_replacements(raw: str, expected: str) -> None:
    assert escape_text(raw) == expected


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA, float("nan")])
def test_missing_values_become_empty(missing: object) -> None:
    assert escape_text(missing) == ""


def test_numbers_are_converted_to_text() -> None:
    assert escape_text(42) == "42"
    assert escape_text(2.5) == "2.5"


def test_escaping_is_not_idempotent_so_it_must_happen_once() -> None:
    once = escape_text("a & b")
    assert escape_text(once) == "a &amp;amp; b"  # twice shows "&amp;" to the user


@settings(deadline=None, max_examples=60)
@given(st.text(max_size=60))
def test_round_trip_and_no_active_characters_for_any_text(text: str) -> None:
    out = escape_text(text)
    assert html.unescape(out) == text
    for bad in FORBIDDEN:
        assert bad not in out


@settings(deadline=None, max_examples=60)
@given(st.lists(st.one_of(st.none(), st.text(max_size=20)), max_size=20))
def test_series_matches_scalar_escaping(values: list[str | None]) -> None:
    got = escape_series(pd.Series(values, dtype=object)).tolist()
    assert got == [escape_text(v) for v in values]


def test_frame_escapes_text_columns_only_and_leaves_the_input_alone() -> None:
    gdf = gpd.GeoDataFrame(
        {
            "name": ["<b>A</b>", None],
            "kind": pd.Categorical(["cafe", "bar"]),
            "label": pd.array(["x&y", pd.NA], dtype="string"),
            "count": [1, 2],
        },
        geometry=[Point(0, 0), Point(1, 1)],
        crs="EPSG:4326",
    )
    out = escape_frame_strings(gdf)
    assert isinstance(out, gpd.GeoDataFrame)
    assert out["name"].tolist() == ["&lt;b&gt;A&lt;/b&gt;", ""]
    assert out["kind"].tolist() == ["cafe", "bar"]
    assert out["label"].tolist() == ["x&amp;y", ""]
    assert out["count"].tolist() == [1, 2]
    assert out.geometry.equals(gdf.geometry)
    assert gdf["name"].iloc[0] == "<b>A</b>"  # input untouched


def test_frame_escapes_list_items_and_named_columns() -> None:
    df = pd.DataFrame({"venues": [["<a>", "b"], "c'd"], "other": ["<x>", "<y>"]})
    out = escape_frame_strings(df, ["venues"])
    assert out["venues"].tolist() == [["&lt;a&gt;", "b"], "c&#x27;d"]
    assert out["other"].tolist() == ["<x>", "<y>"]


def test_frame_unknown_column_is_an_error() -> None:
    with pytest.raises(KeyError, match="nope"):
        escape_frame_strings(pd.DataFrame({"a": ["x"]}), ["nope"])
