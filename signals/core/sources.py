"""Source definitions: what analysts write in ``sources.yaml`` (a new source is configuration, not code).

The file holds the territory's gazetteer and a list of sources. Each source has a ``kind`` that picks a
generic spider (``rss``, ``listing``, ``consultation``, ``series``, and the platforms ``decidim``,
``opendatasoft``, ``scdl_deliberations``, ``udata``, ``icalendar``, ``news_sitemap``, ``sdmx``) and the options that parameterise it (``signals sources kinds``)::

    territory:
      name: Communauté d'agglomération du Val de Lirette
      communes: [Saint-Aubin-sur-Lirette, Montclar, ...]
    sources:
      - name: echo-du-val
        kind: rss
        url: https://echo-du-val.example/feed.xml
        cadence: 1h
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from signals.core.errors import UserError
from signals.core.validation import describe_errors, field_path

_CADENCE = re.compile(r"^(\d+)\s*(mo|m|h|d|w)$")
_CADENCE_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "mo": 30 * 86400}


class SourceError(UserError, ValueError):
    """A source file or entry that cannot be used; the message names the entry and the reason."""


class _SourceBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", description="short unique id (lowercase, -_.)")
    title: str | None = Field(
        None, description="the name readers see in briefs and reports (default: the id), e.g. L'Écho du Val"
    )
    url: str = Field(description="the feed, page, file or API address the kind reads (see each kind)")
    territory: str | None = Field(None, description="commune or level; None: detected from the gazetteer")
    language: str = "fr"
    enabled: bool = True
    cadence: str = Field("1d", description="how often to collect: 30m, 1h, 1d, 1w, 1mo (30 days)...")
    item_cap: int | None = Field(None, description="overrides collect.item_cap for this source")
    time_budget_s: int | None = Field(None, description="overrides collect.time_budget_s")
    max_pages: int = Field(100, description="pagination limit per run")

    def budget_s(self, default: int) -> int:
        """Seconds this source's run may take: its own ``time_budget_s``, else ``default`` (the setting
        ``collect.time_budget_s``); 0 means no budget."""
        return default if self.time_budget_s is None else self.time_budget_s

    @field_validator("cadence")
    @classmethod
    def _valid_cadence(cls, value: str) -> str:
        if not _CADENCE.match(value.strip()):
            raise ValueError(f"{value!r} n'est pas une durée comme 30m, 1h, 1d, 2w ou 1mo")
        return value.strip()

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} ne commence pas par http:// ou https://")
        return value

    @property
    def cadence_seconds(self) -> int:
        match = _CADENCE.match(self.cadence)
        assert match is not None  # checked by the validator
        return int(match.group(1)) * _CADENCE_SECONDS[match.group(2)]

    @property
    def settings_dict(self) -> dict[str, Any]:
        """Kind-specific options, as stored in the ``sources.settings`` column."""
        common = set(_SourceBase.model_fields)
        return {k: v for k, v in self.model_dump(mode="json").items() if k not in common and k != "kind"}


class RssSource(_SourceBase):
    """An RSS or Atom feed; follows ``rel=next`` pages (RFC 5005) up to ``max_pages``."""

    kind: Literal["rss"]
    follow_articles: bool = Field(False, description="fetch each entry's page and extract its main text")
    near_duplicates: bool = Field(
        True, description="merge a story nearly repeating another source's (wire copies) into one document"
    )


class ListingSource(_SourceBase):
    """An HTML listing whose items link to pages and/or PDF files (deliberations, minutes, notices)."""

    kind: Literal["listing"]
    item_selector: str = Field(description="CSS selector of one item of the listing")
    link_selector: str = Field("a::attr(href)", description="CSS selector, inside an item, of its link")
    title_selector: str | None = Field(None, description="CSS selector of the title (default: link text)")
    date_selector: str | None = Field(None, description="CSS selector of the date text")
    number_selector: str | None = Field(None, description="CSS selector of the deliberation number")
    next_selector: str | None = Field(None, description="CSS selector of the next page link")
    near_duplicates: bool = Field(
        False, description="merge documents nearly repeating another source's (off: acts share templates)"
    )


class _ProposalOptions(BaseModel):
    """What every proposals platform shares: its monthly series and near-duplicate merging."""

    series: str | None = Field(
        None, description="prefix of the monthly series (proposals, votes, comments); default: the name"
    )
    series_titles: dict[str, str] = Field(
        default_factory=dict,
        description="display name of each monthly series, by figure: proposals, votes, comments",
    )
    near_duplicates: bool = Field(
        True, description="merge a proposal nearly repeating another source's document into it"
    )


class ConsultationSource(_ProposalOptions, _SourceBase):
    """A consultation platform's JSON API (Decidim-like): proposals with votes and comments."""

    kind: Literal["consultation"]
    items_path: str = Field("data", description="dotted path to the list of proposals in the JSON")
    next_path: str | None = Field("links.next", description="dotted path to the next page URL")
    fields: dict[str, str] = Field(
        default_factory=lambda: {
            "id": "id",
            "title": "title",
            "text": "body",
            "published_at": "published_at",
            "territory": "scope",
            "votes": "votes_count",
            "comments": "comments_count",
        },
        description="document field -> dotted path in one proposal (also possible: url)",
    )
    authors_path: str | None = Field(
        "author", description="dotted path to a proposal's author(s); only their number is kept"
    )
    url_template: str | None = Field(
        None,
        description="public page of a proposal, e.g. https://participer.example/proposals/{id}; "
        "default: the proposal's url field if mapped, else none (identified by its id)",
    )


