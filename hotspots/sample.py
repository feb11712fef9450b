"""The bundled SYNTHETIC sample city (Turkestan, Kazakhstan) in ``geodata/``.

The files are invented by ``geodata/make_sample.py`` from a fixed seed (see
``geodata/README.md``): calls for service 2019-2021 with a few defective rows, catering
venues and public spaces, and the study-area boundary. :func:`load_sample` reads them with
the ordinary readers of :mod:`hotspots.io`, so the sample goes through the same validation as
a user's file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd

from hotspots.errors import InputError

#: Where the sample lives: ``geodata/`` next to the package (a source checkout or an
#: editable install).
SAMPLE_DIR = Path(__file__).resolve().parent.parent / "geodata"

CALLS_FILE = "calls.csv"
VENUES_FILE = "venues.geojson"
BOUNDARY_FILE = "boundary.geojson"
#: The premise column of ``calls.csv`` (Russian premise labels such as "кафе").
PREMISE_COLUMN = "place"


@dataclass(frozen=True)
class SamplePaths:
    """Paths of the sample's files."""

    calls: Path
    venues: Path
    boundary: Path


@dataclass(frozen=True)
class Sample:
    """The sample as canonical frames (see :mod:`hotspots.schema`).

    Attributes
    ----------
    calls : geopandas.GeoDataFrame
        Accepted calls (the defective rows are in ``result.rejected``).
    venues : geopandas.GeoDataFrame
        Catering venues and public spaces.
    boundary : geopandas.GeoDataFrame
        The study area (one polygon, EPSG:4326).
    result : hotspots.io.IngestResult
        The full ingest result of the calls (rows, rejected rows, counts per reason).
    """

    calls: gpd.GeoDataFrame
    venues: gpd.GeoDataFrame
    boundary: gpd.GeoDataFrame
    result: Any = None


def sample_paths(directory: Path | str | None = None) -> SamplePaths:
    """Locate the sample files.

    Parameters
    ----------
    directory : path, optional
        Folder holding the files; ``geodata/`` beside the package by default.

    Raises
    ------
    InputError
        When the folder or one of the files is missing (an install without the sample).

    Examples
    --------
    >>> sample_paths().calls.name
    'calls.csv'
    """
    folder = Path(directory) if directory is not None else SAMPLE_DIR
    paths = SamplePaths(
        calls=folder / CALLS_FILE, venues=folder / VENUES_FILE, boundary=folder / BOUNDARY_FILE
    )
    missing = [p.name for p in (paths.calls, paths.venues, paths.boundary) if not p.is_file()]
    if missing:
        raise InputError(
            f"the bundled sample is missing {', '.join(missing)} in {folder}: run "
            "`python geodata/make_sample.py` in a source checkout, or give your own files"
        )
    return paths


def load_sample(directory: Path | str | None = None) -> Sample:
    """Read the sample's calls (validated against its boundary), venues and boundary.

    Parameters
    ----------
    directory : path, optional
        Folder holding the files; ``geodata/`` beside the package by default.

    Returns
    -------
    Sample
        Canonical frames; ``result.reasons`` counts the rejected rows per reason.

    Examples
    --------
    >>> s = load_sample()
    >>> sorted(set(s.venues["kind"]))[:3]
    ['bar', 'bus_station', 'cafe']
    """
    from hotspots import io  # the readers pull in heavier dependencies; load them on use

    paths = sample_paths(directory)
    boundary = io.read_boundary(paths.boundary)
    # id, datetime, type, lat and lon are detected; "place" is named, as a user would
    result = io.read_incidents(
        paths.calls, columns=io.ColumnMap(premise=PREMISE_COLUMN), boundary=boundary
    )
    venues = io.read_venues(paths.venues).accepted
    return Sample(calls=result.accepted, venues=venues, boundary=boundary, result=result)
