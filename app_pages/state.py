"""The app's view state: one canonical value per setting, mirrored in the URL.

Every setting a user can share (language, filters, presenter mode, layers, saved parameters, the
selected venue) is a :class:`Setting` with a URL name, a default, a parser and a formatter. The
canonical values live in ``st.session_state`` under ``"s:<name>"`` (plain keys, so they survive
page switches); widgets are keyed ``"w:<name>:<lang>"`` and seeded from the canonical value, so
a language switch (new labels, new option texts) never loses a selection. The URL holds the
settings that differ from their defaults, in language-independent codes (``?lang=kk&years=2023
&offenses=theft,fight&hours=22-3&days=sat,sun``): a view can be shared and reopened.

Bad URL values are ignored (the default is used), never an error: links get edited by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from hotspots.filters import format_hours, parse_hours, parse_weekdays
from hotspots.schema import WEEKDAY_NAMES

_LOADED = "s:__url_loaded"


@dataclass(frozen=True)
class Setting:
    """A shareable setting: URL name, default, ``parse(str) -> value``, ``fmt(value) -> str``."""

    name: str
    default: Any
    parse: Callable[[str], Any]
    fmt: Callable[[Any], str]


def _csv_ints(text: str) -> tuple[int, ...]:
    return tuple(sorted({int(v) for v in text.split(",") if v.strip()}))


def _csv_strs(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for v in text.split(",") if v.strip()))


def _join(values: Any) -> str:
    return ",".join(str(v) for v in values)


def _hours(text: str) -> tuple[int, int] | None:
    """``"22-3"`` -> (22, 3); the app's hour control is a from/to pair (wrapping at midnight)."""
    text = text.strip()
    if "-" in text:
        a, b = (int(v) for v in text.split("-", 1))
    else:
        a = b = int(text)
    parse_hours(f"{a}-{b}")  # validates 0..23
    return (a, b)


def _fmt_hours(value: tuple[int, int] | None) -> str:
    return "" if value is None else f"{value[0]}-{value[1]}"


def _days(text: str) -> tuple[int, ...]:
    return parse_weekdays(text)


def _fmt_days(value: tuple[int, ...]) -> str:
    return ",".join(WEEKDAY_NAMES[d] for d in value)


def _flag(text: str) -> bool:
    if text.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if text.strip().lower() in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(text)


