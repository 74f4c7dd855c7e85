"""What the collectors add to a raw item: clean text, a time-zone aware date, a commune, a language.

Everything here is offline and deterministic: dates by fast exact formats first and ``dateparser`` for the
rest (French and English), communes from the territory's gazetteer, language by ``py3langid``.
"""

from __future__ import annotations

import os
import pickle
import re
from datetime import UTC, date, datetime, timedelta, tzinfo
from email.utils import parsedate_to_datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from w3lib.html import remove_tags, remove_tags_with_content, replace_entities

from signals.core.parsing import fold

# --- text ---------------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_BLOCK_END = re.compile(r"<\s*(?:br\s*/?|/\s*(?:p|div|li|h[1-6]|tr|blockquote|section|article))\s*>", re.I)


def normalise_text(text: str) -> str:
    """Control characters out (NUL is refused by PostgreSQL), spaces collapsed, at most one blank line.

    >>> normalise_text("  Un\\x00 texte\\u00a0 avec   espaces \\r\\n\\n\\n\\nfin ")
    'Un texte avec espaces\\n\\nfin'
    """
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def html_to_text(fragment: str) -> str:
    """Text of an HTML fragment (a feed summary, an API body): tags out, entities decoded, blocks on lines.

    >>> html_to_text("<p>Le <b>maire</b> a dit&nbsp;:</p><script>x()</script><p>oui</p>")
    'Le maire a dit\\xa0:\\noui'
    """
    if "<" not in fragment and "&" not in fragment:
        return fragment.strip()
    without_code = remove_tags_with_content(fragment, which_ones=("script", "style", "noscript"))
    with_breaks = _BLOCK_END.sub("\n", without_code)
    return replace_entities(remove_tags(with_breaks)).strip()


# --- communes -----------------------------------------------------------------------------------------


class Gazetteer:
    """The territory's communes, found in texts whatever their accents, case, hyphens or "St" abbreviation.

    Parameters
    ----------
    communes
        Official names; detection returns them as written here.

    >>> g = Gazetteer(["Saint-Aubin-des-Prés", "Fontclaire", "Lirac-sur-Lirette"])
    >>> g.detect("Travaux à Fontclaire", "Réunion à St Aubin des Pres puis à FONTCLAIRE.")
    'Fontclaire'
    >>> g.canonical("LIRAC SUR LIRETTE"), g.canonical("Paris")
    ('Lirac-sur-Lirette', None)
    """

    TITLE_WEIGHT = 3  # a commune named in the title is what the item is about

    def __init__(self, communes: list[str]) -> None:
        self.communes = list(communes)
        self._by_folded: dict[str, str] = {}
        for name in self.communes:
            for variant in _variants(fold(name)):
                self._by_folded.setdefault(variant, name)
        alternatives = sorted(self._by_folded, key=len, reverse=True)  # longest first: "lirac sur lirette"
        self._pattern = (
            re.compile(r"(?<![^\W_])(" + "|".join(re.escape(a) for a in alternatives) + r")(?![^\W_])")
            if alternatives
            else None
        )

    def canonical(self, label: str | None) -> str | None:
        """The official name of a commune written another way, or None when it is not one of ours."""
        if not label:
            return None
        return self._by_folded.get(fold(label))

    def detect(self, title: str, text: str = "") -> str | None:
        """The commune an item is about: the most mentioned (title mentions weigh more), first on ties."""
        if self._pattern is None:
            return None
        scores: dict[str, float] = {}
        for weight, part in ((self.TITLE_WEIGHT, title), (1, text[:20_000])):
            for position, match in enumerate(self._pattern.finditer(fold(part))):
                name = self._by_folded[match.group(1)]
                # a tiny bonus for earlier mentions breaks ties in favour of the first commune named
                scores[name] = scores.get(name, 0.0) + weight + 1e-6 / (position + 1)
        return max(scores, key=scores.__getitem__) if scores else None


def _variants(folded: str) -> set[str]:
    out = {folded}
    for long, short in (("saint ", "st "), ("sainte ", "ste ")):
        if folded.startswith(long):
            out.add(short + folded[len(long) :])
    return out


# --- dates --------------------------------------------------------------------------------------------

_NUMERIC_DATE = re.compile(
    r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?:[ T]+(?:à\s*)?(\d{1,2})\s*[h:](\d{2})?)?$", re.I
)
# A French or English written date inside a longer phrase ("Publié le 14 janvier 2025 à 10h").
_MONTHS = (
    r"janv|f[ée]vr|mars|avr|mai|juin|juil|ao[uû]t|sept|oct|nov|d[ée]c"
    r"|jan|feb|mar|apr|may|jun|jul|aug|sep|dec"
)
_WRITTEN_DATE = re.compile(
    rf"\b\d{{1,2}}(?:er|st|nd|rd|th)?\s+(?:{_MONTHS})[a-zéû]*\.?\s+\d{{4}}(?:\s+(?:à\s+)?\d{{1,2}}\s*[h:]\s*\d{{0,2}})?"
    r"|\b\d{1,2}[/.]\d{1,2}[/.]\d{4}",
    re.I,
)
_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
_FUTURE_TOLERANCE = timedelta(days=1)


