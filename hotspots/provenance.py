"""The footer every export carries: where the data came from and how the figures were made.

A map shown at a meeting must be reproducible: the data source, the filters, the method's
parameters, the date the export was made and the tool's version travel with every file
(patrol plan, briefing map, report). :func:`make_provenance` gathers them once; the exports
print :meth:`Provenance.as_text` in the chosen language and store :meth:`Provenance.as_dict`
as metadata (GeoJSON properties, HTML ``<meta>``, PDF footer).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import numpy as np

from hotspots.filters import Filters

#: Name of the tool as printed in footers.
TOOL = "hotspots"
#: What :meth:`Filters.describe` says when nothing is filtered.
NO_FILTERS = Filters().describe()
#: The source name of the bundled sample (``"sample"``, or ``"sample + venues.csv"``), printed
#: as the translated ``msg.sample_data``.
SAMPLE = "sample"

#: Locale key of the label of each parameter printed in words (:meth:`Provenance.lines`);
#: parameters not listed are printed as ``name=value``.
PARAMETER_LABELS = {
    "method": "export.method",
    "top": "export.top",
    "resolution": "tune.resolution",
    "eps": "tune.eps",
    "eps_m": "tune.eps",
    "min_samples": "tune.min_samples",
    "presenter": "ui.presenter_mode",
    "min_count": "ui.min_count",
    "venue_radius_m": "venues.radius",
    "bandwidth_m": "tune.bandwidth",
    "kernel": "tune.kernel",
    "lang": "ui.language",
    "auto": "tuning.auto_label",
}
#: Locale key of the values of a parameter whose values are words.
PARAMETER_VALUES = {"method": "export.method_{}", "kernel": "kernel.{}", "lang": "lang.{}"}


def tool_version() -> str:
    """Installed version of the ``hotspots`` package (``"unknown"`` when not installed)."""
    try:
        return metadata.version(TOOL)
    except metadata.PackageNotFoundError:  # a bare source tree without an install
        return "unknown"


def _format_value(value: Any, lang: str | None = None) -> str:
    """Parameters as a user would type them: ``150.0`` -> ``150``, tuples as ``a, b``; with
    ``lang``, numbers in that language's format (``1 500``, ``0,05``)."""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(_format_value(v, lang) for v in value)
    if lang is not None and isinstance(value, int | float) and np.isfinite(value):
        from hotspots.i18n import format_number

        if float(value).is_integer():
            return format_number(value, lang)
        return format_number(value, lang, 6).rstrip("0")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class Provenance:
    """What an export was made from and how.

    Attributes
    ----------
    source : str
        The data source: a file name, ``"sample"`` or a description given by the caller.
    filters : str
        The filters applied, as text (:meth:`hotspots.filters.Filters.describe`).
    parameters : dict
        Method and display parameters (name -> value), e.g. ``{"method": "cells",
        "resolution": 9}``; lengths in metres.
    made_at : datetime
        When the export was made (local time, to the second).
    version : str
        Version of the tool that made it.
    n_incidents : int or None
        Number of incidents after the filters, when known.
    period_start, period_end : str or None
        First and last date of the filtered incidents (``"2019-01-01"``), when known; the
        month (``"2019-01"``) when the source records only the month (data.police.uk).
    """

    source: str
    filters: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    made_at: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(microsecond=0))
    version: str = field(default_factory=tool_version)
    n_incidents: int | None = None
    period_start: str | None = None
    period_end: str | None = None

    @property
    def period(self) -> str | None:
        """``"2019-01-01 – 2021-12-31"`` or ``None``."""
        if self.period_start is None:
            return None
        return f"{self.period_start} – {self.period_end}"

    def as_dict(self) -> dict[str, Any]:
        """Plain, JSON-serialisable dict (``made_at`` in ISO 8601).

        Examples
        --------
        >>> p = Provenance("calls.csv", "all incidents", {"resolution": 9},
        ...                made_at=dt.datetime(2024, 5, 1, 9, 30), version="0.1.0")
        >>> p.as_dict()["made_at"], p.as_dict()["parameters"]
        ('2024-05-01T09:30:00', {'resolution': 9})
        """
        return {
            "source": self.source,
            "filters": self.filters,
            "parameters": {str(k): _jsonable(v) for k, v in self.parameters.items()},
            "made_at": self.made_at.isoformat(timespec="seconds"),
            "tool": TOOL,
            "version": self.version,
            "n_incidents": self.n_incidents,
            "period_start": self.period_start,
            "period_end": self.period_end,
        }

    def parameters_text(self) -> str:
        """``"method=cells, resolution=9"`` (in the caller's order): the machine-readable form
        kept in the CSV's ``prov_parameters`` column; footers print :meth:`parameters_words`."""
        return ", ".join(f"{k}={_format_value(v)}" for k, v in self.parameters.items()) or "-"

    def parameters_words(self, lang: str = "en") -> str:
        """The parameters as text in ``lang``, numbers in its format (in the caller's order).

        Examples
        --------
        >>> p = Provenance("s", "x", {"method": "cells", "top": 10, "resolution": 9,
        ...                "lang": "ru", "grid": 1500}, version="0")
        >>> p.parameters_words("en")
        'Hotspots: H3 cells; Hotspots in the patrol plan: 10; H3 resolution: 9; Language: Русский; grid=1,500'
        """  # noqa: E501
        from hotspots.i18n import has_key, t

        parts = []
        for name, value in self.parameters.items():
            key = PARAMETER_LABELS.get(str(name))
            if key is None or not has_key(key, lang):
                parts.append(f"{name}={_format_value(value, lang)}")
            elif isinstance(value, bool | np.bool_):
                parts.append(t(key, lang) if value else f"{t(key, lang)}: —")
            else:
                words = PARAMETER_VALUES.get(str(name))
                text = (
                    t(words.format(value), lang)
                    if words and has_key(words.format(value), lang)
                    else _format_value(value, lang)
                )
                parts.append(f"{t(key, lang)}: {text}")
        return "; ".join(parts) or "-"

    def source_text(self, lang: str = "en") -> str:
        """The data source for a reader: the bundled sample by its name in ``lang``."""
        from hotspots.i18n import t

        if self.source == SAMPLE or self.source.startswith(SAMPLE + " + "):
            return self.source.replace(SAMPLE, t("msg.sample_data", lang), 1)
        return self.source

    def filters_text(self, lang: str = "en") -> str:
        """The filters, with "all incidents" (no filter) in ``lang``."""
        from hotspots.i18n import t

        return t("prov.no_filters", lang) if self.filters == NO_FILTERS else self.filters

    def lines(self, lang: str = "en") -> list[tuple[str, str]]:
        """(label, value) pairs in ``lang`` (kk, ru, en), in the order they are printed."""
        from hotspots.i18n import format_number, t

        rows = [
            (t("prov.source", lang), self.source_text(lang)),
            (t("prov.filters", lang), self.filters_text(lang)),
            (t("prov.parameters", lang), self.parameters_words(lang)),
        ]
        if self.period:
            rows.append((t("prov.period", lang), self.period))
        if self.n_incidents is not None:
            rows.append((t("prov.incidents", lang), format_number(self.n_incidents, lang)))
        rows.append((t("prov.made", lang), self.made_at.strftime("%Y-%m-%d %H:%M")))
        rows.append((t("prov.tool", lang), f"{TOOL} {self.version}"))
        return rows

    def as_text(self, lang: str = "en", sep: str = " · ") -> str:
        """One line of text for a footer, labels in ``lang``.

        Examples
        --------
        >>> p = Provenance("sample", "years 2021", {"resolution": 9},
        ...                made_at=dt.datetime(2024, 5, 1, 9, 30), version="0.1.0")
        >>> p.as_text("en")
        'Data: Bundled sample data · Filters: years 2021 · Parameters: H3 resolution: 9 · Made: 2024-05-01 09:30 · Tool: hotspots 0.1.0'
        """  # noqa: E501
        return sep.join(f"{label}: {value}" for label, value in self.lines(lang))


