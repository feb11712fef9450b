"""Data: upload calls and venues, map the columns when detection is unsure, read the validation
report, download the rejected rows; the bundled sample stays one click away."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from app_pages import common, dbimport, signin
from app_pages.dataset import PARSE_MEMORY_BYTES, PARSE_SECONDS, read_file
from hotspots import sandbox, upload_limits
from hotspots.columns import ColumnMap
from hotspots.errors import InputError, ParameterError
from hotspots.i18n import has_key, t
from hotspots.output import csv_bytes

#: Largest upload, MB (also ``server.maxUploadSize`` in .streamlit/config.toml).
MAX_UPLOAD_MB = 50
#: what the uploader offers: tables, spatial files, ingested GeoParquet and compressed text
CALL_TYPES = [
    "csv", "txt", "tsv", "xlsx", "geojson", "json", "gpkg", "parquet", "geoparquet",
    "gz", "bz2", "xz", "zip",
]
BOUNDARY_TYPES = ["geojson", "json", "gpkg", "parquet"]
#: ColumnMap fields offered in the mapping form, in order.
MAP_FIELDS = ("lat", "lon", "x", "y", "time", "offense", "incident_id", "premise")
#: the from/to time window (aoristic weights, hotspots.timeaware.windows), found by values
MAP_FIELDS += ("occurred_from", "occurred_to")
#: The limits an upload must meet and why (shown as text under the uploader, not only in
#: hover help): the figures come from hotspots.upload_limits and app_pages.dataset.
LIMITS_TEXT = {
    "en": (
        "Limits that protect the server: a workbook (.xlsx) may unpack to at most {unpacked} MB, "
        "and none of its parts to more than {ratio} times its packed size; a table may have at "
        "most {columns} columns; reading a file may take at most {memory} MB of memory and "
        "{seconds} s. A small file can unpack to gigabytes, so these are checked before the "
        "file is read, and a file over a limit is refused with a message naming it."
    ),
    "ru": (
        "Ограничения, защищающие сервер: книга Excel (.xlsx) распаковывается не более чем в "
        "{unpacked} МБ, и ни одна её часть — не более чем в {ratio} раз больше сжатого размера; "
        "в таблице не более {columns} столбцов; чтение файла занимает не более {memory} МБ "
        "памяти и {seconds} с. Небольшой файл может распаковаться в гигабайты, поэтому это "
        "проверяется до чтения, а файл сверх ограничения отклоняется с сообщением о нём."
    ),
    "kk": (
        "Серверді қорғайтын шектеулер: Excel кітабы (.xlsx) ашылғанда {unpacked} МБ-тан "
        "аспайды, ал оның ешбір бөлігі сығылған көлемінен {ratio} еседен артық болмайды; "
        "кестеде {columns} бағаннан аспайды; файлды оқу {memory} МБ жадтан және {seconds} "
        "секундтан аспайды. Шағын файл гигабайттарға дейін ашылуы мүмкін, сондықтан бұл оқудан "
        "бұрын тексеріледі, ал шектен асқан файл себебі айтылып қабылданбайды."
    ),
}

ctx = common.context()
lang = ctx.lang
ss = st.session_state
limit_mb = min(MAX_UPLOAD_MB, int(st.get_option("server.maxUploadSize") or MAX_UPLOAD_MB))
st.header(t("page.data", lang))


def reason_label(reason: str) -> str:
    return t(f"reason.{reason}", lang)


def report(result, kind: str, key: str) -> None:
    """The validation report of an ingest result, with the rejected rows for download."""
    r = result.report()
    c1, c2, c3 = st.columns(3)
    c1.metric(t("data.rows", lang), common.num(r["rows"]))
    c2.metric(t("data.accepted", lang), common.num(r["accepted"]))
    c3.metric(t("data.rejected", lang), common.num(r["rejected"]))
    reasons = {k: v for k, v in r["reasons"].items() if v}
    if reasons:
        st.dataframe(
            pd.DataFrame(
                {
                    t("data.reason", lang): [reason_label(k) for k in reasons],
                    t("data.count", lang): list(reasons.values()),
                }
            ),
            hide_index=True,
            key=f"{key}_reasons",
        )
        signin.download_button(
            t("data.download_rejects", lang),
            csv_bytes(result.rejected),  # UTF-8 with BOM; formulas quoted (OWASP)
            file_name=f"rejected_{kind}.csv",
            mime="text/csv",
            key=f"w:{key}_rejects",
        )
    else:
        st.caption(t("data.no_rejects", lang))
    cols = ", ".join(f"{k} ← {v}" for k, v in r["columns"].items())
    extra = [t("data.columns_used", lang, columns=common.md_text(cols))]
    if r.get("time_precision"):
        precision = str(r["time_precision"])
        if has_key(f"precision.{precision}", lang):
            precision = t(f"precision.{precision}", lang)
        extra.append(t("data.time_precision", lang, precision=precision))
    w = r.get("time_windows")
    if w:  # from/to columns kept at ingest (hotspots.timeaware.windows)
        extra.append(
            t(
                "aor.data_windows",
                lang,
                usable=common.num(w["usable"]),
                unknown=common.num(w["too_long"] + w["reversed"]),
                missing=common.num(w["missing"]),
            )
        )
    st.caption(" · ".join(extra))


def limits_text() -> str:
    """The upload limits and their reason, in the page's language."""
    lim = upload_limits.DEFAULT
    return LIMITS_TEXT.get(lang, LIMITS_TEXT["en"]).format(
        unpacked=common.num(lim.max_uncompressed_bytes / 1024**2),
        ratio=common.num(lim.max_compression_ratio),
        columns=common.num(lim.max_columns),
        memory=common.num(PARSE_MEMORY_BYTES / 1024**2),
        seconds=common.num(PARSE_SECONDS),
    )


