"""signal nature (new, sub-theme, resurgence, event) and parent link

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("signals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("nature", sa.String(length=20), server_default="new", nullable=False))
        batch_op.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_signals_parent_id"), ["parent_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_signals_parent_id_signals"), "signals", ["parent_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("signals", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_signals_parent_id_signals"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_signals_parent_id"))
        batch_op.drop_column("parent_id")
        batch_op.drop_column("nature")
