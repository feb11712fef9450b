"""``hotspots clusters`` and ``hotspots venues`` on the sample and on real police data."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from cli_support import run
from sklearn.cluster import DBSCAN
from sklearn.metrics import adjusted_rand_score
from sklearn.metrics.pairwise import haversine_distances

from hotspots.sample import load_sample, sample_paths
from hotspots.schema import EARTH_RADIUS_M

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CHICAGO = DATA / "chicago_cpd_2017_2019" / "chicago_crimes_2017_2019_sample25k.csv"
GMP = DATA / "uk_manchester_merseyside" / "gmp_burglary_2016_2019.csv"
PREMISES = DATA / "uk_manchester_merseyside" / "poi_manchester_city_centre_licensed_premises.csv"
needs_chicago = pytest.mark.skipif(not CHICAGO.exists(), reason=f"real data absent: {CHICAGO}")
needs_manchester = pytest.mark.skipif(
    not (GMP.exists() and PREMISES.exists()), reason=f"real data absent: {GMP} / {PREMISES}"
)


def nearest_within(calls: pd.DataFrame, venues: pd.DataFrame, radius: float) -> np.ndarray:
    """Brute force: index of each call's nearest venue by haversine, -1 beyond ``radius``."""
    d = (
        haversine_distances(
            np.radians(calls[["lat", "lon"]].to_numpy(float)),
            np.radians(venues[["lat", "lon"]].to_numpy(float)),
        )
        * EARTH_RADIUS_M
    )
    return np.where(d.min(axis=1) <= radius, d.argmin(axis=1), -1)


# --- clusters --------------------------------------------------------------------------------
def test_clusters_on_the_sample(tmp_path, capsys):
    out, labels = tmp_path / "clusters.geojson", tmp_path / "labels.csv"
    args = ["clusters", "--sample", "--eps", 100, "--min-samples", 10]
    code, text, err = run(capsys, *args, "-o", out, "--labels", labels)
    assert code == 0, err
    lab = pd.read_csv(labels, dtype={"incident_id": str})
    assert list(lab.columns) == ["incident_id", "lat", "lon", "cluster"]
    assert len(lab) == len(load_sample().calls)
    cl = gpd.read_file(out)
    assert cl.crs.to_epsg() == 4326 and len(cl) > 5
    # the summary and the labels agree cluster by cluster
    counts = lab.loc[lab["cluster"] >= 0, "cluster"].value_counts().sort_index()
    assert cl.set_index("cluster")["n_incidents"].sort_index().tolist() == counts.tolist()
    # the sample's venues are used by default
    assert (cl["venues"].fillna("") != "").any() and cl["venue_share"].notna().all()
    assert f"{len(cl)} clusters" in text


@needs_chicago
def test_clusters_on_chicago_equal_sklearn_haversine(tmp_path, capsys):
    labels = tmp_path / "labels.csv"
    args = ["clusters", CHICAGO, "--eps", 150, "--min-samples", 15]
    code, text, err = run(capsys, *args, "-o", tmp_path / "c.gpkg", "--labels", labels)
    assert code == 0, err
    lab = pd.read_csv(labels)
    raw = pd.read_csv(CHICAGO, usecols=["id", "latitude", "longitude"])
    assert len(lab) == len(raw) == 25_000  # every row has coordinates and a date
    ref = DBSCAN(eps=150 / EARTH_RADIUS_M, min_samples=15, metric="haversine").fit_predict(
        np.radians(lab[["lat", "lon"]].to_numpy())
    )
    assert adjusted_rand_score(ref, lab["cluster"]) >= 0.99
    assert len(gpd.read_file(tmp_path / "c.gpkg")) == ref.max() + 1


@needs_chicago
def test_clusters_filters_years_on_chicago(tmp_path, capsys):
    labels = tmp_path / "labels.csv"
    args = ["clusters", CHICAGO, "--years", 2018, "--eps", 100]
    code, _, err = run(capsys, *args, "--min-samples", 5, "--labels", labels)
    assert code == 0, err
    raw = pd.read_csv(CHICAGO, usecols=["year"])
    assert len(pd.read_csv(labels)) == (raw["year"] == 2018).sum()


