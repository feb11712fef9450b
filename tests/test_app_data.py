"""The Data page (AppTest): uploads, the column-mapping form, the validation report, the
rejects, the size limit and the way back to the sample. Bad input shows a message, never a
traceback."""

from __future__ import annotations

import pytest
from app_support import assert_clean, goto, metrics, new_app, run, sample, table_with, texts
from streamlit import config

GOOD = (
    "id,date,type,latitude,longitude\n"
    "1,2023-05-01 22:10,Кража,43.2970,68.2510\n"
    "2,2023-05-02 23:40,Драка,43.2980,68.2520\n"
    "3,2023-06-03 01:15,Хулиганство,43.2990,68.2530\n"
    "4,2024-06-04 12:00,Кража,43.3000,68.2540\n"
    "5,2024-06-05 13:00,Кража,,\n"
    "6,not a date,Кража,43.3010,68.2550\n"
)
# names no list holds: every column is found by its values
UNNAMED = (
    "n,when,what,north,east\n"
    "1,2023-05-01 22:10,theft,43.2970,68.2510\n"
    "2,2023-05-02 23:40,fight,43.2980,68.2520\n"
    "3,2024-06-03 01:15,theft,43.2990,68.2530\n"
)
# whole-degree coordinates and article numbers: neither names nor values tell, so the
# coordinates and the type must be mapped by hand (the date is still found by its values)
ODD = (
    "n,when,what,north,east\n"
    "1,2023-05-01 22:10,188,43,68\n"
    "2,2023-05-02 23:40,293,43,68\n"
    "3,2024-06-03 01:15,188,43,68\n"
)


def upload(at, label: str, name: str, data: bytes, mime: str = "text/csv"):
    [w for w in at.file_uploader if w.label == label][0].set_value((name, data, mime))
    at.run()
    assert_clean(at)
    return at


def test_the_page_reports_the_sample_validation():
    s = sample()
    at = goto(run(new_app()), "data")
    m = metrics(at)
    assert m["Rows"] == f"{s.result.rows:,}"
    assert m["Accepted"] == f"{len(s.calls):,}"
    assert m["Rejected"] == f"{s.result.n_rejected:,}"
    reasons = table_with(at, "Reason")
    assert (
        dict(zip(reasons["Reason"], reasons["Rows"], strict=True))["Outside the study area"]
        == (s.result.reasons["outside_study_area"])
    )
    assert [b for b in at.get("download_button")]  # the rejects


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "time precision: to the minute"),
        ("ru", "точность времени: до минуты"),
        ("kk", "уақыт дәлдігі: минутқа дейін"),
    ],
)
def test_the_time_precision_is_said_in_the_language(lang, said):
    at = goto(run(new_app({"lang": lang})), "data")
    shown = texts(at)
    assert said in shown
    assert ": minute" not in shown  # the raw code, untranslated


def test_a_good_upload_is_used_on_every_page():
    at = goto(run(new_app()), "data")
    upload(at, "Calls file", "calls.csv", GOOD.encode())
    assert "calls.csv: 4 calls in use on every page" in texts(at)
    m = metrics(at)
    assert (m["Rows"], m["Accepted"], m["Rejected"]) == ("6", "4", "2")
    reasons = table_with(at, "Reason")
    got = dict(zip(reasons["Reason"], reasons["Rows"], strict=True))
    assert got == {"No coordinates": 1, "Date not understood": 1}
    at = goto(at, "map")
    assert metrics(at)["Calls"] == "4"
    assert [w for w in at.multiselect if w.label == "Years"][0].options == ["2023", "2024"]
    assert "Source: calls.csv" in texts(at)


def test_columns_under_unknown_names_are_found_by_their_values():
    at = goto(run(new_app()), "data")
    upload(at, "Calls file", "unnamed.csv", UNNAMED.encode())
    assert "unnamed.csv: 3 calls in use on every page" in texts(at)


def test_a_compressed_upload_is_unpacked():
    import gzip

    at = goto(run(new_app()), "data")
    upload(at, "Calls file", "calls.csv.gz", gzip.compress(GOOD.encode()), "application/gzip")
    assert "calls.csv.gz: 4 calls in use on every page" in texts(at)


