"""Escaping data-derived strings before they reach a Folium map.

Folium inserts ``Tooltip`` text raw into a JavaScript template literal, ``Popup`` content raw
(unless ``parse_html=True``) and ``GeoJsonTooltip``/``GeoJsonPopup`` property values raw into
``innerHTML``. A venue called ``<img src=x onerror=alert(1)>`` would run as script. The map
builders in :mod:`hotspots.maps` therefore escape every string that comes from data exactly
ONCE, with :func:`escape_text`, before any of it is put in a tooltip, popup, legend or caption.

The escaped form is HTML text: the browser shows the original characters, never markup. It is
also inert inside a JavaScript template literal (no backtick, no ``${``, no backslash) and
inside a ``<script>`` block (no ``<``), so it is safe wherever Folium puts it.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

# Order matters: "&" first, so entities produced by the later replacements stay intact.
_REPLACEMENTS: tuple[tuple[str, str], ...] = (
    ("&", "&amp;"),
    ("<", "&lt;"),
    (">", "&gt;"),
    ('"', "&quot;"),
    ("'", "&#x27;"),
    ("`", "&#96;"),  # would close Folium's JS template literal
    ("${", "&#36;{"),  # would start a template-literal substitution
    ("\\", "&#92;"),  # would escape the closing backtick or make an invalid \u escape
)


def escape_text(value: object) -> str:
    """Escape one data-derived value for display as text in a Folium map.

    Parameters
    ----------
    value : object
        Any value; ``None`` and missing values (``pd.NA``, NaN) become ``""``; other values
        are converted with ``str``.

    Returns
    -------
    str
        The text with ``& < > " '`` as HTML entities, plus the backtick (``&#96;``), the
        ``${`` of template literals (``&#36;{``) and the backslash (``&#92;``).

    Examples
    --------
    >>> escape_text("<b>Café</b> & `${x}`")
    '&lt;b&gt;Café&lt;/b&gt; &amp; &#96;&#36;{x}&#96;'
    """
    if value is None:
        return ""
    if not isinstance(value, str):
        try:
            if pd.isna(value):
                return ""
        except (TypeError, ValueError):  # arrays, lists: not a scalar missing value
            pass
        value = str(value)
    for raw, entity in _REPLACEMENTS:
        value = value.replace(raw, entity)
    return value


def escape_series(values: pd.Series) -> pd.Series:
    """Escape every value of a Series (vectorised); missing values become ``""``.

    Examples
    --------
    >>> escape_series(pd.Series(["a<b", None])).tolist()
    ['a&lt;b', '']
    """
    out = values.astype("string").fillna("")
    for raw, entity in _REPLACEMENTS:
        out = out.str.replace(raw, entity, regex=False)
    return out.astype(object)


def string_columns(frame: pd.DataFrame) -> list[str]:
    """Names of the columns holding text (object, string or category dtype), geometry excluded."""
    geom = getattr(frame, "_geometry_column_name", None)
    cols = []
    for name in frame.columns:
        if name == geom:
            continue
        dtype = frame[name].dtype
        if (
            pd.api.types.is_object_dtype(dtype)
            or pd.api.types.is_string_dtype(dtype)
            or isinstance(dtype, pd.CategoricalDtype)
        ):
            cols.append(name)
    return cols


def escape_frame_strings(frame: pd.DataFrame, cols: Iterable[str] | None = None) -> pd.DataFrame:
    """Return a copy of ``frame`` with the text columns escaped with :func:`escape_text`.

    Parameters
    ----------
    frame : DataFrame or GeoDataFrame
        The table whose strings will be shown on a map. It is not modified.
    cols : iterable of str, optional
        Columns to escape; all text columns (object, string, category) by default. Lists in
        object columns (e.g. ``top_offenses``) are escaped item by item.

    Returns
    -------
    DataFrame or GeoDataFrame
        Same type, index and columns; the escaped columns hold ``str`` (``""`` where missing).

    Examples
    --------
    >>> escape_frame_strings(pd.DataFrame({"name": ["<x>"], "n": [1]}))["name"].tolist()
    ['&lt;x&gt;']
    """
    out = frame.copy()
    names = string_columns(frame) if cols is None else list(cols)
    missing = [c for c in names if c not in frame.columns]
    if missing:
        raise KeyError(f"escape_frame_strings: no column(s) {missing} in the table")
    for name in names:
        col = out[name]
        # Only object columns can hold lists (string and category columns cannot).
        has_lists = pd.api.types.is_object_dtype(col.dtype) and bool(
            col.map(lambda v: isinstance(v, (list, tuple, np.ndarray))).any()
        )
        if has_lists:
            # A column of lists (top offenses, venue names): escape each item, keep the list.
            out[name] = col.map(
                lambda v: (
                    [escape_text(x) for x in v]
                    if isinstance(v, (list, tuple, np.ndarray))
                    else escape_text(v)
                )
            )
        else:
            out[name] = escape_series(col)
    return out
