"""The one-page report, and the bundle of every take-away (patrol plan, briefing map, report).

The report is one A4 page: the period, the calls by offense type and year with the change
from the previous year (:func:`hotspots.temporal.yearly_by_offense`), the venues with the most
calls (:func:`hotspots.venues.rank_venues`), the top hotspots (:func:`hotspots.patrol.patrol_plan`)
and the briefing map as an embedded PNG, in Kazakh, Russian or English, with the provenance
footer. The PDF is printed from that HTML by headless Chromium; a small script in the page
scales the content down when it would not fit, so the PDF is always exactly one page.

:func:`build_report_bundle` makes every file at once, as bytes (for the app's download
buttons); :func:`write_bundle` writes them into a folder (for the CLI).
"""

from __future__ import annotations

import base64
import datetime as dt
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots.errors import ParameterError
from hotspots.filters import Filters
from hotspots.i18n import check_lang, format_number, offense_label, t, venue_label
from hotspots.patrol import (
    PatrolParams,
    filters_text,
    method_text,
    oversized_lines,
    params_of_plan,
    patrol_csv,
    patrol_geojson,
    patrol_html,
)
from hotspots.patrol import patrol_plan as make_patrol_plan
from hotspots.provenance import Provenance, make_provenance
from hotspots.temporal import ALL_OFFENSES, yearly_by_offense
from hotspots.tiles import TileConfig

#: Offense types listed one by one in the report; the rest share one row.
MAX_OFFENSE_ROWS: Final = 10
#: Most recent years shown as columns.
MAX_YEAR_COLUMNS: Final = 5
#: Venues and hotspots listed.
TOP_VENUES: Final = 5
TOP_HOTSPOTS: Final = 5
#: Label of the row that sums the offense types not listed one by one.
REMAINING: Final = "__remaining__"

#: Every file of the bundle, in the order they are made.
BUNDLE_FILES: Final = (
    "patrol.csv",
    "patrol.geojson",
    "patrol.html",
    "briefing.html",
    "briefing.png",
    "report.html",
    "report.pdf",
)
#: Media types of the bundle's files (for download buttons).
MEDIA_TYPES: Final = {
    "patrol.csv": "text/csv",
    "patrol.geojson": "application/geo+json",
    "patrol.html": "text/html",
    "briefing.html": "text/html",
    "briefing.png": "image/png",
    "report.html": "text/html",
    "report.pdf": "application/pdf",
}


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------


