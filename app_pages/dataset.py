"""The data set in use: where it comes from (:class:`Source`: the sample, files named by the
environment, uploads), loading it (cached) and switching it."""

from __future__ import annotations

import hashlib
import io as _io
import os
from dataclasses import astuple, dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import streamlit as st

from app_pages import state
from app_pages.texts import md_text, tr
from hotspots import views
from hotspots.errors import InputError, ParameterError

#: Environment variables naming the files the app opens with (instead of the sample).
ENV_CALLS = "HOTSPOTS_CALLS"
ENV_VENUES = "HOTSPOTS_VENUES"
ENV_BOUNDARY = "HOTSPOTS_BOUNDARY"


# --------------------------------------------------------------------------------------------
# Data set
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FileRef:
    """A file to read: an upload (bytes kept in the session under ``blob:<digest>``) or a file
    on the server (``path``)."""

    name: str
    digest: str
    path: str = ""


@dataclass(frozen=True)
class Source:
    """What the app reads. ``calls=None`` is the bundled sample (with its venues and
    boundary unless others are given)."""

    calls: FileRef | None = None
    venues: FileRef | None = None
    boundary: FileRef | None = None
    columns: tuple[tuple[str, str], ...] = ()
    crs: str = ""

    @property
    def key(self) -> str:
        return hashlib.sha1(repr(astuple(self)).encode()).hexdigest()[:16]

    @property
    def is_sample(self) -> bool:
        return self.calls is None


@dataclass
class Dataset:
    """A loaded data set (shared between sessions: treat as read-only)."""

    key: str
    label: str
    calls: gpd.GeoDataFrame
    venues: gpd.GeoDataFrame
    boundary: gpd.GeoDataFrame | None
    calls_result: Any
    venues_result: Any
    is_sample: bool
    choices: dict[str, list] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def file_ref_for_path(path: str | os.PathLike) -> FileRef:
    p = Path(path)
    try:
        st_ = p.stat()
        digest = f"{st_.st_mtime_ns}:{st_.st_size}"
    except OSError:
        digest = "missing"
    return FileRef(p.name, digest, str(p))


def file_ref_for_bytes(name: str, data: bytes) -> FileRef:
    """Register uploaded bytes in the session and return their reference."""
    digest = hashlib.sha256(data).hexdigest()
    st.session_state[f"blob:{digest}"] = data
    return FileRef(Path(name).name, digest)


def env_source() -> Source:
    """The source named by the environment (the sample by default)."""

    def ref(var: str) -> FileRef | None:
        value = os.environ.get(var, "").strip()
        return file_ref_for_path(value) if value else None

    return Source(calls=ref(ENV_CALLS), venues=ref(ENV_VENUES), boundary=ref(ENV_BOUNDARY))


def _open(ref: FileRef, blobs: dict[str, bytes]) -> Any:
    if ref.path:
        return ref.path
    data = blobs.get(ref.digest)
    if data is None:
        raise InputError(f"{ref.name}: the uploaded file is no longer available; upload it again")
    stream = _io.BytesIO(data)
    stream.name = ref.name
    return stream


@st.cache_resource(max_entries=6, show_spinner=False)
def _load(key: str, _source: Source, _blobs: dict[str, bytes]) -> Dataset:
    from hotspots import io
    from hotspots.columns import ColumnMap

    source = _source
    warnings: list[str] = []
    if source.is_sample:
        from hotspots.sample import load_sample

        sample = load_sample()
        boundary = sample.boundary
        calls_result = sample.result
        venues, venues_result = sample.venues, None
        label = "sample"
    else:
        boundary = io.read_boundary(_open(source.boundary, _blobs)) if source.boundary else None
        columns = ColumnMap(**dict(source.columns)) if source.columns else None
        calls_result = io.read_incidents(
            _open(source.calls, _blobs),
            columns=columns,
            crs=source.crs or None,
            boundary=boundary,
        )
        venues = venues_result = None
        label = source.calls.name
    if source.venues is not None:
        venues_result = io.read_venues(_open(source.venues, _blobs))
        venues = venues_result.accepted
        label = f"{label} + {source.venues.name}"
    if venues is None:
        venues = gpd.GeoDataFrame(
            {"venue_id": [], "name": [], "kind": [], "lat": [], "lon": []},
            geometry=gpd.GeoSeries([], crs="EPSG:4326"),
            crs="EPSG:4326",
        )
    calls = calls_result.accepted
    if len(calls) == 0:
        raise InputError(
            f"{label}: no usable calls ({calls_result.rows} rows, all rejected); "
            "check the column mapping on the Data page"
        )
    return Dataset(
        key=key,
        label=label,
        calls=calls,
        venues=venues,
        boundary=boundary,
        calls_result=calls_result,
        venues_result=venues_result,
        is_sample=source.is_sample and source.venues is None,
        choices=views.filter_choices(calls),
        warnings=warnings,
    )


def blobs_for(source: Source) -> dict[str, bytes]:
    refs = [r for r in (source.calls, source.venues, source.boundary) if r and not r.path]
    return {r.digest: st.session_state.get(f"blob:{r.digest}") for r in refs}


def load_source(source: Source) -> Dataset:
    """Load (or get from the cache) the data set of ``source``; InputError when unusable."""
    return _load(source.key, source, blobs_for(source))


def current_source() -> Source:
    return st.session_state.get("s:source") or env_source()


def set_source(source: Source | None) -> None:
    """Switch the app to ``source`` (``None``: back to the default). Filters are reset when
    the data changes, since their choices change with it."""
    old = current_source()
    if source is None:
        st.session_state.pop("s:source", None)
    else:
        st.session_state["s:source"] = source
    if current_source().key != old.key:
        for name in ("years", "offenses", "venue"):
            state.set_and_reseed(name, state.setting(name).default)


def dataset() -> Dataset:
    """The current data set. A source that cannot be read falls back to the sample with an
    error message (never a traceback)."""
    source = current_source()
    try:
        return load_source(source)
    except (InputError, ParameterError, OSError) as exc:
        st.error(tr("msg.error", message=md_text(exc)))
        if source.is_sample and source.venues is None:
            st.stop()
        st.session_state.pop("s:source", None)
        return load_source(Source())
