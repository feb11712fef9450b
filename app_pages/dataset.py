"""The data set in use: where it comes from (:class:`Source`: the sample, files named by the
environment, uploads), loading it (cached) and switching it.

Uploads are the session's own, and leave with it
------------------------------------------------
- Their bytes live in a session-scoped ``st.cache_resource`` (:func:`_blob_store`), never in
  ``st.session_state`` (kept for a while after a tab closes, for reconnection) or a global cache.
- Before parsing, :func:`hotspots.upload_limits.check_upload` refuses a workbook that unpacks to
  too much or a table too wide, from the zip directory or the first line, in milliseconds.
- Parsing runs in a child process (:func:`hotspots.sandbox.run_limited`) with a memory limit
  (:data:`PARSE_MEMORY_BYTES`) and a time limit (:data:`PARSE_SECONDS`): a costly file costs the
  child, and the page shows one line.
- The data set loaded from an upload is cached per session (``scope="session"``); when the
  session ends (the tab closes) Streamlit drops it, and its ``on_release`` clears the derived
  caches (filtered calls, analyses, rendered maps) that could still hold its frames.
- The bundled sample and the files named by the environment are the server's own: one shared
  copy (global cache), read in the server process.
"""

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
from hotspots import sandbox, upload_limits, views
from hotspots.errors import InputError, ParameterError

#: Environment variables naming the files the app opens with (instead of the sample).
ENV_CALLS = "HOTSPOTS_CALLS"
ENV_VENUES = "HOTSPOTS_VENUES"
ENV_BOUNDARY = "HOTSPOTS_BOUNDARY"
#: Rows above which a partitioned dataset is not loaded: the Map and Trends pages show its
#: aggregates computed partition by partition (:mod:`hotspots.engine.overview`).
ENV_BIG_ROWS = "HOTSPOTS_BIG_ROWS"

#: Memory limit of the child process that parses an upload: resident memory, bytes (a 48 MB
#: CSV of 918,738 calls peaks at 750 MB; its address space is capped too, see hotspots.sandbox).
PARSE_MEMORY_BYTES = 1536 * 1024**2
#: Time limit of parsing an upload, seconds (that 48 MB CSV takes about 9 s, sent back included).
PARSE_SECONDS = 90
#: Most uploads a session keeps (calls, venues and boundary, and the previous calls file).
MAX_BLOBS = 4


# --------------------------------------------------------------------------------------------
# Data set
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FileRef:
    """A file to read: an upload (bytes kept in the session's :func:`_blob_store` under its
    SHA-256 ``digest``) or a file on the server (``path``)."""

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
    """A loaded data set (treat as read-only: the sample's is shared between sessions)."""

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
    big: str = ""  # a partitioned dataset too large to load: its path (calls left empty)


def file_ref_for_path(path: str | os.PathLike) -> FileRef:
    p = Path(path)
    try:
        st_ = p.stat()
        digest = f"{st_.st_mtime_ns}:{st_.st_size}"
    except OSError:
        digest = "missing"
    return FileRef(p.name, digest, str(p))


@st.cache_resource(scope="session", show_spinner=False)
def _blob_store() -> dict[str, bytes]:
    """The session's uploaded bytes by SHA-256 (dropped by Streamlit when the session ends)."""
    return {}


def file_ref_for_bytes(name: str, data: bytes) -> FileRef:
    """Register uploaded bytes in the session and return their reference (the session keeps
    the :data:`MAX_BLOBS` latest uploads)."""
    digest = hashlib.sha256(data).hexdigest()
    store = _blob_store()
    store.pop(digest, None)
    store[digest] = data  # latest last
    while len(store) > MAX_BLOBS:
        store.pop(next(iter(store)))
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


def read_file(
    fn: Any, ref: FileRef, blobs: dict[str, bytes], progress: Any = None, **kwargs: Any
) -> Any:
    """``fn(file, **kwargs)`` (a reader of :mod:`hotspots.io`): a server file in this process;
    an upload checked against :mod:`hotspots.upload_limits`, then parsed in a child process
    with the memory and time limits (:func:`hotspots.sandbox.run_limited`). ``progress``
    (``progress(fraction, what)``, for ``st.progress``) hears the reader's stages."""
    src = _open(ref, blobs)
    if ref.path:
        return fn(src, **kwargs) if progress is None else fn(src, progress=progress, **kwargs)
    upload_limits.check_upload(ref.name, blobs[ref.digest])
    return sandbox.run_limited(
        fn,
        src,
        memory_bytes=PARSE_MEMORY_BYTES,
        seconds=PARSE_SECONDS,
        what=f"reading {ref.name}",
        progress=progress,
        **kwargs,
    )


