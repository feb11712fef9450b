"""Patrol plans: the top hotspots' counts, places, offenses and peak times, and their files."""

from __future__ import annotations

import io
import json
import re
from html import escape as html_escape

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import real_file

from hotspots import schema as S
from hotspots.clusters import dbscan_labels
from hotspots.errors import ParameterError
from hotspots.grid import count_cells
from hotspots.i18n import LANGS, offense_label, t, venue_label, weekday_label
from hotspots.patrol import (
    PATROL_AREA_KM2,
    PATROL_COLUMNS,
    PatrolParams,
    oversized_lines,
    oversized_note,
    patrol_csv,
    patrol_geojson,
    patrol_html,
    patrol_plan,
    peak_window,
)
from hotspots.projection import haversine_m
from hotspots.provenance import make_provenance

M_PER_DEG = 111_195.0  # metres per degree of latitude on the mean sphere


# --- tiny canonical frames -------------------------------------------------------------------
def make_calls(lat, lon, *, hour=None, weekday=None, offense=None, premise=None):
    """Canonical incidents at the given positions (other columns filled plausibly)."""
    n = len(lat)
    hour = [12] * n if hour is None else hour
    weekday = [2] * n if weekday is None else weekday
    offense = ["theft"] * n if offense is None else offense
    frame = pd.DataFrame(
        {
            S.INCIDENT_ID: [str(i + 1) for i in range(n)],
            S.OCCURRED_AT: pd.Timestamp("2021-03-03 12:00"),
            S.TIME_PRECISION: "minute",
            S.YEAR: pd.array([2021] * n, dtype="Int64"),
            S.MONTH: pd.array([3] * n, dtype="Int64"),
            S.WEEKDAY: pd.array(weekday, dtype="Int64"),
            S.HOUR: pd.array(hour, dtype="Int64"),
            S.OFFENSE: offense,
            S.OFFENSE_RAW: [o.upper() for o in offense],
            S.PREMISE: pd.array([None] * n if premise is None else premise, dtype="string"),
            S.LAT: np.asarray(lat, dtype=float),
            S.LON: np.asarray(lon, dtype=float),
            S.SOURCE_ROW: np.arange(1, n + 1),
        }
    )
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame.lon, frame.lat), crs=S.CRS)


def make_venues(rows):
    """Venues from (venue_id, name, kind, lat, lon) tuples."""
    df = pd.DataFrame(rows, columns=[S.VENUE_ID, S.NAME, S.KIND, S.LAT, S.LON])
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df.lon, df.lat), crs=S.CRS)


def h3_per_row(calls, res=9):
    """The oracle: h3 called on every row (no vectorised shortcut)."""
    pairs = zip(calls.lat, calls.lon, strict=True)
    return np.array([h3.latlng_to_cell(a, b, res) for a, b in pairs], dtype=object)


LAT0, LON0 = 43.30, 68.25
# three points ~1 km apart: certainly in three different resolution-9 cells
A = (LAT0, LON0)
B = (LAT0 + 1000 / M_PER_DEG, LON0)
C = (LAT0, LON0 + 0.013)


def three_cells():
    lat = [A[0]] * 5 + [B[0]] * 3 + [C[0]]
    lon = [A[1]] * 5 + [B[1]] * 3 + [C[1]]
    return make_calls(lat, lon)


# --- cells --------------------------------------------------------------------------------
def test_cells_by_hand():
    plan = patrol_plan(three_cells(), params=PatrolParams(top=2, resolution=9))
    assert list(plan.columns) == list(PATROL_COLUMNS)
    assert plan["rank"].tolist() == [1, 2]
    assert plan["n_incidents"].tolist() == [5, 3]
    assert plan["hotspot"].tolist() == [h3.latlng_to_cell(*A, 9), h3.latlng_to_cell(*B, 9)]
    assert plan["share_pct"].tolist() == pytest.approx([500 / 9, 300 / 9])
    centre = h3.cell_to_latlng(h3.latlng_to_cell(*A, 9))
    assert (plan["centroid_lat"].iloc[0], plan["centroid_lon"].iloc[0]) == pytest.approx(centre)
    assert plan["area_km2"].iloc[0] == pytest.approx(
        h3.cell_area(h3.latlng_to_cell(*A, 9), unit="km^2")
    )
    assert plan.crs.to_epsg() == 4326
    assert plan.geometry.iloc[0].contains(gpd.points_from_xy([A[1]], [A[0]])[0])


