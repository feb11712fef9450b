"""Presenter privacy (hotspots.privacy and every presenter output).

The circle-fitting attack of issue 10: a buffered convex hull's outline is made of arcs
centred on calls, so the circle through three consecutive vertices of an arc gives a call
back. The attack here is written independently of the library: circumcentres of consecutive
vertex triples, projected with pyproj, distances by haversine. It must recover calls from the
analyst's outlines (so the test can fail) and none from the presenter's.
"""

from __future__ import annotations

import csv
import io
import json
import math

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from hotspots import clusters, density, privacy
from hotspots.maps import LAYERS, MapSpec, _ClassedGeoJson, build_map
from hotspots.patrol import PatrolParams, patrol_plan
from hotspots.report import build_report_bundle
from hotspots.tiles import TileConfig
from hotspots.venues import attribute_to_venues, rank_venues

R = 6_371_008.8
K = 5
#: The default clusters of the app and the CLI, and smaller, more numerous ones.
CLUSTER_PARAMS = [(100.0, 30), (100.0, 10)]


# --- the attack ---------------------------------------------------------------------------
def _metric(lat0: float, lon0: float) -> Transformer:
    return Transformer.from_crs(
        "EPSG:4326", f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +units=m", always_xy=True
    )


def _rings(geom) -> list[np.ndarray]:
    polys = getattr(geom, "geoms", [geom])
    return [np.asarray(r.coords)[:-1] for p in polys for r in [p.exterior, *p.interiors]]


def fitted_circles(geoms, lat0: float, lon0: float) -> pd.DataFrame:
    """Circle through every three consecutive vertices of every ring: centre (lat, lon),
    radius (m) and the turn of the outline at the middle vertex (degrees)."""
    fwd = _metric(lat0, lon0)
    rows = []
    for g in geoms:
        for ring in _rings(g):
            x, y = fwd.transform(ring[:, 0], ring[:, 1])
            a = np.column_stack([x, y])
            b, c = np.roll(a, -1, axis=0), np.roll(a, -2, axis=0)
            d = 2 * (
                a[:, 0] * (b[:, 1] - c[:, 1])
                + b[:, 0] * (c[:, 1] - a[:, 1])
                + c[:, 0] * (a[:, 1] - b[:, 1])
            )
            sa, sb, sc = (a**2).sum(1), (b**2).sum(1), (c**2).sum(1)
            ok = np.abs(d) > 1e-6  # collinear triples have no circle
            ux = (sa * (b[:, 1] - c[:, 1]) + sb * (c[:, 1] - a[:, 1]) + sc * (a[:, 1] - b[:, 1]))[
                ok
            ] / d[ok]
            uy = (sa * (c[:, 0] - b[:, 0]) + sb * (a[:, 0] - c[:, 0]) + sc * (b[:, 0] - a[:, 0]))[
                ok
            ] / d[ok]
            u, v = (b - a)[ok], (c - b)[ok]
            turn = np.degrees(
                np.abs(np.arctan2(u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0], (u * v).sum(1)))
            )
            lon, lat = fwd.transform(ux, uy, direction="INVERSE")
            rows.append(
                pd.DataFrame(
                    {
                        "lat": lat,
                        "lon": lon,
                        "radius": np.hypot(ux - b[ok, 0], uy - b[ok, 1]),
                        "turn": turn,
                    }
                )
            )
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["lat", "lon"])


def arc_centres(geoms, lat0: float, lon0: float) -> pd.DataFrame:
    """The centres of the outline's arcs: circles through triples where the outline bends
    smoothly (less than 45° at the middle vertex; a 25 m buffer turns 11.25° per vertex)."""
    c = fitted_circles(geoms, lat0, lon0)
    return c[c["turn"] < 45.0] if len(c) else c