def parse_date(value: Any, tz: tzinfo, languages: tuple[str, ...] = ("fr", "en")) -> datetime | None:
    """A time-zone aware datetime from what a source writes; local time ``tz`` when it gives no zone.

    >>> from zoneinfo import ZoneInfo
    >>> paris = ZoneInfo("Europe/Paris")
    >>> parse_date("Sun, 22 Nov 2026 20:46:00 +0100", paris).isoformat()
    '2026-11-22T20:46:00+01:00'
    >>> parse_date("2025-03-12T10:00:00", paris).isoformat()
    '2025-03-12T10:00:00+01:00'
    >>> parse_date("12/03/2025", paris).isoformat()
    '2025-03-12T00:00:00+01:00'
    >>> parse_date("le 3 juillet 2025 à 14h30", paris).isoformat()
    '2025-07-03T14:30:00+02:00'
    >>> parse_date("Publié le 14 janvier 2025", paris).isoformat()
    '2025-01-14T00:00:00+01:00'
    >>> parse_date("n'importe quoi", paris) is None, parse_date("12", paris) is None
    (True, True)
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=tz)
    text = str(value).strip()
    if not text or len(text) > 200:
        return None
    for parser in (_iso, _rfc2822, _numeric):
        parsed = parser(text)
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
    if not re.search(r"\d{4}|[^\W\d_]{3}", text):  # a bare "12" is not a date
        return None
    parsed = _dateparser(text, tz, languages)
    if parsed is None and (inner := _WRITTEN_DATE.search(text)) and inner.group(0) != text:
        return parse_date(inner.group(0), tz, languages)
    return parsed


def implausible(moment: datetime, now: datetime) -> str | None:
    """Why a publication date cannot be right (before 1900, or in the future), or None."""
    if moment < _EARLIEST:
        return f"date {moment:%Y-%m-%d} antérieure à 1900"
    if moment > now + _FUTURE_TOLERANCE:
        return f"date {moment:%Y-%m-%d} dans le futur"
    return None


def _iso(text: str) -> datetime | None:
    if not text[:4].isdigit():
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None


def _rfc2822(text: str) -> datetime | None:
    if not any(c.isalpha() for c in text[:4]) and not text[:2].strip().isdigit():
        return None
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.year < 100:  # two-digit years are already mapped by the parser; guard the rest
        return None
    return parsed


def _numeric(text: str) -> datetime | None:
    match = _NUMERIC_DATE.match(text)
    if not match:
        return None
    day, month, year, hour, minute = match.groups()
    full_year = int(year) + (2000 if len(year) == 2 else 0)
    try:
        return datetime(full_year, int(month), int(day), int(hour or 0), int(minute or 0))
    except ValueError:
        return None


def _dateparser(text: str, tz: tzinfo, languages: tuple[str, ...]) -> datetime | None:
    import dateparser

    settings = {
        "TIMEZONE": getattr(tz, "key", "UTC"),
        "RETURN_AS_TIMEZONE_AWARE": True,
        "DATE_ORDER": "DMY",
        "PREFER_DATES_FROM": "past",
        "PREFER_DAY_OF_MONTH": "first",
    }
    try:
        parsed = dateparser.parse(text, languages=list(languages), settings=settings)
    except (ValueError, OverflowError, TypeError):  # dateparser raises on some odd inputs
        return None
    return parsed


# --- language -----------------------------------------------------------------------------------------

_MIN_LANGUAGE_CHARS = 40
_LANGUAGE_SAMPLE = 300  # enough to tell the language of prose; the cost grows with the length


_MODEL_CACHE: dict[str, Any] = {"folder": None, "write": False}


def cache_language_model(folder: Path | None, write: bool = True) -> None:
    """Keep a ready-to-load copy of the language model in ``folder`` (the service's cache folder).

    py3langid ships its model xz-compressed: decompressing takes 1-2 s at every process start, a pickled
    copy loads in a fraction of that. ``write=False`` only reads an existing copy (a preview writes nothing).
    """
    _MODEL_CACHE.update(folder=folder, write=write)


@lru_cache(maxsize=1)
def _identifier() -> Any:
    import py3langid
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    folder = _MODEL_CACHE["folder"]
    cached = folder / f"py3langid-{py3langid.__version__}.pickle" if folder else None
    if cached is not None and cached.is_file():
        try:
            return pickle.loads(cached.read_bytes())  # our own file, written below
        except (pickle.UnpicklingError, EOFError, AttributeError, ValueError):
            cached.unlink(missing_ok=True)
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)
    if cached is not None and _MODEL_CACHE["write"]:
        cached.parent.mkdir(parents=True, exist_ok=True)
        # workers starting together each write their own partial file
        partial = cached.with_suffix(f".{os.getpid()}.partial")
        partial.write_bytes(pickle.dumps(identifier, protocol=pickle.HIGHEST_PROTOCOL))
        partial.replace(cached)
    return identifier


def detect_language(text: str, default: str) -> str:
    """ISO 639-1 code of the text's language (offline model); ``default`` for texts too short to tell.

    >>> detect_language("Le conseil municipal a voté la rénovation de l'école et du gymnase.", "en")
    'fr'
    >>> detect_language("Court.", "fr")
    'fr'
    """
    sample = text[:_LANGUAGE_SAMPLE]
    if len(sample.strip()) < _MIN_LANGUAGE_CHARS:
        return default
    language, _score = _identifier().classify(sample)
    return str(language)
