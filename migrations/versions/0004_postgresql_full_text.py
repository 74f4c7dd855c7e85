"""documents: full-text index on PostgreSQL (French configuration)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 23:55:00

SQLite has its FTS5 table since 0003; on PostgreSQL the documents are searched with ``to_tsvector('french',
…)``, and this expression index (the same expression as ``signals.core.search``) keeps that fast.
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

INDEX = (
    "CREATE INDEX IF NOT EXISTS ix_documents_fulltext ON documents USING gin "
    "(to_tsvector('french', coalesce(title, '') || ' ' || coalesce(text, '')))"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(INDEX)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_documents_fulltext")
