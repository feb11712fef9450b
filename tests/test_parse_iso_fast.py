"""The ISO fast path of :func:`hotspots.ingest.parse.parse_times` (Arrow's ISO 8601 cast) gives
exactly what the format-by-format strptime path gives, value and precision, on every column
it takes, and leaves the columns it cannot take to that path."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from hotspots.ingest import parse as P


def _slow(values, monkeypatch: pytest.MonkeyPatch) -> P.Times:
    with monkeypatch.context() as m:
        m.setattr(P, "_iso_cast", lambda t: None)
        return P.parse_times(pa.array(values))


def _same(a: P.Times, b: P.Times) -> None:
    assert (a.precision == b.precision).all()
    both_nat = np.isnat(a.values) & np.isnat(b.values)
    assert ((a.values == b.values) | both_nat).all()
    assert (a.aware == b.aware).all()


@pytest.mark.parametrize(
    "fmt",
    ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%Y-%m-%d %H", "%Y-%m-%dT%H:%M:%S.%f"],
)
def test_fast_path_equals_strptime_path(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(7)
    secs = rng.integers(0, 40 * 365 * 86400, 3000) + np.datetime64("1995-01-01T00:00:00")
    values = [d.astype("datetime64[us]").item().strftime(fmt) for d in secs]
    calls = []
    real = P._iso_cast

    def spy(t):
        got = real(t)
        calls.append(got is not None)
        return got

    monkeypatch.setattr(P, "_iso_cast", spy)
    fast = P.parse_times(pa.array(values))
    assert calls == [True]  # the column went through the cast
    monkeypatch.undo()
    slow = _slow(values, monkeypatch)
    _same(fast, slow)
    assert (fast.precision > 0).all()


def test_a_day_that_does_not_exist_sends_the_column_to_the_slow_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    values = [f"2021-01-{1 + i % 28:02d} 10:00" for i in range(300)] + ["2021-02-30 10:00"]
    got = P.parse_times(pa.array(values))
    _same(got, _slow(values, monkeypatch))
    assert got.precision[-1] == 0 and (got.precision[:-1] == P.MINUTE).all()


def test_years_outside_the_range_are_unparsed_on_the_fast_path() -> None:
    values = ["2021-07-20 10:24"] * 300 + ["1850-01-01 10:00", "2150-01-01 10:00"]
    got = P.parse_times(pa.array(values))
    assert (got.precision[-2:] == 0).all() and np.isnat(got.values[-2:]).all()
    assert (got.precision[:-2] == P.MINUTE).all()


def test_trim_equals_arrows_unicode_trim_on_every_kind_of_edge() -> None:
    # the NumPy look at the first and last characters must send every value with white
    # space at an edge to the full trim, and may skip it only when there is none
    import pyarrow.compute as pc
    from hypothesis import given, settings
    from hypothesis import strategies as st

    spaces = [
        " ",
        "\t",
        "\r",
        "\n",
        "\x0b",
        "\x0c",
        "\u00a0",
        "\u0085",
        "\u2003",
        "\u202f",
        "\u3000",
        "\u1680",
        "\u205f",
    ]
    letters = ["a", "Z", "7", "Қ", "р", "ж", "\u00e9", "中", "\u2010", "\u20ac", "\u0101"]
    value = st.lists(st.sampled_from(spaces + letters), max_size=5).map("".join)

    @settings(max_examples=300, deadline=None)
    @given(st.lists(value, min_size=1, max_size=20))
    def check(values: list[str]) -> None:
        arr = pa.array(values)
        assert P.trim(arr).to_pylist() == pc.utf8_trim_whitespace(arr).to_pylist()
        sliced = arr.slice(1)
        assert P.trim(sliced).to_pylist() == pc.utf8_trim_whitespace(sliced).to_pylist()

    check()


def test_a_column_of_mixed_iso_forms_is_cast_at_once_and_equals_strptime(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Dates, hours, minutes and seconds in one column: no single format takes the sample,
    so the formats were ranked and applied one by one; the ISO cast is now tried first, and
    must give the same values and precisions as that path."""
    rng = np.random.default_rng(11)
    secs = rng.integers(0, 30 * 365 * 86400, 2000) + np.datetime64("1995-01-01T00:00:00")
    forms = ["%Y-%m-%d", "%Y-%m-%d %H", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"]
    values = [d.astype("datetime64[us]").item().strftime(forms[i % 4]) for i, d in enumerate(secs)]
    ranked = []
    real = P._formats
    monkeypatch.setattr(P, "_formats", lambda order: ranked.append(order) or real(order))
    fast = P.parse_times(pa.array(values))
    assert ranked == []  # no format ranked: the cast took the column
    assert set(np.unique(fast.precision)) == {P.DAY, P.HOUR, P.MINUTE}
    _same(fast, _slow(values, monkeypatch))
    # a column that is not ISO skips the cast and is ranked as before
    us = [v.replace("-", "/") for v in values[:50]]
    P.parse_times(pa.array(us))
    assert ranked != []


def test_fractions_of_seconds_are_dropped_on_the_fast_path_as_strptime_does() -> None:
    values = ["2021-07-20 10:24:31.75", "2021-07-20T10:24:59", "2021-07-20 10:24"] * 100
    got = P.parse_times(pa.array(values))
    want = np.array(["2021-07-20T10:24:31", "2021-07-20T10:24:59", "2021-07-20T10:24"] * 100)
    assert (got.values == want.astype("datetime64[us]")).all()
    # no value longer than whole seconds: nothing to drop, the values as cast
    whole = P.parse_times(pa.array(values[1:3] * 100))
    assert (whole.values == np.tile(want[1:3].astype("datetime64[us]"), 100)).all()
