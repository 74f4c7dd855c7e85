"""documents: accent-folded full-text vector on PostgreSQL (a generated column and its index)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 01:40:00

PostgreSQL's ``unaccent`` is an extension, which only a superuser may create. The accents are folded here
with ``translate()`` (built in, immutable) inside a stored generated column, so "velo" finds "vélo" on any
account that owns its tables; the column keeps the vector computed once per document (ranking reads it
instead of parsing every match's text again). The expression is the one ``signals.core.search`` folds the
query with. It replaces the expression index of 0004. SQLite folds accents in its FTS5 tokenizer (0003).
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ACCENTED = "àâäáãåéèêëíìîïóòôöõúùûüýÿçñÀÂÄÁÃÅÉÈÊËÍÌÎÏÓÒÔÖÕÚÙÛÜÝŸÇÑ"
FOLDED = "aaaaaaeeeeiiiiooooouuuuyycnAAAAAAEEEEIIIIOOOOOUUUUYYCN"
VECTOR = (
    "to_tsvector('french'::regconfig, translate(coalesce(title, '') || ' ' || coalesce(text, ''), "
    f"'{ACCENTED}', '{FOLDED}'))"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"ALTER TABLE documents ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({VECTOR}) STORED"
        )
        op.execute("CREATE INDEX ix_documents_search_vector ON documents USING gin (search_vector)")
        op.execute("DROP INDEX IF EXISTS ix_documents_fulltext")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_documents_fulltext ON documents USING gin "
            "(to_tsvector('french', coalesce(title, '') || ' ' || coalesce(text, '')))"
        )
        op.execute("DROP INDEX IF EXISTS ix_documents_search_vector")
        op.execute("ALTER TABLE documents DROP COLUMN IF EXISTS search_vector")
