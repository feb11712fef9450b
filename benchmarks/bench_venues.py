"""Venue attribution benchmark: ``python -m benchmarks.bench_venues`` from the repo root.

Attributes 1M synthetic clustered calls to 10k venues within 50 m with
:func:`hotspots.venues.attribute_to_venues` (median of ``--runs`` runs; target <= 1 s, issue 3)
and compares, in the same run, with the naive approaches users would otherwise write:

* GeoPandas ``sjoin_nearest(max_distance=50)`` after ``to_crs`` to UTM, timed on a 100k subset
  of the calls and scaled x10 to 1M (its cost is linear in the calls);
* a Python loop computing each call's haversine distance to every venue, timed on 1,000 calls
  and scaled x1000.

Both naive results are checked against ours on the calls they ran on (same nearest venue, up to
equidistant venues). The real Manchester case (92k burglaries, 246 licensed premises) runs when
``../shared/data`` is there. The ranking (:func:`hotspots.venues.rank_venues`) of the 1M calls
is timed too, for the record.
"""

from __future__ import annotations

import argparse
import sys

import geopandas as gpd
import numpy as np
import pandas as pd

from benchmarks.synthetic import make_incidents
from benchmarks.timing import DATA, median_time, print_markdown
from hotspots.schema import EARTH_RADIUS_M
from hotspots.venues import attribute_to_venues, gini, rank_venues

GMP = DATA / "uk_manchester_merseyside" / "gmp_burglary_2016_2019.csv"
PREMISES = DATA / "uk_manchester_merseyside" / "poi_manchester_city_centre_licensed_premises.csv"
RADIUS = 50.0
KINDS = ("cafe", "restaurant", "bar", "tea_house", "square", "park", "market")


def synthetic_venues(n: int, seed: int = 1) -> gpd.GeoDataFrame:
    g = make_incidents(n, seed=seed)
    rng = np.random.default_rng(seed)
    return gpd.GeoDataFrame(
        {
            "venue_id": [f"V{i:05d}" for i in range(n)],
            "name": [f"Venue {i}" for i in range(n)],
            "kind": np.asarray(KINDS, dtype=object)[rng.integers(0, len(KINDS), n)],
            "lat": g["lat"].to_numpy(),
            "lon": g["lon"].to_numpy(),
        },
        geometry=g.geometry.values,
        crs="EPSG:4326",
    )


def naive_sjoin(calls: gpd.GeoDataFrame, venues: gpd.GeoDataFrame) -> pd.Series:
    """What a GeoPandas user writes: project to UTM, sjoin_nearest with a max distance."""
    utm = calls.estimate_utm_crs()
    joined = gpd.sjoin_nearest(
        calls[["geometry"]].to_crs(utm),
        venues[["venue_id", "geometry"]].to_crs(utm),
        how="left",
        max_distance=RADIUS,
        distance_col="d",
    )
    joined = joined[~joined.index.duplicated(keep="first")]  # equidistant venues
    return joined[["venue_id", "d"]]


def naive_loop(calls: pd.DataFrame, venues: pd.DataFrame) -> pd.DataFrame:
    """What a pandas user writes: for each call, haversine to every venue, keep the nearest."""
    vlat, vlon = np.radians(venues["lat"].to_numpy()), np.radians(venues["lon"].to_numpy())
    ids = venues["venue_id"].to_numpy()
    out: list[tuple[str | None, float]] = []
    for lat, lon in zip(calls["lat"], calls["lon"], strict=True):
        p = np.radians(lat)
        a = (
            np.sin((vlat - p) / 2) ** 2
            + np.cos(p) * np.cos(vlat) * np.sin((vlon - np.radians(lon)) / 2) ** 2
        )
        d = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a))
        i = int(np.argmin(d))
        out.append((ids[i], d[i]) if d[i] <= RADIUS else (None, np.nan))
    return pd.DataFrame(out, columns=["venue_id", "d"], index=calls.index)


