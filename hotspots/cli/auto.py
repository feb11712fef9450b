"""Command-line parameters that take a number or ``auto`` (:mod:`hotspots.defaults`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from hotspots import defaults
from hotspots.cli.common import note
from hotspots.errors import ParameterError


class NumberOrAuto(click.ParamType):
    """A number (``int`` or ``float``) or the word ``auto``; anything else is a usage error."""

    def __init__(self, cast: type) -> None:
        self.cast = cast
        self.name = f"{'integer' if cast is int else 'number'}|auto"

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        if value is None or defaults.is_auto(value):
            return defaults.AUTO if value is not None else None
        try:
            out = self.cast(float(value)) if self.cast is int else self.cast(value)
            if self.cast is int and float(value) != out:
                raise ValueError(value)
            return out
        except (TypeError, ValueError):
            kind = "integer" if self.cast is int else "number"
            self.fail(f"{value!r} is not a valid {kind} or 'auto'", param, ctx)


#: Option name -> the name :func:`hotspots.defaults.resolve` knows it by.
DEFAULTS_NAME = {
    "resolution": "resolution",
    "eps": "eps_m",
    "min_samples": "min_samples",
    "bandwidth": "bandwidth_m",
}


def number_or_auto(
    flag: str, name: str, help_text: str, cast: type | None = None
) -> Callable[[Callable], Callable]:
    """``--flag`` taking a number or ``auto``, by default ``auto``
    (:data:`hotspots.defaults.DEFAULT`); ``name`` is the :mod:`hotspots.defaults` name, whose
    fixed number's type gives the option's."""
    fixed = defaults.FIXED[name]
    kind = cast or (int if isinstance(fixed, int) else float)
    return click.option(
        flag,
        default=defaults.DEFAULT[name],
        type=NumberOrAuto(kind),
        show_default=True,
        help=f"{help_text} 'auto': computed from the filtered calls (the number and its rule "
        "are printed); a number you give is used as is.",
    )


def resolve(
    incidents: Any, kwargs: dict[str, Any], names: dict[str, tuple[str, type]], area: Any = None
) -> defaults.Chosen:
    """Parse the options ``names`` (option -> (defaults name, type)) of ``kwargs``, compute the
    ``auto`` ones from ``incidents``, write the numbers back into ``kwargs`` (so provenance
    records them) and note each auto value with its rule."""
    given = {
        name: defaults.parse_value(kwargs.get(opt), "--" + opt.replace("_", "-"), cast)
        for opt, (name, cast) in names.items()
    }
    given = {k: (defaults.AUTO if v is None else v) for k, v in given.items()}
    chosen = defaults.resolve(incidents, given, area)
    for opt, (name, cast) in names.items():
        kwargs[opt] = cast(chosen.values[name])
    for line in chosen.describe():
        note(line)
    return chosen


def refuse_auto_on_engine(kwargs: dict[str, Any], *names: str) -> None:
    """With ``--engine dask`` the calls are never gathered in one process, so an ``auto``
    value (computed from them) cannot be had. An ``auto`` left at its default becomes the
    fixed number (:func:`hotspots.defaults.engine_value`, with a note saying so); an ``auto``
    asked for on the command line is refused in one line asking for a number."""
    from click.core import ParameterSource

    ctx = click.get_current_context(silent=True)
    asked = []
    for n in names:
        if not defaults.is_auto(kwargs.get(n)):
            continue
        source = ctx.get_parameter_source(n) if ctx is not None else None
        if source not in (None, ParameterSource.DEFAULT):
            asked.append(n)
            continue
        kwargs[n], line = defaults.engine_value(DEFAULTS_NAME[n], kwargs.get(n))
        if line:
            note(line)
    if asked:
        flags = ", ".join(f"--{n.replace('_', '-')}" for n in asked)
        raise ParameterError(
            f"{flags} auto needs the calls in one process: give a number with --engine dask"
        )

