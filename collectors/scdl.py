"""The SCDL « Délibérations » schema (OpenDataFrance, schema.data.gouv.fr, version 2.1.5): its columns,
which are required, and the constraint of each; one row checked against it.

Pure functions over a CSV row (a dict of cells), used by the ``scdl_deliberations`` spider.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urljoin

_TEXT, _DATE, _INT, _URI = "text", "date", "int", "uri"

# column -> (required, type, pattern); in the schema's order
COLUMNS: dict[str, tuple[bool, str, str | None]] = {
    "COLL_NOM": (True, _TEXT, None),
    "COLL_SIRET": (True, _TEXT, r"\d{14}"),
    "DELIB_ID": (True, _TEXT, None),
    "DELIB_DATE": (True, _DATE, None),
    "DELIB_MATIERE_CODE": (True, _TEXT, r"\d\.\d{1,2}"),
    "DELIB_MATIERE_NOM": (True, _TEXT, None),
    "DELIB_OBJET": (True, _TEXT, None),
    "BUDGET_ANNEE": (False, _TEXT, r"[0-9]{4}(/[0-9]{4})?"),
    "BUDGET_NOM": (False, _TEXT, None),
    "PREF_ID": (False, _TEXT, None),
    "PREF_DATE": (False, _DATE, None),
    "VOTE_EFFECTIF": (False, _INT, None),
    "VOTE_REEL": (False, _INT, None),
    "VOTE_POUR": (False, _INT, None),
    "VOTE_CONTRE": (False, _INT, None),
    "VOTE_ABSTENTION": (False, _INT, None),
    "DELIB_URL": (False, _URI, None),
}
REQUIRED = [name for name, (required, _, _) in COLUMNS.items() if required]
VOTES = {"VOTE_EFFECTIF": "effectif", "VOTE_REEL": "votants", "VOTE_POUR": "pour", "VOTE_CONTRE": "contre",
         "VOTE_ABSTENTION": "abstention"}  # fmt: skip


def missing_columns(header: list[str]) -> list[str]:
    """Required columns of the schema absent from a file's header.

    >>> missing_columns(["COLL_NOM", "DELIB_ID"])[:2]
    ['COLL_SIRET', 'DELIB_DATE']
    """
    present = {name.strip().upper() for name in header}
    return [name for name in REQUIRED if name not in present]


@dataclass
class Act:
    """A row that holds to the schema's required columns; ``problems``: optional cells that do not."""

    cells: dict[str, str]
    adopted: date
    votes: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def url(self, base: str) -> str | None:
        """The act's web address; a relative one (the schema wants a URI) is resolved against ``base``."""
        link = self.cells.get("DELIB_URL", "")
        if not link:
            return None
        url = urljoin(base, link)
        if url != link:
            self.problems.append(
                f"DELIB_URL {link[:60]!r} est relative : résolue par rapport à l'adresse du fichier"
            )
        return url if url.startswith(("http://", "https://")) else None


def _check(name: str, value: str) -> str | None:
    """Why a non-empty cell breaks its column's type or pattern (None when it holds)."""
    _, kind, pattern = COLUMNS[name]
    if pattern and not re.fullmatch(pattern, value):
        return f"{name} {value[:40]!r} ne suit pas le motif {pattern}"
    if kind == _DATE:
        try:
            date.fromisoformat(value)
        except ValueError:
            return f"{name} {value[:40]!r} n'est pas une date AAAA-MM-JJ"
    if kind == _INT and not re.fullmatch(r"\d+", value):
        return f"{name} {value[:40]!r} n'est pas un nombre entier"
    if kind == _URI and re.search(r"\s", value):
        return f"{name} {value[:60]!r} n'est pas une URI"
    return None


def read_act(row: dict[str, str]) -> tuple[Act | None, str]:
    """The act of a row, or None and the reason (the first required column that is empty or invalid).

    >>> row = {"COLL_NOM": "Commune de Fontclaire", "COLL_SIRET": "21000000000017", "DELIB_ID": "2025-012",
    ...        "DELIB_DATE": "2025-03-14", "DELIB_MATIERE_CODE": "8.4", "DELIB_MATIERE_NOM": "Urbanisme",
    ...        "DELIB_OBJET": "Plan local d'urbanisme", "VOTE_POUR": "21", "VOTE_CONTRE": "deux"}
    >>> act, _ = read_act(row)
    >>> act.adopted.isoformat(), act.votes, act.problems
    ('2025-03-14', {'pour': 21}, ["VOTE_CONTRE 'deux' n'est pas un nombre entier"])
    >>> read_act(row | {"COLL_SIRET": "2100"})[1]
    "COLL_SIRET '2100' ne suit pas le motif \\\\d{14}"
    """
    cells = {name.strip().upper(): (value or "").strip() for name, value in row.items() if name}
    for name in REQUIRED:
        if not cells.get(name):
            return None, f"la colonne obligatoire {name} est vide"
        problem = _check(name, cells[name])
        if problem:
            return None, problem
    act = Act(cells=cells, adopted=date.fromisoformat(cells["DELIB_DATE"]))
    for name, (required, _, _) in COLUMNS.items():
        if required or not cells.get(name):
            continue
        problem = _check(name, cells[name])
        if problem:
            act.problems.append(problem)
        elif name in VOTES:
            act.votes[VOTES[name]] = int(cells[name])
    return act, ""