def test_cells_match_h3_per_row_on_the_sample(sample):
    calls = sample.calls
    plan = patrol_plan(calls, sample.venues, PatrolParams(top=15))
    # independent oracle: h3 called on every row, counted with pandas
    per_row = pd.Series(h3_per_row(calls))
    oracle = per_row.value_counts()
    oracle = oracle.sort_index().sort_values(ascending=False, kind="stable").head(15)
    assert plan["hotspot"].tolist() == oracle.index.tolist()
    assert plan["n_incidents"].tolist() == oracle.tolist()
    # and the library's own counts (what the map shows)
    cc = count_cells(calls, 9).head(15)
    assert plan["n_incidents"].tolist() == cc["count"].tolist()


@pytest.mark.parametrize("resolution", [8, 10])
def test_resolution_changes_the_cells(sample, resolution):
    plan = patrol_plan(sample.calls, params=PatrolParams(top=3, resolution=resolution))
    assert all(h3.get_resolution(c) == resolution for c in plan["hotspot"])
    assert (
        plan["n_incidents"].tolist()
        == count_cells(sample.calls, resolution)["count"].head(3).tolist()
    )


# --- clusters -----------------------------------------------------------------------------
def test_clusters_match_dbscan_labels(sample):
    p = PatrolParams(method="clusters", top=8, eps=100, min_samples=30)
    plan = patrol_plan(sample.calls, sample.venues, p)
    labels = dbscan_labels(sample.calls, eps=100, min_samples=30)
    sizes = np.sort(np.bincount(labels[labels >= 0]))[::-1][:8]
    assert plan["n_incidents"].tolist() == sizes.tolist()
    assert (plan["method"] == "clusters").all()
    # each outline holds the cluster's calls
    for r in plan.itertuples():
        member = sample.calls.loc[labels == int(r.hotspot)]
        assert len(member) == r.n_incidents
        assert shapely.contains_xy(r.geometry.buffer(1e-9), member["lon"], member["lat"]).all()


def _members(calls, plan, method):
    if method == "cells":
        ids = h3_per_row(calls)
        return {r.rank: calls.loc[ids == r.hotspot] for r in plan.itertuples()}
    labels = dbscan_labels(calls, eps=100, min_samples=30)
    return {r.rank: calls.loc[labels == int(r.hotspot)] for r in plan.itertuples()}


def _best_window(hours: np.ndarray, width: int) -> tuple[int, int]:
    """Brute force: every start hour, counting the window with a modulo."""
    best = (-1, -1)
    for s in range(24):
        n = sum(int(hours[(s + j) % 24]) for j in range(width))
        if n > best[1]:
            best = (s, n)
    return best


@pytest.mark.parametrize("method", ["cells", "clusters"])
def test_offenses_and_peak_times_match_brute_force(sample, method):
    from hotspots.temporal import hour_weekday_table

    # the numbers _members reproduces by hand (auto would choose its own)
    p = PatrolParams(method=method, top=6, resolution=9, eps=100.0, min_samples=30)
    plan = patrol_plan(sample.calls, sample.venues, p, lang="en")
    members = _members(sample.calls, plan, method)
    for r in plan.itertuples():
        sub = members[r.rank]
        assert len(sub) == r.n_incidents
        vc = sub["offense"].astype(str).value_counts()  # no zero counts of other categories
        vc = vc.sort_index().sort_values(ascending=False, kind="stable")
        assert [r.offense_1, r.offense_2, r.offense_3] == vc.index[:3].tolist()
        assert r.offense_1_pct == pytest.approx(round(100 * vc.iloc[0] / len(sub), 1))
        assert r.top_offenses.startswith(
            f"{offense_label(vc.index[0], 'en')} {100 * vc.iloc[0] / len(sub):.0f}%"
        )
        hours = hour_weekday_table(sub).sum(axis=0).to_numpy()
        start, n = _best_window(hours, 3)
        assert r.peak_hour_start == start
        assert r.peak_hours == f"{start:02d}:00–{(start + 3) % 24:02d}:00"
        assert r.peak_hours_pct == pytest.approx(100 * n / hours.sum())
        days = sub["weekday"].dropna().astype(int).value_counts()
        days = days.sort_index().sort_values(ascending=False, kind="stable")
        assert r.peak_weekday_ids == ",".join(str(d) for d in days.index[:2])
        assert r.peak_weekdays == ", ".join(
            weekday_label(d, "en", short=True) for d in days.index[:2]
        )
        assert r.peak_weekdays_pct == pytest.approx(100 * days.iloc[:2].sum() / days.sum())


