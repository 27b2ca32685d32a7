"""agent status log

Revision ID: 0010
Revises: 0009

``agent_status_log`` keeps every status an agent took (and ``offline`` while their desk
is closed) with its start, so the reports can say where each agent's time went.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "agent_status_log",
        sa.Column("id", _ID, nullable=False),
        sa.Column("agent_id", _ID, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_agent_status_log_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_status_log")),
    )
    with op.batch_alter_table("agent_status_log", schema=None) as batch_op:
        batch_op.create_index(
            "ix_agent_status_log_agent_started", ["agent_id", "started_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("agent_status_log", schema=None) as batch_op:
        batch_op.drop_index("ix_agent_status_log_agent_started")
    op.drop_table("agent_status_log")
