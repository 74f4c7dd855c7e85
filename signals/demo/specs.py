"""Typed loaders for the generated corpora's data files (``signals/demo/data/*.toml``).

The text banks and corpus specifications are data, not code: a French sentence or a commune is edited in a
TOML file and read here into frozen dataclasses. TOML rather than JSON because the files are written by
hand: comments say why a number is what it is, and French text needs no escaping of its apostrophes. The
stdlib ``tomllib`` reads it, so no dependency is added.

Each file is checked against its dataclass when read: a missing, unknown or mistyped key raises
``DataFileError`` naming the file and the key's path (``demo.toml: planted[1].theme: missing key 'titles'``).

>>> load_themes().emerging[0].name
'punaises_de_lit'
"""

from __future__ import annotations

import dataclasses
import reprlib
import tomllib
import typing
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

DATA = Path(__file__).with_name("data")

T = TypeVar("T")


class DataFileError(ValueError):
    """A data file that cannot be read into its specification."""


# --- the specifications ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Theme:
    """A theme's text bank. Templates take fillers (``{commune}``, ``{ecole}``...); ``patterns`` are the
    case-insensitive regexes that identify its documents in a ground truth (no other theme uses them)."""

    name: str
    titles: tuple[str, ...]
    sentences: tuple[str, ...]
    patterns: tuple[str, ...] = ()
    weight: float = 1.0  # share among the recurring themes
    months: tuple[int, ...] = ()  # seasonal themes: the months when they appear
    proposals: tuple[str, ...] = ()  # consultation proposals (titles) on this theme
    deliberations: tuple[str, ...] = ()  # deliberation subjects on this theme


@dataclass(frozen=True)
class LocalNews:
    """The everyday news of a territory, shared by the demo and the synthetic corpus."""

    fillers: dict[str, tuple[str, ...]]  # values of each template field other than {commune}
    generic: tuple[str, ...]  # sentences any local article may carry
    recurring: tuple[Theme, ...]
    proposal_body: tuple[str, ...]
    contacts: tuple[str, ...]  # contact details some contributors leave (the collectors must redact them)
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]


@dataclass(frozen=True)
class Commune:
    name: str
    slug: str
    population: int
    tourism: float  # yearly tourism nights, thousands
    neighbours: tuple[str, ...]  # slugs


@dataclass(frozen=True)
class Outlet:
    """A local news outlet publishing a feed."""

    slug: str
    name: str
    feed_format: str  # rss | atom
    per_week: float
    follow_articles: bool  # the feed carries a lead only; the text is on the article page
    home_communes: tuple[str, ...]  # slugs covered more often (empty: the whole territory)


@dataclass(frozen=True)
class Council:
    """A council whose deliberations are published as a listing of PDF files."""

    slug: str  # a commune's slug, or "agglomeration"
    body: str


@dataclass(frozen=True)
class OneOff:
    """A burst of coverage: ``per_week`` articles for ``weeks`` weeks from week ``start``, then nothing."""

    start: int
    weeks: int
    per_week: float
    theme: Theme


@dataclass(frozen=True)
class Planted:
    """A weak signal planted in the demo: rare at onset in one commune, then growing and spreading."""

    name: str
    onset: int  # week index
    origin: str  # commune slug
    start_rate: float  # expected press articles per week at onset
    growth: float  # weekly growth factor of the rate
    cap: float  # rate ceiling
    spread_every: int  # weeks between the arrival in a new commune
    theme: Theme
    proposals_share: float = 0.3  # extra consultation proposals per press article


@dataclass(frozen=True)
class Anomaly:
    """A drop planted in a monthly series, and the news story that explains it."""

    series: str
    commune: str  # slug
    month_index: int
    factor: float
    outlet: str  # the outlet that reports the story
    story: Theme


@dataclass(frozen=True)
class DemoSpec:
    """The demo territory: its calendar, communes and publishers, and what happens in it."""

    name: str
    seed: int
    first_week: date  # a Monday
    weeks: int
    first_month: date  # monthly open data go back further than the press archive
    months: int
    seasonal_per_week: float  # extra articles per week on a seasonal theme during its months
    proposals_per_week: float
    tourism_season: tuple[float, ...]  # monthly profile of tourism, January first
    communes: tuple[Commune, ...]
    outlets: tuple[Outlet, ...]
    councils: tuple[Council, ...]
    seasonal: tuple[Theme, ...]
    one_offs: tuple[OneOff, ...]
    planted: tuple[Planted, ...]
    anomaly: Anomaly


