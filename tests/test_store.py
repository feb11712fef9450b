# ruff: noqa: F811  (the store fixtures are imported from store_support)
"""The store on SQLite and on a real PostgreSQL with PostGIS: schema and migrations, datasets
written atomically and kept across restarts, accounts with argon2 hashes, the audit log."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import shapely
from sqlalchemy import inspect, text
from store_support import backend_url, config, postgis, store  # noqa: F401  (fixtures)

from hotspots.errors import InputError, ParameterError
from hotspots.io import read_incidents
from hotspots.sample import sample_paths
from hotspots.store import StoreConfig, accounts, audit, datasets, migrate, open_store, views
from hotspots.store.config import is_loopback, serving_refusal

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def sample_calls():
    return read_incidents(sample_paths().calls)


def test_migration_creates_the_model_tables(store):
    assert migrate.current(store.engine) == migrate.head() == "0002"
    tables = set(inspect(store.engine).get_table_names())
    assert {"users", "datasets", "views", "audit", "alembic_version"} <= tables
    # the migration and the model agree column for column
    from hotspots.store.models import Base

    for name, table in Base.metadata.tables.items():
        cols = {c["name"] for c in inspect(store.engine).get_columns(name)}
        assert cols == {c.name for c in table.columns}, name


def test_reopening_a_current_store_changes_nothing(config):
    first = open_store(config)
    accounts.add_user(first, "ann", PASSWORD, "analyst")
    first.close()
    again = open_store(config)  # migrations run again: idempotent
    assert [a.username for a in accounts.users(again)] == ["ann"]
    again.close()


def test_dataset_round_trip_and_extent(store, sample_calls):
    info = datasets.save_dataset(store, sample_calls, "Turkestan sample", "ann")
    lat, lon = sample_calls.accepted["lat"], sample_calls.accepted["lon"]
    expected = shapely.box(lon.min(), lat.min(), lon.max(), lat.max())
    assert info.extent.equals_exact(expected, tolerance=1e-6)
    assert (info.rows, info.accepted, info.rejected) == (
        sample_calls.rows,
        len(sample_calls.accepted),
        len(sample_calls.rejected),
    )
    back = datasets.load_dataset(store, info.id)
    np.testing.assert_array_equal(back.accepted["lat"], sample_calls.accepted["lat"])
    np.testing.assert_array_equal(back.accepted["offense"], sample_calls.accepted["offense"])
    assert back.reasons == sample_calls.reasons
    if store.backend == "postgresql":  # a real PostGIS geometry, usable in spatial SQL
        with store.engine.connect() as c:
            kind, srid, inside = c.execute(
                text(
                    "SELECT GeometryType(extent), ST_SRID(extent), "
                    "ST_Contains(extent, ST_SetSRID(ST_MakePoint(:x, :y), 4326)) FROM datasets"
                ),
                {"x": float(lon.median()), "y": float(lat.median())},
            ).one()
        assert (kind, srid, inside) == ("POLYGON", 4326, True)


def test_datasets_and_views_survive_a_restart(config, sample_calls):
    first = open_store(config)
    info = datasets.save_dataset(first, sample_calls, "kept", "ann")
    view = views.save_view(first, "nights", "ann", {"hours": "22-3"}, dataset_id=info.id)
    first.close()
    second = open_store(config)
    assert [d.id for d in datasets.list_datasets(second)] == [info.id]
    assert len(datasets.load_dataset(second, info.id).accepted) == len(sample_calls.accepted)
    assert views.get_view(second, view.slug).params == {"hours": "22-3"}
    second.close()


def test_delete_removes_the_row_and_the_files(store, sample_calls):
    info = datasets.save_dataset(store, sample_calls, "gone", "ann")
    datasets.delete_dataset(store, info.id, "ann")
    assert datasets.list_datasets(store) == []
    assert not info.path.parent.exists()
    with pytest.raises(InputError, match="no dataset"):
        datasets.load_dataset(store, info.id)


def test_passwords_are_argon2_hashes(store):
    accounts.add_user(store, "ann", PASSWORD, "planner")
    with store.engine.connect() as c:
        stored = c.execute(text("SELECT password_hash FROM users")).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert accounts.authenticate(store, "ann", PASSWORD) == accounts.Account("ann", "planner")
    assert accounts.authenticate(store, "ann", PASSWORD + "x") is None
    assert accounts.authenticate(store, "nobody", PASSWORD) is None
    accounts.change_user(store, "ann", active=False, by="admin")
    assert accounts.authenticate(store, "ann", PASSWORD) is None
    assert not store.has_accounts()


@pytest.mark.parametrize(
    ("name", "password", "role", "match"),
    [
        ("ann", PASSWORD, "boss", "role must be one of"),
        ("ann", "short", "analyst", "at least 10"),
        ("two words", PASSWORD, "analyst", "without spaces"),
    ],
)
def test_bad_accounts_are_refused(store, name, password, role, match):
    with pytest.raises(ParameterError, match=match):
        accounts.add_user(store, name, password, role)


def test_audit_log_records_who_did_what(store, sample_calls):
    accounts.add_user(store, "ann", PASSWORD, "analyst", by="chief")
    accounts.authenticate(store, "ann", PASSWORD)
    accounts.authenticate(store, "ann", "wrong password")
    info = datasets.save_dataset(store, sample_calls, "calls", "ann", filters={"years": [2023]})
    audit.record(store, "export", "ann", dataset_id=info.id, filters={"hours": "22-3"})
    datasets.delete_dataset(store, info.id, "ann")
    log = audit.events(store).iloc[::-1].reset_index(drop=True)  # oldest first
    assert list(log["action"]) == [
        "user_added", "sign_in", "sign_in_failed", "upload", "export", "delete",
    ]
    assert list(log["username"]) == ["chief", "ann", "ann", "ann", "ann", "ann"]
    assert list(log["dataset_id"][3:]) == [info.id] * 3
    assert log["filters"][3] == {"years": [2023]} and log["filters"][4] == {"hours": "22-3"}
    assert (log["at"].diff().dropna() >= dt.timedelta(0)).all()


def test_saving_a_view_again_keeps_its_link(store):
    first = views.save_view(store, "nights", "ann", {"hours": "22-3"})
    again = views.save_view(store, "nights", "ann", {"hours": "20-4"})
    other = views.save_view(store, "nights", "bob", {"days": "sat,sun"})
    assert again.slug == first.slug != other.slug
    assert views.get_view(store, first.slug).params == {"hours": "20-4"}
    assert first.link("https://hotspots.example/") == f"https://hotspots.example/?view={first.slug}"
    with pytest.raises(ParameterError, match="already"):
        views.save_view(store, "nights", "ann", {}, replace=False)


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.8.9.1", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("", False),  # Streamlit binds every interface when the address is empty
        (None, False),
        ("192.168.1.10", False),
        ("hotspots.police.kz", False),
    ],
)
def test_loopback_addresses(address, loopback):
    assert is_loopback(address) is loopback
    refusal = serving_refusal(address, has_accounts=False)
    assert (refusal is None) is loopback
    assert serving_refusal(address, has_accounts=True) is None
    if refusal:
        assert "\n" not in refusal and "add-user" in refusal


def test_session_timeout():
    t0 = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
    assert not accounts.session_expired(t0, t0 + dt.timedelta(minutes=30), 30)
    assert accounts.session_expired(t0, t0 + dt.timedelta(minutes=30, seconds=1), 30)
    assert accounts.session_expired(None, t0, 30)
    with pytest.raises(ParameterError):
        accounts.session_expired(t0, t0, 0)


def test_config_from_environment(tmp_path):
    cfg = StoreConfig.from_env({"HOTSPOTS_DATA_DIR": str(tmp_path)})
    assert cfg.url == f"sqlite:///{tmp_path / 'hotspots.sqlite'}" and cfg.is_sqlite
    team = StoreConfig.from_env({"HOTSPOTS_DB": "postgresql://u@db/police", "HOME": "/h"})
    assert team.url == "postgresql://u@db/police" and not team.is_sqlite
    with pytest.raises(ParameterError, match="HOTSPOTS_SESSION_MINUTES"):
        StoreConfig.from_env({"HOTSPOTS_SESSION_MINUTES": "soon", "HOME": "/h"})
    with pytest.raises(ParameterError, match="HOTSPOTS_DB"):
        StoreConfig.from_env({"HOTSPOTS_DB": "mysql://x", "HOME": "/h"})


def test_unreachable_database_is_one_line(tmp_path):
    cfg = StoreConfig(url=f"sqlite:///{tmp_path}/missing/dir/x.sqlite", data_dir=tmp_path)
    with pytest.raises(InputError, match="cannot open the store") as exc:
        open_store(cfg)
    assert "\n" not in str(exc.value)
