"""Offense labels: map Russian, Kazakh and English synonyms to canonical keys.

Known synonyms become one of the canonical keys of :data:`CANONICAL` ("theft", "hooliganism",
"fight", "public_order", "traffic", "other"); every other label becomes its lowercase
snake-case form, so ``"MOTOR VEHICLE THEFT"`` -> ``"motor_vehicle_theft"`` and
``"BATTERY"`` -> ``"battery"`` (battery is *not* a fight: the legal categories differ).
Matching is exact on the whole label after case folding and whitespace clean-up; no
substring guessing, so "Theft from Vehicle" stays ``"theft_from_vehicle"``.
"""

from __future__ import annotations

import re
from typing import Final

import pandas as pd

#: Label for a missing or empty offense value.
UNKNOWN: Final = "unknown"

#: Canonical key -> synonyms (any case; "ё" and "е" are the same letter here).
SYNONYMS: Final[dict[str, tuple[str, ...]]] = {
    "theft": (
        "theft",
        "thefts",
        "larceny",
        "stealing",
        "кража",
        "кражи",
        "хищение",
        "тайное хищение",
        "ұрлық",
        "ұрлау",
    ),
    "hooliganism": (
        "hooliganism",
        "хулиганство",
        "мелкое хулиганство",
        "бұзақылық",
        "ұсақ бұзақылық",
    ),
    "fight": ("fight", "fights", "fighting", "драка", "драки", "төбелес"),
    "public_order": (
        "public order",
        "public_order",
        "public disorder",
        "disturbance",
        "disturbance of public order",
        "disturbing the peace",
        "breach of the peace",
        "нарушение общественного порядка",
        "нарушение обществ порядка",
        "нарушение тишины",
        "қоғамдық тәртіпті бұзу",
        "қоғамдық тәртіп бұзу",
    ),
    "traffic": (
        "traffic",
        "traffic accident",
        "traffic collision",
        "traffic incident",
        "road traffic accident",
        "collision",
        "дтп",
        "дорожно-транспортное происшествие",
        "нарушение пдд",
        "жкө",
        "жол-көлік оқиғасы",
        "жол көлік оқиғасы",
    ),
    "other": ("other", "прочее", "прочие", "другое", "иное", "басқа", "басқалар"),
}

#: The canonical keys, in a stable order.
CANONICAL: Final = tuple(SYNONYMS)


def label_key(label: str) -> str:
    """Comparison form of a label: case-folded, "ё" -> "е", dots dropped, spaces collapsed."""
    text = str(label).casefold().replace("ё", "е").replace(".", " ")
    return re.sub(r"\s+", " ", text).strip()


def snake_case(label: str) -> str:
    """Lowercase snake case of any label (letters of any script and digits kept).

    Examples
    --------
    >>> snake_case("MOTOR VEHICLE THEFT")
    'motor_vehicle_theft'
    >>> snake_case("Break and Enter Residential/Other")
    'break_and_enter_residential_other'
    """
    return re.sub(r"[\W_]+", "_", str(label).casefold()).strip("_")


_LOOKUP: Final[dict[str, str]] = {
    label_key(s): key for key, names in SYNONYMS.items() for s in (key, *names)
}


def normalise_label(label: object) -> str:
    """Canonical key for one label (:data:`UNKNOWN` for a missing or empty one)."""
    if label is None or (isinstance(label, float) and label != label) or label is pd.NA:
        return UNKNOWN
    key = label_key(label)
    if not key:
        return UNKNOWN
    return _LOOKUP.get(key) or snake_case(key) or UNKNOWN


def normalise_offense(raw: pd.Series) -> pd.Series:
    """Normalise a column of offense labels (work is done once per distinct label).

    Parameters
    ----------
    raw : pandas.Series
        Labels as in the source (any dtype; missing values allowed).

    Returns
    -------
    pandas.Series
        Canonical keys (str), same index as ``raw``; missing or empty labels are
        ``"unknown"``.

    Examples
    --------
    >>> normalise_offense(pd.Series(["Кража", "THEFT", "MOTOR VEHICLE THEFT", None])).tolist()
    ['theft', 'theft', 'motor_vehicle_theft', 'unknown']
    """
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    mapped = [normalise_label(u) for u in uniques]  # loop over distinct labels only
    out = pd.Series(mapped + [UNKNOWN], dtype="str").to_numpy()[codes]
    return pd.Series(out, index=raw.index, dtype="str", name=raw.name)


def normalise_kind(raw: pd.Series) -> pd.Series:
    """Venue kinds: lowercase snake case, a few synonyms folded (``"Café"`` -> ``"cafe"``).

    Missing or empty kinds become ``"unknown"``.
    """
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    mapped = [_kind(u) for u in uniques]
    out = pd.Series(mapped + [UNKNOWN], dtype="str").to_numpy()[codes]
    return pd.Series(out, index=raw.index, dtype="str", name=raw.name)


KIND_SYNONYMS: Final[dict[str, str]] = {
    "café": "cafe",
    "кафе": "cafe",
    "coffee_shop": "cafe",
    "кофейня": "cafe",
    "ресторан": "restaurant",
    "мейрамхана": "restaurant",
    "чайхана": "tea_house",
    "teahouse": "tea_house",
    "бар": "bar",
    "паб": "pub",
    "ночной_клуб": "nightclub",
    "night_club": "nightclub",
    "площадь": "square",
    "алаң": "square",
    "парк": "park",
    "саябақ": "park",
    "рынок": "market",
    "базар": "market",
    "marketplace": "market",
    "автовокзал": "bus_station",
    "автобекет": "bus_station",
}


def _kind(label: object) -> str:
    if label is None or (isinstance(label, float) and label != label) or label is pd.NA:
        return UNKNOWN
    snake = snake_case(label)
    return KIND_SYNONYMS.get(snake, snake) or UNKNOWN
