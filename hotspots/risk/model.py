"""The count model of Risk Terrain Modeling: cell call counts against venue risk factors.

Model
-----
For study cell i with count y_i, ``log E[y_i] = b0 + g log(1 + B_i) + sum_f b_f x_if
[+ log E_i]``, where B_i is the cells' general call density from other offense types (calls per
km², :func:`hotspots.risk.factors.background_density`), x_if the 0/1 risk factors
(:func:`hotspots.risk.factors.venue_factors`) and E_i an optional exposure (population,
footfall) entering as an offset. y is Poisson or negative binomial (NB2, variance
mu + alpha mu²), fitted with statsmodels.

Selection (as RTM's diagnostics do, Caplan and Kennedy 2016)
-------------------------------------------------------------
Forward stepwise from the *baseline* (intercept + background [+ offset]): at each step every
remaining candidate is added in turn, and the one lowering the criterion (BIC by default, or
AIC) the most is kept, provided it lowers it and its Wald p-value is below ``p_enter``. A kind
enters at most once (one measure and distance per kind: its best operationalisation), and a
candidate must mark at least ``min_cells`` cells and leave at least ``min_cells`` unmarked.

Family: ``"auto"`` runs the selection twice, as Poisson and as NB2, and keeps the final model
of lower BIC (alpha counted as a parameter), as RTM's diagnostics do. The NB selection runs with
alpha fixed at the baseline's estimate (an overestimate while factors are missing: a
conservative search) and the final NB model re-estimates it.

Reported
--------
Each selected factor's relative risk exp(b) with its 95 % Wald interval exp(b ± 1.96 se) and
p-value; the fit's deviance, log-likelihood, AIC and BIC (alpha counted as a parameter for the
NB), and the likelihood-ratio test of the final model against the baseline.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import stats
from scipy.special import gammaln

from hotspots.errors import InputError, ParameterError
from hotspots.evaluate import study_area_polygon
from hotspots.projection import geometry_to_metric, local_metric_crs, to_metric
from hotspots.risk import factors as fx
from hotspots.schema import LAT, LON

FAMILIES: tuple[str, ...] = ("auto", "poisson", "negbin")
CRITERIA: tuple[str, ...] = ("bic", "aic")
#: Column names of the fixed terms of the design.
CONST, BACKGROUND = "const", "background"
#: Default bandwidth of the background call density, metres.
DEFAULT_BACKGROUND_BANDWIDTH = 500.0
Z975 = float(stats.norm.ppf(0.975))

FACTOR_COLUMNS: tuple[str, ...] = (
    "kind",
    "measure",
    "distance_m",
    "relative_risk",
    "ci_low",
    "ci_high",
    "p",
    "coef",
    "se",
    "cells",
    "calls",
)


@dataclass
class RiskData:
    """Everything the model is fitted on, one row per study cell."""

    cells: fx.Cells
    y: np.ndarray  # target calls per cell
    candidates: pd.DataFrame  # 0/1 factor columns
    factors: list[fx.Factor]
    background: np.ndarray | None  # calls per km² of other offense types (None: not used)
    exposure: np.ndarray | None  # population / footfall per cell (None: no offset)

    def fixed(self) -> pd.DataFrame:
        """The baseline's columns: intercept and log(1 + background)."""
        out = pd.DataFrame({CONST: np.ones(len(self.y))})
        if self.background is not None:
            out[BACKGROUND] = np.log1p(self.background)
        return out

    @property
    def offset(self) -> np.ndarray | None:
        return None if self.exposure is None else np.log(self.exposure)


