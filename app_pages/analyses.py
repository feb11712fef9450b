"""Cached analyses: every result keyed on (data key, filters, parameters); the frames are
``_underscore`` arguments, never hashed (see :mod:`app_pages.common`)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import streamlit as st

from hotspots import views


# --------------------------------------------------------------------------------------------
# Cached analyses
# --------------------------------------------------------------------------------------------
@st.cache_data(max_entries=64, show_spinner=False)
def resolved_params(
    key: str, fkey: tuple, pkey: tuple, _calls, _boundary, _cells=None
) -> views.Params:
    """The parameters ``pkey`` with every ``auto`` computed from the filtered calls and the
    study area (:meth:`hotspots.views.Params.resolved`, as the CLI and the report do); too
    few calls for a rule: its fixed number (:data:`hotspots.defaults.FIXED`). ``_cells``: the
    calls' :class:`hotspots.cellindex.CellView` (:mod:`app_pages.cellcache`)."""
    from hotspots import defaults
    from hotspots.errors import InputError, ParameterError

    p = views.Params(**dict(pkey))
    try:
        return p.resolved(_calls, _boundary, cells=_cells)
    except (InputError, ParameterError):
        return views.Params(**{**p.as_dict(), **{n: defaults.FIXED[n] for n in p.auto_fields}})


@st.cache_data(max_entries=64, show_spinner=False)
def headline(
    key: str, fkey: tuple, pkey: tuple, _calls: gpd.GeoDataFrame, n_total: int, _cells=None
):
    h = views.headline(_calls, params=views.Params(**dict(pkey)), cells=_cells)
    # the totals are those of the whole data set, not of the filtered calls
    return views.Headline(**{**h.__dict__, "n_total": n_total})


@st.cache_data(max_entries=64, show_spinner=False)
def cells(key: str, fkey: tuple, resolution: int, _calls: gpd.GeoDataFrame):
    return views.cell_layer(_calls, params=views.Params(resolution=resolution))


@st.cache_data(max_entries=32, show_spinner=False)
def clusters(key: str, fkey: tuple, eps: float, minpts: int, _calls, _venues):
    p = views.Params(eps_m=eps, min_samples=minpts)
    return views.cluster_summary(_calls, params=p, venues=_venues)


@st.cache_data(max_entries=32, show_spinner=False)
def gistar(key: str, fkey: tuple, resolution: int, _calls, _boundary):
    return views.gistar_summary(_calls, params=views.Params(resolution=resolution), area=_boundary)


@st.cache_resource(max_entries=16, show_spinner=False)
def venue_ranking(key: str, fkey: tuple, radius: float, _calls, _venues) -> views.VenueRanking:
    return views.venue_ranking(_calls, _venues, params=views.Params(venue_radius_m=radius))


@st.cache_data(max_entries=32, show_spinner=False)
def trends(key: str, fkey: tuple, _calls) -> views.Trends:
    return views.trends(_calls)


@st.cache_data(max_entries=32, show_spinner=False)
def comparison(key: str, fkey: tuple, pkey: tuple, _calls, _boundary) -> pd.DataFrame:
    return views.compare_methods(_calls, params=views.Params(**dict(pkey)), area=_boundary)


@st.cache_resource(max_entries=8, show_spinner=False)
def comparison_full(key: str, fkey: tuple, pkey: tuple, _calls, _boundary):
    """:func:`hotspots.views.method_comparison` (holds the fitted methods: shared, read-only)."""
    return views.method_comparison(_calls, params=views.Params(**dict(pkey)), area=_boundary)


@st.cache_data(max_entries=32, show_spinner=False)
def density(key: str, fkey: tuple, bw: float, kernel: str, cov: float, _calls, _boundary):
    p = views.Params(bandwidth_m=bw, kernel=kernel, coverage=cov)
    return views.density_layer(_calls, params=p, area=_boundary)


@st.cache_data(max_entries=32, show_spinner=False)
def venue_detail(key: str, fkey: tuple, radius: float, vid: str, _calls, _venues):
    rk = venue_ranking(key, fkey, radius, _calls, _venues)
    return views.venue_detail(rk, _venues, vid)


@st.cache_data(max_entries=8, show_spinner=False)
def rolling(key: str, fkey: tuple, pkey: tuple, n: int, period, _calls, _boundary):
    """:func:`hotspots.views.rolling_comparison` (splits, summary)."""
    return views.rolling_comparison(
        _calls, params=views.Params(**dict(pkey)), area=_boundary, n_splits=n, period=period
    )