def _int_in(lo: int, hi: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        v = int(float(text))
        if not lo <= v <= hi:
            raise ValueError(text)
        return v

    return parse


def _float_in(lo: float, hi: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        v = float(text)
        if not lo <= v <= hi:
            raise ValueError(text)
        return v

    return parse


def _one_of(choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in choices:
            raise ValueError(text)
        return text

    return parse


def _num(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


_REGISTRY: dict[str, Setting] = {}


def register(setting: Setting) -> Setting:
    """Add ``setting`` to the registry (idempotent; pages register their own)."""
    _REGISTRY[setting.name] = setting
    return setting


def setting(name: str) -> Setting:
    return _REGISTRY[name]


def int_setting(name: str, default: int, lo: int, hi: int) -> Setting:
    return register(Setting(name, default, _int_in(lo, hi), _num))


def float_setting(name: str, default: float, lo: float, hi: float) -> Setting:
    return register(Setting(name, default, _float_in(lo, hi), _num))


def auto_setting(name: str, default: Any, cast: type, lo: float, hi: float) -> Setting:
    """A number in [lo, hi] or the word ``auto`` (:mod:`hotspots.defaults`)."""
    from hotspots.defaults import AUTO, is_auto

    number = _int_in(int(lo), int(hi)) if cast is int else _float_in(lo, hi)

    def parse(text: str) -> Any:
        return AUTO if is_auto(text) else number(text)

    return register(Setting(name, default, parse, _num))


def choice_setting(name: str, default: str, choices: tuple[str, ...]) -> Setting:
    return register(Setting(name, default, _one_of(choices), str))


def flag_setting(name: str, default: bool = False) -> Setting:
    return register(Setting(name, default, _flag, lambda v: "1" if v else "0"))


def tuple_setting(name: str, kind: str = "str") -> Setting:
    parse = _csv_ints if kind == "int" else _csv_strs
    return register(Setting(name, (), parse, _join))


def text_setting(name: str, default: str = "") -> Setting:
    return register(Setting(name, default, str, str))


# the settings every page shares; pages register their own with the helpers above
register(Setting("lang", "", str, str))  # "" = not chosen: the browser's language decides
tuple_setting("years", "int")
tuple_setting("offenses")
register(Setting("hours", None, _hours, _fmt_hours))
register(Setting("days", (), _days, _fmt_days))
flag_setting("presenter")
int_setting("k", 5, 1, 1000)


def load_url_once() -> None:
    """Seed the canonical values from the URL at the start of a session (once)."""
    ss = st.session_state
    if ss.get(_LOADED):
        return
    params = st.query_params
    for s in _REGISTRY.values():
        key = f"s:{s.name}"
        if key in ss:
            continue
        raw = params.get(s.name)
        value = s.default
        if raw is not None:
            try:
                value = s.parse(raw)
            except (ValueError, TypeError, IndexError):
                value = s.default
        ss[key] = value
    ss[_LOADED] = True


def get(name: str) -> Any:
    """The canonical value of setting ``name`` (its default when never set)."""
    key = f"s:{name}"
    if key not in st.session_state:
        s = _REGISTRY[name]
        value = s.default
        raw = st.query_params.get(name)
        if raw is not None:  # a page registered it after the URL was first read
            try:
                value = s.parse(raw)
            except (ValueError, TypeError, IndexError):
                value = s.default
        st.session_state[key] = value
    return st.session_state[key]


def put(name: str, value: Any) -> None:
    """Set the canonical value of ``name``."""
    st.session_state[f"s:{name}"] = value


def widget_key(name: str, scope: str) -> str:
    """Key of the widget editing ``name`` in ``scope`` (the language, and for choices that
    depend on the data, the data set): a new scope gets a fresh widget seeded from the
    canonical value (see the module docstring)."""
    return f"w:{name}:{scope}"


def bound(
    widget: Callable[..., Any],
    name: str,
    label: str,
    scope: str,
    *,
    to_widget: Callable[[Any], Any] = lambda v: v,
    from_widget: Callable[[Any], Any] = lambda v: v,
    **kwargs: Any,
) -> Any:
    """Render ``widget(label, key=..., **kwargs)`` bound to setting ``name``.

    The widget is seeded from the canonical value when it first appears (in this language),
    and the canonical value follows the widget afterwards. Returns the canonical value.
    """
    key = widget_key(name, scope)
    if key not in st.session_state:
        st.session_state[key] = to_widget(get(name))
    value = widget(label, key=key, **kwargs)
    put(name, from_widget(value))
    return get(name)


def set_and_reseed(name: str, value: Any) -> None:
    """Change ``name`` from code (a button, a link): its widgets are re-seeded next run."""
    put(name, value)
    for key in [k for k in st.session_state if str(k).startswith(f"w:{name}:")]:
        del st.session_state[key]


def url_params() -> dict[str, str]:
    """The URL query parameters for the current canonical values (non-defaults only)."""
    out: dict[str, str] = {}
    for s in _REGISTRY.values():
        key = f"s:{s.name}"
        if key not in st.session_state:
            continue
        value = st.session_state[key]
        if value == s.default:
            continue
        out[s.name] = s.fmt(value)
    return out


def sync_url() -> None:
    """Write the settings to ``st.query_params`` (only when they differ, to avoid churn)."""
    wanted = url_params()
    current = st.query_params.to_dict()
    mine = {k: v for k, v in current.items() if k in _REGISTRY}
    if mine != wanted:
        for k in mine:
            if k not in wanted:
                del st.query_params[k]
        for k, v in wanted.items():
            if current.get(k) != v:
                st.query_params[k] = v


def hours_tuple(value: tuple[int, int] | None) -> tuple[int, ...]:
    """The from/to hour pair as the hours it covers (wrapping past midnight)."""
    if value is None:
        return ()
    hours = parse_hours(f"{value[0]}-{value[1]}")
    return () if len(hours) == 24 else hours


def hours_text(value: tuple[int, int] | None) -> str:
    return format_hours(hours_tuple(value)) if value else ""