@dataclass
class RiskModel:
    """A fitted risk terrain model (:func:`fit_risk`)."""

    factors: pd.DataFrame  # the selected factors, FACTOR_COLUMNS
    fit: dict[str, Any]
    coef: pd.Series  # every coefficient of the final model (const, background, factors)
    design: pd.DataFrame  # the final design (const, background, selected factors)
    data: RiskData
    steps: list[dict[str, Any]] = field(default_factory=list)

    @property
    def selected(self) -> list[str]:
        return [c for c in self.design.columns if c not in (CONST, BACKGROUND)]

    def predict(self, design: pd.DataFrame | None = None, offset: np.ndarray | None = None):
        """Expected calls per cell (mu) for ``design`` (default: the fitted cells)."""
        x = self.design if design is None else design[self.design.columns]
        eta = x.to_numpy(float) @ self.coef[self.design.columns].to_numpy(float)
        off = self.data.offset if design is None else offset
        return np.exp(eta + (0.0 if off is None else off))


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------
def risk_data(
    target: pd.DataFrame,
    venues: pd.DataFrame,
    *,
    background: pd.DataFrame | None = None,
    kinds: Sequence[str] | None = None,
    distances: Iterable[float] = fx.DEFAULT_DISTANCES,
    measures: Iterable[str] = fx.MEASURES,
    resolution: int = fx.DEFAULT_RESOLUTION,
    area: shapely.Geometry | gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    background_bandwidth: float = DEFAULT_BACKGROUND_BANDWIDTH,
    exposure: np.ndarray | pd.DataFrame | None = None,
    exposure_column: str = "population",
) -> RiskData:
    """The cells, their target counts, candidate factors, background density and exposure.

    Parameters
    ----------
    target : DataFrame
        Calls of the offense(s) whose risk is modelled (``lat``, ``lon``).
    venues : DataFrame
        Canonical venues (``kind``, ``lat``, ``lon``).
    background : DataFrame, optional
        Calls of the other offense types (the cells' general call density); ``None`` fits
        without it (the baseline is then the intercept alone).
    kinds, distances, measures
        As :func:`hotspots.risk.factors.venue_factors` (distances in metres).
    resolution : int
        H3 resolution of the cells (7-12, default 10: ~0.015 km²).
    area : polygon or GeoDataFrame, optional
        Study area (EPSG:4326); default the convex hull of target and background calls.
    background_bandwidth : float
        Quartic kernel bandwidth of the background density, metres (10-10000, default 500).
    exposure : array, DataFrame or GeoDataFrame, optional
        Population or footfall: one value per study cell (in their order), or a cell table /
        polygon layer read by :func:`hotspots.risk.factors.exposure_from`. It enters as an
        offset (log exposure); cells with no or zero exposure are left out of the model.
    exposure_column : str
        The value column of an exposure table (default ``population``).
    """
    if len(target) == 0:
        raise InputError("no calls of the modelled offense: check --offenses and the filters")
    if venues is None or len(venues) == 0:
        raise InputError("no venues: give --venues FILE (name, kind, lat/lon)")
    both = target if background is None else pd.concat([target, background])
    geom = study_area_polygon(both, area)  # as the evaluation defines it
    cells = fx.study_cells(geom, resolution=resolution)
    design, factors = fx.venue_factors(
        cells, venues, kinds=kinds, distances=distances, measures=measures
    )
    # venues of another city (or with lat/lon swapped) would give "no factor" without a
    # word; checked once the distances are
    reach = max((float(d) for d in distances), default=0.0)
    centre = geom.centroid
    crs = local_metric_crs(centre.y, centre.x)
    vx, vy = to_metric(venues[LAT].to_numpy(float), venues[LON].to_numpy(float), crs)[:2]
    near = shapely.dwithin(geometry_to_metric(geom, crs), shapely.points(vx, vy), reach)
    if not near.any():
        raise InputError(
            f"none of the {len(venues):,} venues lies within {reach:,.0f} m of the calls' "
            "study area: check that the venues file is of the same city"
        )
    y = fx.cell_counts(cells, target)
    bg = (
        None
        if background is None
        else fx.background_density(cells, background, background_bandwidth)
    )
    data = RiskData(cells, y, design, factors, bg, None)
    if isinstance(exposure, pd.DataFrame):
        exposure = fx.exposure_from(cells, exposure, exposure_column)
    if exposure is not None:
        e = np.asarray(exposure, dtype=float)
        if e.shape != (len(cells),):
            raise ParameterError(
                f"exposure: one value per study cell ({len(cells)}), got {e.shape}"
            )
        keep = np.isfinite(e) & (e > 0)
        if keep.sum() < 10:
            raise InputError("the exposure covers fewer than 10 study cells: check its file")
        data = subset(data, keep)
        data.exposure = e[keep]
    if data.y.sum() == 0:
        raise InputError("no modelled call falls in a study cell: check the study area")
    return data


