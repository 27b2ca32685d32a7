"""missed and abandoned calls: who claimed the call-back

Revision ID: 0008
Revises: 0007

``missed_callbacks`` holds one row per missed or abandoned call an agent took to call
back: the primary key on ``call_id`` lets only the first claim in.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "missed_callbacks",
        sa.Column("call_id", sa.String(length=96), nullable=False),
        sa.Column("agent_id", _ID, nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("called_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_missed_callbacks_agent_id_agents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["interactions.call_id"],
            name=op.f("fk_missed_callbacks_call_id_interactions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("call_id", name=op.f("pk_missed_callbacks")),
    )
    with op.batch_alter_table("missed_callbacks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_missed_callbacks_agent_id"), ["agent_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("missed_callbacks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_missed_callbacks_agent_id"))
    op.drop_table("missed_callbacks")
