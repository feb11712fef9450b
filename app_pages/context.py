"""What a page needs: the view in force (:class:`Context`), its caption, and the map's
layers and builder."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import streamlit as st

from app_pages import cellcache, state
from app_pages.analyses import cells, clusters, density, gistar, resolved_params
from app_pages.dataset import Dataset, dataset
from app_pages.params import current_params, describe_params, params_key
from app_pages.sidebar import current_filters, describe_filters, filtered, filters_key
from app_pages.texts import current_lang
from hotspots import views
from hotspots.errors import InputError, ParameterError
from hotspots.filters import Filters
from hotspots.i18n import t


# --------------------------------------------------------------------------------------------
# What a page needs
# --------------------------------------------------------------------------------------------
@dataclass
class Context:
    """The view in force for this run (computed from the session; cheap: cached)."""

    lang: str
    ds: Dataset
    filters: Filters
    calls: gpd.GeoDataFrame
    presenter: bool
    k: int
    params: views.Params
    #: The parameters as set (``"auto"`` kept); ``params`` holds the numbers in force,
    #: ``auto`` ones computed from ``calls`` (re-computed on every filter change).
    requested: views.Params = views.Params()
    #: The calls' H3 cells (:mod:`app_pages.cellcache`): counts per cell without binning.
    cells: Any = None

    @property
    def fkey(self) -> tuple:
        return filters_key(self.filters)

    @property
    def auto(self) -> tuple[str, ...]:
        """The parameters computed from the filtered calls."""
        return self.requested.auto_fields

    @property
    def pkey(self) -> tuple:
        return params_key(self.params)


def context() -> Context:
    ds = dataset()
    f = current_filters()
    calls = filtered(ds, f)
    requested = current_params()
    cells = None if ds.big else cellcache.view(ds, filters_key(f))
    return Context(
        lang=current_lang(),
        ds=ds,
        filters=f,
        calls=calls,
        presenter=bool(state.get("presenter")),
        k=int(state.get("k")),
        params=resolved_params(
            ds.key, filters_key(f), params_key(requested), calls, ds.boundary, cells
        ),
        requested=requested,
        cells=cells,
    )


def source_caption(ctx: Context) -> str:
    """ "Source: ... · Filters: ... · Parameters: ..." under every map and chart."""
    lang = ctx.lang
    source = ctx.ds.label
    if source == "sample" or source.startswith("sample + "):
        source = source.replace("sample", t("msg.sample_data", lang), 1)
    return " · ".join(
        [
            t("caption.source", lang, source=source),
            t("caption.filters", lang, filters=describe_filters(ctx.filters, lang)),
            t("caption.parameters", lang, params=describe_params(ctx.params, lang, ctx.auto)),
        ]
    )


def no_calls(ctx: Context) -> bool:
    """Show the "no calls match" message and return True when the filters leave nothing
    (or the data set is too large to load, :mod:`app_pages.big`)."""
    if ctx.ds.big:
        rows = common_rows(ctx)
        st.info(t("big.other_page", ctx.lang, name=ctx.ds.label, rows=rows))
        return True
    if len(ctx.calls) == 0:
        st.info(t("msg.no_data", ctx.lang))
        return True
    return False


def common_rows(ctx: Context) -> str:
    """The accepted calls of a data set too large to load, as text."""
    from hotspots.engine.overview import dataset_rows
    from hotspots.i18n import format_number

    return format_number(dataset_rows(ctx.ds.big) or 0, ctx.lang)


# --------------------------------------------------------------------------------------------
# Map layers
# --------------------------------------------------------------------------------------------
#: Most calls drawn one by one; more are counted in H3 cells (no 100k markers in a browser).
MAX_POINTS = 2000


def layer_data(ctx: Context, selected: set[str], p: views.Params) -> tuple[dict, list[str]]:
    """The inputs of :func:`hotspots.maps.build_map` for the layers ``selected`` (cached
    analyses), and the messages of the layers that could not be computed."""
    data: dict[str, Any] = {"boundary": ctx.ds.boundary}
    problems: list[str] = []
    key, fkey, calls = ctx.ds.key, ctx.fkey, ctx.calls

    def attempt(fn):
        try:
            fn()
        except (InputError, ParameterError) as exc:
            problems.append(str(exc))

    if "cells" in selected:
        if ctx.cells is not None:  # from the data set's cells: cheaper than a cached copy
            data["cells"] = ctx.cells.cells_gdf(p.resolution)
        else:
            data["cells"] = cells(key, fkey, p.resolution, calls)
    if "density" in selected:

        def dens() -> None:
            d = density(key, fkey, p.bandwidth_m, p.kernel, p.coverage, calls, ctx.ds.boundary)
            data["surface"], data["contours"] = d.surface, d.contours

        attempt(dens)
    if "clusters" in selected:
        attempt(
            lambda: data.update(
                clusters=clusters(key, fkey, p.eps_m, p.min_samples, calls, ctx.ds.venues)
            )
        )
    if "gistar" in selected:
        attempt(lambda: data.update(gistar=gistar(key, fkey, p.resolution, calls, ctx.ds.boundary)))
    if "venues" in selected and len(ctx.ds.venues):
        data["venues"] = ctx.ds.venues
    aggregated = ctx.presenter or len(calls) > MAX_POINTS
    if "calls" in selected and not ("cells" in selected and aggregated):
        data["calls"] = calls  # drawn one by one, or counted in cells by the map
    return data, problems


def map_builder(ctx: Context, selected: set[str], p: views.Params, **spec: Any):
    """A builder for :func:`app_pages.mapview.show` and the identity of its map."""
    from app_pages import mapview
    from hotspots import maps

    tiles = mapview.tiles()
    spec = {
        "layers": frozenset(selected | {"boundary"}),
        "lang": ctx.lang,
        "presenter": ctx.presenter,
        "min_count": ctx.k,
        "max_points": MAX_POINTS,
        "resolution": p.resolution,
        "tiles": tiles,
        **spec,
    }
    ident = (
        ctx.ds.key,
        ctx.fkey,
        params_key(p),
        tuple(sorted((k, repr(v)) for k, v in spec.items())),
    )

    def build():
        data, problems = layer_data(ctx, selected, p)
        m, counts = maps.build_map(maps.MapSpec(**spec), **data)
        if "calls" in selected and "calls" not in data:  # the cells layer shows them
            counts = {**counts, "calls_mode": "cells", "calls_total": len(ctx.calls)}
        return m, counts, problems

    return ident, build