def offense_table(
    incidents: pd.DataFrame,
    *,
    max_rows: int = MAX_OFFENSE_ROWS,
    max_years: int = MAX_YEAR_COLUMNS,
) -> pd.DataFrame:
    """Calls by offense type and year, with the change of the last year from the one before.

    Built from :func:`hotspots.temporal.yearly_by_offense` (the figures are its figures).

    Parameters
    ----------
    incidents : DataFrame
        The filtered calls (``year``, ``month``, ``offense``).
    max_rows : int
        Offense types listed one by one (the busiest over the whole period); the others are
        summed in one row whose ``offense`` is :data:`REMAINING` and ``n_types`` says how many.
    max_years : int
        Most recent years kept as columns.

    Returns
    -------
    pandas.DataFrame
        One row per offense (the all-offenses row ``"all"`` first, then by total calls, the
        remaining row last): ``offense``, ``n_types``, one int column per year (the years are
        in ``attrs["years"]``), ``total`` (over every year of the data, also those not shown),
        ``change`` and ``change_pct`` (last year against the previous one; <NA> with a single
        year or no calls the year before). ``attrs["months"]`` maps each year to its months
        with data (fewer than 12: a partial year).

    Examples
    --------
    >>> df = pd.DataFrame({"year": [2020, 2021, 2021], "month": [1, 1, 2],
    ...                    "offense": ["theft", "theft", "fight"]})
    >>> tab = offense_table(df)
    >>> tab[["offense", 2020, 2021, "change"]].values.tolist()
    [['all', 1, 3, 2], ['theft', 1, 2, 1], ['fight', 0, 1, 1]]
    """
    if max_rows < 1 or max_years < 1:
        raise ParameterError("max_rows and max_years must be at least 1")
    yearly = yearly_by_offense(incidents, total=True)
    if yearly.empty:
        out = pd.DataFrame(columns=["offense", "n_types", "total", "change", "change_pct"])
        out.attrs["years"], out.attrs["months"] = [], {}
        return out
    counts = yearly.pivot(index="offense", columns="year", values="count")
    years_all = [int(y) for y in counts.columns]
    years = years_all[-max_years:]
    total = counts.sum(axis=1)
    # busiest first; ties alphabetical, so the order does not depend on the rows' order
    tot = total.drop(ALL_OFFENSES)
    order = pd.DataFrame({"offense": tot.index.to_numpy(), "t": tot.to_numpy()})
    order = order.sort_values(["t", "offense"], ascending=[False, True], kind="stable")
    offenses = order["offense"].tolist()
    listed = offenses[:max_rows]
    rest = offenses[max_rows:]
    rows = [ALL_OFFENSES, *listed]
    table = counts.loc[rows].copy()
    n_types = [len(offenses), *([1] * len(listed))]
    if rest:
        table.loc[REMAINING] = counts.loc[rest].sum(axis=0)
        n_types.append(len(rest))
    out = pd.DataFrame({"offense": table.index.to_numpy(dtype=object), "n_types": n_types})
    for y in years:
        out[y] = table[y].to_numpy(dtype=np.int64)
    out["total"] = table.sum(axis=1).to_numpy(dtype=np.int64)
    if len(years_all) >= 2:
        last, prev = table[years_all[-1]].to_numpy(), table[years_all[-2]].to_numpy()
        change = pd.array(last - prev, dtype="Int64")
        pct = pd.array(
            np.where(prev > 0, 100.0 * (last - prev) / np.where(prev > 0, prev, 1), np.nan),
            dtype="Float64",
        )
        pct[prev == 0] = pd.NA
    else:
        change = pd.array([pd.NA] * len(out), dtype="Int64")
        pct = pd.array([pd.NA] * len(out), dtype="Float64")
    out["change"], out["change_pct"] = change, pct
    months = yearly.drop_duplicates("year").set_index("year")["months"]
    out.attrs["years"] = years
    out.attrs["all_years"] = years_all
    out.attrs["months"] = {int(y): int(m) for y, m in months.items()}
    return out


def top_venues(
    incidents: pd.DataFrame,
    venues: pd.DataFrame | None,
    *,
    radius_m: float = 50.0,
    n: int = TOP_VENUES,
) -> pd.DataFrame | None:
    """The ``n`` venues with the most calls within ``radius_m`` metres (none without calls).

    :func:`hotspots.venues.attribute_to_venues` then :func:`~hotspots.venues.rank_venues`;
    ``None`` when there are no venues.
    """
    from hotspots.venues import attribute_to_venues, rank_venues

    if venues is None or len(venues) == 0:
        return None
    att = attribute_to_venues(incidents, venues, radius=radius_m)
    ranked = rank_venues(incidents, venues, att, by_offense=False)
    return ranked.loc[ranked["calls"] > 0].head(n).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# HTML and PDF
# --------------------------------------------------------------------------------------------


def _fmt_change(change: Any, pct: Any, lang: str) -> tuple[str, str]:
    """("+12 (+8.5%)", "up") for the change column and its CSS class."""
    from hotspots.i18n import format_number

    if change is pd.NA or change is None or pd.isna(change):
        return "—", ""
    c = int(change)
    sign = "+" if c > 0 else ("−" if c < 0 else "±")
    text = f"{sign}{format_number(abs(c), lang)}"
    if pct is not pd.NA and pct is not None and not pd.isna(pct):
        text += f" ({sign}{format_number(abs(float(pct)), lang, 1)}%)"
    return text, "up" if c > 0 else ("down" if c < 0 else "")