class DecidimSource(_ProposalOptions, _SourceBase):
    """A Decidim platform's GraphQL API (``url``: its ``/api`` endpoint): the proposals of a participatory
    process or an assembly, with body, scope, category, state, votes and comments; cursor-paged."""

    kind: Literal["decidim"]
    space: Literal["participatory_process", "assembly"] = Field(
        "participatory_process", description="participatory space type: participatory_process or assembly"
    )
    space_id: str = Field(description="id of the participatory process or assembly")
    component_id: str | None = Field(None, description="only this proposals component (default: all)")
    locale: str = Field("fr", description="locale of the translated fields (title, body, names)")
    page_size: int = Field(50, ge=1, le=100, description="proposals asked per request (first:)")


class OpenDataSoftSource(_SourceBase):
    """A dataset of an OpenDataSoft portal (Explore API v2.1, ``url``: the portal's address): records mapped
    to observations (``mode: observations``) or to documents (``mode: documents``)."""

    kind: Literal["opendatasoft"]
    dataset: str = Field(pattern=r"^[\w.-]+$", description="dataset identifier on the portal")
    mode: Literal["observations", "documents"] = "observations"
    fields: dict[str, str] = Field(
        description="observations: period, value, optionally territory and series (a field whose value "
        "ends the series key); documents: title, text, date, optionally id, url, territory"
    )
    series: str | None = Field(None, description="observations: series key prefix, e.g. tourisme.nuitees")
    series_title: str | None = Field(None, description="observations: display name of the series")
    unit: str | None = None
    where: str | None = Field(None, description='ODSQL filter, e.g. commune = "Fontclaire"')
    date_field: str | None = Field(
        None, description="a date field: records are read in its order, from the newest stored on"
    )
    page_size: int = Field(100, ge=1, le=100, description="records per request (the API allows 100)")
    export: bool = Field(False, description="read the whole dataset from the JSON export (no 10 000 cap)")

    @field_validator("fields")
    @classmethod
    def _needed_fields(cls, value: dict[str, str], info: Any) -> dict[str, str]:
        needed = {"period", "value"} if info.data.get("mode", "observations") == "observations" else {"title"}
        missing = needed - set(value)
        if missing:
            raise ValueError(f"fields doit associer {sorted(missing)} à des champs du jeu de données")
        return value

    @model_validator(mode="after")
    def _series_for_observations(self) -> OpenDataSoftSource:
        if self.mode == "observations" and not self.series:
            raise ValueError("series (le préfixe de la clé) est obligatoire en mode observations")
        return self


class ScdlDeliberationsSource(_SourceBase):
    """Deliberations published under the SCDL « Délibérations » schema (CSV, schema.data.gouv.fr): one
    document per act, with its PDF read when ``DELIB_URL`` links one."""

    kind: Literal["scdl_deliberations"]
    delimiter: str | None = Field(None, description="None: sniffed among ; , tab (the schema says ,)")
    encoding: str | None = Field(None, description="None: UTF-8 (with or without BOM), else cp1252")
    read_documents: bool = Field(True, description="fetch the act linked by DELIB_URL and read its text")
    near_duplicates: bool = Field(
        False, description="merge acts nearly repeating another source's document (off: acts share templates)"
    )


