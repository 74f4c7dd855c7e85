"""The store's schema (SQLAlchemy 2 typed ORM). Portable SQL: runs on SQLite and PostgreSQL.

Changes go through Alembic migrations in ``migrations/``; never edit a table here without one.
All datetimes are stored as naive UTC and read back as aware UTC (``UTCDateTime``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from signals.core import clock

# Stable constraint names, so migrations can refer to them on every database.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, naive UTC stored, aware UTC out (SQLite keeps no time zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: give a time zone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _now() -> datetime:
    return clock.now()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Source(Base):
    """A place the service collects from; defined in sources.yaml, mirrored here with its health."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    url: Mapped[str] = mapped_column(Text)
    territory: Mapped[str | None] = mapped_column(String(120))
    language: Mapped[str] = mapped_column(String(8), default="fr")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_success_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=_now)
    updated_at: Mapped[datetime] = mapped_column(default=_now, onupdate=_now)


class Document(Base):
    """A text, once: the same text from two sources is one document with two sightings."""

    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_published_at", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    url: Mapped[str | None] = mapped_column(String(2000), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime]
    collected_at: Mapped[datetime] = mapped_column(default=_now)
    language: Mapped[str | None] = mapped_column(String(8))
    territory: Mapped[str | None] = mapped_column(String(120), index=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)

    source: Mapped[Source] = relationship()
    sightings: Mapped[list[Sighting]] = relationship(back_populates="document", cascade="all, delete-orphan")


class Sighting(Base):
    """One appearance of a document at a source (the wire story in two outlets: two sightings)."""

    __tablename__ = "sightings"
    __table_args__ = (UniqueConstraint("document_id", "source_id", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000), default="", index=True)
    territory: Mapped[str | None] = mapped_column(String(120))
    seen_at: Mapped[datetime] = mapped_column(default=_now)

    document: Mapped[Document] = relationship(back_populates="sightings")
    source: Mapped[Source] = relationship()


class DocumentFeatures(Base):
    """What a model computed from a document (embedding vector, term hashes): computed once, reused by every run.

    ``kind`` names the model and its version (e.g. ``terms-v1``, ``e5-small-int8``); a new version recomputes.
    """

    __tablename__ = "document_features"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(80), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


# The weekly volume of each topic is kept as observations of series "sujets.volume/<model>-<topic>"; they are
# watched like any series but are not indicators of the territory.
TOPIC_VOLUME_SERIES = "sujets.volume"