@pytest.mark.parametrize(
    "hours, width, start, calls",
    [
        ({23: 5, 0: 5, 1: 5, 12: 9}, 3, 23, 15),  # wraps past midnight
        ({12: 9}, 3, 10, 9),  # ties: the earliest start
        ({5: 1, 6: 2, 7: 1}, 1, 6, 2),
        ({h: 1 for h in range(24)}, 24, 0, 24),
        ({22: 4, 2: 4}, 5, 22, 8),
    ],
)
def test_peak_window_by_hand(hours, width, start, calls):
    h = np.zeros((1, 24), dtype=int)
    for k, v in hours.items():
        h[0, k] = v
    s, n = peak_window(h, width)
    assert (int(s[0]), int(n[0])) == (start, calls)


# --- locations ----------------------------------------------------------------------------
def test_location_names_the_venues_its_calls_belong_to():
    # 6 calls ~10 m from a café, 2 calls ~10 m from a bar 60 m away, all in one cell
    cafe = (LAT0, LON0)
    bar = (LAT0 + 60 / M_PER_DEG, LON0)
    lat = [cafe[0] + 10 / M_PER_DEG] * 6 + [bar[0] + 10 / M_PER_DEG] * 2
    calls = make_calls(lat, [LON0] * 8)
    venues = make_venues(
        [("v1", "Café <b>Altyn</b>", "cafe", *cafe), ("v2", "Bar Ten", "bar", *bar)]
    )
    plan = patrol_plan(calls, venues, PatrolParams(top=1, venue_radius_m=30), lang="ru")
    assert plan["n_incidents"].tolist() == [8]
    expected = (
        f"Café <b>Altyn</b> ({venue_label('cafe', 'ru')}); Bar Ten ({venue_label('bar', 'ru')})"
    )
    assert plan["location"].iloc[0] == expected
    assert plan["venues"].iloc[0] == "v1;v2"


def test_location_falls_back_to_the_nearest_venue_with_its_distance():
    calls = make_calls([LAT0] * 4, [LON0] * 4)
    centre = h3.cell_to_latlng(h3.latlng_to_cell(LAT0, LON0, 9))
    venue = (centre[0] + 300 / M_PER_DEG, centre[1])
    venues = make_venues([("v9", "Central Square", "square", *venue)])
    p = PatrolParams(top=1, resolution=9, venue_radius_m=50)  # the cell centred above
    plan = patrol_plan(calls, venues, p, lang="en")
    d = float(haversine_m(centre[0], centre[1], *venue))
    assert plan["nearest_venue_m"].iloc[0] == pytest.approx(d, abs=1.0)
    assert plan["location"].iloc[0] == t(
        "patrol.near_venue", "en", venue="Central Square (Square)", m=f"{d:.0f}"
    )


def test_location_falls_back_to_the_dominant_premise_without_venues():
    calls = make_calls([LAT0] * 5, [LON0] * 5, premise=["STREET", "STREET", "STREET", "BAR", None])
    plan = patrol_plan(calls, None, PatrolParams(top=1), lang="en")
    assert plan["location"].iloc[0] == "mostly street (75%)"
    assert np.isnan(plan["nearest_venue_m"].iloc[0])


# --- presenter mode -------------------------------------------------------------------------
def test_presenter_mode_suppresses_small_hotspots():
    calls = three_cells()  # 5, 3 and 1 calls
    normal = patrol_plan(calls, params=PatrolParams(top=10, min_count=3))
    shown = patrol_plan(calls, params=PatrolParams(top=10, min_count=3), presenter=True)
    assert normal["n_incidents"].tolist() == [5, 3, 1]  # min_count is a presenter-mode rule
    assert shown["n_incidents"].tolist() == [5, 3]
    none = patrol_plan(calls, params=PatrolParams(top=10, min_count=6), presenter=True)
    assert len(none) == 0 and list(none.columns) == list(PATROL_COLUMNS)


