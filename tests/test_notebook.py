"""The analyst notebook runs headless from top to bottom (so it never rots)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "analyst.ipynb"


def test_analyst_notebook_executes(tmp_path, monkeypatch):
    # the kernel is this interpreter: jupyter_client starts the "python3" kernel with
    # sys.executable; the venv's bin goes first on PATH too, so a kernelspec calling plain
    # "python" finds the same interpreter (and the installed hotspots) on a fresh clone
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    monkeypatch.setenv("HOTSPOTS_NOTEBOOK_OUT", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=300,
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    t0 = time.perf_counter()
    client.execute()  # raises CellExecutionError with the cell's traceback on any failure
    elapsed = time.perf_counter() - t0

    text = "\n".join(
        out.get("text", "") + str(out.get("data", {}).get("text/plain", ""))
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
    )
    assert "change 2019 -> 2021" in text
    assert "best of each method" in text
    figures = {p.name for p in tmp_path.glob("*.png")}
    assert {
        "sample_yearly.png",
        "sample_hour_weekday.png",
        "sample_gistar.png",
        "sample_pai_by_coverage.png",
        "sample_sweep.png",
        "sample_hit_rate_curve.png",
    } <= figures
    assert all(p.stat().st_size > 5_000 for p in tmp_path.glob("*.png"))
    chicago = NOTEBOOK.parents[1].parent / "shared" / "data" / "chicago_cpd_2017_2019"
    if chicago.exists():
        assert "chicago_sweep.png" in figures and "best overall" in text
    else:
        assert "Chicago sample absent" in text
    print(f"notebook executed in {elapsed:.1f} s")
