"""Fixtures shared by the engine tests (``tests/test_engine*.py``). Not a test module.

A 2-worker ``LocalCluster`` (threads, so it starts in a second) and the sample calls written
as a partitioned dataset of several files, with the same calls ingested as one file for the
single-machine reference.
"""

from __future__ import annotations

import pytest

from hotspots import engine
from hotspots.ingest.batches import ingest_to_parquet
from hotspots.ingest.partitioned import ingest_partitioned
from hotspots.io import read_boundary, read_incidents
from hotspots.sample import sample_paths


@pytest.fixture(scope="module")
def client():
    with engine.connect(n_workers=2, threads_per_worker=1, processes=False) as c:
        yield c


@pytest.fixture(scope="module")
def sample_files(tmp_path_factory):
    """(dataset folder, the one ingested file): the sample calls, partitioned by H3 cell in
    blocks of 150 kB, 1,500 rows a file, and whole."""
    d = tmp_path_factory.mktemp("engine")
    calls = sample_paths().calls
    ingest_partitioned(calls, d / "ds", partition_by="h3", rows_per_file=1500, block_bytes=150_000)
    ingest_to_parquet(calls, d / "one.parquet")
    return d / "ds", d / "one.parquet"


@pytest.fixture(scope="module")
def sample_ds(sample_files):
    """The dataset folder and the same calls loaded whole."""
    ds, one = sample_files
    return ds, read_incidents(one).accepted


@pytest.fixture(scope="module")
def boundary():
    return read_boundary(sample_paths().boundary)