def incident_period(incidents: Any) -> tuple[str, str] | None:
    """First and last date of the incidents as text (``"2019-01-01"``; ``"2019-01"`` where
    only the month is known), or ``None`` without dates.

    Examples
    --------
    >>> import pandas as pd
    >>> calls = pd.DataFrame({"occurred_at": pd.to_datetime(["2016-02-01", "2019-01-01"]),
    ...                       "time_precision": ["month", "month"]})
    >>> incident_period(calls)
    ('2016-02', '2019-01')
    """
    if len(incidents) == 0 or "occurred_at" not in incidents:
        return None
    when = incidents["occurred_at"]
    first, last = when.min(), when.max()
    if not (first == first and last == last):  # NaT
        return None
    precision = incidents.get("time_precision")
    return (
        _date_text(first, _month_only(precision, when == first)),
        _date_text(last, _month_only(precision, when == last)),
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return value.item()
    return value


def _month_only(precision: Any, at: Any) -> bool:
    """Whether the incidents at the mask ``at`` (the first or the last date) know their month
    only: their timestamp is the first of the month, which is not when they happened."""
    if precision is None:
        return False
    return bool((precision[at] == "month").any())


def _date_text(when: Any, month_only: bool) -> str:
    """``"2018-12-01"``, or ``"2018-12"`` when only the month is known: a month-only source
    stamps its calls on the first of the month, and a period "to 2018-12-01" would leave out
    the rest of December."""
    return f"{when:%Y-%m}" if month_only else f"{when:%Y-%m-%d}"


def make_provenance(
    source: str,
    filters: Filters | str | None = None,
    parameters: Mapping[str, Any] | None = None,
    *,
    incidents: Any = None,
    made_at: dt.datetime | None = None,
) -> Provenance:
    """Gather the provenance of an export.

    Parameters
    ----------
    source : str
        File name of the calls, or ``"sample"``. Directories are dropped (a footer names the
        file, not the analyst's disk layout).
    filters : Filters or str, optional
        The filters applied (``None``: all incidents).
    parameters : mapping, optional
        Method and display parameters, printed in the given order.
    incidents : DataFrame, optional
        The filtered incidents: their number and period are recorded.
    made_at : datetime, optional
        Time of the export (now by default).

    Examples
    --------
    >>> make_provenance("/data/calls.csv", Filters(years=(2021,))).filters
    'years 2021'
    """
    from pathlib import PurePath

    text = filters.describe() if isinstance(filters, Filters) else (filters or NO_FILTERS)
    n = start = end = None
    if incidents is not None:
        n = int(len(incidents))
        start, end = incident_period(incidents) or (None, None)
    return Provenance(
        source=PurePath(str(source)).name or str(source),
        filters=text,
        parameters=dict(parameters or {}),
        made_at=(made_at or dt.datetime.now()).replace(microsecond=0),
        n_incidents=n,
        period_start=start,
        period_end=end,
    )
