"""The risk surface: a fitted model's risk at every study cell.

Two readings per cell, both from :class:`hotspots.risk.model.RiskModel`:

``risk``
    RTM's composite relative risk of the venues alone: the product of the relative risks of
    the selected factors present at the cell (1 where none is; the mean cell need not be 1).
``expected``
    The model's expected calls in the cell over the fitted period, background and exposure
    included: ``exp(b0 + g log(1 + B) + sum_f b_f x_f [+ log E])``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hotspots import grid
from hotspots.risk.model import RiskModel

SURFACE_COLUMNS: tuple[str, ...] = (
    "cell",
    "lat",
    "lon",
    "count",
    "risk",
    "expected",
    "background",
    "factors",
)


def risk_surface(model: RiskModel, *, geometry: bool = False) -> pd.DataFrame:
    """The risk of every study cell of ``model``.

    Parameters
    ----------
    model : RiskModel
        From :func:`hotspots.risk.model.fit_risk`.
    geometry : bool
        Return a GeoDataFrame with the cells' hexagons (EPSG:4326).

    Returns
    -------
    DataFrame (or GeoDataFrame)
        One row per cell, ordered by ``risk`` then ``expected`` (highest first): ``cell`` (H3
        string id), ``lat``/``lon`` (its centre), ``count`` (observed calls), ``risk``
        (composite relative risk of the selected factors present), ``expected`` (predicted
        calls), ``background`` (other calls per km², NaN without a background) and
        ``factors`` (the selected factors present, ``"cafe:proximity:100; ..."``).
    """
    data = model.data
    cells = data.cells
    selected = model.selected
    if selected:
        x = model.design[selected].to_numpy(float)
        b = model.coef[selected].to_numpy(float)
        risk = np.exp(x @ b)
        names = np.array(selected, dtype=object)
        # factor list per cell: a few selected columns, joined column by column
        present = np.full(len(cells), "", dtype=object)
        for j, name in enumerate(names):
            on = x[:, j] == 1
            present[on] = np.where(present[on] == "", name, present[on] + "; " + name)
    else:
        risk = np.ones(len(cells))
        present = np.full(len(cells), "", dtype=object)
    out = pd.DataFrame(
        {
            "cell": grid.to_str(cells.ids),
            "lat": cells.lat,
            "lon": cells.lon,
            "count": data.y.astype(np.int64),
            "risk": risk,
            "expected": model.predict(),
            "background": np.full(len(cells), np.nan)
            if data.background is None
            else data.background,
            "factors": present,
        }
    )
    out = out.sort_values(["risk", "expected", "cell"], ascending=[False, False, True])
    out = out.reset_index(drop=True)
    if geometry:
        return grid.cells_to_gdf(out)
    return out