def test_presenter_cluster_centre_is_not_a_call_address():
    # 40 calls snapped onto one address: the mean of the cluster is that address
    calls = make_calls([LAT0 + 0.0001234] * 40, [LON0 + 0.0004321] * 40)
    p = PatrolParams(method="clusters", top=1, eps=50, min_samples=5)
    normal = patrol_plan(calls, params=p)
    assert normal[["centroid_lat", "centroid_lon"]].iloc[0].tolist() == pytest.approx(
        [LAT0 + 0.0001234, LON0 + 0.0004321]
    )
    shown = patrol_plan(calls, params=p, presenter=True)
    lat, lon = shown[["centroid_lat", "centroid_lon"]].iloc[0]
    assert (lat, lon) == (round(lat, 3), round(lon, 3))
    # the centre of the outline's 0.001° lattice cell, rounded: within one step of the calls
    assert abs(lat - (LAT0 + 0.0001234)) <= 0.001 and abs(lon - (LON0 + 0.0004321)) <= 0.001
    assert (lat, lon) != pytest.approx((LAT0 + 0.0001234, LON0 + 0.0004321), abs=1e-6)


# --- parameters ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"method": "kde"}, "method"),
        ({"top": 0}, "top"),
        ({"top": 2.5}, "top"),
        ({"resolution": 6}, "resolution"),
        ({"eps": -5}, "eps"),
        ({"eps": float("nan")}, "eps"),
        ({"min_samples": 0}, "min_samples"),
        ({"min_count": 0}, "min_count"),
        ({"peak_window_h": 25}, "peak_window_h"),
        ({"venue_radius_m": 0}, "venue_radius_m"),
    ],
)
def test_bad_parameters_name_themselves(kwargs, name):
    with pytest.raises(ParameterError, match=name):
        PatrolParams(**kwargs)


def test_params_from_the_app():
    from hotspots.views import Params

    p = PatrolParams.from_view(
        Params(resolution=10, eps_m=80, min_samples=12, venue_radius_m=40), top=3
    )
    assert (p.resolution, p.eps, p.min_samples, p.venue_radius_m, p.top) == (10, 80, 12, 40, 3)
    assert p.describe() == {"method": "cells", "top": 3, "resolution": 10}
    assert PatrolParams(method="clusters").describe() == {
        "method": "clusters",
        "top": 10,
        "eps_m": "auto",
        "min_samples": "auto",
    }
    p = PatrolParams(method="clusters", eps=100.0, min_samples=30, min_count=7)
    assert p.describe(presenter=True) == {
        "method": "clusters",
        "top": 10,
        "eps_m": 100.0,
        "min_samples": 30,
        "presenter": True,
        "min_count": 7,
    }


# --- files --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample_plan(sample):
    p = PatrolParams(top=5)
    plan = patrol_plan(sample.calls, sample.venues, p, lang="kk")
    prov = make_provenance("sample", None, p.describe(), incidents=sample.calls)
    return p, plan, prov


def test_csv_has_the_plan_and_its_provenance(sample_plan):
    _, plan, prov = sample_plan
    data = patrol_csv(plan, prov)
    assert data.startswith("\ufeff".encode())
    df = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype={"hotspot": str})
    assert df["hotspot"].tolist() == plan["hotspot"].tolist()
    assert df["n_incidents"].tolist() == plan["n_incidents"].tolist()
    assert df["location"].tolist() == plan["location"].tolist()
    assert df["centroid_lat"].to_numpy() == pytest.approx(plan["centroid_lat"], abs=1e-6)
    assert (df["prov_source"] == "sample").all()
    assert (df["prov_parameters"] == prov.parameters_text()).all()
    assert (df["prov_made_at"] == prov.made_at.isoformat()).all()