def refused(upload, data: bytes) -> bool:
    """Check ``data`` against :mod:`hotspots.upload_limits` before anything reads it; show
    the one-line reason and return True when it is over a limit."""
    try:
        upload_limits.check_upload(upload.name, data)
    except upload_limits.UploadRefused as exc:
        st.error(t("msg.error", lang, message=common.md_text(exc)))
        return True
    return False


def too_big(upload) -> bool:
    if upload is not None and upload.size > limit_mb * 1024 * 1024:
        st.error(
            t(
                "data.too_big",
                lang,
                name=common.md_text(upload.name),
                size=common.num(upload.size / 1024 / 1024, 1),
                limit=limit_mb,
            )
        )
        return True
    return False


# --- the data in use --------------------------------------------------------------------
ds = ctx.ds
st.subheader(t("data.current", lang))
label = (
    ds.label.replace("sample", t("msg.sample_data", lang), 1)
    if ds.label.startswith("sample")
    else ds.label
)
st.markdown(
    t(
        "data.current_line",
        lang,
        source=common.md_text(label),
        calls=common.num(len(ds.calls)),
        venues=common.num(len(ds.venues)),
        period=common.period_text(ds.calls),
    )
)
if not common.current_source().is_sample or not ds.is_sample:
    if st.button(t("data.use_sample", lang), type="primary", key="w:use_sample"):
        common.set_source(common.Source())
        st.rerun()
with st.expander(t("data.report_calls", lang), expanded=False):
    report(ds.calls_result, "calls", "cur_calls")

