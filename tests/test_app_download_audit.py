"""Every download click is one row of the audit log (who, which file, which data set, which
filters), written by the download button's ``on_click`` callback (AppTest, a real SQLite store
in a temporary folder)."""

from __future__ import annotations

import pytest
from app_support import goto, new_app, run, texts

from hotspots.io import read_incidents
from hotspots.sample import sample_paths
from hotspots.store import accounts, audit, datasets, open_store, views

NO_CHROMIUM = ["patrol.csv", "patrol.geojson"]


@pytest.fixture
def store(tmp_path, monkeypatch):
    """The app's store (from the environment), empty: embedded mode, the local user."""
    monkeypatch.setenv("HOTSPOTS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HOTSPOTS_TILES", "none")
    s = open_store()
    yield s
    s.close()


def downloads(store):
    """The ``download`` rows, oldest first."""
    return audit.events(store, action="download").iloc[::-1].reset_index(drop=True)


def button(at, key):
    (found,) = [b for b in at.get("download_button") if b.key == key]
    return found


def test_each_click_is_one_row_and_a_rerun_none(store):
    at = goto(run(new_app({"years": "2021", "offenses": "theft"})), "venues")
    assert downloads(store).empty  # showing the button records nothing
    button(at, "w:venues_csv").click()
    run(at)
    log = downloads(store)
    assert len(log) == 1
    row = log.iloc[0]
    assert row["username"] == "local"
    assert row["detail"] == "venue_ranking.csv [sample]"
    assert row["dataset_id"] is None  # the bundled sample is not a kept dataset
    assert row["filters"]["years"] == "2021" and row["filters"]["offenses"] == "theft"
    run(at)  # a rerun without a click: no row
    assert len(downloads(store)) == 1
    button(at, "w:venues_csv").click()
    run(at)
    assert len(downloads(store)) == 2  # a second click: a second row


def test_export_download_names_user_file_dataset_and_filters(store):
    info = datasets.save_dataset(store, read_incidents(sample_paths().calls), "Kept calls", "ann")
    view = views.save_view(store, "Night", "ann", {"hours": "22-3"}, dataset_id=info.id)
    accounts.add_user(store, "ann", "analyst-password-1", "analyst")
    at = new_app({"view": view.slug})
    at.run()
    at.text_input(key="auth_username").input("ann")
    at.text_input(key="auth_password").input("analyst-password-1")
    at.get("form_submit_button")[0].click()
    at = goto(run(at), "export")
    at.multiselect(key="export_files").set_value(NO_CHROMIUM)
    run(at)
    at.button(key="export_make").click()
    run(at)
    assert sorted(b.proto.label for b in at.get("download_button")) == NO_CHROMIUM, texts(at)
    assert audit.events(store, action="export")["username"].tolist() == ["ann"]
    assert downloads(store).empty  # making the files is the export; no download yet
    button(at, "export_dl_patrol.geojson").click()
    run(at)
    log = downloads(store)
    assert len(log) == 1
    row = log.iloc[0]
    assert (row["username"], row["dataset_id"]) == ("ann", info.id)
    assert row["detail"].startswith("patrol.geojson [")
    assert row["filters"]["hours"] == "22-3"  # the saved view's filter, in force