def test_geojson_loads_in_geopandas(sample_plan):
    _, plan, prov = sample_plan
    data = patrol_geojson(plan, prov)
    gdf = gpd.read_file(io.BytesIO(data))
    assert gdf.crs.to_epsg() == 4326
    assert gdf["n_incidents"].tolist() == plan["n_incidents"].tolist()
    assert gdf["hotspot"].tolist() == plan["hotspot"].tolist()
    area = gdf.to_crs(gdf.estimate_utm_crs()).area / 1e6
    assert area.to_numpy() == pytest.approx(plan["area_km2"].to_numpy(), rel=0.01)
    assert json.loads(data)["provenance"] == prov.as_dict()


def test_html_page_has_one_card_per_hotspot_and_provenance(sample, sample_plan):
    p, plan, prov = sample_plan
    html = patrol_html(
        plan, p, provenance=prov, venues=sample.venues, incidents=sample.calls, lang="kk"
    )
    assert html.count('<section class="card">') == len(plan) == 5
    assert html.count('<svg class="minimap"') == 5
    assert t("patrol.title", "kk") in html and '<html lang="kk">' in html
    for label, _ in prov.lines("kk"):
        assert label in html
    assert re.search(r"<meta name=\"hotspots-provenance\" content='\{", html)
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html
    # calls are drawn as dots outside presenter mode, never in it
    assert html.count('r="1.5"') > 100
    shown = patrol_html(
        plan,
        p,
        provenance=prov,
        venues=sample.venues,
        incidents=sample.calls,
        presenter=True,
        lang="kk",
    )
    assert shown.count('r="1.5"') == 0


def test_html_shows_hostile_names_as_text():
    evil = "<script>alert('x')</script>`${1}`"
    calls = make_calls([LAT0] * 6, [LON0] * 6, offense=["<img src=x onerror=alert(1)>"] * 6)
    venues = make_venues([("v1", evil, "cafe", LAT0, LON0)])
    p = PatrolParams(top=1)
    plan = patrol_plan(calls, venues, p)
    html = patrol_html(plan, p, provenance=make_provenance("<b>x</b>.csv", None), venues=venues)
    assert "<script>" not in html and "<img" not in html and "<b>x</b>" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x" in html


@pytest.mark.parametrize("lang", LANGS)
def test_text_columns_follow_the_language(sample, lang):
    plan = patrol_plan(sample.calls, sample.venues, PatrolParams(top=2), lang=lang)
    first = plan.iloc[0]
    assert first["top_offenses"].startswith(offense_label(first["offense_1"], lang))
    days = [int(d) for d in first["peak_weekday_ids"].split(",")]
    assert first["peak_weekdays"] == ", ".join(weekday_label(d, lang, short=True) for d in days)


# --- real data ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def chicago():
    from hotspots import io as hio

    path = real_file("chicago_cpd_2017_2019", "chicago_crimes_2017_2019_sample25k.csv")
    return hio.read_incidents(path).accepted


def test_chicago_cells_and_premises(chicago):
    from hotspots.filters import Filters, apply_filters

    thefts = apply_filters(chicago, Filters(offenses=("theft",), years=(2018,)))
    plan = patrol_plan(thefts, None, PatrolParams(top=5, resolution=9))
    assert plan["n_incidents"].tolist() == count_cells(thefts, 9)["count"].head(5).tolist()
    ids = h3_per_row(thefts)
    for r in plan.itertuples():
        sub = thefts.loc[ids == r.hotspot]
        assert len(sub) == r.n_incidents
        assert r.offense_1 == "theft" and r.offense_1_pct == 100.0
        prem = sub["premise"].value_counts()
        prem = prem.sort_index().sort_values(ascending=False, kind="stable")
        pct = 100 * prem.iloc[0] / sub["premise"].notna().sum()
        assert r.location == f"mostly {prem.index[0].lower()} ({pct:.0f}%)"