def nearest_call_m(points: pd.DataFrame, calls: pd.DataFrame) -> np.ndarray:
    """Haversine distance from each point to its nearest call, metres (brute force)."""
    if len(points) == 0:
        return np.zeros(0)
    la1 = np.radians(points["lat"].to_numpy(float))[:, None]
    lo1 = np.radians(points["lon"].to_numpy(float))[:, None]
    la2 = np.radians(calls["lat"].to_numpy(float))[None]
    lo2 = np.radians(calls["lon"].to_numpy(float))[None]
    out = np.empty(len(points))
    for s in range(0, len(points), 256):  # blocks of points: memory, not speed
        sl = slice(s, s + 256)
        h = (
            np.sin((la2 - la1[sl]) / 2) ** 2
            + np.cos(la1[sl]) * np.cos(la2) * np.sin((lo2 - lo1[sl]) / 2) ** 2
        )
        out[sl] = (2 * R * np.arcsin(np.sqrt(h))).min(axis=1)
    return out


def calls_recovered(geoms, calls: pd.DataFrame, within_m: float) -> int:
    """Calls lying within ``within_m`` of an arc centre of the outlines."""
    lat0, lon0 = float(calls["lat"].mean()), float(calls["lon"].mean())
    centres = arc_centres(geoms, lat0, lon0)
    if len(centres) == 0:
        return 0
    # the other way round: for each call, its nearest arc centre
    return int((nearest_call_m(calls, centres) < within_m).sum())


def cluster_layer_geoms(m: folium.Map) -> list:
    """The polygons of the map's clusters layer, as the page holds them (GeoJSON)."""
    out = []
    for group in m._children.values():
        if isinstance(group, folium.FeatureGroup) and group.layer_name == "DBSCAN clusters":
            for child in group._children.values():
                if isinstance(child, _ClassedGeoJson):
                    out += [shapely.geometry.shape(f["geometry"]) for f in child.data["features"]]
    return out


@pytest.fixture(scope="module", params=CLUSTER_PARAMS, ids=lambda p: f"eps{p[0]:g}-min{p[1]}")
def plans(request, sample):
    eps, minpts = request.param
    p = PatrolParams(method="clusters", top=50, eps=eps, min_samples=minpts, min_count=K)
    return (
        patrol_plan(sample.calls, sample.venues, p),
        patrol_plan(sample.calls, sample.venues, p, presenter=True),
    )


def test_the_attack_recovers_calls_from_analyst_outlines(plans, sample):
    analyst, _ = plans
    found = calls_recovered(analyst.geometry.values, sample.calls, 1.0)
    # every hull vertex is a call: dozens of them come back to within a metre
    assert found >= 30
    lat0, lon0 = sample.calls["lat"].mean(), sample.calls["lon"].mean()
    centres = arc_centres(analyst.geometry.values, lat0, lon0)
    assert np.median(nearest_call_m(centres, sample.calls)) < 1.0


def test_the_attack_recovers_no_call_from_presenter_outlines(plans, sample):
    analyst, presenter = plans
    assert len(presenter) > 0 and presenter["n_incidents"].min() >= K
    assert calls_recovered(presenter.geometry.values, sample.calls, 50.0) == 0
    assert len(presenter) == len(analyst[analyst["n_incidents"] >= K])


def test_every_circle_of_a_presenter_outline_is_centred_on_the_lattice(plans, sample):
    # the outlines bend only at right angles between 0.001° lattice corners: any circle
    # through three vertices is centred on the half-lattice, whatever the calls
    _, presenter = plans
    lat0, lon0 = sample.calls["lat"].mean(), sample.calls["lon"].mean()
    circles = fitted_circles(presenter.geometry.values, lat0, lon0)
    # right angles (to the projection's convergence of meridians, thousandths of a degree)
    assert len(circles) and np.allclose(circles["turn"], 90.0, atol=0.01)
    for col in ("lat", "lon"):  # on the half-lattice to 1e-5° (about a metre)
        assert np.allclose(circles[col] / 0.0005, np.round(circles[col] / 0.0005), atol=0.02)
    # (a half-lattice point may lie on a call by chance, but it was there before the call)