def _build(key: str, source: Source, blobs: dict[str, bytes]) -> Dataset:
    from hotspots import io
    from hotspots.columns import ColumnMap

    warnings: list[str] = []
    if source.is_sample:
        from hotspots.sample import load_sample

        sample = load_sample()
        boundary = sample.boundary
        calls_result = sample.result
        venues, venues_result = sample.venues, None
        label = "sample"
    else:
        boundary = read_file(io.read_boundary, source.boundary, blobs) if source.boundary else None
        columns = ColumnMap(**dict(source.columns)) if source.columns else None
        big = big_dataset(source)
        calls_result = big_result(big) if big else read_file(
            io.read_incidents,
            source.calls,
            blobs,
            columns=columns,
            crs=source.crs or None,
            boundary=boundary,
        )
        venues = venues_result = None
        label = source.calls.name
    if source.venues is not None:
        venues_result = read_file(io.read_venues, source.venues, blobs)
        venues = venues_result.accepted
        label = f"{label} + {source.venues.name}"
    if venues is None:
        venues = gpd.GeoDataFrame(
            {"venue_id": [], "name": [], "kind": [], "lat": [], "lon": []},
            geometry=gpd.GeoSeries([], crs="EPSG:4326"),
            crs="EPSG:4326",
        )
    calls = calls_result.accepted
    big = "" if source.is_sample else big_dataset(source)
    if len(calls) == 0 and not big:
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
        choices=big_choices(big, boundary) if big else views.filter_choices(calls),
        warnings=warnings,
        big=big,
    )


def big_rows() -> int:
    """The row threshold of :data:`ENV_BIG_ROWS` (default
    :data:`hotspots.engine.overview.BIG_ROWS`)."""
    from hotspots.engine.overview import BIG_ROWS

    try:
        return int(os.environ.get(ENV_BIG_ROWS, "").strip() or BIG_ROWS)
    except ValueError:
        return BIG_ROWS


def big_dataset(source: Source) -> str:
    """The path of the source's calls when they are a partitioned dataset above
    :func:`big_rows` (server files only), else ""."""
    from hotspots.engine.overview import is_big

    ref = source.calls
    if ref is None or not ref.path or source.columns or source.crs:
        return ""
    return ref.path if is_big(ref.path, big_rows()) else ""


def big_result(path: str) -> Any:
    from hotspots.engine.overview import stored_summary

    return stored_summary(path)


def big_choices(path: str, boundary: Any) -> dict[str, list]:
    from hotspots import engine
    from hotspots.engine.overview import filter_choices

    return filter_choices(engine.Source(path, boundary=boundary))


def is_upload(source: Source) -> bool:
    """Whether ``source`` reads an uploaded file (else only server files or the sample)."""
    return any(r is not None and not r.path for r in (source.calls, source.venues, source.boundary))


def release_derived(_value: Any = None) -> None:
    """Clear the caches derived from data sets (filtered calls, analyses, rendered maps): they
    are keyed on the data set, so those of an upload would outlive its session. Called when
    Streamlit releases an upload's data set (its session ended, or the session loaded others);
    the sample's results are recomputed on their next use."""
    from app_pages import analyses, cellcache, mapview, risk, sidebar

    for fn in (
        sidebar._filtered,
        analyses.headline,
        analyses.cells,
        analyses.clusters,
        analyses.gistar,
        analyses.venue_ranking,
        analyses.trends,
        analyses.comparison,
        analyses.density,
        analyses.venue_detail,
        mapview._rendered,
        risk.fitted,
    ):
        fn.clear()
    cellcache.clear()
    return_freed_memory()


def return_freed_memory() -> None:
    """Give the heap that freed frames leave behind back to the system (glibc's
    ``malloc_trim``). Without it the server's resident memory stays at its peak after an
    upload's session ends, although nothing holds the data any more (measured: four 48 MB
    uploads, tabs closed: 1,291 MB resident, 524 MB after the trim). Does nothing elsewhere."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


@st.cache_resource(max_entries=4, show_spinner=False)
def _load_shared(key: str, _source: Source) -> Dataset:
    """The sample's or the environment's data set: one copy for every session."""
    return _build(key, _source, {})


@st.cache_resource(max_entries=2, show_spinner=False, scope="session", on_release=release_derived)
def _load_upload(key: str, _source: Source, _blobs: dict[str, bytes]) -> Dataset:
    """A data set with an upload: the session's own, released when the session ends."""
    return _build(key, _source, _blobs)


def _load(key: str, _source: Source, _blobs: dict[str, bytes]) -> Dataset:
    if is_upload(_source):
        return _load_upload(key, _source, _blobs)
    return _load_shared(key, _source)


def blobs_for(source: Source) -> dict[str, bytes]:
    refs = [r for r in (source.calls, source.venues, source.boundary) if r and not r.path]
    store = _blob_store()
    return {r.digest: store.get(r.digest) for r in refs if r.digest in store}


def load_source(source: Source) -> Dataset:
    """Load (or get from the cache) the data set of ``source``; InputError when unusable."""
    key = source.key if source.is_sample else f"{source.key}:{big_rows()}"
    return _load(key, source, blobs_for(source))


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
        if source is not None and is_upload(source):  # the audit log: who uploaded what
            from app_pages import signin

            signin.record("upload", detail=source.calls.name if source.calls else None)
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
