"""The user's own file, read right the first time (issue: ingest by values, zones, compression).

Each case is a file as a new user would bring it; the expectations are computed here from the
file's own text (or by zoneinfo for the zone conversion), not taken from the reader.
"""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import io
import json
import lzma
import time
import zipfile
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import real_file

from hotspots.cli import main
from hotspots.errors import InputError
from hotspots.io import read_incidents

CHICAGO = ("chicago_cpd_2017_2019", "chicago_crimes_2017_2019_sample25k.csv")


def _calls(n: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = np.datetime64("2019-01-01T00:00")
    minutes = rng.integers(0, 3 * 365 * 24 * 60, n)
    when = pd.to_datetime(start + minutes.astype("timedelta64[m]"))
    return pd.DataFrame(
        {
            "lat": (43.30 + rng.random(n) * 0.05).round(6),
            "lon": (68.24 + rng.random(n) * 0.05).round(6),
            "when": when,
            "offense": rng.choice(["Кража", "Хулиганство", "Драка"], n),
        }
    )


def _write(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_csv(path, index=False)
    return path


def test_time_column_holding_whole_timestamps_is_used_alone(tmp_path: Path) -> None:
    # 'date' holds m/d/Y and 'time' whole timestamps: date + time would parse nothing
    c = _calls()
    f = pd.DataFrame(
        {
            "date": c["when"].dt.strftime("%m/%d/%Y"),
            "time": c["when"].dt.strftime("%Y-%m-%d %H:%M:%S"),
            "latitude": c["lat"],
            "longitude": c["lon"],
            "offense": c["offense"],
        }
    )
    r = read_incidents(_write(tmp_path / "calls.csv", f))
    assert r.n_accepted == len(c) and r.columns.time == "time"
    assert r.time_precision == "minute"
    assert (r.accepted["occurred_at"].to_numpy() == c["when"].to_numpy()).all()
    assert "full timestamps" in r.detection["time"]


@pytest.mark.parametrize(
    "names",
    [
        # a 911 export with a timestamp name no list holds
        {"lat": "y_wgs", "lon": "x_wgs", "when": "received_ts_local", "offense": "call_nature"},
        # Spanish
        {"lat": "latitud", "lon": "longitud", "when": "fecha_hecho", "offense": "delito"},
    ],
)
def test_unknown_and_foreign_names_are_found_by_values(tmp_path: Path, names: dict) -> None:
    c = _calls()
    f = c.assign(when=c["when"].dt.strftime("%Y-%m-%dT%H:%M:%S")).rename(columns=names)
    r = read_incidents(_write(tmp_path / "calls.csv", f))
    assert r.n_accepted == len(c)
    assert (r.columns.lat, r.columns.lon) == (names["lat"], names["lon"])
    assert r.columns.time == names["when"] and r.time_precision == "minute"
    assert r.columns.offense == names["offense"]
    assert set(r.accepted["offense_raw"]) == set(c["offense"])


def test_monthly_file_written_as_dates_is_month_precision(tmp_path: Path) -> None:
    c = _calls(80)
    f = c.assign(month=c["when"].dt.strftime("%Y-%m-01")).drop(columns="when")
    r = read_incidents(_write(tmp_path / "monthly.csv", f))
    assert r.time_precision == "month" and r.n_accepted == len(c)
    assert r.accepted["hour"].isna().all() and r.accepted["weekday"].isna().all()


def test_daily_file_is_still_day_precision(tmp_path: Path) -> None:
    c = _calls(80)
    f = c.assign(date=c["when"].dt.strftime("%Y-%m-%d")).drop(columns="when")
    assert read_incidents(_write(tmp_path / "daily.csv", f)).time_precision == "day"


def test_utc_timestamps_are_converted_to_the_local_zone(tmp_path: Path) -> None:
    c = _calls()
    f = c.assign(when=c["when"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
    r = read_incidents(_write(tmp_path / "utc.csv", f))
    zone = ZoneInfo("Asia/Almaty")  # Turkestan's coordinates
    expected = [
        w.replace(tzinfo=dt.UTC).astimezone(zone).replace(tzinfo=None)
        for w in c["when"].dt.to_pydatetime()
    ]
    assert r.accepted["occurred_at"].dt.to_pydatetime().tolist() == expected
    assert r.time_zone == {"zone": "Asia/Almaty", "from": "coordinates", "converted": len(c)}
    # --tz wins over the coordinates
    r2 = read_incidents(tmp_path / "utc.csv", tz="Europe/London")
    london = ZoneInfo("Europe/London")
    assert r2.accepted["occurred_at"].iloc[0] == pd.Timestamp(
        c["when"].iloc[0].to_pydatetime().replace(tzinfo=dt.UTC).astimezone(london)
    ).tz_localize(None)
    with pytest.raises(InputError, match="--tz"):
        read_incidents(tmp_path / "utc.csv", tz="Mars/Olympus")


def test_offsets_are_converted_and_naive_times_kept(tmp_path: Path) -> None:
    text = (
        "lat,lon,when,offense\n"
        "43.30,68.25,2019-04-23T12:30:00+06:00,theft\n"  # 06:30 UTC = 12:30 in Almaty (+06)
        "43.31,68.26,2019-04-23 12:30,theft\n"  # naive: local already
    )
    (tmp_path / "x.csv").write_text(text)
    r = read_incidents(tmp_path / "x.csv")
    assert r.accepted["occurred_at"].dt.strftime("%H:%M").tolist() == ["12:30", "12:30"]
    assert r.time_zone["converted"] == 1


def test_epoch_seconds(tmp_path: Path) -> None:
    c = _calls()
    f = c.assign(ts=(c["when"] - pd.Timestamp("1970-01-01")) // pd.Timedelta("1s")).drop(
        columns="when"
    )
    r = read_incidents(_write(tmp_path / "epoch.csv", f), tz="UTC")
    assert r.columns.time == "ts" and r.columns.time_format == "epoch_s"
    assert (r.accepted["occurred_at"].to_numpy() == c["when"].to_numpy()).all()


def _compress(kind: str, data: bytes, name: str = "calls.csv") -> bytes:
    if kind == ".gz":
        return gzip.compress(data)
    if kind == ".bz2":
        return bz2.compress(data)
    if kind == ".xz":
        return lzma.compress(data)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize("kind", [".gz", ".bz2", ".xz", ".zip"])
def test_compressed_files(tmp_path: Path, kind: str) -> None:
    c = _calls()
    raw = c.to_csv(index=False).encode()
    p = tmp_path / f"calls.csv{kind}"
    p.write_bytes(_compress(kind, raw))
    r = read_incidents(p)
    assert (
        r.n_accepted == len(c)
        and r.report()["compression"]
        == {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".zip": "zip"}[kind]
    )
    assert r.accepted["offense_raw"].tolist() == c["offense"].tolist()


def test_zip_with_several_members_needs_member(tmp_path: Path) -> None:
    c = _calls()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("2019.csv", c.iloc[:30].to_csv(index=False))
        z.writestr("2020.csv", c.iloc[30:].to_csv(index=False))
    p = tmp_path / "calls.zip"
    p.write_bytes(buf.getvalue())
    with pytest.raises(InputError, match="--member") as err:
        read_incidents(p)
    assert "2019.csv" in str(err.value) and "\n" not in str(err.value)
    assert read_incidents(p, member="2020.csv").n_accepted == len(c) - 30


def test_zip_bomb_is_refused_before_it_fills_memory(tmp_path: Path) -> None:
    p = tmp_path / "bomb.csv.gz"
    p.write_bytes(gzip.compress(b"lat,lon\n" + b"0" * (200 << 20)))  # 200 MB of zeros
    t0 = time.perf_counter()
    with pytest.raises(InputError, match="unpacks to more than 50 MB"):
        read_incidents(p, max_bytes=50 << 20)
    assert time.perf_counter() - t0 < 5


def test_ten_thousand_columns_are_refused_in_one_line(tmp_path: Path) -> None:
    p = tmp_path / "wide.csv"
    p.write_text(",".join(f"c{i}" for i in range(10_000)) + "\n" + "1," * 9_999 + "1\n")
    t0 = time.perf_counter()
    with pytest.raises(InputError) as err:
        read_incidents(p)
    assert time.perf_counter() - t0 < 5
    msg = str(err.value)
    assert "columns" in msg and "\n" not in msg and len(msg) < 300


def test_a_ten_megabyte_cell_is_read_and_accounted(tmp_path: Path) -> None:
    c = _calls(20)
    f = c.assign(note="")
    f.loc[3, "note"] = "x" * (10 << 20)
    r = read_incidents(_write(tmp_path / "big.csv", f))
    assert r.rows == 20 and r.n_accepted == 20


def test_a_quote_in_the_header_is_one_short_line(tmp_path: Path) -> None:
    p = tmp_path / "q.csv"
    p.write_text('lat,"lon,offense\n' + "43.3,68.25,theft\n" * 5_000)
    with pytest.raises(InputError) as err:
        read_incidents(p)
    msg = str(err.value)
    assert "header" in msg and "\n" not in msg and len(msg) < 300


def test_neutral_names_with_longitude_first_on_a_real_file(tmp_path: Path) -> None:
    # the Chicago assaults hold longitude before latitude; renamed c1, c2, ... the values must
    # still tell which is which (swapped, the points fall in Antarctica: land, but no city)
    src = real_file("chicago_cpd_2017_2019", "chicago_aggravated_assaults_2010_2019.csv")
    f = pd.read_csv(src, dtype=str, keep_default_na=False, nrows=5_000)
    assert list(f.columns).index("longitude") < list(f.columns).index("latitude")
    named = dict(zip(f.columns, [f"c{i + 1}" for i in range(len(f.columns))], strict=True))
    f.columns = list(named.values())
    r = read_incidents(_write(tmp_path / "neutral.csv", f))
    assert (r.columns.lat, r.columns.lon) == (named["latitude"], named["longitude"])
    lat = r.accepted["lat"].to_numpy()
    assert r.n_accepted == 5_000 and 41.6 < lat.min() and lat.max() < 42.1  # Chicago


def test_neutral_names_on_a_real_file(tmp_path: Path) -> None:
    # every column of the Chicago sample renamed c1, c2, ...: detection may not lean on names
    src = real_file(*CHICAGO)
    f = pd.read_csv(src, dtype=str, keep_default_na=False)
    named = dict(zip(f.columns, [f"c{i + 1}" for i in range(len(f.columns))], strict=True))
    f.columns = list(named.values())
    r = read_incidents(_write(tmp_path / "neutral.csv", f))
    assert (r.columns.lat, r.columns.lon) == (named["latitude"], named["longitude"])
    assert r.columns.time == named["date"] and r.time_precision == "minute"
    assert r.columns.offense == named["primary_type"]
    # the same rows as the file with its names, and the same offenses
    ref = read_incidents(src)
    assert r.n_accepted == ref.n_accepted == 25_000
    assert (r.accepted["offense"].to_numpy() == ref.accepted["offense"].to_numpy()).all()


def test_validate_json_gives_columns_and_precision(tmp_path: Path, capsys) -> None:
    c = _calls()
    _write(tmp_path / "c.csv", c.assign(when=c["when"].dt.strftime("%d.%m.%Y %H:%M")))
    with pytest.raises(SystemExit) as ex:
        main(["validate", str(tmp_path / "c.csv"), "--json"])
    assert ex.value.code in (0, None)
    rep = json.loads(capsys.readouterr().out)
    assert rep["columns"]["time"] == "when" and rep["time_precision"] == "minute"
    assert rep["detection"]["time"].startswith("when, full timestamps (minute), 100% parse")


def test_ingest_once_then_load_without_validating(tmp_path: Path, capsys) -> None:
    c = _calls(200)
    f = c.assign(when=c["when"].dt.strftime("%Y-%m-%d %H:%M"))
    f.loc[5, "lat"] = np.nan  # one reject
    _write(tmp_path / "c.csv", f)
    out = tmp_path / "calls.parquet"
    with pytest.raises(SystemExit) as ex:
        main(["ingest", str(tmp_path / "c.csv"), "-o", str(out)])
    assert ex.value.code in (0, None)
    assert "199 accepted" in capsys.readouterr().out
    direct = read_incidents(tmp_path / "c.csv")
    loaded = read_incidents(out)
    assert loaded.detection["ingested"].startswith("loaded from calls.parquet")
    assert loaded.rows == 200 and loaded.n_rejected == 1
    assert loaded.rejected["reason"].tolist() == ["missing_coordinates"]
    cols = ["incident_id", "occurred_at", "offense", "lat", "lon", "source_row", "hour"]
    pd.testing.assert_frame_equal(
        pd.DataFrame(loaded.accepted[cols]), pd.DataFrame(direct.accepted[cols]), check_dtype=False
    )
    # GeoPandas reads it as any GeoParquet
    import geopandas as gpd

    back = gpd.read_parquet(out)
    assert len(back) == 199 and back.crs.to_epsg() == 4326
    # the NumPy-encoded WKB points are the stored lat/lon, and the 'geo' bbox is their extent
    assert back.geometry.x.tolist() == back["lon"].tolist()
    assert back.geometry.y.tolist() == back["lat"].tolist()
    geo = json.loads(pq.read_metadata(out).metadata[b"geo"])  # the footer: written last
    assert geo["columns"]["geometry"]["bbox"] == [
        back["lon"].min(),
        back["lat"].min(),
        back["lon"].max(),
        back["lat"].max(),
    ]
    # ingest refuses to write over its input
    with pytest.raises(SystemExit) as ex:
        main(["ingest", str(tmp_path / "c.csv"), "-o", str(tmp_path / "c.csv")])
    assert ex.value.code == 2


def test_error_lines_never_quote_more_than_a_short_piece_of_the_input(tmp_path: Path) -> None:
    # a 300 kB header name: the "no coordinates" message names it in 40 characters
    p = tmp_path / "longhead.csv"
    p.write_text("a," + "x" * 300_000 + "\n1,2\n")
    with pytest.raises(InputError) as err:
        read_incidents(p)
    msg = str(err.value)
    assert "no coordinate columns" in msg and len(msg) < 400 and "\n" not in msg


def test_an_unclosed_quote_in_a_300_kb_cell_is_one_rejected_row(tmp_path: Path) -> None:
    big = "y" * 300_000
    p = tmp_path / "cell.csv"
    p.write_text(f'lat,lon,note\n43.3,68.2,"{"x" * 300_000}"\n43.31,68.21,"{big}\n43.32,68.22,ok\n')
    r = read_incidents(p)
    assert r.rows == 3 and r.n_accepted == 2
    assert r.rejected["reason"].tolist() == ["malformed_row"]
    assert r.rejected["source_row"].tolist() == [2]


GMP = ("uk_manchester_merseyside", "gmp_burglary_2016_2019.csv")
VANCOUVER = ("vancouver_vpd_2020", "crimedata_csv_AllNeighbourhoods_2020.csv")


def _neutral(src: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    f = pd.read_csv(src, dtype=str, keep_default_na=False)
    named = dict(zip(f.columns, [f"c{i + 1}" for i in range(len(f.columns))], strict=True))
    f.columns = list(named.values())
    return _write(tmp_path / "neutral.csv", f), named


def test_neutral_names_on_police_uk_longitude_first_one_offense(tmp_path: Path) -> None:
    # Greater Manchester: Longitude before Latitude, both within +-90; month-only; one offense
    src = real_file(*GMP)
    p, named = _neutral(src, tmp_path)
    r = read_incidents(p)
    assert (r.columns.lat, r.columns.lon) == (named["Latitude"], named["Longitude"])
    assert r.columns.time == named["Month"] and r.time_precision == "month"
    assert r.columns.offense == named["Crime.type"]
    ref = read_incidents(src)
    assert r.n_accepted == ref.n_accepted == 92_666
    assert (r.accepted["offense"].to_numpy() == ref.accepted["offense"].to_numpy()).all()


def test_neutral_names_on_projected_xy_and_date_parts(tmp_path: Path) -> None:
    # Vancouver: UTM X/Y (found, still needing --crs) and YEAR, MONTH, DAY, HOUR, MINUTE
    src = real_file(*VANCOUVER)
    p, named = _neutral(src, tmp_path)
    with pytest.raises(InputError, match="projected coordinates.*--crs"):
        read_incidents(p)
    r = read_incidents(p, crs="EPSG:32610")
    assert (r.columns.x, r.columns.y) == (named["X"], named["Y"])
    parts = {k: named[k.upper()] for k in ("year", "month", "day", "hour", "minute")}
    assert r.columns.time_parts == parts and r.time_precision == "minute"
    assert r.columns.offense == named["TYPE"]
    ref = read_incidents(src, crs="EPSG:32610")
    assert r.reasons == ref.reasons and r.n_accepted == ref.n_accepted
    assert (r.accepted["occurred_at"].to_numpy() == ref.accepted["occurred_at"].to_numpy()).all()


def test_the_sample_of_a_chunked_table_is_its_evenly_spread_rows_in_one_chunk() -> None:
    """A block parsed in 17 chunks gave a sample in 17 chunks, and every profile kernel ran
    per chunk (0.18 s instead of 0.04 s on a 32 MB block): the sample is one chunk, with the
    rows a plain frame's sample has."""
    import pyarrow as pa

    from hotspots.ingest.detect import sample_frame

    n = 10_000
    values = [f"v{i}" for i in range(n)]
    chunks = [pa.array(values[a : a + 617], pa.large_string()) for a in range(0, n, 617)]
    chunked = pd.DataFrame({"c": pd.Series(pa.chunked_array(chunks), dtype="str")})
    plain = pd.DataFrame({"c": pd.Series(values, dtype="str")})
    got, want = sample_frame(chunked, rows=2_000), sample_frame(plain, rows=2_000)
    assert got["c"].array._pa_array.num_chunks == 1
    assert got["c"].tolist() == want["c"].tolist()
    assert got["c"].iloc[0] == "v0" and got["c"].iloc[-1] == f"v{n - 1}"


def test_word_share_counts_rows_in_any_script_against_pythons_letters() -> None:
    """Two letters in a row, by rows: Latin, Cyrillic (Kazakh letters too), accented Latin;
    codes, numbers and one-letter values are not words. Expected from ``str.isalpha`` on
    each row, not from the profiler."""
    from hotspots.ingest.detect import profile_columns

    values = (
        ["theft"] * 5
        + ["хулиганство"] * 4
        + ["ұрлық"] * 3  # Kazakh
        + ["café"] * 2
        + ["A1", "1.5", "x", "12-B", "Ж7", "7Ә", ""]
    )

    def word(v: str) -> bool:
        return any(a.isalpha() and b.isalpha() for a, b in zip(v, v[1:], strict=False))

    filled = [v for v in values if v]
    want = sum(map(word, filled)) / len(filled)
    (p,) = profile_columns(pd.DataFrame({"what": pd.Series(values, dtype="str")}))
    assert want == pytest.approx(14 / 20)
    assert p.words == pytest.approx(want)


@pytest.mark.parametrize(
    "values",
    [
        ["theft", "fight"] * 150 + ["2019-03-04 10:00"] * 5,  # dates after the sampled rows
        ["N/A"] * 300 + ["03/04/2019"] * 10,  # a slash in the sample, dates later
        ["street"] * 300 + [" 2019-03-04", "2019-03-04 10:00:00.5 UTC"] * 5,
        ["145 OAK AVE", "12"] * 150 + [" 2019-03-04 ", "03/04/2019 10:00"] * 5,
    ],
)
def test_times_of_a_column_whose_sample_has_no_date_are_as_format_by_format(values) -> None:
    """With no value like a date among the first rows (no digit, or no ``-``, ``/``, ``.``)
    no format is ranked; the later rows are still read as the formats read them one by one
    (expected from strptime, not from parse_times)."""
    from hotspots.ingest.parse import parse_times

    got = parse_times(pd.Series(values, dtype="str"))
    for v, t in zip(values, got.values, strict=True):
        s = " ".join(v.split()).replace(".5 UTC", "+0000")
        want = None
        formats = ("%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%m/%d/%Y %H:%M")
        for fmt in (*formats, "%m/%d/%Y"):
            try:
                want = dt.datetime.strptime(s, fmt)
                break
            except ValueError:
                continue
        if want is None:
            assert np.isnat(t), v
        else:
            naive = want.astimezone(dt.UTC).replace(tzinfo=None) if want.tzinfo else want
            assert t == np.datetime64(naive, "us"), v


@pytest.mark.parametrize(
    ("values", "numeric", "time_share", "tod_share"),
    [
        (["theft", "battery", "Кража", "public order"] * 50, 0.0, 0.0, 0.0),
        # spelled like numbers or blanks, but no digit: never a number here
        (["inf", "-Infinity", "e", ".", "+", "E-"] * 40, 0.0, 0.0, 0.0),
        (["12:30", "7:05 PM", "theft", "23:59:59"] * 50, 0.0, 0.0, 0.75),
        (["2021-07-19 13:45", "19.07.2021", "street", "x"] * 50, 0.0, 0.5, 0.0),
        (["41.5", "-87,25", "12", "word"] * 50, 0.75, 0.0, 0.0),
    ],
)
def test_profile_of_words_numbers_and_times(values, numeric, time_share, tod_share) -> None:
    from hotspots.ingest.detect import profile_columns

    (p,) = profile_columns(pd.DataFrame({"c1": pd.Series(values, dtype="str")}))
    assert (p.numeric, p.time_share, p.tod_share) == (numeric, time_share, tod_share)
    assert p.distinct == len(set(values)) and p.filled == 1.0
