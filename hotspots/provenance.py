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

from hotspots.filters import Filters

#: Name of the tool as printed in footers.
TOOL = "hotspots"
#: What :meth:`Filters.describe` says when nothing is filtered.
NO_FILTERS = Filters().describe()


def tool_version() -> str:
    """Installed version of the ``hotspots`` package (``"unknown"`` when not installed)."""
    try:
        return metadata.version(TOOL)
    except metadata.PackageNotFoundError:  # a bare source tree without an install
        return "unknown"


def _format_value(value: Any) -> str:
    """Parameters as a user would type them: ``150.0`` -> ``150``, tuples as ``a, b``."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(_format_value(v) for v in value)
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
        """``"method=cells, resolution=9"`` (in the caller's order)."""
        return ", ".join(f"{k}={_format_value(v)}" for k, v in self.parameters.items()) or "-"

    def filters_text(self, lang: str = "en") -> str:
        """The filters, with "all incidents" (no filter) in ``lang``."""
        from hotspots.i18n import t

        return t("prov.no_filters", lang) if self.filters == NO_FILTERS else self.filters

    def lines(self, lang: str = "en") -> list[tuple[str, str]]:
        """(label, value) pairs in ``lang`` (kk, ru, en), in the order they are printed."""
        from hotspots.i18n import t

        rows = [
            (t("prov.source", lang), self.source),
            (t("prov.filters", lang), self.filters_text(lang)),
            (t("prov.parameters", lang), self.parameters_text()),
        ]
        if self.period:
            rows.append((t("prov.period", lang), self.period))
        if self.n_incidents is not None:
            rows.append((t("prov.incidents", lang), f"{self.n_incidents:,}".replace(",", " ")))
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
        'Data: sample · Filters: years 2021 · Parameters: resolution=9 · Made: 2024-05-01 09:30 · Tool: hotspots 0.1.0'
        """  # noqa: E501
        return sep.join(f"{label}: {value}" for label, value in self.lines(lang))


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
        if n and "occurred_at" in incidents:
            when = incidents["occurred_at"]
            first, last = when.min(), when.max()
            if first == first and last == last:  # not NaT
                precision = incidents.get("time_precision")
                start = _date_text(first, _month_only(precision, when == first))
                end = _date_text(last, _month_only(precision, when == last))
    return Provenance(
        source=PurePath(str(source)).name or str(source),
        filters=text,
        parameters=dict(parameters or {}),
        made_at=(made_at or dt.datetime.now()).replace(microsecond=0),
        n_incidents=n,
        period_start=start,
        period_end=end,
    )
