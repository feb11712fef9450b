"""Offense-label normalisation: synonyms in three languages, snake case otherwise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hotspots.offenses import (
    CANONICAL,
    UNKNOWN,
    label_key,
    normalise_kind,
    normalise_offense,
    snake_case,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # Russian, Kazakh and English synonyms of the sample's categories
        ("Кража", "theft"),
        ("КРАЖА", "theft"),
        ("ұрлық", "theft"),
        ("THEFT", "theft"),
        ("larceny", "theft"),
        ("Хулиганство", "hooliganism"),
        ("бұзақылық", "hooliganism"),
        ("Драка", "fight"),
        ("төбелес", "fight"),
        ("Нарушение общественного порядка", "public_order"),
        ("  нарушение   общественного порядка ", "public_order"),
        ("қоғамдық тәртіпті бұзу", "public_order"),
        ("Disturbance", "public_order"),
        ("Public order", "public_order"),
        ("ДТП", "traffic"),
        ("Traffic collision", "traffic"),
        ("Прочее", "other"),
        ("басқа", "other"),
        ("OTHER", "other"),
        # unknown labels: lowercase snake case of the label itself
        ("MOTOR VEHICLE THEFT", "motor_vehicle_theft"),
        ("BATTERY", "battery"),  # battery is not a fight
        ("Theft from Vehicle", "theft_from_vehicle"),  # no substring guessing
        ("Break and Enter Residential/Other", "break_and_enter_residential_other"),
        (
            "Vehicle Collision or Pedestrian Struck (with Injury)",
            "vehicle_collision_or_pedestrian_struck_with_injury",
        ),
        ("Кража из автомобиля", "кража_из_автомобиля"),
        ("CRIM SEXUAL ASSAULT", "crim_sexual_assault"),
    ],
)
def test_labels(raw: str, expected: str) -> None:
    assert normalise_offense(pd.Series([raw])).tolist() == [expected]


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA, "", "   "])
def test_missing_labels_are_unknown(missing) -> None:
    out = normalise_offense(pd.Series(["Кража", missing], dtype=object))
    assert out.tolist() == ["theft", UNKNOWN]


def test_keeps_index_and_name_and_length() -> None:
    raw = pd.Series(["THEFT", "ДТП", "THEFT"], index=[10, 5, 7], name="primary_type")
    out = normalise_offense(raw)
    assert out.index.tolist() == [10, 5, 7]
    assert out.name == "primary_type"
    assert out.tolist() == ["theft", "traffic", "theft"]


def test_every_canonical_key_maps_to_itself() -> None:
    out = normalise_offense(pd.Series(list(CANONICAL)))
    assert out.tolist() == list(CANONICAL)


def test_many_rows_equal_the_per_label_mapping() -> None:
    # the vectorised path (factorize + take) against a plain per-row mapping
    rng = np.random.default_rng(1)
    labels = np.array(["Кража", "BATTERY", "ДТП", "Other Theft", None], dtype=object)
    expected = np.array(["theft", "battery", "traffic", "other_theft", UNKNOWN], dtype=object)
    codes = rng.integers(0, len(labels), 5000)
    out = normalise_offense(pd.Series(labels[codes], dtype=object))
    assert out.tolist() == expected[codes].tolist()


def test_snake_case_and_key() -> None:
    assert snake_case("  Crim. Sexual -- Assault ") == "crim_sexual_assault"
    assert label_key("Нарушение  общественного\tпорядка") == "нарушение общественного порядка"
    assert label_key("Ёлка") == "елка"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Café", "cafe"),
        ("Кафе", "cafe"),
        ("Tea House", "tea_house"),
        ("чайхана", "tea_house"),
        ("Bus Station", "bus_station"),
        ("автовокзал", "bus_station"),
        ("NIGHT CLUB", "nightclub"),
        ("Cinema", "cinema"),
        (None, UNKNOWN),
    ],
)
def test_venue_kinds(raw, expected) -> None:
    assert normalise_kind(pd.Series([raw], dtype=object)).tolist() == [expected]
