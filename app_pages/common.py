"""What every page shares: language, the data set, the filters, the parameters and the caches.

Caching strategy
----------------
- The loaded data set (canonical GeoDataFrames) is a ``st.cache_resource`` keyed on a short
  digest of its *source* (the bundled sample, files named by environment variables, or uploaded
  bytes identified by their SHA-256): one shared, read-only copy per source, never hashed.
- The filtered calls are a ``st.cache_resource`` keyed on (data key, filters tuple): a filter
  change costs one vectorised mask, and revisiting a filter costs nothing.
- Every analysis result (cells, density, clusters, Gi*, rankings, tables) is a
  ``st.cache_data`` keyed on (data key, filters tuple, parameters tuple): plain values, so
  the GeoDataFrames themselves are passed as ``_underscore`` arguments and never hashed.
  Results that hold the whole filtered table (the venue ranking) use ``st.cache_resource``
  instead, to avoid copying it on every hit.
"""

from __future__ import annotations

import hashlib
import io as _io
import os
from dataclasses import astuple, dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st

from app_pages import state
from hotspots import views
from hotspots.errors import InputError, ParameterError
from hotspots.filters import Filters, apply_filters
from hotspots.i18n import LANGS, format_number, offense_label, t, weekday_label

#: Environment variables naming the files the app opens with (instead of the sample).
ENV_CALLS = "HOTSPOTS_CALLS"
ENV_VENUES = "HOTSPOTS_VENUES"
ENV_BOUNDARY = "HOTSPOTS_BOUNDARY"

#: Font size of the headline figures in presenter mode (CSS): large type (never below the
#: normal 2.25rem) that grows with the screen, so five metrics in a row still fit (7f2cd79).
PRESENTER_METRIC_SIZE = "clamp(2.25rem,2.8vw,3.5rem)"

#: Layers the Map page offers, in the order of its switches.
MAP_LAYERS = ("cells", "density", "clusters", "gistar", "venues", "calls")
DEFAULT_LAYERS = ("cells", "venues", "calls")

# Shareable settings of the pages (see app_pages.state); defaults from views.Params.
_P = views.Params()
state.register(
    state.Setting(
        "layers",
        DEFAULT_LAYERS,
        lambda s: tuple(v for v in s.split(",") if v in MAP_LAYERS),
        lambda v: ",".join(v) if v else "none",
    )
)
state.int_setting("res", _P.resolution, *views.PARAM_RANGES["resolution"][:2])
state.float_setting("eps", _P.eps_m, *views.PARAM_RANGES["eps_m"][:2])
state.int_setting("minpts", _P.min_samples, *views.PARAM_RANGES["min_samples"][:2])
state.float_setting("bw", _P.bandwidth_m, *views.PARAM_RANGES["bandwidth_m"][:2])
state.choice_setting("kernel", _P.kernel, views.KERNELS)
state.float_setting("cov", _P.coverage, *views.PARAM_RANGES["coverage"][:2])
state.float_setting("radius", _P.venue_radius_m, *views.PARAM_RANGES["venue_radius_m"][:2])
state.text_setting("venue")

#: URL setting of each Params field.
PARAM_SETTINGS = {
    "resolution": "res",
    "eps_m": "eps",
    "min_samples": "minpts",
    "bandwidth_m": "bw",
    "kernel": "kernel",
    "coverage": "cov",
    "venue_radius_m": "radius",
}


# --------------------------------------------------------------------------------------------
# Language
# --------------------------------------------------------------------------------------------
def current_lang() -> str:
    """The chosen language; before any choice, the browser's when supported, else English."""
    ss = st.session_state
    chosen = ss.get("w:lang")
    if chosen in LANGS and chosen != state.get("lang"):
        state.put("lang", chosen)
    lang = state.get("lang")
    if lang in LANGS:
        return lang
    locale = (st.context.locale or "").split("-")[0].lower()
    return locale if locale in LANGS else "en"


