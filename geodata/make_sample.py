"""Make the bundled SYNTHETIC sample city (Turkestan, Kazakhstan) in ``geodata/``.

Nothing here is real police data: the venues, their names and every call for service are
invented by this script from a fixed seed. The geography is only loosely modelled on
Turkestan (centre about 43.297 N, 68.25 E; the Khoja Ahmed Yasawi mausoleum at about
43.3077 N, 68.2714 E); streets, parks and districts are plausible, not surveyed.

Run ``python geodata/make_sample.py [--out DIR]`` (default: the directory of this script).
It writes, byte for byte the same on every run (fixed seed, fixed float formatting, sorted
rows, no timestamps):

``boundary.geojson``  the study area (one polygon, EPSG:4326)
``venues.geojson``    catering venues and public spaces (venue_id, name, kind, lat, lon)
``venues.csv``        the same venues as a CSV
``calls.csv``         calls for service 2019-2021 as a police operations centre would
                      export them: id, datetime, type, place, lat, lon (Russian labels),
                      including a handful of defective rows (see README.md)
``basemap.pmtiles``   the city's SYNTHETIC streets, parks and squares as vector tiles
                      (Protomaps schema, zoom 10-16), so the app shows streets offline

The trends built in (and asserted by ``tests/test_sample.py``) are in :data:`BASE_2019` and
:data:`GROWTH`: thefts fall by 15 % a year, hooliganism in public places and at catering
venues rises by 20 % a year, about 400 calls are at cafés, and the calls at catering venues
are concentrated on a minority of "risky facilities" (log-normal venue risk).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import shapely

SEED = 43_297_068  # fixed: the sample must be reproducible byte for byte
LAT0, LON0 = 43.297, 68.25  # centre of the local metric frame
M_PER_DEG_LAT = 6_371_008.8 * math.pi / 180  # metres per degree of latitude
M_PER_DEG_LON = M_PER_DEG_LAT * math.cos(math.radians(LAT0))
YEARS = (2019, 2020, 2021)
DECIMALS = 6  # ~0.1 m: fixed float formatting of every coordinate

# Offense labels as the operations centre writes them (the `type` column).
OFFENSES = ("theft", "hooliganism", "fight", "public_order", "traffic", "other")
OFFENSE_RU = {
    "theft": "Кража",
    "hooliganism": "Хулиганство",
    "fight": "Драка",
    "public_order": "Нарушение общественного порядка",
    "traffic": "ДТП",
    "other": "Прочее",
}

# Premises (the `place` column) -> the venue kind they sit at (None: background).
CATERING_PREMISES = {"кафе": "cafe", "ресторан": "restaurant", "чайхана": "tea_house", "бар": "bar"}
PUBLIC_PREMISES = {
    "парк": "park",
    "рынок": "market",
    "площадь": "square",
    "автовокзал": "bus_station",
    "музей-заповедник": "landmark",
}

# Calls in 2019 per premise and offense (theft, hooliganism, fight, public_order, traffic,
# other); later years multiply by GROWTH ** (year - 2019) and round.
BASE_2019: dict[str, tuple[int, int, int, int, int, int]] = {
    "кафе": (22, 35, 28, 25, 0, 18),
    "ресторан": (12, 12, 12, 12, 0, 10),
    "чайхана": (8, 6, 6, 8, 0, 8),
    "бар": (3, 9, 11, 7, 0, 3),
    "парк": (25, 40, 20, 35, 0, 15),
    "рынок": (150, 15, 15, 20, 5, 20),
    "площадь": (20, 30, 12, 30, 0, 10),
    "автовокзал": (80, 12, 10, 15, 10, 15),
    "музей-заповедник": (20, 6, 3, 10, 0, 8),
    "улица": (250, 80, 90, 130, 420, 160),
    "жилой дом": (230, 60, 110, 150, 0, 250),
    "магазин": (90, 10, 8, 10, 0, 15),
}
_NIGHTLIFE_PLACES = set(CATERING_PREMISES) | set(PUBLIC_PREMISES)


def growth(premise: str, offense: str) -> float:
    """Yearly factor of the calls of ``offense`` at ``premise`` (1.0 = flat)."""
    if offense == "theft":
        return 0.85
    if offense == "hooliganism":
        if premise in _NIGHTLIFE_PLACES:
            return 1.20
        return 1.10 if premise == "улица" else 1.0
    return {"fight": 1.02, "public_order": 0.98, "traffic": 1.04}.get(offense, 1.0)


def yearly_count(premise: str, offense: str, year: int) -> int:
    """Calls of ``offense`` at ``premise`` in ``year`` (before the defects are added)."""
    base = BASE_2019[premise][OFFENSES.index(offense)]
    return int(round(base * growth(premise, offense) ** (year - YEARS[0])))


# Hour-of-day (0..23) and weekday (Mon..Sun) profiles, relative weights.
HOURS = {
    "nightlife": [3, 2, 1.5, 1, .5, .3, .3, .5, .8, 1, 1.2, 1.4, 1.6, 1.7, 1.8, 2, 2.3, 2.8, 3.6,
                  4.4, 5, 5.2, 4.8, 4],
    "late_night": [4.5, 3.5, 2.5, 1.5, .6, .2, .1, .1, .1, .2, .3, .5, .7, .9, 1, 1.2, 1.5, 2, 2.6,
                   3.4, 4.2, 5, 5.4, 5.2],
    "tea": [.4, .2, .1, .1, .1, .2, .6, 1.2, 1.8, 2, 2.2, 2.6, 3.2, 3.2, 2.8, 2.6, 2.8, 3.2, 3.8,
            4.2, 4, 3.2, 2, 1],
    "market": [.05, .05, .05, .05, .1, .3, 1, 3, 5, 6, 6.5, 6.5, 6, 5.5, 5, 4, 2.5, 1, .3, .1,
               .05, .05, .05, .05],
    "bus": [.3, .2, .2, .3, .6, 1.5, 3, 4, 4.2, 4, 3.8, 3.8, 3.8, 3.8, 3.8, 4, 4.2, 4, 3.5, 2.8,
            2, 1.5, 1, .6],
    "tourist": [.1, .05, .05, .05, .05, .1, .3, .8, 2, 3.5, 4.5, 5, 5, 5, 5, 5, 4.8, 4.5, 4, 3.5,
                2.5, 1.5, .6, .2],
    "theft_day": [.3, .2, .15, .1, .1, .2, .6, 1.2, 2.2, 3, 3.4, 3.6, 3.8, 3.8, 3.6, 3.4, 3.2, 3,
                  2.6, 2, 1.4, 1, .7, .4],
    "traffic": [.4, .3, .2, .2, .3, .6, 1.5, 3.5, 4.5, 3.2, 2.5, 2.5, 2.8, 2.8, 2.6, 2.8, 3.4,
                4.5, 4.8, 3.8, 2.6, 1.8, 1.2, .7],
    "domestic": [1.5, 1, .6, .4, .3, .3, .5, .9, 1.2, 1.3, 1.4, 1.5, 1.6, 1.6, 1.7, 1.9, 2.2,
                 2.6, 3.2, 3.8, 4.2, 4, 3.2, 2.3],
    "general": [.6, .4, .3, .3, .3, .5, 1, 1.8, 2.6, 3, 3.1, 3.1, 3, 3, 3, 3, 3, 3, 2.8, 2.6, 2.2,
                1.8, 1.3, .9],
}  # fmt: skip
WEEKDAYS = {
    "nightlife": [0.8, 0.8, 0.85, 0.95, 1.35, 1.55, 1.1],
    "late_night": [0.6, 0.6, 0.7, 0.9, 1.6, 1.9, 0.9],
    "tea": [0.95, 0.95, 0.95, 1, 1.1, 1.15, 1.1],
    "market": [1, 0.95, 1, 1, 1.05, 1.3, 1.35],
    "bus": [1.05, 1, 1, 1, 1.15, 1.05, 1.2],
    "tourist": [0.85, 0.8, 0.85, 0.9, 1.1, 1.4, 1.4],
    "theft_day": [1, 1, 1, 1, 1.05, 1.1, 1],
    "traffic": [1.1, 1.1, 1.1, 1.1, 1.15, 0.85, 0.7],
    "domestic": [0.9, 0.9, 0.9, 0.95, 1.1, 1.25, 1.2],
    "general": [1, 1, 1, 1, 1, 1, 1],
}
# How much summer (July) weighs against winter (January): nightlife and tourists peak in summer.
SEASONALITY = {"nightlife": 0.25, "late_night": 0.25, "tea": 0.15, "tourist": 0.4, "bus": 0.15}


def profile(premise: str, offense: str) -> str:
    """Name of the hour/weekday profile of ``offense`` at ``premise``."""
    fixed = {"рынок": "market", "автовокзал": "bus", "музей-заповедник": "tourist"}
    if premise in fixed:
        return fixed[premise]
    if premise == "бар":
        return "late_night"
    if premise == "чайхана":
        return "tea"
    if offense == "theft":
        return "nightlife" if premise in CATERING_PREMISES else "theft_day"
    if premise in CATERING_PREMISES:
        return "nightlife"
    if premise == "жилой дом":
        return "domestic"
    if premise == "магазин":
        return "general"
    if offense == "traffic":
        return "traffic"
    if offense == "other":
        return "general"
    return "nightlife"  # hooliganism, fights, public order in streets, parks and squares


# ---------------------------------------------------------------------------------------
# Geography, in metres east (x) and north (y) of (LAT0, LON0)


def to_latlon(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local metres -> WGS84 degrees (equirectangular: exact enough over 10 km)."""
    return LAT0 + np.asarray(y) / M_PER_DEG_LAT, LON0 + np.asarray(x) / M_PER_DEG_LON


