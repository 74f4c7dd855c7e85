"""Values written the French way, as cells of tables and files show them: folded words, numbers, periods.

Pure functions shared by the collectors (open-data tables) and the importer (CSV observations).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

MISSING = {"", "na", "n/a", "nd", "n.d.", "nc", "n.c.", "s", "secret", "-", "--", "null", "none", "nan", "…"}

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "’": "'"})
_WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Lowercase ASCII words separated by single spaces: accents, case, hyphens and apostrophes ignored.

    >>> fold("Saint-Aubin-des-Prés, l’Étang, Œuvre")
    'saint aubin des pres l etang oeuvre'
    """
    ascii_text = unicodedata.normalize("NFKD", text.translate(_LIGATURES)).encode("ascii", "ignore").decode()
    return " ".join(_WORD.findall(ascii_text.casefold()))


def slug(text: str, max_length: int = 120) -> str:
    """Identifier-safe form of a name (the one slug of the project: series keys, signal keys, file names).

    >>> slug("Saint-Aubin-des-Prés"), slug("Cœur de ville"), slug("l’Étang"), slug("?!"), slug("a b c", 2)
    ('saint-aubin-des-pres', 'coeur-de-ville', 'l-etang', '', 'a-')
    """
    return fold(text).replace(" ", "-")[:max_length]


_THOUSANDS_DOT = re.compile(r"^-?\d{1,3}(\.\d{3})+$")


def parse_number(text: str, decimal: str = ",") -> float | None:
    """A number written the French way (or not); None for a missing value marker ("", "NA", "s"...).

    >>> parse_number("1 234,5"), parse_number("1\\u202f234,5"), parse_number("1.234"), parse_number("12.5")
    (1234.5, 1234.5, 1234.0, 12.5)
    >>> parse_number("1,234.5", decimal="."), parse_number("s"), parse_number("12 %")
    (1234.5, None, 12.0)
    """
    value = text.strip()
    if value.casefold() in MISSING:
        return None
    value = re.sub(r"[\s\u00a0\u202f'%€]", "", value)
    if decimal == ",":
        if "," in value:
            value = value.replace(".", "").replace(",", ".")
        elif _THOUSANDS_DOT.match(value):
            value = value.replace(".", "")
    else:
        value = value.replace(",", "")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{text!r} n'est pas un nombre") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"{text!r} n'est pas un nombre fini")
    return number


_MONTHS_FR = {
    "janv": 1, "janvier": 1, "fev": 2, "fevr": 2, "fevrier": 2, "mars": 3, "avr": 4, "avril": 4, "mai": 5,
    "juin": 6, "juil": 7, "juillet": 7, "aout": 8, "sept": 9, "septembre": 9, "oct": 10, "octobre": 10,
    "nov": 11, "novembre": 11, "dec": 12, "decembre": 12,
}  # fmt: skip
_PERIOD_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})"), "ymd"),
    (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$"), "dmy"),
    (re.compile(r"^(\d{4})[-/.]?(\d{2})$"), "ym"),
    (re.compile(r"^(\d{4})-?m(\d{1,2})$", re.I), "ym"),
    (re.compile(r"^(\d{1,2})[/.-](\d{4})$"), "my"),
    (re.compile(r"^(\d{4})-?w(\d{1,2})$", re.I), "yw"),
    (re.compile(r"^(\d{4})[- ]?[tq](\d)$", re.I), "yq"),
    (re.compile(r"^[tq](\d)[- ]?(\d{4})$", re.I), "qy"),
    (re.compile(r"^(\d{4})$"), "y"),
]


def parse_period(text: str) -> date:
    """The first day of the period a cell names: a day, month, ISO week, quarter or year, in the usual forms.

    >>> [parse_period(p).isoformat() for p in ("2025-03", "03/2025", "2025-03-15", "mars 2025", "2025-T2")]
    ['2025-03-01', '2025-03-01', '2025-03-15', '2025-03-01', '2025-04-01']
    >>> parse_period("2025"), parse_period("15/03/2025"), parse_period("2025-W10"), parse_period("2025Q1")
    (datetime.date(2025, 1, 1), datetime.date(2025, 3, 15), datetime.date(2025, 3, 3), datetime.date(2025, 1, 1))
    """
    value = text.strip()
    for pattern, form in _PERIOD_PATTERNS:
        match = pattern.match(value)
        if not match:
            continue
        g = [int(x) for x in match.groups()]
        try:
            if form == "ymd":
                return date(g[0], g[1], g[2])
            if form == "dmy":
                return date(g[2], g[1], g[0])
            if form == "ym":
                return date(g[0], g[1], 1)
            if form == "my":
                return date(g[1], g[0], 1)
            if form in ("yq", "qy"):
                year, quarter = (g[0], g[1]) if form == "yq" else (g[1], g[0])
                if 1 <= quarter <= 4:
                    return date(year, 3 * quarter - 2, 1)
            if form == "yw":
                return date.fromisocalendar(g[0], g[1], 1)
            if form == "y":
                return date(g[0], 1, 1)
        except ValueError:
            break
    words = fold(value).split()
    if len(words) == 2 and words[0].rstrip(".") in _MONTHS_FR and words[1].isdigit() and len(words[1]) == 4:
        return date(int(words[1]), _MONTHS_FR[words[0].rstrip(".")], 1)
    raise ValueError(
        f"{text!r} n'est pas une période (attendu par exemple 2025-03-14, 2025-03, 2025-W10, 2025-T1, 2025)"
    )