class _TableOptions(BaseModel):
    """How a table (CSV with French conventions, or JSON) maps to observations."""

    delimiter: str | None = Field(None, description="None: sniffed among ; , tab")
    decimal: str = ","
    encoding: str | None = Field(None, description="None: UTF-8 (with or without BOM), else cp1252")
    series: str = Field(description="series key prefix, e.g. tourisme.nuitees")
    series_title: str | None = Field(
        None,
        description="display name of the series (default: the source's title), e.g. Nuitées touristiques",
    )
    unit: str | None = None
    columns: dict[str, str] = Field(description="period, value and optionally territory -> column name")
    records_path: str | None = Field(None, description="JSON only: dotted path to the list of records")

    @field_validator("columns")
    @classmethod
    def _needed_columns(cls, value: dict[str, str]) -> dict[str, str]:
        missing = {"period", "value"} - set(value)
        if missing:
            raise ValueError(f"columns doit associer {sorted(missing)} à des noms de colonnes")
        return value


class SeriesSource(_TableOptions, _SourceBase):
    """Tabular open data (CSV with French conventions, or JSON) mapped to observations."""

    kind: Literal["series"]
    format: Literal["csv", "json"] = "csv"


class UdataSource(_TableOptions, _SourceBase):
    """A dataset of a udata portal (data.gouv.fr, ``url``: the portal's address): its newest CSV or JSON
    resource, read as the series kind reads a table; skipped while its checksum and last-modified date are
    those of the last run."""

    kind: Literal["udata"]
    dataset: str = Field(pattern=r"^[\w.-]+$", description="dataset id or slug on the portal")
    formats: list[Literal["csv", "json"]] = Field(
        default_factory=lambda: ["csv", "json"], description="resource formats to consider, preferred first"
    )
    resource_title: str | None = Field(
        None, description="only resources whose title contains this text (case ignored)"
    )


class ICalendarSource(_SourceBase):
    """An agenda published as an iCalendar feed (``.ics``, RFC 5545): one dated document per event."""

    kind: Literal["icalendar"]
    since_days: int | None = Field(
        None, ge=0, description="leave out events that ended more than this many days ago (None: keep all)"
    )
    near_duplicates: bool = Field(
        False, description="merge events nearly repeating another source's document (off: agendas repeat)"
    )


class NewsSitemapSource(_SourceBase):
    """A press site without a feed, through its (news) sitemaps (``url``: a sitemap index, a sitemap, or the
    site's robots.txt): each article page fetched and its main text extracted."""

    kind: Literal["news_sitemap"]
    follow: list[str] = Field(
        default_factory=lambda: [""], description="regular expressions: child sitemaps to read (default: all)"
    )
    url_pattern: str | None = Field(None, description="regular expression the article URLs must match")
    since_days: int | None = Field(
        30, ge=0, description="leave out articles whose lastmod is older than this many days (None: keep all)"
    )
    near_duplicates: bool = Field(
        True, description="merge a story nearly repeating another source's (wire copies) into one document"
    )

    @field_validator("follow", "url_pattern")
    @classmethod
    def _regular_expression(cls, value: Any) -> Any:
        for pattern in value if isinstance(value, list) else [value] if value else []:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} n'est pas une expression régulière : {exc}") from None
        return value


class SdmxSource(_SourceBase):
    """Statistical series from an SDMX 2.1 REST data query (``url``, e.g. INSEE's
    ``https://www.bdm.insee.fr/series/sdmx/data/SERIES_BDM/010598795``): SDMX-ML or SDMX-CSV."""

    kind: Literal["sdmx"]
    format: Literal["xml", "csv"] = Field("xml", description="xml: SDMX-ML (read by sdmx1); csv: SDMX-CSV")
    series: str = Field(description="series key prefix, e.g. tourisme.nuitees-insee")
    series_title: str | None = Field(None, description="display name of the series")
    unit: str | None = None
    key: str = Field("IDBANK", description="dimension or attribute whose value ends each series key")
    territories: dict[str, str] = Field(
        default_factory=dict, description="value of key -> territory (series <prefix>/<territory>)"
    )
    unit_multiplier: bool = Field(True, description="scale values by 10 ** UNIT_MULT when given")


