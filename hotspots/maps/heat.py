"""Kernel density as a heat image resampled to Web Mercator, with its hotspot contours."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any, Final

import folium
import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
from PIL import Image
from scipy import ndimage

from hotspots import i18n
from hotspots.errors import InputError, ParameterError
from hotspots.escape import escape_text
from hotspots.i18n import format_number, t
from hotspots.maps.elements import (
    HotspotLayer,
    _as_wgs84,
    _check_int,
    _check_lang,
    _fmt_float,
    _polygons_layer,
    _RawRender,
)
from hotspots.maps.legends import _insert_before_legends, add_legend
from hotspots.maps.settings import LEGEND_POSITIONS
from hotspots.projection import to_lonlat


def _mercator(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r = 6_378_137.0
    lat = np.clip(lat, -85.0, 85.0)
    return r * np.radians(lon), r * np.log(np.tan(np.pi / 4 + np.radians(lat) / 2))


def _inverse_mercator_lat(y: np.ndarray) -> np.ndarray:
    return np.degrees(2 * np.arctan(np.exp(np.asarray(y) / 6_378_137.0)) - np.pi / 2)


def _grid_lonlat(surface: Any, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = surface.cell_centres_lonlat()
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    ny, nx = shape
    if lon.shape == shape and lat.shape == shape:
        return lon, lat
    if lon.size == ny * nx and lat.size == ny * nx:
        return lon.reshape(shape), lat.reshape(shape)
    raise InputError(
        "surface.cell_centres_lonlat() must give one longitude and latitude per grid cell"
    )


#: Every this many rows and columns a cell centre is used to place the density image (with
#: every cell on the grid's edge): a smooth mapping needs a few thousand points, not all.
_FIT_STRIDE: Final = 8


def _fit_cells(shape: tuple[int, int], stride: int = _FIT_STRIDE) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of the cells whose centres place the image: every cell on the
    grid's edge (where the extremes of the Mercator coordinates lie) and every ``stride``-th
    row and column inside."""
    ny, nx = shape
    rs = np.unique(np.r_[np.arange(0, ny, stride), ny - 1])
    cs = np.unique(np.r_[np.arange(0, nx, stride), nx - 1])
    rr, cc = np.meshgrid(rs, cs, indexing="ij")
    cols_all, rows_all = np.arange(nx), np.arange(ny)
    r = np.r_[rr.ravel(), np.zeros(nx, int), np.full(nx, ny - 1), rows_all, rows_all]
    c = np.r_[cc.ravel(), cols_all, cols_all, np.zeros(ny, int), np.full(ny, nx - 1)]
    flat = np.unique(r * nx + c)
    return flat // nx, flat % nx


