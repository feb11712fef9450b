"""Settings of the maps in one place: layers, page budgets, colours, legend corners and
venue styles."""

from __future__ import annotations

from typing import Final

#: Layers :func:`build_map` knows, in drawing order (later ones on top).
LAYERS: Final = ("density", "cells", "gistar", "clusters", "boundary", "calls", "venues")


#: Most cells drawn in one layer (about 300 bytes each in the page).
MAX_CELLS: Final = 6000


#: Most cells drawn by all the polygon layers of one :func:`build_map` page together
#: (about 3.6 MB), shared equally between the cell layers that are on.
CELL_BUDGET: Final = 12_000


#: Most venues drawn (about 90 bytes each).
MAX_VENUES: Final = 20_000


#: Most individual points :func:`add_calls` may be asked to draw.
MAX_POINTS_LIMIT: Final = 20_000


#: Decimal places kept in coordinates (1e-5 degree is about 1.1 m).
COORD_DECIMALS: Final = 5


#: Size budget of a map page, bytes (the issue's target).
PAGE_BUDGET: Final = 5_000_000


#: Map corner of each layer's legend. The layer switcher takes the top right corner and the
#: scale bar the bottom left one; the legends share the two bottom corners, so with every
#: layer on neither stack runs up under the switcher (Leaflet stacks a corner's controls, it
#: does not keep them apart from another corner's).
LEGEND_POSITIONS: Final = {
    "density": "bottomright",
    "cells": "bottomright",
    "calls": "bottomright",
    "gistar": "bottomleft",
    "clusters": "bottomleft",
    "venues": "bottomleft",
}


#: ArcGIS Pro's Hot Spot Analysis colours, by Gi_Bin (-3 .. 3); 0 (not significant) is not drawn.
GISTAR_COLOURS: Final = {
    3: "#d62f27",
    2: "#ed7551",
    1: "#fab984",
    0: "#ffffbf",
    -1: "#c0ccbe",
    -2: "#849eba",
    -3: "#4575b5",
}


_GISTAR_KEYS: Final = {
    3: "gistar.hot_99",
    2: "gistar.hot_95",
    1: "gistar.hot_90",
    0: "gistar.not_significant",
    -1: "gistar.cold_90",
    -2: "gistar.cold_95",
    -3: "gistar.cold_99",
}


#: Colour of each canonical offense type for individual calls (ColorBrewer Set1/Dark2).
OFFENSE_COLOURS: Final = {
    "theft": "#1f78b4",
    "hooliganism": "#e31a1c",
    "fight": "#ff7f00",
    "public_order": "#6a3d9a",
    "traffic": "#33a02c",
    "other": "#666666",
}


_OTHER_COLOUR: Final = "#888888"


CLUSTER_COLOUR: Final = "#6a3d9a"


#: Fill opacity of the cluster outlines (the legend's swatch shows the same).
CLUSTER_FILL_OPACITY: Final = 0.25


BOUNDARY_COLOUR: Final = "#333333"


# Venue icons: a coloured disc with a white glyph (24 x 24 SVG, strokes), one per kind. Inline
# SVG in CSS classes: no icon font to download, and each marker only names its class.
_GLYPHS: Final = {
    "cafe": "M6 9h9v4a4 4 0 0 1-4 4h-1a4 4 0 0 1-4-4z M15 10h1.5a2 2 0 0 1 0 4H15",
    "restaurant": "M8 6v12 M6.5 6v4a1.5 1.5 0 0 0 3 0V6 M15.5 18V6c-1.8 1-2.5 3-2.5 6h2.5",
    "tea_house": "M6 11h12a6 6 0 0 1-12 0z M10 8c0-1 1-1 1-2.5 M13.5 8c0-1 1-1 1-2.5",
    "bar": "M6 6h12l-6 7z M12 13v5 M9 18h6",
    "square": "M8 19V5 M8 5h8l-2 3 2 3H8",
    "park": "M12 4.5a4.5 4.5 0 0 1 0 9a4.5 4.5 0 0 1 0-9z M12 13.5v6",
    "market": "M5 10l1.5-4h11L19 10z M6.5 10v8h11v-8 M10.5 18v-4h3v4",
    "bus_station": "M7 5.5h10v10H7z M7 11h10 M9 15.5v2.5 M15 15.5v2.5",
    "landmark": "M12 5l2 4.5 4.8.5-3.6 3.2 1 4.8-4.2-2.5-4.2 2.5 1-4.8L5.2 10l4.8-.5z",
    "other": "M12 9a3 3 0 0 1 0 6a3 3 0 0 1 0-6z",
}


#: Disc colour and glyph of each venue kind (kinds not listed use "other").
VENUE_STYLES: Final = {
    "cafe": ("#8c510a", "cafe"),
    "restaurant": ("#d95f02", "restaurant"),
    "tea_house": ("#01665e", "tea_house"),
    "bar": ("#7b3294", "bar"),
    "pub": ("#7b3294", "bar"),
    "nightclub": ("#40004b", "bar"),
    "square": ("#4d4d4d", "square"),
    "park": ("#1a9641", "park"),
    "market": ("#b8860b", "market"),
    "bus_station": ("#2166ac", "bus_station"),
    "station": ("#2166ac", "bus_station"),
    "landmark": ("#525252", "landmark"),
    "public_space": ("#525252", "square"),
    "other": ("#737373", "other"),
}