def agreement(ours: pd.DataFrame, theirs: pd.DataFrame) -> float:
    """Share of calls on which a naive result is consistent with ours.

    Consistent: the same venue (or none); or another venue at the same distance (+-0.5 m:
    premises geocoded to one address); or a call within 0.5 % of the radius from its venue,
    where UTM (ellipsoid) and haversine (sphere) distances can fall on either side.
    """
    a = ours["venue_id"].astype("string").fillna("-").to_numpy(dtype=object)
    b = theirs["venue_id"].astype("string").fillna("-").to_numpy(dtype=object)
    da = ours["venue_distance_m"].to_numpy(dtype=float)
    db = theirs["d"].to_numpy(dtype=float)
    same = a == b
    tie = np.abs(da - db) <= 0.5
    edge = (np.abs(np.nan_to_num(da, nan=0) - RADIUS) <= 0.005 * RADIUS) | (
        np.abs(np.nan_to_num(db, nan=0) - RADIUS) <= 0.005 * RADIUS
    )
    return float(np.mean(same | tie | edge))


def manchester() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame] | None:
    if not (GMP.exists() and PREMISES.exists()):
        return None
    from hotspots import io

    calls = io.read_incidents(GMP).accepted
    venues = io.read_venues(PREMISES).accepted
    return calls, venues


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runs", type=int, default=5, help="timed runs of ours (median)")
    p.add_argument("--calls", type=int, default=1_000_000)
    p.add_argument("--venues", type=int, default=10_000)
    args = p.parse_args(argv)

    calls = make_incidents(args.calls, seed=0)
    venues = synthetic_venues(args.venues)
    attribute_to_venues(calls.iloc[:1000], venues, radius=RADIUS)  # warm up imports

    rows = []
    ok_all = True

    def row(case, n_calls, n_venues, t_ours, naive, t_naive, scale, target, agree):
        nonlocal ok_all
        ok = True if target is None else t_ours <= target
        ok &= agree >= 0.999
        ok_all &= ok
        rows.append(
            [
                case,
                f"{n_calls:,}",
                f"{n_venues:,}",
                f"{t_ours:.3f}",
                naive,
                f"{t_naive:.2f}"
                + (f" (x{scale:g} from {n_calls // scale:,})" if scale > 1 else ""),
                f"{t_naive / t_ours:.0f}x",
                f"{agree:.4f}",
                "-" if target is None else f"<= {target:g} s",
                "PASS" if ok else "FAIL",
            ]
        )
        print(" | ".join(rows[-1]), flush=True)

    t_ours, att = median_time(lambda: attribute_to_venues(calls, venues, radius=RADIUS), args.runs)
    sub = calls.iloc[: args.calls // 10]
    t_sj, sj = median_time(lambda: naive_sjoin(sub, venues), 3)
    row(
        "synthetic",
        args.calls,
        args.venues,
        t_ours,
        "gpd.sjoin_nearest (median 3)",
        t_sj * 10,
        10,
        1.0,
        agreement(att.iloc[: len(sub)], sj),
    )
    few = calls.iloc[: args.calls // 1000]
    t_loop, lp = median_time(lambda: naive_loop(few, venues), 1)
    row(
        "synthetic",
        args.calls,
        args.venues,
        t_ours,
        "haversine loop per call (1 run)",
        t_loop * 1000,
        1000,
        1.0,
        agreement(att.iloc[: len(few)], lp),
    )

    real = manchester()
    if real is not None:
        mcalls, mven = real
        attribute_to_venues(mcalls.iloc[:100], mven, radius=RADIUS)
        t_m, matt = median_time(lambda: attribute_to_venues(mcalls, mven, radius=RADIUS), args.runs)
        t_msj, msj = median_time(lambda: naive_sjoin(mcalls, mven), 3)
        row(
            "Manchester burglary / premises",
            len(mcalls),
            len(mven),
            t_m,
            "gpd.sjoin_nearest (median 3)",
            t_msj,
            1,
            None,
            agreement(matt, msj),
        )

    head = [
        "case",
        "calls",
        "venues",
        f"ours s (median {args.runs})",
        "naive approach",
        "naive s",
        "speed-up",
        "consistent",
        "target",
        "result",
    ]
    print()
    print_markdown(head, rows)

    t_rank, ranking = median_time(lambda: rank_venues(calls, venues, att), 3)
    g = gini(ranking["calls"].to_numpy())
    print(
        f"\nrank_venues on {args.calls:,} calls x {args.venues:,} venues: {t_rank:.3f} s "
        f"(median of 3); {int(ranking['calls'].sum()):,} calls at venues, Gini {g:.3f} "
        "(report only)"
    )
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