def language_selector(lang: str) -> None:
    """The language switch at the top of the sidebar (labels in their own language)."""
    if st.session_state.get("w:lang") not in LANGS:
        st.session_state["w:lang"] = lang
    st.sidebar.segmented_control(
        "Language / Тіл / Язык",
        LANGS,
        format_func=lambda code: t(f"lang.{code}", code),
        key="w:lang",
        required=True,
        label_visibility="collapsed",
    )


def tr(key: str, **fmt: Any) -> str:
    """:func:`hotspots.i18n.t` in the current language."""
    return t(key, current_lang(), **fmt)


def num(value: float, decimals: int = 0) -> str:
    """A number in the current language's format."""
    return format_number(value, current_lang(), decimals)


def md_text(value: object) -> str:
    """Data text made inert for Markdown (no links, emphasis or HTML can be formed)."""
    text = "" if value is None else str(value)
    out = []
    for ch in text:
        if ch in "\\`*_{}[]#|<>~$&":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out).replace("\n", " ")


# --------------------------------------------------------------------------------------------
# Data set
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FileRef:
    """A file to read: an upload (bytes kept in the session under ``blob:<digest>``) or a file
    on the server (``path``)."""

    name: str
    digest: str
    path: str = ""


@dataclass(frozen=True)
class Source:
    """What the app reads. ``calls=None`` is the bundled sample (with its venues and
    boundary unless others are given)."""

    calls: FileRef | None = None
    venues: FileRef | None = None
    boundary: FileRef | None = None
    columns: tuple[tuple[str, str], ...] = ()
    crs: str = ""

    @property
    def key(self) -> str:
        return hashlib.sha1(repr(astuple(self)).encode()).hexdigest()[:16]

    @property
    def is_sample(self) -> bool:
        return self.calls is None


@dataclass
class Dataset:
    """A loaded data set (shared between sessions: treat as read-only)."""

    key: str
    label: str
    calls: gpd.GeoDataFrame
    venues: gpd.GeoDataFrame
    boundary: gpd.GeoDataFrame | None
    calls_result: Any
    venues_result: Any
    is_sample: bool
    choices: dict[str, list] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def file_ref_for_path(path: str | os.PathLike) -> FileRef:
    p = Path(path)
    try:
        st_ = p.stat()
        digest = f"{st_.st_mtime_ns}:{st_.st_size}"
    except OSError:
        digest = "missing"
    return FileRef(p.name, digest, str(p))


def file_ref_for_bytes(name: str, data: bytes) -> FileRef:
    """Register uploaded bytes in the session and return their reference."""
    digest = hashlib.sha256(data).hexdigest()
    st.session_state[f"blob:{digest}"] = data
    return FileRef(Path(name).name, digest)


def env_source() -> Source:
    """The source named by the environment (the sample by default)."""

    def ref(var: str) -> FileRef | None:
        value = os.environ.get(var, "").strip()
        return file_ref_for_path(value) if value else None

    return Source(calls=ref(ENV_CALLS), venues=ref(ENV_VENUES), boundary=ref(ENV_BOUNDARY))


def _open(ref: FileRef, blobs: dict[str, bytes]) -> Any:
    if ref.path:
        return ref.path
    data = blobs.get(ref.digest)
    if data is None:
        raise InputError(f"{ref.name}: the uploaded file is no longer available; upload it again")
    stream = _io.BytesIO(data)
    stream.name = ref.name
    return stream


