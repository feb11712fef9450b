"""Command-line parameters that take a number or ``auto`` (:mod:`hotspots.defaults`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from hotspots import defaults
from hotspots.cli.common import note


def number_or_auto(flag: str, default: Any, help_text: str) -> Callable[[Callable], Callable]:
    """``--flag`` taking a number or ``auto`` (default ``default``, from
    :mod:`hotspots.defaults`)."""
    return click.option(
        flag,
        default=str(default),
        show_default=True,
        help=f"{help_text} 'auto': computed from the filtered calls (the rule is printed).",
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
