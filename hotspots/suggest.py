"""Never silently empty: when a method finds nothing, the setting that would find something.

Each function looks at the same calls the method was run on and returns a :class:`Suggestion`
(what to change, to which value, and a one-line English message; the app translates it with
``key`` and ``values``), or ``None`` when the method did find something.

``dbscan``
    A cluster exists exactly when some call has at least ``min_samples`` calls (itself
    included) within ``eps``: the largest ``min_samples`` that still finds one is the busiest
    eps-disc (:func:`hotspots.defaults.busiest_disc`), so the suggestion always works.
``gistar``
    The finest coarser resolution (or, failing that, the next ``k``) at which some cell is a
    significant hot spot.
``cells`` (presenter mode)
    No cell holds ``min_count`` calls: the finest coarser resolution at which one does.

Examples
--------
>>> import pandas as pd
>>> calls = pd.DataFrame({"lat": [43.3, 43.3, 43.3001, 43.4], "lon": [68.2] * 4})
>>> s = dbscan_suggestion(calls, eps_m=20.0, min_samples=10)
>>> s.values["min_samples"], s.message
(3, 'no DBSCAN cluster: no call has 10 calls within 20 m; try --min-samples 3 (the busiest 20 m disc holds 3 calls)')
"""  # noqa: E501

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hotspots import defaults


@dataclass(frozen=True)
class Suggestion:
    """What to change so the method finds something.

    Attributes
    ----------
    method : str
        ``"dbscan"``, ``"gistar"`` or ``"cells"``.
    values : dict
        Parameter -> the suggested value (``min_samples``, ``resolution``, ``k``).
    message : str
        One English line, with the command-line flag to use.
    key : str
        Translation key of the message (``hotspots/locales/tuning``).
    fmt : dict
        Placeholders of ``key``.
    """

    method: str
    values: dict[str, Any]
    message: str
    key: str
    fmt: dict[str, Any] = field(default_factory=dict)


def dbscan_suggestion(
    incidents: pd.DataFrame, eps_m: float, min_samples: int, n_clusters: int | None = None
) -> Suggestion | None:
    """``None`` when DBSCAN finds a cluster with these settings, else the largest
    ``min_samples`` that finds one at this ``eps_m`` (``n_clusters``, when known, skips the
    check)."""
    if len(incidents) == 0:
        return None
    best = defaults.busiest_disc(incidents, eps_m)
    found = best >= int(min_samples) if n_clusters is None else n_clusters > 0
    if found:
        return None
    eps_txt = f"{float(eps_m):g}"
    if best < 2:
        # no two calls within eps: only a larger radius helps
        eps2 = defaults.auto_eps(incidents) if len(incidents) > defaults.KNEE_K else eps_m * 2
        eps2 = max(float(eps2), float(eps_m) * 2)
        return Suggestion(
            "dbscan",
            {"eps_m": eps2},
            f"no DBSCAN cluster: no two calls lie within {eps_txt} m; try --eps {eps2:g}",
            "tuning.empty_dbscan_eps",
            {"eps": eps_txt, "suggested": f"{eps2:g}"},
        )
    return Suggestion(
        "dbscan",
        {"min_samples": int(best)},
        f"no DBSCAN cluster: no call has {int(min_samples)} calls within {eps_txt} m; "
        f"try --min-samples {best} (the busiest {eps_txt} m disc holds {best} calls)",
        "tuning.empty_dbscan",
        {"eps": eps_txt, "min_samples": int(min_samples), "suggested": int(best)},
    )


def gistar_suggestion(
    incidents: pd.DataFrame, resolution: int, k: int = 1, area: Any = None
) -> Suggestion | None:
    """``None`` when Gi* finds a significant hot cell (``bin > 0``), else the first coarser
    resolution (then the same resolution with ``k + 1``) that does; ``None`` also when
    nothing tried does (there is then no hot spot to suggest)."""
    from hotspots.errors import ParameterError
    from hotspots.gistar import gistar_cells

    def hot(res: int, kk: int) -> bool:
        try:
            cells = gistar_cells(incidents, res, kk, area=area, significant_only=True)
        except ParameterError:
            return False
        return bool((cells["bin"].to_numpy() > 0).any())

    if len(incidents) == 0 or hot(int(resolution), int(k)):
        return None
    tries = [(r, int(k)) for r in range(int(resolution) - 1, min(defaults.RESOLUTIONS) - 1, -1)]
    tries.append((int(resolution), int(k) + 1))
    for res, kk in tries:
        if hot(res, kk):
            by_res = kk == int(k)
            flag = f"--resolution {res}" if by_res else f"--k {kk}"
            return Suggestion(
                "gistar",
                {"resolution": res} if by_res else {"k": kk},
                f"no significant Gi* hot spot at resolution {int(resolution)}, k = {int(k)}; "
                f"try {flag}",
                "tuning.empty_gistar" if by_res else "tuning.empty_gistar_k",
                {"resolution": int(resolution), "k": int(k), "suggested": res if by_res else kk},
            )
    return None


def cells_suggestion(incidents: pd.DataFrame, resolution: int, min_count: int) -> Suggestion | None:
    """``None`` when a cell at ``resolution`` holds ``min_count`` calls, else the finest
    coarser resolution where one does (or, when none does, ``min_count`` = the busiest
    cell's calls)."""
    from hotspots import grid
    from hotspots.clusters import latlon_of

    if len(incidents) == 0:
        return None
    lat, lon = latlon_of(incidents)

    def busiest(res: int) -> int:
        return int(np.unique(grid.cell_ids(lat, lon, res), return_counts=True)[1].max())

    if busiest(int(resolution)) >= int(min_count):
        return None
    for res in range(int(resolution) - 1, min(defaults.RESOLUTIONS) - 1, -1):
        if busiest(res) >= int(min_count):
            return Suggestion(
                "cells",
                {"resolution": res},
                f"no H3 cell holds {int(min_count)} calls at resolution {int(resolution)}; "
                f"try --resolution {res}",
                "tuning.empty_cells",
                {"min_count": int(min_count), "resolution": int(resolution), "suggested": res},
            )
    top = busiest(min(defaults.RESOLUTIONS))
    return Suggestion(
        "cells",
        {"min_count": top},
        f"no H3 cell holds {int(min_count)} calls even at resolution "
        f"{min(defaults.RESOLUTIONS)}; the busiest holds {top}: lower --min-count to {top}",
        "tuning.empty_cells_count",
        {"min_count": int(min_count), "suggested": top},
    )
