"""Helpers shared by the export tests: is any call's position written in a file?"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from PIL import Image

# a number pair "a, b" or "a,b" (JSON rows, Leaflet markers, CSV cells, printed centres)
_PAIR = re.compile(r"(?<![\d.])(-?\d{1,3}\.\d+)\s*,\s*(-?\d{1,3}\.\d+)(?![\d.])")
DECIMALS = 5  # the maps round coordinates to 1e-5 degree; a leak is found at that precision


def number_pairs(text: str) -> set[tuple[float, float]]:
    """Every "a, b" pair of decimal numbers in ``text``, rounded to :data:`DECIMALS`."""
    return {(round(float(a), DECIMALS), round(float(b), DECIMALS)) for a, b in _PAIR.findall(text)}


def leaked_calls(text: str, calls: pd.DataFrame, venues: pd.DataFrame | None = None) -> int:
    """Number of distinct call positions written as "lat, lon" in ``text``.

    Positions are compared at 1e-5 degree (about 1 m). Calls lying exactly on a venue are
    left out: the venue's own (public) position is drawn in every mode. GeoJSON polygon
    vertices are "lon, lat" pairs and cannot match a call's "lat, lon" (lat and lon differ).
    """
    pos = set(
        zip(
            np.round(calls["lat"].to_numpy(float), DECIMALS),
            np.round(calls["lon"].to_numpy(float), DECIMALS),
            strict=True,
        )
    )
    if venues is not None and len(venues):
        pos -= set(
            zip(
                np.round(venues["lat"].to_numpy(float), DECIMALS),
                np.round(venues["lon"].to_numpy(float), DECIMALS),
                strict=True,
            )
        )
    return len(pos & number_pairs(text))


def png_facts(data: bytes) -> tuple[tuple[int, int], float, int]:
    """(size, standard deviation of the grey levels, number of distinct colours) of a PNG."""
    import io

    img = Image.open(io.BytesIO(data)).convert("RGB")
    arr = np.asarray(img)
    grey = arr.mean(axis=2)
    colours = np.unique(arr.reshape(-1, 3)[::7], axis=0).shape[0]
    return img.size, float(grey.std()), int(colours)


_JS_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})|\\([\"'/\\])")


def unescape_js(text: str) -> str:
    """Undo the JSON/JavaScript string escapes (``\\u003c``, ``\\"``) of a map page, to read
    the text the browser will put in the page (HTML entities stay as they are)."""
    return _JS_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)) if m.group(1) else m.group(2), text)


def html_tables(html: str) -> dict[str, list[list[str]]]:
    """The tables of a page by their ``class``: rows of cell texts (header row first)."""
    from html.parser import HTMLParser

    class _Tables(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.tables: dict[str, list[list[str]]] = {}
            self.current: list[list[str]] | None = None
            self.cell: list[str] | None = None

        def handle_starttag(self, tag, attrs):
            if tag == "table":
                self.current = self.tables.setdefault(dict(attrs).get("class") or "", [])
            elif tag == "tr" and self.current is not None:
                self.current.append([])
            elif tag in ("td", "th") and self.current is not None:
                self.cell = []

        def handle_endtag(self, tag):
            if tag in ("td", "th") and self.cell is not None and self.current is not None:
                self.current[-1].append(" ".join("".join(self.cell).split()))
                self.cell = None
            elif tag == "table":
                self.current = None

        def handle_data(self, data):
            if self.cell is not None:
                self.cell.append(data)

    parser = _Tables()
    parser.feed(html)
    return parser.tables


def as_int(text: str) -> int:
    """ "2,967" / "2 967" / "−56" -> int (digits and the sign only)."""
    sign = -1 if text.strip().startswith(("-", "−")) else 1
    return sign * int(re.sub(r"\D", "", text))