class Observation(Base):
    """A number for a period of a series (tourism nights of a commune for a month...)."""

    __tablename__ = "observations"
    __table_args__ = (UniqueConstraint("series", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series: Mapped[str] = mapped_column(String(200), index=True)
    period: Mapped[date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(40))
    territory: Mapped[str | None] = mapped_column(String(120))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    updated_at: Mapped[datetime] = mapped_column(default=_now, onupdate=_now)


class TopicModel(Base):
    """A fitted topic model's saved state; the active one assigns new documents."""

    __tablename__ = "topic_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=_now)
    kind: Mapped[str] = mapped_column(String(20))  # full | incremental
    embedding_model: Mapped[str] = mapped_column(String(80))
    documents: Mapped[int] = mapped_column(Integer, default=0)
    trained_until: Mapped[datetime | None]
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[bytes | None] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(Boolean, default=False)


class Topic(Base):
    __tablename__ = "topics"
    __table_args__ = (UniqueConstraint("model_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("topic_models.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(Text)
    keywords: Mapped[list[Any]] = mapped_column(default=list)
    representative_ids: Mapped[list[Any]] = mapped_column(default=list)
    size: Mapped[int] = mapped_column(Integer, default=0)


class DocumentTopic(Base):
    __tablename__ = "document_topics"
    __table_args__ = (Index("ix_document_topics_model_topic", "model_id", "topic"),)

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("topic_models.id", ondelete="CASCADE"), primary_key=True)
    topic: Mapped[int] = mapped_column(Integer)
    probability: Mapped[float | None] = mapped_column(Float)


class ModelState(Base):
    """Saved state of a streaming model or forecaster, so the next run resumes where this one stopped."""

    __tablename__ = "model_states"

    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    state: Mapped[bytes] = mapped_column(LargeBinary)
    last_point: Mapped[datetime | None]
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=_now, onupdate=_now)


class Signal(Base):
    """A detected theme or series event, followed across weeks (one row per subject, never duplicated)."""

    __tablename__ = "signals"
    __table_args__ = (UniqueConstraint("kind", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # term_burst | emerging_topic | anomaly | forecast_break
    key: Mapped[str] = mapped_column(String(250))
    subject: Mapped[str] = mapped_column(Text)
    territory: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20), default="new", index=True)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    first_seen: Mapped[date] = mapped_column(Date)
    last_seen: Mapped[date] = mapped_column(Date)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # What it was last raised as (signals.core.lifecycle.NATURES): new, sub-theme, resurgence, event.
    nature: Mapped[str] = mapped_column(String(20), default="new", server_default="new")
    # A sub-theme's parent: the established signal it grew inside.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("signals.id", ondelete="SET NULL"), index=True, default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=_now)
    updated_at: Mapped[datetime] = mapped_column(default=_now, onupdate=_now)

    weeks: Mapped[list[SignalWeek]] = relationship(
        back_populates="signal", cascade="all, delete-orphan", order_by="SignalWeek.week"
    )
    evidence: Mapped[list[Evidence]] = relationship(
        back_populates="signal", cascade="all, delete-orphan", order_by="Evidence.rank"
    )
    feedback: Mapped[list[Feedback]] = relationship(
        back_populates="signal", cascade="all, delete-orphan", order_by="Feedback.created_at"
    )


class SignalWeek(Base):
    """What the analysis of one week said about a signal; the lifecycle is derived from these rows."""

    __tablename__ = "signal_weeks"
    __table_args__ = (UniqueConstraint("signal_id", "week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    signal_id: Mapped[int] = mapped_column(ForeignKey("signals.id", ondelete="CASCADE"), index=True)
    week: Mapped[date] = mapped_column(Date, index=True)
    flagged: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(20))
    score: Mapped[float] = mapped_column(Float)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)

    signal: Mapped[Signal] = relationship(back_populates="weeks")


class Evidence(Base):
    """A document or observation cited by a signal."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    signal_id: Mapped[int] = mapped_column(ForeignKey("signals.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    observation_id: Mapped[int | None] = mapped_column(ForeignKey("observations.id", ondelete="CASCADE"))
    rank: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str | None] = mapped_column(Text)

    signal: Mapped[Signal] = relationship(back_populates="evidence")
    document: Mapped[Document | None] = relationship()
    observation: Mapped[Observation | None] = relationship()


class Feedback(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    signal_id: Mapped[int] = mapped_column(ForeignKey("signals.id", ondelete="CASCADE"), index=True)
    verdict: Mapped[str] = mapped_column(String(20))  # confirm | dismiss
    note: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(120))
    level: Mapped[float | None] = mapped_column(Float)  # the signal's level when the verdict was given
    created_at: Mapped[datetime] = mapped_column(default=_now)

    signal: Mapped[Signal] = relationship(back_populates="feedback")


class Brief(Base):
    """A rendered artefact (weekly brief or quarterly report), rendered once per period and archived."""

    __tablename__ = "briefs"
    __table_args__ = (UniqueConstraint("kind", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # weekly | quarterly
    period: Mapped[str] = mapped_column(String(20))  # 2025-W03 | 2025Q1
    subject: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text, default="")
    files: Mapped[dict[str, Any]] = mapped_column(default=dict)  # name -> archive path
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=_now)

    deliveries: Mapped[list[Delivery]] = relationship(back_populates="brief", cascade="all, delete-orphan")


class Delivery(Base):
    """The outbox: one row per brief and recipient; the Message-ID makes sending idempotent."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("brief_id", "recipient"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brief_id: Mapped[int] = mapped_column(ForeignKey("briefs.id", ondelete="CASCADE"), index=True)
    recipient: Mapped[str] = mapped_column(String(320))
    message_id: Mapped[str] = mapped_column(String(250), unique=True)
    status: Mapped[str] = mapped_column(
        String(20), default="queued", index=True
    )  # queued|sending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    location: Mapped[str | None] = mapped_column(Text)  # smtp host or outbox file
    created_at: Mapped[datetime] = mapped_column(default=_now)

    brief: Mapped[Brief] = relationship(back_populates="deliveries")


class Run(Base):
    """Every stage run with its counts, timings and errors (source health and coverage come from these)."""

    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_stage_started", "stage", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stage: Mapped[str] = mapped_column(String(40))  # collect | import | analyze | brief | report | ...
    target: Mapped[str | None] = mapped_column(String(250))  # source name, week, quarter, file
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="running")  # running|ok|partial|failed
    started_at: Mapped[datetime] = mapped_column(default=_now)
    finished_at: Mapped[datetime | None]
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    errors: Mapped[list[Any]] = mapped_column(default=list)  # [{"item": ..., "reason": ...}] (capped)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    cpu_s: Mapped[float | None] = mapped_column(Float)
    peak_rss_mb: Mapped[float | None] = mapped_column(Float)
    pid: Mapped[int | None] = mapped_column(Integer)


class HttpCache(Base):
    """Validators of the last response per URL, for conditional requests (ETag / Last-Modified)."""

    __tablename__ = "http_cache"

    url: Mapped[str] = mapped_column(String(2000), primary_key=True)
    etag: Mapped[str | None] = mapped_column(String(300))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[int | None] = mapped_column(Integer)
    fetched_at: Mapped[datetime] = mapped_column(default=_now, onupdate=_now)


class ServiceLock(Base):
    """A named lock held by one process (one scheduler instance); stale when its heartbeat is old."""

    __tablename__ = "service_locks"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    holder: Mapped[str] = mapped_column(String(250))
    pid: Mapped[int] = mapped_column(Integer)
    acquired_at: Mapped[datetime] = mapped_column(default=_now)
    heartbeat_at: Mapped[datetime] = mapped_column(default=_now)


class User(Base):
    """A console account: a name, a role (``signals.core.accounts.ROLES``) and an argon2id password hash."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=_now)
    last_login_at: Mapped[datetime | None]


class LoginAttempt(Base):
    """A try to log in to the console, kept so that throttling survives a restart."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    success: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[datetime] = mapped_column(default=_now)


class AuditEntry(Base):
    """Who did what, when, on which object (every action of the console and of ``signals users``)."""

    __tablename__ = "audit"
    __table_args__ = (Index("ix_audit_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=_now)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str | None] = mapped_column(String(250))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    address: Mapped[str | None] = mapped_column(String(64))