@st.cache_resource(max_entries=6, show_spinner=False)
def _load(key: str, _source: Source, _blobs: dict[str, bytes]) -> Dataset:
    from hotspots import io
    from hotspots.columns import ColumnMap

    source = _source
    warnings: list[str] = []
    if source.is_sample:
        from hotspots.sample import load_sample

        sample = load_sample()
        boundary = sample.boundary
        calls_result = sample.result
        venues, venues_result = sample.venues, None
        label = "sample"
    else:
        boundary = io.read_boundary(_open(source.boundary, _blobs)) if source.boundary else None
        columns = ColumnMap(**dict(source.columns)) if source.columns else None
        calls_result = io.read_incidents(
            _open(source.calls, _blobs),
            columns=columns,
            crs=source.crs or None,
            boundary=boundary,
        )
        venues = venues_result = None
        label = source.calls.name
    if source.venues is not None:
        venues_result = io.read_venues(_open(source.venues, _blobs))
        venues = venues_result.accepted
        label = f"{label} + {source.venues.name}"
    if venues is None:
        venues = gpd.GeoDataFrame(
            {"venue_id": [], "name": [], "kind": [], "lat": [], "lon": []},
            geometry=gpd.GeoSeries([], crs="EPSG:4326"),
            crs="EPSG:4326",
        )
    calls = calls_result.accepted
    if len(calls) == 0:
        raise InputError(
            f"{label}: no usable calls ({calls_result.rows} rows, all rejected); "
            "check the column mapping on the Data page"
        )
    return Dataset(
        key=key,
        label=label,
        calls=calls,
        venues=venues,
        boundary=boundary,
        calls_result=calls_result,
        venues_result=venues_result,
        is_sample=source.is_sample and source.venues is None,
        choices=views.filter_choices(calls),
        warnings=warnings,
    )


def blobs_for(source: Source) -> dict[str, bytes]:
    refs = [r for r in (source.calls, source.venues, source.boundary) if r and not r.path]
    return {r.digest: st.session_state.get(f"blob:{r.digest}") for r in refs}


def load_source(source: Source) -> Dataset:
    """Load (or get from the cache) the data set of ``source``; InputError when unusable."""
    return _load(source.key, source, blobs_for(source))


def current_source() -> Source:
    return st.session_state.get("s:source") or env_source()


def set_source(source: Source | None) -> None:
    """Switch the app to ``source`` (``None``: back to the default). Filters are reset when
    the data changes, since their choices change with it."""
    old = current_source()
    if source is None:
        st.session_state.pop("s:source", None)
    else:
        st.session_state["s:source"] = source
    if current_source().key != old.key:
        for name in ("years", "offenses", "venue"):
            state.set_and_reseed(name, state.setting(name).default)


def dataset() -> Dataset:
    """The current data set. A source that cannot be read falls back to the sample with an
    error message (never a traceback)."""
    source = current_source()
    try:
        return load_source(source)
    except (InputError, ParameterError, OSError) as exc:
        st.error(tr("msg.error", message=md_text(exc)))
        if source.is_sample and source.venues is None:
            st.stop()
        st.session_state.pop("s:source", None)
        return load_source(Source())


# --------------------------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------------------------
def filters_key(f: Filters) -> tuple:
    return (f.years, f.offenses, f.hours, f.weekdays)


@st.cache_resource(max_entries=8, show_spinner=False)
def _filtered(key: str, fkey: tuple, _ds: Dataset) -> gpd.GeoDataFrame:
    f = Filters(*fkey)
    return _ds.calls if f == Filters() else apply_filters(_ds.calls, f)


def filtered(ds: Dataset, f: Filters) -> gpd.GeoDataFrame:
    """The calls passing ``f`` (shared, read-only)."""
    return _filtered(ds.key, filters_key(f), ds)


def _hour_label(h: int) -> str:
    return f"{h:02d}:00"


