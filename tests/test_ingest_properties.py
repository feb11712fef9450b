"""Properties of ingest on malformed input: no crash but InputError, and no row ever lost."""

from __future__ import annotations

import io

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotspots.errors import InputError
from hotspots.io import read_incidents, read_venues
from hotspots.validation import REASONS

# each example reads a file through the whole pipeline (~50 ms): keep the file under 30 s
SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# cells that exercise every parser: numbers in several notations, garbage, dates, blanks
NUMBERISH = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(-200, 200).map(lambda v: f"{v:.5f}".replace(".", ",")),
    st.sampled_from(["", " ", "NA", "null", "0", "-0", "1e400", "43.3о5915", "--", "+", "."]),
    st.integers(-(10**12), 10**12).map(str),
)
DATEISH = st.one_of(
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%d %H:%M")),
    st.datetimes().map(lambda d: d.strftime("%d.%m.%Y %H:%M")),
    st.datetimes().map(lambda d: f"{d.month}/{d.day}/{d.year} {d.hour}:{d.minute:02d}"),
    st.sampled_from(["", "2016-02", "2021-02-30 08:05", "31/31/2020", "yesterday", "0000-00-00"]),
)
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters=',;\t|"\r\n'),
    max_size=12,
)


def _check(result, rows: int | None = None) -> None:
    assert result.n_accepted + result.n_rejected == result.rows
    if rows is not None:
        assert result.rows == rows
    got = np.sort(
        np.concatenate(
            [result.accepted["source_row"].to_numpy(), result.rejected["source_row"].to_numpy()]
        )
    )
    assert got.tolist() == list(range(1, result.rows + 1))  # a partition of the rows
    assert sum(result.reasons.values()) == result.n_rejected
    assert set(result.rejected["reason"]) <= set(REASONS)
    assert result.accepted["lat"].between(-90, 90).all()
    assert result.accepted["lon"].between(-180, 180).all()


def _stream(data: bytes, name: str = "calls.csv") -> io.BytesIO:
    buf = io.BytesIO(data)
    buf.name = name
    return buf


@SETTINGS
@given(
    rows=st.lists(st.tuples(TEXT, DATEISH, NUMBERISH, NUMBERISH, TEXT), min_size=1, max_size=30),
    sep=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
)
def test_well_formed_rows_are_all_accounted_for(rows, sep, encoding) -> None:
    lines = [sep.join(["id", "date", "lat", "lon", "type"])]
    lines += [sep.join(r) for r in rows]
    # a row whose cells are all blank is a blank line, which CSV readers skip
    expected = sum(1 for ln in lines[1:] if ln.strip())
    data = ("\n".join(lines) + "\n").encode(encoding)
    try:
        result = read_incidents(_stream(data))
    except InputError as exc:
        assert expected == 0 or "no data rows" in str(exc) or "empty" in str(exc)
        assert "\n" not in str(exc)
        return
    _check(result, expected)


@FAST
@given(data=st.binary(max_size=400), suffix=st.sampled_from(["csv", "txt", "xlsx", "geojson"]))
def test_arbitrary_bytes_never_crash(data: bytes, suffix: str) -> None:
    try:
        result = read_incidents(_stream(data, f"junk.{suffix}"))
    except InputError as exc:
        assert "\n" not in str(exc)
        return
    _check(result)


@SETTINGS
@given(
    text=st.text(
        alphabet=st.sampled_from(list('latonLATON,;\t"\n 0123456789.-x/:Кк')), max_size=300
    ),
    venues=st.booleans(),
)
def test_csv_like_text_never_crashes(text: str, venues: bool) -> None:
    reader = read_venues if venues else read_incidents
    try:
        result = reader(_stream(("lat,lon\n" + text).encode()))
    except InputError as exc:
        assert "\n" not in str(exc)
        return
    _check(result)


@SETTINGS
@given(
    rows=st.lists(
        st.lists(NUMBERISH, min_size=0, max_size=5).map(",".join), min_size=1, max_size=20
    )
)
def test_ragged_rows_are_never_dropped(rows) -> None:
    data = ("lat,lon\n" + "\n".join(rows) + "\n").encode()
    expected = sum(1 for r in rows if r.strip())
    try:
        result = read_incidents(_stream(data))
    except InputError as exc:
        assert expected == 0 and "\n" not in str(exc)
        return
    _check(result, expected)
    extra = [r for r in rows if r.strip() and r.count(",") > 1]
    assert result.reasons["malformed_row"] == len(extra)
