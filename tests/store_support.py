"""Fixtures of the store tests: a store on SQLite and on a throwaway PostGIS (not a test module).

``backend_url`` is parametrised over both back ends, so every store test runs on each.
"""

from __future__ import annotations

import pytest
from pg_support import Databases, start_postgis

from hotspots.store import StoreConfig, open_store


@pytest.fixture(scope="module")
def postgis():
    """One PostGIS cluster for the module's tests (stopped and removed after)."""
    cluster = start_postgis()
    try:
        yield Databases(cluster)
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_url(request, tmp_path):
    """A fresh, empty database URL on each back end."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite'}"
    return request.getfixturevalue("postgis").new()


@pytest.fixture
def config(backend_url, tmp_path):
    return StoreConfig(url=backend_url, data_dir=tmp_path / "data")


@pytest.fixture
def store(config):
    s = open_store(config)
    yield s
    s.close()