def _presenter_rows(
    offense_rows: list[dict[str, Any]], venue_rows: list[dict[str, Any]], k: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The report's table rows as presenter mode prints them: counts below ``k`` read
    "< k" (:func:`hotspots.privacy.fewer_than`), and an offense's change is not given when
    one of its counts is below ``k`` (the difference would tell them)."""
    from hotspots.privacy import fewer_than

    below = fewer_than(k)
    out_offenses = []
    for r in offense_rows:
        small = any(c < k for c in r["counts"])
        counts = [c if c >= k else below for c in r["counts"]]
        change = ("—", "") if small else (r["change"], r["cls"])
        out_offenses.append({**r, "counts": counts, "change": change[0], "cls": change[1]})
    out_venues = [{**v, "calls": v["calls"] if v["calls"] >= k else below} for v in venue_rows]
    return out_offenses, out_venues


def report_html(
    incidents: pd.DataFrame,
    *,
    provenance: Provenance,
    plan: gpd.GeoDataFrame,
    params: PatrolParams | None = None,
    venues: pd.DataFrame | None = None,
    map_png: bytes | None = None,
    presenter: bool = False,
    lang: str = "en",
    title: str | None = None,
    filters: Filters | None = None,
) -> str:
    """The one-page report as a self-contained HTML document.

    Parameters
    ----------
    incidents : DataFrame
        The filtered calls: every figure of the report is computed from them.
    provenance : Provenance
        Printed in the footer and in ``<meta>`` tags.
    plan : GeoDataFrame
        The patrol plan (:func:`hotspots.patrol.patrol_plan`, same ``lang`` and presenter
        mode); its first :data:`TOP_HOTSPOTS` rows are listed.
    params : PatrolParams, optional
        How the hotspots were found (printed), and the venue radius.
    venues : DataFrame, optional
        Canonical venues, for the top-venues table.
    map_png : bytes, optional
        The briefing map as PNG (embedded as a ``data:`` URL, so the file stands alone).
    presenter : bool
        Presenter mode: states the suppression rule; counts below ``params.min_count`` in the
        offense and venue tables read "< K" and the change of an offense with such a count is
        not given.
    lang : {"kk", "ru", "en"}
    title : str, optional
        Report title (default: the translated "Hotspot report").
    filters : Filters, optional
        The filters that produced ``incidents``, printed in words in ``lang`` (default: the
        provenance's filter text).
    """
    from hotspots.templates import render

    check_lang(lang)
    p = params_of_plan(plan, params)
    table = offense_table(incidents)
    rows = []
    for r in table.to_dict("records"):
        if r["offense"] == ALL_OFFENSES:
            label = t("report.all_offenses", lang)
        elif r["offense"] == REMAINING:
            label = t("report.more_offenses", lang, n=r["n_types"])
        else:
            label = offense_label(r["offense"], lang)
        change, cls = _fmt_change(r["change"], r["change_pct"], lang)
        rows.append(
            {
                "label": label,
                "is_total": r["offense"] == ALL_OFFENSES,
                "counts": [int(r[y]) for y in table.attrs["years"]],
                "total": int(r["total"]),
                "change": change,
                "cls": cls,
            }
        )
    years = table.attrs["years"]
    months = table.attrs["months"]
    partial = [(y, months[y]) for y in years if months.get(y, 12) < 12]
    all_years = table.attrs.get("all_years", years)
    venues_top = top_venues(incidents, venues, radius_m=p.venue_radius_m)
    venue_rows = []
    if venues_top is not None:
        for v in venues_top.to_dict("records"):
            venue_rows.append(
                {
                    "rank": int(v["rank"]),
                    "name": "" if pd.isna(v["name"]) else str(v["name"]),
                    "kind": venue_label("" if pd.isna(v["kind"]) else v["kind"], lang),
                    "calls": int(v["calls"]),
                    "trend": t(f"report.trend_{str(v['trend']).replace('/', '')}", lang),
                }
            )
    if presenter:  # every figure stands for K calls or more (hotspots.privacy)
        rows, venue_rows = _presenter_rows(rows, venue_rows, p.min_count)
    n_calls = len(incidents)
    in_plan = int(plan["n_incidents"].sum()) if len(plan) else 0
    kpis = {
        "calls": n_calls,
        "change": _fmt_change(
            table["change"].iloc[0] if len(table) else pd.NA,
            table["change_pct"].iloc[0] if len(table) else pd.NA,
            lang,
        ),
        "years": (all_years[-2], all_years[-1]) if len(all_years) >= 2 else None,
        "in_plan": in_plan,
        "in_plan_pct": 100.0 * in_plan / n_calls if n_calls else 0.0,
        "n_plan": len(plan),
        "top_offense": rows[1]["label"] if len(rows) > 1 else "—",
        "top_offense_pct": 100.0 * rows[1]["total"] / n_calls if len(rows) > 1 and n_calls else 0,
    }
    map_uri = (
        "data:image/png;base64," + base64.b64encode(map_png).decode("ascii") if map_png else None
    )
    compstat_line = _compstat_line(incidents, lang, p.min_count if presenter else 0)
    return render(
        "report.html",
        lang=lang,
        title=title or t("report.title", lang),
        provenance=provenance,
        method_text=method_text(p, lang),
        years=years,
        partial=partial,
        offense_rows=rows,
        venue_rows=venue_rows,
        has_venues=venues_top is not None,
        venue_radius=f"{p.venue_radius_m:g}",
        hotspots=plan.head(TOP_HOTSPOTS),
        oversized=oversized_lines(plan.head(TOP_HOTSPOTS), lang),
        kpis=kpis,
        map_uri=map_uri,
        presenter=presenter,
        min_count=p.min_count,
        filters_text=filters_text(provenance, filters, lang),
        compstat_line=compstat_line,
    )


def _compstat_line(incidents: pd.DataFrame, lang: str, k: int = 0) -> str | None:
    """The last 28 days against the 28 before with the exact test, in one line
    (:func:`hotspots.timeaware.compstat.compstat`, as ``hotspots change`` and the Trends page);
    None without day-precise dates, or in presenter mode when a count is under ``k``."""
    from hotspots.errors import InputError as _InputError
    from hotspots.timeaware.compstat import compstat

    if len(incidents) == 0:
        return None
    try:
        table = compstat(incidents, period="28d")
    except _InputError:
        return None
    row, per = table.iloc[0], table.attrs["periods"]
    if k and (row["before"] < k or row["now"] < k):
        return None
    key = "report.compstat_significant" if row["significant"] else "report.compstat_chance"
    return t(
        key,
        lang,
        now=format_number(int(row["now"]), lang),
        before=format_number(int(row["before"]), lang),
        change=f"{int(row['change']):+d}",
        p=format_number(float(row["p"]), lang, 3),
        start=f"{per.start:%Y-%m-%d}",
        end=f"{per.end:%Y-%m-%d}",
    )


def report_pdf(html: str, *, browser: object | None = None, offline: bool = True) -> bytes:
    """Print report HTML to a one-page A4 PDF with headless Chromium (bytes).

    The report's own script fits its content on the page; nothing is fetched from the network
    (``offline``: the page is self-contained).
    """
    from hotspots.render import html_to_pdf

    with tempfile.TemporaryDirectory(prefix="hotspots-report-") as tmp:
        src = Path(tmp) / "report.html"
        src.write_text(html, encoding="utf-8")
        out = Path(tmp) / "report.pdf"
        html_to_pdf(src, out, "A4", offline=offline, browser=browser)
        return out.read_bytes()


# --------------------------------------------------------------------------------------------
# The bundle
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bundle:
    """Every take-away as bytes, with what they were made from.

    Attributes
    ----------
    files : dict of str to bytes
        File name (:data:`BUNDLE_FILES`) -> content.
    plan : GeoDataFrame
        The patrol plan.
    provenance : Provenance
        What every file carries.
    counts : dict
        What the briefing map shows (:func:`hotspots.maps.build_map`'s counts), or empty.
    params : PatrolParams or None
        The parameters in force, ``auto`` ones as computed from the calls.
    """

    files: Mapping[str, bytes]
    plan: gpd.GeoDataFrame
    provenance: Provenance
    counts: Mapping[str, Any]
    params: PatrolParams | None = None

    def media_type(self, name: str) -> str:
        """MIME type of file ``name`` (for ``st.download_button(mime=...)``)."""
        return MEDIA_TYPES[name]


def build_report_bundle(
    incidents: pd.DataFrame,
    venues: pd.DataFrame | None = None,
    boundary: gpd.GeoDataFrame | None = None,
    *,
    source: str,
    filters: Filters | str | None = None,
    params: PatrolParams | None = None,
    presenter: bool = False,
    lang: str = "en",
    tiles: TileConfig | None = None,
    title: str | None = None,
    files: Iterable[str] = BUNDLE_FILES,
    layers: Iterable[str] | None = None,
    layer_data: Mapping[str, Any] | None = None,
    browser: object | None = None,
    made_at: dt.datetime | None = None,
) -> Bundle:
    """Make the patrol plan, briefing map and report files in one call.

    Parameters
    ----------
    incidents : DataFrame
        The calls to report on, already filtered (canonical incidents).
    venues : DataFrame, optional
        Canonical venues (locations of hotspots, venue table, map icons).
    boundary : GeoDataFrame, optional
        Study area, drawn on the map.
    source : str
        Data source for the provenance (file name or ``"sample"``).
    filters : Filters or str, optional
        The filters that produced ``incidents`` (recorded, not applied again).
    params : PatrolParams, optional
        Method (cells or clusters), top N, resolution or eps/min_samples, and the presenter
        mode's ``min_count``.
    presenter : bool
        Presenter mode: no individual call in any file; hotspots and cells with fewer than
        ``params.min_count`` calls are neither listed nor drawn.
    lang : {"kk", "ru", "en"}
    tiles : TileConfig, optional
        Basemap of the briefing map (default: ``HOTSPOTS_TILES``; a basemap file's tiles
        are carried inside the page, so no network is needed).
    title : str, optional
        Title of the map and the report.
    files : iterable of str
        Which of :data:`BUNDLE_FILES` to make. ``briefing.png``, ``report.html`` (which embeds
        the PNG) and ``report.pdf`` need Chromium; the others do not.
    layers, layer_data : optional
        The briefing map's layers and precomputed layer data (the app's current map), see
        :func:`hotspots.briefing.briefing_map`; by default the method's layer, the study area
        and the venues.
    browser : playwright Browser, optional
        A browser from :func:`hotspots.render.launch_browser` to reuse; one is started (and
        closed) when needed otherwise.
    made_at : datetime, optional
        Time recorded in the provenance (now by default).

    Returns
    -------
    Bundle
        ``files`` (name -> bytes), ``plan``, ``provenance``, ``counts``.

    Examples
    --------
    >>> from hotspots.sample import load_sample                      # doctest: +SKIP
    >>> s = load_sample()                                             # doctest: +SKIP
    >>> b = build_report_bundle(s.calls, s.venues, s.boundary, source="sample",
    ...                         files=("patrol.csv",))                # doctest: +SKIP
    >>> sorted(b.files)                                               # doctest: +SKIP
    ['patrol.csv']
    """
    import contextlib

    from hotspots import briefing

    check_lang(lang)
    wanted = list(dict.fromkeys(files))
    unknown = [f for f in wanted if f not in BUNDLE_FILES]
    if unknown:
        raise ParameterError(
            f"files: unknown {', '.join(unknown)}; choose from {', '.join(BUNDLE_FILES)}"
        )
    p = params or PatrolParams()
    own = {"resolution": "resolution", "eps": "eps_m", "min_samples": "min_samples"}
    auto = [own[n] for n in p.auto_fields if own[n] in p.describe(presenter)]
    if len(incidents):
        # the numbers auto takes on these calls and the study area, as the app and CLI compute
        p = p.resolved(incidents, boundary, names=(*p.own_fields, "resolution"))
    parameters = {**p.describe(presenter), "lang": lang}
    if auto:  # which of the numbers were computed from the data
        parameters["auto"] = ", ".join(auto)
    prov = make_provenance(source, filters, parameters, incidents=incidents, made_at=made_at)
    as_words = filters if isinstance(filters, Filters) else None  # printed in ``lang``
    plan = make_patrol_plan(
        incidents,
        venues,
        p,
        presenter=presenter,
        lang=lang,
        hours=as_words.hours if as_words is not None else None,  # peaks inside the filters
        weekdays=as_words.weekdays if as_words is not None else None,
    )
    out: dict[str, bytes] = {}
    if "patrol.csv" in wanted:
        out["patrol.csv"] = patrol_csv(plan, prov)
    if "patrol.geojson" in wanted:
        out["patrol.geojson"] = patrol_geojson(plan, prov)
    if "patrol.html" in wanted:
        out["patrol.html"] = patrol_html(
            plan,
            p,
            provenance=prov,
            venues=venues,
            incidents=None if presenter else incidents,
            presenter=presenter,
            lang=lang,
            filters=as_words,
        ).encode("utf-8")
    counts: dict[str, Any] = {}
    need_map = {"briefing.html", "briefing.png", "report.html", "report.pdf"} & set(wanted)
    if need_map:
        m, counts = briefing.briefing_map(
            incidents,
            provenance=prov,
            params=p,
            venues=venues,
            boundary=boundary,
            plan=plan,
            presenter=presenter,
            lang=lang,
            tiles=tiles,
            title=title,
            layers=layers,
            layer_data=layer_data,
            filters=as_words,
        )
        map_html = briefing.briefing_html(m)
        if "briefing.html" in wanted:
            out["briefing.html"] = map_html.encode("utf-8")
        need_browser = {"briefing.png", "report.html", "report.pdf"} & set(wanted)
        if need_browser:
            from hotspots.render import launch_browser

            with contextlib.ExitStack() as stack:
                b = browser if browser is not None else stack.enter_context(launch_browser())
                png = briefing.briefing_png(map_html, browser=b, provenance=prov)
                if "briefing.png" in wanted:
                    out["briefing.png"] = png
                if {"report.html", "report.pdf"} & set(wanted):
                    html = report_html(
                        incidents,
                        provenance=prov,
                        plan=plan,
                        params=p,
                        venues=venues,
                        map_png=png,
                        presenter=presenter,
                        lang=lang,
                        title=title,
                        filters=as_words,
                    )
                    if "report.html" in wanted:
                        out["report.html"] = html.encode("utf-8")
                    if "report.pdf" in wanted:
                        out["report.pdf"] = report_pdf(html, browser=b)
    ordered = {name: out[name] for name in BUNDLE_FILES if name in out}
    return Bundle(files=ordered, plan=plan, provenance=prov, counts=counts, params=p)


def write_bundle(bundle: Bundle, directory: str | Path) -> list[Path]:
    """Write the bundle's files into ``directory`` (created if needed); returns their paths.

    Each file is written whole or not at all (:func:`hotspots.output.atomic_write`)."""
    from hotspots.output import atomic_write

    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in bundle.files.items():
        path = folder / name
        with atomic_write(path) as tmp:  # an interrupted run leaves no half file
            tmp.write_bytes(data)
        paths.append(path)
    return paths