SourceDef = Annotated[
    RssSource
    | ListingSource
    | ConsultationSource
    | SeriesSource
    | DecidimSource
    | OpenDataSoftSource
    | ScdlDeliberationsSource
    | UdataSource
    | ICalendarSource
    | NewsSitemapSource
    | SdmxSource,
    Field(discriminator="kind"),
]
SOURCE_MODELS: dict[str, type[_SourceBase]] = {
    "rss": RssSource,
    "listing": ListingSource,
    "consultation": ConsultationSource,
    "series": SeriesSource,
    "decidim": DecidimSource,
    "opendatasoft": OpenDataSoftSource,
    "scdl_deliberations": ScdlDeliberationsSource,
    "udata": UdataSource,
    "icalendar": ICalendarSource,
    "news_sitemap": NewsSitemapSource,
    "sdmx": SdmxSource,
}
SOURCE_KINDS = tuple(SOURCE_MODELS)


# A consultation's monthly figures (``ConsultationSource.series_titles`` keys) in words, when untitled.
CONSULTATION_FIGURES = {"proposals": "propositions", "votes": "votes", "comments": "commentaires"}


def readable_name(key: str) -> str:
    """A name a reader can read, made from a key without a title: separators become spaces, the first
    letter a capital, and a dotted key ``family.member`` reads 'Family : member'.

    >>> readable_name("echo-du-val"), readable_name("tourisme.nuitees_hotel"), readable_name("")
    ('Echo du val', 'Tourisme : nuitees hotel', '')
    """
    parts = [re.sub(r"[-_/]+", " ", p).strip() for p in key.split(".") if p.strip(" -_/")]
    text = " : ".join(parts)
    return text[:1].upper() + text[1:]


class Territory(BaseModel):
    name: str = "Territoire"
    communes: list[str] = Field(default_factory=list)


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    territory: Territory = Field(default_factory=Territory)
    sources: list[SourceDef] = Field(default_factory=list)

    def titles(self) -> dict[str, str]:
        """Display names by key: each source's name, and each series prefix (``tourisme.nuitees``,
        ``participer.votes``), mapped to what readers see; a key without a title gets a readable name
        made from it (``readable_name``), never the key itself."""
        names: dict[str, str] = {}
        for source in self.sources:
            names[source.name] = source.title or readable_name(source.name)
            if isinstance(source, _TableOptions | OpenDataSoftSource | SdmxSource):
                key = source.series or source.name
                names[key] = source.series_title or source.title or readable_name(key)
            if isinstance(source, _ProposalOptions):
                prefix = source.series or source.name
                for figure, default in CONSULTATION_FIGURES.items():
                    own = source.series_titles.get(figure)
                    names[f"{prefix}.{figure}"] = own or f"{names[source.name]} : {default}"
        return names

    def get(self, name: str) -> SourceDef:
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "aucune"
        raise SourceError(f"source inconnue : {name!r} (connues : {known})")


def load_sources(path: Path) -> SourcesFile:
    """Read and validate a sources file; errors name the entry and the field."""
    if not path.is_file():
        raise SourceError(
            f"fichier des sources {path} introuvable (définir SIGNALS_SOURCES_FILE ou lancer `signals demo`)"
        )
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise SourceError(f"fichier des sources {path} : YAML UTF-8 invalide ({exc})") from None
    try:
        parsed = SourcesFile.model_validate(raw)
    except ValidationError as exc:
        raise SourceError(f"fichier des sources {path} : {_describe(exc, raw)}") from None
    names = [s.name for s in parsed.sources]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SourceError(f"fichier des sources {path} : noms de source en double {duplicates}")
    return parsed


def dump_sources(sources: SourcesFile, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = sources.model_dump(mode="json", exclude_defaults=False)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _describe(exc: ValidationError, raw: Any) -> str:
    """The problems in French on one line, naming the source entry by its name rather than its index."""

    def where(loc: Sequence[int | str]) -> str:
        if len(loc) >= 2 and loc[0] == "sources" and isinstance(loc[1], int):
            try:
                name = raw["sources"][loc[1]].get("name", f"#{loc[1]}")
            except (KeyError, IndexError, TypeError, AttributeError):
                name = f"#{loc[1]}"
            return f"source {name!r}" + ("." + ".".join(str(p) for p in loc[3:]) if loc[3:] else "")
        return field_path(loc)

    return describe_errors(exc, where)
