"""The sidebar: the filters (bound to the URL), the filtered calls (cached) and presenter
mode."""

from __future__ import annotations

import geopandas as gpd
import streamlit as st

from app_pages import state
from app_pages.dataset import Dataset
from hotspots.filters import Filters, apply_filters
from hotspots.i18n import offense_label, t, weekday_label

#: Font size of the headline figures in presenter mode (CSS): large type (never below the
#: normal 2.25rem) that grows with the screen, so five metrics in a row still fit (7f2cd79).
PRESENTER_METRIC_SIZE = "clamp(2.25rem,2.8vw,3.5rem)"


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
def presenter_controls(lang: str, locked: bool = False) -> tuple[bool, int]:
    """Presenter toggle and its minimum count K (sidebar). ``locked`` (a presenter's
    session): the toggle stays on and K cannot go below its default."""
    sb = st.sidebar
    sb.divider()
    on = state.bound(
        sb.toggle,
        "presenter",
        t("ui.presenter_mode", lang),
        lang,
        help=t("ui.presenter_help", lang),
        disabled=locked,
    )
    k = state.get("k")
    if on:
        k = state.bound(
            sb.number_input,
            "k",
            t("ui.min_count", lang),
            lang,
            min_value=int(state.setting("k").default) if locked else 1,
            max_value=1000,
            step=1,
            from_widget=int,
        )
    return bool(on), int(k)
