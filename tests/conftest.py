"""Shared fixtures.

``real_data`` gives the folder of real police data (``../shared/data`` relative to the repo
root) and skips the test, saying why, when it is absent. Use :func:`real_file` for one file
inside it. ``sample`` is the bundled sample (loaded once per test module, so a module may not
leak changes into another), ``browser`` a headless Chromium shared by a module's tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
#: Where the real data lives (read-only, never copied into the repo).
REAL_DATA_DIR = (REPO_ROOT / ".." / "shared" / "data").resolve()


def real_file(*parts: str) -> Path:
    """Path of a file under the real-data folder, or skip the calling test when it is absent.

    Examples
    --------
    ``real_file("vancouver_vpd_2020", "crimedata_csv_AllNeighbourhoods_2020.csv")``
    """
    path = REAL_DATA_DIR.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not available: {path} is absent (see ../shared/data/*/SOURCE.md)")
    return path


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The real-data folder ``../shared/data``; skips with the reason when it is absent."""
    if not REAL_DATA_DIR.is_dir():
        pytest.skip(f"real data not available: {REAL_DATA_DIR} is absent")
    return REAL_DATA_DIR


@pytest.fixture(scope="module")
def sample():
    """The bundled sample (:func:`hotspots.sample.load_sample`), once per test module."""
    from hotspots.sample import load_sample

    return load_sample()


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium (:func:`hotspots.render.launch_browser`) for a module's tests."""
    from hotspots.render import launch_browser

    with launch_browser() as b:
        yield b


@pytest.fixture(scope="session", autouse=True)
def _app_store(tmp_path_factory):
    """The app's store (:mod:`hotspots.store`) in a temporary folder: never the user's own
    ``~/.local/share/hotspots`` nor a team database named in the environment."""
    import os

    old = {k: os.environ.get(k) for k in ("HOTSPOTS_DATA_DIR", "HOTSPOTS_DB")}
    os.environ["HOTSPOTS_DATA_DIR"] = str(tmp_path_factory.mktemp("store"))
    os.environ.pop("HOTSPOTS_DB", None)
    yield
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
