"""The per-data-set cell index and its per-filter views (:mod:`hotspots.cellindex`), cached.

A filter change then costs a boolean mask and a bincount per resolution instead of binning
every filtered call again (three times per rerun: the auto resolution, the headline's
concentration and the map's cells). The index is shared between sessions (read-only, one per
data set); a view holds the filter's mask and its counts (one per data set and filters).
"""

from __future__ import annotations

import threading

import streamlit as st

from app_pages.dataset import Dataset
from hotspots.cellindex import CellIndex, CellView
from hotspots.filters import Filters, filter_mask


@st.cache_resource(max_entries=4, show_spinner=False)
def _index(key: str, _ds: Dataset) -> CellIndex:
    index = CellIndex(_ds.calls)
    # every resolution the auto rule may choose, binned in the background once (about 0.6 s
    # each per million calls), so the first filter that changes the resolution does not wait
    threading.Thread(target=index.warm, name="hotspots-cell-index", daemon=True).start()
    return index


@st.cache_resource(max_entries=16, show_spinner=False)
def _view(key: str, fkey: tuple, _ds: Dataset) -> CellView:
    f = Filters(*fkey)
    mask = None if f == Filters() else filter_mask(_ds.calls, f)
    return _index(key, _ds).subset(mask)


def view(ds: Dataset, fkey: tuple) -> CellView:
    """The cells of the calls of ``ds`` passing the filters ``fkey`` (shared, read-only)."""
    return _view(ds.key, fkey, ds)


def clear() -> None:
    """Forget every index and view (the data sets they were made from were released)."""
    _index.clear()
    _view.clear()
