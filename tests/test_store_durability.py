# ruff: noqa: F811  (the store fixtures are imported from store_support)
"""Nothing lost: two users saving views at once both keep theirs, and a server killed in the
middle of saving a dataset restarts with the store intact (real processes, real SIGKILL),
on SQLite and on PostgreSQL/PostGIS."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from store_support import backend_url, config, postgis, store  # noqa: F401  (fixtures)

from hotspots.io import read_incidents
from hotspots.sample import sample_paths
from hotspots.store import datasets, open_store, views

#: Saves per process in the concurrency test.
N_VIEWS = 25

SAVE_VIEWS = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from hotspots.store import StoreConfig, open_store, views
    url, data, owner, n = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    store = open_store(StoreConfig(url=url, data_dir=data))
    print("ready", flush=True)
    sys.stdin.readline()  # the barrier: both processes start saving together
    for i in range(n):
        views.save_view(store, f"view {i}", owner, {"years": str(2000 + i), "who": owner})
    print("done", flush=True)
    """
)

SAVE_AND_HANG = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from hotspots.io import read_incidents
    from hotspots.sample import sample_paths
    from hotspots.store import StoreConfig, datasets, open_store
    url, data, stop_at = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    store = open_store(StoreConfig(url=url, data_dir=data))
    result = read_incidents(sample_paths().calls)

    def checkpoint(stage):
        print(stage, flush=True)
        if stage == stop_at:
            sys.stdin.readline()  # held here until the test kills the process

    datasets.save_dataset(store, result, "interrupted", "bob", checkpoint=checkpoint)
    print("committed", flush=True)
    """
)


def _python(script: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(proc: subprocess.Popen, word: str) -> None:
    for line in proc.stdout:
        if line.strip() == word:
            return
    raise AssertionError(f"the process ended before {word!r}: {proc.stderr.read()[-2000:]}")


def test_two_users_saving_views_at_once_both_keep_theirs(store, config):
    procs = [
        _python(SAVE_VIEWS, config.url, str(config.data_dir), owner, str(N_VIEWS))
        for owner in ("ann", "bob")
    ]
    try:
        for p in procs:
            _wait_for(p, "ready")
        for p in procs:  # release both at once
            p.stdin.write("go\n")
            p.stdin.flush()
        for p in procs:
            _wait_for(p, "done")
            assert p.wait(timeout=120) == 0, p.stderr.read()
    finally:
        for p in procs:
            p.kill()
            p.wait()
    saved = views.list_views(store)
    assert len(saved) == 2 * N_VIEWS
    for owner in ("ann", "bob"):
        mine = {v.name: v.params for v in saved if v.owner == owner}
        assert mine == {
            f"view {i}": {"years": str(2000 + i), "who": owner} for i in range(N_VIEWS)
        }
    assert len({v.slug for v in saved}) == 2 * N_VIEWS  # every view its own link


@pytest.mark.parametrize("stop_at", ["files", "renamed"])
def test_server_killed_mid_write_restarts_intact(config, stop_at):
    calls = read_incidents(sample_paths().calls)
    first = open_store(config)
    kept = datasets.save_dataset(first, calls, "kept", "ann")
    first.close()
    proc = _python(SAVE_AND_HANG, config.url, str(config.data_dir), stop_at)
    try:
        _wait_for(proc, stop_at)  # files on disk (and, at "renamed", the folder in place)
        leftovers = {p.name for p in config.datasets_dir.iterdir()} - {kept.id}
        assert len(leftovers) == 1  # the interrupted dataset's folder exists ...
    finally:
        proc.kill()  # SIGKILL: no clean-up code runs
        proc.wait()
    restarted = open_store(config)
    # ... but never appears: only the committed dataset is listed and it loads whole
    assert [d.name for d in datasets.list_datasets(restarted)] == ["kept"]
    again = datasets.load_dataset(restarted, kept.id)
    assert len(again.accepted) == len(calls.accepted)
    # the leftover is removed once it is old enough not to be another server's save
    assert datasets.recover(restarted, older_than_s=0) == sorted(leftovers)
    assert {p.name for p in config.datasets_dir.iterdir()} == {kept.id}
    # and the store takes new datasets as before
    datasets.save_dataset(restarted, calls, "after", "ann")
    assert sorted(d.name for d in datasets.list_datasets(restarted)) == ["after", "kept"]
    restarted.close()