def test_clusters_hdbscan_on_the_sample(tmp_path, capsys):
    out = tmp_path / "h.geojson"
    code, text, err = run(
        capsys, "clusters", "--sample", "--method", "hdbscan", "--min-cluster-size", 40, "-o", out
    )
    assert code == 0, err
    assert "HDBSCAN min_cluster_size 40" in text and len(gpd.read_file(out)) >= 2
    # auto's rule counts calls in DBSCAN's radius: HDBSCAN takes the fixed 30 and says so
    assert "min_samples 30)" in text and "HDBSCAN: the fixed default" in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--eps", 0], "eps"),
        (["--min-samples", 0], "min_samples"),
        (["--labels", "labels.geojson"], "--labels"),
    ],
)
def test_clusters_user_errors_exit_2_with_one_line(extra, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "clusters", "--sample", *extra)
    assert code == 2
    assert err.startswith("error:") and message in err and len(err.strip().splitlines()) == 1


# --- venues ------------------------------------------------------------------------------------
def test_venues_on_the_sample(tmp_path, capsys):
    ranking, curve = tmp_path / "ranking.csv", tmp_path / "curve.csv"
    code, text, err = run(
        capsys, "venues", "--sample", "--radius", 50, "-o", ranking, "--curve", curve
    )
    assert code == 0, err
    s = load_sample()
    r = pd.read_csv(ranking)
    assert len(r) == len(s.venues) == len(gpd.read_file(sample_paths().venues))
    near = nearest_within(s.calls, s.venues, 50)
    expected = pd.Series(
        np.bincount(near[near >= 0], minlength=len(s.venues)), index=s.venues["venue_id"].to_numpy()
    )
    assert r.set_index("venue_id")["calls"].reindex(expected.index).tolist() == expected.tolist()
    assert (np.diff(r["calls"]) <= 0).all()
    c = pd.read_csv(curve)
    assert len(c) == len(r) and c["share_of_calls"].iloc[-1] == pytest.approx(1.0)
    assert "Gini" in text


@needs_manchester
def test_venues_on_manchester_licensed_premises(tmp_path, capsys):
    ranking = tmp_path / "ranking.csv"
    code, text, err = run(
        capsys, "venues", GMP, "--venues", PREMISES, "--radius", 50, "-o", ranking
    )
    assert code == 0, err
    r = pd.read_csv(ranking)
    prem = pd.read_csv(PREMISES, usecols=["latitude", "longitude"])
    prem = prem.dropna().rename(columns={"latitude": "lat", "longitude": "lon"})
    assert len(r) == len(prem) == 246  # 107 of 353 premises have no coordinates
    calls = pd.read_csv(GMP).rename(columns={"Latitude": "lat", "Longitude": "lon"})
    # only calls near the city centre can be within 50 m of a premises
    box = calls["lat"].between(prem["lat"].min() - 0.01, prem["lat"].max() + 0.01) & calls[
        "lon"
    ].between(prem["lon"].min() - 0.01, prem["lon"].max() + 0.01)
    near = nearest_within(calls[box], prem, 50)
    assert r["calls"].sum() == (near >= 0).sum()
    assert (
        sorted(r["calls"], reverse=True)[:5]
        == sorted(np.bincount(near[near >= 0], minlength=len(prem)), reverse=True)[:5]
    )
    assert {"calls_2016", "calls_2019", "offense_burglary"} <= set(r.columns)


def test_venues_needs_a_venue_file(tmp_path, capsys):
    calls = tmp_path / "calls.csv"
    pd.DataFrame({"lat": [43.3], "lon": [68.25], "date": ["2020-01-01"], "type": ["theft"]}).to_csv(
        calls, index=False
    )
    code, _, err = run(capsys, "venues", calls)
    assert code == 2 and "--venues" in err