def sidebar_filters(ds: Dataset, lang: str) -> Filters:
    """The filter controls (sidebar), bound to the URL; returns the filters in force."""
    sb = st.sidebar
    scope = f"{lang}:{ds.key}"
    years_all = ds.choices["years"]
    offenses_all = ds.choices["offenses"]
    state.bound(
        sb.multiselect,
        "years",
        t("filter.years", lang),
        scope,
        options=years_all,
        placeholder=t("filter.all", lang),
        to_widget=lambda v: [y for y in v if y in years_all],
        from_widget=tuple,
    )
    state.bound(
        sb.multiselect,
        "offenses",
        t("filter.offenses", lang),
        scope,
        options=offenses_all,
        format_func=lambda o: offense_label(o, lang),
        placeholder=t("filter.all", lang),
        to_widget=lambda v: [o for o in v if o in offenses_all],
        from_widget=tuple,
    )
    if ds.choices.get("hours"):
        _hour_controls(sb, lang)
    else:  # month- or day-only dates: an hour filter would keep nothing
        state.put("hours", None)
        sb.caption(t("filter.hours", lang))
        sb.caption(t("ui.no_hours", lang))
    if ds.choices.get("weekdays"):
        state.bound(
            sb.pills,
            "days",
            t("filter.weekdays", lang),
            lang,
            options=list(range(7)),
            selection_mode="multi",
            format_func=lambda d: weekday_label(d, lang, short=True),
            to_widget=list,
            from_widget=lambda v: tuple(sorted(v or ())),
        )
    else:
        state.put("days", ())
        sb.caption(t("filter.weekdays", lang))
        sb.caption(t("ui.no_weekdays", lang))
    f = current_filters()
    if f != Filters():
        sb.button(t("ui.reset_filters", lang), on_click=reset_filters, key="w:reset")
    return f


def _hour_controls(sb, lang: str) -> None:
    """From/to hour selectors; a range past midnight (22-02) is allowed and said."""
    hours = state.get("hours") or (0, 23)
    sb.caption(t("filter.hours", lang))
    c1, c2 = sb.columns(2)
    k_from, k_to = f"w:hours_from:{lang}", f"w:hours_to:{lang}"
    st.session_state.setdefault(k_from, hours[0])
    st.session_state.setdefault(k_to, hours[1])
    h0 = c1.selectbox(t("ui.hour_from", lang), range(24), format_func=_hour_label, key=k_from)
    h1 = c2.selectbox(t("ui.hour_to", lang), range(24), format_func=_hour_label, key=k_to)
    pair = (int(h0), int(h1))
    state.put("hours", None if (pair == (0, 23) or h1 == (h0 - 1) % 24) else pair)
    if state.get("hours") and h0 > h1:
        sb.caption(t("ui.hours_wrap", lang, start=_hour_label(h0), end=f"{h1:02d}:59"))


def current_filters() -> Filters:
    return Filters(
        years=state.get("years"),
        offenses=state.get("offenses"),
        hours=state.hours_tuple(state.get("hours")),
        weekdays=state.get("days"),
    )


def reset_filters() -> None:
    for name in ("years", "offenses", "hours", "days"):
        state.set_and_reseed(name, state.setting(name).default)
    for key in [k for k in st.session_state if str(k).startswith(("w:hours_from", "w:hours_to"))]:
        del st.session_state[key]


def describe_filters(f: Filters, lang: str) -> str:
    """The filters in words, in ``lang`` (``t("filter.all")`` when none)."""
    parts = []
    if f.years:
        parts.append(f"{t('filter.years', lang)}: " + ", ".join(map(str, f.years)))
    if f.offenses:
        names = ", ".join(offense_label(o, lang) for o in f.offenses)
        parts.append(f"{t('filter.offenses', lang)}: {names}")
    hours = state.get("hours")
    if f.hours and hours:
        parts.append(f"{t('filter.hours', lang)}: {_hour_label(hours[0])}–{hours[1]:02d}:59")
    if f.weekdays:
        days = ", ".join(weekday_label(d, lang, short=True) for d in f.weekdays)
        parts.append(f"{t('filter.weekdays', lang)}: {days}")
    return "; ".join(parts) if parts else t("filter.all", lang)