def to_xy(lat: float, lon: float) -> tuple[float, float]:
    """WGS84 degrees -> local metres."""
    return (lon - LON0) * M_PER_DEG_LON, (lat - LAT0) * M_PER_DEG_LAT


MAUSOLEUM_XY = to_xy(43.3077, 68.2714)

# Main streets as polylines (metres); names only for the README.
STREETS: dict[str, list[tuple[float, float]]] = {
    "пр. Тауке хана": [(-3400, -350), (-1500, -150), (0, 0), (1400, 700), (2600, 1300)],
    "ул. Бекзата Саттарханова": [(-300, -3300), (-100, -1500), (0, 0), (150, 1600),
                                 (300, 3300)],
    "ул. Есим хана": [(-3000, -1700), (0, -1600), (2800, -1500)],
    "ул. Кожанова": [(1700, -3000), (1750, -1500), (1800, 0), (1700, 1100)],
    "ул. Абылай хана": [(-2600, 1800), (-500, 1500), (1500, 1900), (2800, 2600)],
}  # fmt: skip

# Public spaces: name, kind, centre (metres), radius of the area calls fall in (metres),
# relative weight among spaces of the same kind.
PUBLIC_SPACES: list[tuple[str, str, tuple[float, float], float, float]] = [
    ("Центральная площадь", "square", (60.0, 90.0), 90.0, 1.0),
    ("Парк Независимости", "park", (520.0, -430.0), 220.0, 0.4),
    ("Парк имени Абая", "park", (-1300.0, 650.0), 160.0, 0.25),
    ("Парк Жастар", "park", (2300.0, 600.0), 180.0, 0.2),
    ("Сквер Ордабасы", "park", (-900.0, -2000.0), 140.0, 0.15),
    ("Центральный рынок", "market", (-700.0, -600.0), 130.0, 1.0),
    ("Автовокзал Туркестан", "bus_station", (-1600.0, -230.0), 70.0, 1.0),
    ("Мавзолей Ходжи Ахмеда Ясави", "landmark", MAUSOLEUM_XY, 200.0, 1.0),
]

