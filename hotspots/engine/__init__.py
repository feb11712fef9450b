"""The same analyses on Dask, for datasets larger than one machine's memory.

A ministry that pools a country's calls for ten years holds hundreds of millions of rows;
one machine holds about 35 million (0.64 GB per million rows). ``hotspots ingest --partition``
writes them as a partitioned GeoParquet dataset (:mod:`hotspots.ingest.partitioned`), and
the functions here compute on it partition by partition, on an existing Dask cluster or a
``LocalCluster`` (:func:`connect`), with results equal to the single-machine functions:

=============================  ================================================  ==========
engine                          single machine                                   equal
=============================  ================================================  ==========
:func:`count_cells`             :func:`hotspots.grid.count_cells`                 exactly
:func:`hour_weekday_table`      :func:`hotspots.temporal.hour_weekday_table`      exactly
:func:`monthly_series`          :func:`hotspots.temporal.monthly_series`          exactly
:func:`yearly_by_offense`       :func:`hotspots.temporal.yearly_by_offense`       exactly
:func:`kde`                     :func:`hotspots.density.kde`                      within 1e-9
:func:`gistar_cells`            :func:`hotspots.gistar.gistar_cells`              exactly
:func:`emerging_hotspots`       :func:`hotspots.emerging.emerging_hotspots`       exactly
:func:`evaluate`                :func:`hotspots.evaluate.evaluate`                exactly
:func:`compare`                 :func:`hotspots.evaluate.compare` (equal area)    exactly
:func:`dbscan_labels`           :func:`hotspots.clusters.dbscan_labels`           on one
                                                                                  machine, up
                                                                                  to a limit
=============================  ================================================  ==========

How: counts add up, so every partition counts its rows (per cell, per period, per slot) and
the partial counts are added in a tree; the kernel density bins each partition onto the one
grid the single-machine function would choose and convolves the sum once; Gi* and emerging hot
spots run on the combined cell counts; an evaluation fits on the training split's aggregates
and counts hits per partition. DBSCAN is not split (see :mod:`hotspots.engine.dbscan`).

>>> from hotspots import engine
>>> with engine.connect(n_workers=2) as client:                       # doctest: +SKIP
...     src = engine.Source("calls.parquet", filters=Filters(years=[2023]))
...     cells = engine.count_cells(src, 9)
"""

from hotspots.engine.cluster import connect
from hotspots.engine.counts import (
    count_cells,
    hour_weekday_table,
    monthly_series,
    total_rows,
    yearly_by_offense,
)
from hotspots.engine.dataset import Source, map_reduce, open_dataset
from hotspots.engine.dbscan import DBSCAN_MAX_POINTS, dbscan_labels
from hotspots.engine.density import kde
from hotspots.engine.evaluate import Compared, compare, evaluate
from hotspots.engine.stats import emerging_hotspots, gistar_cells, space_time_cube

__all__ = [
    "DBSCAN_MAX_POINTS",
    "Compared",
    "Source",
    "compare",
    "connect",
    "count_cells",
    "dbscan_labels",
    "emerging_hotspots",
    "evaluate",
    "gistar_cells",
    "hour_weekday_table",
    "kde",
    "map_reduce",
    "monthly_series",
    "open_dataset",
    "space_time_cube",
    "total_rows",
    "yearly_by_offense",
]
