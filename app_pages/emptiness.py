"""Never silently empty: a layer or method that found nothing says so, with a setting that
would find something (computed by :mod:`hotspots.suggest` from the same filtered calls)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app_pages.texts import md_text
from hotspots import suggest, views
from hotspots.i18n import t


@st.cache_data(max_entries=32, show_spinner=False)
def _dbscan(key: str, fkey: tuple, eps: float, minpts: int, _calls) -> Any:
    return suggest.dbscan_suggestion(_calls, eps, minpts)


@st.cache_data(max_entries=32, show_spinner=False)
def _gistar(key: str, fkey: tuple, resolution: int, _calls, _boundary) -> Any:
    return suggest.gistar_suggestion(_calls, resolution, 1, _boundary)


@st.cache_data(max_entries=32, show_spinner=False)
def _dbscan_train(key: str, fkey: tuple, eps: float, minpts: int, _calls) -> Any:
    from hotspots.evaluate import split_calls

    train, _ = split_calls(_calls, **views.comparison_split(_calls).kwargs)
    return suggest.dbscan_suggestion(train, eps, minpts)


def dbscan_train_hint(ctx: Any, p: views.Params) -> Any:
    """The suggestion when DBSCAN finds no cluster in the comparison's training calls."""
    return _dbscan_train(ctx.ds.key, ctx.fkey, p.eps_m, p.min_samples, ctx.calls)


def dbscan_hint(ctx: Any, p: views.Params) -> Any:
    """The suggestion when DBSCAN finds no cluster in the filtered calls (else ``None``)."""
    if len(ctx.calls) == 0:
        return None
    return _dbscan(ctx.ds.key, ctx.fkey, p.eps_m, p.min_samples, ctx.calls)


def gistar_hint(ctx: Any, p: views.Params) -> Any:
    """The suggestion when Gi* finds no significant hot cell (else ``None``)."""
    if len(ctx.calls) == 0:
        return None
    return _gistar(ctx.ds.key, ctx.fkey, p.resolution, ctx.calls, ctx.ds.boundary)


def show(hint: Any, lang: str) -> None:
    """A warning in the page's language."""
    fmt = {k: md_text(str(v)) for k, v in hint.fmt.items()}
    st.warning(t(hint.key, lang, **fmt))


def warn_empty_layers(ctx: Any, selected: set[str], p: views.Params, counts: dict) -> None:
    """Warn about the clusters and Gi* layers when they are switched on and drew nothing."""
    if "clusters" in selected and not counts.get("clusters_shown"):
        hint = dbscan_hint(ctx, p)
        if hint is not None:
            show(hint, ctx.lang)
    if "gistar" in selected and not counts.get("gistar_hot"):
        hint = gistar_hint(ctx, p)
        if hint is not None:
            show(hint, ctx.lang)
