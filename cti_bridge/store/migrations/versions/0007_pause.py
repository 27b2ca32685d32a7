"""agent pause reason and since when the status holds

Revision ID: 0007
Revises: 0006

The desk's pause reason (away: one of ``[desk] pause_reasons`` or the PBX's own) and the
time the agent's status last changed, so the board can show the reason and how long an
agent has been in wrap-up.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status_reason", sa.String(length=64), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("status_since", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_column("status_since")
        batch_op.drop_column("status_reason")
