"""A synthetic city with known venue effects, for the risk-terrain tests and benchmark.

Over a square study area, the expected calls of a cell rise along a west-east gradient (the
busy side of town); ``bar`` venues multiply them by ``rr`` within ``radius_m`` of the cell's
centre, ``cafe`` venues have no effect (relative risk 1) but sit mostly on the busy side, so
that a model blind to the city's general busyness would credit them. Calls of other offense
types follow the gradient alone: they are the background the model controls for.
Calls sit at their cell's centre; counts are Poisson.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hotspots.projection import local_metric_crs, to_lonlat
from hotspots.risk import factors as fx
from hotspots.schema import CRS


@dataclass
class City:
    target: pd.DataFrame  # the modelled offense ("hooliganism")
    background: pd.DataFrame  # other offense types
    venues: pd.DataFrame
    area: shapely.Geometry
    cells: fx.Cells
    near_bar: np.ndarray  # cells within radius_m of a bar (the true factor)
    rate: np.ndarray  # expected target calls per cell


def _points(cells: fx.Cells, counts: np.ndarray, offense: str, year: int) -> pd.DataFrame:
    pos = np.repeat(np.arange(len(cells)), counts)
    return pd.DataFrame(
        {
            "lat": cells.lat[pos],
            "lon": cells.lon[pos],
            "offense": offense,
            "year": pd.array(np.full(pos.size, year), dtype="Int64"),
            "month": pd.array(np.full(pos.size, 6), dtype="Int64"),
        }
    )


def make_city(
    seed: int = 0,
    *,
    rr: float = 3.0,
    radius_m: float = 100.0,
    side_m: float = 3000.0,
    n_bars: int = 25,
    n_cafes: int = 40,
    mean_calls: float = 2.0,
    gradient: float = 1.5,
    background_per_cell: float = 8.0,
    resolution: int = 10,
    years: tuple[int, ...] = (2020,),
    centre: tuple[float, float] = (43.297, 68.25),
) -> City:
    """Draw the city (reproducible from ``seed``); see the module docstring.

    ``mean_calls`` is the mean expected target calls of a cell away from bars, per year;
    ``gradient`` the log-rate rise from the west to the east edge. Several ``years`` draw
    independent counts from the same rates (for scoring against a later year).
    """
    rng = np.random.default_rng(seed)
    crs = local_metric_crs(*centre, sphere=True)
    h = side_m / 2
    ring_x = np.array([-h, h, h, -h, -h])
    ring_y = np.array([-h, -h, h, h, -h])
    lon, lat = to_lonlat(ring_x, ring_y, crs)
    area = shapely.Polygon(np.column_stack([lon, lat]))
    cells = fx.study_cells(area, resolution=resolution)
    east = (cells.x - cells.x.min()) / np.ptp(cells.x)  # 0 west .. 1 east

    bx, by = rng.uniform(-h, h, n_bars), rng.uniform(-h, h, n_bars)
    # cafés follow the busyness: drawn with density rising like the gradient
    u = rng.uniform(size=n_cafes)
    cx = -h + side_m * np.log1p(u * np.expm1(gradient)) / gradient
    cy = rng.uniform(-h, h, n_cafes)
    vx, vy = np.r_[bx, cx], np.r_[by, cy]
    vlon, vlat = to_lonlat(vx, vy, crs)
    venues = pd.DataFrame(
        {
            "venue_id": [f"V{i:03d}" for i in range(vx.size)],
            "name": [f"venue {i}" for i in range(vx.size)],
            "kind": ["bar"] * n_bars + ["cafe"] * n_cafes,
            "lat": vlat,
            "lon": vlon,
        }
    )
    venues = gpd.GeoDataFrame(venues, geometry=gpd.points_from_xy(vlon, vlat), crs=CRS)

    d_bar = np.hypot(cells.x[:, None] - bx[None], cells.y[:, None] - by[None]).min(axis=1)
    near_bar = d_bar <= radius_m
    busy = np.exp(gradient * east)
    base = mean_calls * busy / busy.mean()
    rate = base * np.where(near_bar, rr, 1.0)
    bg_rate = background_per_cell * busy / busy.mean()
    target, background = [], []
    for year in years:
        target.append(_points(cells, rng.poisson(rate), "hooliganism", year))
        background.append(_points(cells, rng.poisson(bg_rate), "theft", year))
    return City(
        pd.concat(target, ignore_index=True),
        pd.concat(background, ignore_index=True),
        venues,
        area,
        cells,
        near_bar,
        rate,
    )