def subset(data: RiskData, keep: np.ndarray) -> RiskData:
    """The cells of ``data`` where ``keep`` is True."""
    c = data.cells
    cells = fx.Cells(
        c.ids[keep], c.lat[keep], c.lon[keep], c.x[keep], c.y[keep], c.area_m2[keep],
        c.resolution, c.crs, c.area,
    )  # fmt: skip
    return RiskData(
        cells,
        data.y[keep],
        data.candidates.loc[keep].reset_index(drop=True),
        data.factors,
        None if data.background is None else data.background[keep],
        None if data.exposure is None else data.exposure[keep],
    )


# --------------------------------------------------------------------------------------------
# fitting
# --------------------------------------------------------------------------------------------
@dataclass
class _Fit:
    result: Any  # statsmodels GLMResults
    alpha: float  # 0 for Poisson
    llf: float
    k: int  # parameters, alpha included

    def criterion(self, name: str, n: int) -> float:
        return -2 * self.llf + (math.log(n) if name == "bic" else 2.0) * self.k


def glm(y: np.ndarray, x: pd.DataFrame, *, alpha: float = 0.0, offset: np.ndarray | None = None):
    """statsmodels GLM of ``y`` on ``x``: Poisson (``alpha`` 0) or NB2 with that alpha."""
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM

    family = families.Poisson() if alpha == 0 else families.NegativeBinomial(alpha=alpha)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return GLM(y, x, family=family, offset=offset).fit()


def nb_alpha(y: np.ndarray, x: pd.DataFrame, offset: np.ndarray | None = None) -> float:
    """Maximum-likelihood NB2 dispersion alpha of ``y`` on ``x`` (statsmodels'
    ``NegativeBinomial``), started from the Poisson fit."""
    from statsmodels.discrete.discrete_model import NegativeBinomial

    start = np.r_[glm(y, x, offset=offset).params.to_numpy(), 0.5]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = NegativeBinomial(y, x, loglike_method="nb2", offset=offset).fit(
            start_params=start, disp=0, maxiter=200
        )
    a = float(res.params.iloc[-1])
    return a if math.isfinite(a) and a > 1e-8 else 1e-8


def _fit(y, x, alpha, offset) -> _Fit:
    res = glm(y, x, alpha=alpha, offset=offset)
    return _Fit(res, alpha, float(res.llf), x.shape[1] + (1 if alpha > 0 else 0))


def loglik(y: np.ndarray, mu: np.ndarray, alpha: float = 0.0) -> float:
    """Full log-likelihood of counts ``y`` with means ``mu``: Poisson (``alpha`` 0) or NB2
    (variance mu + alpha mu²), as statsmodels' GLM families compute it."""
    if alpha == 0:
        return float(np.sum(y * np.log(mu) - mu - gammaln(y + 1)))
    r = 1.0 / alpha
    return float(
        np.sum(
            gammaln(y + r) - gammaln(r) - gammaln(y + 1)
            + r * np.log(r / (r + mu)) + y * np.log(mu / (r + mu))
        )
    )  # fmt: skip


