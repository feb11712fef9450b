"""Names instead of codes: the nearest venue and the street of a hotspot, for tooltips."""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from hotspots.escape import escape_text
from hotspots.i18n import format_number, t
from hotspots.tiles import TileConfig

#: Farthest venue named for a place, metres.
VENUE_NAME_M: Final = 150.0
#: Farthest street named for a place, metres.
STREET_NAME_M: Final = 150.0


def nearest_venue_text(
    lat: np.ndarray, lon: np.ndarray, venues: pd.DataFrame | None, lang: str,
    *, max_m: float = VENUE_NAME_M,
) -> list[str]:
    """ "Кафе Алтын (40 m)" for the venue nearest each point within ``max_m`` metres, else ""
    (escaped HTML)."""
    n = len(lat)
    if venues is None or len(venues) == 0 or n == 0 or "name" not in venues:
        return [""] * n
    from hotspots.venues import attribute_to_venues

    frame = pd.DataFrame(venues).reset_index(drop=True)
    located = np.isfinite(pd.to_numeric(frame.get("lat"), errors="coerce").to_numpy(float))
    located &= np.isfinite(pd.to_numeric(frame.get("lon"), errors="coerce").to_numpy(float))
    frame = frame[located].reset_index(drop=True)
    if len(frame) == 0:
        return [""] * n
    if "venue_id" not in frame:
        frame["venue_id"] = frame.index.astype(str)
    frame["venue_id"] = frame["venue_id"].astype("string")
    near = attribute_to_venues(
        pd.DataFrame({"lat": lat, "lon": lon}), frame, radius=max_m
    )
    names = dict(zip(frame["venue_id"], frame["name"].astype("string").fillna("?"), strict=True))
    out = []
    for vid, dist in zip(near["venue_id"], near["venue_distance_m"], strict=True):
        if pd.isna(vid):
            out.append("")
        else:
            m = t("unit.m_short", lang, m=format_number(round(float(dist)), lang))
            out.append(f"{escape_text(names[vid])} ({escape_text(m)})")
    return out


def street_text(lat: np.ndarray, lon: np.ndarray, tiles: TileConfig | None, lang: str) -> list[str]:
    """The nearest named street of the basemap file (escaped HTML; "" without one)."""
    n = len(lat)
    if tiles is None or tiles.file is None or n == 0:
        return [""] * n
    from hotspots.basemap.archive import open_basemap
    from hotspots.basemap.streets import nearest_street

    names = nearest_street(open_basemap(tiles.file), lat, lon, max_m=STREET_NAME_M, lang=lang)
    return [escape_text(v) for v in names]