# Residential micro-districts: centre (metres), spread (metres), weight.
DISTRICTS = [
    ((-2200.0, -800.0), 600.0, 1.2),
    ((-1800.0, 1400.0), 550.0, 1.0),
    ((-600.0, 2400.0), 500.0, 0.8),
    ((1000.0, -1900.0), 600.0, 1.1),
    ((-1500.0, -2500.0), 500.0, 0.9),
    ((2600.0, -600.0), 500.0, 0.8),
    ((800.0, 2800.0), 450.0, 0.6),
    ((-300.0, -800.0), 500.0, 1.0),
]


def make_boundary(rng: np.random.Generator) -> shapely.Polygon:
    """A plausible, irregular city outline of roughly 8 x 8 km around the centre."""
    theta = np.linspace(0, 2 * np.pi, 56, endpoint=False)
    r = (
        3700
        + 380 * np.sin(2 * theta + 0.6)
        + 260 * np.cos(3 * theta - 0.4)
        + 160 * np.sin(5 * theta + 1.1)
        + rng.normal(0, 70, theta.size)
    )
    x, y = r * np.cos(theta), r * np.sin(theta)
    return shapely.Polygon(np.column_stack([np.round(x, 1), np.round(y, 1)]))


def _rejection(
    rng: np.random.Generator,
    n: int,
    draw: Callable[[np.random.Generator, int], tuple[np.ndarray, np.ndarray]],
    area: shapely.Polygon,
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points from ``draw`` that lie inside ``area`` (resampling the rest)."""
    xs, ys, have = [], [], 0
    while have < n:
        x, y = draw(rng, max(2 * (n - have), 16))
        keep = shapely.contains_xy(area, x, y)
        xs.append(x[keep])
        ys.append(y[keep])
        have += int(keep.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def _along_streets(
    rng: np.random.Generator, n: int, offset_sd: float, offset_min: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Points along the main streets (uniform by length), offset sideways by ~``offset_sd`` m."""
    segs = [
        (np.array(a, float), np.array(b, float))
        for line in STREETS.values()
        for a, b in zip(line[:-1], line[1:], strict=True)
    ]
    starts = np.array([a for a, _ in segs])
    vecs = np.array([b - a for a, b in segs])
    lengths = np.hypot(vecs[:, 0], vecs[:, 1])
    seg = rng.choice(len(segs), size=n, p=lengths / lengths.sum())
    t = rng.random(n)
    unit = vecs[seg] / lengths[seg, None]
    normal = np.column_stack([-unit[:, 1], unit[:, 0]])
    side = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    off = side * (offset_min + np.abs(rng.normal(0, offset_sd, n)))
    p = starts[seg] + t[:, None] * vecs[seg] + off[:, None] * normal
    return p[:, 0], p[:, 1]


def _districts(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Residential density: micro-districts (80 %) over a uniform background (20 %)."""
    w = np.array([d[2] for d in DISTRICTS])
    k = rng.choice(len(DISTRICTS), size=n, p=w / w.sum())
    centres = np.array([d[0] for d in DISTRICTS])[k]
    sd = np.array([d[1] for d in DISTRICTS])[k]
    x = centres[:, 0] + rng.normal(0, 1, n) * sd
    y = centres[:, 1] + rng.normal(0, 1, n) * sd
    flat = rng.random(n) < 0.2
    x[flat] = rng.uniform(-4500, 4500, int(flat.sum()))
    y[flat] = rng.uniform(-4500, 4500, int(flat.sum()))
    return x, y


def _disk(rng: np.random.Generator, n: int, centre: Sequence[float], radius: float):
    """Uniform points in a disk."""
    r = radius * np.sqrt(rng.random(n))
    a = rng.uniform(0, 2 * np.pi, n)
    return centre[0] + r * np.cos(a), centre[1] + r * np.sin(a)


# ---------------------------------------------------------------------------------------
# Venues

CYRILLIC_BASES = """Айгерим Самал Алтын-Орда Достык Жулдыз Нур Туран Мерей Бахыт Арман Шолпан Сауле
Акмарал Баян-Сулу Асем Камила Мадина Дана Томирис Шанырак Береке Ырыс Думан Акбота Алия Жансая
Саякат Керуен Сырдария Каратау Отырар Сауран Ясы Ордабасы Кокжиек Ак-Сарай Шахристан Бибихан
Гаухар Сарыарка Тулпар Барыс Казына Акжол Бирлик Ынтымак Мейрам Азия Восток Юность Встреча Уют
Караван Фаворит Ностальжи Шафран Изюм Бәйтерек Құлагер Ақ-Орда Көктем Дәмді Сәтті Өркен Үміт
Іңкәр Әсем Қазына Жібек Ләззат Нұр-Ай Дастархан Тандыр Самса Баурсак Хан-Тенгри Жеті-Қазына
Арай Аружан Болашак Жайлау Жетысу Мирас Нурлан Парасат Рахат Сымбат Тамаша Улагат Шугыла""".split()
LATIN_BASES = """Turkistan Yassawi Silk-Way Caravan Sultan Nomad Baraka Oasis Navat Samarkand
Bukhara Rahat Dastarkhan Tandyr Orda Sauran Otyrar Sunrise Central Aroma Friends Smile Hollywood
Paris Venezia Istanbul Ankara Aspan Qazyna Keruen Altyn Tumar Dala Shanyraq Baiterek Kokpar Alem
Ulytau Zhuldyz Arman Sezim Ayala Kumis Saryarka Khan Legacy Panorama Garden Terrace Lounge
Premium Classic Royal Family Vintage Bamboo Olive Mango Cherry Amir Timur Yasy""".split()

TEMPLATES = {
    "cafe": (["Кафе {b}", "Кафе-бар {b}"], ["Cafe {b}", "{b} Cafe", "Coffee {b}"]),
    "restaurant": (["Ресторан {b}", "Банкетный зал {b}"], ["Restaurant {b}", "{b} Restaurant"]),
    "tea_house": (["Чайхана {b}", "Шайхана {b}"], ["Chaikhana {b}"]),
    "bar": (["Бар {b}", "Караоке-бар {b}"], ["{b} Bar", "{b} Pub"]),
}
CATERING_COUNTS = {"cafe": 110, "restaurant": 45, "tea_house": 35, "bar": 10}
# Names fixed on purpose: the examples of the brief, an apostrophe and quotes (escaping).
FIXED_NAMES = {
    "cafe": ["Кафе Айгерим", "Alibek's Coffee", 'Кафе "Жібек жолы"'],
    "restaurant": ["Restaurant Turkistan", "Ресторан «Ордабасы»"],
    "tea_house": ["Шайхана Самал"],
}


def _names(rng: np.random.Generator, kind: str, n: int, used: set[str]) -> list[str]:
    """``n`` plausible unique venue names of ``kind`` (about two thirds in Cyrillic)."""
    names = [nm for nm in FIXED_NAMES.get(kind, []) if nm not in used][:n]
    used.update(names)
    cyr, lat = TEMPLATES[kind]
    while len(names) < n:
        if rng.random() < 0.65:
            tpl, base = (
                cyr[rng.integers(len(cyr))],
                CYRILLIC_BASES[rng.integers(len(CYRILLIC_BASES))],
            )
        else:
            tpl, base = lat[rng.integers(len(lat))], LATIN_BASES[rng.integers(len(LATIN_BASES))]
        name = tpl.format(b=base.replace("-", " "))
        if name not in used:
            used.add(name)
            names.append(name)
    return names


def make_venues(rng: np.random.Generator, area: shapely.Polygon) -> dict[str, np.ndarray]:
    """Catering venues (centre, main streets, near the mausoleum, scattered) + public spaces.

    Returns columns: venue_id, name, kind, x, y, risk (relative call rate; 0 for public
    spaces, whose calls are drawn by area instead).
    """
    n = sum(CATERING_COUNTS.values())
    centre = (200.0, 250.0)  # the old centre between the square and the mausoleum

    def draw(g: np.random.Generator, m: int) -> tuple[np.ndarray, np.ndarray]:
        x, y = np.empty(m), np.empty(m)
        part = g.choice(4, size=m, p=[0.38, 0.40, 0.10, 0.12])
        i = part == 0
        x[i], y[i] = centre[0] + g.normal(0, 650, i.sum()), centre[1] + g.normal(0, 650, i.sum())
        i = part == 1
        x[i], y[i] = _along_streets(g, int(i.sum()), offset_sd=8.0, offset_min=22.0)
        i = part == 2
        x[i], y[i] = _disk(g, int(i.sum()), MAUSOLEUM_XY, 500.0)
        i = part == 3
        x[i], y[i] = _districts(g, int(i.sum()))
        return x, y

    # keep venues at least 60 m apart (and from the public spaces' centres), so that a call
    # within 25 m of a venue is unambiguously its call
    min_gap = 60.0
    px = np.array([p[2][0] for p in PUBLIC_SPACES])
    py = np.array([p[2][1] for p in PUBLIC_SPACES])
    xs: list[float] = []
    ys: list[float] = []
    while len(xs) < n:
        cx, cy = _rejection(rng, 64, draw, area)
        for x, y in zip(cx, cy, strict=True):
            ax, ay = np.array(xs + px.tolist()), np.array(ys + py.tolist())
            if np.min(np.hypot(ax - x, ay - y)) >= min_gap and len(xs) < n:
                xs.append(float(x))
                ys.append(float(y))

    kinds = np.repeat(list(CATERING_COUNTS), list(CATERING_COUNTS.values()))
    kinds = kinds[rng.permutation(n)]
    used: set[str] = set()
    names = np.empty(n, dtype=object)
    for kind in CATERING_COUNTS:
        idx = np.flatnonzero(kinds == kind)
        names[idx] = _names(rng, kind, idx.size, used)

    # risky facilities: a log-normal call rate, so that a few venues take most calls
    risk = rng.lognormal(0.0, 1.5, n)
    # the names that exercise escaping should show up near the top of any venue ranking
    top = np.sort(risk)[::-1]
    for name, rank in (("Alibek's Coffee", 1), ('Кафе "Жібек жолы"', 4)):
        i = int(np.flatnonzero(names == name)[0])
        risk[i] = top[rank] * 1.01

    pub_names = [p[0] for p in PUBLIC_SPACES]
    return {
        "venue_id": np.array([f"V{i + 1:03d}" for i in range(n + len(PUBLIC_SPACES))]),
        "name": np.concatenate([names, np.array(pub_names, dtype=object)]),
        "kind": np.concatenate([kinds, np.array([p[1] for p in PUBLIC_SPACES])]),
        "x": np.concatenate([np.array(xs), px]),
        "y": np.concatenate([np.array(ys), py]),
        "risk": np.concatenate([risk, np.zeros(len(PUBLIC_SPACES))]),
    }


# ---------------------------------------------------------------------------------------
# Calls


def _background_points(rng: np.random.Generator, area: shapely.Polygon) -> dict[str, tuple]:
    """Fixed address points for the background premises: homes, shops, street intersections."""
    homes = _rejection(rng, 1800, _districts, area)
    home_w = rng.gamma(0.6, 1.0, 1800)  # a few problem households call again and again

    def shops_draw(g: np.random.Generator, m: int) -> tuple[np.ndarray, np.ndarray]:
        x, y = _along_streets(g, m, offset_sd=5.0, offset_min=20.0)
        near_market = g.random(m) < 0.35
        mx, my = _disk(g, int(near_market.sum()), PUBLIC_SPACES[5][2], 450.0)
        x[near_market], y[near_market] = mx, my
        return x, y

    shops = _rejection(rng, 90, shops_draw, area)
    shop_w = rng.gamma(1.0, 1.0, 90)
    lines = [shapely.LineString(v) for v in STREETS.values()]
    crossings = []
    for i in range(len(lines)):
        for j in range(i + 1, len(lines)):
            for p in shapely.get_parts(lines[i].intersection(lines[j])):
                if isinstance(p, shapely.Point) and not p.is_empty:
                    crossings.append((round(p.x, 1), round(p.y, 1)))
    crossings = sorted(set(crossings))
    return {"homes": (*homes, home_w), "shops": (*shops, shop_w), "crossings": crossings}


def _locate(
    rng: np.random.Generator,
    premise: str,
    offense: str,
    n: int,
    venues: dict[str, np.ndarray],
    bg: dict[str, tuple],
    area: shapely.Polygon,
) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates (metres) of ``n`` calls of ``offense`` at ``premise``."""
    if premise in CATERING_PREMISES:
        idx = np.flatnonzero(venues["kind"] == CATERING_PREMISES[premise])
        w = venues["risk"][idx]
        pick = idx[rng.choice(idx.size, size=n, p=w / w.sum())]
        # half geocoded to the venue's address, half from the caller's / patrol's position
        r = np.where(rng.random(n) < 0.5, 0.0, np.minimum(np.abs(rng.normal(0, 10, n)), 25.0))
        a = rng.uniform(0, 2 * np.pi, n)
        return venues["x"][pick] + r * np.cos(a), venues["y"][pick] + r * np.sin(a)
    if premise in PUBLIC_PREMISES:
        spaces = [p for p in PUBLIC_SPACES if p[1] == PUBLIC_PREMISES[premise]]
        w = np.array([p[4] for p in spaces])
        k = rng.choice(len(spaces), size=n, p=w / w.sum())
        x, y = np.empty(n), np.empty(n)
        for j, (_, _, c, radius, _) in enumerate(spaces):
            m = k == j
            x[m], y[m] = _disk(rng, int(m.sum()), c, radius)
        return x, y
    if premise in ("жилой дом", "магазин"):
        hx, hy, hw = bg["homes" if premise == "жилой дом" else "shops"]
        pick = rng.choice(hx.size, size=n, p=hw / hw.sum())
        return hx[pick], hy[pick]

    # streets: main streets, side streets (a 200 m grid) and, for traffic, the crossings
    def street_draw(g: np.random.Generator, m: int) -> tuple[np.ndarray, np.ndarray]:
        x, y = _along_streets(g, m, offset_sd=6.0)
        side = g.random(m) < 0.5
        sx, sy = _districts(g, int(side.sum()))
        snap_x = g.random(int(side.sum())) < 0.5
        sx = np.where(snap_x, np.round(sx / 200) * 200 + g.normal(0, 4, sx.size), sx)
        sy = np.where(~snap_x, np.round(sy / 200) * 200 + g.normal(0, 4, sy.size), sy)
        x[side], y[side] = sx, sy
        return x, y

    x, y = _rejection(rng, n, street_draw, area)
    if offense == "traffic":
        cross = np.array(bg["crossings"])
        at = np.flatnonzero(rng.random(n) < 0.4)
        c = cross[rng.integers(len(cross), size=at.size)]
        cx, cy = _disk(rng, at.size, (0.0, 0.0), 35.0)
        x[at], y[at] = c[:, 0] + cx, c[:, 1] + cy
    return x, y


def _times(rng: np.random.Generator, prof: str, year: int, n: int) -> np.ndarray:
    """``n`` call times (datetime64[m]) in ``year`` following the hour/weekday profile."""
    days = np.arange(f"{year}-01-01", f"{year + 1}-01-01", dtype="datetime64[D]")
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    doy = np.arange(days.size)
    season = 1 + SEASONALITY.get(prof, 0.0) * np.cos(2 * np.pi * (doy - 196) / days.size)
    w = np.array(WEEKDAYS[prof])[weekday] * season
    day = days[rng.choice(days.size, size=n, p=w / w.sum())]
    hw = np.array(HOURS[prof], dtype=float)
    hour = rng.choice(24, size=n, p=hw / hw.sum())
    minute = rng.integers(0, 60, size=n)
    return day.astype("datetime64[m]") + (hour * 60 + minute).astype("timedelta64[m]")


def make_calls(
    rng: np.random.Generator, venues: dict[str, np.ndarray], area: shapely.Polygon
) -> list[dict[str, str]]:
    """All clean calls, sorted by time, with sequential ids (as the export would number them)."""
    bg = _background_points(rng, area)
    parts = []
    for year in YEARS:
        for premise in BASE_2019:
            for offense in OFFENSES:
                n = yearly_count(premise, offense, year)
                if n == 0:
                    continue
                x, y = _locate(rng, premise, offense, n, venues, bg, area)
                t = _times(rng, profile(premise, offense), year, n)
                lat, lon = to_latlon(x, y)
                parts.append((t, np.full(n, OFFENSE_RU[offense]), np.full(n, premise), lat, lon))
    t = np.concatenate([p[0] for p in parts])
    typ = np.concatenate([p[1] for p in parts])
    place = np.concatenate([p[2] for p in parts])
    lat = np.round(np.concatenate([p[3] for p in parts]), DECIMALS)
    lon = np.round(np.concatenate([p[4] for p in parts]), DECIMALS)
    order = np.lexsort((lon, lat, place, typ, t))  # last key first: time, then ties
    return [
        {
            "id": str(100001 + k),
            "datetime": str(t[i]).replace("T", " "),
            "type": str(typ[i]),
            "place": str(place[i]),
            "lat": f"{lat[i]:.{DECIMALS}f}",
            "lon": f"{lon[i]:.{DECIMALS}f}",
        }
        for k, i in enumerate(order)
    ]


# The defective rows built in, in order: (defect, how the row is changed). README.md lists
# the validation counts they should produce.
DEFECTS = (
    "empty_coordinates",  # lat and lon both empty
    "empty_lat",  # lat empty, lon present
    "unparseable_lat",  # a Cyrillic "о" typed for a zero
    "zero_zero",  # the (0, 0) placeholder
    "zero_zero",
    "out_of_range",  # decimal point lost: lat 4329.xxxx
    "swapped",  # lat and lon exchanged
    "bad_date",  # 30 February
    "outside",  # a suburb beyond the city limits
    "outside",
)
OUTSIDE_LATLON = ((43.3362, 68.3196), (43.2480, 68.1790))  # checked outside the boundary


def add_defects(rng: np.random.Generator, rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Damage a few background rows (streets, homes) in place and add one duplicate row."""
    candidates = [i for i, r in enumerate(rows) if r["place"] in ("улица", "жилой дом")]
    picked = rng.choice(candidates, size=len(DEFECTS) + 1, replace=False)
    outside = iter(OUTSIDE_LATLON)
    for i, defect in zip(sorted(picked[:-1]), DEFECTS, strict=True):
        r = rows[i]
        if defect == "empty_coordinates":
            r["lat"] = r["lon"] = ""
        elif defect == "empty_lat":
            r["lat"] = ""
        elif defect == "unparseable_lat":
            r["lat"] = r["lat"][:4] + "о" + r["lat"][5:]
        elif defect == "zero_zero":
            r["lat"] = r["lon"] = "0"
        elif defect == "out_of_range":
            r["lat"] = f"{float(r['lat']) * 100:.4f}"
        elif defect == "swapped":
            r["lat"], r["lon"] = r["lon"], r["lat"]
        elif defect == "bad_date":
            r["datetime"] = f"{r['datetime'][:4]}-02-30 {r['datetime'][11:]}"
        elif defect == "outside":
            la, lo = next(outside)
            r["lat"], r["lon"] = f"{la:.{DECIMALS}f}", f"{lo:.{DECIMALS}f}"
    dup = int(picked[-1])  # the export repeats one call (same id, same content)
    return rows[: dup + 1] + [dict(rows[dup])] + rows[dup + 1 :]


# ---------------------------------------------------------------------------------------
# Writers (fixed formatting, "\n" line ends, no timestamps)


def _num(v: float) -> float:
    return round(float(v), DECIMALS)


def _geojson(name: str, features: list[dict]) -> str:
    """A FeatureCollection with one feature per line (stable, diff-friendly)."""
    lines = [json.dumps(f, ensure_ascii=False, separators=(", ", ": ")) for f in features]
    head = f'{{"type": "FeatureCollection", "name": "{name}", "features": [\n'
    return head + ",\n".join(lines) + "\n]}\n"


def boundary_text(area: shapely.Polygon) -> str:
    """The study area as GeoJSON (exterior ring closed, counter-clockwise, lon/lat)."""
    xy = np.asarray(shapely.orient_polygons(area).exterior.coords)
    lat, lon = to_latlon(xy[:, 0], xy[:, 1])
    ring = [[_num(a), _num(b)] for a, b in zip(lon, lat, strict=True)]
    feature = {
        "type": "Feature",
        "properties": {"name": "Туркестан (SYNTHETIC study area)", "synthetic": True},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    return _geojson("boundary", [feature])


def venue_records(venues: dict[str, np.ndarray]) -> list[dict]:
    """Venue rows (id order) with rounded lat/lon."""
    lat, lon = to_latlon(venues["x"], venues["y"])
    return [
        {
            "venue_id": str(venues["venue_id"][i]),
            "name": str(venues["name"][i]),
            "kind": str(venues["kind"][i]),
            "lat": _num(lat[i]),
            "lon": _num(lon[i]),
        }
        for i in range(lat.size)
    ]


def venues_geojson_text(records: list[dict]) -> str:
    features = [
        {
            "type": "Feature",
            "properties": r,
            "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
        }
        for r in records
    ]
    return _geojson("venues", features)


def csv_text(rows: list[dict], fields: Sequence[str]) -> str:
    """CSV with a header, minimal quoting, "\n" line ends; floats with 6 decimals."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(fields), lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: f"{v:.{DECIMALS}f}" if isinstance(v, float) else v for k, v in r.items()})
    return buf.getvalue()


# ---------------------------------------------------------------------------------------
# Basemap: the synthetic streets (no random numbers: the other files do not change)

#: Street names of the minor grid (west-east streets, then south-north ones).
MINOR_NAMES = """Айтеке би|Толе би|Казыбек би|Жамбыла|Абая|Сейфуллина|Ауэзова|Момышулы|
Байтурсынова|Жансугурова|Майлина|Муканова|Мусрепова|Сатпаева|Туркестанская|Сауранская|
Отырарская|Карнак|Иассы|Шаяхметова|Желтоксан|Достык|Бирлик|Арыстан баба|Кожа Ахмета|Дулати|
Аль-Фараби|Навои|Махамбета|Исатая|Райымбека|Каратау|Сырдарьинская|Шымкентская""".replace(
    "\n", ""
).split("|")
#: Spacing of the minor street grid, metres; its rotation, degrees.
GRID_SPACING, GRID_ANGLE = 240.0, 9.0


def make_streets(area: shapely.Polygon) -> dict[str, list[tuple[shapely.Geometry, dict]]]:
    """The basemap's features in local metres, by layer of the Protomaps schema.

    Main streets are :data:`STREETS` (the venues "along the main streets" stand 22 m or more
    from their centre lines); a rotated grid of minor streets every :data:`GRID_SPACING` m
    covers the rest of the study area, so every address is within 120 m of a street; parks,
    the square and the market are the :data:`PUBLIC_SPACES` areas.
    """
    reach = area.buffer(400.0)
    a = math.radians(GRID_ANGLE)
    ux, uy = np.array([math.cos(a), math.sin(a)]), np.array([-math.sin(a), math.cos(a)])
    roads: list[tuple[shapely.Geometry, dict]] = []
    offsets = np.arange(-4800.0, 4800.0 + 1, GRID_SPACING)
    names = iter(MINOR_NAMES * 2)
    for direction, normal, label in ((ux, uy, "ул."), (uy, ux, "пер.")):
        for k, off in enumerate(offsets):
            p0, p1 = normal * off - direction * 5200, normal * off + direction * 5200
            line = shapely.LineString([p0, p1]).intersection(reach)
            if line.is_empty or line.length < 300:
                continue
            name = f"{label} {next(names)}" if k % 2 == 0 else ""
            roads.append((line, {"kind": "minor_road", "name": name} if name else
                          {"kind": "minor_road"}))
    for name, coords in STREETS.items():
        roads.append((shapely.LineString(coords), {"kind": "major_road", "name": name}))
    landuse = []
    for name, kind, centre, radius, _ in PUBLIC_SPACES:
        schema_kind = {"square": "pedestrian", "park": "park", "market": "pedestrian"}.get(kind)
        if schema_kind:
            shape = shapely.Point(centre).buffer(radius * 0.8, quad_segs=8)
            landuse.append((shape, {"kind": schema_kind, "name": name}))
    earth = [(shapely.box(*reach.buffer(12_000.0).bounds), {"kind": "earth"})]
    places = [(shapely.Point(0.0, 0.0), {"kind": "locality", "name": "Туркестан",
                                          "min_zoom": 5, "population_rank": 10})]
    return {"earth": earth, "landuse": landuse, "roads": roads, "places": places}


def basemap_bytes(area: shapely.Polygon) -> bytes:
    """The SYNTHETIC streets as a PMTiles archive of vector tiles (zoom 10-16)."""
    import tempfile

    import geopandas as gpd

    from hotspots.basemap.write import write_vector_pmtiles

    def to_wgs84(coords: np.ndarray) -> np.ndarray:
        lat, lon = to_latlon(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    layers = {}
    for layer, features in make_streets(area).items():
        geoms = shapely.transform(np.array([g for g, _ in features], dtype=object), to_wgs84)
        props = [p for _, p in features]
        layers[layer] = gpd.GeoDataFrame(props, geometry=list(geoms), crs=4326)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_vector_pmtiles(
            layers,
            Path(tmp) / "basemap.pmtiles",
            min_zoom=10,
            max_zoom=16,
            name="Туркестан (SYNTHETIC sample streets)",
            attribution="Synthetic streets of the hotspots sample city (not a survey)",
            description="Invented by geodata/make_sample.py; Protomaps basemap schema",
        )
        return path.read_bytes()


def build() -> dict[str, str | bytes]:
    """Every file of the sample: name -> text (bytes for the basemap)."""
    seeds = np.random.SeedSequence(SEED).spawn(4)  # one stream per part: independent changes
    rng_area, rng_venues, rng_calls, rng_defects = (np.random.default_rng(s) for s in seeds)
    area = make_boundary(rng_area)
    venues = make_venues(rng_venues, area)
    calls = add_defects(rng_defects, make_calls(rng_calls, venues, area))
    records = venue_records(venues)
    return {
        "boundary.geojson": boundary_text(area),
        "venues.geojson": venues_geojson_text(records),
        "venues.csv": csv_text(records, ["venue_id", "name", "kind", "lat", "lon"]),
        "calls.csv": csv_text(calls, ["id", "datetime", "type", "place", "lat", "lon"]),
        "basemap.pmtiles": basemap_bytes(area),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Make the SYNTHETIC Turkestan sample city.")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent, help="output directory"
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, content in build().items():
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (args.out / name).write_bytes(data)
        print(f"wrote {args.out / name}")


if __name__ == "__main__":
    main()