@pytest.mark.parametrize("eps, minpts", CLUSTER_PARAMS)
def test_the_attack_on_the_cluster_map_layer(eps, minpts, sample):
    calls = sample.calls
    labels = clusters.dbscan_labels(calls, eps=eps, min_samples=minpts)
    summary = clusters.summarize_clusters(calls, labels)
    spec = {"layers": frozenset({"clusters"}), "tiles": TileConfig.none(), "min_count": K}
    analyst, _ = build_map(MapSpec(**spec), clusters=summary)
    shown, counts = build_map(MapSpec(**spec, presenter=True), clusters=summary)
    assert calls_recovered(cluster_layer_geoms(analyst), calls, 1.0) >= 30
    geoms = cluster_layer_geoms(shown)
    assert len(geoms) == counts["clusters_shown"] == int((summary["n_incidents"] >= K).sum())
    assert calls_recovered(geoms, calls, 50.0) == 0


# --- outlines by hand ---------------------------------------------------------------------
def test_a_small_cluster_becomes_lattice_cells():
    # 6 calls within 30 m of a point: the hull is smaller than a lattice cell
    rng = np.random.default_rng(3)
    lat = 43.30043 + rng.normal(0, 0.0001, 6)
    lon = 68.25071 + rng.normal(0, 0.0001, 6)
    hull = shapely.buffer(
        shapely.convex_hull(shapely.multipoints(np.column_stack([lon, lat]))), 2e-4
    )
    gdf = gpd.GeoDataFrame({"n_incidents": [6]}, geometry=[hull], crs="EPSG:4326")
    out = privacy.generalise_outlines(gdf, 5)
    xs, ys = np.asarray(out.geometry.iloc[0].exterior.coords).T
    assert np.array_equal(np.round(xs, 3), xs) and np.array_equal(np.round(ys, 3), ys)
    # one cell, holding the hull's centre
    assert out.geometry.iloc[0].equals(shapely.box(68.250, 43.300, 68.251, 43.301))
    assert privacy.generalise_outlines(gdf, 7).empty


def test_outline_cells_are_those_whose_centre_is_inside():
    ring = shapely.box(68.2502, 43.3002, 68.2528, 43.3019)  # 2.6 x 1.7 lattice steps
    cells = privacy.lattice_cells([ring])
    centres_x = (cells["i"] + 0.5) * 0.001
    centres_y = (cells["j"] + 0.5) * 0.001
    assert sorted(np.round(centres_x, 4).unique()) == [68.2505, 68.2515, 68.2525]
    assert sorted(np.round(centres_y, 4).unique()) == [43.3005, 43.3015]


# --- density ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def with_lone_call(sample):
    calls = sample.calls[["lat", "lon"]].copy()
    lone = pd.DataFrame({"lat": [calls["lat"].max() + 0.012], "lon": [calls["lon"].median()]})
    both = pd.concat([calls, lone], ignore_index=True)
    surface = density.kde(both, bandwidth=250.0, cell=50.0)
    return both, lone, surface


def _haversine_counts(lat, lon, calls, radius):
    pts = pd.DataFrame({"lat": lat, "lon": lon})
    la1, lo1 = (
        np.radians(pts["lat"].to_numpy())[:, None],
        np.radians(pts["lon"].to_numpy())[:, None],
    )
    la2, lo2 = np.radians(calls["lat"].to_numpy())[None], np.radians(calls["lon"].to_numpy())[None]
    h = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    return ((2 * R * np.arcsin(np.sqrt(h))) <= radius).sum(axis=1)


def test_a_lone_call_has_density_but_no_presenter_density(with_lone_call):
    calls, lone, surface = with_lone_call
    at = float(surface.value_at(lone["lat"].iloc[0], lone["lon"].iloc[0]))
    one_call_peak = 3 / (math.pi * 250.0**2) * 1e6  # quartic kernel at its centre, per km²
    assert at == pytest.approx(one_call_peak, rel=0.1)
    masked = privacy.private_surface(
        surface, K, lat=calls["lat"].to_numpy(), lon=calls["lon"].to_numpy()
    )
    lon_c, lat_c = surface.cell_centres_lonlat()
    near = _haversine_counts(lat_c.ravel(), lon_c.ravel(), lone, 300.0).reshape(lat_c.shape) > 0
    assert surface.values[near].max() > 0 and masked.values[near].max() == 0.0


