"""The shareable settings of the pages (map layers, analysis parameters) and the parameters
in force, in words."""

from __future__ import annotations

from app_pages import state
from app_pages.texts import num_lang, pct_lang
from hotspots import views
from hotspots.errors import ParameterError
from hotspots.i18n import t

#: Layers the Map page offers, in the order of its switches.
MAP_LAYERS = ("cells", "density", "clusters", "gistar", "venues", "calls")
DEFAULT_LAYERS = ("cells", "venues", "calls")

# Shareable settings of the pages (see app_pages.state); defaults from views.Params.
_P = views.Params()
state.register(
    state.Setting(
        "layers",
        DEFAULT_LAYERS,
        lambda s: tuple(v for v in s.split(",") if v in MAP_LAYERS),
        lambda v: ",".join(v) if v else "none",
    )
)
# the four with an auto rule (hotspots.defaults) are "auto" by default, in the URL too
state.auto_setting("res", _P.resolution, int, *views.PARAM_RANGES["resolution"][:2])
state.auto_setting("eps", _P.eps_m, float, *views.PARAM_RANGES["eps_m"][:2])
state.auto_setting("minpts", _P.min_samples, int, *views.PARAM_RANGES["min_samples"][:2])
state.auto_setting("bw", _P.bandwidth_m, float, *views.PARAM_RANGES["bandwidth_m"][:2])
state.choice_setting("kernel", _P.kernel, views.KERNELS)
state.float_setting("cov", _P.coverage, *views.PARAM_RANGES["coverage"][:2])
state.float_setting("radius", _P.venue_radius_m, *views.PARAM_RANGES["venue_radius_m"][:2])
state.text_setting("venue")

#: URL setting of each Params field.
PARAM_SETTINGS = {
    "resolution": "res",
    "eps_m": "eps",
    "min_samples": "minpts",
    "bandwidth_m": "bw",
    "kernel": "kernel",
    "coverage": "cov",
    "venue_radius_m": "radius",
}


def current_params() -> views.Params:
    """The saved parameters (URL), ``"auto"`` ones not yet computed (see
    :func:`app_pages.context.context`, which computes them from the filtered calls)."""
    values = {name: state.get(setting) for name, setting in PARAM_SETTINGS.items()}
    try:
        return views.Params(**values)
    except ParameterError:
        return views.Params()


def save_params(params: views.Params) -> None:
    for name, setting in PARAM_SETTINGS.items():
        state.put(setting, getattr(params, name))


def params_key(p: views.Params) -> tuple:
    return tuple(p.as_dict().items())


def describe_params(p: views.Params, lang: str, auto: tuple[str, ...] = ()) -> str:
    """The parameters in one line, in ``lang`` (shown under every map); the fields named in
    ``auto`` (computed from the data) are marked so."""

    def mark(name: str, text: str) -> str:
        return f"{text} ({t('tuning.auto_mark', lang)})" if name in auto else text

    return t(
        "ui.params_line",
        lang,
        res=mark("resolution", str(p.resolution)),
        bw=mark("bandwidth_m", num_lang(p.bandwidth_m, lang)),
        kernel=t(f"kernel.{p.kernel}", lang),
        eps=mark("eps_m", num_lang(p.eps_m, lang)),
        minpts=mark("min_samples", str(p.min_samples)),
        cov=pct_lang(p.coverage, lang),
    )