# --- hotspots too large to patrol ------------------------------------------------------------
def _sprawl_and_knot():
    """A 1.5 km x 1.5 km square of calls 50 m apart (DBSCAN at eps 75 m chains it into one
    cluster of 2.25 km²) and a knot of 40 calls within 10 m, 3 km away."""
    lat0, lon0 = 43.30, 68.25
    m_lon = M_PER_DEG * np.cos(np.radians(lat0))
    g = np.arange(31) * 50.0
    yy, xx = np.meshgrid(g, g)
    lat = list(lat0 + yy.ravel() / M_PER_DEG)
    lon = list(lon0 + xx.ravel() / m_lon)
    rng = np.random.default_rng(3)
    lat += list(lat0 + (-3000 + rng.uniform(-5, 5, 40)) / M_PER_DEG)
    lon += list(lon0 + rng.uniform(-5, 5, 40) / m_lon)
    return make_calls(lat, lon)


def test_a_cluster_larger_than_a_patrol_area_is_flagged():
    calls = _sprawl_and_knot()
    p = PatrolParams(method="clusters", eps=75, min_samples=5)
    plan = patrol_plan(calls, None, p)
    assert plan["n_incidents"].tolist() == [31 * 31, 40]
    # the square's outline covers at least the 1.5 km x 1.5 km of its calls
    assert plan["area_km2"].iloc[0] >= 1.5 * 1.5 * 0.99 > PATROL_AREA_KM2
    assert plan["area_km2"].iloc[1] < 0.01
    assert plan["oversized"].tolist() == [True, False]
    note = oversized_note(plan, p)
    assert note.startswith("hotspot #1 (961 calls) covers ")
    assert "#2" not in note and "smaller --eps (e.g. 38)" in note and "--method cells" in note
    # the CSV carries the flag
    csv = pd.read_csv(io.BytesIO(patrol_csv(plan)), encoding="utf-8-sig")
    assert csv["oversized"].tolist() == [True, False]


@pytest.mark.parametrize("lang", LANGS)
def test_printable_plan_warns_of_an_oversized_hotspot(lang):
    calls = _sprawl_and_knot()
    p = PatrolParams(method="clusters", eps=75, min_samples=5)
    plan = patrol_plan(calls, None, p, lang=lang)
    prov = make_provenance("calls.csv", None, p.describe(), incidents=calls)
    html = patrol_html(plan, p, provenance=prov, lang=lang)
    area = plan["area_km2"].iloc[0]
    decimal = "." if lang == "en" else ","
    place = plan["location"].iloc[0]  # named as its card is, never by its cluster number
    expected = (
        f"⚠ #1{' · ' + place if place else ''}: "
        f"{f'{area:.2f}'.replace('.', decimal)} {t('unit.km2', lang)} > 1 {t('unit.km2', lang)}, "
        + t("patrol.oversized_clusters", lang)  # what to try, in the plan's language
    )
    assert f'<div class="note oversized">{html_escape(expected)}</div>' in html  # ">" as &gt;
    assert html.count('class="note oversized"') == 1
    assert html.count('<strong class="oversized">') == 1


def test_an_oversized_cell_suggests_a_finer_resolution():
    # an H3 cell of resolution 7 is about 5 km²: larger than a patrol area whatever it holds
    calls = _sprawl_and_knot()
    p = PatrolParams(resolution=7, top=1)
    plan = patrol_plan(calls, None, p, lang="kk")
    assert plan["oversized"].tolist() == [True]
    [line] = oversized_lines(plan, "kk")
    assert line.endswith(", " + t("patrol.oversized_cells", "kk"))
    assert "--resolution (e.g. 8)" in oversized_note(plan, p)


def test_small_hotspots_raise_no_warning():
    calls = _sprawl_and_knot()
    plan = patrol_plan(calls, None, PatrolParams(resolution=9))  # H3 cells of ~0.1 km²
    assert not plan["oversized"].any()
    assert oversized_note(plan) is None
    p = PatrolParams(method="clusters", eps=30, min_samples=5)  # 50 m apart: no chain
    assert oversized_note(patrol_plan(calls, None, p), p) is None


