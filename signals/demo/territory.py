"""The demo territory: a fictional French intercommunality, its calendar and its publishers.

Everything is invented (names included) and fixed in ``data/demo.toml``, so the generated data is the same
on every machine. The names below are the ones the rest of the project reads.
"""

from __future__ import annotations

from datetime import date, timedelta

from signals.demo.specs import Commune, Council, Outlet, load_demo

_SPEC = load_demo()

TERRITORY_NAME: str = _SPEC.name
SEED: int = _SPEC.seed

# Weeks of history from FIRST_WEEK (a Monday) to LAST_DAY (a Sunday, the demo's "today").
FIRST_WEEK: date = _SPEC.first_week
WEEKS: int = _SPEC.weeks
LAST_DAY: date = FIRST_WEEK + timedelta(weeks=WEEKS) - timedelta(days=1)
# Monthly open-data series go back further than the press archive.
FIRST_MONTH: date = _SPEC.first_month
MONTHS: int = _SPEC.months

COMMUNES: tuple[Commune, ...] = _SPEC.communes
BY_SLUG: dict[str, Commune] = {c.slug: c for c in COMMUNES}
OUTLETS: tuple[Outlet, ...] = _SPEC.outlets
COUNCILS: tuple[Council, ...] = _SPEC.councils


def week_monday(index: int) -> date:
    return FIRST_WEEK + timedelta(weeks=index)


def month_start(index: int) -> date:
    year, month = divmod(FIRST_MONTH.month - 1 + index, 12)
    return date(FIRST_MONTH.year + year, month + 1, 1)
