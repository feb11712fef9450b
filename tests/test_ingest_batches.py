"""Reading in blocks gives the same result as reading whole (issue: files larger than memory).

The reference is :func:`hotspots.io.read_incidents` of the whole file; the batched reader is
forced into many tiny blocks so that quoted multi-line values, duplicates and rejects fall
on block edges.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hotspots.ingest.batches import ingest_to_parquet
from hotspots.io import read_incidents


def _file(tmp_path: Path, n: int = 400, seed: int = 3) -> Path:
    rng = np.random.default_rng(seed)
    lines = ["id,date,offense,lat,lon,note"]
    for i in range(n):
        ident = i if i % 97 else max(i - 50, 0)  # a duplicate id every 97 rows, far back
        lat = f"{43.3 + rng.random() * 0.05:.6f}" if i % 53 else ""  # a missing coordinate
        note = '"line one\nline two, with a comma"' if i % 7 == 0 else "plain"
        if i % 61 == 0:
            note = '"a stray quote'  # swallows nothing: rejected as malformed_row
        day = f"2020-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:15"
        lines.append(f"{ident},{day},Кража,{lat},{68.2 + rng.random() * 0.05:.6f},{note}")
    p = tmp_path / "calls.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


@pytest.mark.parametrize("block", [300, 1024, 1 << 20])
def test_blocks_match_the_whole_read(tmp_path: Path, block: int) -> None:
    src = _file(tmp_path)
    whole = read_incidents(src)
    out = tmp_path / "calls.parquet"
    report = ingest_to_parquet(src, out, block_bytes=block)
    assert report["rows"] == whole.rows == 400
    assert report["reasons"] == whole.reasons
    assert whole.reasons["duplicate_id"] > 0 and whole.reasons["malformed_row"] > 0
    loaded = read_incidents(out)
    assert loaded.rows == whole.rows and loaded.n_rejected == whole.n_rejected
    cols = ["incident_id", "occurred_at", "lat", "lon", "source_row", "offense_raw"]
    pd.testing.assert_frame_equal(
        pd.DataFrame(loaded.accepted[cols]).reset_index(drop=True),
        pd.DataFrame(whole.accepted[cols]).reset_index(drop=True),
        check_dtype=False,
    )
    rej = loaded.rejected.sort_values("source_row")
    assert rej["source_row"].tolist() == whole.rejected["source_row"].tolist()
    assert rej["reason"].tolist() == whole.rejected["reason"].tolist()


@pytest.mark.parametrize("block", [300, 1024])
def test_a_file_without_ids_numbers_its_rows_across_blocks(tmp_path: Path, block: int) -> None:
    # no id column: each row's id is row-<its row in the whole file>, so rows of later
    # blocks never clash with the first block's (they did: 101,713 of Chicago's 148,636
    # rows rejected as duplicate_id in 2 MB blocks)
    src = tmp_path / "noid.csv"
    rows = ["date,offense,lat,lon"] + [
        f"2020-01-{1 + i % 28:02d} 10:00,theft,{43.3 + i * 1e-5:.6f},68.2" for i in range(300)
    ]
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "noid.parquet"
    report = ingest_to_parquet(src, out, block_bytes=block)
    assert report["rows"] == 300 and report["rejected"] == 0
    assert report["reasons"]["duplicate_id"] == 0
    loaded = read_incidents(out).accepted
    assert loaded["source_row"].tolist() == list(range(1, 301))
    assert loaded["incident_id"].tolist() == [f"row-{i}" for i in range(1, 301)]
