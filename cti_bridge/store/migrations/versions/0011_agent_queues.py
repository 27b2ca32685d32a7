"""agent queues

Revision ID: 0011
Revises: 0010

``agent_queues`` lists the queues with dynamic members each agent may log in to from the
desk (AMI ``QueueAdd``/``QueueRemove``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "agent_queues",
        sa.Column("agent_id", _ID, nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_agent_queues_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("agent_id", "queue", name=op.f("pk_agent_queues")),
    )


def downgrade() -> None:
    op.drop_table("agent_queues")
