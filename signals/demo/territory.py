"""The demo territory: a fictional French intercommunality, its calendar and its publishers.

Everything here is invented (names included) and fixed, so the generated data is the same on every machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

TERRITORY_NAME = "Communauté d'agglomération du Val de Lirette"
SEED = 20261122

# 104 weeks of history: Monday 25 November 2024 to Sunday 22 November 2026 (the demo's "today").
FIRST_WEEK = date(2024, 11, 25)
WEEKS = 104
LAST_DAY = FIRST_WEEK + timedelta(weeks=WEEKS) - timedelta(days=1)
# Monthly open-data series go back further than the press archive: 48 complete months, to October 2026.
FIRST_MONTH = date(2022, 11, 1)
MONTHS = 48


@dataclass(frozen=True)
class Commune:
    name: str
    slug: str
    population: int
    tourism: float  # yearly tourism nights, thousands
    neighbours: tuple[str, ...]


COMMUNES: tuple[Commune, ...] = (
    Commune(
        "Lirac-sur-Lirette",
        "lirac-sur-lirette",
        41200,
        310,
        ("saint-aubin-des-pres", "beauvallon-sur-lirette", "fontclaire"),
    ),
    Commune(
        "Saint-Aubin-des-Prés",
        "saint-aubin-des-pres",
        12800,
        45,
        ("lirac-sur-lirette", "les-essarts-rouges", "montclar-le-haut"),
    ),
    Commune(
        "Beauvallon-sur-Lirette",
        "beauvallon-sur-lirette",
        9600,
        60,
        ("lirac-sur-lirette", "villefranche-de-lirette", "fontclaire"),
    ),
    Commune(
        "Villefranche-de-Lirette",
        "villefranche-de-lirette",
        8300,
        38,
        ("beauvallon-sur-lirette", "roquebrune-du-val", "sauveterre-la-vallee"),
    ),
    Commune(
        "Pradelles-les-Vignes",
        "pradelles-les-vignes",
        4100,
        150,
        ("roquebrune-du-val", "la-bastide-neuve", "montclar-le-haut"),
    ),
    Commune(
        "Montclar-le-Haut",
        "montclar-le-haut",
        3500,
        95,
        ("saint-aubin-des-pres", "pradelles-les-vignes", "saint-martin-des-combes"),
    ),
    Commune(
        "Les Essarts-Rouges",
        "les-essarts-rouges",
        6900,
        12,
        ("saint-aubin-des-pres", "saint-martin-des-combes", "fontclaire"),
    ),
    Commune(
        "Fontclaire",
        "fontclaire",
        7400,
        22,
        ("lirac-sur-lirette", "les-essarts-rouges", "beauvallon-sur-lirette"),
    ),
    Commune(
        "Roquebrune-du-Val",
        "roquebrune-du-val",
        2900,
        70,
        ("pradelles-les-vignes", "villefranche-de-lirette", "la-bastide-neuve"),
    ),
    Commune(
        "Saint-Martin-des-Combes",
        "saint-martin-des-combes",
        2300,
        18,
        ("montclar-le-haut", "les-essarts-rouges", "sauveterre-la-vallee"),
    ),
    Commune(
        "La Bastide-Neuve",
        "la-bastide-neuve",
        1800,
        40,
        ("pradelles-les-vignes", "roquebrune-du-val", "sauveterre-la-vallee"),
    ),
    Commune(
        "Sauveterre-la-Vallée",
        "sauveterre-la-vallee",
        2600,
        26,
        ("villefranche-de-lirette", "la-bastide-neuve", "saint-martin-des-combes"),
    ),
)
BY_SLUG = {c.slug: c for c in COMMUNES}


@dataclass(frozen=True)
class Outlet:
    """A local news outlet publishing a feed."""

    slug: str
    name: str
    feed_format: str  # rss | atom
    per_week: float
    follow_articles: bool  # the feed carries a lead only; the text is on the article page
    home_communes: tuple[str, ...]  # slugs covered more often (empty: the whole territory)


OUTLETS: tuple[Outlet, ...] = (
    Outlet("echo-du-val", "L'Écho du Val", "rss", 6.0, True, ()),
    Outlet(
        "gazette-de-lirac",
        "La Gazette de Lirac",
        "rss",
        4.0,
        False,
        ("lirac-sur-lirette", "saint-aubin-des-pres", "fontclaire", "beauvallon-sur-lirette"),
    ),
    Outlet(
        "radio-lirette",
        "Radio Lirette Info",
        "atom",
        3.0,
        False,
        ("pradelles-les-vignes", "montclar-le-haut", "roquebrune-du-val", "la-bastide-neuve"),
    ),
)

# Councils whose deliberations are published as a listing of PDF files.
COUNCILS: tuple[tuple[str, str], ...] = (
    ("agglomeration", "Conseil communautaire du Val de Lirette"),
    ("lirac-sur-lirette", "Conseil municipal de Lirac-sur-Lirette"),
    ("pradelles-les-vignes", "Conseil municipal de Pradelles-les-Vignes"),
    ("saint-aubin-des-pres", "Conseil municipal de Saint-Aubin-des-Prés"),
)


def week_monday(index: int) -> date:
    return FIRST_WEEK + timedelta(weeks=index)


def month_start(index: int) -> date:
    year, month = divmod(FIRST_MONTH.month - 1 + index, 12)
    return date(FIRST_MONTH.year + year, month + 1, 1)
