"""The app as a team server: the sign-in form only until signed in, pages per role decided on
the server, presenter mode locked for presenters, planners without raw-call downloads, session
timeout, the refusal to serve a network address without accounts, and the Library's datasets
and views kept across a restart (AppTest, a real SQLite store in a temporary folder)."""

from __future__ import annotations

import pytest
import streamlit as st
from app_support import APP, TIMEOUT, assert_clean, goto, new_app, run, sample, texts
from export_support import leaked_calls
from streamlit.testing.v1 import AppTest

from hotspots.store import accounts, audit, open_store

PASSWORDS = {
    "ada": ("admin", "admin-password-1"),
    "ann": ("analyst", "analyst-password-1"),
    "pat": ("planner", "planner-password-1"),
    "pia": ("presenter", "presenter-pass-1"),
}
ALL = ["map", "tune", "venues", "trends", "nearrepeat", "data", "export", "library", "admin"]
EXPECTED_PAGES = {
    "admin": ALL,
    "analyst": [p for p in ALL if p != "admin"],
    "planner": ["map", "tune", "venues", "trends", "nearrepeat", "export", "library"],
    "presenter": ["map", "venues", "trends", "nearrepeat"],
}


@pytest.fixture
def team(tmp_path, monkeypatch):
    """Team mode: a store with one account per role (the app opens it from the env)."""
    monkeypatch.setenv("HOTSPOTS_DATA_DIR", str(tmp_path))
    store = open_store()
    for name, (role, password) in PASSWORDS.items():
        accounts.add_user(store, name, password, role)
    yield store
    store.close()


def signed_in(name: str, query: dict[str, str] | None = None) -> AppTest:
    at = new_app(query)
    at.run()
    at.text_input(key="auth_username").input(name)
    at.text_input(key="auth_password").input(PASSWORDS[name][1])
    at.get("form_submit_button")[0].click()
    return run(at)


def reachable(at: AppTest) -> list[str]:
    """The pages the server registered for this session (switching to others fails)."""
    ok = []
    for page in ALL:
        try:
            at.switch_page(f"app_pages/{page}.py")
        except ValueError:
            continue
        ok.append(page)
    return ok


def test_unauthenticated_session_sees_only_the_sign_in_form(team):
    at = run(new_app({"years": "2023"}))
    assert [w.label for w in at.text_input] == ["User name", "Password"]
    assert not at.metric and not at.dataframe and not at.get("download_button")
    assert not [e for e in at.get("component_instance") if "st_folium" in e.proto.component_name]
    assert "calls" not in texts(at).lower()
    at.switch_page("app_pages/data.py")  # asking for a page directly: still only the form
    run(at)
    assert [w.label for w in at.text_input] == ["User name", "Password"]
    assert not at.get("file_uploader") and not at.metric


def test_wrong_password_is_refused_and_recorded(team):
    at = new_app()
    at.run()
    at.text_input(key="auth_username").input("ann")
    at.text_input(key="auth_password").input("not the password")
    at.get("form_submit_button")[0].click()
    run(at)
    assert "Wrong user name or password" in texts(at)
    assert not at.metric
    log = audit.events(team)
    assert log["action"].iloc[0] == "sign_in_failed" and log["username"].iloc[0] == "ann"


@pytest.mark.parametrize("name", list(PASSWORDS))
def test_each_role_reaches_its_pages_only(team, name):
    at = signed_in(name)
    role = PASSWORDS[name][0]
    assert f"Signed in as {name}" in texts(at)
    assert reachable(at) == EXPECTED_PAGES[role]


RAW_DOWNLOAD = "Download the rejected rows (CSV)"


def test_planner_finds_no_raw_call_download(team):
    analyst = signed_in("ann")
    goto(analyst, "data")  # the raw rows an analyst may download ...
    assert RAW_DOWNLOAD in [b.label for b in analyst.get("download_button")]
    at = signed_in("pat")
    for page in EXPECTED_PAGES["planner"]:  # ... are on no page a planner reaches
        goto(at, page)
        assert RAW_DOWNLOAD not in [b.label for b in at.get("download_button")], page
    with pytest.raises(ValueError):
        at.switch_page("app_pages/data.py")


def test_presenter_mode_is_locked_on_the_server(team):
    # the URL asks for presenter mode off and K = 1: the server keeps it on, K at its default
    at = signed_in("pia", {"presenter": "0", "k": "1", "layers": "cells"})
    toggle = at.toggle(key="w:presenter:en")
    assert toggle.value is True and toggle.disabled
    assert at.number_input(key="w:k:en").value == 5
    maps = [e for e in at.get("component_instance") if "st_folium" in e.proto.component_name]
    html = "".join(m.proto.json_args for m in maps)
    assert html and leaked_calls(html, sample().calls, sample().venues) == 0
    assert "cells with fewer than 5 calls hidden" in texts(at)  # K = 5, not the URL's 1