# --- upload calls ---------------------------------------------------------------------------
st.subheader(t("data.upload_calls", lang))
st.caption(t("data.upload_help", lang, limit=limit_mb))
st.caption(limits_text())
up = st.file_uploader(
    t("data.calls_file", lang),
    type=CALL_TYPES,
    key="w:upload_calls",
    max_upload_size=limit_mb,
)
if up is not None and not too_big(up) and not refused(up, data := up.getvalue()):
    ref = common.file_ref_for_bytes(up.name, data)
    headers: list[str] = []
    detected = ColumnMap()
    problem = None
    try:
        # parsed in a child process with memory and time limits (app_pages.dataset)
        # columns found by their values, names breaking ties (hotspots.ingest.detect)
        bar = st.progress(0.0, text=common.md_text(up.name))

        def step(fraction: float, what: str) -> None:
            bar.progress(min(max(fraction, 0.0), 1.0), text=f"{common.md_text(up.name)}: {what}")

        headers, head, detected = read_file(
            sandbox.table_preview, ref, {ref.digest: data}, progress=step
        )
        bar.empty()
    except InputError as exc:
        st.error(t("msg.error", lang, message=common.md_text(exc)))
        st.stop()
    missing = []
    if not ((detected.lat and detected.lon) or (detected.x and detected.y)):
        missing.append(t("data.field_coordinates", lang))
    if not (detected.time or (detected.year and detected.month)):
        missing.append(t("data.field_time", lang))
    if not detected.offense:
        missing.append(t("data.field_offense", lang))
    chosen_key = f"data:columns:{ref.digest}"
    # a new file whose columns were all recognised is used at once; once in use, the venues
    # and boundary uploads below build on it (so it must not be re-applied on every run)
    auto = not missing and chosen_key not in ss and common.current_source().calls != ref
    if auto:
        candidate = common.Source(calls=ref)
        try:
            common.load_source(candidate)
        except (InputError, ParameterError) as exc:
            problem = str(exc)
        else:
            if common.current_source().key != candidate.key:
                common.set_source(candidate)
                st.rerun()
    if missing:
        st.warning(t("data.unsure", lang, fields=", ".join(missing)))
    if problem:
        st.error(t("msg.error", lang, message=common.md_text(problem)))
    with st.expander(t("data.mapping", lang), expanded=bool(missing or problem)):
        st.dataframe(head, hide_index=True, key="data_preview")
        with st.form("w:mapping"):
            none = "—"
            options = [none, *headers]
            picks = {}
            cols = st.columns(4)
            for i, name in enumerate(MAP_FIELDS):
                current = getattr(detected, name) or none
                if name == "time" and current not in options:
                    current = none  # "date+time" joins: choose the date column here
                picks[name] = cols[i % 4].selectbox(
                    t(f"data.field.{name}", lang),
                    options,
                    index=options.index(current) if current in options else 0,
                    key=f"w:map:{name}:{lang}",
                )
            crs = st.text_input(
                t("data.crs", lang),
                value="",
                help=t("data.crs_help", lang),
                key=f"w:map:crs:{lang}",
            )
            submitted = st.form_submit_button(t("data.load", lang), type="primary")
        if submitted:
            columns = tuple((k, v) for k, v in picks.items() if v != none)
            if detected.time and picks["time"] == none and "+" in (detected.time or ""):
                columns += (("time", detected.time),)
            candidate = common.Source(calls=ref, columns=columns, crs=crs.strip())
            try:
                common.load_source(candidate)
            except (InputError, ParameterError) as exc:
                st.error(t("msg.error", lang, message=common.md_text(exc)))
            else:
                ss[chosen_key] = columns
                common.set_source(candidate)
                st.rerun()
    if common.current_source().calls == ref:
        st.success(
            t("data.loaded", lang, name=common.md_text(up.name), calls=common.num(len(ds.calls)))
        )
        report(ds.calls_result, "calls", "up_calls")

# --- upload venues and a boundary ---------------------------------------------------------
st.subheader(t("data.upload_venues", lang))
st.caption(t("data.venues_help", lang))
vup = st.file_uploader(
    t("data.venues_file", lang), type=CALL_TYPES, key="w:upload_venues", max_upload_size=limit_mb
)
if vup is not None and not too_big(vup) and not refused(vup, vdata := vup.getvalue()):
    vref = common.file_ref_for_bytes(vup.name, vdata)
    src = common.current_source()
    candidate = common.Source(
        calls=src.calls, venues=vref, boundary=src.boundary, columns=src.columns, crs=src.crs
    )
    try:
        loaded = common.load_source(candidate)
    except (InputError, ParameterError) as exc:
        st.error(t("msg.error", lang, message=common.md_text(exc)))
    else:
        if src.key != candidate.key:
            common.set_source(candidate)
            st.rerun()
        st.success(t("data.venues_loaded", lang, n=common.num(len(loaded.venues))))
        if loaded.venues_result is not None:
            report(loaded.venues_result, "venues", "up_venues")

bup = st.file_uploader(
    t("data.boundary_file", lang),
    type=BOUNDARY_TYPES,
    key="w:upload_boundary",
    max_upload_size=limit_mb,
)
if bup is not None and not too_big(bup) and not refused(bup, bdata := bup.getvalue()):
    bref = common.file_ref_for_bytes(bup.name, bdata)
    src = common.current_source()
    if src.is_sample:
        st.info(t("data.boundary_needs_calls", lang))
    else:
        candidate = common.Source(
            calls=src.calls, venues=src.venues, boundary=bref, columns=src.columns, crs=src.crs
        )
        try:
            common.load_source(candidate)
        except (InputError, ParameterError) as exc:
            st.error(t("msg.error", lang, message=common.md_text(exc)))
        else:
            if src.key != candidate.key:
                common.set_source(candidate)
                st.rerun()
            st.success(t("data.boundary_loaded", lang, name=common.md_text(Path(bup.name).name)))

# a configured database connection (HOTSPOTS_SOURCE_DB): import a table or query
dbimport.section(lang)
