"""The data contract: the canonical incident and venue tables every module works on.

Incidents (calls for service, crimes) are a DataFrame with the columns of
:data:`INCIDENT_COLUMNS`, located by ``lat``/``lon`` (WGS84 degrees, EPSG:4326) and without
point geometries: a million shapely points would cost more than reading the file, and every
analysis works on the coordinate arrays. :func:`incident_points` makes the points for a caller
that needs them. Venues (cafés, restaurants, public spaces; a few hundred rows, drawn as
markers) are a GeoDataFrame in EPSG:4326 with the columns of :data:`VENUE_COLUMNS`. Readers in
:mod:`hotspots.io` produce both; every analysis function accepts them (and only needs the
columns it documents); a GeoDataFrame of incidents with a geometry column is accepted too.
"""

from __future__ import annotations

from typing import Final

#: Geographic CRS of every canonical table.
CRS: Final = "EPSG:4326"

#: Mean Earth radius in metres (IUGG), used for haversine distances.
EARTH_RADIUS_M: Final = 6_371_008.8

# Incident columns -------------------------------------------------------------------------
INCIDENT_ID: Final = "incident_id"  # str, unique
OCCURRED_AT: Final = "occurred_at"  # datetime64, naive local time (1st of month if month-only)
TIME_PRECISION: Final = "time_precision"  # category: "minute" | "hour" | "day" | "month" | "none"
YEAR: Final = "year"  # Int16
MONTH: Final = "month"  # Int8 (1-12)
WEEKDAY: Final = "weekday"  # Int8 (0 = Monday .. 6 = Sunday), <NA> when the day is unknown
HOUR: Final = "hour"  # Int8 (0-23), <NA> when the hour is unknown
OFFENSE: Final = "offense"  # category, normalised label (see hotspots.offenses)
OFFENSE_RAW: Final = "offense_raw"  # category, as in the source (stripped)
PREMISE: Final = "premise"  # category or <NA>: venue / location type when the source has one
LAT: Final = "lat"  # float64, WGS84
LON: Final = "lon"  # float64, WGS84
SOURCE_ROW: Final = "source_row"  # int64, 1-based data-row number in the input (header excluded)
GEOMETRY: Final = "geometry"
# Optional: the time window of an incident known only to lie between two times (a burglary
# left at 18:00, found at 08:00), kept by ingest when the input has from/to columns
# (hotspots.timeaware.windows); absent otherwise, so they are not in INCIDENT_COLUMNS.
OCCURRED_FROM: Final = "occurred_from"  # datetime64, naive local time; NaT when unknown
OCCURRED_TO: Final = "occurred_to"  # datetime64: the window's end (a date alone: its end)

INCIDENT_COLUMNS: Final = (
    INCIDENT_ID,
    OCCURRED_AT,
    TIME_PRECISION,
    YEAR,
    MONTH,
    WEEKDAY,
    HOUR,
    OFFENSE,
    OFFENSE_RAW,
    PREMISE,
    LAT,
    LON,
    SOURCE_ROW,
)

#: Incident columns of few distinct values, held as pandas categoricals of text with sorted
#: categories: one byte a row instead of fourteen (a million calls hold a few dozen offense
#: labels). Functions accept them as text too (a frame made by hand).
CATEGORY_COLUMNS: Final = (TIME_PRECISION, OFFENSE, OFFENSE_RAW, PREMISE)
#: Nullable integer types of the date parts (arithmetic on them: cast to int64 or float first).
PART_DTYPES: Final = {YEAR: "Int16", MONTH: "Int8", WEEKDAY: "Int8", HOUR: "Int8"}

# Venue columns ----------------------------------------------------------------------------
VENUE_ID: Final = "venue_id"  # str, unique
NAME: Final = "name"  # str
KIND: Final = "kind"  # str: cafe, restaurant, tea_house, bar, square, park, market, ...

VENUE_COLUMNS: Final = (VENUE_ID, NAME, KIND, LAT, LON, GEOMETRY)

#: Venue kinds that serve food or drink ("catering venues").
CATERING_KINDS: Final = frozenset({"cafe", "restaurant", "tea_house", "bar", "pub", "nightclub"})
#: Venue kinds that are public spaces.
PUBLIC_SPACE_KINDS: Final = frozenset(
    {"square", "park", "market", "bus_station", "landmark", "station", "public_space"}
)

WEEKDAY_NAMES: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def incident_points(incidents):
    """The incidents as a GeoDataFrame with point geometries made from ``lat``/``lon``.

    For the few callers that need geometries (a spatial join, a GeoJSON of points); a frame
    that already is a GeoDataFrame with geometries is returned as it is.
    """
    import geopandas as gpd

    if isinstance(incidents, gpd.GeoDataFrame) and incidents.geometry.name in incidents:
        return incidents
    points = gpd.points_from_xy(incidents[LON].to_numpy(), incidents[LAT].to_numpy(), crs=CRS)
    return gpd.GeoDataFrame(incidents, geometry=points, crs=CRS)