# --------------------------------------------------------------------------------------------
# Presenter mode and parameters
# --------------------------------------------------------------------------------------------
def presenter_controls(lang: str) -> tuple[bool, int]:
    """Presenter toggle and its minimum count K (sidebar)."""
    sb = st.sidebar
    sb.divider()
    on = state.bound(
        sb.toggle,
        "presenter",
        t("ui.presenter_mode", lang),
        lang,
        help=t("ui.presenter_help", lang),
    )
    k = state.get("k")
    if on:
        k = state.bound(
            sb.number_input,
            "k",
            t("ui.min_count", lang),
            lang,
            min_value=1,
            max_value=1000,
            step=1,
            from_widget=int,
        )
    return bool(on), int(k)


def current_params() -> views.Params:
    """The saved parameters (URL), shown with every map."""
    values = {name: state.get(setting) for name, setting in PARAM_SETTINGS.items()}
    try:
        return views.Params(**values)
    except ParameterError:
        return views.Params()


def save_params(params: views.Params) -> None:
    for name, setting in PARAM_SETTINGS.items():
        state.put(setting, getattr(params, name))


def params_key(p: views.Params) -> tuple:
    return tuple(p.as_dict().items())


def describe_params(p: views.Params, lang: str) -> str:
    """The parameters in one line, in ``lang`` (shown under every map)."""
    return t(
        "ui.params_line",
        lang,
        res=p.resolution,
        bw=num_lang(p.bandwidth_m, lang),
        kernel=t(f"kernel.{p.kernel}", lang),
        eps=num_lang(p.eps_m, lang),
        minpts=p.min_samples,
        cov=pct_lang(p.coverage, lang),
    )


def num_lang(value: float, lang: str, decimals: int = 0) -> str:
    return format_number(value, lang, decimals)


def pct_lang(share: float, lang: str) -> str:
    """A share as a percentage without a needless decimal: 0.05 -> "5", 0.075 -> "7.5"."""
    value = round(100 * float(share), 6)
    return format_number(value, lang, 0 if value.is_integer() else 1)


def period_text(first: Any, last: Any) -> str:
    if first is None or pd.isna(first):
        return "–"
    return f"{pd.Timestamp(first):%Y-%m-%d} – {pd.Timestamp(last):%Y-%m-%d}"


# --------------------------------------------------------------------------------------------
# Cached analyses
# --------------------------------------------------------------------------------------------
@st.cache_data(max_entries=64, show_spinner=False)
def headline(key: str, fkey: tuple, pkey: tuple, _calls: gpd.GeoDataFrame, n_total: int):
    h = views.headline(_calls, params=views.Params(**dict(pkey)))
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

    @property
    def fkey(self) -> tuple:
        return filters_key(self.filters)

    @property
    def pkey(self) -> tuple:
        return params_key(self.params)


def context() -> Context:
    ds = dataset()
    f = current_filters()
    return Context(
        lang=current_lang(),
        ds=ds,
        filters=f,
        calls=filtered(ds, f),
        presenter=bool(state.get("presenter")),
        k=int(state.get("k")),
        params=current_params(),
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
            t("caption.parameters", lang, params=describe_params(ctx.params, lang)),
        ]
    )


def no_calls(ctx: Context) -> bool:
    """Show the "no calls match" message and return True when the filters leave nothing."""
    if len(ctx.calls) == 0:
        st.info(t("msg.no_data", ctx.lang))
        return True
    return False


@st.cache_data(max_entries=32, show_spinner=False)
def density(key: str, fkey: tuple, bw: float, kernel: str, cov: float, _calls, _boundary):
    p = views.Params(bandwidth_m=bw, kernel=kernel, coverage=cov)
    return views.density_layer(_calls, params=p, area=_boundary)


@st.cache_data(max_entries=32, show_spinner=False)
def venue_detail(key: str, fkey: tuple, radius: float, vid: str, _calls, _venues):
    rk = venue_ranking(key, fkey, radius, _calls, _venues)
    return views.venue_detail(rk, _venues, vid)


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