def _sampled_lonlat(
    surface: Any, shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rows, columns, longitudes and latitudes of the :func:`_fit_cells` centres.

    A :class:`hotspots.density.DensitySurface` (``cell_centres()`` in metres and ``crs``)
    has only those centres projected; any other surface gives all its centres with
    ``cell_centres_lonlat()``."""
    rows, cols = _fit_cells(shape)
    if callable(getattr(surface, "cell_centres", None)) and getattr(surface, "crs", None):
        x, y = surface.cell_centres()
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        if x.shape == shape and y.shape == shape:
            lon, lat = to_lonlat(x[rows, cols], y[rows, cols], surface.crs)
            return rows, cols, lon, lat
    lon, lat = _grid_lonlat(surface, shape)
    return rows, cols, lon[rows, cols], lat[rows, cols]


def density_image(
    values: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    *,
    palette: str = "YlOrRd",
    floor: float = 0.05,
    vmax: float | None = None,
    max_pixels: int = 1024,
) -> tuple[np.ndarray, list[list[float]]]:
    """Colour a density grid and resample it to Web Mercator for a Leaflet image overlay.

    The grid is regular in a local metric CRS, not in longitude/latitude; Leaflet stretches
    an image linearly in Web Mercator between its corners. A second-order polynomial fitted
    from the cell centres' Mercator coordinates to grid indices (exact to well under a metre
    over a city) gives, for every output pixel, where to sample the grid (bilinear).

    Parameters
    ----------
    values : ndarray (ny, nx)
        Density, calls per km² (NaN treated as 0).
    lon, lat : ndarray (ny, nx)
        Longitude and latitude of the cell centres, degrees.
    palette : str
        Matplotlib colormap.
    floor : float
        Share of ``vmax`` below which pixels are fully transparent (0-1).
    vmax : float, optional
        Value of the top colour (the maximum by default).
    max_pixels : int
        Longest side of the image, pixels.

    Returns
    -------
    rgba : ndarray (h, w, 4) uint8
        The image, north up.
    bounds : [[south, west], [north, east]]
        Its corners, degrees.
    """
    vals = np.asarray(values, dtype=float)
    if vals.ndim != 2 or vals.shape != np.shape(lon) or vals.shape != np.shape(lat):
        raise InputError("density values, lon and lat must be 2-D arrays of the same shape")
    rows, cols = np.indices(vals.shape)
    return _density_image(
        vals,
        rows.ravel(),
        cols.ravel(),
        np.asarray(lon, dtype=float).ravel(),
        np.asarray(lat, dtype=float).ravel(),
        palette=palette,
        floor=floor,
        vmax=vmax,
        max_pixels=max_pixels,
    )


def _density_image(
    values: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    *,
    palette: str,
    floor: float,
    vmax: float | None,
    max_pixels: int,
) -> tuple[np.ndarray, list[list[float]]]:
    """:func:`density_image` from the centres of some cells: those at ``rows``, ``cols``
    (every cell on the grid's edge among them, so the extent is exact)."""
    if not 0.0 <= floor < 1.0:
        raise ParameterError(f"floor must be in 0 .. 1 (share of the maximum); got {floor}")
    _check_int("max_pixels", max_pixels, 16, 4096, "pixels")
    vals = np.nan_to_num(np.asarray(values, dtype=float), nan=0.0)
    ny, nx = vals.shape
    mx, my = _mercator(lon, lat)
    cx, cy = mx.mean(), my.mean()
    scale = max(np.ptp(mx), np.ptp(my), 1.0)
    u, v = (mx - cx) / scale, (my - cy) / scale

    def design(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.column_stack([np.ones_like(a), a, b, a * a, a * b, b * b])

    basis = design(u, v)
    coef_r = np.linalg.lstsq(basis, rows.astype(float), rcond=None)[0]
    coef_c = np.linalg.lstsq(basis, cols.astype(float), rcond=None)[0]
    # Output extent: the centres' extent plus half a cell on every side.
    half_x = np.ptp(mx) / max(nx - 1, 1) / 2 if nx > 1 else 50.0
    half_y = np.ptp(my) / max(ny - 1, 1) / 2 if ny > 1 else 50.0
    x0, x1 = mx.min() - half_x, mx.max() + half_x
    y0, y1 = my.min() - half_y, my.max() + half_y
    side = max(nx, ny)
    step = max((x1 - x0), (y1 - y0)) / min(side, max_pixels)
    w = max(int(np.ceil((x1 - x0) / step)), 1)
    h = max(int(np.ceil((y1 - y0) / step)), 1)
    px = x0 + (np.arange(w) + 0.5) * (x1 - x0) / w
    py = y1 - (np.arange(h) + 0.5) * (y1 - y0) / h  # north first
    gx, gy = np.meshgrid((px - cx) / scale, (py - cy) / scale)
    out_basis = design(gx.ravel(), gy.ravel())
    src_r = out_basis @ coef_r
    src_c = out_basis @ coef_c
    sampled = ndimage.map_coordinates(vals, [src_r, src_c], order=1, mode="constant", cval=0.0)
    outside = (src_r < -0.5) | (src_r > ny - 0.5) | (src_c < -0.5) | (src_c > nx - 0.5)
    sampled[outside] = 0.0
    sampled = sampled.reshape(h, w)
    top = float(np.nanmax(vals)) if vmax is None else float(vmax)
    norm = np.clip(sampled / top, 0.0, 1.0) if top > 0 else np.zeros_like(sampled)
    rgba = matplotlib.colormaps[palette](norm)
    alpha = np.where(norm < floor, 0.0, 0.35 + 0.5 * norm)
    rgba[..., 3] = alpha
    image = np.round(rgba * 255).astype(np.uint8)
    south, north = _inverse_mercator_lat(np.array([y0, y1]))
    west, east = np.degrees(np.array([x0, x1]) / 6_378_137.0)
    return image, [[float(south), float(west)], [float(north), float(east)]]


class _ImageOverlay(_RawRender, folium.raster_layers.ImageOverlay):
    """``folium.raster_layers.ImageOverlay`` rendered raw (its script holds the whole PNG)."""


def png_data_uri(rgba: np.ndarray) -> str:
    """``data:image/png;base64`` URL of an RGBA uint8 image."""
    buf = io.BytesIO()
    # zlib's default level: within 1 % of optimize=True's size, in a third of the time
    Image.fromarray(rgba, mode="RGBA").save(buf, format="PNG", compress_level=6)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def add_density(
    m: folium.Map,
    surface: Any,
    *,
    contours: gpd.GeoDataFrame | None = None,
    lang: str = "en",
    name: str | None = None,
    palette: str = "YlOrRd",
    floor: float = 0.05,
    top_quantile: float = 0.99,
    opacity: float = 0.85,
    legend: bool = True,
    show: bool = True,
) -> HotspotLayer:
    """Kernel-density surface as a heat image, with optional hotspot contours.

    Parameters
    ----------
    surface : DensitySurface
        Any object with ``values`` (2-D array, calls per km²) and ``cell_centres_lonlat()``
        (longitudes and latitudes of the cell centres), as made by :mod:`hotspots.density`.
    contours : GeoDataFrame, optional
        Polygons to outline (e.g. ``surface.contours(top_area=0.05)``); their numeric columns
        (``hotspot``, ``incidents``, ``area_km2``, ``peak``, ``threshold``, ``top_area`` ...)
        appear in the tooltip.
    floor : float
        Share of the top colour's value below which the surface is transparent.
    top_quantile : float
        The top colour is reached at this quantile of the positive densities (0.5-1; 1 = the
        maximum). Crime densities are very peaked: scaled to the maximum, one market would
        leave the rest of the city blank.
    opacity : float
        Opacity of the image (0-1).

    Returns
    -------
    HotspotLayer
        ``stats``: ``density_max`` and ``colour_max`` (value of the top colour), calls per
        km²; ``image_pixels``, ``contours_shown``.
    """
    _check_lang(lang)
    if not 0.0 < opacity <= 1.0:
        raise ParameterError(f"opacity must be in (0, 1]; got {opacity}")
    if not 0.5 <= top_quantile <= 1.0:
        raise ParameterError(f"top_quantile must be in 0.5 .. 1; got {top_quantile}")
    values = np.asarray(surface.values, dtype=float)
    if values.ndim != 2:
        raise InputError("surface.values must be a 2-D grid of densities (calls per km²)")
    rows, cols, lon, lat = _sampled_lonlat(surface, values.shape)
    fg = HotspotLayer(name or t("layer.density", lang), show=show)
    finite = values[np.isfinite(values) & (values > 0)]
    dmax = float(finite.max()) if finite.size else 0.0
    vmax = float(np.quantile(finite, top_quantile)) if finite.size else 0.0
    stats: dict[str, Any] = {
        "density_max": dmax,
        "colour_max": vmax,
        "image_pixels": 0,
        "contours_shown": 0,
    }
    if vmax > 0:
        rgba, bounds = _density_image(
            values,
            rows,
            cols,
            lon,
            lat,
            palette=palette,
            floor=floor,
            vmax=vmax,
            max_pixels=1024,
        )
        _ImageOverlay(
            image=png_data_uri(rgba),
            bounds=bounds,
            opacity=opacity,
            interactive=False,
            cross_origin=False,
            pixelated=False,
            zindex=1,
        ).add_to(fg)
        stats["image_pixels"] = int(rgba.shape[0] * rgba.shape[1])
    if contours is not None and len(contours):
        gdf = _as_wgs84(contours, "contours")
        fields: dict[str, tuple[str, Sequence[Any]]] = {}
        for col in gdf.columns:
            if col == gdf.geometry.name or not pd.api.types.is_numeric_dtype(gdf[col]):
                continue
            key = f"tip.{col}"
            label = escape_text(t(key, lang) if i18n.has_key(key, lang) else str(col))
            if pd.api.types.is_integer_dtype(gdf[col]):
                fields[str(col)] = (label, [int(v) for v in gdf[col]])
            elif col in ("top_area", "share"):  # shares shown as percentages
                fields[str(col)] = (label, [f"{v} %" for v in _fmt_float(gdf[col] * 100, lang, 1)])
            else:
                fields[str(col)] = (label, _fmt_float(gdf[col], lang, 1))
        _polygons_layer(
            fg,
            gdf.geometry,
            fields,
            ["#7f0000"] * len(gdf),
            fill_opacity=0.0,
            weight=2.0,
            line_colour="#7f0000",
        )
        stats["contours_shown"] = len(gdf)
    fg.stats = stats
    if legend and vmax > 0:
        fracs = np.array([floor, 0.25, 0.5, 0.75, 1.0])
        cmap = matplotlib.colormaps[palette]
        items = [
            (matplotlib.colors.to_hex(cmap(f)), format_number(f * vmax, lang, 1)) for f in fracs
        ]
        if dmax > vmax:  # the top colour stands for everything above it
            top = t(
                "legend.at_least_max", lang, value=items[-1][1], max=format_number(dmax, lang, 1)
            )
            items[-1] = (items[-1][0], top)
        add_legend(
            m, items, t("legend.density", lang), layer=fg, position=LEGEND_POSITIONS["density"]
        )
    _insert_before_legends(m, fg)
    return fg