def test_unsure_detection_shows_the_mapping_form_and_loads_when_mapped():
    at = goto(run(new_app()), "data")
    upload(at, "Calls file", "odd.csv", ODD.encode())
    assert "Could not recognise: coordinates, offense type" in texts(at)
    assert metrics(at).get("Accepted") == f"{len(sample().calls):,}"  # still the sample
    for label, column in (
        ("Latitude", "north"),
        ("Longitude", "east"),
        ("Date and time", "when"),
        ("Offense type", "what"),
    ):
        [w for w in at.selectbox if w.label == label][0].set_value(column)
    [b for b in at.button if b.label == "Load the calls"][0].click()
    at.run()
    assert_clean(at)
    assert "odd.csv: 3 calls in use on every page" in texts(at)
    at = goto(at, "map")
    assert metrics(at)["Calls"] == "3"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("broken.csv", b"\x00\x01\x02 not a table", "no data rows"),
        ("sheet.xlsx", b"not a zip file", "cannot read"),
        ("empty.csv", b"a,b,c\n", "no data rows"),
        ("map.geojson", b"{not json", "cannot read"),
    ],
)
def test_a_bad_upload_shows_an_error_not_a_traceback(name, data, message):
    at = goto(run(new_app()), "data")
    upload(at, "Calls file", name, data, "application/octet-stream")
    errors = " ".join(e.value for e in at.error) + " " + texts(at)
    assert message in errors.lower() or message in errors
    at = goto(at, "map")  # the app keeps working on the sample
    assert metrics(at)["Calls"] == f"{len(sample().calls):,}"


def test_projected_xy_without_crs_asks_for_it():
    data = (
        "id,date,type,x,y\n"
        "1,2023-05-01 22:10,theft,500000,4790000\n"
        "2,2023-05-02 10:00,fight,500100,4790100\n"
    )
    at = goto(run(new_app()), "data")
    upload(at, "Calls file", "utm.csv", data.encode())
    assert "crs" in texts(at).lower()
    [w for w in at.text_input if w.label.startswith("CRS of X/Y")][0].input("EPSG:32642")
    [b for b in at.button if b.label == "Load the calls"][0].click()
    at.run()
    assert_clean(at)
    assert "utm.csv: 2 calls in use on every page" in texts(at)


@pytest.fixture
def upload_limit_1mb():
    old = config.get_option("server.maxUploadSize")
    config.set_option("server.maxUploadSize", 1)
    yield
    config.set_option("server.maxUploadSize", old)


def test_uploads_over_the_limit_are_refused_with_the_limit_named(upload_limit_1mb):
    at = goto(run(new_app()), "data")
    big = GOOD.encode() + b"9,2023-01-01 00:00,theft,43.3,68.25\n" * 40_000
    upload(at, "Calls file", "big.csv", big)
    assert "the limit is 1 MB" in " ".join(e.value for e in at.error)
    assert metrics(at)["Accepted"] == f"{len(sample().calls):,}"


def test_venues_upload_and_back_to_the_sample():
    venues = (
        "id,name,type,lat,lon\nA,Кафе <b>Жібек</b>,cafe,43.2972,68.2509\nB,Park,park,43.30,68.26\n"
    )
    at = goto(run(new_app()), "data")
    upload(at, "Venues file", "my_venues.csv", venues.encode())
    assert "2 venues in use" in texts(at)
    at = goto(at, "venues")
    assert metrics(at)["Venues"] == "2"
    at = goto(at, "data")
    [b for b in at.button if b.label == "Use the bundled sample"][0].click()
    at.run()
    assert_clean(at)
    at = goto(at, "venues")
    assert metrics(at)["Venues"] == f"{len(sample().venues):,}"


def test_a_boundary_rejects_the_calls_outside_it():
    # a square around the first three calls of GOOD only
    boundary = (
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
        '"geometry": {"type": "Polygon", "coordinates": [[[68.250, 43.296], [68.2535, 43.296], '
        "[68.2535, 43.2995], [68.250, 43.2995], [68.250, 43.296]]]}}]}"
    )
    at = goto(run(new_app()), "data")
    upload(at, "Calls file", "calls.csv", GOOD.encode())
    upload(at, "Study area (polygon)", "area.geojson", boundary.encode(), "application/geo+json")
    assert "Study area area.geojson in use" in texts(at)
    at = goto(at, "map")
    assert metrics(at)["Calls"] == "3"
    at = goto(at, "data")
    reasons = table_with(at, "Reason")
    got = dict(zip(reasons["Reason"], reasons["Rows"], strict=True))
    assert got["Outside the study area"] == 2  # rows 4 and 6 (checked before the date)


# police.uk style (Greater Manchester): the month only, no day, no hour
MONTH_ONLY = (
    "Crime ID,Month,Longitude,Latitude,Crime type\n"
    "a,2019-05,-2.2400,53.4800,Burglary\n"
    "b,2019-06,-2.2410,53.4810,Burglary\n"
    "c,2020-01,-2.2420,53.4820,Vehicle crime\n"
)


def test_month_only_data_has_no_hour_or_weekday_filter_and_keeps_every_call():
    # the shared view asked for evenings at weekends; the uploaded data cannot say either
    at = goto(run(new_app({"hours": "18-23", "days": "sat,sun"})), "data")
    upload(at, "Calls file", "month_only.csv", MONTH_ONLY.encode())
    at = goto(at, "map")
    assert metrics(at)["Calls"] == "3"  # not 0: the hour and weekday filters are off
    shown = texts(at)
    assert "does not record the time of day, so there is no hour filter" in shown
    assert "does not record the day, so there is no weekday filter" in shown
    assert not [w for w in at.selectbox if w.label in ("From", "To")]
    assert "hours" not in at.query_params and "days" not in at.query_params