# --------------------------------------------------------------------------------------------
# Charts and tables in the page's language
# --------------------------------------------------------------------------------------------
#: Colours of offense types the map's palette does not name, by their place in the data set.
EXTRA_OFFENSE_COLOURS = ("#17becf", "#b15928", "#e7298a", "#a6761d", "#1b9e77", "#7570b3")
#: Colour of the all-offenses series.
TOTAL_COLOUR = "#222222"


def chart_locale(lang: str) -> dict[str, Any]:
    """Vega's number and time locale for ``lang``: month and weekday names of the locales
    (``month.*``, ``weekday.*``), digit grouping and decimal mark as
    :func:`hotspots.i18n.format_number` (``1 000``, ``2,5`` in Russian and Kazakh)."""
    from hotspots.i18n import month_label

    sunday_first = [6, 0, 1, 2, 3, 4, 5]  # d3 counts days from Sunday
    en = lang == "en"
    return {
        "number": {
            "decimal": "." if en else ",",
            "thousands": "," if en else "\u00a0",
            "grouping": [3],
            "currency": ["", ""],
        },
        "time": {
            "dateTime": "%x, %X",
            "date": "%Y-%m-%d" if en else "%d.%m.%Y",
            "time": "%H:%M:%S",
            "periods": ["AM", "PM"],
            "days": [weekday_label(d, lang) for d in sunday_first],
            "shortDays": [weekday_label(d, lang, short=True) for d in sunday_first],
            "months": [month_label(m, lang) for m in range(1, 13)],
            "shortMonths": [month_label(m, lang, short=True) for m in range(1, 13)],
        },
    }


def localised(chart, lang: str):
    """An Altair chart with the number and time formats of ``lang`` (axes, legends)."""
    return chart.configure(locale=chart_locale(lang))


def offense_colours(codes: list[str], all_codes: list[str]) -> list[str]:
    """A fixed colour per offense code, whatever the language or the filter: the map's
    colours (:data:`hotspots.maps.OFFENSE_COLOURS`), then, for other codes, a colour by the
    code's place among ``all_codes`` (the offense types of the data set)."""
    from hotspots.maps import OFFENSE_COLOURS
    from hotspots.temporal import ALL_OFFENSES

    others = [c for c in all_codes if c not in OFFENSE_COLOURS]
    out = []
    for code in codes:
        if code == ALL_OFFENSES:
            out.append(TOTAL_COLOUR)
        elif code in OFFENSE_COLOURS:
            out.append(OFFENSE_COLOURS[code])
        else:
            i = others.index(code) if code in others else len(others) + codes.index(code)
            out.append(EXTRA_OFFENSE_COLOURS[i % len(EXTRA_OFFENSE_COLOURS)])
    return out


def decimal_column(
    values: pd.Series, lang: str, decimals: int, *, signed: bool = False, **config: Any
) -> tuple[pd.Series, Any]:
    """A column of numbers shown with ``decimals`` decimals and ``lang``'s decimal mark, and
    its ``st.column_config``: numbers with a printf format in English (they sort as numbers);
    text from :func:`hotspots.i18n.format_number` otherwise (printf formats know only the
    decimal point), right-aligned like numbers. Missing values show as "—"."""
    values = pd.to_numeric(values, errors="coerce").astype("float64")
    if lang == "en":
        fmt = f"%{'+' if signed else ''}" + (f",.{decimals}f" if decimals else ",d")
        return values.round(decimals), st.column_config.NumberColumn(format=fmt, **config)

    def text(v: float) -> str:
        if pd.isna(v):
            return "—"
        s = format_number(abs(v), lang, decimals)
        sign = ("+" if v > 0 else "-" if v < 0 else "±") if signed else ("-" if v < 0 else "")
        return sign + s

    return values.map(text).astype("string"), st.column_config.TextColumn(
        alignment="right", **config
    )


def month_year(month: Any, lang: str) -> str:
    """ "Apr 2020" in ``lang``'s month names."""
    from hotspots.i18n import month_label

    m = pd.Timestamp(month)
    return f"{month_label(m.month, lang, short=True)} {m.year}"
