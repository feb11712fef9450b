"""The app on a partitioned dataset above ``HOTSPOTS_BIG_ROWS`` (here 1,000 rows): the Map and
Trends pages show aggregates computed partition by partition, equal to those of the same calls
loaded whole, and the browser gets no larger a map than the cells map of the loaded calls."""

from __future__ import annotations

import engine_support
import pandas as pd
import pytest
from app_support import goto, map_args, map_payload_bytes, metrics, new_app, run, texts

from hotspots import temporal, views
from hotspots.filters import Filters, apply_filters
from hotspots.i18n import offense_label
from hotspots.io import read_incidents
from hotspots.sample import sample_paths

sample_files = engine_support.sample_files  # fixture


@pytest.fixture
def big_app(sample_files, monkeypatch):
    """The app opened on the dataset (above the threshold) with the sample's boundary, and
    the same calls loaded whole with that boundary (the reference)."""
    ds, one = sample_files
    boundary = sample_paths().boundary
    monkeypatch.setenv("HOTSPOTS_CALLS", str(ds))
    monkeypatch.setenv("HOTSPOTS_BOUNDARY", str(boundary))
    monkeypatch.setenv("HOTSPOTS_BIG_ROWS", "1000")
    monkeypatch.setenv("HOTSPOTS_TILES", "none")
    from hotspots.io import read_boundary

    return read_incidents(one, boundary=read_boundary(boundary)).accepted


def _n(text: str) -> int:
    return int(text.replace(",", ""))


def test_the_map_shows_the_cells_of_calls_never_loaded(big_app):
    at = run(new_app({"layers": "cells", "years": "2020,2021"}))
    assert "computed partition by partition on the engine" in texts(at)
    assert "8,683 calls" in texts(at)  # the dataset's rows, from its metadata
    want = views.cell_layer(apply_filters(big_app, Filters(years=[2020, 2021])))
    m = metrics(at)
    assert _n(m["Calls"]) == int(want["count"].sum()) < len(big_app)
    assert _n(m["H3 cells"]) == len(want)
    assert _n(m["Busiest cell"]) == int(want["count"].max())
    assert f"{len(want):,} cells" in texts(at)


@pytest.mark.parametrize("layers", ["cells", "cells,density"])
def test_the_big_map_is_no_larger_than_the_map_of_the_loaded_calls(
    big_app, sample_files, monkeypatch, layers
):
    """The same layers from aggregates: the same cells, the same density raster and contours
    (its grid chosen from the calls' extent found over the partitions)."""
    # the same numbers on both sides: the engine takes a default auto as the fixed number
    # (auto needs the calls in one process), the loaded calls would compute theirs
    fixed = {"layers": layers, "res": "9", "bw": "250"}
    at = run(new_app(fixed))
    big, big_text, big_script = map_payload_bytes(map_args(at)), texts(at), map_args(at)["script"]
    monkeypatch.setenv("HOTSPOTS_BIG_ROWS", "100000000")  # the same dataset, loaded whole
    at = run(new_app(fixed))
    assert "partition by partition" not in texts(at)
    loaded = map_payload_bytes(map_args(at))
    assert big <= loaded * 1.01
    assert big < 5_000_000
    if "density" in layers:
        assert "imageOverlay" in big_script  # the density raster is drawn
    else:
        assert "imageOverlay" not in big_script
        # the hottest areas' outlines and the densest value are those of the loaded calls
        line = next(ln for ln in texts(at).splitlines() if "cells shown" in ln)
        assert line in big_text


def test_trends_tables_equal_those_of_the_loaded_calls(big_app):
    at = goto(run(new_app()), "trends")
    assert "computed partition by partition" in texts(at)
    want = temporal.yearly_by_offense(big_app)
    got = at.dataframe[0].value
    assert len(got) == len(want) > 3
    assert got["count"].tolist() == want["count"].tolist()
    labels = [offense_label(o, "en") for o in want["offense"] if o != temporal.ALL_OFFENSES]
    assert set(labels) <= set(got["offense"])
    hw = at.dataframe[1].value
    assert int(pd.DataFrame(hw).to_numpy().sum()) == int(
        temporal.hour_weekday_table(big_app).to_numpy().sum()
    )


def test_other_pages_say_the_dataset_is_too_large(big_app):
    for page in ("tune", "export"):
        at = goto(run(new_app()), page)
        assert "is too large (8,683 calls)" in texts(at)