# -- bounded uploads, uploads that leave with their session, safe serving (issue 10) ------------


def test_the_upload_limits_and_their_reason_are_said_as_text():
    at = goto(run(new_app()), "data")
    shown = " ".join(c.value for c in at.caption)
    assert (
        "Limits that protect the server: a workbook (.xlsx) may unpack to at most 200 MB" in shown
    )
    assert "at most 1,000 columns" in shown and "1,536 MB of memory and 90 s" in shown
    at = goto(run(new_app({"lang": "ru"})), "data")
    assert "Ограничения, защищающие сервер" in " ".join(c.value for c in at.caption)


def test_a_zip_bomb_workbook_is_refused_before_it_is_read():
    from test_upload_limits import zip_bomb_xlsx

    at = goto(run(new_app()), "data")
    upload(at, "Calls file", "bomb.xlsx", zip_bomb_xlsx(), "application/octet-stream")
    (error,) = [e.value for e in at.error]
    assert "bomb.xlsx: the workbook unpacks to" in error and "200 MB" in error
    assert "\n" not in error and not at.exception
    assert metrics(at)["Accepted"] == f"{len(sample().calls):,}"  # the sample stays in use


def test_a_csv_with_200000_columns_is_refused_at_once():
    import time

    from test_upload_limits import wide_csv

    at = goto(run(new_app()), "data")
    t0 = time.perf_counter()
    upload(at, "Calls file", "wide.csv", wide_csv())
    assert time.perf_counter() - t0 < 20  # a rerun of the page; before: 464 s, then a crash
    (error,) = [e.value for e in at.error]
    assert "wide.csv: the header has 200,000 columns, more than the 1,000" in error


def test_an_upload_leaves_memory_with_its_session(monkeypatch):
    """The upload's bytes are not in the session state (kept after the tab closes) and its
    data set is the session's: when Streamlit clears the session's caches (what it does on
    disconnect), the data set is freed."""
    import gc
    import weakref

    from streamlit.runtime import caching

    from app_pages import dataset

    built = []
    real_build = dataset._build

    def build(key, source, blobs):
        ds = real_build(key, source, blobs)
        if dataset.is_upload(source):  # the sample is shared and stays
            built.append(weakref.ref(ds))
        return ds

    monkeypatch.setattr(dataset, "_build", build)
    # an earlier test of the same worker may have built this upload in the same (test)
    # session: start from empty caches, so the data set is built here
    caching.clear_session_resource_cache("test session id")
    caching.clear_session_data_cache("test session id")
    at = goto(run(new_app()), "data")
    upload(at, "Calls file", "calls.csv", GOOD.encode())
    assert "calls.csv: 4 calls in use on every page" in texts(at)
    state = at.session_state._state._state
    assert not [k for k in state._keys() if isinstance(state[k], bytes | bytearray)]
    assert built and all(r() is not None for r in built)
    caching.clear_session_resource_cache("test session id")  # the session ends
    caching.clear_session_data_cache("test session id")
    del at, state
    gc.collect()
    assert [r() for r in built] == [None] * len(built)


def test_config_binds_to_localhost_and_hides_tracebacks():
    import tomllib

    from app_support import REPO_ROOT

    cfg = tomllib.loads((REPO_ROOT / ".streamlit" / "config.toml").read_text())
    assert cfg["server"]["address"] == "localhost"
    assert cfg["client"]["showErrorDetails"] in ("none", False)
    make = (REPO_ROOT / "Makefile").read_text()
    assert "--server.address $(HOST)" in make and "run: HOST ?= localhost" in make


def test_an_uncaught_error_is_one_line_with_a_reference_when_served(monkeypatch):
    from streamlit.testing.v1 import AppTest

    def script():
        from app_pages import failsafe

        with failsafe.guard("ru", reraise=False):
            raise RuntimeError("/secret/path/data.csv broke")

    at = AppTest.from_function(script).run()
    assert not at.exception
    (error,) = [e.value for e in at.error]
    assert error.startswith("На этой странице произошла ошибка (RuntimeError, номер ")
    assert "secret" not in error and "\n" not in error


def test_tracebacks_show_while_developing(monkeypatch):
    from app_pages import failsafe

    assert failsafe.developing()  # no server (the tests): exceptions reach the test
    monkeypatch.setattr("streamlit.runtime.exists", lambda: True)
    monkeypatch.setattr(failsafe.st, "get_option", lambda name: "none")
    monkeypatch.delenv("HOTSPOTS_DEV", raising=False)
    assert not failsafe.developing()
    monkeypatch.setenv("HOTSPOTS_DEV", "1")
    assert failsafe.developing()