def test_presenter_density_cells_have_k_calls_within_the_bandwidth(with_lone_call):
    calls, _, surface = with_lone_call
    masked = privacy.private_surface(surface, K)  # from the surface alone
    lon_c, lat_c = surface.cell_centres_lonlat()
    shown = np.flatnonzero(masked.values.ravel() > 0)
    pick = np.random.default_rng(0).choice(shown, 300, replace=False)
    n = _haversine_counts(lat_c.ravel()[pick], lon_c.ravel()[pick], calls, 250.0)
    assert n.min() >= K


def test_counts_within_the_bandwidth_match_brute_force(with_lone_call):
    calls, _, surface = with_lone_call
    got = privacy.counts_within_bandwidth(surface, calls["lat"], calls["lon"])
    lon_c, lat_c = surface.cell_centres_lonlat()
    pick = np.random.default_rng(1).choice(lat_c.size, 300, replace=False)
    lat_p, lon_p = lat_c.ravel()[pick], lon_c.ravel()[pick]
    # the metric grid and the sphere differ by centimetres: calls on the circle may count or
    # not, so the count lies between those of a metre less and a metre more
    low = _haversine_counts(lat_p, lon_p, calls, 249.0)
    high = _haversine_counts(lat_p, lon_p, calls, 251.0)
    assert (low <= got.ravel()[pick]).all() and (got.ravel()[pick] <= high).all()
    assert (got.ravel()[pick] > 0).sum() > 100


def _contour_geoms(m: folium.Map) -> list:
    out = []
    for group in m._children.values():
        if isinstance(group, folium.FeatureGroup) and group.layer_name == "Kernel density":
            for child in group._children.values():
                if isinstance(child, _ClassedGeoJson):
                    out += [shapely.geometry.shape(f["geometry"]) for f in child.data["features"]]
    return out


def test_presenter_map_draws_no_contour_around_a_lone_call(with_lone_call):
    calls, lone, surface = with_lone_call
    contours = surface.contours(top_area=0.6)  # wide enough to reach the lone call
    spec = {"layers": frozenset({"density"}), "tiles": TileConfig.none(), "min_count": K}
    analyst, _ = build_map(MapSpec(**spec), surface=surface, contours=contours)
    shown, _ = build_map(MapSpec(**spec, presenter=True), surface=surface, contours=contours)
    spot = shapely.Point(lone["lon"].iloc[0], lone["lat"].iloc[0]).buffer(0.004)
    assert any(g.intersects(spot) for g in _contour_geoms(analyst))
    drawn = _contour_geoms(shown)
    assert drawn and not any(g.intersects(spot) for g in drawn)


def test_a_surface_that_cannot_be_masked_is_not_drawn_in_presenter_mode(with_lone_call):
    _, _, surface = with_lone_call

    class Bare:  # values and centres, no bandwidth
        values = surface.values

        def cell_centres_lonlat(self):
            return surface.cell_centres_lonlat()

    spec = MapSpec(layers=frozenset({"density"}), tiles=TileConfig.none(), presenter=True)
    _, counts = build_map(spec, surface=Bare())
    assert "density" not in counts["layers"]


@pytest.mark.parametrize(
    "values, counts, k, expected",
    [([[3.0, 9.0]], [[1, 6]], 5, [[0.0, 9.0]]), ([[2.0]], [[5]], 5, [[2.0]])],
)
def test_mask_density_by_hand(values, counts, k, expected):
    assert privacy.mask_density(np.array(values), np.array(counts), k).tolist() == expected


# --- counts -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "counts, k, expected",
    [
        ([12, 4, 0, 5], 5, ["12", "< 5", "< 5", "5"]),
        ([1, 2], 1, ["1", "2"]),
        ([3], 10, ["< 10"]),
    ],
)
def test_suppress_counts(counts, k, expected):
    assert privacy.suppress_counts(pd.Series(counts), k).tolist() == expected


