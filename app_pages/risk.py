"""The venue-risk panel of the Venues page: the risk terrain model's factors and surface.

Called from :mod:`app_pages.venues` (``risk.panel(ctx)``). The model is fitted only when the
analyst switches it on (a few seconds), on the calls of the sidebar's years, hours and weekdays:
the offense chosen here is modelled and every other offense type is the background. The same
figures come from ``hotspots risk`` and :func:`hotspots.risk.fit_risk`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd
import streamlit as st

from app_pages import mapview, signin
from app_pages.context import Context
from app_pages.sidebar import filtered, filters_key
from app_pages.texts import md_text, num_lang
from hotspots.errors import InputError, ParameterError
from hotspots.i18n import offense_label, t, venue_label
from hotspots.output import csv_bytes
from hotspots.schema import OFFENSE

#: The offense modelled first when the data has it (the seed's question).
DEFAULT_OFFENSE = "hooliganism"


@st.cache_data(max_entries=16, show_spinner=False)
def fitted(
    key: str, fkey: tuple, offense: str, kinds: tuple[str, ...], _pool, _venues, _boundary
) -> dict[str, Any]:
    """The fitted model's factors, fit and surface (plain frames: cached by value)."""
    from hotspots.risk import fit_risk, risk_surface, split_offenses

    target, background = split_offenses(_pool, [offense] if offense else None)
    model = fit_risk(
        target, _venues, background=background, kinds=list(kinds) or None, area=_boundary
    )
    return {"factors": model.factors, "fit": model.fit, "surface": risk_surface(model)}


def factor_table(factors: pd.DataFrame, lang: str, presenter: bool) -> pd.DataFrame:
    """The selected factors with the page's column names, in ``lang``."""
    measure = [
        t(f"risk.measure_{m}", lang, d=num_lang(d, lang))
        for m, d in zip(factors["measure"], factors["distance_m"], strict=True)
    ]
    out = pd.DataFrame(
        {
            t("risk.kind", lang): [venue_label(k, lang) for k in factors["kind"]],
            t("risk.measure", lang): measure,
            t("risk.rr", lang): [num_lang(v, lang, 2) for v in factors["relative_risk"]],
            t("risk.ci", lang): [
                f"{num_lang(a, lang, 2)} – {num_lang(b, lang, 2)}"
                for a, b in zip(factors["ci_low"], factors["ci_high"], strict=True)
            ],
            t("risk.p", lang): [
                "< " + num_lang(0.001, lang, 3) if p < 0.001 else num_lang(p, lang, 3)
                for p in factors["p"]
            ],
        }
    )
    if not presenter:  # calls in marked cells can be small counts: not on a projector
        out[t("tip.count", lang)] = factors["calls"].to_numpy()
    return out


def fit_line(fit: dict[str, Any], lang: str) -> str:
    """The fit in words: family, cells, calls, deviance, AIC and the likelihood-ratio test."""
    p = fit["lr_p"]
    return t(
        "risk.fit",
        lang,
        family=t(f"risk.family_{fit['family']}", lang),
        cells=num_lang(fit["cells"], lang),
        calls=num_lang(fit["calls"], lang),
        deviance=num_lang(fit["deviance"], lang, 1),
        aic=num_lang(fit["aic"], lang, 1),
        baseline_aic=num_lang(fit["baseline_aic"], lang, 1),
        lr=num_lang(fit["lr_stat"], lang, 1),
        df=fit["lr_df"],
        p="–"
        if p is None
        else ("< " + num_lang(0.001, lang, 3) if p < 0.001 else num_lang(p, lang, 3)),
    )


def panel(ctx: Context) -> None:
    """Draw the panel (a toggle; the model, its table and its map when switched on)."""
    lang = ctx.lang
    st.subheader(t("risk.title", lang))
    st.caption(t("risk.intro", lang))
    scope = f"{lang}:{ctx.ds.key}"
    if not st.toggle(
        t("risk.enable", lang), key=f"w:risk_on:{scope}", help=t("risk.enable_help", lang)
    ):
        return
    # every offense type under the sidebar's other filters: the modelled one and its background
    f = dataclasses.replace(ctx.filters, offenses=())
    pool = filtered(ctx.ds, f)
    offenses = sorted(pool[OFFENSE].dropna().astype(str).unique()) if OFFENSE in pool else []
    options = [*offenses, ""]
    first = DEFAULT_OFFENSE if DEFAULT_OFFENSE in offenses else (offenses[0] if offenses else "")
    venues = ctx.ds.venues
    kinds_there = sorted(venues["kind"].dropna().astype(str).unique())
    c1, c2 = st.columns([1, 2])
    offense = c1.selectbox(
        t("risk.offense", lang),
        options,
        index=options.index(first),
        format_func=lambda o: offense_label(o, lang) if o else t("risk.all_offenses", lang),
        key=f"w:risk_offense:{scope}",
    )
    kinds = c2.multiselect(
        t("risk.kinds", lang),
        kinds_there,
        format_func=lambda k: venue_label(k, lang),
        placeholder=t("filter.all", lang),
        key=f"w:risk_kinds:{scope}",
    )
    if not offense:
        st.info(t("risk.no_background", lang))
    try:
        with st.spinner(t("risk.enable", lang)):
            res = fitted(
                ctx.ds.key, filters_key(f), offense, tuple(kinds), pool, venues, ctx.ds.boundary
            )
    except (InputError, ParameterError) as exc:
        st.warning(md_text(exc))
        return
    st.markdown(md_text(fit_line(res["fit"], lang)))
    factors = res["factors"]
    if len(factors) == 0:
        st.info(t("risk.none", lang))
    else:
        st.dataframe(factor_table(factors, lang, ctx.presenter), hide_index=True, key="risk_table")
        signin.download_button(
            t("risk.download", lang),
            csv_bytes(factors),
            file_name="venue_risk_factors.csv",
            mime="text/csv",
            key="w:risk_csv",
        )
    st.markdown(f"**{t('risk.surface', lang)}**")
    surface = res["surface"]
    k = ctx.k if ctx.presenter else 1
    ident = ("risk", ctx.ds.key, filters_key(f), offense, tuple(kinds), lang, k)

    def build():
        from hotspots.maps.risk import risk_map

        m = risk_map(
            surface, venues=venues, boundary=ctx.ds.boundary, lang=lang, min_count=k,
            tiles=mapview.tiles(),
        )  # fmt: skip
        return m, {}, []

    mapview.show(ident, build, key="risk_map", height=460)
