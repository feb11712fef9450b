"""Folium maps of hotspots: cells, density, clusters, Gi*, venues and calls, in three languages.

Every layer adder takes a map and a (Geo)DataFrame, adds one ``FeatureGroup`` (a
:class:`HotspotLayer`, whose ``stats`` say what it shows) and returns it. :func:`build_map`
assembles the layers a :class:`MapSpec` asks for and returns the map with the counts shown.

Rules the builders keep, so the app and the exports need not think about them:

- **Escaping.** Every data-derived string (venue names, offense labels, cluster summaries,
  caption text) is escaped once here with :func:`hotspots.escape.escape_text` before it reaches
  a tooltip, legend or caption; callers pass raw text.
- **Offline.** No layer loads anything from the internet: no Font Awesome (venue icons are inline
  SVG), no HeatMap plugin (density is a PNG image inside the page), no branca colormap (its
  legend loads d3; legends here are plain HTML). :func:`hotspots.assets.make_offline` then
  replaces Folium's own CDN scripts; :func:`map_html` and :func:`save_map` do both.
- **Size.** The page stays under 5 MB whatever the number of calls: calls are drawn one by one
  only up to ``max_points`` and are otherwise counted in H3 cells, cells are capped at
  ``max_cells``, coordinates are rounded to 1e-5 degree (about 1 m), and the density surface is a
  single image.
- **Rendering.** The layers' elements render their script as text (:class:`_RawRender`), not
  through branca's ``Element(output)``, which reads every element's output again as a Jinja
  template: slow for big layers, and data containing ``{{ ... }}`` would be evaluated on the
  server. Polygons carry their colour class; the page holds one style per class
  (:class:`_ClassedGeoJson`), not one per feature.
- **Presenter mode.** Individual calls are never drawn and cells (and clusters) with fewer than
  ``min_count`` calls are left out, so no single address can be read off the map. In
  :func:`build_map` the rules of :mod:`hotspots.privacy` apply besides: cluster outlines are
  replaced by the 0.001° lattice cells they cover (a buffered hull gives its calls back), the
  density surface is masked where fewer than K calls lie within the bandwidth (a lone call
  draws no heat and no contour) and its contours are drawn again from the masked surface,
  keeping those of K calls or more.

The package's modules, one job each: :mod:`~hotspots.maps.settings` (layers, budgets, colours),
:mod:`~hotspots.maps.elements` (raw-rendered elements, GeoJSON, tooltips),
:mod:`~hotspots.maps.legends` (legends, colour classes, caption), :mod:`~hotspots.maps.basemap`
(base map, scale bar, layer switcher, study area), :mod:`~hotspots.maps.cells` (H3 cells, Gi*),
:mod:`~hotspots.maps.heat` (density image and contours), :mod:`~hotspots.maps.outlines`
(clusters), :mod:`~hotspots.maps.points` (venues, calls) and :mod:`~hotspots.maps.assemble`
(:class:`MapSpec`, :func:`build_map`, HTML). Everything public is imported here:
``from hotspots.maps import build_map`` is the way to use them.
"""

from __future__ import annotations