@dataclass(frozen=True)
class ThemeSet:
    """Themes for the synthetic corpora: emerging ones to plant, decoys that must not alarm; and the planted
    cases of new kinds: a parent theme with its variant (a sub-theme), a lasting event."""

    emerging: tuple[Theme, ...]
    decoys: tuple[Theme, ...]
    parents: tuple[Theme, ...] = ()
    variants: tuple[Theme, ...] = ()  # variants[i] grows inside parents[i]
    lasting: tuple[Theme, ...] = ()
    returning: tuple[Theme, ...] = ()  # themes that fade and come back (resurgences)


@dataclass(frozen=True)
class EmbeddingCorpusSpec:
    """Banks of the French corpus for embedding checks (``bench.french_corpus``)."""

    communes: tuple[str, ...]
    boilerplate: tuple[str, ...]  # sentences shared by all themes
    titles: tuple[str, ...]
    months: tuple[str, ...]
    themes: dict[str, tuple[str, ...]]
    paraphrases: tuple[tuple[str, str], ...]  # the same fact said twice in other words
    unrelated: tuple[tuple[str, str], ...]  # different subjects in the same register


# --- loading ----------------------------------------------------------------------------------------------


@cache
def load_local_news() -> LocalNews:
    return load(DATA / "local_news.toml", LocalNews)


@cache
def load_demo() -> DemoSpec:
    return load(DATA / "demo.toml", DemoSpec)


@cache
def load_themes() -> ThemeSet:
    return load(DATA / "themes.toml", ThemeSet)


@cache
def load_embedding_corpus() -> EmbeddingCorpusSpec:
    return load(DATA / "embedding_corpus.toml", EmbeddingCorpusSpec)


def load(path: Path, spec: type[T]) -> T:
    """Read the TOML file ``path`` into the dataclass ``spec``, or raise ``DataFileError``."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise DataFileError(f"{path}: cannot read it as TOML ({error})") from error
    try:
        return _build(spec, raw, "")
    except _Invalid as error:
        raise DataFileError(f"{path}: {error.where or 'top level'}: {error.problem}") from None


class _Invalid(Exception):
    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where, self.problem = where, problem


def _build(kind: Any, value: Any, where: str) -> Any:
    """``value`` (as TOML gives it) converted to the type ``kind``, checked all the way down."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if dataclasses.is_dataclass(kind):
        if not isinstance(value, dict):
            raise _Invalid(where, f"expected a table, got {_name(value)}")
        return _build_dataclass(kind, value, where)
    if origin is tuple:
        if not isinstance(value, list):
            raise _Invalid(where, f"expected an array, got {_name(value)}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_build(args[0], item, f"{where}[{i}]") for i, item in enumerate(value))
        if len(value) != len(args):
            raise _Invalid(where, f"expected {len(args)} items, got {len(value)}")
        return tuple(
            _build(a, item, f"{where}[{i}]") for i, (a, item) in enumerate(zip(args, value, strict=True))
        )
    if origin is dict:
        if not isinstance(value, dict):
            raise _Invalid(where, f"expected a table, got {_name(value)}")
        return {k: _build(args[1], item, _join(where, k)) for k, item in value.items()}
    if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind in (str, int, bool, date) and type(value) is kind:
        return value
    raise _Invalid(where, f"expected {kind.__name__}, got {_name(value)} {reprlib.repr(value)}")


def _build_dataclass(kind: Any, table: dict[str, Any], where: str) -> Any:
    hints = typing.get_type_hints(kind)
    fields = {f.name: f for f in dataclasses.fields(kind)}
    unknown = sorted(set(table) - set(fields))
    if unknown:
        raise _Invalid(where, f"unknown key {unknown[0]!r} (expected one of {', '.join(fields)})")
    values = {}
    for name, f in fields.items():
        if name in table:
            values[name] = _build(hints[name], table[name], _join(where, name))
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise _Invalid(where, f"missing key {name!r}")
    return kind(**values)


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _name(value: Any) -> str:
    return {dict: "a table", list: "an array"}.get(type(value), type(value).__name__)