def irls(
    y: np.ndarray,
    x: np.ndarray,
    alpha: float = 0.0,
    offset: np.ndarray | None = None,
    *,
    tol: float = 1e-9,
    max_iter: int = 100,
    start: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Log-link Poisson / NB2 (fixed ``alpha``) regression by iteratively reweighted least
    squares on the normal equations: coefficients, their standard errors (expected
    information) and the log-likelihood. The same estimates as statsmodels' GLM, without its
    per-fit overhead (the stepwise search fits hundreds of candidate models)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _irls(y, x, alpha, offset, tol, max_iter, start)


def _irls(y, x, alpha, offset, tol, max_iter, start=None):
    off = np.zeros(len(y)) if offset is None else offset
    if start is None:
        beta = np.zeros(x.shape[1])
        beta[0] = math.log(max(y.mean(), 1e-10)) - float(np.mean(off))
    else:
        beta = np.asarray(start, dtype=float)
    for _ in range(max_iter):
        eta = x @ beta + off
        mu = np.exp(np.clip(eta, -700, 700))
        w = mu / (1.0 + alpha * mu)
        z = eta - off + (y - mu) / mu
        xtw = x.T * w
        new = np.linalg.solve(xtw @ x, xtw @ z)
        done = np.max(np.abs(new - beta)) < tol * (1 + np.max(np.abs(beta)))
        beta = new
        if done:
            break
    mu = np.exp(np.clip(x @ beta + off, -700, 700))
    w = mu / (1.0 + alpha * mu)
    info = (x.T * w) @ x
    if not np.linalg.cond(info) < 1e12:  # a column (nearly) a combination of the others
        raise np.linalg.LinAlgError("collinear design")
    cov = np.linalg.inv(info)
    return beta, np.sqrt(np.clip(np.diag(cov), 0, None)), loglik(y, mu, alpha)


def baseline_alpha(data: RiskData, family: str) -> float:
    """The NB2 alpha of the baseline model (0 for ``poisson``)."""
    if family not in ("poisson", "negbin"):
        raise ParameterError(f"family: use {', '.join(FAMILIES)}, got {family!r}")
    return nb_alpha(data.y, data.fixed(), data.offset) if family == "negbin" else 0.0


def select_factors(
    data: RiskData,
    *,
    alpha: float = 0.0,
    criterion: str = "bic",
    p_enter: float = 0.05,
    min_cells: int = 5,
) -> tuple[list[str], list[dict[str, Any]]]:
    """Forward stepwise selection of factor columns (see the module docstring).

    Returns the selected column names in order of entry, and the steps (``factor``,
    ``criterion`` after adding it, ``p``).
    """
    if criterion not in CRITERIA:
        raise ParameterError(f"criterion: use {' or '.join(CRITERIA)}, got {criterion!r}")
    if not 0 < float(p_enter) <= 1:
        raise ParameterError(f"p_enter: a probability in (0, 1], got {p_enter!r}")
    n = len(data.y)
    marked = data.candidates.sum(axis=0)
    usable = [f for f in data.factors if min_cells <= int(marked[f.name]) <= n - min_cells]
    y, off = data.y.astype(float), data.offset
    pen = math.log(n) if criterion == "bic" else 2.0
    extra = 1 if alpha > 0 else 0
    x = data.fixed().to_numpy(float)
    cand = data.candidates.to_numpy(float)
    col = {f.name: j for j, f in enumerate(data.factors)}
    beta0, _, ll0 = irls(y, x, alpha, off)
    best = -2 * ll0 + pen * (x.shape[1] + extra)
    chosen: list[str] = []
    used_kinds: set[str] = set()
    steps: list[dict[str, Any]] = [{"factor": None, "criterion": best, "p": math.nan}]
    while True:
        trial: tuple[float, str, float, np.ndarray] | None = None
        for f in usable:  # tens of candidates: one small IRLS fit each
            if f.kind in used_kinds:
                continue
            xt = np.column_stack([x, cand[:, col[f.name]]])
            try:
                # warm start: the current model's coefficients and 0 for the newcomer
                beta, se, ll = irls(y, xt, alpha, off, start=np.r_[beta0, 0.0])
            except np.linalg.LinAlgError:
                continue
            if not (np.all(np.isfinite(beta)) and np.isfinite(se[-1]) and math.isfinite(ll)):
                continue  # diverged: a factor marking only empty cells
            crit = -2 * ll + pen * (xt.shape[1] + extra)
            p = float(2 * stats.norm.sf(abs(beta[-1] / se[-1]))) if se[-1] > 0 else 1.0
            if math.isfinite(crit) and p < p_enter and (trial is None or crit < trial[0]):
                trial = (crit, f.name, p, beta)
        if trial is None or not trial[0] < best:
            break
        best, name, p, beta0 = trial
        f = next(f for f in usable if f.name == name)
        chosen.append(name)
        used_kinds.add(f.kind)
        x = np.column_stack([x, cand[:, col[name]]])
        steps.append({"factor": name, "criterion": best, "p": p})
    return chosen, steps


def fit_design(data: RiskData, columns: Sequence[str], family: str) -> tuple[_Fit, pd.DataFrame]:
    """The final model on the baseline plus ``columns``; the NB re-estimates alpha."""
    x = data.fixed()
    for c in columns:
        x[c] = data.candidates[c].to_numpy(float)
    alpha = nb_alpha(data.y, x, data.offset) if family == "negbin" else 0.0
    return _fit(data.y, x, alpha, data.offset), x


def fit_risk(
    target: pd.DataFrame,
    venues: pd.DataFrame,
    *,
    background: pd.DataFrame | None = None,
    kinds: Sequence[str] | None = None,
    distances: Iterable[float] = fx.DEFAULT_DISTANCES,
    measures: Iterable[str] = fx.MEASURES,
    resolution: int = fx.DEFAULT_RESOLUTION,
    area: shapely.Geometry | gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    background_bandwidth: float = DEFAULT_BACKGROUND_BANDWIDTH,
    exposure: np.ndarray | pd.DataFrame | None = None,
    exposure_column: str = "population",
    family: str = "auto",
    criterion: str = "bic",
    p_enter: float = 0.05,
    min_cells: int = 5,
    data: RiskData | None = None,
) -> RiskModel:
    """Fit a risk terrain model: which venue kinds raise the calls of ``target`` per cell.

    Parameters
    ----------
    target, venues, background, kinds, distances, measures, resolution, area,
    background_bandwidth, exposure, exposure_column
        As :func:`risk_data` (distances and bandwidths in metres).
    family : {"auto", "poisson", "negbin"}
        Count model; ``auto`` fits both and keeps the one of lower BIC.
    criterion : {"bic", "aic"}
        Stepwise selection criterion.
    p_enter : float
        A factor enters only with a Wald p-value below this (0-1, default 0.05).
    min_cells : int
        Fewest cells a factor must mark (and leave unmarked), >= 1.
    data : RiskData, optional
        Prepared data (from :func:`risk_data`); the other data arguments are then ignored.

    Returns
    -------
    RiskModel
        ``factors``: one row per selected factor with ``kind``, ``measure``, ``distance_m``,
        ``relative_risk``, ``ci_low``, ``ci_high``, ``p``, ``coef``, ``se``, ``cells`` (marked)
        and ``calls`` (in marked cells); ``fit``: family (and ``family_bic``, the BIC of each
        family tried), alpha, cells, calls, deviance, llf, aic, bic, the baseline's
        llf/aic/deviance and the likelihood-ratio test against it (``lr_stat``, ``lr_df``,
        ``lr_p``), the background's coefficient and p.

    Examples
    --------
    >>> from hotspots.sample import load_sample
    >>> s = load_sample()
    >>> hool = s.calls[s.calls["offense"] == "hooliganism"]
    >>> other = s.calls[s.calls["offense"] != "hooliganism"]
    >>> m = fit_risk(hool, s.venues, background=other, kinds=["cafe"], area=s.boundary)
    >>> m.factors["kind"].tolist()
    ['cafe']
    """
    try:
        min_cells = int(min_cells)
    except (TypeError, ValueError):
        min_cells = 0
    if min_cells < 1:
        raise ParameterError("min_cells: a whole number of cells >= 1")
    if data is None:
        data = risk_data(
            target, venues, background=background, kinds=kinds, distances=distances,
            measures=measures, resolution=resolution, area=area,
            background_bandwidth=background_bandwidth, exposure=exposure,
            exposure_column=exposure_column,
        )  # fmt: skip
    if family not in FAMILIES:
        raise ParameterError(f"family: use {', '.join(FAMILIES)}, got {family!r}")
    fits = {}
    for fam in ("poisson", "negbin") if family == "auto" else (family,):
        alpha0 = baseline_alpha(data, fam)
        chosen, steps = select_factors(
            data, alpha=alpha0, criterion=criterion, p_enter=p_enter, min_cells=min_cells
        )
        final, x = fit_design(data, chosen, fam)
        # the baseline with its own alpha, for the likelihood-ratio test
        base = _fit(data.y, data.fixed(), alpha0, data.offset)
        fits[fam] = (final, x, chosen, steps, base)
    n = len(data.y)
    family_bic = {f: v[0].criterion("bic", n) for f, v in fits.items()}
    fam = min(family_bic, key=family_bic.get)
    final, x, chosen, steps, base = fits[fam]
    res = final.result
    params, se, pv = res.params, res.bse, res.pvalues
    by_name = {f.name: f for f in data.factors}
    rows = []
    for c in chosen:
        f = by_name[c]
        b, s = float(params[c]), float(se[c])
        mark = data.candidates[c].to_numpy() == 1
        rows.append(
            {
                "kind": f.kind,
                "measure": f.measure,
                "distance_m": f.distance_m,
                "relative_risk": math.exp(b),
                "ci_low": math.exp(b - Z975 * s),
                "ci_high": math.exp(b + Z975 * s),
                "p": float(pv[c]),
                "coef": b,
                "se": s,
                "cells": int(mark.sum()),
                "calls": int(data.y[mark].sum()),
            }
        )
    lr = max(2 * (final.llf - base.llf), 0.0)
    df = final.k - base.k
    fit = {
        "family": fam,
        "alpha": final.alpha if fam == "negbin" else None,
        "family_bic": family_bic,
        "criterion": criterion,
        "cells": n,
        "calls": int(data.y.sum()),
        "resolution": data.cells.resolution,
        "candidates": len(data.factors),
        "deviance": float(res.deviance),
        "llf": final.llf,
        "aic": final.criterion("aic", n),
        "bic": final.criterion("bic", n),
        "baseline_llf": base.llf,
        "baseline_aic": base.criterion("aic", n),
        # at the final model's alpha, so that the two deviances compare
        "baseline_deviance": float(
            glm(data.y, data.fixed(), alpha=final.alpha, offset=data.offset).deviance
        ),
        "lr_stat": lr,
        "lr_df": df,
        "lr_p": float(stats.chi2.sf(lr, df)) if df > 0 else None,
        "background": data.background is not None,
        "background_coef": float(params[BACKGROUND]) if BACKGROUND in params else None,
        "background_p": float(pv[BACKGROUND]) if BACKGROUND in pv else None,
        "exposure": data.exposure is not None,
    }
    return RiskModel(
        factors=pd.DataFrame(rows, columns=list(FACTOR_COLUMNS)),
        fit=fit,
        coef=params.copy(),
        design=x,
        data=data,
        steps=steps,
    )


def split_offenses(
    incidents: pd.DataFrame, offenses: Sequence[str] | None
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The modelled calls (``offenses``, matched as the filters match them) and the calls of
    every other offense type (the background); without ``offenses`` every call is modelled and
    there is no background."""
    from hotspots.filters import Filters, filter_mask

    if not offenses:
        return incidents, None
    mask = np.asarray(filter_mask(incidents, Filters(offenses=tuple(offenses))), dtype=bool)
    return incidents.loc[mask], incidents.loc[~mask]


def fit_by_year(
    incidents: pd.DataFrame,
    venues: pd.DataFrame,
    *,
    offenses: Sequence[str] | None = None,
    **fit_kwargs: Any,
) -> pd.DataFrame:
    """The risk model fitted on each year of ``incidents`` on its own (modelled calls and
    background of that year): are the venue effects stable, rising or fading?

    Parameters
    ----------
    incidents : DataFrame
        Calls of every offense type (``year`` and ``offense`` used).
    offenses : sequence of str, optional
        The modelled offense types (the rest is the background), as :func:`split_offenses`.
    **fit_kwargs
        Passed to :func:`fit_risk` (``kinds``, ``distances``, ``area`` ...).

    Returns
    -------
    pandas.DataFrame
        One row per selected factor and year (a year with none selected has one row with
        ``kind`` <NA>): ``year``, the columns of :attr:`RiskModel.factors`, and the year's
        ``calls``, ``family``, ``lr_p`` (the test against the baseline) and
        ``background_coef``.
    """
    from hotspots.schema import YEAR

    if YEAR not in incidents:
        raise InputError("the calls have no year: fit_by_year needs dated calls")
    years = pd.array(incidents[YEAR], dtype="Int64")
    rows = []
    for year in sorted({int(y) for y in years.dropna()}):  # a few years, one model each
        part = incidents.loc[np.asarray(years == year, dtype=bool)]
        target, background = split_offenses(part, offenses)
        if len(target) == 0:
            continue
        model = fit_risk(target, venues, background=background, **fit_kwargs)
        extra = {
            "year": year,
            "year_calls": model.fit["calls"],
            "family": model.fit["family"],
            "lr_p": model.fit["lr_p"],
            "background_coef": model.fit["background_coef"],
        }
        if len(model.factors):
            rows.extend({**extra, **r} for r in model.factors.to_dict(orient="records"))
        else:
            rows.append({**extra, "kind": pd.NA})
    cols = ["year", *FACTOR_COLUMNS, "year_calls", "family", "lr_p", "background_coef"]
    return pd.DataFrame(rows, columns=cols)
