"""The hit-rate-by-area chart of :func:`hotspots.evaluate.hit_rate_curve` as a PNG."""

from __future__ import annotations

import io

import pandas as pd

#: One colour per method (colour-blind safe, Okabe-Ito).
COLOURS = {"h3": "#0072B2", "kde": "#D55E00", "dbscan": "#009E73", "gistar": "#CC79A7"}


def curve_png(
    curve: pd.DataFrame, *, title: str = "", labels: dict[str, str] | None = None, dpi: int = 120
) -> bytes:
    """Hit rate (%) against area share (%) per method, with the bootstrap band shaded.

    Parameters
    ----------
    curve : DataFrame
        :func:`hotspots.evaluate.hit_rate_curve` (``method``, ``area_share``, ``hit_rate``,
        ``low``, ``high``).
    title : str
        Title above the chart.
    labels : dict, optional
        Method -> label in the legend (default the method names).
    dpi : int
        Resolution of the PNG (the figure is 8 x 5 inches).
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 5), dpi=int(dpi))
    ax = fig.add_subplot()
    for method, part in curve.groupby("method", sort=False):
        part = part.sort_values("share")
        colour = COLOURS.get(str(method), None)
        x = 100 * part["area_share"].to_numpy()
        ax.fill_between(x, 100 * part["low"], 100 * part["high"], alpha=0.2, color=colour)
        ax.plot(
            x,
            100 * part["hit_rate"],
            marker=".",
            color=colour,
            label=(labels or {}).get(str(method), str(method)),
        )
    ax.set_xlabel("area share, % of the study area")
    ax.set_ylabel("hit rate, % of the test calls")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    if title:
        ax.set_title(title)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