def test_vancouver_chained_cluster_is_flagged(capsys, tmp_path):
    from cli_support import run

    path = real_file("vancouver_vpd_2020", "crimedata_csv_AllNeighbourhoods_2020.csv")
    out = tmp_path / "out"
    args = ["report", path, "--crs", "EPSG:32610", "--eps", "75", "--min-samples", "30"]
    code, _, err = run(capsys, *args, "-o", out, "--tiles", "none", "--lang", "ru")
    assert code == 0, err
    plan = pd.read_csv(out / "patrol.csv", encoding="utf-8-sig")
    assert plan["n_incidents"].iloc[0] > 10_000 and plan["area_km2"].iloc[0] > 4
    assert bool(plan["oversized"].iloc[0])
    assert plan["oversized"].tolist() == (plan["area_km2"] > PATROL_AREA_KM2).tolist()
    assert "hotspot #1 (10,261 calls) covers 4.16 km², more than one patrol can cover" in err
    assert "try a smaller --eps (e.g. 38) or --method cells" in err
    html = (out / "patrol.html").read_text(encoding="utf-8")
    assert "⚠ #1" in html  # named by its place, never "Hotspot <cluster number>"
    assert f"{t('patrol.hotspot', 'ru')} {plan['hotspot'].iloc[0]}:" not in html


# peak hours inside the filters; never silently empty --------------------------------------
def test_peak_hours_lie_inside_the_hour_filter(sample):
    # the case: filter 18:00-23:59 and a plan row "17:00-20:00" must not happen
    from hotspots.filters import Filters, apply_filters

    f = Filters(years=(2021,), hours=tuple(range(18, 24)))
    sub = apply_filters(sample.calls, f)
    plan = patrol_plan(sub, params=PatrolParams(top=10), hours=f.hours)
    starts = plan["peak_hour_start"].dropna().astype(int)
    assert len(starts) == len(plan) > 0
    assert starts.between(18, 21).all()  # a 3-hour window from 18 to at most 21
    assert all(h.startswith(("18:", "19:", "20:", "21:")) for h in plan["peak_hours"])


def test_a_filter_shorter_than_the_window_shortens_it():
    from hotspots.patrol import peak_window, window_width

    h = np.zeros((1, 24), int)
    h[0, [21, 22, 23]] = [50, 1, 1]
    assert window_width(3, [22, 23]) == 2
    start, calls = peak_window(h, 2, allowed=[22, 23])
    assert (start[0], calls[0]) == (22, 2)


def test_peak_days_are_among_the_days_filtered(sample):
    from hotspots.filters import Filters, apply_filters

    f = Filters(years=(2021,), weekdays=(5, 6))
    plan = patrol_plan(apply_filters(sample.calls, f), weekdays=f.weekdays)
    for ids in plan["peak_weekday_ids"]:
        assert ids and {int(d) for d in ids.split(",")} <= {5, 6}


def test_an_empty_plan_says_why_and_what_would_fill_it(sample):
    from hotspots.filters import Filters, apply_filters
    from hotspots.patrol import oversized_lines, oversized_note

    night = apply_filters(
        sample.calls, Filters(years=(2021,), offenses=("hooliganism",), hours=range(18, 24))
    )
    assert len(patrol_plan(night, params=PatrolParams(method="clusters"))) > 0  # auto finds some
    p = PatrolParams(method="clusters", eps=100.0, min_samples=30)  # the fixed numbers
    plan = patrol_plan(night, params=p)
    assert len(plan) == 0
    hint = plan.attrs["empty_hint"]
    m = hint["fmt"]["suggested"]
    fill = PatrolParams(method="clusters", eps=100.0, min_samples=m)
    assert len(patrol_plan(night, params=fill)) > 0
    assert oversized_note(plan, p).startswith("the patrol plan is empty: no DBSCAN cluster")
    (line,) = oversized_lines(plan, "ru")
    assert line.startswith("План патрулирования пуст") and str(m) in line


def test_the_printable_plan_of_an_empty_plan_says_why(sample):
    from hotspots.filters import Filters, apply_filters
    from hotspots.report import build_report_bundle

    f = Filters(years=(2021,), offenses=("hooliganism",), hours=range(18, 24))
    bundle = build_report_bundle(
        apply_filters(sample.calls, f),
        None,
        sample.boundary,
        source="sample",
        filters=f,
        params=PatrolParams(method="clusters", eps=100.0, min_samples=30),
        files=("patrol.html",),
    )
    html = bundle.files["patrol.html"].decode("utf-8")
    assert len(bundle.plan) == 0
    assert "The patrol plan is empty: DBSCAN found no cluster" in html
    assert "Set the minimum calls to" in html