from hotspots.maps.assemble import (
    MapSpec as MapSpec,
)
from hotspots.maps.assemble import (
    _presenter_data as _presenter_data,
)
from hotspots.maps.assemble import (
    build_map as build_map,
)
from hotspots.maps.assemble import (
    map_html as map_html,
)
from hotspots.maps.assemble import (
    save_map as save_map,
)
from hotspots.maps.basemap import (
    add_boundary as add_boundary,
)
from hotspots.maps.basemap import (
    add_layer_control as add_layer_control,
)
from hotspots.maps.basemap import (
    base_map as base_map,
)
from hotspots.maps.cells import (
    add_cells as add_cells,
)
from hotspots.maps.cells import (
    add_gistar as add_gistar,
)
from hotspots.maps.cells import (
    h3_cell_counts as h3_cell_counts,
)
from hotspots.maps.cells import (
    h3_cells_frame as h3_cells_frame,
)
from hotspots.maps.elements import (
    HotspotLayer as HotspotLayer,
)
from hotspots.maps.elements import (
    _ClassedGeoJson as _ClassedGeoJson,
)
from hotspots.maps.heat import (
    _density_image as _density_image,
)
from hotspots.maps.heat import (
    _sampled_lonlat as _sampled_lonlat,
)
from hotspots.maps.heat import (
    add_density as add_density,
)
from hotspots.maps.heat import (
    density_image as density_image,
)
from hotspots.maps.heat import (
    png_data_uri as png_data_uri,
)
from hotspots.maps.legends import (
    _Caption as _Caption,
)
from hotspots.maps.legends import (
    _Legend as _Legend,
)
from hotspots.maps.legends import (
    add_caption as add_caption,
)
from hotspots.maps.legends import (
    add_legend as add_legend,
)
from hotspots.maps.legends import (
    class_breaks as class_breaks,
)
from hotspots.maps.legends import (
    classify as classify,
)
from hotspots.maps.outlines import (
    add_clusters as add_clusters,
)
from hotspots.maps.points import (
    _CallMarkers as _CallMarkers,
)
from hotspots.maps.points import (
    _VenueMarkers as _VenueMarkers,
)
from hotspots.maps.points import (
    add_calls as add_calls,
)
from hotspots.maps.points import (
    add_venues as add_venues,
)
from hotspots.maps.settings import (
    BOUNDARY_COLOUR as BOUNDARY_COLOUR,
)
from hotspots.maps.settings import (
    CELL_BUDGET as CELL_BUDGET,
)
from hotspots.maps.settings import (
    CLUSTER_COLOUR as CLUSTER_COLOUR,
)
from hotspots.maps.settings import (
    CLUSTER_FILL_OPACITY as CLUSTER_FILL_OPACITY,
)
from hotspots.maps.settings import (
    COORD_DECIMALS as COORD_DECIMALS,
)
from hotspots.maps.settings import (
    GISTAR_COLOURS as GISTAR_COLOURS,
)
from hotspots.maps.settings import (
    LAYERS as LAYERS,
)
from hotspots.maps.settings import (
    LEGEND_POSITIONS as LEGEND_POSITIONS,
)
from hotspots.maps.settings import (
    MAX_CELLS as MAX_CELLS,
)
from hotspots.maps.settings import (
    MAX_POINTS_LIMIT as MAX_POINTS_LIMIT,
)
from hotspots.maps.settings import (
    MAX_VENUES as MAX_VENUES,
)
from hotspots.maps.settings import (
    OFFENSE_COLOURS as OFFENSE_COLOURS,
)
from hotspots.maps.settings import (
    PAGE_BUDGET as PAGE_BUDGET,
)
from hotspots.maps.settings import (
    VENUE_STYLES as VENUE_STYLES,
)

__all__ = [
    "LAYERS",
    "MAX_CELLS",
    "CELL_BUDGET",
    "MAX_VENUES",
    "MAX_POINTS_LIMIT",
    "COORD_DECIMALS",
    "PAGE_BUDGET",
    "LEGEND_POSITIONS",
    "GISTAR_COLOURS",
    "OFFENSE_COLOURS",
    "CLUSTER_COLOUR",
    "CLUSTER_FILL_OPACITY",
    "BOUNDARY_COLOUR",
    "VENUE_STYLES",
    "HotspotLayer",
    "class_breaks",
    "classify",
    "add_legend",
    "add_caption",
    "base_map",
    "add_layer_control",
    "add_boundary",
    "add_cells",
    "density_image",
    "png_data_uri",
    "add_density",
    "add_clusters",
    "add_gistar",
    "add_venues",
    "h3_cell_counts",
    "h3_cells_frame",
    "add_calls",
    "MapSpec",
    "build_map",
    "map_html",
    "save_map",
]