def test_session_times_out(team, monkeypatch):
    at = signed_in("ann")
    assert at.metric
    monkeypatch.setenv("HOTSPOTS_SESSION_MINUTES", "0.00001")  # 0.6 ms
    st.cache_resource.clear()
    run(at)
    assert "session timed out" in texts(at)
    assert [w.label for w in at.text_input] == ["User name", "Password"] and not at.metric


def test_network_address_without_accounts_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTSPOTS_DATA_DIR", str(tmp_path))
    st.config.set_option("server.address", "0.0.0.0")
    try:
        at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
        at.run()
        assert_clean(at)
        assert len(at.error) == 1 and "refusing to serve on 0.0.0.0 without accounts" in (
            at.error[0].value
        )
        assert not at.metric and not at.text_input
    finally:
        st.config.set_option("server.address", "localhost")


def test_embedded_mode_needs_no_sign_in(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTSPOTS_DATA_DIR", str(tmp_path))
    at = run(new_app())
    assert at.metric and not at.text_input
    assert "Signed in as" not in texts(at)
    assert reachable(at) == EXPECTED_PAGES["analyst"]


def test_datasets_and_views_are_kept_across_a_restart(team, tmp_path):
    from hotspots.sample import sample_paths

    at = signed_in("ann")
    goto(at, "data")
    # open a file as an analyst would (the sample's calls as an upload from a path source)
    from app_pages.dataset import Source, file_ref_for_path

    at.session_state["s:source"] = Source(calls=file_ref_for_path(sample_paths().calls))
    goto(at, "library")
    at.text_input(key="library_name").input("Turkestan calls")
    at.button(key="library_keep").click()
    run(at)
    assert "Kept Turkestan calls" in texts(at)
    at.text_input(key="library_view_name").input("Night thefts")
    run(at)
    at.button(key="library_save_view").click()
    run(at)
    assert "Saved Night thefts" in texts(at)
    st.cache_resource.clear()  # a restart: the server's store and data caches are gone
    again = signed_in("pat")
    goto(again, "library")
    assert "Turkestan calls" in again.dataframe[0].value["Name"].tolist()
    assert "Night thefts" in texts(again) and "?view=" in texts(again)
    assert list(audit.events(team, action="upload")["username"]) == ["ann"]


def test_uploads_and_exports_are_in_the_audit_log(team, monkeypatch):
    monkeypatch.setenv("HOTSPOTS_TILES", "none")
    at = signed_in("ann")
    goto(at, "data")
    calls = (
        "id,datetime,type,lat,lon\n1,2023-05-01 22:10,theft,43.2970,68.2510\n"
        "2,2023-05-02 23:40,fight,43.2980,68.2520\n3,2023-06-03 01:15,theft,43.2990,68.2530\n"
    )
    [w for w in at.file_uploader if w.label == "Calls file"][0].set_value(
        ("night.csv", calls.encode(), "text/csv")
    )
    run(at)
    # the filter in force at the export
    [w for w in at.multiselect if w.label == "Years"][0].set_value([2023])
    goto(at, "export")
    at.multiselect(key="export_files").set_value(["patrol.csv"])
    run(at)
    at.button(key="export_make").click()
    run(at)
    log = audit.events(team).iloc[::-1]
    mine = log[(log["username"] == "ann") & (log["action"] != "user_added")]
    assert list(mine["action"]) == ["sign_in", "upload", "export"]
    assert mine["detail"].tolist()[1:] == ["night.csv", "patrol.csv"]
    assert mine["filters"].iloc[2]["years"] == "2023"


def test_data_page_imports_from_the_configured_database(team, tmp_path, monkeypatch):
    import pandas as pd
    from sqlalchemy import create_engine

    from hotspots.io import read_incidents
    from hotspots.sample import sample_paths
    from hotspots.store import datasets

    url = f"sqlite:///{tmp_path / 'cad.sqlite'}"
    engine = create_engine(url)
    pd.read_csv(sample_paths().calls, dtype=str, keep_default_na=False).to_sql(
        "calls", engine, index=False
    )
    engine.dispose()
    monkeypatch.setenv("HOTSPOTS_SOURCE_DB", url)
    expected = len(read_incidents(sample_paths().calls).accepted)
    planner = signed_in("pat")  # planners have no Data page, hence no import
    assert "data" not in reachable(planner)
    at = goto(signed_in("ann"), "data")
    at.text_input(key="dbimport_table").input("calls")
    at.text_input(key="dbimport_name").input("CAD calls")
    run(at)
    at.button(key="dbimport_run").click()
    run(at)
    assert f"Kept CAD calls: {expected:,} calls" in texts(at)
    kept = datasets.list_datasets(team)
    assert [(d.name, d.accepted, d.created_by) for d in kept] == [("CAD calls", expected, "ann")]
    assert at.session_state["s:source"].calls.path == str(kept[0].path)
