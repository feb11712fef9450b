"""The files the analysis commands write carry their provenance (source, filters, command,
parameters, date, version), so a table or surface shown at a meeting can be reproduced."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import rasterio
from cli_support import run

from hotspots.output import read_provenance

YEAR_2021 = ("--years", "2021", "--offenses", "hooliganism")


@pytest.mark.parametrize(
    ("args", "out", "params"),
    [
        (
            ["grid", "--resolution", "8"],
            "cells.gpkg",
            {"command": "hotspots grid", "resolution": 8},
        ),
        (
            ["gistar", "--resolution", "9", "--k", "2"],
            "gi.parquet",
            {"command": "hotspots gistar", "resolution": 9, "k": 2},
        ),
        (
            ["clusters", "--eps", "120", "--min-samples", "8"],
            "clusters.geojson",
            {"command": "hotspots clusters", "method": "dbscan", "eps": 120.0, "min_samples": 8},
        ),
        (
            ["venues", "--radius", "40"],
            "venues.gpkg",
            {"command": "hotspots venues", "radius": 40.0},
        ),
        (
            ["emerging", "--period", "quarter"],
            "em.geojson",
            {"command": "hotspots emerging", "period": "quarter"},
        ),
    ],
)
def test_tables_carry_source_filters_and_parameters(capsys, tmp_path, args, out, params):
    path = tmp_path / out
    code, _, err = run(capsys, *args, "--sample", *YEAR_2021, "-o", path)
    assert code == 0, err
    prov = read_provenance(path)
    assert prov["source"] == "sample" and prov["tool"] == "hotspots"
    assert prov["filters"] == "years 2021; offenses hooliganism"
    assert params.items() <= prov["parameters"].items()
    assert prov["period_start"].startswith("2021") and prov["period_end"].startswith("2021")
    made = dt.datetime.fromisoformat(prov["made_at"])
    assert abs(dt.datetime.now() - made) < dt.timedelta(minutes=10)


def test_the_density_surface_and_contours_carry_the_bandwidth_used(capsys, tmp_path):
    tif, contours = tmp_path / "d.tif", tmp_path / "hot.geojson"
    code, text, err = run(
        capsys,
        "density",
        "--sample",
        *YEAR_2021,
        "--bandwidth",
        "auto",
        "-o",
        tif,
        "--contours",
        contours,
    )
    assert code == 0, err
    with rasterio.open(tif) as src:
        tags = src.tags()
    prov = json.loads(tags["hotspots_provenance"])
    # the bandwidth the ArcGIS rule chose, as the GeoTIFF's own tag and the run's line say
    assert prov["parameters"]["bandwidth_m"] == pytest.approx(float(tags["bandwidth_m"]), abs=1e-3)
    assert f"bandwidth {prov['parameters']['bandwidth_m']:,.0f} m (auto: ArcGIS rule)" in text
    assert prov["filters"] == "years 2021; offenses hooliganism"
    assert read_provenance(contours) == prov


def test_csv_outputs_stay_plain_tables(capsys, tmp_path):
    path = tmp_path / "cells.csv"
    code, _, err = run(capsys, "grid", "--sample", "-o", path)
    assert code == 0, err
    assert path.read_text(encoding="utf-8").splitlines()[0] == "cell,count"