def test_presenter_venue_ranking_says_less_than_k(sample):
    att = attribute_to_venues(sample.calls, sample.venues, radius=50.0)
    table = rank_venues(sample.calls, sample.venues, att)
    out = privacy.suppress_venue_ranking(table, K)
    small = table["calls"] < K
    assert small.sum() > 10 and (~small).sum() > 10  # both kinds on the sample
    assert (out.loc[small, "calls"] == f"< {K}").all()
    assert (out.loc[~small, "calls"] == table.loc[~small, "calls"].astype(str)).all()
    assert out.loc[small, ["peer_ratio", "share_of_all_calls"]].isna().all().all()
    assert (out.loc[small, "trend"] == "n/a").all()
    for col in [c for c in table.columns if c.startswith(("calls_", "offense_"))]:
        below = table[col] < K
        assert (out.loc[below, col] == f"< {K}").all()
    assert out["rank"].tolist() == table["rank"].tolist()


# --- exports ------------------------------------------------------------------------------
def _decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


def _coords(obj) -> list[float]:
    if isinstance(obj, (int, float)):
        return [obj]
    return [v for item in obj for v in _coords(item)]


@pytest.mark.parametrize("method", ["cells", "clusters"])
def test_presenter_exports_round_every_coordinate(method, sample):
    p = PatrolParams(method=method, top=10, min_samples=30, min_count=K)
    bundle = build_report_bundle(
        sample.calls,
        sample.venues,
        source="sample",
        params=p,
        presenter=True,
        files=("patrol.csv", "patrol.geojson", "patrol.html"),
    )
    rows = list(csv.DictReader(io.StringIO(bundle.files["patrol.csv"].decode("utf-8-sig"))))
    assert rows and all(
        _decimals(r[c]) <= 3 for r in rows for c in ("centroid_lat", "centroid_lon")
    )
    doc = json.loads(bundle.files["patrol.geojson"])
    for f in doc["features"]:
        assert _decimals(repr(f["properties"]["centroid_lat"])) <= 3
        assert _decimals(repr(f["properties"]["centroid_lon"])) <= 3
        xy = np.asarray(_coords(f["geometry"]["coordinates"]))
        if method == "clusters":  # lattice corners: 0.001° multiples
            assert np.allclose(xy, np.round(xy, 3), atol=1e-12)
        else:  # the H3 cell's own corners
            import h3

            corners = np.asarray(h3.cell_to_boundary(f["properties"]["hotspot"]))[:, ::-1]
            pts = xy.reshape(-1, 2)
            d = np.abs(pts[:, None, :] - corners[None]).sum(-1).min(axis=1)
            assert d.max() < 1e-9
    html = bundle.files["patrol.html"].decode("utf-8")
    for r in rows:
        assert f"{float(r['centroid_lat']):.3f}, {float(r['centroid_lon']):.3f}" in html


def test_analyst_exports_keep_exact_centres(sample):
    # outside presenter mode nothing changes: cluster centres are the calls' mean, 6 decimals
    p = PatrolParams(method="clusters", top=5, min_samples=30)
    bundle = build_report_bundle(
        sample.calls, sample.venues, source="sample", params=p, files=("patrol.csv",)
    )
    rows = list(csv.DictReader(io.StringIO(bundle.files["patrol.csv"].decode("utf-8-sig"))))
    assert max(_decimals(r["centroid_lat"]) for r in rows) > 3


def test_every_presenter_map_layer_is_built(sample):
    # all layers at once in presenter mode: nothing fails, no call is drawn one by one
    calls = sample.calls
    labels = clusters.dbscan_labels(calls, eps=100, min_samples=30)
    summary = clusters.summarize_clusters(calls, labels)
    surface = density.kde(calls, bandwidth=250.0, cell=50.0)
    spec = MapSpec(layers=frozenset(LAYERS), tiles=TileConfig.none(), presenter=True)
    _, counts = build_map(
        spec,
        calls=calls,
        clusters=summary,
        surface=surface,
        contours=surface.contours(0.05),
        venues=sample.venues,
    )
    assert counts["calls_mode"] == "cells" and "density" in counts["layers"]
    assert counts["clusters_shown"] == int((summary["n_incidents"] >= 5).sum())
