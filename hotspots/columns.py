"""Which input column holds what: :class:`ColumnMap` and detection from common header names.

Header names are compared after :func:`header_key` (case-folded, spaces, underscores, dots and
other punctuation removed), so ``Primary Type``, ``primary_type`` and ``PRIMARY.TYPE`` are the
same name. Columns given explicitly (the CLI flags ``--lat``, ``--lon``, ``--x``, ``--y``,
``--time``, ``--type``, ``--id``, ``--premise``, ``--from-col``, ``--to-col``) always win
over detection.

Coordinates
    ``latitude``/``lat``/``широта``/``ендік`` and ``longitude``/``lon``/``lng``/``long``/
    ``долгота``/``бойлық`` are WGS84 degrees. Columns called ``x``/``y`` (also ``x_coordinate``,
    ``easting``, ``northing`` ...) are used when there are no latitude/longitude columns, or
    when a CRS is given: they are read as longitude/latitude if their values look like degrees
    and as projected coordinates otherwise, which then need a CRS (``--crs EPSG:...``).
Time
    One date-time column (``datetime``, ``date``, ``occurred`` ...), optionally joined with a
    separate time-of-day column (``occur_date`` + ``occur_time``, ``дата`` + ``время``): the
    map then says ``"date+time"``. Failing that, part columns ``year``, ``month`` and
    optionally ``day``, ``hour``, ``minute`` (Vancouver's ``YEAR, MONTH, DAY, HOUR, MINUTE``).
    Failing that, a lone ``month`` column holding ``2016-02`` (data.police.uk).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields, replace

from hotspots.errors import InputError

#: Separator inside :attr:`ColumnMap.time` joining a date column and a time-of-day column.
TIME_JOIN = "+"

#: CLI flag naming each :class:`ColumnMap` field, for error messages.
FLAGS: dict[str, str] = {
    "lat": "--lat",
    "lon": "--lon",
    "x": "--x",
    "y": "--y",
    "time": "--time",
    "offense": "--type",
    "incident_id": "--id",
    "premise": "--premise",
    "year": "--time",
    "month": "--time",
    "day": "--time",
    "hour": "--time",
    "minute": "--time",
    "name": "--name",
    "kind": "--kind",
    "venue_id": "--id",
    "occurred_from": "--from-col",
    "occurred_to": "--to-col",
}


@dataclass(frozen=True)
class ColumnMap:
    """Names of the input columns holding each canonical field (``None`` = absent/detect).

    Parameters
    ----------
    lat, lon : str, optional
        WGS84 latitude and longitude columns (degrees), or coordinates in ``crs`` when given.
    x, y : str, optional
        Projected easting/northing columns (need a CRS), or degrees when they look like degrees.
    time : str, optional
        Date-time column, or ``"date_col+time_col"`` for a date and a time-of-day column that
        are joined with a space before parsing.
    offense, incident_id, premise : str, optional
        Offense / call type, incident identifier, premise / location type.
    year, month, day, hour, minute : str, optional
        Date part columns, used when there is no ``time`` column (``year`` and ``month`` at
        least).
    name, kind, venue_id : str, optional
        Venue name, venue kind and venue identifier (venue files only).
    occurred_from, occurred_to : str, optional
        The two ends of each incident's time window (the earliest and the latest time it can
        have happened), for aoristic weights (:mod:`hotspots.timeaware.windows`); found by
        their values when not given.
    time_format : str, optional
        How to read ``time`` when it is not text in a date format: ``"epoch_s"``,
        ``"epoch_ms"`` (Unix times), ``"excel"`` (serial days), or the order of slashed dates
        (``"dmy"``, ``"mdy"``). Not a column.
    """

    lat: str | None = None
    lon: str | None = None
    x: str | None = None
    y: str | None = None
    time: str | None = None
    offense: str | None = None
    incident_id: str | None = None
    premise: str | None = None
    year: str | None = None
    month: str | None = None
    day: str | None = None
    hour: str | None = None
    minute: str | None = None
    name: str | None = None
    kind: str | None = None
    venue_id: str | None = None
    time_format: str | None = None
    occurred_from: str | None = None
    occurred_to: str | None = None

    def as_dict(self) -> dict[str, str]:
        """The fields that name a column, in field order (for reports)."""
        return {k: v for k, v in asdict(self).items() if v and k != "time_format"}

    @property
    def used_columns(self) -> set[str]:
        """Every input column the mapping reads (a joined date and time as its two)."""
        named = {v for k, v in self.as_dict().items() if k != "time"}
        return named | set(self.time_columns)

    @property
    def time_columns(self) -> list[str]:
        """The column(s) joined to form the date-time text (empty without a time column)."""
        return [c for c in (self.time or "").split(TIME_JOIN) if c] if self.time else []

    @property
    def time_parts(self) -> dict[str, str]:
        """Date part columns that are set, e.g. ``{"year": "YEAR", "month": "MONTH"}``."""
        parts = ("year", "month", "day", "hour", "minute")
        return {p: getattr(self, p) for p in parts if getattr(self, p)}


def header_key(name: object) -> str:
    """Comparison key of a header: case-folded letters and digits only (any script).

    Examples
    --------
    >>> header_key(" Primary_Type ")
    'primarytype'
    >>> header_key("Crime.type")
    'crimetype'
    >>> header_key("\\ufeffШирота")
    'широта'
    >>> header_key("№")
    'номер'
    """
    text = str(name).casefold().replace("ё", "е").replace("№", "номер")
    return re.sub(r"[\W_]+", "", text)


# Synonyms as header keys, best first. ------------------------------------------------------
LAT_NAMES = ("geometrylat", "latitude", "lat", "широта", "ендік", "latitud", "breite")
LON_NAMES = (
    "geometrylon",
    "longitude",
    "lon",
    "lng",
    "long",
    "долгота",
    "бойлық",
    "longitud",
    "lange",
)
X_NAMES = ("geometryx", "x", "xcoordinate", "xcoord", "easting", "pointx", "координатаx", "coordx")
Y_NAMES = ("geometryy", "y", "ycoordinate", "ycoord", "northing", "pointy", "координатаy", "coordy")
# full date-time columns (used alone)
DATETIME_NAMES = (
    "datetime",
    "occurredat",
    "occurreddatetime",
    "occurdatetime",
    "incidentdatetime",
    "datetimeoccurred",
    "датаивремя",
    "датавремя",
    "датаивремясобытия",
    "күніжәнеуақыты",
    "күнуақыт",
)
# date columns (may be joined with a time-of-day column)
DATE_NAMES = (
    "date",
    "occurred",
    "occurreddate",
    "occurdate",
    "occurrencedate",
    "incidentdate",
    "eventdate",
    "calldate",
    "dateoccurred",
    "reporteddate",
    "дата",
    "датасобытия",
    "датапроисшествия",
    "датарегистрации",
    "күні",
)
# time-of-day columns (joined to a date column) or, alone, a full date-time column
TIME_NAMES = (
    "time",
    "occurtime",
    "occurredtime",
    "occurrencetime",
    "incidenttime",
    "eventtime",
    "calltime",
    "время",
    "уақыт",
    "уақыты",
)
# the two ends of a time window (aoristic analysis, hotspots.timeaware.aoristic): the earliest
# and the latest time the incident can have happened
WINDOW_FROM_NAMES = (
    "datefrom",
    "from",
    "fromdate",
    "fromdatetime",
    "occurredfrom",
    "firstoccurrence",
    "startdate",
    "startdatetime",
    "earliest",
    "датас",
    "датаначала",
    "начало",
    "басталуы",
)
WINDOW_TO_NAMES = (
    "dateto",
    "to",
    "todate",
    "todatetime",
    "occurredto",
    "lastoccurrence",
    "enddate",
    "enddatetime",
    "latest",
    "датапо",
    "датаокончания",
    "конец",
    "аяқталуы",
)
YEAR_NAMES = ("year", "год", "жыл")
MONTH_NAMES = ("month", "месяц", "ай")
DAY_NAMES = ("day", "день", "число", "күн")
HOUR_NAMES = ("hour", "час", "сағат")
MINUTE_NAMES = ("minute", "minutes", "минута", "минуты", "минут")
OFFENSE_NAMES = (
    "offense",
    "offence",
    "offensetype",
    "offencetype",
    "crimetype",
    "primarytype",
    "calltype",
    "incidenttype",
    "eventtype",
    "type",
    "category",
    "crimecategory",
    "title",
    "crime",
    "видпреступления",
    "видпроисшествия",
    "типпроисшествия",
    "тип",
    "вид",
    "статья",
    "категория",
    "түрі",
    "бап",
    "санат",
)
PREMISE_NAMES = (
    "premise",
    "premises",
    "premisetype",
    "locationdescription",
    "loccat",
    "locationtype",
    "location",
    "place",
    "место",
    "местосовершения",
    "местопроисшествия",
    "типместа",
    "орын",
    "орны",
)
INCIDENT_ID_NAMES = (
    "incidentid",
    "id",
    "casenumber",
    "crimeid",
    "eventid",
    "callid",
    "incidentnumber",
    "reportnumber",
    "номер",
    "ид",
    "нөмір",
)
VENUE_NAME_NAMES = (
    "name",
    "premisesname",
    "venuename",
    "title",
    "название",
    "наименование",
    "атауы",
    "атау",
)
VENUE_KIND_NAMES = (
    "kind",
    "venuetype",
    "type",
    "category",
    "amenity",
    "вид",
    "тип",
    "категория",
    "түрі",
    "санат",
)
VENUE_ID_NAMES = ("venueid", "id", "placeid", "poiid", "osmid", "номер", "ид", "нөмір")


def _find(keys: dict[str, str], names: Iterable[str], taken: set[str]) -> str | None:
    """First column whose key is in ``names`` (in the order of ``names``), not yet taken."""
    for n in names:
        col = keys.get(n)
        if col is not None and col not in taken:
            return col
    return None


def _resolve(given: str, headers: Sequence[str], keys: dict[str, str], source: str, flag: str):
    """The actual header for an explicitly given column name (exact, then by key)."""
    if given in headers:
        return given
    col = keys.get(header_key(given))
    if col is None:
        raise InputError(
            f"column {given!r} given with {flag} is not in {source} "
            f"(columns: {list_columns(headers)})"
        )
    return col


def list_columns(headers: Sequence[str], limit: int = 30, width: int = 40) -> str:
    """``a, b, c`` (the first ``limit`` headers, each cut to ``width`` characters and kept on
    one line), for one-line messages."""
    shown = []
    for h in headers[:limit]:
        h = " ".join(str(h).split())
        shown.append(h if len(h) <= width else h[: width - 1] + "…")
    more = f", ... ({len(headers) - limit} more)" if len(headers) > limit else ""
    return ", ".join(shown) + more


def detect_columns(
    headers: Sequence[str],
    given: ColumnMap | None = None,
    *,
    kind: str = "incidents",
    source: str = "the input",
    prefer_xy: bool = False,
) -> ColumnMap:
    """Complete ``given`` with the columns found among ``headers``.

    Parameters
    ----------
    headers : sequence of str
        Column names of the raw table.
    given : ColumnMap, optional
        Columns named explicitly; each must exist (compared exactly, then by
        :func:`header_key`), else :class:`InputError`.
    kind : {"incidents", "venues"}
        Incidents look for time, offense, premise and incident id; venues for name, kind and
        venue id.
    source : str
        File name used in error messages.
    prefer_xy : bool
        Use x/y columns even when latitude/longitude columns exist (a CRS was given).

    Returns
    -------
    ColumnMap
        Coordinates are either ``lat``/``lon`` or ``x``/``y`` (never both); whether x/y are
        degrees or projected is decided later from their values. Fields with nothing found
        are ``None``. Missing coordinates are *not* an error here (see
        :func:`require_coordinates`).
    """
    if kind not in ("incidents", "venues"):
        raise ValueError(f"kind must be 'incidents' or 'venues', got {kind!r}")
    headers = [str(h) for h in headers]
    keys: dict[str, str] = {}
    for h in headers:
        keys.setdefault(header_key(h), h)  # first of duplicate keys wins
    given = given or ColumnMap()
    out: dict[str, str | None] = {}
    for f in fields(ColumnMap):
        value = getattr(given, f.name)
        if not value:
            continue
        if f.name == "time_format":
            out[f.name] = value
            continue
        if f.name == "time":
            cols = [c.strip() for c in str(value).split(TIME_JOIN) if c.strip()]
            out["time"] = TIME_JOIN.join(
                _resolve(c, headers, keys, source, FLAGS["time"]) for c in cols
            )
        else:
            out[f.name] = _resolve(str(value), headers, keys, source, FLAGS[f.name])
    taken = {c for k, v in out.items() if v and k != "time_format" for c in v.split(TIME_JOIN)}

    def find(field: str, names: Iterable[str]) -> None:
        if out.get(field) is None:
            col = _find(keys, names, taken)
            if col is not None:
                out[field] = col
                taken.add(col)

    # coordinates: explicit pairs win; otherwise lat/lon names, then x/y names
    explicit_ll = bool(out.get("lat") or out.get("lon"))
    explicit_xy = bool(out.get("x") or out.get("y"))
    if not explicit_ll and not explicit_xy:
        lat = _find(keys, LAT_NAMES, taken)
        lon = _find(keys, LON_NAMES, taken)
        x = _find(keys, X_NAMES, taken)
        y = _find(keys, Y_NAMES, taken)
        if x and y and (prefer_xy or not (lat and lon)):
            out["x"], out["y"] = x, y
        elif lat or lon:
            out["lat"], out["lon"] = lat, lon
        else:  # at most one of x/y: kept so the error can say what was found
            out["x"], out["y"] = x, y
        taken.update(v for v in (out.get("lat"), out.get("lon"), out.get("x"), out.get("y")) if v)
    elif explicit_ll:
        find("lat", LAT_NAMES)
        find("lon", LON_NAMES)
    else:
        find("x", X_NAMES)
        find("y", Y_NAMES)

    if kind == "incidents":
        _detect_time(out, keys, taken, explicit=bool(given.time or given.time_parts))
        find("offense", OFFENSE_NAMES)
        find("premise", PREMISE_NAMES)
        find("incident_id", INCIDENT_ID_NAMES)
    else:
        find("name", VENUE_NAME_NAMES)
        find("kind", VENUE_KIND_NAMES)
        find("venue_id", VENUE_ID_NAMES)
    return replace(ColumnMap(), **out)


def _detect_time(out: dict, keys: dict[str, str], taken: set[str], *, explicit: bool) -> None:
    """Fill ``out["time"]`` or the part columns (see the module docstring for the order)."""
    if explicit:
        if out.get("time") or not out.get("year"):
            return
    else:
        full = _find(keys, DATETIME_NAMES, taken)
        date = _find(keys, DATE_NAMES, taken) if full is None else None
        tod = _find(keys, TIME_NAMES, taken)
        if full:
            out["time"] = full
            taken.add(full)
            return
        if date:
            out["time"] = f"{date}{TIME_JOIN}{tod}" if tod else date
            taken.update(v for v in (date, tod) if v)
            return
        year = _find(keys, YEAR_NAMES, taken)
        month = _find(keys, MONTH_NAMES, taken)
        if year and month:
            out["year"], out["month"] = year, month
            taken.update((year, month))
        elif month:  # data.police.uk: "Month" = "2016-02"
            out["time"] = month
            taken.add(month)
            return
        elif tod:  # a lone "time" column holding full date-times
            out["time"] = tod
            taken.add(tod)
            return
        else:
            return
    for part, names in (("day", DAY_NAMES), ("hour", HOUR_NAMES), ("minute", MINUTE_NAMES)):
        if out.get(part) is None:
            col = _find(keys, names, taken)
            if col is not None:
                out[part] = col
                taken.add(col)


def require_coordinates(cmap: ColumnMap, headers: Sequence[str], source: str) -> None:
    """Raise :class:`InputError` unless ``cmap`` names a complete coordinate pair."""
    if (cmap.lat and cmap.lon) or (cmap.x and cmap.y):
        return
    found = [c for c in (cmap.lat, cmap.lon, cmap.x, cmap.y) if c]
    half = f" (only {', '.join(found)} found)" if found else ""
    todo = "name them with --lat/--lon or --x/--y --crs EPSG:...."
    named = [str(h) for h in headers if not str(h).startswith("Unnamed: ")]
    if len(named) == 1 and not found:
        seps = [sep for sep in (";", "\t", "|", ",") if sep in named[0]]
        if seps:  # the whole header in one column: read with the wrong separator
            todo = f"the header is one column holding {seps[0]!r}: give --sep {seps[0]!r}"
            todo = todo.replace("'\\t'", "tab")
        else:  # a title line above the header
            todo = "if a title line comes first, delete it so the column names are line 1; " + todo
    raise InputError(
        f"no coordinate columns found in {source}{half} (columns: {list_columns(headers)}); " + todo
    )


def detect_window_columns(headers: Sequence[str]) -> tuple[str | None, str | None]:
    """The from/to columns of a time window (both, or neither), by their header names.

    Examples
    --------
    >>> detect_window_columns(["id", "Date From", "Date To", "lat", "lon"])
    ('Date From', 'Date To')
    >>> detect_window_columns(["id", "date"])
    (None, None)
    """
    keys = {header_key(h): h for h in headers}
    start = _find(keys, WINDOW_FROM_NAMES, set())
    end = _find(keys, WINDOW_TO_NAMES, set())
    if start is None or end is None or start == end:
        return None, None
    return start, end
