"""Helpers shared by the CLI tests (``tests/test_cli_*.py``). Not a test module."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
import pytest

from hotspots.cli import main

#: The Chicago sample under the real-data folder (use with ``conftest.real_file(*CHICAGO)``).
CHICAGO = ("chicago_cpd_2017_2019", "chicago_crimes_2017_2019_sample25k.csv")


def run(capsys: pytest.CaptureFixture[str], *args: Any) -> tuple[int, str, str]:
    """Run ``hotspots ARGS`` in-process (arguments turned into text); (exit code, stdout, stderr).

    The console entry point always exits, so the status is that of its ``SystemExit``.
    """
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def read_any(path) -> pd.DataFrame:
    """A table the CLI wrote, read back by its suffix (.csv, .parquet, or a vector file)."""
    if path.suffix == ".csv":
        return pd.read_csv(path)
    if path.suffix == ".parquet":
        return gpd.read_parquet(path)
    return gpd.read_file(path)
